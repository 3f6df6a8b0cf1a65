// SPDX-License-Identifier: Apache-2.0
#include "match/digit_runs.h"

#include <re2/re2.h>

#include "core/simd.h"

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

namespace sse {
#if defined(__SSE2__)

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
// Bit k set when p[k] is '\r' or '>', the bytes of the line breaks that
// join runs across lines ("\r\n", "\n> ").
inline uint64_t LineJoinMask64(const unsigned char* p) {
  uint64_t m = 0;
  for (int k = 0; k < 4; ++k) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    m |= Mask16(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(v, _mm_set1_epi8('>'))), k);
  }
  return m;
}
#else  // no SSE2: the same masks a byte at a time
inline uint64_t DigitMask64(const unsigned char* p) {
  uint64_t m = 0;
  for (int k = 0; k < 64; ++k) m |= static_cast<uint64_t>(IsDigit(p[k])) << k;
  return m;
}
inline uint64_t SeparatorMask64(const unsigned char* p) {
  uint64_t m = 0;
  for (int k = 0; k < 64; ++k) {
    unsigned char c = p[k];
    bool sep = c == ' ' || c == '\t' || c == '\n' || c == '+' || c == '-' || c == '.' || c == '/';
    m |= static_cast<uint64_t>(sep) << k;
  }
  return m;
}
inline uint64_t LineJoinMask64(const unsigned char* p) {
  uint64_t m = 0;
  for (int k = 0; k < 64; ++k) m |= static_cast<uint64_t>(p[k] == '\r' || p[k] == '>') << k;
  return m;
}
#endif
#include "match/digit_runs_loop.inc"
}  // namespace sse

#if NORDPII_HAVE_AVX2_PATH
NORDPII_AVX2_BEGIN
namespace avx2 {

// AVX2: the same classes, 32 bytes per instruction.
inline uint64_t DigitMask64(const unsigned char* p) {
  const __m256i zero = _mm256_set1_epi8('0'), nine = _mm256_set1_epi8(9);
  uint64_t m = 0;
  for (int k = 0; k < 2; ++k) {
    __m256i x = _mm256_sub_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * k)), zero);
    m |= Mask32(_mm256_cmpeq_epi8(_mm256_min_epu8(x, nine), x), k);
  }
  return m;
}
inline uint64_t SeparatorMask64(const unsigned char* p) {
  const __m256i lut = _mm256_setr_epi8(0x20, -1, -1, -1, -1, -1, -1, -1, -1, 0x09, 0x0A, 0x2B, -1, 0x2D, 0x2E, 0x2F,
                                       0x20, -1, -1, -1, -1, -1, -1, -1, -1, 0x09, 0x0A, 0x2B, -1, 0x2D, 0x2E, 0x2F);
  uint64_t m = 0;
  for (int k = 0; k < 2; ++k) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * k));
    m |= Mask32(_mm256_cmpeq_epi8(_mm256_shuffle_epi8(lut, v), v), k);
  }
  return m;
}

inline uint64_t LineJoinMask64(const unsigned char* p) {
  uint64_t m = 0;
  for (int k = 0; k < 2; ++k) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * k));
    m |= Mask32(_mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\r')), _mm256_cmpeq_epi8(v, _mm256_set1_epi8('>'))), k);
  }
  return m;
}

#include "match/digit_runs_loop.inc"
}  // namespace avx2
NORDPII_AVX2_END
#endif

}  // namespace

// 64 bytes at a time (digit_runs_loop.inc), with AVX2 where the CPU has it.
void FindDigitRuns(std::string_view text, std::vector<DigitRun>& out, int min_digits) {
#if NORDPII_HAVE_AVX2_PATH
  if (CpuHasAvx2()) return avx2::Run(text, out, min_digits);
#endif
  sse::Run(text, out, min_digits);
}

void FindDigitRunsBaseline(std::string_view text, std::vector<DigitRun>& out, int min_digits) {
  sse::Run(text, out, min_digits);
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
