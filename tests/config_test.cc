// SPDX-License-Identifier: Apache-2.0
// One Settings built once from flags and the config file (config/settings.h).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>

#include "config/settings.h"
#include "test_util.h"

using namespace nordpii;
using nordpii::test::Exec;
using nordpii::test::Run;

TEST_CASE("settings: the reference date is parsed once, by one parser", "[config]") {
  ReferenceDate d;
  CHECK(ParseReferenceDate("2024-02-29", d));
  CHECK((d.year == 2024 && d.month == 2 && d.day == 29));
  ReferenceDate bad;
  for (const char* s : {"2026-13-45", "2026-13-45x", "2023-02-29", "2026-1-01", "1899-12-31", ""})
    CHECK_FALSE(ParseReferenceDate(s, bad));
  CHECK_FALSE(bad.set());
  SettingsFlags f;
  f.reference_date = "2026-13-45x";
  CHECK_FALSE(static_cast<bool>(BuildSettings(f)));
  f.reference_date = "2015-01-01";
  auto s = BuildSettings(f);
  REQUIRE(s);
  CHECK(((*s)->reference_date.year == 2015 && (*s)->reference_date.month == 1 && (*s)->reference_date.day == 1));
}

TEST_CASE("settings: categories are checked once and the command's default applies when none given", "[config]") {
  SettingsFlags f;
  f.categories = "financial,bogus";
  auto bad = BuildSettings(f);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("unknown category 'bogus'"));
  f.categories = "";
  auto s = BuildSettings(f);
  REQUIRE(s);
  CHECK((*s)->Filter().categories.empty());
  CHECK((*s)->Filter({"national-id"}).categories == std::set<std::string>{"national-id"});
  f.categories = "contact";
  auto c = BuildSettings(f);
  REQUIRE(c);
  CHECK((*c)->Filter({"national-id"}).categories == std::set<std::string>{"contact"});
}

TEST_CASE("settings: one MailLimits formula for the command line and the milter", "[config]") {
  MailLimits small = MailLimitsFor(1024, false);
  CHECK(small.max_message_bytes == 1024);
  CHECK(small.max_decoded_bytes == MailLimits().max_decoded_bytes);  // at least the default
  MailLimits big = MailLimitsFor(size_t{1} << 30, true);
  CHECK(big.max_decoded_bytes == size_t{4} << 30);
  CHECK(big.ocr);
}

TEST_CASE("settings: the key is loaded once, with the settings", "[config]") {
  SettingsFlags f;
  f.key_file = "/nonexistent/nordpii-key";
  CHECK_FALSE(static_cast<bool>(BuildSettings(f)));
  std::string dir = test::TempDir("config", "key");
  test::WriteFile(dir + "/key", "0123456789abcdef0123456789abcdef\n");
  f.key_file = dir + "/key";
  auto s = BuildSettings(f);
  REQUIRE(s);
  REQUIRE((*s)->hasher != nullptr);
  CHECK_FALSE((*s)->random_key);
  std::filesystem::remove_all(dir);
}

TEST_CASE("config file: defaults for scan and batch, flags win, bad keys and values are named", "[config][cli]") {
  std::string dir = test::TempDir("config", "file");
  const std::string input = dir + "/in.txt";
  test::WriteFile(input, "personnummer 200101-2380\nkonto NO93 8601 1117 947\n");  // 2020 or 1920
  test::WriteFile(dir + "/c.toml", "# defaults\nreference-date = \"2015-01-01\"\ncategories = [\"national-id\"]\n");
  Run r = Exec("scan --format jsonl --config " + dir + "/c.toml " + input);
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("\"masked\":\"192001******\""));  // the file's reference date
  CHECK_THAT(r.out, !Catch::Contains("iban"));                       // the file's categories
  // A flag given on the command line wins over the file.
  r = Exec("scan --format jsonl --reference-date 2026-11-23 --categories national-id,financial --config " + dir +
           "/c.toml " + input);
  CHECK_THAT(r.out, Catch::Contains("\"masked\":\"202001******\""));
  CHECK_THAT(r.out, Catch::Contains("iban"));
  // The default file ($XDG_CONFIG_HOME/nordpii/config.toml) is read when it exists.
  test::WriteFile(dir + "/xdg/nordpii/config.toml", "reference-date = \"2015-01-01\"\n");
  r = Exec("scan --format jsonl " + input, "XDG_CONFIG_HOME=" + dir + "/xdg");
  CHECK_THAT(r.out, Catch::Contains("\"masked\":\"192001******\""));
  // batch takes the same defaults.
  r = Exec("batch -q --report " + dir + "/rep --config " + dir + "/c.toml " + input);
  CHECK(r.code == 1);
  CHECK_THAT(test::ReadFile(dir + "/rep/findings.jsonl"), !Catch::Contains("iban"));
  CHECK_THAT(test::ReadFile(dir + "/rep/findings.jsonl"), Catch::Contains("192001"));
  // Each value goes through the option's own check; errors name file, line and key.
  test::WriteFile(dir + "/bad.toml", "\nreference-date = \"2026-13-45x\"\n");
  r = Exec("scan --config " + dir + "/bad.toml " + input);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("bad.toml:2: key 'reference-date'"));
  test::WriteFile(dir + "/unknown.toml", "engine = \"re2\"\njobs = 4\n");
  r = Exec("scan --config " + dir + "/unknown.toml " + input);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("unknown.toml:2: key 'jobs': unknown key"));
  test::WriteFile(dir + "/syntax.toml", "engine = \"re2\ncategories = 1\n");
  r = Exec("scan --config " + dir + "/syntax.toml " + input);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("syntax.toml:1"));
  // An explicit file that does not exist is an error (a missing default is not).
  CHECK(Exec("scan --config " + dir + "/none.toml " + input).code == 2);
  CHECK(Exec("scan --format jsonl " + input, "XDG_CONFIG_HOME=" + dir + "/nothing-here").code == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("milter: --engine and --plugin reach the milter through the settings", "[config][milter]") {
  const std::string pol = " --patterns patterns --config conf/nordpii-milter.toml";
  CHECK(Exec("milter --check --engine re2" + pol).code == 0);
  CHECK(Exec("milter --check --engine bogus" + pol).code == 2);
  Run bad = Exec("milter --check --plugin /nonexistent/plugin.so" + pol);
  CHECK(bad.code == 2);
  CHECK_THAT(bad.out, Catch::Contains("/nonexistent/plugin.so"));
}

TEST_CASE("categories are data: patterns/categories.toml is the one list, redact's default set included", "[config][patterns]") {
  namespace fs = std::filesystem;
  std::string dir = test::TempDir("config", "categories");
  fs::create_directories(dir + "/p");
  for (const auto& e : fs::directory_iterator(test::SourceDir() + "/patterns"))
    if (e.path().extension() == ".toml") fs::copy_file(e.path(), dir + "/p/" + e.path().filename().string());
  const std::string in = dir + "/in.txt";
  test::WriteFile(in, "kari.nordmann@example.no\n");
  CHECK_THAT(Exec("scan --categories hr --no-builtin-patterns --patterns " + dir + "/p " + in).out, Catch::Contains("unknown category 'hr'"));
  // Declared in the data: accepted by --categories; "contact" made a redact default.
  std::string cats = test::ReadFile(dir + "/p/categories.toml");
  cats.replace(cats.find("id = \"contact\"\n"), 15, "id = \"contact\"\nredact = true\n");
  test::WriteFile(dir + "/p/categories.toml", cats + "\n[[category]]\nid = \"hr\"\nmask = \"hidden\"\n");
  CHECK(Exec("scan --categories hr --no-builtin-patterns --patterns " + dir + "/p " + in).code == 0);
  Run r = Exec("redact --no-builtin-patterns --patterns " + dir + "/p " + in);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, !Catch::Contains("kari.nordmann"));
  r = Exec("redact " + in);  // the shipped data: contact is not redacted by default
  CHECK_THAT(r.out, Catch::Contains("kari.nordmann@example.no"));
  // A detector naming an undeclared category, in a file read before categories.toml.
  test::WriteFile(dir + "/p/a.toml",
                  "[[detector]]\nid = \"x.y\"\ncategory = \"nowhere\"\nvalidator = \"no_person\"\n"
                  "  [[detector.shape]]\n  digits = 11\n");
  r = Exec("scan --no-builtin-patterns --patterns " + dir + "/p " + in);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("a.toml:3: detector 'x.y': 'category' must be one of national-id"));
  fs::remove_all(dir);
}

TEST_CASE("masking rules are data: a category or type's mask in patterns/ decides the preview", "[config][patterns]") {
  namespace fs = std::filesystem;
  std::string dir = test::TempDir("config", "masks");
  fs::create_directories(dir + "/p");
  for (const auto& e : fs::directory_iterator(test::SourceDir() + "/patterns"))
    if (e.path().extension() == ".toml") fs::copy_file(e.path(), dir + "/p/" + e.path().filename().string());
  const std::string in = dir + "/in.txt";
  test::WriteFile(in, "fnr 15108695088\n");
  CHECK_THAT(Exec("scan --format jsonl " + in).out, Catch::Contains("\"masked\":\"151086*****\""));
  std::string cats = test::ReadFile(dir + "/p/categories.toml");
  size_t at = cats.find("mask = \"keep-first-6\"");
  REQUIRE(at != std::string::npos);
  cats.replace(at, 21, "mask = \"hidden\"");
  test::WriteFile(dir + "/p/categories.toml", cats);
  CHECK_THAT(Exec("scan --format jsonl --no-builtin-patterns --patterns " + dir + "/p " + in).out, Catch::Contains("\"masked\":\"********\""));
  test::WriteFile(dir + "/p/categories.toml", cats + "\n[[category]]\nid = \"hr\"\nmask = \"half\"\n");
  Run r = Exec("scan --no-builtin-patterns --patterns " + dir + "/p " + in);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("category 'hr': needs 'mask'"));
  fs::remove_all(dir);
}

TEST_CASE("config file: only a bounded regular file is read, and its values are never echoed", "[config][cli]") {
  std::string dir = test::TempDir("config", "hostile");
  const std::string input = dir + "/in.txt";
  test::WriteFile(input, "fnr 15108695088\n");
  // A directory, a device, a FIFO: not a config file (exit 2, never a silent
  // run without it, never a hang on a FIFO nobody writes).
  Run r = Exec("scan --config " + dir + " " + input);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("not a regular file"));
  CHECK(Exec("scan --config /dev/zero " + input).code == 2);
  REQUIRE(::mkfifo((dir + "/fifo").c_str(), 0600) == 0);
  CHECK(Exec("scan --config " + dir + "/fifo " + input, "timeout 20").code == 2);
  // A symlink to a regular file is followed.
  test::WriteFile(dir + "/real.toml", "min-confidence = \"high\"\n");
  std::filesystem::create_symlink(dir + "/real.toml", dir + "/link.toml");
  CHECK(Exec("scan --config " + dir + "/link.toml " + input).code == 1);
  // Larger than 1 MiB: refused before it is parsed.
  test::WriteFile(dir + "/big.toml", std::string((1 << 20) + 1, '\n'));
  r = Exec("scan --config " + dir + "/big.toml " + input);
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("larger than 1 MiB"));
  // A value the option refuses is not shown (it may be an identifier pasted
  // in the wrong place); file, line, key and the accepted values are.
  for (const char* kv : {"min-confidence = \"15108695088\"", "engine = \"15108695088\"",
                         "reference-date = \"15108695088\"", "ocr = \"no15108695088\"",
                         "max-message-size = \"15108695088\"", "input = \"15108695088\""}) {
    test::WriteFile(dir + "/v.toml", std::string("# x\n") + kv + "\n");
    r = Exec("scan --config " + dir + "/v.toml " + input);
    INFO(kv << " -> " << r.out);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("v.toml:2: key '"));
    CHECK_THAT(r.out, !Catch::Contains("15108695088"));
    CHECK_THAT(r.out, !Catch::Contains("151086"));
  }
  // An unknown category is named only when it looks like one.
  test::WriteFile(dir + "/v.toml", "categories = [\"15108695088\"]\n");
  for (const std::string& args : {"--config " + dir + "/v.toml", std::string("--categories 15108695088")}) {
    r = Exec("scan " + args + " " + input);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("unknown category"));
    CHECK_THAT(r.out, !Catch::Contains("151086"));
  }
  std::filesystem::remove_all(dir);
}
