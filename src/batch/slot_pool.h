// SPDX-License-Identifier: Apache-2.0
// File: slot_pool.h
//
// The worker side shared by the parallel range scans (parallel_text.cc,
// parallel_records.cc): a deque of slots, each with `int state` (0 queued,
// 1 scanning, 2 done), guarded by one mutex and condition variable. A worker
// takes the first queued slot, scans it outside the lock and marks it done;
// the caller's thread cuts ranges and reports the done slots in order.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace nordpii {

// One worker thread's loop: until `quit`, scan(slot) for each queued slot.
template <class Slot, class Scan>
void SlotWorkerLoop(std::mutex& mu, std::condition_variable& cv, std::deque<std::unique_ptr<Slot>>& slots,
                    const bool& quit, Scan&& scan) {
  std::unique_lock<std::mutex> lock(mu);
  for (;;) {
    Slot* job = nullptr;
    cv.wait(lock, [&] {
      if (quit) return true;
      for (auto& sl : slots)
        if (sl->state == 0) {
          job = sl.get();
          return true;
        }
      return false;
    });
    if (!job) return;  // quit
    job->state = 1;
    lock.unlock();
    scan(*job);
    lock.lock();
    job->state = 2;
    cv.notify_all();
  }
}

// On scope exit (also on an early return or exception): sets `quit`, wakes
// the workers and joins them.
struct PoolJoiner {
  std::mutex& mu;
  std::condition_variable& cv;
  bool& quit;
  std::vector<std::thread>& pool;
  ~PoolJoiner() {
    {
      std::lock_guard<std::mutex> g(mu);
      quit = true;
    }
    cv.notify_all();
    for (auto& t : pool) t.join();
  }
};

}  // namespace nordpii
