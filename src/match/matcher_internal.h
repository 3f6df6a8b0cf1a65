// SPDX-License-Identifier: Apache-2.0
// File: matcher_internal.h
//
// Pieces both engines share, so that they cannot drift apart: the flat
// keyword table, the boundary rules for keyword hits, and RE2 confirmation of
// regex detectors inside a window. Internal to src/match.
#ifndef NORDPII_MATCH_MATCHER_INTERNAL_H_
#define NORDPII_MATCH_MATCHER_INTERNAL_H_

#include <memory>
#include <string>
#include <vector>

#include "match/matcher.h"

namespace re2 {
class RE2;
}

namespace nordpii::internal {

struct KeywordEntry {
  uint32_t group;
  std::string text;  // bytes as written in the pattern file
  bool prefix;       // stem: no boundary needed after it
  bool check_end;    // whole word: the next character must not be a word character
  bool context;      // role label/negative: looked up around candidates only
};

struct RegexDetector {
  uint32_t detector;
  std::shared_ptr<re2::RE2> re;  // null for the e-mail regex (FindEmail)
  size_t max_width;  // bytes; bounded (checked by the Hyperscan engine)
  bool email = false;  // the regex is kEmailRegex: FindEmail confirms it
};

// The e-mail detector's regex as patterns/contact.toml writes it. A regex
// detector with exactly this regex is confirmed by FindEmail instead of RE2
// (same matches; any other regex, or an edited one, goes to RE2).
inline constexpr const char* kEmailRegex =
    "[A-Za-z0-9._%+\\-]{1,64}@[A-Za-z0-9\\-]{1,63}(?:\\.[A-Za-z0-9\\-]{1,63}){0,4}\\.[A-Za-z]{2,10}";

// What RE2 finds for kEmailRegex in FindRegex's loop (leftmost-first,
// non-overlapping matches starting at or after `from`, the text ending at
// `to`), by a hand-written scanner: the regex has no choice a backtracking
// engine could take differently (email_matcher.cc explains why), so the
// match of each '@' follows from the character runs around it. Appends
// {detector, start, end}. A test compares it with RE2 on random text.
void FindEmail(std::string_view text, size_t from, size_t to, uint32_t detector,
               std::vector<RegexMatch>& out);

class MatcherCommon : public Matcher {
 protected:
  Status InitCommon(const PatternSet& set);
  // Appends the hit if its boundaries hold.
  void AddKeywordHit(std::string_view text, uint32_t entry, size_t end,
                     std::vector<KeywordHit>& out) const;
  // Leftmost-first, non-overlapping matches of regexes_[r] starting in
  // [from, to) and ending at or before `limit`.
  void FindRegex(std::string_view text, size_t r, size_t from, size_t to,
                 std::vector<RegexMatch>& out) const;
  static void SortResults(MatchResults& out);
  static void SortHits(std::vector<KeywordHit>& hits);

  std::vector<KeywordEntry> entries_;
  std::vector<RegexDetector> regexes_;
};

// Case variants (lower/upper) of a keyword as a Hyperscan/RE2 expression
// body: ASCII letters are left to the caseless flag; a non-ASCII letter with
// a same-length other-case form becomes (?:x|X). Other ASCII is escaped.
// Non-ASCII bytes are written as \xHH for Hyperscan (byte semantics) and as
// the literal UTF-8 characters for RE2 (where \xHH would mean U+00HH).
std::string KeywordExpression(const std::string& word, bool utf8_literals);

}  // namespace nordpii::internal

#endif  // NORDPII_MATCH_MATCHER_INTERNAL_H_
