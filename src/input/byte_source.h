// SPDX-License-Identifier: Apache-2.0
// File: byte_source.h
//
// ByteSource: a pull-model stream of raw input bytes (a file, stdin, or a
// buffer in tests). The scanner reads it in chunks, so input of any size is
// scanned in constant memory. Not thread-safe; one reader.
#ifndef NORDPII_INPUT_BYTE_SOURCE_H_
#define NORDPII_INPUT_BYTE_SOURCE_H_

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace nordpii {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes into buf; returns 0 at the end of input.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
  // Name used in reports ("-" for stdin).
  virtual const std::string& name() const = 0;

  // Zero-copy reading of input already in memory (StringSource): a view of
  // the bytes [offset, offset + n), shorter only at the end of the input,
  // valid while the source lives. Sources without it return false from
  // CanView and are read with Read. (Mapping files instead of read() was
  // measured: no faster here, the kernel's per-page mapping work costs as
  // much as the copy; see README, Performance.)
  virtual bool CanView() const { return false; }
  virtual std::string_view View(uint64_t /*offset*/, size_t /*n*/) const { return {}; }
  // Bytes left to read when known (a regular file: its size less what was
  // read), else 0. Only a hint for sizing a buffer (ReadAll): the file may
  // change while it is read.
  virtual uint64_t SizeHint() const { return 0; }
};

// Opens a file, or stdin for "-". Errors name the path and the reason.
Result<std::unique_ptr<ByteSource>> OpenPath(const std::string& path);
// Buffered reading for the record readers (mbox, ticket exports): drops the
// consumed bytes buf[0, head) once they are at least half the buffer (head
// becomes 0), then appends up to `chunk` more bytes from `in`; sets `eof`
// when the source has no more.
Status ReadMore(ByteSource& in, std::string& buf, size_t& head, bool& eof, size_t chunk = 1 << 20);

// True when `path` names something that can be read only once: stdin
// ("-"), a FIFO, a character device, a socket, /dev/stdin, /dev/fd/N (process
// substitution <(...)). Such inputs are opened exactly once; their format
// is recognised from the bytes already read (see OpenInput in
// mail_source.h). Directories and regular files (also through a symlink)
// are not streams; a path that cannot be examined is not either (opening
// it reports why).
bool IsStream(const std::string& path);

// A source that first returns `prefix` (bytes already read from `rest`,
// e.g. to recognise the format), then the rest of `rest`.
std::unique_ptr<ByteSource> WithPrefix(std::string prefix, std::unique_ptr<ByteSource> rest);

// Reads from a string the caller keeps alive.
std::unique_ptr<ByteSource> StringSource(std::string_view data, std::string name = "<buffer>");

// "PATH: message" for an error about `path`, or `message` alone when it
// already begins with "PATH: " (a byte source names its file in its read
// errors: closed17, "f.txt: f.txt: the file shrank while it was read").
inline std::string PathMessage(const std::string& path, const std::string& message) {
  if (message.size() > path.size() + 1 && message.compare(0, path.size(), path) == 0 &&
      message.compare(path.size(), 2, ": ") == 0)
    return message;
  return path + ": " + message;
}

}  // namespace nordpii

#endif  // NORDPII_INPUT_BYTE_SOURCE_H_
