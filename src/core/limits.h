// SPDX-License-Identifier: Apache-2.0
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
  // Bytes re-scanned from the previous round: the first half must cover the
  // widest finding (kMaxFindingBytes), the second the widest context look-back
  // (kMaxContextBytes: a detector window of at most 400 bytes plus the
  // longest keyword).
  size_t overlap_bytes = 2048;
  // Note: findings are streamed to the sink, never stored, so there is no
  // cap on their number (a cap would leave values unredacted).
};

// No finding is wider than this many input bytes in practice (digit sub-runs
// are at most 32 digits with single separators; regexes are checked to be
// at most 512 bytes wide; passwords at most 64). A wider value that straddles
// a chunk boundary could be missed; raising overlap_bytes moves that bound.
inline constexpr size_t kMaxFindingBytes = 512;
// Context keywords are looked for at most this many bytes before a value
// (pattern windows are limited to 400 bytes, keywords to 64).
inline constexpr size_t kMaxContextBytes = 464;
static_assert(kMaxFindingBytes + kMaxContextBytes <= 2048, "overlap_bytes default too small");

}  // namespace nordpii

#endif  // NORDPII_CORE_LIMITS_H_
