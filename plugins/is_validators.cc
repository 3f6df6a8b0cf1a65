// SPDX-License-Identifier: Apache-2.0
// File: is_validators.cc
//
// Icelandic kennitala (is_kt): persons (is.kt) and organisations (is.kt_org,
// day + 40). A failing check digit lowers confidence but no longer rejects
// (Registers Iceland, 2026-02-18). Kerfiskennitala (first digit 8/9, random)
// are reported only with a keyword. Rules: docs/identifiers.md §6.
#include "checksum.h"

namespace {

int ValidateIsKt(const nordpii_input* in, nordpii_verdict* out) {
  static const int w[8] = {3, 2, 7, 6, 5, 4, 3, 2};
  np_invalid(out);
  const char* s = in->value;
  if (in->len != 10 || !np_all_digits(s, 10)) return 0;
  int c = s[9] - '0';
  if (c != 8 && c != 9 && c != 0) return 0;
  int century = c == 8 ? 1800 : c == 9 ? 1900 : 2000;
  int day = np_num(s, 2), month = np_num(s + 2, 2), yy = np_num(s + 4, 2);
  const char* type = "is.kt";
  if (day > 40) { day -= 40; type = "is.kt_org"; }
  int k = np_mod11_check(np_weighted(s, w, 8));
  bool check_ok = k >= 0 && k == s[8] - '0';
  if (!np_date_ok(century + yy, month, day)) {
    if (s[0] == '8' || s[0] == '9') {  // kerfiskennitala: random digits
      np_verdict(out, NORDPII_PLAUSIBLE, NORDPII_CONF_LOW,
                 NORDPII_RULE_FORMAT | NORDPII_RULE_NEEDS_CONTEXT, "is.kt", s, 10);
    }
    return 0;
  }
  unsigned rules = NORDPII_RULE_DATE | NORDPII_RULE_FORMAT;
  int conf = NORDPII_CONF_MEDIUM;
  if (check_ok) {
    rules |= NORDPII_RULE_CHECKSUM;
    if (!(in->flags & NORDPII_INPUT_SEPARATED)) conf = NORDPII_CONF_LOW;  // as dk_cpr
  } else {
    rules |= NORDPII_RULE_NO_CHECKSUM | NORDPII_RULE_NEEDS_CONTEXT;
    conf = NORDPII_CONF_LOW;
  }
  np_verdict(out, check_ok ? NORDPII_VALID : NORDPII_PLAUSIBLE, conf, rules, type, s, 10);
  return 0;
}

}  // namespace

extern "C" const nordpii_validator nordpii_validator_is_kt = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "is_kt",
    "Icelandic kennitala of persons and organisations", ValidateIsKt};
