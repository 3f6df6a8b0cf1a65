// SPDX-License-Identifier: Apache-2.0
// summary.json (nlohmann-json, keys in the order written) and overdue.csv.
#include "batch/summary_writer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <tuple>

#include "nordpii_version.h"
#include "output/redactor.h"
#include "output/report_text.h"

namespace nordpii {

namespace {

using Json = nlohmann::ordered_json;  // keys in insertion order, as the schema documents them

// Days since 1970-01-01 of a "YYYY-MM-DD..." date, or -1.
long DayNumber(std::string_view d) {
  int y, m, dd;
  if (d.size() < 10 || std::sscanf(std::string(d.substr(0, 10)).c_str(), "%4d-%2d-%2d", &y, &m, &dd) != 3) return -1;
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(dd) - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long>(doe) - 719468;
}

constexpr size_t kOverdueJsonRows = 10000;

template <typename M>
Json CountsJson(const M& m) {
  Json o = Json::object();
  for (auto& [k, v] : m) o[k] = v;
  return o;
}

std::string TypesText(const BatchSummary::DocRow& d) {
  std::string t;
  for (auto& [k, v] : d.types) t += (t.empty() ? "" : "; ") + k + " " + std::to_string(v);
  return t;
}

}  // namespace

std::string NowUtc() {
  std::time_t now = std::time(nullptr);
  if (const char* e = std::getenv("SOURCE_DATE_EPOCH"); e && *e && std::strspn(e, "0123456789") == std::strlen(e))
    now = static_cast<std::time_t>(std::strtoll(e, nullptr, 10));
  std::tm tm{};
  gmtime_r(&now, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", &tm);
  return b;
}

std::string TodayUtc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char b[16];
  std::strftime(b, sizeof b, "%Y-%m-%d", &tm);
  return b;
}

Status WriteWhole(const std::string& path, std::string_view bytes) {
  auto out = OutputFile::Open(path);
  if (!out) return out.error();
  if (Status st = (*out)->Write(bytes); !st.ok()) return st;
  return (*out)->Commit();
}

std::string HumanBytes(uint64_t n) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(n);
  int i = 0;
  while (v >= 1000 && i < 5) v /= 1000, ++i;
  char b[32];
  if (i == 0) std::snprintf(b, sizeof b, "%llu B", static_cast<unsigned long long>(n));
  else std::snprintf(b, sizeof b, "%.1f %s", v, kUnits[i]);
  return b;
}

Status MakeReportView(BatchSummary& sum, const std::vector<std::string>& errors, size_t inputs, uint64_t bytes,
                      int retention_days, const std::string& date_field, const std::string& today,
                      const BatchReportInfo& info, ReportView& v) {
  using DocRow = BatchSummary::DocRow;
  v.sum = &sum;
  v.errors = &errors;
  v.inputs = inputs;
  v.bytes = bytes;
  v.retention_days = retention_days;
  v.today = today;
  v.info = info;
  v.run_date = info.run_date.empty() ? NowUtc() : info.run_date;
  v.date_rule = date_field.empty() ? "closed, else updated; mail: Date, else newest Received, else file time"
                                   : date_field + "; mail: Date, else newest Received, else file time";
  // One pass over the documents, ordered by (path, id): counted, the top
  // 20 kept (a short sorted list), the overdue ones to the retention list
  // (held, or sorted in runs on disk past its bound).
  auto by_findings = [](const DocRow& a, const DocRow& b) {
    if (a.findings != b.findings) return a.findings > b.findings;
    return std::tie(a.path, a.id) < std::tie(b.path, b.id);
  };
  constexpr size_t kTop = 20;
  // Overdue: kept longer than the retention period after its date; the
  // most overdue first, all of them (overdue.csv), the first in the summary.
  const long today_n = DayNumber(today);
  if (retention_days >= 0) v.overdue_all = std::make_shared<DocRowsByAge>(sum.spill());
  Status st = sum.ForEachDoc([&](DocRow& d) {
    ++v.documents;
    if (v.top.size() < kTop || by_findings(d, v.top.back())) {
      auto at = std::upper_bound(v.top.begin(), v.top.end(), d, by_findings);
      DocRow c;
      c.path = d.path, c.id = d.id, c.subject = d.subject, c.date = d.date, c.date_source = d.date_source;
      c.findings = d.findings, c.distinct = d.distinct, c.types = d.types;
      v.top.insert(at, std::move(c));
      if (v.top.size() > kTop) v.top.pop_back();
    }
    if (retention_days >= 0) {
      long day = DayNumber(d.date);
      if (day >= 0 && day < today_n - retention_days) return v.overdue_all->Add(d, today_n - day);
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (!v.overdue_all) return Status::Ok();
  v.overdue_count = v.overdue_all->size();
  return v.overdue_all->ForEach([&](const DocRow& d, long age) {
    if (v.overdue.size() >= kOverdueJsonRows) return false;
    v.overdue.push_back({d, age});
    return true;
  });
}

Status WriteSummaryJson(const std::string& dir, const ReportView& v) {
  const BatchSummary& sum = *v.sum;
  const BatchReportInfo& info = v.info;
  Json js = Json::object();
  js["nordpii_version"] = NORDPII_VERSION;
  Json run = Json::object();
  run["date"] = v.run_date;
  run["options"] = info.options;
  run["key_id"] = info.key_id;
  run["random_key"] = info.random_key;
  run["interrupted"] = info.interrupted;
  if (info.allowed >= 0) run["allowed"] = info.allowed;
  js["run"] = std::move(run);
  if (info.interrupted) {
    js["interrupted"] = true;
    js["inputs_done"] = info.inputs_done;
  }
  js["inputs"] = v.inputs;
  js["bytes"] = v.bytes;
  js["size"] = HumanBytes(v.bytes);
  js["findings"] = sum.total;
  js["events"] = sum.events;
  js["documents_with_findings"] = v.documents;
  js["by_type"] = CountsJson(sum.by_type);
  js["by_category"] = CountsJson(sum.by_category);
  js["by_confidence"] = CountsJson(sum.by_confidence);
  js["by_month"] = CountsJson(sum.by_month);
  js["attachments_not_scanned"] = CountsJson(sum.attachments_by_type);
  Json top = Json::array();
  for (const BatchSummary::DocRow& d : v.top) {
    Json t = Json::object();
    t["path"] = d.path;
    t["id"] = d.id;
    t["findings"] = d.findings;
    t["distinct_values"] = d.distinct;
    t["by_type"] = CountsJson(d.types);
    top.push_back(std::move(t));
  }
  js["top"] = std::move(top);
  js["errors"] = *v.errors;
  if (v.retention_days >= 0) {
    const size_t json_rows = std::min(v.overdue_count, kOverdueJsonRows);
    Json ret = Json::object();
    ret["days"] = v.retention_days;
    ret["today"] = v.today;
    ret["date_field"] = v.date_rule;
    ret["overdue"] = v.overdue_count;
    ret["shown"] = json_rows;
    ret["complete_list"] = "overdue.csv";
    Json items = Json::array();
    for (size_t i = 0; i < json_rows; ++i) {
      const BatchSummary::DocRow& d = v.overdue[i].d;
      Json it = Json::object();
      it["path"] = d.path;
      it["id"] = d.id;
      it["subject"] = d.subject;
      it["date"] = d.date;
      it["date_source"] = d.date_source;
      it["age_days"] = v.overdue[i].age;
      it["days_overdue"] = v.overdue[i].age - v.retention_days;
      it["findings"] = d.findings;
      it["distinct_values"] = d.distinct;
      it["by_type"] = CountsJson(d.types);
      items.push_back(std::move(it));
    }
    ret["items"] = std::move(items);
    js["retention"] = std::move(ret);
  }
  // Compact, as findings.jsonl. Bytes that are not UTF-8 (a file name in
  // another encoding) become U+FFFD: summary.json stays valid JSON.
  std::string text = js.dump(-1, ' ', false, Json::error_handler_t::replace);
  text += '\n';
  return WriteWhole(dir + "/summary.json", text);
}

Status WriteOverdueCsv(const std::string& dir, const ReportView& v) {
  if (v.retention_days < 0) return Status::Ok();
  // Every overdue document, streamed (a list of millions need not be
  // held as one string). The texts are the report's: masked when written
  // to findings.jsonl (ShownText), never raw.
  auto csv = OutputFile::Open(dir + "/overdue.csv");
  if (!csv) return csv.error();
  std::string buf = "input,id,subject,date,date_source,age_days,days_overdue,findings,distinct_values,types\r\n";
  Status st;
  Status read = v.overdue_all->ForEach([&](const BatchSummary::DocRow& d, long age) {
    buf += CsvCell(d.path) + ',' + CsvCell(d.id) + ',' + CsvCell(d.subject) + ',' + CsvCell(d.date) + ',' +
           std::string(d.date_source) + ',' + std::to_string(age) + ',' + std::to_string(age - v.retention_days) +
           ',' + std::to_string(d.findings) + ',' + std::to_string(d.distinct) + ',' + CsvCell(TypesText(d)) + "\r\n";
    if (buf.size() > (1 << 16)) {
      if (st = (*csv)->Write(buf); !st.ok()) return false;
      buf.clear();
    }
    return true;
  });
  if (!read.ok()) return read;
  if (!st.ok()) return st;
  if (st = (*csv)->Write(buf); !st.ok()) return st;
  return (*csv)->Commit();
}

Status WriteSummary(const std::string& dir, BatchSummary& sum, const std::vector<std::string>& errors,
                    size_t inputs, uint64_t bytes, int retention_days, const std::string& date_field,
                    const std::string& today, const BatchReportInfo& info) {
  ReportView v;
  if (Status st = MakeReportView(sum, errors, inputs, bytes, retention_days, date_field, today, info, v); !st.ok())
    return st;
  if (Status st = WriteSummaryJson(dir, v); !st.ok()) return st;
  if (Status st = WriteOverdueCsv(dir, v); !st.ok()) return st;
  return WriteReportHtml(dir, v);
}

}  // namespace nordpii
