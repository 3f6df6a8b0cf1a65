// SPDX-License-Identifier: Apache-2.0
#include "output/redactor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cctype>
#include <cstring>

#include "core/utf8.h"

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
    o->f_ = stdout;
    return o;
  }
  o->tmp_ = path + ".nordpii-XXXXXX";
  int fd = mkstemp(o->tmp_.data());
  if (fd < 0) return Error(ErrorCode::kIo, path + ": cannot create temporary file: " + std::strerror(errno));
  // mkstemp creates 0600: give the output the mode an ordinary create would
  // (or the mode of the file it replaces).
  struct stat st;
  mode_t mode;
  if (stat(path.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
  } else {
    mode_t mask = umask(0);
    umask(mask);
    mode = 0666 & ~mask;
  }
  fchmod(fd, mode);
  o->f_ = fdopen(fd, "wb");
  if (!o->f_) {
    close(fd);
    unlink(o->tmp_.c_str());
    return Error(ErrorCode::kIo, path + ": fdopen failed");
  }
  return o;
}

OutputFile::~OutputFile() {
  if (f_ && f_ != stdout) {
    std::fclose(f_);
    if (!committed_) unlink(tmp_.c_str());
  }
}

Status OutputFile::Write(std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();
  if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size())
    return Error(ErrorCode::kIo, path_ + ": write failed: " + std::strerror(errno));
  return Status::Ok();
}

Status OutputFile::Commit() {
  if (std::fflush(f_) != 0) return Error(ErrorCode::kIo, path_ + ": write failed: " + std::strerror(errno));
  if (f_ == stdout) return Status::Ok();
  if (fsync(fileno(f_)) != 0) return Error(ErrorCode::kIo, path_ + ": fsync failed: " + std::strerror(errno));
  std::fclose(f_);
  f_ = nullptr;
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    unlink(tmp_.c_str());
    return Error(ErrorCode::kIo, path_ + ": rename failed: " + std::strerror(errno));
  }
  committed_ = true;
  return Status::Ok();
}

}  // namespace nordpii
