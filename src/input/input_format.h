// SPDX-License-Identifier: Apache-2.0
// File: input_format.h
//
// The one place where an input's format is decided: the --input names, the
// --input auto recognition (mail, ticket exports, archives, UTF-16 text) and
// OpenInputStream, which opens an input exactly once and hands every
// command (scan, redact, batch, find-subject) the same source: the format
// recognised from the bytes it read, which it replays, and UTF-16 text
// already decoded to UTF-8. A new input format is added here (and read in
// batch/input_scan.cc).
#ifndef NORDPII_INPUT_INPUT_FORMAT_H_
#define NORDPII_INPUT_INPUT_FORMAT_H_

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "input/byte_source.h"
#include "input/utf16.h"

namespace nordpii {

enum class InputFormat { kText, kEml, kMbox, kMaildir, kJsonl, kJson, kCsv, kArchive };

// "text" | "eml" | "mbox" | "maildir" | "jsonl" | "json" | "csv".
Result<InputFormat> ParseInputFormat(const std::string& name);
const char* InputFormatName(InputFormat f);
// --input auto: a directory with cur/ or new/ is a Maildir; a file starting
// with "From " followed by a header line is an mbox; a file whose first
// lines are header fields including a typical mail header (From, To,
// Subject, Date, Message-ID, Received, MIME-Version, Content-Type,
// Return-Path) — or named *.eml — is a message; *.jsonl / *.ndjson, *.json
// and *.csv / *.tsv are ticket exports, as is a file whose first line is a
// JSON object ({...}: JSON Lines) or that starts with '[' (a JSON array);
// anything else is text.
// *.tar, *.tar.gz, *.tgz, *.zip (or tar/gzip/zip magic) are archives.
// A stream (IsStream: a FIFO, /dev/stdin, <(...)) is not opened here: it
// gives kText; use OpenInput, which recognises it from the bytes it reads.
InputFormat DetectInputFormat(const std::string& path);
// Opens an input exactly once. `forced` is --input ("auto" recognises the
// format from the first 8 KiB of the same stream, which the returned source
// replays), also for "-" (stdin). A pipe, FIFO, /dev/stdin or process
// substitution is therefore read once, from its first byte.
// Text, CSV and JSON in UTF-16 (utf16.h) are recognised too: `utf16` says
// so, `source` gives the raw UTF-16 bytes and `format` is what the decoded
// text is (never mail or an archive).
struct OpenedInput {
  std::unique_ptr<ByteSource> source;
  InputFormat format = InputFormat::kText;
  Utf16Kind utf16;
  std::string head;  // the first bytes read (up to 1024): a document by its bytes (SniffDocumentBytes)
};
Result<OpenedInput> OpenInput(const std::string& path, const std::string& forced);
// The same from a name and the first bytes (archive entries).
InputFormat DetectFormatOf(const std::string& name, std::string_view head);
// Whether the format is a ticket export (JSONL, JSON, CSV: tickets/).
inline bool IsTicketFormat(InputFormat f) {
  return f == InputFormat::kJsonl || f == InputFormat::kJson || f == InputFormat::kCsv;
}

// An input opened once with its format known (OpenInput), UTF-16 text
// already decoded: `source` reads UTF-8 then. Move-only; `source` may point
// into `decoded`, which lives as long as this.
struct InputStream {
  std::unique_ptr<ByteSource> source;
  InputFormat format = InputFormat::kText;
  Utf16Kind utf16;                       // the file is UTF-16 (source reads *decoded)
  std::unique_ptr<std::string> decoded;  // UTF-16 input as UTF-8 (read whole)
  uint64_t raw_size = 0;                 // bytes read from the file for a decoded input
  std::string head;                      // the first bytes read (up to 1024), as OpenedInput::head
};

// OpenInput into an InputStream. Then DecodeUtf16 reads a UTF-16 input
// whole (at most `max_whole` bytes: a larger one is a kLimit error naming
// the path) and decodes it; for other inputs it does nothing. Two steps so
// the callers can say which failed ("(UTF-16 text is read whole); not
// scanned" / "nothing written").
Result<InputStream> OpenInputStream(const std::string& path, const std::string& forced);
Status DecodeUtf16(InputStream& in, const std::string& path, size_t max_whole);

}  // namespace nordpii

#endif  // NORDPII_INPUT_INPUT_FORMAT_H_
