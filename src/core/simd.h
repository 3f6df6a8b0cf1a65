// SPDX-License-Identifier: Apache-2.0
// File: simd.h
//
// What the byte scanners may use. The build targets x86-64-v2 (SSE4.2,
// SSSE3, POPCNT); where the compiler supports target pragmas on x86-64, the
// hot loops (normaliser check, digit runs, line counting) are compiled a
// second time for AVX2 inside `#pragma GCC target("avx2")` regions and
// chosen at run time with __builtin_cpu_supports, so one binary runs on any
// x86-64-v2 CPU and uses AVX2 where it exists.
#ifndef NORDPII_CORE_SIMD_H_
#define NORDPII_CORE_SIMD_H_

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif
#if defined(__x86_64__) && defined(__SSSE3__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define NORDPII_HAVE_AVX2_PATH 1
// Functions defined between these are compiled for AVX2.
#if defined(__clang__)
#define NORDPII_AVX2_BEGIN \
  _Pragma("clang attribute push(__attribute__((target(\"avx2\"))), apply_to = function)")
#define NORDPII_AVX2_END _Pragma("clang attribute pop")
#else
#define NORDPII_AVX2_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx2\")")
#define NORDPII_AVX2_END _Pragma("GCC pop_options")
#endif
#else
#define NORDPII_HAVE_AVX2_PATH 0
#endif

#include <cstdint>

namespace nordpii {

#if defined(__SSE2__)
// The top bits of v's 16 bytes, placed at 16-byte lane `lane` of a 64-bit
// mask (bit k of the mask describes byte k of a 64-byte block).
inline uint64_t Mask16(__m128i v, int lane) {
  return static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(v))) << (16 * lane);
}
#endif

#if NORDPII_HAVE_AVX2_PATH
// Whether the AVX2 copies may run (asked once).
inline bool CpuHasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
NORDPII_AVX2_BEGIN
// The same for 32 bytes at half `half` of a 64-byte block.
inline uint64_t Mask32(__m256i v, int half) {
  return static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(v))) << (32 * half);
}
NORDPII_AVX2_END
#endif

}  // namespace nordpii

#endif  // NORDPII_CORE_SIMD_H_
