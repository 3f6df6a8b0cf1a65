// SPDX-License-Identifier: Apache-2.0
// File: checkpoint.h
//
// The batch checkpoint (--checkpoint FILE): one line per finished work item,
// appended after the item's findings are flushed to findings.jsonl:
//   ITEM_ID ( \x1f ERROR )* \x1d START-END \n
// ITEM_ID is WorkItemId (work_items.h); each ERROR is an error the item gave
// (masked; newlines and the separators made spaces); START-END is the byte
// span of the item's lines in findings.jsonl. A resumed run reports the
// errors as the uninterrupted run would have and keeps exactly the findings
// of finished items. Lines without a span (an older nordpii) keep findings
// by path, and items that are ranges or members are scanned again.
#ifndef NORDPII_BATCH_CHECKPOINT_H_
#define NORDPII_BATCH_CHECKPOINT_H_

#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "batch/batch_summary.h"
#include "core/status.h"
#include "output/identifier_masker.h"

namespace nordpii {

// Appends one error of an item to `errors` (the part of its checkpoint line
// after the id).
void AppendCheckpointError(std::string& errors, std::string_view e);

// A whole checkpoint line (with its newline).
std::string CheckpointLine(const std::string& item_id, const std::string& errors, long span_start, long span_end);

// Resumes from `checkpoint`: fills `done` with the finished item ids,
// reports their errors again through `error`, rewrites findings.jsonl to
// hold only the findings of finished items (streamed through OutputFile),
// adding each kept line to `summary`, and rewrites the checkpoint when the
// kept spans moved. An error (I/O) means the run must not go on.
Status ResumeFromCheckpoint(const std::string& checkpoint, const std::string& findings_path, IdentifierMasker& masker,
                            const std::function<void(const std::string&)>& error, BatchSummary& summary,
                            std::set<std::string>& done);

}  // namespace nordpii

#endif  // NORDPII_BATCH_CHECKPOINT_H_
