// SPDX-License-Identifier: Apache-2.0
#include "batch/parallel_text.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "batch/slot_pool.h"
#include "core/bytes.h"

namespace nordpii {
namespace {

// pread() of [pos, end) of a shared descriptor: one per thread.
class RangeSource : public ByteSource {
 public:
  RangeSource(int fd, uint64_t pos, uint64_t end, const std::string& name) : fd_(fd), pos_(pos), end_(end), name_(name) {}
  Result<size_t> Read(char* buf, size_t n) override {
    n = static_cast<size_t>(std::min<uint64_t>(n, end_ - pos_));
    while (n > 0) {
      ssize_t r = pread(fd_, buf, n, static_cast<off_t>(pos_));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Error(ErrorCode::kIo, std::string("read failed: ") + std::strerror(errno));
      if (r == 0) return Error(ErrorCode::kIo, "the file shrank while it was scanned");
      pos_ += static_cast<uint64_t>(r);
      return static_cast<size_t>(r);
    }
    return size_t{0};
  }
  const std::string& name() const override { return name_; }

 private:
  int fd_;
  uint64_t pos_, end_;
  const std::string& name_;
};

// Lower-case hex digits' values; 0x10 for any other byte.
struct HexTable {
  unsigned char v[256];
  constexpr HexTable() : v() {
    for (int c = 0; c < 256; ++c)
      v[c] = static_cast<unsigned char>(c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0x10);
  }
};
constexpr HexTable kHex{};

// A range's findings, encoded one after another (~70 bytes each for an id
// in dense text: numbers as varints, from the finding before where they
// grow; a string the same as the finding before's not repeated; the hash's
// hex packed), in blocks of 64 KiB (no copy as they grow). A Finding with
// its eight strings and the raw value took ~800 bytes (248 MB for 60 MB of
// text with an id every 29 bytes, 2 threads); fixed-width numbers and
// strings in one string grown by doubling ~150 and up to twice that
// (2026-12-04).
class FindingArena {
 public:
  void clear() {
    blocks_.clear();
    last_ = Finding();
    last_start_ = last_line_ = 0;
  }
  void Add(const Finding& f, std::string_view raw, uint64_t shift, uint64_t lines_before) {
    const std::string* same[kSame] = {&f.type, &f.category, &f.subcategory, &f.also, &f.part, &f.field};
    std::string* last[kSame] = {&last_.type, &last_.category, &last_.subcategory, &last_.also, &last_.part, &last_.field};
    unsigned flags = 0;
    size_t most = 2 + 6 * 10 + 3 * 10 + f.masked.size() + f.hash.size() + raw.size();
    for (int i = 0; i < kSame; ++i) {
      if (*same[i] == *last[i])
        flags |= 1u << i;
      else
        most += 10 + same[i]->size();
    }
    const bool packed = PackableHash(f.hash);
    if (packed) flags |= kPackedHash;
    if (blocks_.empty() || blocks_.back().size() + most > blocks_.back().capacity()) {
      blocks_.emplace_back();
      blocks_.back().reserve(std::max(kBlock, most));
    }
    std::string& b = blocks_.back();
    const size_t at = b.size();
    b.resize(at + most);  // within the capacity: no copy
    char* e = b.data() + at;
    *e++ = static_cast<char>(flags);
    *e++ = static_cast<char>(static_cast<unsigned>(f.confidence) << 1 | (f.redact ? 1u : 0u));
    const uint64_t start = f.start + shift, line = f.line - lines_before;
    e = PutVar(e, Zig(static_cast<int64_t>(start - last_start_)));
    e = PutVar(e, f.end - f.start);
    e = PutVar(e, Zig(static_cast<int64_t>(line - last_line_)));
    e = PutVar(e, f.column);
    e = PutVar(e, Zig(f.part_offset));
    e = PutVar(e, f.rules);
    last_start_ = start, last_line_ = line;
    for (int i = 0; i < kSame; ++i)
      if (!(flags & (1u << i))) {
        e = PutStr(e, *same[i]);
        last[i]->assign(*same[i]);
      }
    e = PutStr(e, f.masked);
    if (packed) {
      const auto* h = reinterpret_cast<const unsigned char*>(f.hash.data());
      for (size_t k = 0; k < 64; k += 2) *e++ = static_cast<char>(kHex.v[h[k]] << 4 | kHex.v[h[k + 1]]);
    } else {
      e = PutStr(e, f.hash);
    }
    e = PutStr(e, raw);
    b.resize(static_cast<size_t>(e - b.data()));
  }
  // fn(Finding&, raw) for each in order while it returns true.
  template <typename F>
  bool ForEach(F fn) const {
    Finding f;
    std::string raw;
    uint64_t start = 0, line = 0;
    for (const std::string& b : blocks_) {
      const char* p = b.data();
      const char* end = p + b.size();
      while (p < end) {
        const unsigned flags = static_cast<unsigned char>(*p++);
        const unsigned cr = static_cast<unsigned char>(*p++);
        f.confidence = static_cast<Confidence>(cr >> 1);
        f.redact = (cr & 1) != 0;
        start += static_cast<uint64_t>(Unzig(Var(p)));
        f.start = start;
        f.end = start + Var(p);
        line += static_cast<uint64_t>(Unzig(Var(p)));
        f.line = line;
        f.column = Var(p);
        f.part_offset = Unzig(Var(p));
        f.rules = static_cast<uint32_t>(Var(p));
        std::string* strs[kSame] = {&f.type, &f.category, &f.subcategory, &f.also, &f.part, &f.field};
        for (int i = 0; i < kSame; ++i)
          if (!(flags & (1u << i))) Str(p, *strs[i]);
        Str(p, f.masked);
        if (flags & kPackedHash) {
          static const char kHexDigits[] = "0123456789abcdef";
          f.hash.resize(64);
          char* h = f.hash.data();
          for (size_t k = 0; k < 32; ++k) {
            const auto c = static_cast<unsigned char>(*p++);
            h[2 * k] = kHexDigits[c >> 4], h[2 * k + 1] = kHexDigits[c & 15];
          }
        } else {
          Str(p, f.hash);
        }
        Str(p, raw);
        if (!fn(f, raw)) return false;
      }
    }
    return true;
  }

 private:
  static constexpr int kSame = 6;  // strings that may be the same as the finding before's (a flag bit each)
  static constexpr unsigned kPackedHash = 1u << 6;
  static constexpr size_t kBlock = 1 << 16;
  static uint64_t Zig(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
  static int64_t Unzig(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
  static bool PackableHash(const std::string& h) {
    if (h.size() != 64) return false;
    unsigned bad = 0;
    for (unsigned char c : h) bad |= kHex.v[c];
    return (bad & 0x10) == 0;
  }
  static char* PutVar(char* e, uint64_t v) {
    for (; v >= 0x80; v >>= 7) *e++ = static_cast<char>((v & 0x7F) | 0x80);
    *e++ = static_cast<char>(v);
    return e;
  }
  static uint64_t Var(const char*& p) {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      const auto c = static_cast<unsigned char>(*p++);
      v |= static_cast<uint64_t>(c & 0x7F) << shift;
      if (c < 0x80) return v;
    }
  }
  static char* PutStr(char* e, std::string_view v) {
    e = PutVar(e, v.size());
    if (!v.empty()) std::memcpy(e, v.data(), v.size());
    return e + v.size();
  }
  static void Str(const char*& p, std::string& out) {
    const size_t n = static_cast<size_t>(Var(p));
    out.assign(p, n);
    p += n;
  }
  std::vector<std::string> blocks_;
  Finding last_;     // the strings of the finding added before (kSame of them)
  uint64_t last_start_ = 0, last_line_ = 0;
};

// Keeps what starts in [a, b) of the file (offsets from the range's read
// start s0 made file offsets; lines from s0 made range lines).
struct CollectSink : StreamSink {
  FindingArena* out = nullptr;
  uint64_t s0 = 0, a = 0, b = 0, lines_before = 0;
  bool OnFinding(const Finding& f, std::string_view raw) override {
    if (f.start + s0 < a || f.start + s0 >= b) return true;
    out->Add(f, raw, s0, lines_before);
    return true;
  }
};

// Newlines in [pos, end) of the file; `last` gets the offset of the last.
Result<uint64_t> CountLines(int fd, uint64_t pos, uint64_t end, const std::string& name, std::vector<char>& buf,
                            uint64_t& last) {
  uint64_t n = 0, p = pos;
  RangeSource src(fd, pos, end, name);
  for (;;) {
    auto r = src.Read(buf.data(), buf.size());
    if (!r) return r.error();
    if (*r == 0) return n;
    uint64_t k = CountNewlines(buf.data(), buf.data() + *r);
    if (k) {
      n += k;
      last = p + static_cast<uint64_t>(static_cast<const char*>(memrchr(buf.data(), '\n', *r)) - buf.data());
    }
    p += *r;
  }
}

// Offset of the last '\n' in [a, b) (there is one), read backwards.
Result<uint64_t> LastNewline(int fd, uint64_t a, uint64_t b, const std::string& name, std::vector<char>& buf) {
  uint64_t end = b;
  while (end > a) {
    uint64_t from = end - std::min<uint64_t>(end - a, buf.size());
    RangeSource src(fd, from, end, name);
    size_t got = 0;
    while (got < end - from) {
      auto r = src.Read(buf.data() + got, static_cast<size_t>(end - from) - got);
      if (!r) return r.error();
      got += *r;
    }
    if (const void* nl = memrchr(buf.data(), '\n', got))
      return from + static_cast<uint64_t>(static_cast<const char*>(nl) - buf.data());
    end = from;
  }
  return Error(ErrorCode::kInternal, "line count and line breaks disagree");
}

// One range's work: findings starting in [a, b), offsets relative to the
// file, lines relative to the range start (line 1 = the line starting at a).
struct Range {
  uint64_t a = 0, b = 0;
  FindingArena found;
  uint64_t newlines = 0;  // in [a, b)
  uint64_t last_newline = 0;  // offset of the last of them
  Status status = Status::Ok();
};

void ScanRange(int fd, uint64_t size, const std::string& path, ScanContext& ctx, const FindingFilter& filter,
               size_t margin, Range& r) {
  r.found.clear();
  const uint64_t s0 = r.a >= margin ? r.a - margin : 0;
  const uint64_t e0 = std::min(size, r.b + margin);
  std::vector<char> buf(1 << 16);
  uint64_t unused = 0;
  auto pre = CountLines(fd, s0, r.a, path, buf, unused);
  if (!pre) { r.status = pre.error(); return; }
  auto post = CountLines(fd, r.b, e0, path, buf, unused);
  if (!post) { r.status = post.error(); return; }
  RangeSource src(fd, s0, e0, path);
  CollectSink sink;
  sink.out = &r.found;
  sink.s0 = s0, sink.a = r.a, sink.b = r.b, sink.lines_before = *pre;  // (the stream counts lines from s0)
  ctx.set_report_from(r.a - s0);
  r.status = ctx.Scan(src, filter, sink);
  ctx.set_report_from(0);
  if (!r.status.ok()) return;
  // The stream counted the line breaks of [s0, e0): those of [a, b) are
  // what is left without the margins (no second pass over the range).
  r.newlines = ctx.newlines() - *pre - *post;
  if (r.newlines) {
    auto last = LastNewline(fd, r.a, r.b, path, buf);
    if (!last) { r.status = last.error(); return; }
    r.last_newline = *last;
  }
}

// The first offset >= pos just after a '\n' (a line start), looking at most
// `limit` bytes ahead; 0 when there is none there (no cut).
Result<uint64_t> LineStartAfter(int fd, uint64_t pos, uint64_t size, uint64_t limit, const std::string& path) {
  std::vector<char> buf(1 << 16);
  uint64_t p = pos, stop = std::min(size, pos + limit);
  RangeSource src(fd, pos, stop, path);
  for (;;) {
    auto r = src.Read(buf.data(), buf.size());
    if (!r) return r.error();
    if (*r == 0) return uint64_t{0};
    if (const void* nl = std::memchr(buf.data(), '\n', *r))
      return p + static_cast<uint64_t>(static_cast<const char*>(nl) - buf.data()) + 1;
    p += *r;
  }
}

constexpr uint64_t kMaxTextRangeBytes = 512u << 10;

}  // namespace

Status ScanTextParallel(const std::string& path, uint64_t size, ScanContext& ctx, int threads,
                        const FindingFilter& filter, StreamSink& sink, uint64_t range_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrorCode::kIo, std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  const size_t margin = ctx.overlap_bytes();  // as much as the stream's chunks overlap
  // A range's findings are held until it is reported (~500 bytes each with
  // their strings): text ranges of at most 1 MiB keep the N + 1 ranges held
  // within tens of MB on input dense with identifiers (4 MiB ranges: 248 MB
  // for 60 MB of text with an id every 29 bytes, 2 threads).
  range_bytes = std::min<uint64_t>(range_bytes, kMaxTextRangeBytes);

  // Ranges are cut here, in order, at most threads + 1 ahead of the one
  // being reported (memory stays bounded); `threads` workers scan them; this
  // thread hands each range's findings to the sink as soon as it and all
  // before it are done, while the workers go on.
  struct Slot {
    Range r;
    int state = 0;  // 0 queued, 1 scanning, 2 done
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::unique_ptr<Slot>> slots;
  bool quit = false;
  auto worker = [&](ScanContext* c) {
    SlotWorkerLoop(mu, cv, slots, quit, [&](Slot& job) { ScanRange(fd, size, path, *c, filter, margin, job.r); });
  };
  std::vector<std::unique_ptr<ScanContext>> ctxs;
  std::vector<std::thread> pool;
  PoolJoiner joiner{mu, cv, quit, pool};
  ctxs.push_back(ctx.Clone());  // `ctx` stays with the caller's thread
  for (int t = 1; t < threads; ++t) ctxs.push_back(ctx.Clone());
  for (auto& c : ctxs) pool.emplace_back(worker, c.get());

  const size_t ahead = static_cast<size_t>(threads) + 1;
  uint64_t next = 0;        // start of the next range to cut
  uint64_t line = 1;        // line number at the start of the next range to report
  uint64_t line_start = 0;  // offset of that line's start
  uint64_t last_end = 0;    // end of the last finding handed to the sink
  for (;;) {
    std::unique_ptr<Slot> done;
    {
      std::unique_lock<std::mutex> lock(mu);
      while (slots.size() < ahead && next < size) {
        uint64_t b = size;
        if (size - next > range_bytes + range_bytes / 2) {
          // At a line start (a record of a text export) near the nominal
          // cut; without a line break there, at the nominal cut (columns
          // of findings on the line crossing it are fixed below).
          auto cut = LineStartAfter(fd, next + range_bytes, size, range_bytes / 2, path);
          if (!cut) return cut.error();
          b = *cut != 0 && *cut < size ? *cut : next + range_bytes;
        }
        auto sl = std::make_unique<Slot>();
        sl->r.a = next;
        sl->r.b = b;
        slots.push_back(std::move(sl));
        next = b;
        cv.notify_all();
      }
      if (slots.empty()) break;
      cv.wait(lock, [&] { return slots.front()->state == 2; });
      done = std::move(slots.front());
      slots.pop_front();
    }
    Range& r = done->r;
    if (!r.status.ok()) return r.status;
    const bool more = r.found.ForEach([&](Finding& f, const std::string& raw) {
      if (f.start < last_end) return true;  // starts inside the last one (the stream's rule)
      // On the range's first line: the line may have started before the
      // bytes the thread saw.
      if (f.line == 1) f.column = f.start - line_start + 1;
      f.line += line - 1;
      last_end = f.end;
      return sink.OnFinding(f, raw);
    });
    if (!more) return Status::Ok();
    r.found.clear();
    line += r.newlines;
    if (r.newlines) line_start = r.last_newline + 1;
  }
  return Status::Ok();
}

}  // namespace nordpii
