// SPDX-License-Identifier: Apache-2.0
// File: batch.h
//
// `nordpii batch PATH... --jobs N --report DIR`: scans every input below the
// paths (text, .eml, mbox, Maildir messages, JSONL/JSON/CSV ticket exports)
// with N worker threads fed through a bounded queue, and writes the report:
//   DIR/findings.jsonl  one line per finding, the `scan` JSONL schema (with
//                       ticket/message ids and dates), plus event lines;
//   DIR/summary.json    counts by type, by category, by month of the ticket
//                       or message date, top tickets/messages, inputs with
//                       errors, and the retention audit;
//   DIR/report.html     the same as a self-contained page (inline CSS and
//                       SVG charts, no external assets);
//   DIR/overdue.csv     with --retention: every overdue ticket/message, the
//                       most overdue first (summary and page show the first).
// Never a raw value in any report file. Nothing is written outside DIR
// (and the checkpoint file).
//
// Resumable: with --checkpoint FILE, each finished input is appended to FILE
// after its findings are flushed; a rerun skips the inputs listed there and
// first drops findings of unfinished inputs from findings.jsonl, so an
// interrupted run (Ctrl-C, kill -9) ends with the same findings and the same
// summary as an uninterrupted one. summary.json and report.html are always
// computed from findings.jsonl at the end.
//
// Progress: a bar on a terminal (bytes and inputs done, MB/s, ETA), a plain
// line every 10 s otherwise, nothing with --quiet.
#ifndef NORDPII_BATCH_BATCH_H_
#define NORDPII_BATCH_BATCH_H_

#include <memory>
#include <string>
#include <vector>

#include "config/settings.h"
#include "mail/mime.h"
#include "pipeline/scanner.h"
#include "tickets/ticket_scanner.h"

namespace nordpii {

struct BatchOptions {
  std::vector<std::string> paths;
  std::string report_dir;
  std::string checkpoint;      // "" = not resumable
  size_t jobs = 0;             // 0 = all cores
  bool quiet = false;
  int retention_days = -1;     // --retention Nd; -1 = no audit
  std::string date_field;      // --date-field: created | updated | closed (default: closed, else updated)
  std::string today;           // YYYY-MM-DD (for retention); default today
  FindingFilter filter;        // Settings::Filter()
  // The run's settings (input format, limits, ticket maps, key, reference
  // date), built once by the command line; never null when run.
  std::shared_ptr<const Settings> settings;
  // 256 KiB: a larger buffer added its size and more (heap fragmentation)
  // to the peak of a batch over one large input (8 MiB: +10 MB at 60 MB).
  size_t held_bytes = 256u << 10;
  // The documents with findings the summary holds (an estimate in bytes,
  // shared by the workers) before it writes them, sorted, to a temporary
  // file in the report directory (BatchSummary::Spill; testing).
  size_t summary_bytes = 16u << 20;
  std::string report_options;  // shown in the report's header (program text: option names and values)  // one input's findings kept in memory before spilling to a file
};

// What the report says about the run itself (report.html's header and
// summary.json's "run"). All program text: no input text goes here.
struct BatchReportInfo {
  std::string run_date;     // UTC, "YYYY-MM-DD HH:MM:SS"; "" = now
  std::string options;      // the options that shape the report (retention, filters, jobs)
  std::string key_id;       // first 16 hex digits of the keyed hash of a fixed text: tells
                            // which key the hashes were made with, never the key
  bool random_key = false;  // no key given: hashes match only within this run
  bool interrupted = false; // stopped by a signal: the report covers the inputs finished
  size_t inputs_done = 0;   // inputs finished (when interrupted)
  int64_t allowed = -1;     // findings dropped by --allow in this run (-1 = no allow-list)
};

// Returns the exit code: 0 nothing found, 1 found, 2 errors happened (the
// other inputs are still scanned; errors are listed in summary.json).
int RunBatch(std::shared_ptr<const Scanner> scanner, const BatchOptions& o);

// Writes DIR/summary.json and DIR/report.html from DIR/findings.jsonl (as a
// resumed batch does for the findings it keeps), with the given (already
// masked) errors and input totals: `nordpii collect` builds the same report
// as batch from findings gathered from workers. *findings gets the number
// of findings (0/1 exit status as batch).
Status WriteBatchReport(const std::string& dir, const std::vector<std::string>& errors, size_t inputs,
                        uint64_t bytes, int retention_days, const std::string& date_field,
                        const std::string& today, size_t* findings, const BatchReportInfo& info = {});

// The run's date and time for a report header: UTC "YYYY-MM-DD HH:MM:SS"
// (SOURCE_DATE_EPOCH, when set, fixes it: reproducible reports).
std::string ReportRunDate();

// The key id shown in reports (see BatchReportInfo::key_id).
std::string KeyId(const KeyedHasher& hasher);

}  // namespace nordpii

#endif  // NORDPII_BATCH_BATCH_H_
