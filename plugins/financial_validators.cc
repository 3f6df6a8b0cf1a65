// SPDX-License-Identifier: Apache-2.0
// File: financial_validators.cc
//
// IBAN (mod 97, country lengths, national check for NO) and payment cards
// (13-19 digits, Luhn, IIN ranges). Rules: docs/identifiers.md §7.1-7.2.
#include "checksum.h"

namespace {

struct IbanCountry {
  char cc[3];
  int length;
};
// Nordic and Nordic-adjacent IBANs: NO 15, SE 24, DK/FI/AX/FO/GL 18, IS 26.
const IbanCountry kIban[] = {{"NO", 15}, {"SE", 24}, {"DK", 18}, {"FI", 18}, {"IS", 26},
                             {"AX", 18}, {"FO", 18}, {"GL", 18}};

char Upper(char c) { return (c >= 'a' && c <= 'z') ? (char)(c - 32) : c; }

int ValidateIban(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  const char* s = in->value;
  size_t n = in->len;
  if (n < 15 || n > 34) return 0;
  char cc0 = Upper(s[0]), cc1 = Upper(s[1]);
  int want = 0;
  for (const IbanCountry& c : kIban)
    if (c.cc[0] == cc0 && c.cc[1] == cc1) want = c.length;
  if (want == 0 || (size_t)want != n || !np_all_digits(s + 2, n - 2)) return 0;
  // Rearranged: BBAN, country letters as numbers, check digits; mod 97 == 1.
  int rem = 0;
  for (size_t i = 4; i < n; ++i) rem = (rem * 10 + (s[i] - '0')) % 97;
  rem = (rem * 100 + (cc0 - 'A' + 10)) % 97;
  rem = (rem * 100 + (cc1 - 'A' + 10)) % 97;
  rem = (rem * 100 + (s[2] - '0') * 10 + (s[3] - '0')) % 97;
  if (rem != 1) return 0;
  if (cc0 == 'N' && cc1 == 'O') {  // embedded kontonummer must pass mod 11 too
    static const int w[10] = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};
    int k = np_mod11_check(np_weighted(s + 4, w, 10));
    if (k < 0 || k != s[14] - '0') return 0;
  }
  char norm[34];
  for (size_t i = 0; i < n; ++i) norm[i] = Upper(s[i]);
  np_verdict(out, NORDPII_VALID, NORDPII_CONF_HIGH, NORDPII_RULE_CHECKSUM | NORDPII_RULE_FORMAT,
             nullptr, norm, n);
  return 0;
}

int Prefix(const char* s, int digits) { return np_num(s, (size_t)digits); }

// Known IIN range for the length, or 0.
int KnownIin(const char* s, size_t n) {
  int p1 = Prefix(s, 1), p2 = Prefix(s, 2), p3 = Prefix(s, 3), p4 = Prefix(s, 4);
  if (p1 == 4) return n == 13 || n == 16 || n == 19;                    // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n == 16;  // Mastercard
  if (p2 == 34 || p2 == 37) return n == 15;                             // Amex
  if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65) return n >= 16;  // Discover
  if (p2 == 36 || (p3 >= 300 && p3 <= 305) || p2 == 38 || p2 == 39) return n >= 14;  // Diners
  if (p4 >= 3528 && p4 <= 3589) return n >= 16;                         // JCB
  if (p2 == 62) return n >= 16;                                         // UnionPay
  if (p2 == 50 || (p2 >= 56 && p2 <= 69)) return n >= 12;               // Maestro, Dankort
  return 0;
}

int ValidateCard(const nordpii_input* in, nordpii_verdict* out) {
  np_invalid(out);
  const char* s = in->value;
  size_t n = in->len;
  if (n < 13 || n > 19 || !np_all_digits(s, n)) return 0;
  if (!np_luhn_ok(s, n) || !KnownIin(s, n)) return 0;
  np_verdict(out, NORDPII_VALID, NORDPII_CONF_MEDIUM, NORDPII_RULE_CHECKSUM | NORDPII_RULE_FORMAT,
             nullptr, s, n);
  return 0;
}

}  // namespace

extern "C" const nordpii_validator nordpii_validator_iban = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "iban",
    "Nordic IBAN (country length, mod 97, national check)", ValidateIban};
extern "C" const nordpii_validator nordpii_validator_card = {
    sizeof(nordpii_validator), NORDPII_PLUGIN_ABI_VERSION, "card",
    "Payment card number (Luhn, IIN range and length)", ValidateCard};
