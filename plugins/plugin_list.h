// SPDX-License-Identifier: Apache-2.0
/* File: plugin_list.h
 *
 * THE registry of built-in validators: one line each. Included twice by
 * src/detect/plugin_registry.cc (declare, then tabulate), after YARA's
 * module_list. To add a validator: write plugins/<area>_validators.cc with a
 * `nordpii_validator nordpii_validator_<name>` and add NORDPII_PLUGIN(<name>).
 */
NORDPII_PLUGIN(no_person)
NORDPII_PLUGIN(no_orgnr)
NORDPII_PLUGIN(no_account)
NORDPII_PLUGIN(se_person)
NORDPII_PLUGIN(se_orgnr)
NORDPII_PLUGIN(dk_cpr)
NORDPII_PLUGIN(dk_cvr)
NORDPII_PLUGIN(fi_hetu)
NORDPII_PLUGIN(fi_ytunnus)
NORDPII_PLUGIN(is_kt)
NORDPII_PLUGIN(iban)
NORDPII_PLUGIN(card)
NORDPII_PLUGIN(phone)
NORDPII_PLUGIN(email)
NORDPII_PLUGIN(email_obfuscated)
NORDPII_PLUGIN(password)
NORDPII_PLUGIN(passport)
NORDPII_PLUGIN(partial_id)
NORDPII_PLUGIN(keyword)
