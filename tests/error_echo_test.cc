// SPDX-License-Identifier: Apache-2.0
// Errors never show a value that could be an identifier (the 2026-12-03
// hostile review): command-line parse errors of every command, config-file
// values, pattern-file keys and ids. Also the config file's precedence and
// type checks and the plugin path checks found in that review.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "core/hide_values.h"
#include "test_util.h"

using nordpii::test::Exec;
using nordpii::test::Run;
namespace test = nordpii::test;

namespace {

// Synthetic identifiers (examples.json): a fødselsnummer, a personnummer
// in its 10- and 12-digit forms and a payment card, as typed and grouped.
const std::vector<std::string> kIds = {"15108695088", "151086 95088", "880320-0016", "19880320-0016",
                                       "4111111111111111", "4111 1111 1111 1111"};

// True when `out` holds `id` or its digits written without separators.
bool Shows(const std::string& out, const std::string& id) {
  std::string digits;
  for (char c : id)
    if (c >= '0' && c <= '9') digits += c;
  std::string squeezed;
  for (char c : out)
    if (c != ' ' && c != '-') squeezed += c;
  return out.find(id) != std::string::npos || squeezed.find(digits) != std::string::npos;
}

}  // namespace

TEST_CASE("hide values: the values and their digit runs, never inside a longer word", "[privacy][cli]") {
  using nordpii::HideValues;
  CHECK(HideValues("--jobs: Value 15108695088 not in range 1 to 1024", {"15108695088"}) ==
        "--jobs: Value (value not shown) not in range 1 to 1024");
  // "5" is not taken out of 2147483648; "1024" stays unless typed.
  CHECK(HideValues("from 1024 to 2147483648, got '5'", {"5"}) == "from 1024 to 2147483648, got '(value not shown)'");
  // A value echoed in part: its digit runs of 4 or more are hidden too.
  CHECK(HideValues("got 4111 1111 1111 1111", {"x4111 1111 1111 1111"}) ==
        "got (value not shown) (value not shown) (value not shown) (value not shown)");
  CHECK(HideValues("unchanged", {""}) == "unchanged");
}

TEST_CASE("hide digit runs: numbers of 6 digits or more, grouped or not, outside the kept paths", "[privacy][patterns]") {
  using nordpii::HideDigitRuns;
  CHECK(HideDigitRuns("key '15108695088'") == "key '(number not shown)'");
  CHECK(HideDigitRuns("key '151086 95088' and '4111 1111 1111 1111'") ==
        "key '(number not shown)' and '(number not shown)'");
  CHECK(HideDigitRuns("id '880320-0016' line 12345") == "id '(number not shown)' line 12345");
  CHECK(HideDigitRuns("client '192.0.2.100/24', '10.1.2.3'") == "client '192.0.2.100/24', '10.1.2.3'");
  CHECK(HideDigitRuns("account '8601.11.17947'") == "account '(number not shown)'");
  CHECK(HideDigitRuns("/tmp/p-1234567/a.toml:1234567: id '1234567'", {"/tmp/p-1234567"}) ==
        "/tmp/p-1234567/a.toml:1234567: id '(number not shown)'");
}

TEST_CASE("parse errors of every command name the option and never show an identifier given as a value", "[cli][privacy]") {
  const std::string dir = test::TempDir("echo", "parse");
  test::WriteFile(dir + "/in.txt", "hei\n");
  test::WriteFile(dir + "/in.csv", "navn,notat\nOla,hei\n");
  test::WriteFile(dir + "/in.jsonl", "{\"notat\":\"hei\"}\n");
  // {command line with V for the value, the option name the error names ("" = none)}
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"scan --jobs V in.txt", "--jobs"},  // not a scan option: the value is a stray argument
      {"scan --threads V in.txt", "--threads"},
      {"scan --reference-date V in.txt", "--reference-date"},
      {"scan --reference-date=V in.txt", "--reference-date"},
      {"scan --format V in.txt", "--format"},
      {"scan --columns V in.csv", "--columns"},
      {"scan --fields V in.jsonl", "--fields"},
      {"scan --max-message-size V in.txt", "--max-message-size"},
      // A value after a dash ("-15108695088": a negative number to CLI11,
      // quoted whole in its message) was shown raw.
      {"scan --max-message-size -V in.txt", "--max-message-size"},
      {"scan --max-html-part-size -V in.txt", "--max-html-part-size"},
      {"scan --threads -V in.txt", "--threads"},
      {"scan --min-confidence V in.txt", "--min-confidence"},
      {"scan --ticket-map V in.txt", "--ticket-map"},
      {"scan --categories V in.txt", "category"},
      {"batch --jobs V --report R in.txt", "--jobs"},
      {"batch -jV --report R in.txt", "--jobs"},
      {"batch --retention V --report R in.txt", "--retention"},
      {"redact --style V in.txt", "--style"},
      {"redact in.txt V", "not expected"},
      {"find-subject --format V --id 1 in.txt", "--format"},
      {"types V", "not expected"},
      {"scan --nosuch=V in.txt", "--nosuch"},
      {"submit --replicas V --nats nats://127.0.0.1:1 in.txt", "--replicas"},
      {"collect --date-field V --job j --report R", "--date-field"},
      {"milter --engine V --config none.toml", "--engine"},
  };
  for (const std::string& id : kIds) {
    for (const auto& [args, option] : cases) {
      std::string cmd = args;
      cmd.replace(cmd.find('V'), 1, "'" + id + "'");
      Run r = test::Bash(dir, "\"$N\" " + cmd + " </dev/null");
      INFO(cmd << "\n" << r.out);
      CHECK(r.code == 2);
      CHECK_FALSE(Shows(r.out, id));
      if (!option.empty()) CHECK_THAT(r.out, Catch::Contains(option));
    }
  }
  // Help and the version still work; a value without digits is still named.
  CHECK(Exec("scan --help").code == 0);
  CHECK_THAT(Exec("scan --format xml /dev/null").out, Catch::Contains("xml not in"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("help: redact names its exit status, which is never 1", "[cli]") {
  // README (Usage, exit status) and nordpii(1): redact exits 0 when it wrote
  // its output, findings or not, and 2 on an error; the help said nothing
  // (scan's and batch's lines name theirs) until newcomer7.
  CHECK_THAT(Exec("--help").out, Catch::Contains("Write the input with findings replaced (exit 0: written, 2: error)"));
  const std::string dir = test::TempDir("echo", "redactexit");
  test::WriteFile(dir + "/in.txt", "fnr 15108695088\n");
  Run r = test::Bash(dir, "\"$N\" redact in.txt -o out.txt; echo rc=$?");
  CHECK_THAT(r.out, Catch::Contains("rc=0"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("config file: the environment's key wins over key-file, the command line over both", "[config][cli]") {
  // Documented precedence: command line > environment > config file > default.
  const std::string dir = test::TempDir("echo", "keyprec");
  test::WriteFile(dir + "/in.txt", "fnr 15108695088\n");
  test::WriteFile(dir + "/file.key", "file-key\n");
  test::WriteFile(dir + "/c.toml", "key-file = \"" + dir + "/file.key\"\n");
  auto hash = [](const std::string& out) {
    size_t at = out.find("\"hash\":\"");
    return at == std::string::npos ? std::string("none") : out.substr(at + 8, 64);
  };
  const std::string in = dir + "/in.txt";
  // Exec runs with NORDPII_KEY=sample-key.
  const std::string env = hash(Exec("scan --format jsonl " + in).out);
  const std::string file = hash(Exec("scan --format jsonl --key-file " + dir + "/file.key " + in).out);
  REQUIRE(env != "none");
  REQUIRE(env != file);
  CHECK(hash(Exec("scan --format jsonl --config " + dir + "/c.toml " + in).out) == env);
  // Without the variable the file's key-file is used; --key-file beats the variable.
  CHECK(hash(Exec("scan --format jsonl --config " + dir + "/c.toml " + in, "NORDPII_KEY=").out) == file);
  CHECK(hash(Exec("scan --format jsonl --config " + dir + "/c.toml --key-file " + dir + "/file.key " + in).out) == file);
  std::filesystem::remove_all(dir);
}

TEST_CASE("config file: a flag takes a TOML boolean only, refused values are not shown", "[config][cli][privacy]") {
  const std::string dir = test::TempDir("echo", "bool");
  const std::string in = dir + "/in.txt";
  test::WriteFile(in, "hei\n");
  for (const char* kv : {"ocr = 15108695088", "ocr = \"15108695088\"", "ocr = \"true\"", "ocr = 1",
                         "no-builtin-patterns = 4111111111111111", "engine = true"}) {
    test::WriteFile(dir + "/c.toml", std::string(kv) + "\n");
    Run r = Exec("scan --config " + dir + "/c.toml " + in);
    INFO(kv << "\n" << r.out);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("c.toml:1: key '"));
    CHECK(r.out.find("15108695088") == std::string::npos);
    CHECK(r.out.find("4111111111111111") == std::string::npos);
  }
  // Keys and values the file's parser quotes: no number shown either.
  for (const std::string& id : kIds) {
    for (const std::string& kv : {"\"" + id + "\" = 1", "x = 1" + id + id + id, "engine = { \"" + id + "\" = 1 }"}) {
      test::WriteFile(dir + "/c.toml", kv + "\n");
      Run r = Exec("scan --config " + dir + "/c.toml " + in);
      INFO(kv << "\n" << r.out);
      CHECK(r.code == 2);
      CHECK_THAT(r.out, Catch::Contains("c.toml:1"));
      CHECK_FALSE(Shows(r.out, id));
    }
  }
  for (const char* kv : {"ocr = true", "ocr = false", "no-builtin-patterns = false",
                         "categories = [\"national-id\", \"financial\"]"}) {
    test::WriteFile(dir + "/c.toml", std::string(kv) + "\n");
    Run r = Exec("scan --config " + dir + "/c.toml " + in);
    INFO(kv << "\n" << r.out);
    CHECK(r.code == 0);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("plugins: an empty path or a directory is refused, never the program itself", "[config][cli]") {
  const std::string dir = test::TempDir("echo", "plugin");
  const std::string in = dir + "/in.txt";
  test::WriteFile(in, "hei\n");
  test::WriteFile(dir + "/c.toml", "plugin = [\"\"]\n");
  // {command line, what the error says}: the command line, the config
  // file and the milter.
  for (const auto& [args, says] : std::vector<std::pair<std::string, std::string>>{
           {"scan --plugin '' " + in, "--plugin: empty path"},
           {"scan --plugin " + dir + " " + in, "not a regular file"},
           {"scan --config " + dir + "/c.toml " + in, "--plugin: empty path"},
           {"milter --check --plugin '' --config conf/nordpii-milter.toml", "--plugin: empty path"}}) {
    Run r = Exec(args);
    INFO(args << "\n" << r.out);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains(says));
  }
  // A bare file name is the file in the working directory (not a library
  // path search).
  std::filesystem::copy_file(NORDPII_EXAMPLE_PLUGIN, dir + "/example.so");
  Run r = test::Bash(dir, "\"$N\" scan --plugin example.so in.txt");
  CHECK(r.code == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("pattern-file errors show no number from the file, only the file and line", "[patterns][privacy]") {
  const std::string dir = test::TempDir("echo", "patterns");
  const std::string in = dir + "/in.txt";
  test::WriteFile(in, "hei\n");
  for (const std::string& id : kIds) {
    for (const std::string& text :
         {"\"" + id + "\" = 1\n", "[[detector]]\nid = \"" + id + "\"\n",
          "[[detector]]\nid = \"a.b\"\ncategory = \"national-id\"\n\"" + id + "\" = 2\n",
          "[[keywords]]\nid = \"" + id + "\"\nrole = \"label\"\nwords = [\"a\"]\n[[keywords]]\nid = \"" + id +
              "\"\nrole = \"label\"\nwords = [\"a\"]\n",
          "[[category]]\nid = \"x\"\nmask = \"hidden\"\n\"" + id + "\" = true\n"}) {
      test::WriteFile(dir + "/p/a.toml", text);
      for (const char* cmd : {"scan --patterns ", "milter --check --config conf/nordpii-milter.toml --patterns "}) {
        Run r = Exec(cmd + dir + "/p" + (cmd[0] == 's' ? " " + in : std::string()));
        INFO(cmd << text << "\n" << r.out);
        CHECK(r.code == 2);
        CHECK_THAT(r.out, Catch::Contains(dir + "/p/a.toml:"));
        CHECK_FALSE(Shows(r.out, id));
      }
    }
  }
  // A number toml++ cannot represent.
  test::WriteFile(dir + "/p/a.toml", "x = 151086950881510869508815108695088\n");
  Run r = Exec("scan --patterns " + dir + "/p " + in);
  CHECK(r.code == 2);
  CHECK(r.out.find("15108695088") == std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("milter policy errors show no number from the file, addresses and file:line stay", "[milter][privacy]") {
  const std::string dir = test::TempDir("echo", "policy");
  for (const std::string& id : kIds) {
    for (const std::string& text :
         {"[[rule]]\nname = \"a\"\nrecipients = [\"" + id + "\"]\naction = \"flag\"\n",
          "[reject]\n\"" + id + "\" = 1\n[[rule]]\nname = \"a\"\naction = \"flag\"\n",
          "[[rule]]\nname = \"a\"\ntypes = [\"" + id + "\"]\naction = \"flag\"\n",
          "[[rule]]\nname = \"a\"\nsenders = [\"" + id + "@\"]\naction = \"flag\"\n"}) {
      test::WriteFile(dir + "/p.toml", text);
      Run r = Exec("milter --check --config " + dir + "/p.toml");
      INFO(text << "\n" << r.out);
      CHECK(r.code == 2);
      CHECK_THAT(r.out, Catch::Contains(dir + "/p.toml:"));
      CHECK_FALSE(Shows(r.out, id));
    }
  }
  test::WriteFile(dir + "/p.toml", "[[rule]]\nname = \"a\"\nclients = [\"192.0.2.1/24\"]\naction = \"flag\"\n");
  CHECK_THAT(Exec("milter --check --config " + dir + "/p.toml").out, Catch::Contains("'192.0.2.1/24'"));
  std::filesystem::remove_all(dir);
}
