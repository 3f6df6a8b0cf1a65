// SPDX-License-Identifier: Apache-2.0
// File: input_scan.h
//
// One input file through the right reader: text (streamed), a message
// (.eml), an mbox (message by message), or a ticket export (record by
// record) — the dispatch `nordpii scan` and every `nordpii batch` worker use.
// Also the walk from command-line paths to input files.
#ifndef NORDPII_BATCH_INPUT_SCAN_H_
#define NORDPII_BATCH_INPUT_SCAN_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "input/input_format.h"
#include "input/mail_source.h"
#include "mail/mail_scanner.h"
#include "output/report_sink.h"
#include "tickets/ticket_scanner.h"

namespace nordpii {

struct Input {
  std::string path;
  InputFormat format = InputFormat::kText;
  uint64_t size = 0;
  // A pipe, FIFO, /dev/stdin or <(...) under --input auto: opened once when
  // scanned, its format recognised from the bytes read (`format` is unknown
  // until then).
  bool stream = false;
  // A work item that is a record-aligned byte range [begin, end) of the
  // file (work_items.h; end == 0: the whole file). first_line is the file
  // line at begin, records_before the JSONL records or mbox messages that
  // start before it, so findings are numbered as in a scan of the whole file.
  uint64_t begin = 0, end = 0, first_line = 1, records_before = 0;
  bool last_range = false;  // the file's last range (not sent to distributed workers)
  // A range cut by seeking (batch, scan --threads): first_line and
  // records_before are not known when it is cut. It is scanned with numbers
  // relative to its start (line 1, no records before), counts its own lines
  // and records (InputScanners::range_counts), and its report is fixed up
  // when it is written in file order, after the ranges before it
  // (ReportSink::SetPatches, PatchedCopy; FixUpRangeError).
  bool relative = false;
  // A work item that is one member of a zip or uncompressed tar: its entry
  // number in the archive (1-based; 0: the whole file) and its declared
  // size (more data than that is an error: the archive's budget was
  // checked against the declared sizes when it was split).
  uint64_t member = 0, member_size = 0;
};

// Expands paths into inputs: a Maildir (or any directory with --input
// maildir) gives its message files (Maildir++ folders included); other
// directories are walked recursively (symlinked directories are followed,
// each directory walked once by device and inode, so links cannot loop),
// sorted; "-" is stdin. `forced` is --input ("auto" detects per file).
// Unreadable directories and FIFOs, sockets and devices found in a walk
// (not opened: reading could block) are reported through `error`. A walk
// skips `.git` directories and the directories in `skip` (batch: its own
// report directory, so a rerun does not scan its last report).
std::vector<Input> ExpandInputs(const std::vector<std::string>& paths, const std::string& forced,
                                const std::function<void(const std::string&)>& error,
                                const std::vector<std::string>& skip = {});

// The readers of one thread.
struct InputScanners {
  InputScanners(ScanContext& c, const MailLimits& lim, const TicketOptions& t)
      : ctx(c), mail(c, lim), tickets(c, t), ocr(lim.ocr), not_read_error(lim.not_read_error), mail_limits(lim),
        ticket_options(t) {}
  ScanContext& ctx;
  MailScanner mail;
  TicketScanner tickets;
  bool ocr = false;  // image files are documents (OCR), as image attachments in mail
  // --not-read error: an image file or a PDF's scanned pages not read (OCR
  // off) is an error ("path: image file not read: …"), as in mail.
  bool not_read_error = false;
  // When set, bytes read from an input file are added here as they are
  // read (a progress bar that moves inside one large file); ScanInput
  // returns how many it added for the input.
  std::atomic<uint64_t>* progress = nullptr;
  // `scan --threads N`: a large regular text file is scanned by N threads
  // (batch/parallel_text.h); other inputs by this one.
  int threads = 1;
  uint64_t thread_range = 4 << 20;  // bytes per range (testing: smaller)
  // A JSONL range item: with defer_fields_check, the --fields check
  // (TicketScanner::EndInput) is left to the caller, which ORs and adds
  // range_fields_seen / range_records (set by ScanInput) over the file's
  // ranges and checks once (batch, scan --threads); without, each range is
  // checked alone (distributed workers).
  bool defer_fields_check = false;
  uint64_t range_fields_seen = 0;
  size_t range_records = 0;
  // A relative range item (Input::relative), set by ScanInput: its line
  // breaks and records (range_counted), or why they could not be counted
  // (range_count_error: the ranges after it cannot be numbered).
  uint64_t range_lines = 0, range_record_starts = 0;
  bool range_counted = false;
  std::string range_count_error;
  // `scan --threads N` on a JSONL or mbox file: a report like the caller's
  // (same format, its own masker) writing into `out`, for one worker; the
  // caller's sink gets each range's report in file order (AppendPart).
  // Unset: those files are scanned by one thread.
  std::function<std::unique_ptr<ReportSink>(std::FILE* out)> range_report;
  MailLimits mail_limits;
  TicketOptions ticket_options;
};

// Scans one input to `sink` (which gets SetPath/SetMessage/SetTicket).
// Problems are reported through `error` ("path: what"); the rest of the
// input is still scanned where that is possible.
// A range item (in.end > 0) reads only its range (text: plus kRangeLeadIn
// of context either side) and reports the findings that start in it.
// Returns the bytes it added to s.progress (0 without one).
uint64_t ScanInput(const Input& in, InputScanners& s, const FindingFilter& filter, ReportSink& sink,
                   size_t max_message, const std::function<void(const std::string&)>& error);

}  // namespace nordpii

#endif  // NORDPII_BATCH_INPUT_SCAN_H_
