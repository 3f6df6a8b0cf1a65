// SPDX-License-Identifier: Apache-2.0
// report.html: a self-contained page (inline CSS, SVG charts and a sorting
// script; no external assets), and the type legend shared by the reports.
#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "batch/report_util.h"
#include "batch/summary_writer.h"
#include "nordpii_version.h"

namespace fs = std::filesystem;

namespace nordpii {

namespace {

constexpr size_t kOverdueHtmlRows = 1000;

std::string Html(std::string_view s) { return HtmlText(s); }

// A horizontal bar chart as inline SVG.
std::string Bars(const std::vector<std::pair<std::string, size_t>>& rows) {
  if (rows.empty()) return "<p>none</p>";
  size_t mx = 1;
  for (auto& r : rows) mx = std::max(mx, r.second);
  int h = static_cast<int>(rows.size()) * 22 + 4;
  std::string s = "<svg class=\"chart\" width=\"640\" height=\"" + std::to_string(h) + "\" role=\"img\">";
  int y = 2;
  for (auto& [label, n] : rows) {
    int w = static_cast<int>(400.0 * static_cast<double>(n) / static_cast<double>(mx)) + 1;
    s += "<text x=\"0\" y=\"" + std::to_string(y + 15) + "\">" + Html(label.substr(0, 28)) + "</text>";
    s += "<rect x=\"190\" y=\"" + std::to_string(y + 2) + "\" width=\"" + std::to_string(w) +
         "\" height=\"16\" fill=\"#3a6ea5\"></rect>";
    s += "<text x=\"" + std::to_string(196 + w) + "\" y=\"" + std::to_string(y + 15) + "\">" + std::to_string(n) +
         "</text>";
    y += 22;
  }
  return s + "</svg>";
}

}  // namespace

std::string_view TypeMeaning(std::string_view type) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {"no.fnr", "Norwegian fødselsnummer"},
      {"no.dnr", "Norwegian D-nummer"},
      {"no.hnr", "Norwegian H-nummer / FH-nummer"},
      {"se.pnr", "Swedish personnummer"},
      {"se.snr", "Swedish samordningsnummer"},
      {"dk.cpr", "Danish CPR-nummer"},
      {"fi.hetu", "Finnish henkilötunnus"},
      {"is.kt", "Icelandic kennitala (person)"},
      {"partial-id", "national id with its individual part masked (birth date still identifies)"},
      {"iban", "IBAN (Nordic countries)"},
      {"no.account", "Norwegian bank account number"},
      {"card", "payment card number"},
      {"password", "password after a label or in a password field"},
      {"passport", "passport number after a label"},
      {"no.orgnr", "Norwegian organisation number"},
      {"se.orgnr", "Swedish organisation number"},
      {"dk.cvr", "Danish CVR number"},
      {"fi.ytunnus", "Finnish Y-tunnus"},
      {"is.kt_org", "Icelandic kennitala (organisation)"},
      {"email", "e-mail address"},
      {"phone", "phone number"}};
  for (const auto& [k, v] : kTypes)
    if (k == type) return v;
  if (type.substr(0, 8) == "special.") return "special category of personal data (GDPR Art. 9/10)";
  return "defined by a pattern file";
}

Status WriteReportHtml(const std::string& dir, const ReportView& v) {
  const BatchSummary& sum = *v.sum;
  const BatchReportInfo& info = v.info;
  const auto& by_type = sum.by_type;
  const auto& by_category = sum.by_category;
  const auto& by_month = sum.by_month;
  const size_t total = sum.total;
  const size_t inputs = v.inputs;
  const uint64_t bytes = v.bytes;
  const int retention_days = v.retention_days;
  const std::string& run_date = v.run_date;
  const std::string& date_rule = v.date_rule;
  const auto& overdue = v.overdue;
  const auto& top = v.top;
  const std::vector<std::string>& errors = *v.errors;
  auto types_text = [](const BatchSummary::DocRow& d) {
    std::string t;
    for (auto& [k, n] : d.types) t += (t.empty() ? "" : "; ") + k + " " + std::to_string(n);
    return t;
  };
  auto rows = [](const Counts& m, bool by_count) {
    std::vector<std::pair<std::string, size_t>> v(m.begin(), m.end());
    if (by_count) std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
    return v;
  };
  auto count_table = [&](const char* id, const char* what, const Counts& m) {
    std::string t = std::string("<table id=\"") + id + "\" class=\"sortable\"><thead><tr><th>" + what +
                    "</th><th>findings</th></tr></thead><tbody>";
    for (auto& [k, v] : rows(m, true)) t += "<tr><td>" + Html(k) + "</td><td>" + std::to_string(v) + "</td></tr>";
    return t + "</tbody></table>";
  };
  std::string h =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>nordpii report</title><style>"
      "body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0}"
      "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.chart text{font-size:12px}"
      "th{background:#eef;cursor:pointer}.warn{background:#fff3cd;border:1px solid #e0c060;padding:.5em}"
      "dl.run{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}dl.run dt{font-weight:bold}"
      "dl.run dd{margin:0}"
      "</style></head><body><h1>nordpii report</h1>";
  h += "<dl class=\"run\" id=\"run\"><dt>run</dt><dd>" + Html(run_date) + " UTC</dd><dt>version</dt><dd>nordpii " +
       NORDPII_VERSION "</dd><dt>options</dt><dd>" + Html(info.options.empty() ? "(defaults)" : info.options) +
       "</dd><dt>key id</dt><dd>" + Html(info.key_id.empty() ? "not recorded" : info.key_id) +
       (info.random_key ? " (random key: hashes match only within this report)" : "") + "</dd></dl>";
  if (info.interrupted)
    h += "<p class=\"warn\" id=\"interrupted\">Interrupted: this report covers " + std::to_string(info.inputs_done) +
         " of " + std::to_string(inputs) + " inputs.</p>";
  h += "<p id=\"totals\">" + std::to_string(total) + " findings in " + std::to_string(v.documents) +
       " tickets/messages/files; " + std::to_string(inputs) + " inputs, " + HumanBytes(bytes) + "; " +
       std::to_string(errors.size()) + " errors. Values are never shown.</p>";
  if (retention_days >= 0) {
    const size_t html_rows = std::min(v.overdue_count, kOverdueHtmlRows);
    h += "<h2 id=\"overdue\">Retention: " + std::to_string(v.overdue_count) +
         " overdue (personal data kept more than " + std::to_string(retention_days) + " days after " +
         Html(date_rule) + ")</h2><p id=\"overdue-shown\">Showing the " + std::to_string(html_rows) +
         " most overdue of " + std::to_string(v.overdue_count) +
         "; the complete list is in <a href=\"overdue.csv\">overdue.csv</a>.</p>"
         "<table id=\"retention\" class=\"sortable\"><thead><tr><th>input</th><th>id</th><th>subject</th><th>date</th>"
         "<th>date source</th><th>days overdue</th><th>findings</th><th>distinct values</th><th>types</th></tr>"
         "</thead><tbody>";
    for (size_t i = 0; i < html_rows; ++i) {
      const BatchSummary::DocRow& d = overdue[i].d;
      h += "<tr><td>" + Html(d.path) + "</td><td>" + Html(d.id) + "</td><td>" + Html(d.subject) + "</td><td>" +
           Html(std::string_view(d.date).substr(0, 10)) + "</td><td>" + Html(d.date_source) + "</td><td>" +
           std::to_string(overdue[i].age - retention_days) + "</td><td>" + std::to_string(d.findings) + "</td><td>" +
           std::to_string(d.distinct) + "</td><td>" + Html(types_text(d)) + "</td></tr>";
    }
    h += "</tbody></table>";
  }
  h += "<h2>Findings per type</h2>" + Bars(rows(by_type, true));
  h += "<h2>Findings per category and confidence</h2>" + count_table("by-category", "category", by_category) +
       count_table("by-confidence", "confidence", sum.by_confidence);
  h += "<h2>Findings per month (ticket or message date)</h2>" + Bars(rows(by_month, false));
  std::vector<std::pair<std::string, size_t>> toprows;
  for (auto& d : top) toprows.push_back({d.id.empty() ? fs::path(d.path).filename().string() : d.id, d.findings});
  h += "<h2>Top tickets and messages</h2>" + Bars(toprows);
  h += "<table id=\"top\" class=\"sortable\"><thead><tr><th>input</th><th>id</th><th>findings</th>"
       "<th>distinct values</th></tr></thead><tbody>";
  for (auto& d : top)
    h += "<tr><td>" + Html(d.path) + "</td><td>" + Html(d.id) + "</td><td>" + std::to_string(d.findings) +
         "</td><td>" + std::to_string(d.distinct) + "</td></tr>";
  h += "</tbody></table>";
  h += "<h2>Type ids</h2><table id=\"legend\"><thead><tr><th>type</th><th>what it is</th></tr></thead><tbody>";
  for (auto& [k, v] : by_type) h += "<tr><td>" + Html(k) + "</td><td>" + Html(TypeMeaning(k)) + "</td></tr>";
  h += "</tbody></table>";
  if (!errors.empty()) {
    h += "<h2>Errors</h2><ul>";
    for (auto& e : errors) h += "<li>" + Html(e) + "</li>";
    h += "</ul>";
  }
  // Sortable tables: a click on a header sorts by that column (numbers as
  // numbers). Inline, no external assets.
  h += "<script>document.querySelectorAll('table.sortable th').forEach(function(th,i){th.addEventListener('click',"
       "function(){var tb=th.closest('table').tBodies[0],r=Array.from(tb.rows),d=th.dataset.d=th.dataset.d=='a'?'d':'a';"
       "r.sort(function(x,y){var a=x.cells[i].textContent,b=y.cells[i].textContent,n=parseFloat(a)-parseFloat(b);"
       "var c=isNaN(n)?a.localeCompare(b):n;return d=='a'?c:-c;});r.forEach(function(e){tb.appendChild(e);});});});"
       "</script>";
  h += "<footer><p>nordpii " NORDPII_VERSION "</p></footer></body></html>\n";
  return WriteWhole(dir + "/report.html", h);
}

}  // namespace nordpii
