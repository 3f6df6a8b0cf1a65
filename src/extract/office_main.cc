// SPDX-License-Identifier: Apache-2.0
// nordpii-extract: the OOXML / OpenDocument / legacy Office helper program
// (see office_extract.cc for what it reads and its limits). Reads the
// document from stdin and writes segments (helper_io.h); with OCR
// (argument 9 is "1") also raster pictures for nordpii to pass to the OCR
// helper, at most MAX_OCR_PAGES (argument 10).
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "extract/helper_io.h"
#include "extract/office_extract.h"
#include "extract/sandbox.h"
#include "extract/zygote.h"

using nordpii::helper::Fail;

namespace {

// One document: the document from stdin, segments to stdout.
int Run(int argc, char** argv) {
  if (argc < 7) Fail("usage: nordpii-extract FORMAT MAX_TEXT MAX_UNPACKED MAX_ENTRIES MAX_DEPTH MAX_PAGES");
  nordpii::office::Limits lim;
  lim.max_text = std::strtoull(argv[2], nullptr, 10);
  lim.max_unpacked = std::strtoull(argv[3], nullptr, 10);
  lim.max_entries = std::strtoull(argv[4], nullptr, 10);
  lim.max_depth = std::atoi(argv[5]);
  const bool ocr = argc > 9 && std::strcmp(argv[9], "1") == 0;
  if (argc > 10) lim.max_images = std::atoi(argv[10]);
  const std::string data = nordpii::helper::ReadInput();
  if (!nordpii::sandbox::Enter()) Fail("cannot enter the seccomp sandbox (NORDPII_EXTRACT_NO_SECCOMP=1 skips it)");
  if (std::getenv("NORDPII_EXTRACT_TEST_SANDBOX")) nordpii::helper::Put('S', "sandbox", nordpii::sandbox::Probe());
  const nordpii::office::ImageFn images = [](const std::string& loc, const std::string& bytes) {
    nordpii::helper::Put('I', loc, bytes);
  };
  const nordpii::office::WarnFn warn = [](const std::string& msg) { nordpii::helper::Put('W', "", msg); };
  // Raster pictures not read while OCR is off: a note ("2 pictures"), as a
  // scanned PDF page gets; nordpii adds why (kImageNotReadNote).
  const nordpii::office::WarnFn note = [](const std::string& msg) { nordpii::helper::Put('N', "", msg); };
  const nordpii::office::ImageFn files = [](const std::string& loc, const std::string& bytes) {
    nordpii::helper::Put('F', loc, bytes);
  };
  try {
    nordpii::office::Extract(
        argv[1], data, lim, [](const std::string& loc, const std::string& text) { nordpii::helper::Put('S', loc, text); },
        ocr ? &images : nullptr, &warn, &files, ocr ? nullptr : &note);
  } catch (const nordpii::office::Failure& e) {
    Fail(e.what());
  } catch (const std::bad_alloc&) {
    Fail("out of memory (limit)");
  }
  nordpii::helper::Done();
  return 0;
}

}  // namespace

// `nordpii-extract --zygote`: the start-up server (zygote.h).
int main(int argc, char** argv) { return nordpii::zygote::Main(argc, argv, Run); }
