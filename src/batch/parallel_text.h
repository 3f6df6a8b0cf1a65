// SPDX-License-Identifier: Apache-2.0
// File: parallel_text.h
//
// One large text file on several cores (`scan --threads N`, issue 14): the
// file is cut into line-aligned byte ranges (a range starts just after a
// '\n'); each thread scans its range with ScanContext, reading the 2 KiB
// before it as context only (set_report_from) and 2 KiB after it, so every
// finding that starts in the range is computed with the same surroundings
// the one-thread stream gives it (the stream's chunks overlap by the same
// bound: core/limits.h). Findings are handed to the sink in input order,
// range by range (4 MiB each, at most threads + 1 in flight: bounded memory),
// with byte offsets and line/column numbers of the whole file, and the
// stream's rule that a finding starting inside the previous one is not
// reported applied across range seams. Same findings and order as one job
// (test: tests/parallel_text.sh on the benchmark corpora, streaming_test).
#ifndef NORDPII_BATCH_PARALLEL_TEXT_H_
#define NORDPII_BATCH_PARALLEL_TEXT_H_

#include <cstdint>
#include <string>

#include "pipeline/scanner.h"

namespace nordpii {

// Bytes per thread and round. Files smaller than two ranges are scanned by
// one thread (input_scan.cc).
inline constexpr uint64_t kParallelRangeBytes = uint64_t{4} << 20;

// Scans the regular file `path` (`size` bytes) as text with `threads`
// threads, `ctx` and its clones; an error (open, read) stops the scan and is
// returned (findings before it were delivered). sink.OnData is not called
// (scan reports only; redaction streams with one thread).
Status ScanTextParallel(const std::string& path, uint64_t size, ScanContext& ctx, int threads,
                        const FindingFilter& filter, StreamSink& sink,
                        uint64_t range_bytes = kParallelRangeBytes);

}  // namespace nordpii

#endif  // NORDPII_BATCH_PARALLEL_TEXT_H_
