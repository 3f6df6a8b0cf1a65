// SPDX-License-Identifier: Apache-2.0
// Issue 15 (an audit a data-protection officer can sign) and issue 12's
// clean stop of `batch` on a signal: retention for mail by its dates, the
// complete overdue list, find-subject's per-document answer, distinct
// values, the report page. Each case failed before its change.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "batch/mail_meta.h"
#include "test_util.h"

namespace fs = std::filesystem;
using nordpii::test::Exec;
using nordpii::test::ReadFile;
using nordpii::test::Run;
using nordpii::test::Bash;
using nordpii::test::WriteFile;

namespace {
std::string TempDir(const std::string& name) { return nordpii::test::TempDir("audit", name); }
}  // namespace

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

std::string Date(std::string_view v) {
  int y, m, d;
  if (!nordpii::ParseMailDate(v, y, m, d)) return "none";
  char b[16];
  std::snprintf(b, sizeof b, "%04d-%02d-%02d", y, m, d);
  return b;
}

}  // namespace

TEST_CASE("issue 15: mail dates in RFC 5322 forms, obsolete ones included, to the UTC day", "[audit][mail]") {
  CHECK(Date("Tue, 1 Jul 2003 10:52:37 +0200") == "2003-07-01");
  CHECK(Date("Tue, 1 Jul 2003 00:30:00 +0200") == "2003-06-30");  // UTC day
  CHECK(Date("Mon, 31 Dec 2029 23:30 -0100") == "2030-01-01");
  CHECK(Date("1 Jul 03 10:52:37 GMT") == "2003-07-01");           // no weekday, 2-digit year
  CHECK(Date("Fri, 21 Nov 97 09:55:06 EST") == "1997-11-21");
  CHECK(Date("Thu, 29 Feb 2024 10:00:00 +0000 (UTC)") == "2024-02-29");
  CHECK(Date("  Wed,\t 5 MAR 2025 08:00:00 CET") == "2025-03-05");
  CHECK(Date("Thu, 29 Feb 2023 10:00:00 +0000") == "none");       // no such day
  CHECK(Date("Tue, 1 Jul 2003 25:00:00 +0200") == "none");
  CHECK(Date("2025-03-05T08:00:00Z") == "none");
  CHECK(Date("15108695088") == "none");
  CHECK(Date("") == "none");
  auto meta = nordpii::ReadMessageMeta(
      "Received: from a by b; Mon, 3 Mar 2025 10:00:00 +0000\n"
      "Received: from c by a; Sun, 2 Mar 2025 23:30:00 -0500\n"
      "Subject: =?utf-8?Q?S=C3=B8knad?=\n\nbody\n",
      -1);
  CHECK(meta.date == "2025-03-03");
  CHECK(meta.date_source == "received");
  CHECK(meta.subject == "S\xC3\xB8knad");
  meta = nordpii::ReadMessageMeta("Date: garbage\nSubject: x\n\nbody\n", 1700000000);
  CHECK(meta.date == "2023-11-14");
  CHECK(meta.date_source == "mtime");
}

// Issue 14: the date is written without snprintf; every day of 1970-2100,
// the first days of a year up to 9999, the year 10000 and days before 1970
// must read as snprintf("%04d-%02d-%02d") of gmtime gives them.
TEST_CASE("issue 14: UtcDate equals snprintf of gmtime", "[audit][mail]") {
  auto reference = [](int64_t secs) {
    time_t t = static_cast<time_t>(secs);
    struct tm tm {};
    gmtime_r(&t, &tm);
    char b[48];
    std::snprintf(b, sizeof b, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return std::string(b);
  };
  std::vector<int64_t> secs;
  for (int64_t day = -800; day < 47500; ++day) secs.push_back(day * 86400 + 3600 * (day % 24));
  for (int64_t day = 47500; day < 2932897 + 400; day += 97) secs.push_back(day * 86400);
  secs.push_back(int64_t{253402300799});  // 9999-12-31 23:59:59
  secs.push_back(int64_t{253402300800});  // 10000-01-01
  secs.push_back(-1);
  for (int64_t s : secs) {
    INFO(s);
    REQUIRE(nordpii::UtcDate(s) == reference(s));
  }
}

TEST_CASE("issue 15: batch --retention on mail uses Date, Received, file time, by_month has months",
          "[audit][batch][retention]") {
  std::string d = TempDir("mailret");
  WriteFile(d + "/in/a.eml",
            "From: a@example.com\nSubject: Sak fnr 15108695088, \"haster\"\nDate: Tue, 1 Jul 2025 10:52:37 +0200\n"
            "Message-ID: <a1@example.com>\n\nMitt fnr er 15108695088.\n");
  WriteFile(d + "/in/maildir/cur/1.eml",
            "Received: from x by y; Mon, 3 Mar 2025 10:00:00 +0000\nSubject: no date\n"
            "Message-ID: <b2@example.com>\n\nfnr 15108695088\n");
  WriteFile(d + "/in/maildir/new/.keep", "");
  fs::create_directories(d + "/in/maildir/tmp");
  WriteFile(d + "/in/box.mbox",
            "From a Mon Jan  1 00:00:00 2024\nSubject: m1\nDate: 5 Jan 24 12:00 GMT\n\nfnr 15108695088\n\n"
            "From b Mon Jan  1 00:00:00 2024\nSubject: m2\n\npersonnummer 15108695088\n\n"
            "From c Mon Jan  1 00:00:00 2024\nSubject: fresh\nDate: Mon, 30 Nov 2026 08:00:00 +0000\n\nfnr 15108695088\n");
  REQUIRE(std::system(("touch -d '2025-06-01 12:00 UTC' " + d + "/in/box.mbox").c_str()) == 0);
  fs::remove(d + "/in/maildir/new/.keep");
  Run r = Exec("batch -q --jobs 1 --retention 90d --reference-date 2026-12-01 " + d + "/in --report " + d + "/rep");
  INFO(r.out);
  CHECK(r.code == 1);
  auto s = nlohmann::json::parse(ReadFile(d + "/rep/summary.json"));
  CHECK(s["retention"]["overdue"] == 4);  // all but the fresh message
  CHECK(s["by_month"].count("unknown") == 0);
  CHECK(s["by_month"]["2024-01"] == 1);
  CHECK(s["by_month"]["2025-07"] == 2);
  CHECK(s["by_month"]["2025-03"] == 1);
  CHECK(s["by_month"]["2025-06"] == 1);
  std::map<std::string, std::string> source;
  for (auto& it : s["retention"]["items"]) source[it["id"].get<std::string>()] = it["date_source"];
  CHECK(source["a1@example.com"] == "date");
  CHECK(source["b2@example.com"] == "received");
  CHECK(source["#1"] == "date");
  CHECK(source["#2"] == "mtime");
  // Each finding line of mail says the date and where it came from.
  CHECK_THAT(ReadFile(d + "/rep/findings.jsonl"), Catch::Contains("\"date\":\"2025-03-03\",\"date_source\":\"received\""));
  fs::remove_all(d);
}

TEST_CASE("issue 15: overdue.csv is complete, sorted by days overdue, quoted, masked, summary says shown of total",
          "[audit][batch][retention]") {
  std::string d = TempDir("overdue");
  // 1 200 overdue tickets (more than the page shows), dated over two years.
  {
    fs::create_directories(d + "/in");
    std::ofstream f(d + "/in/t.jsonl");
    for (int i = 0; i < 1200; ++i) {
      char date[32];
      std::snprintf(date, sizeof date, "20%02d-%02d-%02dT10:00:00Z", 23 + i % 2, 1 + i % 12, 1 + i % 28);
      f << "{\"id\":" << 5000 + i << ",\"subject\":\"x\",\"updated_at\":\"" << date
        << "\",\"description\":\"fnr 15108695088\"}\n";
    }
  }
  // A message whose subject needs quoting, starts like a formula and holds an id.
  WriteFile(d + "/in/q.eml", "Subject: =SUM(1), \"fnr\" 15108695088\nDate: 1 Jan 2020 00:00:00 +0000\n\nfnr 15108695088\n");
  Run r = Exec("batch -q --retention 30d --reference-date 2026-12-01 " + d + "/in --report " + d + "/rep");
  INFO(r.out);
  CHECK(r.code == 1);
  std::string csv = ReadFile(d + "/rep/overdue.csv");
  CHECK(csv.find("15108695088") == std::string::npos);
  auto lines = Lines(csv);
  REQUIRE(lines.size() == 1 + 1201);
  CHECK(lines[0] == "input,id,subject,date,date_source,age_days,days_overdue,findings,distinct_values,types\r");
  // The oldest first: the message from 2020, quoted, formula-guarded, masked.
  CHECK_THAT(lines[1], Catch::Contains(",\"'=SUM(1), \"\"fnr\"\" 151086*****\",2020-01-01,date,"));
  long prev = 1 << 30;
  bool sorted = true;
  for (size_t i = 1; i < lines.size(); ++i) {
    // days_overdue is the 7th column; ids and dates hold no commas here.
    std::string l = lines[i];
    size_t p = l.rfind(',');  // types
    for (int k = 0; k < 3; ++k) p = l.rfind(',', p - 1);
    long days = std::stol(l.substr(p + 1));
    sorted = sorted && days <= prev;
    prev = days;
  }
  CHECK(sorted);
  auto s = nlohmann::json::parse(ReadFile(d + "/rep/summary.json"));
  CHECK(s["retention"]["overdue"] == 1201);
  CHECK(s["retention"]["complete_list"] == "overdue.csv");
  CHECK(s["retention"]["items"][0]["days_overdue"] > s["retention"]["items"][1200]["days_overdue"]);
  std::string html = ReadFile(d + "/rep/report.html");
  CHECK_THAT(html, Catch::Contains("Showing the 1000 most overdue of 1201"));
  CHECK_THAT(html, Catch::Contains("href=\"overdue.csv\""));
  // The overdue section comes before the charts.
  CHECK(html.find("id=\"overdue\"") < html.find("Findings per type"));
  fs::remove_all(d);
}

TEST_CASE("issue 15: one value in four fields of a ticket is four findings and one distinct value",
          "[audit][batch]") {
  std::string d = TempDir("distinct");
  WriteFile(d + "/in/z.jsonl",
            "{\"id\":7,\"updated_at\":\"2024-01-01T00:00:00Z\",\"description\":\"fnr 15108695088\","
            "\"comments\":[{\"body\":\"fnr 15108695088\",\"html_body\":\"<p>fnr 15108695088</p>\","
            "\"plain_body\":\"fnr 15108695088\"}]}\n");
  Run r = Exec("batch -q --retention 90d --reference-date 2026-12-01 " + d + "/in --report " + d + "/rep");
  INFO(r.out);
  auto s = nlohmann::json::parse(ReadFile(d + "/rep/summary.json"));
  REQUIRE(s["top"].size() == 1);
  CHECK(s["top"][0]["findings"] == 4);
  CHECK(s["top"][0]["distinct_values"] == 1);
  CHECK(s["retention"]["items"][0]["distinct_values"] == 1);
  CHECK_THAT(ReadFile(d + "/rep/overdue.csv"), Catch::Contains(",4,1,no.fnr 4"));
  fs::remove_all(d);
}

TEST_CASE("issue 15: the report page names run date, version, options, key id, a type legend, confidence",
          "[audit][batch]") {
  std::string d = TempDir("page");
  WriteFile(d + "/in/a.txt", "fnr 15108695088\nkontonummer 1234.56.78903\n");
  Run r = Exec("batch -q --retention 90d --reference-date 2026-12-01 " + d + "/in --report " + d + "/rep");
  INFO(r.out);
  std::string html = ReadFile(d + "/rep/report.html");
  CHECK_THAT(html, Catch::Contains("2025-12-01 00:00:00 UTC"));  // SOURCE_DATE_EPOCH of the tests
  CHECK_THAT(html, Catch::Contains("--retention 90d --reference-date 2026-12-01"));
  CHECK_THAT(html, Catch::Contains("<dt>key id</dt><dd>"));
  CHECK_THAT(html, Catch::Contains("id=\"by-confidence\""));
  CHECK_THAT(html, Catch::Contains("id=\"by-category\""));
  CHECK_THAT(html, Catch::Contains("<td>no.fnr</td><td>Norwegian fødselsnummer</td>"));
  CHECK_THAT(html, Catch::Contains(" B;"));  // sizes in human units
  auto s = nlohmann::json::parse(ReadFile(d + "/rep/summary.json"));
  CHECK(s["run"]["key_id"].get<std::string>().size() == 16);
  CHECK(s["run"]["random_key"] == false);
  CHECK(s["by_confidence"].size() >= 1);
  // The key id depends on the key, never shows it.
  Run other = Exec("batch -q " + d + "/in --report " + d + "/rep2", "NORDPII_KEY=another-key");
  auto s2 = nlohmann::json::parse(ReadFile(d + "/rep2/summary.json"));
  CHECK(s2["run"]["key_id"] != s["run"]["key_id"]);
  // No key: a random one, said once on stderr and in the report.
  Run random = Exec("batch -q " + d + "/in --report " + d + "/rep3", "env -u NORDPII_KEY");
  CHECK_THAT(random.out, Catch::Contains("random key"));
  CHECK(nlohmann::json::parse(ReadFile(d + "/rep3/summary.json"))["run"]["random_key"] == true);
  CHECK_THAT(ReadFile(d + "/rep3/report.html"), Catch::Contains("random key"));
  fs::remove_all(d);
}

TEST_CASE("batch: one file in ranges interrupted counts as one input, not as its ranges", "[audit][batch]") {
  // (newcomer review 2026-12-04: "the report covers 2 of 1 inputs",
  // "inputs_done": 2 of "inputs": 1.) An input is done when all its ranges
  // are written.
  std::string d = TempDir("sigterm-ranges");
  std::string body;
  for (int k = 0; k < 20000; ++k) body += "{\"id\":" + std::to_string(k) + ",\"description\":\"fnr 15108695088\"}\n";
  WriteFile(d + "/in/big.jsonl", body);
  Run r = Bash(d,
               "NORDPII_RANGE_BYTES=20000 NORDPII_TEST_INPUT_DELAY_MS=100 $N batch -q --jobs 2 in --report rep & p=$!\n"
               "for i in $(seq 100); do [ -s rep/findings.jsonl ] && break; sleep 0.05; done\n"
               "kill -TERM $p; wait $p; echo rc=$?");
  INFO(r.out);
  CHECK_THAT(r.out, Catch::Contains("rc=2"));
  CHECK_THAT(r.out, Catch::Contains("the report covers 0 of 1 inputs"));
  auto s = nlohmann::json::parse(ReadFile(d + "/rep/summary.json"));
  CHECK(s["inputs"] == 1);
  CHECK(s["inputs_done"] == 0);
  CHECK(s["findings"].get<size_t>() > 0);  // some ranges were written
  fs::remove_all(d);
}

TEST_CASE("issue 12: SIGTERM during batch without a checkpoint stops cleanly, report marked interrupted, exit 2",
          "[audit][batch][issue12]") {
  std::string d = TempDir("sigterm");
  for (int i = 0; i < 60; ++i) {
    std::string body;
    for (int k = 0; k < 200; ++k) body += "fnr 15108695088 og fnr 15108695088\n";
    WriteFile(d + "/in/f" + std::to_string(100 + i) + ".txt", body);
  }
  // A pause after each input (test hook), so the signal lands while inputs remain.
  Run r = Bash(d,
               "NORDPII_TEST_INPUT_DELAY_MS=100 $N batch -q --jobs 2 --held-bytes 1 in --report rep & p=$!\n"
               "for i in $(seq 100); do [ -s rep/findings.jsonl ] && break; sleep 0.05; done\n"
               "kill -TERM $p; wait $p; echo rc=$?; ls -a rep");
  INFO(r.out);
  CHECK_THAT(r.out, Catch::Contains("rc=2"));
  CHECK_THAT(r.out, Catch::Contains("interrupted; the report covers"));
  CHECK(r.out.find(".worker-") == std::string::npos);
  auto s = nlohmann::json::parse(ReadFile(d + "/rep/summary.json"));
  CHECK(s["interrupted"] == true);
  CHECK(s["run"]["interrupted"] == true);
  CHECK(s["inputs"] == 60);
  CHECK(s["inputs_done"] < 60);  // the signal interrupted the run
  CHECK(s["inputs_done"] > 0);
  // Every line whole, and whole inputs only: the same findings per input.
  std::string findings = ReadFile(d + "/rep/findings.jsonl");
  REQUIRE(!findings.empty());
  CHECK(findings.back() == '\n');
  size_t n = 0;
  bool parsed = true;
  std::map<std::string, size_t> per_input;
  for (const auto& l : Lines(findings)) {
    parsed = parsed && nlohmann::json::accept(l);
    if (parsed) ++per_input[nlohmann::json::parse(l)["path"].get<std::string>()];
    ++n;
  }
  CHECK(parsed);
  CHECK(n == s["findings"].get<size_t>());
  CHECK(per_input.size() == s["inputs_done"].get<size_t>());
  for (auto& [path, count] : per_input) CHECK(count == 400);
  CHECK(ReadFile(d + "/rep/report.html").find("id=\"interrupted\"") != std::string::npos);
  fs::remove_all(d);
}

TEST_CASE("issue 15: find-subject answers with one row per ticket or message and writes a report", "[audit][subject]") {
  std::string d = TempDir("subject");
  WriteFile(d + "/in/t.jsonl",
            "{\"id\":41,\"updated_at\":\"2025-01-02T00:00:00Z\",\"description\":\"fnr 15108695088\","
            "\"comments\":[{\"body\":\"fnr 15108695088\",\"plain_body\":\"fnr 15108695088\"}]}\n"
            "{\"id\":42,\"description\":\"ingen\"}\n");
  WriteFile(d + "/in/m.eml",
            "Subject: Innsyn 15108695088\nDate: Tue, 1 Jul 2025 10:00:00 +0000\nMessage-ID: <x9@example.no>\n\n"
            "Mitt fnr er 151086 95088.\n");
  Run r = Exec("find-subject --format text --id 15108695088 " + d + "/in --report " + d + "/rep");
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(r.out.find("15108695088") == std::string::npos);
  CHECK(r.out.find("151086 95088") == std::string::npos);
  auto rows = Lines(r.out);
  // header, two documents, the count line
  CHECK_THAT(r.out, Catch::Contains("input\tid\tdate\tsubject\tfields\tfindings\ttypes\n"));
  CHECK_THAT(r.out, Catch::Contains("/in/t.jsonl\t41\t2025-01-02\t-\tdescription,comments[0].body,comments[0].plain_body\t3\tno.fnr 3\n"));
  CHECK_THAT(r.out, Catch::Contains("/in/m.eml\tx9@example.no\t2025-07-01\tInnsyn 151086*****\tSubject,body\t2\tno.fnr 2\n"));
  CHECK_THAT(r.out, Catch::Contains("5 finding(s) in 2 ticket(s)/message(s)/file(s)"));
  for (const char* f : {"/rep/subject.csv", "/rep/subject.json", "/rep/subject.html", "/rep/findings.jsonl"}) {
    INFO(f);
    REQUIRE(fs::exists(d + f));
    CHECK(ReadFile(d + f).find("15108695088") == std::string::npos);
  }
  auto j = nlohmann::json::parse(ReadFile(d + "/rep/subject.json"));
  CHECK(j["documents"] == 2);
  CHECK(j["findings"] == 5);
  REQUIRE(j["searched_hashes"].size() == 1);
  std::string hash = j["searched_hashes"][0];
  CHECK(j["items"][0]["hashes"][0] == hash);
  CHECK(j["run"]["key_id"].get<std::string>().size() == 16);
  CHECK_THAT(ReadFile(d + "/rep/subject.html"), Catch::Contains(hash));
  CHECK(Lines(ReadFile(d + "/rep/subject.csv")).size() == 3);
  // The hash from the report finds the same documents (erasure check).
  Run h = Exec("find-subject --format jsonl --hash " + hash + " " + d + "/in");
  CHECK(h.code == 1);
  CHECK_THAT(h.out, Catch::Contains("\"id\":\"41\""));
  fs::remove_all(d);
}

TEST_CASE("issue 15: find-subject with a mistyped id names the types tried, exit 2, never the value",
          "[audit][subject]") {
  for (const char* id : {"15108695077", "151086-95077", "not a number"}) {
    Run r = Exec(std::string("find-subject --id '") + id + "' samples/tickets");
    INFO(r.out);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains("is not a valid identifier of any type tried ("));
    CHECK_THAT(r.out, Catch::Contains("no.fnr"));
    CHECK_THAT(r.out, Catch::Contains("se.pnr"));
    CHECK(r.out.find(id) == std::string::npos);
    CHECK(r.out.find("95077") == std::string::npos);
  }
  Run bad = Exec("find-subject --hash 15108695077 samples/tickets");
  CHECK(bad.code == 2);
  CHECK(bad.out.find("15108695077") == std::string::npos);
}

TEST_CASE("issue 15: ticket subjects (JSON unescaped, CSV) reach the overdue list masked", "[audit][batch][retention]") {
  std::string d = TempDir("tsubject");
  WriteFile(d + "/in/z.jsonl",
            "{\"id\":9,\"subject\":\"S\\u00f8knad \\\"fnr\\\" 15108695088\",\"updated_at\":\"2024-01-01T00:00:00Z\","
            "\"description\":\"fnr 15108695088\"}\n");
  WriteFile(d + "/in/c.csv", "id,subject,updated_at,body\n77,Konto,2024-03-01,fnr 15108695088\n");
  Run r = Exec("batch -q --retention 90d --reference-date 2026-12-01 " + d + "/in --report " + d + "/rep");
  INFO(r.out);
  std::string csv = ReadFile(d + "/rep/overdue.csv");
  INFO(csv);
  CHECK_THAT(csv, Catch::Contains(",9,\"S\xC3\xB8knad \"\"fnr\"\" 151086*****\",2024-01-01"));
  CHECK_THAT(csv, Catch::Contains(",77,Konto,2024-03-01"));
  CHECK(csv.find("15108695088") == std::string::npos);
  // Jira: fields.summary.
  Run j = Exec("scan --format jsonl samples/tickets/jira.json");
  CHECK_THAT(j.out, Catch::Contains("\"subject\":\"Kunde sendte IBAN NO93***********\""));
  fs::remove_all(d);
}

TEST_CASE("issue 15: scan -l, -c, --stats, --glob as rg users expect", "[audit][cli]") {
  std::string d = TempDir("rg");
  WriteFile(d + "/in/a.txt", "fnr 15108695088\nfnr 15108695088\n");
  WriteFile(d + "/in/b.log", "fnr 15108695088\n");
  WriteFile(d + "/in/c.txt", "nothing here\n");
  WriteFile(d + "/in/kunde-15108695088.txt", "fnr 15108695088\n");
  Run l = Exec("scan -l " + d + "/in");
  CHECK(l.code == 1);
  CHECK(Lines(l.out) == std::vector<std::string>{d + "/in/a.txt", d + "/in/b.log", d + "/in/kunde-151086*****.txt"});
  Run c = Exec("scan -c " + d + "/in");
  CHECK(Lines(c.out) ==
        std::vector<std::string>{d + "/in/a.txt:2", d + "/in/b.log:1", d + "/in/kunde-151086*****.txt:1"});
  Run g = Exec("scan -c --glob '*.txt' --glob '!kunde*' " + d + "/in");
  CHECK(Lines(g.out) == std::vector<std::string>{d + "/in/a.txt:2"});
  Run ex = Exec("scan -c --exclude 'kunde*' --exclude '*.log' " + d + "/in");
  CHECK(Lines(ex.out) == std::vector<std::string>{d + "/in/a.txt:2"});
  Run given = Exec("scan -c --glob '*.txt' " + d + "/in/b.log");  // a file given by name is always scanned
  CHECK(Lines(given.out) == std::vector<std::string>{d + "/in/b.log:1"});
  Run none = Exec("scan -l " + d + "/in/c.txt");
  CHECK(none.code == 0);
  CHECK(none.out.empty());
  Run st = Exec("scan --format jsonl --stats " + d + "/in");
  CHECK_THAT(st.out, Catch::Contains("nordpii: 4 findings in 3 of 4 inputs"));
  CHECK_THAT(st.out, Catch::Contains("no.fnr 4"));
  CHECK(st.out.find("15108695088") == std::string::npos);
  fs::remove_all(d);
}

TEST_CASE("issue 15: single .gz, .xz, .zst files are scanned, a file only named so is an error", "[audit][cli]") {
  std::string d = TempDir("gz");
  WriteFile(d + "/ids.txt", "fnr 15108695088\n");
  WriteFile(d + "/m.eml", "Subject: hei\nDate: 1 Jan 2024 00:00 +0000\n\nfnr 15108695088\n");
  WriteFile(d + "/fake.txt.gz", "fnr 15108695088\n");
  Run r = Bash(d, "gzip -k ids.txt && xz -k ids.txt && zstd -q -k ids.txt && gzip -k m.eml && "
                  "for f in ids.txt.gz ids.txt.xz ids.txt.zst m.eml.gz; do $N scan --format text $f; echo $f=$?; done; "
                  "$N scan fake.txt.gz; echo fake=$?");
  INFO(r.out);
  for (const char* want : {"ids.txt.gz!/ids.txt:1:5 no.fnr", "ids.txt.gz=1", "ids.txt.xz!/ids.txt:1:5 no.fnr",
                           "ids.txt.xz=1", "ids.txt.zst!/ids.txt:1:5 no.fnr", "ids.txt.zst=1",
                           "m.eml.gz!/m.eml:4:5 no.fnr", "m.eml.gz=1", "fake=2"})
    CHECK_THAT(r.out, Catch::Contains(want));
  // The message inside keeps its date in batch reports.
  Run b = Exec("batch -q --retention 30d --reference-date 2026-12-01 " + d + "/m.eml.gz --report " + d + "/rep");
  CHECK_THAT(ReadFile(d + "/rep/overdue.csv"), Catch::Contains(",hei,2024-01-01,date,"));
  fs::remove_all(d);
}

TEST_CASE("issue 12: a second signal aborts batch at once, findings.jsonl keeps whole lines", "[audit][batch][issue12]") {
  std::string d = TempDir("sigtwice");
  for (int i = 0; i < 5; ++i) {
    std::string body;
    for (int k = 0; k < 300; ++k) body += "fnr 15108695088\n";
    WriteFile(d + "/in/f" + std::to_string(i) + ".txt", body);
  }
  Run r = Bash(d,
               "NORDPII_TEST_INPUT_DELAY_MS=3000 $N batch -q --jobs 1 --held-bytes 1 in --report rep & p=$!\n"
               "for i in $(seq 100); do [ -s rep/findings.jsonl ] && break; sleep 0.05; done\n"
               "kill -TERM $p; sleep 0.3; kill -TERM $p; wait $p; echo rc=$?; ls -a rep");
  INFO(r.out);
  CHECK_THAT(r.out, Catch::Contains("stopping: finishing the inputs in progress"));
  CHECK_THAT(r.out, Catch::Contains("rc=143"));  // the second signal is re-raised
  CHECK(r.out.find(".worker-") == std::string::npos);
  std::string findings = ReadFile(d + "/rep/findings.jsonl");
  REQUIRE(!findings.empty());
  CHECK(findings.back() == '\n');
  size_t n = 0;
  for (const auto& l : Lines(findings)) n += nlohmann::json::accept(l) ? 1 : 0;
  CHECK(n == 300);  // the one input finished before the signals
  fs::remove_all(d);
}

TEST_CASE("issue 15: scan -q, types with a header, walks skip .git and batch's own report", "[audit][cli]") {
  std::string d = TempDir("walk");
  WriteFile(d + "/in/a.txt", "fnr 15108695088\n");
  WriteFile(d + "/in/.git/objects/x.txt", "fnr 15108695088\n");
  Run q = Exec("scan -q " + d + "/in");
  CHECK(q.code == 1);
  CHECK(q.out.empty());
  Run c = Exec("scan -c " + d + "/in");
  CHECK(Lines(c.out) == std::vector<std::string>{d + "/in/a.txt:1"});  // not .git/
  // A report directory inside the scanned tree: a rerun does not scan the last report.
  Run b1 = Exec("batch -q " + d + "/in --report " + d + "/in/rep");
  Run b2 = Exec("batch -q " + d + "/in --report " + d + "/in/rep");
  CHECK(b2.code == 1);
  auto s = nlohmann::json::parse(ReadFile(d + "/in/rep/summary.json"));
  CHECK(s["inputs"] == 1);
  Run t = Exec("types");
  REQUIRE(!Lines(t.out).empty());
  CHECK_THAT(Lines(t.out)[0], Catch::StartsWith("TYPE "));
  CHECK_THAT(Lines(t.out)[0], Catch::Contains(" CATEGORY "));
  fs::remove_all(d);
}

TEST_CASE("issue 15: a mistyped command gets a did-you-mean, never an echo of what was typed", "[audit][cli]") {
  Run r = Exec("scna samples/variants.txt");
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("unknown command; did you mean 'scan'?"));
  Run f = Exec("find-subjet --id 15108695088 samples/tickets");
  CHECK_THAT(f.out, Catch::Contains("did you mean 'find-subject'?"));
  Run n = Exec("15108695088");
  CHECK(n.code == 2);
  CHECK_THAT(n.out, Catch::Contains("unknown command (commands: version, scan, redact"));
  CHECK(n.out.find("15108695088") == std::string::npos);
}

TEST_CASE("issue 15: scan --format csv: one row per finding, RFC 4180, masked, events as rows", "[audit][cli]") {
  std::string d = TempDir("csv");
  WriteFile(d + "/in/kunde-15108695088, \"x\".eml",
            "Subject: =x, \"sak\" 15108695088\nDate: 1 Jan 2024 00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nfnr 15108695088\n"
            "--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=a.bin\n"
            "Content-Transfer-Encoding: base64\n\nAAECAwQFBgcICQ==\n--b--\n");  // no text in it: listed
  WriteFile(d + "/in/t.csv", "id,subject,body\n5,Konto,fnr 15108695088\n");
  Run r = Bash(d, "$N scan --format csv in > out.csv; echo rc=$?; /usr/bin/python3 -c \"\n"
                  "import csv\n"
                  "rows = list(csv.reader(open('out.csv', newline='')))\n"
                  "print('widths', sorted(set(len(r) for r in rows)))\n"
                  "print('header', ','.join(rows[0]))\n"
                  "for r in rows[1:]: print('row', r[0].split('/')[-1], r[3], r[6], r[9], r[10], r[11], r[13])\n\"");
  INFO(r.out);
  CHECK_THAT(r.out, Catch::Contains("rc=1"));
  CHECK_THAT(r.out, Catch::Contains("widths [14]"));
  CHECK_THAT(r.out, Catch::Contains("header path,line,column,type,category,confidence,masked,hash,message_id,ticket_id,"
                                    "date,subject,part,field"));
  CHECK_THAT(r.out, Catch::Contains("row kunde-151086*****, \"x\".eml no.fnr 151086*****  2024-01-01 '=x, \"sak\" 151086***** Subject"));
  CHECK_THAT(r.out, Catch::Contains("row t.csv no.fnr 151086***** 5  Konto body"));
  CHECK_THAT(r.out, Catch::Contains("event:attachment"));
  CHECK(ReadFile(d + "/out.csv").find("15108695088") == std::string::npos);
  // A random key is said once on stderr when the output has hashes.
  Run rnd = Bash(d, "env -u NORDPII_KEY $N scan --format jsonl in/t.csv 2>&1 >/dev/null | grep -c 'random key'; "
                    "env -u NORDPII_KEY $N scan --format text in/t.csv 2>&1 >/dev/null | grep -c 'random key'");
  CHECK(rnd.out == "1\n0\n");
  fs::remove_all(d);
}
