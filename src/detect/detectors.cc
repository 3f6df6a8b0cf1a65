// SPDX-License-Identifier: Apache-2.0
#include "detect/detectors.h"

#include <re2/re2.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>

#include "core/limits.h"
#include "core/simd.h"
#include "core/utf8.h"
#include "detect/label_index.h"
#include "match/digit_runs.h"

namespace nordpii {
namespace {

constexpr int kMaxDigits = 32;

using Group = DetectScratch::Group;

struct Det {
  const nordpii_validator* validator = nullptr;
  uint64_t label_mask = 0;     // LabelIndex bits of the label groups
  uint64_t negative_mask = 0;  // LabelIndex bits of the negative-context groups
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

// RunGlueBefore / RunGlueAt with the ASCII case inline (the edges of
// every digit run).
inline bool WordBefore(std::string_view t, size_t p) {
  if (p > 0 && static_cast<unsigned char>(t[p - 1]) < 0x80) return kAsciiWord.word[static_cast<unsigned char>(t[p - 1])];
  return RunGlueBefore(t, p);
}
inline bool WordAt(std::string_view t, size_t p) {
  if (p < t.size() && static_cast<unsigned char>(t[p]) < 0x80) return kAsciiWord.word[static_cast<unsigned char>(t[p])];
  return RunGlueAt(t, p);
}

// Splits the run t[start, end) into digits (with their offsets) and groups.
inline void ParseGroups(const char* t, uint32_t start, uint32_t end, char* dg, uint32_t* dp, Group* gr, int& nd_out,
                        int& ng_out) {
  // A group's digits are taken in an inner loop and its count stored once
  // (a count bumped in memory per digit was a store-to-load chain, the
  // hottest instruction of Detect on number-dense text; 3-5 % of a scan).
  // The counts in locals: a store through a char pointer (dg) may alias
  // anything, so counts kept in members were reloaded per digit.
  char pending_sep = 0;
  int nd = 0, ng = 0;
  for (uint32_t p = start; p < end;) {
    char c = t[p];
    if (IsDigitC(c)) {
      const int first = nd;
      do {
        dg[nd] = c;
        dp[nd++] = p++;
      } while (p < end && IsDigitC(c = t[p]));
      gr[ng++] = {first, nd - first, pending_sep};
      pending_sep = 0;
      continue;
    }
    if (!pending_sep) {
      pending_sep = (c == '\r' || c == '\n' || c == '>') ? '\n' : c;
    } else if (c == '\n') {
      pending_sep = '\n';
    }
    ++p;
  }
  nd_out = nd;
  ng_out = ng;
}

// Run plans (DetectScratch::RunPlan): runs of up to 32 bytes, keyed by
// their bytes with digits as 'D' and zeros after the end, in a
// direct-mapped table of 2^kPlanBits entries.
constexpr uint32_t kPlanBytes = 32;
constexpr int kPlanBits = 9;
alignas(64) constexpr unsigned char kTailMask[64] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

// The plan key of the run s[0, len), len <= kPlanBytes; s[0, kPlanBytes)
// must be readable.
inline void RunKey(const char* s, uint32_t len, uint64_t key[4]) {
#if defined(__SSE4_1__)
  const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9), d = _mm_set1_epi8('D');
  auto digits_as_d = [&](__m128i v) {
    const __m128i x = _mm_sub_epi8(v, zero);
    return _mm_blendv_epi8(v, d, _mm_cmpeq_epi8(_mm_min_epu8(x, nine), x));
  };
  const __m128i v0 = digits_as_d(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s)));
  const __m128i v1 = digits_as_d(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 16)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(key),
                   _mm_and_si128(v0, _mm_loadu_si128(reinterpret_cast<const __m128i*>(kTailMask + 32 - len))));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(key + 2),
                   _mm_and_si128(v1, _mm_loadu_si128(reinterpret_cast<const __m128i*>(kTailMask + 48 - len))));
#else
  unsigned char b[kPlanBytes] = {};
  for (uint32_t i = 0; i < len; ++i) b[i] = IsDigitC(s[i]) ? 'D' : static_cast<unsigned char>(s[i]);
  std::memcpy(key, b, kPlanBytes);
#endif
}

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
    bool grouping_is_label;
  };
  std::vector<std::vector<ShapeMask>> shapes_by_len = std::vector<std::vector<ShapeMask>>(kMaxDigits + 1);
  uint64_t shape_lens = 0;  // bit n: shapes_by_len[n] is not empty (no vector load per sub-run)
  std::vector<uint32_t> hetu, iban, phone, masked, join_date;  // detectors by digit form
  std::vector<std::vector<uint32_t>> by_trigger;  // keyword group -> detectors
  LabelIndex labels;
  LabelIndex triggers;  // credential/passport keywords, for field names only
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
  static std::atomic<uint64_t> last_id{0};
  ds->id_ = ++last_id;
  im.by_trigger.resize(set.keywords.size());
  im.labels.Build(set);
  im.triggers.BuildTriggers(set);
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
        case DigitForm::kMasked: im.masked.push_back(static_cast<uint32_t>(i)); break;
        case DigitForm::kIban: im.iban.push_back(static_cast<uint32_t>(i)); break;
        case DigitForm::kPhone:
          im.phone.push_back(static_cast<uint32_t>(i));
          break;
      }
      if (d.form == DigitForm::kPlain || d.form == DigitForm::kPhone) {
        for (const Shape& sh : d.shapes) {
          if (sh.digits > kMaxDigits) continue;
          Impl::ShapeMask m{static_cast<uint32_t>(i), 0, 0, sh.any_breaks, sh.grouping_is_label};
          for (int b : sh.breaks) m.breaks |= 1u << b;
          for (char c : sh.separators) m.seps |= SepCode(c);
          im.shapes_by_len[static_cast<size_t>(sh.digits)].push_back(m);
        }
      }
    }
    if (d.source == DetectorSource::kDigits && d.join_date) im.join_date.push_back(static_cast<uint32_t>(i));
    im.dets.push_back(std::move(det));
  }
  for (size_t n = 0; n < im.shapes_by_len.size(); ++n)
    if (!im.shapes_by_len[n].empty()) im.shape_lens |= uint64_t{1} << n;
  for (size_t n = 0; n < im.shapes_by_len.size(); ++n)
    if (!im.shapes_by_len[n].empty()) {
      ds->min_shape_digits_ = static_cast<int>(n);
      break;
    }
  return std::shared_ptr<const DetectorSet>(std::move(ds));
}

std::unique_ptr<DetectScratch> DetectorSet::NewScratch() const {
  return std::make_unique<DetectScratch>();
}

namespace {

// A keyword only counts when no digit stands between it and the value, so a
// label belongs to the nearest number after it ("fnr 1 og konto 2": "fnr"
// labels only 1).
constexpr size_t kLabelAfterBytes = 3;

// The largest p in [floor, seg] such that no byte in [p, seg) is a digit
// or ')': where a byte-wise walk back from seg that stops at those stops.
inline size_t SkipBackToDigitOrParen(const char* t, size_t floor, size_t seg) {
#if defined(__SSE2__)
  const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9), paren = _mm_set1_epi8(')');
  while (seg - floor >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + seg - 16));
    __m128i x = _mm_sub_epi8(v, zero);
    __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, nine), x), _mm_cmpeq_epi8(v, paren));
    unsigned m = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (m) return seg - 16 + static_cast<size_t>(32 - __builtin_clz(m));
    seg -= 16;
  }
#endif
  while (seg > floor && !IsDigitC(t[seg - 1]) && t[seg - 1] != ')') --seg;
  return seg;
}

// The first p in [from, limit) whose byte is a digit, '\n' or '(' (limit
// if none): where DateRest's byte loop stops.
inline size_t SkipToDigitBreakOrParen(const char* t, size_t from, size_t limit) {
#if defined(__SSE2__)
  const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9), nl = _mm_set1_epi8('\n'),
                paren = _mm_set1_epi8('(');
  while (limit - from >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + from));
    __m128i x = _mm_sub_epi8(v, zero);
    __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, nine), x),
                               _mm_or_si128(_mm_cmpeq_epi8(v, nl), _mm_cmpeq_epi8(v, paren)));
    unsigned m = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (m) return from + static_cast<size_t>(__builtin_ctz(m));
    from += 16;
  }
#endif
  while (from < limit && !IsDigitC(t[from]) && t[from] != '\n' && t[from] != '(') ++from;
  return from;
}

// The verdict rule bits a validator may set (plugins/nordpii_plugin.h). The
// rest of a verdict's bits are masked off (Validate): the engine's own bits
// (finding.h: keyword, negative-context, repeat) are not a plugin's to claim,
// and undefined ones would be reported or read as some later bit's meaning.
constexpr uint32_t kValidatorRules = NORDPII_RULE_CHECKSUM | NORDPII_RULE_DATE | NORDPII_RULE_FORMAT |
                                     NORDPII_RULE_NO_CHECKSUM | NORDPII_RULE_TEST | NORDPII_RULE_TEMPORARY |
                                     NORDPII_RULE_NEEDS_CONTEXT | NORDPII_RULE_RULE_2032;
static_assert((kValidatorRules & (kRuleKeyword | kRuleNegativeContext | kRuleRepeat)) == 0);

// Input bytes after a value's end that its after-label and the look-ahead
// behind that label (Context) may reach: with kMaxFindingBytes within the
// guard a chunk keeps after what it reports (limits.h).
constexpr uint32_t kMaxLabelAfterInputBytes = 128;

// The part of `text` that Context may look at for the value [start, end),
// in text offsets: at most kMaxContextBytes input bytes before the value's
// input start and kMaxLabelAfterInputBytes after its input end (`map`: the
// normaliser's). The windows are counted in text bytes; where the
// normaliser dropped or folded bytes (zero-width spaces, full-width
// letters) the same text bytes cover more input bytes than a chunk or
// range keeps around what it reports, so the label it sees would depend on
// where the input was cut.
std::pair<size_t, size_t> InputBounded(const OffsetMap* map, size_t text_size, uint32_t start, uint32_t end,
                                       size_t reach_before, size_t reach_after) {
  size_t from = start > reach_before ? start - reach_before : 0;
  size_t to = std::min(text_size, static_cast<size_t>(end) + reach_after);
  if (map == nullptr || map->identity()) return {from, to};
  const uint32_t s_in = map->Start(start);
  const uint32_t want = s_in > kMaxContextBytes ? s_in - static_cast<uint32_t>(kMaxContextBytes) : 0;
  if (map->Start(static_cast<uint32_t>(from)) < want) {
    // The first text offset whose input start is at or after `want`.
    size_t lo = from, hi = start;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (map->Start(static_cast<uint32_t>(mid)) < want) lo = mid + 1;
      else hi = mid;
    }
    from = lo;
  }
  const uint32_t e_in = map->End(end);
  const uint32_t cap = e_in + kMaxLabelAfterInputBytes;
  if (map->End(static_cast<uint32_t>(to)) > cap) {
    // The last text offset whose input end is at or before `cap`.
    size_t lo = end, hi = to;
    while (lo < hi) {
      size_t mid = hi - (hi - lo) / 2;
      if (map->End(static_cast<uint32_t>(mid)) > cap) hi = mid - 1;
      else lo = mid;
    }
    to = lo;
  }
  return {from, to};
}

// The word [b, e) with ASCII letters lower-cased into `out` (false if
// empty or longer than the buffer): for the short closed word lists below.
bool LowerWord(std::string_view text, size_t b, size_t e, char (&out)[8], size_t& n) {
  n = e - b;
  if (n == 0 || n > sizeof out) return false;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[b + i];
    out[i] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  return true;
}

bool WordIn(std::string_view w, std::initializer_list<std::string_view> list) {
  for (std::string_view x : list)
    if (w == x) return true;
  return false;
}

// Words that may stand between the keywords of a list of labels without
// making it a clause: "and"/"or" in the six languages right before the next
// word, and the number words written right after a word ("ordre nr.", "CPR
// nummer") — so "CPR nr., ordre nr. og telefon: <v>" is a list, "CPR-nr.
// mangler. Ordrenummer:" is not, nor are the answers "CPR-nummer? Ja.
// Ordrenummer:" and "CPR number? No, order number:" ("ja" is Finnish "and",
// "no" a number word).
bool AndWord(std::string_view w) {
  return WordIn(w, {"og", "och", "and", "ja", "samt", "eller", "or", "tai", "eða"});
}
bool NumberWord(std::string_view w) {
  return WordIn(w, {"nr", "no", "nro", "num", "nummer", "numero", "number", "numer"});
}

// Abbreviations whose '.' ends no clause ("ordre nr. og", "tlf. og").
bool AbbrevWord(std::string_view w) {
  return WordIn(w, {"nr", "no", "nro", "num", "tlf", "tel", "mob", "puh", "ref", "kto", "org", "reg", "kt"});
}

// Negations: "Kontonummer, ikke fakturanummer: <v>" — the keyword after one
// does not say what the value is.
bool NegationWord(std::string_view w) {
  return WordIn(w, {"ikke", "ikkje", "inte", "icke", "ei", "not", "ekki", "non"});
}

// A word of the text (a run of WordCharAt bytes, cut at the bounds it was
// looked for within): where it is, and its text lower-cased as LowerWord
// does it, in the caller's buffer — "" when the word is empty or longer
// than the buffer (no word of the closed lists above is).
struct Word {
  size_t begin, end;
  std::string_view lower;
};

Word LowerCased(std::string_view text, size_t b, size_t e, char (&buf)[8]) {
  size_t n = 0;
  if (!LowerWord(text, b, e, buf, n)) return {b, e, {}};
  return {b, e, std::string_view(buf, n)};
}

// The word that ends at e, not before `floor` (spaces before e skipped
// first if `skip_spaces`).
Word WordEndingAt(std::string_view text, size_t floor, size_t e, bool skip_spaces, char (&buf)[8]) {
  if (skip_spaces)
    while (e > floor && text[e - 1] == ' ') --e;
  size_t b = e;
  while (b > floor && WordCharAt(text, b - 1)) --b;
  return LowerCased(text, b, e, buf);
}

// The word that starts at b, not past `limit`.
Word WordStartingAt(std::string_view text, size_t b, size_t limit, char (&buf)[8]) {
  size_t e = b;
  while (e < limit && WordCharAt(text, e)) ++e;
  return LowerCased(text, b, e, buf);
}

// Is there a clause between the keyword [q, e) and the next keyword of a
// list, which starts at `next`? Only punctuation and spaces between two
// keywords is a list of labels, not a clause ("Fødselsnummer, ordrenummer:
// <fnr>, <n>", "Navn, CPR-nr., kundenr.: ..."): a word must stand between
// them too. (A stem's match ends inside its word: "fødselsnum*" in
// "Fødselsnummer"; the rest of that word is the keyword's.) "and"/"or" and
// number words ("ordre nr. og telefon") are not such a word, and the '.' of
// an abbreviation ends no clause.
bool ClauseBetween(std::string_view text, size_t q, size_t e, size_t next) {
  bool punct = false, word = false;
  size_t k0 = e;
  while (k0 < next && WordCharAt(text, k0)) ++k0;
  char buf[8];
  bool abbrev = AbbrevWord(WordEndingAt(text, q, k0, false, buf).lower);
  bool joined = true;  // only spaces and '-' since the last word (the keyword's at first)
  for (size_t k = k0; k < next;) {
    if (WordCharAt(text, k)) {
      const Word wk = WordStartingAt(text, k, next, buf);
      const std::string_view w = wk.lower;
      k = wk.end;
      size_t a = k;
      while (a < next && text[a] == ' ') ++a;
      const bool before_word = a == next || WordCharAt(text, a);
      word |= !((joined && NumberWord(w)) || (before_word && AndWord(w)));
      abbrev = AbbrevWord(w);
      joined = true;
      continue;
    }
    const char c = text[k++];
    punct |= (c == '.' && !abbrev) || c == ',' || c == ';' || c == '!' || c == '?';
    abbrev = false;
    joined &= c == ' ' || c == '-';
  }
  return punct && word;
}

// The key of a key-value pair written in text that the value [start, ...)
// is the value of: an ASCII identifier with '_' or a camelCase hump
// ("patientCpr=<v>", "\"verifiedAt\": <v>", "customer_national_id: <v>")
// right before ':' or '=' (quotes and spaces around them skipped), at most
// 64 bytes. Sets [kb, ke); false if there is none (a plain word such as
// "Fødselsnummer:" or "fnr=" is no such key: labels work as in prose).
bool CodeKeyBefore(std::string_view text, size_t floor, size_t start, size_t& kb, size_t& ke) {
  size_t p = start;
  while (p > floor && (text[p - 1] == ' ' || text[p - 1] == '"' || text[p - 1] == '\'')) --p;
  if (p == floor || (text[p - 1] != ':' && text[p - 1] != '=')) return false;
  --p;
  while (p > floor && (text[p - 1] == ' ' || text[p - 1] == '"' || text[p - 1] == '\'')) --p;
  ke = p;
  bool code = false;
  while (p > floor && ke - p < 64) {
    const char c = text[p - 1];
    if (!(IsAsciiAlpha(c) || IsDigitC(c) || c == '_' || c == '-' || c == '.')) break;
    code |= c == '_' || (c >= 'A' && c <= 'Z' && p - 1 > floor && text[p - 2] >= 'a' && text[p - 2] <= 'z');
    --p;
  }
  kb = p;
  // Glued to a letter of another script: not an identifier.
  if (kb == ke || (kb > floor && static_cast<unsigned char>(text[kb - 1]) >= 0x80)) return false;
  return code;
}

// Is the last word of the key [kb, ke) (after the last '_', '.', '-' or
// camelCase hump) one that makes the key about the identifier, not the
// identifier itself ("nationalIdCheck=", "cprLookupCount=",
// "nationalIdVerifiedAt=", "kennitala_status:")?
bool QualifierKey(std::string_view text, size_t kb, size_t ke) {
  size_t w = ke;
  while (w > kb && IsAsciiAlpha(text[w - 1])) {
    --w;
    if (text[w] >= 'A' && text[w] <= 'Z' && w > kb && text[w - 1] >= 'a' && text[w - 1] <= 'z') break;
  }
  char buf[16];
  const size_t n = ke - w;
  if (n == 0 || n > sizeof buf || w == kb) return false;  // a key of one word is the identifier's name
  for (size_t i = 0; i < n; ++i) buf[i] = static_cast<char>(text[w + i] | 0x20);
  return WordIn(std::string_view(buf, n),
                {"check", "checked", "checks", "verified", "verify", "status", "state", "count", "at", "date", "time",
                 "ts", "timestamp", "type", "valid", "validated", "flag", "hash", "length", "len", "lookup",
                 "lookups", "error", "result", "version", "missing", "required", "format", "masked", "mask",
                 "exists", "present", "updated", "created", "attempts", "source"});
}

// A value that is a whole cell of a table row ("Test | 1234 | <v>": cells
// split by " | " — an HTML table as text —, ';' or a tab) takes the
// keywords of the cell in its column of the table's first row (the rows
// above with as many cells; at most 8 rows up, within kMaxContextBytes input bytes: `map` as
// for Context): other cells' digits stand between the header and the value
// ("<th>Navn</th><th>Postnr.</th><th>CPR</th>" … "<td>8000</td><td><v></td>").
// 0 if none.
uint64_t ColumnHeader(std::string_view text, const LabelIndex& idx, const OffsetMap* map, uint32_t start,
                      uint32_t end) {
  size_t b = start, e = end;
  while (b > 0 && start - b < 16 && text[b - 1] == ' ') --b;
  if (!(b > 0 && (text[b - 1] == '|' || text[b - 1] == ';' || text[b - 1] == '\t'))) {
    while (e < text.size() && e - end < 16 && text[e] == ' ') ++e;
    if (!(e < text.size() && (text[e] == '|' || text[e] == ';' || text[e] == '\t'))) return 0;
  }
  const size_t floor = InputBounded(map, text.size(), start, end, kMaxContextBytes, 0).first;
  b = std::max<size_t>(b, floor);
  e = end;
  while (e < text.size() && e - end < 16 && text[e] == ' ') ++e;
  const char before = b > floor ? text[b - 1] : '\n', after = e < text.size() ? text[e] : '\n';
  auto delim = [](char c) { return c == '|' || c == ';' || c == '\t'; };
  if (!delim(before) && !delim(after)) return 0;
  if (before != '\n' && after != '\n' && before != after && !(before == '\r' || after == '\r')) return 0;
  if ((before != '\n' && !delim(before)) || (after != '\n' && after != '\r' && !delim(after))) return 0;
  const char d = delim(before) ? before : after;
  size_t ls = b;
  int col = 0;
  while (ls > floor && text[ls - 1] != '\n') col += text[--ls] == d;
  int cells = col + 1;
  for (size_t k = e; k < text.size() && text[k] != '\n'; ++k) cells += text[k] == d;
  // The header is the table's first row: a data cell above the value
  // ("Dato;Hændelse⏎01.12;CPR-nummer opdateret⏎02.12;<v>") says nothing
  // about it.
  size_t hb = 0, he = 0;  // the column's cell in the topmost row seen
  bool top = false;       // that row is the table's first
  int row = 0;
  for (; row < 8 && ls > floor + 1; ++row) {
    const size_t le = ls - 1;  // the '\n' ending the row above
    size_t rs = le;
    int n = 1;
    while (rs > floor && text[rs - 1] != '\n') n += text[--rs] == d;
    if (rs == floor && floor > 0) return 0;  // the row's start is not in view
    if (n != cells) {                        // not the same table
      top = true;
      break;
    }
    size_t cb = rs;
    for (int c = 0; c < col; ++c) {
      while (text[cb] != d) ++cb;
      ++cb;
    }
    size_t ce = cb;
    while (ce < le && text[ce] != d) ++ce;
    hb = cb, he = ce;
    ls = rs;
  }
  if (row == 0 || !(top || ls <= 1)) return 0;  // no row above, or the first not in reach
  while (hb < he && text[hb] == ' ') ++hb;
  while (he > hb && (text[he - 1] == ' ' || text[he - 1] == '\r')) --he;
  return he > hb ? idx.Find(text, hb, he - 1, he, 0) : 0;
}

// The context keyword groups (LabelIndex::GroupBit) of one value.
struct ContextBits {
  uint64_t all = 0;  // every group that applies to the value
  // The groups of the keyword nearest before the value (the last to start):
  // "CPR-nr. mangler. Ordrenummer: <value>" has a label and a negative
  // keyword before it, and the nearer one says what the number is.
  uint64_t nearest = 0;
  // The groups of the first keyword of a list of labels before the value
  // ("Kennitala, pöntunarnúmer og sími: <v>"): when the value validates as
  // more than one type, the first label's wins (ResolveOverlaps). 0: no list.
  uint64_t list_first = 0;
  // The value is the value of a key written in text (CodeKeyBefore): only
  // the key's own keywords (`key`; none if QualifierKey) label it.
  bool keyed = false;
  uint64_t key = 0;
};

// Bits (LabelIndex::GroupBit) of the context keyword groups that apply to
// the value [start, end). `map`: the normaliser's offset map (null: the
// identity); the look-back and look-ahead stay within InputBounded.
ContextBits Context(std::string_view full, const LabelIndex& idx, uint32_t start, uint32_t end,
                    int window, const OffsetMap* map) {
  // The after-label may start past a verb, a possessive and a genitive
  // (three words of at most 8 bytes and their spaces: 28 bytes).
  const size_t reach_after = kLabelAfterBytes + 28 + idx.max_len() + 24;
  const auto [bound_from, bound_to] =
      InputBounded(map, full.size(), start, end, static_cast<size_t>(window) + idx.max_len(), reach_after);
  // Text past bound_to is not looked at; before bound_from no keyword may start.
  const std::string_view text = full.substr(0, bound_to);
  size_t lo = start > static_cast<uint32_t>(window) ? start - static_cast<size_t>(window) : 0;
  lo = std::max(lo, bound_from);
  size_t floor = lo > idx.max_len() ? lo - idx.max_len() : 0;
  floor = std::max(floor, bound_from);
  size_t seg = start;  // just after the last digit before the value
  for (;;) {
    // 16 bytes at a time down to the last digit or ')' (the loop below
    // stops at no other byte): usually the previous line's number or the
    // floor, tens of bytes back.
    seg = SkipBackToDigitOrParen(text.data(), floor, seg);
    if (!(seg > floor && !IsDigitC(text[seg - 1]))) break;
    --seg;
    // A parenthesis between the label and the value is about the label
    // ("Fødselsnummer (11 siffer): ...", "CPR-nr. (10 cifre): ..."): its
    // digits do not stand between them.
    if (text[seg] == ')') {
      size_t open = seg;
      while (open > floor && text[open - 1] != '(' && text[open - 1] != '\n' && seg - open < 24) --open;
      if (open > floor && text[open - 1] == '(') seg = open - 1;
    }
  }
  // A value inside a URL ("CPR-opslag: https://crm.example.dk/sag/<n>/log",
  // also one without its scheme: "www.example.dk/sag/<n>") is a path or
  // query part: words before the URL do not label it (a key in its query,
  // "?cpr=<v>", does), nor do the URL's words after it ("?id=<v>&cpr=x"):
  // the look-ahead starts where the URL ends.
  auto url_byte = [](char c) {
    return !(c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '<' || c == '>' || c == '"' || c == '(' ||
             c == ')');
  };
  size_t after_from = end;
  for (size_t p = start; p > seg && start - p < 256;) {
    const char c = text[--p];
    if (!url_byte(c)) break;
    const bool scheme = c == ':' && p + 2 < start && text[p + 1] == '/' && text[p + 2] == '/';
    const bool www = (c | 0x20) == 'w' && p + 4 < start && (p == 0 || !url_byte(text[p - 1])) &&
                     (text[p + 1] | 0x20) == 'w' && (text[p + 2] | 0x20) == 'w' && text[p + 3] == '.';
    if (scheme || www) {
      seg = scheme ? p + 3 : p + 4;
      while (after_from < text.size() && after_from - end < 256 && url_byte(text[after_from])) ++after_from;
      break;
    }
  }
  uint64_t found = start > seg ? idx.Find(text, seg, start - 1, start, lo) : 0;
  ContextBits bits;
  bits.nearest = found;
  if (found & (found - 1)) {
    bits.nearest = 0;
    // More than one group (a rare case: walks per word start, backwards):
    // the keywords of the last word start before the value that begins
    // one, if on the value's line (a keyword on an earlier line may be
    // another column's header: "nafn;kennitala;sími⏎Jón;<value>") ...
    auto word_start = [&](size_t p) { return WordCharAt(text, p) && !WordCharBefore(text, p); };
    size_t pn = start;
    uint64_t nb = 0;
    // A column separator (';', tab, '|') ends the look-back: words before it
    // are another column's ("navn;beskrivelse;cpr⏎Jens;Faktura sendt;<cpr>").
    while (pn > seg && !nb && text[pn - 1] != '\n' && text[pn - 1] != ';' && text[pn - 1] != '\t' &&
           text[pn - 1] != '|') {
      --pn;
      if (word_start(pn)) nb = idx.Find(text, pn, pn, start, lo);
    }
    // ... when a clause ends between it and the keyword of another group
    // before it on the line ("CPR-nr. mangler. Ordrenummer:", "oplyst
    // CPR-nummer, kun telefon"), or there is none; a list of labels ("CPR-nr.
    // og telefon:", "Personnummer/telefon:") names both values after it.
    if (nb) {
      bool other = false, boundary = false;
      size_t first_nb = pn;  // the first of the keywords of nb's groups after the other keyword
      size_t next = pn;      // the start of the list's keyword after the one looked for
      uint64_t first = 0;    // groups of the list's first keyword
      uint64_t other_b = 0;  // groups of the other keyword
      size_t other_end = 0;  // where its word ends
      for (size_t q = pn; q > seg && text[q - 1] != '\n';) {
        --q;
        if (!word_start(q)) continue;
        size_t e = 0;
        const uint64_t b = idx.Find(text, q, q, pn, 0, &e);
        if (!other) {
          if ((b & ~nb) == 0) {
            if (b) first_nb = q;  // "Kontonummer, KID og beløp:": KID starts the list's negative part
            continue;
          }
          other = true;
          other_b = b;
          for (other_end = e; other_end < first_nb && WordCharAt(text, other_end);) ++other_end;
          {  // and its number word ("Order number, not CPR number:")
            size_t w0 = other_end;
            while (w0 < first_nb && (text[w0] == ' ' || text[w0] == '-')) ++w0;
            char buf[8];
            const Word w = WordStartingAt(text, w0, first_nb, buf);
            if (w0 > other_end && NumberWord(w.lower)) other_end = w.end;
          }
          boundary = ClauseBetween(text, q, e, first_nb);
        } else if (!b) {
          continue;
        } else if (ClauseBetween(text, q, e, next)) {
          break;  // the list starts after this keyword
        }
        if (boundary) break;
        first = b, next = q;  // "CPR nr., ordre nr. og telefon:": back to "CPR nr."
      }
      // A negation right before the nearest keyword, with nothing but
      // punctuation and but/and between it and the other keyword ("Kontonummer, ikke
      // fakturanummer: <v>", "Account number, not invoice number:",
      // "Ordrenummer, ikke CPR-nummer:"): the other keyword says what the
      // value is, not the negated one. A negation word elsewhere is no such
      // contrast ("Kontonummer er ukjent. Det gjelder ei faktura:", the
      // Norwegian article "ei").
      bool negated = false;
      if (other) {
        char buf[8];
        const Word neg = WordEndingAt(text, other_end, pn, true, buf);
        negated = NegationWord(neg.lower);
        for (size_t k = other_end; negated && k < neg.begin;) {  // "..., men ikke ...", "... and not ..."
          if (!WordCharAt(text, k)) {
            ++k;
            continue;
          }
          const Word w = WordStartingAt(text, k, neg.begin, buf);
          k = w.end;
          negated = WordIn(w.lower, {"men", "but", "mutta", "en", "og", "och", "and"});
        }
      }
      if (negated) bits.nearest = other_b;
      else if (!other || boundary) bits.nearest = nb;
      if (other && !boundary) bits.list_first = first;
    }
  }
  // A label right after the value on the same line counts too ("995 525 828
  // MVA", "... (fnr)"), unless a number follows the label: then it labels
  // that number. The next line's first word is not about this value.
  size_t to = std::min(text.size(), after_from + kLabelAfterBytes + idx.max_len());
  // Nor a label in the next sentence ("Vi har modtaget <v>. CPR-nummer
  // mangler, ordre 12345"): a label after '.', '!', '?' or ';' is that
  // sentence's.
  size_t last_start = after_from;
  while (last_start < after_from + kLabelAfterBytes && last_start < text.size() &&
         !IsDigitC(text[last_start]) && text[last_start] != '\n' && text[last_start] != '.' &&
         text[last_start] != '!' && text[last_start] != '?' && text[last_start] != ';')
    ++last_start;
  size_t max_end = 0;
  uint64_t after = after_from < to ? idx.Find(text, after_from, last_start, to, 0, &max_end) : 0;
  // ... and after a verb and a possessive ("010180-1234 er mit CPR-nummer",
  // "... är mitt personnummer", "... is my account number", "... on
  // henkilötunnukseni"): a copula, then at most one such word, then after a
  // possessive at most one genitive ending in -s ("... er min søns
  // CPR-nummer", "... är min dotters personnummer"), each with one space;
  // the keyword must start right after them.
  if (!after) {
    char buf[8];
    size_t p = after_from;
    bool possessive = false;
    for (int k = 0; k < 3 && p < text.size() && text[p] == ' '; ++k) {
      size_t q = p + 1;
      while (q < text.size() && q - p <= sizeof buf && WordCharAt(text, q)) ++q;
      size_t n = 0;
      if (!LowerWord(text, p + 1, q, buf, n)) break;
      const std::string_view w(buf, n);
      if (k == 0 ? !WordIn(w, {"er", "är", "on", "is", "var", "was", "oli"})
                 : k == 2 ? !(possessive && n >= 4 && w.back() == 's')
                          : !WordIn(w, {"mit", "mitt", "min", "mine", "mín", "minn", "my", "din", "ditt", "your",
                                        "hans", "hendes", "hennes", "hennar", "his", "her", "the", "også", "också",
                                        "also", "myös"}))
        break;
      if (k == 1) possessive = !WordIn(w, {"the", "også", "också", "also", "myös"});
      p = q;
      if (p < text.size() && text[p] == ' ') {
        const size_t ks = p + 1;
        size_t e2 = 0;
        const uint64_t b = idx.Find(text, ks, ks, std::min(text.size(), ks + idx.max_len()), 0, &e2);
        if (b) {
          after = b, max_end = e2;
          break;
        }
      }
    }
  }
  if (after) {
    // A number after the label takes it, unless a clause ends first ("<v>
    // er mit CPR-nummer, ordre 12345", "<v> is my account number. Order
    // 2231"): ',' ';' '!' '?', or a '.' not after an abbreviation
    // ("CPR-nr. 12" still labels 12).
    bool digit = false;
    for (size_t p = max_end; p < text.size() && p < max_end + 24 && !digit; ++p) {
      const char c = text[p];
      if (c == ',' || c == ';' || c == '!' || c == '?') break;
      if (c == '.') {
        char buf[8];
        if (!AbbrevWord(WordEndingAt(text, max_end > 8 ? max_end - 8 : 0, p, false, buf).lower)) break;
      }
      digit = IsDigitC(c);
    }
    if (!digit) found |= after;
  }
  // A cell of a table row: its column's header (the nearer keyword).
  if (const uint64_t header = ColumnHeader(text, idx, map, start, end)) {
    bits.nearest = header;
    found |= header;
  }
  size_t kb = 0, ke = 0;
  if (CodeKeyBefore(text, bound_from, start, kb, ke)) {
    bits.keyed = true;
    bits.key = QualifierKey(text, kb, ke) ? 0 : idx.Find(text, kb, ke - 1, ke, 0);
  }
  bits.all = found;
  return bits;
}

}  // namespace

// Builds the candidates of one text: one method per form people write a
// value in. Every candidate goes through Try(): validator, context, then
// into the scratch's candidate list.
class DetectorSet::CandidateBuilder {
 public:
  CandidateBuilder(const DetectorSet& ds, std::string_view text, const DetectOptions& opt,
                   DetectScratch& sc)
      : ds_(ds), im_(*ds.impl_), text_(text), opt_(opt), sc_(sc) {}

  void FromRuns(const std::vector<DigitRun>& runs) {
    const bool plans = sc_.use_plans;
    uint64_t skipped = 0;
    for (const DigitRun& run : runs) {
      if (plans) {
        const int k = Classify(run);
        if (k == kSkip) {
          ++skipped;
          continue;
        }
        if (k == kPlain) {
          TakePlain(run);
          continue;
        }
      }
      if (!Parse(run)) continue;
      PlainShapes();
      DateThenRest(run);
      MaskedRest(run);
      HetuForms(run);
      IbanForm(run);
      InternationalPhone(run);
    }
    sc_.runs_skipped += skipped;
  }

  void FromRegex(const std::vector<RegexMatch>& matches) {
    for (const RegexMatch& rm : matches) {
      if (WordCharBefore(text_, rm.start) || WordCharAt(text_, rm.end)) continue;
      Try(rm.detector, text_.data() + rm.start, rm.end - rm.start, 0, rm.start, rm.end);
    }
  }

  // Keyword detectors (the keyword is the finding) and after-keyword ones
  // (the value the `value` regex captures right after the keyword).
  void FromKeywords(const std::vector<KeywordHit>& hits) {
    for (const KeywordHit& h : hits) {
      for (uint32_t d : im_.by_trigger[h.group]) {
        const DetectorSpec& spec = ds_.set_.detectors[d];
        if (spec.source == DetectorSource::kKeyword) {
          Try(d, text_.data() + h.start, h.end - h.start, 0, h.start, h.end);
          continue;
        }
        // "[PASSWORD:…]" is our own redaction marker, not a label.
        if (h.start > 0 && text_[h.start - 1] == '[') continue;
        // The value starts within the window and may be as long as a
        // validator takes (passwords: 256 bytes).
        size_t lim = std::min(text_.size(), static_cast<size_t>(h.end) + static_cast<size_t>(spec.window) + 256);
        // Only the window after the keyword: RE2 picks its fast bit-state
        // engine by the size of the whole text it is given (the chunk's
        // start to here sent it to the NFA, ~2 % of a scan).
        re2::StringPiece input(text_.data() + h.end, lim - h.end);
        re2::StringPiece sub[2];
        if (!im_.dets[d].value_re->Match(input, 0, input.size(), RE2::ANCHOR_START, sub, 2) || sub[1].empty())
          continue;
        size_t b = static_cast<size_t>(sub[1].data() - text_.data());
        size_t e = b + sub[1].size();
        // Sentence punctuation after a value is not part of it.
        if (e - b > 4 && (text_[e - 1] == '.' || text_[e - 1] == ',' || text_[e - 1] == ';' ||
                          text_[e - 1] == ')') &&
            (e == text_.size() || text_[e] == ' ' || text_[e] == '\n' || text_[e] == '\r' ||
             text_[e] == '\t'))
          --e;
        Try(d, text_.data() + b, e - b, 0, static_cast<uint32_t>(b), static_cast<uint32_t>(e));
      }
    }
  }

  // A field named by a password or passport label ("passord", "passnummer",
  // "passport_no") that holds one token: the token is the value.
  void FromFieldName() {
    size_t b = 0, e = text_.size();
    while (b < e && IsSoftSeparator(text_[b])) ++b;
    while (e > b && (IsSoftSeparator(text_[e - 1]) || text_[e - 1] == '\r')) --e;
    if (b == e) return;
    for (size_t i = b; i < e; ++i)
      if (text_[i] == ' ' || text_[i] == '\t' || text_[i] == '\n' || text_[i] == '\r') return;
    for (size_t g = 0; g < im_.by_trigger.size(); ++g) {
      if ((im_.triggers.GroupBit(g) & opt_.doc_triggers) == 0) continue;
      for (uint32_t d : im_.by_trigger[g])
        if (ds_.set_.detectors[d].source == DetectorSource::kAfterKeyword)
          Try(d, text_.data() + b, e - b, 0, static_cast<uint32_t>(b), static_cast<uint32_t>(e));
    }
  }

 private:
  // Validates `value` for detector d and keeps it, with context applied.
  // `grouped`: written in a shape whose grouping counts as context.
  void Try(uint32_t d, const char* value, size_t len, uint32_t flags, uint32_t start, uint32_t end,
           bool grouped = false) {
    ++sc_.tries;
    const Det& det = im_.dets[d];
    const DetectorSpec& spec = ds_.set_.detectors[d];
    nordpii_verdict v;
    if (!Validate(det, value, len, flags, v)) return;
    int conf = v.confidence;
    uint32_t rules = v.rules;
    if (rules & NORDPII_RULE_TEST) conf = std::min(conf, 1);
    // Context is looked up only for a candidate that validated, only when
    // its detector has labels or negative context at all (an e-mail
    // address has neither: most of a mail export's candidates), and once
    // for the detectors that validate the same bytes.
    uint64_t ctx = 0;
    if (det.label_mask | det.negative_mask) {
      if (start != ctx_start_ || end != ctx_end_ || spec.window != ctx_window_) {
        const ContextBits cb = Context(text_, im_.labels, start, end, spec.window, opt_.raw_map);
        ctx_all_ = cb.all, ctx_nearest_ = cb.nearest, ctx_list_first_ = cb.list_first;
        ctx_keyed_ = cb.keyed, ctx_key_ = cb.key;
        ctx_start_ = start, ctx_end_ = end, ctx_window_ = spec.window;
      }
      ctx = ctx_all_;
      // A negative keyword nearer to the value than any label says what
      // the number is: "CPR-nr. mangler. Ordrenummer: <value>", "oplyst
      // CPR-nummer, kun telefon <value>", "<order no.> (CPR er ikke oplyst)":
      // the labels in the text do not count for it.
      if ((ctx_nearest_ & det.negative_mask) && !(ctx_nearest_ & det.label_mask)) ctx &= ~det.label_mask;
      // The value of a key written in text ("patientCpr=<v>", "\"verifiedAt\":
      // <v>"): the key says what it is, not the words before it.
      if (ctx_keyed_) ctx = (ctx & ~det.label_mask) | ctx_key_;
      // The field's own name (JSON key, CSV header) counts as context for
      // every value in it.
      ctx |= opt_.doc_labels;
    }
    uint8_t list = 0;
    if (ctx & det.label_mask) {
      rules |= kRuleKeyword;
      if (ctx_list_first_ & det.label_mask) list |= TextFinding::kListFirst;
      // A value whose check digit holds is what the list's label of its type
      // says, whichever label comes first ("Telefon, kennitala: <a valid
      // kennitala that is also a mobile number>" is a kennitala, redacted,
      // not a phone number by detector priority).
      if (ctx_list_first_ && v.status == NORDPII_VALID && (rules & NORDPII_RULE_CHECKSUM)) list |= TextFinding::kListChecksum;
      conf = std::min(conf + 1, 3);
    } else if (grouped && !(ctx & det.negative_mask)) {
      // Written in its own grouping (a shape with grouping_is_label), as
      // telling as a label — but negative context still drops it.
      conf = std::min(conf + 1, 3);
    } else {
      if (rules & NORDPII_RULE_NEEDS_CONTEXT) {
        // Kept for the repeat rule (FromRepeats) unless negative context
        // says what the number is.
        if (!(ctx & det.negative_mask) && flags <= 0xFF && end - start <= 255 && d <= 0xFFFF &&
            ValueIsSpanDigits(value, len, start, end))
          sc_.unlabelled.push_back(
              {start, static_cast<uint16_t>(d), static_cast<uint8_t>(end - start), static_cast<uint8_t>(flags)});
        return;
      }
      // Negative context ("ordre", "faktura", "tlf", "timestamp") without a
      // label: the number is taken for what the text says it is — unless
      // its own evidence is strong: a check digit and a real date (cards:
      // Luhn and an issuer range) and a validator confidence of medium or
      // more, which a random number passes at 0.1-0.7 % (README,
      // Confidence). Then the word only lowers confidence: "Fakturaen kom i
      // går. Det gjelder <fnr>" is still a fødselsnummer.
      if (ctx & det.negative_mask) {
        const bool strong = v.status == NORDPII_VALID && (rules & NORDPII_RULE_CHECKSUM) &&
                            (rules & (NORDPII_RULE_DATE | NORDPII_RULE_FORMAT)) &&
                            v.confidence >= NORDPII_CONF_MEDIUM;
        if (!strong) return;
        rules |= kRuleNegativeContext;
        conf = std::max(conf - 1, 1);
      }
    }
    Keep(d, start, end, v, conf, rules, list);
    if ((rules & NORDPII_RULE_NEEDS_CONTEXT) && (ctx & det.label_mask))
      sc_.labelled.push_back(static_cast<uint32_t>(sc_.cands.size() - 1));
  }

  // A validated candidate into the list, built in place (no temporary
  // string, no move of the finding).
  void Keep(uint32_t d, uint32_t start, uint32_t end, const nordpii_verdict& v, int conf, uint32_t rules,
            uint8_t list = 0) {
    TextFinding& f = sc_.cands.emplace_back();
    f.detector = d;
    f.start = start;
    f.end = end;
    if (v.type_id[0]) f.type.assign(v.type_id);
    else f.type = ds_.set_.detectors[d].id;
    f.confidence = static_cast<Confidence>(std::clamp(conf, 1, 3));
    f.rules = rules & ~static_cast<uint32_t>(NORDPII_RULE_NEEDS_CONTEXT);
    f.status = v.status;
    f.list = list;
    f.normalized.assign(v.normalized);
  }

  // The digits of text [start, end) into `out` (at most kMaxSpanDigits);
  // their count, or -1 if there are more.
  static constexpr int kMaxSpanDigits = 32;
  int SpanDigits(uint32_t start, uint32_t end, char* out) const {
    int n = 0;
    for (uint32_t i = start; i < end; ++i) {
      const char c = text_[i];
      if (c < '0' || c > '9') continue;
      if (n == kMaxSpanDigits) return -1;
      out[n++] = c;
    }
    return n;
  }
  // `value` is the digits of its text bytes (what FromRepeats can read back).
  bool ValueIsSpanDigits(const char* value, size_t len, uint32_t start, uint32_t end) const {
    char d[kMaxSpanDigits];
    const int n = SpanDigits(start, end, d);
    return n >= 0 && static_cast<size_t>(n) == len && std::memcmp(d, value, len) == 0;
  }

  // The validator's verdict on `value`; false if it is not valid.
  bool Validate(const Det& det, const char* value, size_t len, uint32_t flags, nordpii_verdict& v) const {
    nordpii_input in{sizeof(nordpii_input), value, len, opt_.ref_year, opt_.ref_month, opt_.ref_day, flags};
    // Validators fill every field they report (ABI contract).
    v.struct_size = sizeof(v);
    v.status = NORDPII_INVALID;
    v.type_id[0] = 0;
    v.normalized[0] = 0;
    if (det.validator->validate(&in, &v) != 0 || v.status == NORDPII_INVALID) return false;
    v.rules &= kValidatorRules;
    v.normalized[sizeof(v.normalized) - 1] = 0;
    v.type_id[sizeof(v.type_id) - 1] = 0;
    return true;
  }

 public:
  // The repeat rule (kRepeatDistance): an unlabelled candidate of a type
  // that needs a label is kept when a labelled candidate of the same type
  // and value starts within kRepeatDistance input bytes of it, before or
  // after — as confident as a labelled one, with the rule "repeat".
  void FromRepeats() {
    if (sc_.unlabelled.empty() || sc_.labelled.empty()) return;
    auto raw = [&](uint32_t t) -> uint64_t { return opt_.raw_map ? opt_.raw_map->Start(t) : t; };
    // The labelled ones by input offset; an unlabelled candidate is
    // validated again only when one of its detector is near.
    auto& near = sc_.near;
    near.clear();
    for (uint32_t l : sc_.labelled) near.push_back({raw(sc_.cands[l].start), l});
    if (!std::is_sorted(near.begin(), near.end())) std::sort(near.begin(), near.end());  // runs come in text order
    for (const DetectScratch::Unlabelled& u : sc_.unlabelled) {
      const uint64_t at = raw(u.start);
      const uint64_t lo = at > kRepeatDistance ? at - kRepeatDistance : 0;
      auto it = std::lower_bound(near.begin(), near.end(), std::pair<uint64_t, uint32_t>{lo, 0});
      bool candidate = false;
      for (auto j = it; j != near.end() && j->first <= at + kRepeatDistance && !candidate; ++j)
        candidate = sc_.cands[j->second].detector == u.detector;
      if (!candidate) continue;
      const Det& det = im_.dets[u.detector];
      nordpii_verdict v;
      char value[kMaxSpanDigits];
      const int len = SpanDigits(u.start, u.start + u.span, value);
      if (len < 0 || !Validate(det, value, static_cast<size_t>(len), u.flags, v)) continue;  // it was valid: cannot happen
      const DetectorSpec& spec = ds_.set_.detectors[u.detector];
      const std::string_view type = v.type_id[0] ? std::string_view(v.type_id) : std::string_view(spec.id);
      bool same = false;
      for (auto j = it; j != near.end() && j->first <= at + kRepeatDistance && !same; ++j) {
        const TextFinding& c = sc_.cands[j->second];
        same = c.detector == u.detector && c.type == type && c.normalized == v.normalized;
      }
      if (!same) continue;
      // As confident as a labelled value (Try).
      int conf = v.confidence;
      if (v.rules & NORDPII_RULE_TEST) conf = std::min(conf, 1);
      Keep(u.detector, u.start, u.start + u.span, v, std::min(conf + 1, 3), v.rules | kRuleRepeat);
    }
  }

 private:

  // Splits a run into digits (with their text offsets) and groups; false
  // when it has fewer digits than any form needs.
  bool Parse(const DigitRun& run) {
    const size_t rl = run.end - run.start;
    if (rl < static_cast<size_t>(kMinRunDigits)) return false;
    if (sc_.digits.size() < rl) {
      sc_.digits.resize(rl);
      sc_.dpos.resize(rl);
      sc_.groups.resize(rl);
    }
    dg_ = sc_.digits.data();
    dp_ = sc_.dpos.data();
    gr_ = sc_.groups.data();
    ParseGroups(text_.data(), run.start, run.end, dg_, dp_, gr_, nd_, ng_);
    if (nd_ < kMinRunDigits) return false;
    left_glued_ = WordBefore(text_, run.start);
    right_glued_ = WordAt(text_, run.end);
    return true;
  }

  // What Classify makes of a run: no form can take it; only plain shapes
  // can, and the plan lists their candidates (TakePlain); parse it and try
  // every form.
  enum { kSkip, kPlain, kParse };
  // Told from the run structure's plan (made on first sight of the
  // structure, from the same structural tests the forms make) and the bytes
  // beside the run, without parsing it. kParse for a run longer than a plan
  // covers.
  int Classify(const DigitRun& run) {
    const uint32_t len = run.end - run.start;
    if (len > kPlanBytes || text_.size() - run.start < kPlanBytes) return kParse;
    uint64_t key[4];
    RunKey(text_.data() + run.start, len, key);
    const uint64_t h = key[0] * 0x9E3779B97F4A7C15ull + key[1] * 0xC2B2AE3D27D4EB4Full +
                       key[2] * 0x165667B19E3779F9ull + key[3] * 0xD6E8FEB86659FD93ull;
    DetectScratch::RunPlan& plan = sc_.plans[h >> (64 - kPlanBits)];
    if (plan.owner != ds_.id_ || ((plan.key[0] ^ key[0]) | (plan.key[1] ^ key[1]) | (plan.key[2] ^ key[2]) |
                                  (plan.key[3] ^ key[3])) != 0)
      MakePlan(key, len, plan);
    if (plan.nd < kMinRunDigits) return kSkip;  // Parse refuses it
    plan_ = &plan;
    const bool l = WordBefore(text_, run.start), r = WordAt(text_, run.end);
    left_glued_ = l, right_glued_ = r;
    const unsigned g = (l ? 2u : 0u) | (r ? 1u : 0u);
    const char* t = text_.data();
    const size_t n = text_.size();
    // DateThenRest: the rest is looked for on the run's line or the next
    // (there only where DateRest finds one: dates end many lines).
    if (((plan.date >> g) & 1) && run.end < n && (t[run.end] != '\n' || DateRest(run.end) != SIZE_MAX))
      return kParse;
    if ((plan.masked >> g) & 1) {  // MaskedRest: "-****", " XXXX", "xxxxx"
      size_t q = run.end;
      if (q < n && (t[q] == '-' || t[q] == '+' || t[q] == ' ')) ++q;
      if (q < n && (t[q] == '*' || t[q] == 'X' || t[q] == 'x')) return kParse;
    }
    if (!im_.phone.empty()) {  // InternationalPhone: "+47 ...", "0047 ...", "+46 (0)70 ..."
      if (run.start > 0 && t[run.start - 1] == '+') return kParse;
      if (!l) {
        if (t[run.start] == '0' && t[run.start + plan.second] == '0') return kParse;
        size_t q = run.start;
        if (q > 0 && t[q - 1] == ' ') --q;
        if (q > 0 && t[q - 1] == ')') return kParse;
      }
    }
    if (!((plan.parse >> g) & 1)) return kSkip;
    return ((plan.plain >> g) & 1) ? kPlain : kParse;
  }

  // The plain candidates of a run Classify found kPlain, from its plan: the
  // Try calls Parse and PlainShapes make, in their order.
  void TakePlain(const DigitRun& run) {
    const DetectScratch::RunPlan& plan = *plan_;
    char dg[kPlanBytes];
    const char* t = text_.data() + run.start;
    for (int i = 0; i < plan.nd; ++i) dg[i] = t[plan.digit_off[i]];
    const unsigned glued = (left_glued_ ? 1u : 0u) | (right_glued_ ? 2u : 0u);
    for (int k = 0; k < plan.ntake; ++k) {
      const DetectScratch::RunPlan::Take& e = plan.take[k];
      if (e.edges & glued) continue;
      Try(e.detector, dg + e.first, e.count, e.flags, run.start + e.start_off, run.start + e.end_off, e.grouped);
    }
  }

  // Fills `plan` for the run structure `key` (RunKey) of `len` bytes: the
  // structural tests of PlainShapes, HetuForms, IbanForm, DateThenRest and
  // MaskedRest for each of the four ways the run's edges can be glued.
  void MakePlan(const uint64_t key[4], uint32_t len, DetectScratch::RunPlan& plan) {
    char s[kPlanBytes], dg[kPlanBytes];
    uint32_t dp[kPlanBytes];
    Group gr[kPlanBytes];
    std::memcpy(s, key, kPlanBytes);
    for (char& c : s)
      if (c == 'D') c = '0';
    int nd = 0, ng = 0;
    ParseGroups(s, 0, len, dg, dp, gr, nd, ng);
    plan = {};
    std::memcpy(plan.key, key, kPlanBytes);
    plan.owner = ds_.id_;
    plan.nd = static_cast<uint8_t>(nd);
    plan.second = static_cast<uint8_t>(nd > 1 ? dp[1] : 0);
    for (int i = 0; i < nd; ++i) plan.digit_off[i] = static_cast<uint8_t>(dp[i]);
    if (nd < kMinRunDigits) return;
    // The builder's run state, lent to the structure.
    char* const save_dg = dg_;
    uint32_t* const save_dp = dp_;
    Group* const save_gr = gr_;
    const int save_nd = nd_, save_ng = ng_;
    const bool save_l = left_glued_, save_r = right_glued_;
    dg_ = dg, dp_ = dp, gr_ = gr, nd_ = nd, ng_ = ng;
    left_glued_ = right_glued_ = false;
    const bool listed = PlainShapes<kRecord>(&plan);  // all edges free: every candidate
    for (unsigned g = 0; g < 4; ++g) {
      left_glued_ = (g & 2) != 0;
      right_glued_ = (g & 1) != 0;
      const bool plain = PlainShapes<kProbe>(), other = HetuShape() || IbanShape();
      if (plain || other) plan.parse |= static_cast<uint8_t>(1u << g);
      if (plain && !other && listed) plan.plain |= static_cast<uint8_t>(1u << g);
      if (DateShape()) plan.date |= static_cast<uint8_t>(1u << g);
      if (MaskedShape()) plan.masked |= static_cast<uint8_t>(1u << g);
    }
    dg_ = save_dg, dp_ = save_dp, gr_ = save_gr, nd_ = save_nd, ng_ = save_ng;
    left_glued_ = save_l, right_glued_ = save_r;
  }

  uint32_t GroupStart(int g) const { return dp_[gr_[g].first]; }
  uint32_t GroupEnd(int g) const { return dp_[gr_[g].first + gr_[g].count - 1] + 1; }
  // May a value start at group g / end after group g? Not inside a longer
  // run of digits or letters: at the run's edge it must not be glued to a
  // letter; inside the run only a space, tab or line break may separate it.
  bool StartOk(int g) const { return g == 0 ? !left_glued_ : IsSoftSeparator(gr_[g].sep); }
  bool EndOk(int g) const { return g == ng_ - 1 ? !right_glued_ : IsSoftSeparator(gr_[g + 1].sep); }

  // Digit groups gi..gj matched against the detectors' shapes. kProbe:
  // only whether a candidate would be tried; kRecord: the candidates into
  // `rec`, false if they do not fit (MakePlan).
  enum PlainMode { kTry, kProbe, kRecord };
  template <PlainMode kMode = kTry>
  bool PlainShapes(DetectScratch::RunPlan* rec = nullptr) {
    for (int gi = 0; gi < ng_; ++gi) {
      if (!StartOk(gi)) continue;
      int a = gr_[gi].first;
      uint32_t brk = 0, seps = 0, flags = 0;
      for (int gj = gi; gj < ng_; ++gj) {
        const Group& last = gr_[gj];
        int n = last.first + last.count - a;
        if (n > kMaxDigits) break;
        if (gj > gi) {
          brk |= 1u << (last.first - a);
          seps |= SepCode(last.sep);
          if (last.sep == '+') flags |= NORDPII_INPUT_PLUS_SEPARATOR;
        }
        if (!((im_.shape_lens >> n) & 1) || !EndOk(gj)) continue;
        const auto& shapes = im_.shapes_by_len[static_cast<size_t>(n)];
        uint32_t last_det = UINT32_MAX;
        for (const Impl::ShapeMask& sm : shapes) {
          if (sm.detector == last_det) continue;
          if ((seps & ~sm.seps) != 0 || (!sm.any_breaks && (brk & ~sm.breaks) != 0)) continue;
          if constexpr (kMode == kProbe) return true;
          last_det = sm.detector;
          // Separated = written with a separator other than a line break.
          const bool separated = (seps & ~SepCode('\n')) != 0;
          const uint32_t f = flags | (separated ? NORDPII_INPUT_SEPARATED : 0u);
          const bool grouped = sm.grouping_is_label && brk == sm.breaks && (seps & SepCode('\n')) == 0;
          if constexpr (kMode == kRecord) {
            if (rec->ntake == std::size(rec->take)) return false;
            rec->take[rec->ntake++] = {sm.detector,
                                       static_cast<uint8_t>(a),
                                       static_cast<uint8_t>(n),
                                       static_cast<uint8_t>(GroupStart(gi)),
                                       static_cast<uint8_t>(GroupEnd(gj)),
                                       static_cast<uint8_t>(f),
                                       static_cast<uint8_t>((gi == 0 ? 1u : 0u) | (gj == ng_ - 1 ? 2u : 0u)),
                                       grouped};
          } else {
            Try(sm.detector, dg_ + a, static_cast<size_t>(n), f, GroupStart(gi), GroupEnd(gj), grouped);
          }
        }
      }
    }
    return kMode == kRecord;
  }

  // "født 15.10.86, personnummer 95088": a date-shaped run, then on the same
  // line one of the detector's labels and a lone 5-digit number. The finding
  // is the 5 digits (the part that makes the date an identity); the value
  // validated and hashed is the whole 11-digit number.
  // The run is a date (DD.MM.YY, DD-MM-YYYY, ...) with free edges.
  bool DateShape() const {
    if (im_.join_date.empty() || ng_ != 3 || !StartOk(0) || !EndOk(2)) return false;
    if (gr_[0].count != 2 || gr_[1].count != 2 || (gr_[2].count != 2 && gr_[2].count != 4)) return false;
    char sep = gr_[1].sep;
    return (sep == '.' || sep == '-' || sep == '/') && gr_[2].sep == sep;
  }
  // Where the rest of "født 15.10.86, personnummer 95088" starts after a
  // date ending at `from`, or SIZE_MAX: the next digits on the date's line,
  // or on the next line (a form: "Fødselsdato: 15.10.86⏎Personnummer:
  // 95088"), must be a lone group of exactly 5. A parenthesis about the
  // label is skipped ("Personnummer (5 siffer):").
  size_t DateRest(size_t from) const {
    size_t p = from;
    const size_t limit = std::min(text_.size(), from + 80);
    int breaks = 0;
    while (p < limit && !IsDigitC(text_[p])) {
      p = SkipToDigitBreakOrParen(text_.data(), p, limit);  // 16 bytes at a time: most lines hold no rest
      if (p >= limit || IsDigitC(text_[p])) break;
      if (text_[p] == '\n' && ++breaks > 1) return SIZE_MAX;
      if (text_[p] == '(') {
        // Not when it holds the rest itself ("15.10.86 (personnummer 95088)":
        // skipped since 1d2f6f7, review18): no run of 5 digits inside.
        size_t close = p + 1, run = 0, longest = 0;
        while (close < limit && close - p < 24 && text_[close] != ')' && text_[close] != '\n') {
          run = IsDigitC(text_[close]) ? run + 1 : 0;
          longest = std::max(longest, run);
          ++close;
        }
        if (close < limit && text_[close] == ')' && longest < 5) p = close;
      }
      ++p;
    }
    if (p >= limit || WordCharBefore(text_, p)) return SIZE_MAX;
    size_t q = p;
    while (q < text_.size() && IsDigitC(text_[q])) ++q;
    if (q - p != 5 || WordCharAt(text_, q)) return SIZE_MAX;
    if (q < text_.size() && (text_[q] == '.' || text_[q] == '-' || text_[q] == '/') &&
        q + 1 < text_.size() && IsDigitC(text_[q + 1]))
      return SIZE_MAX;  // "95088.12": part of a longer number
    return p;
  }
  void DateThenRest(const DigitRun& run) {
    if (!DateShape()) return;
    char v[11];
    std::memcpy(v, dg_, 4);
    std::memcpy(v + 4, dg_ + gr_[2].first + gr_[2].count - 2, 2);  // YY of YY or YYYY
    const size_t p = DateRest(run.end);
    if (p == SIZE_MAX) return;
    const size_t q = p + 5;
    std::memcpy(v + 6, text_.data() + p, 5);
    for (uint32_t d : im_.join_date) {
      // Only with the detector's label between the date and the rest.
      uint64_t labels = im_.labels.Find(text_, run.end, p - 1, p, 0);
      if ((labels & im_.dets[d].label_mask) == 0) continue;
      Try(d, v, 11, 0, static_cast<uint32_t>(p), static_cast<uint32_t>(q));
    }
  }

  // A partly masked identifier: a birth-date group followed by masking
  // characters ("151086-*****", "19880320-XXXX"): the date still identifies.
  // The value handed to the validator is the date digits only.
  // The run ends in a date group of 6 or 8 digits a value may start at.
  bool MaskedShape() const {
    if (im_.masked.empty()) return false;
    const Group& last = gr_[ng_ - 1];
    return (last.count == 6 || last.count == 8) && StartOk(ng_ - 1);
  }
  void MaskedRest(const DigitRun& run) {
    if (!MaskedShape()) return;
    const Group& last = gr_[ng_ - 1];
    size_t p = run.end;
    if (p < text_.size() && (text_[p] == '-' || text_[p] == '+' || text_[p] == ' ')) ++p;
    size_t q = p;
    while (q < text_.size() && q - p < 6 && (text_[q] == '*' || text_[q] == 'X' || text_[q] == 'x')) ++q;
    if (q - p < 4 || q - p > 5 || WordCharAt(text_, q) || (q < text_.size() && text_[q] == '*')) return;
    int g = ng_ - 1;
    for (uint32_t d : im_.masked)
      Try(d, dg_ + last.first, static_cast<size_t>(last.count), 0, GroupStart(g), static_cast<uint32_t>(q));
  }

  // HetuForms may try a candidate (its tests of the groups and edges; the
  // letter forms are then checked on the bytes after the run).
  bool HetuShape() const {
    if (im_.hetu.empty()) return false;
    for (int gi = 0; gi < ng_; ++gi) {
      const Group& G = gr_[gi];
      if (G.count != 6 || !StartOk(gi)) continue;
      if (gi + 1 < ng_) {
        const Group& H = gr_[gi + 1];
        if (H.sep != '-' && H.sep != '+') continue;
        if (H.count == 4 && EndOk(gi + 1)) return true;
        if (H.count == 3 && gi + 2 == ng_ && right_glued_) return true;
      } else if (right_glued_) {
        return true;
      }
    }
    return false;
  }
  // IbanForm may try one: country letters glued before, 13+ digits.
  bool IbanShape() const { return !im_.iban.empty() && left_glued_ && nd_ >= 13; }

  // HETU: DDMMYY{sign}ZZZ{check}, where a '-'/'+' sign is a run separator and
  // a letter sign or check character is glued to the run's end.
  void HetuForms(const DigitRun& run) {
    if (im_.hetu.empty()) return;
    for (int gi = 0; gi < ng_; ++gi) {
      const Group& G = gr_[gi];
      if (G.count != 6 || !StartOk(gi)) continue;
      char v[11];
      std::memcpy(v, dg_ + G.first, 6);
      uint32_t start = GroupStart(gi);
      if (gi + 1 < ng_) {
        const Group& H = gr_[gi + 1];
        if (H.sep != '-' && H.sep != '+') continue;
        v[6] = H.sep;
        if (H.count == 4 && EndOk(gi + 1)) {  // digit check character
          std::memcpy(v + 7, dg_ + H.first, 4);
          for (uint32_t d : im_.hetu) Try(d, v, 11, 0, start, GroupEnd(gi + 1));
        } else if (H.count == 3 && gi + 2 == ng_ && right_glued_) {  // letter check
          uint32_t e = run.end;
          if (e < text_.size() && IsHetuCheck(text_[e]) && !WordCharAt(text_, e + 1)) {
            std::memcpy(v + 7, dg_ + H.first, 3);
            v[10] = text_[e];
            for (uint32_t d : im_.hetu) Try(d, v, 11, 0, start, e + 1);
          }
        }
      } else if (right_glued_) {  // letter sign (A-F, U-Y) glued to the run's end
        uint32_t e = run.end;
        if (e + 5 <= text_.size() && IsHetuSign(text_[e]) && IsDigitC(text_[e + 1]) &&
            IsDigitC(text_[e + 2]) && IsDigitC(text_[e + 3]) && IsHetuCheck(text_[e + 4]) &&
            !WordCharAt(text_, e + 5)) {
          v[6] = text_[e];
          std::memcpy(v + 7, text_.data() + e + 1, 4);
          for (uint32_t d : im_.hetu) Try(d, v, 11, 0, start, e + 5);
        }
      }
    }
  }

  // IBAN: two ASCII letters glued before the run, groups separated by spaces.
  void IbanForm(const DigitRun& run) {
    if (im_.iban.empty() || !left_glued_ || run.start < 2 || !IsAsciiAlpha(text_[run.start - 1]) ||
        !IsAsciiAlpha(text_[run.start - 2]) || WordCharBefore(text_, run.start - 2))
      return;
    char v[40];
    v[0] = static_cast<char>(text_[run.start - 2] & ~0x20);
    v[1] = static_cast<char>(text_[run.start - 1] & ~0x20);
    for (int gj = 0; gj < ng_; ++gj) {
      if (gj > 0 && gr_[gj].sep != ' ' && gr_[gj].sep != '\n') break;
      int n = gr_[gj].first + gr_[gj].count;
      if (n + 2 > 34) break;
      if (n < 13 || !EndOk(gj)) continue;
      std::memcpy(v + 2, dg_, static_cast<size_t>(n));
      for (uint32_t d : im_.iban)
        Try(d, v, static_cast<size_t>(n) + 2, NORDPII_INPUT_COUNTRY_PREFIX, run.start - 2, GroupEnd(gj));
    }
  }

  // Phone with an international prefix: "+47 ...", "0047 ...", and the
  // "+46 (0)70 ..." form, where the country code is a run of its own before
  // a parenthesised trunk zero.
  void InternationalPhone(const DigitRun& run) {
    if (im_.phone.empty()) return;
    bool plus = run.start >= 1 && text_[run.start - 1] == '+' && !WordCharBefore(text_, run.start - 1);
    bool zz = !left_glued_ && nd_ > 2 && dg_[0] == '0' && dg_[1] == '0';
    char cc[4];
    size_t cc_len = 0;
    uint32_t cc_start = 0;
    if (!plus && !zz && !left_glued_ && TrunkZeroPrefix(run.start, cc, cc_len, cc_start)) {
      char v[24];
      std::memcpy(v, cc, cc_len);
      for (int gj = 0; gj < ng_; ++gj) {
        int n = gr_[gj].first + gr_[gj].count;
        if (static_cast<size_t>(n) + cc_len > 15) break;
        if (static_cast<size_t>(n) + cc_len < 7 || !EndOk(gj)) continue;
        std::memcpy(v + cc_len, dg_, static_cast<size_t>(n));
        for (uint32_t d : im_.phone)
          Try(d, v, cc_len + static_cast<size_t>(n), NORDPII_INPUT_COUNTRY_PREFIX, cc_start, GroupEnd(gj));
      }
      return;
    }
    if (!plus && !zz) return;
    int skip = zz ? 2 : 0;
    for (int gj = 0; gj < ng_; ++gj) {
      int n = gr_[gj].first + gr_[gj].count - skip;
      if (n > 15) break;
      if (n < 7 || !EndOk(gj)) continue;
      for (uint32_t d : im_.phone)
        Try(d, dg_ + skip, static_cast<size_t>(n), NORDPII_INPUT_COUNTRY_PREFIX,
            plus ? run.start - 1 : run.start, GroupEnd(gj));
    }
  }

  // Is the text before `pos` "+CC (0)" or "+CC(0)" (an optional space after
  // the parenthesis)? Sets the country code digits and where '+' stands.
  bool TrunkZeroPrefix(uint32_t pos, char* cc, size_t& cc_len, uint32_t& plus_at) const {
    size_t p = pos;
    if (p > 0 && text_[p - 1] == ' ') --p;
    if (p < 3 || text_.substr(p - 3, 3) != "(0)") return false;
    p -= 3;
    if (p > 0 && text_[p - 1] == ' ') --p;
    size_t digits_end = p;
    while (p > 0 && IsDigitC(text_[p - 1]) && digits_end - p < 3) --p;
    if (digits_end == p || p == 0 || text_[p - 1] != '+' || WordCharBefore(text_, p - 1)) return false;
    if (p >= 1 && IsDigitC(text_[p - 1])) return false;
    cc_len = digits_end - p;
    std::memcpy(cc, text_.data() + p, cc_len);
    plus_at = static_cast<uint32_t>(p - 1);
    return true;
  }

  const DetectorSet& ds_;
  const Impl& im_;
  std::string_view text_;
  const DetectOptions& opt_;
  DetectScratch& sc_;
  // The run being looked at (Parse).
  char* dg_ = nullptr;
  uint32_t* dp_ = nullptr;
  Group* gr_ = nullptr;
  int nd_ = 0, ng_ = 0;
  bool left_glued_ = false, right_glued_ = false;
  const DetectScratch::RunPlan* plan_ = nullptr;  // the run's plan (Classify)
  // Context of the last candidate span (Try).
  uint32_t ctx_start_ = UINT32_MAX, ctx_end_ = 0;
  int ctx_window_ = -1;
  uint64_t ctx_all_ = 0, ctx_nearest_ = 0, ctx_list_first_ = 0, ctx_key_ = 0;
  bool ctx_keyed_ = false;
};

namespace {

uint64_t NameKeywords(const LabelIndex& idx, std::string_view name) {
  if (name.empty()) return 0;
  auto find = [&](std::string_view t) { return t.empty() ? 0 : idx.Find(t, 0, t.size() - 1, t.size(), 0); };
  uint64_t bits = find(name);
  std::string spaced, camel;
  spaced.reserve(name.size());
  camel.reserve(name.size() + 8);
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool sep = c == '_' || c == '.' || c == '-' || c == '[' || c == ']' || c == '/' || c == ':' || IsDigitC(c);
    spaced += sep ? ' ' : c;
    if (i > 0 && c >= 'A' && c <= 'Z' && name[i - 1] >= 'a' && name[i - 1] <= 'z') camel += ' ';
    camel += sep ? ' ' : c;
  }
  return bits | find(spaced) | find(camel);
}

}  // namespace

uint64_t DetectorSet::NameLabels(std::string_view name) const { return NameKeywords(impl_->labels, name); }
uint64_t DetectorSet::NameTriggers(std::string_view name) const { return NameKeywords(impl_->triggers, name); }

void DetectorSet::Detect(std::string_view text, const MatchResults& m, const DetectOptions& opt,
                         DetectScratch& sc, std::vector<TextFinding>& out) const {
  auto& cands = sc.cands;
  cands.clear();
  sc.unlabelled.clear();
  sc.labelled.clear();
  if (sc.plans.empty()) sc.plans.assign(size_t{1} << kPlanBits, DetectScratch::RunPlan{});
  CandidateBuilder builder(*this, text, opt, sc);
  // Where each step's candidates end (ResolveOverlaps orders each, then merges).
  sc.stretch_end.clear();
  builder.FromRuns(m.runs);
  sc.stretch_end.push_back(cands.size());
  builder.FromRegex(m.regex);
  sc.stretch_end.push_back(cands.size());
  builder.FromKeywords(m.keywords);
  sc.stretch_end.push_back(cands.size());
  if (opt.doc_triggers) builder.FromFieldName();
  sc.stretch_end.push_back(cands.size());
  builder.FromRepeats();
  ResolveOverlaps(cands, sc, out);
}

void DetectorSet::ResolveOverlaps(std::vector<TextFinding>& cands, DetectScratch& sc,
                                  std::vector<TextFinding>& out) const {
  // Candidates that overlap form clusters (usually of one); within a cluster
  // the strongest wins (confidence, validity, length, detector priority) and
  // others on the very same bytes are listed in `also`.
  auto stronger = [&](const TextFinding& a, const TextFinding& b) {
    if (a.confidence != b.confidence) return a.confidence > b.confidence;
    // In a list of labels, a type whose check digit holds, then the list's
    // first label say what a value that validates as more than one type is
    // ("Telefon, kennitala: <valid kt>", "Kennitala, pöntunarnúmer og sími:
    // <kt failing its check digit>").
    if (a.list != b.list) return a.list > b.list;
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
  // By (start, end). Each of the builder's steps (digit runs, regex
  // matches, keywords, field name, repeats: sc.stretch_end) makes its
  // candidates nearly in that order (a run's date-then-rest candidate
  // after its plain ones): each stretch is put in order by insertion (a
  // few moves) and the stretches merged — the sort's indirect compares
  // over a chunk's candidates were 3 % of a mail-header-rich scan. Equal
  // keys overlap, so they share a cluster, which is ordered by `stronger`
  // below: their order here does not matter.
  auto key = [&](uint32_t x) { return static_cast<uint64_t>(cands[x].start) << 32 | cands[x].end; };
  auto by_key = [&](uint32_t x, uint32_t y) { return key(x) < key(y); };
  size_t from = 0;
  for (size_t r = 0; r <= sc.stretch_end.size(); ++r) {
    const size_t to = r < sc.stretch_end.size() ? std::min(sc.stretch_end[r], order.size()) : order.size();
    if (to <= from) continue;
    size_t budget = 4 * (to - from);  // moves; past it the stretch is sorted instead
    bool sorted = true;
    for (size_t i = from + 1; i < to && sorted; ++i) {
      const uint32_t x = order[i];
      const uint64_t kx = key(x);
      size_t k = i;
      for (; k > from && key(order[k - 1]) > kx; --k) {
        order[k] = order[k - 1];
        if (--budget == 0) break;
      }
      order[k] = x;
      sorted = budget > 0;
    }
    if (!sorted) std::sort(order.begin() + static_cast<std::ptrdiff_t>(from), order.begin() + static_cast<std::ptrdiff_t>(to), by_key);
    if (from > 0 && key(order[from]) < key(order[from - 1])) {  // merge into the stretches before
      auto& merged = sc.merged;
      merged.resize(to);
      std::merge(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(from),
                 order.begin() + static_cast<std::ptrdiff_t>(from), order.begin() + static_cast<std::ptrdiff_t>(to),
                 merged.begin(), by_key);
      std::copy(merged.begin(), merged.end(), order.begin());
    }
    from = to;
  }
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
