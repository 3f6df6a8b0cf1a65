// SPDX-License-Identifier: Apache-2.0
#include "input/input_format.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/bytes.h"
#include "core/utf8.h"
#include "input/mail_source.h"

namespace fs = std::filesystem;

namespace nordpii {

Result<InputFormat> ParseInputFormat(const std::string& n) {
  if (n == "text") return InputFormat::kText;
  if (n == "eml") return InputFormat::kEml;
  if (n == "mbox") return InputFormat::kMbox;
  if (n == "maildir") return InputFormat::kMaildir;
  if (n == "jsonl") return InputFormat::kJsonl;
  if (n == "json") return InputFormat::kJson;
  if (n == "csv") return InputFormat::kCsv;
  return Error(ErrorCode::kInvalidArgument, "unknown input format '" + n + "'");
}

const char* InputFormatName(InputFormat f) {
  switch (f) {
    case InputFormat::kEml: return "eml";
    case InputFormat::kMbox: return "mbox";
    case InputFormat::kMaildir: return "maildir";
    case InputFormat::kJsonl: return "jsonl";
    case InputFormat::kJson: return "json";
    case InputFormat::kCsv: return "csv";
    case InputFormat::kArchive: return "archive";
    default: return "text";
  }
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
  std::string l = AsciiLower(name);
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
  if (path == "-" || IsStream(path)) return InputFormat::kText;  // never opened twice
  if (IsMaildir(path)) return InputFormat::kMaildir;
  std::ifstream f(path, std::ios::binary);
  char buf[8192];
  f.read(buf, sizeof buf);
  return DetectFormatOf(path, std::string_view(buf, static_cast<size_t>(f.gcount())));
}

Result<OpenedInput> OpenInput(const std::string& path, const std::string& forced) {
  OpenedInput in;
  if (forced != "auto") {
    auto f = ParseInputFormat(forced);
    if (!f) return f.error();
    in.format = *f;
  }
  auto src = OpenPath(path);
  if (!src) return src.error();
  in.source = std::move(*src);
  // The format (and a UTF-16 encoding) from the first bytes of the stream
  // opened — a file, stdin, a pipe alike — which the source then replays:
  // nothing is opened or read twice.
  std::string head(8192, '\0');
  size_t have = 0;
  while (have < head.size()) {
    auto r = in.source->Read(head.data() + have, head.size() - have);
    if (!r) return r.error();
    if (*r == 0) break;
    have += *r;
  }
  head.resize(have);
  in.head = head.substr(0, 1024);
  if (forced == "auto") in.format = DetectFormatOf(path, head);
  // Mail is bytes with its own charsets (never re-encoded as a whole).
  if (in.format != InputFormat::kEml && in.format != InputFormat::kMbox && in.format != InputFormat::kMaildir &&
      in.format != InputFormat::kArchive)
    in.utf16 = SniffUtf16(head);
  in.source = WithPrefix(std::move(head), std::move(in.source));
  return in;
}

InputFormat DetectFormatOf(const std::string& path, std::string_view s) {
  if (Utf16Kind k = SniffUtf16(s); k.utf16) {
    // UTF-16 text: recognised by what it says once decoded (a UTF-16 TSV
    // is a CSV export, JSON is JSON); never mail or an archive.
    std::string head;
    Utf16ToUtf8(s.substr(k.bom ? 2 : 0), k.big_endian, head);
    InputFormat f = DetectFormatOf(path, head);
    return f == InputFormat::kEml || f == InputFormat::kMbox || f == InputFormat::kArchive ? InputFormat::kText : f;
  }
  const std::string lower = AsciiLower(path);
  for (const char* a : {".tar", ".tar.gz", ".tgz", ".zip", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".gz",
                        ".xz", ".bz2", ".zst"})
    if (lower.size() > std::strlen(a) && lower.compare(lower.size() - std::strlen(a), std::strlen(a), a) == 0)
      return InputFormat::kArchive;
  // zip, tar, and the compressions libarchive reads (gzip, xz, bzip2, zstd):
  // never read as text (an id inside would pass unseen).
  if (s.substr(0, 4) == "PK\x03\x04" || (s.size() > 262 && s.substr(257, 5) == "ustar") ||
      s.substr(0, 2) == "\x1f\x8b" || s.substr(0, 6) == std::string_view("\xFD" "7zXZ\x00", 6) ||
      (s.substr(0, 3) == "BZh" && s.size() > 3 && s[3] >= '1' && s[3] <= '9') || s.substr(0, 4) == "\x28\xB5\x2F\xFD")
    return InputFormat::kArchive;
  const std::string ext = fs::path(lower).extension().string();
  if (s.substr(0, 5) == "From ") {
    size_t nl = s.find('\n');
    if (nl != std::string_view::npos && LooksLikeHeaders(s.substr(nl + 1))) return InputFormat::kMbox;
    // Named as one ("box.mbox", "mbox"): an mbox whatever its first message's
    // headers look like (one header line was read as text: its base64 parts
    // not decoded; review22).
    if (ext == ".mbox" || fs::path(lower).filename() == "mbox") return InputFormat::kMbox;
  }
  if (ext == ".eml") return InputFormat::kEml;
  if (ext == ".jsonl" || ext == ".ndjson") return InputFormat::kJsonl;
  if (ext == ".csv" || ext == ".tsv") return InputFormat::kCsv;
  size_t first = s.find_first_not_of(" \t\r\n");
  if (s.substr(0, 3) == "\xEF\xBB\xBF") first = s.find_first_not_of(" \t\r\n", 3);
  if (ext == ".json") {
    // One object per line is JSON Lines even when named .json.
    size_t nl = s.find('\n', first == std::string_view::npos ? 0 : first);
    std::string_view line = s.substr(first == std::string_view::npos ? 0 : first, nl == std::string_view::npos ? std::string_view::npos : nl - first);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty() && line.front() == '{' && line.back() == '}' && nl != std::string_view::npos) return InputFormat::kJsonl;
    return InputFormat::kJson;
  }
  if (first != std::string_view::npos && s[first] == '[') return InputFormat::kJson;
  if (first != std::string_view::npos && s[first] == '{') {
    size_t nl = s.find('\n', first);
    std::string_view line = s.substr(first, nl == std::string_view::npos ? std::string_view::npos : nl - first);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty() && line.back() == '}') return InputFormat::kJsonl;
    return InputFormat::kJson;
  }
  if (LooksLikeHeaders(s)) return InputFormat::kEml;
  return InputFormat::kText;
}

Result<InputStream> OpenInputStream(const std::string& path, const std::string& forced) {
  auto opened = OpenInput(path, forced);
  if (!opened) return opened.error();
  InputStream in;
  in.format = opened->format;
  in.utf16 = opened->utf16;
  in.head = std::move(opened->head);
  in.source = std::move(opened->source);
  return in;
}

Status DecodeUtf16(InputStream& in, const std::string& path, size_t max_whole) {
  if (!in.utf16.utf16 || in.decoded) return Status::Ok();
  auto raw = ReadAll(*in.source, path, max_whole);
  if (!raw) return raw.error();
  in.raw_size = raw->size();
  in.decoded = std::make_unique<std::string>();
  const size_t bom = in.utf16.bom ? 2 : 0;
  Utf16ToUtf8(std::string_view(*raw).substr(std::min(bom, raw->size())), in.utf16.big_endian, *in.decoded);
  in.source = StringSource(*in.decoded, path);
  return Status::Ok();
}

}  // namespace nordpii
