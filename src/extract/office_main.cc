// SPDX-License-Identifier: Apache-2.0
// nordpii-extract: the OOXML / OpenDocument helper program (see
// office_extract.cc for what it reads and its limits). Reads the document
// from stdin, writes "S<loclen> <textlen>\n<loc><text>" per segment and
// "D\n", or "E<len>\n<message>" with exit status 3.
//
// Test hook: NORDPII_EXTRACT_TEST_CRASH=1 makes it abort() after reading its
// input (the containment test), =hang makes it sleep forever.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "extract/office_extract.h"
#include "extract/sandbox.h"

namespace {

[[noreturn]] void Fail(const std::string& msg) {
  std::printf("E%zu\n%s", msg.size(), msg.c_str());
  std::fflush(stdout);
  std::exit(3);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) Fail("usage: nordpii-extract FORMAT MAX_TEXT MAX_UNPACKED MAX_ENTRIES MAX_DEPTH MAX_PAGES");
  nordpii::office::Limits lim;
  lim.max_text = std::strtoull(argv[2], nullptr, 10);
  lim.max_unpacked = std::strtoull(argv[3], nullptr, 10);
  lim.max_entries = std::strtoull(argv[4], nullptr, 10);
  lim.max_depth = std::atoi(argv[5]);
  std::string data;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0) Fail("read failed");
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  if (!nordpii::sandbox::Enter()) Fail("cannot enter the seccomp sandbox (NORDPII_EXTRACT_NO_SECCOMP=1 skips it)");
  if (std::getenv("NORDPII_EXTRACT_TEST_SANDBOX")) {
    const std::string probe = nordpii::sandbox::Probe();
    std::printf("S7 %zu\nsandbox%s", probe.size(), probe.c_str());
  }
  if (const char* t = std::getenv("NORDPII_EXTRACT_TEST_CRASH")) {
    if (std::strcmp(t, "hang") == 0)
      for (;;) pause();
    std::abort();
  }
  // With OCR (argument 9 is "1"): raster pictures as "I<loclen> <len>\n<loc><bytes>"
  // for nordpii to pass to the OCR helper, at most MAX_OCR_PAGES (argument 10).
  const bool ocr = argc > 9 && std::strcmp(argv[9], "1") == 0;
  if (argc > 10) lim.max_images = std::atoi(argv[10]);
  const nordpii::office::ImageFn images = [](const std::string& loc, const std::string& bytes) {
    std::printf("I%zu %zu\n", loc.size(), bytes.size());
    std::fwrite(loc.data(), 1, loc.size(), stdout);
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  };
  try {
    nordpii::office::Extract(
        argv[1], data, lim,
        [](const std::string& loc, const std::string& text) {
          std::printf("S%zu %zu\n", loc.size(), text.size());
          std::fwrite(loc.data(), 1, loc.size(), stdout);
          std::fwrite(text.data(), 1, text.size(), stdout);
        },
        ocr ? &images : nullptr);
  } catch (const nordpii::office::Failure& e) {
    Fail(e.what());
  } catch (const std::bad_alloc&) {
    Fail("out of memory (limit)");
  }
  std::printf("D\n");
  std::fflush(stdout);
  return 0;
}
