// SPDX-License-Identifier: Apache-2.0
// File: work_items.h
//
// Work items: what one batch thread (`batch --jobs N`) or one distributed
// worker (`nordpii submit` / `worker`) scans at a time. An input file is one
// item, except a large JSONL, mbox or plain-text file, which is split into
// record-aligned byte ranges (Input::begin/end): JSONL at line starts, mbox
// at the "From " lines where MboxReader starts a message, text at line
// starts. A range cut by one pass (distributed work) carries the file line
// at its start and the number of records (JSONL) or messages (mbox) before
// it; one cut by seeking (batch, scan --threads) is numbered from its own
// start and fixed up when written in file order (Input::relative). Either
// way its findings carry the same offsets, lines and record / message
// numbers as a scan of the whole file. A text range is scanned with kRangeLeadIn bytes of context on both
// sides (labels before a value, the widest finding), and keeps only the
// findings that start inside it: each finding belongs to exactly one range.
#ifndef NORDPII_BATCH_WORK_ITEMS_H_
#define NORDPII_BATCH_WORK_ITEMS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "batch/input_scan.h"

namespace nordpii {

// Range size: 16 MiB, or $NORDPII_RANGE_BYTES (tests; at least 1). The same
// on every run (a resumed batch finds its checkpointed ranges again).
uint64_t WorkRangeBytes();

// Context read on either side of a text range (the streaming scanner's
// re-scanned overlap is 2 KiB: widest finding plus widest context window).
inline constexpr uint64_t kRangeLeadIn = 8192;

// Splits inputs larger than range_bytes (regular JSONL, mbox and text files)
// into ranges of about range_bytes, never inside a record: a range ends at
// the first record start (JSONL and text: a line start; mbox: a line
// starting "From ") at or after its start + range_bytes; a zip or an
// uncompressed tar with more than one file into one item per member (its
// headers are listed; only when every member's declared size is within
// max_message, their sum within the archive budget of 64 x max_message and
// there are at most 100 000 entries — else it stays whole and its scan
// reports the limit). Other inputs are one item each, and so is UTF-16
// text and a document by its bytes (a PDF named .txt: sniffed once here). A file that cannot be
// read stays one item (its scan reports the error). Items of one file are
// consecutive, in file order.
// This form (distributed work) makes one sequential pass over each split
// file, so that every range carries its first_line and records_before.
std::vector<Input> SplitWorkItems(const std::vector<Input>& inputs, uint64_t range_bytes,
                                  uint64_t max_message = 64u << 20);
// The same items, each handed to `emit` as soon as it is known (batch runs
// this beside its workers). The cuts are found by seeking: a few KiB read
// at each nominal cut, no pass over the file; a range's first_line and
// records_before are not known (Input::relative: its numbers are fixed up
// when its report is written in file order). `emit`
// returns false to stop. A read error while cutting a file that already
// emitted ranges goes to `error` (the rest of the file is one last range).
void SplitWorkItems(const std::vector<Input>& inputs, uint64_t range_bytes, uint64_t max_message,
                    const std::function<bool(Input)>& emit, const std::function<void(const std::string&)>& error);

// The counts of [begin, end) of a file as the splitter defines them: line
// breaks, and JSONL records (lines with anything but ' ', '\t', '\r' before
// their '\n'; a UTF-8 BOM at offset 0 is no content) or mbox messages
// starting in it (at `begin`, a record start, and at every line starting
// "From "). Text: records 0.
struct RangeCounts {
  uint64_t lines = 0, records = 0;
};
// Counted as the bytes come, in pieces of any size (a range's scan counts
// the bytes it reads; CountRange reads them itself).
class RangeCounter {
 public:
  RangeCounter(InputFormat format, uint64_t begin)
      : mbox_(format == InputFormat::kMbox), jsonl_(format == InputFormat::kJsonl), at_(begin) {
    if (mbox_) c_.records = 1;  // `begin` starts a message (offset 0 or a cut)
  }
  void Add(const char* d, size_t n);  // the next n bytes
  const RangeCounts& counts() const { return c_; }
  uint64_t at() const { return at_; }  // file offset after the bytes added

 private:
  bool mbox_, jsonl_;
  uint64_t at_;
  RangeCounts c_;
  bool line_start_ = true, nonblank_ = false;  // JSONL
  char tail_[5] = {};                          // mbox: the last bytes added
  size_t keep_ = 0;
};
Result<RangeCounts> CountRange(int fd, InputFormat format, uint64_t begin, uint64_t end);

// Counts the bytes [c.at(), end) of `fd` into `c` (128 KiB pieces): the
// rest of a range whose scan stopped early.
Status CountOn(int fd, RangeCounter& c, uint64_t end);

// A range cut by seeking (Input::relative) is scanned with numbers relative
// to its start (issue 14: no range reads another; with one job nothing is
// read twice): its report is fixed up by PatchedCopy, its summary by
// BatchSummary::MergeRange, and its errors here: "PATH: record N at offset"
// (TicketScanner) and "PATH: message N (" (an mbox message over the limit),
// the only errors that name a record or message number, get `records` (the
// records or messages before the range) added to N.
std::string FixUpRangeError(const std::string& e, const std::string& path, uint64_t records);

// The item's id in a checkpoint: the path, or for a range
// "path\x1e" "begin-end", for an archive member "path\x1e#N".
std::string WorkItemId(const Input& item);

}  // namespace nordpii

#endif  // NORDPII_BATCH_WORK_ITEMS_H_
