// SPDX-License-Identifier: Apache-2.0
// File: no_validators.cc
//
// Norwegian validators: fødselsnummer family (no_person), organisasjonsnummer
// (no_orgnr) and bank kontonummer (no_account). Rules: docs/
// identifiers.md §2 (1964 and 2032 check-digit rules, D/H/FH/Tenor kinds).
#include "checksum.h"

namespace {

const int kW1[9] = {3, 7, 6, 1, 8, 9, 4, 5, 2};
const int kW2[10] = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};

// NO person numbers. Accepts the 2032 rule (a superset of the 1964 rule) and
// a day/month that exists in 19YY or 20YY after the D (+40), H (+40) and
// Tenor (+80) offsets; FH numbers (d1 8/9) by checksum only.
int ValidateNoPerson(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  const char* s = in->value;
  if (in->len != 11 || !np_all_digits(s, 11)) return 0;
  int s1 = np_weighted(s, kW1, 9) + (s[9] - '0');
  int s2 = np_weighted(s, kW2, 10) + (s[10] - '0');
  if (s2 % 11 != 0) return 0;
  int r1 = s1 % 11;
  if (r1 > 3) return 0;
  unsigned rules = NORDPII_RULE_CHECKSUM;
  int conf = NORDPII_CONF_MEDIUM;
  if (r1 != 0) {  // valid only under the 2032 rule: not issued before 2032
    rules |= NORDPII_RULE_RULE_2032;
    conf = NORDPII_CONF_LOW;
  }
  int d1 = s[0] - '0';
  if (d1 >= 8) {  // FH-nummer: no date, checksum only
    np_verdict(out, NORDPII_VALID, NORDPII_CONF_LOW, rules, "no.hnr", s, 11);
    return 0;
  }
  int day = np_num(s, 2), month = np_num(s + 2, 2), yy = np_num(s + 4, 2);
  const char* type = "no.fnr";
  if (day > 40) { day -= 40; type = "no.dnr"; }
  if (month > 80) { month -= 80; rules |= NORDPII_RULE_TEST; }
  else if (month > 40) { month -= 40; if (type[3] == 'f') type = "no.hnr"; }
  if (!np_date_ok(1900 + yy, month, day) && !np_date_ok(2000 + yy, month, day)) return 0;
  rules |= NORDPII_RULE_DATE;
  np_verdict(out, NORDPII_VALID, conf, rules, type, s, 11);
  return 0;
}

// Organisasjonsnummer: 9 digits, weights 3,2,7,6,5,4,3,2, check 10 never issued.
int ValidateNoOrgnr(const nordpii_input* in, nordpii_verdict* out) {
  static const int w[8] = {3, 2, 7, 6, 5, 4, 3, 2};
  np_invalid(out);
  const char* s = in->value;
  if (in->len != 9 || !np_all_digits(s, 9)) return 0;
  int k = np_mod11_check(np_weighted(s, w, 8));
  if (k < 0 || k != s[8] - '0') return 0;
  // Enhetsregisteret numbers start with 8 or 9 in practice (a signal only).
  int conf = (s[0] == '8' || s[0] == '9') ? NORDPII_CONF_MEDIUM : NORDPII_CONF_LOW;
  np_verdict(out, NORDPII_VALID, conf,
             NORDPII_RULE_CHECKSUM | NORDPII_RULE_NEEDS_CONTEXT, nullptr, s, 9);
  return 0;
}

// Kontonummer: 11 digits, weights 5,4,3,2,7,6,5,4,3,2, mod 11, 10 not issued.
int ValidateNoAccount(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  const char* s = in->value;
  if (in->len != 11 || !np_all_digits(s, 11)) return 0;
  int k = np_mod11_check(np_weighted(s, kW2, 10));
  if (k < 0 || k != s[10] - '0') return 0;
  // 9 % of random 11-digit strings pass: needs a keyword to be reported.
  np_verdict(out, NORDPII_VALID, NORDPII_CONF_LOW,
             NORDPII_RULE_CHECKSUM | NORDPII_RULE_NEEDS_CONTEXT, nullptr, s, 11);
  return 0;
}

}  // namespace

extern "C" const nordpii_validator nordpii_validator_no_person = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "no_person",
    "Norwegian fødselsnummer, D-, H-, FH- and Tenor test numbers (1964 and 2032 rules)",
    ValidateNoPerson};
extern "C" const nordpii_validator nordpii_validator_no_orgnr = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "no_orgnr",
    "Norwegian organisasjonsnummer (mod 11)", ValidateNoOrgnr};
extern "C" const nordpii_validator nordpii_validator_no_account = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "no_account",
    "Norwegian bank kontonummer (mod 11)", ValidateNoAccount};
