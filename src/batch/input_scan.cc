// SPDX-License-Identifier: Apache-2.0
#include "batch/input_scan.h"

#include <sys/stat.h>

#include "batch/parallel_records.h"
#include "batch/parallel_text.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>

#include <sys/stat.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include <archive.h>
#include <archive_entry.h>

#include "batch/mail_meta.h"
#include "batch/work_items.h"
#include "core/bytes.h"
#include "core/file_magic.h"
#include "extract/extractor.h"
#include "normalize/legacy_text.h"

namespace fs = std::filesystem;

namespace nordpii {

namespace {

// Streams one record's findings to the report: TicketScanner::Scan fills
// the ticket id and dates before it scans, so they are set on the report
// just before the record's first finding. Nothing is held per finding.
struct TicketFindings : StreamSink {
  ReportSink* sink = nullptr;
  const TicketRecord* rec = nullptr;
  const TicketInfo* info = nullptr;
  Utf16Offsets* utf16 = nullptr;  // a UTF-16 export: offsets back to its bytes
  bool set = false;
  Finding mapped;
  void Set() {
    sink->SetTicket(rec->index, info->id, info->created, info->updated, info->closed);
    sink->SetSubject(info->subject);
    set = true;
  }
  bool OnFinding(const Finding& f, std::string_view raw) override {
    if (!set) Set();
    if (!utf16) return sink->OnFinding(f, raw);
    mapped = f;
    mapped.start = utf16->Map(f.start);
    mapped.end = utf16->Map(f.end);
    return sink->OnFinding(mapped, raw);
  }
};

// Findings of UTF-16 text, their offsets mapped back to the file's bytes.
struct Utf16Findings : StreamSink {
  StreamSink& to;
  Utf16Offsets& map;
  Finding mapped;
  Utf16Findings(StreamSink& t, Utf16Offsets& m) : to(t), map(m) {}
  bool OnFinding(const Finding& f, std::string_view raw) override {
    mapped = f;
    mapped.start = map.Map(f.start);
    mapped.end = map.Map(f.end);
    return to.OnFinding(mapped, raw);
  }
  void OnNote(std::string_view part, std::string_view text) override { to.OnNote(part, text); }
  void OnAttachment(std::string_view part, std::string_view type, std::string_view name, uint64_t size) override {
    to.OnAttachment(part, type, name, size);
  }
};

// Findings of UTF-16 text decoded as it is read (Utf16Source).
struct Utf16StreamFindings : StreamSink {
  StreamSink& to;
  Utf16Source& dec;
  Finding mapped;
  bool lost = false;  // an offset behind the kept window: never expected, fails closed
  Utf16StreamFindings(StreamSink& t, Utf16Source& d) : to(t), dec(d) {}
  bool OnFinding(const Finding& f, std::string_view raw) override {
    mapped = f;
    if (!dec.Map(f.start, mapped.start) || !dec.Map(f.end, mapped.end)) {
      lost = true;
      return false;
    }
    return to.OnFinding(mapped, raw);
  }
  void OnNote(std::string_view part, std::string_view text) override { to.OnNote(part, text); }
  void OnAttachment(std::string_view part, std::string_view type, std::string_view name, uint64_t size) override {
    to.OnAttachment(part, type, name, size);
  }
};

// Findings of unfolded iCalendar / vCard text (legacy_text.h), mapped back
// to the file's bytes, with the line and column of the folded text.
struct UnfoldedFindings : StreamSink {
  StreamSink& to;
  const OffsetMap& map;
  std::string_view raw;
  Finding mapped;
  uint64_t pos = 0, line = 1, line_start = 0;  // lines counted up to pos (findings come in order)
  UnfoldedFindings(StreamSink& t, const OffsetMap& m, std::string_view r) : to(t), map(m), raw(r) {}
  bool OnFinding(const Finding& f, std::string_view value) override {
    mapped = f;
    mapped.start = map.Start(static_cast<uint32_t>(f.start));
    mapped.end = map.End(static_cast<uint32_t>(f.end));
    if (mapped.start < pos) pos = 0, line = 1, line_start = 0;
    for (; pos < mapped.start; ++pos)
      if (raw[pos] == '\n') ++line, line_start = pos + 1;
    mapped.line = line;
    mapped.column = mapped.start - line_start + 1;
    return to.OnFinding(mapped, value);
  }
  void OnNote(std::string_view part, std::string_view text) override { to.OnNote(part, text); }
  void OnAttachment(std::string_view part, std::string_view type, std::string_view name, uint64_t size) override {
    to.OnAttachment(part, type, name, size);
  }
};

// iCalendar / vCard text: read whole (up to max_message; larger is an
// error, not a partial scan), its folded lines unfolded, findings mapped
// back to the file's bytes.
void ScanContentLines(const std::string& path, ByteSource& src, InputScanners& s, const FindingFilter& filter,
                      ReportSink& sink, size_t max_message, const std::function<void(const std::string&)>& error) {
  sink.SetPath(path);
  auto raw = ReadAll(src, path, max_message);
  if (!raw) return error(raw.error().message() + " (iCalendar / vCard text is read whole to unfold it); not scanned");
  const Decoded d = UnfoldContentLines(*raw);
  UnfoldedFindings mapped(sink, d.map, *raw);
  auto text = StringSource(d.bytes, path);
  if (Status st = s.ctx.Scan(*text, filter, mapped); !st.ok()) error(PathMessage(path, st.message()));
}

}  // namespace

std::vector<Input> ExpandInputs(const std::vector<std::string>& paths, const std::string& forced,
                                const std::function<void(const std::string&)>& error,
                                const std::vector<std::string>& skip) {
  std::vector<Input> out;
  std::vector<fs::path> skipped;
  for (const auto& p : skip) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    if (!ec) skipped.push_back(c);
  }
  auto skip_dir = [&](const fs::path& d) {
    if (d.filename() == ".git") return true;
    if (skipped.empty()) return false;
    std::error_code ec;
    fs::path c = fs::weakly_canonical(d, ec);
    return !ec && std::find(skipped.begin(), skipped.end(), c) != skipped.end();
  };
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
    if (!dir && forced == "auto" && (p == "-" || IsStream(p))) {
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
    // followed; a directory already walked (same device and inode: a link
    // loop, or two links to one place) is not walked again. Regular files
    // (also through a symlink) are inputs; a FIFO, socket or device is not
    // opened (reading it could block forever) and is an error.
    std::vector<std::string> files;
    std::vector<fs::path> dirs = {p};
    std::set<std::pair<dev_t, ino_t>> walked;
    while (!dirs.empty()) {
      fs::path at = std::move(dirs.back());
      dirs.pop_back();
      struct stat st;
      if (::stat(at.c_str(), &st) == 0 && !walked.insert({st.st_dev, st.st_ino}).second) continue;
      std::error_code dec;
      fs::directory_iterator it(at, dec), end;
      for (; !dec && it != end; it.increment(dec)) {
        std::error_code fec;
        const fs::file_status fst = it->status(fec);  // through symlinks
        if (fs::is_directory(fst)) {
          if (!skip_dir(it->path())) dirs.push_back(it->path());
        } else if (fs::is_regular_file(fst)) {
          files.push_back(it->path().string());
        } else if (fs::exists(fst)) {
          error(it->path().string() + ": not a regular file (FIFO, socket or device); not scanned");
        } else {
          // A symlink to nothing, or an entry whose type cannot be read
          // (closed17: both were left out silently, exit 0 or 1): what the
          // tree names was not scanned.
          // A link that cannot be followed for another reason (a loop,
          // ELOOP) says so (review20: a loop was 'its target is missing').
          error(it->path().string() + UnfollowedEntryMessage(*it, fec));
        }
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
  bool defer_fields_check = false;  // InputScanners::defer_fields_check, for a range
};

// An image file not read while OCR is off: a note (counted in the batch
// summary as an attachment not scanned), with --not-read error an error.
void ImageNotRead(const std::string& path, const InputScanners& s, ReportSink& sink,
                  const std::function<void(const std::string&)>& error) {
  sink.SetPath(path);
  sink.OnNote("", std::string("image file ").append(kImageNotReadNote));
  if (s.not_read_error) error(path + ": image file " + std::string(kImageNotReadNote));
}

// Scans one stream of a known format (a file, or an archive entry).
// `mtime`: the file's (or entry's) modification time, the last source of a
// message's date (-1: none). `utf16`: the stream is text decoded from
// UTF-16, findings are mapped back.
void ScanSource(const std::string& path, InputFormat format, ByteSource& src, InputScanners& s,
                const FindingFilter& filter, ReportSink& sink, size_t max_message,
                const std::function<void(const std::string&)>& error, int64_t mtime,
                Utf16Offsets* utf16 = nullptr, const RangeBase& base = {}) {
  sink.SetPath(path);
  switch (format) {
    case InputFormat::kEml:
    case InputFormat::kMaildir: {
      auto msg = ReadAll(src, path, max_message);
      if (!msg) return error(msg.error().message());
      sink.SetMessage(0, MailScanner::MessageId(*msg));
      MessageMeta meta = ReadMessageMeta(*msg, mtime);
      sink.SetMessageMeta(meta.date, meta.date_source, meta.subject);
      if (Status st = s.mail.Scan(*msg, 0, 1, filter, sink); !st.ok()) error(PathMessage(path, st.message()));
      return;
    }
    case InputFormat::kMbox: {
      MboxReader rd(src, max_message);
      MboxMessage m;
      for (;;) {
        auto more = rd.Next(m);
        if (!more) return error(PathMessage(path, more.error().message()));
        if (!*more) return;
        m.index += base.records, m.offset += base.offset, m.line += base.line - 1;
        if (m.too_large) {
          error(path + ": message " + std::to_string(m.index) + " (" + std::to_string(m.size) +
                " bytes) is larger than --max-message-size; not scanned");
          continue;
        }
        sink.SetMessage(m.index, MailScanner::MessageId(m.text));
        MessageMeta meta = ReadMessageMeta(m.text, mtime);
        sink.SetMessageMeta(meta.date, meta.date_source, meta.subject);
        // (Which message: an mbox holds thousands; review22.)
        if (Status st = s.mail.Scan(m.text, m.offset, m.line, filter, sink); !st.ok())
          error(PathMessage(path, "message " + std::to_string(m.index) + ": " + st.message()));
      }
    }
    case InputFormat::kJsonl:
    case InputFormat::kJson:
    case InputFormat::kCsv: {
      const TicketFormat tf = ToTicketFormat(format);
      TicketReader rd(src, tf, max_message);
      if (base.offset > 0) rd.set_inside_file();  // a range after the file's first byte
      TicketRecord rec;
      s.tickets.BeginInput();
      for (;;) {
        auto more = rd.Next(rec);
        if (base.defer_fields_check) {  // the caller checks over all ranges of the file
          s.range_fields_seen = s.tickets.fields_seen();
          s.range_records = s.tickets.records();
        }
        if (!more) return error(PathMessage(path, more.error().message()));
        if (!*more) {
          // --fields / --columns that named nothing here: not scanned as asked.
          if (base.defer_fields_check) return;
          if (Status st = s.tickets.EndInput(tf, rd.header()); !st.ok()) error(PathMessage(path, st.message()));
          return;
        }
        rec.index += base.records, rec.offset += base.offset;
        if (tf == TicketFormat::kCsv) s.tickets.set_csv(rd.header(), rd.delimiter());
        TicketInfo info;
        TicketFindings to_report;
        to_report.sink = &sink;
        to_report.rec = &rec;
        to_report.info = &info;
        to_report.utf16 = utf16;
        // The ticket's id, dates and subject are masked and set on the
        // report at its first finding only: a record without findings
        // writes nothing (masking them for every record was ~1 % of a scan).
        Status st = s.tickets.Scan(rec, tf, filter, to_report, info);
        if (!st.ok()) error(PathMessage(path, st.message()));  // the rest of the file is still scanned
      }
    }
    default: {
      Status st;
      if (utf16) {
        Utf16Findings mapped(sink, *utf16);
        st = s.ctx.Scan(src, filter, mapped);
      } else {
        st = s.ctx.Scan(src, filter, sink);
      }
      if (!st.ok()) error(PathMessage(path, st.message()));
    }
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
  if (Status st = s.ctx.Scan(*src, filter, ds); !st.ok()) error(PathMessage(path, st.message()));
  for (const std::string& n : doc->notes) sink.OnNote("", n);  // scanned PDF pages without --ocr
  if (s.not_read_error && !doc->notes.empty()) error(path + ": " + doc->notes.front());  // --not-read error
  if (!doc->incomplete.empty()) error(path + ": partly scanned: " + doc->incomplete);
}

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

// Reads a tar, tar.gz or zip with libarchive and scans every regular file
// in it, in memory: nothing is extracted, so entry names ("../x", "/etc/y")
// are only labels. Bounded: each entry by --max-message-size (read in
// chunks, so a lying size header cannot exceed it), the whole archive by
// 64 x that and 100 000 entries (zip bombs), counted over the archive and
// every archive inside it; links are not followed. Archives inside archives
// are opened (in memory) down to kMaxArchiveDepth levels; a deeper one is an
// error (not scanned), never skipped silently.
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

constexpr int kMaxArchiveDepth = 4;  // an archive in an archive in ... : 4 levels in all

// Shared by an archive and the archives inside it.
struct ArchiveBudget {
  uint64_t bytes = 0, used = 0;
  size_t entries = 0;
  bool exhausted = false;  // the whole budget is spent: stop every level
};

// `stream`: read the archive from it instead of opening `path` (a stream
// input is opened only once; a nested archive is in memory). `depth`: 1 for
// an archive given as input.
// member > 0: only that entry (1-based, of this archive's entries; a work item).
void ScanArchive(const std::string& path, ByteSource* stream, InputScanners& s, const FindingFilter& filter,
                 ReportSink& sink, size_t max_message, const std::function<void(const std::string&)>& error,
                 ArchiveBudget& budget_left, int depth, size_t member = 0, uint64_t member_size = 0) {
  std::unique_ptr<archive, ArchiveDeleter> a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_zip(a.get());
  // A single compressed file (x.txt.gz, mail.eml.xz, export.jsonl.zst):
  // libarchive's raw format gives its decompressed bytes as one entry,
  // scanned as "x.txt.gz!/x.txt" by the name without the compression
  // suffix and by its content. Bids lowest: tar and zip win.
  archive_read_support_format_raw(a.get());
  auto streamed = std::make_unique<ArchiveStream>();
  streamed->src = stream;
  int opened = stream ? archive_read_open(a.get(), streamed.get(), nullptr, &ArchiveStream::Read, nullptr)
                      : archive_read_open_filename(a.get(), path.c_str(), 1 << 16);
  if (opened != ARCHIVE_OK) return error(path + ": " + archive_error_string(a.get()));
  const uint64_t budget = budget_left.bytes;
  uint64_t& used = budget_left.used;
  size_t& entries = budget_left.entries;
  size_t index = 0;  // this archive's entries
  archive_entry* e = nullptr;
  std::string data;
  for (;;) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF && member > index)
      return error(path + ": the archive changed since it was listed; member " + std::to_string(member) + " not scanned");
    // No entry at all in a tar: libarchive reads a zero block as the end of
    // the archive, so a compressed file whose content starts with 512 zero
    // bytes (padding, then text) looked like an empty tar and passed unread
    // (review22). Fail closed: a truly empty tar is no use to send anyway.
    if (r == ARCHIVE_EOF && index == 0 && archive_format(a.get()) == ARCHIVE_FORMAT_TAR)
      return error(path + ": reads as an empty tar archive (or starts with a zero block); not scanned");
    if (r == ARCHIVE_EOF || budget_left.exhausted) return;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return error(path + ": " + archive_error_string(a.get()));
    if (++entries > 100000) {
      budget_left.exhausted = true;
      return error(path + ": more than 100 000 entries; the rest is not scanned");
    }
    // A member item (work_items.h): only its entry; the others' data are
    // skipped unread.
    ++index;
    if (member > 0 && index < member) continue;
    if (member > 0 && index > member) return;
    const char* name = archive_entry_pathname(e);
    std::string raw_name;
    if (archive_format(a.get()) == ARCHIVE_FORMAT_RAW) {
      // Raw without a compression filter: not an archive nor a compressed
      // file (only named like one): an error, never read as something else.
      if (archive_filter_count(a.get()) < 2)
        return error(path + ": not a tar/zip archive nor a gzip/xz/bzip2/zstd compressed file; not scanned");
      raw_name = fs::path(path).filename().string();
      for (const char* x : {".gz", ".xz", ".bz2", ".zst", ".GZ", ".XZ", ".BZ2", ".ZST"})
        if (raw_name.size() > std::strlen(x) && raw_name.compare(raw_name.size() - std::strlen(x), std::string::npos, x) == 0) {
          raw_name.resize(raw_name.size() - std::strlen(x));
          break;
        }
      name = raw_name.c_str();
    }
    std::string label = path + "!/" + (name ? name : "?");
    for (char& c : label)
      if (static_cast<unsigned char>(c) < 32) c = '?';
    if (member > 0 && (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e)))
      return error(label + ": the archive changed since it was listed; not scanned");
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e)) continue;  // dirs, links
    data.clear();
    char buf[1 << 16];
    // An entry whose declared size is over the limit is refused unread (its
    // data skipped; issue 12 #9); a size that lies is caught as it is read.
    bool too_big = archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
                   static_cast<uint64_t>(archive_entry_size(e)) > max_message;
    for (; !too_big;) {
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
      if (member > 0 && data.size() + static_cast<size_t>(n) > member_size) {
        // More than the declared size the archive's budget was checked with.
        error(label + ": more data than its declared size; not scanned");
        return;
      }
      data.append(buf, static_cast<size_t>(n));
    }
    if (too_big) {
      error(label + ": larger than --max-message-size (or the archive's total budget); not scanned");
      if (used > budget) {
        budget_left.exhausted = true;
        return;
      }
      continue;
    }
    const std::string_view head = std::string_view(data).substr(0, 1024);
    // (A picture by its signature, whatever its name: read by OCR, or noted below.)
    const bool picture = IsBinaryImageSignature(head);
    DocFormat df = DetectDocFormat("", label, head, s.ocr);
    if (df == DocFormat::kNone && s.ocr && picture) df = DocFormat::kImage;
    if (df != DocFormat::kNone) {
      ScanDocument(label, data, df, s, filter, sink, error);
      continue;
    }
    InputFormat f = DetectFormatOf(label, std::string_view(data).substr(0, 8192));
    // A document by its bytes (a PDF named .txt): extracted, never text.
    if (DocFormat df = SniffDocumentBytes(std::string_view(data).substr(0, 1024), f == InputFormat::kText);
        df != DocFormat::kNone && f != InputFormat::kArchive) {
      ScanDocument(label, data, df, s, filter, sink, error);
      continue;
    }
    if (!s.ocr && (picture || DetectDocFormat("", label, head, true) == DocFormat::kImage))
      ImageNotRead(label, s, sink, error);
    if (f == InputFormat::kArchive) {
      if (depth >= kMaxArchiveDepth) {
        sink.SetPath(label);
        error(label + ": an archive nested more than " + std::to_string(kMaxArchiveDepth) +
              " levels deep; not scanned");
        continue;
      }
      auto nested = StringSource(data, label);
      ScanArchive(label, nested.get(), s, filter, sink, max_message, error, budget_left, depth + 1);
      continue;
    }
    if (Utf16Kind k = SniffUtf16(std::string_view(data).substr(0, 8192)); k.utf16) {
      std::string text;
      const size_t bom = k.bom ? 2 : 0;
      Utf16ToUtf8(std::string_view(data).substr(std::min(bom, data.size())), k.big_endian, text);
      Utf16Offsets map(text, bom);
      auto src = StringSource(text, label);
      ScanSource(label, f, *src, s, filter, sink, max_message, error, -1, &map);
      continue;
    }
    if (f == InputFormat::kText && ContentLinesText(label, std::string_view(data).substr(0, 1024))) {
      auto src = StringSource(data, label);
      ScanContentLines(label, *src, s, filter, sink, max_message, error);
      if (member > 0) return;
      continue;
    }
    auto src = StringSource(data, label);
    ScanSource(label, f, *src, s, filter, sink, max_message, error,
               archive_entry_mtime_is_set(e) ? static_cast<int64_t>(archive_entry_mtime(e)) : -1);
    if (member > 0) return;  // its one entry
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
  uint64_t SizeHint() const override { return in_.SizeHint(); }
  uint64_t added() const { return added_; }

 private:
  ByteSource& in_;
  std::atomic<uint64_t>& total_;
  uint64_t added_ = 0;
};

}  // namespace

namespace {

// The bytes [from, to) of an open file (pread: no shared file position;
// the caller closes it).
class RangeSource : public ByteSource {
 public:
  RangeSource(int fd, uint64_t from, uint64_t to, std::string name) : fd_(fd), at_(from), to_(to), name_(std::move(name)) {}
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

// A range's bytes counted as its scan reads them (the source reads file
// offsets [from, ...); those in [range.begin, range.end) are counted).
class RangeCountSource : public ByteSource {
 public:
  RangeCountSource(ByteSource& in, RangeCounter& c, const Input& range, uint64_t from)
      : in_(in), c_(c), range_(range), at_(from), counting_(range.relative) {}
  Result<size_t> Read(char* buf, size_t n) override {
    auto r = in_.Read(buf, n);
    if (r && *r > 0) {
      const uint64_t a = std::max(at_, range_.begin), b = std::min(at_ + *r, range_.end);
      if (counting_ && a < b && a == c_.at()) c_.Add(buf + (a - at_), static_cast<size_t>(b - a));
      at_ += *r;
    }
    return r;
  }
  const std::string& name() const override { return in_.name(); }
  uint64_t SizeHint() const override { return in_.SizeHint(); }

 private:
  ByteSource& in_;
  RangeCounter& c_;
  const Input& range_;
  uint64_t at_;
  bool counting_;  // a range cut by seeking (numbered relative to its start)
};

// One range item (in.end > 0) of a JSONL, mbox or text file.
uint64_t ScanRange(const Input& cut, InputScanners& s, const FindingFilter& filter, ReportSink& sink,
                   size_t max_message, const std::function<void(const std::string&)>& error) {
  sink.SetPath(cut.path);
  s.range_fields_seen = 0, s.range_records = 0;
  s.range_lines = 0, s.range_record_starts = 0, s.range_counted = false;
  s.range_count_error.clear();
  Input in = cut;
  int fd = ::open(in.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error(in.path + ": " + std::strerror(errno));
    s.range_count_error = std::strerror(errno);
    return 0;
  }
  if (in.format == InputFormat::kText && !in.relative) {
    // A document by its bytes (a large PDF named .txt, split into ranges by
    // size by a submitter that did not sniff it: SplitWorkItems now keeps
    // it whole): the first range extracts it whole, the others add nothing.
    char head[1024];
    ssize_t n;
    do n = ::pread(fd, head, sizeof head, 0);
    while (n < 0 && errno == EINTR);
    if (DocFormat df = SniffDocumentBytes(std::string_view(head, n > 0 ? static_cast<size_t>(n) : 0), true);
        df != DocFormat::kNone) {
      ::close(fd);
      s.range_counted = true;  // (no numbers: the first range reports the document, the others nothing)
      if (in.begin == 0) {
        auto dsrc = OpenPath(in.path);
        auto bytes = dsrc ? ReadAll(**dsrc, in.path, max_message) : Result<std::string>(dsrc.error());
        if (!bytes) error(bytes.error().message());
        else ScanDocument(in.path, *bytes, df, s, filter, sink, error);
      }
      if (!s.progress) return 0;
      *s.progress += in.end - in.begin;
      return in.end - in.begin;
    }
  }
  // A range cut by seeking: numbered from its start (fixed up when its
  // report is written), its own counts, for the ranges after it, counted as
  // it is read.
  if (cut.relative) in.first_line = 1, in.records_before = 0;
  RangeCounter counter(in.format, in.begin);
  if (in.format != InputFormat::kText) {
    struct stat st;  // the file time: a message's date of last resort, as for the whole file
    const int64_t mtime = fstat(fd, &st) == 0 ? static_cast<int64_t>(st.st_mtime) : -1;
    RangeSource range(fd, in.begin, in.end, in.path);
    RangeCountSource src(range, counter, in, in.begin);
    ScanSource(in.path, in.format, src, s, filter, sink, max_message, error, mtime, nullptr,
               RangeBase{in.begin, in.first_line, in.records_before, s.defer_fields_check});
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
      s.range_count_error = "cannot read it";
      return 0;
    }
    const uint64_t lead_lines = CountNewlines(lead.data(), lead.data() + lead.size());
    if (!in.relative && lead_lines >= in.first_line) {  // the file changed since it was split
      ::close(fd);
      error(in.path + ": changed while it was scanned; not scanned");
      return 0;
    }
    RangeSource range(fd, from, in.end + kRangeLeadIn, in.path);
    RangeCountSource src(range, counter, in, from);
    // (Relative: line_shift wraps to -lead_lines; the kept findings lie after the lead.)
    RangeSink ranged(sink, from, in.first_line - lead_lines - 1, in.begin, in.end);
    if (Status st = s.ctx.Scan(src, filter, ranged); !st.ok()) error(PathMessage(in.path, st.message()));
  }
  if (cut.relative) {
    // A scan that stopped early (an error): the rest is counted here.
    if (Status st = CountOn(fd, counter, in.end); st.ok()) {
      s.range_lines = counter.counts().lines, s.range_record_starts = counter.counts().records;
      s.range_counted = true;
    } else {
      s.range_count_error = st.message();
    }
  }
  ::close(fd);
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
  // An image file while OCR is off: said so (a note, counted in the batch
  // summary); its bytes are still read below, as before.
  const bool named_image = in.path != "-" && !in.stream && DetectDocFormat("", in.path, "", true) == DocFormat::kImage;
  if (!s.ocr && named_image) ImageNotRead(in.path, s, sink, error);
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
  // Opened once, through the one input module (input_format.h), as redact
  // opens its input; an archive given by name is opened by libarchive.
  InputFormat format = in.format;
  InputStream opened;
  if (in.stream || format != InputFormat::kArchive) {
    auto o = OpenInputStream(in.path, in.stream ? "auto" : InputFormatName(format));
    if (!o) {
      sink.SetPath(in.path);
      error(o.error().message());
      return 0;
    }
    opened = std::move(*o);
    format = opened.format;
  }
  std::unique_ptr<ByteSource>& src = opened.source;
  // A document by its bytes (a PDF or OLE2 file named .txt, .eml, or read
  // from stdin): extracted, never scanned as text (SniffDocumentBytes).
  // A picture whose name does not say so ("skjerm.dat", stdin), by its
  // signature: read by OCR with --ocr, else noted as not read (with
  // --not-read error an error) — before: scanned as text, exit 0, no note.
  if (src && !opened.utf16.utf16 && format != InputFormat::kArchive && format != InputFormat::kMaildir) {
    DocFormat df = SniffDocumentBytes(opened.head, format == InputFormat::kText);
    const bool picture = format == InputFormat::kText && !named_image && IsBinaryImageSignature(opened.head);
    if (df == DocFormat::kNone && picture && s.ocr) df = DocFormat::kImage;
    if (df != DocFormat::kNone) {
      auto bytes = ReadAll(*src, in.path, max_message);
      if (!bytes) {
        sink.SetPath(in.path);
        error(bytes.error().message());
        return 0;
      }
      ScanDocument(in.path, *bytes, df, s, filter, sink, error);
      if (!s.progress) return 0;
      *s.progress += bytes->size();
      return bytes->size();
    }
    if (picture) ImageNotRead(in.path, s, sink, error);
  }
  if (format == InputFormat::kArchive) {
    ArchiveBudget budget;
    budget.bytes = static_cast<uint64_t>(max_message) * 64;
    ScanArchive(in.path, src.get(), s, filter, sink, max_message, error, budget, 1, in.member, in.member_size);
    return 0;
  }
  int64_t mtime = -1;
  struct stat st;
  if (!in.stream && in.path != "-" && stat(in.path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) mtime = st.st_mtime;
  if (src && opened.utf16.utf16 && format == InputFormat::kText) {
    // UTF-16 text: decoded as it is read, findings mapped back to the
    // file's bytes (Utf16Source; issue 12 #9).
    sink.SetPath(in.path);
    Utf16Source dec(std::move(src), opened.utf16);
    Utf16StreamFindings mapped(sink, dec);
    Status st = s.ctx.Scan(dec, filter, mapped);
    if (st.ok() && mapped.lost) st = Error(ErrorCode::kInternal, "a finding fell behind the decoded UTF-16 window");
    if (!st.ok()) error(PathMessage(in.path, st.message()));
    if (s.progress) *s.progress += dec.raw_bytes();
    return s.progress ? dec.raw_bytes() : 0;
  }
  if (src && opened.utf16.utf16) {
    // UTF-16 ticket exports: read whole (up to --max-message-size; larger is an error,
    // not a partial scan), decoded to UTF-8, findings mapped back.
    if (Status d = DecodeUtf16(opened, in.path, max_message); !d.ok()) {
      sink.SetPath(in.path);
      error(d.message() + " (UTF-16 text is read whole); not scanned");
      return 0;
    }
    Utf16Offsets map(*opened.decoded, opened.utf16.bom ? 2 : 0);
    ScanSource(in.path, format, *src, s, filter, sink, max_message, error, mtime, &map);
    if (s.progress) *s.progress += opened.raw_size;
    return s.progress ? opened.raw_size : 0;
  }
  if (src && format == InputFormat::kText && ContentLinesText(in.path, opened.head)) {
    // iCalendar / vCard: unfolded before it is scanned (read whole).
    if (!s.progress) {
      ScanContentLines(in.path, *src, s, filter, sink, max_message, error);
      return 0;
    }
    CountingSource counted(*src, *s.progress);
    ScanContentLines(in.path, counted, s, filter, sink, max_message, error);
    return counted.added();
  }
  if (s.threads > 1 && !s.progress && format == InputFormat::kText && !in.stream && in.path != "-") {
    struct stat st;
    if (stat(in.path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<uint64_t>(st.st_size) >= 2 * s.thread_range) {
      src.reset();
      sink.SetPath(in.path);
      if (Status r = ScanTextParallel(in.path, static_cast<uint64_t>(st.st_size), s.ctx, s.threads, filter, sink,
                                     s.thread_range);
          !r.ok())
        error(PathMessage(in.path, r.message()));
      return 0;
    }
  }
  if (s.threads > 1 && s.range_report && !s.progress && !in.stream && in.path != "-" &&
      (format == InputFormat::kJsonl || format == InputFormat::kMbox)) {
    // One large JSONL or mbox file on s.threads threads, in record-aligned
    // ranges (batch/parallel_records.h); false: nowhere to cut, read below.
    struct stat rs;
    if (stat(in.path.c_str(), &rs) == 0 && S_ISREG(rs.st_mode) &&
        static_cast<uint64_t>(rs.st_size) >= 2 * s.thread_range) {
      Input whole = in;
      whole.format = format;
      whole.size = static_cast<uint64_t>(rs.st_size);
      sink.SetPath(in.path);
      if (ScanRecordsParallel(whole, s, filter, sink, max_message, error)) return 0;
    }
  }
  if (!s.progress) {
    ScanSource(in.path, format, *src, s, filter, sink, max_message, error, mtime);
    return 0;
  }
  CountingSource counted(*src, *s.progress);
  ScanSource(in.path, format, counted, s, filter, sink, max_message, error, mtime);
  return counted.added();
}

}  // namespace nordpii
