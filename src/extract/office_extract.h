// SPDX-License-Identifier: Apache-2.0
// File: office_extract.h
//
// The OOXML / OpenDocument parser behind nordpii-extract (office_main.cc):
// zip via libarchive, XML via libxml2's streaming reader, with the limits
// described in office_extract.cc. Runs inside the helper process (and
// in-process only in the fuzzer and the seed replay test).
#ifndef NORDPII_EXTRACT_OFFICE_EXTRACT_H_
#define NORDPII_EXTRACT_OFFICE_EXTRACT_H_

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>

namespace nordpii::office {

struct Limits {
  size_t max_text = 32u << 20;
  unsigned long long max_unpacked = 256ull << 20;
  size_t max_entries = 10000;
  int max_depth = 256;
  int max_images = 10;  // pictures handed to ImageFn; more is a Failure
};

// A malformed, hostile or over-limit document; the message has no content.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Receives one segment: its location ("Sheet1!C4", "p3", ...) and text.
using SegmentFn = std::function<void(const std::string& loc, const std::string& text)>;

// Receives a raster picture of the document (word/media/image1.png, ODF
// Pictures/...) for OCR: its location and bytes. Without one, pictures are
// not read (OCR is off).
using ImageFn = std::function<void(const std::string& loc, const std::string& bytes)>;

// fmt: docx | xlsx | pptx | odt | ods | odp | doc | xls | ppt | rtf | zip | ole | tnef (and "biff":
// a bare BIFF8 Workbook stream, for the fuzzer). Throws Failure.
// Receives what was left unread in a document that is otherwise read (more
// pictures than the OCR limit): the caller reports the document as partly
// scanned. Without one, such a limit is a Failure.
using WarnFn = std::function<void(const std::string& message)>;

// `files` receives a PDF found inside a document or archive (read by the
// PDF helper, not here); without one such a PDF leaves the document partly
// scanned (WarnFn).
// `note` receives, without OCR (no `images`), how many raster pictures were
// not read ("2 pictures"; no names, no content), once per document: the
// caller says so as for an image attachment (kImageNotReadNote).
void Extract(const std::string& fmt, const std::string& data, const Limits& limits, const SegmentFn& seg,
             const ImageFn* images = nullptr, const WarnFn* warn = nullptr, const ImageFn* files = nullptr,
             const WarnFn* note = nullptr);

}  // namespace nordpii::office

#endif  // NORDPII_EXTRACT_OFFICE_EXTRACT_H_
