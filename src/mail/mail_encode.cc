// SPDX-License-Identifier: Apache-2.0
#include "mail/mail_encode.h"

#include <unicode/ucnv.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/simd.h"
#include "core/utf8.h"

namespace nordpii {

namespace {
const char kHex[] = "0123456789ABCDEF";
const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

// Written through a pointer into room made 4 KiB of input at a time (at most
// 4 + eol bytes per input byte: an escape after a soft break): an append per
// byte made this half of a typical mbox's redaction (issue 14). The output
// is the byte loop's it replaced (tests: EncodeQuotedPrintable equals the
// byte-at-a-time reference).
std::string EncodeQuotedPrintable(std::string_view in, std::string_view eol) {
  std::string out;
  out.reserve(in.size() + in.size() / 8 + 16);
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size(), per = 4 + eol.size();
  size_t o = 0, col = 0;
  for (size_t i = 0; i < n;) {
    const size_t end = std::min(n, i + 4096);
    const size_t need = o + (end - i) * per + 16;
    if (out.size() < need) out.resize(std::max(need, out.capacity()));
    char* p = out.data();
    for (; i < end; ++i) {
#if defined(__SSE2__)
      // Bytes written as they are, 16 at a time: printable ASCII but '=',
      // and a space or tab not before a line break ('\r' counts as one),
      // within the line's 75 columns, not at its start ('F', '.').
      while (col > 0 && col < 75 && i + 17 <= n) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
        const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 1));
        const __m128i printable =
            _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('=')),
                             _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x20)), _mm_cmplt_epi8(v, _mm_set1_epi8(0x7F))));
        const __m128i blank = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')));
        const __m128i brk = _mm_or_si128(_mm_cmpeq_epi8(next, _mm_set1_epi8('\n')), _mm_cmpeq_epi8(next, _mm_set1_epi8('\r')));
        const unsigned plain =
            static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(printable, _mm_andnot_si128(brk, blank))));
        const size_t k = std::min<size_t>(static_cast<size_t>(__builtin_ctz(~plain)), 75 - col);
        if (k == 0) break;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p + o), v);
        o += k;
        i += k;
        col += k;
        if (i >= end) break;
      }
      if (i >= end) break;
#endif
      const unsigned char c = s[i];
      if (c == '\n' || (c == '\r' && i + 1 < n && s[i + 1] == '\n')) {
        if (c == '\r') ++i;
        std::memcpy(p + o, eol.data(), eol.size());
        o += eol.size();
        col = 0;
        continue;
      }
      bool escape;
      if (c == ' ' || c == '\t')  // escaped only at a line's end
        escape = i + 1 == n || s[i + 1] == '\n' || (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n');
      else
        escape = c == '=' || c < 32 || c > 126;
      if (col == 0 && (c == 'F' || c == '.')) escape = true;
      size_t w = escape ? 3 : 1;
      if (col + w > 75) {  // soft line break: "=" + eol, line stays <= 76
        p[o++] = '=';
        std::memcpy(p + o, eol.data(), eol.size());
        o += eol.size();
        col = 0;
        if (c == 'F' || c == '.') escape = true, w = 3;
      }
      if (escape) {
        p[o] = '=';
        p[o + 1] = kHex[c >> 4];
        p[o + 2] = kHex[c & 15];
        o += 3;
      } else {
        p[o++] = static_cast<char>(c);
      }
      col += w;
    }
  }
  out.resize(o);
  return out;
}

// 76-character lines joined by eol (none after the last), written through a
// pointer a line of 19 quanta at a time (a string append and a column test
// per character were 9 % of a typical mbox's redaction after the QP encoder's
// fix; tests: equals the character-at-a-time reference).
std::string EncodeBase64(std::string_view in, std::string_view eol) {
  const size_t n = in.size(), chars = (n + 2) / 3 * 4;
  std::string out(chars + (chars > 0 ? (chars - 1) / 76 : 0) * eol.size(), '\0');
  char* p = out.data();
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  size_t i = 0, col = 0;
  auto line_break = [&] {
    if (col == 76) {
      std::memcpy(p, eol.data(), eol.size());
      p += eol.size();
      col = 0;
    }
  };
  while (i + 3 <= n) {
    line_break();
    const size_t groups = std::min((n - i) / 3, (76 - col) / 4);
    for (size_t g = 0; g < groups; ++g, i += 3, p += 4) {
      const uint32_t v = (s[i] << 16) | (s[i + 1] << 8) | s[i + 2];
      p[0] = kB64[v >> 18], p[1] = kB64[(v >> 12) & 63], p[2] = kB64[(v >> 6) & 63], p[3] = kB64[v & 63];
    }
    col += 4 * groups;
  }
  if (n - i > 0) {  // 1 or 2 bytes left: a quantum with padding
    line_break();
    const uint32_t v = (s[i] << 16) | (n - i == 2 ? s[i + 1] << 8 : 0);
    p[0] = kB64[v >> 18], p[1] = kB64[(v >> 12) & 63], p[2] = n - i == 2 ? kB64[(v >> 6) & 63] : '=', p[3] = '=';
    p += 4;
  }
  out.resize(static_cast<size_t>(p - out.data()));
  return out;
}

std::string EncodeHeaderField(std::string_view name, std::string_view value, std::string_view eol) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  bool ascii = true;
  for (unsigned char c : value)
    if (c > 126 || (c < 32 && c != '\t')) ascii = false;
  std::string out(name);
  out += ':';
  size_t col = out.size();
  if (ascii) {
    // Fold at spaces before 78 columns where possible.
    size_t i = 0;
    while (i < value.size()) {
      size_t sp = value.find(' ', i + 1);
      if (sp == std::string_view::npos) sp = value.size();
      std::string_view word = value.substr(i, sp - i);  // starts with ' ' except the first
      if (i == 0) {
        out += ' ';
        ++col;
      }
      if (i > 0 && col + word.size() > 78) {
        out += eol;
        col = 0;
      }
      out += word;
      col += word.size();
      i = sp;
    }
    return out;
  }
  // Encoded words "=?UTF-8?B?...?=" of at most 75 characters, each line at
  // most 78 (the first one shares its line with the name), never splitting
  // a UTF-8 sequence.
  size_t i = 0;
  bool first = true;
  while (i < value.size()) {
    size_t room = 78 - std::min<size_t>(first ? col + 1 : 1, 60);  // columns left for the word
    size_t take = std::max<size_t>(3, std::min<size_t>(45, (room - 12) / 4 * 3));
    take = std::min(take, value.size() - i);
    while (take > 1 && i + take < value.size() && (static_cast<unsigned char>(value[i + take]) & 0xC0) == 0x80)
      --take;
    std::string word = "=?UTF-8?B?" + EncodeBase64(value.substr(i, take), "") + "?=";
    if (!first) out += eol;
    out += ' ';
    out += word;
    first = false;
    i += take;
  }
  return out;
}

namespace {
// ICU's canonical name of a charset label ("" when ICU does not know it).
std::string IcuName(std::string_view charset) {
  UErrorCode err = U_ZERO_ERROR;
  const char* n = ucnv_getAlias(std::string(charset).c_str(), 0, &err);
  return U_SUCCESS(err) && n ? std::string(n) : std::string();
}
bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
}  // namespace

namespace {
// Whether ICU writes printable ASCII, tab, CR and LF in `charset` as the
// same bytes (EBCDIC — cp500, ibm037, ibm-1047 … — does not: closed17,
// "[NO-FNR]" went into such a part as ASCII bytes, read back as other
// characters). A label ICU does not open is read as windows-1252: yes.
bool WritesAsciiAsAscii(const std::string& label) {
  UErrorCode err = U_ZERO_ERROR;
  UConverter* c = ucnv_open(label.c_str(), &err);
  if (U_FAILURE(err) || !c) return true;
  UChar in[0x7F - 0x20 + 3];
  char want[sizeof in / sizeof in[0]];
  int32_t k = 0;
  for (UChar u = 0x20; u < 0x7F; ++u) in[k] = u, want[k++] = static_cast<char>(u);
  for (char ch : {'\t', '\r', '\n'}) in[k] = static_cast<UChar>(ch), want[k++] = ch;
  char out[4 * sizeof in / sizeof in[0] + 16];
  ucnv_setFromUCallBack(c, UCNV_FROM_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
  const int32_t n = U_SUCCESS(err) ? ucnv_fromUChars(c, out, sizeof out, in, k, &err) : -1;
  ucnv_close(c);
  return U_SUCCESS(err) && n == k && std::memcmp(out, want, static_cast<size_t>(k)) == 0;
}
}  // namespace

bool AsciiCompatible(std::string_view charset) {
  std::string l = AsciiLower(charset);
  const std::string n = IcuName(l);  // (aliases: unicode, ucs-2, ucs-4, x-utf-16le-bom, …)
  if (StartsWith(n, "UTF-16") || StartsWith(n, "UTF-32")) return false;
  if (!(l.rfind("utf-16", 0) != 0 && l.rfind("utf-32", 0) != 0 && l.rfind("ucs-", 0) != 0 && l != "utf16" &&
        l != "utf32"))
    return false;
  if (n.empty() || n == "UTF-8" || n == "US-ASCII" || StartsWith(n, "ISO-8859-") || StartsWith(n, "ibm-5348"))
    return true;  // (the common labels: no converter opened)
  // Asked once per finding: the answer per label kept (a few labels per run).
  thread_local std::string last_label;
  thread_local bool last = true;
  if (l != last_label) last_label = l, last = WritesAsciiAsAscii(l);
  return last;
}

CharsetState StatefulCharset(std::string_view charset) {
  UErrorCode err = U_ZERO_ERROR;
  UConverter* c = ucnv_open(std::string(charset).c_str(), &err);
  if (U_FAILURE(err) || !c) return CharsetState::kNone;
  CharsetState st = CharsetState::kNone;
  switch (ucnv_getType(c)) {
    case UCNV_ISO_2022: {
      UErrorCode e2 = U_ZERO_ERROR;
      const char* name = ucnv_getName(c, &e2);
      st = U_SUCCESS(e2) && name && std::strstr(name, "locale=ja") ? CharsetState::kIso2022Jp : CharsetState::kOther;
      break;
    }
    case UCNV_HZ: case UCNV_UTF7: case UCNV_IMAP_MAILBOX: case UCNV_SCSU: case UCNV_BOCU1:
    case UCNV_EBCDIC_STATEFUL: case UCNV_ISCII:
      st = CharsetState::kOther;
      break;
    default:
      break;
  }
  ucnv_close(c);
  return st;
}

void Iso2022JpState::Feed(std::string_view bytes) {
  for (char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    if (!partial.empty()) {
      if (partial.size() < 4) partial += ch;
      if (b >= 0x20 && b <= 0x2F) continue;  // an intermediate byte
      // The final byte: a G0 designation is ESC ( F, ESC $ F or ESC $ ( F.
      const bool g0_set = partial.size() >= 3 && (partial[1] == '(' || (partial[1] == '$' && (partial.size() == 3 || partial[2] == '(')));
      if (g0_set) g0 = partial == std::string_view("\x1b(B", 3) ? std::string() : partial;
      partial.clear();
    } else if (b == 0x1B) {
      partial.assign(1, ch);
    } else if ((b == '\r' || b == '\n') && g0 != std::string_view("\x1b(J", 3)) {
      g0.clear();
    }
  }
}

std::string ByteOrderLabel(std::string_view charset, std::string_view first) {
  const std::string n = IcuName(AsciiLower(charset));
  const auto* b = reinterpret_cast<const unsigned char*>(first.data());
  if (n == "UTF-32")
    return first.size() >= 4 && b[0] == 0xFF && b[1] == 0xFE && b[2] == 0 && b[3] == 0 ? "utf-32le"
                                                                                         : std::string(charset);
  if (n == "UTF-16") return first.size() >= 2 && b[0] == 0xFF && b[1] == 0xFE ? "utf-16le" : std::string(charset);
  return std::string(charset);
}

std::string FromUtf8(std::string_view utf8, std::string_view charset) {
  if (AsciiCompatible(charset)) return std::string(utf8);
  std::string name = AsciiLower(charset);
  const std::string n = IcuName(name);
  // No BOM in the middle of a part: "UTF-16" / "UTF-32" (and ucs-2, ucs-4,
  // unicode) read without a little-endian BOM are big-endian, and the
  // ",version=1" names (x-utf-16le-bom) write a BOM every call.
  if (n == "UTF-16" || n == "UTF-32") name = n + "BE";
  else if (StartsWith(n, "UTF-16LE") || StartsWith(n, "UTF-16BE") || StartsWith(n, "UTF-32LE") ||
           StartsWith(n, "UTF-32BE"))
    name = n.substr(0, 8);
  UErrorCode err = U_ZERO_ERROR;
  std::vector<char> buf(utf8.size() * 4 + 8);
  int32_t n2 = ucnv_convert(name.c_str(), "UTF-8", buf.data(), static_cast<int32_t>(buf.size()), utf8.data(),
                            static_cast<int32_t>(utf8.size()), &err);
  if (U_FAILURE(err) || n2 < 0) return std::string(utf8);
  return std::string(buf.data(), static_cast<size_t>(n2));
}

std::vector<ParamValue> ParamValues(std::string_view raw) {
  // Own code: mimetic parses parameters but gives no byte ranges of the raw
  // value, and the redactor edits raw bytes in place.
  std::vector<ParamValue> out;
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t i = 0;
  const size_t n = raw.size();
  auto skip_quoted = [&](size_t j) {  // j at the opening quote; returns the closing quote's index (or n)
    for (++j; j < n && raw[j] != '"'; ++j)
      if (raw[j] == '\\' && j + 1 < n) ++j;
    return j;
  };
  while (i < n && raw[i] != ';') i = raw[i] == '"' ? skip_quoted(i) + 1 : i + 1;  // the type itself
  while (i < n) {
    ++i;  // past ';'
    while (i < n && ws(raw[i])) ++i;
    size_t name_start = i;
    while (i < n && raw[i] != '=' && raw[i] != ';' && !ws(raw[i])) ++i;
    size_t name_end = i;
    while (i < n && ws(raw[i])) ++i;
    if (i >= n || raw[i] != '=') {
      while (i < n && raw[i] != ';') ++i;
      continue;
    }
    ++i;
    while (i < n && ws(raw[i])) ++i;
    ParamValue v;
    v.name_start = name_start;
    v.name_end = name_end;
    if (i < n && raw[i] == '"') {
      v.kind = ParamValue::kQuoted;
      v.start = i + 1;
      i = skip_quoted(i);
      v.end = std::min(i, n);
      if (i < n) ++i;
    } else {
      v.kind = name_end > name_start && raw[name_end - 1] == '*' ? ParamValue::kExtended : ParamValue::kToken;
      v.start = i;
      while (i < n && raw[i] != ';' && !ws(raw[i])) ++i;
      v.end = i;
    }
    v.full_end = i;
    out.push_back(v);
    while (i < n && raw[i] != ';') i = raw[i] == '"' ? skip_quoted(i) + 1 : i + 1;
  }
  return out;
}

std::string PercentEncodeAttr(std::string_view bytes) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    bool attr = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (attr) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string QuoteParam(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace nordpii
