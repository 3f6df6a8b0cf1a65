// SPDX-License-Identifier: Apache-2.0
// File: batch_summary.h
//
// BatchSummary: the counts a batch report shows (summary.json, report.html,
// overdue.csv), accumulated one finding at a time, either live from the
// workers' report sinks (ReportObserver) or from findings.jsonl lines (a
// resumed run, `nordpii collect`). Internal to src/batch: the runner fills
// one per worker and merges them; the summary writers (summary_writer.h)
// read it. Not thread-safe: one per thread, merged after the threads end.
// Memory is bounded: past a byte estimate the documents held are written,
// sorted, as a run to an unlinked temporary file, and merged back when the
// report is written (ForEachDoc; issue 12 #9).
#ifndef NORDPII_BATCH_BATCH_SUMMARY_H_
#define NORDPII_BATCH_BATCH_SUMMARY_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"
#include "output/report_sink.h"

namespace nordpii {

// An unlinked temporary file that sorted runs of report rows are appended
// to (batch_summary.cc), and one run of it.
struct SpillFile;
struct SpillRun {
  std::shared_ptr<SpillFile> file;
  uint64_t begin = 0, end = 0;
};

using Counts = std::map<std::string, size_t, std::less<>>;  // looked up by string_view
// The count for k, made 0 when new.
inline size_t& Slot(Counts& m, std::string_view k) {
  auto it = m.find(k);
  if (it == m.end()) it = m.emplace(std::string(k), 0).first;
  return it->second;
}
inline void Bump(Counts& m, std::string_view k, size_t n = 1) { Slot(m, k) += n; }

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
    // (On: f on the values' container; Grow: the vector into the deque; see
    // values_ below.)
    static constexpr size_t kSmallValues = 64;
    template <typename F>
    decltype(auto) On(F f) const {
      return big_ ? f(*big_) : f(values_);
    }
    void Grow() const {
      big_.emplace(values_.begin(), values_.end());
      std::vector<uint64_t>().swap(values_);
    }
    void AddValue(std::string_view hash) {
      if (hash.size() < 16) return;
      uint64_t v = 0;
      for (size_t i = 0; i < 16; ++i) {
        char c = hash[i];
        v = v << 4 | static_cast<uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
      }
      if (On([&](auto& c) { return !c.empty() && c.back() == v; })) return;  // the same value again
      On([&](auto& c) { c.push_back(v); });
      if (!big_ && values_.size() > kSmallValues) Grow();
      if (On([](auto& c) { return c.size(); }) >= 2 * dedup_at_) Dedup();
    }
    size_t distinct() const {
      Dedup();
      return On([](auto& c) { return c.size(); });
    }
    // The distinct values, in order.
    template <typename F>
    void ForEachValue(F f) const {
      Dedup();
      On([&](auto& c) {
        for (uint64_t v : c) f(v);
      });
    }
    void AddValues(const std::vector<uint64_t>& v) {
      On([&](auto& c) { c.insert(c.end(), v.begin(), v.end()); });
      if (!big_ && values_.size() > kSmallValues) Grow();
      Dedup();
    }
    void MergeValues(const Doc& o) {
      o.On([&](auto& oc) { On([&](auto& c) { c.insert(c.end(), oc.begin(), oc.end()); }); });
      if (!big_ && values_.size() > kSmallValues) Grow();
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
      On([](auto& c) { c.erase(std::unique((std::sort(c.begin(), c.end()), c.begin()), c.end()), c.end()); });
      dedup_at_ = std::max<size_t>(On([](auto& c) { return c.size(); }), 16);
    }
    // The values: a vector while there are few, then a deque, which grows a
    // block at a time, without the vector's copy to twice the size (a 60 MB
    // record with 1.7 M findings held the old and the new array at once:
    // +8..16 MB peak). Not a deque from the start: an empty one holds ~600
    // bytes (its map and first block), and an export of 485 k small tickets
    // with findings held 489 MB of them in `batch` (issue 12 #9).
    mutable std::vector<uint64_t> values_;  // deduplicated up to dedup_at_ entries; distinct() finishes
    mutable std::optional<std::deque<uint64_t>> big_;  // all of them, once more than kSmallValues
    mutable size_t dedup_at_ = 16;
    char date_[40];  // enough for any ISO 8601 form; longer values are cut
    uint8_t date_len_ = 0;

   public:
    bool numbered = false;  // id is "#N": a record or message number (MergeRange); in date_len_'s padding
    // Where in its file the date and the subject were taken (set_position):
    // parts of a document combined from several summaries keep the date
    // of the last in file order and the subject of the first, as one job.
    uint64_t date_pos = 0, subject_pos = 0;
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

  // A document as the report shows it, whether it was held or spilled:
  // owns its strings, values sorted and distinct. ForEachDoc gives them.
  struct DocRow {
    std::string path, id, subject, date;  // date: at most 40 bytes, as Doc keeps it
    std::string_view date_source;         // program text (StaticSource)
    size_t findings = 0;
    size_t distinct = 0;                  // values.size() once combined
    std::vector<std::pair<std::string, size_t>> types;  // ordered by name
    std::vector<uint64_t> values;         // sorted, distinct (empty in the overdue list)
    uint64_t date_pos = 0, subject_pos = 0;  // Doc's
  };
  // Where documents go when many are held (bounded memory, issue 12 #9):
  // past `max_bytes` (an estimate of what the held documents take) they are
  // written, ordered by (path, id), as a run to an unlinked temporary file in
  // `dir` ("" = $TMPDIR, else /tmp), and the map starts again. A run of a few
  // documents never touches the disk.
  static constexpr size_t kDefaultMaxBytes = 16u << 20;
  struct Spill {
    std::string dir;
    size_t max_bytes = kDefaultMaxBytes;
  };

  explicit BatchSummary(std::string date_field);  // spills to $TMPDIR past kDefaultMaxBytes
  // `reserve`: documents expected (a range's summary: few).
  BatchSummary(std::string date_field, Spill spill, size_t reserve = 1 << 14);
  ~BatchSummary() override;
  BatchSummary(const BatchSummary&) = delete;
  BatchSummary& operator=(const BatchSummary&) = delete;

  Counts by_type, by_category, by_confidence, by_month, attachments_by_type;
  // Per ticket / message / file: the ones held (since the last run was
  // spilled); read every document through ForEachDoc.
  std::unordered_map<DocKey, Doc, DocKeyHash> docs;
  size_t total = 0, events = 0;
  // Where the findings that come next are in their file: 0 for a whole
  // input (and lines of findings.jsonl), the start of a range + 1 for a
  // range of a large file (one worker's summary gets ranges of one file
  // out of order with the other workers').
  void set_position(uint64_t p) { pos_ = p; }

  // One finding as the report line has it (views valid for the call).
  struct Row {
    std::string_view path, type, category, confidence, created, updated, closed, ticket_id, message_id;
    std::string_view date, date_source, subject, hash;  // date/date_source: mail; subject: mail, tickets
    uint64_t record = 0, message_index = 0;
  };
  void AddFinding(const Row& r);
  void AddEvent(std::string_view kind, std::string_view content_type) {
    ++events;
    if (kind == "attachment") Bump(attachments_by_type, content_type);
  }

  // Whether the sink's current finding belongs to a document known by its
  // number ("#N": a ticket record or mbox message without an id).
  static bool Numbered(const ReportSink& sink) {
    return sink.ticket_id().empty() && sink.message_id().empty() && (sink.record() > 0 || sink.message_index() > 0);
  }
  // ReportObserver: the sink's context is what its line says.
  void Recorded(const ReportSink& sink, const Finding& f) override;
  void RecordedEvent(std::string_view kind, std::string_view content_type) override { AddEvent(kind, content_type); }

  // One findings.jsonl line (`line` gets simdjson's padding as spare capacity).
  void AddLine(std::string& line);

  // Adds another summary (a worker's) into this one; `o` is left empty or spent.
  void Merge(BatchSummary&& o);
  // The same for the summary of a range scanned with numbers relative to
  // its start (work_items.h): a document known by its number ("#N": no
  // ticket or message id) is "#(N + records)" here.
  void MergeRange(BatchSummary&& o, uint64_t records);

  // Every document once, ordered by (path, id): the held ones and the
  // spilled runs merged (one document in several runs combined as if it had
  // never been spilled: counts added, the later date, the first subject,
  // the distinct values exact). An error when a run could not be written or
  // read back: the report must not be written from part of the documents.
  // May be called more than once.
  Status ForEachDoc(const std::function<Status(DocRow&)>& f);
  // Runs written so far (tests).
  size_t spilled_runs() const { return runs_.size(); }
  // The first spill error ("" = none).
  const std::string& spill_error() const { return spill_error_; }
  const Spill& spill() const { return spill_; }

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
  static std::string_view StaticSource(std::string_view s);
  // The document of (path, id), made when new.
  Doc& Find(std::string_view path, std::string_view id);
  void MergeDoc(Doc& mine, const Doc& d);  // d's counts into mine
  void MergeRow(const DocRow& r);          // a (numbered) spilled document's counts into its held one
  Interned paths_, types_;
  std::string date_field_;
  Doc* last_doc_ = nullptr;
  uint64_t pos_ = 0;
  // Spilling (batch_summary.cc).
  Spill spill_;
  size_t held_ = 0;                   // estimated bytes of the held documents
  std::vector<SpillRun> runs_;        // in the order the documents came: before the held ones
  std::shared_ptr<SpillFile> file_;   // this summary's own (others' runs come with Merge)
  std::string spill_error_;
  void SpillHeld();                   // writes the held documents as a run
  struct LineParser;  // simdjson's parser (batch_summary.cc)
  std::unique_ptr<LineParser> parser_;
};

// Report rows ordered by age (the oldest first), then (path, id): the
// retention list, which overdue.csv gives whole. Held up to the spill's
// max_bytes, then written as sorted runs as BatchSummary's documents are,
// and merged when read.
class DocRowsByAge {
 public:
  explicit DocRowsByAge(BatchSummary::Spill spill);
  ~DocRowsByAge();
  DocRowsByAge(const DocRowsByAge&) = delete;
  DocRowsByAge& operator=(const DocRowsByAge&) = delete;
  // Adds a row (without its values: `distinct` is kept).
  Status Add(const BatchSummary::DocRow& r, long age);
  size_t size() const { return count_; }
  size_t spilled_runs() const { return runs_.size(); }
  // Every row in order while f returns true.
  Status ForEach(const std::function<bool(const BatchSummary::DocRow&, long age)>& f);

 private:
  Status SpillHeld();
  BatchSummary::Spill spill_;
  std::string arena_;             // the held rows, encoded
  std::vector<size_t> offsets_;   // where each starts in arena_
  bool sorted_ = false;
  std::vector<SpillRun> runs_;
  std::shared_ptr<SpillFile> file_;
  size_t count_ = 0;
};

}  // namespace nordpii

#endif  // NORDPII_BATCH_BATCH_SUMMARY_H_
