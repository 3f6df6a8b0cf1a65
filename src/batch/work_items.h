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
// into ranges of about range_bytes, never inside a record; a zip or an
// uncompressed tar with more than one file into one item per member (its
// headers are listed; only when every member's declared size is within
// max_message, their sum within the archive budget of 64 x max_message and
// there are at most 100 000 entries — else it stays whole and its scan
// reports the limit). Other inputs are one item each. One sequential pass
// over each split file. A file that cannot be read stays one item (its scan
// reports the error). Items of one file are consecutive, in file order.
std::vector<Input> SplitWorkItems(const std::vector<Input>& inputs, uint64_t range_bytes,
                                  uint64_t max_message = 64u << 20);
// The same items, each handed to `emit` as soon as it is known — a file's
// ranges while the pass over it goes on — so that scanning starts with the
// first range instead of after a pass over the whole file (batch runs this
// beside its workers). `emit` returns false to stop. A read error during a
// pass that already emitted ranges goes to `error` (the rest of the file is
// one last range). The vector form above keeps such errors to the scan.
void SplitWorkItems(const std::vector<Input>& inputs, uint64_t range_bytes, uint64_t max_message,
                    const std::function<bool(Input)>& emit, const std::function<void(const std::string&)>& error);

// The item's id in a checkpoint: the path, or for a range
// "path\x1e" "begin-end", for an archive member "path\x1e#N".
std::string WorkItemId(const Input& item);

}  // namespace nordpii

#endif  // NORDPII_BATCH_WORK_ITEMS_H_
