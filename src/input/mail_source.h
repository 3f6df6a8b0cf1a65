// SPDX-License-Identifier: Apache-2.0
// File: mail_source.h
//
// Where messages come from: a single .eml file, an mbox file (mboxo and
// mboxrd: every line starting "From " begins a message, as Python's mailbox
// reads it; ">From " quoting is left as written so messages stay
// byte-identical), or a Maildir (the files in cur/ and new/). The input
// formats and --input auto recognition are in input_format.h.
//
// MboxReader streams: memory is bounded by the largest message, and a
// message over the limit is skipped (reported with its index) instead of
// being buffered.
#ifndef NORDPII_INPUT_MAIL_SOURCE_H_
#define NORDPII_INPUT_MAIL_SOURCE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "input/byte_source.h"
#include "input/utf16.h"

namespace nordpii {

bool IsMaildir(const std::string& path);
// The message files of a Maildir, relative to it ("cur/1:2,S",
// ".Sent/new/2"): cur/, new/ and tmp/ of the root and of every Maildir++
// folder (".Name" with cur/ or new/), each sorted. A folder that cannot be
// read, or a FIFO/socket/device in one, is named in `*error` (when given):
// it was not looked at.
std::vector<std::string> MaildirFiles(const std::string& dir, std::string* error = nullptr);
// The message for a directory entry that is neither a file, a directory
// nor a special file, `ec` the error of its status(): ": a symbolic link to
// nothing (its target is missing); not scanned" for a dangling link, else
// ": cannot be read (REASON); not scanned" (a symlink loop, EACCES on the
// way to its target).
std::string UnfollowedEntryMessage(const std::filesystem::directory_entry& e, const std::error_code& ec);

// Reads a whole file (a message) of at most `max` bytes; larger files give a
// kLimit error naming the path and the limit.
Result<std::string> ReadMessageFile(const std::string& path, size_t max);
// Reads a whole stream of at most `max` bytes (errors name `path`).
Result<std::string> ReadAll(ByteSource& in, const std::string& path, size_t max);

struct MboxMessage {
  size_t index = 0;        // 1-based position in the mbox
  std::string from_line;   // the "From ..." separator line with its line break ("" if none)
  // The message as written (empty when too_large): a view of the reader's
  // buffer, or of `bytes` for a message of at least MboxReader::kHandOver
  // bytes (it takes the buffer over). Valid until the next Next(). Copying
  // every message out of the buffer was 2 % of a typical mbox scan (issue 14).
  std::string_view text;
  std::string bytes;       // storage behind `text` for a large message; else empty
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
  // A message of at least kHandOver bytes takes over the buffer (smaller
  // ones are views of it); the buffer of one that long is given room for
  // the limit and a read (ReadMore's chunk, and the 5 bytes kept) at once.
  static constexpr size_t kHandOver = 4u << 20, kReadAhead = (1u << 20) + 64;
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
