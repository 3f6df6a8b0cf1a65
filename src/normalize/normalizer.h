// SPDX-License-Identifier: Apache-2.0
// File: normalizer.h
//
// Normalizer turns input bytes into the canonical UTF-8 text every matcher
// sees, plus an OffsetMap back to the input bytes:
//   - invalid UTF-8 bytes are read as windows-1252 (Latin-1 fallback), never
//     skipped;
//   - Unicode NFKC (ICU): full-width digits become ASCII digits, compatibility
//     spaces become U+0020;
//   - separator folding (docs/identifiers.md §1.2): dashes U+2010-2015,
//     U+2212 -> '-'; zero-width characters, word joiner, BOM and soft hyphen
//     are deleted.
// Fast path: text made only of ASCII and characters that NFKC and the folds
// leave alone (checked with a 64 Ki-entry table built from ICU at start-up)
// is returned as is, with an identity map and no copy. (The table is filled
// from ICU a page of 256 code points at a time, on first use: all of it was
// ~1 ms of every start-up.) Otherwise only the
// characters that change are rewritten, one normalisation cluster (a starter
// and its combining marks) at a time.
//
// Thread-safe after Create(): Normalize() is const; its only state is the
// table's pages, filled once under a mutex.
#ifndef NORDPII_NORMALIZE_NORMALIZER_H_
#define NORDPII_NORMALIZE_NORMALIZER_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/offset_map.h"
#include "core/status.h"

namespace nordpii {

class Normalizer {
 public:
  static Result<std::shared_ptr<const Normalizer>> Create();

  // Returns the normalised text: `in` itself when nothing changes (map left
  // identity), else a view of `scratch`. `map` is cleared and filled.
  std::string_view Normalize(std::string_view in, std::string& scratch, OffsetMap& map) const;

  // Position of the first byte that needs rewriting, or in.size().
  // `baseline`: without AVX2 even where the CPU has it (tests).
  size_t FirstUnsafe(std::string_view in, bool baseline = false) const;
  // The same, one code point at a time (no SIMD): the reference in tests.
  size_t FirstUnsafeScalar(std::string_view in) const;

 private:
  Normalizer() = default;
  void AppendCluster(std::string_view cluster, std::string& out) const;
  // Checks the code point at s[i]; advances i past it when it is left as is.
  bool SafeAt(const unsigned char* s, size_t n, size_t& i) const;
  // The table page of code point cp (< 0x10000) filled (Page) before its
  // safe_ / boundary_ entries are read.
  void Page(uint32_t cp) const {
    if (!ready_[cp >> 8].load(std::memory_order_acquire)) FillPage(cp >> 8);
  }
  void FillPage(uint32_t page) const;
  bool Safe(uint32_t cp) const { return Page(cp), safe_[cp] != 0; }
  bool Boundary(uint32_t cp) const { return Page(cp), boundary_[cp] != 0; }
  mutable std::vector<uint8_t> safe_;      // per BMP code point: 1 = left as is
  mutable std::vector<uint8_t> boundary_;  // per BMP code point: 1 = starts a cluster
  mutable std::atomic<uint8_t> ready_[256] = {};  // per page of 256 code points: filled
  mutable std::mutex fill_;
  const void* nfkc_ = nullptr;     // icu::Normalizer2*, owned by ICU
};

}  // namespace nordpii

#endif  // NORDPII_NORMALIZE_NORMALIZER_H_
