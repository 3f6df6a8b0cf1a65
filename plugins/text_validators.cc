// SPDX-License-Identifier: Apache-2.0
// File: text_validators.cc
//
// Validators for values found after a keyword rather than by shape:
// `password` (the token after a password label) and `passport` (a
// passport-number shape after a passport label), plus `keyword`, which
// accepts every hit of a keyword list (GDPR Art. 9 special categories).
#include "checksum.h"

namespace {

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }

// A password is any token of 4-256 bytes (API keys and tokens are long);
// confidence is high when it does not look like a dictionary word (digits,
// symbols or mixed case), else medium.
int ValidatePassword(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  const char* s = in->value;
  size_t n = in->len;
  if (n < 4 || n > 256) return 0;
  // Our own redaction markers are not passwords: "[PASSWORD]", "********".
  if (s[0] == '[' && s[n - 1] == ']') return 0;
  size_t stars = 0;
  for (size_t i = 0; i < n; ++i) stars += s[i] == '*';
  if (stars == n) return 0;
  int classes = 0, upper = 0, lower = 0, digit = 0, other = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    if (IsUpper(c)) upper = 1;
    else if (IsLower(c)) lower = 1;
    else if (np_is_digit(c)) digit = 1;
    else other = 1;
  }
  classes = upper + lower + digit + other;
  int conf = classes >= 2 ? NORDPII_CONF_HIGH : NORDPII_CONF_MEDIUM;
  // The normalised value is the password itself (hashed, never printed).
  np_verdict(out, NORDPII_PLAUSIBLE, conf, NORDPII_RULE_FORMAT, nullptr, s, n);
  return 0;
}

// Nordic passport shapes: 2 letters + 7 digits (NO, FI), letter + 7 digits
// (IS), 8 or 9 digits (SE, DK); alphanumeric 8-9 (newer SE).
int ValidatePassport(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  const char* s = in->value;
  size_t n = in->len;
  if (n < 8 || n > 9) return 0;
  int letters = 0, digits = 0;
  for (size_t i = 0; i < n; ++i) {
    if (IsUpper(s[i])) ++letters;
    else if (np_is_digit(s[i])) ++digits;
    else return 0;
  }
  if (digits < 6) return 0;
  np_verdict(out, NORDPII_PLAUSIBLE, NORDPII_CONF_MEDIUM, NORDPII_RULE_FORMAT, nullptr, s, n);
  return 0;
}

// The date part of a masked national id: DDMMYY (NO, DK, FI, IS), YYMMDD or
// YYYYMMDD (SE). Plausible when one reading is a real date; no checksum is
// possible (spec §1.6).
int ValidatePartialId(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  const char* s = in->value;
  size_t n = in->len;
  if ((n != 6 && n != 8) || !np_all_digits(s, n)) return 0;
  bool ok;
  if (n == 8) {
    int y = np_num(s, 4);
    ok = y >= 1880 && y <= (in->ref_year > 0 ? in->ref_year : 2100) && np_date_ok(y, np_num(s + 4, 2), np_num(s + 6, 2));
  } else {
    int a = np_num(s, 2), b = np_num(s + 2, 2), c = np_num(s + 4, 2);
    ok = np_date_ok(1900 + c, b, a) || np_date_ok(2000 + c, b, a) ||  // DDMMYY
         np_date_ok(1900 + a, b, c) || np_date_ok(2000 + a, b, c);    // YYMMDD
  }
  if (!ok) return 0;
  np_verdict(out, NORDPII_PLAUSIBLE, NORDPII_CONF_LOW, NORDPII_RULE_DATE | NORDPII_RULE_NO_CHECKSUM,
             nullptr, s, n);
  return 0;
}

int ValidateKeyword(const nordpii_input* in, nordpii_verdict* out) {
  np_verdict(out, NORDPII_PLAUSIBLE, NORDPII_CONF_LOW, 0, nullptr, in->value, in->len);
  return 0;
}

}  // namespace

extern "C" const nordpii_validator nordpii_validator_password = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "password",
    "Password value written after a password keyword", ValidatePassword};
extern "C" const nordpii_validator nordpii_validator_passport = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "passport",
    "Passport-number shape next to a passport keyword", ValidatePassport};
extern "C" const nordpii_validator nordpii_validator_partial_id = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "partial_id",
    "Birth-date part of a masked national id (151086-*****)", ValidatePartialId};
extern "C" const nordpii_validator nordpii_validator_keyword = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "keyword",
    "Accepts every keyword hit (special-category terms)", ValidateKeyword};
