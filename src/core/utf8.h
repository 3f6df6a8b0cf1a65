// SPDX-License-Identifier: Apache-2.0
// File: utf8.h
//
// Minimal UTF-8 helpers shared by the normaliser and the matchers: decoding
// one code point and telling word characters (letters/digits) from the rest,
// which defines the "non-alphanumeric boundary" every finding needs.
#ifndef NORDPII_CORE_UTF8_H_
#define NORDPII_CORE_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nordpii {

// Decodes one UTF-8 code point at s[i]. Returns its length (1-4) and sets cp,
// or returns 0 for an invalid or truncated sequence.
int DecodeUtf8(const unsigned char* s, size_t n, size_t i, uint32_t& cp);

// True if every byte of s belongs to a valid UTF-8 character (DecodeUtf8's
// rules: no overlong forms, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view s);

// True for ASCII letters/digits and for non-ASCII code points that are not
// punctuation, symbols or spaces (a deliberately simple, table-free rule:
// Latin-1 punctuation, General Punctuation, CJK punctuation, full-width
// punctuation and emoji are not word characters; letters of any script are).
// ASCII letters and digits, as a table (the per-byte loops of the label
// search test this for every byte; a lookup has no branches to mispredict).
inline constexpr struct AsciiWordTable {
  bool word[128];
  constexpr AsciiWordTable() : word() {
    for (int c = 0; c < 128; ++c)
      word[c] = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
  }
} kAsciiWord{};

inline bool IsWordCodepoint(uint32_t c) {
  if (c < 0x80) return kAsciiWord.word[c];
  if (c < 0xC0) return c == 0xAA || c == 0xB5 || c == 0xBA;
  if (c == 0xD7 || c == 0xF7) return false;
  if (c >= 0x2000 && c <= 0x2BFF) return false;
  if (c >= 0x3000 && c <= 0x303F) return false;
  if (c >= 0xFE30 && c <= 0xFE6F) return false;
  if (c >= 0xFF00 && c <= 0xFF0F) return false;
  if (c >= 0x1F000) return false;
  return true;
}

// Appends the UTF-8 encoding of code point c (<= U+10FFFF) to out.
void AppendUtf8(uint32_t c, std::string& out);
// Writes the UTF-8 bytes of code point `c` (1-4) at `out`; returns how many.
size_t EncodeUtf8(uint32_t c, char* out);

// ASCII letters lower-cased, every other byte kept (header names, charset
// labels, MIME types, domains).
std::string AsciiLower(std::string_view s);

// A letter of a script written without spaces between words — Han,
// hiragana, katakana, Hangul syllables, Thai, Lao, Khmer, Myanmar — (closed17:
// "番号15108695088です": a number there is glued to the words around it
// as every word is, and is still a number of its own).
inline bool IsUnspacedScriptCodepoint(uint32_t c) {
  return (c >= 0x0E00 && c <= 0x0EFF) ||    // Thai, Lao
         (c >= 0x1000 && c <= 0x109F) ||    // Myanmar
         (c >= 0x1780 && c <= 0x17FF) ||    // Khmer
         (c >= 0x3040 && c <= 0x31FF) ||    // hiragana, katakana, bopomofo, kanbun, katakana ext.
         (c >= 0x3400 && c <= 0x4DBF) ||    // CJK ext. A
         (c >= 0x4E00 && c <= 0x9FFF) ||    // CJK unified ideographs
         (c >= 0xAC00 && c <= 0xD7AF) ||    // Hangul syllables
         (c >= 0xF900 && c <= 0xFAFF) ||    // CJK compatibility ideographs
         (c >= 0xFF66 && c <= 0xFFDC) ||    // halfwidth katakana, Hangul
         (c >= 0x20000 && c <= 0x3FFFF);    // CJK ext. B-H
}

// Is the code point that ends right before text[pos] a word character?
bool WordCharBefore(std::string_view text, size_t pos);
// Is the code point starting at text[pos] a word character?
bool WordCharAt(std::string_view text, size_t pos);
// The same, but a letter of an unspaced script (IsUnspacedScriptCodepoint)
// is no word character: a digit run's edges.
bool RunGlueBefore(std::string_view text, size_t pos);
bool RunGlueAt(std::string_view text, size_t pos);

}  // namespace nordpii

#endif  // NORDPII_CORE_UTF8_H_
