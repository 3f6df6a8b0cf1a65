#include "match/digit_runs.h"

#include <re2/re2.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif

namespace nordpii {
namespace {

inline bool IsDigit(unsigned char c) { return static_cast<unsigned char>(c - '0') < 10; }

// Length of a separator starting at s[i] that is followed by a digit, or 0.
inline size_t SeparatorThenDigit(const unsigned char* s, size_t n, size_t i) {
  unsigned char c = s[i];
  size_t k;
  switch (c) {
    case ' ': case '\t': case '.': case '/': case '+': case '-':
      k = i + 1;
      break;
    case '\r':
      if (i + 1 >= n || s[i + 1] != '\n') return 0;
      k = i + 2;
      goto quote;
    case '\n':
      k = i + 1;
    quote:
      if (k < n && s[k] == '>') {
        size_t q = k;
        while (q < n && s[q] == '>') ++q;
        if (q < n && s[q] == ' ' && q + 1 < n && IsDigit(s[q + 1])) return q + 1 - i;
        if (q < n && IsDigit(s[q])) return q - i;
        // ">+ ?" cannot be followed by a digit; the bare line break may be.
      }
      break;
    default:
      return 0;
  }
  return (k < n && IsDigit(s[k])) ? k - i : 0;
}

// Continues a run from s[i] (just after a digit): digits and single
// separators (SeparatorThenDigit) until neither follows. Returns the end.
inline size_t ExtendRun(const unsigned char* s, size_t n, size_t i, int& digits) {
  for (;;) {
    while (i < n && IsDigit(s[i])) ++i, ++digits;
    if (i >= n) return i;
    size_t k = SeparatorThenDigit(s, n, i);
    if (k == 0) return i;
    i += k;  // now at the digit after the separator
  }
}

#if defined(__SSE2__)
inline uint64_t Mask16(__m128i v, int lane) {
  return static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(v))) << (16 * lane);
}

// Bit k set when p[k] is an ASCII digit: (b - '0') <= 9 unsigned, as
// min(x, 9) == x.
inline uint64_t DigitMask64(const unsigned char* p) {
  const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
  uint64_t m = 0;
  for (int k = 0; k < 4; ++k) {
    __m128i x = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k)), zero);
    m |= Mask16(_mm_cmpeq_epi8(_mm_min_epu8(x, nine), x), k);
  }
  return m;
}

// Bit k set when p[k] is a one-byte separator: space, tab, '\n', '+', '-',
// '.', '/'. Their low nibbles differ (0, 9, A, B, D, E, F), so one byte
// shuffle maps each byte's low nibble to the only separator that could be
// it, and a compare tells (SSSE3, part of the x86-64-v2 baseline).
inline uint64_t SeparatorMask64(const unsigned char* p) {
#if defined(__SSSE3__)
  const __m128i lut = _mm_setr_epi8(0x20, -1, -1, -1, -1, -1, -1, -1, -1, 0x09, 0x0A, 0x2B, -1, 0x2D, 0x2E, 0x2F);
  uint64_t m = 0;
  for (int k = 0; k < 4; ++k) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    m |= Mask16(_mm_cmpeq_epi8(_mm_shuffle_epi8(lut, v), v), k);
  }
  return m;
#else
  uint64_t m = 0;
  for (int k = 0; k < 4; ++k) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    __m128i e = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                             _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')));
    e = _mm_or_si128(e, _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
    e = _mm_or_si128(e, _mm_cmpeq_epi8(v, _mm_set1_epi8('+')));
    e = _mm_or_si128(e, _mm_cmpeq_epi8(v, _mm_set1_epi8('-')));
    e = _mm_or_si128(e, _mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
    e = _mm_or_si128(e, _mm_cmpeq_epi8(v, _mm_set1_epi8('/')));
    m |= Mask16(e, k);
  }
  return m;
#endif
}
#endif

}  // namespace

// 64 bytes at a time: a digit mask D and a separator mask S give the run
// bytes J = D | (S with a digit on both sides); a run is a stretch of J bits
// (it starts and ends with a digit), its digit count a popcount. Only runs
// that reach the end of the window or stop at '\r'/'\n' (CRLF and "> "
// quote prefixes) are finished by the byte-wise ExtendRun. No branch per
// digit; one per run.
void FindDigitRuns(std::string_view text, std::vector<DigitRun>& out, int min_digits) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size(), i = 0;
#if defined(__SSE2__)
  while (i + 64 <= n) {
    uint64_t d = DigitMask64(s + i);
    if (d == 0) { i += 64; continue; }
    uint64_t next_digit = (i + 64 < n && IsDigit(s[i + 64])) ? 1 : 0;
    uint64_t j = d | (SeparatorMask64(s + i) & (d << 1) & ((d >> 1) | (next_digit << 63)));
    // A window never starts inside a run: a run that reaches its end is
    // finished by ExtendRun and the next window starts after it.
    size_t next = i + 64;
    DigitRun found[33];  // at most 32 runs start in 64 bytes
    unsigned k = 0;
    while (j) {
      unsigned p = static_cast<unsigned>(__builtin_ctzll(j));
      uint64_t t = ~(j >> p);
      unsigned len = t == 0 ? 64 : static_cast<unsigned>(__builtin_ctzll(t));
      unsigned stop = p + len;  // <= 64
      uint64_t below = stop == 64 ? ~uint64_t{0} : ((uint64_t{1} << stop) - 1);
      int digits = __builtin_popcountll(d & below);  // bits below p are cleared runs: no digits left
      size_t start = i + p, end = i + stop;
      bool more = end < n && (stop == 64 || s[end] == '\n' || s[end] == '\r');
      if (more) {
        // Back up to just after the last digit and let the byte-wise rule continue.
        if (!IsDigit(s[end - 1])) --end;
        end = ExtendRun(s, n, end, digits);
      }
      found[k] = {static_cast<uint32_t>(start), static_cast<uint32_t>(end)};
      k += digits >= min_digits;  // no branch: most runs are short (years, amounts)
      if (more) { next = end; break; }
      j &= ~below;
      d &= ~below;
    }
    if (k) out.insert(out.end(), found, found + k);
    i = next;
  }
#endif
  while (i < n) {
    while (i < n && !IsDigit(s[i])) ++i;
    if (i >= n) break;
    size_t start = i;
    int digits = 1;
    i = ExtendRun(s, n, i + 1, digits);
    if (digits >= min_digits) out.push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(i)});
  }
}

void FindDigitRunsRe2(std::string_view text, std::vector<DigitRun>& out, int min_digits) {
  static const RE2 kRun(kDigitRunRegex);
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece m;
  size_t pos = 0;
  while (pos < text.size() &&
         kRun.Match(input, pos, text.size(), RE2::UNANCHORED, &m, 1)) {
    size_t b = static_cast<size_t>(m.data() - text.data());
    size_t e = b + m.size();
    int digits = 0;
    for (size_t k = b; k < e; ++k) digits += IsDigit(static_cast<unsigned char>(text[k]));
    if (digits >= min_digits) out.push_back({static_cast<uint32_t>(b), static_cast<uint32_t>(e)});
    pos = e;
  }
}

}  // namespace nordpii
