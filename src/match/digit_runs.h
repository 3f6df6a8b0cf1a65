// SPDX-License-Identifier: Apache-2.0
// File: digit_runs.h
//
// Digit runs: the candidates for every numeric identifier. A run is a
// leftmost-longest match of
//     [0-9](?:(?:[ \t./+-]|\r?\n(?:>+ ?)?)?[0-9])*
// i.e. digits joined by at most one separator between two digits, where a
// separator is a space, tab, dot, slash, plus, hyphen, or one line break
// optionally followed by an e-mail quote prefix ("> "). Text is normalised
// first, so NBSP/thin spaces and Unicode dashes already are ' ' and '-'.
// FindDigitRuns is the fast scanner (SSE2 skips 16 bytes without a digit at a
// time); FindDigitRunsRe2 finds the same runs with RE2 and is used by the re2
// engine and by the differential test. Both drop runs with fewer than
// `min_digits` digits (no identifier is that short; most runs in tickets are
// years, times and amounts).
#ifndef NORDPII_MATCH_DIGIT_RUNS_H_
#define NORDPII_MATCH_DIGIT_RUNS_H_

#include <cstdint>
#include <string_view>
#include <vector>

namespace nordpii {

struct DigitRun {
  uint32_t start, end;  // text offsets; text[start] and text[end-1] are digits
};

inline constexpr char kDigitRunRegex[] = "[0-9](?:(?:[ \\t./+\\-]|\\r?\\n(?:>+ ?)?)?[0-9])*";

inline constexpr int kMinRunDigits = 6;

void FindDigitRuns(std::string_view text, std::vector<DigitRun>& out, int min_digits = kMinRunDigits);
// The same without AVX2 (what CPUs without it run; tests compare both).
void FindDigitRunsBaseline(std::string_view text, std::vector<DigitRun>& out,
                           int min_digits = kMinRunDigits);
void FindDigitRunsRe2(std::string_view text, std::vector<DigitRun>& out,
                      int min_digits = kMinRunDigits);

}  // namespace nordpii

#endif  // NORDPII_MATCH_DIGIT_RUNS_H_
