// SPDX-License-Identifier: Apache-2.0
// File: matcher.h
//
// Matcher: finds, in normalised text, everything the detectors start from:
//   - keyword hits of special-category terms and credential/passport labels,
//     each checked for a word boundary before it and, for whole words, after
//     it; context keywords (labels, negative context) are not matched here:
//     detect/label_index.h looks them up next to each validated candidate;
//   - regex matches of `source = "regex"` detectors, exact spans;
//   - digit runs: maximal runs of digits joined by single separators, i.e.
//     leftmost-longest matches of kDigitRunRegex (see digit_runs.h).
// Two engines implement it and must give identical results (a test checks):
//   hyperscan — one Hyperscan database of keywords and regexes (end offsets
//               only, all repeats bounded); RE2 confirms regex spans in the
//               window [end - max_width, end]; digit runs come from a SIMD
//               scanner.
//   re2       — RE2 only (RE2::Set for keywords at each word start, RE2 for
//               regexes and digit runs). The fallback where Hyperscan is missing.
// Immutable and thread-safe after creation; each thread uses its own scratch.
#ifndef NORDPII_MATCH_MATCHER_H_
#define NORDPII_MATCH_MATCHER_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "match/digit_runs.h"
#include "match/pattern_set.h"

namespace nordpii {

struct KeywordHit {
  uint32_t group;  // index into PatternSet::keywords
  uint32_t start, end;
};

struct RegexMatch {
  uint32_t detector;  // index into PatternSet::detectors
  uint32_t start, end;
};

struct MatchResults {
  std::vector<KeywordHit> keywords;  // sorted by (end, start, group)
  std::vector<RegexMatch> regex;     // sorted by (start, detector)
  std::vector<DigitRun> runs;        // sorted, non-overlapping
  void Clear() { keywords.clear(); regex.clear(); runs.clear(); }
};

// Per-thread mutable state of a Matcher (Hyperscan scratch, buffers).
class MatcherScratch {
 public:
  virtual ~MatcherScratch() = default;
};

class Matcher {
 public:
  virtual ~Matcher() = default;
  virtual const char* name() const = 0;
  virtual std::unique_ptr<MatcherScratch> NewScratch() const = 0;
  // Fills `out` (cleared first). `scratch` must come from this matcher's
  // NewScratch() and is used by one thread at a time.
  virtual Status Scan(std::string_view text, MatcherScratch& scratch, MatchResults& out) const = 0;
  // True when every keyword hit and regex match the engine reports holds
  // an ASCII letter or a non-ASCII byte (e-mail addresses: an '@'), so a
  // text of digits gets only its digit runs. False when not known.
  virtual bool MatchesNeedLetter() const { return false; }

  // Fields of one text (a ticket record's fields, each its own document):
  // out[i] (resized to fields.size()) gets exactly what Scan() of
  // text[fields[i].begin, fields[i].end) alone gives, offsets in the field,
  // from one pass of the engine over the text. Fields are in order, not
  // empty, and each is followed and preceded, where the text goes on, by
  // "\n\n" (checked): no keyword, digit run or (checked when the engine is
  // built) regex match can cross that. Returns false when this engine or
  // pattern set cannot guarantee it (then scan the fields one by one).
  struct FieldRange {
    uint32_t begin, end;
  };
  virtual Result<bool> ScanFields(std::string_view text, const std::vector<FieldRange>& fields,
                                  MatcherScratch& scratch, std::vector<MatchResults>& out) const {
    (void)text, (void)fields, (void)scratch, (void)out;
    return false;
  }
};

// The engine names accepted by MakeMatcher: "hyperscan", "re2", "auto"
// (hyperscan when compiled in, else re2).
Result<std::shared_ptr<const Matcher>> MakeMatcher(const std::string& engine, const PatternSet& set);
bool HyperscanAvailable();

}  // namespace nordpii

#endif  // NORDPII_MATCH_MATCHER_H_
