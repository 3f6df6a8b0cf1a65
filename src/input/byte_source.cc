// SPDX-License-Identifier: Apache-2.0
#include "input/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace nordpii {
namespace {

class FdSource : public ByteSource {
 public:
  FdSource(int fd, std::string name, bool owned) : fd_(fd), name_(std::move(name)), owned_(owned) {
    struct stat st;
    if (fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
      const off_t at = lseek(fd_, 0, SEEK_CUR);
      if (at >= 0 && at <= st.st_size) expect_ = static_cast<uint64_t>(st.st_size - at);
      st_ = st;
    }
  }
  ~FdSource() override {
    if (owned_) close(fd_);
  }
  Result<size_t> Read(char* buf, size_t n) override {
    for (;;) {
      ssize_t r = ::read(fd_, buf, n);
      // A regular file that ends before the size it had when opened was
      // cut while it was read (truncated, rewritten in place): what was
      // read is no file that ever was, and the rest is not scanned: an
      // error, never a quiet end (before: a clean end, exit 0 or 1, and
      // `redact` wrote the redacted copy of a prefix).
      if (r == 0 && n > 0 && got_ < expect_ && !Unchanged())
        return Error(ErrorCode::kIo, name_ + ": the file shrank while it was read (" + std::to_string(got_) + " of " +
                                         std::to_string(expect_) + " bytes); not fully scanned");
      if (r >= 0) return got_ += static_cast<uint64_t>(r), static_cast<size_t>(r);
      if (errno == EINTR) continue;
      return Error(ErrorCode::kIo, name_ + ": read error: " + std::strerror(errno));
    }
  }
  const std::string& name() const override { return name_; }
  uint64_t SizeHint() const override {
    struct stat st;
    if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    off_t at = lseek(fd_, 0, SEEK_CUR);
    return at >= 0 && at < st.st_size ? static_cast<uint64_t>(st.st_size - at) : 0;
  }

 private:
  int fd_;
  std::string name_;
  bool owned_;
  // A file whose size, mtime and ctime are those it had when opened was not
  // truncated nor rewritten: a short read is the file system's nominal size
  // (sysfs attributes say 4096 bytes and hold a few; some FUSE file systems),
  // its end is the file's end (review18: /sys/class/net/lo/address was an
  // error 'shrank (18 of 4096 bytes)', exit 2, since 9a59938).
  bool Unchanged() const {
    struct stat now;
    if (fstat(fd_, &now) != 0) return false;
    return now.st_size == st_.st_size && now.st_mtim.tv_sec == st_.st_mtim.tv_sec &&
           now.st_mtim.tv_nsec == st_.st_mtim.tv_nsec && now.st_ctim.tv_sec == st_.st_ctim.tv_sec &&
           now.st_ctim.tv_nsec == st_.st_ctim.tv_nsec;
  }
  struct stat st_ {};
  uint64_t expect_ = 0;  // a regular file's bytes from where it was opened (0: not a regular file)
  uint64_t got_ = 0;     // bytes read
};

class StrSource : public ByteSource {
 public:
  StrSource(std::string_view d, std::string name) : d_(d), name_(std::move(name)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min(n, d_.size() - pos_);
    std::memcpy(buf, d_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  const std::string& name() const override { return name_; }
  bool CanView() const override { return true; }
  std::string_view View(uint64_t offset, size_t n) const override {
    return offset >= d_.size() ? std::string_view() : d_.substr(offset, n);
  }

 private:
  std::string_view d_;
  size_t pos_ = 0;
  std::string name_;
};

class PrefixSource : public ByteSource {
 public:
  PrefixSource(std::string prefix, std::unique_ptr<ByteSource> rest)
      : prefix_(std::move(prefix)), rest_(std::move(rest)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    if (pos_ < prefix_.size()) {
      size_t k = std::min(n, prefix_.size() - pos_);
      std::memcpy(buf, prefix_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    return rest_->Read(buf, n);
  }
  const std::string& name() const override { return rest_->name(); }
  uint64_t SizeHint() const override {
    uint64_t rest = rest_->SizeHint();
    return rest == 0 ? 0 : rest + (prefix_.size() - pos_);
  }

 private:
  std::string prefix_;
  size_t pos_ = 0;
  std::unique_ptr<ByteSource> rest_;
};

}  // namespace

bool IsStream(const std::string& path) {
  if (path == "-") return true;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  return !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

std::unique_ptr<ByteSource> WithPrefix(std::string prefix, std::unique_ptr<ByteSource> rest) {
  return std::make_unique<PrefixSource>(std::move(prefix), std::move(rest));
}

Result<std::unique_ptr<ByteSource>> OpenPath(const std::string& path) {
  if (path == "-") return std::unique_ptr<ByteSource>(new FdSource(0, "-", false));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrorCode::kIo, path + ": " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    return Error(ErrorCode::kIo, path + ": is a directory");
  }
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<ByteSource>(new FdSource(fd, path, true));
}

std::unique_ptr<ByteSource> StringSource(std::string_view data, std::string name) {
  return std::make_unique<StrSource>(data, std::move(name));
}

Status ReadMore(ByteSource& in, std::string& buf, size_t& head, bool& eof, size_t chunk) {
  if (head > 0 && head >= buf.size() / 2) {
    buf.erase(0, head);
    head = 0;
  }
  size_t have = buf.size();
#if __cpp_lib_string_resize_and_overwrite
  // Read straight into the string's new room: resize() would zero the chunk
  // first (a memset of 1 MiB per read, ~2 % of a ticket-export scan).
  Result<size_t> r = size_t{0};
  buf.resize_and_overwrite(have + chunk, [&](char* p, size_t) {
    r = in.Read(p + have, chunk);
    return r ? have + *r : have;
  });
  if (!r) return r.error();
#else
  buf.resize(have + chunk);
  auto r = in.Read(buf.data() + have, chunk);
  if (!r) {
    buf.resize(have);
    return r.error();
  }
  buf.resize(have + *r);
#endif
  if (*r == 0) eof = true;
  return Status::Ok();
}

}  // namespace nordpii
