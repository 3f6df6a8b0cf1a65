#include "input/mail_source.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace nordpii {

Result<InputFormat> ParseInputFormat(const std::string& n) {
  if (n == "text") return InputFormat::kText;
  if (n == "eml") return InputFormat::kEml;
  if (n == "mbox") return InputFormat::kMbox;
  if (n == "maildir") return InputFormat::kMaildir;
  return Error(ErrorCode::kInvalidArgument, "unknown input format '" + n + "'");
}

const char* InputFormatName(InputFormat f) {
  switch (f) {
    case InputFormat::kEml: return "eml";
    case InputFormat::kMbox: return "mbox";
    case InputFormat::kMaildir: return "maildir";
    default: return "text";
  }
}

bool IsMaildir(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) &&
         (fs::is_directory(fs::path(path) / "cur", ec) || fs::is_directory(fs::path(path) / "new", ec));
}

std::vector<std::string> MaildirFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const char* sub : {"cur", "new"}) {
    std::error_code ec;
    fs::path p = fs::path(dir) / sub;
    if (!fs::is_directory(p, ec)) continue;
    std::vector<std::string> files;
    for (auto it = fs::directory_iterator(p, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
      if (it->is_regular_file(ec)) files.push_back(std::string(sub) + "/" + it->path().filename().string());
    std::sort(files.begin(), files.end());
    out.insert(out.end(), files.begin(), files.end());
  }
  return out;
}

namespace {

size_t HeaderName(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] > 32 && line[i] < 127 && line[i] != ':') ++i;
  return i > 0 && i < line.size() && line[i] == ':' ? i : 0;
}

bool TypicalHeader(std::string_view name) {
  static const char* const kNames[] = {"from", "to", "subject", "date", "message-id", "received",
                                       "mime-version", "content-type", "return-path", "delivered-to"};
  std::string l(name);
  for (char& c : l)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  for (const char* k : kNames)
    if (l == k) return true;
  return false;
}

// At least two header lines at the start (continuations allowed), one of
// them a typical mail header.
bool LooksLikeHeaders(std::string_view s) {
  int fields = 0;
  bool typical = false;
  size_t p = 0;
  while (p < s.size()) {
    size_t e = s.find('\n', p);
    if (e == std::string_view::npos) break;  // an incomplete line: stop looking
    std::string_view line = s.substr(p, e - p);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      if (fields == 0) return false;
    } else if (size_t n = HeaderName(line)) {
      ++fields;
      typical = typical || TypicalHeader(line.substr(0, n));
    } else {
      return false;
    }
    p = e + 1;
  }
  return fields >= 2 && typical;
}

}  // namespace

InputFormat DetectInputFormat(const std::string& path) {
  if (path == "-") return InputFormat::kText;
  if (IsMaildir(path)) return InputFormat::kMaildir;
  std::ifstream f(path, std::ios::binary);
  char buf[8192];
  f.read(buf, sizeof buf);
  std::string_view s(buf, static_cast<size_t>(f.gcount()));
  if (s.substr(0, 5) == "From ") {
    size_t nl = s.find('\n');
    if (nl != std::string_view::npos && LooksLikeHeaders(s.substr(nl + 1))) return InputFormat::kMbox;
  }
  std::string ext = fs::path(path).extension().string();
  for (char& c : ext)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (ext == ".eml") return InputFormat::kEml;
  if (LooksLikeHeaders(s)) return InputFormat::kEml;
  return InputFormat::kText;
}

Result<std::string> ReadMessageFile(const std::string& path, size_t max) {
  auto src = OpenPath(path);
  if (!src) return src.error();
  std::string out;
  size_t have = 0;
  for (;;) {
    out.resize(have + (1 << 16));
    auto r = (*src)->Read(out.data() + have, out.size() - have);
    if (!r) return r.error();
    if (*r == 0) break;
    have += *r;
    if (have > max)
      return Error(ErrorCode::kLimit, path + ": message larger than the limit of " + std::to_string(max) +
                                          " bytes (--max-message-size)");
  }
  out.resize(have);
  return out;
}

Status MboxReader::Fill() {
  size_t have = buf_.size();
  buf_.resize(have + (1 << 20));
  auto r = in_.Read(buf_.data() + have, 1 << 20);
  if (!r) {
    buf_.resize(have);
    return r.error();
  }
  buf_.resize(have + *r);
  if (*r == 0) eof_ = true;
  return Status::Ok();
}

Result<bool> MboxReader::Next(MboxMessage& m) {
  m = MboxMessage();
  // The separator line, when the mbox (or this message) starts with one.
  while (buf_.find('\n') == std::string::npos && !eof_)
    if (Status s = Fill(); !s.ok()) return s;
  if (buf_.empty() && eof_) return false;
  m.index = ++index_;
  if (buf_.compare(0, 5, "From ") == 0) {
    size_t nl = buf_.find('\n');
    size_t len = nl == std::string::npos ? buf_.size() : nl + 1;
    m.from_line = buf_.substr(0, len);
    buf_.erase(0, len);
    offset_ += len;
    line_ += 1;
  }
  started_ = true;
  m.offset = offset_;
  m.line = line_;
  // The message runs to the next line starting "From ".
  size_t scan = 0;
  uint64_t dropped = 0;  // bytes of a too-large message already discarded
  for (;;) {
    size_t at = buf_.find("\nFrom ", scan);
    if (at != std::string::npos) {
      size_t len = at + 1;
      m.size = dropped + len;
      if (m.size > max_) m.too_large = true;
      if (!m.too_large) m.bytes = buf_.substr(0, len);
      line_ += static_cast<uint64_t>(std::count(buf_.begin(), buf_.begin() + static_cast<long>(len), '\n'));
      buf_.erase(0, len);
      offset_ += len;
      return true;
    }
    if (eof_) {
      m.size = dropped + buf_.size();
      if (m.size > max_) m.too_large = true;
      if (!m.too_large) m.bytes = buf_;
      line_ += static_cast<uint64_t>(std::count(buf_.begin(), buf_.end(), '\n'));
      offset_ += buf_.size();
      buf_.clear();
      return true;
    }
    scan = buf_.size() >= 5 ? buf_.size() - 5 : 0;
    if (dropped + buf_.size() > max_) {
      // Too large: keep counting, but stop buffering (keep 5 bytes to find
      // a separator that straddles two reads).
      m.too_large = true;
      size_t drop = buf_.size() > 5 ? buf_.size() - 5 : 0;
      line_ += static_cast<uint64_t>(std::count(buf_.begin(), buf_.begin() + static_cast<long>(drop), '\n'));
      offset_ += drop;
      dropped += drop;
      buf_.erase(0, drop);
      scan = 0;
    }
    if (Status s = Fill(); !s.ok()) return s;
  }
}

}  // namespace nordpii
