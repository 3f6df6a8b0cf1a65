// SPDX-License-Identifier: Apache-2.0
#include "normalize/legacy_text.h"

#include <algorithm>
#include <cstring>

#include "core/bytes.h"

namespace nordpii {

namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

bool IEndsWith(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && IEquals(s.substr(s.size() - suf.size()), suf);
}

// One line of `text` from `pos`: [pos, content_end) without its line break,
// `next` after it.
struct Line {
  size_t start, end, next;
  std::string_view view(std::string_view t) const { return t.substr(start, end - start); }
};
Line LineAt(std::string_view t, size_t pos) {
  const void* nl = pos < t.size() ? std::memchr(t.data() + pos, '\n', t.size() - pos) : nullptr;
  size_t e = nl ? static_cast<size_t>(static_cast<const char*>(nl) - t.data()) : t.size();
  size_t next = nl ? e + 1 : t.size();
  if (e > pos && t[e - 1] == '\r') --e;
  return {pos, e, next};
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "begin" SP 3 octal digits SP name (blanks between may repeat).
bool BeginLine(std::string_view l, std::string& name) {
  if (l.size() < 10 || l.substr(0, 6) != "begin ") return false;
  size_t i = 6;
  while (i < l.size() && l[i] == ' ') ++i;
  if (i + 3 >= l.size()) return false;
  for (size_t k = 0; k < 3; ++k)
    if (l[i + k] < '0' || l[i + k] > '7') return false;
  i += 3;
  if (l[i] != ' ') return false;
  while (i < l.size() && l[i] == ' ') ++i;
  std::string_view n = TrimRight(l.substr(i));
  name.assign(n.data(), n.size());
  return true;
}

// A data line's decoded length, or -1 when it is not well-formed; 0 for the
// zero-length line ("`", " " or empty when its blank was stripped).
int DataLine(std::string_view l) {
  if (l.empty()) return 0;
  const auto c0 = static_cast<unsigned char>(l[0]);
  if (c0 < 0x20 || c0 > 0x60) return -1;
  const int n = (c0 - 0x20) & 0x3F;
  const size_t chars = l.size() - 1;
  const size_t full = static_cast<size_t>((n + 2) / 3 * 4);  // as encoders write it
  if (n == 0) return chars == 0 ? 0 : -1;
  // Up to 3 trailing blanks stripped on the way (zero bits), or one check
  // character more; any other length is not this line's.
  if (chars + 3 < full || chars > full + 1) return -1;
  for (size_t k = 1; k < l.size(); ++k) {
    const auto c = static_cast<unsigned char>(l[k]);
    if (c < 0x20 || c > 0x60) return -1;
  }
  return n;
}

void DecodeDataLine(std::string_view l, int n, std::string& out) {
  auto v = [&](size_t k) -> unsigned { return k < l.size() ? ((static_cast<unsigned char>(l[k]) - 0x20) & 0x3F) : 0u; };
  int left = n;
  for (size_t k = 1; left > 0; k += 4) {
    const unsigned q = (v(k) << 18) | (v(k + 1) << 12) | (v(k + 2) << 6) | v(k + 3);
    for (int b = 0; b < 3 && left > 0; ++b, --left) out.push_back(static_cast<char>((q >> (16 - 8 * b)) & 0xFF));
  }
}

}  // namespace

bool UuTransferEncoding(std::string_view cte) {
  return cte == "x-uuencode" || cte == "uuencode" || cte == "x-uue" || cte == "x-uu";
}

bool MayHoldUuBlock(std::string_view text) {
  // (FindAtLineStart: 64 bytes a step; glibc's memmem here was 1 % of an
  // mbox scan's instructions.)
  return text.substr(0, 6) == "begin " || FindAtLineStart(text, 0, "begin ") != std::string_view::npos;
}

std::vector<UuBlock> FindUuBlocks(std::string_view t, std::vector<UuMalformed>* malformed) {
  std::vector<UuBlock> out;
  size_t at = t.substr(0, 6) == "begin " ? 0 : FindAtLineStart(t, 0, "begin ");
  while (at != std::string_view::npos && at < t.size()) {
    UuBlock b;
    Line first = LineAt(t, at);
    size_t resume = first.next;
    if (BeginLine(first.view(t), b.name)) {
      b.start = at;
      size_t pos = first.next, last_end = first.end;
      size_t data = 0;
      for (;;) {
        if (pos >= t.size()) break;  // no end line
        Line l = LineAt(t, pos);
        std::string_view v = l.view(t);
        if (TrimRight(v) == "end") {  // some encoders write no zero-length line
          b.ended = true, last_end = l.end, pos = l.next;
          break;
        }
        const int n = DataLine(v);
        if (n < 0) break;  // not a data line: the block stops here
        if (n == 0) {      // the zero-length line: "end" must follow
          if (l.next < t.size()) {
            Line e = LineAt(t, l.next);
            if (TrimRight(e.view(t)) == "end") b.ended = true, last_end = e.end, pos = e.next;
          }
          break;
        }
        DecodeDataLine(v, n, b.bytes);
        ++data;
        last_end = l.end, pos = l.next;
      }
      if (b.ended || data > 0) {
        b.end = last_end;
        resume = pos;
        out.push_back(std::move(b));
      } else if (malformed) {
        malformed->push_back({at});
      }
    }
    // The next begin line at or after `resume` (a line start).
    if (resume >= t.size()) break;
    if (t.substr(resume, 6) == "begin ") {
      at = resume;
      continue;
    }
    at = FindAtLineStart(t, resume, "begin ");
  }
  return out;
}

// A content line whose property is quoted-printable (vCard 2.1, vCalendar
// 1.0: "NOTE;ENCODING=QUOTED-PRINTABLE:" or the bare "NOTE;QUOTED-PRINTABLE:"):
// the parameters before the first ':' on the line starting at `at` name it.
bool QpContentLine(std::string_view in, size_t at) {
  constexpr std::string_view kQp = "quoted-printable";
  const size_t stop = std::min(in.size(), at + 256);
  for (size_t i = at; i < stop && in[i] != ':' && in[i] != '\n'; ++i)
    if (i + kQp.size() <= in.size() && IEquals(in.substr(i, kQp.size()), kQp)) return true;
  return false;
}

Decoded UnfoldContentLines(std::string_view in) {
  Decoded d;
  d.bytes.reserve(in.size());
  size_t pos = 0;
  bool qp = QpContentLine(in, 0);
  for (;;) {
    const void* nl = pos < in.size() ? std::memchr(in.data() + pos, '\n', in.size() - pos) : nullptr;
    if (!nl) break;
    size_t i = static_cast<size_t>(static_cast<const char*>(nl) - in.data());
    size_t s = (i > pos && in[i - 1] == '\r') ? i - 1 : i;
    if (qp && s > pos && in[s - 1] == '=' && i + 1 < in.size()) {
      // A quoted-printable soft line break ('=' CRLF; a blank after it is
      // the value's) goes like a fold: the encoder wraps long values
      // anywhere, also inside an id (before, an id cut so in an Android /
      // Nokia vCard 2.1 export was not found).
      d.bytes.append(in.substr(pos, s - 1 - pos));
      const auto at = static_cast<uint32_t>(d.bytes.size());
      d.map.Add(at, at, static_cast<uint32_t>(s - 1), static_cast<uint32_t>(i + 1));
      pos = i + 1;
    } else if (i + 1 < in.size() && (in[i + 1] == ' ' || in[i + 1] == '\t')) {
      d.bytes.append(in.substr(pos, s - pos));
      const auto at = static_cast<uint32_t>(d.bytes.size());
      d.map.Add(at, at, static_cast<uint32_t>(s), static_cast<uint32_t>(i + 2));
      pos = i + 2;
    } else {
      d.bytes.append(in.substr(pos, i + 1 - pos));
      pos = i + 1;
      qp = QpContentLine(in, pos);
    }
  }
  d.bytes.append(in.substr(pos));
  return d;
}

Decoded UnflowText(std::string_view in, bool delsp) {
  Decoded d;
  // Quote marks ('>'s) at `at`; `after` gets where they end.
  auto depth = [&](size_t at, size_t& after) {
    size_t k = at;
    while (k < in.size() && in[k] == '>') ++k;
    after = k;
    return k - at;
  };
  size_t pos = 0;   // the first byte not yet copied
  size_t line = 0;  // the current line's first byte
  for (;;) {
    const void* nl = line < in.size() ? std::memchr(in.data() + line, '\n', in.size() - line) : nullptr;
    if (!nl) break;
    const size_t i = static_cast<size_t>(static_cast<const char*>(nl) - in.data());
    const size_t s = (i > line && in[i - 1] == '\r') ? i - 1 : i;  // the line's end, before CR LF
    size_t qa = 0;
    const size_t q = depth(line, qa);
    const size_t content = qa + (qa < s && in[qa] == ' ' ? 1 : 0);  // after quote marks and stuffing
    const bool soft = s > content && in[s - 1] == ' ' && in.substr(content, s - content) != "-- " && i + 1 < in.size();
    size_t na = 0;
    if (soft && depth(i + 1, na) == q) {
      const size_t del_begin = delsp ? s - 1 : s;
      const size_t del_end = na + (na < in.size() && in[na] == ' ' ? 1 : 0);
      if (d.bytes.empty()) d.bytes.reserve(in.size());
      d.bytes.append(in.substr(pos, del_begin - pos));
      const auto at = static_cast<uint32_t>(d.bytes.size());
      d.map.Add(at, at, static_cast<uint32_t>(del_begin), static_cast<uint32_t>(del_end));
      pos = del_end;
    }
    line = i + 1;
  }
  if (d.map.identity()) return Decoded{std::string(in), {}, {}, {}};
  d.bytes.append(in.substr(pos));
  return d;
}

std::string RefoldReplacement(std::string_view rep, uint32_t start, uint32_t end, const OffsetMap& unfold,
                              std::string_view source) {
  const auto& ps = unfold.pieces();
  auto it = std::upper_bound(ps.begin(), ps.end(), start,
                             [](uint32_t v, const OffsetMap::Piece& p) { return v < p.dst_begin; });
  std::string out;
  size_t used = 0;
  for (; it != ps.end() && it->dst_begin < end; ++it) {
    if (it->dst_begin != it->dst_end) continue;  // (only deletions: folds)
    const size_t cut = std::min<size_t>(rep.size(), it->dst_begin - start);
    if (cut > used) out.append(rep.substr(used, cut - used)), used = cut;
    out.append(source.substr(it->src_begin, it->src_end - it->src_begin));
  }
  out.append(rep.substr(used));
  return out;
}

bool ContentLinesText(std::string_view name, std::string_view head) {
  for (std::string_view x : {".ics", ".ifb", ".vcs", ".vcf"})
    if (IEndsWith(name, x)) return true;
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  while (!head.empty() && (head[0] == '\r' || head[0] == '\n' || head[0] == ' ' || head[0] == '\t'))
    head.remove_prefix(1);
  Line l = LineAt(head, 0);
  std::string_view v = TrimRight(l.view(head));
  return IEquals(v, "BEGIN:VCALENDAR") || IEquals(v, "BEGIN:VCARD");
}

}  // namespace nordpii
