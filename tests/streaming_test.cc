// SPDX-License-Identifier: Apache-2.0
// Streaming: chunk boundaries never change the result; huge single lines
// stream in bounded memory.
#include <catch2/catch.hpp>

#include "test_util.h"

using namespace nordpii;
using namespace nordpii::test;

namespace {

std::string Corpus() {
  std::string all;
  for (const char* f : {"ticket-no.txt", "ticket-se.txt", "ticket-dk-fi-is.txt", "variants.txt",
                        "hard-negatives.txt"})
    all += ReadFile(SourceDir() + "/samples/" + f);
  std::string out;
  for (int i = 0; i < 8; ++i) out += all;
  return out;
}

std::vector<std::string> Keys(const std::vector<Finding>& fs) {
  std::vector<std::string> k;
  for (const auto& f : fs)
    k.push_back(f.type + "@" + std::to_string(f.start) + "-" + std::to_string(f.end) + "/" +
                std::to_string(f.line) + ":" + std::to_string(f.column));
  return k;
}

}  // namespace

TEST_CASE("chunk size does not change findings, lines or redaction", "[streaming]") {
  std::string text = Corpus();
  auto whole = MakeScanner("auto", 1 << 24);
  auto want = Keys(Scan(whole, text));
  std::string want_red = Redact(whole, text);
  REQUIRE(want.size() > 100);
  for (size_t chunk : {1, 17, 333, 1000, 4096, 65536}) {
    INFO("chunk " << chunk);
    auto s = MakeScanner("auto", chunk);
    CHECK(Keys(Scan(s, text)) == want);
    CHECK(Redact(s, text) == want_red);
  }
}

TEST_CASE("a 100 MB line without newline streams and finds values at both ends", "[streaming][big]") {
  std::string text = "fnr 15108695088 ";
  text.reserve(100u << 20);
  while (text.size() < (100u << 20)) text += "lorem ipsum dolor 2026 sit amet ";
  size_t tail = text.size();
  text += "pnr 880320-0016";
  auto s = MakeScanner();
  auto fs = Scan(s, text);
  REQUIRE(fs.size() == 2);
  CHECK(fs[0].type == "no.fnr");
  CHECK(fs[1].type == "se.pnr");
  CHECK(fs[1].start == tail + 4);
  CHECK(fs[1].line == 1);
  CHECK(fs[1].column == tail + 5);
}

TEST_CASE("every finding of a large input is reported and redacted, without a cap", "[streaming]") {
  std::string text;
  for (int i = 0; i < 150000; ++i) text += "fnr 15108695088\n";
  auto s = MakeScanner();
  CHECK(Scan(s, text).size() == 150000);
  std::string red = Redact(s, text);
  CHECK(red.find("15108695088") == std::string::npos);
  CHECK(Scan(s, red).empty());
}
