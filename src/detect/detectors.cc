#include "detect/detectors.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstring>

#include "core/utf8.h"
#include "detect/label_index.h"

namespace nordpii {
namespace {

constexpr int kMaxDigits = 32;

using Group = DetectScratch::Group;

struct Det {
  const nordpii_validator* validator = nullptr;
  uint64_t label_mask = 0;     // LabelIndex bits of the label groups
  uint64_t negative_mask = 0;  // LabelIndex bits of the negative-context groups
  std::vector<uint32_t> triggers;
  std::shared_ptr<RE2> value_re;    // after-keyword
};

bool IsSoftSeparator(char c) { return c == ' ' || c == '\t' || c == '\n'; }

uint32_t SepCode(char c) {
  switch (c) {
    case ' ': return 1;
    case '\t': return 2;
    case '.': return 4;
    case '-': return 8;
    case '/': return 16;
    case '+': return 32;
    case '\n': return 64;
    default: return 128;
  }
}

bool IsHetuSign(char c) {
  c = static_cast<char>(c & ~0x20);
  return (c >= 'A' && c <= 'F') || (c >= 'U' && c <= 'Y');
}
bool IsHetuCheck(char c) {
  if (c >= '0' && c <= '9') return true;
  c = static_cast<char>(c & ~0x20);
  return c >= 'A' && c <= 'Y' && c != 'G' && c != 'I' && c != 'O' && c != 'Q';
}
bool IsDigitC(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

struct DetectorSet::Impl {
  std::vector<Det> dets;
  // Shapes of plain/phone detectors by digit count, as bit masks: allowed
  // break offsets and allowed separator codes (SepCode), so matching a
  // sub-run against a shape is two AND operations.
  struct ShapeMask {
    uint32_t detector;
    uint32_t breaks;
    uint32_t seps;
    bool any_breaks;
  };
  std::vector<std::vector<ShapeMask>> shapes_by_len = std::vector<std::vector<ShapeMask>>(kMaxDigits + 1);
  std::vector<uint32_t> hetu, iban, phone, regex_dets;
  std::vector<std::vector<uint32_t>> by_trigger;  // keyword group -> detectors
  LabelIndex labels;
};

DetectorSet::~DetectorSet() = default;

Result<std::shared_ptr<const DetectorSet>> DetectorSet::Create(
    const PatternSet& set, std::shared_ptr<const PluginRegistry> registry) {
  if (Status s = set.Check(registry->Names()); !s.ok()) return s;
  std::shared_ptr<DetectorSet> ds(new DetectorSet());
  ds->set_ = set;
  ds->registry_ = std::move(registry);
  ds->impl_ = std::make_unique<Impl>();
  Impl& im = *ds->impl_;
  im.by_trigger.resize(set.keywords.size());
  im.labels.Build(set);
  for (size_t i = 0; i < set.detectors.size(); ++i) {
    const DetectorSpec& d = set.detectors[i];
    Det det;
    det.validator = ds->registry_->Find(d.validator);
    for (const auto& k : d.keywords)
      det.label_mask |= im.labels.GroupBit(static_cast<size_t>(set.KeywordGroupIndex(k)));
    for (const auto& k : d.negative)
      det.negative_mask |= im.labels.GroupBit(static_cast<size_t>(set.KeywordGroupIndex(k)));
    for (const auto& k : d.trigger) {
      uint32_t g = static_cast<uint32_t>(set.KeywordGroupIndex(k));
      det.triggers.push_back(g);
      im.by_trigger[g].push_back(static_cast<uint32_t>(i));
    }
    if (d.source == DetectorSource::kAfterKeyword) {
      RE2::Options opt;
      opt.set_log_errors(false);
      det.value_re = std::make_shared<RE2>(d.value, opt);
      if (!det.value_re->ok() || det.value_re->NumberOfCapturingGroups() != 1)
        return Error(ErrorCode::kInvalidArgument,
                     d.file + ":" + std::to_string(d.line) + ": detector '" + d.id +
                         "': 'value' must be a valid RE2 regex with exactly one capture group");
    }
    if (d.source == DetectorSource::kDigits) {
      switch (d.form) {
        case DigitForm::kPlain:
          break;
        case DigitForm::kHetu: im.hetu.push_back(static_cast<uint32_t>(i)); break;
        case DigitForm::kIban: im.iban.push_back(static_cast<uint32_t>(i)); break;
        case DigitForm::kPhone:
          im.phone.push_back(static_cast<uint32_t>(i));
          break;
      }
      if (d.form == DigitForm::kPlain || d.form == DigitForm::kPhone) {
        for (const Shape& sh : d.shapes) {
          if (sh.digits > kMaxDigits) continue;
          Impl::ShapeMask m{static_cast<uint32_t>(i), 0, 0, sh.any_breaks};
          for (int b : sh.breaks) m.breaks |= 1u << b;
          for (char c : sh.separators) m.seps |= SepCode(c);
          im.shapes_by_len[static_cast<size_t>(sh.digits)].push_back(m);
        }
      }
    }
    if (d.source == DetectorSource::kRegex) im.regex_dets.push_back(static_cast<uint32_t>(i));
    im.dets.push_back(std::move(det));
  }
  return std::shared_ptr<const DetectorSet>(std::move(ds));
}

std::unique_ptr<DetectScratch> DetectorSet::NewScratch() const {
  return std::make_unique<DetectScratch>();
}

namespace {

// Whether a label / negative-context keyword applies to a candidate.
struct ContextResult {
  bool label = false, negative = false;
};

// A keyword only counts when no digit stands between it and the value, so a
// label belongs to the nearest number after it ("fnr 1 og konto 2": "fnr"
// labels only 1).
constexpr size_t kLabelAfterBytes = 3;

constexpr uint64_t kAllGroups = ~uint64_t{0};

// Bits of the context keyword groups that apply to the value [start, end).
uint64_t Context(std::string_view text, const LabelIndex& idx, uint64_t want, uint32_t start,
                 uint32_t end, int window) {
  if (!want) return 0;
  size_t lo = start > static_cast<uint32_t>(window) ? start - static_cast<size_t>(window) : 0;
  size_t floor = lo > idx.max_len() ? lo - idx.max_len() : 0;
  size_t seg = start;  // just after the last digit before the value
  while (seg > floor && !IsDigitC(text[seg - 1])) --seg;
  uint64_t found = start > seg ? idx.Find(text, seg, start - 1, start, lo) : 0;
  // A label right after the value counts too ("995 525 828 MVA", "... (fnr)"),
  // unless a number follows the label: then it labels that number.
  size_t to = std::min(text.size(), end + kLabelAfterBytes + idx.max_len());
  size_t last_start = end;
  while (last_start < end + kLabelAfterBytes && last_start < text.size() &&
         !IsDigitC(text[last_start]))
    ++last_start;
  size_t max_end = 0;
  uint64_t after = idx.Find(text, end, last_start, to, 0, &max_end);
  if (after) {
    bool digit = false;
    for (size_t p = max_end; p < text.size() && p < max_end + 24 && !digit; ++p) digit = IsDigitC(text[p]);
    if (!digit) found |= after;
  }
  return found & want;
}

}  // namespace

void DetectorSet::Detect(std::string_view text, const MatchResults& m, const DetectOptions& opt,
                         DetectScratch& sc, std::vector<TextFinding>& out) const {
  const Impl& im = *impl_;
  auto& cands = sc.cands;
  cands.clear();

  uint32_t ctx_start = UINT32_MAX, ctx_end = 0;
  int ctx_window = -1;
  uint64_t ctx_all = 0;
  // Validates `value` for detector d; pushes a candidate with context applied.
  auto try_value = [&](uint32_t d, const char* value, size_t len, uint32_t flags, uint32_t start,
                       uint32_t end) {
    const Det& det = im.dets[d];
    const DetectorSpec& spec = set_.detectors[d];
    nordpii_input in{sizeof(nordpii_input), value, len, opt.ref_year, opt.ref_month, opt.ref_day, flags};
    nordpii_verdict v;  // validators fill every field they report (ABI contract)
    v.struct_size = sizeof(v);
    v.status = NORDPII_INVALID;
    v.type_id[0] = 0;
    v.normalized[0] = 0;
    if (det.validator->validate(&in, &v) != 0 || v.status == NORDPII_INVALID) return;
    v.normalized[sizeof(v.normalized) - 1] = 0;
    v.type_id[sizeof(v.type_id) - 1] = 0;
    int conf = v.confidence;
    uint32_t rules = v.rules;
    if (rules & NORDPII_RULE_TEST) conf = std::min(conf, 1);
    // Several detectors often validate the same bytes: compute context once.
    if (start != ctx_start || end != ctx_end || spec.window != ctx_window) {
      ctx_all = Context(text, im.labels, kAllGroups, start, end, spec.window);
      ctx_start = start, ctx_end = end, ctx_window = spec.window;
    }
    ContextResult ctx{(ctx_all & det.label_mask) != 0, (ctx_all & det.negative_mask) != 0};
    if (ctx.label) {
      rules |= kRuleKeyword;
      conf = std::min(conf + 1, 3);
    } else {
      if (rules & NORDPII_RULE_NEEDS_CONTEXT) return;
      // Negative context ("ordre", "faktura", "tlf", "timestamp") without a
      // label: the number is taken for what the text says it is.
      if (ctx.negative) return;
    }
    TextFinding f;
    f.detector = d;
    f.start = start;
    f.end = end;
    f.type = v.type_id[0] ? std::string(v.type_id) : spec.id;
    f.confidence = static_cast<Confidence>(std::clamp(conf, 1, 3));
    f.rules = rules & ~static_cast<uint32_t>(NORDPII_RULE_NEEDS_CONTEXT);
    f.status = v.status;
    f.normalized = v.normalized;
    cands.push_back(std::move(f));
  };

  // --- Digit runs -----------------------------------------------------------
  for (const DigitRun& run : m.runs) {
    // No form needs fewer than 6 digits (the HETU date): skip short runs
    // (years, times, small amounts) before any parsing.
    if (run.end - run.start < 6) continue;
    // Parse the run into digits (with their offsets) and groups, writing
    // into buffers sized once per run (no per-digit push_back).
    const size_t rl = run.end - run.start;
    if (sc.digits.size() < rl) {
      sc.digits.resize(rl);
      sc.dpos.resize(rl);
      sc.groups.resize(rl);
    }
    char* dg = sc.digits.data();
    uint32_t* dp = sc.dpos.data();
    Group* gr = sc.groups.data();
    int nd = 0, ngr = 0;
    char pending_sep = 0;
    for (uint32_t p = run.start; p < run.end; ++p) {
      char c = text[p];
      if (IsDigitC(c)) {
        if (ngr == 0 || pending_sep) {
          gr[ngr++] = {nd, 0, pending_sep};
          pending_sep = 0;
        }
        gr[ngr - 1].count++;
        dg[nd] = c;
        dp[nd++] = p;
      } else if (!pending_sep) {
        pending_sep = (c == '\r' || c == '\n' || c == '>') ? '\n' : c;
      } else if (c == '\n') {
        pending_sep = '\n';
      }
    }
    const int ng = ngr;
    // Longest digit count any sub-run can have is nd; no detector is interested
    // in runs of fewer than 6 digits.
    if (nd < 6) continue;
    const bool left_glued = WordCharBefore(text, run.start);
    const bool right_glued = WordCharAt(text, run.end);
    auto group_end_pos = [&](int g) {
      const Group& G = sc.groups[static_cast<size_t>(g)];
      return sc.dpos[static_cast<size_t>(G.first + G.count - 1)] + 1;
    };
    auto group_start_pos = [&](int g) { return sc.dpos[static_cast<size_t>(sc.groups[static_cast<size_t>(g)].first)]; };

    // Plain shapes (and national phone shapes): every group sub-sequence.
    for (int gi = 0; gi < ng; ++gi) {
      if (gi == 0 ? left_glued : !IsSoftSeparator(gr[gi].sep)) continue;
      int a = gr[gi].first;
      uint32_t brk = 0, seps = 0, flags = 0;
      for (int gj = gi; gj < ng; ++gj) {
        const Group& last = gr[gj];
        int n = last.first + last.count - a;
        if (n > kMaxDigits) break;
        if (gj > gi) {
          brk |= 1u << (last.first - a);
          seps |= SepCode(last.sep);
          if (last.sep == '+') flags |= NORDPII_INPUT_PLUS_SEPARATOR;
        }
        const auto& shapes = im.shapes_by_len[static_cast<size_t>(n)];
        if (shapes.empty()) continue;
        bool right_ok = gj == ng - 1 ? !right_glued : IsSoftSeparator(gr[gj + 1].sep);
        if (!right_ok) continue;
        uint32_t last_det = UINT32_MAX;
        for (const Impl::ShapeMask& sm : shapes) {
          if (sm.detector == last_det) continue;
          if ((seps & ~sm.seps) != 0 || (!sm.any_breaks && (brk & ~sm.breaks) != 0)) continue;
          last_det = sm.detector;
          try_value(sm.detector, dg + a, static_cast<size_t>(n), flags, dp[a], dp[last.first + last.count - 1] + 1);
        }
      }
    }

    // HETU: DDMMYY{sign}ZZZ{check}.
    if (!im.hetu.empty()) {
      for (int gi = 0; gi < ng; ++gi) {
        if (gi == 0 ? left_glued : !IsSoftSeparator(sc.groups[static_cast<size_t>(gi)].sep)) continue;
        const Group& G = sc.groups[static_cast<size_t>(gi)];
        if (G.count != 6) continue;
        char v[11];
        std::memcpy(v, sc.digits.data() + G.first, 6);
        uint32_t start = group_start_pos(gi);
        if (gi + 1 < ng) {  // sign '-' or '+' was a separator
          const Group& H = sc.groups[static_cast<size_t>(gi + 1)];
          if (H.sep != '-' && H.sep != '+') continue;
          v[6] = H.sep;
          if (H.count == 4 && (gi + 2 < ng ? IsSoftSeparator(sc.groups[static_cast<size_t>(gi + 2)].sep) : !right_glued)) {
            std::memcpy(v + 7, sc.digits.data() + H.first, 4);
            for (uint32_t d : im.hetu) try_value(d, v, 11, 0, start, group_end_pos(gi + 1));
          } else if (H.count == 3 && gi + 2 == ng && right_glued) {
            uint32_t e = run.end;
            if (e < text.size() && IsHetuCheck(text[e]) && !WordCharAt(text, e + 1)) {
              std::memcpy(v + 7, sc.digits.data() + H.first, 3);
              v[10] = text[e];
              for (uint32_t d : im.hetu) try_value(d, v, 11, 0, start, e + 1);
            }
          }
        } else if (right_glued) {  // letter sign glued to the run's end
          uint32_t e = run.end;
          if (e + 5 <= text.size() && IsHetuSign(text[e]) && IsDigitC(text[e + 1]) &&
              IsDigitC(text[e + 2]) && IsDigitC(text[e + 3]) && IsHetuCheck(text[e + 4]) &&
              !WordCharAt(text, e + 5)) {
            v[6] = text[e];
            std::memcpy(v + 7, text.data() + e + 1, 4);
            for (uint32_t d : im.hetu) try_value(d, v, 11, 0, start, e + 5);
          }
        }
      }
    }

    // IBAN: two ASCII letters glued before the run.
    if (!im.iban.empty() && left_glued && run.start >= 2 && IsAsciiAlpha(text[run.start - 1]) &&
        IsAsciiAlpha(text[run.start - 2]) && !WordCharBefore(text, run.start - 2)) {
      char v[40];
      v[0] = static_cast<char>(text[run.start - 2] & ~0x20);
      v[1] = static_cast<char>(text[run.start - 1] & ~0x20);
      for (int gj = 0; gj < ng; ++gj) {
        const Group& last = sc.groups[static_cast<size_t>(gj)];
        int n = last.first + last.count;
        if (n + 2 > 34) break;
        bool right_ok = gj == ng - 1 ? !right_glued : IsSoftSeparator(sc.groups[static_cast<size_t>(gj + 1)].sep);
        bool seps_ok = true;
        for (int g = 1; g <= gj; ++g)
          if (sc.groups[static_cast<size_t>(g)].sep != ' ') seps_ok = false;
        if (!right_ok || !seps_ok || n < 13) continue;
        std::memcpy(v + 2, sc.digits.data(), static_cast<size_t>(n));
        for (uint32_t d : im.iban)
          try_value(d, v, static_cast<size_t>(n) + 2, NORDPII_INPUT_COUNTRY_PREFIX, run.start - 2,
                    group_end_pos(gj));
      }
    }

    // Phone with an international prefix: "+47 ..." or "0047 ...".
    if (!im.phone.empty()) {
      bool plus = run.start >= 1 && text[run.start - 1] == '+' && !WordCharBefore(text, run.start - 1);
      bool zz = !left_glued && nd > 2 && sc.digits[0] == '0' && sc.digits[1] == '0';
      if (plus || zz) {
        int skip = zz ? 2 : 0;
        for (int gj = 0; gj < ng; ++gj) {
          const Group& last = sc.groups[static_cast<size_t>(gj)];
          int n = last.first + last.count - skip;
          if (n > 15) break;
          bool right_ok = gj == ng - 1 ? !right_glued : IsSoftSeparator(sc.groups[static_cast<size_t>(gj + 1)].sep);
          if (!right_ok || n < 7) continue;
          for (uint32_t d : im.phone)
            try_value(d, sc.digits.data() + skip, static_cast<size_t>(n), NORDPII_INPUT_COUNTRY_PREFIX,
                      plus ? run.start - 1 : run.start, group_end_pos(gj));
        }
      }
    }
  }

  // --- Regex detectors ------------------------------------------------------
  for (const RegexMatch& rm : m.regex) {
    if (WordCharBefore(text, rm.start) || WordCharAt(text, rm.end)) continue;
    try_value(rm.detector, text.data() + rm.start, rm.end - rm.start, 0, rm.start, rm.end);
  }

  // --- Keyword-triggered detectors -------------------------------------------
  for (const KeywordHit& h : m.keywords) {
    for (uint32_t d : im.by_trigger[h.group]) {
      const DetectorSpec& spec = set_.detectors[d];
      if (spec.source == DetectorSource::kKeyword) {
        try_value(d, text.data() + h.start, h.end - h.start, 0, h.start, h.end);
        continue;
      }
      // "[PASSWORD:…]" is our own redaction marker, not a label.
      if (h.start > 0 && text[h.start - 1] == '[') continue;
      const Det& det = im.dets[d];
      size_t lim = std::min(text.size(), static_cast<size_t>(h.end) + static_cast<size_t>(spec.window) + 64);
      re2::StringPiece input(text.data(), lim);
      re2::StringPiece sub[2];
      if (!det.value_re->Match(input, h.end, lim, RE2::ANCHOR_START, sub, 2) || sub[1].empty()) continue;
      size_t b = static_cast<size_t>(sub[1].data() - text.data());
      size_t e = b + sub[1].size();
      if (e - b > 4 && (text[e - 1] == '.' || text[e - 1] == ',' || text[e - 1] == ';' ||
                        text[e - 1] == ')') && (e == text.size() || text[e] == ' ' ||
                        text[e] == '\n' || text[e] == '\r' || text[e] == '\t'))
        --e;
      try_value(d, text.data() + b, e - b, 0, static_cast<uint32_t>(b), static_cast<uint32_t>(e));
    }
  }

  // --- Overlap resolution ----------------------------------------------------
  // Candidates that overlap form clusters (usually of one); within a cluster
  // the strongest wins (confidence, validity, length, detector priority) and
  // others on the very same bytes are listed in `also`.
  auto stronger = [&](const TextFinding& a, const TextFinding& b) {
    if (a.confidence != b.confidence) return a.confidence > b.confidence;
    if (a.status != b.status) return a.status > b.status;
    if (a.end - a.start != b.end - b.start) return a.end - a.start > b.end - b.start;
    int pa = set_.detectors[a.detector].priority, pb = set_.detectors[b.detector].priority;
    if (pa != pb) return pa > pb;
    if (a.start != b.start) return a.start < b.start;
    return a.detector < b.detector;
  };
  auto& order = sc.order;
  order.resize(cands.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    if (cands[x].start != cands[y].start) return cands[x].start < cands[y].start;
    return cands[x].end < cands[y].end;
  });
  auto& cluster = sc.cluster;
  auto& kept = sc.kept;
  for (size_t i = 0; i < order.size();) {
    size_t j = i + 1;
    uint32_t cluster_end = cands[order[i]].end;
    while (j < order.size() && cands[order[j]].start < cluster_end) {
      cluster_end = std::max(cluster_end, cands[order[j]].end);
      ++j;
    }
    if (j == i + 1) {
      out.push_back(std::move(cands[order[i]]));
      i = j;
      continue;
    }
    cluster.assign(order.begin() + static_cast<std::ptrdiff_t>(i), order.begin() + static_cast<std::ptrdiff_t>(j));
    std::sort(cluster.begin(), cluster.end(), [&](uint32_t x, uint32_t y) { return stronger(cands[x], cands[y]); });
    kept.clear();
    for (uint32_t idx : cluster) {
      TextFinding& c = cands[idx];
      bool keep = true;
      for (uint32_t k : kept) {
        TextFinding& o = cands[k];
        if (c.start < o.end && o.start < c.end) {
          keep = false;
          if (c.start == o.start && c.end == o.end && c.type != o.type &&
              o.also.find(c.type) == std::string::npos) {
            if (!o.also.empty()) o.also += ',';
            o.also += c.type;
          }
          break;
        }
      }
      if (keep) kept.push_back(idx);
    }
    std::sort(kept.begin(), kept.end(), [&](uint32_t x, uint32_t y) { return cands[x].start < cands[y].start; });
    for (uint32_t k : kept) out.push_back(std::move(cands[k]));
    i = j;
  }
}

}  // namespace nordpii
