// SPDX-License-Identifier: Apache-2.0
// File: summary_writer.h
//
// The batch report writers, fed by a BatchSummary: summary.json (through
// nlohmann-json; the schema is documented in README "batch"), overdue.csv
// (with a retention period) and report.html (report_html.cc). All of them
// show only what findings.jsonl shows (masked text, keyed hashes, counts):
// never a raw value. Each file is written through OutputFile (temporary
// file + rename): never half-written.
#ifndef NORDPII_BATCH_SUMMARY_WRITER_H_
#define NORDPII_BATCH_SUMMARY_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "batch/batch.h"
#include "batch/batch_summary.h"
#include "core/status.h"

namespace nordpii {

// What every writer shows, computed once from the summary (one pass over
// its documents, held or spilled): the number of documents, the top ones
// (most findings first) and the overdue ones (most overdue first).
struct ReportView {
  const BatchSummary* sum = nullptr;  // the counts
  const std::vector<std::string>* errors = nullptr;  // already masked
  size_t inputs = 0;
  uint64_t bytes = 0;
  int retention_days = -1;  // -1: no retention audit
  std::string today;        // YYYY-MM-DD
  std::string run_date;     // UTC "YYYY-MM-DD HH:MM:SS"
  std::string date_rule;    // which date a document's age counts from (program text)
  BatchReportInfo info;
  size_t documents = 0;     // with findings
  std::vector<BatchSummary::DocRow> top;  // at most 20 (without their values)
  struct Late {
    BatchSummary::DocRow d;
    long age;  // days since its date
  };
  std::vector<Late> overdue;  // the first (as many as summary.json shows)
  size_t overdue_count = 0;   // all of them
  std::shared_ptr<DocRowsByAge> overdue_all;  // all of them, in order (overdue.csv)
};

// Builds the view (sorting is done here, once). An error when the
// summary's spilled documents cannot be read back (or were not all written).
Status MakeReportView(BatchSummary& sum, const std::vector<std::string>& errors, size_t inputs, uint64_t bytes,
                      int retention_days, const std::string& date_field, const std::string& today,
                      const BatchReportInfo& info, ReportView& v);

// DIR/summary.json, DIR/overdue.csv (retention only), DIR/report.html.
Status WriteSummaryJson(const std::string& dir, const ReportView& v);
Status WriteOverdueCsv(const std::string& dir, const ReportView& v);
Status WriteReportHtml(const std::string& dir, const ReportView& v);  // report_html.cc

// All three, in that order; the first error is returned.
Status WriteSummary(const std::string& dir, BatchSummary& sum, const std::vector<std::string>& errors,
                    size_t inputs, uint64_t bytes, int retention_days, const std::string& date_field,
                    const std::string& today, const BatchReportInfo& info);

// Helpers shared by the writers and the runner.
// Writes a whole file through OutputFile (temporary file + rename).
Status WriteWhole(const std::string& path, std::string_view bytes);
// Sizes in human units (decimal, as the progress line: 1 MB = 10^6 bytes).
std::string HumanBytes(uint64_t n);
// The run's date and time (UTC, "YYYY-MM-DD HH:MM:SS"); SOURCE_DATE_EPOCH fixes it.
std::string NowUtc();
// Today (UTC, "YYYY-MM-DD").
std::string TodayUtc();

}  // namespace nordpii

#endif  // NORDPII_BATCH_SUMMARY_WRITER_H_
