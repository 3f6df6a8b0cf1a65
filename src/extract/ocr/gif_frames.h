// SPDX-License-Identifier: Apache-2.0
// File: gif_frames.h
//
// The frames of a GIF for OCR (nordpii-extract-ocr; Leptonica reads only the
// first frame of an animated GIF). Each frame is drawn over the previous
// ones (transparent pixels keep what was there; disposal methods are not
// applied, so no text drawn earlier is lost) on a white canvas (8-bit grey) of the
// GIF's screen size; a frame identical to the one before is skipped. At
// most kMaxGifFrames frames are read. giflib (MIT, Debian libgif-dev;
// Leptonica's own GIF reader uses it too), from memory. Header-only so the
// OCR fuzzer (tests/fuzz/ocr_fuzzer.cc) runs the same code.
#ifndef NORDPII_EXTRACT_OCR_GIF_FRAMES_H_
#define NORDPII_EXTRACT_OCR_GIF_FRAMES_H_

#include <gif_lib.h>
#include <leptonica/allheaders.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace nordpii::ocr {

inline constexpr int kMaxGifFrames = 10;

namespace internal {
struct GifMem {
  const std::string* data;
  size_t pos = 0;
};
inline int GifRead(GifFileType* g, GifByteType* buf, int n) {
  auto* m = static_cast<GifMem*>(g->UserData);
  size_t k = std::min(static_cast<size_t>(n < 0 ? 0 : n), m->data->size() - m->pos);
  std::memcpy(buf, m->data->data() + m->pos, k);
  m->pos += k;
  return static_cast<int>(k);
}
}  // namespace internal

// The distinct frames as 8-bit grey PIXes appended to `out`. Returns the
// GIF's frame count (1: nothing appended, read it as any image), or -1 and
// *error (a GIF giflib cannot read, a screen past max_pixels). *truncated:
// frames past kMaxGifFrames were not read.
inline int GifFrames(const std::string& data, unsigned long long max_pixels, PIXA* out, bool* truncated,
                     std::string* error) {
  *truncated = false;
  internal::GifMem mem{&data};
  int err = 0;
  GifFileType* g = DGifOpen(&mem, internal::GifRead, &err);
  if (!g) return *error = "GIF could not be decoded", -1;
  std::unique_ptr<GifFileType, void (*)(GifFileType*)> owner(g, [](GifFileType* f) {
    int e = 0;
    DGifCloseFile(f, &e);
  });
  if (DGifSlurp(g) != GIF_OK || g->ImageCount < 1) return *error = "GIF could not be decoded", -1;
  if (g->ImageCount == 1) return 1;
  const int W = g->SWidth, H = g->SHeight;
  if (W <= 0 || H <= 0 || static_cast<unsigned long long>(W) * static_cast<unsigned long long>(H) > max_pixels)
    return *error = "GIF larger than the pixel limit", -1;
  std::vector<l_uint8> canvas(static_cast<size_t>(W) * static_cast<size_t>(H), 255), last;
  const int n = std::min(g->ImageCount, kMaxGifFrames);
  *truncated = g->ImageCount > kMaxGifFrames;
  for (int i = 0; i < n; ++i) {
    const SavedImage& f = g->SavedImages[i];
    const ColorMapObject* cm = f.ImageDesc.ColorMap ? f.ImageDesc.ColorMap : g->SColorMap;
    if (!cm || !f.RasterBits) continue;
    GraphicsControlBlock gcb;
    gcb.TransparentColor = NO_TRANSPARENT_COLOR;
    DGifSavedExtensionToGCB(g, i, &gcb);
    const int fl = f.ImageDesc.Left, ft = f.ImageDesc.Top, fw = f.ImageDesc.Width, fh = f.ImageDesc.Height;
    for (int y = 0; y < fh; ++y) {
      const int cy = ft + y;
      if (cy < 0 || cy >= H) continue;
      for (int x = 0; x < fw; ++x) {
        const int cx = fl + x;
        if (cx < 0 || cx >= W) continue;
        const int c = f.RasterBits[static_cast<size_t>(y) * static_cast<size_t>(fw) + static_cast<size_t>(x)];
        if (c == gcb.TransparentColor || c >= cm->ColorCount) continue;
        const GifColorType& rgb = cm->Colors[c];
        canvas[static_cast<size_t>(cy) * static_cast<size_t>(W) + static_cast<size_t>(cx)] =
            static_cast<l_uint8>((rgb.Red * 299 + rgb.Green * 587 + rgb.Blue * 114) / 1000);
      }
    }
    if (canvas == last) continue;
    last = canvas;
    PIX* pix = pixCreate(W, H, 8);
    if (!pix) return *error = "GIF frame could not be decoded", -1;
    l_uint32* line = pixGetData(pix);
    const l_int32 wpl = pixGetWpl(pix);
    for (int y = 0; y < H; ++y, line += wpl)
      for (int x = 0; x < W; ++x) SET_DATA_BYTE(line, x, canvas[static_cast<size_t>(y) * static_cast<size_t>(W) + static_cast<size_t>(x)]);
    pixaAddPix(out, pix, L_INSERT);
  }
  return g->ImageCount;
}

}  // namespace nordpii::ocr

#endif  // NORDPII_EXTRACT_OCR_GIF_FRAMES_H_
