// SPDX-License-Identifier: Apache-2.0
// Our own structural MIME parser with offsets; see mime.h for why.
#include "mail/mime.h"

#include <algorithm>
#include <cstring>

#include "core/bytes.h"
#include "core/utf8.h"
#include "normalize/transfer_decode.h"

namespace nordpii {

namespace {

// The RFC 2045 token at the start of s (after blank space): up to a space,
// control character or tspecial.
std::string_view MimeToken(std::string_view s) {
  size_t a = 0;
  while (a < s.size() && (s[a] == ' ' || s[a] == '\t')) ++a;
  size_t b = a;
  while (b < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[b]);
    if (c <= 0x20 || c == 0x7F || std::strchr("()<>@,;:\\\"/[]?=", c) != nullptr) break;
    ++b;
  }
  return s.substr(a, b - a);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// A header field name: printable ASCII without ':' or space (RFC 5322 ftext);
// "Name :" (obsolete space before the colon) is accepted.
size_t HeaderNameLength(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] > 32 && line[i] < 127 && line[i] != ':') ++i;
  if (i == 0) return 0;
  size_t j = i;
  while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
  return j < line.size() && line[j] == ':' ? i : 0;
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Parser {
 public:
  Parser(std::string_view raw, const MailLimits& lim, MimeTree& t) : raw_(raw), lim_(lim), t_(t) {}

  void Entity(uint32_t start, uint32_t end, int depth, const std::string& path, bool root) {
    size_t idx = t_.entities.size();
    t_.entities.emplace_back();
    {
      MimeEntity& e = t_.entities[idx];
      e.path = path;
      e.depth = depth;
      e.message_root = root;
      e.start = start;
      e.end = end;
      ReadHeaders(e, root && start == 0);
      DropLongFields(e);
      Interpret(e);
    }
    MimeEntity& e = t_.entities[idx];
    if ((e.type == "multipart" || e.message()) && static_cast<size_t>(depth) >= lim_.max_depth) {
      e.opaque = true;
      t_.truncated = true;
      t_.notes.push_back("nesting deeper than " + std::to_string(lim_.max_depth) + " levels at part " +
                         e.body_path() + ": not parsed further");
      return;
    }
    if (e.multipart()) {
      Multipart(idx, depth);
    } else if (e.message()) {
      if (e.encoding != "7bit" && e.encoding != "8bit" && e.encoding != "binary") {
        t_.entities[idx].opaque = true;  // RFC 2046 forbids other encodings here
        t_.truncated = true;             // its parts were not looked at: fail closed
        t_.notes.push_back("message/rfc822 with " + e.encoding + " encoding at part " + e.path +
                           ": not parsed further");
        return;
      }
      if (!Room(idx)) return;
      uint32_t b = e.body, en = e.end;
      std::string p = e.path;
      size_t child = t_.entities.size();
      t_.entities[idx].children.push_back(child);
      Entity(b, en, depth + 1, p, true);
    }
  }

  // What Entity(0, size, 0, "", true) makes of entities[0]'s header block.
  void TopHeaders(MimeEntity& e) {
    e.message_root = true;
    e.start = 0;
    e.end = static_cast<uint32_t>(raw_.size());
    ReadHeaders(e, true);
    DropLongFields(e);
  }

 private:
  bool Room(size_t idx) {
    if (t_.entities.size() < lim_.max_parts) return true;
    t_.entities[idx].opaque = true;
    t_.truncated = true;
    if (!limit_noted_) {
      t_.notes.push_back("more than " + std::to_string(lim_.max_parts) + " parts: the rest is not parsed");
      limit_noted_ = true;
    }
    return false;
  }

  // Line [p, line_end) with the break [line_end, next).
  void NextLine(uint32_t p, uint32_t end, uint32_t& line_end, uint32_t& next) const {
    const void* nl = std::memchr(raw_.data() + p, '\n', end - p);
    if (!nl) {
      line_end = next = end;
      return;
    }
    next = static_cast<uint32_t>(static_cast<const char*>(nl) - raw_.data()) + 1;
    line_end = next - 1;
    if (line_end > p && raw_[line_end - 1] == '\r') --line_end;
  }

  void ReadHeaders(MimeEntity& e, bool top) {
    uint32_t p = e.start;
    e.body = e.end;
    bool first = true, over = false;
    while (p < e.end) {
      uint32_t le, next;
      NextLine(p, e.end, le, next);
      std::string_view line = raw_.substr(p, le - p);
      if (line.empty()) {  // the blank line that ends the header block
        e.body = next;
        return;
      }
      if (over && line[0] != ' ' && line[0] != '\t' && HeaderNameLength(line)) {
        // Past the header field limit: the block's end is still found, its
        // fields not kept (nor scanned: the message is incomplete).
      } else if (over && (line[0] == ' ' || line[0] == '\t')) {
      } else if (!over && e.headers.size() >= lim_.max_header_fields && line[0] != ' ' && line[0] != '\t' &&
                 HeaderNameLength(line)) {
        over = true;
        t_.truncated = true;
        t_.notes.push_back("more than " + std::to_string(lim_.max_header_fields) + " header fields at part " +
                           e.body_path() + ": the rest is not scanned");
      } else if ((line[0] == ' ' || line[0] == '\t') && !e.headers.empty()) {
        e.headers.back().end = le;
        e.headers.back().next = next;
      } else if (size_t n = HeaderNameLength(line)) {
        HeaderField h;
        h.name.assign(line.substr(0, n));
        h.start = p;
        h.value = p + static_cast<uint32_t>(line.find(':')) + 1;
        h.end = le;
        h.next = next;
        e.headers.push_back(std::move(h));
      } else if (top && first && line.substr(0, 5) == "From ") {
        // an mbox envelope line left at the top of a .eml file: not a header
      } else {
        e.body = p;  // not a header: the body starts here (no blank line)
        if (!line.empty()) t_.notes.push_back("header block ended without a blank line at part " + e.path);
        return;
      }
      first = false;
      p = next;
    }
  }

  // A header field over max_header_bytes (folded lines included) is not
  // kept, nor scanned: unfolding and decoding it cost several times its size
  // (one 60 MB Subject: 214 MB scan, 414 MB redact; of encoded words: 330 /
  // 563 MB). The message is incomplete.
  void DropLongFields(MimeEntity& e) {
    size_t kept = 0;
    for (size_t i = 0; i < e.headers.size(); ++i) {
      if (e.headers[i].next - e.headers[i].start <= lim_.max_header_bytes) {
        if (kept != i) e.headers[kept] = std::move(e.headers[i]);
        ++kept;
        continue;
      }
      t_.truncated = true;
      t_.notes.push_back("a header field of " + std::to_string(e.headers[i].next - e.headers[i].start) +
                         " bytes at part " + e.body_path() + ", over the header field limit (" +
                         std::to_string(lim_.max_header_bytes) + " bytes): not scanned");
    }
    e.headers.resize(kept);
  }

  void Interpret(MimeEntity& e) {
    if (const HeaderField* h = e.Find("Content-Type")) {
      HeaderParams ct = ParseParams(UnfoldHeader(raw_.substr(h->value, h->end - h->value)));
      size_t slash = ct.value.find('/');
      if (slash != std::string::npos && slash > 0 && slash + 1 < ct.value.size()) {
        // type "/" subtype are RFC 2045 tokens: anything after the subtype's
        // token ("text/plain junk 1234") is not part of it (a redaction in
        // the junk must not change the part's type).
        e.type = std::string(MimeToken(std::string_view(ct.value).substr(0, slash)));
        e.subtype = std::string(MimeToken(std::string_view(ct.value).substr(slash + 1)));
      }
      e.charset = AsciiLower(ct.Get("charset"));
      e.boundary = ct.Get("boundary");
      e.filename = ct.Get("name");
    } else if (!e.message_root && e.depth > 0 && parent_digest_) {
      e.type = "message";
      e.subtype = "rfc822";
    }
    if (const HeaderField* h = e.Find("Content-Transfer-Encoding"))
      e.encoding = AsciiLower(Trim(UnfoldHeader(raw_.substr(h->value, h->end - h->value))));
    if (const HeaderField* h = e.Find("Content-Disposition")) {
      HeaderParams cd = ParseParams(UnfoldHeader(raw_.substr(h->value, h->end - h->value)));
      e.disposition = cd.value;
      std::string fn = cd.Get("filename");
      if (!fn.empty()) e.filename = fn;
    }
    if (e.type == "multipart" && e.boundary.empty()) {
      t_.notes.push_back("multipart without boundary at part " + e.body_path() + ": read as text/plain");
      e.type = "text";
      e.subtype = "plain";
    }
  }

  void Multipart(size_t idx, int depth) {
    const std::string delim = "--" + t_.entities[idx].boundary;
    const uint32_t body = t_.entities[idx].body, end = t_.entities[idx].end;
    const bool digest = t_.entities[idx].subtype == "digest";
    const std::string path = t_.entities[idx].path;
    int n = 0;
    bool open = false;  // inside a part that started at part_start
    uint32_t part_start = 0;
    bool closed = false;
    bool seen = false;  // a delimiter line was found
    t_.entities[idx].preamble_end = body;
    t_.entities[idx].epilogue = end;
    // Delimiter lines: "--boundary" at the body's start or after a line break.
    const std::string_view within = raw_.substr(0, end);
    for (uint32_t p = body; p < end;) {
      size_t found = (p == body && within.substr(body).substr(0, delim.size()) == delim)
                         ? body
                         : FindAtLineStart(within, p, delim);
      if (found == std::string_view::npos) break;
      uint32_t at = static_cast<uint32_t>(found);
      uint32_t le, next;
      NextLine(at, end, le, next);
      if (at != body && raw_[at - 1] != '\n') {  // not at a line start
        p = at + 1;
        continue;
      }
      std::string_view rest = raw_.substr(at + delim.size(), le - at - delim.size());
      bool close = rest.substr(0, 2) == "--";
      if (close) rest.remove_prefix(2);
      if (Trim(rest).empty()) {
        if (!seen) {  // the preamble ends before the line break that precedes the delimiter
          seen = true;
          uint32_t pe = at;
          if (pe > body && raw_[pe - 1] == '\n') --pe;
          if (pe > body && raw_[pe - 1] == '\r') --pe;
          t_.entities[idx].preamble_end = pe;
        }
        if (open) {
          uint32_t pe = at;  // the line break before a delimiter belongs to it
          if (pe > part_start && raw_[pe - 1] == '\n') --pe;
          if (pe > part_start && raw_[pe - 1] == '\r') --pe;
          if (!AddChild(idx, part_start, pe, depth, path, ++n, digest)) return;
        }
        if (close) {
          closed = true;
          t_.entities[idx].epilogue = next;
          break;
        }
        open = true;
        part_start = next;
      }
      p = next;
    }
    if (!seen) {
      // No delimiter line at all: the body is not split into parts. Mail
      // clients (and Python's email package) show it as text; so do we, so
      // that it is scanned and redacted like any text/plain part.
      MimeEntity& e = t_.entities[idx];
      e.type = "text";
      e.subtype = "plain";
      t_.notes.push_back("multipart at part " + e.body_path() + " has no delimiter line: read as text/plain");
      e.boundary.clear();
      e.preamble_end = e.epilogue = 0;
      return;
    }
    if (open && !closed) {
      t_.notes.push_back("multipart at part " + t_.entities[idx].body_path() + " has no closing delimiter");
      AddChild(idx, part_start, end, depth, path, ++n, digest);
    }
    if (n == 0) t_.notes.push_back("multipart at part " + t_.entities[idx].body_path() + " has no parts");
  }

  bool AddChild(size_t idx, uint32_t s, uint32_t e, int depth, const std::string& path, int n, bool digest) {
    if (!Room(idx)) return false;
    size_t child = t_.entities.size();
    t_.entities[idx].children.push_back(child);
    bool saved = parent_digest_;
    parent_digest_ = digest;
    Entity(s, std::max(s, e), depth + 1, path.empty() ? std::to_string(n) : path + "." + std::to_string(n), false);
    parent_digest_ = saved;
    return true;
  }

  std::string_view raw_;
  const MailLimits& lim_;
  MimeTree& t_;
  bool limit_noted_ = false;
  bool parent_digest_ = false;
};

}  // namespace

std::string MimeEntity::body_path() const {
  if (message_root && !multipart() && !message()) return path.empty() ? "1" : path + ".1";
  return path;
}

const HeaderField* MimeEntity::Find(std::string_view name) const {
  for (const HeaderField& h : headers)
    if (EqualsNoCase(Trim(h.name), name)) return &h;
  return nullptr;
}

std::string UnfoldHeader(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\r' && i + 1 < v.size() && v[i + 1] == '\n') continue;
    if (v[i] == '\n') continue;
    out.push_back(v[i]);
  }
  return out;
}

HeaderParams ParseParams(std::string_view s) {
  HeaderParams hp;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  };
  // The value: up to the first ';' outside quotes.
  bool q = false;
  size_t v0 = i;
  for (; i < s.size(); ++i) {
    if (s[i] == '"') q = !q;
    else if (s[i] == '\\' && q) ++i;
    else if (s[i] == ';' && !q) break;
  }
  hp.value = AsciiLower(Trim(s.substr(v0, std::min(i, s.size()) - v0)));
  while (i < s.size()) {
    ++i;  // ';'
    skip_ws();
    size_t n0 = i;
    while (i < s.size() && s[i] != '=' && s[i] != ';') ++i;
    std::string name = AsciiLower(Trim(s.substr(n0, i - n0)));
    std::string value;
    if (i < s.size() && s[i] == '=') {
      ++i;
      skip_ws();
      if (i < s.size() && s[i] == '"') {
        ++i;
        while (i < s.size() && s[i] != '"') {
          if (s[i] == '\\' && i + 1 < s.size()) ++i;
          value.push_back(s[i++]);
        }
        if (i < s.size()) ++i;  // closing quote
        while (i < s.size() && s[i] != ';') ++i;
      } else {
        size_t a = i;
        while (i < s.size() && s[i] != ';') ++i;
        value = std::string(Trim(s.substr(a, i - a)));
      }
    }
    if (!name.empty()) hp.params.emplace_back(std::move(name), std::move(value));
  }
  return hp;
}

std::string HeaderParams::Get(std::string_view name) const {
  std::string plain;
  bool have_plain = false;
  // RFC 2231: name*=charset'lang'%XX..., name*0=..., name*1*=%XX...
  std::vector<std::pair<int, std::pair<bool, std::string>>> segs;
  for (const auto& [n, v] : params) {
    if (n == name) {
      if (!have_plain) plain = v, have_plain = true;
      continue;
    }
    if (n.size() <= name.size() || n.compare(0, name.size(), name) != 0 || n[name.size()] != '*') continue;
    std::string_view rest = std::string_view(n).substr(name.size() + 1);
    bool ext = !rest.empty() && rest.back() == '*';
    if (ext) rest.remove_suffix(1);
    int idx = 0;
    if (!rest.empty()) {
      if (rest.size() > 3) continue;
      idx = 0;
      for (char c : rest) {
        if (c < '0' || c > '9') { idx = -1; break; }
        idx = idx * 10 + (c - '0');
      }
      if (idx < 0) continue;
    } else {
      ext = true;  // "name*=" is always extended
    }
    segs.push_back({idx, {ext, v}});
  }
  if (segs.empty()) {
    if (plain.find("=?") != std::string::npos) return DecodeEncodedWords(plain).bytes;
    return plain;
  }
  std::sort(segs.begin(), segs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string charset, bytes;
  for (size_t k = 0; k < segs.size(); ++k) {
    std::string_view v = segs[k].second.second;
    bool ext = segs[k].second.first;
    if (ext && k == 0) {  // charset'language'value
      size_t a = v.find('\''), b = a == std::string_view::npos ? a : v.find('\'', a + 1);
      if (b != std::string_view::npos) {
        charset = AsciiLower(v.substr(0, a));
        v = v.substr(b + 1);
      }
    }
    for (size_t i = 0; i < v.size(); ++i) {
      if (ext && v[i] == '%' && i + 2 < v.size() + 0 && HexVal(v[i + 1]) >= 0 && HexVal(v[i + 2]) >= 0) {
        bytes.push_back(static_cast<char>(HexVal(v[i + 1]) * 16 + HexVal(v[i + 2])));
        i += 2;
      } else {
        bytes.push_back(v[i]);
      }
    }
  }
  return ToUtf8(bytes, charset.empty() ? "utf-8" : charset).bytes;
}

MimeTree ParseMime(std::string_view raw, const MailLimits& limits) {
  MimeTree t;
  t.raw = raw;
  const void* nl = std::memchr(raw.data(), '\n', raw.size());
  if (nl && nl != raw.data() && static_cast<const char*>(nl)[-1] == '\r') t.eol = "\r\n";
  if (raw.size() > 0xFFFFFFF0u) {  // offsets are 32-bit; callers cap far below
    t.entities.emplace_back();
    t.entities[0].opaque = true;
    t.entities[0].end = 0;
    t.truncated = true;
    t.notes.push_back("message too large to parse");
    return t;
  }
  Parser(raw, limits, t).Entity(0, static_cast<uint32_t>(raw.size()), 0, "", true);
  return t;
}

MimeEntity ParseTopHeaders(std::string_view raw, const MailLimits& limits) {
  MimeEntity e;
  if (raw.size() > 0xFFFFFFF0u) {  // as ParseMime: an opaque entity without headers
    e.opaque = true;
    return e;
  }
  MimeTree t;
  t.raw = raw;
  Parser(raw, limits, t).TopHeaders(e);
  return e;
}

}  // namespace nordpii
