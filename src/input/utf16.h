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
#include <memory>
#include <string>
#include <string_view>

#include "input/byte_source.h"

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

// UTF-16 text decoded to UTF-8 as it is read (issue 12 #9: a UTF-16 file
// was read and decoded whole, ~2.5x its size in memory): 256 KiB of input
// at a time, a surrogate pair or an odd byte cut at a read's end waits for
// the next; the same UTF-8 as Utf16ToUtf8 of the whole. The BOM (kind.bom)
// is skipped. Offsets in the UTF-8 output map back to the file's bytes for
// the newest `keep` bytes of output (the decoded text is kept that far back
// and walked as Utf16Offsets does; findings lie in the scanner's last chunk
// and overlap, far inside it): memory is `keep` plus one read, whatever the
// file's size.
class Utf16Source : public ByteSource {
 public:
  Utf16Source(std::unique_ptr<ByteSource> in, Utf16Kind kind, size_t keep = 2u << 20);
  Result<size_t> Read(char* buf, size_t n) override;
  const std::string& name() const override { return in_->name(); }
  // The file offset of UTF-8 offset `d` (an offset inside a character maps
  // after it); false when `d` is older than the kept text.
  bool Map(uint64_t d, uint64_t& file_offset);
  uint64_t raw_bytes() const { return raw_; }  // file bytes read so far

 private:
  Status Fill();
  std::unique_ptr<ByteSource> in_;
  Utf16Kind kind_;
  size_t keep_;
  bool eof_ = false, bom_skipped_ = false;
  std::string raw_pending_;  // input bytes not decoded yet (a cut pair or byte)
  std::string hist_;         // UTF-8 output from hist8_ on (the kept text and what is not read yet)
  uint64_t hist8_ = 0, hist16_ = 0;  // hist_[0]'s UTF-8 offset and file offset
  uint64_t out8_ = 0;                // UTF-8 bytes handed out (hist_ from out8_ - hist8_ is unread)
  uint64_t at8_ = 0, at16_ = 0;      // the last Map position (walks go on from it)
  uint64_t raw_ = 0;
};

}  // namespace nordpii

#endif  // NORDPII_INPUT_UTF16_H_
