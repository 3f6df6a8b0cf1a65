// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the ticket readers (JSONL, JSON arrays and wrappers,
// CSV) and the ticket scanner/redactor, checked against ticket_invariants.h.
// Build and run: scripts/fuzz.sh (clang, ASan + UBSan).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz/ticket_invariants.h"

using namespace nordpii;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  ScanContext& ctx = test::FuzzContext();
  std::string why = test::CheckTicketInvariants(std::string_view(reinterpret_cast<const char*>(d), n), ctx);
  if (!why.empty()) {
    std::fprintf(stderr, "ticket invariant broken: %s\n", why.c_str());
    std::abort();
  }
  return 0;
}
