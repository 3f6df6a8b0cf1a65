// SPDX-License-Identifier: Apache-2.0
#include "batch/work_items.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "extract/extractor.h"

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
  if (item.end == 0) return item.path;
  return item.path + "\x1e" + std::to_string(item.begin) + "-" + std::to_string(item.end);
}

namespace {

// One pass over a file: the record starts where a range may begin, with the
// line and record counts there. Written here (not a library): it must agree
// exactly with TicketReader's JSONL lines (a blank line is no record) and
// MboxReader's message starts (offset 0 and every line starting "From ").
bool Split(const Input& in, uint64_t range_bytes, std::vector<Input>& out) {
  int fd = ::open(in.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool mbox = in.format == InputFormat::kMbox, jsonl = in.format == InputFormat::kJsonl;
  std::vector<Input> ranges;
  std::string buf;
  size_t pos = 0;
  uint64_t base = 0;  // file offset of buf[0]
  bool eof = false, line_start = true, nonblank = false;
  uint64_t line = 1, records = 0;
  uint64_t cur_begin = 0, cur_line = 1, cur_records = 0, target = range_bytes;
  bool ok = true;
  auto emit = [&](uint64_t end) {
    Input r = in;
    r.begin = cur_begin, r.end = end, r.size = end - cur_begin;
    r.first_line = cur_line, r.records_before = cur_records;
    ranges.push_back(std::move(r));
  };
  for (;;) {
    if (buf.size() - pos < 8 && !eof) {
      buf.erase(0, pos);
      base += pos;
      pos = 0;
      size_t have = buf.size();
      buf.resize(have + (1 << 20));
      ssize_t n;
      do n = ::read(fd, buf.data() + have, 1 << 20);
      while (n < 0 && errno == EINTR);
      if (n < 0) {
        ok = false;
        break;
      }
      buf.resize(have + static_cast<size_t>(n));
      if (n == 0) eof = true;
      continue;
    }
    if (pos == buf.size()) break;
    if (line_start) {
      const uint64_t off = base + pos;
      const bool from = buf.compare(pos, 5, "From ") == 0;
      const bool record_start = !mbox || off == 0 || from;
      if (record_start && off >= target && off > cur_begin) {
        emit(off);
        cur_begin = off, cur_line = line, cur_records = records;
        target = off + range_bytes;
      }
      if (mbox && record_start) ++records;  // a message starts here
      line_start = false;
      nonblank = false;
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
  ::close(fd);
  if (!ok) return false;
  emit(base + pos);
  if (ranges.size() < 2) return false;  // nothing to split at: one item
  for (auto& r : ranges) out.push_back(std::move(r));
  return true;
}

}  // namespace

std::vector<Input> SplitWorkItems(const std::vector<Input>& inputs, uint64_t range_bytes) {
  std::vector<Input> out;
  out.reserve(inputs.size());
  for (const Input& in : inputs) {
    const bool splittable = !in.stream && in.path != "-" && in.end == 0 &&
                            (in.format == InputFormat::kJsonl || in.format == InputFormat::kMbox ||
                             in.format == InputFormat::kText) &&
                            DetectDocFormat("", in.path, "", true) == DocFormat::kNone;  // documents by name: whole
    if (splittable && range_bytes > 0 && in.size > range_bytes && Split(in, range_bytes, out)) continue;
    out.push_back(in);
  }
  return out;
}

}  // namespace nordpii
