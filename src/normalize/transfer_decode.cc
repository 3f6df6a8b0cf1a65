// SPDX-License-Identifier: Apache-2.0
#include "normalize/transfer_decode.h"

#include <unicode/ucnv.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "core/simd.h"
#include "core/utf8.h"

// The base64 blocks need SSSE3 (byte shuffles) and SSE4.1 (blends); their
// AVX2 form needs those too (it ends with the SSE form).
#if defined(__SSE4_1__) && defined(__SSSE3__)
#define NORDPII_B64_SIMD 1
#else
#define NORDPII_B64_SIMD 0
#endif
#define NORDPII_B64_AVX2 (NORDPII_B64_SIMD && NORDPII_HAVE_AVX2_PATH)

namespace nordpii {

namespace {
// Which fast paths the range decoders may take: 0 none (the scalar loops
// alone), 1 the SSE ones (quoted-printable runs 32 bytes a step and escape
// pairs, base64 blocks of 16 characters), 2 those with base64 blocks of 32
// (AVX2) where the CPU has it. A build without SSSE3 and SSE4.1 has none.
int g_simd_cap = 2;

int SimdLevel() {
#if NORDPII_B64_SIMD
#if NORDPII_B64_AVX2
  if (g_simd_cap >= 2 && CpuHasAvx2()) return 2;
#endif
  return g_simd_cap >= 1 ? 1 : 0;
#else
  return 0;
#endif
}
}  // namespace

namespace internal {
int SetTransferDecodeSimd(int level) {
  const int old = g_simd_cap;
  g_simd_cap = level;
  return old;
}
}  // namespace internal

namespace {

int HexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<unsigned char>(c | 0x20);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int Base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;  // '-' / '_': the URL-safe alphabet, seen in the wild
  if (c == '/' || c == '_') return 63;
  return -1;
}

// Adds a piece, merging it into the previous one when they touch.
void AddPiece(OffsetMap& map, uint32_t db, uint32_t de, uint32_t sb, uint32_t se) {
  const auto& p = map.pieces();
  if (!p.empty() && p.back().dst_end == db && p.back().src_end == sb && db == de) {
    map.ExtendLast(de, se);  // consecutive deletions
    return;
  }
  map.Add(db, de, sb, se);
}

struct ConverterDeleter {
  void operator()(UConverter* c) const { ucnv_close(c); }
};

}  // namespace

namespace {
// Drops the pieces that end more than `keep` bytes behind the newest output
// (the map is rebuilt when at least half of it can go, so the cost stays
// linear); the last dropped piece's successor keeps lookups after it exact.
void PruneMap(OffsetMap& map, uint64_t produced, size_t keep, uint64_t& mapped_from) {
  const auto& p = map.pieces();
  if (p.size() < 4096 || produced <= keep) return;
  const uint64_t keep_from = produced - keep;
  // Last piece that ends before keep_from: kept as the anchor.
  auto it = std::lower_bound(p.begin(), p.end(), keep_from,
                             [](const OffsetMap::Piece& x, uint64_t v) { return x.dst_end < v; });
  if (it == p.begin()) return;
  size_t j = static_cast<size_t>(it - p.begin()) - 1;
  if (j < p.size() / 2) return;
  OffsetMap kept;
  for (size_t k = j; k < p.size(); ++k) kept.Add(p[k].dst_begin, p[k].dst_end, p[k].src_begin, p[k].src_end);
  mapped_from = static_cast<uint64_t>(p[j].dst_begin) + 1;
  map = std::move(kept);
}

}  // namespace

// Base64 decoder state carried from one range to the next: the quantum in
// progress and the line in progress (a line longer than a range keeps one
// map piece, created with the line's final source end).
struct Base64State {
  uint32_t acc = 0;
  int have = 0;
  bool noise = false;
  bool in_line = false, piece = false;
  size_t line_src = 0, content_end = 0, line_end = 0;
  uint64_t line_dst = 0;
};

namespace {

// Fast paths of the range decoders (issue 14: QpRange and B64Range were ~19 %
// of a typical mbox's scan). Hand-written: Debian 12 has no SIMD base64
// library (libb64 is scalar). Each one only takes the plain case and leaves
// everything else, at the same offset, to the scalar loops below, so the
// bytes and the map are those of the scalar loops (tested against them with
// internal::SetTransferDecodeSimd(0)).
#if NORDPII_B64_SIMD
// The base64 characters of c (our alphabet: A-Z a-z 0-9 + / and the URL-safe
// - _) as their 6-bit values; `bad` gets a byte 0xFF for every other byte.
// The Muła/Lemire lookups by nibble: a byte is in the alphabet when the class
// bits of its low nibble and of its high nibble meet (bit 0: 0x2_, 1: 0x3_,
// 2: 0x4_ and 0x6_, 3: 0x5_, 4: 0x7_; bytes >= 0x80 have no class).
inline __m128i B64Values(__m128i c, __m128i& bad) {
  const __m128i lo_lut = _mm_setr_epi8(0x1A, 0x1E, 0x1E, 0x1E, 0x1E, 0x1E, 0x1E, 0x1E, 0x1E, 0x1E, 0x1C, 0x05,
                                       0x04, 0x05, 0x04, 0x0D);
  const __m128i hi_lut = _mm_setr_epi8(0, 0, 0x01, 0x02, 0x04, 0x08, 0x04, 0x10, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m128i shift_lut = _mm_setr_epi8(0, 0, 0, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m128i nib = _mm_set1_epi8(0x0F);
  const __m128i hi = _mm_and_si128(_mm_srli_epi32(c, 4), nib), lo = _mm_and_si128(c, nib);
  bad = _mm_cmpeq_epi8(_mm_and_si128(_mm_shuffle_epi8(lo_lut, lo), _mm_shuffle_epi8(hi_lut, hi)),
                       _mm_setzero_si128());
  __m128i v = _mm_add_epi8(c, _mm_shuffle_epi8(shift_lut, hi));
  const __m128i m62 = _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('+')), _mm_cmpeq_epi8(c, _mm_set1_epi8('-')));
  const __m128i m63 = _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('/')), _mm_cmpeq_epi8(c, _mm_set1_epi8('_')));
  v = _mm_blendv_epi8(v, _mm_set1_epi8(62), m62);
  return _mm_blendv_epi8(v, _mm_set1_epi8(63), m63);
}

// Quanta of base64 characters from s decoded, 16 characters to 12 bytes a
// block (16 bytes stored per block: out needs 16 bytes of room past the
// output): the quanta that start before `len`, all of whose characters are in
// the alphabet, up to the first that is not (a line's end, '=', noise).
// Loads stay below `avail` (>= len). Returns the characters decoded (a
// multiple of 4); the bytes are 3 per 4.
size_t B64BlocksSse(const unsigned char* s, size_t len, size_t avail, char* out) {
  size_t i = 0;
  const __m128i pack = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  for (; i < len && i + 16 <= avail; i += 16, out += 12) {
    __m128i bad;
    const __m128i v = B64Values(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)), bad);
    __m128i t = _mm_maddubs_epi16(v, _mm_set1_epi32(0x01400140));
    t = _mm_madd_epi16(t, _mm_set1_epi32(0x00011000));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_shuffle_epi8(t, pack));
    const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(bad));
    if (m || i + 16 > len) {  // the last block: its whole quanta before the first bad byte, before len
      const size_t q = std::min<size_t>(m ? static_cast<size_t>(__builtin_ctz(m)) / 4 : 4, (len - i + 3) / 4);
      return i + 4 * q;
    }
  }
  return i;
}
#endif

#if NORDPII_B64_AVX2
NORDPII_AVX2_BEGIN
// B64BlocksSse for 32 characters (24 bytes, 32 stored) a block, then
// B64BlocksSse for the rest (out needs 16 bytes of room past the output).
size_t B64BlocksAvx2(const unsigned char* s, size_t len, size_t avail, char* out) {
  size_t i = 0;
  const __m256i lo_lut = _mm256_setr_epi8(0x1A, 0x1E, 0x1E, 0x1E, 0x1E, 0x1E, 0x1E, 0x1E, 0x1E, 0x1E, 0x1C, 0x05,
                                          0x04, 0x05, 0x04, 0x0D, 0x1A, 0x1E, 0x1E, 0x1E, 0x1E, 0x1E, 0x1E, 0x1E,
                                          0x1E, 0x1E, 0x1C, 0x05, 0x04, 0x05, 0x04, 0x0D);
  const __m256i hi_lut = _mm256_setr_epi8(0, 0, 0x01, 0x02, 0x04, 0x08, 0x04, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                          0x01, 0x02, 0x04, 0x08, 0x04, 0x10, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i shift_lut = _mm256_setr_epi8(0, 0, 0, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4,
                                             -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i pack = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0, 6, 5, 4,
                                        10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i nib = _mm256_set1_epi8(0x0F);
  for (; i + 32 <= len; i += 32, out += 24) {
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i));
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi32(c, 4), nib), lo = _mm256_and_si256(c, nib);
    const __m256i bad = _mm256_cmpeq_epi8(
        _mm256_and_si256(_mm256_shuffle_epi8(lo_lut, lo), _mm256_shuffle_epi8(hi_lut, hi)), _mm256_setzero_si256());
    if (_mm256_movemask_epi8(bad)) break;
    __m256i v = _mm256_add_epi8(c, _mm256_shuffle_epi8(shift_lut, hi));
    const __m256i m62 =
        _mm256_or_si256(_mm256_cmpeq_epi8(c, _mm256_set1_epi8('+')), _mm256_cmpeq_epi8(c, _mm256_set1_epi8('-')));
    const __m256i m63 =
        _mm256_or_si256(_mm256_cmpeq_epi8(c, _mm256_set1_epi8('/')), _mm256_cmpeq_epi8(c, _mm256_set1_epi8('_')));
    v = _mm256_blendv_epi8(v, _mm256_set1_epi8(62), m62);
    v = _mm256_blendv_epi8(v, _mm256_set1_epi8(63), m63);
    __m256i t = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
    t = _mm256_madd_epi16(t, _mm256_set1_epi32(0x00011000));
    t = _mm256_shuffle_epi8(t, pack);
    t = _mm256_permutevar8x32_epi32(t, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), t);
  }
  return i + B64BlocksSse(s + i, len - i, avail - i, out);
}
NORDPII_AVX2_END
#endif

// The room the fast paths need past their output.
constexpr size_t kSimdRoom = 32;

const std::array<int8_t, 256>& HexTable() {
  static const auto kTable = [] {
    std::array<int8_t, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = static_cast<int8_t>(HexValue(static_cast<unsigned char>(c)));
    return t;
  }();
  return kTable;
}

// Quoted-printable, in[i, to) appended to `out` (its offsets start at
// `base`): an escape or soft break that starts before `to` is taken whole
// (lookahead reads up to in.size()), so decoding a body in consecutive
// ranges gives exactly the bytes and map of decoding it at once. Returns
// where it stopped (>= to). `map` may be null (bytes only).
size_t QpRange(std::string_view in, size_t i, size_t to, std::string& outs, uint64_t base, OffsetMap* map,
               bool& malformed) {
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  // The output is written through a pointer into room for the most it can
  // be (a byte per input byte up to `to`, one more for an escape that
  // crosses it) and the fast paths' stores.
  const size_t o0 = outs.size();
  outs.resize(o0 + (to > i ? to - i : 0) + 1 + kSimdRoom);
  char* out = outs.data();
  size_t o = o0;
  const int level = SimdLevel();
  const int8_t* hex = HexTable().data();
  while (i < to) {
    // The run up to the next '=' copied at once (often empty: "=C3=A5").
    size_t k = 0;
#if defined(__SSE2__)
    if (level > 0) {
      // 32 bytes a step (two 16-byte loads, one branch: a run usually ends
      // in the first step), inline: the runs between escapes are short (~10
      // bytes in Nordic text), a call per run (memchr, memcpy) cost more
      // than the copy.
      const __m128i eq = _mm_set1_epi8('=');
      for (;;) {
        if (to - i - k < 32) {
          while (i + k < to && s[i + k] != '=') {
            out[o + k] = static_cast<char>(s[i + k]);
            ++k;
          }
          break;
        }
        const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + k));
        const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + k + 16));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + o + k), v0);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + o + k + 16), v1);
        const uint32_t m = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v0, eq))) |
                           static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v1, eq))) << 16;
        if (m) {
          k += static_cast<size_t>(__builtin_ctz(m));
          break;
        }
        k += 32;
      }
    } else
#endif
    {
      const void* eq = std::memchr(s + i, '=', to - i);
      k = eq ? static_cast<size_t>(static_cast<const unsigned char*>(eq) - s) - i : to - i;
      std::memcpy(out + o, s + i, k);
    }
    o += k;
    i += k;
    if (i >= to) break;
    // An escape first (the common case; a soft break's '=' is followed by
    // a space, tab or line break, never a hex digit).
    if (i + 2 < n) {
      int hi = hex[s[i + 1]], lo = hex[s[i + 2]];
      if (hi >= 0 && lo >= 0) {
        uint32_t at = static_cast<uint32_t>(base + o);
        unsigned char b = static_cast<unsigned char>(hi * 16 + lo);
        out[o++] = static_cast<char>(b);
        // A two-byte UTF-8 character ("=C3=A5": most escapes in Nordic
        // text) taken at once: its lead byte starts a piece, the
        // continuation escape right after it (when it starts before `to`)
        // would extend it, as below. A fast path (level > 0: tested
        // against the loop without it).
        if (level > 0 && (b & 0xE0) == 0xC0 && i + 3 < to && i + 5 < n && s[i + 3] == '=') {
          const int hi2 = hex[s[i + 4]], lo2 = hex[s[i + 5]];
          const unsigned char b2 = static_cast<unsigned char>(hi2 * 16 + lo2);
          if ((hi2 | lo2) >= 0 && (b2 & 0xC0) == 0x80) {
            out[o++] = static_cast<char>(b2);
            if (map) map->Add(at, at + 2, static_cast<uint32_t>(i), static_cast<uint32_t>(i + 6));
            i += 6;
            continue;
          }
        }
        // A UTF-8 continuation byte right after another escape joins its
        // piece: one piece per encoded character ("=C3=A5" -> "å"), not per
        // byte (the map was most of the decoding time for Nordic text).
        if (map) {
          const auto& pc = map->pieces();
          if ((b & 0xC0) == 0x80 && !pc.empty() && pc.back().dst_end == at && pc.back().src_end == i &&
              pc.back().dst_end > pc.back().dst_begin)
            map->ExtendLast(at + 1, static_cast<uint32_t>(i + 3));
          else
            map->Add(at, at + 1, static_cast<uint32_t>(i), static_cast<uint32_t>(i + 3));
        }
        i += 3;
        continue;
      }
    }
    // Soft line break: '=' [spaces/tabs] CRLF or LF.
    size_t j = i + 1;
    while (j < n && (s[j] == ' ' || s[j] == '\t')) ++j;
    if (j < n && (s[j] == '\n' || (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n'))) {
      size_t end = j + (s[j] == '\r' ? 2 : 1);
      uint32_t at = static_cast<uint32_t>(base + o);
      if (map) AddPiece(*map, at, at, static_cast<uint32_t>(i), static_cast<uint32_t>(end));
      i = end;
      continue;
    }
    malformed = true;
    out[o++] = '=';
    ++i;
  }
  outs.resize(o);
  return i;
}

const std::array<int8_t, 256>& Base64Table() {
  static const auto kTable = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    for (int c = 0; c < 256; ++c) t[c] = static_cast<int8_t>(Base64Value(static_cast<unsigned char>(c)));
    return t;
  }();
  return kTable;
}

// Base64, in[i, to) appended to `out` (offsets from `base`), one line at a
// time; the map has one piece per line (a finding maps back to the base64
// line(s) holding it: exact offsets inside base64 mean nothing to a reader,
// and a piece per 4-character quantum made the map the main cost of
// decoding) plus a deletion per line break. Consecutive ranges give the
// bytes and map of decoding at once. Returns where it stopped (>= to).
size_t B64Range(std::string_view in, size_t i, size_t to, std::string& outs, uint64_t base, OffsetMap* map,
                Base64State& st) {
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  const size_t o0 = outs.size();
  // The table and the quantum in locals: stores through `out` (char) could
  // alias the state, and a static's guard per character was measurable.
  const int8_t* tab = Base64Table().data();
  uint32_t acc = st.acc;
  int have = st.have;
  bool noise = st.noise;
  outs.resize(o0 + (to > i ? to - i : 0) / 4 * 3 + 12 + kSimdRoom);
  char* out = outs.data();
  size_t o = o0;
  [[maybe_unused]] const int level = SimdLevel();
  auto flush = [&] {
    int bytes = have * 6 / 8;
    uint32_t v = acc << (6 * (4 - have));
    for (int b = 0; b < bytes; ++b) out[o++] = static_cast<char>((v >> (16 - 8 * b)) & 0xFF);
    acc = 0;
    have = 0;
  };
  while (i < to) {
    if (!st.in_line) {
      st.line_src = i;
      st.line_dst = base + o;
      const void* nl = std::memchr(s + i, '\n', n - i);
      st.line_end = nl ? static_cast<size_t>(static_cast<const unsigned char*>(nl) - s) : n;
      st.content_end = st.line_end > i && s[st.line_end - 1] == '\r' ? st.line_end - 1 : st.line_end;
      st.in_line = true;
      st.piece = false;
    }
    const size_t content_end = st.content_end;
    const size_t seg_end = std::min(content_end, to);
    size_t simd_from = i;  // after a block the fast path refused: the scalar loop's
    while (i < seg_end) {
      // The whole quanta that start before seg_end, all in the alphabet:
      // what the whole-quanta step below does, 4 or 8 at a time.
      if (have == 0 && i >= simd_from && i + 16 <= n && level > 0) {
        size_t k = 0;
#if NORDPII_B64_AVX2
        if (level == 2) k = B64BlocksAvx2(s + i, seg_end - i, n - i, out + o);
        else
#endif
#if NORDPII_B64_SIMD
          k = B64BlocksSse(s + i, seg_end - i, n - i, out + o);
#endif
        o += k / 4 * 3;
        i += k;
        simd_from = i + 16;
        if (i >= seg_end) break;
      }
      if (have == 0 && i + 4 <= content_end) {  // whole quanta
        int a0 = tab[s[i]], a1 = tab[s[i + 1]], a2 = tab[s[i + 2]], a3 = tab[s[i + 3]];
        if ((a0 | a1 | a2 | a3) >= 0) {
          uint32_t v = (static_cast<uint32_t>(a0) << 18) | (static_cast<uint32_t>(a1) << 12) |
                       (static_cast<uint32_t>(a2) << 6) | static_cast<uint32_t>(a3);
          out[o] = static_cast<char>(v >> 16);
          out[o + 1] = static_cast<char>((v >> 8) & 0xFF);
          out[o + 2] = static_cast<char>(v & 0xFF);
          o += 3;
          i += 4;
          continue;
        }
      }
      int v = tab[s[i]];
      if (v < 0) {
        if (s[i] == '=') {
          if (have >= 2) flush();
          else have = 0, acc = 0;
        } else if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
          noise = true;
        }
        ++i;
        continue;
      }
      acc = (acc << 6) | static_cast<uint32_t>(v);
      if (++have == 4) flush();
      ++i;
    }
    const uint32_t od = static_cast<uint32_t>(base + o);
    const size_t e = st.line_end;
    const bool brk = e > content_end || e < n;
    const size_t brk_end = e < n ? e + 1 : e;
    if (i < content_end) {  // the line goes on in the next range
      // Its piece gets its final source end now (the line break merges into
      // it at the end, as AddPiece does below), so lookups in the part
      // decoded so far equal the whole decoding's.
      // Empty lines after it merge into it too (their breaks are deletions
      // next to it): looked ahead here, undone when the line ends.
      size_t ext = brk ? brk_end : content_end;
      while (brk && ext < n) {
        if (s[ext] == '\n') ++ext;
        else if (s[ext] == '\r' && (ext + 1 == n || s[ext + 1] == '\n')) ext += ext + 1 == n ? 1 : 2;
        else break;
      }
      const uint32_t src_end = static_cast<uint32_t>(ext);
      if (map) {
        if (!st.piece) map->Add(static_cast<uint32_t>(st.line_dst), od, static_cast<uint32_t>(st.line_src), src_end);
        else map->ExtendLast(od, src_end);
      }
      st.piece = true;
      break;
    }
    if (map) {
      if (st.piece) {
        map->ExtendLast(od, static_cast<uint32_t>(brk ? brk_end : content_end));  // break included
      } else {
        if (od > st.line_dst || content_end > st.line_src)
          map->Add(static_cast<uint32_t>(st.line_dst), od, static_cast<uint32_t>(st.line_src),
                   static_cast<uint32_t>(content_end));
        if (brk)  // the line break: deleted (merged into the line's piece)
          AddPiece(*map, od, od, static_cast<uint32_t>(content_end), static_cast<uint32_t>(brk_end));
      }
    }
    i = e < n ? e + 1 : e;
    st.in_line = false;
  }
  st.acc = acc;
  st.have = have;
  st.noise = noise;
  outs.resize(o);
  return i;
}

// The end of a base64 body: a quantum cut short.
void B64Finish(Base64State& st, std::string& out, uint64_t base, OffsetMap* map, std::vector<std::string>& notes) {
  if (st.have >= 2) {
    int bytes = st.have * 6 / 8;
    uint32_t v = st.acc << (6 * (4 - st.have));
    for (int b = 0; b < bytes; ++b) out.push_back(static_cast<char>((v >> (16 - 8 * b)) & 0xFF));
    st.acc = 0;
    st.have = 0;
    notes.push_back("base64 without final padding");
    const uint32_t o = static_cast<uint32_t>(base + out.size());
    if (map) {
      auto& p = map->pieces();
      if (!p.empty() && p.back().dst_end < o) map->ExtendLast(o, p.back().src_end);
    }
  } else if (st.have == 1) {
    notes.push_back("base64 ends with a stray character");
  }
  if (st.noise) notes.push_back("base64 contained non-alphabet characters (skipped)");
}

constexpr const char* kQpMalformed = "malformed quoted-printable escape kept literally";

}  // namespace

Decoded DecodeQuotedPrintable(std::string_view in) {
  Decoded d;
  d.bytes.reserve(in.size() + 1 + kSimdRoom);
  bool malformed = false;
  QpRange(in, 0, in.size(), d.bytes, 0, &d.map, malformed);
  if (malformed) d.notes.push_back(kQpMalformed);
  return d;
}

Decoded DecodeBase64(std::string_view in) {
  Decoded d;
  Base64State st;
  B64Range(in, 0, in.size(), d.bytes, 0, &d.map, st);
  B64Finish(st, d.bytes, 0, &d.map, d.notes);
  return d;
}

std::string DecodeQuotedPrintableBytes(std::string_view in) {
  std::string out;
  out.reserve(in.size() + 1 + kSimdRoom);
  bool malformed = false;
  QpRange(in, 0, in.size(), out, 0, nullptr, malformed);
  return out;
}

std::string DecodeBase64Bytes(std::string_view in) {
  std::string out;
  Base64State st;
  std::vector<std::string> notes;
  B64Range(in, 0, in.size(), out, 0, nullptr, st);
  B64Finish(st, out, 0, nullptr, notes);
  return out;
}

TransferStream::TransferStream(std::string_view in, Kind kind, bool with_map, size_t keep, size_t range)
    : in_(in), kind_(kind), with_map_(with_map), keep_(keep), range_(std::max<size_t>(range, 1)), b64_(std::make_unique<Base64State>()) {}

TransferStream::~TransferStream() = default;

bool TransferStream::Decode() {
  if (done_) return false;
  buf_.clear();
  off_ = 0;
  OffsetMap* map = with_map_ ? &map_ : nullptr;
  const size_t to = std::min(in_.size(), pos_ + range_);
  if (marks()) {
    marks_.push_back({produced_, pos_, last_, has_last_});
    scratch_.Clear();
    if (has_last_) scratch_.Add(last_.dst_begin, last_.dst_end, last_.src_begin, last_.src_end);
    pos_ = QpRange(in_, pos_, to, buf_, produced_, &scratch_, malformed_);
    if (!scratch_.pieces().empty()) {
      last_ = scratch_.pieces().back();
      has_last_ = true;
    }
  } else if (kind_ == kQuotedPrintable) {
    pos_ = QpRange(in_, pos_, to, buf_, produced_, map, malformed_);
  } else {
    pos_ = B64Range(in_, pos_, to, buf_, produced_, map, *b64_);
  }
  if (pos_ >= in_.size()) {
    done_ = true;
    if (kind_ == kBase64) B64Finish(*b64_, buf_, produced_, map, notes_);
    else if (malformed_) notes_.push_back(kQpMalformed);
  }
  produced_ += buf_.size();
  if (with_map_ && !marks()) Prune();
  return true;
}

size_t TransferStream::RangeOf(uint64_t d) const {
  auto it = std::upper_bound(marks_.begin(), marks_.end(), d, [](uint64_t v, const Mark& m) { return v < m.dst; });
  return it == marks_.begin() ? 0 : static_cast<size_t>(it - marks_.begin()) - 1;
}

// The pieces of a range are made again from its raw bytes, seeded with the
// piece before it as it was then: the same pieces as decoding at once.
// Findings come in order, so each range is usually gone over once more.
void TransferStream::Cover(uint64_t a, uint64_t b) {
  if (!marks() || marks_.empty()) return;
  size_t k0 = RangeOf(a), k1 = RangeOf(b > a ? b - 1 : a);
  // The ranges after k1 may extend its last piece (a soft break or UTF-8
  // continuation bytes at their start), as long as they add no piece.
  auto last_after = [&](size_t j) -> const OffsetMap::Piece* {
    if (j + 1 < marks_.size()) return marks_[j + 1].has_last ? &marks_[j + 1].last : nullptr;
    return has_last_ ? &last_ : nullptr;
  };
  if (const OffsetMap::Piece* l = last_after(k1)) {
    while (k1 + 1 < marks_.size()) {
      const OffsetMap::Piece* l2 = last_after(++k1);
      if (!l2 || l2->dst_begin != l->dst_begin || l2->src_begin != l->src_begin) break;  // a new piece: l is final
    }
  }
  if (held0_ <= held1_ && k0 >= held0_ && k1 <= held1_) return;
  constexpr size_t kMaxHeld = 4;
  if (held0_ <= held1_ && k0 <= held1_ + 1 && k1 + 1 >= held0_ &&
      std::max(k1, held1_) - std::min(k0, held0_) < kMaxHeld) {
    k0 = std::min(k0, held0_);
    k1 = std::max(k1, held1_);
  }
  map_.Clear();
  const Mark& m0 = marks_[k0];
  if (m0.has_last) {
    const OffsetMap::Piece& p = m0.last;
    // The shift before it (an end at its start, when it is a deletion there,
    // is looked up in the piece before): an empty piece one byte earlier.
    if (p.dst_begin > 0 && p.src_begin > 0) map_.Add(p.dst_begin - 1, p.dst_begin - 1, p.src_begin - 1, p.src_begin - 1);
    map_.Add(p.dst_begin, p.dst_end, p.src_begin, p.src_end);
  }
  bool malformed = false;
  for (size_t k = k0; k <= k1; ++k) {
    scratch_bytes_.clear();
    QpRange(in_, marks_[k].src, std::min(in_.size(), marks_[k].src + range_), scratch_bytes_, marks_[k].dst, &map_,
            malformed);
  }
  held0_ = k0;
  held1_ = k1;
}

// Drops the pieces that end more than keep_ bytes behind the newest output
// (the map is rebuilt when at least half of it can go, so the cost stays
// linear); the last dropped piece's successor keeps lookups after it exact.
void TransferStream::Prune() { PruneMap(map_, produced_, keep_, mapped_from_); }

Result<size_t> TransferStream::Read(char* buf, size_t n) {
  while (off_ == buf_.size())
    if (!Decode()) return size_t{0};
  size_t k = std::min(n, buf_.size() - off_);
  std::memcpy(buf, buf_.data() + off_, k);
  off_ += k;
  consumed_ += k;
  return k;
}

Status TransferStream::CopyTo(uint64_t to, const std::function<void(std::string_view)>& put) {
  while (consumed_ < to) {
    while (off_ == buf_.size())
      if (!Decode()) return Error(ErrorCode::kInternal, "decoded body shorter than expected");
    size_t k = static_cast<size_t>(std::min<uint64_t>(to - consumed_, buf_.size() - off_));
    if (put) put(std::string_view(buf_).substr(off_, k));
    off_ += k;
    consumed_ += k;
  }
  return Status::Ok();
}

Status TransferStream::CopyRest(const std::function<void(std::string_view)>& put) {
  for (;;) {
    while (off_ == buf_.size())
      if (!Decode()) return Status::Ok();
    if (put) put(std::string_view(buf_).substr(off_));
    consumed_ += buf_.size() - off_;
    off_ = buf_.size();
  }
}

// ICU's converter, the code units of the code point held back (its end is
// where the next one starts) and the input bytes not yet given to ICU.
struct Utf8Converter::State {
  std::unique_ptr<UConverter, ConverterDeleter> cnv;
  bool multi = false;           // a multi-byte or stateful charset: cut only where ICU holds nothing
  std::vector<UChar> u;         // code units of a round, the held-back ones at the front
  std::vector<int32_t> offs;    // ICU's source offset of each (relative to the round's start)
  std::vector<uint64_t> at;     // each unit's source offset in the whole input
  size_t carry = 0;             // units held back at the front of u / at
  uint32_t pending = 0;         // input bytes ICU holds (a round cut inside a character)
  std::string held;             // input bytes of a character cut by the end of the last Put
  std::string tail;             // the last input bytes converted (source bytes of a held-back code point)
  uint64_t tail_from = 0;       // input offset of tail[0]
};

Utf8Converter::Utf8Converter(std::string_view charset) : s_(std::make_unique<State>()) {
  std::string label = AsciiLower(charset);
  if (label == "utf-8" || label == "utf8") return;  // passed as it is (invalid bytes: the normaliser's cp1252 fallback)
  if (label.empty() || label == "iso-8859-1" || label == "latin1" || label == "us-ascii" || label == "ascii" ||
      label == "iso_8859-1")
    label = "windows-1252";
  UErrorCode err = U_ZERO_ERROR;
  s_->cnv.reset(ucnv_open(label.c_str(), &err));
  if (U_FAILURE(err) || !s_->cnv) {
    notes_.push_back("unknown charset '" + std::string(charset) + "', read as windows-1252");
    err = U_ZERO_ERROR;
    s_->cnv.reset(ucnv_open("windows-1252", &err));
    if (U_FAILURE(err)) s_->cnv.reset();
  }
  if (s_->cnv) s_->multi = ucnv_getMaxCharSize(s_->cnv.get()) > 1 || ucnv_getType(s_->cnv.get()) != UCNV_SBCS;
}

Utf8Converter::~Utf8Converter() = default;

bool Utf8Converter::passthrough() const { return !s_->cnv; }

// Each round is given to ICU as one call, so each unit comes with its
// source offset — except for bytes ICU holds from a call before (offset
// -1). A round of a multi-byte or stateful charset that ends inside a
// character is therefore done again from a copy of the converter, ending
// where that character starts (ucnv_toUCountPending: the bytes ICU holds),
// and the character's bytes wait for the next round: every round starts
// on a character, and the units and offsets are those of the input
// converted in one call. The last code point of a round waits too (its end
// is where the next one starts), and with it a lead surrogate whose trail
// is still to come.
Status Utf8Converter::Put(std::string_view in, bool last, std::string& out, OffsetMap* map, CodePoints* cps) {
  constexpr size_t kMaxHeld = 256u << 10;
  State& st = *s_;
  if (!st.cnv) {
    out.append(in);
    src_ += in.size();
    produced_ += in.size();
    return Status::Ok();
  }
  // The bytes of a character cut by the end of the last Put come first.
  std::string joined;
  const uint64_t origin = src_ - st.held.size();  // input offset of in[0]
  if (!st.held.empty()) {
    joined = st.held;
    joined.append(in);
    st.held.clear();
    in = joined;
  }
  auto src_byte = [&](uint64_t off, unsigned char& b) {
    if (off >= origin && off - origin < in.size()) return b = static_cast<unsigned char>(in[off - origin]), true;
    if (off >= st.tail_from && off - st.tail_from < st.tail.size())
      return b = static_cast<unsigned char>(st.tail[off - st.tail_from]), true;
    return false;
  };
  const uint64_t end_all = origin + in.size();  // (the held bytes at the end of `in` included)
  size_t p = 0;  // in[0, p) converted
  for (;;) {
    size_t end = in.size();
    const size_t room = st.carry + 2 * (end - p) + 64;
    if (st.u.size() < room) {
      st.u.resize(room);
      st.offs.resize(room);
      st.at.resize(room);
    }
    std::unique_ptr<UConverter, ConverterDeleter> saved;
    UErrorCode err = U_ZERO_ERROR;
    if (st.multi && !last) {
#if U_ICU_VERSION_MAJOR_NUM >= 71
      saved.reset(ucnv_clone(st.cnv.get(), &err));
#else
      int32_t sz = 0;
      saved.reset(ucnv_safeClone(st.cnv.get(), nullptr, &sz, &err));
#endif
      if (U_FAILURE(err)) return Error(ErrorCode::kInternal, "charset conversion failed");
    }
    UChar* target;
    const char* source;
    bool overflow;
    for (int attempt = 0;; ++attempt) {
      target = st.u.data() + st.carry;
      source = in.data() + p;
      err = U_ZERO_ERROR;
      ucnv_toUnicode(st.cnv.get(), &target, st.u.data() + st.u.size(), &source, in.data() + end,
                     st.offs.data() + st.carry, last && end == in.size(), &err);
      overflow = err == U_BUFFER_OVERFLOW_ERROR;
      if (U_FAILURE(err) && !overflow) return Error(ErrorCode::kInternal, "charset conversion failed");
      if (!saved || overflow || attempt > 1) break;
      UErrorCode e2 = U_ZERO_ERROR;
      const int32_t pending = ucnv_toUCountPending(st.cnv.get(), &e2);
      if (U_FAILURE(e2) || pending <= 0) break;
      // ICU holds the start of a character: again from the copy, up to it;
      // still inside one (a run of lone lead surrogates: each waits for the
      // next), all of it waits for more input — up to kMaxHeld, then ICU
      // keeps the bytes (the units made of them then map with the first).
      const size_t stop = static_cast<size_t>(source - in.data());
      size_t cut = stop >= p + static_cast<size_t>(pending) ? stop - static_cast<size_t>(pending) : p;
      if (attempt == 1) {
        if (in.size() - p > kMaxHeld) break;
        cut = p;
      }
      err = U_ZERO_ERROR;
#if U_ICU_VERSION_MAJOR_NUM >= 71
      st.cnv.reset(ucnv_clone(saved.get(), &err));
#else
      int32_t sz = 0;
      st.cnv.reset(ucnv_safeClone(saved.get(), nullptr, &sz, &err));
#endif
      if (U_FAILURE(err) || !st.cnv) return Error(ErrorCode::kInternal, "charset conversion failed");
      end = cut;
      if (end == p) {  // nothing before it: all of it waits
        target = st.u.data() + st.carry;
        source = in.data() + p;
        break;
      }
    }
    // Units of bytes ICU held from the call before (offset -1; only after
    // more than kMaxHeld bytes without a place to cut) start that many
    // bytes before this one — exact for the first, the next ones (a lone
    // surrogate's neighbour) map with it; -1 after a unit of this call
    // (bytes ICU replays after an illegal sequence): with the unit before.
    const size_t total = static_cast<size_t>(target - st.u.data());
    const uint64_t round0 = origin + p;
    bool own = false;  // a unit with an offset in this call seen
    for (size_t k = st.carry; k < total; ++k) {
      if (st.offs[k] >= 0) {
        st.at[k] = round0 + static_cast<uint64_t>(st.offs[k]);
        own = true;
      } else {
        st.at[k] = own || k > st.carry ? st.at[k - 1] : round0 - std::min<uint64_t>(round0, st.pending);
      }
      if (k > 0 && st.at[k] < st.at[k - 1]) st.at[k] = st.at[k - 1];
    }
    {
      UErrorCode e2 = U_ZERO_ERROR;
      const int32_t pending = ucnv_toUCountPending(st.cnv.get(), &e2);
      st.pending = U_SUCCESS(e2) && pending > 0 ? static_cast<uint32_t>(pending) : 0;
    }
    const size_t stop = static_cast<size_t>(source - in.data());
    const bool final = last && !overflow && end == in.size() && stop == in.size();
    size_t keep = total;  // units [keep, total) wait for the next round
    if (!final && total > 0) {
      keep = total - 1;
      if (U16_IS_TRAIL(st.u[keep]) && keep > 0 && U16_IS_LEAD(st.u[keep - 1])) --keep;
    }
    for (size_t i = 0; i < keep;) {
      const size_t start = i;
      UChar32 c;
      U16_NEXT(st.u.data(), i, total, c);
      const uint64_t sb = st.at[start];
      uint64_t se = i < total ? st.at[i] : end_all;
      if (se < sb) se = sb;
      const uint32_t db = static_cast<uint32_t>(produced_);
      const size_t o = out.size();
      AppendUtf8(static_cast<uint32_t>(c), out);
      const size_t len = out.size() - o;
      produced_ += len;
      if (!map && !cps) continue;
      bool same = len == se - sb;
      for (size_t j = 0; same && j < len; ++j) {
        unsigned char b;
        same = src_byte(sb + j, b) && b == static_cast<unsigned char>(out[o + j]);
      }
      if (cps) cps->Add(sb, se, len, same);
      if (!same && map)
        AddPiece(*map, db, static_cast<uint32_t>(produced_), static_cast<uint32_t>(sb), static_cast<uint32_t>(se));
    }
    st.carry = total - keep;
    std::copy(st.u.begin() + static_cast<ptrdiff_t>(keep), st.u.begin() + static_cast<ptrdiff_t>(total), st.u.begin());
    std::copy(st.at.begin() + static_cast<ptrdiff_t>(keep), st.at.begin() + static_cast<ptrdiff_t>(total),
              st.at.begin());
    p = stop;
    if (overflow) continue;
    if (end < in.size()) {  // a character cut by the end of the input: its bytes wait for the next Put
      if (last) continue;  // (cannot happen: the last round is not cut)
      st.held.assign(in.data() + end, in.size() - end);
      p = in.size();
    }
    break;
  }
  // The last input bytes, for the source bytes of the held-back code point.
  constexpr size_t kTail = 64;
  const size_t conv = in.size() - st.held.size();  // in[0, conv) given to ICU
  std::string t;
  const uint64_t t_from = origin + conv - std::min(conv, kTail);
  if (conv < kTail && st.tail_from + st.tail.size() == origin) {
    const size_t from_old = std::min(st.tail.size(), kTail - conv);
    t.assign(st.tail, st.tail.size() - from_old, from_old);
    t.append(in.data(), conv);
    st.tail_from = origin - from_old;
  } else {
    t.assign(in.data() + conv - std::min(conv, kTail), std::min(conv, kTail));
    st.tail_from = t_from;
  }
  st.tail = std::move(t);
  src_ = end_all;
  return Status::Ok();
}

void CodePoints::Add(uint64_t sb, uint64_t se, size_t len, bool same) {
  if (sb != src_) {  // bytes before the first code point (a BOM, an escape): a gap
    rec_.push_back(static_cast<char>(0xFF));
    PutVarint(sb - src_);
    src_ = sb;
  }
  if ((++count_ & 255) == 0) anchors_.push_back({rec_.size(), dst_, src_});
  const uint64_t n = se - sb;
  rec_.push_back(static_cast<char>((len - 1) | (same ? 4 : 0) | (std::min<uint64_t>(n, 31) << 3)));
  if (n >= 31) PutVarint(n - 31);
  dst_ += len;
  src_ = se;
}

void CodePoints::PutVarint(uint64_t v) {
  for (; v >= 0x80; v >>= 7) rec_.push_back(static_cast<char>(0x80 | (v & 0x7F)));
  rec_.push_back(static_cast<char>(v));
}

// Reads the record at rec_[i]: its UTF-8 and source lengths (a gap: 0
// UTF-8 bytes), `same` when the bytes are unchanged; returns the next.
size_t CodePoints::Next(size_t i, uint32_t& len, uint64_t& n, bool& same) const {
  const auto b = static_cast<unsigned char>(rec_[i++]);
  auto varint = [&] {
    uint64_t v = 0;
    for (int sh = 0;; sh += 7) {
      const auto c = static_cast<unsigned char>(rec_[i++]);
      v |= static_cast<uint64_t>(c & 0x7F) << sh;
      if (!(c & 0x80)) return v;
    }
  };
  if (b == 0xFF) {
    len = 0;
    same = true;
    n = varint();
    return i;
  }
  len = (b & 3) + 1;
  same = b & 4;
  n = b >> 3;
  if (n == 31) n += varint();
  return i;
}

void CodePoints::Cover(uint64_t a, uint64_t b, OffsetMap& map) {
  if (cov_ && a >= cov_a_ && b <= cov_b_) return;  // (findings come in order: mostly already there)
  map.Clear();
  // The last anchor at or before a, then the code points up to the one
  // holding a: an empty piece there sets the shift, then the pieces of
  // the changed code points up to b.
  auto it = std::upper_bound(anchors_.begin(), anchors_.end(), a,
                             [](uint64_t v, const Anchor& x) { return v < x.dst; });
  size_t i = 0;
  uint64_t d = base_dst_, sp = base_src_;
  if (it != anchors_.begin()) {
    --it;
    i = it->off;
    d = it->dst;
    sp = it->src;
  }
  bool started = false;
  while (i < rec_.size()) {
    uint32_t len;
    uint64_t n;
    bool same;
    const size_t j = Next(i, len, n, same);
    if (!started && d + len > a) {
      map.Add(static_cast<uint32_t>(d), static_cast<uint32_t>(d), static_cast<uint32_t>(sp),
              static_cast<uint32_t>(sp));
      started = true;
      cov_a_ = d;
    }
    if (started && d >= b + kAhead && len > 0) break;
    if (started && !same)
      map.Add(static_cast<uint32_t>(d), static_cast<uint32_t>(d + len), static_cast<uint32_t>(sp),
              static_cast<uint32_t>(sp + n));
    d += len;
    sp += n;
    i = j;
  }
  if (!started) {
    map.Add(static_cast<uint32_t>(d), static_cast<uint32_t>(d), static_cast<uint32_t>(sp), static_cast<uint32_t>(sp));
    cov_a_ = d;
  }
  cov_ = true;
  cov_b_ = d;  // exact for [cov_a_, cov_b_)
}

void CodePoints::DropBefore(uint64_t d) {
  auto it = std::upper_bound(anchors_.begin(), anchors_.end(), d,
                             [](uint64_t v, const Anchor& x) { return v < x.dst; });
  if (it == anchors_.begin()) return;
  --it;
  if (it->off < rec_.size() / 2) return;  // (at least half goes: linear)
  const size_t off = it->off;
  cov_ = false;
  base_dst_ = it->dst;
  base_src_ = it->src;
  rec_.erase(0, off);
  anchors_.erase(anchors_.begin(), it + 1);
  for (Anchor& x : anchors_) x.off -= off;
}

CharsetStream::CharsetStream(ByteSource& in, std::string_view charset, bool with_map, size_t keep, size_t block)
    : in_(in), cv_(charset), with_map_(with_map), keep_(keep), block_(std::max<size_t>(block, 1)), name_(in.name()) {}

Result<size_t> CharsetStream::Read(char* buf, size_t n) {
  while (off_ == buf_.size()) {
    if (done_) return size_t{0};
    buf_.clear();
    off_ = 0;
    in_buf_.resize(block_);
    auto r = in_.Read(in_buf_.data(), block_);
    if (!r) return r.error();
    consumed_in_ += *r;
    done_ = *r == 0;
    if (Status s = cv_.Put(std::string_view(in_buf_.data(), *r), done_, buf_, nullptr, with_map_ ? &cps_ : nullptr);
        !s.ok())
      return s;
    if (with_map_ && cv_.produced() > keep_) {
      cps_.DropBefore(cv_.produced() - keep_);
      mapped_from_ = cps_.from();
    }
  }
  const size_t k = std::min(n, buf_.size() - off_);
  std::memcpy(buf, buf_.data() + off_, k);
  off_ += k;
  return k;
}

Decoded ToUtf8(std::string_view in, std::string_view charset) { return ToUtf8(in, charset, 1u << 16); }

// UTF-16 code units with the source offset of each, converted `chunk`
// input bytes at a time into buffers of that size (the whole input at once
// needed 12 bytes of scratch per byte: 458 MB for a 30 MB windows-1252
// message, ~500 MB for a 40 MB UTF-16 one).
Decoded ToUtf8(std::string_view in, std::string_view charset, size_t chunk) {
  Decoded d;
  Utf8Converter cv(charset);
  d.notes = cv.notes();
  if (cv.passthrough()) {
    d.bytes.assign(in.data(), in.size());
    return d;
  }
  chunk = std::max<size_t>(chunk, 1);
  d.bytes.reserve(in.size() + in.size() / 8);
  for (size_t pos = 0;;) {
    const size_t n = std::min(chunk, in.size() - pos);
    const bool last = pos + n == in.size();
    if (Status s = cv.Put(in.substr(pos, n), last, d.bytes, &d.map); !s.ok()) {
      d.notes.push_back("charset conversion failed; kept the bytes");
      d.bytes.assign(in.data(), in.size());
      d.map = OffsetMap();
      return d;
    }
    pos += n;
    if (last) break;
  }
  return d;
}

Decoded DecodeEncodedWords(std::string_view value) {
  Decoded d;
  size_t i = 0, n = value.size();
  size_t last_word_end = std::string_view::npos;  // to drop whitespace between words
  while (i < n) {
    size_t start = value.find("=?", i);
    if (start == std::string_view::npos) start = n;
    // Copy the plain text before the next encoded word (whitespace between
    // two adjacent encoded words is dropped).
    std::string_view plain = value.substr(i, start - i);
    bool only_ws = plain.find_first_not_of(" \t\r\n") == std::string_view::npos;
    if (start < n && last_word_end == i && only_ws && !plain.empty()) {
      uint32_t at = static_cast<uint32_t>(d.bytes.size());
      AddPiece(d.map, at, at, static_cast<uint32_t>(i), static_cast<uint32_t>(start));
    } else {
      d.bytes.append(plain);  // identity (the map shifts it after earlier pieces)
    }
    if (start >= n) break;
    // =?charset?enc?text?=
    size_t q1 = value.find('?', start + 2);
    size_t q2 = q1 == std::string_view::npos ? q1 : value.find('?', q1 + 1);
    size_t end = q2 == std::string_view::npos ? q2 : value.find("?=", q2 + 1);
    if (end == std::string_view::npos || q2 != q1 + 2) {
      d.bytes.append("=?");  // not an encoded word: keep literally
      i = start + 2;
      last_word_end = std::string_view::npos;
      continue;
    }
    std::string charset(value.substr(start + 2, q1 - start - 2));
    if (size_t star = charset.find('*'); star != std::string::npos) charset.resize(star);  // RFC 2231 language
    char enc = static_cast<char>(std::toupper(static_cast<unsigned char>(value[q1 + 1])));
    std::string_view text = value.substr(q2 + 1, end - q2 - 1);
    std::string raw;
    if (enc == 'B') {
      raw = DecodeBase64(text).bytes;
    } else if (enc == 'Q') {
      std::string t(text);
      std::replace(t.begin(), t.end(), '_', ' ');
      raw = DecodeQuotedPrintable(t).bytes;
    } else {
      d.bytes.append("=?");
      i = start + 2;
      last_word_end = std::string_view::npos;
      continue;
    }
    Decoded utf8 = ToUtf8(raw, charset);
    for (auto& note : utf8.notes) d.notes.push_back(note);
    uint32_t db = static_cast<uint32_t>(d.bytes.size());
    d.bytes.append(utf8.bytes);
    d.map.Add(db, static_cast<uint32_t>(d.bytes.size()), static_cast<uint32_t>(start),
              static_cast<uint32_t>(end + 2));
    i = end + 2;
    last_word_end = i;
  }
  return d;
}

namespace {
// The length of the printable character at p[i] for PrintableRuns (0: not
// printable); `latin1` when it is a Latin-1 byte that is not UTF-8.
inline size_t PrintableAt(const unsigned char* p, size_t n, size_t i, bool& latin1) {
  const unsigned char b = p[i];
  latin1 = false;
  if ((b >= 0x20 && b < 0x7F) || b == '\t') return 1;
  if (b < 0xA0 && !(b >= 0xC2 && b <= 0xF4)) return 0;  // control, DEL, C1, stray continuation
  if (b >= 0xC2 && b <= 0xF4) {
    uint32_t cp = 0;
    int k = DecodeUtf8(p, n, i, cp);
    if (k > 1 && cp >= 0xA0 && cp != 0xFFFD && cp != 0xFEFF && !(cp >= 0xD800 && cp < 0xE000))
      return static_cast<size_t>(k);
  }
  if (b >= 0xA0) {
    latin1 = true;
    return 1;
  }
  return 0;
}
// True when p[i] starts the UTF-8 of a full-width ASCII letter or digit
// (U+FF10-FF19, U+FF21-FF3A, U+FF41-FF5A; p[i] is 0xEF).
inline bool FullWidthAlnumAt(const unsigned char* p, size_t n, size_t i) {
  if (i + 2 >= n) return false;
  const unsigned char b1 = p[i + 1], b2 = p[i + 2];
  if (b1 == 0xBC) return (b2 >= 0x90 && b2 <= 0x99) || (b2 >= 0xA1 && b2 <= 0xBA);
  if (b1 == 0xBD) return b2 >= 0x81 && b2 <= 0x9A;
  return false;
}
// A printable UTF-16LE code unit at p[i] for PrintableRuns: ASCII
// printable or tab, Latin-1 and Latin Extended-A letters (U+00A0-017F:
// the Nordic and Sámi ones), full-width letters and digits; not CJK or other
// scripts, which random byte pairs would read as (their high byte is
// anything).
inline bool Utf16PrintableAt(const unsigned char* p, size_t i, uint32_t& u) {
  u = p[i] | (static_cast<uint32_t>(p[i + 1]) << 8);
  return (u >= 0x20 && u < 0x7F) || u == '\t' || (u >= 0xA0 && u < 0x180) || (u >= 0xFF10 && u <= 0xFF5A);
}

struct Utf16Run {
  size_t start, end;  // byte offsets, end - start even
};

// The UTF-16LE text runs in `in` (Windows programs write their strings so:
// `strings -e l`): at least `min_chars` code units, 4 ASCII letters or
// digits in a row (each followed by a zero byte), at least half of the
// units ASCII letters or digits, at either byte parity, in order of start.
std::vector<Utf16Run> Utf16Runs(const unsigned char* p, size_t n, size_t min_chars, const std::array<uint8_t, 256>& alnum) {
  std::vector<Utf16Run> out;
  if (n < 8) return out;
  size_t done = 0;  // runs end at or before it
  unsigned cnt[2] = {0, 0};
  for (size_t i = 0; i + 1 < n; ++i) {
    unsigned& c = cnt[i & 1];
    c = (c + 1) * (alnum[p[i]] & (p[i + 1] == 0));
    if (c < 4 || i < done) continue;
    // 4 ASCII alnum units ending at unit i: back to the run's start, then
    // forward to its end.
    size_t s = i - 6;
    uint32_t u;
    while (s >= done + 2 && Utf16PrintableAt(p, s - 2, u)) s -= 2;
    size_t e = i + 2, chars = (e - s) / 2, an = 0;
    while (e + 1 < n && Utf16PrintableAt(p, e, u)) e += 2, ++chars;
    for (size_t k = s; k < e; k += 2) an += alnum[p[k]] & (p[k + 1] == 0);
    if (an * 2 < chars) {
      // Fill beside the text (0x00 0x01 pairs read as U+0100 'Ā', any
      // unit of U+00A0-017F) would drop it by the letter rule: the units
      // that are not ASCII are trimmed from both ends (review21a), and what
      // is left must be 2 * min_chars long (not a chance 4-letter run).
      size_t ts = s, te = e;
      while (ts < te && (p[ts + 1] != 0 || p[ts] >= 0x80)) ts += 2;
      while (te > ts && (p[te - 1] != 0 || p[te - 2] >= 0x80)) te -= 2;
      size_t tan = 0;
      for (size_t k = ts; k < te; k += 2) tan += alnum[p[k]] & (p[k + 1] == 0);
      if ((te - ts) / 2 >= 2 * min_chars && tan * 2 >= (te - ts) / 2) out.push_back({ts, te});
    } else if (chars >= min_chars) {
      // A unit of U+0100-017F at either end (0x00 0x01 fill beside the text
      // read as 'Ā') glued a letter to an id at the run's edge, so it was not
      // found (review22: "Fnr 15108695088" between such fill): trimmed.
      size_t ts = s, te = e;
      while (ts < te && p[ts + 1] == 0x01) ts += 2;
      while (te > ts && p[te - 1] == 0x01) te -= 2;
      if ((te - ts) / 2 >= min_chars) out.push_back({ts, te});
    }
    done = e;
    cnt[0] = cnt[1] = 0;
    i = e - 1;
  }
  return out;
}
}  // namespace

Decoded PrintableRuns(std::string_view in, size_t min_chars) {
  Decoded d;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  static const auto kAlnum = [] {
    std::array<uint8_t, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = 1;
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<size_t>(c)] = t[static_cast<size_t>(c - 32)] = 1;
    return t;
  }();
  size_t prev_end = 0;
  // Writes run [s, e) when it is text, not noise: at least min_chars
  // characters, at least half of them ASCII letters and digits or UTF-8
  // characters, and 4 ASCII letters or digits in a row (random or compressed bytes are 75 % "printable" once
  // Latin-1 counts; their runs would be scanned as text for nothing).
  // UTF-16LE runs (binary files of Windows programs hold their text so),
  // written in byte order among the others (flush_utf16 before each).
  const std::vector<Utf16Run> utf16 = Utf16Runs(p, n, min_chars, kAlnum);
  size_t next16 = 0;
  // Starts a run at byte s: the '\n' standing for the bytes since the last.
  auto begin_run = [&](size_t s) {
    const uint32_t at = static_cast<uint32_t>(d.bytes.size());
    if (at > 0) {
      d.bytes.push_back('\n');  // stands for the bytes between the runs
      d.map.Add(at, at + 1, static_cast<uint32_t>(prev_end), static_cast<uint32_t>(s));
    } else if (s > 0) {
      d.map.Add(0, 0, 0, static_cast<uint32_t>(s));  // bytes before the first run
    }
  };
  // Writes the UTF-16 runs that start before byte `limit` (as UTF-8, each
  // character mapped to its two bytes); one that overlaps text already
  // written starts after it, at its own byte parity.
  auto flush_utf16 = [&](size_t limit) {
    for (; next16 < utf16.size() && utf16[next16].start < limit; ++next16) {
      size_t s = utf16[next16].start;
      const size_t e = utf16[next16].end;
      if (s < prev_end) s = prev_end + ((prev_end - s) & 1);
      if (s + 2 * min_chars > e) continue;
      begin_run(s);
      for (size_t i = s; i < e; i += 2) {
        uint32_t u;
        Utf16PrintableAt(p, i, u);
        const uint32_t o = static_cast<uint32_t>(d.bytes.size());
        AppendUtf8(u, d.bytes);
        d.map.Add(o, static_cast<uint32_t>(d.bytes.size()), static_cast<uint32_t>(i), static_cast<uint32_t>(i + 2));
      }
      prev_end = e;
    }
  };
  auto keep = [&](size_t s, size_t e, size_t chars, size_t alnum) {
    if (chars >= min_chars && alnum * 2 < chars) {
      // Fill beside the text (0xFF padding, any bytes 0xA0-0xFF read as
      // Latin-1 letters) would drop it by the letter rule: the characters
      // that are not ASCII are trimmed from both ends (review21a), and what
      // is left must be 2 * min_chars long (not a chance 4-letter run).
      size_t ts = s, te = s, tchars = 0, talnum = 0;
      bool latin1;
      while (ts < e && p[ts] >= 0x80) ts += PrintableAt(p, n, ts, latin1);
      for (size_t k = ts; k < e;) {
        const size_t len = PrintableAt(p, n, k, latin1);
        k += len;
        if (p[k - len] < 0x80) te = k;
      }
      for (size_t k = ts; k < te;) {
        const size_t len = PrintableAt(p, n, k, latin1);
        ++tchars;
        talnum += len == 1 ? kAlnum[p[k]] : !latin1;
        k += len;
      }
      if (te <= ts || tchars < 2 * min_chars) return;
      s = ts, e = te, chars = tchars, alnum = talnum;
    }
    if (chars < min_chars || alnum * 2 < chars) return;
    flush_utf16(s);
    if (s < prev_end) {  // a UTF-16 run's last byte began it
      if (e <= prev_end + min_chars) return;
      s = prev_end;
    }
    begin_run(s);
    for (size_t i = s; i < e;) {
      bool latin1;
      size_t len = PrintableAt(p, n, i, latin1);
      if (latin1) {
        const uint32_t o = static_cast<uint32_t>(d.bytes.size());
        d.bytes.push_back(static_cast<char>(0xC0 | (p[i] >> 6)));
        d.bytes.push_back(static_cast<char>(0x80 | (p[i] & 0x3F)));
        d.map.Add(o, o + 2, static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1));
      } else {
        d.bytes.append(in.substr(i, len));
      }
      i += len;
    }
    prev_end = e;
  };
  size_t i = 0;
  while (i < n) {
    // A branch-free look for 4 ASCII letters or digits in a row: every
    // kept run has them, and random bytes rarely do, so most of a binary
    // part is passed over at this speed.
    // A full-width letter or digit (U+FF10-FF19, FF21-FF3A, FF41-FF5A:
    // 0xEF 0xBC/0xBD ..., which NFKC folds to ASCII) counts as one ASCII
    // one: a value written in full-width digits ("Pas nr. ７９２４９８４１６")
    // has no 4 ASCII letters or digits in a row. The lead byte 0xEF is rare
    // in binary data (1/256), so the test costs a well-predicted branch.
    size_t c = n;
    for (unsigned cnt = 0; i < n; ++i) {
      if (p[i] == 0xEF) [[unlikely]] {
        if (FullWidthAlnumAt(p, n, i)) {
          i += 2;
          if (++cnt >= 4) {
            c = i;
            break;
          }
        } else {
          cnt = 0;
        }
        continue;
      }
      cnt = (cnt + 1) * kAlnum[p[i]];
      if (cnt >= 4) {
        c = i;
        break;
      }
    }
    if (c == n) break;
    // Back to the start of the run around it, then runs forward until one
    // ends past it.
    size_t s = c - 3;
    while (s > prev_end && (p[s - 1] >= 0x80 || (p[s - 1] >= 0x20 && p[s - 1] != 0x7F) || p[s - 1] == '\t')) --s;
    size_t run_start = s, chars = 0, alnum = 0, k = s;
    for (; k < n;) {
      bool latin1;
      size_t len = PrintableAt(p, n, k, latin1);
      if (len == 0) {
        if (chars) keep(run_start, k, chars, alnum);
        chars = alnum = 0;
        ++k;
        if (k > c) break;
        continue;
      }
      if (chars++ == 0) run_start = k;
      alnum += len == 1 ? kAlnum[p[k]] : !latin1;  // a UTF-8 character (full-width digit, letter) counts
      k += len;
    }
    if (k >= n && chars) keep(run_start, n, chars, alnum);
    i = k;
  }
  flush_utf16(n);
  return d;
}

bool LooksLikeText(std::string_view in) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  size_t controls = 0;
  for (size_t i = 0; i < in.size();) {
    const unsigned char b = p[i];
    if (b >= 0x80) {
      uint32_t cp = 0;
      int k = DecodeUtf8(p, in.size(), i, cp);
      if (k <= 0) return false;
      i += static_cast<size_t>(k);
      continue;
    }
    if (b == 0) return false;
    if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f') || b == 0x7F) ++controls;
    ++i;
  }
  return controls * 100 <= in.size();
}

ByteRange MapBack(ByteRange r, const std::vector<const OffsetMap*>& maps) {
  for (const OffsetMap* m : maps) {
    uint32_t s = m->Start(r.start);
    uint32_t e = m->End(r.end);
    r = {s, std::max(s, e)};
  }
  return r;
}

}  // namespace nordpii
