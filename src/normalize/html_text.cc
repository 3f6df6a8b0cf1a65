// SPDX-License-Identifier: Apache-2.0
// The only Gumbo user.
#include "normalize/html_text.h"

#include <gumbo.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "core/utf8.h"

namespace nordpii {
namespace {

bool IsSpaceChar(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
  return -1;
}

// What an event with text is: a visible text node, or text that is not shown
// but is in the message all the same — a text-bearing attribute value, a URL
// attribute (percent-encoding decoded too), a comment, the content of a
// hidden element — written on a line of its own so that it neither joins
// nor splits the visible text around it.
// Not shown either, and scanned as documents of their own (Decoded::
// separate): the raw text of a script or style sheet (kRaw: copied as it is,
// entities are not decoded there) and the start of such a document (kSeg:
// no text, length 1 if the document is code — a script's or style sheet's
// text — else 0; the events up to the next kSeg are one document).
enum : uint8_t { kVisible = 0, kAttr = 1, kUrl = 2, kAside = 3, kRaw = 4, kSeg = 5 };

struct Event {
  uint32_t offset;       // source offset
  uint32_t length;       // text: raw length; separator: 0
  const char* sep;       // separator text, or nullptr for a text node
  uint8_t kind = kVisible;
  bool operator<(const Event& o) const { return offset < o.offset; }
};

// Text that is not shown (attributes, comments, hidden elements) is emitted
// only when it holds at least this many digits (ASCII or full-width, numeric
// character references, %3X in URLs): identifiers have more, and ordinary markup (widths, MSO
// conditional comments, colours) stays out of the scanned text.
constexpr size_t kAsideDigits = 6;
bool AsideWorthy(std::string_view raw) {
  size_t d = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] >= '0' && raw[i] <= '9') ++d;
    else if (raw[i] == '&' && i + 1 < raw.size() && raw[i + 1] == '#') ++d;  // a character reference
    else if (raw[i] == '%' && i + 2 < raw.size() && raw[i + 1] == '3' && raw[i + 2] >= '0' && raw[i + 2] <= '9')
      ++d;  // %30-%39 in a URL
    else if (static_cast<unsigned char>(raw[i]) == 0xEF && i + 2 < raw.size() &&
             static_cast<unsigned char>(raw[i + 1]) == 0xBC && (static_cast<unsigned char>(raw[i + 2]) & 0xF0) == 0x90 &&
             (static_cast<unsigned char>(raw[i + 2]) & 0x0F) <= 9)
      ++d;  // a full-width digit (U+FF10-FF19)
    if (d >= kAsideDigits) return true;
  }
  return false;
}

// Attributes whose values are text people write or read (alt text, titles,
// form values, data attributes, an iframe's srcdoc) or URLs (mailto: and
// query strings).
uint8_t AttrKind(std::string_view name) {
  // By length and first letter first: most attributes (class, style, lang,
  // width, ...) are rejected without a comparison.
  const size_t n = name.size();
  if (n < 3) return kVisible;
  auto eq = [&](const char* w) {
    for (size_t j = 0; j < n; ++j)
      if ((name[j] | 0x20) != w[j]) return false;
    return true;
  };
  switch (name[0] | 0x20) {
    case 'a':
      if (n == 3) return eq("alt") ? kAttr : kVisible;
      if (n == 4) return eq("abbr") ? kAttr : kVisible;
      if (n == 6) return eq("action") ? kUrl : kVisible;
      if (n == 10) return eq("aria-label") ? kAttr : kVisible;
      return kVisible;
    case 'b': return n == 10 && eq("background") ? kUrl : kVisible;
    case 'c':
      if (n == 4) return eq("cite") ? kUrl : kVisible;
      if (n == 7) return eq("content") ? kAttr : kVisible;
      return kVisible;
    case 'd': return n > 5 && (name[1] | 0x20) == 'a' && (name[2] | 0x20) == 't' && (name[3] | 0x20) == 'a' &&
                     name[4] == '-' ? kAttr : kVisible;
    case 'h': return n == 4 && eq("href") ? kUrl : kVisible;
    case 'l': return n == 5 && eq("label") ? kAttr : kVisible;
    case 'p': return n == 11 && eq("placeholder") ? kAttr : kVisible;
    case 's':
      if (n == 3) return eq("src") ? kUrl : kVisible;
      if (n == 6) return eq("srcdoc") ? kAttr : kVisible;  // an iframe's shown document (its HTML escaped)
      if (n == 7) return eq("summary") ? kAttr : kVisible;
      return kVisible;
    case 't': return n == 5 && eq("title") ? kAttr : kVisible;
    case 'v': return n == 5 && eq("value") ? kAttr : kVisible;
    default: return kVisible;
  }
}

bool EqNoCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (static_cast<char>(a[i] | ((a[i] >= 'A' && a[i] <= 'Z') ? 0x20 : 0)) != lower[i]) return false;
  return true;
}

bool FindNoCase(std::string_view hay, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t k = 0;
    while (k < needle.size() && (hay[i + k] | 0x20) == (needle[k] | 0x20)) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsSpaceChar(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpaceChar(s.back())) s.remove_suffix(1);
  return s;
}

// An inline style that hides the element: display:none, visibility:hidden,
// mso-hide:all (each declaration's property and value, any case).
bool HidingStyle(std::string_view style) {
  // Cheap test first: some declaration value starts with n, h or a.
  // (A plain byte loop: style values are short, a library call per ':'
  // cost more than the loop.)
  bool maybe = false;
  for (size_t c = 0; c + 1 < style.size() && !maybe; ++c) {
    if (style[c] != ':') continue;
    size_t v = c + 1;
    while (v < style.size() && IsSpaceChar(style[v])) ++v;
    char f = v < style.size() ? static_cast<char>(style[v] | 0x20) : 0;
    maybe = f == 'n' || f == 'h' || f == 'a';
  }
  if (!maybe) return false;
  size_t i = 0;
  while (i < style.size()) {
    size_t semi = style.find(';', i);
    if (semi == std::string_view::npos) semi = style.size();
    std::string_view decl = style.substr(i, semi - i);
    size_t colon = decl.find(':');
    if (colon != std::string_view::npos) {
      std::string_view prop = TrimSpace(decl.substr(0, colon)), val = TrimSpace(decl.substr(colon + 1));
      if (val.size() > 10 && val.substr(val.size() - 10) == "!important") val = TrimSpace(val.substr(0, val.size() - 10));
      if ((EqNoCase(prop, "display") && EqNoCase(val, "none")) ||
          (EqNoCase(prop, "visibility") && EqNoCase(val, "hidden")) || (EqNoCase(prop, "mso-hide") && EqNoCase(val, "all")))
        return true;
    }
    i = semi + 1;
  }
  return false;
}

bool Skipped(GumboTag t) {
  return t == GUMBO_TAG_SCRIPT || t == GUMBO_TAG_STYLE || t == GUMBO_TAG_TEMPLATE ||
         t == GUMBO_TAG_HEAD || t == GUMBO_TAG_NOFRAMES;
}

bool Block(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_LI: case GUMBO_TAG_UL: case GUMBO_TAG_OL:
    case GUMBO_TAG_TR: case GUMBO_TAG_TABLE: case GUMBO_TAG_H1: case GUMBO_TAG_H2:
    case GUMBO_TAG_H3: case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6:
    case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_PRE: case GUMBO_TAG_HR: case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE: case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER: case GUMBO_TAG_DD:
    case GUMBO_TAG_DT: case GUMBO_TAG_DL: case GUMBO_TAG_ADDRESS: case GUMBO_TAG_BODY:
    case GUMBO_TAG_CENTER:
      return true;
    default:
      return false;
  }
}


// The named entities that matter for Nordic text and numbers; anything else
// numeric is decoded generically, unknown names are kept literally.
struct Named {
  const char* name;
  uint32_t cp;
};
const Named kNamed[] = {
    {"nbsp", 0xA0},  {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
    {"apos", '\''},  {"shy", 0xAD},     {"ndash", 0x2013}, {"mdash", 0x2014}, {"minus", 0x2212},
    {"thinsp", 0x2009}, {"ensp", 0x2002}, {"emsp", 0x2003}, {"zwsp", 0x200B}, {"zwnj", 0x200C},
    {"zwj", 0x200D}, {"hyphen", 0x2010}, {"aring", 0xE5}, {"Aring", 0xC5},   {"oslash", 0xF8},
    {"Oslash", 0xD8}, {"aelig", 0xE6},  {"AElig", 0xC6},   {"auml", 0xE4},    {"Auml", 0xC4},
    {"ouml", 0xF6},  {"Ouml", 0xD6},    {"uuml", 0xFC},    {"Uuml", 0xDC},    {"eacute", 0xE9},
    {"Eacute", 0xC9}, {"aacute", 0xE1}, {"iacute", 0xED},  {"oacute", 0xF3},  {"uacute", 0xFA},
    {"yacute", 0xFD}, {"eth", 0xF0},    {"ETH", 0xD0},     {"thorn", 0xFE},   {"THORN", 0xDE},
    {"agrave", 0xE0}, {"euro", 0x20AC}, {"laquo", 0xAB},   {"raquo", 0xBB},   {"hellip", 0x2026},
};

// Decodes the entity at s[i] ('&'); returns its length in bytes, 0 if none.
size_t Entity(std::string_view s, size_t i, uint32_t& cp) {
  size_t semi = s.find(';', i + 1);
  if (semi == std::string_view::npos || semi - i > 12 || semi == i + 1) return 0;
  std::string_view name = s.substr(i + 1, semi - i - 1);
  if (name[0] == '#') {
    uint32_t v = 0;
    bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
    size_t k = hex ? 2 : 1;
    if (k >= name.size()) return 0;
    for (; k < name.size(); ++k) {
      char c = name[k];
      int d = (c >= '0' && c <= '9') ? c - '0'
              : (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f') ? (c | 0x20) - 'a' + 10
                                                                : -1;
      if (d < 0) return 0;
      v = v * (hex ? 16 : 10) + static_cast<uint32_t>(d);
      if (v > 0x10FFFF) return 0;
    }
    if (v == 0 || (v >= 0xD800 && v <= 0xDFFF)) v = 0xFFFD;
    cp = v;
    return semi - i + 1;
  }
  for (const Named& n : kNamed) {
    if (name == n.name) {
      cp = n.cp;
      return semi - i + 1;
    }
  }
  return 0;
}

// Empty piece: from here on, output offsets map to source offsets from `to`.
void JumpTo(Decoded& d, uint32_t& cursor, uint32_t to) {
  if (to == cursor) return;
  uint32_t at = static_cast<uint32_t>(d.bytes.size());
  const auto& p = d.map.pieces();
  if (!p.empty() && p.back().dst_begin == at && p.back().dst_end == at && p.back().src_end == cursor)
    d.map.ExtendLast(at, to);
  else
    d.map.Add(at, at, cursor, to);
  cursor = to;
}

// Upper bound of open elements, by a linear pre-scan: start tags minus end
// tags (void elements and comments aside). Gumbo's tree construction is
// quadratic in nesting depth (measured here: 40 000 nested <div> 1.9 s,
// 80 000 9.7 s), so hostile documents go to the linear fallback below.
size_t OpenDepthEstimate(std::string_view h) {
  size_t open = 0, max_open = 0;
  for (size_t i = h.find('<'); i != std::string_view::npos && i + 1 < h.size(); i = h.find('<', i + 1)) {
    char c = h[i + 1];
    if (c == '/') {
      if (open) --open;
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
      size_t gt = h.find('>', i);
      if (gt != std::string_view::npos && h[gt - 1] == '/') continue;  // <br/>
      ++open;
      max_open = std::max(max_open, open);
    }
  }
  return max_open;
}

constexpr size_t kMaxGumboDepth = 2000;

void AppendSeparate(std::string_view html, const std::vector<Event>& hidden, Decoded& out);

// Linear fallback: drops every tag and comment, decodes entities, and turns
// <br>, <p>, <div>, <tr>, <li> into line breaks; script/style bodies with a
// number in them follow as separate documents (as HtmlToText's).
Decoded StripTags(std::string_view h, bool separate) {
  Decoded d;
  std::vector<Event> hev;
  uint32_t cursor = 0;
  size_t i = 0;
  auto lower_starts = [&](size_t at, const char* tag) {
    size_t k = std::strlen(tag);
    if (at + k > h.size()) return false;
    for (size_t j = 0; j < k; ++j)
      if ((h[at + j] | 0x20) != tag[j]) return false;
    return true;
  };
  while (i < h.size()) {
    if (h[i] == '<') {
      size_t end;
      if (h.compare(i, 4, "<!--") == 0) {
        end = h.find("-->", i + 4);
        end = end == std::string_view::npos ? h.size() : end + 3;
      } else if (lower_starts(i + 1, "script") || lower_starts(i + 1, "style")) {
        const char* close = lower_starts(i + 1, "script") ? "</script" : "</style";
        size_t k = i + 1;
        end = h.size();
        size_t body_to = h.size(), body_from = h.find('>', i);
        body_from = body_from == std::string_view::npos ? h.size() : body_from + 1;
        for (size_t c = h.find("</", k); c != std::string_view::npos; c = h.find("</", c + 2)) {
          if (lower_starts(c, close)) {
            size_t gt = h.find('>', c);
            end = gt == std::string_view::npos ? h.size() : gt + 1;
            body_to = c;
            break;
          }
        }
        if (body_from < body_to && AsideWorthy(h.substr(body_from, body_to - body_from))) {
          hev.push_back({static_cast<uint32_t>(body_from), 1, nullptr, kSeg});
          hev.push_back({static_cast<uint32_t>(body_from), static_cast<uint32_t>(body_to - body_from), nullptr, kRaw});
        }
      } else {
        end = h.find('>', i);
        end = end == std::string_view::npos ? h.size() : end + 1;
        bool brk = lower_starts(i + 1, "br") || lower_starts(i + 1, "p") || lower_starts(i + 1, "/p") ||
                   lower_starts(i + 1, "div") || lower_starts(i + 1, "/div") ||
                   lower_starts(i + 1, "tr") || lower_starts(i + 1, "li");
        if (brk && !d.bytes.empty() && d.bytes.back() != '\n') {
          JumpTo(d, cursor, static_cast<uint32_t>(i));
          uint32_t at = static_cast<uint32_t>(d.bytes.size());
          d.bytes.push_back('\n');
          d.map.Add(at, at + 1, static_cast<uint32_t>(i), static_cast<uint32_t>(i));
        }
      }
      JumpTo(d, cursor, static_cast<uint32_t>(end));
      i = end;
      continue;
    }
    uint32_t cp;
    size_t len = h[i] == '&' ? Entity(h, i, cp) : 0;
    if (len == 0) {
      d.bytes.push_back(h[i]);
      ++i;
      ++cursor;
      continue;
    }
    uint32_t at = static_cast<uint32_t>(d.bytes.size());
    AppendUtf8(cp, d.bytes);
    d.map.Add(at, static_cast<uint32_t>(d.bytes.size()), static_cast<uint32_t>(i),
              static_cast<uint32_t>(i + len));
    i += len;
    cursor = static_cast<uint32_t>(i);
  }
  d.notes.push_back("HTML nested too deeply for the parser; tags stripped linearly");
  if (separate) AppendSeparate(h, hev, d);
  return d;
}

// Position of the next '&' or '<' at or after `i` (or size()), 16 bytes at a time.
size_t NextAmpOrLt(std::string_view s, size_t i) {
#if defined(__SSE2__)
  const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<');
  for (; i + 16 <= s.size(); i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, amp), _mm_cmpeq_epi8(v, lt)));
    if (m) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(m)));
  }
#endif
  while (i < s.size() && s[i] != '&' && s[i] != '<') ++i;
  return i;
}

// Writes the text and separators of `events` (sorted by offset) with the
// offset map; entities in text are decoded here, each mapping to its bytes.
// `starts`: where each kSeg event's document starts in d.bytes, and whether
// it is code (a kSeg event of length 1; kSeg events are only in the separate
// documents' list).
void Emit(std::string_view html, const std::vector<Event>& events, Decoded& d,
          std::vector<std::pair<uint32_t, bool>>* starts = nullptr) {
  uint32_t cursor = 0;  // source offset matching d.bytes.size() under the current shift
  for (const Event& ev : events) {
    if (ev.offset < cursor) continue;  // overlapping or moved node: keep the map monotone
    if (ev.kind == kSeg) {
      JumpTo(d, cursor, ev.offset);
      if (!d.bytes.empty() && d.bytes.back() != '\n') {
        uint32_t at = static_cast<uint32_t>(d.bytes.size());
        d.bytes.push_back('\n');
        d.map.Add(at, at + 1, ev.offset, ev.offset);
      }
      if (starts) starts->emplace_back(static_cast<uint32_t>(d.bytes.size()), ev.length == 1);
      continue;
    }
    if (ev.sep) {
      char last = d.bytes.empty() ? '\n' : d.bytes.back();
      if (last == '\n' || (last == ' ' && ev.sep[0] == ' ')) continue;
      JumpTo(d, cursor, ev.offset);
      uint32_t at = static_cast<uint32_t>(d.bytes.size());
      d.bytes.append(ev.sep);
      d.map.Add(at, static_cast<uint32_t>(d.bytes.size()), ev.offset, ev.offset);  // inserted
      continue;
    }
    if (ev.kind != kVisible && !d.bytes.empty() && d.bytes.back() != '\n') {  // a line of its own
      JumpTo(d, cursor, ev.offset);
      uint32_t at = static_cast<uint32_t>(d.bytes.size());
      d.bytes.push_back('\n');
      d.map.Add(at, at + 1, ev.offset, ev.offset);
    }
    JumpTo(d, cursor, ev.offset);
    std::string_view raw = html.substr(ev.offset, ev.length);
    size_t i = 0;
    if (ev.kind == kRaw) {  // script or style text: the bytes as they are
      d.bytes.append(raw);
      cursor = ev.offset + ev.length;
      if (!d.bytes.empty() && d.bytes.back() != '\n') {
        uint32_t at = static_cast<uint32_t>(d.bytes.size());
        d.bytes.push_back('\n');
        d.map.Add(at, at + 1, cursor, cursor);
      }
      continue;
    }
    if (ev.kind == kAttr || ev.kind == kUrl) {  // an attribute value: entities (and %XX in a URL)
      while (i < raw.size()) {
        uint32_t cp;
        size_t len = raw[i] == '&' ? Entity(raw, i, cp) : 0;
        if (len == 0 && ev.kind == kUrl && i + 2 < raw.size() && (raw[i] == '%' || raw[i] == '+')) {
          int hi = HexDigit(raw[i + 1]), lo = HexDigit(raw[i + 2]);
          if (raw[i] == '+') cp = ' ', len = 1;
          else if (hi >= 0 && lo >= 0 && hi < 8 && hi * 16 + lo >= 0x20) cp = static_cast<uint32_t>(hi * 16 + lo), len = 3;
        }
        if (len == 0) {
          d.bytes.push_back(raw[i]);
          ++i;
          continue;
        }
        uint32_t at = static_cast<uint32_t>(d.bytes.size());
        AppendUtf8(cp, d.bytes);
        d.map.Add(at, static_cast<uint32_t>(d.bytes.size()), ev.offset + static_cast<uint32_t>(i),
                  ev.offset + static_cast<uint32_t>(i + len));
        i += len;
      }
      cursor = ev.offset + ev.length;
      uint32_t at = static_cast<uint32_t>(d.bytes.size());
      d.bytes.push_back('\n');
      d.map.Add(at, at + 1, cursor, cursor);
      continue;
    }
    // White space at the start of a line is not rendered: "<br>\n0000" is
    // one line break, so a value wrapped there ("4571 3100<br>\n0000 0007")
    // reads as a value broken by one line end, as in plain text.
    if (!d.bytes.empty() && d.bytes.back() == '\n') {
      while (i < raw.size() && (raw[i] == ' ' || raw[i] == '\n' || raw[i] == '\r' || raw[i] == '\t')) ++i;
      JumpTo(d, cursor, ev.offset + static_cast<uint32_t>(i));
    }
    while (i < raw.size()) {
      // Gumbo merges character tokens on both sides of "</body>", "</html>"
      // into one text node whose original text spans those tags: markup
      // inside a text node is skipped, not emitted as text.
      if (raw[i] == '<' && i + 1 < raw.size()) {
        char c = raw[i + 1];
        bool markup = ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '/' || c == '!' || c == '?';
        size_t gt = markup ? raw.find('>', i + 1) : std::string_view::npos;
        if (gt != std::string_view::npos) {
          cursor = ev.offset + static_cast<uint32_t>(i);
          JumpTo(d, cursor, ev.offset + static_cast<uint32_t>(gt + 1));
          i = gt + 1;
          continue;
        }
      }
      if (raw[i] != '&' && raw[i] != '<') {  // copy the run up to the next '&' or '<'
        size_t j = NextAmpOrLt(raw, i + 1);
        d.bytes.append(raw.substr(i, j - i));
        i = j;
        continue;
      }
      uint32_t cp;
      size_t len = raw[i] == '&' ? Entity(raw, i, cp) : 0;
      if (len == 0) {
        d.bytes.push_back(raw[i]);
        ++i;
        continue;
      }
      uint32_t at = static_cast<uint32_t>(d.bytes.size());
      AppendUtf8(cp, d.bytes);
      d.map.Add(at, static_cast<uint32_t>(d.bytes.size()), ev.offset + static_cast<uint32_t>(i),
                ev.offset + static_cast<uint32_t>(i + len));
      i += len;
    }
    cursor = ev.offset + ev.length;
    if (ev.kind == kAside && !d.bytes.empty() && d.bytes.back() != '\n') {
      uint32_t at = static_cast<uint32_t>(d.bytes.size());
      d.bytes.push_back('\n');
      d.map.Add(at, at + 1, cursor, cursor);
    }
  }
}



bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

bool BadControl(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7F;
}

// Any control character other than tab, LF, CR, FF (or DEL)? 16 bytes at a
// time: a block is looked at byte by byte only when it holds a byte <= 0x1F
// or 0x7F (this check was 80 % of the fast path before).
bool HasBadControl(std::string_view h) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i low = _mm_set1_epi8(0x1F), del = _mm_set1_epi8(0x7F);
  for (; i + 16 <= h.size(); i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h.data() + i));
    __m128i ctl = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, low), v), _mm_cmpeq_epi8(v, del));
    if (_mm_movemask_epi8(ctl) == 0) continue;
    for (size_t k = i; k < i + 16; ++k)
      if (BadControl(static_cast<unsigned char>(h[k]))) return true;
  }
#endif
  for (; i < h.size(); ++i)
    if (BadControl(static_cast<unsigned char>(h[i]))) return true;
  return false;
}
bool IsAlpha(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

// What the fast path does with an element (by lower-cased tag name).
enum class Kind { kInline, kBlock, kCell, kBr, kRawSkip, kHeadOnly, kHtml, kHead, kBody, kTitle, kBail };

Kind Classify(std::string_view name) {
  static const std::pair<const char*, Kind> kTable[] = {
      {"p", Kind::kBlock}, {"div", Kind::kBlock}, {"li", Kind::kBlock}, {"ul", Kind::kBlock},
      {"ol", Kind::kBlock}, {"tr", Kind::kBlock}, {"table", Kind::kBlock}, {"h1", Kind::kBlock},
      {"h2", Kind::kBlock}, {"h3", Kind::kBlock}, {"h4", Kind::kBlock}, {"h5", Kind::kBlock},
      {"h6", Kind::kBlock}, {"blockquote", Kind::kBlock}, {"pre", Kind::kBlock}, {"hr", Kind::kBlock},
      {"section", Kind::kBlock}, {"article", Kind::kBlock}, {"header", Kind::kBlock},
      {"footer", Kind::kBlock}, {"dd", Kind::kBlock}, {"dt", Kind::kBlock}, {"dl", Kind::kBlock},
      {"address", Kind::kBlock}, {"center", Kind::kBlock}, {"td", Kind::kCell}, {"th", Kind::kCell},
      {"br", Kind::kBr}, {"script", Kind::kRawSkip}, {"style", Kind::kRawSkip}, {"meta", Kind::kHeadOnly},
      {"link", Kind::kHeadOnly}, {"base", Kind::kHeadOnly}, {"html", Kind::kHtml}, {"head", Kind::kHead},
      {"body", Kind::kBody}, {"title", Kind::kTitle},
      // Elements whose content the HTML5 tree builder treats specially
      // (raw text, foreign content, frames, forms that reparent): Gumbo.
      {"textarea", Kind::kBail}, {"xmp", Kind::kBail}, {"iframe", Kind::kBail}, {"noembed", Kind::kBail},
      {"noframes", Kind::kBail}, {"noscript", Kind::kBail}, {"plaintext", Kind::kBail},
      {"template", Kind::kBail}, {"svg", Kind::kBail}, {"math", Kind::kBail}, {"frameset", Kind::kBail},
      {"frame", Kind::kBail}, {"select", Kind::kBail}, {"listing", Kind::kBail}, {"image", Kind::kBail},
      {"basefont", Kind::kBail}, {"bgsound", Kind::kBail}, {"caption", Kind::kBail}, {"colgroup", Kind::kBail},
      {"form", Kind::kBail}, {"button", Kind::kBail}, {"option", Kind::kBail}, {"optgroup", Kind::kBail},
      {"rb", Kind::kBail}, {"rp", Kind::kBail}, {"rt", Kind::kBail}, {"rtc", Kind::kBail},
      {"a", Kind::kBail}, {"nobr", Kind::kBail}, {"applet", Kind::kBail}, {"marquee", Kind::kBail},
      {"object", Kind::kBail}, {"tbody", Kind::kBail}, {"thead", Kind::kBail}, {"tfoot", Kind::kBail},
      {"col", Kind::kBail}, {"input", Kind::kBail}, {"keygen", Kind::kBail}, {"menu", Kind::kBail},
      {"main", Kind::kBail}, {"nav", Kind::kBail}, {"aside", Kind::kBail}, {"figure", Kind::kBail},
      {"figcaption", Kind::kBail}, {"fieldset", Kind::kBail}, {"details", Kind::kBail},
      {"summary", Kind::kBail}, {"dialog", Kind::kBail}, {"dir", Kind::kBail}, {"hgroup", Kind::kBail},
      {"search", Kind::kBail}, {"param", Kind::kBail}, {"source", Kind::kBail}, {"track", Kind::kBail},
      {"embed", Kind::kBail}, {"area", Kind::kBail}, {"wbr", Kind::kBail}, {"img", Kind::kInline},
      {"b", Kind::kInline}, {"i", Kind::kInline}, {"u", Kind::kInline}, {"s", Kind::kInline},
      {"em", Kind::kInline}, {"strong", Kind::kInline}, {"span", Kind::kInline}, {"font", Kind::kInline},
      {"small", Kind::kInline}, {"big", Kind::kInline}, {"sub", Kind::kInline}, {"sup", Kind::kInline},
      {"code", Kind::kInline}, {"tt", Kind::kInline}, {"abbr", Kind::kInline}, {"cite", Kind::kInline},
      {"q", Kind::kInline}, {"label", Kind::kInline}, {"mark", Kind::kInline}, {"strike", Kind::kInline},
      {"ins", Kind::kInline}, {"del", Kind::kInline}, {"kbd", Kind::kInline}, {"samp", Kind::kInline},
      {"var", Kind::kInline}, {"time", Kind::kInline}, {"data", Kind::kInline}, {"bdi", Kind::kInline},
      {"bdo", Kind::kInline}, {"dfn", Kind::kInline}};
  static const std::unordered_map<std::string_view, Kind> kByName = [] {
    std::unordered_map<std::string_view, Kind> m;
    for (const auto& [n, k] : kTable) m.emplace(n, k);
    return m;
  }();
  char buf[16];
  if (name.size() >= sizeof buf) return Kind::kBail;
  for (size_t i = 0; i < name.size(); ++i) buf[i] = static_cast<char>(name[i] | (IsAlpha(name[i]) ? 0x20 : 0));
  auto it = kByName.find(std::string_view(buf, name.size()));
  return it == kByName.end() ? Kind::kBail : it->second;  // unknown or custom element: the real parser decides
}

// Case-insensitive search for "</name" followed by a tag-name terminator.
size_t FindEndTag(std::string_view h, size_t from, std::string_view name) {
  for (size_t c = h.find("</", from); c != std::string_view::npos; c = h.find("</", c + 2)) {
    size_t k = c + 2;
    if (k + name.size() >= h.size()) return std::string_view::npos;
    bool eq = true;
    for (size_t j = 0; j < name.size() && eq; ++j) eq = (h[k + j] | 0x20) == name[j];
    char t = h[k + name.size()];
    if (eq && (IsSpace(t) || t == '/' || t == '>')) return c;
  }
  return std::string_view::npos;
}

// Fast path for ordinary documents: one linear tokenizer pass producing the
// same events the Gumbo tree walk produces. Returns false (caller uses
// Gumbo) on anything where the HTML5 tree builder would reorder, drop or
// reinterpret content: unknown or special elements, text or body elements
// inside <head>, a second <body>, a title after body content, stray end
// tags, unterminated tags or comments. The mail fuzzer checks that both
// paths give the same text wherever this one accepts a document.
// Documents of their own (script and style text, the title, attributes of
// the head's elements) go to `hev`, as CollectHidden gives them.
bool FastEvents(std::string_view h, std::vector<Event>& ev, std::vector<Event>& hev) {
  const size_t n = h.size();
  if (HasBadControl(h)) return false;  // the tokenizer drops or replaces NUL and other controls
  bool in_head = false, body_started = false, seen_body = false, seen_html = false, seen_head = false;
  int tables = 0;
  bool after_body = false;
  std::string tstack;  // open table structure: 'T' table, 'R' row, 'C' cell
  auto pop_to = [&](char k) {
    size_t p = tstack.rfind(k);
    if (p == std::string::npos) return false;
    tstack.resize(p);
    return true;
  };
  int open[32] = {0};  // open element counts for block kinds, by hashed slot
  auto slot = [](std::string_view name) {
    unsigned v = 0;
    for (char c : name) v = v * 31 + static_cast<unsigned char>(c | 0x20);
    return v % 32;
  };
  size_t text_start = 0;
  std::vector<Event> aside_buf;  // a tag's attribute events
  auto text = [&](size_t from, size_t to) -> bool {
    if (to <= from) return true;
    bool ws = true;
    for (size_t k = from; k < to && ws; ++k) ws = IsSpace(h[k]);
    if (in_head) return ws;  // text in <head> moves into the body: Gumbo
    if (!ws && after_body) return false;  // merged into the body's last text node: Gumbo
    if (!ws && !tstack.empty() && tstack.back() != 'C') return false;  // foster-parented text: Gumbo
    if (!ws) body_started = true;
    if (!ws || body_started) ev.push_back({static_cast<uint32_t>(from), static_cast<uint32_t>(to - from), nullptr});
    return true;
  };
  size_t i = 0;
  while (i < n) {
    const void* lt = std::memchr(h.data() + i, '<', n - i);
    if (!lt) break;
    size_t j = static_cast<size_t>(static_cast<const char*>(lt) - h.data());
    if (j + 1 >= n) break;  // a final '<' is text
    char c = h[j + 1];
    size_t end;  // first byte after the markup
    if (c == '!') {
      if (h.compare(j, 4, "<!--") == 0) {
        if (j + 4 < n && (h[j + 4] == '>' || h.compare(j + 4, 2, "->") == 0)) return false;
        size_t e = h.find("-->", j + 4);
        if (e == std::string_view::npos) return false;
        if (h.substr(j + 4, e - j - 4).find("--!>") != std::string_view::npos) return false;
        end = e + 3;
        if (AsideWorthy(h.substr(j + 4, e - j - 4))) {  // a comment with a number in it
          // Gumbo does not walk <head> (explicit, or implied before the body starts)
          if (in_head || !body_started || !text(text_start, j)) return false;
          ev.push_back({static_cast<uint32_t>(j + 4), static_cast<uint32_t>(e - j - 4), nullptr, kAside});
          text_start = j;  // (nothing between: text() above emitted it)
        }
      } else {
        size_t e = h.find('>', j + 2);
        if (e == std::string_view::npos) return false;
        end = e + 1;
      }
      if (!text(text_start, j)) return false;
    } else if (c == '?' || (c == '/' && (j + 2 >= n || !IsAlpha(h[j + 2])))) {
      // "<?...>" and "</" + non-letter are bogus comments up to '>'.
      size_t e = h.find('>', j + 2);
      if (e == std::string_view::npos) return false;
      if (!text(text_start, j)) return false;
      end = e + 1;
    } else if (IsAlpha(c) || (c == '/' && j + 2 < n && IsAlpha(h[j + 2]))) {
      bool close = c == '/';
      size_t k = j + (close ? 2 : 1), name0 = k;
      while (k < n && !IsSpace(h[k]) && h[k] != '/' && h[k] != '>') ++k;
      std::string_view name = h.substr(name0, k - name0);
      // Attributes (quoted values may contain '>'). Text attribute values
      // with a number in them become events; a hidden element goes to
      // Gumbo (its end is found by the tree builder).
      size_t attr_events = ev.size();
      bool hidden = false;
      for (;;) {
        while (k < n && (IsSpace(h[k]) || h[k] == '/')) ++k;
        if (k >= n) return false;
        if (h[k] == '>') break;
        size_t an = k;
        ++k;
        while (k < n && !IsSpace(h[k]) && h[k] != '/' && h[k] != '>' && h[k] != '=') ++k;
        std::string_view aname = h.substr(an, k - an);
        while (k < n && IsSpace(h[k])) ++k;
        size_t v0 = k, v1 = k;
        if (k < n && h[k] == '=') {
          ++k;
          while (k < n && IsSpace(h[k])) ++k;
          if (k < n && (h[k] == '"' || h[k] == '\'')) {
            size_t q = h.find(h[k], k + 1);
            if (q == std::string_view::npos) return false;
            v0 = k + 1, v1 = q;
            k = q + 1;
          } else {
            v0 = k;
            while (k < n && !IsSpace(h[k]) && h[k] != '>') ++k;
            v1 = k;
          }
        }
        if (close) continue;
        std::string_view aval = h.substr(v0, v1 - v0);
        const size_t al = aname.size();
        if (al == 6 && EqNoCase(aname, "hidden")) hidden = true;
        else if (al == 5 && EqNoCase(aname, "style") && (HidingStyle(aval) || aval.find('&') != std::string_view::npos))
          hidden = true;
        if (aval.size() >= kAsideDigits) {
          if (uint8_t ak = AttrKind(aname); ak != kVisible && AsideWorthy(aval)) {
            // The same name earlier in the tag: the tree builder keeps the
            // first value; Gumbo decides (a conservative substring test).
            if (FindNoCase(h.substr(name0, an - name0), aname)) return false;
            ev.push_back({static_cast<uint32_t>(v0), static_cast<uint32_t>(v1 - v0), nullptr, ak});
          }
        }
      }
      if (hidden) return false;
      if (ev.size() > attr_events) {
        // Attribute events must follow the tag's own separator (pushed
        // below): kept aside and appended after it.
        aside_buf.assign(ev.begin() + static_cast<std::ptrdiff_t>(attr_events), ev.end());
        ev.resize(attr_events);
      } else {
        aside_buf.clear();
      }
      end = k + 1;
      if (!text(text_start, j)) return false;
      Kind kind = Classify(name);
      const uint32_t at = static_cast<uint32_t>(j);
      if (kind == Kind::kBail) return false;
      if (after_body && !(close && kind == Kind::kHtml)) return false;
      if (close && kind == Kind::kBody) after_body = true;
      if (!aside_buf.empty() && !close &&
          (in_head || kind == Kind::kRawSkip || kind == Kind::kTitle || kind == Kind::kHead)) {
        // Attributes of elements the visible walk skips (in <head>, a
        // script, a style sheet): each a document of its own.
        for (const Event& a : aside_buf) {
          // A <meta>'s content is page metadata (fb:app_id, twitter:site:id,
          // app store ids: 9-19 digits that pass Luhn one time in ten):
          // labelled findings only, as in a script (review21a: 38 of 400
          // newsletters with an fb:app_id gave a card at medium).
          hev.push_back({a.offset, EqNoCase(name, "meta") ? 1u : 0u, nullptr, kSeg});
          hev.push_back(a);
        }
        aside_buf.clear();
      }
      if (!aside_buf.empty() && kind == Kind::kHeadOnly)
        return false;  // a <meta> outside an explicit <head>: where the tree builder puts it decides
      if (!close) {
        if (in_head && kind != Kind::kHeadOnly && kind != Kind::kRawSkip && kind != Kind::kTitle) return false;
        switch (kind) {
          case Kind::kHtml:
            if (seen_html || body_started) return false;
            seen_html = true;
            break;
          case Kind::kHead:
            if (seen_head || body_started || seen_body) return false;
            seen_head = in_head = true;
            break;
          case Kind::kBody:
            if (seen_body || body_started) return false;
            seen_body = body_started = true;
            ev.push_back({at, 0, "\n"});
            ++open[slot(name)];
            break;
          case Kind::kTitle: {
            if (body_started) return false;
            size_t e = FindEndTag(h, end, "title");
            if (e == std::string_view::npos) return false;
            size_t gt = h.find('>', e);
            if (gt == std::string_view::npos) return false;
            bool ws = true;
            for (size_t q = end; q < e && ws; ++q) ws = IsSpace(h[q]);
            if (!ws) {  // the title: a document of its own
              hev.push_back({static_cast<uint32_t>(end), 0, nullptr, kSeg});
              hev.push_back({static_cast<uint32_t>(end), static_cast<uint32_t>(e - end), nullptr, kAside});
            }
            end = gt + 1;
            break;
          }
          case Kind::kRawSkip: {
            const bool script = (name[0] | 0x20) == 's' && (name[1] | 0x20) == 'c';
            size_t e = FindEndTag(h, end, script ? "script" : "style");
            if (e == std::string_view::npos) return false;
            size_t gt = h.find('>', e);
            if (gt == std::string_view::npos) return false;
            const std::string_view body = h.substr(end, e - end);
            // "<!--" in a script starts the escaped states, where "</script>"
            // may not end it: the tokenizer decides.
            if (script && body.find("<!--") != std::string_view::npos) return false;
            if (AsideWorthy(body)) {  // its text: a document of its own, raw
              hev.push_back({static_cast<uint32_t>(end), 1, nullptr, kSeg});
              hev.push_back({static_cast<uint32_t>(end), static_cast<uint32_t>(body.size()), nullptr, kRaw});
            }
            end = gt + 1;
            break;
          }
          case Kind::kHeadOnly:
            break;  // void, no text
          case Kind::kBr:
            body_started = true;
            ev.push_back({at, 0, "\n"});
            break;
          case Kind::kBlock:
            body_started = true;
            if (name.size() == 2 && (name[0] | 0x20) == 't' && (name[1] | 0x20) == 'r' && tables == 0)
              return false;  // <tr> outside a table is dropped by the tree builder
            if (name.size() == 5 && (name[0] | 0x20) == 't' && (name[1] | 0x20) == 'a') {
              if (!tstack.empty() && tstack.back() != 'C') return false;  // table in table structure
              ++tables;
              tstack += 'T';
            } else if (name.size() == 2 && (name[0] | 0x20) == 't' && (name[1] | 0x20) == 'r') {
              if (!tstack.empty() && tstack.back() == 'C') tstack.pop_back();
              if (!tstack.empty() && tstack.back() == 'R') tstack.pop_back();
              if (tstack.empty() || tstack.back() != 'T') return false;
              tstack += 'R';
            } else if (!tstack.empty() && tstack.back() != 'C') {
              return false;  // a block directly in table structure is foster-parented
            }
            ev.push_back({at, 0, "\n"});
            ++open[slot(name)];
            break;
          case Kind::kCell:
            if (tables == 0) return false;  // so is a cell
            if (!tstack.empty() && tstack.back() == 'C') tstack.pop_back();
            if (tstack.empty() || tstack.back() != 'R') return false;  // a cell needs a row here
            tstack += 'C';
            body_started = true;
            ev.push_back({at, 0, " | "});
            ++open[slot(name)];
            break;
          default:
            body_started = true;
            break;
        }
      } else {
        switch (kind) {
          case Kind::kHead:
            if (!in_head) return false;
            in_head = false;
            break;
          case Kind::kBr:
            ev.push_back({at, 0, "\n"});  // </br> is a <br>
            break;
          case Kind::kBlock:
          case Kind::kBody:
            if (open[slot(name)] == 0) {
              if ((name[0] | 0x20) == 'p' && name.size() == 1) {  // </p> alone makes an empty <p>
                ev.push_back({at, 0, "\n"});
                break;
              }
              return false;  // a stray end tag: the tree builder may ignore it
            }
            --open[slot(name)];
            if (name.size() == 5 && (name[0] | 0x20) == 't' && (name[1] | 0x20) == 'a') {
              if (!pop_to('T')) return false;
              --tables;
            } else if (name.size() == 2 && (name[0] | 0x20) == 't' && (name[1] | 0x20) == 'r') {
              if (!pop_to('R')) return false;
            }
            ev.push_back({at, 0, "\n"});
            break;
          case Kind::kCell:
            if (open[slot(name)] == 0) return false;
            --open[slot(name)];
            if (!pop_to('C')) return false;
            break;
          case Kind::kInline:
          case Kind::kHtml:
            break;
          default:
            return false;
        }
      }
      ev.insert(ev.end(), aside_buf.begin(), aside_buf.end());  // after the tag's separator
    } else {
      i = j + 1;  // '<' not starting markup: text
      continue;
    }
    text_start = end;
    i = end;
  }
  if (in_head) return false;
  return text(text_start, n);
}

// The content of an element the visible walk skips (head, script, style,
// template, noframes) into `hev`, each piece after a kSeg event of its own:
// a script's or style sheet's text (raw), the title, each text-bearing
// attribute (<meta content>, <link href>, a script's src) and comment with a
// number in it; a template's content is one document (read as the visible
// walk reads the body). Iterative, like the visible walk.
void CollectHidden(const GumboNode* root, std::string_view html, std::vector<Event>& hev) {
  auto in_html = [&](const char* p, size_t len) { return p >= html.data() && p + len <= html.data() + html.size(); };
  // `code`: labelled findings only (script and style text, a <meta>'s content).
  auto push = [&](bool in_tpl, uint32_t offset, uint32_t length, uint8_t kind, bool code = false) {
    if (!in_tpl) hev.push_back({offset, kind == kRaw || code ? 1u : 0u, nullptr, kSeg});
    hev.push_back({offset, length, nullptr, kind});
  };
  std::vector<std::pair<const GumboNode*, bool>> stack = {{root, false}};  // (node, inside a template)
  while (!stack.empty()) {
    const auto [n, in_tpl] = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE || n->type == GUMBO_NODE_CDATA) {
      const GumboStringPiece& o = n->v.text.original_text;
      if (o.length == 0 || !in_html(o.data, o.length)) continue;
      std::string_view raw(o.data, o.length);
      const uint32_t at = static_cast<uint32_t>(o.data - html.data());
      const GumboNode* parent = n->parent;
      const GumboTag pt = parent && parent->type == GUMBO_NODE_ELEMENT ? parent->v.element.tag : GUMBO_TAG_UNKNOWN;
      if (pt == GUMBO_TAG_SCRIPT || pt == GUMBO_TAG_STYLE || pt == GUMBO_TAG_NOFRAMES) {
        if (AsideWorthy(raw)) push(in_tpl, at, o.length, kRaw);
      } else if (in_tpl) {
        hev.push_back({at, static_cast<uint32_t>(o.length), nullptr, kVisible});
      } else if (n->type != GUMBO_NODE_WHITESPACE && (pt == GUMBO_TAG_TITLE || AsideWorthy(raw))) {
        push(false, at, o.length, kAside);
      }
      continue;
    }
    if (n->type == GUMBO_NODE_COMMENT) {
      const GumboStringPiece& o = n->v.text.original_text;
      if (in_html(o.data, o.length) && o.length >= 7 && std::string_view(o.data, 4) == "<!--" &&
          std::string_view(o.data + o.length - 3, 3) == "-->") {
        std::string_view inner(o.data + 4, o.length - 7);
        if (AsideWorthy(inner))
          push(in_tpl, static_cast<uint32_t>(inner.data() - html.data()), static_cast<uint32_t>(inner.size()), kAside);
      }
      continue;
    }
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE) continue;
    const GumboElement& e = n->v.element;
    const bool has_start = e.original_tag.length > 0;
    const bool tpl = in_tpl || (e.tag == GUMBO_TAG_TEMPLATE && has_start);
    if (tpl && !in_tpl) hev.push_back({e.start_pos.offset, 0, nullptr, kSeg});  // the template's document
    for (unsigned a = 0; a < e.attributes.length && has_start; ++a) {
      const auto* at = static_cast<const GumboAttribute*>(e.attributes.data[a]);
      const GumboStringPiece& o = at->original_value;
      if (o.length == 0 || !in_html(o.data, o.length)) continue;
      std::string_view raw(o.data, o.length);
      if (raw.size() >= 2 && (raw[0] == '"' || raw[0] == '\'') && raw.back() == raw[0]) raw = raw.substr(1, raw.size() - 2);
      uint8_t ak = AttrKind(at->name);
      if (ak != kVisible && AsideWorthy(raw))
        push(tpl, static_cast<uint32_t>(raw.data() - html.data()), static_cast<uint32_t>(raw.size()), ak,
             e.tag == GUMBO_TAG_META);
    }
    if (in_tpl) {  // separators as in the body
      if (e.tag == GUMBO_TAG_BR && has_start) hev.push_back({e.start_pos.offset, 0, "\n"});
      if (Block(e.tag)) {
        if (has_start) hev.push_back({e.start_pos.offset, 0, "\n"});
        if (e.original_end_tag.length > 0) hev.push_back({e.end_pos.offset, 0, "\n"});
      }
      if ((e.tag == GUMBO_TAG_TD || e.tag == GUMBO_TAG_TH) && has_start) hev.push_back({e.start_pos.offset, 0, " | "});
    }
    for (unsigned i = e.children.length; i-- > 0;)
      stack.push_back({static_cast<const GumboNode*>(e.children.data[i]), tpl});
  }
}

// The separate documents from `hidden` after the text in `out`
// (Decoded::separate), their map pieces after the text's.
void AppendSeparate(std::string_view html, const std::vector<Event>& hidden, Decoded& out) {
  if (hidden.empty()) return;
  thread_local Decoded h;
  thread_local std::vector<std::pair<uint32_t, bool>> starts;
  h.bytes.clear();
  h.map.Clear();
  starts.clear();
  Emit(html, hidden, h, &starts);
  if (starts.empty() || h.bytes.size() <= starts.front().first) return;
  const uint32_t base = static_cast<uint32_t>(out.bytes.size()), s0 = starts.front().first;
  // The first separate byte maps to its source; the pieces follow, shifted.
  const uint32_t first = h.map.Start(s0);
  out.map.Add(base, base, first, first);
  for (const OffsetMap::Piece& p : h.map.pieces()) {
    if (p.dst_begin < s0) continue;  // before the first document
    out.map.Add(base + p.dst_begin - s0, base + p.dst_end - s0, p.src_begin, p.src_end);
  }
  out.bytes.append(h.bytes, s0);
  for (size_t i = 0; i < starts.size(); ++i) {
    const uint32_t b = starts[i].first;
    const uint32_t e = i + 1 < starts.size() ? starts[i + 1].first : static_cast<uint32_t>(h.bytes.size());
    if (e > b) out.separate.push_back({base + b - s0, base + e - s0, starts[i].second});
  }
}

// The visible text from `events`, then the separate documents from `hidden`.
void EmitAll(std::string_view html, const std::vector<Event>& events, const std::vector<Event>& hidden,
             Decoded& out) {
  Emit(html, events, out);
  AppendSeparate(html, hidden, out);
}

}  // namespace

void AppendTags(std::string_view span, std::string& out) {
  for (size_t i = 0; (i = span.find('<', i)) != std::string_view::npos;) {
    size_t j = span.find('>', i);
    if (j == std::string_view::npos) break;
    out.append(span.substr(i, j - i + 1));
    i = j + 1;
  }
}

Decoded HtmlToText(std::string_view html) {
  Decoded d;
  HtmlToText(html, d);
  return d;
}

void HtmlToText(std::string_view html, Decoded& out, bool separate) {
  out.bytes.clear();
  out.map.Clear();
  out.notes.clear();
  out.separate.clear();
  // Every open element takes at least 3 bytes ("<a>"): a short document
  // cannot nest deeper than the bound, and skips the pre-scan.
  if (html.size() / 3 > kMaxGumboDepth && OpenDepthEstimate(html) > kMaxGumboDepth) {
    out = StripTags(html, separate);
    return;
  }
  thread_local std::vector<Event> events, hidden;  // capacity kept between calls
  events.clear();
  hidden.clear();
  if (FastEvents(html, events, hidden)) {
    if (!separate) hidden.clear();
    EmitAll(html, events, hidden, out);
    return;
  }
  out = HtmlToTextGumbo(html, separate);
}

Decoded HtmlToTextGumbo(std::string_view html, bool separate) {
  Decoded d;
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;  // we do not look at parse errors; do not collect them
  GumboOutput* out = gumbo_parse_with_options(&options, html.data(), html.size());
  if (!out) {
    d.bytes.assign(html.data(), html.size());
    d.notes.push_back("HTML parser failed; scanned as text");
    return d;
  }
  // Collect text nodes and separators with their source offsets, iteratively
  // (no recursion: hostile nesting depth cannot exhaust the stack).
  std::vector<Event> events, docs;  // docs: the separate documents' events
  std::vector<const GumboNode*> stack = {out->document};  // (comments before <html> are its children)
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE || n->type == GUMBO_NODE_CDATA) {
      const GumboText& t = n->v.text;
      const char* p = t.original_text.data;
      if (p >= html.data() && p + t.original_text.length <= html.data() + html.size())
        events.push_back({static_cast<uint32_t>(p - html.data()),
                          static_cast<uint32_t>(t.original_text.length), nullptr});
      continue;
    }
    if (n->type == GUMBO_NODE_COMMENT) {  // "<!--" text "-->": the text, when it holds a number
      const GumboStringPiece& o = n->v.text.original_text;
      if (o.data >= html.data() && o.data + o.length <= html.data() + html.size() && o.length >= 7 &&
          std::string_view(o.data, 4) == "<!--" && std::string_view(o.data + o.length - 3, 3) == "-->") {
        std::string_view inner(o.data + 4, o.length - 7);
        if (AsideWorthy(inner))
          events.push_back({static_cast<uint32_t>(inner.data() - html.data()), static_cast<uint32_t>(inner.size()),
                            nullptr, kAside});
      }
      continue;
    }
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE &&
        n->type != GUMBO_NODE_DOCUMENT)
      continue;
    const GumboVector* children;
    if (n->type == GUMBO_NODE_DOCUMENT) {
      children = &n->v.document.children;
    } else {
      const GumboElement& e = n->v.element;
      if (Skipped(e.tag)) {  // not shown: scanned as documents of their own
        CollectHidden(n, html, docs);
        continue;
      }
      bool has_start = e.original_tag.length > 0;
      bool has_end = e.original_end_tag.length > 0;
      bool hidden = false;
      for (unsigned a = 0; a < e.attributes.length; ++a) {
        const auto* at = static_cast<const GumboAttribute*>(e.attributes.data[a]);
        std::string_view name(at->name);
        if (name == "hidden" || (name == "style" && HidingStyle(at->value))) hidden = true;
        const GumboStringPiece& o = at->original_value;
        if (!has_start || o.length == 0 || o.data < html.data() || o.data + o.length > html.data() + html.size())
          continue;
        std::string_view raw(o.data, o.length);
        if (raw.size() >= 2 && (raw[0] == '"' || raw[0] == '\'') && raw.back() == raw[0])
          raw = raw.substr(1, raw.size() - 2);
        uint8_t ak = AttrKind(name);
        if (ak != kVisible && AsideWorthy(raw))
          events.push_back({static_cast<uint32_t>(raw.data() - html.data()), static_cast<uint32_t>(raw.size()),
                            nullptr, ak});
      }
      if (hidden && has_start && has_end) {
        // Not shown: dropped from the visible text (so "151086<span
        // hidden>x</span>95088" reads as one number), but its text is
        // scanned on a line of its own when it holds a number.
        uint32_t from = e.start_pos.offset + static_cast<uint32_t>(e.original_tag.length);
        uint32_t to = e.end_pos.offset;
        if (to > from && to <= html.size() && AsideWorthy(html.substr(from, to - from)))
          events.push_back({from, to - from, nullptr, kAside});
        continue;
      }
      if (e.tag == GUMBO_TAG_BR && has_start) events.push_back({e.start_pos.offset, 0, "\n"});
      if (Block(e.tag)) {
        if (has_start) events.push_back({e.start_pos.offset, 0, "\n"});
        if (has_end) events.push_back({e.end_pos.offset, 0, "\n"});
      }
      if ((e.tag == GUMBO_TAG_TD || e.tag == GUMBO_TAG_TH) && has_start)
        events.push_back({e.start_pos.offset, 0, " | "});
      children = &e.children;
    }
    for (unsigned i = children->length; i-- > 0;)
      stack.push_back(static_cast<const GumboNode*>(children->data[i]));
  }
  std::stable_sort(events.begin(), events.end());
  std::stable_sort(docs.begin(), docs.end());
  if (!separate) docs.clear();
  EmitAll(html, events, docs, d);
  gumbo_destroy_output(&options, out);
  return d;
}

}  // namespace nordpii
