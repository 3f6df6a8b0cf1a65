// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "normalize/normalizer.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

using namespace nordpii;

namespace {
struct Norm {
  std::string text;
  OffsetMap map;
};
Norm Run(std::string_view in) {
  static auto n = *Normalizer::Create();
  std::string scratch;
  Norm r;
  r.text = std::string(n->Normalize(in, scratch, r.map));
  return r;
}
}  // namespace

TEST_CASE("ASCII and Nordic letters pass through without a copy", "[normalize]") {
  static auto n = *Normalizer::Create();
  std::string in = "Hei Søren, Åse og Björn: fødselsnummer 15108695088";
  std::string scratch;
  OffsetMap map;
  std::string_view out = n->Normalize(in, scratch, map);
  CHECK(out.data() == in.data());
  CHECK(map.identity());
}

TEST_CASE("full-width digits, NBSP, dashes and zero-width characters fold", "[normalize]") {
  CHECK(Run("１５１０８６").text == "151086");
  CHECK(Run("151086\xC2\xA0" "95088").text == "151086 95088");
  CHECK(Run("151086\xE2\x80\x93" "95088").text == "151086-95088");   // en dash
  CHECK(Run("151\xE2\x80\x8B" "08695088").text == "15108695088");     // zero-width space
  CHECK(Run("151086\xC2\xAD" "95088").text == "15108695088");         // soft hyphen
  CHECK(Run("151086\xE2\x80\xAF" "95088").text == "151086 95088");    // narrow NBSP
}

TEST_CASE("offsets map back to the original bytes", "[normalize]") {
  std::string in = "fnr １５１０８６ x";
  Norm r = Run(in);
  REQUIRE(r.text == "fnr 151086 x");
  CHECK(r.map.Start(4) == 4);
  CHECK(r.map.End(10) == 4 + 18);
  CHECK(r.map.Start(11) == 23);
}

TEST_CASE("invalid UTF-8 is read as windows-1252, not dropped", "[normalize]") {
  Norm r = Run("f\xF8" "dselsnummer \x80");
  CHECK(r.text == "f\xC3\xB8" "dselsnummer \xE2\x82\xAC");
  CHECK(r.map.End(static_cast<uint32_t>(r.text.size())) == 15);
}

TEST_CASE("decomposed letters compose with their base (NFKC)", "[normalize]") {
  Norm r = Run("fo\xCC\x88r");  // o + combining diaeresis
  CHECK(r.text == "f\xC3\xB6r");
  CHECK(r.map.Start(1) == 1);
  CHECK(r.map.End(3) == 4);
}

TEST_CASE("the 64-byte block check agrees with the code-point-at-a-time check", "[normalize]") {
  // Random mixes of ASCII, Nordic letters (0xC3 pairs), other UTF-8, broken
  // sequences and lone 0xC3 bytes, of lengths around the 64-byte block size,
  // so pairs and bad bytes fall on every block edge.
  static auto n = *Normalizer::Create();
  const std::vector<std::string> pieces = {
      "a", "1", " ", "\n", "\xC3\xA5", "\xC3\xB8", "\xC3\x86", "\xC3",        "\xA5",
      "\xE2\x80\x93", "\xC2\xA0", "\xEF\xBC\x91", "\xC3\xC3", "\xF0\x9F\x98\x80", "\xCC\x88"};
  std::mt19937 rng(7);
  size_t unsafe_found = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s;
    size_t len = 1 + rng() % 200;
    bool plain = rng() % 2;  // half the inputs: only ASCII and Nordic letters
    while (s.size() < len) s += pieces[plain ? rng() % 7 : rng() % pieces.size()];
    // Sometimes one odd piece late in the string, after long safe runs.
    if (rng() % 3 == 0) {
      size_t at = rng() % s.size();
      s = s.substr(0, at) + pieces[7 + rng() % 8] + s.substr(at);
    }
    size_t want = n->FirstUnsafeScalar(s);
    INFO("iteration " << iter);
    REQUIRE(n->FirstUnsafe(s) == want);
    REQUIRE(n->FirstUnsafe(s, /*baseline=*/true) == want);
    unsafe_found += want < s.size();
  }
  CHECK(unsafe_found > 5000);
  CHECK(unsafe_found < 19000);
}

TEST_CASE("the safe table from NFKC_Quick_Check equals ICU's quickCheck on each BMP code point",
          "[normalize]") {
  // Normalizer::Create reads the property instead of calling quickCheck per
  // code point (start-up time); both must agree everywhere.
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(err);
  REQUIRE(U_SUCCESS(err));
  int differ = 0, maybe = 0;
  for (UChar32 c = 0; c < 0x10000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    UErrorCode e = U_ZERO_ERROR;
    UNormalizationCheckResult q = nfkc->quickCheck(icu::UnicodeString(c), e);
    int prop = u_getIntPropertyValue(c, UCHAR_NFKC_QUICK_CHECK);
    differ += (q == UNORM_YES) != (prop == UNORM_YES);
    maybe += prop == UNORM_MAYBE;
  }
  CHECK(differ == 0);
  CHECK(maybe > 50);  // combining marks that compose with what precedes them
}

// The safe/boundary table is filled a page (256 code points) at a time on
// first use, under a mutex (start-up: all 65 536 code points were ~1 ms of
// every run). Every BMP code point, asked for in one thread in order and in
// four threads at once in another order (each on a fresh Normalizer): the
// same verdicts, and a code point left as is is NFKC-stable and a boundary.
TEST_CASE("table pages filled on first use: same verdicts in any order and from threads", "[normalize]") {
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(err);
  REQUIRE(U_SUCCESS(err));
  auto text_of = [](uint32_t c) {
    std::string s = "a";
    if (c < 0x80) s += static_cast<char>(c);
    else if (c < 0x800) s += {static_cast<char>(0xC0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3F))};
    else
      s += {static_cast<char>(0xE0 | (c >> 12)), static_cast<char>(0x80 | ((c >> 6) & 0x3F)),
            static_cast<char>(0x80 | (c & 0x3F))};
    return s + "b";
  };
  auto verdicts = [&](const Normalizer& n, const std::vector<uint32_t>& cps, std::vector<uint8_t>& out) {
    for (uint32_t c : cps) {
      const std::string t = text_of(c);
      std::string scratch;
      OffsetMap map;
      const bool as_is = n.FirstUnsafe(t) == t.size() && n.FirstUnsafeScalar(t) == t.size();
      const std::string_view norm = n.Normalize(t, scratch, map);
      out[c] = static_cast<uint8_t>((as_is ? 1 : 0) | (norm == t ? 2 : 0));
    }
  };
  std::vector<uint32_t> all;
  for (uint32_t c = 1; c < 0x10000; ++c)
    if (c < 0xD800 || c > 0xDFFF) all.push_back(c);
  std::vector<uint8_t> one(0x10000, 0), four(0x10000, 0);
  auto seq = *Normalizer::Create();
  verdicts(*seq, all, one);
  auto par = *Normalizer::Create();
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      std::vector<uint32_t> mine;  // pages k, k+4, ... from the top down
      for (auto it = all.rbegin(); it != all.rend(); ++it)
        if (((*it >> 8) & 3) == static_cast<uint32_t>(k)) mine.push_back(*it);
      verdicts(*par, mine, four);
    });
  for (auto& t : threads) t.join();
  int differ = 0, unsound = 0, kept = 0;
  for (uint32_t c : all) {
    differ += one[c] != four[c];
    if (one[c] & 1) {
      ++kept;
      unsound += u_getIntPropertyValue(static_cast<UChar32>(c), UCHAR_NFKC_QUICK_CHECK) != UNORM_YES ||
                 !nfkc->hasBoundaryBefore(static_cast<UChar32>(c)) || !(one[c] & 2);
    }
  }
  CHECK(differ == 0);
  CHECK(unsound == 0);
  CHECK(kept > 40000);  // most of the BMP is left as is
}
