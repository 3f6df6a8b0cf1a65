// SPDX-License-Identifier: Apache-2.0
// The only simdjson user (on-demand API over one record at a time).
#include "tickets/ticket_scanner.h"
#include "tickets/export_detect.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>
#include <map>
#include <unordered_map>

#include "core/simd.h"
#include "core/utf8.h"
#include "match/digit_runs.h"
#include "normalize/html_text.h"
#include "normalize/transfer_decode.h"
#include "tickets/json_string_stream.h"

namespace nordpii {

namespace {

namespace od = simdjson::ondemand;

// The export field maps (which fields hold HTML) are data:
// patterns/ticket_maps.toml, loaded with the patterns (TicketMapSpec,
// PatternSet::ticket_maps) and chosen per record below.

// JSON numbers shorter than this are read and passed over: nothing the
// detectors report is that short (national ids, accounts, cards, passports
// have 8 digits or more; short Plusgiro and Icelandic VAT numbers are not
// detected even as labelled strings), and a scan call for every "id": 7,
// "priority": 2 of a ticket is measurable. Lower it if a detector for
// shorter values is added.
constexpr size_t kMinNumberChars = 6;

// The name a JSON field's value goes under: the last key of its path
// ("custom_fields[0].cf_fodselsnummer" -> "cf_fodselsnummer", "tags[2]" ->
// "tags").
std::string_view LeafKey(std::string_view path) {
  while (!path.empty() && path.back() == ']') {
    size_t open = path.rfind('[');
    if (open == std::string_view::npos) break;
    path = path.substr(0, open);
  }
  size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

bool PathMatches(const std::string& pattern, const std::string& path) {
  if (pattern == path) return true;
  if (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, ".*") == 0)
    return path.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  if (!pattern.empty() && pattern.back() == '*')  // "fields.customfield_*"
    return path.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  return false;
}

// `v` without blank space (" \t\r\n") at either end; `lead`: the bytes
// dropped at the start (left as it is when nothing remains).
std::string_view TrimBlank(std::string_view v, size_t& lead) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t a = 0, b = v.size();
  while (a < b && blank(v[a])) ++a;
  if (a == b) return std::string_view();
  while (blank(v[b - 1])) --b;
  lead = a;
  return std::string_view(v.data() + a, b - a);
}

// Whether a field's text is only ASCII digits, not starting with "00", and
// shorter than `below` (ScanContext::DigitsOnlyQuietBelow): with no
// field-name trigger such a text gives no finding, and the field is left
// out of the record's text (ids and counts: a number token is its own field,
// and each was a segment, a digit run and a Detect call).
bool QuietDigits(std::string_view t, size_t below) {
  if (t.empty() || t.size() >= below || (t.size() >= 2 && t[0] == '0' && t[1] == '0')) return false;
  for (char c : t)
    if (static_cast<unsigned char>(c - '0') >= 10) return false;
  return true;
}

// A field not named as HTML is taken for HTML when a tag opens within its
// first 8 bytes and a closing tag follows.
bool LooksHtml(std::string_view v) {
  size_t lt = v.substr(0, 8).find('<');
  return lt != std::string_view::npos && v.find("</", lt) != std::string_view::npos;
}

// JSON string content (between the quotes) to UTF-8, appended to `out`,
// with `map` (cleared) from the appended bytes back to `s`. Written through
// a pointer into `out` sized for the input (no escape makes its bytes
// longer), copying 16 bytes at a time up to the next backslash: a memchr and
// an append per line of a ticket body were ~3 % of a batch over exports.
// False when an escape is one JSON does not allow (ValidJsonEscapes' rule,
// checked here as the escapes are decoded: a second pass over the escapes
// of every string cost ~5 % of a scan of an escape-dense export); the
// bytes are decoded all the same.
bool DecodeJsonString(std::string_view s, std::string& out, OffsetMap& map) {
  map.Clear();
  const size_t base = out.size(), n = s.size();
  out.resize(base + n);
  char* dst = out.data() + base;
  const char* src = s.data();
  size_t i = 0, o = 0;  // o <= i throughout
  bool valid = true;
  auto hex4 = [&](size_t at, uint32_t& v) {
    if (at + 4 > n) return false;
    v = 0;
    for (size_t k = at; k < at + 4; ++k) {
      char c = src[k];
      int x = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
      if (x < 0) return false;
      v = v * 16 + static_cast<uint32_t>(x);
    }
    return true;
  };
  while (i < n) {
#if defined(__SSE2__)
    // Plain bytes: stored 16 at a time (o + 16 <= i + 16 <= n: in bounds).
    const __m128i backslash = _mm_set1_epi8('\\');
    while (i + 16 <= n) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + o), v);
      unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslash)));
      if (m) {
        unsigned k = static_cast<unsigned>(__builtin_ctz(m));
        i += k;
        o += k;
        break;
      }
      i += 16;
      o += 16;
    }
#endif
    while (i < n && src[i] != '\\') dst[o++] = src[i++];
    if (i >= n) break;
    const uint32_t at = static_cast<uint32_t>(o);
    size_t len = 2;
    if (i + 1 >= n) valid = false;
    char c = i + 1 < n ? src[i + 1] : '\\';
    switch (c) {
      case 'n': dst[o++] = '\n'; break;
      case 't': dst[o++] = '\t'; break;
      case 'r': dst[o++] = '\r'; break;
      case 'b': dst[o++] = '\b'; break;
      case 'f': dst[o++] = '\f'; break;
      case 'u': {
        uint32_t v = 0, lo = 0;
        if (!hex4(i + 2, v)) { dst[o++] = '\\'; len = 1; valid = false; break; }
        len = 6;
        if (v >= 0xD800 && v < 0xDC00 && i + 12 <= n && src[i + 6] == '\\' && src[i + 7] == 'u' &&
            hex4(i + 8, lo) && lo >= 0xDC00 && lo < 0xE000) {
          v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
          len = 12;
        } else if (v >= 0xD800 && v < 0xE000) {
          v = 0xFFFD;  // a lone half: JSON's grammar allows it (an emoji cut by a truncation)
        }
        o += EncodeUtf8(v, dst + o);
        break;
      }
      default:  // \" \\ \/
        if (c != '"' && c != '\\' && c != '/') valid = false;
        dst[o++] = c;
        break;
    }
    map.Add(at, static_cast<uint32_t>(o), static_cast<uint32_t>(i), static_cast<uint32_t>(i + len));
    i += len;
  }
  out.resize(base + o);
  return valid;
}

// Whether a long JSON string can be scanned as a JsonStringStream: exactly
// when its decoding does not look like HTML (LooksHtml: a '<' among the
// first 8 decoded bytes and a "</" at or after it), so the choice is the
// whole-string path's; worked out on the decoded bytes, a range at a time
// (before: a '<' or any "\u" escape among the first 96 raw bytes sent the
// string to the whole path, and an escape-dense 60 MB description took
// 400 MB there).
// The same for a long CSV cell (`escapes`: Escapes::kCsv or kNone), whose
// whole path is DecodeCsvField then LooksHtml.
bool Streamable(std::string_view content, Escapes escapes = Escapes::kJson) {
  JsonStringStream head(content, 0, 96, escapes);
  std::string h;
  char buf[8];
  while (h.size() < 8) {
    auto r = head.Read(buf, 8 - h.size());
    if (!r || *r == 0) break;
    h.append(buf, *r);
  }
  const size_t lt = h.find('<');
  if (lt == std::string::npos) return true;
  // A "</" at or after lt, in the decoded bytes.
  JsonStringStream js(content, 0, JsonStringStream::kRange, escapes);
  std::vector<char> chunk(64 << 10);
  uint64_t at = 0;
  bool prev_lt = false;
  for (;;) {
    auto r = js.Read(chunk.data(), chunk.size());
    if (!r || *r == 0) return true;
    for (size_t i = 0; i < *r; ++i, ++at) {
      if (at < lt) continue;
      if (prev_lt && chunk[i] == '/') return false;
      prev_lt = chunk[i] == '<';
    }
  }
}

// CSV field content to text ("" -> ") with a map back, into `d` (its
// buffers reused from record to record).
void DecodeCsvField(std::string_view v, bool quoted, Decoded& d) {
  d.bytes.clear();
  d.map.Clear();
  d.notes.clear();
  if (!quoted) {
    d.bytes.assign(v);
    return;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '"' && i + 1 < v.size() && v[i + 1] == '"') {
      uint32_t at = static_cast<uint32_t>(d.bytes.size());
      d.bytes += '"';
      d.map.Add(at, at + 1, static_cast<uint32_t>(i), static_cast<uint32_t>(i + 2));
      ++i;
      continue;
    }
    d.bytes += v[i];
  }
}

}  // namespace

// Whether a field path is scanned, and as HTML.
struct PathChoice {
  bool selected, html;
  uint64_t matched;  // bit i: --fields pattern i matches the path
  // DetectorSet::NameLabels / NameTriggers of the path's last key, worked
  // out once per path (ScanContext::set_field_labels).
  uint64_t labels, triggers;
};

struct TicketScanner::Json {
  od::parser parser;
  std::string buf;  // the record plus SIMDJSON_PADDING bytes of capacity
  std::string pending;  // Redact: output gathered before it goes to `put`
  // Per field map: the choice for each path seen (JsonWalk::Choose), and the
  // paths of the last record in the order they were asked about (records
  // of an export have the same paths in the same order: a string compare
  // with the path asked at the same position spares the hash lookup).
  struct Choices {
    std::unordered_map<std::string, PathChoice> memo;
    std::vector<std::pair<std::string, PathChoice>> by_position;
  };
  std::map<std::string, Choices> choices;
};


struct TicketScanner::LocatedFinding {
  size_t seg_index;    // into Extracted::segments
  uint32_t in_field;   // offset in the field's text
  ByteRange in_record;
  const Finding* f;        // its start/end are the scan's: the place is in_record / in_field
  std::string_view value;  // the finding's decoded bytes (valid during the emit)
};

struct TicketScanner::Extracted {
  struct Segment {
    uint32_t text_begin, text_end;
    uint32_t raw_begin;  // offset of the field content in the record
    std::string path;    // with indexes: comments[2].body
    Decoded decoded;     // escapes removed; map -> raw content
    Decoded html;        // when the field is HTML: visible text; map -> decoded
    bool is_html = false;
    // A JSON number: its token is its text; a redaction replaces the whole
    // token by a JSON string (the record stays valid JSON).
    bool is_number = false;
    // A JSON object key that may be a value (JsonWalk::KeyMayHoldValue).
    bool is_key = false;
    // Index of the previous field when this field's text is the same
    // (Zendesk's html_body beside body): it is not scanned again, its
    // findings are that field's, mapped through this field's maps.
    int mirror_of = -1;
    int mirror_shift = 0;  // offset in this text minus offset in the original's
    // The labels and triggers of the field's name, when known (JSON paths,
    // from PathChoice); else the name is looked up when the field is scanned.
    bool has_labels = false;
    uint64_t labels = 0, triggers = 0;
    // A long string value (TicketOptions::stream_from): its raw content,
    // decoded and scanned a range at a time in Run; nothing of it is in
    // `text` (text_begin == text_end).
    std::string_view stream;
    Escapes stream_escapes = Escapes::kJson;  // how `stream` is written (JSON string, CSV cell)
  };
  std::string text;
  std::vector<Segment> segments;  // the first `used` are this record's; the rest keep their buffers
  size_t used = 0;
  std::string_view record;
  bool csv = false;  // segment paths are CSV column names (else JSON paths)
  // Segments before this one are never taken for the original of a mirror:
  // a field left out (digits that cannot give a finding) stood between.
  size_t mirror_floor = 0;

  // Ready for the next record, keeping every buffer's capacity.
  void Reset() {
    csv = false;
    mirror_floor = 0;
    text.clear();
    used = 0;
    record = {};
  }
  Segment& Next() {
    if (used == segments.size()) segments.emplace_back();
    Segment& s = segments[used++];
    s.is_html = false;
    s.is_number = false;
    s.is_key = false;
    s.mirror_of = -1;
    s.mirror_shift = 0;
    s.has_labels = false;
    s.stream = {};
    s.stream_escapes = Escapes::kJson;
    return s;
  }
  std::string_view TextOf(const Segment& s) const {
    return std::string_view(text).substr(s.text_begin, s.text_end - s.text_begin);
  }
  // Bytes [a, b) of a field's text -> bytes of the record.
  static ByteRange InRecord(const Segment& s, uint32_t a, uint32_t b) {
    ByteRange rr = s.is_html ? MapBack({a, b}, {&s.html.map, &s.decoded.map}) : MapBack({a, b}, {&s.decoded.map});
    return {s.raw_begin + rr.start, s.raw_begin + rr.end};
  }

  // The field holding a finding, the finding's bytes in the record and its
  // offset in the field's text; null when it spans the blank line between
  // two fields (not a real finding).
  // [start, end): the finding's bytes in the record's text.
  const Segment* Locate(uint64_t start, uint64_t end, ByteRange& in_record, uint32_t& in_field) const {
    auto it = std::upper_bound(segments.begin(), segments.begin() + static_cast<ptrdiff_t>(used), start,
                               [](uint64_t v, const Segment& s) { return v < s.text_begin; });
    // Mirrors hold no text of their own (empty range at their original's end).
    while (it != segments.begin() && (it - 1)->mirror_of >= 0) --it;
    if (it == segments.begin()) return nullptr;
    const Segment& s = *(it - 1);
    if (end > s.text_end) return nullptr;
    uint32_t a = static_cast<uint32_t>(start - s.text_begin), b = static_cast<uint32_t>(end - s.text_begin);
    in_record = InRecord(s, a, b);
    in_field = a;
    return &s;
  }

  bool HasMirrors() const {
    for (size_t k = 0; k < used; ++k)
      if (segments[k].mirror_of >= 0) return true;
    return false;
  }
};

TicketScanner::TicketScanner(ScanContext& ctx, TicketOptions opt)
    : ctx_(ctx),
      opt_(std::move(opt)),
      json_(std::make_unique<Json>()),
      x_(std::make_unique<Extracted>()),
      quiet_(std::make_unique<QuietFields>()),
      detect_(std::make_unique<ExportDetector>(ctx_.detectors().patterns().ticket_maps)),
      digits_quiet_below_(ctx_.DigitsOnlyQuietBelow()) {}
TicketScanner::~TicketScanner() = default;

namespace {

struct JsonWalk {
  const std::vector<std::string>* include = nullptr;  // null = all strings
  const std::vector<std::string>* html = nullptr;
  const char* base = nullptr;  // padded copy of the record
  std::string_view record;
  TicketInfo* info = nullptr;
  std::function<void(std::string_view content, uint32_t raw_begin, const std::string& path, const PathChoice& c)> emit;
  bool bad_escape = false;  // a string emit decoded held an escape JSON does not allow
  bool emitting_key = false;  // emit is called for an object key
  // A number's token as written (never a reformatted double), e.g. 15108695088.
  std::function<void(std::string_view token, uint32_t raw_begin, const std::string& path, const PathChoice& c)>
      emit_number;
  const DetectorSet* detectors = nullptr;
  int depth = 0;
  // --ticket-map auto with the map guessed: the export names seen in the
  // record's keys and string values (ExportDetector::Names), for Decide.
  const ExportDetector* detect = nullptr;
  uint64_t names = 0;

  // Bit i set: include pattern i matches (all bits when there is no list).
  uint64_t Selected(const std::string& norm) const {
    if (!include) return ~uint64_t{0};
    uint64_t m = 0;
    for (size_t i = 0; i < include->size() && i < 64; ++i)
      if (PathMatches((*include)[i], norm)) m |= uint64_t{1} << i;
    return m;
  }
  bool Html(const std::string& norm) const {
    if (html)
      for (const auto& p : *html)
        if (PathMatches(p, norm)) return true;
    return false;
  }
  // Selected and Html of a path, remembered: every record of an export has
  // the same few paths (bounded, so a hostile export cannot grow it).
  using Choice = PathChoice;
  std::unordered_map<std::string, Choice>* memo = nullptr;
  // The last record's paths by position (TicketScanner::Json::Choices);
  // `asked`: the Choose calls of this record so far.
  std::vector<std::pair<std::string, Choice>>* by_position = nullptr;
  size_t asked = 0;
  // The --fields patterns that matched a path of this input (Choose).
  uint64_t* seen = nullptr;
  Choice Choose(const std::string& norm) {
    const size_t at = asked++;
    if (by_position && at < by_position->size() && (*by_position)[at].first == norm) {
      const Choice& c = (*by_position)[at].second;
      *seen |= c.matched;
      return c;
    }
    const Choice c = Lookup(norm);
    if (by_position) {
      if (at < by_position->size()) {
        (*by_position)[at].first.assign(norm);
        (*by_position)[at].second = c;
      } else if (at == by_position->size() && at < 4096) {
        by_position->emplace_back(norm, c);
      }
    }
    return c;
  }
  Choice Lookup(const std::string& norm) const {
    if (memo) {
      auto it = memo->find(norm);
      if (it != memo->end()) {
        *seen |= it->second.matched;
        return it->second;
      }
    }
    const uint64_t m = Selected(norm);
    const std::string_view leaf = LeafKey(norm);
    Choice c{m != 0, Html(norm), m, 0, 0};
    if (!leaf.empty()) c.labels = detectors->NameLabels(leaf), c.triggers = detectors->NameTriggers(leaf);
    *seen |= m;
    if (memo && memo->size() < 4096) memo->emplace(norm, c);
    return c;
  }
  // Ids and dates of the ticket, by key; every other key is passed over at
  // the cost of a few length compares.
  void Capture(std::string_view norm, std::string_view token) {
    // The lengths of the keys below (bit n: a key of n bytes): most paths
    // are passed over by their length alone.
    constexpr uint32_t kLengths = (1u << 2) | (1u << 3) | (1u << 5) | (1u << 7) | (1u << 9) | (1u << 10) |
                                  (1u << 11) | (1u << 14) | (1u << 21);
    if (norm.size() > 21 || !((kLengths >> norm.size()) & 1)) return;
    if (norm == "subject" || norm == "title" || norm == "fields.summary") return CaptureSubject(token);
    enum Which { kId, kCreated, kUpdated, kClosed };
    static constexpr std::pair<std::string_view, Which> kKeys[] = {
        {"id", kId},           {"key", kId},          {"ticket_id", kId},     {"created_at", kCreated},
        {"created", kCreated}, {"fields.created", kCreated},                  {"updated_at", kUpdated},
        {"updated", kUpdated}, {"fields.updated", kUpdated},                  {"closed_at", kClosed},
        {"solved_at", kClosed}, {"resolved_at", kClosed}, {"fields.resolutiondate", kClosed}};
    const Which* which = nullptr;
    for (const auto& [k, w] : kKeys)
      if (k == norm) { which = &w; break; }
    if (!which || (*which == kId && !info->id.empty())) return;
    if (token.size() >= 2 && token.front() == '"') token = token.substr(1, token.size() - 2);
    std::string& v = *which == kId ? info->id : *which == kCreated ? info->created
                     : *which == kUpdated ? info->updated : info->closed;
    v.assign(token.substr(0, 64));
    for (char& c : v)
      if (static_cast<unsigned char>(c) < 32 || c == '"' || c == '\\') c = ' ';
  }
  // The subject (for reports, shown masked): the JSON string unescaped by
  // simdjson, control characters as spaces, cut at 200 bytes on a UTF-8
  // boundary. The first one wins (a comment's title is not the ticket's).
  void CaptureSubject(std::string_view token) {
    if (!info->subject.empty()) return;
    if (token.size() >= 2 && token.front() == '"') token = token.substr(1, token.size() - 2);  // numbers' tokens
    std::string_view v;
    // Without escapes or control bytes the string is its own unescaping
    // (the record's UTF-8 was checked when it was parsed; a cut at 4096
    // bytes may split a character: that case goes to simdjson): no parser
    // run for the subject of every record.
    const bool plain = token.size() <= 4096 && std::none_of(token.begin(), token.end(), [](char c) {
                         return c == '\\' || static_cast<unsigned char>(c) < 0x20;
                       });
    if (plain) {
      v = token;
    } else {
      thread_local od::parser parser;
      simdjson::padded_string padded("\"" + std::string(token.substr(0, 4096)) + "\"");
      auto doc = parser.iterate(padded);
      if (doc.error() || doc.get_string().get(v)) return;
    }
    std::string sub(v.substr(0, 200));
    if (sub.size() == 200)
      while (!sub.empty() && (static_cast<unsigned char>(sub.back()) & 0xC0) == 0x80) sub.pop_back();
    if (sub.size() < v.size() && !sub.empty() && static_cast<unsigned char>(sub.back()) >= 0xC0) sub.pop_back();
    for (char& c : sub)
      if (static_cast<unsigned char>(c) < 32 || c == 0x7F) c = ' ';
    info->subject = std::move(sub);
  }
  // The offset of the closing quote of the string whose content starts at
  // `start`: the first '"' not escaped by an odd run of '\\' (record.size()
  // when there is none).
  size_t ClosingQuote(size_t start) const {
    for (size_t k = start;;) {
      const void* q = std::memchr(record.data() + k, '"', record.size() - k);
      if (!q) return record.size();
      size_t at = static_cast<size_t>(static_cast<const char*>(q) - record.data()), bs = 0;
      while (at > start + bs && record[at - 1 - bs] == '\\') ++bs;
      if (bs % 2 == 0) return at;
      k = at + 1;
    }
  }
  // A key that may be a value rather than a name: 6 or more digits (ASCII
  // or full-width), or an '@'. Other keys are names only (and their labels
  // count for their values).
  static bool KeyMayHoldValue(std::string_view key) {
    size_t digits = 0;
    for (size_t i = 0; i < key.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(key[i]);
      if (c - '0' < 10u) ++digits;
      else if (c == '@') return true;
      else if (c == 0xEF && i + 2 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0xBC) ++digits;
    }
    return digits >= 6;
  }
  std::string parent_leaf;

  simdjson::error_code Value(od::value v, std::string& norm, std::string& path) {
    if (++depth > 256) return simdjson::DEPTH_ERROR;
    od::json_type t;
    auto err = v.type().get(t);
    if (err) return err;
    switch (t) {
      case od::json_type::object: {
        od::object o;
        if ((err = v.get_object().get(o))) return err;
        for (auto field : o) {
          // The raw key's place first: unescaped_key() consumes it.
          const char* key_at = field.key().value_unsafe().raw();
          std::string_view key;
          if ((err = field.unescaped_key().get(key))) return err;
          if (detect) names |= detect->Names(key);
          size_t n0 = norm.size(), p0 = path.size();
          const bool value_key = KeyMayHoldValue(key);
          if (value_key) parent_leaf.assign(LeafKey(norm));
          if (!norm.empty()) norm += '.', path += '.';
          norm.append(key);
          path.append(key);
          // A key that is itself a value (an export keyed by personnummer or
          // e-mail address: {"customers": {"<id>": {...}}}) is scanned and
          // redacted like a string value, its parent's key its label; keys
          // were never scanned (scan exit 0, redact left the id in place).
          if (value_key && key_at >= base && static_cast<size_t>(key_at - base) <= record.size()) {
            const size_t start = static_cast<size_t>(key_at - base);
            {
              Choice c = Choose(norm);
              if (c.selected) {
                if (!parent_leaf.empty()) {
                  c.labels |= detectors->NameLabels(parent_leaf);
                  c.triggers |= detectors->NameTriggers(parent_leaf);
                }
                emitting_key = true;
                emit(record.substr(start, ClosingQuote(start) - start), static_cast<uint32_t>(start), path, c);
                emitting_key = false;
                if (bad_escape) return simdjson::STRING_ERROR;
              }
            }
          }
          od::value child;
          if ((err = field.value().get(child))) return err;
          if ((err = Value(child, norm, path))) return err;
          norm.resize(n0);
          path.resize(p0);
        }
        break;
      }
      case od::json_type::array: {
        od::array a;
        if ((err = v.get_array().get(a))) return err;
        size_t i = 0;
        for (auto elem : a) {
          od::value child;
          if ((err = elem.get(child))) return err;
          size_t n0 = norm.size(), p0 = path.size();
          norm += "[]";
          char num[24];
          auto r = std::to_chars(num, num + sizeof num, i++);
          path += '[';
          path.append(num, static_cast<size_t>(r.ptr - num));
          path += ']';
          if ((err = Value(child, norm, path))) return err;
          norm.resize(n0);
          path.resize(p0);
        }
        break;
      }
      case od::json_type::string: {
        // The token runs from the opening quote to the next structural
        // character: without the JSON white space after it, it ends with the
        // closing quote (known from simdjson's index; no search).
        std::string_view tok = v.raw_json_token();
        od::raw_json_string raw;
        if ((err = v.get_raw_json_string().get(raw))) return err;
        const char* p = raw.raw();
        size_t start = static_cast<size_t>(p - base), k = start;
        while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t' || tok.back() == '\n' || tok.back() == '\r'))
          tok.remove_suffix(1);
        if (tok.size() >= 2 && tok.data() + 1 == p && tok.back() == '"' &&
            static_cast<size_t>(tok.data() - base) + tok.size() <= record.size()) {
          k = static_cast<size_t>(tok.data() - base) + tok.size() - 1;
        } else {
          k = ClosingQuote(start);
        }
        k = std::min(k, record.size());
        if (detect) names |= detect->Names(record.substr(start, k - start));
        if (depth <= 3) Capture(norm, record.substr(start, k - start));
        const Choice c = Choose(norm);
        // Escapes simdjson has not checked (it unescapes only keys here):
        // one JSON does not allow is an error, whatever its field (emit
        // checks them as it decodes; bad_escape).
        if (c.selected) {
          emit(record.substr(start, k - start), static_cast<uint32_t>(start), path, c);
          if (bad_escape) return simdjson::STRING_ERROR;
        } else if (!ValidJsonEscapes(record.substr(start, k - start))) {
          return simdjson::STRING_ERROR;
        }
        break;
      }
      case od::json_type::number: {
        od::number num;  // on-demand parses lazily: validate every token
        if ((err = v.get_number().get(num))) return err;
        std::string_view tok = v.raw_json_token();
        while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t' || tok.back() == '\n' || tok.back() == '\r'))
          tok.remove_suffix(1);
        if (depth <= 3) Capture(norm, tok);
        const bool long_enough = tok.size() >= kMinNumberChars;
        if (include && !long_enough) Choose(norm);  // a path --fields names (checked per input)
        if (long_enough && tok.data() >= base && static_cast<size_t>(tok.data() - base) + tok.size() <= record.size()) {
          const Choice c = Choose(norm);
          if (c.selected)
            emit_number(record.substr(static_cast<size_t>(tok.data() - base), tok.size()),
                        static_cast<uint32_t>(tok.data() - base), path, c);
        }
        break;
      }
      case od::json_type::boolean: {
        bool b;
        if ((err = v.get_bool().get(b))) return err;
        if (include) Choose(norm);
        break;
      }
      default: {
        bool is_null = false;
        if ((err = v.is_null().get(is_null))) return err;
        if (!is_null) return simdjson::INCORRECT_TYPE;
        if (include) Choose(norm);
        break;
      }
    }
    --depth;
    return simdjson::SUCCESS;
  }
};

// A record simdjson rejects, in words for the user: its own messages are
// API hints ("Use get_bool() ...") for some errors. No record bytes are
// quoted (they may hold identifiers).
std::string JsonRecordError(simdjson::error_code err) {
  switch (err) {
    case simdjson::UTF8_ERROR: return "not valid UTF-8";
    case simdjson::DEPTH_ERROR: return "not valid JSON (nested too deeply)";
    case simdjson::CAPACITY: return "too large for the JSON parser";
    case simdjson::STRING_ERROR: return "not valid JSON (a string escape JSON does not allow)";
    case simdjson::TRAILING_CONTENT: return "not valid JSON (text after the record's value)";
    default: return "not valid JSON";
  }
}

}  // namespace

namespace {
// JSON punctuation that opens a value or separates values ('{', '[', ',',
// ':') outside strings, counted up to `stop`: a cheap upper bound on the
// values and keys of a record, read before simdjson indexes it (issue 12 #9).
size_t CountJsonSeparators(std::string_view s, size_t stop) {
  size_t n = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size() && n <= stop; ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == ',' || c == ':' || c == '{' || c == '[') {
      ++n;
    }
  }
  return n;
}
}  // namespace

// Short field texts that gave no finding, by their text and the labels and
// triggers of their field name: a field's findings depend only on those (and
// on the filter and reference date, fixed for an input), so the same text
// under the same labels is not scanned again. Statuses, channels, dates and
// timestamps recur record after record; scanning each of them (a Hyperscan
// call, the detectors, the normaliser) was most of what a JSONL scan lost
// when every field became its own document. Direct-mapped and bounded: a
// collision overwrites, a hostile export cannot grow it.
struct TicketScanner::QuietFields {
  // A slot is one cache line: its key (the hash), the labels, triggers and
  // the text itself (a lookup is one line, usually a miss: the memo is
  // touched once per field and the record's bytes pass in between). Texts
  // up to kMaxText bytes (timestamps, statuses, short codes; a subject
  // seldom recurs and is not looked up).
  static constexpr size_t kSlots = 4096, kMaxText = 38;
  struct alignas(64) Slot {
    uint64_t key = 0;  // Key() of the text last seen quiet here (0 = none)
    uint64_t labels = 0, triggers = 0;
    uint8_t size = 0;
    bool used = false;  // text, labels, triggers hold that text (seen quiet twice)
    char text[kMaxText];
    std::string_view view() const { return std::string_view(text, size); }
  };
  static_assert(sizeof(Slot) == 64, "one cache line");
  // A text is written to its slot only when it is seen quiet a second
  // time: most short texts seen once never recur, and a first sighting only
  // sets the key.
  std::vector<Slot> slots = std::vector<Slot>(kSlots);
  const FindingFilter* filter = nullptr;
  static uint64_t Key(std::string_view t, uint64_t labels, uint64_t triggers) {
    uint64_t h = std::hash<std::string_view>()(t) ^ (labels * 0x9E3779B97F4A7C15ull) ^ (triggers * 0xC2B2AE3D27D4EB4Full);
    return (h ^ (h >> 29)) | 1;
  }
  static size_t SlotOf(uint64_t key) { return static_cast<size_t>(key >> 1) & (kSlots - 1); }
  static size_t Digits(std::string_view t) {
    size_t n = 0;
    for (char ch : t) n += static_cast<unsigned char>(ch - '0') < 10;
    return n;
  }
  // The memo holds for one filter: called before a record is read.
  void For(const FindingFilter& f) {
    if (filter == &f) return;
    Clear();
    filter = &f;
  }
  // True only for a text scanned quiet under these labels since Clear: the
  // slot's content is compared, the key only says where to look.
  bool Has(std::string_view t, uint64_t labels, uint64_t triggers) const {
    const uint64_t key = Key(t, labels, triggers);
    const Slot& s = slots[SlotOf(key)];
    return s.key == key && s.used && s.labels == labels && s.triggers == triggers && s.view() == t;
  }
  void Add(std::string_view t, uint64_t labels, uint64_t triggers) {
    if (t.size() > kMaxText) return;
    const uint64_t key = Key(t, labels, triggers);
    Slot& s = slots[SlotOf(key)];
    if (s.key != key) {  // first time quiet: remember the key only
      s.key = key;
      s.used = false;
      return;
    }
    s.used = true;
    s.labels = labels;
    s.triggers = triggers;
    s.size = static_cast<uint8_t>(t.size());  // t.size() <= kMaxText (the callers' test)
    std::memcpy(s.text, t.data(), t.size());
  }
  void Clear() {
    for (Slot& s : slots) s.key = 0, s.used = false;
  }
};

std::string TicketScanner::CsvHeaderError(const std::vector<std::string>& header) const {
  struct Any : StreamSink {
    bool found = false;
    bool OnFinding(const Finding&, std::string_view) override {
      found = true;
      return false;
    }
  } any;
  for (size_t i = 0; i < header.size(); ++i) {
    auto src = StringSource(header[i], "");
    (void)ctx_.Scan(*src, FindingFilter{}, any);
    if (any.found)
      return "CSV header: column " + std::to_string(i + 1) +
             " holds what looks like personal data (a file without a header row?); the first row is read as the "
             "column names and never scanned, so the input is not scanned — add a header row";
  }
  return "";
}

Status TicketScanner::Extract(const TicketRecord& r, TicketFormat f, Extracted& x, TicketInfo& info) {
  if (f == TicketFormat::kCsv && !csv_header_error_.empty()) return Error(ErrorCode::kLimit, csv_header_error_);
  x.record = r.bytes;
  // Appends a field: `s` has its decoded content; its visible text (HTML
  // fields: the text of the markup) goes into x.text.
  // A field's visible text `t` goes at the end of x.text unless it is the
  // same as the previous field's, up to blank space at either end
  // (html_body rendered from body: "<p>...</p>" adds a line break): then it
  // is scanned once and its findings repeated here (LocateAll).
  // (Asked for every field: the blank space is trimmed by a byte loop, the
  // longer text is not trimmed when the other is known to differ; a
  // find_first_not_of per field was ~2 % of a JSONL scan.)
  // A mirror's findings are held until the scan reaches it (a copy of each
  // of the original's), so only a text up to kMaxMirror bytes is taken for
  // a mirror; a longer one is scanned on its own (issue 12 #9: 19 identical
  // 3 MB CSV cells held ~60 MB of copies).
  constexpr size_t kMaxMirror = 1u << 20;
  auto mirrors_previous = [&](Extracted::Segment& s, std::string_view t) {
    if (x.used < 2 || t.empty() || t.size() > kMaxMirror) return false;
    size_t prev = x.used - 2;
    while (prev > 0 && x.segments[prev].mirror_of >= 0) --prev;
    const Extracted::Segment& p = x.segments[prev];
    if (p.mirror_of >= 0 || prev < x.mirror_floor) return false;
    // Only under the same labels: a field's findings depend on its name's
    // labels and triggers too ({"x": V, "cpr": V}: the cpr value was taken
    // for a copy of the unlabelled one and its CPR without modulus 11 lost).
    if (p.has_labels != s.has_labels || p.labels != s.labels || p.triggers != s.triggers) return false;
    if (!p.has_labels && p.path != s.path) return false;
    size_t lead_p = 0, lead_t = 0;
    const std::string_view ct = TrimBlank(t, lead_t);
    const std::string_view pt = x.TextOf(p);
    if (ct.empty() || pt.size() < ct.size()) return false;
    const std::string_view cp = TrimBlank(pt, lead_p);
    if (cp != ct) return false;
    s.mirror_of = static_cast<int>(prev);
    s.mirror_shift = static_cast<int>(lead_t) - static_cast<int>(lead_p);
    return true;
  };
  auto place = [&](Extracted::Segment& s, std::string_view t) {
    if (mirrors_previous(s, t)) {
      s.text_begin = s.text_end = static_cast<uint32_t>(x.text.size());
      return;
    }
    if (!x.text.empty()) x.text.append("\n\n", 2);
    s.text_begin = static_cast<uint32_t>(x.text.size());
    x.text += t;
    s.text_end = static_cast<uint32_t>(x.text.size());
  };
  // Appends a field whose decoded content is in s.decoded (HTML: the text
  // of its markup).
  // HTML is converted whole (Gumbo builds a tree of it: ~8 bytes of memory
  // per byte of HTML), so the HTML of one record is bounded
  // (TicketOptions::max_html_bytes): past it the record is not scanned and
  // that is an error naming the field (fail closed; issue 12 #9).
  uint64_t html_bytes = 0;
  Status over = Status::Ok();
  auto html_fits = [&](Extracted::Segment& s, size_t n) {
    html_bytes += n;
    if (html_bytes <= opt_.max_html_bytes) return true;
    if (over.ok())
      over = Error(ErrorCode::kLimit,
                   "record " + std::to_string(r.index) + " at offset " + std::to_string(r.offset) + ": " + std::to_string(html_bytes) +
                       " bytes of HTML, over the per-record HTML limit of " + std::to_string(opt_.max_html_bytes) +
                       " bytes (HTML is converted whole); record not scanned");  // no field path: it may hold an id
    s.is_html = false;
    s.decoded.map.Clear();
    s.decoded.bytes.clear();
    s.text_begin = s.text_end = static_cast<uint32_t>(x.text.size());
    return false;
  };
  // A field is held (its path, its decoded text and maps: ~400 bytes) until
  // the record is scanned, so their number is bounded too
  // (TicketOptions::max_fields; 1.5 M short fields in a 50 MB record took
  // 700 MB): past it, a kLimit error and the record is not scanned.
  auto field_fits = [&] {
    if (x.used < opt_.max_fields) return true;
    if (over.ok())
      over = Error(ErrorCode::kLimit, "record " + std::to_string(r.index) + " at offset " + std::to_string(r.offset) +
                                          ": more than " + std::to_string(opt_.max_fields) +
                                          " fields, over the per-record field limit; record not scanned");
    return false;
  };
  // Strings decoded whole (text and a 16-byte map piece per escape) are
  // bounded per record too: once stream_from bytes of them are held, every
  // further string that is not HTML is streamed like a long one (same
  // findings; 15 escape-dense strings just under 4 MiB took 260 MB).
  uint64_t whole_bytes = 0;
  auto finish = [&](Extracted::Segment& s, bool html) {
    s.is_html = html || LooksHtml(s.decoded.bytes);
    if (s.is_html && !html_fits(s, s.decoded.bytes.size())) return;
    if (s.is_html) HtmlToText(s.decoded.bytes, s.html, false);  // (the visible text: a field is one text)
    place(s, s.is_html ? s.html.bytes : s.decoded.bytes);
  };
  if (f == TicketFormat::kCsv) {
    x.csv = true;
    info.map = "csv";
    // Cells past max_fields are not split out (each is held: its range and
    // its column), the record is refused (issue 12 #9).
    auto fields = SplitCsvRecord(r.bytes, opt_.csv_delimiter, opt_.max_fields);
    if (fields.size() > opt_.max_fields)
      return Error(ErrorCode::kLimit, "record " + std::to_string(r.index) + " at offset " + std::to_string(r.offset) +
                                          ": more than " + std::to_string(opt_.max_fields) +
                                          " cells, over the per-record field limit; record not scanned");
    // Malformed quoting is an error for the record (closed17): read as
    // Python's csv does (the quotes dropped, the text after them kept) an id
    // split by the quote is found, but its redaction would cut the quote and
    // break the file; read raw it was missed (exit 0 or 1, the id left in
    // the redacted copy). Like a record that is not valid JSON, Scan still
    // scans it as plain text, so the message does not say "not scanned".
    // Neither message quotes the cell.
    for (size_t i = 0; i < fields.size(); ++i)
      if (fields[i].malformed != CsvField::kWellFormed)
        return Error(ErrorCode::kInvalidArgument,
                     "record " + std::to_string(r.index) + " at offset " + std::to_string(r.offset) + ", column " +
                         std::to_string(i + 1) + ": malformed CSV quoting (" +
                         (fields[i].malformed == CsvField::kTrailing ? "text after a cell's closing quote"
                                                                     : "a quote not closed before the end of the file") +
                         ")");
    // Column names, lower-cased names and name labels: worked out once per
    // header, not per cell.
    while (csv_cols_.size() < fields.size()) {
      const size_t i = csv_cols_.size();
      CsvColumn col;
      col.name = i < opt_.csv_header.size() ? opt_.csv_header[i] : std::to_string(i + 1);
      col.lname = AsciiLower(col.name);
      col.number = std::to_string(i + 1);
      if (!col.name.empty()) {
        col.labels = ctx_.detectors().NameLabels(col.name);
        col.triggers = ctx_.detectors().NameTriggers(col.name);
      }
      csv_cols_.push_back(std::move(col));
    }
    for (size_t i = 0; i < fields.size() && over.ok(); ++i) {
      const CsvColumn& col = csv_cols_[i];
      const std::string& name = col.name;
      const std::string& lname = col.lname;
      std::string_view v = std::string_view(r.bytes).substr(fields[i].start, fields[i].end - fields[i].start);
      if (lname == "id" || lname == "ticket_id" || lname == "key") info.id = CsvFieldText(r.bytes, fields[i], 64);
      else if (lname == "created_at" || lname == "created") info.created = CsvFieldText(r.bytes, fields[i], 64);
      else if (lname == "updated_at" || lname == "updated") info.updated = CsvFieldText(r.bytes, fields[i], 64);
      else if ((lname == "subject" || lname == "title" || lname == "summary") && info.subject.empty()) {
        info.subject = CsvFieldText(r.bytes, fields[i], 200);
        for (char& c : info.subject)
          if (static_cast<unsigned char>(c) < 32 || c == 0x7F) c = ' ';
      } else if (lname == "closed_at" || lname == "closed" || lname == "solved_at" || lname == "resolved_at")
        info.closed = CsvFieldText(r.bytes, fields[i], 64);
      if (!opt_.columns.empty()) {
        bool want = false;
        for (size_t k = 0; k < opt_.columns.size(); ++k)
          want = want || opt_.columns[k] == name || opt_.columns[k] == col.number;
        if (!want) continue;
      }
      if (!field_fits()) break;
      Extracted::Segment& s = x.Next();
      s.raw_begin = fields[i].start;
      s.path = name;
      s.has_labels = true;
      s.labels = col.labels;
      s.triggers = col.triggers;
      // A long cell (or any once stream_from bytes of cells are held
      // decoded) is decoded and scanned a range at a time, as a long JSON
      // string is (same findings, offsets and redaction; issue 12 #9: a
      // 46 MB cell was held decoded twice beside the record, ~350 MB).
      const bool long_value = v.size() >= opt_.stream_from || whole_bytes >= opt_.stream_from;
      if (!long_value) whole_bytes += v.size();
      const Escapes esc = fields[i].quoted ? Escapes::kCsv : Escapes::kNone;
      if (long_value && Streamable(v, esc)) {
        s.decoded.bytes.clear();
        s.decoded.notes.clear();
        s.decoded.map.Clear();
        s.stream = v;
        s.stream_escapes = esc;
        s.text_begin = s.text_end = static_cast<uint32_t>(x.text.size());
        continue;
      }
      // A long cell that is HTML: the limit checked before it is decoded.
      if (long_value && html_bytes + v.size() > opt_.max_html_bytes && !html_fits(s, v.size())) break;
      DecodeCsvField(v, fields[i].quoted, s.decoded);
      finish(s, false);
    }
    return over;
  }
  // JSON: choose the field map.
  const TicketMapSpec* map = nullptr;
  bool guessed = false;
  if (!opt_.fields.empty()) {
    info.map = "fields";
  } else if (opt_.map == "all") {
    info.map = "all";
  } else {
    // patterns/ticket_maps.toml: the map named, or for auto the one whose
    // `detect` names the record has. Auto: the last record's map is taken
    // and the walk below collects the names the record has (keys and string
    // values it reads anyway): a record of another export is walked again
    // with its own map. (A pass over every quote of every record for the
    // names was ~2.5 % of a JSONL scan.)
    if (opt_.map != "auto") {
      map = ctx_.detectors().patterns().TicketMap(opt_.map);
    } else if (guess_valid_) {
      map = guess_map_;
      guessed = true;
    } else {
      map = detect_->Detect(r.bytes);
      guess_map_ = map;
      guess_valid_ = true;
    }
    info.map = map ? map->id : "all";
  }
  // Reused parser: a new parser per record costs page faults. The bytes
  // past the record in the reader's buffer are the padding (TicketRecord::
  // padding); a record without it is copied into a padded buffer.
  static_assert(kRecordPadding >= simdjson::SIMDJSON_PADDING, "record padding below simdjson's");
  // simdjson indexes every structural character of the record (4 bytes
  // each) before a field is read: a 60 MB record of 1.5 M tiny fields
  // peaked at 137 MB before max_fields refused it. A large record is
  // therefore counted first (a byte loop, ~1 ms a MiB) and refused when it
  // holds more separators than kSeparatorsPerField per allowed field.
  if (r.bytes.size() > opt_.precheck_from) {
    const size_t stop = opt_.max_fields * TicketOptions::kSeparatorsPerField;
    if (CountJsonSeparators(r.bytes, stop) > stop)
      return Error(ErrorCode::kLimit, "record " + std::to_string(r.index) + " at offset " + std::to_string(r.offset) +
                                          ": more than " + std::to_string(stop) +
                                          " JSON separators ({ [ , :), over the per-record field limit of " +
                                          std::to_string(opt_.max_fields) + " fields; record not scanned");
  }
  const char* data = r.bytes.data();
  size_t cap = r.bytes.size() + r.padding;
  if (r.padding < simdjson::SIMDJSON_PADDING) {
    std::string& buf = json_->buf;
    buf.assign(r.bytes);
    buf.reserve(r.bytes.size() + simdjson::SIMDJSON_PADDING);
    data = buf.data();
    cap = buf.capacity();
  }
  simdjson::padded_string_view padded(data, r.bytes.size(), cap);
  JsonWalk w;
  w.include = !opt_.fields.empty() ? &opt_.fields : nullptr;
  w.seen = &fields_seen_;
  w.base = padded.data();
  w.record = r.bytes;
  w.info = &info;
  w.detectors = &ctx_.detectors();
  w.emit = [&](std::string_view content, uint32_t raw_begin, const std::string& path, const PathChoice& c) {
    const bool html = c.html;
    if (c.triggers == 0 && QuietDigits(content, digits_quiet_below_)) {
      x.mirror_floor = x.used;
      return;
    }
    if (!field_fits()) return;
    Extracted::Segment& s = x.Next();
    s.raw_begin = raw_begin;
    s.is_key = w.emitting_key;
    if (s.path != path) s.path = path;  // the same as the last record's field here, as a rule
    s.has_labels = true;
    s.labels = c.labels;
    s.triggers = c.triggers;
    s.decoded.bytes.clear();
    s.decoded.notes.clear();
    const bool long_value = content.size() >= opt_.stream_from || whole_bytes >= opt_.stream_from;
    if (!long_value) whole_bytes += content.size();
    const bool streamable = long_value && !html && Streamable(content);
    // A long value that is HTML: the limit checked before it is decoded
    // (its raw size bounds its decoded one).
    if (long_value && !streamable && html_bytes + content.size() > opt_.max_html_bytes &&
        !html_fits(s, content.size()))
      return;
    if (html) {
      if (content.find('\\') != std::string_view::npos) {
        if (!DecodeJsonString(content, s.decoded.bytes, s.decoded.map)) w.bad_escape = true;
        return finish(s, true);
      }
      // No escapes: the content is its own decoding (identity map), read
      // in place by the HTML stage instead of being copied.
      s.decoded.map.Clear();
      s.is_html = true;
      if (!html_fits(s, content.size())) return;
      HtmlToText(content, s.html, false);
      return place(s, s.html.bytes);
    }
    if (streamable) {
      if (!ValidJsonEscapes(content)) w.bad_escape = true;
      s.decoded.map.Clear();
      s.stream = content;
      s.text_begin = s.text_end = static_cast<uint32_t>(x.text.size());
      return;
    }
    // Decoded straight into the scan text (a copy less for most fields),
    // taken back out when it turns out to be HTML or a mirror.
    const size_t mark = x.text.size();
    if (mark) x.text.append("\n\n", 2);
    const size_t begin = x.text.size();
    if (!DecodeJsonString(content, x.text, s.decoded.map)) w.bad_escape = true;
    std::string_view t = std::string_view(x.text).substr(begin);
    if (LooksHtml(t)) {
      s.decoded.bytes.assign(t);
      x.text.resize(mark);
      return finish(s, true);
    }
    if (mirrors_previous(s, t)) {
      x.text.resize(mark);
      s.text_begin = s.text_end = static_cast<uint32_t>(mark);
      return;
    }
    // A short text known to give nothing under this field's labels
    // (QuietFields: a timestamp, recurring record after record) is not
    // put into the text at all: no digit runs, matcher bytes or per-field
    // work for it. Asked only for texts with a run's worth of digits (the
    // fields Run would ask about anyway; the others mostly have no
    // candidate and are never looked up).
    if (t.size() <= QuietFields::kMaxText && QuietFields::Digits(t) >= static_cast<size_t>(kMinRunDigits) &&
        quiet_->Has(t, c.labels, c.triggers)) {
      x.text.resize(mark);
      s.text_begin = s.text_end = static_cast<uint32_t>(mark);
      return;
    }
    s.text_begin = static_cast<uint32_t>(begin);
    s.text_end = static_cast<uint32_t>(x.text.size());
  };
  // A number is its own field (never a mirror: its redaction differs).
  w.emit_number = [&](std::string_view token, uint32_t raw_begin, const std::string& path, const PathChoice& c) {
    if (c.triggers == 0 && QuietDigits(token, digits_quiet_below_)) {
      x.mirror_floor = x.used;
      return;
    }
    if (!field_fits()) return;
    Extracted::Segment& s = x.Next();
    s.raw_begin = raw_begin;
    if (s.path != path) s.path = path;  // the same as the last record's field here, as a rule
    s.has_labels = true;
    s.labels = c.labels;
    s.triggers = c.triggers;
    s.is_number = true;
    s.decoded.bytes.clear();
    s.decoded.notes.clear();
    s.decoded.map.Clear();
    if (!x.text.empty()) x.text.append("\n\n", 2);
    s.text_begin = static_cast<uint32_t>(x.text.size());
    x.text += token;
    s.text_end = static_cast<uint32_t>(x.text.size());
  };
  const TicketInfo info0 = guessed ? info : TicketInfo();  // (what a second walk starts from)
  for (;;) {
    od::document doc;
    if (auto err = json_->parser.iterate(padded).get(doc))
      return Error(ErrorCode::kInvalidArgument, "record " + std::to_string(r.index) + " at offset " +
                                                    std::to_string(r.offset) + ": " + JsonRecordError(err));
    w.html = map ? &map->html : nullptr;
    // One memo per field map (the map can change from record to record).
    Json::Choices& choices = json_->choices[info.map];
    w.memo = &choices.memo;
    w.by_position = &choices.by_position;
    w.asked = 0;
    w.depth = 0;
    w.detect = guessed ? detect_.get() : nullptr;
    w.names = 0;
    od::value root;
    std::string norm = r.key, path = r.key;  // (a wrapper's value: under its key)
    simdjson::error_code err = simdjson::SUCCESS;
    od::json_type root_type = od::json_type::object;
    if (!r.key.empty()) err = doc.type().get(root_type);
    if (!err && (root_type == od::json_type::object || root_type == od::json_type::array)) {
      err = doc.get_value().get(root);
      if (!err) err = w.Value(root, norm, path);
      // One value per record: `{"id": 1} {"d": "..."}` on one JSONL line
      // is no record (before: the second value was passed over unread).
      // (simdjson 3.0: the next token's place; past the record when none.)
      const char* next = nullptr;
      if (!err && doc.current_location().get(next) == simdjson::SUCCESS && next >= padded.data() &&
          next < padded.data() + r.bytes.size())
        err = simdjson::TRAILING_CONTENT;
    } else if (!err && root_type == od::json_type::string) {
      // A wrapper's value that is a string ({"note": "...", "tickets": [...]}):
      // simdjson reads no scalar document as a value; the string is the
      // record less its quotes (UTF-8 checked by iterate).
      std::string_view sv;
      err = doc.get_string().get(sv);  // (validates the escapes simdjson knows)
      if (!err && r.bytes.size() >= 2) {
        const std::string_view content = r.bytes.substr(1, r.bytes.size() - 2);
        const PathChoice c = w.Choose(norm);
        if (c.selected) w.emit(content, 1, path, c);
        if (w.bad_escape || !ValidJsonEscapes(content)) err = simdjson::STRING_ERROR;
      }
    } else if (!err && root_type == od::json_type::number) {
      od::number num;
      err = doc.get_number().get(num);
      if (!err && r.bytes.size() >= kMinNumberChars) {
        const PathChoice c = w.Choose(norm);
        if (c.selected) w.emit_number(r.bytes, 0, path, c);
      }
    } else if (!err) {
      bool b = false, is_null = false;
      if (root_type == od::json_type::boolean) err = doc.get_bool().get(b);
      else if ((err = doc.is_null().get(is_null)) == simdjson::SUCCESS && !is_null) err = simdjson::INCORRECT_TYPE;
    }
    if (err)
      return Error(ErrorCode::kInvalidArgument, "record " + std::to_string(r.index) + " at offset " +
                                                    std::to_string(r.offset) + ": " + JsonRecordError(err));
    if (guessed) {
      // The map the record's names choose (ExportDetector::Detect's): when
      // it is not the one guessed, the record is read again with it.
      const TicketMapSpec* found = detect_->Decide(w.names);
      guess_map_ = found;
      if (found != map) {
        map = found;
        guessed = false;
        x.Reset();
        x.record = r.bytes;
        html_bytes = whole_bytes = 0;
        over = Status::Ok();
        info = info0;
        info.map = map ? map->id : "all";
        continue;
      }
    }
    return over;
  }
}

namespace {

// Hands each finding of a record's text to `emit` as (field, offset in the
// field, bytes in the record) the moment the engine produces it, in record
// order, with the findings of mirrored fields repeated for them: those
// copies wait (kept here) until the scan has passed the mirror's place, so
// only findings of mirrored fields (html_body beside body) are held.
template <class Emit>
struct LocatingSink : StreamSink {
  using Located = TicketScanner::LocatedFinding;
  const TicketScanner::Extracted* x = nullptr;
  bool mirrors = false;
  Emit* emit = nullptr;
  uint64_t shift = 0;  // the scanned field's offset in the record's text
  size_t found = 0;    // findings of the field being scanned (before Locate)
  // The long string being streamed (Segment::stream) and its index.
  const JsonStringStream* stream = nullptr;
  size_t stream_seg = 0;
  std::vector<std::pair<Located, Finding>> waiting;
  size_t waiting_min = SIZE_MAX;  // the lowest seg_index in waiting
  // Called per finding: returns at once unless a waiting copy is due (it
  // sorted the waiting copies every time: a CSV record of identical long
  // cells took CPU minutes, quadratic in the findings).
  bool Flush(size_t before) {
    if (waiting.empty() || waiting_min >= before) return true;
    std::stable_sort(waiting.begin(), waiting.end(), [](const auto& a, const auto& b) {
      return a.first.seg_index != b.first.seg_index ? a.first.seg_index < b.first.seg_index
                                                    : a.first.in_field < b.first.in_field;
    });
    size_t n = 0;
    bool go = true;
    for (; n < waiting.size() && waiting[n].first.seg_index < before; ++n) {
      waiting[n].first.f = &waiting[n].second;
      if (go && !(*emit)(waiting[n].first)) go = false;
    }
    waiting.erase(waiting.begin(), waiting.begin() + static_cast<ptrdiff_t>(n));
    waiting_min = waiting.empty() ? SIZE_MAX : waiting.front().first.seg_index;
    return go;
  }
  bool OnFinding(const Finding& found, std::string_view raw) override {
    ++this->found;
    if (stream) {  // offsets are in the string's decoded bytes
      const auto& seg = x->segments[stream_seg];
      Located l{stream_seg, static_cast<uint32_t>(found.start),
                {static_cast<uint32_t>(seg.raw_begin + stream->Start(found.start)),
                 static_cast<uint32_t>(seg.raw_begin + stream->End(found.end))},
                &found, raw};
      if (mirrors && !Flush(stream_seg)) return false;
      return (*emit)(l);
    }
    // The finding goes on as the scan gave it (its start/end are not the
    // record's): `emit` takes the place from Located (no copy per finding).
    const Finding& f = found;
    Located l{0, 0, {}, &f, raw};
    const auto* seg = x->Locate(f.start + shift, f.end + shift, l.in_record, l.in_field);
    if (!seg) return true;
    l.seg_index = static_cast<size_t>(seg - x->segments.data());
    if (mirrors && !Flush(l.seg_index)) return false;
    if (!(*emit)(l)) return false;
    if (!mirrors) return true;
    for (size_t k = l.seg_index + 1; k < x->used && x->segments[k].mirror_of >= 0; ++k) {
      if (static_cast<size_t>(x->segments[k].mirror_of) != l.seg_index) continue;
      uint32_t len = static_cast<uint32_t>(f.end - f.start);
      uint32_t at = static_cast<uint32_t>(static_cast<int64_t>(l.in_field) + x->segments[k].mirror_shift);
      waiting.push_back({{k, at, x->InRecord(x->segments[k], at, at + len), nullptr, raw}, f});
      waiting_min = std::min(waiting_min, k);
    }
    return true;
  }
};

}  // namespace

namespace {

// One field's text as a source, on the stack: every string and number of a
// record is scanned on its own, and a heap-allocated StringSource per field
// was measurable on exports with many short fields.
class FieldSource final : public ByteSource {
 public:
  explicit FieldSource(std::string_view d) : d_(d) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min(n, d_.size() - pos_);
    std::memcpy(buf, d_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  const std::string& name() const override {
    static const std::string kNone;
    return kNone;
  }
  bool CanView() const override { return true; }
  std::string_view View(uint64_t offset, size_t n) const override {
    return offset >= d_.size() ? std::string_view() : d_.substr(offset, n);
  }

 private:
  std::string_view d_;
  size_t pos_ = 0;
};

}  // namespace

// Each field is its own document: scanned alone, so no text of another field
// (a tag "faktura", a subject "CPR") is context for its values, and its name
// (the JSON key, the CSV column header) labels every value in it.
template <class Emit>
Status TicketScanner::Run(Extracted& x, const FindingFilter& filter, Emit&& emit) {
  LocatingSink<std::remove_reference_t<Emit>> sink;
  sink.x = &x;
  sink.mirrors = x.HasMirrors();
  sink.emit = &emit;
  QuietFields& quiet = *quiet_;
  quiet.For(filter);  // (Scan and Redact did, before Extract asked it)
  const DetectOptions& dopt = ctx_.detect_options();
  // Line and column are the record's (set by Scan's emit), not the field's.
  ctx_.set_count_lines(false);
  Status st = Status::Ok();
  // All fields in one pass of the normaliser check and the matcher
  // (ScanContext::ScanFields), the same findings as one Scan per field; a
  // record with a streamed string, or where ScanFields declines, is
  // scanned field by field below.
  bool batched = false;
  bool streams = false;
  for (size_t k = 0; k < x.used && !streams; ++k) streams = !x.segments[k].stream.empty();
  if (!streams && !x.text.empty()) {
    auto& fields = batch_fields_;
    auto& which = batch_segs_;
    fields.clear();
    which.clear();
    for (size_t k = 0; k < x.used; ++k) {
      const Extracted::Segment& seg = x.segments[k];
      if (seg.mirror_of >= 0 || seg.text_end == seg.text_begin) continue;
      uint64_t labels = seg.labels, triggers = seg.triggers;
      if (!seg.has_labels) {
        ctx_.set_field_name(x.csv ? std::string_view(seg.path) : LeafKey(seg.path));
        labels = dopt.doc_labels, triggers = dopt.doc_triggers;
      }
      fields.push_back({seg.text_begin, seg.text_end, labels, triggers});
      which.push_back(k);
    }
    // The memo is asked only about fields with a candidate: the others cost
    // the detectors nothing, and a lookup (a hash and a likely cache miss)
    // per status, channel and subject was more than it saved.
    struct QuietSkip : ScanContext::FieldSkip {
      const Extracted* x;
      const std::vector<ScanContext::Field>* fields;
      const std::vector<size_t>* which;
      QuietFields* quiet;
      bool Skip(size_t i) override {
        const Extracted::Segment& seg = x->segments[(*which)[i]];
        const std::string_view text = x->TextOf(seg);
        return text.size() <= QuietFields::kMaxText && !seg.is_number &&
               quiet->Has(text, (*fields)[i].labels, (*fields)[i].triggers);
      }
    } skip;
    skip.x = &x, skip.fields = &fields, skip.which = &which, skip.quiet = &quiet;
    sink.shift = 0;
    auto r = ctx_.ScanFields(x.text, fields, filter, sink, batch_found_, &skip);
    if (!r) {
      st = r.error();
      batched = true;
    } else if (*r) {
      batched = true;
      for (size_t i = 0; i < fields.size(); ++i) {
        const Extracted::Segment& seg = x.segments[which[i]];
        const std::string_view text = x.TextOf(seg);
        if (batch_found_[i] == 0 && text.size() <= QuietFields::kMaxText && !seg.is_number)
          quiet.Add(text, fields[i].labels, fields[i].triggers);
      }
    }
  }
  for (size_t k = 0; k < x.used && st.ok() && !batched; ++k) {
    const Extracted::Segment& seg = x.segments[k];
    if (!seg.stream.empty()) {
      st = RunStream(x, k, filter, sink);
      continue;
    }
    if (seg.mirror_of >= 0 || seg.text_end == seg.text_begin) continue;
    if (seg.has_labels)
      ctx_.set_field_labels(seg.labels, seg.triggers);
    else
      ctx_.set_field_name(x.csv ? std::string_view(seg.path) : LeafKey(seg.path));
    const std::string_view text = x.TextOf(seg);
    // Numbers (ids) rarely recur: not remembered, a lookup would only cost.
    const bool short_text = text.size() <= QuietFields::kMaxText && !seg.is_number;
    if (short_text && quiet.Has(text, dopt.doc_labels, dopt.doc_triggers)) continue;
    sink.shift = seg.text_begin;
    sink.found = 0;
    FieldSource src(text);
    st = ctx_.Scan(src, filter, sink);
    if (st.ok() && short_text && sink.found == 0) quiet.Add(text, dopt.doc_labels, dopt.doc_triggers);
  }
  ctx_.set_field_name("");
  ctx_.set_count_lines(true);
  if (st.ok()) sink.Flush(SIZE_MAX);
  return st;
}

// A long string (Segment::stream) decoded and scanned a range at a time:
// the map keeps the escapes of the bytes the scanner can still report from
// (its chunk and overlap behind the newest bytes read, and the range decoded
// ahead), so memory is bounded whatever the string's length.
template <class Sink>
Status TicketScanner::RunStream(const Extracted& x, size_t k, const FindingFilter& filter, Sink& sink) {
  const Extracted::Segment& seg = x.segments[k];
  ctx_.set_field_labels(seg.labels, seg.triggers);
  const ScanLimits& lim = ctx_.limits();
  const size_t keep = 2 * (lim.chunk_bytes + lim.overlap_bytes) + 4 * opt_.stream_range + 4096;
  JsonStringStream js(seg.stream, keep, opt_.stream_range, seg.stream_escapes);
  sink.stream = &js;
  sink.stream_seg = k;
  sink.shift = 0;
  Status st = ctx_.Scan(js, filter, sink);
  sink.stream = nullptr;
  return st;
}

void TicketScanner::BeginInput() {
  quiet_->Clear();
  fields_seen_ = 0;
  records_ = 0;
}

Status TicketScanner::EndInput(TicketFormat f, const std::vector<std::string>& header) const {
  return EndInput(f, header, fields_seen_, records_);
}

Status TicketScanner::EndInput(TicketFormat f, const std::vector<std::string>& header, uint64_t fields_seen,
                               size_t records) const {
  const bool csv = f == TicketFormat::kCsv;
  if (csv && records == 0)  // (with records, each of them was the error)
    if (std::string e = CsvHeaderError(header); !e.empty()) return Error(ErrorCode::kLimit, e);
  const std::vector<std::string>& asked = csv ? opt_.columns : opt_.fields;
  if (asked.empty() || (csv && header.empty())) return Status::Ok();  // an empty file
  std::string missing;
  for (size_t k = 0; k < asked.size() && k < 64; ++k) {
    // CSV: the header decides (a short row does not unname a column).
    bool found = !csv && ((fields_seen >> k) & 1);
    for (size_t i = 0; csv && i < header.size() && !found; ++i)
      found = asked[k] == header[i] || asked[k] == std::to_string(i + 1);
    if (!found && (csv || records > 0)) missing += (missing.empty() ? "'" : ", '") + asked[k] + "'";
  }
  if (missing.empty()) return Status::Ok();
  if (csv)
    return Error(ErrorCode::kInvalidArgument,
                 "--columns " + missing + ": no such column in the header (" + std::to_string(header.size()) +
                     " columns); nothing of the input was scanned for it");
  return Error(ErrorCode::kInvalidArgument, "--fields " + missing + ": matches no field in any of the " +
                                                std::to_string(records) + " record(s)");
}

Status TicketScanner::Scan(const TicketRecord& r, TicketFormat f, const FindingFilter& filter, StreamSink& sink,
                           TicketInfo& info) {
  Extracted& x = *x_;
  x.Reset();
  records_ += r.index != 0;  // (index 0: a JSON wrapper's value beside its list)
  quiet_->For(filter);
  Status parsed = Extract(r, f, x, info);
  if (parsed.code() == ErrorCode::kLimit) return parsed;  // too large to scan: not scanned at all
  if (!parsed.ok()) {
    // A record that does not parse is still scanned, as plain text, so a
    // broken export does not hide what it holds; the error is returned.
    x.Reset();
    x.record = r.bytes;
    Extracted::Segment& seg = x.Next();
    seg.text_begin = 0;
    seg.raw_begin = 0;
    seg.path = "(unparsed record)";
    seg.decoded.bytes = r.bytes;
    seg.decoded.map.Clear();
    x.text = r.bytes;
    seg.text_end = static_cast<uint32_t>(x.text.size());
  }
  Finding& fd = finding_;  // reused: its strings keep their capacity
  auto emit = [&](const LocatedFinding& l) {
    fd = *l.f;
    std::string_view value = l.value;
    fd.part_offset = l.in_field;
    fd.field = x.segments[l.seg_index].path;
    fd.part.clear();
    fd.start = r.offset + l.in_record.start;
    fd.end = r.offset + l.in_record.end;
    fd.line = r.index;
    fd.column = l.in_record.start + 1;
    return sink.OnFinding(fd, value);
  };
  if (Status s = Run(x, filter, emit); !s.ok()) return s;
  return parsed;
}

Status TicketScanner::Redact(const TicketRecord& r, TicketFormat f, const FindingFilter& filter, RedactStyle style,
                             std::string& out, size_t& redacted) {
  out.clear();
  return Redact(r, f, filter, style, [&](std::string_view piece) { out.append(piece); return Status::Ok(); }, redacted);
}

Status TicketScanner::Redact(const TicketRecord& r, TicketFormat f, const FindingFilter& filter, RedactStyle style,
                             const std::function<Status(std::string_view)>& put, size_t& redacted) {
  Extracted& x = *x_;
  x.Reset();
  records_ += r.index != 0;  // (index 0: a JSON wrapper's value beside its list)
  TicketInfo info;
  quiet_->For(filter);
  if (Status s = Extract(r, f, x, info); !s.ok()) return s;
  // Edits are applied as the findings come, in record order: the record's
  // bytes up to `pos` with every replacement made have gone to `put`,
  // through `pending` (short pieces gathered; a long stretch without
  // findings goes straight from the record).
  constexpr size_t kPiece = 64 << 10;
  std::string& pending = json_->pending;
  pending.clear();
  Status wst = Status::Ok();
  auto write = [&](std::string_view b) {
    if (!wst.ok()) return;
    if (pending.size() + b.size() <= kPiece) {
      pending.append(b);
      return;
    }
    if (!pending.empty()) wst = put(pending);
    pending.clear();
    if (!wst.ok()) return;
    if (b.size() >= kPiece) wst = put(b);
    else pending.append(b);
  };
  const std::string_view rec = r.bytes;
  uint32_t pos = 0;
  bool any = false;
  std::vector<std::string> key_reps;  // replacements written into object keys of this record
  auto emit = [&](const LocatedFinding& l) {
    const Finding& fd = *l.f;
    const ByteRange& in_record = l.in_record;
    const Extracted::Segment& seg = x.segments[l.seg_index];
    uint32_t st = in_record.start, en = in_record.end;
    if (seg.is_number) st = seg.raw_begin, en = seg.raw_begin + (seg.text_end - seg.text_begin);
    if (any && st < pos) return true;  // inside the previous replacement
    std::string rep = Replacement(fd, l.value, style);
    if (seg.is_key) {
      // Two keys of an object redacted alike ({"<fnr 1>": ..., "<fnr 2>": ...}
      // both "[NO-FNR]") would be one key twice: JSON readers keep only the
      // last, so the other entry is lost. A replacement already written
      // into a key takes the keyed-hash form, different for each value.
      if (std::find(key_reps.begin(), key_reps.end(), rep) != key_reps.end())
        rep = Replacement(fd, l.value, RedactStyle::kHmac);
      key_reps.push_back(rep);
    }
    // A number becomes a string: the whole token, quoted (a replacement
    // holds no quote or backslash), so the record stays valid JSON.
    if (seg.is_number) rep = "\"" + rep + "\"";
    if (x.segments[l.seg_index].is_html) AppendTags(rec.substr(in_record.start, in_record.end - in_record.start), rep);
    write(rec.substr(pos, st - pos));
    write(rep);
    pos = en;
    any = true;
    ++redacted;
    return wst.ok();
  };
  if (Status s = Run(x, filter, emit); !s.ok()) return wst.ok() ? s : wst;
  if (!wst.ok()) return wst;
  write(rec.substr(std::min<size_t>(pos, rec.size())));
  if (wst.ok() && !pending.empty()) wst = put(pending);
  pending.clear();
  return wst;
}

}  // namespace nordpii
