// SPDX-License-Identifier: Apache-2.0
// Inputs other than mail (issues 11 and 12): every value of a ticket record
// read (JSON numbers, fields outside the export's map), option values that
// name nothing, UTF-16 text, archives inside archives, directory walks
// (Maildir++ folders, symlinked directories, FIFOs) and stdin recognised by
// its bytes. Each case failed before its fix; run through the command line.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <cstring>
#include <random>
#include <sstream>

#include "input/utf16.h"
#include "test_util.h"

namespace fs = std::filesystem;
using nordpii::test::ReadFile;
using nordpii::test::Run;
using nordpii::test::Bash;
using nordpii::test::WriteFile;

namespace {
std::string TempDir(const std::string& name) { return nordpii::test::TempDir("inputs", name); }
}  // namespace

namespace {

// The "field" of each JSONL finding line in `out` with its type.
std::vector<std::string> Fields(const std::string& out) {
  std::vector<std::string> got;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("type")) continue;
    got.push_back(j.value("field", std::string()) + ":" + j["type"].get<std::string>());
  }
  return got;
}

}  // namespace

TEST_CASE("inputs: JSON number values are scanned with their key as label, redacted to a string", "[inputs][tickets]") {
  std::string d = TempDir("numbers");
  WriteFile(d + "/n.jsonl",
            "{\"fnr\": 15108695088}\n"
            "{\"id\":7,\"requester_id\":361234567890,\"custom_fields\":[{\"id\":1,\"value\":15108695088 }]}\n"
            "{\"amount\": 1510869508.5, \"order\": 4500012346}\n");
  Run r = Bash(d, "$N scan --format jsonl n.jsonl");
  CHECK(r.code == 1);
  CHECK(Fields(r.out) == std::vector<std::string>{"fnr:no.fnr", "custom_fields[0].value:no.fnr"});
  CHECK(r.out.find("15108695088") == std::string::npos);
  // Redacted: the number token becomes a JSON string, every other byte stays.
  Run red = Bash(d, "$N redact n.jsonl -o out.jsonl");
  REQUIRE(red.code == 0);
  std::string out = ReadFile(d + "/out.jsonl");
  CHECK(out ==
        "{\"fnr\": \"[NO-FNR]\"}\n"
        "{\"id\":7,\"requester_id\":361234567890,\"custom_fields\":[{\"id\":1,\"value\":\"[NO-FNR]\" }]}\n"
        "{\"amount\": 1510869508.5, \"order\": 4500012346}\n");
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) CHECK_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded());
  // A JSON array export and --style mask: still valid JSON.
  WriteFile(d + "/a.json", "[{\"id\":1,\"fnr\":15108695088},{\"id\":2,\"fnr\":-15108695088}]");
  REQUIRE(Bash(d, "$N redact --style mask a.json -o a.out.json").code == 0);
  auto j = nlohmann::json::parse(ReadFile(d + "/a.out.json"), nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j[0]["fnr"].is_string());
  CHECK(j[0]["id"] == 1);
  fs::remove_all(d);
}

TEST_CASE("inputs: every string of a ticket record is read, also fields outside the export's map", "[inputs][tickets]") {
  std::string d = TempDir("unmapped");
  WriteFile(d + "/z.jsonl",
            "{\"requester_id\":1,\"via\":{},\"description\":\"hei\",\"metadata\":{\"note\":\"fnr 15108695088\"}}\n"
            "{\"fields\":{\"summary\":\"x\",\"labels\":[\"personnummer 811218-9876\"]}}\n");
  Run r = Bash(d, "$N scan --format jsonl z.jsonl");
  CHECK(r.code == 1);
  CHECK(Fields(r.out) == std::vector<std::string>{"metadata.note:no.fnr", "fields.labels[0]:se.pnr"});
  // --fields still narrows what is read.
  CHECK(Bash(d, "$N scan --format jsonl --fields description z.jsonl").code == 0);
  fs::remove_all(d);
}

TEST_CASE("inputs: --columns and --fields that name nothing are errors naming the option, never the data",
          "[inputs][cli]") {
  std::string d = TempDir("options");
  WriteFile(d + "/c.csv", "navn,notat\nOla,fnr 15108695088\n");
  WriteFile(d + "/j.jsonl", "{\"notat\":\"fnr 15108695088\",\"n\":null}\n{\"notat\":\"x\"}\n");
  // Usage errors, before anything is read.
  for (const char* o : {"--fields ']]'", "--fields a..b", "--fields '.x'", "--fields 'a[]]'", "--fields '*'"}) {
    INFO(o);
    Run r = Bash(d, std::string("$N scan j.jsonl ") + o);
    CHECK(r.code == 2);
    CHECK(r.out.find("--fields") != std::string::npos);
  }
  // Known once the header or the records are read: exit 2, the option named.
  for (const char* o : {"--columns 99", "--columns nosuch", "--columns notat,nosuch"}) {
    INFO(o);
    Run r = Bash(d, std::string("$N scan c.csv ") + o);
    CHECK(r.code == 2);
    CHECK(r.out.find("--columns") != std::string::npos);
    CHECK(r.out.find("navn") == std::string::npos);  // header names are data
    CHECK(r.out.find("15108695088") == std::string::npos);
    CHECK(Bash(d, std::string("$N redact c.csv -o out.csv ") + o).code == 2);
    CHECK_FALSE(fs::exists(d + "/out.csv"));
  }
  for (const char* o : {"--fields nosuch", "--fields notat,nosuch", "--fields 'notat.*'"}) {
    INFO(o);
    Run r = Bash(d, std::string("$N scan j.jsonl ") + o);
    CHECK(r.code == 2);
    CHECK(r.out.find("--fields") != std::string::npos);
    CHECK(Bash(d, std::string("$N redact j.jsonl -o out.jsonl ") + o).code == 2);
    CHECK_FALSE(fs::exists(d + "/out.jsonl"));
    CHECK(Bash(d, std::string("$N batch --report rep j.jsonl ") + o + " >/dev/null").code == 2);
  }
  // What names something works; a path present only as null counts.
  CHECK(Bash(d, "$N scan c.csv --columns notat").code == 1);
  CHECK(Bash(d, "$N scan c.csv --columns 2").code == 1);
  CHECK(Bash(d, "$N scan j.jsonl --fields notat,n").code == 1);
  CHECK(Bash(d, "$N scan j.jsonl --fields 'comments[].body,notat,fields.customfield_*' ").code == 2);
  fs::remove_all(d);
}

TEST_CASE("inputs: UTF-16 text and TSV are decoded, offsets map to the file, redact writes UTF-16 back",
          "[inputs][utf16]") {
  std::string d = TempDir("utf16");
  Run mk = Bash(d,
                "printf 'fnr 15108695088\\n' | iconv -t UTF-16 > bom.txt\n"             // BOM (FF FE on this machine)
                "printf 'navn\\tnotat\\nOla\\tfnr 15108695088\\n' | iconv -t UTF-16 > excel.tsv\n"
                "printf 'x \\xc3\\xb8 fnr 15108695088\\n' | iconv -t UTF-16LE > le.txt\n"  // no BOM
                "printf 'x \\xc3\\xb8 fnr 15108695088\\n' | iconv -t UTF-16BE > be.txt\n"
                "printf 'fnr 15108695088\\n' | iconv -t UTF-16BE | (printf '\\xfe\\xff'; cat) > bombe.txt\n"
                "cp excel.tsv in.tsv && zip -q z.zip in.tsv\n");
  REQUIRE(mk.code == 0);
  Run r = Bash(d, "$N scan --format jsonl bom.txt excel.tsv le.txt be.txt bombe.txt z.zip");
  CHECK(r.code == 1);
  std::vector<nlohmann::json> f;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] == '{') f.push_back(nlohmann::json::parse(line));
  REQUIRE(f.size() == 6);
  for (auto& j : f) CHECK(j["type"] == "no.fnr");
  // Offsets are the file's bytes: the BOM and two bytes per character.
  CHECK(f[0]["start"] == 2 + 2 * 4);
  CHECK(f[0]["end"] == 2 + 2 * 15);
  CHECK(f[1]["field"] == "notat");
  CHECK(f[2]["start"] == 2 * 8);  // "x ø fnr "
  CHECK(f[3]["start"] == 2 * 8);
  CHECK(f[5]["field"] == "notat");
  CHECK(r.out.find("15108695088") == std::string::npos);
  // Redacted in the input's encoding, BOM as it was.
  for (const char* name : {"bom.txt", "excel.tsv", "le.txt", "be.txt", "bombe.txt"}) {
    INFO(name);
    REQUIRE(Bash(d, std::string("$N redact ") + name + " -o out-" + name).code == 0);
    std::string a = ReadFile(d + "/" + name), b = ReadFile(d + "/out-" + name);
    CHECK(a.substr(0, 2) == b.substr(0, 2));
    std::string enc = std::string(name) == "le.txt" ? "UTF-16LE" : std::string(name) == "be.txt" ? "UTF-16BE" : "UTF-16";
    Run back = Bash(d, "iconv -f " + enc + " -t UTF-8 out-" + std::string(name));
    CHECK(back.code == 0);
    CHECK(back.out.find("fnr [NO-FNR]") != std::string::npos);
    CHECK(back.out.find("15108695088") == std::string::npos);
  }
  CHECK(Bash(d, "iconv -f UTF-16LE -t UTF-8 out-le.txt").out == "x \xc3\xb8 fnr [NO-FNR]\n");
  // From a pipe too. UTF-16 text is decoded as it is read (issue 12 #9):
  // larger than --max-message-size it is scanned and redacted like any text.
  CHECK(Bash(d, "cat bom.txt | $N redact - -o - | iconv -f UTF-16 -t UTF-8").out.find("fnr [NO-FNR]") !=
        std::string::npos);
  Run big = Bash(d, "{ cat bom.txt; head -c 3000 /dev/zero | tr '\\0' 'a' | iconv -t UTF-16LE; } > big.txt\n"
                    "$N scan --max-message-size 1024 big.txt; echo rc=$?; $N redact --max-message-size 1024 big.txt -o o.txt; echo rc=$?");
  CHECK(big.out.find("rc=1\nnordpii: redacted 1 finding(s)\nrc=0") != std::string::npos);
  CHECK(Bash(d, "iconv -f UTF-16 -t UTF-8 o.txt").out.find("fnr [NO-FNR]") != std::string::npos);
  fs::remove_all(d);
}

TEST_CASE("inputs: --max-html-part-size bounds the HTML part converted (past it exit 2 and nothing written)",
          "[inputs][limits]") {
  std::string d = TempDir("htmllimit");
  Run mk = Bash(d,
                "{ printf 'From: a@example.no\\nSubject: x\\nContent-Type: text/html; charset=utf-8\\n\\n<p>Hei</p>\\n';"
                " for i in $(seq 4000); do printf '<p>Kunde <b>nr</b> 4242</p>\\n'; done;"
                " printf '<p>fnr 15108695088</p>\\n'; } > m.eml");
  REQUIRE(mk.code == 0);
  Run dflt = Bash(d, "$N scan --format text m.eml");  // 8 MiB by default
  CHECK(dflt.code == 1);
  CHECK_THAT(dflt.out, Catch::Contains("no.fnr"));
  Run small = Bash(d, "$N scan --format text --max-html-part-size 65536 m.eml 2>&1");
  CHECK(small.code == 2);
  CHECK_THAT(small.out, Catch::Contains("over the HTML part limit (65536 bytes, raised by --max-html-part-size"));
  Run red = Bash(d, "$N redact --max-html-part-size 65536 m.eml -o o.eml; echo rc=$?; test -e o.eml && echo o.eml exists");
  CHECK_THAT(red.out, Catch::Contains("rc=2"));
  CHECK_THAT(red.out, !Catch::Contains("o.eml exists"));
  // From a config file too, and the range is checked.
  WriteFile(d + "/c.toml", "max-html-part-size = 65536\n");
  Run cfg = Bash(d, "$N scan --config c.toml --format text m.eml 2>&1");
  CHECK(cfg.code == 2);
  CHECK_THAT(cfg.out, Catch::Contains("over the HTML part limit (65536 bytes"));
  CHECK(Bash(d, "$N scan --max-html-part-size 100 m.eml >/dev/null 2>&1").code == 2);
  fs::remove_all(d);
}

TEST_CASE("inputs: archives inside archives are scanned, deeper than 4 levels is an error", "[inputs][archives]") {
  std::string d = TempDir("nested");
  Run mk = Bash(d,
                "printf 'x\\nfnr 15108695088\\n' > t.txt && zip -q in.zip t.txt && zip -q l2.zip in.zip\n"
                "zip -q l3.zip l2.zip && zip -q l4.zip l3.zip && zip -q l5.zip l4.zip && tar czf l3.tar.gz l2.zip\n"
                "head -c 3000000 /dev/zero > zeros.txt && zip -q bomb.zip zeros.txt && zip -q outer.zip bomb.zip in.zip\n");
  REQUIRE(mk.code == 0);
  Run r = Bash(d, "$N scan --format text l2.zip l4.zip l3.tar.gz");
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("l2.zip!/in.zip!/t.txt:2:5 no.fnr"));
  CHECK_THAT(r.out, Catch::Contains("l4.zip!/l3.zip!/l2.zip!/in.zip!/t.txt:2:5 no.fnr"));
  CHECK_THAT(r.out, Catch::Contains("l3.tar.gz!/l2.zip!/in.zip!/t.txt:2:5 no.fnr"));
  Run deep = Bash(d, "$N scan --format text l5.zip");
  CHECK(deep.code == 2);
  CHECK_THAT(deep.out, Catch::Contains("nested more than 4 levels deep; not scanned"));
  // The entry limit holds inside a nested archive; the rest is still scanned.
  Run bomb = Bash(d, "$N scan --format text --max-message-size 1000000 outer.zip");
  CHECK(bomb.code == 2);
  CHECK_THAT(bomb.out, Catch::Contains("outer.zip!/bomb.zip!/zeros.txt: larger than --max-message-size"));
  CHECK_THAT(bomb.out, Catch::Contains("outer.zip!/in.zip!/t.txt:2:5 no.fnr"));
  fs::remove_all(d);
}

TEST_CASE("inputs: Maildir++ folders, symlinked directories (loops once) and FIFOs in a walk are never skipped silently",
          "[inputs][walk]") {
  std::string d = TempDir("walk");
  Run mk = Bash(d,
                "mkdir -p md/cur md/new md/tmp md/.Sent/cur md/.Arkiv.2024/new\n"
                "printf 'Subject: x\\n\\nfnr 15108695088\\n' > md/.Sent/cur/1:2,S\n"
                "printf 'Subject: y\\n\\nfnr 15108695088\\n' > md/.Arkiv.2024/new/2\n"
                "printf 'Subject: z\\n\\nfnr 15108695088\\n' > md/tmp/3\n"
                "mkdir -p walk real && printf 'fnr 15108695088\\n' > real/a.txt && ln -s ../real walk/link\n"
                "ln -s ../walk real/back\n"  // a loop: walk/link/back -> walk
                "mkdir fifo && printf 'fnr 15108695088\\n' > fifo/a.txt && mkfifo fifo/p\n");
  REQUIRE(mk.code == 0);
  Run md = Bash(d, "$N scan --format text md");
  CHECK(md.code == 1);
  CHECK_THAT(md.out, Catch::Contains("md/.Sent/cur/1:2,S:3:5 no.fnr"));
  CHECK_THAT(md.out, Catch::Contains("md/.Arkiv.2024/new/2:3:5 no.fnr"));
  CHECK_THAT(md.out, Catch::Contains("md/tmp/3:3:5 no.fnr"));
  // Redacted into the same folder layout.
  REQUIRE(Bash(d, "$N redact md -o out").code == 0);
  CHECK_THAT(ReadFile(d + "/out/.Sent/cur/1:2,S"), Catch::Contains("fnr [NO-FNR]"));
  CHECK_THAT(ReadFile(d + "/out/.Arkiv.2024/new/2"), Catch::Contains("fnr [NO-FNR]"));
  // A symlinked directory is followed, a loop is walked once.
  Run w = Bash(d, "timeout 20 $N scan --format text walk");
  CHECK(w.code == 1);
  CHECK_THAT(w.out, Catch::Contains("walk/link/a.txt:1:5 no.fnr"));
  CHECK(w.out.find("back/link") == std::string::npos);
  // A FIFO is not opened (no hang) but it is an error; the rest is scanned.
  Run f = Bash(d, "timeout 20 $N scan --format text fifo");
  CHECK(f.code == 2);
  CHECK_THAT(f.out, Catch::Contains("fifo/p: not a regular file"));
  CHECK_THAT(f.out, Catch::Contains("fifo/a.txt:1:5 no.fnr"));
  fs::remove_all(d);
}

TEST_CASE("inputs: stdin is recognised by its bytes like a file, read once", "[inputs][stdin]") {
  std::string d = TempDir("stdin");
  WriteFile(d + "/j.jsonl", "{\"id\":1,\"notat\":\"x\",\"fnr\":15108695088}\n");
  WriteFile(d + "/m.mbox", "From a@b Mon Jan  5 10:00:00 2026\nFrom: a@example.no\nSubject: s\n\nfnr 15108695088\n");
  REQUIRE(Bash(d, "printf 'x\\nfnr 15108695088\\n' > t.txt && zip -q t.zip t.txt").code == 0);
  Run j = Bash(d, "cat j.jsonl | $N scan --format jsonl");
  CHECK(j.code == 1);
  CHECK(Fields(j.out) == std::vector<std::string>{"fnr:no.fnr"});
  Run m = Bash(d, "cat m.mbox | $N scan --format text");
  CHECK(m.code == 1);
  CHECK_THAT(m.out, Catch::Contains("body"));  // scanned as a message
  Run z = Bash(d, "cat t.zip | $N scan --format text -");
  CHECK(z.code == 1);
  CHECK_THAT(z.out, Catch::Contains("-!/t.txt:2:5 no.fnr"));
  // Redact: a JSON Lines export through a pipe stays JSON Lines.
  Run r = Bash(d, "cat j.jsonl | $N redact 2>/dev/null");
  CHECK(r.code == 0);
  CHECK(r.out == "{\"id\":1,\"notat\":\"x\",\"fnr\":\"[NO-FNR]\"}\n");
  // --input still forces a format.
  Run t = Bash(d, "cat j.jsonl | $N scan --format jsonl --input text");
  CHECK(t.code == 1);
  CHECK(j.out.find("\"field\"") != std::string::npos);
  CHECK(t.out.find("\"field\"") == std::string::npos);
  fs::remove_all(d);
}

// Issue 12 #9: UTF-16 text is decoded as it is read. Whatever the read
// sizes (a surrogate pair or a code unit cut between reads), Utf16Source
// gives the UTF-8 of decoding the whole, and every offset in the kept
// window maps to the file offset Utf16Offsets gives over the whole text.
TEST_CASE("inputs: UTF-16 decoded as it is read equals whole decoding, offsets map alike", "[inputs][memory]") {
  using namespace nordpii;
  struct Trickle : ByteSource {
    std::string_view d;
    size_t pos = 0, most;
    std::mt19937* rng;
    std::string name_ = "t";
    Result<size_t> Read(char* buf, size_t n) override {
      size_t k = std::min({n, d.size() - pos, 1 + (*rng)() % most});
      std::memcpy(buf, d.data() + pos, k);
      pos += k;
      return k;
    }
    const std::string& name() const override { return name_; }
  };
  std::mt19937 rng(16);
  const char16_t units[] = {u'a', u'1', u' ', u'\n', 0x00F8, 0x20AC, 0xD83D, 0xDE00, 0xDC00, 0xD800};
  for (int round = 0; round < 200; ++round) {
    const bool be = round % 2, bom = round % 3 == 0;
    std::string raw;
    if (bom) raw = be ? "\xFE\xFF" : "\xFF\xFE";
    size_t n = 1 + rng() % 5000;
    for (size_t i = 0; i < n; ++i) {
      char16_t u = units[rng() % (sizeof units / sizeof units[0])];
      char a = static_cast<char>(u & 0xFF), b = static_cast<char>(u >> 8);
      raw += be ? std::string{b, a} : std::string{a, b};
    }
    if (rng() % 4 == 0) raw += 'x';  // an odd last byte
    Utf16Kind kind;
    kind.utf16 = true;
    kind.big_endian = be;
    kind.bom = bom;
    std::string whole;
    const size_t skip = bom ? 2 : 0;
    Utf16ToUtf8(std::string_view(raw).substr(skip), be, whole);
    Utf16Offsets offsets(whole, skip);
    auto t = std::make_unique<Trickle>();
    t->d = raw;
    t->most = 1 + rng() % 9;
    t->rng = &rng;
    Utf16Source src(std::move(t), kind, 1u << 24);
    std::string got;
    char buf[7];
    for (;;) {
      auto r = src.Read(buf, 1 + rng() % sizeof buf);
      REQUIRE(r);
      if (*r == 0) break;
      got.append(buf, *r);
      const uint64_t d = rng() % (got.size() + 1);
      uint64_t mapped = 0;
      REQUIRE(src.Map(d, mapped));
      INFO("round " << round << " offset " << d);
      CHECK(mapped == offsets.Map(d));
    }
    INFO("round " << round);
    CHECK(got == whole);
    CHECK(src.raw_bytes() == raw.size());
  }
}
