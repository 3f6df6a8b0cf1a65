#include "match/digit_runs.h"

#include <re2/re2.h>

#if defined(__SSE2__)
#include <emmintrin.h>
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

}  // namespace

void FindDigitRuns(std::string_view text, std::vector<DigitRun>& out, int min_digits) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size(), i = 0;
#if defined(__SSE2__)
  const __m128i k0 = _mm_set1_epi8(static_cast<char>('0' ^ 0x80));
  const __m128i k9 = _mm_set1_epi8(static_cast<char>(('9' + 1) ^ 0x80));
  const __m128i flip = _mm_set1_epi8(static_cast<char>(0x80));
#endif
  while (i < n) {
#if defined(__SSE2__)
    // Skip 16 bytes at a time while none is a digit (signed compare trick).
    while (i + 16 <= n) {
      __m128i v = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)), flip);
      __m128i ge0 = _mm_cmpgt_epi8(v, _mm_sub_epi8(k0, _mm_set1_epi8(1)));
      __m128i lt9 = _mm_cmplt_epi8(v, k9);
      int m = _mm_movemask_epi8(_mm_and_si128(ge0, lt9));
      if (m) { i += static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(m))); break; }
      i += 16;
    }
    if (i + 16 > n) {
      while (i < n && !IsDigit(s[i])) ++i;
    }
#else
    while (i < n && !IsDigit(s[i])) ++i;
#endif
    if (i >= n) break;
    size_t start = i++;
    int digits = 1;
    for (;;) {
      while (i < n && IsDigit(s[i])) ++i, ++digits;
      if (i >= n) break;
      size_t k = SeparatorThenDigit(s, n, i);
      if (k == 0) break;
      i += k;  // now at the digit after the separator
    }
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
