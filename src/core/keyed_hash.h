// SPDX-License-Identifier: Apache-2.0
// File: keyed_hash.h
//
// KeyedHasher: HMAC-SHA256 of normalised values, so reports can link the
// same person across an archive without containing the identifier. The key
// comes from NORDPII_KEY, a key file, or is random per run.
#ifndef NORDPII_CORE_KEYED_HASH_H_
#define NORDPII_CORE_KEYED_HASH_H_

#include <string>
#include <string_view>

#include "core/status.h"

namespace nordpii {

class KeyedHasher {
 public:
  // A random 32-byte key (nothing links across runs).
  static KeyedHasher Random();
  explicit KeyedHasher(std::string key);
  // Key from: the file at key_file if non-empty, else $NORDPII_KEY, else random.
  static Result<KeyedHasher> FromEnvironment(const std::string& key_file);

  // Lower-case hex HMAC-SHA256 (64 characters). Thread-safe.
  std::string Hex(std::string_view value) const;
  // The same, written into `out` (reusing its capacity).
  void HexInto(std::string_view value, std::string& out) const;

 private:
  // HMAC's inner and outer SHA-256 states after the padded key block, so a
  // hash costs two short compressions instead of a full HMAC set-up.
  struct State {
    unsigned char bytes[128];
  };
  State inner_{}, outer_{};
};

}  // namespace nordpii

#endif  // NORDPII_CORE_KEYED_HASH_H_
