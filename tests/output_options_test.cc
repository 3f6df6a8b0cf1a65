// SPDX-License-Identifier: Apache-2.0
// Issue 15: scan --color, and the allow-list (--allow FILE) in scan,
// redact, batch and find-subject.
#include <catch2/catch.hpp>
#include <string>

#include "test_util.h"

using nordpii::test::Bash;
using nordpii::test::ReadFile;
using nordpii::test::Run;
using nordpii::test::TempDir;
using nordpii::test::WriteFile;

namespace {
bool HasEscape(const std::string& s) { return s.find('\x1b') != std::string::npos; }
}  // namespace

TEST_CASE("scan --color: always colours the text format, never and auto on a pipe do not", "[cli][color]") {
  const std::string d = TempDir("color", "modes");
  WriteFile(d + "/a.txt", "fnr 15108695088\n");
  Run always = Bash(d, "$N scan --format text --color always a.txt 2>/dev/null");
  CHECK(always.code == 1);
  // path magenta, line:column green, type cyan, the masked value bold red
  CHECK(always.out ==
        "\x1b[35ma.txt\x1b[0m:\x1b[32m1:5\x1b[0m \x1b[36mno.fnr\x1b[0m high \x1b[1;31m151086*****\x1b[0m\n");
  Run never = Bash(d, "$N scan --format text --color never a.txt 2>/dev/null");
  CHECK(never.out == "a.txt:1:5 no.fnr high 151086*****\n");
  Run pipe = Bash(d, "$N scan --format text --color auto a.txt 2>/dev/null | cat");
  CHECK(pipe.out == "a.txt:1:5 no.fnr high 151086*****\n");
  Run dflt = Bash(d, "$N scan --format text a.txt 2>/dev/null | cat");
  CHECK_FALSE(HasEscape(dflt.out));
  // Never in files or machine formats, even with always.
  for (const char* f : {"jsonl", "json", "csv", "sarif"}) {
    INFO(f);
    CHECK_FALSE(HasEscape(Bash(d, std::string("$N scan --color always --format ") + f + " a.txt 2>/dev/null").out));
  }
  CHECK(Bash(d, "$N scan --color sometimes a.txt").code == 2);
}

TEST_CASE("scan --color auto: colour on a terminal unless NO_COLOR is set", "[cli][color]") {
  const std::string d = TempDir("color", "tty");
  WriteFile(d + "/a.txt", "fnr 15108695088\n");
  REQUIRE(Bash(d, "command -v script").code == 0);  // bsdutils (essential)
  // script(1) runs the command on a pseudo-terminal.
  Run tty = Bash(d, "script -qec \"$N scan --color auto a.txt\" /dev/null");
  CHECK(HasEscape(tty.out));
  CHECK(tty.out.find("151086*****") != std::string::npos);
  Run no_color = Bash(d, "NO_COLOR=1 script -qec \"$N scan --color auto a.txt\" /dev/null");
  CHECK_FALSE(HasEscape(no_color.out));
  CHECK(no_color.out.find("151086*****") != std::string::npos);
}

TEST_CASE("allow-list --allow: listed values and keyed hashes are never reported nor redacted", "[cli][allow]") {
  const std::string d = TempDir("allow", "all");
  // Two people; the first is a known test person, listed as a value written
  // another way; the second is listed by the keyed hash a report gave.
  WriteFile(d + "/in/a.txt", "fnr 15108695088 og personnummer 811218-9876\nkonto DK5000400440116243\n");
  WriteFile(d + "/allow-values.txt", "# test persons\n\n  151086 95088  \n");
  Run base = Bash(d, "$N scan --format jsonl in/a.txt");
  REQUIRE(base.code == 1);
  REQUIRE(base.out.find("\"no.fnr\"") != std::string::npos);
  REQUIRE(base.out.find("\"se.pnr\"") != std::string::npos);
  // The se.pnr's hash, as the report prints it (same key: NORDPII_KEY).
  Run hash = Bash(d, "$N scan --format jsonl --categories national-id in/a.txt | grep se.pnr | "
                     "sed 's/.*\"hash\":\"\\([0-9a-f]*\\)\".*/\\1/'");
  REQUIRE(hash.out.size() == 65);
  WriteFile(d + "/allow.txt", "151086 95088\nhmac:" + hash.out);

  // scan: neither is reported; the IBAN still is; counted in --stats and the summary.
  Run scan = Bash(d, "$N scan --format text --stats --allow allow.txt in/a.txt");
  CHECK(scan.code == 1);
  CHECK(scan.out.find("no.fnr") == std::string::npos);
  CHECK(scan.out.find("se.pnr") == std::string::npos);
  CHECK(scan.out.find("iban") != std::string::npos);
  CHECK(scan.out.find("2 finding(s) allowed by --allow") != std::string::npos);
  Run json = Bash(d, "$N scan --format json --allow allow-values.txt in/a.txt 2>/dev/null");
  CHECK(json.out.find("\"allowed\":1") != std::string::npos);
  CHECK(json.out.find("\"no.fnr\"") == std::string::npos);
  // Only allowed findings: exit 0 as for no findings.
  WriteFile(d + "/in/only.txt", "fnr 15108695088\n");
  CHECK(Bash(d, "$N scan --allow allow.txt in/only.txt").code == 0);

  // redact: the allowed values stay, the others are replaced.
  Run red = Bash(d, "$N redact --categories national-id,financial --allow allow.txt in/a.txt");
  CHECK(red.code == 0);
  CHECK(red.out.find("fnr 15108695088 og personnummer 811218-9876") != std::string::npos);
  CHECK(red.out.find("DK5000400440116243") == std::string::npos);
  CHECK(red.out.find("2 allowed by --allow") != std::string::npos);

  // batch: not in findings.jsonl, counted in summary.json.
  Run batch = Bash(d, "$N batch -q --allow allow.txt --report rep in");
  CHECK(batch.code == 1);
  const std::string lines = ReadFile(d + "/rep/findings.jsonl");
  CHECK(lines.find("no.fnr") == std::string::npos);
  CHECK(lines.find("se.pnr") == std::string::npos);
  CHECK(lines.find("\"iban\"") != std::string::npos);
  CHECK(ReadFile(d + "/rep/summary.json").find("\"allowed\":3") != std::string::npos);

  // find-subject: an allowed person is not found.
  Run subj = Bash(d, "$N find-subject --format jsonl --allow allow.txt --id 15108695088 in");
  CHECK(subj.code == 0);
  CHECK(subj.out.find("allowed by --allow") != std::string::npos);
  CHECK(Bash(d, "$N find-subject --format jsonl --id 15108695088 in").code == 1);

  // A hash from another key matches nothing (and a random key is said).
  Run other = Bash(d, "NORDPII_KEY=other-key $N scan --format text --allow allow.txt in/a.txt");
  CHECK(other.out.find("se.pnr") != std::string::npos);
  Run random = Bash(d, "NORDPII_KEY= $N scan --format text --allow allow.txt in/a.txt");
  CHECK(random.out.find("--allow has 1 keyed hash(es) but the key is random") != std::string::npos);
  CHECK(random.out.find("no.fnr") == std::string::npos);  // values do not depend on the key
}

TEST_CASE("allow-list --allow: a bad line is an error naming the line, never its text", "[cli][allow]") {
  const std::string d = TempDir("allow", "bad");
  WriteFile(d + "/a.txt", "fnr 15108695088\n");
  WriteFile(d + "/typo.txt", "# a typo'd number\n15108695077\n");
  Run typo = Bash(d, "$N scan --allow typo.txt a.txt");
  CHECK(typo.code == 2);
  CHECK(typo.out.find("line 2: not an identifier") != std::string::npos);
  CHECK(typo.out.find("15108695077") == std::string::npos);
  WriteFile(d + "/hash.txt", "hmac:1234\n");
  Run hash = Bash(d, "$N redact --allow hash.txt a.txt");
  CHECK(hash.code == 2);
  CHECK(hash.out.find("line 1: hmac: must be followed by a keyed hash") != std::string::npos);
  CHECK(Bash(d, "$N batch --allow missing.txt --report r a.txt").code == 2);
  CHECK(Bash(d, "$N scan --allow missing.txt a.txt").code == 2);
  // Not a regular file: refused at once (a FIFO would block, /dev/zero never end).
  Run fifo = Bash(d, "mkfifo f && timeout 10 $N scan --allow f a.txt; echo rc=$?");
  CHECK(fifo.out.find("not a regular file") != std::string::npos);
  CHECK(fifo.out.find("rc=2") != std::string::npos);
  CHECK(Bash(d, "timeout 10 $N scan --allow /dev/zero a.txt").code == 2);
}
