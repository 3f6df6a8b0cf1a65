// SPDX-License-Identifier: Apache-2.0
// File: se_validators.cc
//
// Swedish validators: personnummer/samordningsnummer (se_person) and
// organisationsnummer (se_orgnr). Rules: docs/identifiers.md §3.
#include "checksum.h"

namespace {

// 10 or 12 digits; Luhn over the 10-digit form; day+60 = samordningsnummer
// (month 00 / day 60 allowed only for those); `+` = 100 years or older.
int ValidateSePerson(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  const char* s = in->value;
  size_t n = in->len;
  if ((n != 10 && n != 12) || !np_all_digits(s, n)) return 0;
  const char* t = s + (n - 10);
  if (!np_luhn_ok(t, 10)) return 0;
  int yy = np_num(t, 2), month = np_num(t + 2, 2), day = np_num(t + 4, 2);
  const char* type = "se.pnr";
  if (day >= 60) { day -= 60; type = "se.snr"; }
  int year;
  if (n == 12) {
    year = np_num(s, 4);
    if (year < 1800 || year > in->ref_year) return 0;
  } else {
    int ref = in->ref_year > 0 ? in->ref_year : 2026;
    year = (ref / 100) * 100 + yy;
    if (year > ref) year -= 100;
    if (in->flags & NORDPII_INPUT_PLUS_SEPARATOR) year -= 100;
  }
  unsigned rules = NORDPII_RULE_CHECKSUM;
  if (type[3] == 's' && (month == 0 || day == 0)) {
    // Coordination numbers whose birth date is not established.
    if (month > 12) return 0;
  } else {
    if (!np_date_ok(year, month, day)) return 0;
    rules |= NORDPII_RULE_DATE;
  }
  char norm[12];
  int y4 = n == 12 ? np_num(s, 4) : year;
  norm[0] = (char)('0' + y4 / 1000 % 10); norm[1] = (char)('0' + y4 / 100 % 10);
  memcpy(norm + 2, t, 10);
  // Ten digits without a separator are also what Unix timestamps of the
  // 2020s look like (0.93 % of them pass): low, unless labelled.
  int conf = n == 12 ? NORDPII_CONF_HIGH
             : (in->flags & NORDPII_INPUT_SEPARATED) ? NORDPII_CONF_MEDIUM : NORDPII_CONF_LOW;
  // A coordination number without an established birth date has no date
  // to prove it: as ten plain digits (a KID, an order number) it needs a label.
  if (!(rules & NORDPII_RULE_DATE) && n == 10 && !(in->flags & NORDPII_INPUT_SEPARATED))
    rules |= NORDPII_RULE_NEEDS_CONTEXT;
  np_verdict(out, NORDPII_VALID, conf, rules,
             type, norm, 12);
  return 0;
}

// Organisationsnummer: 10 digits (or 16 + 10), Luhn, third digit >= 2.
int ValidateSeOrgnr(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  const char* s = in->value;
  size_t n = in->len;
  if (!np_all_digits(s, n)) return 0;
  if (n == 12) {
    if (s[0] != '1' || s[1] != '6') return 0;
    s += 2; n = 10;
  }
  if (n != 10 || s[2] < '2' || !np_luhn_ok(s, 10)) return 0;
  np_verdict(out, NORDPII_VALID, NORDPII_CONF_LOW,
             NORDPII_RULE_CHECKSUM | NORDPII_RULE_FORMAT | NORDPII_RULE_NEEDS_CONTEXT, nullptr,
             s, 10);
  return 0;
}

}  // namespace

extern "C" const nordpii_validator nordpii_validator_se_person = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "se_person",
    "Swedish personnummer and samordningsnummer (Luhn, date, + century)", ValidateSePerson};
extern "C" const nordpii_validator nordpii_validator_se_orgnr = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "se_orgnr",
    "Swedish organisationsnummer (Luhn, third digit >= 2)", ValidateSeOrgnr};
