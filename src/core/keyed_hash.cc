// OpenSSL provides HMAC-SHA256 (Debian libssl); the only OpenSSL user.
#include "core/keyed_hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace nordpii {

KeyedHasher KeyedHasher::Random() {
  std::string key(32, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size()));
  return KeyedHasher(std::move(key));
}

Result<KeyedHasher> KeyedHasher::FromEnvironment(const std::string& key_file) {
  if (!key_file.empty()) {
    std::ifstream in(key_file, std::ios::binary);
    if (!in) return Error(ErrorCode::kIo, "cannot read key file " + key_file);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string key = ss.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    if (key.empty()) return Error(ErrorCode::kInvalidArgument, "key file is empty: " + key_file);
    return KeyedHasher(std::move(key));
  }
  if (const char* env = std::getenv("NORDPII_KEY"); env && *env) return KeyedHasher(env);
  return Random();
}

std::string KeyedHasher::Hex(std::string_view value) const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(value.data()), value.size(), md, &len);
  static const char kHex[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 15];
  }
  return out;
}

}  // namespace nordpii
