// SPDX-License-Identifier: Apache-2.0
// ReportSink's JSON lines (issue 14): the keys "type", "category" and
// "subcategory" are written once per type and copied after, and a plain
// text finding's line (no subject, message or ticket keys) goes out from
// the room it was written in. Each line must still say what its own
// finding says.
#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "output/identifier_masker.h"
#include "output/report_sink.h"
#include "test_util.h"

using namespace nordpii;

namespace {

std::string ReadAll(std::FILE* f) {
  std::string out;
  std::rewind(f);
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  return out;
}

}  // namespace

TEST_CASE("JSON lines carry each finding's own type, category and subcategory", "[output][json]") {
  auto scanner = test::MakeScanner();
  // Types that share a category or a type id, strings JSON must escape,
  // and more types than the sink keeps written (64).
  std::vector<std::string> types = {"phone", "card", "no.fnr", "a\"b", "tab\there", "ctl\x01", "æøå"};
  for (int i = 0; i < 70; ++i) types.push_back("t" + std::to_string(i));
  const std::vector<std::string> categories = {"contact", "financial", "special", "x\\y"};
  const std::vector<std::string> subs = {"", "", "health", "union"};
  std::mt19937 rng(14);
  for (ReportFormat format : {ReportFormat::kJsonl, ReportFormat::kJson}) {
    std::FILE* out = std::tmpfile();
    REQUIRE(out);
    IdentifierMasker masker(*scanner, KeyedHasher("k"));
    std::vector<Finding> written;
    {
      ReportSink sink(out, format, false, masker);
      sink.SetPath("in.txt");
      for (int i = 0; i < 3000; ++i) {
        // The second half has a subject: lines with more keys than a plain
        // text finding's.
        if (i == 1500) sink.SetSubject("Emne");
        Finding f;
        // Mostly a few types in turn, as scans find them; now and then any.
        f.type = types[rng() % (i % 7 == 0 ? types.size() : 4)];
        f.category = categories[rng() % categories.size()];
        f.subcategory = subs[rng() % subs.size()];
        f.confidence = Confidence::kMedium;
        f.start = static_cast<uint64_t>(i) * 10, f.end = f.start + 8;
        f.line = static_cast<uint64_t>(i) + 1, f.column = 1;
        f.masked = "******" + std::to_string(i % 100);
        f.hash = std::string(64, 'a');
        sink.OnFinding(f, "raw");
        written.push_back(f);
      }
      sink.Finish(1, 0);
      std::fflush(out);
    }
    const std::string text = ReadAll(out);
    std::fclose(out);
    std::vector<nlohmann::json> lines;
    if (format == ReportFormat::kJsonl) {
      std::istringstream in(text);
      for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
    } else {
      const nlohmann::json doc = nlohmann::json::parse(text);
      for (const auto& j : doc.at("findings")) lines.push_back(j);
    }
    REQUIRE(lines.size() == written.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      INFO("finding " << i);
      CHECK(lines[i].at("type") == written[i].type);
      CHECK(lines[i].at("category") == written[i].category);
      if (written[i].subcategory.empty()) CHECK_FALSE(lines[i].contains("subcategory"));
      else CHECK(lines[i].at("subcategory") == written[i].subcategory);
      CHECK(lines[i].at("start") == written[i].start);
      CHECK(lines[i].at("masked") == written[i].masked);
      if (i < 1500) CHECK_FALSE(lines[i].contains("subject"));
      else CHECK(lines[i].at("subject") == "Emne");
    }
  }
}

// Issue 14: PutJsonString copies 16 plain bytes a step (SSE2). The "masked"
// value of a JSON line must be written exactly as AppendJsonString writes
// it, for strings of every length around the 16-byte steps with bytes to
// escape (quotes, backslashes, controls, DEL), UTF-8 characters and invalid
// bytes at every position.
TEST_CASE("a JSON line's strings are escaped as AppendJsonString escapes them", "[output][json]") {
  auto scanner = test::MakeScanner();
  const std::string kBytes[] = {"a", "Z", "*", "@", ".", "\"", "\\", "\n", "\x01", "\x1f", " ", "~", "\x7f",
                                "\xc3\xa5", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff", "\xc3", "\x80"};
  std::mt19937 rng(20261205);
  std::FILE* out = std::tmpfile();
  REQUIRE(out);
  IdentifierMasker masker(*scanner, KeyedHasher("k"));
  std::vector<std::string> masked;
  {
    ReportSink sink(out, ReportFormat::kJsonl, false, masker);
    sink.SetPath("in.txt");
    for (int i = 0; i < 4000; ++i) {
      // Mostly plain (long plain runs, one odd byte somewhere), else any.
      const size_t len = rng() % 72;
      std::string m;
      while (m.size() < len) {
        const size_t k = (rng() % 4 == 0) ? rng() % std::size(kBytes) : rng() % 5;
        m += kBytes[k];
      }
      Finding f;
      f.type = "email";
      f.category = "contact";
      f.confidence = Confidence::kMedium;
      f.start = static_cast<uint64_t>(i) * 100, f.end = f.start + 8;
      f.line = 1, f.column = 1;
      f.masked = m;
      f.hash = std::string(64, 'a');
      sink.OnFinding(f, "raw");
      masked.push_back(m);
    }
    sink.Finish(1, 0);
    std::fflush(out);
  }
  const std::string text = ReadAll(out);
  std::fclose(out);
  std::istringstream in(text);
  size_t i = 0;
  for (std::string l; std::getline(in, l); ++i) {
    REQUIRE(i < masked.size());
    INFO("finding " << i);
    std::string want;
    AppendJsonString(want, std::string_view(masked[i]));
    const size_t b = l.find(",\"masked\":"), e = l.find(",\"rules\":");
    REQUIRE(b != std::string::npos);
    REQUIRE(e != std::string::npos);
    CHECK(l.substr(b + 10, e - b - 10) == want);
  }
  CHECK(i == masked.size());
}
