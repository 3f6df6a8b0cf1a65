// SPDX-License-Identifier: Apache-2.0
// File: fi_validators.cc
//
// Finnish validators: henkilötunnus (fi_hetu, all century signs incl. the
// 2023 ones, mod-31 check character, temporary 900-999) and Y-tunnus
// (fi_ytunnus). Rules: docs/identifiers.md §5.
#include "checksum.h"

namespace {

const char kHetuCheck[] = "0123456789ABCDEFHJKLMNPRSTUVWXY";

char Upper(char c) { return (c >= 'a' && c <= 'z') ? (char)(c - 32) : c; }

// Value: DDMMYY C ZZZ Q (11 characters, any case).
int ValidateFiHetu(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  const char* s = in->value;
  if (in->len != 11 || !np_all_digits(s, 6) || !np_all_digits(s + 7, 3)) return 0;
  char sign = Upper(s[6]);
  int century;
  if (sign == '+') century = 1800;
  else if (sign == '-' || (sign >= 'U' && sign <= 'Y')) century = 1900;
  else if (sign >= 'A' && sign <= 'F') century = 2000;
  else return 0;
  int day = np_num(s, 2), month = np_num(s + 2, 2), yy = np_num(s + 4, 2);
  if (!np_date_ok(century + yy, month, day)) return 0;
  int serial = np_num(s + 7, 3);
  if (serial < 2) return 0;
  long long n = (long long)np_num(s, 6) * 1000 + serial;
  if (kHetuCheck[n % 31] != Upper(s[10])) return 0;
  unsigned rules = NORDPII_RULE_CHECKSUM | NORDPII_RULE_DATE;
  if (serial >= 900) rules |= NORDPII_RULE_TEMPORARY;
  char norm[11];
  for (int i = 0; i < 11; ++i) norm[i] = Upper(s[i]);
  // DDMMYY-NNNN (digit check, '-' sign) is also the SE/DK/IS shape: medium.
  bool distinctive = sign != '-' || !np_is_digit(s[10]);
  np_verdict(out, NORDPII_VALID, distinctive ? NORDPII_CONF_HIGH : NORDPII_CONF_MEDIUM, rules,
             nullptr, norm, 11);
  return 0;
}

// Y-tunnus: 8 digits, weights 7,9,10,5,8,4,2; r=0 -> 0, r=1 never issued.
int ValidateFiYtunnus(const nordpii_input* in, nordpii_verdict* out) {
  static const int w[7] = {7, 9, 10, 5, 8, 4, 2};
  np_invalid(out);
  const char* s = in->value;
  if (in->len != 8 || !np_all_digits(s, 8)) return 0;
  int r = np_weighted(s, w, 7) % 11;
  if (r == 1) return 0;
  int k = r == 0 ? 0 : 11 - r;
  if (k != s[7] - '0') return 0;
  np_verdict(out, NORDPII_VALID, NORDPII_CONF_LOW,
             NORDPII_RULE_CHECKSUM | NORDPII_RULE_NEEDS_CONTEXT, nullptr, s, 8);
  return 0;
}

}  // namespace

extern "C" const nordpii_validator nordpii_validator_fi_hetu = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "fi_hetu",
    "Finnish henkilötunnus (century sign incl. 2023 signs, mod-31 check)", ValidateFiHetu};
extern "C" const nordpii_validator nordpii_validator_fi_ytunnus = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "fi_ytunnus",
    "Finnish Y-tunnus business id (mod 11)", ValidateFiYtunnus};
