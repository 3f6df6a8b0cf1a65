/* A plugin built against a newer header whose nordpii_validator has a field
 * appended (same major ABI): the host must step through the array by the
 * plugin's struct_size, not its own sizeof, and ignore the field it does
 * not know. Two validators, so a wrong stride shows on the second. */
#include <stddef.h>

#include "nordpii_plugin.h"

typedef struct newer_validator {
  uint32_t struct_size;
  uint32_t abi_version;
  const char* name;
  const char* description;
  nordpii_validate_fn validate;
  const char* appended_in_a_later_minor; /* unknown to this host */
  uint64_t another;
} newer_validator;

static int ValidateSeven(const nordpii_input* in, nordpii_verdict* out) {
  out->status = NORDPII_INVALID;
  if (in->len == 7) {
    out->status = NORDPII_VALID;
    out->confidence = NORDPII_CONF_MEDIUM;
  }
  return 0;
}

static int ValidateNine(const nordpii_input* in, nordpii_verdict* out) {
  out->status = in->len == 9 ? NORDPII_VALID : NORDPII_INVALID;
  out->confidence = NORDPII_CONF_MEDIUM;
  return 0;
}

static const newer_validator kValidators[] = {
    {sizeof(newer_validator), NORDPII_PLUGIN_ABI_VERSION + 1, "newer_seven", "7 characters", ValidateSeven,
     "x", 1},
    {sizeof(newer_validator), NORDPII_PLUGIN_ABI_VERSION + 1, "newer_nine", "9 characters", ValidateNine, "y",
     2},
};

__attribute__((visibility("default"))) const nordpii_validator* nordpii_plugin_validators(uint32_t abi_version,
                                                                                           size_t* count) {
  if (abi_version / 100 != NORDPII_PLUGIN_ABI_VERSION / 100) return NULL;
  *count = 2;
  return (const nordpii_validator*)kValidators;
}
