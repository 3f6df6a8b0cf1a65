/* SPDX-License-Identifier: Apache-2.0 */
/* A plugin whose verdicts set rule bits the ABI does not define: the
 * engine's own (0x0100 "keyword") and bits that once were internal overlap
 * preferences (0x20000000, 0x40000000, carried in the same field). The host
 * masks a verdict's rules to the NORDPII_RULE_* bits, so they change neither
 * which of two overlapping findings wins nor the reported rules. Two
 * validators of 8 digits: "forged_plain" (first digit 1, checksum bit only)
 * and "forged_bits" (any, with the forged bits). */
#include <stddef.h>
#include <string.h>

#include "nordpii_plugin.h"

static int Digits8(const nordpii_input* in) {
  if (in->len != 8) return 0;
  for (size_t i = 0; i < 8; ++i)
    if (in->value[i] < '0' || in->value[i] > '9') return 0;
  return 1;
}

static void Valid(const nordpii_input* in, nordpii_verdict* out, uint32_t rules) {
  out->status = NORDPII_VALID;
  out->confidence = NORDPII_CONF_MEDIUM;
  out->rules = rules;
  out->type_id[0] = 0;
  memcpy(out->normalized, in->value, 8);
  out->normalized[8] = 0;
}

static int ValidatePlain(const nordpii_input* in, nordpii_verdict* out) {
  out->status = NORDPII_INVALID;
  if (Digits8(in) && in->value[0] == '1') Valid(in, out, NORDPII_RULE_CHECKSUM);
  return 0;
}

static int ValidateForged(const nordpii_input* in, nordpii_verdict* out) {
  out->status = NORDPII_INVALID;
  if (Digits8(in)) Valid(in, out, NORDPII_RULE_CHECKSUM | 0x0100u | 0x20000000u | 0x40000000u);
  return 0;
}

static const nordpii_validator kValidators[] = {
    {sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "forged_plain", "8 digits starting with 1",
     ValidatePlain},
    {sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "forged_bits", "8 digits, undefined rule bits",
     ValidateForged},
};

__attribute__((visibility("default"))) const nordpii_validator* nordpii_plugin_validators(uint32_t abi_version,
                                                                                           size_t* count) {
  if (abi_version / 100 != NORDPII_PLUGIN_ABI_VERSION / 100) return NULL;
  *count = sizeof(kValidators) / sizeof(kValidators[0]);
  return kValidators;
}
