// SPDX-License-Identifier: Apache-2.0
// The SIMD digit-run scanner must find exactly what the RE2 definition finds.
#include <catch2/catch.hpp>
#include <random>

#include "match/digit_runs.h"

using namespace nordpii;

namespace {
std::vector<DigitRun> Fast(std::string_view t, int min_digits = 1) {
  std::vector<DigitRun> v;
  FindDigitRuns(t, v, min_digits);
  return v;
}
std::vector<DigitRun> Slow(std::string_view t, int min_digits = 1) {
  std::vector<DigitRun> v;
  FindDigitRunsRe2(t, v, min_digits);
  return v;
}
std::vector<DigitRun> Baseline(std::string_view t, int min_digits = 1) {
  std::vector<DigitRun> v;
  FindDigitRunsBaseline(t, v, min_digits);
  return v;
}
bool Same(const std::vector<DigitRun>& a, const std::vector<DigitRun>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].start != b[i].start || a[i].end != b[i].end) return false;
  return true;
}
}  // namespace

TEST_CASE("digit runs join single separators and quoted line breaks", "[digit_runs]") {
  auto r = Fast("fnr 151086 95088, tlf 22  33 and\n> 12\r\n>>  4");
  REQUIRE(r.size() == 5);
  CHECK(r[0].start == 4);
  CHECK(r[0].end == 16);
  CHECK(r[1].end - r[1].start == 2);  // "22" (two spaces end the run)
  CHECK(Same(Fast("a 1\n> 2 b"), Slow("a 1\n> 2 b")));
  CHECK(Fast("a 1\n> 2 b").size() == 1);
  CHECK(Fast("2026, 09:30 kr 12,50 and 151086 95088", kMinRunDigits).size() == 1);
}

TEST_CASE("fast scanner equals the RE2 definition on random text", "[digit_runs][differential]") {
  std::mt19937 rng(12345);
  const char alphabet[] = "0123456789 .-/+\t\n\r>xA\xC3\xB8";
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s(static_cast<size_t>(rng() % 80), ' ');
    for (char& c : s) c = alphabet[rng() % (sizeof(alphabet) - 1)];
    INFO("input: " << s);
    REQUIRE(Same(Fast(s), Slow(s)));
    REQUIRE(Same(Fast(s, kMinRunDigits), Slow(s, kMinRunDigits)));
  }
}

TEST_CASE("fast scanner equals the RE2 definition across 64-byte windows", "[digit_runs][differential]") {
  // Long inputs, sparse and dense digits, so runs start, end and continue
  // (through separators, CRLF and quote prefixes) at every window edge.
  std::mt19937 rng(777);
  const std::string dense = "0123456789 .-/+\t\n\r>";
  const std::string sparse = "xyz abc.,:\n\xC3\xA5";
  size_t runs = 0, long_runs = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s(64 + static_cast<size_t>(rng() % 260), ' ');
    unsigned density = rng() % 5;  // 0: mostly text ... 3: mostly digits; 4: long runs
    for (size_t k = 0; k < s.size(); ++k) {
      if (density == 4) {  // digits with single separators: runs of 60-130 bytes
        bool sep = k % 2 == 1 && rng() % 3 == 0;
        s[k] = sep ? dense[10 + rng() % (dense.size() - 10)] : static_cast<char>('0' + rng() % 10);
        if (rng() % 100 == 0) s[k] = 'x';
        continue;
      }
      bool digitish = rng() % 4 < density;
      s[k] = digitish ? dense[rng() % dense.size()] : sparse[rng() % sparse.size()];
    }
    INFO("input: " << s);
    auto fast = Fast(s);
    REQUIRE(Same(fast, Slow(s)));
    REQUIRE(Same(Fast(s, kMinRunDigits), Slow(s, kMinRunDigits)));  // with the short-run filter
    REQUIRE(Same(Baseline(s, kMinRunDigits), Slow(s, kMinRunDigits)));
    REQUIRE(Same(Baseline(s), fast));  // the SSE path equals the AVX2 one
    REQUIRE(Same(Fast(s, kMinRunDigits), Slow(s, kMinRunDigits)));
    runs += fast.size();
    for (const DigitRun& r : fast) long_runs += r.end - r.start > 64;
  }
  CHECK(runs > 100000);
  CHECK(long_runs > 800);
}

TEST_CASE("short runs are skipped without losing a run that goes on past the window's mask",
          "[digit_runs][differential]") {
  // Ticket-like lines: short runs (times, years, amounts) next to long ones,
  // LF and CRLF line ends, quote prefixes, so that a short piece of a run
  // ends right before "\n>", "\r\n" + digit or "\r\n>" at every position of
  // a 64-byte window, for several minimum digit counts.
  std::mt19937 rng(4242);
  const char* pieces[] = {"12", "2026", "09:30", "1", "151086", "95088", " ", "\n", "\r\n", "\n> ", "\r\n>> ",
                          "\n>", "x", "Tlf ", "-", ".", "kr 12,50 ", "\n\n", "ab\n"};
  const int mins[] = {1, 2, 3, kMinRunDigits, 8, 11};
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s;
    while (s.size() < 64 + rng() % 200) s += pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
    INFO("input: " << s);
    for (int m : mins) {
      INFO("min_digits " << m);
      REQUIRE(Same(Fast(s, m), Slow(s, m)));
      REQUIRE(Same(Baseline(s, m), Slow(s, m)));
    }
  }
}
