// SPDX-License-Identifier: Apache-2.0
#include "normalize/normalizer.h"

#include <cstring>

#include "core/utf8.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "core/simd.h"

namespace nordpii {
namespace {

const icu::Normalizer2* Nfkc(const void* p) { return static_cast<const icu::Normalizer2*>(p); }

// windows-1252 for bytes 0x80-0x9F; 0xA0-0xFF are Latin-1.
const uint16_t kCp1252[32] = {0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                              0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
                              0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                              0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

enum Fold { kKeep, kSpace, kDash, kDelete };

Fold FoldOf(uint32_t c) {
  switch (c) {
    case 0x00A0: case 0x2007: case 0x2009: case 0x202F: case 0x3000: return kSpace;
    case 0x2212: case 0xFE63: case 0xFF0D: return kDash;
    case 0x200B: case 0x200C: case 0x200D: case 0x2060: case 0xFEFF: case 0x00AD: return kDelete;
    default: break;
  }
  if (c >= 0x2010 && c <= 0x2015) return kDash;
  if (c >= 0x2000 && c <= 0x200A) return kSpace;
  return kKeep;
}

}  // namespace

Result<std::shared_ptr<const Normalizer>> Normalizer::Create() {
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(err);
  if (U_FAILURE(err) || nfkc == nullptr)
    return Error(ErrorCode::kInternal, std::string("ICU NFKC unavailable: ") + u_errorName(err));
  std::shared_ptr<Normalizer> n(new Normalizer());
  n->nfkc_ = nfkc;
  n->safe_.assign(0x10000, 0);
  n->boundary_.assign(0x10000, 1);
  return std::shared_ptr<const Normalizer>(std::move(n));
}

void Normalizer::FillPage(uint32_t page) const {
  std::lock_guard<std::mutex> lock(fill_);
  if (ready_[page].load(std::memory_order_relaxed)) return;  // another thread filled it
  const icu::Normalizer2* nfkc = Nfkc(nfkc_);
  for (uint32_t c = page << 8; c < (page + 1) << 8; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    boundary_[c] = nfkc->hasBoundaryBefore(static_cast<UChar32>(c)) ? 1 : 0;
    if (FoldOf(c) != kKeep) continue;
    // The NFKC_Quick_Check property of one code point is what quickCheck()
    // returns for the one-character string (tested over the whole BMP), at
    // a fraction of the start-up time.
    if (u_getIntPropertyValue(static_cast<UChar32>(c), UCHAR_NFKC_QUICK_CHECK) == UNORM_YES && boundary_[c])
      safe_[c] = 1;
  }
  ready_[page].store(1, std::memory_order_release);
}

namespace {

// Bit k of each mask describes byte k of the 64-byte block at p.
struct Block64 {
  uint64_t high, c3, cont;
};

#if defined(__SSE2__)
namespace sse {
inline Block64 Classify64(const unsigned char* p) {
  const __m128i kC3 = _mm_set1_epi8(static_cast<char>(0xC3));
  const __m128i kTop2 = _mm_set1_epi8(static_cast<char>(0xC0));
  const __m128i kCont = _mm_set1_epi8(static_cast<char>(0x80));
  Block64 b{0, 0, 0};
  for (int k = 0; k < 4; ++k) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    b.high |= Mask16(v, k);
    b.c3 |= Mask16(_mm_cmpeq_epi8(v, kC3), k);
    b.cont |= Mask16(_mm_cmpeq_epi8(_mm_and_si128(v, kTop2), kCont), k);
  }
  return b;
}
#include "normalize/skip_safe.inc"
}  // namespace sse
#endif

#if NORDPII_HAVE_AVX2_PATH
NORDPII_AVX2_BEGIN
namespace avx2 {
inline Block64 Classify64(const unsigned char* p) {
  const __m256i kC3 = _mm256_set1_epi8(static_cast<char>(0xC3));
  const __m256i kTop2 = _mm256_set1_epi8(static_cast<char>(0xC0));
  const __m256i kCont = _mm256_set1_epi8(static_cast<char>(0x80));
  Block64 b{0, 0, 0};
  for (int k = 0; k < 2; ++k) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * k));
    b.high |= Mask32(v, k);
    b.c3 |= Mask32(_mm256_cmpeq_epi8(v, kC3), k);
    b.cont |= Mask32(_mm256_cmpeq_epi8(_mm256_and_si256(v, kTop2), kCont), k);
  }
  return b;
}
#include "normalize/skip_safe.inc"
}  // namespace avx2
NORDPII_AVX2_END
#endif

// From i, past every 64-byte block that is safe as a whole: the position to
// check code point by code point (or n).
size_t SkipSafeBlocks(const unsigned char* s, size_t n, size_t i, bool baseline = false) {
#if NORDPII_HAVE_AVX2_PATH
  if (CpuHasAvx2() && !baseline) return avx2::SkipSafe(s, n, i);
#endif
#if defined(__SSE2__)
  return sse::SkipSafe(s, n, i);
#else
  (void)baseline;
  (void)s;
  (void)n;
  return i;
#endif
}

}  // namespace

size_t Normalizer::FirstUnsafe(std::string_view in, bool baseline) const {
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size(), i = 0;
  bool tail = false;
  while (i < n) {
    i = SkipSafeBlocks(s, n, i, baseline);
    if (i >= n) break;
    // The tail shorter than a block is tested once as a block padded with
    // NULs (ASCII: safe), not byte by byte: each ticket field is scanned on
    // its own, and the scalar tail of every short field was ~5 % of a JSONL
    // scan. A lead byte before the padding is flagged and rechecked below.
    if (!tail && n - i < 64) {
      tail = true;
      size_t j = i;  // ASCII 8 bytes at a time first: most tails are
      uint64_t w = 0;
      for (; j + 8 <= n; j += 8) {
        std::memcpy(&w, s + j, 8);
        if (w & 0x8080808080808080ull) break;
      }
      if (j + 8 > n) {
        while (j < n && s[j] < 0x80) ++j;
        if (j == n) return n;
      }
      alignas(64) unsigned char pad[64] = {};
      std::memcpy(pad, s + i, n - i);
      size_t p = SkipSafeBlocks(pad, 64, 0, baseline);
      if (p >= n - i) return n;
      i += p;
    }
    if (!SafeAt(s, n, i)) return i;
  }
  return n;
}

bool Normalizer::SafeAt(const unsigned char* s, size_t n, size_t& i) const {
  unsigned char b = s[i];
  if (b < 0x80) { ++i; return true; }
  // Two-byte sequences (æ ø å ä ö ð þ é ...) are the common case in Nordic text.
  if (b >= 0xC2 && b <= 0xDF && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
    if (!Safe(((b & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu))) return false;
    i += 2;
    return true;
  }
  uint32_t cp;
  int len = DecodeUtf8(s, n, i, cp);
  if (len == 0 || len == 4 || !Safe(cp)) return false;
  i += static_cast<size_t>(len);
  return true;
}

size_t Normalizer::FirstUnsafeScalar(std::string_view in) const {
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  size_t i = 0;
  while (i < in.size())
    if (!SafeAt(s, in.size(), i)) return i;
  return in.size();
}

void Normalizer::AppendCluster(std::string_view cluster, std::string& out) const {
  const auto* s = reinterpret_cast<const unsigned char*>(cluster.data());
  icu::UnicodeString u;
  for (size_t i = 0; i < cluster.size();) {
    uint32_t cp;
    int len = DecodeUtf8(s, cluster.size(), i, cp);
    if (len == 0) {  // invalid byte: windows-1252 / Latin-1 fallback
      unsigned char b = s[i];
      cp = (b >= 0x80 && b < 0xA0) ? kCp1252[b - 0x80] : b;
      len = 1;
    }
    u.append(static_cast<UChar32>(cp));
    i += static_cast<size_t>(len);
  }
  UErrorCode err = U_ZERO_ERROR;
  icu::UnicodeString norm = Nfkc(nfkc_)->normalize(u, err);
  if (U_FAILURE(err)) norm = u;
  for (int32_t k = 0; k < norm.length();) {
    UChar32 c = norm.char32At(k);
    k += U16_LENGTH(c);
    switch (FoldOf(static_cast<uint32_t>(c))) {
      case kSpace: out.push_back(' '); break;
      case kDash: out.push_back('-'); break;
      case kDelete: break;
      case kKeep: AppendUtf8(static_cast<uint32_t>(c), out); break;
    }
  }
}

std::string_view Normalizer::Normalize(std::string_view in, std::string& scratch,
                                       OffsetMap& map) const {
  map.Clear();
  size_t first = FirstUnsafe(in);
  if (first == in.size()) return in;
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size();
  scratch.clear();
  scratch.reserve(n + n / 8 + 16);
  size_t i = 0;           // next input byte not yet emitted
  size_t unsafe = first;
  while (unsafe < n) {
    scratch.append(in.data() + i, unsafe - i);
    // A cluster starts at the previous starter when this code point combines.
    uint32_t cp = 0;
    int len = DecodeUtf8(s, n, unsafe, cp);
    size_t cs = unsafe;
    if (len > 0 && cp < 0x10000 && !Boundary(cp) && unsafe > i) {
      // Back up one code point (it was emitted verbatim just now).
      size_t b = unsafe - 1;
      while (b > i && (s[b] & 0xC0) == 0x80) --b;
      scratch.resize(scratch.size() - (unsafe - b));
      cs = b;
    }
    size_t ce = unsafe + (len > 0 ? static_cast<size_t>(len) : 1);
    while (ce < n) {  // absorb following combining marks
      uint32_t c2;
      int l2 = DecodeUtf8(s, n, ce, c2);
      if (l2 == 0 || c2 >= 0x10000 || Boundary(c2)) break;
      ce += static_cast<size_t>(l2);
    }
    uint32_t dst_begin = static_cast<uint32_t>(scratch.size());
    AppendCluster(in.substr(cs, ce - cs), scratch);
    uint32_t dst_end = static_cast<uint32_t>(scratch.size());
    bool same = (dst_end - dst_begin == ce - cs) &&
                scratch.compare(dst_begin, dst_end - dst_begin, in.substr(cs, ce - cs)) == 0;
    if (!same) {
      const auto& pieces = map.pieces();
      // Merge with an adjacent previous piece (runs of deletions, etc.).
      if (!pieces.empty() && pieces.back().src_end == cs && pieces.back().dst_end == dst_begin) {
        map.ExtendLast(dst_end, static_cast<uint32_t>(ce));
      } else {
        map.Add(dst_begin, dst_end, static_cast<uint32_t>(cs), static_cast<uint32_t>(ce));
      }
    }
    i = ce;
    size_t rest = FirstUnsafe(in.substr(i));
    unsafe = i + rest;
  }
  scratch.append(in.data() + i, n - i);
  return scratch;
}

}  // namespace nordpii

