// SPDX-License-Identifier: Apache-2.0
// File: held_output.h
//
// HeldOutput: one work item's findings, held while the item is scanned and
// then appended whole to findings.jsonl (items finish out of order; a
// findings file must hold whole items only, for the checkpoint spans).
#ifndef NORDPII_BATCH_HELD_OUTPUT_H_
#define NORDPII_BATCH_HELD_OUTPUT_H_

#include <sys/types.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <string>

#include "output/temp_cleanup.h"

namespace nordpii {

// A FILE* whose bytes stay in memory up to `limit`, then go to a temporary
// file (fopencookie: ReportSink writes through stdio as for any file).
// `mem` is the worker's buffer, reused from input to input (a new one per
// input paid for its growth and page faults again each time).
class HeldOutput {
 public:
  // Not copyable (the FILE* cookie points at this object).
  HeldOutput(const HeldOutput&) = delete;
  HeldOutput& operator=(const HeldOutput&) = delete;
  HeldOutput(std::string spill_path, size_t limit, std::string& mem)
      : path_(std::move(spill_path)), limit_(limit), mem_(mem) {
    mem_.clear();
    cookie_io_functions_t io{};
    io.write = [](void* c, const char* b, size_t n) -> ssize_t {
      return static_cast<HeldOutput*>(c)->Write(b, n) ? static_cast<ssize_t>(n) : -1;
    };
    f_ = fopencookie(this, "w", io);
    if (f_) std::setvbuf(f_, nullptr, _IOFBF, 1 << 16);
  }
  ~HeldOutput() {
    if (f_) std::fclose(f_);
    if (spill_) std::fclose(spill_);
    if (spill_ || parked_) {
      std::remove(path_.c_str());
      UnregisterTemp(slot_);
    }
  }
  // Done writing; the spill file, if any, is closed until CopyTo (a parked
  // range holds no file descriptor: batch parks up to 4 per job, and their
  // open files made a run with more jobs than the descriptor limit allows
  // fail with "Too many open files"). False when a write failed.
  bool Park() {
    if (std::fflush(f_) != 0 || failed_) return false;
    if (spill_) {
      const bool ok = std::fflush(spill_) == 0;
      std::fclose(spill_);
      spill_ = nullptr;
      parked_ = true;
      if (!ok) failed_ = true, error_ = errno;
      return ok;
    }
    return true;
  }
  std::FILE* file() { return f_; }
  // Hands everything written so far to `put`, in order, in pieces (false
  // from put: stop, failed).
  bool CopyTo(const std::function<bool(const char*, size_t)>& put) {
    if (std::fflush(f_) != 0 || failed_) {
      if (failed_ && error_) errno = error_;  // why the write was lost (a full disk), for the caller's message
      return false;
    }
    if (spill_) {
      if (std::fflush(spill_) != 0) return false;
      std::rewind(spill_);
      if (!CopyFile(spill_, put)) return false;
    } else if (parked_) {
      std::FILE* in = std::fopen(path_.c_str(), "rb");
      if (!in) return false;
      const bool ok = CopyFile(in, put);
      std::fclose(in);
      if (!ok) return false;
    }
    return mem_.empty() || put(mem_.data(), mem_.size());
  }
  // Moves everything written so far into `to` (empty), when it is all in
  // memory; false when it spilled to the file or a write failed.
  bool Take(std::string& to) {
    if (std::fflush(f_) != 0 || failed_ || spill_) return false;
    to.swap(mem_);
    return true;
  }

 private:
  static bool CopyFile(std::FILE* in, const std::function<bool(const char*, size_t)>& put) {
    char buf[1 << 16];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, in)) > 0;)
      if (!put(buf, n)) return false;
    return !std::ferror(in);
  }
  bool Write(const char* b, size_t n) {
    if (!failed_ && !Append(b, n)) failed_ = true, error_ = errno;
    return !failed_;
  }
  bool Append(const char* b, size_t n) {
    if (parked_) return false;  // written after Park()
    if (!spill_ && mem_.size() + n > limit_) {
      spill_ = std::fopen(path_.c_str(), "w+b");
      if (spill_) slot_ = RegisterTemp(path_);  // removed on SIGINT/SIGTERM/SIGHUP
      if (!spill_ || std::fwrite(mem_.data(), 1, mem_.size(), spill_) != mem_.size()) return false;
      mem_.clear();
    }
    if (spill_) return std::fwrite(b, 1, n, spill_) == n;
    mem_.append(b, n);
    return true;
  }
  bool failed_ = false;  // a write was lost: the held findings are incomplete
  int error_ = 0;        // its errno
  std::string path_;
  size_t limit_;
  std::string& mem_;  // below `limit`, so the kept capacity is bounded
  std::FILE* spill_ = nullptr;
  bool parked_ = false;  // spilled, and the file closed by Park()
  int slot_ = -1;  // temp_cleanup registration of the spill file
  std::FILE* f_ = nullptr;
};

}  // namespace nordpii

#endif  // NORDPII_BATCH_HELD_OUTPUT_H_
