// SPDX-License-Identifier: Apache-2.0
// File: mail_invariants.h — what must hold for any input to the mail reader;
// shared by the libFuzzer target and the replay test.
//   - scan and redact never fail on malformed mail;
//   - findings lie inside the message;
//   - a message with nothing to redact comes out byte-identical, and a
//     redacted one still has the same MIME entity count and types;
//   - redacting twice changes nothing more than once (idempotent);
//   - every QP/base64 text and CSV part decoded as a stream (in ranges of a
//     few bytes, CSV cells cut across them) gives the findings and the
//     redacted bytes of the part decoded whole (CheckStreamedEqualsWhole).
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
  if (Status r = ms.Redact(msg, filter, RedactStyle::kLabel, out, s1); !r.ok()) return "redact failed: " + r.message();
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

// The streamed paths (TransferStream, CsvStreamCells: used for parts over
// MailLimits::stream_part_bytes) against the whole-part path, with every
// part streamed in ranges of `range` encoded bytes and CSV windows of
// `window` bytes. "" when both agree (or either hit a limit), else what
// differs.
inline std::string CheckStreamedEqualsWhole(std::string_view msg, ScanContext& ctx, const MailLimits& lim,
                                            size_t range, size_t window) {
  MailLimits st = lim;
  st.stream_part_bytes = 0;
  st.stream_range = range;
  st.csv_window = window;
  MailScanner whole(ctx, lim), streamed(ctx, st);
  FindingCollector a, b;
  Status sa = whole.Scan(msg, 0, 1, {}, a), sb = streamed.Scan(msg, 0, 1, {}, b);
  if (!sa.ok() || !sb.ok()) return "";
  if (a.f.size() != b.f.size()) return "streamed: another number of findings";
  for (size_t i = 0; i < a.f.size(); ++i)
    if (a.f[i].start != b.f[i].start || a.f[i].end != b.f[i].end || a.f[i].type != b.f[i].type ||
        a.f[i].part != b.f[i].part || a.f[i].field != b.f[i].field)
      return "streamed: another finding";
  FindingFilter filter;
  filter.categories = {"national-id", "financial", "credential"};
  std::string oa, ob;
  RedactSummary ra, rb;
  if (!whole.Redact(msg, filter, RedactStyle::kLabel, oa, ra).ok() ||
      !streamed.Redact(msg, filter, RedactStyle::kLabel, ob, rb).ok())
    return "";
  if (ra.incomplete || rb.incomplete) return "";
  if (oa != ob) return "streamed: other redacted bytes";
  return "";
}

}  // namespace nordpii::test

#endif  // NORDPII_TESTS_FUZZ_MAIL_INVARIANTS_H_
