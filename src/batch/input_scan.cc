// SPDX-License-Identifier: Apache-2.0
#include "batch/input_scan.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <memory>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include <archive.h>
#include <archive_entry.h>

#include "batch/work_items.h"
#include "core/bytes.h"
#include "extract/extractor.h"

namespace fs = std::filesystem;

namespace nordpii {

namespace {

// Streams one record's findings to the report: TicketScanner::Scan fills
// the ticket id and dates before it scans, so they are set on the report
// just before the record's first finding (and again after the record, for
// one without findings). Nothing is held per finding.
struct TicketFindings : StreamSink {
  ReportSink* sink = nullptr;
  const TicketRecord* rec = nullptr;
  const TicketInfo* info = nullptr;
  bool set = false;
  void Set() {
    sink->SetTicket(rec->index, info->id, info->created, info->updated, info->closed);
    set = true;
  }
  bool OnFinding(const Finding& f, std::string_view raw) override {
    if (!set) Set();
    return sink->OnFinding(f, raw);
  }
};

}  // namespace

std::vector<Input> ExpandInputs(const std::vector<std::string>& paths, const std::string& forced,
                                const std::function<void(const std::string&)>& error) {
  std::vector<Input> out;
  auto add = [&](const std::string& p, InputFormat f) {
    std::error_code ec;
    uint64_t size = p == "-" ? 0 : static_cast<uint64_t>(fs::file_size(p, ec));
    out.push_back({p, f, ec ? 0 : size});
  };
  for (const auto& p : paths) {
    std::error_code ec;
    bool dir = p != "-" && fs::is_directory(p, ec);
    if (dir && (forced == "maildir" || (forced == "auto" && IsMaildir(p)))) {
      std::string unreadable;
      for (const auto& rel : MaildirFiles(p, &unreadable)) add((fs::path(p) / rel).string(), InputFormat::kEml);
      if (!unreadable.empty()) error(unreadable);
      continue;
    }
    if (!dir && p != "-" && forced == "auto" && IsStream(p)) {
      out.push_back({p, InputFormat::kText, 0, true});  // recognised when read (once)
      continue;
    }
    if (!dir) {
      InputFormat f = forced == "auto" ? DetectInputFormat(p) : *ParseInputFormat(forced);
      add(p, f == InputFormat::kMaildir ? InputFormat::kEml : f);
      continue;
    }
    // Every directory that cannot be read is an error (it was not looked
    // at), and the walk goes on with the others. Symlinked directories are
    // not followed; only regular files (also through a symlink) are inputs.
    std::vector<std::string> files;
    std::vector<fs::path> dirs = {p};
    while (!dirs.empty()) {
      fs::path at = std::move(dirs.back());
      dirs.pop_back();
      std::error_code dec;
      fs::directory_iterator it(at, dec), end;
      for (; !dec && it != end; it.increment(dec)) {
        std::error_code fec;
        if (it->is_directory(fec) && !it->is_symlink(fec)) dirs.push_back(it->path());
        else if (it->is_regular_file(fec)) files.push_back(it->path().string());
      }
      if (dec) error(at.string() + ": " + dec.message() + "; not scanned");
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      InputFormat fmt = forced == "auto" ? DetectInputFormat(f) : *ParseInputFormat(forced);
      add(f, fmt == InputFormat::kMaildir ? InputFormat::kEml : fmt);
    }
  }
  return out;
}

namespace {

// Where a range of a file starts (work_items.h): its file offset, line and
// the records / messages before it. All zero but line for a whole file.
struct RangeBase {
  uint64_t offset = 0, line = 1, records = 0;
};

// Scans one stream of a known format (a file, or an archive entry).
void ScanSource(const std::string& path, InputFormat format, ByteSource& src, InputScanners& s,
                const FindingFilter& filter, ReportSink& sink, size_t max_message,
                const std::function<void(const std::string&)>& error, const RangeBase& base = {}) {
  sink.SetPath(path);
  switch (format) {
    case InputFormat::kEml:
    case InputFormat::kMaildir: {
      auto msg = ReadAll(src, path, max_message);
      if (!msg) return error(msg.error().message());
      sink.SetMessage(0, MailScanner::MessageId(*msg));
      if (Status st = s.mail.Scan(*msg, 0, 1, filter, sink); !st.ok()) error(path + ": " + st.message());
      return;
    }
    case InputFormat::kMbox: {
      MboxReader rd(src, max_message);
      MboxMessage m;
      for (;;) {
        auto more = rd.Next(m);
        if (!more) return error(path + ": " + more.error().message());
        if (!*more) return;
        m.index += base.records, m.offset += base.offset, m.line += base.line - 1;
        if (m.too_large) {
          error(path + ": message " + std::to_string(m.index) + " (" + std::to_string(m.size) +
                " bytes) is larger than --max-message-size; not scanned");
          continue;
        }
        sink.SetMessage(m.index, MailScanner::MessageId(m.bytes));
        if (Status st = s.mail.Scan(m.bytes, m.offset, m.line, filter, sink); !st.ok()) error(path + ": " + st.message());
      }
    }
    case InputFormat::kJsonl:
    case InputFormat::kJson:
    case InputFormat::kCsv: {
      TicketFormat tf = format == InputFormat::kJsonl ? TicketFormat::kJsonl
                        : format == InputFormat::kJson ? TicketFormat::kJson : TicketFormat::kCsv;
      TicketReader rd(src, tf, max_message);
      TicketRecord rec;
      for (;;) {
        auto more = rd.Next(rec);
        if (!more) return error(path + ": " + more.error().message());
        if (!*more) return;
        rec.index += base.records, rec.offset += base.offset;
        if (tf == TicketFormat::kCsv) s.tickets.set_csv(rd.header(), rd.delimiter());
        TicketInfo info;
        TicketFindings to_report;
        to_report.sink = &sink;
        to_report.rec = &rec;
        to_report.info = &info;
        Status st = s.tickets.Scan(rec, tf, filter, to_report, info);
        if (!to_report.set) to_report.Set();
        if (!st.ok()) error(path + ": " + st.message());  // the rest of the file is still scanned
      }
    }
    default:
      if (Status st = s.ctx.Scan(src, filter, sink); !st.ok()) error(path + ": " + st.message());
  }
}

// Findings in a document's extracted text: the field names the format and
// the place in the document ("xlsx:Ansatte!B7", "pdf:page 2"), the range is
// the whole file.
struct DocumentSink : StreamSink {
  StreamSink& to;
  const Extracted& doc;
  std::string fmt;
  uint64_t size;
  DocumentSink(StreamSink& t, const Extracted& d, DocFormat f, uint64_t n) : to(t), doc(d), fmt(DocFormatName(f)), size(n) {}
  bool OnFinding(const Finding& f, std::string_view raw) override {
    Finding g = f;
    g.part = fmt;
    g.field = fmt + ":" + doc.Location(f.start);
    g.part_offset = static_cast<int64_t>(f.start);
    g.start = 0, g.end = size, g.line = 1, g.column = 1;
    return to.OnFinding(g, raw);
  }
};

// A document file (OOXML, ODF, PDF) in a directory or archive: extracted in
// a child process (extractor.h); an extraction error is an error for it.
void ScanDocument(const std::string& path, std::string_view bytes, DocFormat df, InputScanners& s,
                  const FindingFilter& filter, ReportSink& sink, const std::function<void(const std::string&)>& error) {
  sink.SetPath(path);
  ExtractLimits lim;
  lim.ocr = s.ocr;  // scanned PDF pages
  auto doc = ExtractDocument(bytes, df, lim);
  if (!doc) return error(path + ": not scanned: " + doc.error().message());
  DocumentSink ds(sink, *doc, df, bytes.size());
  auto src = StringSource(doc->text, path);
  if (Status st = s.ctx.Scan(*src, filter, ds); !st.ok()) error(path + ": " + st.message());
}

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

// Reads a tar, tar.gz or zip with libarchive and scans every regular file
// in it, in memory: nothing is extracted, so entry names ("../x", "/etc/y")
// are only labels. Bounded: each entry by --max-message-size (read in
// chunks, so a lying size header cannot exceed it), the whole archive by
// 64 x that and 100 000 entries (zip bombs); links are not followed and
// archives inside archives are listed, not opened.
// libarchive reading from a ByteSource (an archive arriving through a pipe,
// already partly read to recognise it).
struct ArchiveStream {
  ByteSource* src;
  char buf[1 << 16];
  static la_ssize_t Read(archive* a, void* self, const void** out) {
    auto* st = static_cast<ArchiveStream*>(self);
    auto r = st->src->Read(st->buf, sizeof st->buf);
    if (!r) {
      archive_set_error(a, EIO, "%s", r.error().message().c_str());
      return -1;
    }
    *out = st->buf;
    return static_cast<la_ssize_t>(*r);
  }
};

// `stream`: read the archive from it instead of opening in.path (a stream
// input is opened only once).
void ScanArchive(const Input& in, ByteSource* stream, InputScanners& s, const FindingFilter& filter,
                 ReportSink& sink, size_t max_message, const std::function<void(const std::string&)>& error) {
  std::unique_ptr<archive, ArchiveDeleter> a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_zip(a.get());
  auto streamed = std::make_unique<ArchiveStream>();
  streamed->src = stream;
  int opened = stream ? archive_read_open(a.get(), streamed.get(), nullptr, &ArchiveStream::Read, nullptr)
                      : archive_read_open_filename(a.get(), in.path.c_str(), 1 << 16);
  if (opened != ARCHIVE_OK) return error(in.path + ": " + archive_error_string(a.get()));
  const uint64_t budget = static_cast<uint64_t>(max_message) * 64;
  uint64_t used = 0;
  size_t entries = 0;
  archive_entry* e = nullptr;
  std::string data;
  for (;;) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF && in.member > entries)
      return error(in.path + ": the archive changed since it was listed; member " + std::to_string(in.member) + " not scanned");
    if (r == ARCHIVE_EOF) return;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return error(in.path + ": " + archive_error_string(a.get()));
    if (++entries > 100000) return error(in.path + ": more than 100 000 entries; the rest is not scanned");
    // A member item (work_items.h): only its entry; the others' data are
    // skipped unread.
    if (in.member > 0 && entries < in.member) continue;
    if (in.member > 0 && entries > in.member) return;
    const char* name = archive_entry_pathname(e);
    std::string label = in.path + "!/" + (name ? name : "?");
    for (char& c : label)
      if (static_cast<unsigned char>(c) < 32) c = '?';
    if (in.member > 0 && (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e)))
      return error(label + ": the archive changed since it was listed; not scanned");
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e)) continue;  // dirs, links
    data.clear();
    char buf[1 << 16];
    bool too_big = false;
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
      if (n < 0) {
        error(label + ": " + archive_error_string(a.get()));
        return;
      }
      if (n == 0) break;
      used += static_cast<uint64_t>(n);
      if (data.size() + static_cast<size_t>(n) > max_message || used > budget) {
        too_big = true;
        break;
      }
      if (in.member > 0 && data.size() + static_cast<size_t>(n) > in.member_size) {
        // More than the declared size the archive's budget was checked with.
        error(label + ": more data than its declared size; not scanned");
        return;
      }
      data.append(buf, static_cast<size_t>(n));
    }
    if (too_big) {
      error(label + ": larger than --max-message-size (or the archive's total budget); not scanned");
      if (used > budget) return;
      continue;
    }
    if (DocFormat df = DetectDocFormat("", label, std::string_view(data).substr(0, 1024), s.ocr); df != DocFormat::kNone) {
      ScanDocument(label, data, df, s, filter, sink, error);
      continue;
    }
    InputFormat f = DetectFormatOf(label, std::string_view(data).substr(0, 8192));
    if (f == InputFormat::kArchive) {
      sink.SetPath(label);
      sink.OnAttachment("", "archive", name ? name : "?", data.size());  // nested archives: listed only
      continue;
    }
    auto src = StringSource(data, label);
    ScanSource(label, f, *src, s, filter, sink, max_message, error);
    if (in.member > 0) return;  // its one entry
  }
}

}  // namespace

namespace {

// A source that adds the bytes read to a progress counter.
class CountingSource : public ByteSource {
 public:
  CountingSource(ByteSource& in, std::atomic<uint64_t>& total) : in_(in), total_(total) {}
  Result<size_t> Read(char* buf, size_t n) override {
    auto r = in_.Read(buf, n);
    if (r && *r) {
      total_ += *r;
      added_ += *r;
    }
    return r;
  }
  const std::string& name() const override { return in_.name(); }
  uint64_t added() const { return added_; }

 private:
  ByteSource& in_;
  std::atomic<uint64_t>& total_;
  uint64_t added_ = 0;
};

}  // namespace

namespace {

// The bytes [from, to) of an open file (pread: no shared file position).
class RangeSource : public ByteSource {
 public:
  RangeSource(int fd, uint64_t from, uint64_t to, std::string name) : fd_(fd), at_(from), to_(to), name_(std::move(name)) {}
  ~RangeSource() override { ::close(fd_); }
  Result<size_t> Read(char* buf, size_t n) override {
    if (at_ >= to_) return size_t{0};
    n = static_cast<size_t>(std::min<uint64_t>(n, to_ - at_));
    for (;;) {
      ssize_t r = ::pread(fd_, buf, n, static_cast<off_t>(at_));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Error(ErrorCode::kIo, name_ + ": " + std::strerror(errno));
      at_ += static_cast<uint64_t>(r);
      return static_cast<size_t>(r);
    }
  }
  const std::string& name() const override { return name_; }

 private:
  int fd_;
  uint64_t at_, to_;
  std::string name_;
};

// A text range scanned with context around it: findings moved to file
// offsets and lines, and only those starting in [keep_from, keep_to) kept
// (the context's own findings belong to the neighbouring ranges).
struct RangeSink : StreamSink {
  StreamSink& to;
  uint64_t shift, line_shift, keep_from, keep_to;
  RangeSink(StreamSink& t, uint64_t s, uint64_t ls, uint64_t kf, uint64_t kt)
      : to(t), shift(s), line_shift(ls), keep_from(kf), keep_to(kt) {}
  bool OnFinding(const Finding& f, std::string_view raw) override {
    const uint64_t at = f.start + shift;
    if (at < keep_from || at >= keep_to) return true;
    Finding g = f;
    g.start += shift, g.end += shift, g.line += line_shift;
    return to.OnFinding(g, raw);
  }
  void OnNote(std::string_view part, std::string_view text) override { to.OnNote(part, text); }
  void OnAttachment(std::string_view part, std::string_view type, std::string_view name, uint64_t size) override {
    to.OnAttachment(part, type, name, size);
  }
};

// One range item (in.end > 0) of a JSONL, mbox or text file.
uint64_t ScanRange(const Input& in, InputScanners& s, const FindingFilter& filter, ReportSink& sink,
                   size_t max_message, const std::function<void(const std::string&)>& error) {
  sink.SetPath(in.path);
  int fd = ::open(in.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error(in.path + ": " + std::strerror(errno));
    return 0;
  }
  if (in.format != InputFormat::kText) {
    RangeSource src(fd, in.begin, in.end, in.path);
    ScanSource(in.path, in.format, src, s, filter, sink, max_message, error,
               RangeBase{in.begin, in.first_line, in.records_before});
  } else {
    // Context before the range: its lines are counted to number the
    // range's own lines from first_line.
    const uint64_t from = in.begin > kRangeLeadIn ? in.begin - kRangeLeadIn : 0;
    std::string lead(static_cast<size_t>(in.begin - from), '\0');
    size_t have = 0;
    while (have < lead.size()) {
      ssize_t r = ::pread(fd, lead.data() + have, lead.size() - have, static_cast<off_t>(from + have));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      have += static_cast<size_t>(r);
    }
    if (have < lead.size()) {
      ::close(fd);
      error(in.path + ": cannot read the range at offset " + std::to_string(in.begin));
      return 0;
    }
    const uint64_t lead_lines = CountNewlines(lead.data(), lead.data() + lead.size());
    if (lead_lines >= in.first_line) {  // the file changed since it was split
      ::close(fd);
      error(in.path + ": changed while it was scanned; not scanned");
      return 0;
    }
    RangeSource src(fd, from, in.end + kRangeLeadIn, in.path);
    RangeSink ranged(sink, from, in.first_line - lead_lines - 1, in.begin, in.end);
    if (Status st = s.ctx.Scan(src, filter, ranged); !st.ok()) error(in.path + ": " + st.message());
  }
  if (!s.progress) return 0;
  *s.progress += in.end - in.begin;
  return in.end - in.begin;
}

}  // namespace

uint64_t ScanInput(const Input& in, InputScanners& s, const FindingFilter& filter, ReportSink& sink,
                   size_t max_message, const std::function<void(const std::string&)>& error) {
  if (in.end > 0) return ScanRange(in, s, filter, sink, max_message, error);
  // A document (PDF, OOXML, ODF) named as one: extracted and scanned. Only
  // a regular file (a pipe is read once, by its content below).
  if (DocFormat df = DetectDocFormat("", in.path, "", s.ocr); df != DocFormat::kNone && in.path != "-" && !in.stream) {
    auto dsrc = OpenPath(in.path);
    auto bytes = dsrc ? ReadAll(**dsrc, in.path, max_message) : Result<std::string>(dsrc.error());
    if (!bytes) {
      sink.SetPath(in.path);
      error(bytes.error().message());
      return 0;
    }
    if (DetectDocFormat("", in.path, std::string_view(*bytes).substr(0, 1024), s.ocr) == df) {
      ScanDocument(in.path, *bytes, df, s, filter, sink, error);
      if (!s.progress) return 0;
      *s.progress += bytes->size();
      return bytes->size();
    }
    // Named like a document but it is not one: scanned by its content below.
  }
  InputFormat format = in.format;
  std::unique_ptr<ByteSource> src;
  if (in.stream || format != InputFormat::kArchive) {
    auto opened = OpenInput(in.path, in.stream ? "auto" : InputFormatName(format));
    if (!opened) {
      sink.SetPath(in.path);
      error(opened.error().message());
      return 0;
    }
    src = std::move(opened->source);
    format = opened->format;
  }
  if (format == InputFormat::kArchive) {
    ScanArchive(in, src.get(), s, filter, sink, max_message, error);
    return 0;
  }
  if (!s.progress) {
    ScanSource(in.path, format, *src, s, filter, sink, max_message, error);
    return 0;
  }
  CountingSource counted(*src, *s.progress);
  ScanSource(in.path, format, counted, s, filter, sink, max_message, error);
  return counted.added();
}

}  // namespace nordpii
