// SPDX-License-Identifier: Apache-2.0
// Work items (src/batch/work_items.h): where a big file is split.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "batch/work_items.h"

namespace fs = std::filesystem;
using namespace nordpii;

namespace {

std::vector<Input> SplitFile(const std::string& name, const std::string& bytes, InputFormat f, uint64_t range) {
  fs::path p = fs::temp_directory_path() / ("nordpii-work-items-" + name);
  std::ofstream(p, std::ios::binary) << bytes;
  std::vector<Input> items = SplitWorkItems({Input{p.string(), f, bytes.size()}}, range);
  fs::remove(p);
  return items;
}

// Items cover the file without gaps, in order.
void CheckCover(const std::vector<Input>& items, size_t size) {
  uint64_t at = 0;
  for (const auto& it : items) {
    CHECK(it.begin == at);
    CHECK(it.end > it.begin);
    CHECK(it.size == it.end - it.begin);
    at = it.end;
  }
  CHECK(at == size);
}

}  // namespace

TEST_CASE("work items: JSONL ranges start at lines and count records without blank lines", "[batch][workitems]") {
  std::string f;
  for (int i = 0; i < 40; ++i) {
    f += "{\"id\":" + std::to_string(i) + ",\"body\":\"xxxxxxxxxxxxxxxxxxxx\"}\n";
    if (i % 7 == 0) f += " \t\r\n";  // a blank line: no record
  }
  auto items = SplitFile("a.jsonl", f, InputFormat::kJsonl, 100);
  REQUIRE(items.size() > 5);
  CheckCover(items, f.size());
  for (const auto& it : items) {
    REQUIRE((it.begin == 0 || f[it.begin - 1] == '\n'));
    // Records before = non-blank lines before begin; lines = newlines + 1.
    size_t records = 0, lines = 1;
    for (size_t i = 0, s = 0; i < it.begin; ++i)
      if (f[i] == '\n') {
        ++lines;
        if (f.substr(s, i - s).find_first_not_of(" \t\r") != std::string::npos) ++records;
        s = i + 1;
      }
    CHECK(it.records_before == records);
    CHECK(it.first_line == lines);
  }
}

TEST_CASE("work items: mbox ranges start only where a message starts", "[batch][workitems]") {
  std::string f;
  for (int i = 0; i < 30; ++i)
    f += "From a@example.no Mon Jan  5 10:00:00 2026\nSubject: " + std::to_string(i) +
         "\n\nbody line\n>From quoted\nnot From at the start\n\n";
  auto items = SplitFile("a.mbox", f, InputFormat::kMbox, 150);
  REQUIRE(items.size() > 5);
  CheckCover(items, f.size());
  for (const auto& it : items) {
    REQUIRE(f.compare(it.begin, 5, "From ") == 0);
    REQUIRE((it.begin == 0 || f[it.begin - 1] == '\n'));
    size_t messages = 0;
    for (size_t i = 0; i < it.begin; ++i)
      if ((i == 0 || f[i - 1] == '\n') && f.compare(i, 5, "From ") == 0) ++messages;
    CHECK(it.records_before == messages);
  }
}

TEST_CASE("work items: small files, one long line and CSV stay whole", "[batch][workitems]") {
  CHECK(SplitFile("s.txt", "short\ntext\n", InputFormat::kText, 100).at(0).end == 0);
  auto one_line = SplitFile("l.txt", std::string(5000, 'x'), InputFormat::kText, 100);
  REQUIRE(one_line.size() == 1);
  CHECK(one_line[0].end == 0);
  std::string csv = "a,b\n";
  for (int i = 0; i < 100; ++i) csv += "1,\"two\nlines\"\n";
  CHECK(SplitFile("c.csv", csv, InputFormat::kCsv, 100).size() == 1);
  auto text = SplitFile("t.txt", std::string(300, 'y') + "\n" + std::string(300, 'z') + "\n", InputFormat::kText, 100);
  REQUIRE(text.size() == 2);
  CHECK(text[1].begin == 301);
  CHECK(text[1].first_line == 2);
  CHECK(WorkItemId(text[1]) == text[1].path + "\x1e" "301-602");
}
