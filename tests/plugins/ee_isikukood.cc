// SPDX-License-Identifier: Apache-2.0
// File: ee_isikukood.cc
//
// A new identifier type added with data and this one validator file only
// (issue 13): the Estonian personal code (isikukood), GYYMMDDSSSC — G the
// century and sex (1-8), the birth date, a serial and a check digit
// (weights 1..9,1, else 3..9,1,2,3, mod 11; 10 means 0). Built as a
// --plugin shared object; the pattern data is written by the test
// (tests/ee_isikukood_test.py). python-stdnum's ee.ik is the oracle.
#include "checksum.h"

namespace {

bool LeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int ValidateIsikukood(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  const char* v = in->value;
  if (in->len != 11 || !np_all_digits(v, 11)) return 0;
  const int g = v[0] - '0';
  if (g < 1 || g > 8) return 0;
  const int year = 1800 + (g - 1) / 2 * 100 + (v[1] - '0') * 10 + (v[2] - '0');
  const int month = (v[3] - '0') * 10 + (v[4] - '0');
  const int day = (v[5] - '0') * 10 + (v[6] - '0');
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] + (month == 2 && LeapYear(year))) return 0;
  int sum = 0;
  for (int i = 0; i < 10; ++i) sum += (i % 9 + 1) * (v[i] - '0');
  int check = sum % 11;
  if (check == 10) {
    sum = 0;
    for (int i = 0; i < 10; ++i) sum += ((i + 2) % 9 + 1) * (v[i] - '0');
    check = sum % 11;
  }
  if (check % 10 != v[10] - '0') return 0;
  np_verdict(out, NORDPII_VALID, NORDPII_CONF_MEDIUM, NORDPII_RULE_CHECKSUM | NORDPII_RULE_DATE, nullptr, v, 11);
  return 0;
}

const nordpii_validator kValidators[] = {
    {sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "ee_isikukood",
     "Estonian personal code (isikukood): century/sex digit, birth date, mod-11 check digit", ValidateIsikukood},
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const nordpii_validator*
nordpii_plugin_validators(uint32_t abi_version, size_t* count) {
  if (abi_version / 100 != NORDPII_PLUGIN_ABI_VERSION / 100) return nullptr;
  *count = sizeof(kValidators) / sizeof(kValidators[0]);
  return kValidators;
}
