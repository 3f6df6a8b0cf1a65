// SPDX-License-Identifier: Apache-2.0
// Streaming: chunk boundaries never change the result; huge single lines
// stream in bounded memory.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>

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

// Pairs of a labelled CPR without mod 11 and its unlabelled repeat at
// distances around kRepeatDistance, before and after, with zero-width
// spaces (dropped by the normaliser) and multi-byte letters between, so
// that chunk, range and context cuts fall everywhere between the two.
std::string RepeatCorpus(size_t& pairs) {
  std::mt19937 rng(7);
  std::string text;
  pairs = 0;
  const char* values[] = {"010190-1234", "020285-4321", "311299-9999", "150670-1111"};
  while (text.size() < 200000) {
    const std::string v = values[rng() % 4];
    std::string filler;
    const size_t gap = 400 + rng() % 160;
    // One pair in three far apart in input bytes but near once normalised:
    // 300-500 zero-width spaces (900-1500 bytes, none after normalising).
    if (rng() % 3 == 0)
      for (size_t k = 300 + rng() % 200; k > 0; --k) filler += "\u200B";
    while (filler.size() < gap) {
      switch (rng() % 4) {
        case 0: filler += "\u200B"; break;
        case 1: filler += "\xc3\xa6"; break;
        case 2: filler += "\n"; break;
        default: filler += "ord "; break;
      }
    }
    if (rng() % 2) text += "CPR: " + v + " " + filler + " vedr. " + v + ".\n";
    else text += "vedr. " + v + " " + filler + " CPR: " + v + ".\n";
    text += std::string(rng() % 3000, 'z') + "\n";
    ++pairs;
  }
  return text;
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

TEST_CASE("chunk size does not change what the repeat rule finds", "[streaming]") {
  size_t pairs = 0;
  const std::string text = RepeatCorpus(pairs);
  auto whole = MakeScanner("auto", 1 << 24);
  auto all = Scan(whole, text);
  const auto repeats = std::count_if(all.begin(), all.end(), [](const Finding& f) { return (f.rules & kRuleRepeat) != 0; });
  INFO(pairs << " pairs, " << repeats << " repeats");
  CHECK(repeats > static_cast<long>(pairs) / 8);       // some pairs are near enough ...
  CHECK(repeats < static_cast<long>(pairs) * 9 / 10);  // ... and some are not
  auto want = Keys(all);
  for (size_t chunk : {1, 17, 333, 1000, 4096, 65536}) {
    INFO("chunk " << chunk);
    CHECK(Keys(Scan(MakeScanner("auto", chunk), text)) == want);
  }
}

TEST_CASE("a label far before its value in input bytes counts the same in every chunk", "[streaming][context]") {
  // The label look-back is 464 text bytes; zero-width spaces (dropped by the
  // normaliser) between a label and its value stretch that over up to
  // 3 x as many input bytes — more than the 1 KiB a chunk keeps before what
  // it reports. The label of a value, and so the repeat rule's labelled
  // copy 512 bytes before its repeat, then depended on the chunk size.
  std::mt19937 rng(11);
  std::string text;
  const char* values[] = {"010190-1234", "020285-4321", "311299-9999", "150670-1111"};
  while (text.size() < 120000) {
    const std::string v = values[rng() % 4];
    std::string zw;
    for (size_t k = 50 + rng() % 400; k > 0; --k) zw += "\u200B";
    text += "CPR: " + zw + v;
    if (rng() % 2) text += std::string(rng() % 500, ' ') + " vedr. " + v;
    text += ".\n" + std::string(rng() % 3000, 'z') + "\n";
  }
  auto all = Scan(MakeScanner("auto", 1 << 24), text);
  INFO(all.size() << " findings");
  CHECK(all.size() > 10);
  auto want = Keys(all);
  for (size_t chunk : {1, 200, 333, 700, 1000, 1500, 4096}) {
    INFO("chunk " << chunk);
    CHECK(Keys(Scan(MakeScanner("auto", chunk), text)) == want);
  }
}

TEST_CASE("scan --threads 2 finds the same repeats as one thread, whatever the range size", "[streaming][cli]") {
  size_t pairs = 0;
  const std::string path = "/tmp/nordpii-repeat-" + std::to_string(getpid()) + ".txt";
  {
    std::ofstream f(path, std::ios::binary);
    f << RepeatCorpus(pairs);
  }
  Run one = Exec("scan --input text --format jsonl " + path);
  REQUIRE(one.code == 1);
  REQUIRE(one.out.find("\"repeat\"") != std::string::npos);
  for (const char* range : {"4096", "65537"}) {
    INFO("range " << range);
    CHECK(Exec("scan --input text --format jsonl --threads 2 --thread-range " + std::string(range) + " " + path).out ==
          one.out);
  }
  std::remove(path.c_str());
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
