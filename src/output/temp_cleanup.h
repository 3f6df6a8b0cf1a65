// SPDX-License-Identifier: Apache-2.0
// File: temp_cleanup.h
//
// Temporary files removed when a terminating signal arrives. `redact`
// writes FILE.nordpii-XXXXXX (partial output that may still hold raw
// data) and `batch` spills findings to .worker-N.jsonl; SIGINT, SIGTERM or
// SIGHUP must not leave them behind.
//
// The registry is a table of path buffers that grows in blocks outside the
// handler (RegisterTemp; blocks are never freed), so the signal handler only
// reads memory that already exists and calls async-signal-safe functions
// (unlink, write, signal, raise): it unlinks every registered path, writes
// the message given to InstallTempCleanup, restores the default action and
// re-raises the signal (the exit status still says which signal ended the
// process). Slots are claimed with lock-free atomics: thread-safe.
#ifndef NORDPII_OUTPUT_TEMP_CLEANUP_H_
#define NORDPII_OUTPUT_TEMP_CLEANUP_H_

#include <atomic>
#include <cstdint>
#include <string>

namespace nordpii {

// Installs the handler for SIGINT, SIGTERM and SIGHUP (a signal that was
// ignored when the process started stays ignored). `message` (a full
// line, copied; may be empty) is written to stderr when a signal arrives.
// Call once from the command's thread before creating temporary files.
void InstallTempCleanup(const std::string& message);

// Registers a path (at most 4095 bytes) to unlink on a signal; returns a
// slot for UnregisterTemp, or -1 when the path is too long or holds a NUL,
// or no memory is left for the table (the file is then not cleaned up on a
// signal; never an error). Any number of paths at once (up to 2^20).
int RegisterTemp(const std::string& path);
// Forgets a slot (-1 is ignored): call before the file is renamed or removed.
void UnregisterTemp(int slot);

// A graceful stop (batch): with a flag set, the first signal only stores
// its number in *flag and writes `message` (a full line); the command
// stops taking work, finishes what is in progress and reports. A second
// signal does what InstallTempCleanup's handler does (unlink, message,
// re-raise). `flag` must outlive the handler; nullptr turns this off.
void SetStopFlag(std::atomic<int>* flag, const std::string& message);
// On the second signal (the abort), truncate file descriptor `fd` to
// `length` bytes first: an append-only report file never ends in a
// half-written line. Call again with the new length after each complete
// write; fd -1 turns this off.
void SetAbortTruncate(int fd, int64_t length);

}  // namespace nordpii

#endif  // NORDPII_OUTPUT_TEMP_CLEANUP_H_
