// SPDX-License-Identifier: Apache-2.0
#include "mail/mail_encode.h"

#include <unicode/ucnv.h>

#include <algorithm>
#include <vector>

#include "core/utf8.h"

namespace nordpii {

namespace {
const char kHex[] = "0123456789ABCDEF";
const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string EncodeQuotedPrintable(std::string_view in, std::string_view eol) {
  std::string out;
  out.reserve(in.size() + in.size() / 8 + 16);
  size_t col = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (c == '\n' || (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n')) {
      if (c == '\r') ++i;
      out += eol;
      col = 0;
      continue;
    }
    bool at_eol = i + 1 == in.size() || in[i + 1] == '\n' || (in[i + 1] == '\r' && i + 2 < in.size() && in[i + 2] == '\n');
    bool escape = c == '=' || c < 32 || c > 126;
    if ((c == ' ' || c == '\t') && at_eol) escape = true;
    if ((c == ' ' || c == '\t') && !at_eol) escape = false;
    if (col == 0 && (c == 'F' || c == '.')) escape = true;
    size_t w = escape ? 3 : 1;
    if (col + w > 75) {  // soft line break: "=" + eol, line stays <= 76
      out += '=';
      out += eol;
      col = 0;
      if (c == 'F' || c == '.') escape = true, w = 3;
    }
    if (escape) {
      out += '=';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
    col += w;
  }
  return out;
}

std::string EncodeBase64(std::string_view in, std::string_view eol) {
  std::string out;
  out.reserve(in.size() * 4 / 3 + in.size() / 57 * eol.size() + 8);
  size_t col = 0;
  auto put = [&](char ch) {
    if (col == 76) {
      out += eol;
      col = 0;
    }
    out += ch;
    ++col;
  };
  size_t i = 0;
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (s[i] << 16) | (s[i + 1] << 8) | s[i + 2];
    put(kB64[v >> 18]), put(kB64[(v >> 12) & 63]), put(kB64[(v >> 6) & 63]), put(kB64[v & 63]);
  }
  if (in.size() - i == 1) {
    uint32_t v = s[i] << 16;
    put(kB64[v >> 18]), put(kB64[(v >> 12) & 63]), put('='), put('=');
  } else if (in.size() - i == 2) {
    uint32_t v = (s[i] << 16) | (s[i + 1] << 8);
    put(kB64[v >> 18]), put(kB64[(v >> 12) & 63]), put(kB64[(v >> 6) & 63]), put('=');
  }
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

bool AsciiCompatible(std::string_view charset) {
  std::string l = AsciiLower(charset);
  const std::string n = IcuName(l);  // (aliases: unicode, ucs-2, ucs-4, x-utf-16le-bom, …)
  if (StartsWith(n, "UTF-16") || StartsWith(n, "UTF-32")) return false;
  return l.rfind("utf-16", 0) != 0 && l.rfind("utf-32", 0) != 0 && l.rfind("ucs-", 0) != 0 &&
         l != "utf16" && l != "utf32";
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
