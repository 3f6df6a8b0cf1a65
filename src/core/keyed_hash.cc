// SPDX-License-Identifier: Apache-2.0
// HMAC-SHA256 (RFC 2104) over OpenSSL's SHA-256 (Debian libssl); the only
// OpenSSL user. The low-level SHA256_* calls are deprecated in OpenSSL 3 but
// let us keep the keyed states as plain structs (no allocation per hash).
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include "core/keyed_hash.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <sys/random.h>

#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace nordpii {

KeyedHasher KeyedHasher::Random() {
  // getrandom(2), not RAND_bytes: OpenSSL's RNG initialises its whole
  // provider table first (~1 ms of every run's start-up).
  std::string key(32, '\0');
  size_t got = 0;
  while (got < key.size()) {
    ssize_t r = getrandom(key.data() + got, key.size() - got, 0);
    if (r > 0) got += static_cast<size_t>(r);
    else if (errno != EINTR) std::abort();  // no kernel entropy source: nothing safe to fall back to
  }
  return KeyedHasher(std::move(key));
}

Result<KeyedHasher> KeyedHasher::FromEnvironment(const std::string& key_file) {
  if (!key_file.empty()) {
    // A regular file of at most 4 KiB (a key, not /dev/zero or a FIFO that
    // would hang the milter's start or reload), opened without following
    // into a FIFO: O_NONBLOCK, then checked.
    int fd = ::open(key_file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return Error(ErrorCode::kIo, "cannot read key file " + key_file);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return Error(ErrorCode::kInvalidArgument, "key file is not a regular file: " + key_file);
    }
    if (st.st_size > 4096) {
      ::close(fd);
      return Error(ErrorCode::kInvalidArgument, "key file larger than 4 KiB (not a key?): " + key_file);
    }
    std::string key(static_cast<size_t>(st.st_size), '\0');
    ssize_t n = key.empty() ? 0 : ::read(fd, key.data(), key.size());
    ::close(fd);
    if (n < 0) return Error(ErrorCode::kIo, "cannot read key file " + key_file);
    key.resize(static_cast<size_t>(n));
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    if (key.empty()) return Error(ErrorCode::kInvalidArgument, "key file is empty: " + key_file);
    return KeyedHasher(std::move(key));
  }
  if (const char* env = std::getenv("NORDPII_KEY"); env && *env) return KeyedHasher(env);
  return Random();
}

static_assert(sizeof(SHA256_CTX) <= 128, "SHA256_CTX larger than the state buffer");

KeyedHasher::KeyedHasher(std::string key) {
  unsigned char block[64] = {0};
  if (key.size() > 64) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  unsigned char ipad[64], opad[64];
  for (int i = 0; i < 64; ++i) {
    ipad[i] = block[i] ^ 0x36;
    opad[i] = block[i] ^ 0x5c;
  }
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, ipad, 64);
  std::memcpy(inner_.bytes, &c, sizeof(c));
  SHA256_Init(&c);
  SHA256_Update(&c, opad, 64);
  std::memcpy(outer_.bytes, &c, sizeof(c));
}

std::string KeyedHasher::Hex(std::string_view value) const {
  std::string out;
  HexInto(value, out);
  return out;
}

void KeyedHasher::HexInto(std::string_view value, std::string& out) const {
  SHA256_CTX c;
  unsigned char inner[32], md[32];
  std::memcpy(&c, inner_.bytes, sizeof(c));
  SHA256_Update(&c, value.data(), value.size());
  SHA256_Final(inner, &c);
  std::memcpy(&c, outer_.bytes, sizeof(c));
  SHA256_Update(&c, inner, 32);
  SHA256_Final(md, &c);
  out.resize(64);
#if defined(__SSSE3__)
  // Nibbles to hex digits by a byte shuffle, 16 digest bytes at a time.
  const __m128i hex = _mm_setr_epi8('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f');
  const __m128i low = _mm_set1_epi8(0x0F);
  for (int k = 0; k < 2; ++k) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(md + 16 * k));
    const __m128i hi = _mm_shuffle_epi8(hex, _mm_and_si128(_mm_srli_epi16(x, 4), low));
    const __m128i lo = _mm_shuffle_epi8(hex, _mm_and_si128(x, low));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out.data() + 32 * k), _mm_unpacklo_epi8(hi, lo));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out.data() + 32 * k + 16), _mm_unpackhi_epi8(hi, lo));
  }
#else
  static const char kHex[] = "0123456789abcdef";
  for (unsigned i = 0; i < 32; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 15];
  }
#endif
}

}  // namespace nordpii
