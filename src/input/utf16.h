// SPDX-License-Identifier: Apache-2.0
// File: utf16.h
//
// UTF-16 text (Excel's "Unicode text" export, Windows Notepad's "Unicode",
// PowerShell's default redirection): recognised from its first bytes (a
// byte order mark, or without one the NUL in every other byte that ASCII
// text has in UTF-16), decoded to UTF-8 for the scan, and encoded back for
// redaction (same byte order, BOM kept as it was). Offsets of findings in
// the UTF-8 text map back to the file's bytes exactly (Utf16Offsets).
//
// Written here rather than with ICU's converters: ucnv needs a UChar and an
// offset array per input byte (~12 bytes of scratch each), while the
// conversion itself is a few lines; the offset map is computed from the
// UTF-8 text on demand instead of being stored.
#ifndef NORDPII_INPUT_UTF16_H_
#define NORDPII_INPUT_UTF16_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace nordpii {

struct Utf16Kind {
  bool utf16 = false;
  bool big_endian = false;
  bool bom = false;  // the input starts with FF FE / FE FF
};

// From the first bytes of an input (8 KiB is plenty; 2 bytes give a BOM).
// Without a BOM: at least 8 bytes, 90 % of the code units with one zero
// byte on the same side and none with the other.
Utf16Kind SniffUtf16(std::string_view head);

// Decodes UTF-16 (without its BOM: the caller skips kind.bom's 2 bytes) to
// UTF-8, appended to `out`. An unpaired surrogate becomes U+FFFD (3 bytes
// for the 2 of the unit, so offsets still map); an odd last byte too.
void Utf16ToUtf8(std::string_view in, bool big_endian, std::string& out);

// Encodes UTF-8 to UTF-16, appended to `out`. A sequence cut at the end of
// `in` is kept in `carry` (pass it back with the next piece); invalid bytes
// become U+FFFD.
void Utf8ToUtf16(std::string_view in, bool big_endian, std::string& out, std::string& carry);

// Offsets in the UTF-8 text decoded from a UTF-16 file -> offsets in the
// file. Walks the text from the last offset asked (from the start when an
// earlier one is asked), so increasing offsets cost O(text) in all.
class Utf16Offsets {
 public:
  Utf16Offsets(std::string_view utf8, uint64_t bom_bytes) : text_(utf8), base_(bom_bytes) {}
  uint64_t Map(uint64_t utf8_offset);

 private:
  std::string_view text_;
  uint64_t base_;
  uint64_t at8_ = 0, at16_ = 0;
};

}  // namespace nordpii

#endif  // NORDPII_INPUT_UTF16_H_
