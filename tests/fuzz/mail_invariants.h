// SPDX-License-Identifier: Apache-2.0
// File: mail_invariants.h — what must hold for any input to the mail reader;
// shared by the libFuzzer target and the replay test.
//   - scan and redact never fail on malformed mail;
//   - findings lie inside the message;
//   - a message with nothing to redact comes out byte-identical, and a
//     redacted one still has the same MIME entity count and types;
//   - redacting twice changes nothing more than once (idempotent).
#ifndef NORDPII_TESTS_FUZZ_MAIL_INVARIANTS_H_
#define NORDPII_TESTS_FUZZ_MAIL_INVARIANTS_H_

#include <string>

#include "fuzz/fuzz_common.h"
#include "mail/mail_scanner.h"

namespace nordpii::test {

// Returns "" when every invariant holds, else what broke.
inline std::string CheckMailInvariants(std::string_view msg, ScanContext& ctx, const MailLimits& lim) {
  MailScanner ms(ctx, lim);
  FindingCollector sink;
  // A limit is a fail-closed result, not a failure: Scan says kLimit and
  // Redact must then call itself incomplete (nothing is written from it).
  Status scanned = ms.Scan(msg, 0, 1, {}, sink);
  if (!scanned.ok() && scanned.code() != ErrorCode::kLimit) return "scan failed";
  for (const Finding& f : sink.f)
    if (f.start > f.end || f.end > msg.size()) return "finding outside the message";
  FindingFilter filter;
  filter.categories = {"national-id", "financial", "credential"};
  std::string out, out2;
  RedactSummary s1, s2;
  if (!ms.Redact(msg, filter, RedactStyle::kLabel, out, s1).ok()) return "redact failed";
  if (!scanned.ok() && !s1.incomplete) return "scan hit a limit but redaction claims to be complete";
  if (s1.incomplete) return "";
  if (s1.redacted == 0) return out == msg ? "" : "nothing redacted but bytes changed";
  MimeTree a = ParseMime(msg, lim), b = ParseMime(out, lim);
  if (a.entities.size() != b.entities.size()) return "entity count changed";
  for (size_t i = 0; i < a.entities.size(); ++i)
    if (a.entities[i].type != b.entities[i].type || a.entities[i].subtype != b.entities[i].subtype) {
      // An attachment with findings that cannot be edited in place (a
      // document, binary data) is replaced whole by a text/plain notice.
      if (s1.attachments_replaced > 0 && b.entities[i].type == "text" && b.entities[i].subtype == "plain") continue;
      return "content type changed";
    }
  if (!ms.Redact(out, filter, RedactStyle::kLabel, out2, s2).ok()) return "second redact failed";
  // Idempotent: the redacted message has nothing left to redact, so a
  // second pass returns it byte for byte (a change would be an identifier
  // the first pass left, or bytes the writer does not reproduce).
  if (!s2.incomplete && out2 != out) return "not idempotent: the second redaction changed the output";
  return "";
}

}  // namespace nordpii::test

#endif  // NORDPII_TESTS_FUZZ_MAIL_INVARIANTS_H_
