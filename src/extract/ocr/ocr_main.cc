// SPDX-License-Identifier: Apache-2.0
// nordpii-extract-ocr: the image helper program (OCR with Tesseract, images
// read by Leptonica; both Apache/BSD-licensed). Reads an image (PNG, JPEG,
// TIFF incl. multi-page, GIF, BMP, WebP, PNM) from stdin and writes one
// segment per recognised text line, "S<loclen> <textlen>\n<loc><text>"
// (loc "line 3", or "page 2 line 3" for multi-page TIFF, "frame 2 line 3"
// for an animated GIF), then "D\n"; or
// "E<len>\n<message>" with exit status 3.
//
// Arguments: FORMAT MAX_TEXT MAX_UNPACKED MAX_ENTRIES MAX_DEPTH MAX_PAGES
// MAX_PIXELS LANGUAGES (as nordpii-extract, plus the pixel limit per page
// and Tesseract's language list, e.g. "nor+swe+dan+fin+isl+eng").
// The pixel limit is checked from the image header before it is decoded.
// Tesseract's OpenMP runtime would start a thread per core in every helper:
// the program re-executes itself once with OMP_THREAD_LIMIT=1 (libgomp reads
// it when it is loaded, before main).
//
// Test hook: NORDPII_EXTRACT_TEST_CRASH=1 makes it abort() after reading its
// input, =hang makes it sleep forever (as nordpii-extract).
#include <gif_lib.h>
#include <leptonica/allheaders.h>
#include <tesseract/baseapi.h>
#include <unistd.h>

#include "extract/helper_io.h"
#include "extract/sandbox.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using nordpii::helper::Fail;

void Emit(const std::string& loc, const std::string& text) { nordpii::helper::Put('S', loc, text); }

// Below this mean word confidence (0-100) a page is tried in the other
// three orientations.
constexpr int kUprightConfidence = 80;

struct Reading {
  int confidence = -1;
  std::vector<std::pair<int, std::string>> lines;  // line number, text
};

// method: Tesseract's thresholding_method, 0 global Otsu (the default), 1
// adaptive Otsu (text on a grey or coloured box that global Otsu turns black).
Reading Read(tesseract::TessBaseAPI& api, PIX* pix, int method = 0) {
  Reading out;
  api.SetVariable("thresholding_method", method ? "1" : "0");
  api.SetImage(pix);
  if (api.Recognize(nullptr) != 0) Fail("recognition failed");
  std::unique_ptr<tesseract::ResultIterator> it(api.GetIterator());
  int line = 0;
  if (it) do {
      std::unique_ptr<char[]> t(it->GetUTF8Text(tesseract::RIL_TEXTLINE));
      if (!t) continue;
      std::string text(t.get());
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
      ++line;
      if (!text.empty()) out.lines.emplace_back(line, std::move(text));
    } while (it->Next(tesseract::RIL_TEXTLINE));
  out.confidence = out.lines.empty() ? 0 : api.MeanTextConf();
  api.Clear();
  return out;
}

struct PixFree {
  void operator()(PIX* p) const { pixDestroy(&p); }
};
struct PixaFree {
  void operator()(PIXA* p) const { pixaDestroy(&p); }
};

// An animated GIF's frames (Leptonica reads only the first): each frame
// drawn over the previous ones (transparent pixels keep what was there;
// disposal methods are not applied, so no text drawn earlier is lost) on a
// grey canvas of the GIF's screen size; a frame identical to the one
// before is skipped. At most kMaxGifFrames frames are read: more leave the
// image partly scanned ("W"). giflib (MIT, Debian libgif-dev; Leptonica's
// own GIF reader uses it too), reading from memory.
constexpr int kMaxGifFrames = 10;

struct GifMem {
  const std::string* data;
  size_t pos = 0;
};

int GifRead(GifFileType* g, GifByteType* buf, int n) {
  auto* m = static_cast<GifMem*>(g->UserData);
  size_t k = std::min(static_cast<size_t>(n < 0 ? 0 : n), m->data->size() - m->pos);
  std::memcpy(buf, m->data->data() + m->pos, k);
  m->pos += k;
  return static_cast<int>(k);
}

// The frames as 8-bit grey PIXes into `out`; false if the GIF has a single
// frame (read as any image). Fails on a GIF giflib cannot read.
bool GifFrames(const std::string& data, unsigned long long max_pixels, PIXA* out) {
  GifMem mem{&data};
  int err = 0;
  GifFileType* g = DGifOpen(&mem, GifRead, &err);
  if (!g) Fail("GIF could not be decoded");
  std::unique_ptr<GifFileType, void (*)(GifFileType*)> owner(g, [](GifFileType* f) {
    int e = 0;
    DGifCloseFile(f, &e);
  });
  if (DGifSlurp(g) != GIF_OK || g->ImageCount < 1) Fail("GIF could not be decoded");
  if (g->ImageCount == 1) return false;
  const int W = g->SWidth, H = g->SHeight;
  if (W <= 0 || H <= 0 || static_cast<unsigned long long>(W) * H > max_pixels) Fail("GIF larger than the pixel limit");
  std::vector<l_uint8> canvas(static_cast<size_t>(W) * H, 255), last;
  const int n = std::min(g->ImageCount, kMaxGifFrames);
  if (g->ImageCount > kMaxGifFrames)
    nordpii::helper::Put('W', "", "animated GIF with more frames than the limit (" + std::to_string(kMaxGifFrames) +
                                      "); the rest not read");
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
        const int c = f.RasterBits[static_cast<size_t>(y) * fw + x];
        if (c == gcb.TransparentColor || c >= cm->ColorCount) continue;
        const GifColorType& rgb = cm->Colors[c];
        canvas[static_cast<size_t>(cy) * W + cx] = static_cast<l_uint8>((rgb.Red * 299 + rgb.Green * 587 + rgb.Blue * 114) / 1000);
      }
    }
    if (canvas == last) continue;
    last = canvas;
    PIX* pix = pixCreate(W, H, 8);
    if (!pix) Fail("GIF frame could not be decoded");
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) pixSetPixel(pix, x, y, canvas[static_cast<size_t>(y) * W + x]);
    pixaAddPix(out, pix, L_INSERT);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 9)
    Fail("usage: nordpii-extract-ocr FORMAT MAX_TEXT MAX_UNPACKED MAX_ENTRIES MAX_DEPTH MAX_PAGES MAX_PIXELS LANGUAGES");
  if (!std::getenv("OMP_THREAD_LIMIT")) {
    setenv("OMP_THREAD_LIMIT", "1", 1);
    execv("/proc/self/exe", argv);
    Fail("cannot re-execute with OMP_THREAD_LIMIT=1");
  }
  const size_t max_text = std::strtoull(argv[2], nullptr, 10);
  const long max_pages = std::atol(argv[6]);
  const unsigned long long max_pixels = std::strtoull(argv[7], nullptr, 10);
  const char* languages = argv[8];
  std::string data = nordpii::helper::ReadInput();
  // Tesseract opens its language data first; then the sandbox, then the
  // image is parsed.
  tesseract::TessBaseAPI api;
  if (api.Init(nullptr, languages) != 0) Fail(std::string("OCR language data missing (") + languages + ")");
  api.SetPageSegMode(tesseract::PSM_AUTO);
  if (!nordpii::sandbox::Enter()) Fail("cannot enter the seccomp sandbox (NORDPII_EXTRACT_NO_SECCOMP=1 skips it)");
  if (std::getenv("NORDPII_EXTRACT_TEST_SANDBOX")) {
    const std::string probe = nordpii::sandbox::Probe();
    Emit("sandbox", probe);
  }
  setMsgSeverity(L_SEVERITY_NONE);
  const auto* bytes = reinterpret_cast<const l_uint8*>(data.data());
  l_int32 format = 0, w = 0, h = 0, bps = 0, spp = 0, cmap = 0;
  if (pixReadHeaderMem(bytes, data.size(), &format, &w, &h, &bps, &spp, &cmap) != 0 || w <= 0 || h <= 0)
    Fail("not an image that can be read");
  if (static_cast<unsigned long long>(w) * static_cast<unsigned long long>(h) > max_pixels)
    Fail("image larger than the pixel limit (" + std::to_string(w) + "x" + std::to_string(h) + ")");
  // Pages: one, or each page of a multi-page TIFF (each checked against the
  // pixel limit before recognition; the page count against MAX_PAGES).
  std::unique_ptr<PIXA, PixaFree> pages;
  bool gif_frames = false;
  if (L_FORMAT_IS_TIFF(format)) {
    FILE* f = fmemopen(data.data(), data.size(), "rb");
    l_int32 n = 0;
    if (!f || tiffGetCount(f, &n) != 0) {
      if (f) std::fclose(f);
      Fail("unreadable TIFF");
    }
    std::fclose(f);
    if (n > max_pages) Fail("more TIFF pages than the limit");
    pages.reset(pixaReadMemMultipageTiff(bytes, data.size()));
  } else if (format == IFF_GIF && (pages.reset(pixaCreate(kMaxGifFrames)), GifFrames(data, max_pixels, pages.get()))) {
    gif_frames = true;
  } else {
    pages.reset(pixaCreate(1));
    PIX* p = pixReadMem(bytes, data.size());
    if (!p) Fail("image could not be decoded");
    pixaAddPix(pages.get(), p, L_INSERT);
  }
  const l_int32 npages = pages ? pixaGetCount(pages.get()) : 0;
  if (npages <= 0) Fail("image could not be decoded");
  size_t total = 0;
  for (l_int32 i = 0; i < npages; ++i) {
    std::unique_ptr<PIX, PixFree> pix(pixaGetPix(pages.get(), i, L_CLONE));
    if (!pix) Fail("image page could not be decoded");
    if (static_cast<unsigned long long>(pixGetWidth(pix.get())) * pixGetHeight(pix.get()) > max_pixels)
      Fail("image page larger than the pixel limit");
    // Upright first, then (low confidence) with adaptive thresholding; a page
    // still read with low confidence (a photo taken sideways,
    // a scan upside down, a phone JPEG's EXIF rotation) is read again turned
    // by 90, 180 and 270 degrees and the most confident reading is kept.
    // (Tesseract's own orientation detection loads osd.traineddata during
    // recognition, which the sandbox forbids.)
    Reading best = Read(api, pix.get());
    int method = 0;
    if (best.confidence < kUprightConfidence) {  // a grey or coloured background?
      Reading r = Read(api, pix.get(), 1);
      if (r.confidence > best.confidence) best = std::move(r), method = 1;
    }
    const bool turn = best.confidence < kUprightConfidence;  // then all three turns (upside-down text
    for (int quarter = 1; quarter <= 3 && turn; ++quarter) {  // can read with a fair confidence too)
      std::unique_ptr<PIX, PixFree> turned(pixRotateOrth(pix.get(), quarter));
      if (!turned) continue;
      Reading r = Read(api, turned.get(), method);
      if (r.confidence > best.confidence) best = std::move(r);
    }
    for (auto& [line, text] : best.lines) {
      total += text.size() + 1;
      if (total > max_text) Fail("recognised text larger than the limit");
      Emit(npages > 1 ? (gif_frames ? "frame " : "page ") + std::to_string(i + 1) + " line " + std::to_string(line)
                      : "line " + std::to_string(line),
           text);
    }
  }
  api.End();
  nordpii::helper::Done();
  return 0;
}
