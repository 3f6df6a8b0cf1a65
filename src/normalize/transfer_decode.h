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
// bytes per input byte; ToUtf8 converts 64 KiB of input at a time
// (scratch ~1 MiB), any charset.
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
  // HTML (HtmlToText): ranges of `bytes` [begin, end), after the visible
  // text, each scanned as a document of its own (a script, a style sheet,
  // the title, a <meta content>): no label or number reaches across them.
  // The visible text is [0, separate.front().begin). The map leads them back
  // to their own HTML bytes, so `map` is monotone within the visible text
  // and within each range, not across them. Empty for everything else.
  struct Separate {
    uint32_t begin, end;
    // The text of a script or style sheet: full of numbers (timestamps,
    // ids, sizes) that validate by chance, so only a labelled finding
    // (high confidence) counts there.
    bool code;
  };
  std::vector<Separate> separate;
};

Decoded DecodeQuotedPrintable(std::string_view in);
Decoded DecodeBase64(std::string_view in);
// Their bytes alone, without the map and notes (for what reads only the
// bytes: a document attachment handed to its extractor, the first bytes of a
// part sniffed for a document; the map was a third of decoding them).
std::string DecodeQuotedPrintableBytes(std::string_view in);
std::string DecodeBase64Bytes(std::string_view in);
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

// A charset converted to UTF-8 a piece of input at a time, with ICU's state
// (shift states, a character cut between two pieces) carried across: the
// bytes and map of the input converted in one ICU call, whatever the pieces
// (issue 12 #9: one call needs ~12 bytes of scratch per input byte). A
// multi-byte or stateful charset never leaves a character to ICU between
// calls (ICU gives its units no source offset): a call that ends inside one
// is done again from a copy of the converter, up to its start, and its bytes
// wait. Labels as for ToUtf8; a UTF-8 label passes the bytes as they are.
// The code points of a conversion, a byte or two each (UTF-8 and source
// lengths, unchanged or not), from which the OffsetMap pieces of any range
// are made again (Cover): 1 byte per character where a piece is 16 (UTF-16
// text changes every character: a 3 MiB window of pieces took ~100 MB).
class CodePoints {
 public:
  void Add(uint64_t sb, uint64_t se, size_t len, bool same);
  // map = the pieces of the code points holding output [a, b), after an
  // empty piece setting the shift where they start: exact for [a, b).
  // The pieces up to 4 KiB past b are made too, and a range already
  // covered returns at once (findings come in order).
  void Cover(uint64_t a, uint64_t b, OffsetMap& map);
  // Forgets the code points before output offset ~d (when at least half of them can go).
  void DropBefore(uint64_t d);
  uint64_t from() const { return base_dst_; }  // output offsets before this are forgotten

 private:
  struct Anchor {
    size_t off;
    uint64_t dst, src;
  };
  void PutVarint(uint64_t v);
  size_t Next(size_t i, uint32_t& len, uint64_t& n, bool& same) const;
  std::string rec_;
  static constexpr uint64_t kAhead = 4096;
  std::vector<Anchor> anchors_;  // every 256 code points
  uint64_t count_ = 0, dst_ = 0, src_ = 0, base_dst_ = 0, base_src_ = 0;
  bool cov_ = false;             // the map last made is exact for [cov_a_, cov_b_)
  uint64_t cov_a_ = 0, cov_b_ = 0;
};

class Utf8Converter {
 public:
  explicit Utf8Converter(std::string_view charset);
  ~Utf8Converter();
  Utf8Converter(const Utf8Converter&) = delete;
  Utf8Converter& operator=(const Utf8Converter&) = delete;
  // Converts the next bytes of the input (`last`: the final ones), appending
  // UTF-8 to `out` and, when `map` is set, its pieces (offsets in the whole
  // output -> the whole input; pieces only where the bytes change). The
  // scratch is ~10 bytes per byte of `in`. An error when ICU fails.
  // `cps`: the code points recorded instead of (or as well as) the map.
  Status Put(std::string_view in, bool last, std::string& out, OffsetMap* map, CodePoints* cps = nullptr);
  bool passthrough() const;  // a UTF-8 label: bytes as they are, no map
  uint64_t produced() const { return produced_; }  // UTF-8 bytes appended so far
  const std::vector<std::string>& notes() const { return notes_; }  // an unknown label read as windows-1252

 private:
  struct State;
  std::unique_ptr<State> s_;
  uint64_t src_ = 0, produced_ = 0;
  std::vector<std::string> notes_;
};

// A text part in a charset other than UTF-8 converted as it is read (issue
// 12 #9): `in` (a TransferStream, or a StringSource of an 8bit body) is read
// `block` bytes at a time and converted by a Utf8Converter, so the part is
// never held whole, nor its UTF-8 — the bytes ToUtf8 gives at once. With a
// map, Cover + map() lead the UTF-8 back to offsets in `in` (the pieces
// ToUtf8 gives, made again from CodePoints); only about the newest `keep`
// bytes stay mappable (mapped_from()).
// An ICU failure is a read error (ToUtf8 kept the bytes). `in` must
// outlive the stream.
class CharsetStream : public ByteSource {
 public:
  CharsetStream(ByteSource& in, std::string_view charset, bool with_map = true, size_t keep = 2u << 20,
                size_t block = 64u << 10);
  Result<size_t> Read(char* buf, size_t n) override;
  const std::string& name() const override { return name_; }
  // Call Cover(a, b) first: map() then maps output [a, b) exactly.
  const OffsetMap& map() const { return map_; }
  void Cover(uint64_t a, uint64_t b) {
    if (with_map_) cps_.Cover(a, b, map_);
  }
  uint64_t mapped_from() const { return mapped_from_; }
  uint64_t produced() const { return cv_.produced(); }  // UTF-8 bytes so far
  uint64_t consumed() const { return consumed_in_; }    // bytes of `in` read so far
  const std::vector<std::string>& notes() const { return cv_.notes(); }

 private:
  ByteSource& in_;
  Utf8Converter cv_;
  bool with_map_;
  size_t keep_, block_;
  std::string name_, in_buf_, buf_;
  size_t off_ = 0;
  uint64_t mapped_from_ = 0, consumed_in_ = 0;
  OffsetMap map_;
  CodePoints cps_;
  bool done_ = false;
};

// `charset` is the MIME label (case-insensitive); output is UTF-8.
Decoded ToUtf8(std::string_view in, std::string_view charset);
// The same, converting `chunk` input bytes at a time (tests: any chunk gives
// the same bytes and map; chunk >= in.size() is one ICU call).
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
// (or UTF-8 characters), 4 ASCII ones in a row (so random or compressed bytes give little; a
// full-width letter or digit, U+FF10-FF5A, which NFKC folds to ASCII, counts as one), joined by
// '\n'. UTF-16LE runs (Windows programs' strings, `strings -e l`: ASCII,
// Latin-1/Latin Extended-A letters and full-width letters and digits, the
// same length and letter rules) are converted to UTF-8 and written among
// them in byte order. The map leads each run back to its
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

namespace internal {
// Caps the fast paths the quoted-printable and base64 range decoders take:
// 0 the scalar loops alone, 1 SSE, 2 AVX2 where the CPU has it (the
// default). Returns the previous cap. For tests (not thread-safe).
int SetTransferDecodeSimd(int level);
}  // namespace internal

}  // namespace nordpii

#endif  // NORDPII_NORMALIZE_TRANSFER_DECODE_H_
