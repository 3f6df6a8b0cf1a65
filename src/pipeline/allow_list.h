// SPDX-License-Identifier: Apache-2.0
// File: allow_list.h
//
// AllowList (--allow FILE): known values — test numbers, a company's own
// organisation number, a support address — whose findings are never
// reported nor redacted. Part of the policy stage: FindingFilter holds one
// and ScanContext::Scan drops an allowed finding after it is validated and
// hashed, before any sink sees it.
//
// File format, one entry per line (UTF-8; blank lines and lines starting
// with '#' are ignored, surrounding blanks trimmed):
//   a value in any written form ("010203 12345", "DK5000400440116243"):
//     run through the engine at load time (alone, then after a label, as
//     find-subject does with --id); each finding on the value's own bytes
//     is allowed by its normalised value, so every written variant of it is;
//   hmac:<64 hex digits>: a keyed hash as reports print it ("hash"); it
//     matches only findings hashed with the same key (--key-file /
//     $NORDPII_KEY).
// A value line that no detector recognises is an error naming the line,
// never the value. Values are kept only as keyed hashes under a random key
// of the list's own (memory holds no list of raw values after Load).
#ifndef NORDPII_PIPELINE_ALLOW_LIST_H_
#define NORDPII_PIPELINE_ALLOW_LIST_H_

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/keyed_hash.h"
#include "core/status.h"
#include "detect/detectors.h"

namespace nordpii {

class Scanner;
struct ReferenceDate;

class ScanContext;

// Keyed hashes of the findings on `value`'s own bytes: `value` scanned
// alone, then after each kind of label ("fnr ", "CPR-nr. ", "IBAN ", ...),
// stopping at the first that gives any. Empty = no detector recognises it.
// The hashes are those of `ctx`'s key.
std::vector<std::string> IdentifierHashes(ScanContext& ctx, std::string_view value);

class AllowList {
 public:
  // Reads `path` (at most 1 MiB, 100,000 entries). `scanner` and `date`
  // (the reference date) are the run's, so a value normalises as in the scan.
  // Errors name the file and line, never the line's text.
  static Result<std::shared_ptr<const AllowList>> Load(const std::string& path, const Scanner& scanner,
                                                       const ReferenceDate& date);

  // Whether a finding with normalised value `normalized` and keyed hash
  // `hash` (the run's key) is allowed; counts it when it is. Thread-safe.
  bool Allows(std::string_view normalized, std::string_view hash) const;
  // Findings allowed so far (all threads).
  uint64_t allowed() const { return allowed_.load(std::memory_order_relaxed); }
  size_t values() const { return values_.size(); }
  size_t hashes() const { return hashes_.size(); }

 private:
  explicit AllowList(KeyedHasher own) : own_(std::move(own)) {}
  KeyedHasher own_;                           // random: hashes of the value lines
  std::unordered_set<std::string> values_;    // own_-hashes of normalised allowed values
  std::unordered_set<std::string> hashes_;    // run-key hashes (hmac: lines)
  mutable std::atomic<uint64_t> allowed_{0};
};

}  // namespace nordpii

#endif  // NORDPII_PIPELINE_ALLOW_LIST_H_
