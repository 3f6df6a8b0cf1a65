// SPDX-License-Identifier: Apache-2.0
// File: label_index.h
//
// LabelIndex: finds context keywords (roles label and negative: "fnr",
// "kontonr", "ordre", "tlf", ...) next to one candidate value. A label only
// counts when no digit stands between it and the value, so the text to look
// at is the short stretch after the previous digit — usually a few bytes.
// Walking a byte trie over that stretch is far cheaper than running a
// keyword automaton over all text or a Hyperscan call per candidate
// (measured on the bench corpus: context lookups fell from ~35 % of scan
// time to ~3 %; see README, Performance). Being engine-independent, it makes
// both matcher engines give identical context by construction.
//
// Matching: case-insensitive for ASCII and Latin-1 letters (Æ/æ, Ø/ø, Å/å,
// Ä/ä, Ö/ö, Þ/þ, Ð/ð, ...), a keyword must start at a word start; whole-word
// keywords must also end at a word end, stems (written "word*") need not.
// A camelCase hump (an ASCII capital after an ASCII small letter) counts as
// a word start and end: keys written in text ("customerNationalId=",
// "patientCpr:").
// Immutable and thread-safe after Build().
#ifndef NORDPII_DETECT_LABEL_INDEX_H_
#define NORDPII_DETECT_LABEL_INDEX_H_

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "match/pattern_set.h"

namespace nordpii {

class LabelIndex {
 public:
  // Indexes every keyword group with role label or negative. At most 64
  // such groups: PatternSet::Check refuses more (a pattern file error), and
  // Build aborts if handed more (a broken invariant), never drops one.
  void Build(const PatternSet& set);
  // Indexes the groups with role credential or passport instead (the
  // triggers of after-keyword detectors), for field names.
  void BuildTriggers(const PatternSet& set);
  // Bit for a keyword group (index into PatternSet::keywords), 0 if none.
  uint64_t GroupBit(size_t group) const { return group < bits_.size() ? bits_[group] : 0; }
  // Length in bytes of the longest indexed keyword.
  size_t max_len() const { return max_len_; }

  // Groups of the keywords that start at a word start in [from, last_start]
  // and end at or before `to` (and, if `min_end` > 0, at or after it).
  // `max_end`, if given, receives the largest end of a keyword found.
  uint64_t Find(std::string_view text, size_t from, size_t last_start, size_t to,
                size_t min_end, size_t* max_end = nullptr) const;
  // The same, a byte at a time (what Find does for a span of more than 128
  // bytes or at the text's end; tests compare the two).
  uint64_t FindBytewise(std::string_view text, size_t from, size_t last_start, size_t to, size_t min_end,
                        size_t* max_end = nullptr) const;

 private:
  struct Node {
    uint32_t first_edge = 0, num_edges = 0;
    uint64_t whole = 0;   // groups whose whole-word keyword ends here
    uint64_t prefix = 0;  // groups whose stem ends here
  };
  struct Edge {
    unsigned char byte;
    uint32_t child;
  };
  uint32_t Child(uint32_t node, unsigned char b) const;
  // The byte loop of FindBytewise; kPairs: starts tested with PairMayStart
  // first (Find's path for short spans).
  template <bool kPairs>
  uint64_t FindBytes(std::string_view text, size_t from, size_t last_start, size_t to, size_t min_end,
                     size_t* max_end) const;
  // Keywords starting at the word start p: their groups into `found`.
  void WalkFrom(std::string_view text, size_t p, size_t to, size_t min_end, size_t* max_end,
                uint64_t& found) const;
  void BuildRoles(const PatternSet& set, KeywordRole a, KeywordRole b);
  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
  std::vector<uint64_t> bits_;
  uint32_t root_[256] = {};
  // Children of the root's children as dense tables (dense_[dense_of_[n]]
  // [b]): the second step of almost every walk without an edge search.
  std::vector<uint32_t> dense_of_;                // per node: index + 1 into dense_, 0 = none
  std::vector<std::array<uint32_t, 256>> dense_;
  // Bit (b0 << 8 | b1): a walk from a word start whose first two bytes are
  // b0 b1 can find a keyword (the root's child for b0 has one, or has a
  // child for the second byte). Find skips the walk from other starts.
  std::vector<uint64_t> pair_;
  bool PairMayStart(unsigned char b0, unsigned char b1) const {
    const unsigned i = static_cast<unsigned>(b0) << 8 | b1;
    return (pair_[i >> 6] >> (i & 63)) & 1;
  }
  size_t max_len_ = 0;  // the root's children, direct (most lookups end there)
};

}  // namespace nordpii

#endif  // NORDPII_DETECT_LABEL_INDEX_H_
