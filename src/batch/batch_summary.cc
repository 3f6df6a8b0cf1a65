// SPDX-License-Identifier: Apache-2.0
// BatchSummary (batch_summary.h): accumulation from report sinks and from
// findings.jsonl lines (simdjson on-demand), and merging.
#include "batch/batch_summary.h"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/utf8.h"
#include "extract/extractor.h"

namespace nordpii {

// An unlinked temporary file (O_TMPFILE, else mkstemp and unlink at once):
// nothing to remove at exit, on a signal or after a crash. Runs are
// appended; readers read them with pread, so one file serves many readers.
struct SpillFile {
  int fd = -1;
  uint64_t size = 0;
  std::string dir;  // for messages
  ~SpillFile() {
    if (fd >= 0) ::close(fd);
  }
  static std::shared_ptr<SpillFile> Open(std::string dir, std::string& error) {
    if (dir.empty()) {
      const char* t = std::getenv("TMPDIR");
      dir = t && *t ? t : "/tmp";
    }
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && errno != ENOENT && errno != ENOTDIR && errno != EACCES) {
      std::string tmpl = dir + "/.nordpii-summary-XXXXXX";
      fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
      if (fd >= 0) ::unlink(tmpl.c_str());
    }
    if (fd < 0) {
      error = dir + ": cannot create the summary's spill file: " + std::strerror(errno);
      return nullptr;
    }
    auto f = std::make_shared<SpillFile>();
    f->fd = fd;
    f->dir = std::move(dir);
    return f;
  }
  // Appends b; false (and `error`) on a short write: a full disk, a file
  // size limit.
  bool Append(std::string_view b, std::string& error) {
    while (!b.empty()) {
      ssize_t n = ::pwrite(fd, b.data(), b.size(), static_cast<off_t>(size));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = dir + ": the summary's spill file: write failed: " + std::strerror(n < 0 ? errno : ENOSPC);
        return false;
      }
      size += static_cast<uint64_t>(n);
      b.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
};

namespace {

using DocRow = BatchSummary::DocRow;

// Reads one run (a byte range of a spill file) through a buffer.
class RunReader {
 public:
  // `runs`: how many are read at once; their buffers share 16 MiB (64 KiB
  // each at most, 4 KiB at least).
  RunReader(const SpillRun& r, size_t runs)
      : f_(r.file.get()), pos_(r.begin), end_(r.end),
        buf_size_(std::clamp<size_t>((16u << 20) / std::max<size_t>(runs, 1), 4u << 10, 64u << 10)) {}
  bool AtEnd() const { return at_ == len_ && pos_ == end_; }
  bool Read(void* p, size_t n) {
    char* out = static_cast<char*>(p);
    while (n > 0) {
      if (at_ == len_ && !Fill()) return false;
      size_t k = std::min(n, len_ - at_);
      std::memcpy(out, buf_.data() + at_, k);
      at_ += k, out += k, n -= k;
    }
    return true;
  }
  const std::string& error() const { return error_; }

 private:
  bool Fill() {
    if (pos_ == end_) {
      error_ = f_->dir + ": the summary's spill file: a run ends early";
      return false;
    }
    if (buf_.empty()) buf_.resize(buf_size_);
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf_.size(), end_ - pos_));
    ssize_t n;
    do n = ::pread(f_->fd, buf_.data(), want, static_cast<off_t>(pos_));
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
      error_ = f_->dir + ": the summary's spill file: read failed: " + std::strerror(n < 0 ? errno : EIO);
      return false;
    }
    pos_ += static_cast<uint64_t>(n);
    at_ = 0;
    len_ = static_cast<size_t>(n);
    return true;
  }
  const SpillFile* f_;
  uint64_t pos_, end_;
  size_t buf_size_;
  std::string buf_;
  size_t at_ = 0, len_ = 0;
  std::string error_;
};

// Reads rows held encoded in memory (the retention list's arena).
class MemReader {
 public:
  MemReader(std::string_view b) : b_(b) {}
  bool Read(void* p, size_t n) {
    if (n > b_.size()) return false;
    std::memcpy(p, b_.data(), n);
    b_.remove_prefix(n);
    return true;
  }

 private:
  std::string_view b_;
};

// The date sources (program text), by number in the spill files.
constexpr std::string_view kSources[] = {"", "closed", "updated", "created", "date", "received", "mtime"};

void PutU32(std::string& o, uint32_t v) { o.append(reinterpret_cast<const char*>(&v), sizeof v); }
void PutU64(std::string& o, uint64_t v) { o.append(reinterpret_cast<const char*>(&v), sizeof v); }
void PutStr(std::string& o, std::string_view s) {
  PutU32(o, static_cast<uint32_t>(s.size()));
  o.append(s);
}

// A row as a run holds it: [age] path id subject date source findings
// distinct types [values]. (Native byte order: the file lives as long as
// the process.) Strings are below 4 GiB: a record is at most
// --max-message-size (2 GiB).
void EncodeRow(std::string& o, const DocRow& r, const long* age) {
  if (age) PutU64(o, static_cast<uint64_t>(*age));
  PutStr(o, r.path);
  PutStr(o, r.id);
  PutStr(o, r.subject);
  PutStr(o, r.date);
  uint8_t src = 0;
  for (uint8_t i = 0; i < std::size(kSources); ++i)
    if (kSources[i] == r.date_source) src = i;
  o += static_cast<char>(src);
  PutU64(o, r.findings);
  PutU64(o, r.distinct);
  PutU32(o, static_cast<uint32_t>(r.types.size()));
  for (auto& [k, n] : r.types) {
    PutStr(o, k);
    PutU64(o, n);
  }
  PutU64(o, r.date_pos);
  PutU64(o, r.subject_pos);
  if (age) return;  // the retention list keeps no values
  PutU64(o, r.values.size());
  o.append(reinterpret_cast<const char*>(r.values.data()), r.values.size() * sizeof(uint64_t));
}

template <typename R>
bool GetStr(R& in, std::string& s) {
  uint32_t n;
  if (!in.Read(&n, sizeof n)) return false;
  s.resize(n);
  return in.Read(s.data(), n);
}

template <typename R>
bool DecodeRow(R& in, DocRow& r, long* age) {
  uint64_t a, n;
  uint32_t nt;
  uint8_t src;
  if (age) {
    if (!in.Read(&a, sizeof a)) return false;
    *age = static_cast<long>(a);
  }
  if (!GetStr(in, r.path) || !GetStr(in, r.id) || !GetStr(in, r.subject) || !GetStr(in, r.date) ||
      !in.Read(&src, 1) || src >= std::size(kSources) || !in.Read(&r.findings, sizeof r.findings) ||
      !in.Read(&r.distinct, sizeof r.distinct) || !in.Read(&nt, sizeof nt))
    return false;
  r.date_source = kSources[src];
  r.types.resize(nt);
  for (auto& [k, c] : r.types)
    if (!GetStr(in, k) || !in.Read(&c, sizeof c)) return false;
  if (!in.Read(&r.date_pos, sizeof r.date_pos) || !in.Read(&r.subject_pos, sizeof r.subject_pos)) return false;
  r.values.clear();
  if (age) return true;
  if (!in.Read(&n, sizeof n)) return false;
  r.values.resize(n);
  return in.Read(r.values.data(), n * sizeof(uint64_t));
}

// A held document as a row; without its values (only their number) unless
// `values`: a document of a 60 MB text holds 1.7 M of them, not copied when
// nothing is combined with it.
void ToRow(const BatchSummary::Doc& d, DocRow& r, bool values) {
  r.path.assign(d.path);
  r.id = d.id;
  r.subject = d.subject;
  r.date.assign(d.date());
  r.date_source = d.date_source;
  r.findings = d.findings;
  r.date_pos = d.date_pos, r.subject_pos = d.subject_pos;
  r.types.clear();
  d.ForEachType([&](std::string_view k, size_t n) { r.types.emplace_back(std::string(k), n); });
  std::sort(r.types.begin(), r.types.end());
  // (One name once, as Types() gives it.)
  for (size_t i = 1; i < r.types.size();)
    if (r.types[i].first == r.types[i - 1].first) {
      r.types[i - 1].second += r.types[i].second;
      r.types.erase(r.types.begin() + static_cast<ptrdiff_t>(i));
    } else {
      ++i;
    }
  r.values.clear();
  if (values) d.ForEachValue([&](uint64_t v) { r.values.push_back(v); });
  r.distinct = d.distinct();
}

// `next` (a later part of the same document) added to `acc`, as Merge adds
// a later summary's document: the later date, the first subject.
void Combine(DocRow& acc, DocRow& next) {
  acc.findings += next.findings;
  if (!next.date.empty() && next.date_pos >= acc.date_pos)
    acc.date.swap(next.date), acc.date_source = next.date_source, acc.date_pos = next.date_pos;
  if (!next.subject.empty() && (acc.subject.empty() || next.subject_pos < acc.subject_pos))
    acc.subject.swap(next.subject), acc.subject_pos = next.subject_pos;
  std::vector<std::pair<std::string, size_t>> t;
  t.reserve(acc.types.size() + next.types.size());
  for (size_t i = 0, j = 0; i < acc.types.size() || j < next.types.size();) {
    if (j == next.types.size() || (i < acc.types.size() && acc.types[i].first < next.types[j].first))
      t.push_back(std::move(acc.types[i++]));
    else if (i == acc.types.size() || next.types[j].first < acc.types[i].first)
      t.push_back(std::move(next.types[j++]));
    else
      t.emplace_back(std::move(acc.types[i].first), acc.types[i].second + next.types[j].second), ++i, ++j;
  }
  acc.types.swap(t);
  std::vector<uint64_t> v;
  v.reserve(acc.values.size() + next.values.size());
  std::set_union(acc.values.begin(), acc.values.end(), next.values.begin(), next.values.end(), std::back_inserter(v));
  acc.values.swap(v);
}

// What a held document costs, beyond its values and a long subject: the
// map node (key and Doc), the hash table's share, the first value block.
constexpr size_t kDocBytes = sizeof(std::pair<const BatchSummary::DocKey, BatchSummary::Doc>) + 64;

// Whether a date starts "YYYY-MM" (a month key of the summary; anything
// else is "unknown", never a copy of what the date field held).
bool IsYearMonth(std::string_view d) {
  auto dig = [&](size_t i) { return d[i] >= '0' && d[i] <= '9'; };
  return d.size() >= 7 && dig(0) && dig(1) && dig(2) && dig(3) && d[4] == '-' && dig(5) && dig(6);
}

// Whether every byte of s is ASCII, 8 bytes a step (per finding, on every
// field: a byte at a time was ~2 % of a batch of dense text).
bool IsAscii(std::string_view s) {
  uint64_t any = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    any |= w;
  }
  for (; i < s.size(); ++i) any |= static_cast<unsigned char>(s[i]);
  return (any & 0x8080808080808080ULL) == 0;
}

}  // namespace

struct BatchSummary::LineParser {
  simdjson::ondemand::parser p;
};

BatchSummary::BatchSummary(std::string date_field) : BatchSummary(std::move(date_field), Spill()) {}

BatchSummary::BatchSummary(std::string date_field, Spill spill, size_t reserve)
    : date_field_(std::move(date_field)), spill_(std::move(spill)), parser_(std::make_unique<LineParser>()) {
  docs.reserve(reserve);  // default: no rehashing for the first 16 K documents with findings
}

BatchSummary::~BatchSummary() = default;

void BatchSummary::AddFinding(const Row& r) {
  ++total;
  type_slot_.Bump(by_type, r.type);
  category_slot_.Bump(by_category, r.category);
  if (!r.confidence.empty()) confidence_slot_.Bump(by_confidence, r.confidence);
  std::string_view date = !r.created.empty() ? r.created : !r.updated.empty() ? r.updated : r.date;
  month_slot_.Bump(by_month, IsYearMonth(date) ? date.substr(0, 7) : std::string_view("unknown"));
  // A document is a ticket or message: by its id, else by its place in
  // the file (messages of an mbox, records of an export without ids are
  // documents of their own, with their own dates).
  std::string_view id = !r.ticket_id.empty() ? r.ticket_id : r.message_id;
  std::string numbered;
  if (id.empty() && (r.record > 0 || r.message_index > 0))
    id = numbered = "#" + std::to_string(r.record > 0 ? r.record : r.message_index);
  // Findings come grouped by document: most skip the lookup.
  if (last_doc_ == nullptr || last_doc_->id != id || last_doc_->path != r.path) last_doc_ = &Find(r.path, id);
  Doc& doc = *last_doc_;
  if (!numbered.empty()) doc.numbered = true;
  std::string_view rd, src;
  if (date_field_ == "created") rd = r.created, src = "created";
  else if (date_field_ == "updated") rd = r.updated, src = "updated";
  else if (!r.closed.empty()) rd = r.closed, src = "closed";
  else rd = r.updated, src = "updated";
  if (rd.empty() && !r.date.empty()) rd = r.date, src = r.date_source;  // mail
  if (!rd.empty()) {
    doc.set_date(rd);
    doc.date_source = StaticSource(src);
    doc.date_pos = pos_;
  }
  if (!r.subject.empty() && (doc.subject.empty() || pos_ < doc.subject_pos)) {
    doc.subject_pos = pos_;
    doc.subject.assign(r.subject);
    held_ += doc.subject.capacity();
  }
  held_ += sizeof(uint64_t);  // its value (an upper bound: values repeat)
  ++doc.findings;
  doc.Bump(types_.Get(r.type));
  doc.AddValue(r.hash);
}

void BatchSummary::Recorded(const ReportSink& sink, const Finding& f) {
  Row r;
  r.path = sink.path().str();
  r.type = f.type;
  r.category = f.category;
  r.confidence = ConfidenceName(f.confidence);
  r.created = sink.created().str();
  r.updated = sink.updated().str();
  r.closed = sink.closed().str();
  r.ticket_id = sink.ticket_id().str();
  r.message_id = sink.message_id().str();
  r.date = sink.message_date();
  r.date_source = sink.date_source();
  r.subject = sink.subject().str();
  r.hash = f.hash;
  r.record = sink.record();
  r.message_index = sink.message_index();
  // As findings.jsonl has them (a byte outside a valid UTF-8 character is
  // U+FFFD there): a resumed batch and collect build the summary from those
  // lines (AddLine), and must find the same documents, in the same order
  // (two Latin-1 file names were one document there, two here).
  std::string fixed[8];
  size_t k = 0;
  for (std::string_view* v : {&r.path, &r.created, &r.updated, &r.closed, &r.ticket_id, &r.message_id, &r.date,
                              &r.subject}) {
    if (!IsAscii(*v) && !IsValidUtf8(*v)) *v = fixed[k++] = SafeUtf8(*v);
  }
  AddFinding(r);
}

void BatchSummary::AddLine(std::string& line) {
  enum Field { kPath, kType, kCategory, kConfidence, kCreated, kUpdated, kClosed, kTicketId, kMessageId, kDate,
               kDateSource, kSubject, kHash, kEvent, kContentType, kRecord, kMessageIndex, kText, kNumFields };
  static const std::pair<std::string_view, Field> kFields[] = {
      {"path", kPath},          {"type", kType},         {"category", kCategory},    {"confidence", kConfidence},
      {"created", kCreated},    {"updated", kUpdated},   {"closed", kClosed},        {"ticket_id", kTicketId},
      {"message_id", kMessageId}, {"date", kDate},       {"date_source", kDateSource}, {"subject", kSubject},
      {"hash", kHash},          {"event", kEvent},       {"content_type", kContentType}, {"record", kRecord},
      {"message_index", kMessageIndex}, {"text", kText}};
  uint64_t num[kNumFields] = {};
  line.reserve(line.size() + simdjson::SIMDJSON_PADDING);
  simdjson::padded_string_view ps(line.data(), line.size(), line.capacity());
  simdjson::ondemand::document d;
  if (parser_->p.iterate(ps).get(d)) return;
  simdjson::ondemand::object o;
  if (d.get_object().get(o)) return;
  std::string_view f[kNumFields];
  bool has[kNumFields] = {};
  for (auto field : o) {
    std::string_view k, v;
    if (field.unescaped_key().get(k)) break;
    const Field* which = nullptr;
    for (const auto& [name, id] : kFields)
      if (name == k) which = &id;
    if (!which) continue;
    if (*which == kRecord || *which == kMessageIndex) {
      uint64_t n;
      if (!field.value().get_uint64().get(n)) num[*which] = n;
      continue;
    }
    if (field.value().get_string().get(v)) continue;  // arrays: not needed here
    f[*which] = v;
    has[*which] = true;
  }
  // A note about an image (or scanned PDF page) not read without --ocr
  // counts as an attachment not scanned, as ReportSink::OnNote records it
  // live (so a resumed batch counts it the same).
  if (has[kEvent] && f[kEvent] == "note" && f[kText].ends_with(kImageNotReadNote))
    return AddEvent("attachment", "image (no --ocr)");
  if (has[kEvent]) return AddEvent(f[kEvent], f[kContentType]);
  if (!has[kType]) return;
  Row r;
  r.path = f[kPath];
  r.type = f[kType];
  r.category = f[kCategory];
  r.confidence = f[kConfidence];
  r.created = f[kCreated];
  r.updated = f[kUpdated];
  r.closed = f[kClosed];
  r.ticket_id = f[kTicketId];
  r.message_id = f[kMessageId];
  r.date = f[kDate];
  r.date_source = f[kDateSource];
  r.subject = f[kSubject];
  r.hash = f[kHash];
  r.record = num[kRecord];
  r.message_index = num[kMessageIndex];
  AddFinding(r);
}

void BatchSummary::Merge(BatchSummary&& o) {
  if (spill_error_.empty()) spill_error_ = o.spill_error_;
  if (total == 0 && events == 0 && docs.empty() && runs_.empty()) {  // the first: take its tables whole
    runs_.swap(o.runs_);
    std::swap(held_, o.held_);
    by_type.swap(o.by_type);
    by_category.swap(o.by_category);
    by_confidence.swap(o.by_confidence);
    by_month.swap(o.by_month);
    attachments_by_type.swap(o.attachments_by_type);
    docs.swap(o.docs);
    paths_.swap(o.paths_);
    types_.swap(o.types_);
    total = o.total;
    events = o.events;
    last_doc_ = nullptr;
    type_slot_ = category_slot_ = month_slot_ = confidence_slot_ = LastSlot();
    return;
  }
  total += o.total;
  events += o.events;
  for (auto& [k, v] : o.by_type) Bump(by_type, k, v);
  for (auto& [k, v] : o.by_category) Bump(by_category, k, v);
  for (auto& [k, v] : o.by_confidence) Bump(by_confidence, k, v);
  for (auto& [k, v] : o.by_month) Bump(by_month, k, v);
  for (auto& [k, v] : o.attachments_by_type) Bump(attachments_by_type, k, v);
  // The documents in the order they came: ours (runs, then held), then
  // o's runs, then o's held ones (ForEachDoc combines runs in order).
  if (!o.runs_.empty()) {
    SpillHeld();
    runs_.insert(runs_.end(), o.runs_.begin(), o.runs_.end());
    o.runs_.clear();
  }
  for (auto& [k, d] : o.docs) MergeDoc(Find(k.path, k.id), d);
  o.docs.clear();
  o.held_ = 0;
  last_doc_ = nullptr;
  type_slot_ = category_slot_ = month_slot_ = confidence_slot_ = LastSlot();
}

void BatchSummary::MergeDoc(Doc& mine, const Doc& d) {
  // The same document from two sources: later lines win the date.
  mine.findings += d.findings;
  if (!d.date().empty() && d.date_pos >= mine.date_pos)
    mine.set_date(d.date()), mine.date_source = d.date_source, mine.date_pos = d.date_pos;
  if (!d.subject.empty() && (mine.subject.empty() || d.subject_pos < mine.subject_pos))
    mine.subject = d.subject, mine.subject_pos = d.subject_pos, held_ += mine.subject.capacity();
  mine.MergeValues(d);
  held_ += d.distinct() * sizeof(uint64_t);
  d.ForEachType([&](std::string_view t, size_t n) { mine.Bump(types_.Get(t), n); });
  if (d.numbered) mine.numbered = true;
}

void BatchSummary::MergeRow(const DocRow& r) {
  Doc& mine = Find(r.path, r.id);
  mine.findings += r.findings;
  if (!r.date.empty() && r.date_pos >= mine.date_pos)
    mine.set_date(r.date), mine.date_source = r.date_source, mine.date_pos = r.date_pos;
  if (!r.subject.empty() && (mine.subject.empty() || r.subject_pos < mine.subject_pos))
    mine.subject = r.subject, mine.subject_pos = r.subject_pos, held_ += mine.subject.capacity();
  mine.AddValues(r.values);
  held_ += r.values.size() * sizeof(uint64_t);
  for (auto& [t, n] : r.types) mine.Bump(types_.Get(t), n);
  mine.numbered = true;
}

namespace {
std::string Renumbered(std::string_view id, uint64_t records) {
  return "#" + std::to_string(std::stoull(std::string(id.substr(1))) + records);
}
}  // namespace

void BatchSummary::MergeRange(BatchSummary&& o, uint64_t records) {
  if (!o.runs_.empty()) {
    // o spilled: its runs are ordered by its own numbers, which renumbering
    // does not keep ("#9" + 1 sorts before "#2"), so its documents come back
    // as rows, in o's order, and are added here renumbered (every document
    // of a range's summary is numbered), spilled again as they must be.
    // Also a file's first range (records 0): its runs are not kept, as they
    // held its spill file open to the end of the batch — one descriptor per
    // large file ("Too many open files" past `ulimit -n` large files).
    Status st = o.ForEachDoc([&](DocRow& r) {
      r.id = Renumbered(r.id, records);
      MergeRow(r);
      return Status::Ok();
    });
    if (!st.ok() && spill_error_.empty()) spill_error_ = st.message();
    o.runs_.clear();
    o.docs.clear();
    o.held_ = 0;
  } else if (records > 0) {
    for (auto it = o.docs.begin(); it != o.docs.end();) {
      if (!it->second.numbered) {
        ++it;
        continue;
      }
      MergeDoc(Find(it->first.path, Renumbered(it->first.id, records)), it->second);
      it = o.docs.erase(it);
    }
  }
  Merge(std::move(o));
}

std::string_view BatchSummary::StaticSource(std::string_view s) {
  for (std::string_view k : {"closed", "updated", "created", "date", "received", "mtime"})
    if (s == k) return k;
  return "";
}

BatchSummary::Doc& BatchSummary::Find(std::string_view path, std::string_view id) {
  DocKey k{paths_.Get(path), std::string(id)};
  auto it = docs.find(k);
  if (it != docs.end()) return it->second;
  // A new document: past the bound, the held ones go to a run first.
  if (held_ >= spill_.max_bytes) SpillHeld();
  it = docs.try_emplace(std::move(k)).first;
  it->second.path = it->first.path;
  it->second.id = it->first.id;
  held_ += kDocBytes + (id.size() > 15 ? 2 * (id.size() + 1) : 0);  // the key's id and the Doc's
  return it->second;
}

namespace {

template <typename T>
bool ByKey(const T& a, const T& b) {
  return std::tie(a.path, a.id) < std::tie(b.path, b.id);
}

// Held documents ordered by (path, id).
std::vector<const BatchSummary::Doc*> Sorted(const std::unordered_map<BatchSummary::DocKey, BatchSummary::Doc,
                                                                      BatchSummary::DocKeyHash>& docs) {
  std::vector<const BatchSummary::Doc*> v;
  v.reserve(docs.size());
  for (auto& [k, d] : docs) v.push_back(&d);
  std::sort(v.begin(), v.end(), [](const BatchSummary::Doc* a, const BatchSummary::Doc* b) { return ByKey(*a, *b); });
  return v;
}

}  // namespace

void BatchSummary::SpillHeld() {
  // After an error nothing more is spilled (the documents stay held; the
  // report is an error anyway).
  if (docs.empty() || !spill_error_.empty()) return;
  if (!file_ && !(file_ = SpillFile::Open(spill_.dir, spill_error_))) return;
  const uint64_t begin = file_->size;
  std::string buf;
  DocRow row;
  auto flush = [&] {
    if (buf.size() < (1u << 20)) return true;
    if (!file_->Append(buf, spill_error_)) return false;
    buf.clear();
    return true;
  };
  for (const Doc* d : Sorted(docs)) {
    // The values from the document to the file (in pieces: not copied whole).
    ToRow(*d, row, false);
    EncodeRow(buf, row, nullptr);  // with no values: their number is next
    buf.resize(buf.size() - sizeof(uint64_t));
    PutU64(buf, row.distinct);
    bool ok = true;
    d->ForEachValue([&](uint64_t v) {
      PutU64(buf, v);
      if (buf.size() >= (1u << 20)) ok = ok && flush();
    });
    if (!ok || !flush()) return;
  }
  if (!file_->Append(buf, spill_error_)) return;
  runs_.push_back({file_, begin, file_->size});
  docs.clear();
  held_ = 0;
  last_doc_ = nullptr;
}

Status BatchSummary::ForEachDoc(const std::function<Status(DocRow&)>& f) {
  if (!spill_error_.empty()) return Error(ErrorCode::kIo, spill_error_);
  // The sources in the order their documents came: the runs, then the held
  // documents; a k-way merge by (path, id), equal keys combined in that order.
  const std::vector<const Doc*> held = Sorted(docs);
  struct Source {
    std::unique_ptr<RunReader> rd;
    size_t next = 0;  // into held
    DocRow row;
  };
  const size_t n = runs_.size() + 1;
  std::vector<Source> src(n);
  for (size_t i = 0; i < runs_.size(); ++i) src[i].rd = std::make_unique<RunReader>(runs_[i], runs_.size());
  std::string error;
  auto advance = [&](size_t i) {  // false: this source is done (or an error)
    Source& s = src[i];
    if (!s.rd) {
      if (s.next == held.size()) return false;
      ToRow(*held[s.next++], s.row, n > 1);  // values only when other sources may add to them
      return true;
    }
    if (s.rd->AtEnd()) return false;
    if (!DecodeRow(*s.rd, s.row, nullptr)) {
      error = !s.rd->error().empty() ? s.rd->error() : "the summary's spill file: a run is damaged";
      return false;
    }
    return true;
  };
  auto after = [&](size_t a, size_t b) {  // heap order: the smallest key (then source) on top
    if (ByKey(src[b].row, src[a].row)) return true;
    if (ByKey(src[a].row, src[b].row)) return false;
    return a > b;
  };
  std::vector<size_t> heap;
  for (size_t i = 0; i < n; ++i)
    if (advance(i)) heap.push_back(i);
  if (!error.empty()) return Error(ErrorCode::kIo, error);
  std::make_heap(heap.begin(), heap.end(), after);
  DocRow acc;
  auto take = [&](DocRow& into, bool first) {  // the top source's row into `into`; the source moves on
    std::pop_heap(heap.begin(), heap.end(), after);
    const size_t i = heap.back();
    heap.pop_back();
    if (first) std::swap(into, src[i].row);
    else Combine(into, src[i].row);
    if (advance(i)) {
      heap.push_back(i);
      std::push_heap(heap.begin(), heap.end(), after);
    }
  };
  while (!heap.empty()) {
    take(acc, true);
    bool combined = false;
    while (error.empty() && !heap.empty() && acc.path == src[heap.front()].row.path &&
           acc.id == src[heap.front()].row.id)
      take(acc, false), combined = true;
    if (!error.empty()) return Error(ErrorCode::kIo, error);
    if (combined) acc.distinct = acc.values.size();
    if (Status st = f(acc); !st.ok()) return st;
  }
  return Status::Ok();
}

DocRowsByAge::DocRowsByAge(BatchSummary::Spill spill) : spill_(std::move(spill)) {}
DocRowsByAge::~DocRowsByAge() = default;

namespace {

// The sort key of an encoded retention row: (age, most first), path, id.
struct AgeKey {
  long age;
  std::string_view path, id;
  static AgeKey At(std::string_view b) {
    AgeKey k;
    uint64_t a;
    uint32_t n;
    std::memcpy(&a, b.data(), 8);
    k.age = static_cast<long>(a);
    std::memcpy(&n, b.data() + 8, 4);
    k.path = b.substr(12, n);
    size_t at = 12 + n;
    std::memcpy(&n, b.data() + at, 4);
    k.id = b.substr(at + 4, n);
    return k;
  }
  bool operator<(const AgeKey& o) const {
    if (age != o.age) return age > o.age;
    return std::tie(path, id) < std::tie(o.path, o.id);
  }
};

}  // namespace

Status DocRowsByAge::Add(const BatchSummary::DocRow& r, long age) {
  offsets_.push_back(arena_.size());
  EncodeRow(arena_, r, &age);
  ++count_;
  sorted_ = false;
  if (arena_.size() + offsets_.size() * sizeof(size_t) >= spill_.max_bytes) return SpillHeld();
  return Status::Ok();
}

Status DocRowsByAge::SpillHeld() {
  if (!sorted_) {
    std::string_view a = arena_;
    std::sort(offsets_.begin(), offsets_.end(),
              [&](size_t x, size_t y) { return AgeKey::At(a.substr(x)) < AgeKey::At(a.substr(y)); });
    sorted_ = true;
  }
  std::string error;
  if (!file_ && !(file_ = SpillFile::Open(spill_.dir, error))) return Error(ErrorCode::kIo, error);
  const uint64_t begin = file_->size;
  std::string buf;
  DocRow row;
  long age;
  for (size_t off : offsets_) {
    MemReader in(std::string_view(arena_).substr(off));
    if (!DecodeRow(in, row, &age)) return Error(ErrorCode::kInternal, "retention list: a row is damaged");
    EncodeRow(buf, row, &age);
    if (buf.size() >= (1u << 20)) {
      if (!file_->Append(buf, error)) return Error(ErrorCode::kIo, error);
      buf.clear();
    }
  }
  if (!file_->Append(buf, error)) return Error(ErrorCode::kIo, error);
  runs_.push_back({file_, begin, file_->size});
  arena_.clear();
  offsets_.clear();
  return Status::Ok();
}

Status DocRowsByAge::ForEach(const std::function<bool(const BatchSummary::DocRow&, long age)>& f) {
  if (!sorted_) {
    std::string_view a = arena_;
    std::sort(offsets_.begin(), offsets_.end(),
              [&](size_t x, size_t y) { return AgeKey::At(a.substr(x)) < AgeKey::At(a.substr(y)); });
    sorted_ = true;
  }
  struct Source {
    std::unique_ptr<RunReader> rd;
    size_t next = 0;  // into offsets_
    DocRow row;
    long age = 0;
  };
  const size_t n = runs_.size() + 1;
  std::vector<Source> src(n);
  for (size_t i = 0; i < runs_.size(); ++i) src[i].rd = std::make_unique<RunReader>(runs_[i], runs_.size());
  std::string error;
  auto advance = [&](size_t i) {
    Source& s = src[i];
    if (!s.rd) {
      if (s.next == offsets_.size()) return false;
      MemReader in(std::string_view(arena_).substr(offsets_[s.next++]));
      if (!DecodeRow(in, s.row, &s.age)) error = "retention list: a row is damaged";
      return error.empty();
    }
    if (s.rd->AtEnd()) return false;
    if (!DecodeRow(*s.rd, s.row, &s.age)) {
      error = !s.rd->error().empty() ? s.rd->error() : "the summary's spill file: a run is damaged";
      return false;
    }
    return true;
  };
  auto key = [&](size_t i) { return std::make_tuple(-src[i].age, std::string_view(src[i].row.path), std::string_view(src[i].row.id)); };
  auto after = [&](size_t a, size_t b) { return key(b) < key(a); };
  std::vector<size_t> heap;
  for (size_t i = 0; i < n; ++i)
    if (advance(i)) heap.push_back(i);
  if (!error.empty()) return Error(ErrorCode::kIo, error);
  std::make_heap(heap.begin(), heap.end(), after);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), after);
    const size_t i = heap.back();
    heap.pop_back();
    if (!f(src[i].row, src[i].age)) return Status::Ok();
    if (advance(i)) {
      heap.push_back(i);
      std::push_heap(heap.begin(), heap.end(), after);
    }
    if (!error.empty()) return Error(ErrorCode::kIo, error);
  }
  return Status::Ok();
}

}  // namespace nordpii
