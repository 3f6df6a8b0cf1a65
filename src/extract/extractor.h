// SPDX-License-Identifier: Apache-2.0
// File: extractor.h
//
// Extractor: the decode/normalise stage for documents (attachments and files
// in directory scans). Bytes + content type / file name -> UTF-8 text with a
// map back to the document's own structure (sheet/cell, paragraph, table row,
// slide, page):
//
//   document bytes --helper process--> segments (location, text)
//                                  --> one text, Segment ranges into it
//
// Parsing never happens in the calling process. The document is written to a
// child process over a pipe and the text read back (ExtractDocument):
//   nordpii-extract      OOXML / OpenDocument (libarchive + libxml2), legacy Office,
//                        RTF, zip archives, TNEF winmail.dat (tnef.h), Apache-2.0
//   nordpii-extract-pdf  PDF (poppler-cpp), GPL-2.0-or-later, a separate program
//   nordpii-extract-ocr  images (Tesseract OCR + Leptonica), only with --ocr
// The child runs with rlimits (address space, CPU time, no files written, no
// core dumps) and a wall-clock timeout; a crash, hang, limit or malformed file
// is an Error for that document — never a crash of the milter or batch.
#ifndef NORDPII_EXTRACT_EXTRACTOR_H_
#define NORDPII_EXTRACT_EXTRACTOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace nordpii {

// kZip / kOle: a zip or OLE2 file whose kind the helper decides from its
// parts or streams (OOXML/ODF/legacy Office, else an archive or an object).
enum class DocFormat { kNone, kDocx, kXlsx, kPptx, kOdt, kOds, kOdp, kPdf, kImage, kDoc, kXls, kPpt, kZip, kOle, kRtf, kTnef, kCompressed };

// "docx", "xlsx", ... ("" for kNone): the prefix of a finding's field.
const char* DocFormatName(DocFormat f);
// From a MIME type (lower-case "type/subtype", may be empty or
// application/octet-stream) and a file name; the name decides only when the
// type is generic. `head` (the first bytes, may be empty) must agree: a zip
// ("PK\3\4") for OOXML/ODF, "%PDF" for PDF, an OLE2 compound file for the
// legacy binary formats (.doc .xls .ppt), an image signature for images
// (else kNone: the caller lists it). Images (PNG, JPEG, TIFF, GIF, BMP,
// WebP, PNM) are documents only when `images` is set (OCR, --ocr).
// TNEF (kTnef): application/ms-tnef, application/vnd.ms-tnef, or the name
// winmail.dat under a generic type; its bytes must start with the TNEF
// signature (a TNEF stream under any other type or name: SniffDocFormat).
DocFormat DetectDocFormat(std::string_view mime_type, std::string_view filename, std::string_view head,
                          bool images = false);

// By the bytes alone (a mail attachment whose type and name say nothing, or
// lie): a zip (kZip), an OLE2 file (kOle), a PDF, RTF, a TNEF stream
// (winmail.dat, kTnef), a gzip/xz/bzip2/zstd file or a tar (kCompressed:
// decompressed in the extract helper, a tar read member by member); else kNone.
DocFormat SniffDocFormat(std::string_view head);
// A file or stream whose name says nothing (or says text, CSV, mail...):
// a PDF, an OLE2, an RTF or a TNEF file by its bytes — "%PDF-", the OLE2 signature,
// "{\\rtf" or the TNEF signature (78 9F 3E 22) at the start, or, when the bytes would otherwise be read as plain text
// (`plain_text`), "%PDF-" and a version digit within the first 1024 bytes
// (PDF readers accept bytes before the header). Else kNone. Such a file is
// extracted (or is an error), never scanned as text, where the text in its
// compressed streams would pass unseen.
DocFormat SniffDocumentBytes(std::string_view head, bool plain_text);

struct ExtractLimits {
  size_t max_input = 64u << 20;           // document bytes
  size_t max_text = 32u << 20;            // extracted text
  uint64_t max_unpacked = 256u << 20;     // all zip entries read, decompressed
  size_t max_entries = 10000;             // zip entries
  int max_xml_depth = 256;                // element nesting
  int max_pages = 5000;                   // PDF pages
  uint64_t max_memory = 1024ull << 20;    // child address space (RLIMIT_AS)
  int timeout_ms = 20000;                 // wall clock, child killed after it
  // Images (OCR): pixels per image/page (checked from the header before
  // decoding), the wall clock instead of timeout_ms, Tesseract's languages.
  uint64_t max_pixels = 50'000'000;
  int ocr_timeout_ms = 60000;
  std::string ocr_languages = "nor+swe+dan+fin+isl+eng";
  // PDF pages without a text layer (scans) rendered and read by OCR, at
  // most max_ocr_pages per document (more is an error), all of them within
  // ocr_timeout_ms. Set from --ocr / the milter's ocr switch.
  bool ocr = false;
  int max_ocr_pages = 10;
};

struct Extracted {
  struct Segment {
    uint32_t start = 0, end = 0;  // in text
    std::string loc;              // e.g. "Sheet1!C4", "p12", "table1 row3", "page 2", "slide1 p2"
  };
  std::string text;  // segments joined by '\n'
  std::vector<Segment> segments;
  // Set when part of the document was not read (more pictures or scanned
  // pages than the OCR limit, OCR time up, an embedded binary file): the
  // text is still scanned, and the document is reported as partly scanned
  // (an error: exit 2, the milter's on_error). No document content.
  std::string incomplete;
  // Notes that are not errors, each ending in kImageNotReadNote: PDF pages
  // without a text layer (scans) while OCR is off, e.g. "pdf:page 3 not
  // read: text in images is read only with --ocr". The pages' little text
  // is still scanned. No document content (page numbers only).
  std::vector<std::string> notes;
  // The location of a text offset ("" if none).
  std::string Location(uint64_t offset) const;
};

// Runs the helper for `format` over `bytes`. Errors name the format and the
// reason only (never document content).
Result<Extracted> ExtractDocument(std::string_view bytes, DocFormat format, const ExtractLimits& limits = {});

// The end of the note for an image that is not read because OCR is off
// (scan/batch without --ocr, the milter with ocr = false): "part 2:
// image/png attachment not read: text in images is read only with --ocr".
// The report counts such notes as attachments not scanned (ReportSink::OnNote).
inline constexpr std::string_view kImageNotReadNote = "not read: text in images is read only with --ocr";

// Where the helpers are looked for: $NORDPII_EXTRACT_DIR, the directory of
// the running executable, then the install libexec directory.
std::string ExtractHelperPath(DocFormat format);

// Ends this process's helper start-up servers (extractor.cc, "zygote") and
// forgets their failures; the next document starts new ones. Waits for
// servers busy with a document to be released no longer than the call
// takes: a busy one is left to its user.
void EndIdleExtractServers();

}  // namespace nordpii

#endif  // NORDPII_EXTRACT_EXTRACTOR_H_
