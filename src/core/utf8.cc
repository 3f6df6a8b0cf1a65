// SPDX-License-Identifier: Apache-2.0
#include "core/utf8.h"

namespace nordpii {

int DecodeUtf8(const unsigned char* s, size_t n, size_t i, uint32_t& cp) {
  unsigned char b = s[i];
  if (b < 0x80) { cp = b; return 1; }
  auto cont = [&](size_t k) { return i + k < n && (s[i + k] & 0xC0) == 0x80; };
  if (b >= 0xC2 && b <= 0xDF) {
    if (!cont(1)) return 0;
    cp = ((b & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
    return 2;
  }
  if (b >= 0xE0 && b <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    cp = ((b & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return 3;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    cp = ((b & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) |
         (s[i + 3] & 0x3Fu);
    if (cp < 0x10000 || cp > 0x10FFFF) return 0;
    return 4;
  }
  return 0;
}

bool IsValidUtf8(std::string_view s) {
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  uint32_t cp;
  for (size_t i = 0; i < s.size();) {
    if (b[i] < 0x80) {
      ++i;
      continue;
    }
    const int n = DecodeUtf8(b, s.size(), i, cp);
    if (n == 0) return false;
    i += static_cast<size_t>(n);
  }
  return true;
}

size_t EncodeUtf8(uint32_t c, char* out) {
  if (c < 0x80) {
    out[0] = static_cast<char>(c);
    return 1;
  }
  if (c < 0x800) {
    out[0] = static_cast<char>(0xC0 | (c >> 6));
    out[1] = static_cast<char>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (c >> 12));
    out[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (c >> 18));
  out[1] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (c & 0x3F));
  return 4;
}

void AppendUtf8(uint32_t c, std::string& out) {
  char b[4];
  out.append(b, EncodeUtf8(c, b));
}

namespace {

// Whether the code point ending just before `pos` / starting at `pos`
// satisfies `is` (a byte that is not valid UTF-8 there counts as a letter:
// true). ASCII bytes are tested directly.
template <class Is>
bool CodepointBefore(std::string_view text, size_t pos, Is is) {
  if (pos == 0) return false;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  if (s[pos - 1] < 0x80) return is(s[pos - 1]);
  size_t b = pos - 1;
  while (b > 0 && pos - b < 4 && (s[b] & 0xC0) == 0x80) --b;
  uint32_t cp;
  int len = DecodeUtf8(s, pos, b, cp);
  if (len == 0 || b + static_cast<size_t>(len) != pos) return true;  // treat junk as a letter
  return is(cp);
}
template <class Is>
bool CodepointAt(std::string_view text, size_t pos, Is is) {
  if (pos >= text.size()) return false;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  if (s[pos] < 0x80) return is(s[pos]);
  uint32_t cp;
  if (DecodeUtf8(s, text.size(), pos, cp) == 0) return true;
  return is(cp);
}

// A letter a digit run is glued to: a word code point of a script written
// with spaces between words.
inline bool GluesRun(uint32_t cp) { return IsWordCodepoint(cp) && !IsUnspacedScriptCodepoint(cp); }

}  // namespace

constexpr auto kWord = [](uint32_t c) { return IsWordCodepoint(c); };
constexpr auto kGlue = [](uint32_t c) { return GluesRun(c); };

bool WordCharBefore(std::string_view text, size_t pos) { return CodepointBefore(text, pos, kWord); }
bool WordCharAt(std::string_view text, size_t pos) { return CodepointAt(text, pos, kWord); }
bool RunGlueBefore(std::string_view text, size_t pos) { return CodepointBefore(text, pos, kGlue); }
bool RunGlueAt(std::string_view text, size_t pos) { return CodepointAt(text, pos, kGlue); }

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace nordpii
