// SPDX-License-Identifier: Apache-2.0
// --patterns DIR adds to the built-in patterns (issue 15); --no-builtin-patterns
// uses only the given directories; an id defined twice is refused, naming both
// files; the built-in directory given again changes nothing.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <vector>

#include "test_util.h"

using nordpii::test::Exec;
using nordpii::test::Run;

namespace {

// A custom keyword detector (no plugin needed) in its own directory.
const char* kCustom =
    "[[keywords]]\nid = \"acme.words\"\nrole = \"special\"\nsubcategory = \"health\"\n"
    "words = [\"projectbluefin\"]\n\n"
    "[[detector]]\nid = \"acme.project\"\ncategory = \"special\"\nsubcategory = \"health\"\n"
    "validator = \"keyword\"\nsource = \"keyword\"\ntrigger = [\"acme.words\"]\n";

struct Dirs {
  std::string root, custom, cats, in;
};

Dirs Make(const std::string& name) {
  Dirs d;
  d.root = nordpii::test::TempDir("patdirs", name);
  d.custom = d.root + "/custom";
  d.cats = d.root + "/cats";
  std::filesystem::create_directories(d.custom);
  std::filesystem::create_directories(d.cats);
  std::ofstream(d.custom + "/acme.toml") << kCustom;
  std::filesystem::copy_file(nordpii::test::SourceDir() + "/patterns/categories.toml", d.cats + "/categories.toml");
  d.in = d.root + "/in.txt";
  std::ofstream(d.in) << "fnr 15108695088 gjelder projectbluefin\n";
  return d;
}

bool Has(const std::string& out, const std::string& type) {
  return out.find("\"type\":\"" + type + "\"") != std::string::npos;
}

}  // namespace

TEST_CASE("pattern dirs: --patterns DIR adds a custom detector: built-in findings stay, the new type is added", "[patterns][cli]") {
  Dirs d = Make("add");
  Run base = Exec("scan --format jsonl " + d.in);
  CHECK(base.code == 1);
  CHECK(Has(base.out, "no.fnr"));
  CHECK_FALSE(Has(base.out, "acme.project"));
  Run r = Exec("scan --format jsonl --patterns " + d.custom + " " + d.in);
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(Has(r.out, "no.fnr"));
  CHECK(Has(r.out, "acme.project"));
  // types, batch and find-subject read the same directories.
  Run t = Exec("types --patterns " + d.custom);
  CHECK(t.code == 0);
  CHECK_THAT(t.out, Catch::Contains("acme.project"));
  CHECK_THAT(t.out, Catch::Contains("no.fnr"));
  Run b = Exec("batch -q --report " + d.root + "/rep --patterns " + d.custom + " " + d.in);
  CHECK(b.code == 1);
  std::string findings = nordpii::test::ReadFile(d.root + "/rep/findings.jsonl");
  CHECK(Has(findings, "acme.project"));
  CHECK(Has(findings, "no.fnr"));
  Run fs = Exec("find-subject --format jsonl --id 15108695088 --patterns " + d.custom + " " + d.in);
  CHECK(fs.code == 1);
  // The config file key `patterns` adds as the flag does.
  std::ofstream(d.root + "/c.toml") << "patterns = [\"" << d.custom << "\"]\n";
  r = Exec("scan --format jsonl --config " + d.root + "/c.toml " + d.in);
  CHECK(Has(r.out, "no.fnr"));
  CHECK(Has(r.out, "acme.project"));
  std::filesystem::remove_all(d.root);
}

TEST_CASE("pattern dirs: --no-builtin-patterns uses only the given directories, which declare the categories", "[patterns][cli]") {
  Dirs d = Make("only");
  // Repeatable: the categories from one directory, the detector from another.
  Run r = Exec("scan --format jsonl --no-builtin-patterns --patterns " + d.cats + " --patterns " + d.custom + " " + d.in);
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(Has(r.out, "acme.project"));
  CHECK_FALSE(Has(r.out, "no.fnr"));
  // Without a [[category]] list the run is refused (no built-in file is used behind the user's back).
  r = Exec("scan --format jsonl --no-builtin-patterns --patterns " + d.custom + " " + d.in);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("no [[category]] declared"));
  // And without any directory.
  r = Exec("scan --no-builtin-patterns " + d.in);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("--no-builtin-patterns needs at least one --patterns DIR"));
  // The config file key too.
  std::ofstream(d.root + "/c.toml") << "no-builtin-patterns = true\npatterns = [\"" << d.cats << "\", \"" << d.custom
                                    << "\"]\n";
  r = Exec("scan --format jsonl --config " + d.root + "/c.toml " + d.in);
  CHECK(Has(r.out, "acme.project"));
  CHECK_FALSE(Has(r.out, "no.fnr"));
  std::filesystem::remove_all(d.root);
}

TEST_CASE("pattern dirs: a --patterns detector with a built-in id is refused, naming both files", "[patterns][cli]") {
  Dirs d = Make("dup");
  std::ofstream(d.custom + "/mine.toml") << "[[detector]]\nid = \"no.fnr\"\ncategory = \"national-id\"\n"
                                            "validator = \"no_person\"\n  [[detector.shape]]\n  digits = 11\n";
  for (const std::string& cmd : std::vector<std::string>{"scan " + d.in, "types", "batch -q --report " + d.root + "/rep " + d.in}) {
    Run r = Exec(cmd + " --patterns " + d.custom);
    INFO(cmd << ": " << r.out);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains(d.custom + "/mine.toml:1: detector 'no.fnr' is already defined at "));
    CHECK_THAT(r.out, Catch::Contains("/no.toml:"));
  }
  // A category or keywords id counts too.
  std::filesystem::remove(d.custom + "/mine.toml");
  std::filesystem::copy_file(d.cats + "/categories.toml", d.custom + "/categories.toml");
  Run r = Exec("scan " + d.in + " --patterns " + d.custom);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("custom/categories.toml:"));
  CHECK_THAT(r.out, Catch::Contains("is already defined at "));
  // The milter reads the same directories.
  r = Exec("milter --check --config conf/nordpii-milter.toml --patterns " + d.custom);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("is already defined at "));
  std::filesystem::remove_all(d.root);
}

TEST_CASE("pattern dirs: the built-in pattern directory given again, or a directory given twice, counts once", "[patterns][cli]") {
  Dirs d = Make("same");
  const std::string builtin = nordpii::test::SourceDir() + "/patterns";
  Run base = Exec("scan --format jsonl " + d.in);
  Run again = Exec("scan --format jsonl --patterns " + builtin + " --patterns " + builtin + "/../patterns " + d.in);
  INFO(again.out);
  CHECK(again.code == base.code);
  CHECK(again.out == base.out);
  Run twice = Exec("scan --format jsonl --patterns " + d.custom + " --patterns " + d.custom + "/ " + d.in);
  CHECK(twice.code == 1);
  CHECK(Has(twice.out, "acme.project"));
  Run milter = Exec("milter --check --config conf/nordpii-milter.toml --patterns " + builtin + " --patterns " + d.custom);
  CHECK(milter.code == 0);
  std::filesystem::remove_all(d.root);
}

TEST_CASE("pattern dirs: --no-builtin-patterns with no [[detector]] at all is an error, not a scan that finds nothing", "[patterns][cli]") {
  Dirs d = Make("nodetector");
  // d.cats holds only the [[category]] list: nothing would be looked for.
  for (const char* cmd : {"scan", "redact", "types"}) {
    const std::string in = std::string(cmd) == "types" ? "" : " " + d.in;
    Run r = Exec(std::string(cmd) + " --no-builtin-patterns --patterns " + d.cats + in + " </dev/null");
    INFO(cmd << ": " << r.out);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("define no [[detector]]"));
  }
  std::filesystem::remove_all(d.root);
}
