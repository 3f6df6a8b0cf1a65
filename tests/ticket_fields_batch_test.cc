// SPDX-License-Identifier: Apache-2.0
// Ticket fields scanned in one pass (ScanContext::ScanFields: one normaliser
// check and one matcher call per record) give exactly the findings of
// scanning each field on its own: random JSONL and CSV records built from
// identifiers, labels, keywords, e-mail addresses (plain and obfuscated),
// numbers, timestamps and separators at field edges, compared finding by
// finding with batching switched off.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "tickets/ticket_scanner.h"
#include "test_util.h"

using namespace nordpii;

namespace {

struct Got : StreamSink {
  std::vector<Finding> f;
  bool OnFinding(const Finding& x, std::string_view) override {
    f.push_back(x);
    return true;
  }
};

std::string Describe(const Finding& f) {
  std::ostringstream o;
  o << f.type << '|' << f.category << '|' << static_cast<int>(f.confidence) << '|' << f.start << '-' << f.end
    << '|' << f.line << ':' << f.column << '|' << f.masked << '|' << f.hash << '|' << f.also << '|' << f.field
    << '|' << f.part_offset << '|' << f.rules;
  return o.str();
}

std::vector<std::string> Scan(const std::string& data, TicketFormat fmt, bool batched) {
  static auto scanner = test::MakeScanner();
  auto ctx = scanner->NewContext(KeyedHasher("k"), ReferenceDate{2026, 12, 3});
  ctx->set_batch_fields(batched);
  auto src = StringSource(data);
  TicketReader rd(*src, fmt, 1 << 20);
  TicketScanner ts(*ctx, {});
  ts.BeginInput();
  Got g;
  TicketRecord r;
  FindingFilter filter;
  for (;;) {
    auto more = rd.Next(r);
    REQUIRE(more);
    if (!*more) break;
    if (fmt == TicketFormat::kCsv) ts.set_csv(rd.header(), rd.delimiter());
    TicketInfo info;
    REQUIRE(ts.Scan(r, fmt, filter, g, info).ok());
  }
  std::vector<std::string> out;
  for (const Finding& f : g.f) out.push_back(Describe(f));
  return out;
}

// Synthetic values (valid by the spec where they are identifiers).
const char* const kPieces[] = {
    "070389-1004", "12438440052", "15108695088", "151086 95 088", "760412\n1009", "Fjord2025!",
    "91234567", "204567891", "ola.nordmann@example.no", "kari [at] example [dot] no", "per (at) firma (dot) se",
    "+47 912 34 567", "NO93 8601 1117 947", "4111 1111 1111 1111", "2025-05-05T09:00:00Z", "100001",
    "1234567890123", "Personnummer:", "fødselsnummer", "Passordet mitt er", "passnummer", "Mitt passnummer är",
    "Fakturaen kom i går.", "Det gjelder", "kontonummer", "cpr", "IBAN", "open", "faktura", "vip", "\\n", " ",
    "", ".", "-", "123", "45", "x", "æøå", "<b>", "</b>", "\\u00e6", "\\\"", "192.168.10.12", "ordre 4471123",
    "> 15108695088", "Tlf 22 33 44 55", "kunde15108695088", "15108695088.", "@", "at", "\\u00a0"};

std::string RandomValue(std::mt19937& rng) {
  std::uniform_int_distribution<size_t> pick(0, std::size(kPieces) - 1);
  std::uniform_int_distribution<int> count(1, 4), sep(0, 5);
  std::string v;
  for (int i = count(rng); i > 0; --i) {
    if (!v.empty()) {
      static const char* const kSeps[] = {" ", "\\n", "", ": ", ", ", "\\n\\n"};
      v += kSeps[sep(rng)];
    }
    v += kPieces[pick(rng)];
  }
  // JSON-safe: raw line breaks written as \n.
  std::string out;
  for (char c : v) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out;
}

}  // namespace

TEST_CASE("tickets: fields scanned in one pass give the findings of one scan per field", "[tickets][batch_fields]") {
  std::mt19937 rng(20261203);
  static const char* const kKeys[] = {"subject", "description", "value", "fodselsnummer", "password", "passnummer",
                                      "tags", "phone", "cf_personnummer", "note", "kontonummer", "email"};
  std::uniform_int_distribution<size_t> key(0, std::size(kKeys) - 1);
  std::uniform_int_distribution<int> nfields(1, 7), coin(0, 3);
  std::string jsonl, csv = "id,subject,description,cpr,password,note\n";
  size_t total = 0;
  for (int rec = 0; rec < 600; ++rec) {
    std::string r = "{\"id\":" + std::to_string(100000 + rec * 7919);
    for (int i = nfields(rng); i > 0; --i) {
      r += ",\"";
      r += kKeys[key(rng)];
      r += "\":";
      switch (coin(rng)) {
        case 0: r += std::to_string(rng() % 2 ? 15108695088ull : 1000000ull + rng() % 90000000ull); break;
        case 1: r += "[\"" + RandomValue(rng) + "\",\"" + RandomValue(rng) + "\"]"; break;
        case 2: r += "{\"id\":1,\"value\":\"" + RandomValue(rng) + "\"}"; break;
        default: r += "\"" + RandomValue(rng) + "\""; break;
      }
    }
    r += ",\"comments\":[{\"body\":\"" + RandomValue(rng) + "\",\"html_body\":\"<p>" + RandomValue(rng) + "</p>\"}]}";
    jsonl += r + "\n";
    csv += std::to_string(rec);
    for (int c = 0; c < 5; ++c) {
      std::string v = RandomValue(rng), q;
      for (size_t i = 0; i < v.size(); ++i) {  // JSON escapes back to text for CSV
        if (v.compare(i, 2, "\\n") == 0) { q += '\n'; ++i; }
        else if (v[i] == '"') q += "\"\"";
        else q += v[i];
      }
      csv += ",\"" + q + "\"";
    }
    csv += "\n";
  }
  for (auto fmt : {TicketFormat::kJsonl, TicketFormat::kCsv}) {
    const std::string& data = fmt == TicketFormat::kJsonl ? jsonl : csv;
    auto one_by_one = Scan(data, fmt, false);
    auto batched = Scan(data, fmt, true);
    CHECK(one_by_one.size() > 300);
    REQUIRE(batched.size() == one_by_one.size());
    for (size_t i = 0; i < batched.size(); ++i) {
      INFO("finding " << i);
      CHECK(batched[i] == one_by_one[i]);
    }
    total += batched.size();
  }
  CHECK(total > 600);
}

TEST_CASE("tickets: fields are matched in one pass only when no regex detector can match a line break",
          "[tickets][batch_fields]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("nordpii-batch-fields-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream f(dir / "crossing.toml");
    f << "[[detector]]\nid = \"test.crossing\"\ncategory = \"contact\"\nvalidator = \"phone\"\nsource = \"regex\"\n"
         "regex = 'KUNDE\\s{1,3}[0-9]{4}'\n";
  }
  const std::string text = "KUNDE\n\n1234 ola.nordmann@example.no";
  const std::vector<Matcher::FieldRange> fields = {{0, 5}, {7, static_cast<uint32_t>(text.size())}};
  std::vector<MatchResults> out;
  // Built-in patterns: every regex is line-break free, the pass is taken.
  auto builtin = test::MakeScanner();
  auto s1 = builtin->matcher().NewScratch();
  auto r1 = builtin->matcher().ScanFields(text, fields, *s1, out);
  REQUIRE(r1);
  CHECK(*r1 == HyperscanAvailable());
  // A regex with \s: declined (the fields are then scanned one by one).
  ScannerOptions opt;
  opt.patterns_dir = test::SourceDir() + "/patterns";
  opt.more_patterns_dirs = {dir.string()};
  auto withs = Scanner::Create(opt);
  fs::remove_all(dir);
  REQUIRE(withs);
  auto s2 = (*withs)->matcher().NewScratch();
  auto r2 = (*withs)->matcher().ScanFields(text, fields, *s2, out);
  REQUIRE(r2);
  CHECK_FALSE(*r2);
  // Fields not separated by a blank line: declined too.
  const std::vector<Matcher::FieldRange> glued = {{0, 5}, {6, static_cast<uint32_t>(text.size())}};
  auto r3 = builtin->matcher().ScanFields(text, glued, *s1, out);
  REQUIRE(r3);
  CHECK_FALSE(*r3);
}
