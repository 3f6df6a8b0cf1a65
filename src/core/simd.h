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

#endif  // NORDPII_CORE_SIMD_H_
