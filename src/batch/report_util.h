// SPDX-License-Identifier: Apache-2.0
// File: report_util.h
//
// Escaping for the report files (batch and find-subject): CSV cells and
// HTML text. These escape; they do not mask: what goes in is report text
// already (ShownText from the masking gate, or program text).
#ifndef NORDPII_BATCH_REPORT_UTIL_H_
#define NORDPII_BATCH_REPORT_UTIL_H_

#include <string>
#include <string_view>

namespace nordpii {

// One CSV cell (RFC 4180): quoted, with quotes doubled, when it holds a
// comma, a quote or a line break. A cell a spreadsheet would run as a
// formula (starting with = + - @, a tab or a CR) gets a leading apostrophe
// (OWASP's CSV-injection advice). Written here, not with a library:
// Debian's libcsv quotes but has no formula guard, and this is the whole of it.
inline std::string CsvCell(std::string_view s) {
  std::string v;
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
    v = "'";
  v.append(s);
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

// Text for HTML element content and quoted attribute values.
inline std::string HtmlText(std::string_view s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

// What a type id means, for a report's legend ("no.fnr": "Norwegian
// fødselsnummer"); types from pattern files of one's own get a generic text.
std::string_view TypeMeaning(std::string_view type);

}  // namespace nordpii

#endif  // NORDPII_BATCH_REPORT_UTIL_H_
