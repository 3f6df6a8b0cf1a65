// SPDX-License-Identifier: Apache-2.0
// File: mail_source.h
//
// Where messages come from: a single .eml file, an mbox file (mboxo and
// mboxrd: every line starting "From " begins a message, as Python's mailbox
// reads it; ">From " quoting is left as written so messages stay
// byte-identical), or a Maildir (the files in cur/ and new/). Also the input
// format names and --input auto recognition.
//
// MboxReader streams: memory is bounded by the largest message, and a
// message over the limit is skipped (reported with its index) instead of
// being buffered.
#ifndef NORDPII_INPUT_MAIL_SOURCE_H_
#define NORDPII_INPUT_MAIL_SOURCE_H_

#include <memory>
#include <string>
#include <vector>

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
};
Result<OpenedInput> OpenInput(const std::string& path, const std::string& forced);
// The same from a name and the first bytes (archive entries).
InputFormat DetectFormatOf(const std::string& name, std::string_view head);
bool IsMaildir(const std::string& path);
// The message files of a Maildir, relative to it ("cur/1:2,S",
// ".Sent/new/2"): cur/, new/ and tmp/ of the root and of every Maildir++
// folder (".Name" with cur/ or new/), each sorted. A folder that cannot be
// read, or a FIFO/socket/device in one, is named in `*error` (when given):
// it was not looked at.
std::vector<std::string> MaildirFiles(const std::string& dir, std::string* error = nullptr);

// Reads a whole file (a message) of at most `max` bytes; larger files give a
// kLimit error naming the path and the limit.
Result<std::string> ReadMessageFile(const std::string& path, size_t max);
// Reads a whole stream of at most `max` bytes (errors name `path`).
Result<std::string> ReadAll(ByteSource& in, const std::string& path, size_t max);

struct MboxMessage {
  size_t index = 0;        // 1-based position in the mbox
  std::string from_line;   // the "From ..." separator line with its line break ("" if none)
  std::string bytes;       // the message as written (empty when too_large)
  uint64_t offset = 0;     // file offset of bytes[0]
  uint64_t line = 1;       // file line of bytes[0]
  uint64_t size = 0;       // message size in bytes (also when too_large)
  bool too_large = false;
};

class MboxReader {
 public:
  MboxReader(ByteSource& in, size_t max_message) : in_(in), max_(max_message) {}
  // The next message; false at the end of the mbox.
  Result<bool> Next(MboxMessage& m);

 private:
  Status Fill();  // reads more into buf_; sets eof_
  ByteSource& in_;
  size_t max_;
  std::string buf_;
  size_t head_ = 0;  // first unread byte of buf_
  bool eof_ = false;
  uint64_t offset_ = 0, line_ = 1;  // of buf_[0]
  size_t index_ = 0;
};

}  // namespace nordpii

#endif  // NORDPII_INPUT_MAIL_SOURCE_H_
