// SPDX-License-Identifier: Apache-2.0
#include "output/temp_cleanup.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <cstring>

namespace nordpii {

namespace {

// 1024 batch workers (the --jobs bound) + the report and redact files.
constexpr int kSlots = 1100;
constexpr size_t kPathMax = 4096;

// 0 free, 1 being filled or emptied, 2 holds a path.
std::atomic<int> g_state[kSlots];
char g_path[kSlots][kPathMax];
char g_message[512];
std::atomic<size_t> g_message_len{0};

std::atomic<std::atomic<int>*> g_stop{nullptr};
char g_stop_message[512];
std::atomic<size_t> g_stop_message_len{0};
std::atomic<int> g_trunc_fd{-1};
std::atomic<int64_t> g_trunc_len{-1};

static_assert(std::atomic<int>::is_always_lock_free, "signal handlers need lock-free atomics");
static_assert(std::atomic<int64_t>::is_always_lock_free, "signal handlers need lock-free atomics");
static_assert(std::atomic<std::atomic<int>*>::is_always_lock_free, "signal handlers need lock-free atomics");

void OnSignal(int sig) {
  if (std::atomic<int>* stop = g_stop.load(); stop != nullptr && stop->load() == 0) {
    stop->store(sig);
    size_t n = g_stop_message_len.load();
    if (n) {
      ssize_t w = write(STDERR_FILENO, g_stop_message, n);
      (void)w;
    }
    return;
  }
  if (int fd = g_trunc_fd.load(); fd >= 0) {
    int64_t len = g_trunc_len.load();
    if (len >= 0 && ftruncate(fd, static_cast<off_t>(len)) != 0) {
      // Nothing more a signal handler can do; the checkpoint still tells a
      // resumed run which findings are complete.
    }
  }
  for (int i = 0; i < kSlots; ++i)
    if (g_state[i].load() == 2) unlink(g_path[i]);
  // Then the directories registered (a private directory of spill files:
  // empty once its files are gone; unlink does not remove a directory).
  for (int i = 0; i < kSlots; ++i)
    if (g_state[i].load() == 2) rmdir(g_path[i]);
  size_t n = g_message_len.load();
  if (n) {
    ssize_t w = write(STDERR_FILENO, g_message, n);
    (void)w;
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void InstallTempCleanup(const std::string& message) {
  size_t n = std::min(message.size(), sizeof g_message);
  std::memcpy(g_message, message.data(), n);
  g_message_len.store(n);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&sa.sa_mask, s);
  // A signal ignored when we started (nohup, a background job of a
  // non-interactive shell) stays ignored, as a shell would have it.
  for (int s : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old;
    if (sigaction(s, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(s, &sa, nullptr);
  }
}

int RegisterTemp(const std::string& path) {
  if (path.size() >= kPathMax) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (g_state[i].compare_exchange_strong(expected, 1)) {
      std::memcpy(g_path[i], path.c_str(), path.size() + 1);
      g_state[i].store(2);
      return i;
    }
  }
  return -1;
}

void SetStopFlag(std::atomic<int>* flag, const std::string& message) {
  size_t n = std::min(message.size(), sizeof g_stop_message);
  g_stop_message_len.store(0);
  std::memcpy(g_stop_message, message.data(), n);
  g_stop_message_len.store(n);
  g_stop.store(flag);
}

void SetAbortTruncate(int fd, int64_t length) {
  g_trunc_len.store(length);
  g_trunc_fd.store(fd);
}

void UnregisterTemp(int slot) {
  if (slot < 0 || slot >= kSlots) return;
  g_state[slot].store(1);
  g_path[slot][0] = '\0';
  g_state[slot].store(0);
}

}  // namespace nordpii
