// File: limits.h
//
// Every bound the engine enforces, with its default, in one place.
#ifndef NORDPII_CORE_LIMITS_H_
#define NORDPII_CORE_LIMITS_H_

#include <cstddef>

namespace nordpii {

struct ScanLimits {
  // Bytes read and normalised per round when streaming. Memory per stream is
  // a small multiple of this (NFKC can expand text), independent of input size.
  size_t chunk_bytes = 1 << 20;
  // Bytes re-scanned from the previous round: covers the widest finding
  // (kMaxFindingBytes) plus the widest keyword context window.
  size_t overlap_bytes = 2048;
  // Note: findings are streamed to the sink, never stored, so there is no
  // cap on their number (a cap would leave values unredacted).
};

// No finding is wider than this many input bytes (digit runs are at most 19
// digits with single separators; e-mails and passwords are bounded patterns).
inline constexpr size_t kMaxFindingBytes = 512;
// Context keywords are looked for at most this many bytes before a value.
inline constexpr size_t kMaxContextBytes = 512;

}  // namespace nordpii

#endif  // NORDPII_CORE_LIMITS_H_
