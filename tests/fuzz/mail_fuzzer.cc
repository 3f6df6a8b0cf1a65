// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the mail reader: MIME structure, per-part decoding,
// header decoding, scan and redact, the mbox splitter — checked against the
// invariants in mail_invariants.h. It also feeds mimetic's parser (used only
// as a test oracle) the normalised input the oracle test gives it, so the
// out-of-bounds reads in Debian's mimetic headers would show up here under
// ASan if the normalisation did not keep them away.
// Build and run: scripts/fuzz.sh (clang, ASan + UBSan).
#include <mimetic/mimetic.h>

#include <cstdint>
#include <cstdlib>
#include <cstdio>

#include "fuzz/mail_invariants.h"
#include "input/mail_source.h"

using namespace nordpii;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  ScanContext& ctx = test::FuzzContext();
  std::string_view in(reinterpret_cast<const char*>(d), n);
  MailLimits lim;
  lim.max_depth = 8;
  lim.max_parts = 64;
  lim.max_decoded_bytes = 1 << 20;
  std::string why = test::CheckMailInvariants(in, ctx, lim);
  if (!why.empty()) {
    std::fprintf(stderr, "mail invariant broken: %s\n", why.c_str());
    std::abort();
  }
  // Streamed parts as the whole part (ranges and CSV windows of 1-16 bytes,
  // from the input's last byte so the corpus explores them).
  if (n > 0) {
    why = test::CheckStreamedEqualsWhole(in, ctx, lim, 1 + d[n - 1] % 16, 1 + (d[n - 1] >> 4));
    if (!why.empty()) {
      std::fprintf(stderr, "mail invariant broken: %s\n", why.c_str());
      std::abort();
    }
  }
  // The mbox splitter gives back every byte exactly once.
  auto src = StringSource(in);
  MboxReader rd(*src, 1 << 16);
  MboxMessage m;
  std::string rebuilt;
  for (int k = 0; k < 100000; ++k) {
    auto more = rd.Next(m);
    if (!more) std::abort();
    if (!*more) break;
    if (m.too_large) { rebuilt.clear(); break; }
    rebuilt += m.from_line;
    rebuilt += m.text;
  }
  if (!rebuilt.empty() && rebuilt != in) std::abort();
  // mimetic on normalised input (LF only, final newline), as the oracle test.
  std::string norm;
  for (char c : in)
    if (c != '\r') norm += c;
  if (norm.empty() || norm.back() != '\n') norm += '\n';
  mimetic::MimeEntity me(norm.begin(), norm.end());
  (void)me;
  return 0;
}
