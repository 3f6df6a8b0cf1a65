// SPDX-License-Identifier: Apache-2.0
#include "batch/work_items.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <archive.h>
#include <archive_entry.h>

#include <memory>

#include "extract/extractor.h"
#include "input/utf16.h"

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
    if (n > 0 && SniffUtf16(std::string_view(head, static_cast<size_t>(n))).utf16) {
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

void SplitWorkItems(const std::vector<Input>& inputs, uint64_t range_bytes, uint64_t max_message,
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
    if (splittable && range_bytes > 0 && in.size > range_bytes && Split(in, range_bytes, emit_range, error)) {
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

std::vector<Input> SplitWorkItems(const std::vector<Input>& inputs, uint64_t range_bytes, uint64_t max_message) {
  std::vector<Input> out;
  out.reserve(inputs.size());
  for (const Input& in : inputs) {
    const size_t mark = out.size();
    bool failed = false;
    SplitWorkItems(
        {in}, range_bytes, max_message,
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

}  // namespace nordpii
