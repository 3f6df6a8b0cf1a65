// SPDX-License-Identifier: Apache-2.0
// File: bytes.h
//
// Byte searches every reader and the scanner share, 64 bytes per step with
// SSE2, or AVX2 where the CPU has it (core/simd.h).
#ifndef NORDPII_CORE_BYTES_H_
#define NORDPII_CORE_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nordpii {

// Number of '\n' bytes in [p, e).
uint64_t CountNewlines(const char* p, const char* e);

// Position of the first `prefix` at or after `from` that starts a line (the
// byte before it is '\n'; position 0 does not count), or npos. Used for
// mbox "From " lines and MIME "--boundary" lines: glibc's memmem was 10 % of
// an mbox scan; this tests 64 bytes at a time for a line break followed by
// the prefix's first byte and compares the rest only there.
size_t FindAtLineStart(std::string_view text, size_t from, std::string_view prefix);

}  // namespace nordpii

#endif  // NORDPII_CORE_BYTES_H_
