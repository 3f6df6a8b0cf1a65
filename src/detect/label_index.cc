// SPDX-License-Identifier: Apache-2.0
#include "detect/label_index.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>

#include "core/simd.h"
#include "core/utf8.h"

namespace nordpii {
namespace {

// Lower-cases ASCII and the Latin-1 capitals (U+00C0-U+00DE except U+00D7),
// byte by byte: `prev` is the byte before b.
inline unsigned char Fold(unsigned char prev, unsigned char b) {
  if (b >= 'A' && b <= 'Z') return static_cast<unsigned char>(b + 32);
  if (prev == 0xC3 && b >= 0x80 && b <= 0x9E && b != 0x97) return static_cast<unsigned char>(b + 0x20);
  return b;
}

constexpr size_t kBytewiseSpan = 16;

inline bool IsLowerAscii(unsigned char c) { return c >= 'a' && c <= 'z'; }
inline bool IsUpperAscii(unsigned char c) { return c >= 'A' && c <= 'Z'; }
// A camelCase hump at p: an ASCII capital after two ASCII small letters
// ("customerNationalId", "patientCpr", "cprNr"). A keyword may start and a
// whole-word keyword end there, as at a word edge: keys written in text.
// One small letter before the capital is a brand's prefix, not a key's
// first word: "Sent from my iPhone" has no label "phone" (nor "eFaktura",
// "iCloud" theirs).
inline bool HumpAt(const unsigned char* s, size_t size, size_t p) {
  return p > 1 && p < size && IsUpperAscii(s[p]) && IsLowerAscii(s[p - 1]) && IsLowerAscii(s[p - 2]);
}

}  // namespace

void LabelIndex::Build(const PatternSet& set) { BuildRoles(set, KeywordRole::kLabel, KeywordRole::kNegative); }
void LabelIndex::BuildTriggers(const PatternSet& set) {
  BuildRoles(set, KeywordRole::kCredential, KeywordRole::kPassport);
}

void LabelIndex::BuildRoles(const PatternSet& set, KeywordRole role_a, KeywordRole role_b) {
  // Build with a map-based trie first, then flatten into sorted edge arrays.
  struct TmpNode {
    std::map<unsigned char, uint32_t> next;
    uint64_t whole = 0, prefix = 0;
  };
  std::vector<TmpNode> tmp(1);
  bits_.assign(set.keywords.size(), 0);
  int bit = 0;
  for (size_t g = 0; g < set.keywords.size(); ++g) {
    const KeywordGroup& kg = set.keywords[g];
    if (kg.role != role_a && kg.role != role_b) continue;
    if (bit >= 64) std::abort();  // a broken invariant: PatternSet::Check refuses more groups
    bits_[g] = uint64_t{1} << bit++;
    for (const Keyword& k0 : kg.words) {
      // A label of several words is also a key in text ("national id" as
      // "nationalId=", "national_id:", "social security number" as
      // "socialSecurityNumber"): each space may also be '_' or nothing (the
      // walk folds case). Label and negative groups only, at most 3 spaces.
      std::vector<std::string> texts{k0.text};
      if (role_a == KeywordRole::kLabel && std::count(k0.text.begin(), k0.text.end(), ' ') <= 3)
        for (size_t i = 0; i < k0.text.size(); ++i) {
          if (k0.text[i] != ' ') continue;
          const size_t n = texts.size();
          for (size_t j = 0; j < n; ++j) {
            const size_t at = i - (k0.text.size() - texts[j].size());  // earlier spaces dropped in texts[j]
            std::string u = texts[j], d = texts[j];
            u[at] = '_';
            d.erase(at, 1);
            texts.push_back(std::move(u));
            texts.push_back(std::move(d));
          }
        }
      for (const std::string& text : texts) {
      Keyword k = k0;
      k.text = text;
      uint32_t n = 0;
      unsigned char prev = 0;
      for (unsigned char b : k.text) {
        unsigned char f = Fold(prev, b);
        prev = b;
        auto it = tmp[n].next.find(f);
        if (it == tmp[n].next.end()) {
          tmp.emplace_back();
          uint32_t id = static_cast<uint32_t>(tmp.size() - 1);
          tmp[n].next[f] = id;
          n = id;
        } else {
          n = it->second;
        }
      }
      // A whole-word keyword that ends in a non-word character ("f.nr.",
      // "kt:") needs no end check: treat it as a stem.
      uint32_t last = 0;
      const auto* s = reinterpret_cast<const unsigned char*>(k.text.data());
      size_t b = k.text.size() - 1;
      while (b > 0 && (s[b] & 0xC0) == 0x80) --b;
      if (DecodeUtf8(s, k.text.size(), b, last) == 0) last = '#';
      if (k.prefix || !IsWordCodepoint(last)) tmp[n].prefix |= bits_[g];
      else tmp[n].whole |= bits_[g];
      }
    }
  }
  nodes_.resize(tmp.size());
  for (size_t i = 0; i < tmp.size(); ++i) {
    nodes_[i].first_edge = static_cast<uint32_t>(edges_.size());
    nodes_[i].num_edges = static_cast<uint32_t>(tmp[i].next.size());
    nodes_[i].whole = tmp[i].whole;
    nodes_[i].prefix = tmp[i].prefix;
    for (const auto& [byte, child] : tmp[i].next) edges_.push_back({byte, child});
  }
  for (const auto& [byte, child] : tmp[0].next) root_[byte] = child;
  dense_of_.assign(nodes_.size(), 0);
  for (const auto& [byte, child] : tmp[0].next) {
    std::array<uint32_t, 256> t{};
    for (const auto& [b2, grandchild] : tmp[child].next) t[b2] = grandchild;
    dense_.push_back(t);
    dense_of_[child] = static_cast<uint32_t>(dense_.size());
  }
  for (const KeywordGroup& kg : set.keywords)
    for (const Keyword& k : kg.words) max_len_ = std::max(max_len_, k.text.size());
  // WalkFrom's first two steps for every pair of bytes. A word start is
  // never a UTF-8 continuation byte, so its byte folds without the byte
  // before it; the table says yes to a continuation byte all the same.
  pair_.assign(256 * 256 / 64, 0);
  for (unsigned b0 = 0; b0 < 256; ++b0) {
    const bool cont = (b0 & 0xC0) == 0x80;
    const uint32_t n = root_[Fold(0, static_cast<unsigned char>(b0))];
    for (unsigned b1 = 0; b1 < 256; ++b1) {
      const bool may = cont || (n != 0 && (nodes_[n].whole || nodes_[n].prefix ||
                                           Child(n, Fold(static_cast<unsigned char>(b0), static_cast<unsigned char>(b1))) != 0));
      if (may) pair_[(b0 << 8 | b1) >> 6] |= uint64_t{1} << (b1 & 63);
    }
  }
}

uint32_t LabelIndex::Child(uint32_t node, unsigned char b) const {
  if (node == 0) return root_[b];
  if (uint32_t d = dense_of_[node]) return dense_[d - 1][b];
  const Node& n = nodes_[node];
  const Edge* e = edges_.data() + n.first_edge;
  for (uint32_t i = 0; i < n.num_edges; ++i)
    if (e[i].byte == b) return e[i].child;
  return 0;
}

void LabelIndex::WalkFrom(std::string_view text, size_t p, size_t to, size_t min_end, size_t* max_end,
                          uint64_t& found) const {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char c = s[p];
  unsigned char prev = p > 0 ? s[p - 1] : 0;
  uint32_t n = root_[Fold(prev, c)];
  if (n == 0) return;  // no keyword starts so
  // The type in a placeholder nordpii wrote ("[DK-CPR]", "[NO-FNR:1a2b3c4d]")
  // is no label: it labelled the number next to it, so a second redaction
  // found more than the first (the mail fuzzer's idempotence check, review22).
  if (prev == '-' && p >= 4 && s[p - 4] == '[' && s[p - 3] >= 'A' && s[p - 3] <= 'Z' && s[p - 2] >= 'A' &&
      s[p - 2] <= 'Z') {
    size_t q = p;
    while (q < text.size() && q - p < 32 && ((s[q] >= 'A' && s[q] <= 'Z') || s[q] == '-')) ++q;
    if (q < text.size() && (s[q] == ']' || s[q] == ':')) return;
  }
  prev = c;
  for (size_t q = p + 1;; ++q) {
    size_t end = q;
    if (end >= min_end) {
      const Node& node = nodes_[n];
      uint64_t hit = node.prefix;
      if (node.whole && (!WordCharAt(text, end) || HumpAt(s, text.size(), end))) hit |= node.whole;
      if (hit) {
        found |= hit;
        if (max_end && end > *max_end) *max_end = end;
      }
    }
    if (q >= to) break;
    n = Child(n, Fold(prev, s[q]));
    prev = s[q];
    if (n == 0) break;
  }
}

uint64_t LabelIndex::Find(std::string_view text, size_t from, size_t last_start, size_t to,
                          size_t min_end, size_t* max_end) const {
  if (nodes_.empty()) return 0;
  const size_t stop = std::min(last_start + 1, to);  // starts are in [from, stop)
  if (from >= stop) return 0;
#if defined(__SSE2__)
  uint64_t found = 0;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  // Word starts of up to 128 bytes from 64-byte masks: ASCII word bytes by
  // compare, a non-ASCII lead byte by WordCharAt, a continuation byte of the
  // class of the byte before it (the byte loop below keeps the class of the
  // last non-continuation byte); then only the starts are visited. Same
  // starts as the byte loop, without its branch per byte.
  const size_t span = stop - from, blocks = (span + 63) / 64;
  // A span of a few bytes (the look after a value, the label right before
  // it) byte by byte: fewer instructions than the 64-byte masks.
  if (span > kBytewiseSpan && blocks <= 2 && from + 64 * blocks <= text.size() && (s[from] & 0xC0) != 0x80) {
    uint64_t carry = WordCharBefore(text, from) ? 1 : 0;
    // Bit 1: the byte before `from` is a small letter; bit 0: the one before it.
    uint64_t lower_carry = (from > 0 && IsLowerAscii(s[from - 1]) ? 2 : 0) | (from > 1 && IsLowerAscii(s[from - 2]) ? 1 : 0);
    for (size_t k = 0; k < blocks; ++k) {
      const size_t b = from + 64 * k;
      uint64_t word = 0, high = 0, cont = 0, upper = 0, lower = 0;
      const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9), lower_a = _mm_set1_epi8('a'),
                    z25 = _mm_set1_epi8(25), x20 = _mm_set1_epi8(0x20), top2 = _mm_set1_epi8(static_cast<char>(0xC0)),
                    c80 = _mm_set1_epi8(static_cast<char>(0x80)), upper_a = _mm_set1_epi8('A');
      for (int l = 0; l < 4; ++l) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + b + 16 * l));
        const __m128i d = _mm_sub_epi8(v, zero);
        const __m128i a = _mm_sub_epi8(_mm_or_si128(v, x20), lower_a);
        const __m128i w = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(d, nine), d), _mm_cmpeq_epi8(_mm_min_epu8(a, z25), a));
        word |= Mask16(w, l);
        high |= Mask16(v, l);  // top bit
        cont |= Mask16(_mm_cmpeq_epi8(_mm_and_si128(v, top2), c80), l);
        const __m128i u = _mm_sub_epi8(v, upper_a), lo = _mm_sub_epi8(v, lower_a);
        upper |= Mask16(_mm_cmpeq_epi8(_mm_min_epu8(u, z25), u), l);
        lower |= Mask16(_mm_cmpeq_epi8(_mm_min_epu8(lo, z25), lo), l);
      }
      word &= ~high;  // (c | 0x20) - 'a' <= 25 also holds for some bytes >= 0x80
      const size_t n = std::min<size_t>(64, stop - b);
      const uint64_t valid = n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
      for (uint64_t lead = high & ~cont & valid; lead; lead &= lead - 1) {
        const unsigned i = static_cast<unsigned>(__builtin_ctzll(lead));
        if (WordCharAt(text, b + i)) word |= uint64_t{1} << i;
      }
      for (;;) {  // continuation bytes take the class of the byte before
        const uint64_t w = word | (((word << 1) | carry) & cont);
        if (w == word) break;
        word = w;
      }
      // camelCase: "customerNationalId" (HumpAt: two small letters before)
      const uint64_t humps = upper & ((lower << 1) | (lower_carry >> 1)) & ((lower << 2) | lower_carry);
      lower_carry = lower >> 62;
      for (uint64_t st = ((word & ~((word << 1) | carry)) | humps) & valid; st; st &= st - 1) {
        const size_t p = b + static_cast<size_t>(__builtin_ctzll(st));
        // Most words start no keyword: no walk (a call, a node per byte).
        if (p + 1 < text.size() && !PairMayStart(s[p], s[p + 1])) continue;
        WalkFrom(text, p, to, min_end, max_end, found);
      }
      carry = word >> 63;
    }
    return found;
  }
#endif
  return FindBytes<true>(text, from, last_start, to, min_end, max_end);
}

uint64_t LabelIndex::FindBytewise(std::string_view text, size_t from, size_t last_start, size_t to,
                                  size_t min_end, size_t* max_end) const {
  if (nodes_.empty()) return 0;
  return FindBytes<false>(text, from, last_start, to, min_end, max_end);
}

template <bool kPairs>
uint64_t LabelIndex::FindBytes(std::string_view text, size_t from, size_t last_start, size_t to, size_t min_end,
                               size_t* max_end) const {
  uint64_t found = 0;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  bool prev_word = WordCharBefore(text, from);
  const size_t stop = std::min(last_start + 1, to);
  for (size_t p = from; p < stop; ++p) {
    unsigned char c = s[p];
    bool word;
    if (c < 0x80) word = IsWordCodepoint(c);
    else if ((c & 0xC0) == 0x80) continue;  // inside a code point: keeps its lead's class
    else word = WordCharAt(text, p);
    bool start = (word && !prev_word) || HumpAt(s, text.size(), p);
    prev_word = word;
    if (kPairs && start && p + 1 < text.size() && !PairMayStart(c, s[p + 1])) continue;
    if (start) WalkFrom(text, p, to, min_end, max_end, found);
  }
  return found;
}

}  // namespace nordpii
