// SPDX-License-Identifier: Apache-2.0
// Work items (src/batch/work_items.h): where a big file is split.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
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

namespace {

// The callback form (cuts by seeking, numbers counted by RangeNumbering)
// against the pass (SplitFile above): the same ranges, and after Number
// (called last range first, so that ranges are counted by a later one) the
// same first_line and records_before.
void CheckSeekSameAsPass(const std::string& name, const std::string& bytes, InputFormat f, uint64_t range) {
  fs::path p = fs::temp_directory_path() / ("nordpii-work-items-seek-" + name);
  std::ofstream(p, std::ios::binary) << bytes;
  const std::vector<Input> pass = SplitWorkItems({Input{p.string(), f, bytes.size()}}, range);
  std::vector<Input> seek;
  std::string errors;
  SplitWorkItems(
      {Input{p.string(), f, bytes.size()}}, range, 64u << 20,
      [&](Input r) {
        seek.push_back(std::move(r));
        return true;
      },
      [&](const std::string& e) { errors += e; });
  CHECK(errors.empty());
  REQUIRE(seek.size() == pass.size());
  // The numbers the writer fixes each range's report up by: the counts of
  // the ranges before it, each counted by its own scan (RangeCounter, in
  // pieces of odd sizes as reads give them) or by CountRange.
  uint64_t lines = 0, records = 0;
  for (size_t k = 0; k < seek.size(); ++k) {
    INFO(name << " range " << k << " of " << seek.size() << " (" << range << " bytes)");
    CHECK(seek[k].begin == pass[k].begin);
    CHECK(seek[k].end == pass[k].end);
    CHECK(seek[k].last_range == pass[k].last_range);
    if (!seek[k].relative) {
      CHECK(seek[k].end == 0);
      continue;
    }
    CHECK(1 + lines == pass[k].first_line);
    CHECK(records == pass[k].records_before);
    RangeCounter counter(f, seek[k].begin);
    for (uint64_t at = seek[k].begin; at < seek[k].end;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(1 + (at * 7919) % 4099, seek[k].end - at));
      counter.Add(bytes.data() + at, n);
      at += n;
    }
    int fd = ::open(p.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    auto c = CountRange(fd, f, seek[k].begin, seek[k].end);
    ::close(fd);
    REQUIRE(c);
    CHECK(c->lines == counter.counts().lines);
    CHECK(c->records == counter.counts().records);
    lines += counter.counts().lines, records += counter.counts().records;
  }
  fs::remove(p);
}

}  // namespace

TEST_CASE("work items: ranges cut by seeking equal the pass, numbers counted by the ranges", "[batch][workitems]") {
  // JSONL: blank lines of spaces, tabs and CR, CRLF, a BOM, a last line
  // without a line break; lines of many lengths around the read pieces.
  std::string jsonl = "\xEF\xBB\xBF{\"id\":0}\n";
  for (int i = 1; i < 3000; ++i) {
    jsonl += "{\"id\":" + std::to_string(i) + ",\"body\":\"" + std::string(static_cast<size_t>(i * 37 % 211), 'x') +
             "\"}" + (i % 5 == 0 ? "\r\n" : "\n");
    if (i % 7 == 0) jsonl += i % 2 ? " \t\r\n" : "\n";
  }
  jsonl += "{\"id\":\"last\"}";
  // mbox: "From " lines, ">From " and "From" inside lines, and messages
  // long enough that "From " lines fall on the 128 KiB read pieces' and
  // the cut search's edges for some range sizes.
  std::string mbox;
  for (int i = 0; i < 2500; ++i)
    mbox += "From a@example.no Mon Jan  5 10:00:00 2026\nSubject: " + std::to_string(i) + "\n\n" +
            std::string(static_cast<size_t>(i * 53 % 331), 'b') + "\n>From quoted\nnot From at the start\nFrom\n\n";
  std::string text;
  for (int i = 0; i < 4000; ++i) text += std::string(static_cast<size_t>(i * 31 % 97), 't') + "\n";
  for (uint64_t range : {1ull, 97ull, 1000ull, 4099ull, 8191ull, 65537ull, 131071ull, 131072ull}) {
    CheckSeekSameAsPass("a.jsonl", jsonl, InputFormat::kJsonl, range);
    CheckSeekSameAsPass("a.mbox", mbox, InputFormat::kMbox, range);
    CheckSeekSameAsPass("a.txt", text, InputFormat::kText, range);
  }
  // Shifting the mbox by 1..6 bytes moves its "From " lines across every
  // piece edge.
  for (int shift = 1; shift <= 6; ++shift)
    CheckSeekSameAsPass("s.mbox", "From x\n" + std::string(static_cast<size_t>(shift), 'y') + "\n" + mbox,
                        InputFormat::kMbox, 300000);
  CheckSeekSameAsPass("g.mbox", "no From line first\n" + mbox, InputFormat::kMbox, 4099);
}

TEST_CASE("work items: CountRange counts lines and records across its 128 KiB read pieces", "[batch][workitems]") {
  fs::path p = fs::temp_directory_path() / "nordpii-work-items-count";
  // Brute force, as the pass defines them.
  auto expect = [](const std::string& f, InputFormat fmt) {
    RangeCounts c;
    if (fmt == InputFormat::kMbox) c.records = 1;
    for (size_t i = 0, s = 0; i < f.size(); ++i) {
      if (fmt == InputFormat::kMbox && i > 0 && f[i - 1] == '\n' && f.compare(i, 5, "From ") == 0) ++c.records;
      if (f[i] != '\n') continue;
      ++c.lines;
      if (fmt == InputFormat::kJsonl && f.substr(s, i - s).find_first_not_of(" \t\r") != std::string::npos) ++c.records;
      s = i + 1;
    }
    return c;
  };
  for (size_t piece : {size_t{128} << 10, size_t{256} << 10}) {
    for (size_t d = 0; d < 9; ++d) {
      // A "From " line and a blank JSONL line starting d bytes before a piece edge.
      std::string mbox = "From a\n" + std::string(piece - d - 1 - 7, 'm') + "\nFrom b\nx\n";
      std::string jsonl = "{}\n" + std::string(piece - d - 1 - 3, 'j') + "\n \r\n{}\n  \n";
      for (auto [bytes, fmt] : {std::pair{mbox, InputFormat::kMbox}, std::pair{jsonl, InputFormat::kJsonl}}) {
        std::ofstream(p, std::ios::binary) << bytes;
        int fd = ::open(p.c_str(), O_RDONLY);
        REQUIRE(fd >= 0);
        auto got = CountRange(fd, fmt, 0, bytes.size());
        ::close(fd);
        REQUIRE(got);
        const RangeCounts want = expect(bytes, fmt);
        INFO("piece " << piece << ", d " << d << (fmt == InputFormat::kMbox ? " mbox" : " jsonl"));
        CHECK(got->lines == want.lines);
        CHECK(got->records == want.records);
        // As a range's scan counts what it reads: pieces of any size.
        for (size_t step : {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}, size_t{6}, size_t{7}, size_t{4093}}) {
          RangeCounter counter(fmt, 0);
          for (size_t at = 0; at < bytes.size(); at += step)
            counter.Add(bytes.data() + at, std::min(step, bytes.size() - at));
          INFO("pieces of " << step);
          CHECK(counter.at() == bytes.size());
          CHECK(counter.counts().lines == want.lines);
          CHECK(counter.counts().records == want.records);
        }
      }
    }
  }
  fs::remove(p);
}

// A range's report fixed up when it is written (scan --threads, batch):
// the numbers noted by NumberPatches (an offset each, their digits read back
// from the report) get the lines or records before the range, for reports
// handed over in pieces of any size, with enough numbers to fill several of
// the list's 64 KiB blocks and distances of 1 to 5 varint bytes.
TEST_CASE("work items: PatchedCopy fixes up the noted numbers in pieces of any size", "[batch][workitems][patches]") {
  std::string report, want;
  NumberPatches patches;
  uint64_t seed = 12345;
  auto rnd = [&](uint64_t n) { return ((seed = seed * 6364136223846793005ull + 1442695040888963407ull) >> 33) % n; };
  for (int i = 0; i < 60000; ++i) {
    const uint64_t gap = i % 5000 == 0 ? rnd(1u << 20) : rnd(40);
    std::string filler(gap, 'x');
    for (char& c : filler) c = "ab:,\"{ \n"[rnd(8)];
    report += filler, want += filler;
    const bool record = rnd(2) == 1;
    const uint64_t v = i % 7 == 0 ? rnd(10) : i == 77 ? UINT64_MAX / 4 : rnd(1000000);
    patches.Add(report.size(), record);
    report += std::to_string(v), want += std::to_string(v + (record ? 7000000000ull : 42));
    report += ',', want += ',';
  }
  CHECK(patches.size() == 60000);
  CHECK(patches.bytes() < 60000 * 4 + (1u << 20) / 64);  // ~2-3 bytes a number (the 24-byte struct: 1.4 MB)
  auto copy = [&](const NumberPatches& p, const std::string& bytes, size_t piece, std::string& out) {
    char* buf = nullptr;
    size_t len = 0;
    std::FILE* f = open_memstream(&buf, &len);
    PatchedCopy fix(f, p, 42, 7000000000ull);
    bool ok = true;
    for (size_t at = 0; ok && at < bytes.size(); at += piece)
      ok = fix.Write(bytes.data() + at, std::min(piece, bytes.size() - at));
    ok = fix.Finish() && ok;
    std::fclose(f);
    out.assign(buf, len);
    std::free(buf);
    return ok;
  };
  for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{4096}, size_t{1} << 20, report.size()}) {
    std::string out;
    CHECK(copy(patches, report, piece, out));
    CHECK(out == want);
  }
  // The report and its patches disagree: an error, never a wrong number.
  std::string out;
  NumberPatches none_there;
  none_there.Add(1, false);
  CHECK_FALSE(copy(none_there, "a:b", 1, out));  // no digit at the patch
  NumberPatches past_end;
  past_end.Add(10, false);
  CHECK_FALSE(copy(past_end, "a:1", 2, out));  // never reached
  NumberPatches back;
  back.Add(5, false), back.Add(2, true);
  CHECK_FALSE(back.empty());
  CHECK_FALSE(copy(back, "a:1,b:2,c:3", 4, out));  // noted out of order
  NumberPatches inside;
  inside.Add(2, false), inside.Add(3, false);
  CHECK_FALSE(copy(inside, "a:12,", 1, out));  // a patch inside the number before
  NumberPatches at_end;
  at_end.Add(2, true);
  CHECK(copy(at_end, "a:12", 3, out));  // a number ending the report
  CHECK(out == "a:7000000012");
}
