// SPDX-License-Identifier: Apache-2.0
/* File: checksum.h
 *
 * Small, allocation-free helpers shared by the validators: digit access,
 * Luhn, weighted mod-11, calendar checks and verdict filling. Header-only and
 * C-compatible (static inline) so third-party plugins can reuse it.
 */
#ifndef NORDPII_PLUGINS_CHECKSUM_H_
#define NORDPII_PLUGINS_CHECKSUM_H_

#include <stddef.h>
#include <string.h>

#include "nordpii_plugin.h"

static inline int np_is_digit(char c) { return c >= '0' && c <= '9'; }

/* 1 if s[0..n) are all ASCII digits. */
static inline int np_all_digits(const char* s, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!np_is_digit(s[i])) return 0;
  return 1;
}

static inline int np_num(const char* s, size_t n) {
  int v = 0;
  for (size_t i = 0; i < n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

/* Luhn over s[0..n) (the last digit is the check digit). */
static inline int np_luhn_ok(const char* s, size_t n) {
  int sum = 0, dbl = 0;
  for (size_t i = n; i-- > 0;) {
    int d = s[i] - '0';
    if (dbl) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

/* Σ w[i]·d[i] for i < n. */
static inline int np_weighted(const char* s, const int* w, size_t n) {
  int sum = 0;
  for (size_t i = 0; i < n; ++i) sum += w[i] * (s[i] - '0');
  return sum;
}

/* mod-11 check digit: k = 11 - (S mod 11), 11 -> 0, 10 -> -1 (not issued). */
static inline int np_mod11_check(int s) {
  int k = 11 - s % 11;
  if (k == 11) return 0;
  if (k == 10) return -1;
  return k;
}

static inline int np_is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* 1 if day/month/year is a real calendar date. */
static inline int np_date_ok(int y, int m, int d) {
  static const int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return 0;
  int max = kDays[m - 1] + (m == 2 && np_is_leap(y));
  return d <= max;
}

static inline void np_verdict(nordpii_verdict* out, int status, int confidence, unsigned rules,
                              const char* type_id, const char* norm, size_t norm_len) {
  out->status = status;
  out->confidence = confidence;
  out->rules = rules;
  out->type_id[0] = 0;
  if (type_id) {
    strncpy(out->type_id, type_id, sizeof(out->type_id) - 1);
    out->type_id[sizeof(out->type_id) - 1] = 0;
  }
  if (norm_len >= sizeof(out->normalized)) norm_len = sizeof(out->normalized) - 1;
  memcpy(out->normalized, norm, norm_len);
  out->normalized[norm_len] = 0;
}

static inline void np_invalid(nordpii_verdict* out) {
  out->status = NORDPII_INVALID;
  out->confidence = 0;
  out->rules = 0;
  out->type_id[0] = 0;
  out->normalized[0] = 0;
}

#endif /* NORDPII_PLUGINS_CHECKSUM_H_ */
