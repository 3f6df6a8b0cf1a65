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

Json CountsJson(const Counts& m) {
  Json o = Json::object();
  for (auto& [k, v] : m) o[k] = v;
  return o;
}

std::string TypesText(const BatchSummary::Doc& d) {
  std::string t;
  for (auto& [k, v] : d.Types()) t += (t.empty() ? "" : "; ") + k + " " + std::to_string(v);
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

ReportView MakeReportView(const BatchSummary& sum, const std::vector<std::string>& errors, size_t inputs,
                          uint64_t bytes, int retention_days, const std::string& date_field, const std::string& today,
                          const BatchReportInfo& info) {
  using Doc = BatchSummary::Doc;
  ReportView v;
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
  auto& top = v.top;
  for (auto& [k, d] : sum.docs) top.push_back(&d);
  auto by_findings = [](const Doc* a, const Doc* b) {
    if (a->findings != b->findings) return a->findings > b->findings;
    return std::tie(a->path, a->id) < std::tie(b->path, b->id);
  };
  size_t ntop = std::min<size_t>(top.size(), 20);
  std::partial_sort(top.begin(), top.begin() + static_cast<ptrdiff_t>(ntop), top.end(), by_findings);
  top.resize(ntop);
  // Overdue: kept longer than the retention period after its date; the
  // most overdue first, all of them (overdue.csv), the first in the summary.
  const long today_n = DayNumber(today);
  if (retention_days >= 0)
    for (auto& [k, d] : sum.docs) {
      long day = DayNumber(d.date());
      if (day >= 0 && day < today_n - retention_days) v.overdue.push_back({&d, today_n - day});
    }
  std::sort(v.overdue.begin(), v.overdue.end(), [](const ReportView::Late& a, const ReportView::Late& b) {
    if (a.age != b.age) return a.age > b.age;
    return std::tie(a.d->path, a.d->id) < std::tie(b.d->path, b.d->id);
  });
  return v;
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
  js["documents_with_findings"] = sum.docs.size();
  js["by_type"] = CountsJson(sum.by_type);
  js["by_category"] = CountsJson(sum.by_category);
  js["by_confidence"] = CountsJson(sum.by_confidence);
  js["by_month"] = CountsJson(sum.by_month);
  js["attachments_not_scanned"] = CountsJson(sum.attachments_by_type);
  Json top = Json::array();
  for (const BatchSummary::Doc* d : v.top) {
    Json t = Json::object();
    t["path"] = d->path;
    t["id"] = d->id;
    t["findings"] = d->findings;
    t["distinct_values"] = d->distinct();
    t["by_type"] = CountsJson(d->Types());
    top.push_back(std::move(t));
  }
  js["top"] = std::move(top);
  js["errors"] = *v.errors;
  if (v.retention_days >= 0) {
    const size_t json_rows = std::min(v.overdue.size(), kOverdueJsonRows);
    Json ret = Json::object();
    ret["days"] = v.retention_days;
    ret["today"] = v.today;
    ret["date_field"] = v.date_rule;
    ret["overdue"] = v.overdue.size();
    ret["shown"] = json_rows;
    ret["complete_list"] = "overdue.csv";
    Json items = Json::array();
    for (size_t i = 0; i < json_rows; ++i) {
      const BatchSummary::Doc& d = *v.overdue[i].d;
      Json it = Json::object();
      it["path"] = d.path;
      it["id"] = d.id;
      it["subject"] = d.subject;
      it["date"] = d.date();
      it["date_source"] = d.date_source;
      it["age_days"] = v.overdue[i].age;
      it["days_overdue"] = v.overdue[i].age - v.retention_days;
      it["findings"] = d.findings;
      it["distinct_values"] = d.distinct();
      it["by_type"] = CountsJson(d.Types());
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
  for (const ReportView::Late& l : v.overdue) {
    const BatchSummary::Doc& d = *l.d;
    buf += CsvCell(d.path) + ',' + CsvCell(d.id) + ',' + CsvCell(d.subject) + ',' + CsvCell(d.date()) + ',' +
           std::string(d.date_source) + ',' + std::to_string(l.age) + ',' + std::to_string(l.age - v.retention_days) +
           ',' + std::to_string(d.findings) + ',' + std::to_string(d.distinct()) + ',' + CsvCell(TypesText(d)) + "\r\n";
    if (buf.size() > (1 << 16)) {
      if (st = (*csv)->Write(buf); !st.ok()) return st;
      buf.clear();
    }
  }
  if (st = (*csv)->Write(buf); !st.ok()) return st;
  return (*csv)->Commit();
}

Status WriteSummary(const std::string& dir, const BatchSummary& sum, const std::vector<std::string>& errors,
                    size_t inputs, uint64_t bytes, int retention_days, const std::string& date_field,
                    const std::string& today, const BatchReportInfo& info) {
  const ReportView v = MakeReportView(sum, errors, inputs, bytes, retention_days, date_field, today, info);
  if (Status st = WriteSummaryJson(dir, v); !st.ok()) return st;
  if (Status st = WriteOverdueCsv(dir, v); !st.ok()) return st;
  return WriteReportHtml(dir, v);
}

}  // namespace nordpii
