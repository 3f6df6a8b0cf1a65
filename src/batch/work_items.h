// SPDX-License-Identifier: Apache-2.0
// File: work_items.h
//
// Work items: what one batch thread (`batch --jobs N`) or one distributed
// worker (`nordpii submit` / `worker`) scans at a time. An input file is one
// item, except a large JSONL, mbox or plain-text file, which is split into
// record-aligned byte ranges (Input::begin/end): JSONL at line starts, mbox
// at the "From " lines where MboxReader starts a message, text at line
// starts. Each range carries the file line at its start and the number of
// records (JSONL) or messages (mbox) before it, so its findings carry the
// same offsets, lines and record / message numbers as a scan of the whole
// file. A text range is scanned with kRangeLeadIn bytes of context on both
// sides (labels before a value, the widest finding), and keeps only the
// findings that start inside it: each finding belongs to exactly one range.
#ifndef NORDPII_BATCH_WORK_ITEMS_H_
#define NORDPII_BATCH_WORK_ITEMS_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
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
// reports the limit). Other inputs are one item each. A file that cannot be
// read stays one item (its scan reports the error). Items of one file are
// consecutive, in file order.
// This form (distributed work) makes one sequential pass over each split
// file, so that every range carries its first_line and records_before.
std::vector<Input> SplitWorkItems(const std::vector<Input>& inputs, uint64_t range_bytes,
                                  uint64_t max_message = 64u << 20);
// The same items, each handed to `emit` as soon as it is known (batch runs
// this beside its workers). The cuts are found by seeking: a few KiB read
// at each nominal cut, no pass over the file; a range's first_line and
// records_before are left to its scan (Input::numbering, RangeNumbering
// below), which ScanInput fills in before it scans the range. `emit`
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

// Line and record counts of one file's ranges cut by seeking, shared by the
// threads that scan them (issue 14: no pass over the file before the scan,
// and none at all with one job). A range's scan counts the bytes it reads
// and publishes the counts when it is done (Publish); before it starts, it
// adds up the counts of the ranges before it (Number): one that is not
// published yet (being scanned by another thread, or done in an earlier
// run of a resumed batch) is counted there by reading it once more
// (CountRange, 128 KiB pieces), or waited for when another thread is
// already counting it that way (a short wait: counting is ~15x faster than
// scanning). With one job every range before has been scanned: nothing is
// read twice; with N jobs each range is read about once more. A range that
// cannot be read makes every later range an error (fail closed: they
// cannot be numbered).
class RangeNumbering {
 public:
  RangeNumbering(std::string path, InputFormat format) : path_(std::move(path)), format_(format) {}
  // Range i = [begin, end), added in file order before it is handed out.
  size_t Add(uint64_t begin, uint64_t end);
  // Sets in.first_line and in.records_before of range in.range_index.
  Status Number(Input& in);
  // The counts of range i from its scan (all of its bytes read).
  void Publish(size_t i, const RangeCounts& c);
  // False once another thread counts range i itself (its scan need not).
  bool Wanted(size_t i);

 private:
  struct Range {
    uint64_t begin = 0, end = 0;
    int state = 0;  // 0 not counted, 1 being counted, 2 counted, 3 unreadable
    uint64_t lines = 0, records = 0;
    std::string error;
  };
  // Counts range i (state 1, set by the caller), outside the lock.
  void Count(std::unique_lock<std::mutex>& lock, size_t i);
  std::string path_;
  InputFormat format_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Range> ranges_;  // references stay valid as it grows
  size_t prefix_ = 0;         // ranges [0, prefix_) counted, their sums:
  uint64_t prefix_lines_ = 0, prefix_records_ = 0;
};

// The item's id in a checkpoint: the path, or for a range
// "path\x1e" "begin-end", for an archive member "path\x1e#N".
std::string WorkItemId(const Input& item);

}  // namespace nordpii

#endif  // NORDPII_BATCH_WORK_ITEMS_H_
