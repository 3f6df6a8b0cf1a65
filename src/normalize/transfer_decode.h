// SPDX-License-Identifier: Apache-2.0
// File: transfer_decode.h
//
// Bounded decoders for the encodings mail and tickets wrap text in, each
// returning the decoded bytes and an OffsetMap from decoded offsets back to
// the encoded input, so a finding in decoded text points at (and redaction
// can re-encode) the exact encoded bytes:
//   - quoted-printable (RFC 2045): soft line breaks that split a number are
//     removed, =XX becomes one byte, a malformed '=' is kept literally;
//   - base64: whitespace and line noise are skipped, missing or bad padding
//     is tolerated; offsets map to the enclosing 4-character quantum;
//   - charsets to UTF-8 with ICU (UTF-8, ISO-8859-x, windows-125x, UTF-16, …);
//     ISO-8859-1 and US-ASCII labels are read as windows-1252 (WHATWG), an
//     unknown or empty label falls back to windows-1252 and says so;
//   - RFC 2047 encoded words in unstructured header values.
// These are our own decoders on purpose: mimetic's codecs carry out-of-bounds
// reads in Debian's 0.9.8 (see shared/reference), and none of them keeps an
// offset map. Every function is pure and thread-safe. Output is at most 3
// bytes per input byte; ToUtf8 converts a single-byte charset 64 KiB of
// input at a time (scratch ~1 MiB); a multi-byte one needs about 12 bytes of
// scratch per input byte, so callers bound part sizes before converting.
//
// Used by the mail reader and the engine's tests.
#ifndef NORDPII_NORMALIZE_TRANSFER_DECODE_H_
#define NORDPII_NORMALIZE_TRANSFER_DECODE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/offset_map.h"
#include "core/status.h"
#include "input/byte_source.h"

namespace nordpii {

struct Decoded {
  std::string bytes;               // decoded output
  OffsetMap map;                   // decoded offsets -> input offsets
  std::vector<std::string> notes;  // what was repaired ("bad base64 padding", …); no content
};

Decoded DecodeQuotedPrintable(std::string_view in);
Decoded DecodeBase64(std::string_view in);
struct Base64State;

// A quoted-printable or base64 body decoded a range at a time (256 KiB of
// input), for parts too large to hold decoded (issue 12 #9): the same bytes
// and map as DecodeQuotedPrintable / DecodeBase64 give at once (both are
// written on the same range decoders), with memory bounded by the range.
// Base64 (a map piece per line): only the newest `keep` decoded bytes stay
// mappable, older pieces are dropped. Quoted-printable (a piece per escape,
// 16 bytes for every decoded byte of an all-escape body): the map is kept in
// pieces per range — only where each range starts (and the map piece it may
// extend) is remembered, and Cover(a, b) rebuilds map() for the range(s)
// holding decoded [a, b) from the raw bytes (at most 4 ranges held), so
// every offset stays mappable (before: the pieces of the newest 2 MiB, and a
// 60 MB all-escape body took 217 MB). The scanner reads it as a ByteSource;
// its findings lie within its last chunk and overlap, far inside `keep`
// (2 MiB). Redaction replays the decoded bytes in order with a second
// stream (CopyTo / CopyRest, no map). `in` must outlive the stream.
class TransferStream : public ByteSource {
 public:
  enum Kind { kQuotedPrintable, kBase64 };
  static constexpr size_t kRange = 256 << 10;
  // `range`: input decoded per step (tests use a few bytes).
  TransferStream(std::string_view in, Kind kind, bool with_map = true, size_t keep = 2u << 20,
                 size_t range = kRange);
  ~TransferStream() override;
  Result<size_t> Read(char* buf, size_t n) override;
  const std::string& name() const override { return name_; }
  // Decoded offsets -> offsets in `in`; exact for offsets >= mapped_from()
  // (older pieces were dropped). Quoted-printable: call Cover first; map()
  // then maps decoded [a, b) exactly (mapped_from() is 0).
  const OffsetMap& map() const { return map_; }
  uint64_t mapped_from() const { return mapped_from_; }
  // Quoted-printable with a map: makes map() hold the pieces of the ranges
  // holding decoded [a, b) (b <= produced()), and of the range after them
  // when decoded (a break there may extend their last piece). No-op for base64.
  void Cover(uint64_t a, uint64_t b);
  uint64_t produced() const { return produced_; }  // decoded bytes so far
  bool done() const { return done_ && off_ == buf_.size(); }
  // What was repaired; complete once the stream is read to its end.
  const std::vector<std::string>& notes() const { return notes_; }
  // Hands the decoded bytes up to offset `to` (from where the last call
  // stopped) to `put` (null: skipped).
  Status CopyTo(uint64_t to, const std::function<void(std::string_view)>& put);
  // The rest of the decoded bytes.
  Status CopyRest(const std::function<void(std::string_view)>& put);

 private:
  bool Decode();
  void Prune();
  std::string_view in_;
  Kind kind_;
  bool with_map_;
  size_t keep_;
  size_t range_;
  std::string name_;
  size_t pos_ = 0;  // input decoded so far
  std::string buf_;  // the last range's decoded bytes
  size_t off_ = 0;   // of buf_ handed out
  uint64_t produced_ = 0, consumed_ = 0, mapped_from_ = 0;
  OffsetMap map_;
  bool done_ = false, malformed_ = false;
  std::unique_ptr<Base64State> b64_;
  std::vector<std::string> notes_;
  // Quoted-printable with a map: where each range starts, with the last map
  // piece before it (a soft break or a UTF-8 continuation at the range's
  // start extends it).
  struct Mark {
    uint64_t dst;
    size_t src;
    OffsetMap::Piece last;
    bool has_last;
  };
  bool marks() const { return kind_ == kQuotedPrintable && with_map_; }
  size_t RangeOf(uint64_t d) const;
  std::vector<Mark> marks_;
  OffsetMap::Piece last_{};
  bool has_last_ = false;
  OffsetMap scratch_;     // the map of the range being decoded
  std::string scratch_bytes_;
  size_t held0_ = 1, held1_ = 0;  // ranges map_ holds (none when held1_ < held0_)
};

// `charset` is the MIME label (case-insensitive); output is UTF-8.
Decoded ToUtf8(std::string_view in, std::string_view charset);
// The same, converting a single-byte charset `chunk` input bytes at a time
// (tests: any chunk gives the same bytes and map).
Decoded ToUtf8(std::string_view in, std::string_view charset, size_t chunk);
// Decodes every RFC 2047 encoded word ("=?utf-8?Q?...?=", "=?iso-8859-1?B?...?=")
// of a header value to UTF-8; whitespace between adjacent encoded words is
// dropped; each encoded word maps back as a whole.
Decoded DecodeEncodedWords(std::string_view value);

// Binary bytes no extractor reads (an application/octet-stream attachment):
// the printable text runs in them, like strings(1) — printable ASCII and
// tab, valid UTF-8 sequences of printable code points, and Latin-1 bytes
// 0xA0-0xFF that are not UTF-8 (converted to UTF-8) — of at least
// `min_chars` characters of which at least half are ASCII letters or digits
// (or UTF-8 characters), 4 ASCII ones in a row (so random or compressed bytes give little), joined by
// '\n'. The map leads each run back to its
// bytes (a '\n' stands for the bytes between two runs). Own code: GNU
// strings keeps no offsets and is a separate process; this is one linear pass.
Decoded PrintableRuns(std::string_view in, size_t min_chars = 4);
// True when `in` reads as text: valid UTF-8, no NUL, at most 1 % other
// control characters (tab, line breaks and form feed do not count).
bool LooksLikeText(std::string_view in);

// Maps a range of the last stage's output back through the maps of earlier
// stages (given outermost first): [start, end) -> input range.
struct ByteRange {
  uint32_t start, end;
};
ByteRange MapBack(ByteRange r, const std::vector<const OffsetMap*>& maps);

}  // namespace nordpii

#endif  // NORDPII_NORMALIZE_TRANSFER_DECODE_H_
