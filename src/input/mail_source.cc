// SPDX-License-Identifier: Apache-2.0
#include "input/mail_source.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/bytes.h"
#include "core/utf8.h"
#include "input/utf16.h"

namespace fs = std::filesystem;

namespace nordpii {

bool IsMaildir(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) &&
         (fs::is_directory(fs::path(path) / "cur", ec) || fs::is_directory(fs::path(path) / "new", ec));
}

std::string UnfollowedEntryMessage(const fs::directory_entry& e, const std::error_code& ec) {
  std::error_code lec;
  const bool link = e.is_symlink(lec);
  if (link && (!ec || ec == std::errc::no_such_file_or_directory))
    return ": a symbolic link to nothing (its target is missing); not scanned";
  if (ec) return (link ? ": a symbolic link that cannot be followed (" : ": cannot be read (") + ec.message() + "); not scanned";
  return ": cannot be read; not scanned";
}

std::vector<std::string> MaildirFiles(const std::string& dir, std::string* error) {
  std::vector<std::string> out;
  // The folders: the root, and every Maildir++ folder (".Sent", ".Arkiv.2024":
  // a directory at the root whose name starts with '.' and that has cur/ or
  // new/).
  std::vector<std::string> folders = {""};
  {
    std::error_code ec;
    std::vector<std::string> sub;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.size() < 2 || name[0] != '.' || name == "..") continue;
      if (IsMaildir(it->path().string())) {
        sub.push_back(name + "/");
        continue;
      }
      // A folder entry that is a symlink to nothing (or whose type cannot
      // be read) may be a Maildir++ folder we cannot look into: an error,
      // not a folder left out (it was, silently: exit 0 over the rest).
      std::error_code fec;
      const fs::file_status fst = it->status(fec);  // through symlinks
      if (error && !fs::exists(fst)) *error = it->path().string() + UnfollowedEntryMessage(*it, fec);
    }
    if (ec && error) *error = dir + ": " + ec.message() + "; not scanned";
    std::sort(sub.begin(), sub.end());
    folders.insert(folders.end(), sub.begin(), sub.end());
  }
  // tmp/ too: a message a crashed delivery left there is still data.
  for (const auto& folder : folders) {
    for (const char* sub : {"cur", "new", "tmp"}) {
      std::error_code ec;
      fs::path p = fs::path(dir) / (folder + sub);
      if (!fs::is_directory(p, ec)) {
        // cur/, new/ or tmp/ that is there but is not a directory or cannot
        // be followed (a symlink to nothing, a loop, no permission): not
        // looked at, so an error (was skipped silently).
        std::error_code sec, lec;
        const fs::file_status st = fs::status(p, sec);
        if (error && fs::symlink_status(p, lec).type() != fs::file_type::not_found)
          *error = p.string() + (fs::exists(st) ? std::string(": not a directory; not scanned")
                                                : UnfollowedEntryMessage(fs::directory_entry(p, lec), sec));
        ec.clear();
        continue;
      }
      std::vector<std::string> files;
      for (auto it = fs::directory_iterator(p, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::error_code fec;
        const fs::file_status fst = it->status(fec);  // through symlinks
        if (fs::is_regular_file(fst)) {
          files.push_back(folder + sub + "/" + it->path().filename().string());
        } else if (error && !fs::is_directory(fst)) {
          // A FIFO, socket or device is not read (it could block forever).
          // A symlink to nothing, or an entry whose type cannot be read,
          // is an error too (closed17: both were left out silently — of
          // the scan, and of a redacted copy of the Maildir, exit 0).
          *error = it->path().string() +
                   (fs::exists(fst) ? std::string(": not a regular file; not scanned") : UnfollowedEntryMessage(*it, fec));
        }
      }
      if (ec && error) *error = p.string() + ": " + ec.message() + "; not scanned";
      std::sort(files.begin(), files.end());
      out.insert(out.end(), files.begin(), files.end());
    }
  }
  return out;
}

Result<std::string> ReadMessageFile(const std::string& path, size_t max) {
  auto src = OpenPath(path);
  if (!src) return src.error();
  return ReadAll(**src, path, max);
}

Result<std::string> ReadAll(ByteSource& in, const std::string& path, size_t max) {
  auto too_large = [&] {
    return Error(ErrorCode::kLimit, path + ": message larger than the limit of " + std::to_string(max) +
                                        " bytes (--max-message-size)");
  };
  // A regular file over the limit is refused unread (issue 12 #9: an 85 MB
  // message peaked at 145 MB before it was refused); one within it is read
  // into a buffer of its size.
  const uint64_t hint = in.SizeHint();
  if (hint > max) return too_large();
  std::string out;
  if (hint > 0) out.reserve(static_cast<size_t>(hint) + 1);
  // Never more than max + 1 bytes are held (the byte that proves the input
  // too large). A stream of unknown size grows by doubling the capacity
  // (reserve: not filled) and its size 1 MiB at a time within it (resize
  // fills what it adds), so the peak while growing is the old buffer and
  // the bytes copied, about the limit, not the old buffer and a filled new
  // one of twice its size.
  const size_t limit = max < SIZE_MAX ? max + 1 : max;
  size_t have = 0;
  for (;;) {
    if (have == out.size()) {
      if (out.capacity() <= have) {
        // Straight to the limit when the doubling after this one would pass
        // it (never a copy of a full buffer for the last byte).
        const size_t next = std::max<size_t>(have * 2, 1 << 16);
        out.reserve(next >= limit / 2 ? limit : next);
      }
      size_t room = out.capacity() - have;
      out.resize(have + std::min(limit - have, hint > 0 ? room : std::min<size_t>(room, 1 << 20)));
    }
    auto r = in.Read(out.data() + have, out.size() - have);
    if (!r) return r.error();
    if (*r == 0) break;
    have += *r;
    if (have > max) return too_large();
  }
  out.resize(have);
  return out;
}

Status MboxReader::Fill() { return ReadMore(in_, buf_, head_, eof_); }

// buf_[head_, size) holds the unread input; a message is a view of it (of
// the buffer it took over when large) until the next call.
Result<bool> MboxReader::Next(MboxMessage& m) {
  m.from_line.clear();
  m.text = {};
  m.bytes.clear();
  m.too_large = false;
  m.size = 0;
  auto pending = [&] { return std::string_view(buf_).substr(head_); };
  while (pending().find('\n') == std::string_view::npos && !eof_)
    if (Status s = Fill(); !s.ok()) return s;
  if (pending().empty() && eof_) return false;
  m.index = ++index_;
  if (pending().substr(0, 5) == "From ") {
    size_t nl = pending().find('\n');
    size_t len = nl == std::string_view::npos ? pending().size() : nl + 1;
    m.from_line.assign(pending().substr(0, len));
    head_ += len;
    offset_ += len;
    line_ += 1;
  }
  m.offset = offset_;
  m.line = line_;
  // The message runs to the next line starting "From ".
  size_t scan = 0;       // search position within pending()
  uint64_t dropped = 0;  // bytes of a too-large message already discarded
  for (;;) {
    std::string_view p = pending();
    size_t at = FindAtLineStart(p, scan, "From ");
    if (at != std::string_view::npos) --at;  // the line break before it
    if (at != std::string_view::npos || eof_) {
      size_t len = at != std::string_view::npos ? at + 1 : p.size();
      m.size = dropped + len;
      if (m.size > max_) m.too_large = true;
      line_ += CountNewlines(p.data(), p.data() + len);
      offset_ += len;
      if (!m.too_large && len >= kHandOver) {
        // A large message: the buffer itself becomes the message and the
        // few bytes after it (at most a read) a new buffer; copying it out
        // held it twice (a 60 MB message: 151 MB, issue 12 #9).
        std::string rest(p.substr(len));
        if (head_ > 0) buf_.erase(0, head_);
        buf_.resize(len);
        m.bytes.swap(buf_);
        m.text = m.bytes;
        buf_ = std::move(rest);
        head_ = 0;
        return true;
      }
      if (!m.too_large) m.text = p.substr(0, len);
      head_ += len;
      return true;
    }
    scan = p.size() >= 5 ? p.size() - 5 : 0;
    if (dropped + p.size() > max_) {
      // Too large: keep counting, stop buffering (keep 5 bytes to find a
      // separator that straddles two reads).
      m.too_large = true;
      size_t drop = p.size() > 5 ? p.size() - 5 : 0;
      line_ += CountNewlines(p.data(), p.data() + drop);
      offset_ += drop;
      dropped += drop;
      head_ += drop;
      scan = 0;
    }
    // A large message: the buffer grows by doubling, but straight to the
    // limit (and a read) when the doubling after this one would pass it —
    // doubling past the limit held the full old buffer and its copy, twice
    // the limit, before an over-large message was dropped (149 MB).
    if (p.size() >= kHandOver && buf_.capacity() < head_ + p.size() + kReadAhead) {
      if (head_ > 0) buf_.erase(0, head_);
      head_ = 0;
      const size_t most = max_ + kReadAhead, next = std::max(buf_.capacity() * 2, buf_.size() + kReadAhead);
      buf_.reserve(next >= most / 2 ? std::max(most, buf_.size() + kReadAhead) : next);
    }
    if (Status s = Fill(); !s.ok()) return s;
  }
}

}  // namespace nordpii
