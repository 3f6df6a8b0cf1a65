// SPDX-License-Identifier: Apache-2.0
#include "pipeline/scanner.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <optional>

#include "core/bytes.h"
#include "core/hide_values.h"

namespace nordpii {

Result<std::shared_ptr<const Scanner>> Scanner::Create(const ScannerOptions& options) {
  auto made = CreateUnhidden(options);
  if (made) return made;
  // Pattern-file, plugin and regex errors quote keys, ids and regexes from
  // the files (which may hold an identifier): numbers are not shown there,
  // the directories' and plugins' paths (and ":LINE") are.
  std::vector<std::string> keep = options.PatternDirs();
  keep.insert(keep.end(), options.plugins.begin(), options.plugins.end());
  return Error(made.error().code(), HideDigitRuns(made.error().message(), keep));
}

Result<std::shared_ptr<const Scanner>> Scanner::CreateUnhidden(const ScannerOptions& options) {
  std::shared_ptr<Scanner> s(new Scanner());
  s->options_ = options;
  if (s->options_.limits.chunk_bytes < 1) s->options_.limits.chunk_bytes = 1;
  s->options_.loaded.reset();  // (not held for the scanner's life)
  std::optional<PatternSet> own;
  const PatternSet* set = options.loaded.get();
  if (!set) {
    auto loaded = PatternSet::LoadDirs(options.PatternDirs());
    if (!loaded) return loaded.error();
    own = std::move(*loaded);
    set = &*own;
  }
  auto reg = PluginRegistry::Create(options.plugins);
  if (!reg) return reg.error();
  auto dets = DetectorSet::Create(*set, *reg);
  if (!dets) return dets.error();
  s->detectors_ = *dets;
  // Masking rules are data: per category, overridden per detector or type.
  for (const CategorySpec& c : set->categories) ParseMaskRule(c.mask, s->mask_by_category_[c.id]);  // checked
  for (const DetectorSpec& d : set->detectors)
    if (!d.mask.empty()) ParseMaskRule(d.mask, s->mask_by_type_[d.id]);
  for (const TypeSpec& t : set->types)
    if (!t.mask.empty()) ParseMaskRule(t.mask, s->mask_by_type_[t.id]);
  auto m = MakeMatcher(options.engine, *set);
  if (!m) return m.error();
  s->matcher_ = *m;
  auto n = Normalizer::Create();
  if (!n) return n.error();
  s->normalizer_ = *n;
  return std::shared_ptr<const Scanner>(std::move(s));
}

MaskRule Scanner::MaskFor(const std::string& type, const std::string& category) const {
  if (auto it = mask_by_type_.find(type); it != mask_by_type_.end()) return it->second;
  if (auto it = mask_by_category_.find(category); it != mask_by_category_.end()) return it->second;
  return MaskRule::kHidden;  // unreachable: every category declares its mask (PatternSet)
}

std::unique_ptr<ScanContext> Scanner::NewContext(const KeyedHasher& hasher, ReferenceDate date) const {
  return std::make_unique<ScanContext>(shared_from_this(), hasher, date);
}

ScanContext::ScanContext(std::shared_ptr<const Scanner> scanner, KeyedHasher hasher, ReferenceDate date)
    : scanner_(std::move(scanner)), hasher_(std::move(hasher)) {
  mscratch_ = scanner_->matcher().NewScratch();
  dscratch_ = scanner_->detectors().NewScratch();
  if (!date.set()) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    date = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
  }
  detect_opt_.ref_year = date.year;
  detect_opt_.ref_month = date.month;
  detect_opt_.ref_day = date.day;
}

ScanContext::~ScanContext() = default;

std::unique_ptr<ScanContext> ScanContext::Clone() const {
  auto c = std::make_unique<ScanContext>(scanner_, hasher_);
  c->detect_opt_ = detect_opt_;
  return c;
}

void ScanContext::set_field_name(std::string_view name) {
  if (name.empty()) {
    detect_opt_.doc_labels = detect_opt_.doc_triggers = 0;
    return;
  }
  // Every record of an export has the same few names.
  auto it = name_labels_.find(std::string(name));
  if (it == name_labels_.end()) {
    std::pair<uint64_t, uint64_t> bits{scanner_->detectors().NameLabels(name),
                                       scanner_->detectors().NameTriggers(name)};
    if (name_labels_.size() >= 4096) name_labels_.clear();
    it = name_labels_.emplace(std::string(name), bits).first;
  }
  detect_opt_.doc_labels = it->second.first;
  detect_opt_.doc_triggers = it->second.second;
}

namespace {

// Largest prefix length <= n that does not end inside a UTF-8 sequence.
size_t Utf8SafeCut(const char* b, size_t n) {
  size_t k = n;
  for (int back = 0; back < 4 && k > 0; ++back) {
    unsigned char c = static_cast<unsigned char>(b[k - 1]);
    if (c < 0x80) return n;                 // ASCII: whole prefix is fine
    if ((c & 0xC0) == 0xC0) {               // lead byte at k-1
      size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      return (n - (k - 1) >= need) ? n : k - 1;
    }
    --k;  // continuation byte
  }
  return n;
}

}  // namespace

MaskRule ScanContext::SetType(const TextFinding& tf, Finding& f) {
  const TypeFacts* facts = nullptr;
  if (use_type_facts_)
    for (const TypeFacts& t : type_facts_)
      if (t.detector == tf.detector && t.type == tf.type) {
        facts = &t;
        break;
      }
  if (!facts) {
    const DetectorSet& dets = scanner_->detectors();
    const DetectorSpec& spec = dets.spec(tf.detector);
    TypeFacts t{tf.detector, tf.type, &spec.category, &spec.subcategory, spec.redact, MaskRule::kHidden};
    if (tf.type != spec.id) {
      if (const TypeSpec* ts = dets.FindType(tf.type)) {
        t.category = &ts->category;
        t.redact = ts->redact;
      }
    }
    t.mask = scanner_->MaskFor(tf.type, *t.category);
    if (type_facts_.size() >= 64) type_facts_.clear();
    facts = &type_facts_.emplace_back(std::move(t));
  }
  f.type = tf.type;
  f.category = *facts->category;
  f.subcategory = *facts->subcategory;
  f.redact = facts->redact;
  return facts->mask;
}

Status ScanContext::Scan(ByteSource& in, const FindingFilter& filter, StreamSink& sink) {
  const ScanLimits& lim = scanner_->limits();
  const size_t guard = lim.overlap_bytes / 2;        // widest finding
  const size_t context = lim.overlap_bytes - guard;  // context kept before
  const size_t cap = lim.chunk_bytes + lim.overlap_bytes;
  buf_.clear();
  bytes_ = 0;
  uint64_t base = 0, committed = report_from_, last_end = 0;
  uint64_t line = 1, line_pos = 0, line_start = 0;
  bool eof = false, stop = false;
  const bool count_lines = count_lines_;
  auto advance_lines = [&](const char* data, uint64_t to) {
    if (!count_lines) return;
    const char* p = data + (line_pos - base);
    const char* e = data + (to - base);
    uint64_t n = CountNewlines(p, e);
    if (n) {
      line += n;
      const void* last = memrchr(p, '\n', static_cast<size_t>(e - p));
      line_start = base + static_cast<uint64_t>(static_cast<const char*>(last) + 1 - data);
    }
    line_pos = to;
  };
  // Bytes [base, base + have) are at `data`: a view of an in-memory source,
  // or buf_ filled by Read (the context kept from the last round moved to
  // its front).
  const bool viewed = in.CanView();
  const char* data = nullptr;
  size_t have = 0;
  auto fill = [&](size_t want) -> Status {
    if (viewed) {
      std::string_view v = in.View(base, want);
      data = v.data();
      have = v.size();
      eof = have < want;
      bytes_ = base + have;
      return Status::Ok();
    }
    have = buf_.size();
    buf_.resize(want);
    while (have < want) {
      auto r = in.Read(buf_.data() + have, want - have);
      if (!r) { buf_.resize(have); return r.error(); }
      if (*r == 0) { eof = true; break; }
      have += *r;
      bytes_ += *r;
    }
    buf_.resize(have);
    data = buf_.data();
    return Status::Ok();
  };
  while (!eof && !stop) {
    // Enough new bytes that the committed point always moves forward, even
    // when a UTF-8 sequence is cut at the end.
    const size_t want = std::max(cap, static_cast<size_t>(committed - base) + guard + lim.chunk_bytes + 4);
    if (Status st = fill(want); !st.ok()) return st;
    size_t limit = eof ? have : Utf8SafeCut(data, have);
    std::string_view raw(data, limit);
    std::string_view text = scanner_->normalizer().Normalize(raw, norm_, map_);
    if (Status s = scanner_->matcher().Scan(text, *mscratch_, results_); !s.ok()) return s;
    tfind_.clear();
    detect_opt_.raw_map = &map_;
    scanner_->detectors().Detect(text, results_, detect_opt_, *dscratch_, tfind_);
    detect_opt_.raw_map = nullptr;
    uint64_t report_end = eof ? base + limit : std::max(committed, base + (limit > guard ? limit - guard : 0));
    for (const TextFinding& tf : tfind_) {
      uint64_t s = base + map_.Start(tf.start);
      uint64_t e = base + map_.End(tf.end);
      if (s < committed || s < last_end || s >= report_end) continue;
      Finding& f = finding_;  // reused: its strings keep their capacity
      const MaskRule mask = SetType(tf, f);
      f.confidence = tf.confidence;
      f.rules = tf.rules;
      f.start = s;
      f.end = e;
      f.also = tf.also;
      if (!filter.Accepts(f)) continue;
      advance_lines(data, s);
      f.line = line;
      f.column = s - line_start + 1;
      MaskValueInto(mask, tf.normalized, f.masked);
      hasher_.HexInto(tf.normalized, f.hash);
      last_end = e;
      // Allowed (--allow): never reported nor redacted; its bytes stay
      // covered, so no shorter finding inside it is reported instead.
      if (filter.allow && filter.allow->Allows(tf.normalized, f.hash)) continue;
      if (!sink.OnFinding(f, std::string_view(data + (s - base), e - s))) { stop = true; break; }
    }
    if (stop) report_end = base + limit;  // hand over the rest unchanged
    advance_lines(data, report_end);
    if (Status st = sink.OnData(committed, std::string_view(data + (committed - base), report_end - committed));
        !st.ok())
      return st;
    committed = report_end;
    if (eof) break;
    uint64_t keep_from = std::max(base, committed > context ? committed - context : 0);
    if (!viewed) buf_.erase_front(keep_from - base);
    base = keep_from;
  }
  newlines_ = line - 1;
  if (stop) {  // pass the unread rest through untouched
    if (committed - base < have) {
      if (Status st = sink.OnData(committed, std::string_view(data + (committed - base), base + have - committed));
          !st.ok())
        return st;
      committed = base + have;
    }
    std::string rest(viewed ? 0 : 1 << 16, '\0');
    for (;;) {
      std::string_view piece;
      if (viewed) {
        piece = in.View(committed, 1 << 20);
      } else {
        auto r = in.Read(rest.data(), rest.size());
        if (!r) return r.error();
        piece = std::string_view(rest.data(), *r);
      }
      if (piece.empty()) break;
      if (Status st = sink.OnData(committed, piece); !st.ok()) return st;
      committed += piece.size();
    }
  }
  return Status::Ok();
}

Result<bool> ScanContext::ScanFields(std::string_view text, const std::vector<Field>& fields,
                                     const FindingFilter& filter, StreamSink& sink, std::vector<uint32_t>& found,
                                     FieldSkip* skip) {
  found.assign(fields.size(), kNotDetected);
  if (fields.empty()) return true;
  if (!batch_fields_ || count_lines_ || report_from_ != 0 || text.size() > scanner_->limits().chunk_bytes) return false;
  // Every field normalised as is (the common case): the normaliser leaves
  // the span unchanged and each field's map is the identity, as Scan()'s.
  const std::string_view span = text.substr(fields.front().begin, fields.back().end - fields.front().begin);
  if (scanner_->normalizer().FirstUnsafe(span) != span.size()) return false;
  ranges_.resize(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) ranges_[i] = {fields[i].begin, fields[i].end};
  auto ok = scanner_->matcher().ScanFields(text, ranges_, *mscratch_, field_results_);
  if (!ok) return ok.error();
  if (!*ok) return false;
  const DetectorSet& dets = scanner_->detectors();
  DetectOptions opt = detect_opt_;
  bytes_ = text.size();
  newlines_ = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    const MatchResults& m = field_results_[i];
    // No candidate (digit run, regex match, keyword, field-name trigger):
    // Detect would find nothing.
    if (m.runs.empty() && m.regex.empty() && m.keywords.empty() && fields[i].triggers == 0) continue;
    if (skip && skip->Skip(i)) continue;
    found[i] = 0;
    const std::string_view field = text.substr(fields[i].begin, fields[i].end - fields[i].begin);
    opt.doc_labels = fields[i].labels;
    opt.doc_triggers = fields[i].triggers;
    tfind_.clear();
    dets.Detect(field, m, opt, *dscratch_, tfind_);
    // As Scan()'s findings loop for one chunk at the end of the input, the
    // map the identity and lines not counted (line 1, column offset + 1).
    uint64_t last_end = 0;
    for (const TextFinding& tf : tfind_) {
      const uint64_t s = tf.start, e = tf.end;
      if (s < last_end || s >= field.size()) continue;
      Finding& f = finding_;
      const MaskRule mask = SetType(tf, f);
      f.confidence = tf.confidence;
      f.rules = tf.rules;
      f.start = fields[i].begin + s;
      f.end = fields[i].begin + e;
      f.also = tf.also;
      if (!filter.Accepts(f)) continue;
      f.line = 1;
      f.column = s + 1;
      MaskValueInto(mask, tf.normalized, f.masked);
      hasher_.HexInto(tf.normalized, f.hash);
      last_end = e;
      if (filter.allow && filter.allow->Allows(tf.normalized, f.hash)) continue;
      ++found[i];
      if (!sink.OnFinding(f, field.substr(s, e - s))) break;
    }
  }
  return true;
}

}  // namespace nordpii
