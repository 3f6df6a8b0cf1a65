// SPDX-License-Identifier: Apache-2.0
// File: fuzz_common.h — pieces the mail and ticket fuzz targets and their
// invariant checks share: a sink that keeps findings, and the engine's
// context built once per fuzzing process.
#ifndef NORDPII_TESTS_FUZZ_FUZZ_COMMON_H_
#define NORDPII_TESTS_FUZZ_FUZZ_COMMON_H_

#include <cstdlib>
#include <memory>
#include <vector>

#include "pipeline/scanner.h"

namespace nordpii::test {

struct FindingCollector : StreamSink {
  std::vector<Finding> f;
  bool OnFinding(const Finding& x, std::string_view) override {
    f.push_back(x);
    return true;
  }
};

#ifdef NORDPII_SOURCE_DIR
// The engine (patterns from the source tree) and one context, made on first
// use; a fuzz target aborts if they cannot be built.
inline ScanContext& FuzzContext() {
  static std::shared_ptr<const Scanner> engine = [] {
    ScannerOptions opt;
    opt.patterns_dir = NORDPII_SOURCE_DIR "/patterns";
    auto s = Scanner::Create(opt);
    if (!s) std::abort();
    return *s;
  }();
  static auto ctx = engine->NewContext(KeyedHasher("fuzz"));
  return *ctx;
}
#endif

}  // namespace nordpii::test

#endif  // NORDPII_TESTS_FUZZ_FUZZ_COMMON_H_
