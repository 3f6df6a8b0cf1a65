// SPDX-License-Identifier: Apache-2.0
// File: report_text.h
//
// Escaping for report files and outputs: CSV cells and HTML text. These
// escape; they do not mask: what goes in is report text already (ShownText
// from the masking gate, or program text).
#ifndef NORDPII_OUTPUT_REPORT_TEXT_H_
#define NORDPII_OUTPUT_REPORT_TEXT_H_

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

}  // namespace nordpii

#endif  // NORDPII_OUTPUT_REPORT_TEXT_H_
