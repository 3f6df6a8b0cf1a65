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
  explicit KeyedHasher(std::string key) : key_(std::move(key)) {}
  // Key from: the file at key_file if non-empty, else $NORDPII_KEY, else random.
  static Result<KeyedHasher> FromEnvironment(const std::string& key_file);

  // Lower-case hex HMAC-SHA256 (64 characters). Thread-safe.
  std::string Hex(std::string_view value) const;

 private:
  std::string key_;
};

}  // namespace nordpii

#endif  // NORDPII_CORE_KEYED_HASH_H_
