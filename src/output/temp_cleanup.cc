// SPDX-License-Identifier: Apache-2.0
#include "output/temp_cleanup.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

namespace nordpii {

namespace {

// The table grows in blocks of kBlockSlots slots, allocated outside the
// handler (by RegisterTemp) and never freed: the handler only reads memory
// that exists, through pointers published with release stores. A block is
// 1 MiB of address space, its pages touched only by the paths written in
// it. Before: one fixed table of 1 100 slots, and a batch with more than
// ~220 jobs holding parked spill files (up to 4 each) registered no more:
// an interrupt left those files behind.
constexpr int kBlockSlots = 256;
constexpr int kMaxBlocks = 4096;  // 1 048 576 paths
constexpr size_t kPathMax = 4096;

struct Block {
  std::atomic<int> state[kBlockSlots];  // 0 free, 1 being filled or emptied, 2 holds a path
  char path[kBlockSlots][kPathMax];
};

std::atomic<Block*> g_blocks[kMaxBlocks];
std::atomic<int> g_block_count{0};
std::mutex g_grow;  // one thread adds a block at a time (never taken by the handler)

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
static_assert(std::atomic<Block*>::is_always_lock_free, "signal handlers need lock-free atomics");

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
  const int blocks = g_block_count.load(std::memory_order_acquire);
  for (int b = 0; b < blocks; ++b) {
    Block* k = g_blocks[b].load(std::memory_order_acquire);
    for (int i = 0; k && i < kBlockSlots; ++i)
      if (k->state[i].load() == 2) unlink(k->path[i]);
  }
  // Then the directories registered (a private directory of spill files:
  // empty once its files are gone; unlink does not remove a directory).
  for (int b = 0; b < blocks; ++b) {
    Block* k = g_blocks[b].load(std::memory_order_acquire);
    for (int i = 0; k && i < kBlockSlots; ++i)
      if (k->state[i].load() == 2) rmdir(k->path[i]);
  }
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

namespace {

// Claims a free slot of the blocks [from, to) and writes `path` into it.
int Claim(int from, int to, const std::string& path) {
  for (int b = from; b < to; ++b) {
    Block* k = g_blocks[b].load(std::memory_order_acquire);
    for (int i = 0; i < kBlockSlots; ++i) {
      int expected = 0;
      if (k->state[i].compare_exchange_strong(expected, 1)) {
        std::memcpy(k->path[i], path.c_str(), path.size() + 1);
        k->state[i].store(2);
        return b * kBlockSlots + i;
      }
    }
  }
  return -1;
}

}  // namespace

int RegisterTemp(const std::string& path) {
  if (path.size() >= kPathMax || path.find('\0') != std::string::npos) return -1;
  int blocks = g_block_count.load(std::memory_order_acquire);
  if (int slot = Claim(0, blocks, path); slot >= 0) return slot;
  std::lock_guard<std::mutex> lock(g_grow);
  for (;;) {
    const int now = g_block_count.load(std::memory_order_acquire);
    if (int slot = Claim(blocks, now, path); slot >= 0) return slot;  // added by another thread meanwhile
    blocks = now;
    if (now == kMaxBlocks) return Claim(0, now, path);  // 1M files at once: only a freed slot
    // calloc: the path buffers' pages stay untouched until a path is
    // written; default-initialising only the state words (zero).
    void* mem = std::calloc(1, sizeof(Block));
    if (!mem) return -1;
    Block* k = ::new (mem) Block;
    for (auto& st : k->state) st.store(0, std::memory_order_relaxed);
    g_blocks[now].store(k, std::memory_order_release);
    g_block_count.store(now + 1, std::memory_order_release);
  }
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
  if (slot < 0 || slot / kBlockSlots >= g_block_count.load(std::memory_order_acquire)) return;
  Block* k = g_blocks[slot / kBlockSlots].load(std::memory_order_acquire);
  const int i = slot % kBlockSlots;
  k->state[i].store(1);
  k->path[i][0] = '\0';
  k->state[i].store(0);
}

}  // namespace nordpii
