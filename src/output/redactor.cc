// SPDX-License-Identifier: Apache-2.0
#include "output/redactor.h"

#include "input/utf16.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "core/utf8.h"
#include "output/temp_cleanup.h"

namespace nordpii {

std::string Replacement(const Finding& f, std::string_view raw, RedactStyle style) {
  std::string label;
  for (char c : f.type) label.push_back(c == '.' || c == '_' ? '-' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  switch (style) {
    case RedactStyle::kLabel: return "[" + label + "]";
    case RedactStyle::kHmac: return "[" + label + ":" + f.hash.substr(0, 8) + "]";
    case RedactStyle::kMask: break;
  }
  std::string out;
  const auto* s = reinterpret_cast<const unsigned char*>(raw.data());
  bool all = f.category == "credential";
  for (size_t i = 0; i < raw.size();) {
    uint32_t cp;
    int len = DecodeUtf8(s, raw.size(), i, cp);
    if (len == 0) { out.push_back('*'); ++i; continue; }
    bool space = cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r';
    if (all ? !space : IsWordCodepoint(cp)) out.push_back('*');
    else out.append(raw.substr(i, static_cast<size_t>(len)));
    i += static_cast<size_t>(len);
  }
  return out;
}

bool Redactor::OnFinding(const Finding& f, std::string_view raw) {
  pending_.push_back({f.start, f.end, Replacement(f, raw, style_), false});
  ++redacted_;
  return true;
}

Status Redactor::OnData(uint64_t offset, std::string_view bytes) {
  uint64_t pos = offset, end = offset + bytes.size();
  while (pos < end) {
    if (!pending_.empty() && pending_.front().start < end) {
      Pending& p = pending_.front();
      if (pos < p.start) {
        if (Status s = out_.Write(bytes.substr(pos - offset, p.start - pos)); !s.ok()) return s;
        pos = p.start;
      }
      if (!p.emitted) {
        if (Status s = out_.Write(p.replacement); !s.ok()) return s;
        p.emitted = true;
      }
      pos = std::max(pos, std::min(p.end, end));
      if (pos >= p.end) pending_.pop_front();
    } else {
      if (Status s = out_.Write(bytes.substr(pos - offset)); !s.ok()) return s;
      pos = end;
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<OutputFile>> OutputFile::Open(const std::string& path) {
  std::unique_ptr<OutputFile> o(new OutputFile());
  o->path_ = path;
  if (path == "-") {
    o->path_ = "standard output";
    o->f_ = stdout;
    o->through_ = true;
    return o;
  }
  std::string target = path;
  struct stat lst;
  if (lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
    // Replace the link's target, not the link.
    char* real = realpath(path.c_str(), nullptr);
    if (!real) return Error(ErrorCode::kIo, path + ": symbolic link to a missing file; nothing written");
    target = real;
    std::free(real);
  }
  struct stat st;
  const bool exists = stat(target.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return Error(ErrorCode::kIo, path + ": is a directory");
  if (exists && !S_ISREG(st.st_mode)) {
    // A FIFO, a device, a socket: write through it, never replace it.
    int fd = ::open(target.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return Error(ErrorCode::kIo, path + ": " + std::strerror(errno));
    o->f_ = fdopen(fd, "wb");
    if (!o->f_) {
      close(fd);
      return Error(ErrorCode::kIo, path + ": fdopen failed");
    }
    o->through_ = true;
    return o;
  }
  if (exists && st.st_nlink > 1)
    return Error(ErrorCode::kIo, path + ": has " + std::to_string(st.st_nlink) +
                                     " hard links; replacing it would leave the other names with the old "
                                     "content; nothing written");
  o->path_ = target;
  o->tmp_ = target + ".nordpii-XXXXXX";
  int fd = mkstemp(o->tmp_.data());
  if (fd < 0) return Error(ErrorCode::kIo, path + ": cannot create temporary file: " + std::strerror(errno));
  o->slot_ = RegisterTemp(o->tmp_);
  auto fail = [&](const std::string& why) -> Status {
    close(fd);
    unlink(o->tmp_.c_str());
    UnregisterTemp(o->slot_);
    o->slot_ = -1;
    return Error(ErrorCode::kIo, path + ": " + why + "; nothing written");
  };
  // mkstemp creates 0600 owned by us: give the output the mode an ordinary
  // create would, or the mode, owner and group of the file it replaces.
  mode_t mode;
  if (exists) {
    mode = st.st_mode & 07777;
    if ((st.st_uid != geteuid() || st.st_gid != getegid()) && fchown(fd, st.st_uid, st.st_gid) != 0)
      return fail(std::string("cannot keep the file's owner and group: ") + std::strerror(errno));
  } else {
    mode_t mask = umask(0);
    umask(mask);
    mode = 0666 & ~mask;
  }
  if (fchmod(fd, mode) != 0) return fail(std::string("cannot set the file mode: ") + std::strerror(errno));
  o->f_ = fdopen(fd, "wb");
  if (!o->f_) return fail("fdopen failed");
  return o;
}

OutputFile::~OutputFile() {
  if (f_ && f_ != stdout) {
    std::fclose(f_);
    if (!committed_ && !through_) unlink(tmp_.c_str());
  }
  UnregisterTemp(slot_);
}

Status OutputFile::Write(std::string_view bytes) {
  if (utf16_ == 0 || bytes.empty()) return WriteRaw(bytes);
  encoded_.clear();
  if (bom_pending_) {
    encoded_ += utf16_ == 2 ? "\xFE\xFF" : "\xFF\xFE";
    bom_pending_ = false;
  }
  Utf8ToUtf16(bytes, utf16_ == 2, encoded_, carry_);
  return WriteRaw(encoded_);
}

Status OutputFile::WriteRaw(std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();
  if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size())
    return Error(ErrorCode::kIo, path_ + ": write failed: " + std::strerror(errno));
  written_ += bytes.size();
  return Status::Ok();
}

Status OutputFile::Commit() {
  if (!carry_.empty()) return Error(ErrorCode::kIo, path_ + ": output ends inside a UTF-8 sequence; nothing written");
  if (bom_pending_) {  // an empty text keeps its BOM
    bom_pending_ = false;
    if (Status s = WriteRaw(utf16_ == 2 ? "\xFE\xFF" : "\xFF\xFE"); !s.ok()) return s;
  }
  if (std::fflush(f_) != 0 || std::ferror(f_))
    return Error(ErrorCode::kIo, path_ + ": write failed: " + std::strerror(errno));
  if (f_ == stdout) return Status::Ok();
  if (through_) {
    int r = std::fclose(f_);
    f_ = nullptr;
    if (r != 0) return Error(ErrorCode::kIo, path_ + ": write failed: " + std::strerror(errno));
    committed_ = true;
    return Status::Ok();
  }
  if (fsync(fileno(f_)) != 0) return Error(ErrorCode::kIo, path_ + ": fsync failed: " + std::strerror(errno));
  int r = std::fclose(f_);
  f_ = nullptr;
  if (r != 0) {
    unlink(tmp_.c_str());
    return Error(ErrorCode::kIo, path_ + ": write failed: " + std::strerror(errno));
  }
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    unlink(tmp_.c_str());
    return Error(ErrorCode::kIo, path_ + ": rename failed: " + std::strerror(errno));
  }
  committed_ = true;
  UnregisterTemp(slot_);
  slot_ = -1;
  return Status::Ok();
}

}  // namespace nordpii
