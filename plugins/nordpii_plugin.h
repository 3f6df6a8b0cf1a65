// SPDX-License-Identifier: Apache-2.0
/* File: nordpii_plugin.h
 *
 * The versioned C ABI between nordpii and its validator plugins. Built-in
 * validators (plugins/<area>_validators.cc, listed in plugins/plugin_list.h) and third-party
 * shared objects loaded with `--plugin PATH` use exactly this header, so a
 * validator written for one works as the other.
 *
 * Contract for every validator:
 *   - validate() is stateless, reentrant and thread-safe; it never allocates,
 *     never keeps a pointer to its input and never writes outside *out.
 *   - It receives the value in compact form: ASCII digits, plus the characters
 *     that carry meaning for that identifier (Swedish `+`, the Finnish century
 *     sign and check character, IBAN country letters). Separators people
 *     write between groups are already removed by the candidate builder.
 *   - It fills a fixed-size verdict. Plugins own their memory; nordpii never
 *     frees anything a plugin returns.
 *
 * A shared object exports one symbol, `nordpii_plugin_validators`, of type
 * nordpii_get_validators_fn. nordpii passes the ABI version it speaks; the
 * plugin returns NULL if it cannot serve that version (major mismatch).
 */
#ifndef NORDPII_PLUGINS_NORDPII_PLUGIN_H_
#define NORDPII_PLUGINS_NORDPII_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Major * 100 + minor. A new minor only appends fields (see struct_size). */
#define NORDPII_PLUGIN_ABI_VERSION 100

/* verdict.status */
#define NORDPII_INVALID 0   /* not this identifier */
#define NORDPII_PLAUSIBLE 1 /* shape and date fit, no checksum to prove it */
#define NORDPII_VALID 2     /* every rule that exists for it passed */

/* verdict.confidence (before context keywords are applied) */
#define NORDPII_CONF_LOW 1
#define NORDPII_CONF_MEDIUM 2
#define NORDPII_CONF_HIGH 3

/* verdict.rules: which rules fired (bits). Only these bits are read; the host
 * masks off any other bit a validator sets (the engine adds its own). */
#define NORDPII_RULE_CHECKSUM 0x0001u     /* a check digit/character verified */
#define NORDPII_RULE_DATE 0x0002u         /* an embedded date exists */
#define NORDPII_RULE_FORMAT 0x0004u       /* length/prefix/IIN/country rules */
#define NORDPII_RULE_NO_CHECKSUM 0x0008u  /* accepted although no checksum holds */
#define NORDPII_RULE_TEST 0x0010u         /* synthetic test number (Tenor +80) */
#define NORDPII_RULE_TEMPORARY 0x0020u    /* temporary id (HETU 900-999) */
#define NORDPII_RULE_NEEDS_CONTEXT 0x0040u /* report only with a context keyword */
#define NORDPII_RULE_RULE_2032 0x0080u    /* valid only under the NO 2032 rule */

/* Input handed to validate(). struct_size allows appending fields. */
typedef struct nordpii_input {
  uint32_t struct_size;
  const char* value; /* compact value, not NUL-terminated */
  size_t len;
  int32_t ref_year;  /* reference date (message date or today), for centuries */
  int32_t ref_month;
  int32_t ref_day;
  uint32_t flags;    /* NORDPII_INPUT_* */
} nordpii_input;

#define NORDPII_INPUT_PLUS_SEPARATOR 0x1u /* a `+` was written between groups */
#define NORDPII_INPUT_COUNTRY_PREFIX 0x2u /* value starts with a country code */
#define NORDPII_INPUT_SEPARATED 0x4u      /* written with separators between its digit groups */

typedef struct nordpii_verdict {
  uint32_t struct_size;
  int32_t status;       /* NORDPII_INVALID / PLAUSIBLE / VALID */
  int32_t confidence;   /* NORDPII_CONF_* */
  uint32_t rules;       /* NORDPII_RULE_* bits */
  char type_id[32];     /* finer type, e.g. "no.dnr"; "" = the detector's id */
  char normalized[64];  /* canonical value, hashed for reports; NUL-terminated */
} nordpii_verdict;

typedef int (*nordpii_validate_fn)(const nordpii_input* in, nordpii_verdict* out);

typedef struct nordpii_validator {
  uint32_t struct_size;
  uint32_t abi_version;      /* NORDPII_PLUGIN_ABI_VERSION it was built with */
  const char* name;          /* referenced by `validator =` in patterns/ */
  const char* description;
  nordpii_validate_fn validate; /* Required. Returns 0, or non-zero on misuse. */
} nordpii_validator;

/* Exported by a plugin shared object under the name "nordpii_plugin_validators".
 * Returns an array of *count validators that lives as long as the object. */
typedef const nordpii_validator* (*nordpii_get_validators_fn)(uint32_t abi_version,
                                                                size_t* count);

#ifdef __cplusplus
}
#endif
#endif /* NORDPII_PLUGINS_NORDPII_PLUGIN_H_ */
