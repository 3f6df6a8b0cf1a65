// SPDX-License-Identifier: Apache-2.0
// File: parallel_records.h
//
// One large JSONL or mbox file on several cores (`scan --threads N`, issue
// 14). The file is cut into record-aligned byte ranges as batch cuts it
// (SplitWorkItems, work_items.h: by seeking, JSONL at line starts, mbox at
// the "From " lines where MboxReader starts a message); N workers scan
// ranges (ScanInput of a range item, as a batch worker does: numbered from
// the range's start, its lines and records counted as it is read) into a
// report of the caller's format in memory (InputScanners::range_report),
// and the calling thread appends each range's report (its buffer, not a
// copy) to its own in file order (ReportSink::AppendPart), its line,
// record and message numbers fixed up by the counts of the ranges before
// it (no range reads another). At most 2N + 2
// ranges are in flight (memory: their reports). Errors of a range are
// reported in file order through `error`; --fields is checked once over all
// ranges. Same output and exit status as one thread (tests/scan_threads.sh).
#ifndef NORDPII_BATCH_PARALLEL_RECORDS_H_
#define NORDPII_BATCH_PARALLEL_RECORDS_H_

#include <functional>
#include <string>

#include "batch/input_scan.h"

namespace nordpii {

// Scans `in` (a regular JSONL or mbox file, `in.format` known) with
// s.threads workers in ranges of s.thread_range bytes. False, having read
// and reported nothing, when the file has no place to cut or no temporary
// directory can be made for the ranges' reports that outgrow memory ($TMPDIR,
// else /tmp) (the caller scans it with one thread).
bool ScanRecordsParallel(const Input& in, InputScanners& s, const FindingFilter& filter, ReportSink& sink,
                         size_t max_message, const std::function<void(const std::string&)>& error);

}  // namespace nordpii

#endif  // NORDPII_BATCH_PARALLEL_RECORDS_H_
