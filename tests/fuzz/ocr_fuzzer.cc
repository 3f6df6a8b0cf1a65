// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the OCR helper's image decoding (nordpii-extract-ocr),
// in process: the header is read and the pixel limit checked before
// decoding, then the image decoded by Leptonica (every TIFF page; every
// frame of an animated GIF through gif_frames.h) — as the helper does before
// it hands pages to Tesseract. Recognition itself is not fuzzed (seconds per
// image, and it sees only decoded pixels). Any input decodes or is refused —
// never a crash, leak or a page past the pixel limit.
// Build and run: scripts/fuzz.sh SECONDS ocr (clang, ASan + UBSan).
#include <leptonica/allheaders.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "extract/ocr/gif_frames.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  setMsgSeverity(L_SEVERITY_NONE);
  const unsigned long long kMaxPixels = 4'000'000;
  const std::string data(reinterpret_cast<const char*>(d), n);
  l_int32 format = 0, w = 0, h = 0, bps = 0, spp = 0, cmap = 0;
  if (pixReadHeaderMem(d, n, &format, &w, &h, &bps, &spp, &cmap) != 0 || w <= 0 || h <= 0) return 0;
  if (static_cast<unsigned long long>(w) * static_cast<unsigned long long>(h) > kMaxPixels) return 0;
  PIXA* pages = nullptr;
  if (L_FORMAT_IS_TIFF(format)) {
    FILE* f = fmemopen(const_cast<char*>(data.data()), data.size(), "rb");
    l_int32 count = 0;
    const bool ok = f && tiffGetCount(f, &count) == 0 && count <= 20;
    if (f) std::fclose(f);
    if (!ok) return 0;
    pages = pixaCreate(count);  // page by page, as the helper
    for (l_int32 k = 0; k < count; ++k)
      if (PIX* p = pixReadMemTiff(d, n, k)) pixaAddPix(pages, p, L_INSERT);
  } else if (format == IFF_GIF) {
    pages = pixaCreate(nordpii::ocr::kMaxGifFrames);
    bool truncated = false;
    std::string error;
    if (nordpii::ocr::GifFrames(data, kMaxPixels, pages, &truncated, &error) == 1) {
      PIX* p = pixReadMem(d, n);
      if (p) pixaAddPix(pages, p, L_INSERT);
    }
  } else {
    pages = pixaCreate(1);
    PIX* p = pixReadMem(d, n);
    if (p) pixaAddPix(pages, p, L_INSERT);
  }
  if (!pages) return 0;
  if (pixaGetCount(pages) > nordpii::ocr::kMaxGifFrames + 20) std::abort();
  pixaDestroy(&pages);
  return 0;
}
