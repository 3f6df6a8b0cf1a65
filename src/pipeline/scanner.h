// SPDX-License-Identifier: Apache-2.0
// File: scanner.h
//
// Scanner: the compiled engine (patterns, plugins, matcher, normaliser) —
// immutable, shared by all threads. ScanContext: one per thread, owns the
// scratch and buffers, and streams one input at a time through
//   normalise (+ OffsetMap) -> match -> validate/context -> StreamSink.
//
// Streaming: input is read in chunks of ScanLimits::chunk_bytes. Each round
// re-scans the last overlap bytes of the previous round, reports exactly the
// findings that start in the newly committed region, and hands every input
// byte to the sink exactly once, in order (OnData). Memory is bounded by the
// chunk size whatever the input size; a 2 GB line is fine.
#ifndef NORDPII_PIPELINE_SCANNER_H_
#define NORDPII_PIPELINE_SCANNER_H_

#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/finding.h"
#include "core/keyed_hash.h"
#include "core/limits.h"
#include "core/status.h"
#include "detect/detectors.h"
#include "input/byte_source.h"
#include "match/matcher.h"
#include "normalize/normalizer.h"
#include "pipeline/allow_list.h"

namespace nordpii {

// The date the text was written (--reference-date): decides the century of
// 10-digit Swedish numbers and which birth dates lie in the future. Unset
// (year 0) = the UTC day the ScanContext is made.
struct ReferenceDate {
  int year = 0, month = 0, day = 0;
  bool set() const { return year != 0; }
};

struct ScannerOptions {
  std::string patterns_dir;            // directory of *.toml pattern files (the built-in one, or the
                                       // first --patterns DIR with --no-builtin-patterns)
  std::vector<std::string> more_patterns_dirs;  // loaded after it, adding to it (--patterns DIR)
  // patterns_dir, then more_patterns_dirs: one PatternSet (PatternSet::LoadDirs).
  std::vector<std::string> PatternDirs() const {
    std::vector<std::string> dirs{patterns_dir};
    dirs.insert(dirs.end(), more_patterns_dirs.begin(), more_patterns_dirs.end());
    return dirs;
  }
  std::string engine = "auto";         // hyperscan | re2 | auto
  std::vector<std::string> plugins;    // shared objects for --plugin
  ScanLimits limits;
  // PatternDirs() as BuildSettings loaded them (it checks --categories and
  // --ticket-map against them): Scanner::Create takes this set instead of
  // reading and parsing the files a second time (~7 M instructions, ~1 ms
  // of every run); the Scanner does not keep it. Null: the directories are
  // loaded.
  std::shared_ptr<const PatternSet> loaded;
};

// Receives the results of one stream, in input order.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // A finding; `raw` is the input bytes [f.start, f.end) (for the redactor
  // only: never print it). Return false to stop scanning.
  virtual bool OnFinding(const Finding& f, std::string_view raw) = 0;
  // Input bytes [offset, offset + bytes.size()), each byte exactly once, in
  // order; findings starting in this range were delivered before it.
  virtual Status OnData(uint64_t offset, std::string_view bytes) {
    (void)offset; (void)bytes;
    return Status::Ok();
  }
  // Structured inputs (mail): a repair or limit worth reporting (the text
  // never contains input content), and a part that is not scanned because it
  // is not text (listed so nothing is skipped silently; `name` has long digit
  // runs masked).
  virtual void OnNote(std::string_view part, std::string_view text) { (void)part, (void)text; }
  virtual void OnAttachment(std::string_view part, std::string_view type, std::string_view name,
                            uint64_t size) {
    (void)part, (void)type, (void)name, (void)size;
  }
};

// Which findings reach the sink.
struct FindingFilter {
  std::set<std::string> categories;  // empty (and types empty) = all
  std::set<std::string> types;       // type ids accepted besides the categories
  Confidence min_confidence = Confidence::kLow;
  // --allow: findings of these values are dropped (after validation and
  // hashing, before the sink) and counted there. nullptr = none.
  std::shared_ptr<const AllowList> allow;
  bool Accepts(const Finding& f) const {
    return f.confidence >= min_confidence &&
           ((categories.empty() && types.empty()) || categories.count(f.category) || types.count(f.type));
  }
};

class ScanContext;

class Scanner : public std::enable_shared_from_this<Scanner> {
 public:
  // Errors of the pattern files, plugins and regexes show no number of 6 or
  // more digits outside the files' paths (core/hide_values.h).
  static Result<std::shared_ptr<const Scanner>> Create(const ScannerOptions& options);
  // A context for one thread with the key and the reference date (fixed
  // for the context's life: no setter).
  std::unique_ptr<ScanContext> NewContext(const KeyedHasher& hasher, ReferenceDate date = {}) const;

  const DetectorSet& detectors() const { return *detectors_; }
  const Matcher& matcher() const { return *matcher_; }
  const Normalizer& normalizer() const { return *normalizer_; }
  const ScanLimits& limits() const { return options_.limits; }
  // How findings of `type` are masked: the type's own `mask` in the pattern
  // data, else its category's (patterns/categories.toml).
  MaskRule MaskFor(const std::string& type, const std::string& category) const;

 private:
  Scanner() = default;
  static Result<std::shared_ptr<const Scanner>> CreateUnhidden(const ScannerOptions& options);
  ScannerOptions options_;
  std::shared_ptr<const Normalizer> normalizer_;
  std::shared_ptr<const Matcher> matcher_;
  std::shared_ptr<const DetectorSet> detectors_;
  std::unordered_map<std::string, MaskRule> mask_by_type_, mask_by_category_;
};

// A growable byte buffer whose growth does not zero-fill the new bytes
// (std::string::resize would memset every chunk before read() overwrites it).
class ByteBuffer {
 public:
  char* data() { return p_.get(); }
  const char* data() const { return p_.get(); }
  size_t size() const { return size_; }
  void clear() { size_ = 0; }
  // Sets the size; bytes below the old size are kept, new ones are uninitialised.
  void resize(size_t n) {
    if (n > cap_) {
      std::unique_ptr<char[]> q(new char[n]);
      if (size_) std::memcpy(q.get(), p_.get(), size_);
      p_ = std::move(q);
      cap_ = n;
    }
    size_ = n;
  }
  // Drops the first n bytes.
  void erase_front(size_t n) {
    std::memmove(p_.get(), p_.get() + n, size_ - n);
    size_ -= n;
  }
  std::string_view view() const { return {p_.get(), size_}; }

 private:
  std::unique_ptr<char[]> p_;
  size_t size_ = 0, cap_ = 0;
};

class ScanContext {
 public:
  ScanContext(std::shared_ptr<const Scanner> scanner, KeyedHasher hasher, ReferenceDate date = {});
  ~ScanContext();
  // Streams `in` to `sink`. `path` is copied into each Finding's report.
  Status Scan(ByteSource& in, const FindingFilter& filter, StreamSink& sink);
  const DetectOptions& detect_options() const { return detect_opt_; }
  // The name of the field the next Scan()s read as one document (a JSON
  // key, a CSV column header): the context keywords it names label every
  // value in it (DetectOptions::doc_labels). "" = none (plain text, mail).
  void set_field_name(std::string_view name);
  // The same with the name's labels and triggers already worked out
  // (DetectorSet::NameLabels, NameTriggers), e.g. once per JSON path.
  void set_field_labels(uint64_t labels, uint64_t triggers) {
    detect_opt_.doc_labels = labels;
    detect_opt_.doc_triggers = triggers;
  }
  const DetectorSet& detectors() const { return scanner_->detectors(); }
  uint64_t bytes_scanned() const { return bytes_; }
  // Findings (and OnData) of the next Scan()s start at this input offset;
  // the bytes before it are read as context only (a range of a larger file
  // scanned by one of several threads: pipeline/parallel_text.h). 0 = all.
  void set_report_from(uint64_t offset) { report_from_ = offset; }
  // A context with the same scanner, key and detection options (reference
  // date), for another thread.
  std::unique_ptr<ScanContext> Clone() const;
  size_t overlap_bytes() const { return scanner_->limits().overlap_bytes; }
  const ScanLimits& limits() const { return scanner_->limits(); }
  // Line breaks in the input of the last Scan() (all of it unless the sink
  // stopped it).
  uint64_t newlines() const { return newlines_; }
  // Whether Scan() counts lines: Finding::line / column and newlines().
  // Off for a caller that sets them itself (ticket fields: record number,
  // column in the record), which saves a newline count over every byte of
  // every field; then line is 1, column the offset + 1, newlines() 0.
  void set_count_lines(bool on) { count_lines_ = on; }

  // Fields of one text, each its own document (ticket fields): the
  // findings of each, in field order, are exactly those of Scan() over the
  // field's text alone with set_field_labels(labels, triggers) and lines not
  // counted — offsets in the field plus `begin` — but the normaliser check
  // and the matcher run once over the text (Matcher::ScanFields) and the
  // detectors only for fields with a candidate. found[i] counts the
  // findings handed to the sink for field i, kNotDetected for a field the
  // detectors did not see (no candidate, or `skip` said so: a caller's memo
  // of texts known to give nothing, asked only for fields with a candidate).
  // A finding the sink refuses
  // (OnFinding false) ends its field's findings, as it ends a Scan().
  // Returns false, having reported nothing, where that cannot be
  // guaranteed (text longer than a chunk or not normalised as is, lines
  // counted, set_report_from, an engine or pattern set without
  // Matcher::ScanFields): then scan the fields one by one.
  struct Field {
    uint32_t begin, end;
    uint64_t labels, triggers;
  };
  // A text of only ASCII digits, not starting with "00", with fewer digits
  // than this gives no finding when its field name triggers nothing
  // (doc_triggers 0): the engine's matches all need a letter
  // (Matcher::MatchesNeedLetter) and its digit run is shorter than every
  // shape (DetectorSet::MinShapeDigits). 0 when that cannot be said.
  size_t DigitsOnlyQuietBelow() const {
    if (!scanner_->matcher().MatchesNeedLetter()) return 0;
    return static_cast<size_t>(scanner_->detectors().MinShapeDigits());
  }
  // Off: ScanFields always declines (tests compare it with field-by-field
  // scanning).
  void set_batch_fields(bool on) { batch_fields_ = on; }
  // Off: a finding's category, subcategory, redaction default and mask
  // rule are looked up for each finding, not once per (detector, type)
  // (tests compare the two).
  void set_type_facts(bool on) { use_type_facts_ = on; }
  static constexpr uint32_t kNotDetected = UINT32_MAX;
  class FieldSkip {
   public:
    virtual ~FieldSkip() = default;
    virtual bool Skip(size_t field) = 0;
  };
  Result<bool> ScanFields(std::string_view text, const std::vector<Field>& fields, const FindingFilter& filter,
                          StreamSink& sink, std::vector<uint32_t>& found, FieldSkip* skip = nullptr);

 private:
  std::shared_ptr<const Scanner> scanner_;
  KeyedHasher hasher_;
  std::unique_ptr<MatcherScratch> mscratch_;
  std::unique_ptr<DetectScratch> dscratch_;
  DetectOptions detect_opt_;
  ByteBuffer buf_;
  std::string norm_;
  OffsetMap map_;
  MatchResults results_;
  std::vector<TextFinding> tfind_;
  Finding finding_;
  // What a finding of a detector and type is shown as (its [[type]] entry
  // or its detector's, the mask rule of the two), for the pairs seen (up
  // to 64; findings come in few types): no type list walk and no two hash
  // lookups per finding.
  struct TypeFacts {
    uint32_t detector;
    std::string type;
    const std::string* category;
    const std::string* subcategory;
    bool redact;
    MaskRule mask;
  };
  std::vector<TypeFacts> type_facts_;
  bool use_type_facts_ = true;
  // Sets f's type, category, subcategory and redact for tf; returns its mask rule.
  MaskRule SetType(const TextFinding& tf, Finding& f);
  uint64_t bytes_ = 0;
  uint64_t report_from_ = 0;
  uint64_t newlines_ = 0;
  bool count_lines_ = true;
  bool batch_fields_ = true;
  std::vector<Matcher::FieldRange> ranges_;    // ScanFields
  std::vector<MatchResults> field_results_;    // ScanFields, per field
  // set_field_name: labels and triggers per name, bounded
  std::unordered_map<std::string, std::pair<uint64_t, uint64_t>> name_labels_;
};

}  // namespace nordpii

#endif  // NORDPII_PIPELINE_SCANNER_H_
