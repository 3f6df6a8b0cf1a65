// SPDX-License-Identifier: Apache-2.0
// Pattern files: each bad file in patterns/bad/ fails with the error its
// first line announces; every detector's inline examples hold in both engines.
#include <catch2/catch.hpp>
#include <filesystem>

#include "detect/detectors.h"
#include "match/matcher.h"
#include "test_util.h"

using namespace nordpii;
using nordpii::test::ReadFile;
using nordpii::test::SourceDir;

namespace {

// Loads the real patterns plus one extra file, through every check the
// scanner applies (parse, references, both engines).
Status LoadWithExtra(const std::string& extra) {
  auto set = PatternSet::LoadDir(SourceDir() + "/patterns");
  if (!set) return set.error();
  if (Status s = set->LoadFile(extra); !s.ok()) return s;
  auto reg = PluginRegistry::Create({});
  auto dets = DetectorSet::Create(*set, *reg);
  if (!dets) return dets.error();
  for (const char* engine : {"re2", "hyperscan"}) {
    auto m = MakeMatcher(engine, *set);
    if (!m) return m.error();
  }
  return Status::Ok();
}

}  // namespace

TEST_CASE("every bad pattern file fails with its announced error", "[patterns]") {
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(SourceDir() + "/patterns/bad")) {
    std::string text = ReadFile(e.path().string());
    REQUIRE(text.rfind("# expect: ", 0) == 0);
    std::string expect = text.substr(10, text.find('\n') - 10);
    INFO(e.path().string());
    Status s = LoadWithExtra(e.path().string());
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains(expect));
    ++files;
  }
  CHECK(files >= 8);
}

TEST_CASE("every detector's examples match (and no_match do not) in both engines", "[patterns]") {
  auto set = PatternSet::LoadDir(SourceDir() + "/patterns");
  REQUIRE(set);
  for (const char* engine : {"hyperscan", "re2"}) {
    auto scanner = test::MakeScanner(engine);
    for (const DetectorSpec& d : set->detectors) {
      for (const std::string& ex : d.examples_match) {
        INFO(engine << " " << d.id << " should match: " << ex);
        auto fs = test::Scan(scanner, ex);
        bool hit = false;
        for (const auto& f : fs) {
          if (f.type == d.id) hit = true;
          for (const TypeSpec& t : set->types)  // finer types declared beside the detector
            if (t.id == f.type && t.file == d.file) hit = true;
          for (const DetectorSpec& o : set->detectors)  // or a sibling's type ("email")
            if (o.id == f.type && o.file == d.file && &o != &d) hit = true;
        }
        CHECK(hit);
      }
      for (const std::string& ex : d.examples_no_match) {
        INFO(engine << " " << d.id << " should not match: " << ex);
        auto fs = test::Scan(scanner, ex);
        for (const auto& f : fs) CHECK(f.type != d.id);
      }
    }
  }
}
