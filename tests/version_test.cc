// SPDX-License-Identifier: Apache-2.0
// File: version_test.cc — the version set once in CMake (project(VERSION))
// reaches every place that shows it: --version, the version command, batch
// reports (summary.json, report.html).
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "nordpii_version.h"
#include "test_util.h"

using namespace nordpii::test;
namespace fs = std::filesystem;

TEST_CASE("version: --version and the version command print the CMake project version", "[cli][version]") {
  std::string want = std::string("nordpii ") + NORDPII_VERSION + "\n";
  CHECK(std::string(NORDPII_VERSION) == NORDPII_PROJECT_VERSION);
  for (const char* args : {"--version", "-V", "version"}) {
    Run r = Exec(args);
    CHECK(r.code == 0);
    CHECK(r.out == want);
  }
}

TEST_CASE("version: batch reports name the version", "[cli][version]") {
  fs::path dir = fs::temp_directory_path() / ("nordpii-version-test-" + std::to_string(getpid()));
  fs::remove_all(dir);
  Run r = Exec("batch -q " + SourceDir() + "/samples/ticket-no.txt --report " + dir.string());
  CHECK(r.code == 1);
  auto summary = nlohmann::json::parse(ReadFile((dir / "summary.json").string()));
  CHECK(summary["nordpii_version"] == NORDPII_PROJECT_VERSION);
  CHECK(ReadFile((dir / "report.html").string()).find(std::string("<footer><p>nordpii ") + NORDPII_PROJECT_VERSION) !=
        std::string::npos);
  fs::remove_all(dir);
}
