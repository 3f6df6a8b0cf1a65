// SPDX-License-Identifier: Apache-2.0
// File: redactor.h
//
// Redactor: a StreamSink that writes the input with every accepted finding
// replaced, byte-exact elsewhere (text without findings comes out
// byte-identical). Styles:
//   label  [NO-FNR]
//   mask   every letter/digit -> '*', separators kept (same character count);
//          credentials: every non-space character -> '*'
//   hmac   [NO-FNR:3f9a1c2e] — first 8 hex digits of the keyed hash, stable
//          across an archive for the same key
// Output goes to an OutputFile, which writes a temporary file and renames it
// into place on Commit(): never a half-written output.
#ifndef NORDPII_OUTPUT_REDACTOR_H_
#define NORDPII_OUTPUT_REDACTOR_H_

#include <cstdio>
#include <deque>
#include <memory>
#include <string>

#include "pipeline/scanner.h"

namespace nordpii {

enum class RedactStyle { kLabel, kMask, kHmac };

// The replacement text for a finding in a style (raw = its input bytes).
std::string Replacement(const Finding& f, std::string_view raw, RedactStyle style);

// A destination: stdout ("-"), a regular file, or something that is not a
// regular file (a FIFO, a character device such as /dev/null or a tty).
//  - A regular file (new or existing) is written to a temporary file in the
//    same directory and renamed over it on Commit(): never half-written. An
//    existing file keeps its mode, owner and group (Open fails when the
//    owner cannot be kept). A file with more than one hard link is refused:
//    the rename would give this name the new content and leave the other
//    names with the old one (for in-place redaction: the raw data).
//  - A symbolic link is followed: its target is replaced (the link stays a
//    link); a dangling link is refused.
//  - A FIFO or device is written through (opened for writing, never
//    replaced or renamed over; what was written before a failure cannot be
//    taken back). Directories are refused.
// The temporary file is registered with temp_cleanup.h, so a signal
// removes it.
class OutputFile {
 public:
  static Result<std::unique_ptr<OutputFile>> Open(const std::string& path);  // "-" = stdout
  ~OutputFile();  // removes the temporary file unless committed
  Status Write(std::string_view bytes);
  Status Commit();
  // Written through (stdout, a FIFO, a device): what was written before a
  // failure stays written. `written()`: bytes handed to it so far.
  bool through() const { return through_; }
  uint64_t written() const { return written_; }
  // For text decoded from UTF-16 (input/utf16.h): the UTF-8 given to Write
  // is written as UTF-16 in that byte order, after a BOM when `bom` — the
  // same encoding as the input. Call before the first Write.
  void EncodeUtf16(bool big_endian, bool bom) {
    utf16_ = big_endian ? 2 : 1;
    bom_pending_ = bom;
  }

 private:
  OutputFile() = default;
  Status WriteRaw(std::string_view bytes);
  int utf16_ = 0;  // 0: as given, 1: UTF-16LE, 2: UTF-16BE
  bool bom_pending_ = false;
  std::string carry_, encoded_;  // a UTF-8 sequence cut between writes; scratch
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
  bool committed_ = false;
  bool through_ = false;  // written directly (stdout, a FIFO or device), no rename
  uint64_t written_ = 0;
  int slot_ = -1;         // temp_cleanup registration of tmp_
};

class Redactor : public StreamSink {
 public:
  Redactor(OutputFile& out, RedactStyle style) : out_(out), style_(style) {}
  bool OnFinding(const Finding& f, std::string_view raw) override;
  Status OnData(uint64_t offset, std::string_view bytes) override;
  // A replacement the caller made for input bytes [start, end) (in the
  // offsets OnData sees; in order, as findings come): for text scanned in
  // another form than it is written (unfolded iCalendar / vCard lines,
  // whose replacement keeps the folds: normalize/legacy_text.h).
  void Add(uint64_t start, uint64_t end, std::string replacement) {
    pending_.push_back({start, end, std::move(replacement), false});
    ++redacted_;
  }
  size_t redacted() const { return redacted_; }

 private:
  struct Pending {
    uint64_t start, end;
    std::string replacement;
    bool emitted = false;
  };
  OutputFile& out_;
  RedactStyle style_;
  std::deque<Pending> pending_;
  size_t redacted_ = 0;
};

}  // namespace nordpii

#endif  // NORDPII_OUTPUT_REDACTOR_H_
