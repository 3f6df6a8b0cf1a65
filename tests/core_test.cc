// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/csv_delimiter.h"
#include "core/finding.h"
#include "core/keyed_hash.h"
#include "core/offset_map.h"
#include "core/utf8.h"
#include "detect/plugin_registry.h"
#include "output/identifier_masker.h"
#include "output/report_sink.h"
#include "test_util.h"

using namespace nordpii;

TEST_CASE("offset map snaps inside replacements and shifts after them", "[core][offset_map]") {
  OffsetMap m;
  // src: "ab" + 3-byte char at 2..5 (-> 1 byte at 2), "cd", deleted 3 bytes at 7..10, "e"
  m.Add(2, 3, 2, 5);
  m.Add(5, 5, 7, 10);
  CHECK(m.Start(0) == 0);
  CHECK(m.Start(2) == 2);
  CHECK(m.End(3) == 5);
  CHECK(m.Start(3) == 5);
  CHECK(m.End(5) == 7);     // an end before a deletion excludes it
  CHECK(m.Start(5) == 10);  // a start after a deletion excludes it
  CHECK(m.End(6) == 11);
  for (uint32_t a = 0; a < 8; ++a) CHECK(m.Start(a) <= m.Start(a + 1));
}

TEST_CASE("masking never shows more than the allowed part", "[core][finding]") {
  CHECK(MaskValue(MaskRule::kKeepFirst6, "15108695088") == "151086*****");
  CHECK(MaskValue(MaskRule::kKeepLast4, "4111111111111111") == "************1111");
  CHECK(MaskValue(MaskRule::kHidden, "Sommer2024!") == "********");
  CHECK(MaskValue(MaskRule::kKeepFirst4, "NO9386011117947") == "NO93***********");
  CHECK(MaskValue(MaskRule::kEmail, "kari@example.no") == "k***@example.no");
}

TEST_CASE("the CSV delimiter sniffer counts outside quoted header cells, fed in any pieces", "[core][csv]") {
  // The header rule of the ticket reader and of mail CSV attachments: each
  // case breaks if one part of the quote rule is broken (delimiters counted
  // inside quotes, a quote opening inside a cell, "" closing the cell, the
  // BOM, a line break inside quotes ending the header).
  const std::string bom = "\xEF\xBB\xBF";
  const std::pair<std::string, char> cases[] = {
      {"a,b;c;d\n", ';'},
      {"\"Navn, fullt, med komma\";\"Notat\"\n1,2,3,4\n", ';'},  // delimiters in quotes (review20)
      {"\"Notat \"\"a,b,c\"\"\";d;e\n", ';'},                      // "" inside quotes: the cell goes on
      {"\"\";\"\";x,y\n", ';'},                                    // empty quoted cells: "" there closes
      {"\"a\"\"\",b,c;d\n", ','},                                  // "" right before the closing quote
      {bom + "\"a,b,c\";d\n", ';'},                                // a quote right after the BOM opens
      {bom + "a,b;c", ','},
      {"\xEF\"a;b;c;d\",e\n", ';'},                                // part of a BOM: the quote is in a cell
      {"\xEF\xBB\"a;b;c;d\",e\n", ';'},
      {"5\" screen;a;b,\"c,d,e\"\n", ';'},                         // a quote inside a cell opens nothing
      {"x\"a,b,c\";d\n", ','},
      {"\"Navn\nmed, komma, mange\";\"Notat\"\n1,2,3\n", ';'},    // a line break in quotes: still the header
      {"a;b\n\"c,d,e,f\"\n", ';'},                                // the next record is not looked at
      {"a\tb\tc,d;e\n", '\t'},
      {"a,b;c\td\n", ','},                                         // ties: , before ; before tab
      {"a;b\tc\n", ';'},
      {"\"a,b\"\"\";\"c,d\"\tx\n", ';'},
      {"", ','},
  };
  for (const auto& [text, want] : cases) {
    INFO(text);
    CsvDelimiterSniffer whole;
    const bool ended = whole.Add(text);
    CHECK(whole.delimiter() == want);
    CHECK(ended == (text.find('\n') != std::string::npos));
    // Cut at every position, and into single bytes: the same answer.
    for (size_t cut = 0; cut <= text.size(); ++cut) {
      INFO("cut " << cut);
      CsvDelimiterSniffer s;
      s.Add(std::string_view(text).substr(0, cut));
      s.Add(std::string_view(text).substr(cut));
      CHECK(s.delimiter() == want);
      CHECK(s.done() == ended);
    }
    CsvDelimiterSniffer bytes;
    for (char c : text) bytes.Add(std::string_view(&c, 1));
    CHECK(bytes.delimiter() == want);
  }
  // After the header's end nothing more is counted.
  CsvDelimiterSniffer s;
  CHECK(s.Add("a;b\n"));
  CHECK(s.Add(",,,,,\n"));
  CHECK(s.delimiter() == ';');
}

TEST_CASE("keyed hash is HMAC-SHA256 and depends on the key", "[core][hash]") {
  // RFC 4231 test case 2.
  KeyedHasher h("Jefe");
  CHECK(h.Hex("what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(KeyedHasher("a").Hex("x") != KeyedHasher("b").Hex("x"));
}

TEST_CASE("a third-party validator loads from a shared object", "[plugins]") {
  auto reg = PluginRegistry::Create({NORDPII_EXAMPLE_PLUGIN});
  REQUIRE(reg);
  const nordpii_validator* v = (*reg)->Find("acme_employee");
  REQUIRE(v != nullptr);
  nordpii_input in{sizeof(nordpii_input), "77123453", 8, 2026, 1, 1, 0};
  nordpii_verdict out{};
  out.struct_size = sizeof(out);
  REQUIRE(v->validate(&in, &out) == 0);
  CHECK(out.status == NORDPII_VALID);
  auto bad = PluginRegistry::Create({"/nonexistent/plugin.so"});
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("/nonexistent/plugin.so"));
}

TEST_CASE("a plugin built against a newer header with appended fields loads", "[plugins]") {
  // Its validators are larger than ours: the registry steps through its
  // array by the plugin's struct_size (a wrong stride breaks the second).
  auto reg = PluginRegistry::Create({NORDPII_NEWER_ABI_PLUGIN});
  REQUIRE(reg);
  for (auto [name, len] : {std::pair<const char*, size_t>{"newer_seven", 7}, {"newer_nine", 9}}) {
    INFO(name);
    const nordpii_validator* v = (*reg)->Find(name);
    REQUIRE(v != nullptr);
    nordpii_input in{sizeof(nordpii_input), "123456789", len, 2026, 1, 1, 0};
    nordpii_verdict out{};
    out.struct_size = sizeof(out);
    REQUIRE(v->validate(&in, &out) == 0);
    CHECK(out.status == NORDPII_VALID);
  }
}

TEST_CASE("JSON strings are escaped", "[output]") {
  std::string out;
  AppendJsonString(out, std::string("a\"b\\c\n\x01\x7f\xc3\xb8", 10));
  CHECK(out == "\"a\\\"b\\\\c\\n\\u0001\\u007f\xc3\xb8\"");
}

TEST_CASE("JSON strings are UTF-8: a byte outside a valid UTF-8 character is U+FFFD", "[output]") {
  const std::string r = "\xEF\xBF\xBD";
  const std::pair<std::string, std::string> cases[] = {
      {"\xe5", r},                                   // Latin-1 'å'
      {"sak-\xe5\xff.txt", "sak-" + r + r + ".txt"},  // and a byte no UTF-8 has
      {"\xc3\xa5\xe2\x82\xac\xf0\x9f\x98\x80", "\xc3\xa5\xe2\x82\xac\xf0\x9f\x98\x80"},  // valid: as is
      {"\xc0\xaf", r + r},                            // overlong '/'
      {"\xed\xa0\x80", r + r + r},                    // a surrogate
      {"\xf4\x90\x80\x80", r + r + r + r},            // past U+10FFFF
      {"x\xc3", "x" + r},                             // cut short at the end
      {"\x80\"", r + "\\\""},                         // a lone continuation byte, then an escape
  };
  for (const auto& [in, want] : cases) {
    INFO(in);
    std::string out;
    AppendJsonString(out, in);
    CHECK(out == "\"" + want + "\"");
    CHECK(IsValidUtf8(out));
    CHECK(IsValidUtf8(in) == (in == want));
  }
}

TEST_CASE("a finding's JSON line is UTF-8 when its path and value are not", "[output]") {
  // The path and the value shown come from the input; every format's line
  // goes through OnFinding's pointer writer or AppendJsonString.
  static auto scanner = test::MakeScanner();
  IdentifierMasker masker(*scanner, KeyedHasher("k"));
  for (ReportFormat format : {ReportFormat::kJsonl, ReportFormat::kJson, ReportFormat::kSarif}) {
    std::FILE* file = std::tmpfile();
    REQUIRE(file != nullptr);
    {
      ReportSink sink(file, format, false, masker);
      sink.SetPath("sak-\xe5.txt");
      Finding f;
      f.type = "special.health";
      f.category = "special";
      f.masked = "h\xe4lsa\xff";  // shown as found ("none"), a Latin-1 'ä' in it
      f.hash = "00";
      CHECK(sink.OnFinding(f, "h\xe4lsa\xff"));
      sink.Finish(1, 0);
    }
    std::fflush(file);
    std::rewind(file);
    std::string out;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof(buf), file)) > 0;) out.append(buf, n);
    std::fclose(file);
    INFO(out);
    CHECK(IsValidUtf8(out));
    CHECK(out.find("h\xEF\xBF\xBDlsa\xEF\xBF\xBD") != std::string::npos);
    if (format != ReportFormat::kSarif) CHECK(out.find("sak-\xEF\xBF\xBD.txt") != std::string::npos);
  }
}

TEST_CASE("byte searches equal their one-byte-at-a-time definitions", "[core][bytes]") {
  // Random text of line breaks, 'F', "From " pieces, "--b" and filler, around
  // the 64-byte step, searched from every kind of start position.
  std::mt19937 rng(99);
  const std::vector<std::string> pieces = {"\n", "F", "From ", "\nFrom ", "--b", "\n--b", "x", "rom", " ", "\r\n"};
  size_t hits = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s;
    size_t len = rng() % 300;
    while (s.size() < len) s += pieces[rng() % pieces.size()];
    std::string_view prefix = iter % 2 ? std::string_view("From ") : std::string_view("--b");
    size_t from = s.empty() ? 0 : rng() % (s.size() + 1);
    size_t want = std::string_view::npos;
    for (size_t i = std::max<size_t>(from, 1); i + prefix.size() <= s.size(); ++i)
      if (s[i - 1] == '\n' && std::string_view(s).substr(i, prefix.size()) == prefix) {
        want = i;
        break;
      }
    INFO("iteration " << iter << " from " << from);
    REQUIRE(FindAtLineStart(s, from, prefix) == want);
    hits += want != std::string_view::npos;
    uint64_t lines = 0;
    for (char c : s) lines += c == '\n';
    REQUIRE(CountNewlines(s.data(), s.data() + s.size()) == lines);
  }
  CHECK(hits > 5000);
}

TEST_CASE("the masker reads a name as the detectors read a text: full-width digits, dashes, NBSP, soft hyphen",
          "[output][masker]") {
  // Each was shown raw: a full-width digit (no ASCII digit to count) or a
  // dash / space outside ASCII (a letter to the readings) kept the id from
  // being found where it was glued to the name.
  static auto scanner = test::MakeScanner();
  IdentifierMasker masker(*scanner, KeyedHasher("k"));
  const std::string fw = "\xEF\xBC\x91\xEF\xBC\x95\xEF\xBC\x91\xEF\xBC\x90\xEF\xBC\x98\xEF\xBC\x96"
                         "\xEF\xBC\x99\xEF\xBC\x95\xEF\xBC\x90\xEF\xBC\x98\xEF\xBC\x98";  // "15108695088" full-width
  const std::pair<std::string, std::string> cases[] = {
      {"kunde_" + fw + ".txt", "kunde_151086*****.txt"},
      {"sak-" + fw + "-1.txt", "sak-151086*****-1.txt"},
      {"sak-151086\xE2\x80\x93" "95088-1.txt", "sak-151086*****-1.txt"},  // en dash
      {"sak-151086\xC2\xA0" "95088-1.txt", "sak-151086*****-1.txt"},      // NBSP
      {"sak+151086\xC2\xAD" "95088+1.txt", "sak+151086*****+1.txt"},      // soft hyphen
      {"sak\xC3\xA5" "151086\xE2\x80\x93" "95088\xC3\xA5" "1.txt", "sak\xC3\xA5" "151086*****\xC3\xA5" "1.txt"},
      // An id that ends in or holds a letter, glued to letters or by signs
      // to digits (its letter was a space to the readings that found it).
      {"a131052-308Tb.txt", "a131052*****b.txt"},
      {"sak\xC3\xA5" "131052A308T\xC3\xA5" "1.txt", "sak\xC3\xA5" "131052*****\xC3\xA5" "1.txt"},
      {"1-131052-308T.txt", "1-131052*****.txt"},
      {"00-131052A308T.txt", "00-131052*****.txt"},
      {"sak-12345-131052-308T.txt", "sak-12345-131052*****.txt"},
      {"sak-NO9386011117947-1.txt", "sak-NO93***********-1.txt"},
      {"2026-12-04T10:00:00Z 12345678901x.txt", "2026-12-04T10:00:00Z 12345678901x.txt"},
      // What is not an id stays byte for byte, Latin-1 bytes included.
      {"m\xC3\xB8te 2026\xE2\x80\x93" "12\xE2\x80\x93" "04 10:00.txt", "m\xC3\xB8te 2026\xE2\x80\x93" "12\xE2\x80\x93" "04 10:00.txt"},
      {"sak-\xE5\xFF-15108695088.txt", "sak-\xE5\xFF-151086*****.txt"},
      {"\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93 \xEF\xBC\x94\xEF\xBC\x95\xEF\xBC\x96 \xEF\xBC\x97\xEF\xBC\x98\xEF\xBC\x99",
       "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93 \xEF\xBC\x94\xEF\xBC\x95\xEF\xBC\x96 \xEF\xBC\x97\xEF\xBC\x98\xEF\xBC\x99"},
  };
  for (const auto& [in, want] : cases) {
    INFO(in);
    CHECK(masker.Mask(in) == want);
  }
}
