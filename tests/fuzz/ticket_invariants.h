// SPDX-License-Identifier: Apache-2.0
// File: ticket_invariants.h — what must hold for any input to the ticket
// readers (JSONL, JSON, CSV); shared by the libFuzzer target and the replay
// test:
//   - reading never crashes; when it succeeds, the bytes between records
//     plus the records rebuild the input exactly;
//   - scanning a record never crashes and findings lie inside the record;
//   - redacting a record that has nothing to redact returns it unchanged.
#ifndef NORDPII_TESTS_FUZZ_TICKET_INVARIANTS_H_
#define NORDPII_TESTS_FUZZ_TICKET_INVARIANTS_H_

#include <string>

#include "fuzz/fuzz_common.h"
#include "tickets/ticket_scanner.h"

namespace nordpii::test {

inline std::string CheckTicketInvariants(std::string_view data, ScanContext& ctx) {
  for (TicketFormat fmt : {TicketFormat::kJsonl, TicketFormat::kJson, TicketFormat::kCsv}) {
    auto src = StringSource(data);
    TicketReader rd(*src, fmt, 1 << 16);
    TicketScanner ts(ctx, {});
    TicketRecord r;
    std::string rebuilt;
    bool failed = false;
    for (int k = 0; k < 100000; ++k) {
      auto more = rd.Next(r);
      if (!more) {
        failed = true;
        break;
      }
      rebuilt += rd.Between();
      if (!*more) break;
      rebuilt += r.bytes;
      if (fmt == TicketFormat::kCsv) ts.set_csv(rd.header(), rd.delimiter());
      FindingCollector sink;
      TicketInfo info;
      (void)ts.Scan(r, fmt, {}, sink, info);
      for (const Finding& f : sink.f)
        if (f.start < r.offset || f.end > r.offset + r.bytes.size() || f.start > f.end) return "finding outside its record";
      FindingFilter filter;
      filter.categories = {"national-id", "financial", "credential"};
      std::string out;
      size_t n = 0;
      if (ts.Redact(r, fmt, filter, RedactStyle::kLabel, out, n).ok() && n == 0 && out != r.bytes)
        return "nothing redacted but the record changed";
    }
    if (!failed && rebuilt != data) return "records do not rebuild the input";
  }
  return "";
}

}  // namespace nordpii::test

#endif  // NORDPII_TESTS_FUZZ_TICKET_INVARIANTS_H_
