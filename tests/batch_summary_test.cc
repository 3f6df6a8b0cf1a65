// SPDX-License-Identifier: Apache-2.0
// BatchSummary's documents spilled to sorted runs and merged back (issue 12
// #9, bounded memory): the report files are byte for byte those of a
// summary that held every document, with documents split across runs and
// across workers' summaries; a spill file that cannot be written is an
// error, never a smaller report.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "batch/batch_summary.h"
#include "batch/summary_writer.h"
#include "test_util.h"

namespace fs = std::filesystem;
using nordpii::BatchSummary;
using nordpii::test::ReadFile;

namespace {

// A finding as a report line gives it (owned strings; Row holds views).
struct TestRow {
  std::string path, type, category, created, updated, closed, ticket_id, message_id, date, date_source, subject, hash;
  uint64_t record = 0;
};

// Findings of ~300 documents, each coming back at random later on (so a
// document is split across many runs), with more types than a Doc keeps
// inline, repeated values, dates that change and come and go, subjects
// that are empty at first, ticket, mail and numbered documents.
std::vector<TestRow> Rows(unsigned seed, size_t n) {
  std::mt19937 rng(seed);
  auto pick = [&](size_t k) { return static_cast<size_t>(rng() % k); };
  const char* paths[] = {"export/a.jsonl", "export/b.jsonl", "mail/x.mbox", "z.txt"};
  const char* types[] = {"no.fnr", "se.pnr", "email", "phone", "card", "iban", "dk.cpr"};
  const char* sources[] = {"date", "received", "mtime"};
  std::vector<TestRow> v;
  for (size_t i = 0; i < n; ++i) {
    TestRow r;
    const size_t p = pick(4);
    r.path = paths[p];
    r.type = types[pick(7)];
    r.category = pick(2) ? "national-id" : "contact";
    const size_t doc = pick(80);
    const std::string day = "20" + std::to_string(10 + pick(15)) + "-0" + std::to_string(1 + pick(9)) + "-1" +
                            std::to_string(pick(10));
    if (p < 2) {
      r.ticket_id = (doc % 7 == 0 ? "a-long-ticket-identifier-" : "") + std::to_string(doc);
      if (pick(3) == 0) r.closed = day + "T10:00:00Z";
      if (pick(2) == 0) r.updated = day;
      r.created = "2019-05-0" + std::to_string(1 + pick(9));
    } else if (p == 2) {
      r.message_id = "m" + std::to_string(doc) + "@example.org";
      if (pick(2)) r.date = day + "T08:00:00+01:00", r.date_source = sources[pick(3)];
    } else {
      r.record = 1 + doc;  // a numbered document ("#N")
    }
    if (pick(4) == 0) r.subject = "Sak " + std::to_string(doc) + (pick(2) ? " med et langt emne, over femten" : "");
    char h[17];
    std::snprintf(h, sizeof h, "%016llx", static_cast<unsigned long long>(pick(50) * 0x9e3779b97f4a7c15ull));
    r.hash = h;
    v.push_back(std::move(r));
  }
  return v;
}

void Add(BatchSummary& s, const TestRow& t) {
  BatchSummary::Row r;
  r.path = t.path, r.type = t.type, r.category = t.category, r.confidence = "high";
  r.created = t.created, r.updated = t.updated, r.closed = t.closed;
  r.ticket_id = t.ticket_id, r.message_id = t.message_id, r.date = t.date, r.date_source = t.date_source;
  r.subject = t.subject, r.hash = t.hash, r.record = t.record;
  s.AddFinding(r);
}

// The three report files of a summary (retention on: overdue.csv too).
std::string Report(BatchSummary& s, const std::string& dir) {
  fs::create_directories(dir);
  nordpii::BatchReportInfo info;
  info.run_date = "2026-12-04 00:00:00";
  nordpii::Status st = nordpii::WriteSummary(dir, s, {}, 4, 1000, 365, "", "2026-11-23", info);
  REQUIRE(st.ok());
  return ReadFile(dir + "/summary.json") + ReadFile(dir + "/report.html") + ReadFile(dir + "/overdue.csv");
}

}  // namespace

TEST_CASE("batch summary: documents spilled to runs give the same report as held ones", "[batch][summary]") {
  const std::string dir = "/tmp/nordpii-sumspill-" + std::to_string(getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto rows = Rows(7, 4000);
  const size_t huge = size_t{1} << 40;

  // One summary: held whole, or spilled at every new document (a bound of 1
  // byte) or every few dozen.
  BatchSummary held("", {dir, huge});
  for (auto& r : rows) Add(held, r);
  const std::string want = Report(held, dir + "/held");
  CHECK(held.spilled_runs() == 0);
  auto json = nlohmann::json::parse(ReadFile(dir + "/held/summary.json"));
  REQUIRE(json["documents_with_findings"].get<size_t>() > 250);
  REQUIRE(json["retention"]["overdue"].get<size_t>() > 100);
  REQUIRE(json["top"].size() == 20);
  for (size_t bound : {size_t{1}, size_t{20000}}) {
    INFO("bound " << bound);
    BatchSummary spilled("", {dir, bound});
    for (auto& r : rows) Add(spilled, r);
    CHECK(spilled.spilled_runs() > (bound == 1 ? 3000u : 5u));
    CHECK(Report(spilled, dir + "/spilled") == want);
    CHECK(Report(spilled, dir + "/again") == want);  // read back twice: the same
  }

  // Workers' summaries merged (Merge): some held, some spilled, the same
  // documents in several of them; the main summary starts with findings of
  // its own (a resumed run's).
  auto merged = [&](size_t bound) {
    auto main = std::make_unique<BatchSummary>("", BatchSummary::Spill{dir, bound});
    std::vector<std::unique_ptr<BatchSummary>> w;
    for (int i = 0; i < 3; ++i)
      w.push_back(std::make_unique<BatchSummary>("", BatchSummary::Spill{dir, i == 1 ? huge : bound}));
    for (size_t i = 0; i < rows.size(); ++i) Add(i < 500 ? *main : *w[(i / 300) % 3], rows[i]);
    for (auto& s : w) main->Merge(std::move(*s));
    return main;
  };
  auto all_held = merged(huge);
  const std::string want_merged = Report(*all_held, dir + "/mheld");
  auto some_spilled = merged(1);
  CHECK(some_spilled->spilled_runs() > 1000);
  CHECK(Report(*some_spilled, dir + "/mspilled") == want_merged);
  auto few_spilled = merged(30000);
  CHECK(few_spilled->spilled_runs() > 2);
  CHECK(Report(*few_spilled, dir + "/mfew") == want_merged);

  // No file left in the spill directory (the runs' file is unlinked).
  size_t files = 0;
  for (auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 0);
  fs::remove_all(dir);
}

TEST_CASE("batch summary: a spill file that cannot be written is an error, no report", "[batch][summary]") {
  const auto rows = Rows(11, 3000);
  SECTION("its directory does not exist") {
    const std::string dir = "/tmp/nordpii-sumspill-err-" + std::to_string(getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    BatchSummary s("", {dir + "/missing", 1});
    for (auto& r : rows) Add(s, r);
    nordpii::Status st = nordpii::WriteSummary(dir, s, {}, 1, 1, -1, "", "2026-11-23", {});
    CHECK(!st.ok());
    CHECK_THAT(st.message(), Catch::Contains("spill file"));
    CHECK(!fs::exists(dir + "/summary.json"));
    CHECK(!fs::exists(dir + "/report.html"));
    fs::remove_all(dir);
  }
  SECTION("a write fails (the file size limit)") {
    // In a child: RLIMIT_FSIZE makes the spill file's writes fail (EFBIG;
    // SIGXFSZ ignored) once it passes 64 KiB.
    const std::string dir = "/tmp/nordpii-sumspill-fsize-" + std::to_string(getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      std::signal(SIGXFSZ, SIG_IGN);
      rlimit lim{64 << 10, 64 << 10};
      setrlimit(RLIMIT_FSIZE, &lim);
      BatchSummary s("", {dir, 1});
      for (auto& r : Rows(11, 3000)) Add(s, r);
      const bool failed = !s.spill_error().empty();
      nordpii::Status st = nordpii::WriteSummary(dir, s, {}, 1, 1, -1, "", "2026-11-23", {});
      const bool reported = !st.ok() && st.message().find("write failed") != std::string::npos;
      _exit(failed && reported && !fs::exists(dir + "/summary.json") ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    fs::remove_all(dir);
  }
}
