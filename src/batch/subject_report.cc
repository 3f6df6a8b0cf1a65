// SPDX-License-Identifier: Apache-2.0
#include "batch/subject_report.h"

#include "batch/report_util.h"
#include "nordpii_version.h"
#include "output/redactor.h"
#include "output/report_sink.h"

namespace nordpii {

namespace {

std::string Json(std::string_view s) {
  std::string o;
  AppendJsonString(o, s);
  return o;
}
std::string Json(const ShownText& s) { return Json(std::string_view(s.str())); }

std::string Joined(const std::vector<ShownText>& v, std::string_view sep) {
  std::string o;
  for (const auto& s : v) o += (o.empty() ? "" : std::string(sep)) + s.str();
  return o;
}

std::string TypesText(const SubjectDoc& d) {
  std::string t;
  for (const auto& [k, n] : d.types) t += (t.empty() ? "" : "; ") + k + " " + std::to_string(n);
  return t;
}

// Text cells: tabs and line breaks would break the row.
std::string Cell(std::string_view s) {
  std::string o(s);
  for (char& c : o)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return o.empty() ? "-" : o;
}

Status WriteWhole(const std::string& path, std::string_view bytes) {
  auto out = OutputFile::Open(path);
  if (!out) return out.error();
  if (Status st = (*out)->Write(bytes); !st.ok()) return st;
  return (*out)->Commit();
}

std::string DateText(const SubjectDoc& d) {
  std::string s = d.date.str().substr(0, 10);
  return s;
}

}  // namespace

std::string SubjectTextHeader() { return "input\tid\tdate\tsubject\tfields\tfindings\ttypes"; }

std::string SubjectTextRow(const SubjectDoc& d) {
  return Cell(d.path.str()) + '\t' + Cell(d.id.str()) + '\t' + Cell(DateText(d)) + '\t' + Cell(d.subject.str()) +
         '\t' + Cell(Joined(d.fields, ",")) + '\t' + std::to_string(d.findings) + '\t' + Cell(TypesText(d));
}

std::string SubjectJson(const SubjectDoc& d) {
  std::string j = "{\"path\":" + Json(d.path) + ",\"id\":" + Json(d.id) + ",\"date\":" + Json(d.date) +
                  ",\"date_source\":" + Json(d.date_source) + ",\"subject\":" + Json(d.subject) + ",\"fields\":[";
  for (size_t i = 0; i < d.fields.size(); ++i) j += (i ? "," : "") + Json(d.fields[i]);
  j += "],\"findings\":" + std::to_string(d.findings) + ",\"by_type\":{";
  bool first = true;
  for (const auto& [k, n] : d.types) j += (first ? "" : ",") + Json(k) + ":" + std::to_string(n), first = false;
  j += "},\"hashes\":[";
  first = true;
  for (const auto& h : d.hashes) j += (first ? "" : ",") + Json(h), first = false;
  return j + "]}";
}

std::string SubjectJsonDocument(const std::vector<SubjectDoc>& docs, const SubjectRun& run) {
  size_t findings = 0;
  for (const auto& d : docs) findings += d.findings;
  std::string j = "{\"nordpii_version\":\"" NORDPII_VERSION "\",\"run\":{\"date\":" + Json(run.run_date) +
                  ",\"key_id\":" + Json(run.key_id) + ",\"random_key\":" + (run.random_key ? "true" : "false") +
                  "},\"searched_hashes\":[";
  for (size_t i = 0; i < run.searched.size(); ++i) j += (i ? "," : "") + Json(run.searched[i]);
  j += "],\"inputs\":" + std::to_string(run.inputs) + ",\"errors\":" + std::to_string(run.errors) +
       ",\"documents\":" + std::to_string(docs.size()) + ",\"findings\":" + std::to_string(findings) + ",\"items\":[";
  for (size_t i = 0; i < docs.size(); ++i) j += (i ? "," : "") + SubjectJson(docs[i]);
  return j + "]}\n";
}

Status WriteSubjectReport(const std::string& dir, const std::vector<SubjectDoc>& docs, const SubjectRun& run) {
  std::string csv = "input,id,date,date_source,subject,fields,findings,types,hashes\r\n";
  for (const auto& d : docs) {
    std::string hashes;
    for (const auto& h : d.hashes) hashes += (hashes.empty() ? "" : " ") + h;
    csv += CsvCell(d.path.str()) + ',' + CsvCell(d.id.str()) + ',' + CsvCell(d.date.str()) + ',' + d.date_source +
           ',' + CsvCell(d.subject.str()) + ',' + CsvCell(Joined(d.fields, "; ")) + ',' + std::to_string(d.findings) +
           ',' + CsvCell(TypesText(d)) + ',' + hashes + "\r\n";
  }
  if (Status st = WriteWhole(dir + "/subject.csv", csv); !st.ok()) return st;
  if (Status st = WriteWhole(dir + "/subject.json", SubjectJsonDocument(docs, run)); !st.ok()) return st;
  size_t findings = 0;
  for (const auto& d : docs) findings += d.findings;
  std::string h =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>nordpii subject report</title><style>"
      "body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0}"
      "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}th{background:#eef}"
      "code{font-size:85%;word-break:break-all}"
      "</style></head><body><h1>Subject access / erasure report</h1>";
  h += "<p id=\"run\">Run " + HtmlText(run.run_date) + " UTC, nordpii " NORDPII_VERSION ", key id " +
       HtmlText(run.key_id) + (run.random_key ? " (random key: the hashes match only within this run)" : "") + ".</p>";
  h += "<p id=\"totals\">" + std::to_string(findings) + " findings in " + std::to_string(docs.size()) +
       " tickets/messages/files; " + std::to_string(run.inputs) + " inputs, " + std::to_string(run.errors) +
       " errors. The identifiers are never shown; track them by their keyed hashes.</p>";
  h += "<h2>Keyed hashes searched</h2><ul id=\"searched\">";
  for (const auto& s : run.searched) h += "<li><code>" + HtmlText(s) + "</code></li>";
  h += "</ul><h2>Where the person is mentioned</h2><table id=\"documents\"><thead><tr><th>input</th><th>id</th>"
       "<th>date</th><th>subject</th><th>fields</th><th>findings</th><th>types</th></tr></thead><tbody>";
  for (const auto& d : docs)
    h += "<tr><td>" + HtmlText(d.path.str()) + "</td><td>" + HtmlText(d.id.str()) + "</td><td>" +
         HtmlText(DateText(d)) + (d.date_source.empty() ? "" : " (" + HtmlText(d.date_source) + ")") + "</td><td>" +
         HtmlText(d.subject.str()) + "</td><td>" + HtmlText(Joined(d.fields, ", ")) + "</td><td>" +
         std::to_string(d.findings) + "</td><td>" + HtmlText(TypesText(d)) + "</td></tr>";
  h += "</tbody></table><h2>Type ids</h2><table id=\"legend\"><tbody>";
  std::map<std::string, size_t> all;
  for (const auto& d : docs)
    for (const auto& [k, n] : d.types) all[k] += n;
  for (const auto& [k, n] : all) h += "<tr><td>" + HtmlText(k) + "</td><td>" + HtmlText(TypeMeaning(k)) + "</td></tr>";
  h += "</tbody></table><footer><p>nordpii " NORDPII_VERSION "</p></footer></body></html>\n";
  return WriteWhole(dir + "/subject.html", h);
}

}  // namespace nordpii
