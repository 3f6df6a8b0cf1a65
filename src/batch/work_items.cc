// SPDX-License-Identifier: Apache-2.0
#include "batch/work_items.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <archive.h>
#include <archive_entry.h>

#include <memory>

#include "core/bytes.h"
#include "extract/extractor.h"
#include "input/utf16.h"
#include "normalize/legacy_text.h"

namespace nordpii {

uint64_t WorkRangeBytes() {
  if (const char* e = std::getenv("NORDPII_RANGE_BYTES"); e && *e) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(e, &end, 10);
    if (end && *end == '\0' && v > 0) return v;
  }
  return 16u << 20;
}

std::string WorkItemId(const Input& item) {
  if (item.member > 0) return item.path + "\x1e#" + std::to_string(item.member);
  if (item.end == 0) return item.path;
  return item.path + "\x1e" + std::to_string(item.begin) + "-" + std::to_string(item.end);
}

namespace {

// One pass over a file: the record starts where a range may begin, with the
// line and record counts there. Written here (not a library): it must agree
// exactly with TicketReader's JSONL lines (a blank line is no record) and
// MboxReader's message starts (offset 0 and every line starting "From ").
// Each range is handed to `emit` as soon as the pass has found where it
// ends (the first at the first cut: then there are at least two); false
// when there is no cut (one item: the caller's). A read error after the
// first cut is reported through `error` and the rest of the file is one
// last range (its scan meets the error again).
bool Split(const Input& in, uint64_t range_bytes, const std::function<bool(Input)>& emit_item,
           const std::function<void(const std::string&)>& error) {
  int fd = ::open(in.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  {
    // UTF-16 text is not split (its ranges would be read as UTF-8 and find
    // nothing): one item, decoded as it is read (Utf16Source).
    char head[8192];
    ssize_t n;
    do n = ::pread(fd, head, sizeof head, 0);
    while (n < 0 && errno == EINTR);
    // Nor is a document by its bytes (a PDF named .txt: extracted whole, as
    // ScanInput does with one item; sniffed here once, not by every range).
    const std::string_view h(head, n > 0 ? static_cast<size_t>(n) : 0);
    // Nor is iCalendar / vCard text (unfolded whole: ScanInput).
    if (n > 0 && (SniffUtf16(h).utf16 || (in.format == InputFormat::kText &&
                                          (SniffDocumentBytes(h.substr(0, 1024), true) != DocFormat::kNone ||
                                           ContentLinesText(in.path, h.substr(0, 1024)))))) {
      ::close(fd);
      return false;
    }
  }
  const bool mbox = in.format == InputFormat::kMbox, jsonl = in.format == InputFormat::kJsonl;
  size_t emitted = 0;
  bool go_on = true;  // emit_item asked to stop (batch: a signal)
  // A 1 MiB read buffer, allocated once (a std::string resized per read
  // zero-filled every MiB: a memset of the whole file).
  constexpr size_t kRead = 1 << 20;
  std::unique_ptr<char[]> storage(new char[kRead + 8]);
  std::string_view buf(storage.get(), 0);
  size_t pos = 0;
  uint64_t base = 0;  // file offset of buf[0]
  bool eof = false, line_start = true, nonblank = false;
  uint64_t line = 1, records = 0;
  uint64_t cur_begin = 0, cur_line = 1, cur_records = 0, target = range_bytes;
  bool ok = true;
  auto emit = [&](uint64_t end, bool last) {
    Input r = in;
    r.begin = cur_begin, r.end = end, r.size = end - cur_begin;
    r.first_line = cur_line, r.records_before = cur_records;
    r.last_range = last;
    ++emitted;
    go_on = emit_item(std::move(r));
  };
  for (; go_on;) {
    if (buf.size() - pos < 8 && !eof) {
      std::memmove(storage.get(), buf.data() + pos, buf.size() - pos);  // fewer than 8 bytes
      buf = std::string_view(storage.get(), buf.size() - pos);
      base += pos;
      pos = 0;
      size_t have = buf.size();
      ssize_t n;
      do n = ::read(fd, storage.get() + have, kRead);
      while (n < 0 && errno == EINTR);
      if (n < 0) {
        ok = false;
        break;
      }
      buf = std::string_view(storage.get(), have + static_cast<size_t>(n));
      if (n == 0) eof = true;
      continue;
    }
    if (pos == buf.size()) break;
    if (line_start) {
      const uint64_t off = base + pos;
      const bool from = buf.compare(pos, 5, "From ") == 0;
      const bool record_start = !mbox || off == 0 || from;
      if (record_start && off >= target && off > cur_begin) {
        emit(off, false);
        cur_begin = off, cur_line = line, cur_records = records;
        target = off + range_bytes;
      }
      if (mbox && record_start) ++records;  // a message starts here
      line_start = false;
      nonblank = false;
      // A UTF-8 BOM at the start of a JSONL file is no content
      // (TicketReader passes it through).
      if (jsonl && off == 0 && buf.compare(pos, 3, "\xEF\xBB\xBF") == 0) pos += 3;
    }
    const char* p = buf.data() + pos;
    const size_t left = buf.size() - pos;
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', left));
    const size_t seg = nl ? static_cast<size_t>(nl - p) : left;
    if (jsonl && !nonblank)
      for (size_t i = 0; i < seg && !nonblank; ++i)
        nonblank = p[i] != ' ' && p[i] != '\t' && p[i] != '\r';
    if (nl) {
      ++line;
      line_start = true;
      if (jsonl && nonblank) ++records;
      pos += seg + 1;
    } else {
      pos += seg;
    }
  }
  const int read_errno = errno;
  ::close(fd);
  if (emitted == 0) return false;  // nothing to split at (or unreadable): one item
  if (!go_on) return true;
  if (!ok) {
    error(in.path + ": read failed while splitting it into ranges at offset " + std::to_string(base + pos) + ": " +
          std::strerror(read_errno));
    emit(std::max(in.size, cur_begin + 1), true);
    return true;
  }
  emit(base + pos, true);
  return true;
}

// Reads exactly n bytes at `at` (the file may not end before them).
Status ReadAt(int fd, char* buf, size_t n, uint64_t at, const std::string& path) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, buf + got, n - got, static_cast<off_t>(at + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0)
      return Error(ErrorCode::kIo, path + ": read failed at offset " + std::to_string(at + got) + ": " +
                                       std::strerror(errno));
    if (r == 0)
      return Error(ErrorCode::kIo, path + ": the file shrank while it was scanned (offset " +
                                       std::to_string(at + got) + ")");
    got += static_cast<size_t>(r);
  }
  return Status::Ok();
}

constexpr size_t kPiece = 128 << 10;  // read pieces: they stay in the core's cache

// The first record start at or after `target` (> 0) and before `size`
// (JSONL, text: just after a '\n'; mbox: a line starting "From "), found
// by reading from target - 1 on; 0 when there is none.
Result<uint64_t> NextCut(int fd, bool mbox, uint64_t target, uint64_t size, const std::string& path,
                         std::vector<char>& buf) {
  uint64_t q = target - 1;
  while (q < size) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - q));
    if (Status st = ReadAt(fd, buf.data(), n, q, path); !st.ok()) return st;
    if (!mbox) {
      if (const void* nl = std::memchr(buf.data(), '\n', n)) {
        const uint64_t cut = q + static_cast<uint64_t>(static_cast<const char*>(nl) - buf.data()) + 1;
        return cut < size ? cut : 0;
      }
      q += n;
      continue;
    }
    // View position 0 is q = target - 1 or a re-read byte: hits from 1 on
    // are line starts >= target whose "From " lies inside the view.
    const size_t at = FindAtLineStart(std::string_view(buf.data(), n), 1, "From ");
    if (at != std::string_view::npos) return q + at;
    if (q + n >= size) break;
    q += n - 5;  // a "From " cut off at the end is found in the next piece
  }
  return uint64_t{0};
}

// Ranges cut by seeking (the callback form of SplitWorkItems); false when
// there is no cut (one item: the caller's).
bool SeekSplit(const Input& in, uint64_t range_bytes, const std::function<bool(Input)>& emit_item,
               const std::function<void(const std::string&)>& error) {
  int fd = ::open(in.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  std::vector<char> buf(8192);
  {
    // UTF-16 text is not split (its ranges would be read as UTF-8 and find
    // nothing): one item, decoded as it is read (Utf16Source).
    ssize_t n;
    do n = ::pread(fd, buf.data(), buf.size(), 0);
    while (n < 0 && errno == EINTR);
    // Nor is a document by its bytes (a PDF named .txt: extracted whole, as
    // ScanInput does with one item; sniffed here once, not by every range).
    const std::string_view h(buf.data(), n > 0 ? static_cast<size_t>(n) : 0);
    if (n > 0 && (SniffUtf16(h).utf16 || (in.format == InputFormat::kText &&
                                          (SniffDocumentBytes(h.substr(0, 1024), true) != DocFormat::kNone ||
                                           ContentLinesText(in.path, h.substr(0, 1024))))))
      return false;
  }
  const bool mbox = in.format == InputFormat::kMbox;
  uint64_t begin = 0;
  bool first = true;
  for (;;) {
    Result<uint64_t> cut = begin + range_bytes < size ? NextCut(fd, mbox, begin + range_bytes, size, in.path, buf)
                                                      : Result<uint64_t>(uint64_t{0});
    if (!cut && first) return false;  // one item: its scan reports the error
    if (!cut) error(in.path + ": read failed while cutting it into ranges: " + cut.error().message());
    const uint64_t end = cut && *cut > 0 ? *cut : size;
    if (first && end == size) return false;  // no place to cut
    Input r = in;
    r.begin = begin, r.end = end, r.size = end - begin;
    r.last_range = end == size;
    r.relative = true;
    first = false;
    if (!emit_item(std::move(r)) || end == size) return true;
    begin = end;
  }
}

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

// A zip or uncompressed tar (seekable: libarchive skips a member's data
// without reading it): one item per regular file in it.
bool SplitArchive(const Input& in, uint64_t max_message, std::vector<Input>& out) {
  std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_zip(a.get());  // no decompression filters: compressed tars stay whole
  if (archive_read_open_filename(a.get(), in.path.c_str(), 1 << 16) != ARCHIVE_OK) return false;
  std::vector<std::pair<uint64_t, uint64_t>> members;  // entry number, declared size
  uint64_t entries = 0, declared = 0;
  archive_entry* e = nullptr;
  for (;;) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK || ++entries > 100000) return false;  // whole: its scan reports it
    if (archive_filter_count(a.get()) > 1) return false;     // compressed (e.g. tar.gz)
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e)) continue;
    if (!archive_entry_size_is_set(e)) return false;
    const auto size = static_cast<uint64_t>(archive_entry_size(e));
    if (size > max_message) return false;
    declared += size;
    members.emplace_back(entries, size);
  }
  if (members.size() < 2 || declared > max_message * 64) return false;
  for (size_t i = 0; i < members.size(); ++i) {
    Input m = in;
    m.member = members[i].first;
    m.member_size = members[i].second;
    m.size = in.size * (i + 1) / members.size() - in.size * i / members.size();  // shares of the file
    out.push_back(std::move(m));
  }
  return true;
}

}  // namespace

namespace {

// Both forms: `seek` cuts by seeking (numbers left to the scans), else by
// one pass (numbers in every range).
void SplitItems(const std::vector<Input>& inputs, uint64_t range_bytes, uint64_t max_message, bool seek,
                const std::function<bool(Input)>& emit, const std::function<void(const std::string&)>& error) {
  // NORDPII_WORK_ITEMS=whole: one item per input (tests compare with it).
  const char* e = std::getenv("NORDPII_WORK_ITEMS");
  const bool whole = e && std::strcmp(e, "whole") == 0;
  for (const Input& in : inputs) {
    const bool splittable = !whole && !in.stream && in.path != "-" && in.end == 0 &&
                            (in.format == InputFormat::kJsonl || in.format == InputFormat::kMbox ||
                             in.format == InputFormat::kText) &&
                            DetectDocFormat("", in.path, "", true) == DocFormat::kNone;  // documents by name: whole
    bool go_on = true;
    auto emit_range = [&](Input r) { return go_on = emit(std::move(r)); };
    if (splittable && range_bytes > 0 && in.size > range_bytes &&
        (seek ? SeekSplit(in, range_bytes, emit_range, error) : Split(in, range_bytes, emit_range, error))) {
      if (!go_on) return;
      continue;
    }
    std::vector<Input> members;
    if (!whole && !in.stream && in.path != "-" && in.end == 0 && in.member == 0 &&
        in.format == InputFormat::kArchive && DetectDocFormat("", in.path, "", true) == DocFormat::kNone &&
        SplitArchive(in, max_message, members)) {
      for (Input& m : members)
        if (!emit(std::move(m))) return;
      continue;
    }
    if (!emit(in)) return;
  }
}

}  // namespace

void SplitWorkItems(const std::vector<Input>& inputs, uint64_t range_bytes, uint64_t max_message,
                    const std::function<bool(Input)>& emit, const std::function<void(const std::string&)>& error) {
  SplitItems(inputs, range_bytes, max_message, true, emit, error);
}

std::vector<Input> SplitWorkItems(const std::vector<Input>& inputs, uint64_t range_bytes, uint64_t max_message) {
  std::vector<Input> out;
  out.reserve(inputs.size());
  for (const Input& in : inputs) {
    const size_t mark = out.size();
    bool failed = false;
    SplitItems(
        {in}, range_bytes, max_message, false,
        [&](Input r) {
          out.push_back(std::move(r));
          return true;
        },
        [&](const std::string&) { failed = true; });
    if (failed) {  // one item: its scan reports the error
      out.resize(mark);
      out.push_back(in);
    }
  }
  return out;
}

void RangeCounter::Add(const char* d, size_t n) {
  if (jsonl_) {
    // As Split: per line, memchr to its '\n' (ticket lines are long).
    for (size_t pos = 0; pos < n;) {
      if (line_start_) {
        line_start_ = false;
        nonblank_ = false;
        if (at_ + pos == 0 && n - pos >= 3 && std::memcmp(d + pos, "\xEF\xBB\xBF", 3) == 0) pos += 3;
        continue;
      }
      const char* q = d + pos;
      const size_t left = n - pos;
      const char* nl = static_cast<const char*>(std::memchr(q, '\n', left));
      const size_t seg = nl ? static_cast<size_t>(nl - q) : left;
      for (size_t i = 0; i < seg && !nonblank_; ++i) nonblank_ = q[i] != ' ' && q[i] != '\t' && q[i] != '\r';
      if (nl) {
        ++c_.lines;
        line_start_ = true;
        if (nonblank_) ++c_.records;
        pos += seg + 1;
      } else {
        pos += seg;
      }
    }
  } else {
    c_.lines += CountNewlines(d, d + n);
  }
  if (mbox_ && n > 0) {
    // Line starts with "From " after the range's start. Those at or just
    // before this piece's first byte (p in [at_ - 4, at_]): in the last
    // bytes before it (tail_) and the first ones of it, when the 5 bytes
    // are there; those that do not fit yet are found with the next piece.
    char st[10];
    std::memcpy(st, tail_, keep_);
    const size_t head = std::min<size_t>(5, n);
    std::memcpy(st + keep_, d, head);
    const std::string_view v(st, keep_ + head);
    for (size_t i = keep_ > 4 ? keep_ - 4 : 1; i <= keep_; ++i)
      if (v[i - 1] == '\n' && v.compare(i, 5, "From ") == 0 && i + 5 <= v.size()) ++c_.records;
    // Those after the first byte that lie inside the piece.
    const std::string_view w(d, n);
    for (size_t from = 1, i; (i = FindAtLineStart(w, from, "From ")) != std::string_view::npos; from = i + 1) ++c_.records;
    // The last 5 bytes so far.
    if (n >= 5) {
      std::memcpy(tail_, d + n - 5, 5);
      keep_ = 5;
    } else {
      const size_t all = keep_ + n, k = std::min<size_t>(5, all);
      char t[10];
      std::memcpy(t, tail_, keep_);
      std::memcpy(t + keep_, d, n);
      std::memcpy(tail_, t + all - k, k);
      keep_ = k;
    }
  }
  at_ += n;
}

Status CountOn(int fd, RangeCounter& c, uint64_t end) {
  std::unique_ptr<char[]> storage(new char[kPiece]);
  static const std::string kName = "range";
  for (uint64_t p = c.at(); p < end;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kPiece, end - p));
    if (Status st = ReadAt(fd, storage.get(), n, p, kName); !st.ok()) return st;
    c.Add(storage.get(), n);
    p += n;
  }
  return Status::Ok();
}

Result<RangeCounts> CountRange(int fd, InputFormat format, uint64_t begin, uint64_t end) {
  RangeCounter counter(format, begin);
  if (Status st = CountOn(fd, counter, end); !st.ok()) return st;
  return counter.counts();
}

std::string FixUpRangeError(const std::string& e, const std::string& path, uint64_t records) {
  if (records == 0 || e.size() <= path.size() + 2 || e.compare(0, path.size(), path) != 0 ||
      e.compare(path.size(), 2, ": ") != 0)
    return e;
  size_t at = path.size() + 2;
  std::string_view tail;
  if (e.compare(at, 7, "record ") == 0) at += 7, tail = " at offset ";
  else if (e.compare(at, 8, "message ") == 0) at += 8, tail = " (";
  else return e;
  size_t end = at;
  uint64_t n = 0;
  while (end < e.size() && end - at < 19 && e[end] >= '0' && e[end] <= '9') n = n * 10 + static_cast<uint64_t>(e[end++] - '0');
  if (end == at || e.compare(end, tail.size(), tail) != 0) return e;
  return e.substr(0, at) + std::to_string(n + records) + e.substr(end);
}

}  // namespace nordpii
