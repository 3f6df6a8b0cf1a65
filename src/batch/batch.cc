// SPDX-License-Identifier: Apache-2.0
#include "batch/batch.h"

#include <unistd.h>

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "batch/input_scan.h"
#include "batch/report_util.h"
#include "batch/work_items.h"
#include "nordpii_version.h"
#include "output/identifier_masker.h"
#include "output/redactor.h"
#include "output/report_text.h"
#include "output/temp_cleanup.h"

namespace fs = std::filesystem;

namespace nordpii {

namespace {

// The run's date and time (UTC); SOURCE_DATE_EPOCH (the reproducible-builds
// convention) fixes it, so two runs can give byte-identical reports.
std::string Now() {
  std::time_t now = std::time(nullptr);
  if (const char* e = std::getenv("SOURCE_DATE_EPOCH"); e && *e && std::strspn(e, "0123456789") == std::strlen(e))
    now = static_cast<std::time_t>(std::strtoll(e, nullptr, 10));
  std::tm tm{};
  gmtime_r(&now, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", &tm);
  return b;
}

std::string Today() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char b[16];
  std::strftime(b, sizeof b, "%Y-%m-%d", &tm);
  return b;
}

// Days since 1970-01-01 of a "YYYY-MM-DD..." date, or -1.
long DayNumber(std::string_view d) {
  int y, m, dd;
  if (d.size() < 10 || std::sscanf(std::string(d.substr(0, 10)).c_str(), "%4d-%2d-%2d", &y, &m, &dd) != 3) return -1;
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(dd) - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long>(doe) - 719468;
}

std::string Html(std::string_view s) { return HtmlText(s); }

// Writes a whole file through OutputFile (temporary file + rename).
Status WriteWhole(const std::string& path, std::string_view bytes) {
  auto out = OutputFile::Open(path);
  if (!out) return out.error();
  if (Status st = (*out)->Write(bytes); !st.ok()) return st;
  return (*out)->Commit();
}

// The path of a findings.jsonl line (its first key), or "" if unparsable.
std::string LinePath(std::string_view line) {
  thread_local simdjson::ondemand::parser p;  // a parser per line cost more than the parse
  simdjson::padded_string ps(line);
  simdjson::ondemand::document d;
  if (p.iterate(ps).get(d)) return "";
  std::string_view v;
  if (d["path"].get_string().get(v)) return "";
  return std::string(v);
}

// Whether a date starts "YYYY-MM" (a month key of the summary; anything
// else is "unknown", never a copy of what the date field held).
bool IsYearMonth(std::string_view d) {
  auto dig = [&](size_t i) { return d[i] >= '0' && d[i] <= '9'; };
  return d.size() >= 7 && dig(0) && dig(1) && dig(2) && dig(3) && d[4] == '-' && dig(5) && dig(6);
}

// Whether a findings line's path belongs to a finished input: the input
// itself, or a member of it when the input is an archive
// ("in/x.tar.gz!/dir/a.jsonl", nested archives add more "!/").
bool FromDoneInput(const std::set<std::string>& done, const std::string& path) {
  if (done.count(path)) return true;
  for (size_t i = path.find("!/"); i != std::string::npos; i = path.find("!/", i + 2))
    if (done.count(path.substr(0, i))) return true;
  return false;
}

// A horizontal bar chart as inline SVG.
std::string Bars(const std::vector<std::pair<std::string, size_t>>& rows) {
  if (rows.empty()) return "<p>none</p>";
  size_t mx = 1;
  for (auto& r : rows) mx = std::max(mx, r.second);
  int h = static_cast<int>(rows.size()) * 22 + 4;
  std::string s = "<svg class=\"chart\" width=\"640\" height=\"" + std::to_string(h) + "\" role=\"img\">";
  int y = 2;
  for (auto& [label, n] : rows) {
    int w = static_cast<int>(400.0 * static_cast<double>(n) / static_cast<double>(mx)) + 1;
    s += "<text x=\"0\" y=\"" + std::to_string(y + 15) + "\">" + Html(label.substr(0, 28)) + "</text>";
    s += "<rect x=\"190\" y=\"" + std::to_string(y + 2) + "\" width=\"" + std::to_string(w) +
         "\" height=\"16\" fill=\"#3a6ea5\"></rect>";
    s += "<text x=\"" + std::to_string(196 + w) + "\" y=\"" + std::to_string(y + 15) + "\">" + std::to_string(n) +
         "</text>";
    y += 22;
  }
  return s + "</svg>";
}

std::string JsonStr(std::string_view s) {
  std::string o;
  AppendJsonString(o, s);
  return o;
}

}  // namespace

namespace {

using Counts = std::map<std::string, size_t, std::less<>>;  // looked up by string_view
// The count for k, made 0 when new.
size_t& Slot(Counts& m, std::string_view k) {
  auto it = m.find(k);
  if (it == m.end()) it = m.emplace(std::string(k), 0).first;
  return it->second;
}
void Bump(Counts& m, std::string_view k, size_t n = 1) { Slot(m, k) += n; }

}  // namespace

// What summary.json and report.html show, accumulated one finding at a
// time: live from the workers' sinks (ReportObserver), and from the lines of
// findings.jsonl kept when a run resumes. Both ways give the same summary
// (tested: a fresh run's report equals one rebuilt from its findings.jsonl).
class BatchSummary : public ReportObserver {
 public:
  // Strings many documents share (input paths, finding types), kept once;
  // views of them stay valid as long as the table (std::set nodes do not move).
  class Interned {
   public:
    std::string_view Get(std::string_view v) {
      if (last_ != nullptr && *last_ == v) return *last_;
      auto it = set_.find(v);
      if (it == set_.end()) it = set_.emplace(v).first;
      last_ = &*it;
      return *last_;
    }
    void swap(Interned& o) {
      set_.swap(o.set_);
      std::swap(last_, o.last_);
    }

   private:
    std::set<std::string, std::less<>> set_;
    const std::string* last_ = nullptr;
  };
  // One ticket / message / file with findings. Small and with few heap
  // blocks: a batch over an export has tens of thousands of them, and
  // building and freeing them (five strings and a vector each) cost ~8 % of
  // a batch over an export.
  struct Doc {
    std::string_view path;  // interned
    std::string id;         // short: no heap block
    size_t findings = 0;
    std::string subject;            // as shown (identifiers masked); "" = none
    std::string_view date_source;   // program text: closed, updated, created (tickets),
                                    // date, received, mtime (mail); "" = no date
    std::string_view date() const { return {date_, date_len_}; }
    void set_date(std::string_view d) {
      date_len_ = static_cast<uint8_t>(std::min(d.size(), sizeof date_));
      std::memcpy(date_, d.data(), date_len_);
    }
    // Distinct values: the first 64 bits of each keyed hash. One value
    // written in description, body, html_body and plain_body is one value
    // here (and four findings). Appended, and sorted and deduplicated when
    // the list has doubled since the last time (amortised O(n log n): a
    // text file with a million different numbers is one document).
    void AddValue(std::string_view hash) {
      if (hash.size() < 16) return;
      uint64_t v = 0;
      for (size_t i = 0; i < 16; ++i) {
        char c = hash[i];
        v = v << 4 | static_cast<uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
      }
      if (!values_.empty() && values_.back() == v) return;  // the same value again
      values_.push_back(v);
      if (values_.size() >= 2 * dedup_at_) Dedup();
    }
    size_t distinct() const {
      Dedup();
      return values_.size();
    }
    void MergeValues(const Doc& o) {
      values_.insert(values_.end(), o.values_.begin(), o.values_.end());
      Dedup();
    }
    // Counts by (interned) type: a document has a few types, kept inline.
    void Bump(std::string_view t, size_t n = 1) {
      for (size_t i = 0; i < nfew_; ++i)
        if (few_[i].first.data() == t.data()) { few_[i].second += n; return; }
      for (auto& [k, v] : more_)
        if (k.data() == t.data()) { v += n; return; }
      if (nfew_ < kFew) few_[nfew_++] = {t, n};
      else more_.emplace_back(t, n);
    }
    // Types ordered by name.
    Counts Types() const {
      Counts c;
      ForEachType([&](std::string_view k, size_t v) { nordpii::Bump(c, k, v); });
      return c;
    }
    template <typename F>
    void ForEachType(F f) const {
      for (size_t i = 0; i < nfew_; ++i) f(few_[i].first, few_[i].second);
      for (auto& [k, v] : more_) f(k, v);
    }

   private:
    static constexpr size_t kFew = 4;
    std::pair<std::string_view, size_t> few_[kFew];
    size_t nfew_ = 0;
    std::vector<std::pair<std::string_view, size_t>> more_;
    void Dedup() const {
      std::sort(values_.begin(), values_.end());
      values_.erase(std::unique(values_.begin(), values_.end()), values_.end());
      dedup_at_ = std::max<size_t>(values_.size(), 16);
    }
    mutable std::vector<uint64_t> values_;  // deduplicated up to dedup_at_ entries; distinct() finishes
    mutable size_t dedup_at_ = 16;
    char date_[40];  // enough for any ISO 8601 form; longer values are cut
    uint8_t date_len_ = 0;
  };
  // A document's key: its input path (interned: compared by address) and id.
  struct DocKey {
    std::string_view path;
    std::string id;
    bool operator==(const DocKey& o) const { return path.data() == o.path.data() && id == o.id; }
  };
  struct DocKeyHash {
    size_t operator()(const DocKey& k) const {
      return std::hash<std::string>()(k.id) * 31 + std::hash<const void*>()(k.path.data());
    }
  };

  explicit BatchSummary(std::string date_field) : date_field_(std::move(date_field)) {
    docs.reserve(1 << 14);  // no rehashing for the first 16 K documents with findings
  }

  Counts by_type, by_category, by_confidence, by_month, attachments_by_type;
  // Per ticket / message / file: hashed, ordered by (path, id) where order
  // shows (the retention list).
  std::unordered_map<DocKey, Doc, DocKeyHash> docs;
  size_t total = 0, events = 0;

  // One finding as the report line has it (views valid for the call).
  struct Row {
    std::string_view path, type, category, confidence, created, updated, closed, ticket_id, message_id;
    std::string_view date, date_source, subject, hash;  // date/date_source: mail; subject: mail, tickets
    uint64_t record = 0, message_index = 0;
  };
  void AddFinding(const Row& r) {
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
    std::string_view rd, src;
    if (date_field_ == "created") rd = r.created, src = "created";
    else if (date_field_ == "updated") rd = r.updated, src = "updated";
    else if (!r.closed.empty()) rd = r.closed, src = "closed";
    else rd = r.updated, src = "updated";
    if (rd.empty() && !r.date.empty()) rd = r.date, src = r.date_source;  // mail
    if (!rd.empty()) {
      doc.set_date(rd);
      doc.date_source = StaticSource(src);
    }
    if (!r.subject.empty() && doc.subject.empty()) doc.subject.assign(r.subject);
    ++doc.findings;
    doc.Bump(types_.Get(r.type));
    doc.AddValue(r.hash);
  }
  void AddEvent(std::string_view kind, std::string_view content_type) {
    ++events;
    if (kind == "attachment") Bump(attachments_by_type, content_type);
  }

  // ReportObserver: the sink's context is what its line says.
  void Recorded(const ReportSink& sink, const Finding& f) override {
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
    AddFinding(r);
  }
  void RecordedEvent(std::string_view kind, std::string_view content_type) override { AddEvent(kind, content_type); }

  // One findings.jsonl line (`line` gets simdjson's padding as spare capacity).
  void AddLine(std::string& line) {
    enum Field { kPath, kType, kCategory, kConfidence, kCreated, kUpdated, kClosed, kTicketId, kMessageId, kDate,
                 kDateSource, kSubject, kHash, kEvent, kContentType, kRecord, kMessageIndex, kNumFields };
    static const std::pair<std::string_view, Field> kFields[] = {
        {"path", kPath},          {"type", kType},         {"category", kCategory},    {"confidence", kConfidence},
        {"created", kCreated},    {"updated", kUpdated},   {"closed", kClosed},        {"ticket_id", kTicketId},
        {"message_id", kMessageId}, {"date", kDate},       {"date_source", kDateSource}, {"subject", kSubject},
        {"hash", kHash},          {"event", kEvent},       {"content_type", kContentType}, {"record", kRecord},
        {"message_index", kMessageIndex}};
    uint64_t num[kNumFields] = {};
    line.reserve(line.size() + simdjson::SIMDJSON_PADDING);
    simdjson::padded_string_view ps(line.data(), line.size(), line.capacity());
    simdjson::ondemand::document d;
    if (parser_.iterate(ps).get(d)) return;
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

  void Merge(BatchSummary&& o) {
    if (total == 0 && events == 0 && docs.empty()) {  // the first: take its tables whole
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
    for (auto& [k, d] : o.docs) {
      Doc& mine = Find(k.path, k.id);  // the same document from two sources: later lines win the date
      mine.findings += d.findings;
      if (!d.date().empty()) mine.set_date(d.date()), mine.date_source = d.date_source;
      if (mine.subject.empty()) mine.subject = d.subject;
      mine.MergeValues(d);
      d.ForEachType([&](std::string_view t, size_t n) { mine.Bump(types_.Get(t), n); });
    }
    last_doc_ = nullptr;
    type_slot_ = category_slot_ = month_slot_ = confidence_slot_ = LastSlot();
  }

 private:
  // The count bumped last in one of the tables: findings come in runs of the
  // same type, category and month, so most bumps skip the tree search.
  struct LastSlot {
    std::string key;
    size_t* count = nullptr;
    void Bump(Counts& m, std::string_view k) {
      if (count == nullptr || k != key) {
        key.assign(k);
        count = &Slot(m, k);
      }
      ++*count;
    }
  };
  LastSlot type_slot_, category_slot_, month_slot_, confidence_slot_;
  // A date source as program text (a view that outlives the line it came from).
  static std::string_view StaticSource(std::string_view s) {
    for (std::string_view k : {"closed", "updated", "created", "date", "received", "mtime"})
      if (s == k) return k;
    return "";
  }
  // The document of (path, id), made when new.
  Doc& Find(std::string_view path, std::string_view id) {
    DocKey k{paths_.Get(path), std::string(id)};
    auto [it, fresh] = docs.try_emplace(std::move(k));
    if (fresh) {
      it->second.path = it->first.path;
      it->second.id = it->first.id;
    }
    return it->second;
  }
  Interned paths_, types_;
  std::string date_field_;
  Doc* last_doc_ = nullptr;
  simdjson::ondemand::parser parser_;
};

namespace {

// Sizes in human units (decimal, as the progress line: 1 MB = 10^6 bytes).
std::string HumanBytes(uint64_t n) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(n);
  int i = 0;
  while (v >= 1000 && i < 5) v /= 1000, ++i;
  char b[32];
  if (i == 0) std::snprintf(b, sizeof b, "%llu B", static_cast<unsigned long long>(n));
  else std::snprintf(b, sizeof b, "%.1f %s", v, kUnits[i]);
  return b;
}

}  // namespace

std::string_view TypeMeaning(std::string_view type) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {"no.fnr", "Norwegian fødselsnummer"},
      {"no.dnr", "Norwegian D-nummer"},
      {"no.hnr", "Norwegian H-nummer / FH-nummer"},
      {"se.pnr", "Swedish personnummer"},
      {"se.snr", "Swedish samordningsnummer"},
      {"dk.cpr", "Danish CPR-nummer"},
      {"fi.hetu", "Finnish henkilötunnus"},
      {"is.kt", "Icelandic kennitala (person)"},
      {"partial-id", "national id with its individual part masked (birth date still identifies)"},
      {"iban", "IBAN (Nordic countries)"},
      {"no.account", "Norwegian bank account number"},
      {"card", "payment card number"},
      {"password", "password after a label or in a password field"},
      {"passport", "passport number after a label"},
      {"no.orgnr", "Norwegian organisation number"},
      {"se.orgnr", "Swedish organisation number"},
      {"dk.cvr", "Danish CVR number"},
      {"fi.ytunnus", "Finnish Y-tunnus"},
      {"is.kt_org", "Icelandic kennitala (organisation)"},
      {"email", "e-mail address"},
      {"phone", "phone number"}};
  for (const auto& [k, v] : kTypes)
    if (k == type) return v;
  if (type.substr(0, 8) == "special.") return "special category of personal data (GDPR Art. 9/10)";
  return "defined by a pattern file";
}

namespace {

constexpr size_t kOverdueJsonRows = 10000, kOverdueHtmlRows = 1000;

Status WriteSummary(const std::string& dir, const BatchSummary& sum, const std::vector<std::string>& errors,
                    size_t inputs, uint64_t bytes, int retention_days, const std::string& date_field,
                    const std::string& today, const BatchReportInfo& info) {
  using Doc = BatchSummary::Doc;
  const auto& docs = sum.docs;
  const auto& by_type = sum.by_type;
  const auto& by_category = sum.by_category;
  const auto& by_month = sum.by_month;
  const auto& attachments_by_type = sum.attachments_by_type;
  const size_t total = sum.total, events = sum.events;
  std::vector<const Doc*> top;
  for (auto& [k, d] : docs) top.push_back(&d);
  auto by_findings = [](const Doc* a, const Doc* b) {
    if (a->findings != b->findings) return a->findings > b->findings;
    return std::tie(a->path, a->id) < std::tie(b->path, b->id);
  };
  size_t ntop = std::min<size_t>(top.size(), 20);
  std::partial_sort(top.begin(), top.begin() + static_cast<ptrdiff_t>(ntop), top.end(), by_findings);
  top.resize(ntop);
  // Overdue: kept longer than the retention period after its date; the
  // most overdue first, all of them (overdue.csv), the first in the summary.
  struct Late {
    const Doc* d;
    long age;  // days since its date
  };
  std::vector<Late> overdue;
  const long today_n = DayNumber(today);
  if (retention_days >= 0)
    for (auto& [k, d] : docs) {
      long day = DayNumber(d.date());
      if (day >= 0 && day < today_n - retention_days) overdue.push_back({&d, today_n - day});
    }
  std::sort(overdue.begin(), overdue.end(), [](const Late& a, const Late& b) {
    if (a.age != b.age) return a.age > b.age;
    return std::tie(a.d->path, a.d->id) < std::tie(b.d->path, b.d->id);
  });
  auto types_text = [](const Doc& d) {
    std::string t;
    for (auto& [k, v] : d.Types()) t += (t.empty() ? "" : "; ") + k + " " + std::to_string(v);
    return t;
  };
  auto types_json = [](const Counts& m) {
    std::string s = "{";
    for (auto& [k, v] : m) s += (s.size() > 1 ? "," : "") + JsonStr(k) + ":" + std::to_string(v);
    return s + "}";
  };
  const std::string run_date = info.run_date.empty() ? Now() : info.run_date;
  const std::string date_rule = date_field.empty() ? "closed, else updated; mail: Date, else newest Received, else file time"
                                                   : date_field + "; mail: Date, else newest Received, else file time";
  std::string js = "{\"nordpii_version\":\"" NORDPII_VERSION "\",\"run\":{\"date\":" + JsonStr(run_date) +
                   ",\"options\":" + JsonStr(info.options) + ",\"key_id\":" + JsonStr(info.key_id) +
                   ",\"random_key\":" + (info.random_key ? "true" : "false") +
                   ",\"interrupted\":" + (info.interrupted ? "true" : "false") +
                   (info.allowed >= 0 ? ",\"allowed\":" + std::to_string(info.allowed) : std::string()) + "}";
  if (info.interrupted) js += ",\"interrupted\":true,\"inputs_done\":" + std::to_string(info.inputs_done);
  js += ",\"inputs\":" + std::to_string(inputs) + ",\"bytes\":" + std::to_string(bytes) + ",\"size\":" +
        JsonStr(HumanBytes(bytes)) + ",\"findings\":" + std::to_string(total) + ",\"events\":" + std::to_string(events) +
        ",\"documents_with_findings\":" + std::to_string(docs.size()) + ",\"by_type\":" + types_json(by_type) +
        ",\"by_category\":" + types_json(by_category) + ",\"by_confidence\":" + types_json(sum.by_confidence) +
        ",\"by_month\":" + types_json(by_month) + ",\"attachments_not_scanned\":" + types_json(attachments_by_type) +
        ",\"top\":[";
  for (size_t i = 0; i < top.size(); ++i)
    js += (i ? "," : "") + std::string("{\"path\":") + JsonStr(top[i]->path) + ",\"id\":" + JsonStr(top[i]->id) +
          ",\"findings\":" + std::to_string(top[i]->findings) + ",\"distinct_values\":" +
          std::to_string(top[i]->distinct()) + ",\"by_type\":" + types_json(top[i]->Types()) + "}";
  js += "],\"errors\":[";
  for (size_t i = 0; i < errors.size(); ++i) js += (i ? "," : "") + JsonStr(errors[i]);
  js += "]";
  const size_t json_rows = std::min(overdue.size(), kOverdueJsonRows);
  if (retention_days >= 0) {
    js += ",\"retention\":{\"days\":" + std::to_string(retention_days) + ",\"today\":" + JsonStr(today) +
          ",\"date_field\":" + JsonStr(date_rule) + ",\"overdue\":" + std::to_string(overdue.size()) +
          ",\"shown\":" + std::to_string(json_rows) + ",\"complete_list\":\"overdue.csv\",\"items\":[";
    for (size_t i = 0; i < json_rows; ++i) {
      const Doc& d = *overdue[i].d;
      js += (i ? "," : "") + std::string("{\"path\":") + JsonStr(d.path) + ",\"id\":" + JsonStr(d.id) +
            ",\"subject\":" + JsonStr(d.subject) + ",\"date\":" + JsonStr(d.date()) + ",\"date_source\":" +
            JsonStr(d.date_source) + ",\"age_days\":" + std::to_string(overdue[i].age) + ",\"days_overdue\":" +
            std::to_string(overdue[i].age - retention_days) + ",\"findings\":" + std::to_string(d.findings) +
            ",\"distinct_values\":" + std::to_string(d.distinct()) + ",\"by_type\":" + types_json(d.Types()) + "}";
    }
    js += "]}";
  }
  js += "}\n";
  if (Status st = WriteWhole(dir + "/summary.json", js); !st.ok()) return st;

  if (retention_days >= 0) {
    // Every overdue document, streamed (a list of millions need not be
    // held as one string). The texts are the report's: masked when written
    // to findings.jsonl (ShownText), never raw.
    auto csv = OutputFile::Open(dir + "/overdue.csv");
    if (!csv) return csv.error();
    std::string buf = "input,id,subject,date,date_source,age_days,days_overdue,findings,distinct_values,types\r\n";
    Status st;
    for (const Late& l : overdue) {
      const Doc& d = *l.d;
      buf += CsvCell(d.path) + ',' + CsvCell(d.id) + ',' + CsvCell(d.subject) + ',' + CsvCell(d.date()) + ',' +
             std::string(d.date_source) + ',' + std::to_string(l.age) + ',' + std::to_string(l.age - retention_days) +
             ',' + std::to_string(d.findings) + ',' + std::to_string(d.distinct()) + ',' + CsvCell(types_text(d)) +
             "\r\n";
      if (buf.size() > (1 << 16)) {
        if (st = (*csv)->Write(buf); !st.ok()) return st;
        buf.clear();
      }
    }
    if (st = (*csv)->Write(buf); !st.ok()) return st;
    if (st = (*csv)->Commit(); !st.ok()) return st;
  }

  auto rows = [](const Counts& m, bool by_count) {
    std::vector<std::pair<std::string, size_t>> v(m.begin(), m.end());
    if (by_count) std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
    return v;
  };
  auto count_table = [&](const char* id, const char* what, const Counts& m) {
    std::string t = std::string("<table id=\"") + id + "\" class=\"sortable\"><thead><tr><th>" + what +
                    "</th><th>findings</th></tr></thead><tbody>";
    for (auto& [k, v] : rows(m, true)) t += "<tr><td>" + Html(k) + "</td><td>" + std::to_string(v) + "</td></tr>";
    return t + "</tbody></table>";
  };
  std::string h =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>nordpii report</title><style>"
      "body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0}"
      "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.chart text{font-size:12px}"
      "th{background:#eef;cursor:pointer}.warn{background:#fff3cd;border:1px solid #e0c060;padding:.5em}"
      "dl.run{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}dl.run dt{font-weight:bold}"
      "dl.run dd{margin:0}"
      "</style></head><body><h1>nordpii report</h1>";
  h += "<dl class=\"run\" id=\"run\"><dt>run</dt><dd>" + Html(run_date) + " UTC</dd><dt>version</dt><dd>nordpii " +
       NORDPII_VERSION "</dd><dt>options</dt><dd>" + Html(info.options.empty() ? "(defaults)" : info.options) +
       "</dd><dt>key id</dt><dd>" + Html(info.key_id.empty() ? "not recorded" : info.key_id) +
       (info.random_key ? " (random key: hashes match only within this report)" : "") + "</dd></dl>";
  if (info.interrupted)
    h += "<p class=\"warn\" id=\"interrupted\">Interrupted: this report covers " + std::to_string(info.inputs_done) +
         " of " + std::to_string(inputs) + " inputs.</p>";
  h += "<p id=\"totals\">" + std::to_string(total) + " findings in " + std::to_string(docs.size()) +
       " tickets/messages/files; " + std::to_string(inputs) + " inputs, " + HumanBytes(bytes) + "; " +
       std::to_string(errors.size()) + " errors. Values are never shown.</p>";
  if (retention_days >= 0) {
    const size_t html_rows = std::min(overdue.size(), kOverdueHtmlRows);
    h += "<h2 id=\"overdue\">Retention: " + std::to_string(overdue.size()) +
         " overdue (personal data kept more than " + std::to_string(retention_days) + " days after " +
         Html(date_rule) + ")</h2><p id=\"overdue-shown\">Showing the " + std::to_string(html_rows) +
         " most overdue of " + std::to_string(overdue.size()) +
         "; the complete list is in <a href=\"overdue.csv\">overdue.csv</a>.</p>"
         "<table id=\"retention\" class=\"sortable\"><thead><tr><th>input</th><th>id</th><th>subject</th><th>date</th>"
         "<th>date source</th><th>days overdue</th><th>findings</th><th>distinct values</th><th>types</th></tr>"
         "</thead><tbody>";
    for (size_t i = 0; i < html_rows; ++i) {
      const Doc& d = *overdue[i].d;
      h += "<tr><td>" + Html(d.path) + "</td><td>" + Html(d.id) + "</td><td>" + Html(d.subject) + "</td><td>" +
           Html(d.date().substr(0, 10)) + "</td><td>" + Html(d.date_source) + "</td><td>" +
           std::to_string(overdue[i].age - retention_days) + "</td><td>" + std::to_string(d.findings) + "</td><td>" +
           std::to_string(d.distinct()) + "</td><td>" + Html(types_text(d)) + "</td></tr>";
    }
    h += "</tbody></table>";
  }
  h += "<h2>Findings per type</h2>" + Bars(rows(by_type, true));
  h += "<h2>Findings per category and confidence</h2>" + count_table("by-category", "category", by_category) +
       count_table("by-confidence", "confidence", sum.by_confidence);
  h += "<h2>Findings per month (ticket or message date)</h2>" + Bars(rows(by_month, false));
  std::vector<std::pair<std::string, size_t>> toprows;
  for (auto* d : top) toprows.push_back({d->id.empty() ? fs::path(d->path).filename().string() : d->id, d->findings});
  h += "<h2>Top tickets and messages</h2>" + Bars(toprows);
  h += "<table id=\"top\" class=\"sortable\"><thead><tr><th>input</th><th>id</th><th>findings</th>"
       "<th>distinct values</th></tr></thead><tbody>";
  for (auto* d : top)
    h += "<tr><td>" + Html(d->path) + "</td><td>" + Html(d->id) + "</td><td>" + std::to_string(d->findings) +
         "</td><td>" + std::to_string(d->distinct()) + "</td></tr>";
  h += "</tbody></table>";
  h += "<h2>Type ids</h2><table id=\"legend\"><thead><tr><th>type</th><th>what it is</th></tr></thead><tbody>";
  for (auto& [k, v] : by_type) h += "<tr><td>" + Html(k) + "</td><td>" + Html(TypeMeaning(k)) + "</td></tr>";
  h += "</tbody></table>";
  if (!errors.empty()) {
    h += "<h2>Errors</h2><ul>";
    for (auto& e : errors) h += "<li>" + Html(e) + "</li>";
    h += "</ul>";
  }
  // Sortable tables: a click on a header sorts by that column (numbers as
  // numbers). Inline, no external assets.
  h += "<script>document.querySelectorAll('table.sortable th').forEach(function(th,i){th.addEventListener('click',"
       "function(){var tb=th.closest('table').tBodies[0],r=Array.from(tb.rows),d=th.dataset.d=th.dataset.d=='a'?'d':'a';"
       "r.sort(function(x,y){var a=x.cells[i].textContent,b=y.cells[i].textContent,n=parseFloat(a)-parseFloat(b);"
       "var c=isNaN(n)?a.localeCompare(b):n;return d=='a'?c:-c;});r.forEach(function(e){tb.appendChild(e);});});});"
       "</script>";
  h += "<footer><p>nordpii " NORDPII_VERSION "</p></footer></body></html>\n";
  if (Status st = WriteWhole(dir + "/report.html", h); !st.ok()) return st;
  return Status::Ok();
}

// A FILE* whose bytes stay in memory up to `limit`, then go to a temporary
// file (fopencookie: ReportSink writes through stdio as for any file).
// `mem` is the worker's buffer, reused from input to input (a new one per
// input paid for its growth and page faults again each time).
class HeldOutput {
 public:
  HeldOutput(std::string spill_path, size_t limit, std::string& mem)
      : path_(std::move(spill_path)), limit_(limit), mem_(mem) {
    mem_.clear();
    cookie_io_functions_t io{};
    io.write = [](void* c, const char* b, size_t n) -> ssize_t {
      return static_cast<HeldOutput*>(c)->Write(b, n) ? static_cast<ssize_t>(n) : -1;
    };
    f_ = fopencookie(this, "w", io);
    if (f_) std::setvbuf(f_, nullptr, _IOFBF, 1 << 16);
  }
  ~HeldOutput() {
    if (f_) std::fclose(f_);
    if (spill_) {
      std::fclose(spill_);
      std::remove(path_.c_str());
      UnregisterTemp(slot_);
    }
  }
  std::FILE* file() { return f_; }
  // Appends everything written so far to `out`.
  bool CopyTo(std::FILE* out) {
    if (std::fflush(f_) != 0 || failed_) return false;
    if (spill_) {
      if (std::fflush(spill_) != 0) return false;
      std::rewind(spill_);
      char buf[1 << 16];
      for (size_t n; (n = std::fread(buf, 1, sizeof buf, spill_)) > 0;)
        if (std::fwrite(buf, 1, n, out) != n) return false;
    }
    return mem_.empty() || std::fwrite(mem_.data(), 1, mem_.size(), out) == mem_.size();
  }

 private:
  bool Write(const char* b, size_t n) {
    if (!failed_ && !Append(b, n)) failed_ = true;
    return !failed_;
  }
  bool Append(const char* b, size_t n) {
    if (!spill_ && mem_.size() + n > limit_) {
      spill_ = std::fopen(path_.c_str(), "w+b");
      if (spill_) slot_ = RegisterTemp(path_);  // removed on SIGINT/SIGTERM/SIGHUP
      if (!spill_ || std::fwrite(mem_.data(), 1, mem_.size(), spill_) != mem_.size()) return false;
      mem_.clear();
    }
    if (spill_) return std::fwrite(b, 1, n, spill_) == n;
    mem_.append(b, n);
    return true;
  }
  bool failed_ = false;  // a write was lost: the held findings are incomplete
  std::string path_;
  size_t limit_;
  std::string& mem_;  // below `limit`, so the kept capacity is bounded
  std::FILE* spill_ = nullptr;
  int slot_ = -1;  // temp_cleanup registration of the spill file
  std::FILE* f_ = nullptr;
};

}  // namespace

Status WriteBatchReport(const std::string& dir, const std::vector<std::string>& errors, size_t inputs,
                        uint64_t bytes, int retention_days, const std::string& date_field,
                        const std::string& today, size_t* findings, const BatchReportInfo& info) {
  BatchSummary summary(date_field);
  std::ifstream in(dir + "/findings.jsonl", std::ios::binary);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) summary.AddLine(l);
  if (in.bad()) return Error(ErrorCode::kIo, dir + "/findings.jsonl: read error");
  if (findings) *findings = summary.total;
  return WriteSummary(dir, summary, errors, inputs, bytes, retention_days, date_field, today.empty() ? Today() : today,
                      info);
}

std::string ReportRunDate() { return Now(); }

std::string KeyId(const KeyedHasher& hasher) { return hasher.Hex("nordpii key id").substr(0, 16); }

int RunBatch(std::shared_ptr<const Scanner> scanner, const BatchOptions& o) {
  // A signal removes the spill and temporary report files; findings.jsonl
  // and the checkpoint hold only finished inputs, so a rerun resumes.
  InstallTempCleanup(o.checkpoint.empty() ? "\nnordpii: interrupted\n"
                                          : "\nnordpii: interrupted; rerun to resume (same --checkpoint)\n");
  // The first SIGINT/SIGTERM/SIGHUP stops the run cleanly: no new input is
  // taken, the inputs in progress are finished (findings and checkpoint
  // lines written whole), the report is written marked interrupted, exit 2.
  // A second one aborts (temporary files removed, findings.jsonl cut back
  // to its last complete input).
  static std::atomic<int> stop{0};
  stop = 0;
  SetStopFlag(&stop, "\nnordpii: stopping: finishing the inputs in progress, then writing the report "
                     "(signal again to abort)\n");
  struct StopOff {
    ~StopOff() {
      SetStopFlag(nullptr, "");
      SetAbortTruncate(-1, -1);
    }
  } stop_off;
  std::error_code ec;
  fs::create_directories(o.report_dir, ec);
  if (ec) {
    std::fprintf(stderr, "nordpii: %s: %s\n", o.report_dir.c_str(), ec.message().c_str());
    return 2;
  }
  const KeyedHasher* hasher = o.settings->hasher.get();  // loaded once, with the settings
  std::mutex mu;
  std::vector<std::string> errors;
  // Error messages name inputs: identifiers in a path are masked (under mu).
  IdentifierMasker error_masker(*scanner, *hasher);
  auto error = [&](const std::string& e) {
    std::lock_guard<std::mutex> l(mu);
    std::string shown = error_masker.Mask(e);
    std::fprintf(stderr, "nordpii: %s\n", shown.c_str());
    errors.push_back(std::move(shown));
  };
  std::vector<Input> inputs = ExpandInputs(o.paths, o.settings->input, error, {o.report_dir});
  // Work items: a file, or a record-aligned range of a large one, so one big
  // export is scanned by all the threads (work_items.h).
  const std::vector<Input> items = SplitWorkItems(inputs, WorkRangeBytes(), o.settings->mail_limits.max_message_bytes);
  const std::string findings_path = o.report_dir + "/findings.jsonl";
  // Resume: finished inputs from the checkpoint; findings of others dropped.
  // The summary starts from the findings kept; each worker adds its own.
  BatchSummary summary(o.date_field);
  std::set<std::string> done;
  if (!o.checkpoint.empty()) {
    // A checkpoint line is a finished item's id (WorkItemId), then the
    // errors it gave, each after a \x1f, then \x1d and the byte span of its
    // lines in findings.jsonl ("start-end"): a resumed run reports the
    // errors as the uninterrupted run would have, and keeps exactly the
    // findings of finished items (ranges of one file cannot be told apart
    // by path). Lines without a span (older runs) keep findings by path.
    std::ifstream cp(o.checkpoint);
    struct Span {
      uint64_t a, b;     // in the old findings.jsonl
      size_t line;       // of cp_lines
      uint64_t na = 0, nb = 0;  // in the kept one
    };
    std::vector<Span> spans;
    std::vector<std::string> cp_lines;  // without their spans
    bool spanless = false;
    std::vector<std::string> all_lines;
    for (std::string l; std::getline(cp, l);) {
      if (l.empty()) continue;
      if (size_t sp = l.rfind('\x1d'); sp != std::string::npos) {
        unsigned long long a = 0, b = 0;
        if (std::sscanf(l.c_str() + sp + 1, "%llu-%llu", &a, &b) == 2 && a <= b) spans.push_back({a, b, cp_lines.size()});
        l.resize(sp);
        cp_lines.push_back(l);
      } else {
        spanless = true;
      }
      all_lines.push_back(std::move(l));
    }
    for (const std::string& l : all_lines) {
      // Kept by path (a checkpoint begun by an older nordpii): a range or
      // member cannot be told apart there, so it is scanned again.
      if (spanless && l.substr(0, l.find('\x1f')).find('\x1e') != std::string::npos) continue;
      size_t cut = l.find('\x1f');
      done.insert(l.substr(0, cut));
      while (cut != std::string::npos) {
        size_t next = l.find('\x1f', cut + 1);
        error(l.substr(cut + 1, next == std::string::npos ? std::string::npos : next - cut - 1));
        cut = next;
      }
    }
    // Streamed through OutputFile (temporary file + rename): the findings of
    // a long run need not fit in memory.
    // findings.jsonl shows paths masked; the checkpoint keeps them as given.
    std::set<std::string> done_shown;
    for (const auto& p : done) done_shown.insert(error_masker.Mask(p));
    // Only a regular file holds earlier findings: a device or FIFO in its
    // place (a report written to /dev/full) would be read without end.
    std::ifstream old;
    if (fs::is_regular_file(findings_path, ec)) old.open(findings_path, std::ios::binary);
    auto kept = OutputFile::Open(findings_path);
    Status st = kept ? Status::Ok() : Status(kept.error());
    if (!spanless) {
      std::sort(spans.begin(), spans.end(), [](const Span& x, const Span& y) { return x.a < y.a; });
      uint64_t at = 0;       // read position in the old file
      uint64_t wrote = 0;    // bytes in the kept one
      bool moved = false;
      std::string l;
      for (Span& sp : spans) {
        sp.na = sp.nb = wrote;
        if (!st.ok() || sp.a < at) continue;
        old.clear();
        old.seekg(static_cast<std::streamoff>(sp.a));
        at = sp.a;
        while (st.ok() && at < sp.b && std::getline(old, l)) {
          at += l.size() + 1;
          if (l.empty()) continue;
          st = (*kept)->Write(l + '\n');
          wrote += l.size() + 1;
          summary.AddLine(l);
        }
        sp.nb = wrote;
        moved |= sp.na != sp.a || sp.nb != sp.b;
      }
      // Findings dropped between kept spans (an item whose findings were
      // written but not checkpointed, before others that were): the spans
      // move, and the checkpoint is rewritten with them.
      if (moved && st.ok()) {
        std::vector<std::string> span_of(cp_lines.size());
        for (const Span& sp : spans) span_of[sp.line] = "\x1d" + std::to_string(sp.na) + "-" + std::to_string(sp.nb);
        std::string text;
        for (size_t i = 0; i < cp_lines.size(); ++i) text += cp_lines[i] + span_of[i] + "\n";
        st = WriteWhole(o.checkpoint, text);
      }
    }
    for (std::string l; spanless && st.ok() && std::getline(old, l);)
      if (!l.empty() && FromDoneInput(done_shown, LinePath(l))) {
        st = (*kept)->Write(l + '\n');
        summary.AddLine(l);
      }
    if (st.ok()) st = (*kept)->Commit();
    if (!st.ok()) {
      std::fprintf(stderr, "nordpii: %s\n", st.message().c_str());
      return 2;
    }
  } else {
    fs::remove(findings_path, ec);
  }
  std::FILE* out = std::fopen(findings_path.c_str(), "ab");
  std::FILE* cp = o.checkpoint.empty() ? nullptr : std::fopen(o.checkpoint.c_str(), "ab");
  if (!out || (!o.checkpoint.empty() && !cp)) {
    std::fprintf(stderr, "nordpii: cannot write %s\n", !out ? findings_path.c_str() : o.checkpoint.c_str());
    return 2;
  }
  if (std::fseek(out, 0, SEEK_END) == 0) SetAbortTruncate(fileno(out), static_cast<int64_t>(std::ftell(out)));
  uint64_t total_bytes = 0;
  std::deque<size_t> queue;  // indices into items
  for (const Input& in : inputs) total_bytes += in.size;
  // Ranges (and archive members) of one file are written to findings.jsonl
  // in file order (as one job writes them): prev[i] is the range before item i (or -1), and an
  // item waits until that one is written. Items are taken in order, so the
  // one waited for is already being scanned.
  std::vector<ptrdiff_t> prev(items.size(), -1);
  std::vector<char> written(items.size(), 0);
  std::vector<std::string> item_ids;
  for (size_t i = 0; i < items.size(); ++i) {
    item_ids.push_back(WorkItemId(items[i]));
    if (i > 0 && (items[i].begin > 0 || items[i].member > 0) && items[i - 1].path == items[i].path)
      prev[i] = static_cast<ptrdiff_t>(i) - 1;
    if (done.count(item_ids[i])) written[i] = 1;
    else queue.push_back(i);
  }
  std::condition_variable written_cv;
  // Fault injection for the resume test: after N checkpoint lines the
  // process kills itself with SIGKILL once the next input's findings are
  // written but before its checkpoint line, so that a kill lands in the
  // middle of a run on any machine (a timed kill did not: the run was often
  // over before it).
  const char* kill_env = std::getenv("NORDPII_TEST_KILL_AFTER_CHECKPOINTS");
  const long kill_after = kill_env ? std::atol(kill_env) : 0;
  // For the signal test: a pause after each input, so that a signal lands
  // while inputs remain on any machine.
  const char* delay_env = std::getenv("NORDPII_TEST_INPUT_DELAY_MS");
  const long delay_ms = delay_env ? std::atol(delay_env) : 0;
  long checkpointed = 0;
  std::atomic<uint64_t> bytes_done{0};
  std::atomic<size_t> docs_done{0};
  std::atomic<size_t> found{0};
  for (size_t i = 0; i < items.size(); ++i)
    if (written[i]) bytes_done += items[i].size, ++docs_done;
  size_t jobs = o.jobs ? o.jobs : std::max<unsigned>(1, std::thread::hardware_concurrency());
  // Workers take inputs from the queue (the queue holds pointers into the
  // input list: bounded by the number of inputs, no file is opened before
  // a worker takes it).
  std::vector<std::unique_ptr<BatchSummary>> sums;
  for (size_t w = 0; w < jobs; ++w) sums.push_back(std::make_unique<BatchSummary>(o.date_field));
  std::vector<std::thread> workers;
  for (size_t w = 0; w < jobs; ++w) {
    workers.emplace_back([&, w] {
      auto ctx = scanner->NewContext(*hasher, o.settings->reference_date);
      InputScanners s(*ctx, o.settings->mail_limits, o.settings->tickets);
      s.progress = &bytes_done;  // the bar moves inside a large file too
      IdentifierMasker masker(*scanner, *hasher);  // paths, Message-IDs, ticket ids in the report
      std::string tmp = o.report_dir + "/.worker-" + std::to_string(w) + ".jsonl";
      std::string held_mem;
      for (;;) {
        const Input* in;
        size_t item;
        {
          std::lock_guard<std::mutex> l(mu);
          if (queue.empty() || stop.load()) break;
          item = queue.front();
          in = &items[item];
          queue.pop_front();
        }
        auto mark_written = [&] {  // under mu
          written[item] = 1;
          written_cv.notify_all();
        };
        // One input's findings are held in memory and spill to a temporary
        // file past 8 MiB (findings written, read back and written again
        // were ~15 % of a batch over ticket exports).
        HeldOutput held(tmp, o.held_bytes, held_mem);
        std::FILE* f = held.file();
        if (!f) {
          error(tmp + ": cannot write");
          std::lock_guard<std::mutex> l(mu);
          mark_written();  // not checkpointed; the next range need not wait
          break;
        }
        ReportSink sink(f, ReportFormat::kJsonl, false, masker);
        sink.SetObserver(sums[w].get());
        std::string input_errors;  // for the checkpoint line
        auto input_error = [&](const std::string& e) {
          input_errors += '\x1f';
          for (char c : e) input_errors += (c == '\n' || c == '\r' || c == '\x1f' || c == '\x1d') ? ' ' : c;
          error(e);
        };
        const uint64_t read_live = ScanInput(*in, s, o.filter, sink, o.settings->mail_limits.max_message_bytes, input_error);
        found += sink.count();
        {
          // Findings first, then the checkpoint line: a crash between the
          // two re-scans this input on resume (its findings are dropped).
          std::unique_lock<std::mutex> l(mu);
          if (prev[item] >= 0) written_cv.wait(l, [&] { return written[static_cast<size_t>(prev[item])] != 0; });
          const long span_start = std::ftell(out);
          bool copied = held.CopyTo(out);
          if (!copied) {  // not checkpointed: a resumed run scans the input again
            std::string e = error_masker.Mask(tmp + ": cannot keep the findings of " + in->path);
            std::fprintf(stderr, "nordpii: %s\n", e.c_str());
            errors.push_back(e);
          }
          if (copied && std::fflush(out) != 0) {  // a full disk: findings lost, not checkpointed
            copied = false;
            std::string e = error_masker.Mask(findings_path + ": write failed: " + std::strerror(errno));
            std::fprintf(stderr, "nordpii: %s\n", e.c_str());
            errors.push_back(e);
          }
          if (copied) SetAbortTruncate(fileno(out), static_cast<int64_t>(std::ftell(out)));
          // The worst moment for a crash: this input's findings are in
          // findings.jsonl, its checkpoint line is not.
          if (kill_after > 0 && checkpointed == kill_after) raise(SIGKILL);
          mark_written();
          if (cp && copied) {
            std::fprintf(cp, "%s%s\x1d%ld-%ld\n", item_ids[item].c_str(), input_errors.c_str(), span_start,
                         std::ftell(out));
            if (std::fflush(cp) != 0 || std::ferror(cp)) {
              std::string e = o.checkpoint + ": write failed: " + std::strerror(errno);
              std::fprintf(stderr, "nordpii: %s\n", error_masker.Mask(e).c_str());
              errors.push_back(error_masker.Mask(e));
            }
            ++checkpointed;
          }
        }
        bytes_done += in->size > read_live ? in->size - read_live : 0;  // the rest of its size
        ++docs_done;
        if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      }
      std::remove(tmp.c_str());
    });
  }
  // Progress.
  std::atomic<bool> finished{false};
  std::thread progress([&] {
    if (o.quiet) return;
    bool tty = isatty(STDERR_FILENO);
    auto t0 = std::chrono::steady_clock::now();
    auto last_line = t0;
    uint64_t start_bytes = bytes_done;
    while (!finished) {
      std::this_thread::sleep_for(std::chrono::milliseconds(tty ? 200 : 500));
      auto now = std::chrono::steady_clock::now();
      double secs = std::chrono::duration<double>(now - t0).count();
      double rate = secs > 0 ? static_cast<double>(bytes_done - start_bytes) / secs : 0;
      double left = rate > 0 ? static_cast<double>(total_bytes - std::min<uint64_t>(bytes_done, total_bytes)) / rate : 0;
      double frac = total_bytes ? static_cast<double>(bytes_done) / static_cast<double>(total_bytes) : 1.0;
      char line[256];
      std::snprintf(line, sizeof line, "%zu/%zu inputs, %.1f/%.1f MB, %.1f MB/s, ETA %.0f s, %zu findings",
                    docs_done.load(), items.size(), bytes_done / 1e6, total_bytes / 1e6, rate / 1e6, left, found.load());
      if (tty) {
        int w = static_cast<int>(frac * 30);
        std::fprintf(stderr, "\r[%.*s%*s] %s", w, "##############################", 30 - w, "", line);
      } else if (now - last_line > std::chrono::seconds(10)) {
        std::fprintf(stderr, "nordpii: %s\n", line);
        last_line = now;
      }
    }
    if (tty) std::fprintf(stderr, "\n");
  });
  for (auto& t : workers) t.join();
  finished = true;
  progress.join();
  // Every write error is an error (exit 2): a report missing findings must
  // not look complete.
  // (ferror is sticky: a failure already reported above is not repeated.)
  const bool out_reported = std::ferror(out), cp_reported = cp && std::ferror(cp);
  if (std::fclose(out) != 0 && !out_reported) error(findings_path + ": write failed");
  if (cp && std::fclose(cp) != 0 && !cp_reported) error(o.checkpoint + ": write failed");
  for (auto& w : sums) summary.Merge(std::move(*w));
  BatchReportInfo info;
  info.options = o.report_options;
  info.key_id = KeyId(*hasher);
  info.random_key = o.settings->random_key;
  info.interrupted = stop.load() != 0;  // a signal came before the workers were done
  info.inputs_done = docs_done.load();
  if (o.filter.allow) info.allowed = static_cast<int64_t>(o.filter.allow->allowed());
  if (Status s = WriteSummary(o.report_dir, summary, errors, inputs.size(), total_bytes, o.retention_days, o.date_field,
                              o.today.empty() ? Today() : o.today, info);
      !s.ok()) {
    std::fprintf(stderr, "nordpii: %s\n", s.message().c_str());
    return 2;
  }
  if (info.random_key)
    std::fprintf(stderr, "nordpii: note: random key (no $NORDPII_KEY or --key-file): the report's hashes match only "
                         "within this report (key id %s)\n", info.key_id.c_str());
  if (info.allowed >= 0 && !o.quiet)
    std::fprintf(stderr, "nordpii: %lld finding(s) allowed by --allow (not in the report)\n",
                 static_cast<long long>(info.allowed));
  if (!o.quiet)
    std::fprintf(stderr, "nordpii: report in %s (findings.jsonl, summary.json, report.html%s)\n", o.report_dir.c_str(),
                 o.retention_days >= 0 ? ", overdue.csv" : "");
  if (info.interrupted) {
    std::fprintf(stderr, "nordpii: interrupted; the report covers %zu of %zu inputs%s\n", info.inputs_done,
                 inputs.size(), o.checkpoint.empty() ? "" : "; rerun to resume (same --checkpoint)");
    return 2;
  }
  if (!errors.empty()) return 2;
  // Findings counted (kept from a resumed run's finished inputs plus this
  // run's), not "findings.jsonl has a line": an attachment event alone is
  // not a finding, as for `scan`.
  return summary.total ? 1 : 0;
}

}  // namespace nordpii
