// SPDX-License-Identifier: Apache-2.0
// The hand-written e-mail matcher (match/email_matcher.cc) must find exactly
// what RE2 finds for the same regex in the Hyperscan engine's confirmation
// loop (issue 14): random text made of the bytes that matter (local-part and
// domain characters, '@', '.', letters, digits, runs near the 63/64 limits,
// non-ASCII bytes), random windows [from, to).
#include <re2/re2.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "match/matcher_internal.h"
#include "test_util.h"

using namespace nordpii;

namespace {

// RE2's answer, as MatcherCommon::FindRegex computes it.
std::vector<RegexMatch> ByRe2(const RE2& re, std::string_view text, size_t from, size_t to) {
  std::vector<RegexMatch> out;
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece m;
  size_t pos = from;
  while (pos < to && re.Match(input, pos, to, RE2::UNANCHORED, &m, 1)) {
    size_t b = static_cast<size_t>(m.data() - text.data());
    size_t e = b + m.size();
    if (e == b) { pos = b + 1; continue; }
    out.push_back({7, static_cast<uint32_t>(b), static_cast<uint32_t>(e)});
    pos = e;
  }
  return out;
}

std::vector<RegexMatch> ByHand(std::string_view text, size_t from, size_t to) {
  std::vector<RegexMatch> out;
  internal::FindEmail(text, from, to, 7, out);
  return out;
}

std::string Show(const std::vector<RegexMatch>& v) {
  std::string s;
  for (const auto& m : v) s += "[" + std::to_string(m.start) + "," + std::to_string(m.end) + ") ";
  return s;
}

std::string RandomText(std::mt19937& rng, size_t n) {
  static const char* pieces[] = {"a", "Z", "q", "0", "7", ".", ".", "-", "_", "%", "+", "@", "@", " ", "\n",
                                 "\xC3\xB8", "..", ".no", ".com", "example", "kari.nordmann", "@example.no",
                                 "x1", "-", ":", "<", ">", "(at)", ",", "abcdefghijkl"};
  std::string s;
  while (s.size() < n) {
    unsigned k = rng() % 40;
    if (k < 30) {
      s += pieces[k];
    } else {  // runs close to the label (63) and local-part (64) limits
      size_t len = 58 + rng() % 10;
      char c = "aZ9-.x"[rng() % 6];
      s.append(len, c);
    }
  }
  return s;
}

}  // namespace

TEST_CASE("e-mail matcher equals RE2 on random text and windows", "[email][differential]") {
  RE2 re(internal::kEmailRegex);
  REQUIRE(re.ok());
  std::mt19937 rng(20261203);
  int matched = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string text = RandomText(rng, 1 + rng() % 300);
    size_t from = rng() % (text.size() + 1);
    size_t to = from + rng() % (text.size() - from + 1);
    if (iter % 3 == 0) from = 0, to = text.size();
    auto want = ByRe2(re, text, from, to);
    auto got = ByHand(text, from, to);
    matched += want.empty() ? 0 : 1;
    INFO("text: " << text << "\nfrom " << from << " to " << to << "\nre2:  " << Show(want) << "\nhand: " << Show(got));
    REQUIRE(Show(got) == Show(want));
  }
  CHECK(matched > 1000);  // the generator does produce addresses
}

TEST_CASE("e-mail matcher: the edge cases by hand", "[email]") {
  RE2 re(internal::kEmailRegex);
  for (const std::string& t : std::vector<std::string>{"a@b.cc", "a@b.c", "a@b@example.com", "x.@-.no", "a@b.c1.com", "a@b..com",
                        "a@b.cc.dd.ee.ff.gg.hh", "a@b.c.d.e.f.gg", std::string(70, 'a') + "@ex.no",
                        "a@" + std::string(64, 'b') + ".no", "a@b." + std::string(70, 'c'),
                        "a@b.no1", "a@b.abcdefghijklmn", "\xC3\xB8@ex.no", "a@b.no@c.se", "@x.no"}) {
    INFO(t);
    CHECK(Show(ByHand(t, 0, t.size())) == Show(ByRe2(re, t, 0, t.size())));
  }
}

TEST_CASE("the e-mail detector in patterns/contact.toml uses the regex the matcher implements", "[email]") {
  // Otherwise the Hyperscan engine falls back to RE2 for it: correct, but
  // the speed-up is gone without anyone noticing.
  std::ifstream in(test::SourceDir() + "/patterns/contact.toml");
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(ss.str().find(std::string("regex = '") + internal::kEmailRegex + "'") != std::string::npos);
}

TEST_CASE("a pattern set with only the e-mail detector scans (no Hyperscan database left)", "[email][cli]") {
  // The e-mail regex is not compiled into Hyperscan any more; a pattern set
  // with nothing else for Hyperscan must still scan (it failed with "no
  // Hyperscan scratch" once).
  std::string dir = test::TempDir("email", "only-patterns");
  std::string contact = test::ReadFile(test::SourceDir() + "/patterns/contact.toml");
  size_t first = contact.find("[[detector]]");
  size_t second = contact.find("[[detector]]", first + 1);
  REQUIRE(second != std::string::npos);
  std::ofstream(dir + "/contact.toml") << contact.substr(0, second);
  // The categories are data too (a pattern directory declares them).
  std::filesystem::copy_file(test::SourceDir() + "/patterns/categories.toml", dir + "/categories.toml");
  std::ofstream(dir + "/in.txt") << "skriv til kari.nordmann@example.no i dag\n";
  for (const char* engine : {"hyperscan", "re2"}) {
    test::Run r = test::Exec(std::string("scan --engine ") + engine + " --format jsonl --no-builtin-patterns --patterns " + dir + " " + dir + "/in.txt");
    INFO(engine << ": " << r.out);
    CHECK(r.code == 1);
    CHECK(r.out.find("\"type\":\"email\"") != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a keyword without a letter is found in a text without a letter (the letterless skip stays off)", "[match][speed]") {
  // The Hyperscan engine skips its scan on a text with no letter and no
  // non-ASCII byte only when every keyword holds one (issue 11: each ticket
  // number is scanned alone). A keyword of digits and punctuation turns that
  // skip off, so it is still found in such a text.
  std::string dir = test::TempDir("match", "letterless-patterns");
  std::filesystem::copy_file(test::SourceDir() + "/patterns/categories.toml", dir + "/categories.toml");
  std::ofstream(dir + "/special.toml") << "[[keywords]]\nid = \"art9.test\"\nrole = \"special\"\nsubcategory = \"health\"\n"
                                          "words = [\"1-1-2\"]\n\n[[detector]]\nid = \"special.test\"\ncategory = \"special\"\n"
                                          "subcategory = \"health\"\nvalidator = \"keyword\"\nsource = \"keyword\"\n"
                                          "trigger = [\"art9.test\"]\n";
  std::ofstream(dir + "/in.txt") << "1-1-2\n";
  std::ofstream(dir + "/words.txt") << "ring 1-1-2 no\n";
  for (const char* engine : {"hyperscan", "re2"}) {
    for (const char* in : {"/in.txt", "/words.txt"}) {
      test::Run r = test::Exec(std::string("scan --engine ") + engine + " --format jsonl --no-builtin-patterns --patterns " + dir + " " + dir + in);
      INFO(engine << " " << in << ": " << r.out);
      CHECK(r.code == 1);
      CHECK(r.out.find("\"type\":\"special.test\"") != std::string::npos);
    }
  }
  std::filesystem::remove_all(dir);
}

// Issue 14: FindEmail classes bytes by a table. Every byte value, in each
// place of an address (local part, a domain label, the top-level domain,
// beside the '@' and the dots), must be taken or refused as RE2 does.
TEST_CASE("e-mail matcher equals RE2 with every byte value in every place of an address", "[email][differential]") {
  RE2 re(internal::kEmailRegex);
  REQUIRE(re.ok());
  int matched = 0;
  for (int b = 0; b < 256; ++b) {
    const std::string c(1, static_cast<char>(b));
    for (const std::string& text :
         {"ka" + c + "ri@example.no", c + "kari@example.no", "kari" + c + "@example.no", "kari@" + c + "example.no",
          "kari@ex" + c + "ample.no", "kari@example" + c + ".no", "kari@example." + c + "no", "kari@example.n" + c + "o",
          "kari@example.no" + c, "kari@sub" + c + ".example.no", "x" + c + "@y.no"}) {
      auto want = ByRe2(re, text, 0, text.size());
      auto got = ByHand(text, 0, text.size());
      matched += want.empty() ? 0 : 1;
      INFO("byte " << b << " in: " << text << "\nre2:  " << Show(want) << "\nhand: " << Show(got));
      REQUIRE(Show(got) == Show(want));
    }
  }
  CHECK(matched > 1000);  // 1 260 of the 2 816 texts are addresses
}
