// SPDX-License-Identifier: Apache-2.0
// BatchSummary (batch_summary.h): accumulation from report sinks and from
// findings.jsonl lines (simdjson on-demand), and merging.
#include "batch/batch_summary.h"

#include <simdjson.h>

#include "extract/extractor.h"

namespace nordpii {

namespace {

// Whether a date starts "YYYY-MM" (a month key of the summary; anything
// else is "unknown", never a copy of what the date field held).
bool IsYearMonth(std::string_view d) {
  auto dig = [&](size_t i) { return d[i] >= '0' && d[i] <= '9'; };
  return d.size() >= 7 && dig(0) && dig(1) && dig(2) && dig(3) && d[4] == '-' && dig(5) && dig(6);
}

}  // namespace

struct BatchSummary::LineParser {
  simdjson::ondemand::parser p;
};

BatchSummary::BatchSummary(std::string date_field, size_t reserve)
    : date_field_(std::move(date_field)), parser_(std::make_unique<LineParser>()) {
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
  }
  if (!r.subject.empty() && doc.subject.empty()) doc.subject.assign(r.subject);
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
  for (auto& [k, d] : o.docs) MergeDoc(Find(k.path, k.id), d);
  last_doc_ = nullptr;
  type_slot_ = category_slot_ = month_slot_ = confidence_slot_ = LastSlot();
}

void BatchSummary::MergeDoc(Doc& mine, const Doc& d) {
  // The same document from two sources: later lines win the date.
  mine.findings += d.findings;
  if (!d.date().empty()) mine.set_date(d.date()), mine.date_source = d.date_source;
  if (mine.subject.empty()) mine.subject = d.subject;
  mine.MergeValues(d);
  d.ForEachType([&](std::string_view t, size_t n) { mine.Bump(types_.Get(t), n); });
  if (d.numbered) mine.numbered = true;
}

void BatchSummary::MergeRange(BatchSummary&& o, uint64_t records) {
  if (records > 0)
    for (auto it = o.docs.begin(); it != o.docs.end();) {
      if (!it->second.numbered) {
        ++it;
        continue;
      }
      const std::string id = "#" + std::to_string(std::stoull(it->first.id.substr(1)) + records);
      MergeDoc(Find(it->first.path, id), it->second);
      it = o.docs.erase(it);
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
  auto [it, fresh] = docs.try_emplace(std::move(k));
  if (fresh) {
    it->second.path = it->first.path;
    it->second.id = it->first.id;
  }
  return it->second;
}

}  // namespace nordpii
