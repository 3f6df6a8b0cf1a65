// SPDX-License-Identifier: Apache-2.0
// Own date parser: glibc's strptime depends on the locale and knows neither
// the obsolete zone names nor 2-digit years of RFC 5322 section 4.3, and
// mimetic's DateTime (the MIME library Debian has) reports no errors, so a
// malformed Date would become a wrong date instead of "no date".
#include "batch/mail_meta.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <vector>

#include "mail/mime.h"
#include "normalize/transfer_decode.h"

namespace nordpii {

namespace {

// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yy + (m <= 2));
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int ToInt(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::string Lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

// "%04d-%02d-%02d" (snprintf per message was 0.6 % of an mbox scan, issue 14).
std::string IsoDate(int y, int m, int d) {
  if (y < 0 || y > 9999 || m < 0 || m > 99 || d < 0 || d > 99) {
    char b[48];
    std::snprintf(b, sizeof b, "%04d-%02d-%02d", y, m, d);
    return b;
  }
  const char b[10] = {static_cast<char>('0' + y / 1000),     static_cast<char>('0' + y / 100 % 10),
                      static_cast<char>('0' + y / 10 % 10),  static_cast<char>('0' + y % 10),
                      '-',                                    static_cast<char>('0' + m / 10),
                      static_cast<char>('0' + m % 10),       '-',
                      static_cast<char>('0' + d / 10),       static_cast<char>('0' + d % 10)};
  return std::string(b, sizeof b);
}

std::string HeaderValue(std::string_view msg, const HeaderField& h) {
  return UnfoldHeader(msg.substr(h.value, h.end - h.value));
}

}  // namespace

bool ParseMailDate(std::string_view v, int& year, int& month, int& day) {
  // Tokens: comments dropped, split at whitespace and commas.
  std::vector<std::string_view> tok;
  int depth = 0;
  size_t start = std::string_view::npos;
  for (size_t i = 0; i <= v.size(); ++i) {
    char c = i < v.size() ? v[i] : ' ';
    bool sep = c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n' || c == '(' || c == ')' || depth > 0;
    if (c == '(') ++depth;
    if (sep && start != std::string_view::npos) tok.push_back(v.substr(start, i - start)), start = std::string_view::npos;
    if (c == ')' && depth > 0) --depth;
    if (!sep && start == std::string_view::npos) start = i;
  }
  if (tok.size() > 16) return false;
  size_t i = 0;
  static const char* const kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  if (i < tok.size())
    for (const char* d : kDays)
      if (Lower(tok[i]).substr(0, 3) == d) { ++i; break; }
  if (tok.size() < i + 4) return false;
  std::string_view dd = tok[i], mon = tok[i + 1], yy = tok[i + 2], hms = tok[i + 3];
  static const char* const kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
  int m = 0;
  for (int k = 0; k < 12; ++k)
    if (Lower(mon) == kMonths[k]) m = k + 1;
  if (!AllDigits(dd) || dd.size() > 2 || m == 0 || !AllDigits(yy) || yy.size() < 2 || yy.size() > 4) return false;
  int d = ToInt(dd), y = ToInt(yy);
  if (yy.size() == 2) y += y < 50 ? 2000 : 1900;  // RFC 5322 4.3
  else if (yy.size() == 3) y += 1900;
  static const int kLen[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d < 1 || d > kLen[m - 1] + (m == 2 && leap)) return false;
  // hh:mm[:ss]
  int hms_v[3] = {0, 0, 0}, parts = 0;
  for (size_t a = 0; parts < 3;) {
    size_t b = hms.find(':', a);
    std::string_view p = hms.substr(a, b == std::string_view::npos ? std::string_view::npos : b - a);
    if (!AllDigits(p) || p.size() != 2) return false;
    hms_v[parts++] = ToInt(p);
    if (b == std::string_view::npos) break;
    a = b + 1;
    if (parts == 3) return false;
  }
  if (parts < 2 || hms_v[0] > 23 || hms_v[1] > 59 || hms_v[2] > 60) return false;
  // Zone: +hhmm / -hhmm, or a name; none or an unknown name counts as UTC
  // ("-0000" in RFC 5322 terms: the local offset is unknown).
  int offset_min = 0;
  if (tok.size() > i + 4) {
    std::string_view z = tok[i + 4];
    if ((z[0] == '+' || z[0] == '-') && z.size() == 5 && AllDigits(z.substr(1))) {
      int hh = ToInt(z.substr(1, 2)), mm = ToInt(z.substr(3, 2));
      if (mm > 59) return false;
      offset_min = (z[0] == '-' ? -1 : 1) * (hh * 60 + mm);
    } else {
      static const std::pair<const char*, int> kZones[] = {
          {"ut", 0},      {"utc", 0},     {"gmt", 0},   {"z", 0},      {"edt", -240}, {"est", -300},
          {"cdt", -300},  {"cst", -360},  {"mdt", -360}, {"mst", -420}, {"pdt", -420}, {"pst", -480},
          {"cet", 60},    {"met", 60},    {"cest", 120}, {"mest", 120}, {"eet", 120},  {"eest", 180},
          {"bst", 60},    {"wet", 0},     {"west", 60}};
      std::string lz = Lower(z);
      for (const auto& [name, off] : kZones)
        if (lz == name) offset_min = off;
    }
  }
  if (y < 1970 || y > 9999) return false;
  int64_t secs = DaysFromCivil(y, m, d) * 86400 + hms_v[0] * 3600 + hms_v[1] * 60 + hms_v[2] - offset_min * 60;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  CivilFromDays(days, year, month, day);
  return true;
}

std::string UtcDate(int64_t seconds) {
  int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  int y, m, d;
  CivilFromDays(days, y, m, d);
  return IsoDate(y, m, d);
}

MessageMeta ReadMessageMeta(std::string_view msg, int64_t mtime) {
  MessageMeta meta;
  const MimeEntity top = ParseTopHeaders(msg, MailLimits{});
  auto set = [&](int y, int m, int d, const char* source) {
    meta.date = IsoDate(y, m, d);
    meta.date_source = source;
  };
  {
    int y, m, d;
    if (const HeaderField* h = top.Find("Date"); h && ParseMailDate(HeaderValue(msg, *h), y, m, d)) {
      set(y, m, d, "date");
    } else {
      // The newest Received stamp: each Received ends with "; date-time".
      int64_t best = -1;
      for (const HeaderField& f : top.headers) {
        if (Lower(f.name) != "received") continue;
        std::string v = HeaderValue(msg, f);
        size_t semi = v.rfind(';');
        if (semi == std::string::npos || !ParseMailDate(std::string_view(v).substr(semi + 1), y, m, d)) continue;
        best = std::max<int64_t>(best, DaysFromCivil(y, m, d));
      }
      if (best >= 0) {
        CivilFromDays(best, y, m, d);
        set(y, m, d, "received");
      }
    }
    if (const HeaderField* h = top.Find("Subject")) {
      std::string s = DecodeEncodedWords(HeaderValue(msg, *h)).bytes;
      for (char& c : s)
        if (static_cast<unsigned char>(c) < 32 || c == 0x7F) c = ' ';
      size_t a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
      s = a == std::string::npos ? "" : s.substr(a, b - a + 1);
      if (s.size() > 200) {  // cut at a UTF-8 character boundary
        size_t cut = 200;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
        s.resize(cut);
      }
      meta.subject = std::move(s);
    }
  }
  if (meta.date.empty() && mtime >= 0) {
    meta.date = UtcDate(mtime);
    meta.date_source = "mtime";
  }
  return meta;
}

}  // namespace nordpii
