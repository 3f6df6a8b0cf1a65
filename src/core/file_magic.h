// SPDX-License-Identifier: Apache-2.0
// File signatures ("magic numbers") shared by nordpii and its extract helper,
// which decide by the bytes where a name or MIME type says nothing or lies.
#pragma once

#include <string_view>

namespace nordpii {

// Image files Leptonica (the OCR helper) reads: PNG, JPEG, TIFF, GIF, BMP,
// WebP, PNM.
inline bool IsImageSignature(std::string_view h) {
  auto starts = [&](std::string_view m) { return h.substr(0, m.size()) == m; };
  return starts(std::string_view("\x89PNG\r\n\x1a\n", 8)) || starts("\xFF\xD8\xFF") ||
         starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4)) || starts("GIF87a") ||
         starts("GIF89a") || (starts("BM") && h.size() >= 14 && h[6] == 0 && h[7] == 0 && h[8] == 0 && h[9] == 0) ||
         (starts("RIFF") && h.size() >= 12 && h.substr(8, 4) == "WEBP") ||
         (h.size() > 2 && h[0] == 'P' && h[1] >= '1' && h[1] <= '6' && (h[2] == '\n' || h[2] == ' ' || h[2] == '\r'));
}

// The same without PNM, whose header is text ("P1 …"): a picture found by
// its bytes where text is also possible (a text part, a file with any name).
inline bool IsBinaryImageSignature(std::string_view h) { return IsImageSignature(h) && h[0] != 'P'; }

// A single compressed file: gzip, xz, bzip2, zstd (what libarchive's
// filters read; the standalone-file reader accepts the same four).
inline bool IsCompressedSignature(std::string_view h) {
  auto starts = [&](std::string_view m) { return h.substr(0, m.size()) == m; };
  return starts(std::string_view("\x1F\x8B\x08", 3)) || starts(std::string_view("\xFD" "7zXZ\0", 6)) ||
         (starts("BZh") && h.size() >= 10 && h[3] >= '1' && h[3] <= '9' &&
          h.substr(4, 6) == std::string_view("\x31\x41\x59\x26\x53\x59", 6)) ||
         starts(std::string_view("\x28\xB5\x2F\xFD", 4));
}

// A POSIX / GNU tar file: "ustar" at offset 257 of its first header.
inline bool IsTarSignature(std::string_view h) { return h.size() >= 262 && h.substr(257, 5) == "ustar"; }

}  // namespace nordpii
