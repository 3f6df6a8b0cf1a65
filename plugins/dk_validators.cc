// SPDX-License-Identifier: Apache-2.0
// File: dk_validators.cc
//
// Danish validators: CPR-nummer (dk_cpr) and CVR-nummer (dk_cvr).
// Rules: docs/identifiers.md §4. Modulus 11 on CPR only raises
// confidence: numbers without it have been issued since 2007.
#include "checksum.h"

namespace {

int CprYear(int yy, int d7) {
  if (d7 <= 3) return 1900 + yy;
  if (d7 == 4 || d7 == 9) return yy <= 36 ? 2000 + yy : 1900 + yy;
  return yy <= 57 ? 2000 + yy : 1800 + yy;  // 5-8
}

int ValidateDkCpr(const nordpii_input* in, nordpii_verdict* out) {
  static const int w[10] = {4, 3, 2, 7, 6, 5, 4, 3, 2, 1};
  np_invalid(out);
  const char* s = in->value;
  if (in->len != 10 || !np_all_digits(s, 10)) return 0;
  int day = np_num(s, 2), month = np_num(s + 2, 2), yy = np_num(s + 4, 2);
  int year = CprYear(yy, s[6] - '0');
  if (!np_date_ok(year, month, day)) return 0;
  // A birth date after the reference date has not been issued yet.
  if (in->ref_year > 0 &&
      (year > in->ref_year ||
       (year == in->ref_year && (month > in->ref_month ||
                                 (month == in->ref_month && day > in->ref_day)))))
    return 0;
  unsigned rules = NORDPII_RULE_DATE;
  int conf = NORDPII_CONF_MEDIUM;
  if (np_weighted(s, w, 10) % 11 == 0) {
    rules |= NORDPII_RULE_CHECKSUM;
    // Ten digits without the hyphen: timestamps and Swedish mobiles pass the
    // date rule at 15-18 %; low unless labelled.
    if (!(in->flags & NORDPII_INPUT_SEPARATED)) conf = NORDPII_CONF_LOW;
  } else {
    // 3.65 % of random 10-digit strings: never report without a label.
    rules |= NORDPII_RULE_NO_CHECKSUM | NORDPII_RULE_NEEDS_CONTEXT;
    conf = NORDPII_CONF_LOW;
  }
  np_verdict(out, NORDPII_PLAUSIBLE + ((rules & NORDPII_RULE_CHECKSUM) ? 1 : 0), conf, rules,
             nullptr, s, 10);
  return 0;
}

int ValidateDkCvr(const nordpii_input* in, nordpii_verdict* out) {
  static const int w[8] = {2, 7, 6, 5, 4, 3, 2, 1};
  np_invalid(out);
  const char* s = in->value;
  if (in->len != 8 || !np_all_digits(s, 8) || s[0] == '0') return 0;
  if (np_weighted(s, w, 8) % 11 != 0) return 0;
  np_verdict(out, NORDPII_VALID, NORDPII_CONF_LOW,
             NORDPII_RULE_CHECKSUM | NORDPII_RULE_NEEDS_CONTEXT, nullptr, s, 8);
  return 0;
}

}  // namespace

extern "C" const nordpii_validator nordpii_validator_dk_cpr = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "dk_cpr",
    "Danish CPR-nummer (date + century digit; modulus 11 raises confidence)", ValidateDkCpr};
extern "C" const nordpii_validator nordpii_validator_dk_cvr = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "dk_cvr",
    "Danish CVR-nummer (mod 11)", ValidateDkCvr};
