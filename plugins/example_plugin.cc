// SPDX-License-Identifier: Apache-2.0
// File: example_plugin.cc
//
// A third-party validator plugin, built as a shared object: validates an
// internal 8-digit employee number `77NNNNNC` (Luhn) — the kind of in-house
// identifier an operator adds with `--plugin nordpii_example_plugin.so` and a
// pattern file that names validator "acme_employee".
#include "checksum.h"

namespace {

int ValidateEmployee(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  if (in->len != 8 || !np_all_digits(in->value, 8)) return 0;
  if (in->value[0] != '7' || in->value[1] != '7' || !np_luhn_ok(in->value, 8)) return 0;
  np_verdict(out, NORDPII_VALID, NORDPII_CONF_MEDIUM, NORDPII_RULE_CHECKSUM, nullptr, in->value,
             8);
  return 0;
}

const nordpii_validator kValidators[] = {
    {sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "acme_employee",
     "ACME employee number (77 + 5 digits + Luhn)", ValidateEmployee},
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const nordpii_validator*
nordpii_plugin_validators(uint32_t abi_version, size_t* count) {
  if (abi_version / 100 != NORDPII_PLUGIN_ABI_VERSION / 100) return nullptr;
  *count = sizeof(kValidators) / sizeof(kValidators[0]);
  return kValidators;
}
