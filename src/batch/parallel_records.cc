// SPDX-License-Identifier: Apache-2.0
#include "batch/parallel_records.h"

#include <stdio.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "batch/held_output.h"
#include "batch/slot_pool.h"
#include "batch/work_items.h"
#include "output/temp_cleanup.h"

namespace nordpii {
namespace {

// One range and what its scan gave.
struct Slot {
  Input range;
  int state = 0;  // 0 queued, 1 scanning, 2 done
  std::unique_ptr<ReportSink> report;  // its counts
  // Its report: in memory up to kHeldBytes, then in a file of the run's
  // private temporary directory (a range dense with findings writes ~30
  // bytes of report per byte: 2N + 2 ranges held in memory were 628 MB for
  // a 20 MB mbox with 2 threads).
  std::string mem;
  std::unique_ptr<HeldOutput> held;
  std::vector<std::string> errors;     // in the order given
  uint64_t fields_seen = 0;
  size_t records = 0;
  // Numbered relative to the range's start (work_items.h): the numbers in
  // its report, and its own line and record counts (counted false: unknown,
  // count_error says why).
  NumberPatches patches;
  uint64_t lines = 0, record_starts = 0;
  bool counted = false;
  std::string count_error;
};

// One worker's readers (a context of its own).
struct Worker {
  std::unique_ptr<ScanContext> ctx;
  std::unique_ptr<InputScanners> s;
};

constexpr size_t kHeldBytes = 1u << 20;

void ScanSlot(Worker& w, const InputScanners& parent, const FindingFilter& filter, size_t max_message,
              const std::string& spill_path, Slot& slot) {
  slot.held = std::make_unique<HeldOutput>(spill_path, kHeldBytes, slot.mem);
  std::FILE* f = slot.held->file();
  if (!f) {
    slot.errors.push_back(slot.range.path + ": cannot buffer the report of a range (out of memory)");
    return;
  }
  slot.report = parent.range_report(f);
  if (slot.range.relative) slot.report->SetPatches(&slot.patches);
  ScanInput(slot.range, *w.s, filter, *slot.report, max_message,
            [&](const std::string& e) { slot.errors.push_back(e); });
  if (std::fflush(f) != 0)
    slot.errors.push_back(slot.range.path + ": cannot keep the report of a range: " + std::strerror(errno));
  slot.fields_seen = w.s->range_fields_seen;
  slot.records = w.s->range_records;
  slot.lines = w.s->range_lines, slot.record_starts = w.s->range_record_starts;
  slot.counted = w.s->range_counted;
  slot.count_error = w.s->range_count_error;
}

}  // namespace

bool ScanRecordsParallel(const Input& in, InputScanners& s, const FindingFilter& filter, ReportSink& sink,
                         size_t max_message, const std::function<void(const std::string&)>& error) {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::unique_ptr<Slot>> slots;
  bool quit = false;
  const int threads = s.threads;
  std::vector<Worker> workers(static_cast<size_t>(threads));
  for (Worker& w : workers) {
    w.ctx = s.ctx.Clone();
    w.s = std::make_unique<InputScanners>(*w.ctx, s.mail_limits, s.ticket_options);
    w.s->ocr = s.ocr;
    w.s->defer_fields_check = true;  // checked below over all ranges
  }
  // A private directory for the ranges' reports that outgrow memory
  // (removed at the end, and on SIGINT/SIGTERM/SIGHUP with its files).
  std::string dir;
  {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/nordpii-ranges-XXXXXX";
    // None (a read-only $TMPDIR): the file is scanned by one thread.
    if (::mkdtemp(tmpl.data()) == nullptr) return false;
    dir = tmpl;
  }
  struct DirRemover {
    std::string dir;
    int slot;
    ~DirRemover() {
      ::rmdir(dir.c_str());
      UnregisterTemp(slot);
    }
  } remover{dir, RegisterTemp(dir)};
  std::atomic<size_t> spill_no{0};
  auto work = [&](Worker* w) {
    SlotWorkerLoop(mu, cv, slots, quit, [&](Slot& job) {
      ScanSlot(*w, s, filter, max_message, dir + "/" + std::to_string(spill_no++), job);
    });
  };
  std::vector<std::thread> pool;
  PoolJoiner joiner{mu, cv, quit, pool};
  for (Worker& w : workers) pool.emplace_back(work, &w);

  // This thread cuts the ranges (by seeking: no pass over the file; each
  // worker counts the lines and records of its range, work_items.h) and
  // hands each range's report to `sink` once it and all before it are done.
  uint64_t fields_seen = 0;
  size_t records = 0;
  // The lines and records before the next range (its report is fixed up
  // by them); numbered false once a range could not be counted: the ranges
  // after it cannot be numbered and are errors (fail closed).
  uint64_t lines_before = 0, records_before = 0;
  bool numbered = true;
  std::string not_numbered;
  auto deliver = [&](Slot& done) {
    if (done.range.relative && !numbered) {
      error(in.path + ": cannot number the range at offset " + std::to_string(done.range.begin) + ": " + not_numbered +
            "; not scanned");
      return;
    }
    for (const std::string& e : done.errors) error(FixUpRangeError(e, in.path, records_before));
    if (done.report) {
      std::string mem;
      const bool ok = done.held->Take(mem)
                          ? sink.AppendPart(mem, *done.report, &done.patches, lines_before, records_before)
                          : sink.AppendPart([&](const ReportSink::Put& put) { return done.held->CopyTo(put); },
                                            *done.report, &done.patches, lines_before, records_before);
      if (!ok) {
        error(in.path + ": the report of the range at offset " + std::to_string(done.range.begin) +
              " could not be kept or read back; not reported");
      }
      done.held.reset();  // its file removed now
    }
    fields_seen |= done.fields_seen;
    records += done.records;
    if (!done.range.relative) return;
    if (done.counted) {
      lines_before += done.lines, records_before += done.record_starts;
    } else {
      numbered = false;
      not_numbered = "the range at offset " + std::to_string(done.range.begin) + " could not be read (" +
                     done.count_error + ")";
    }
  };
  auto deliver_front = [&](std::unique_lock<std::mutex>& lock) {
    cv.wait(lock, [&] { return slots.front()->state == 2; });
    std::unique_ptr<Slot> done = std::move(slots.front());
    slots.pop_front();
    lock.unlock();
    deliver(*done);
    lock.lock();
  };
  // Ranges cut ahead of the one being reported: with two per worker, a
  // worker done before the range in front of it takes the next one instead
  // of waiting (the ranges' reports are held meanwhile).
  const size_t ahead = 2 * static_cast<size_t>(threads) + 2;
  bool split = true;
  SplitWorkItems(
      {in}, s.thread_range, max_message,
      [&](Input r) {
        if (r.end == 0) {  // no place to cut: one item
          split = false;
          return false;
        }
        std::unique_lock<std::mutex> lock(mu);
        while (slots.size() >= ahead) deliver_front(lock);
        auto sl = std::make_unique<Slot>();
        sl->range = std::move(r);
        slots.push_back(std::move(sl));
        cv.notify_all();
        return true;
      },
      error);
  if (!split) return false;
  {
    std::unique_lock<std::mutex> lock(mu);
    while (!slots.empty()) deliver_front(lock);
  }
  if (in.format == InputFormat::kJsonl)
    if (Status st = s.tickets.EndInput(TicketFormat::kJsonl, {}, fields_seen, records); !st.ok())
      error(in.path + ": " + st.message());
  return true;
}

}  // namespace nordpii
