// SPDX-License-Identifier: Apache-2.0
// File: contact_validators.cc
//
// Contact data: Nordic phone numbers (phone) and e-mail addresses (email).
// Phone rules follow docs/identifiers.md §7.3 (national significant
// number lengths and leading digits, as libphonenumber checks them).
#include <strings.h>

#include "checksum.h"

namespace {

bool StartsWith(const char* s, size_t n, const char* p) {
  size_t k = strlen(p);
  return n >= k && memcmp(s, p, k) == 0;
}

// National significant number (after country code, no trunk 0) is valid?
bool NsnOk(const char* cc, const char* s, size_t n) {
  if (strcmp(cc, "47") == 0) {  // NO: 8 digits, mobile 4/9, fixed 2-7, 8 toll-free etc.
    return n == 8 && s[0] >= '2';
  }
  if (strcmp(cc, "45") == 0) return n == 8 && s[0] >= '2';  // DK
  if (strcmp(cc, "46") == 0) {  // SE: mobile 7[02369]+7 digits; fixed 7-9 digits
    if (s[0] == '7') return n == 9 && (s[1] == '0' || s[1] == '2' || s[1] == '3' ||
                                       s[1] == '6' || s[1] == '8' || s[1] == '9');
    return n >= 7 && n <= 9 && s[0] != '0';
  }
  if (strcmp(cc, "358") == 0) return n >= 5 && n <= 11 && s[0] != '0';  // FI
  if (strcmp(cc, "354") == 0) {  // IS: 7 digits, not starting with 0/1
    return n == 7 && s[0] >= '2';
  }
  return false;
}

// Value: digits, starting with the country code when the input had a `+` or
// `00` prefix (flag NORDPII_INPUT_COUNTRY_PREFIX), else a national number.
int ValidatePhone(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  const char* s = in->value;
  size_t n = in->len;
  if (n < 7 || n > 15 || !np_all_digits(s, n)) return 0;
  static const char* kCc[] = {"47", "46", "45", "358", "354"};
  if (in->flags & NORDPII_INPUT_COUNTRY_PREFIX) {
    for (const char* cc : kCc) {
      size_t k = strlen(cc);
      if (!StartsWith(s, n, cc)) continue;
      const char* nsn = s + k;
      size_t m = n - k;
      if (m > 0 && nsn[0] == '0') { ++nsn; --m; }  // "+46 (0)70 ..."
      if (NsnOk(cc, nsn, m)) {
        np_verdict(out, NORDPII_VALID, NORDPII_CONF_MEDIUM, NORDPII_RULE_FORMAT, nullptr, s, n);
        return 0;
      }
    }
    return 0;
  }
  // National forms: SE/FI mobile with trunk 0 (070-123 45 67, 041 234 5678).
  if (n == 10 && s[0] == '0' && s[1] == '7' && NsnOk("46", s + 1, 9)) {
    np_verdict(out, NORDPII_VALID, NORDPII_CONF_LOW, NORDPII_RULE_FORMAT, nullptr, s, n);
    return 0;
  }
  if (n == 10 && s[0] == '0' && s[1] == '4') {
    np_verdict(out, NORDPII_VALID, NORDPII_CONF_LOW, NORDPII_RULE_FORMAT, nullptr, s, n);
    return 0;
  }
  // NO/DK 8-digit numbers: only with a keyword (every 8-digit number fits).
  if (n == 8 && s[0] >= '2') {
    np_verdict(out, NORDPII_PLAUSIBLE, NORDPII_CONF_LOW,
               NORDPII_RULE_FORMAT | NORDPII_RULE_NEEDS_CONTEXT, nullptr, s, n);
  }
  return 0;
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Value: the address. Checks one `@`, a dotted domain and an alphabetic TLD.
// Every e-mail finding of a mail export comes through here: one pass over
// the bytes, and the role test by the local part's length on the lower-cased
// copy (a role address is "<role>@…": a strncasecmp per role and its strlen
// were ~60 % of this function's cost, 2-3 % of a mail-profile scan).
int ValidateEmail(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  const char* s = in->value;
  const size_t n = in->len;
  // The first '@' (at < n) with no other after it, and the last '.'.
  size_t at = n, dot = n, ats = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[i];
    if (c == '@') {
      if (ats++ == 0) at = i;
    } else if (c == '.') {
      dot = i;
    }
  }
  // A '.' after the '@', not right after it, with 2+ bytes after it.
  if (ats != 1 || at == 0 || dot == n || dot < at || dot == at + 1 || n - dot < 3) return 0;
  for (size_t i = dot + 1; i < n; ++i)
    if (!IsAlpha(s[i])) return 0;
  char norm[64];
  const size_t m = n < sizeof(norm) ? n : sizeof(norm) - 1;
  for (size_t i = 0; i < m; ++i) norm[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
  // Role addresses are contact points, not people: low. A role is the whole
  // local part, without case (strncasecmp of "<role>@" in the C locale: only
  // A-Z fold); norm holds it (at <= 14 and at < n, so at < m).
  static const struct { const char* name; size_t len; } kRoles[] = {
      {"post", 4},     {"postmaster", 10}, {"info", 4},     {"kundeservice", 12},   {"support", 7},
      {"noreply", 7},  {"no-reply", 8},    {"kontakt", 7},  {"asiakaspalvelu", 14}};
  int conf = NORDPII_CONF_MEDIUM;
  if (at <= 14)
    for (const auto& r : kRoles)
      if (r.len == at && memcmp(norm, r.name, at) == 0) conf = NORDPII_CONF_LOW;
  np_verdict(out, NORDPII_VALID, conf, NORDPII_RULE_FORMAT, nullptr, norm, m);
  return 0;
}

// Obfuscated address: "navn [at] firma [dot] no", "navn(at)firma.no",
// "navn @ firma . no". Rewrites the markers to '@' and '.', then validates
// like `email`; the type is reported as "email".
int ValidateEmailObfuscated(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  char buf[160];
  size_t m = 0;
  const char* s = in->value;
  size_t n = in->len;
  for (size_t i = 0; i < n && m < sizeof(buf) - 1;) {
    static const struct { const char* from; char to; } kMarks[] = {
        {" [at] ", '@'}, {"[at]", '@'}, {" (at) ", '@'}, {"(at)", '@'}, {" @ ", '@'},
        {" [dot] ", '.'}, {"[dot]", '.'}, {" (dot) ", '.'}, {"(dot)", '.'}, {" . ", '.'}};
    bool replaced = false;
    for (const auto& mk : kMarks) {
      size_t k = strlen(mk.from);
      if (i + k <= n && strncasecmp(s + i, mk.from, k) == 0) {
        buf[m++] = mk.to;
        i += k;
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      if (s[i] == ' ') return 0;  // a space outside a marker: not an address
      buf[m++] = s[i++];
    }
  }
  nordpii_input norm = *in;
  norm.value = buf;
  norm.len = m;
  ValidateEmail(&norm, out);
  if (out->status != NORDPII_INVALID) {
    strncpy(out->type_id, "email", sizeof(out->type_id) - 1);
    out->type_id[sizeof(out->type_id) - 1] = 0;
  }
  return 0;
}

}  // namespace

extern "C" const nordpii_validator nordpii_validator_email_obfuscated = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "email_obfuscated",
    "E-mail address written with [at]/(at)/[dot] or spaced @ and .", ValidateEmailObfuscated};
extern "C" const nordpii_validator nordpii_validator_phone = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "phone",
    "Nordic phone numbers (+47/+46/+45/+358/+354 and national mobile forms)", ValidatePhone};
extern "C" const nordpii_validator nordpii_validator_email = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "email",
    "E-mail address (one @, dotted domain, alphabetic TLD)", ValidateEmail};
