// SPDX-License-Identifier: Apache-2.0
// File: detectors.h
//
// DetectorSet turns matcher output (keyword hits, regex spans, digit runs)
// into findings on normalised text: it builds candidate values in the forms
// people write (digit groups, HETU signs, IBAN country letters, phone
// prefixes, values after a password/passport label), asks the validator
// plugin, applies context (labels raise confidence, negative context such as
// "order"/"invoice"/"phone" lowers it, some types need a label), and resolves
// overlaps (the strongest finding wins; others that validated on the same
// bytes are listed in `also`). Both matcher engines feed it identically.
//
// Immutable and thread-safe after Create(); per-thread buffers live in
// DetectScratch.
#ifndef NORDPII_DETECT_DETECTORS_H_
#define NORDPII_DETECT_DETECTORS_H_

#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/finding.h"
#include "core/offset_map.h"
#include "core/status.h"
#include "detect/plugin_registry.h"
#include "match/matcher.h"
#include "match/pattern_set.h"

namespace nordpii {

// A validator's canonical value, held in place: at most 63 bytes (what
// nordpii_verdict::normalized holds), so no heap block per finding (as a
// std::string, a value past its 15 in-place bytes, i.e. nearly every e-mail
// address, cost a malloc and a free).
class NormalizedValue {
 public:
  static constexpr size_t kMax = 63;
  // The bytes up to the first NUL, at most kMax of them.
  void assign(const char* s) { set(s, strnlen(s, kMax)); }
  // At most kMax bytes of v (the rest is dropped).
  void assign(std::string_view v) { set(v.data(), v.size() < kMax ? v.size() : kMax); }
  std::string_view view() const { return {bytes_, len_}; }
  operator std::string_view() const { return view(); }
  size_t size() const { return len_; }
  bool empty() const { return len_ == 0; }
  bool operator==(const NormalizedValue& o) const { return view() == o.view(); }
  bool operator==(std::string_view o) const { return view() == o; }

 private:
  void set(const char* s, size_t n) {
    std::memcpy(bytes_, s, n);
    len_ = static_cast<uint8_t>(n);
  }
  uint8_t len_ = 0;
  char bytes_[kMax];
};

// A finding before it is mapped back to input bytes.
struct TextFinding {
  uint32_t detector;
  uint32_t start, end;  // normalised-text offsets
  std::string type;
  Confidence confidence;
  uint32_t rules;
  int status;
  // Labelled by a list of labels before the value ("Telefon, kennitala:
  // <v>"): kListChecksum, and its type's check digit holds; kListFirst, its
  // label is the list's first. Overlap resolution prefers, among equally
  // confident candidates, the larger `list` (checksum first, then first
  // label: DetectorSet). The engine's alone: never reported, and apart from
  // `rules`, which a validator's verdict fills (a plugin's bits there were
  // read as these when they were rule bits).
  enum ListBits : uint8_t { kListFirst = 1, kListChecksum = 2 };
  uint8_t list = 0;
  NormalizedValue normalized;  // canonical value (hashed, never printed)
  std::string also;
};

struct DetectOptions {
  int ref_year = 2026, ref_month = 1, ref_day = 1;  // century reference for SE
  // Structural label of the whole text: the context keyword groups (label
  // and negative, LabelIndex bits from DetectorSet::NameLabels) named by the
  // JSON key or CSV column header the text is the value of. They apply to
  // every value in the text, wherever it stands. 0 = none.
  uint64_t doc_labels = 0;
  // The after-keyword triggers (password, passport labels) the field name
  // names: the whole field, when it is one token, is that detector's value
  // (a column "passnummer", a key "password"). DetectorSet::NameTriggers.
  uint64_t doc_triggers = 0;
  // Where the text's offsets came from in the input (the normaliser's map;
  // null = the same offsets): the repeat rule measures its distance in
  // input bytes, so a chunk or range cut cannot change what it finds.
  const OffsetMap* raw_map = nullptr;
};

// A value that needs a label repeated near a labelled copy of itself counts
// as labelled (rule "repeat"): "CPR 010190-1234 … vedr. 010190-1234". Near =
// this many input bytes between their starts: every streamed chunk or
// parallel range that reports one of them holds the other and its label
// (limits.h: a chunk keeps 1 KiB of context before and a 1 KiB guard after
// what it reports; a label is at most kMaxContextBytes before its value).
inline constexpr uint32_t kRepeatDistance = 512;

// Per-thread buffers of DetectorSet::Detect (reused across calls).
class DetectScratch {
 public:
  struct Group {
    int first;  // index of its first digit in `digits`
    int count;  // digits in the group
    char sep;   // separator before the group ('\n' = line break); 0 for the first
  };
  std::string digits;
  std::vector<uint32_t> dpos;  // text offset of each digit
  std::vector<Group> groups;
  std::vector<TextFinding> cands;
  // The repeat rule's two lists: candidates that validated but need a label
  // and had none, and the candidates (indexes into `cands`) of such types
  // that had one. An unlabelled one is kept in 8 bytes (a window of 1 MiB
  // of 8-digit numbers holds ~116 k): its value is the digits of its text
  // bytes, read again by FromRepeats (only such candidates are kept).
  struct Unlabelled {
    uint32_t start;
    uint16_t detector;
    uint8_t span;   // end - start
    uint8_t flags;  // NORDPII_INPUT_* (all fit in 8 bits)
  };
  std::vector<Unlabelled> unlabelled;
  std::vector<uint32_t> labelled;
  std::vector<std::pair<uint64_t, uint32_t>> near;  // FromRepeats: (input offset, index) of `labelled`
  std::vector<uint32_t> order, cluster, kept, merged;
  std::vector<size_t> stretch_end;  // Detect: where each builder step's candidates end
  // What the forms make of a digit run's structure, by the structure (the
  // run's bytes with its digits as 'D'): DetectorSet::Detect looks a run up
  // here first and skips one that no form can take without parsing it.
  // Filled by Detect (a direct-mapped cache; `owner` names the DetectorSet
  // that filled an entry, 0 = empty).
  struct RunPlan {
    uint64_t key[4];
    uint64_t owner;
    uint8_t nd;      // digits in the run
    uint8_t second;  // offset of its second digit
    // Bit (left edge glued to a letter or digit) * 2 + (right edge glued):
    uint8_t parse;   // a plain shape, HETU or IBAN candidate is possible
    uint8_t date;    // date-then-rest is, if any byte follows
    uint8_t masked;  // masked rest is, if a masking character follows
    uint8_t plain;   // only plain shapes can take it: `take` is all there is to try
    // The candidates PlainShapes tries, in its order, when neither edge is
    // glued; `edges` bit 0 / 1: not when the left / right edge is glued.
    struct Take {
      uint32_t detector;
      uint8_t first, count;         // digits (indexes into the run's digits)
      uint8_t start_off, end_off;   // the candidate's bytes, from the run's start
      uint8_t flags, edges;         // NORDPII_INPUT_*; edges as above
      bool grouped;
    };
    uint8_t ntake;
    uint8_t digit_off[32];  // offset of each digit from the run's start
    Take take[4];
  };
  std::vector<RunPlan> plans;
  bool use_plans = true;      // false: every run parsed (tests compare the two)
  uint64_t runs_skipped = 0;  // runs the plans rejected unparsed (tests)
  uint64_t tries = 0;         // candidates handed to a validator (tests)
};

class DetectorSet {
 public:
  static Result<std::shared_ptr<const DetectorSet>> Create(
      const PatternSet& set, std::shared_ptr<const PluginRegistry> registry);
  ~DetectorSet();

  std::unique_ptr<DetectScratch> NewScratch() const;
  // Appends findings for `text` (sorted by start) to `out`.
  void Detect(std::string_view text, const MatchResults& m, const DetectOptions& opt,
              DetectScratch& scratch, std::vector<TextFinding>& out) const;

  // The context keyword groups a field name names ("cpr", "cf_fodselsnummer",
  // "customerCpr", "order_no"): looked up in the name as written, with
  // '_' '.' '-' '[' ']' '/' ':' and digits read as spaces, and with camelCase
  // split. For DetectOptions::doc_labels.
  uint64_t NameLabels(std::string_view name) const;
  uint64_t NameTriggers(std::string_view name) const;

  // The fewest digits a candidate made from a digit run alone can have:
  // the shortest shape of a plain or phone detector (INT_MAX: none). A text
  // of only ASCII digits, not starting with "00", with fewer digits gives
  // Detect no candidate from its run: the other digit forms need a byte
  // that is not a digit in or beside the run (HETU sign or check letter,
  // IBAN country letters, a mask, the separators of date-then-rest, '+' /
  // "00" / "(0)" of an international phone number).
  int MinShapeDigits() const { return min_shape_digits_; }

  // Keeps the strongest of overlapping candidates; moves them to `out`
  // sorted by start (Detect's last step; public for its test). The
  // candidates come in stretches that end at sc.stretch_end (offsets into
  // `cands`; empty: one stretch), each best nearly in (start, end) order.
  void ResolveOverlaps(std::vector<TextFinding>& cands, DetectScratch& sc,
                       std::vector<TextFinding>& out) const;

  const PatternSet& patterns() const { return set_; }
  const DetectorSpec& spec(uint32_t detector) const { return set_.detectors[detector]; }
  // The [[type]] entry for a finer type id, or nullptr.
  const TypeSpec* FindType(const std::string& id) const {
    for (const TypeSpec& t : set_.types)
      if (t.id == id) return &t;
    return nullptr;
  }

 private:
  struct Impl;
  class CandidateBuilder;
  DetectorSet() = default;
  PatternSet set_;
  std::shared_ptr<const PluginRegistry> registry_;
  std::unique_ptr<Impl> impl_;
  int min_shape_digits_ = INT_MAX;
  uint64_t id_ = 0;  // unique per DetectorSet (DetectScratch::RunPlan::owner)
};

}  // namespace nordpii

#endif  // NORDPII_DETECT_DETECTORS_H_
