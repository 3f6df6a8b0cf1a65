// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the OOXML / OpenDocument extractor (the parser inside
// nordpii-extract), in-process with small limits: any input either extracts
// or throws office::Failure — never crashes, leaks or exceeds the limits.
// Build and run: scripts/fuzz.sh SECONDS office (clang, ASan + UBSan).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "extract/office_extract.h"
#include "fuzz/office_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  auto [fmt, doc] = nordpii::test::OfficeInput(std::string_view(reinterpret_cast<const char*>(d), n));
  nordpii::office::Limits lim;
  lim.max_text = 1 << 20;
  lim.max_unpacked = 16 << 20;
  lim.max_entries = 200;
  size_t text = 0;
  try {
    nordpii::office::Extract(fmt, doc, lim, [&](const std::string& loc, const std::string& t) {
      text += t.size() + 1;
      (void)loc;
    });
  } catch (const nordpii::office::Failure&) {
  }
  if (text > lim.max_text) {
    std::fprintf(stderr, "office extractor: text limit exceeded\n");
    std::abort();
  }
  return 0;
}
