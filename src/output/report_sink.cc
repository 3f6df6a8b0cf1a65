// SPDX-License-Identifier: Apache-2.0
// JSON is written by hand: the schema is flat and output-only, and a small
// escaper is faster than building a DOM per finding.
#include "output/report_sink.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/simd.h"
#include "core/utf8.h"
#include "extract/extractor.h"
#include "output/identifier_masker.h"
#include "output/report_text.h"
#include "nordpii_version.h"

namespace nordpii {

using namespace std::string_view_literals;

// A JSON text is UTF-8 (RFC 8259): a byte that does not start a valid UTF-8
// character (a Latin-1 file name, a zip member named in CP437, a broken
// Message-ID) is written as U+FFFD, so every line stays parseable by a
// strict reader. Sets `piece` to what the character at s[i] is written as
// (itself, or U+FFFD for one invalid byte) and returns the bytes it takes.
namespace {
size_t Utf8Piece(std::string_view s, size_t i, std::string_view& piece) {
  uint32_t cp;
  const int n = DecodeUtf8(reinterpret_cast<const unsigned char*>(s.data()), s.size(), i, cp);
  piece = n > 0 ? s.substr(i, static_cast<size_t>(n)) : std::string_view("\xEF\xBF\xBD");
  return n > 0 ? static_cast<size_t>(n) : 1;
}
}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // Fast path: most values need no escaping; copy runs of plain bytes at once.
  size_t plain = 0;
  while (plain < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[plain]);
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7F) break;
    ++plain;
  }
  out.append(s.data(), plain);
  for (size_t i = plain; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else if (c < 0x80) {
          out.push_back(static_cast<char>(c));
        } else {
          std::string_view piece;
          i += Utf8Piece(s, i, piece) - 1;
          out += piece;
        }
    }
  }
  out.push_back('"');
}

// Raw bytes as valid UTF-8 (--reveal's values; what a reader of
// AppendJsonString's output gets back): invalid bytes become U+FFFD.
std::string SafeUtf8(std::string_view raw) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (static_cast<unsigned char>(raw[i]) < 0x80) {
      out.push_back(raw[i]);
    } else {
      std::string_view piece;
      i += Utf8Piece(raw, i, piece) - 1;
      out += piece;
    }
  }
  return out;
}

namespace {

template <typename Int>
void AppendNumber(std::string& out, Int v) {
  char b[24];
  auto r = std::to_chars(b, b + sizeof(b), v);
  out.append(b, static_cast<size_t>(r.ptr - b));
}

// Pointer writers for OnFinding's JSON line (room reserved by the caller).
template <size_t N>
inline char* PutLit(char* p, const char (&s)[N]) {
  std::memcpy(p, s, N - 1);
  return p + N - 1;
}
inline char* PutView(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}
template <typename Int>
inline char* PutNumber(char* p, Int v) {
  return std::to_chars(p, p + 24, v).ptr;
}
// As AppendJsonString; at most 6 * s.size() + 2 bytes.
char* PutJsonString(char* p, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  *p++ = '"';
  for (size_t i = 0; i < s.size(); ++i) {
#if defined(__SSE2__)
    // 16 bytes written as they are (0x20-0x7E but '"' and '\\') a step: a
    // masked e-mail address, the mail profile's most common value, is ~25.
    // The store writes at most the 16 bytes still to come, within the room.
    while (s.size() - i >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      const __m128i printable = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x1F)),   // signed: not >= 0x80
                                              _mm_cmplt_epi8(v, _mm_set1_epi8(0x7F)));
      const __m128i special = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
      const unsigned plain = static_cast<unsigned>(_mm_movemask_epi8(_mm_andnot_si128(special, printable)));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
      const unsigned k = plain == 0xFFFF ? 16 : static_cast<unsigned>(__builtin_ctz(~plain));
      p += k;
      i += k;
      if (k < 16) break;
    }
    if (i == s.size()) break;
#endif
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7F) {
      *p++ = static_cast<char>(c);
      continue;
    }
    if (c >= 0x80) {
      std::string_view piece;
      i += Utf8Piece(s, i, piece) - 1;
      p = PutView(p, piece);
      continue;
    }
    *p++ = '\\';
    switch (c) {
      case '"': *p++ = '"'; break;
      case '\\': *p++ = '\\'; break;
      case '\n': *p++ = 'n'; break;
      case '\r': *p++ = 'r'; break;
      case '\t': *p++ = 't'; break;
      default:
        p = PutLit(p, "u00");
        *p++ = kHex[c >> 4];
        *p++ = kHex[c & 15];
    }
  }
  *p++ = '"';
  return p;
}

void AppendList(std::string& out, const std::string& csv) {
  out.push_back('[');
  size_t i = 0;
  bool first = true;
  while (i < csv.size()) {
    size_t j = csv.find(',', i);
    if (j == std::string::npos) j = csv.size();
    if (!first) out.push_back(',');
    AppendJsonString(out, std::string_view(csv).substr(i, j - i));
    first = false;
    i = j + 1;
  }
  out.push_back(']');
}


// A path as a URI reference (SARIF artifactLocation.uri): RFC 3986
// unreserved characters and '/' as they are, every other byte %XX.
std::string UriPath(std::string_view path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

const char* SarifLevel(Confidence c) {
  return c == Confidence::kHigh ? "error" : c == Confidence::kMedium ? "warning" : "note";
}

// ANSI SGR sequences of the text format's colours.
constexpr const char* kPathColor = "\x1b[35m";
constexpr const char* kLineColor = "\x1b[32m";
constexpr const char* kTypeColor = "\x1b[36m";
constexpr const char* kValueColor = "\x1b[1;31m";
constexpr const char* kReset = "\x1b[0m";

}  // namespace

bool ColorWanted(std::string_view when, bool tty) {
  if (when == "always") return true;
  if (when != "auto" || !tty) return false;
  const char* no_color = std::getenv("NO_COLOR");
  return no_color == nullptr || *no_color == '\0';
}

ReportSink::ReportSink(std::FILE* out, ReportFormat format, bool reveal, IdentifierMasker& masker)
    : out_(out), format_(format), reveal_(reveal), masker_(masker) {
  masker_.SetReveal(reveal);
  if (format_ == ReportFormat::kJson) std::fputs("{\"findings\":[", out_);
  if (format_ == ReportFormat::kSarif)
    std::fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{"
               "\"results\":[",
               out_);
  if (format_ == ReportFormat::kCsv)
    std::fputs(reveal_ ? "path,line,column,type,category,confidence,masked,hash,message_id,ticket_id,date,subject,part,field,value\r\n"
                       : "path,line,column,type,category,confidence,masked,hash,message_id,ticket_id,date,subject,part,field\r\n",
               out_);
}

void ReportSink::SetPath(std::string_view path) {
  path_ = masker_.Show(path);
  path_json_.clear();
  message_index_ = 0;
  record_ = 0;
  ticket_ = TicketContext();
  message_id_ = ShownText();
  message_date_.clear();
  date_source_.clear();
  subject_ = ShownText();
  ticket_json_valid_ = false;
}

void NumberPatches::Add(uint64_t at, bool record) {
  if (at < last_ || at - last_ >= (uint64_t{1} << 62)) {
    broken_ = true;
    return;
  }
  if (blocks_.empty() || blocks_.back().size() + 10 > kBlock) {
    blocks_.emplace_back();
    blocks_.back().reserve(blocks_.size() == 1 ? 256 : kBlock);  // a range of few findings: small
  }
  std::string& b = blocks_.back();
  uint64_t v = (at - last_) << 1 | (record ? 1 : 0);
  for (; v >= 0x80; v >>= 7) b.push_back(static_cast<char>((v & 0x7F) | 0x80));
  b.push_back(static_cast<char>(v));
  last_ = at;
  ++count_;
}

size_t NumberPatches::bytes() const {
  size_t n = blocks_.capacity() * sizeof(std::string);
  for (const std::string& b : blocks_) n += b.capacity();
  return n;
}

bool NumberPatches::Reader::Next(uint64_t& at, bool& record) {
  if (p_.broken_) return false;
  while (block_ < p_.blocks_.size() && pos_ >= p_.blocks_[block_].size()) ++block_, pos_ = 0;
  if (block_ >= p_.blocks_.size()) return false;
  const std::string& b = p_.blocks_[block_];
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    const auto c = static_cast<unsigned char>(b[pos_++]);
    v |= static_cast<uint64_t>(c & 0x7F) << shift;
    if (c < 0x80) break;
  }
  at_ += v >> 1;
  at = at_, record = (v & 1) != 0;
  return true;
}

void PatchedCopy::NextPatch() {
  if (!patches_.Next(until_, record_)) until_ = UINT64_MAX;
}

bool PatchedCopy::EndNumber() {
  in_number_ = false;
  if (digits_ == 0) return false;  // no number where the patch said
  char b[24];
  auto r = std::to_chars(b, b + sizeof b, value_ + (record_ ? records_ : lines_));
  buf_.append(b, static_cast<size_t>(r.ptr - b));
  NextPatch();
  return true;
}

bool PatchedCopy::Finish() {
  if (in_number_ && !EndNumber()) disagree_ = true;
  const bool ok = buf_.empty() || std::fwrite(buf_.data(), 1, buf_.size(), out_) == buf_.size();
  buf_.clear();
  return ok && !disagree_ && until_ == UINT64_MAX && !patches_.broken();
}

bool PatchedCopy::Write(const char* d, size_t n) {
  constexpr size_t kBlock = 1 << 16;
  if (buf_.capacity() < kBlock + 32) buf_.reserve(kBlock + 32);
  while (n > 0) {
    if (buf_.size() >= kBlock) {
      if (std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size()) return false;
      buf_.clear();
    }
    if (in_number_) {  // the relative number's digits (it may go on in the next piece)
      size_t k = 0;
      for (; k < n && d[k] >= '0' && d[k] <= '9'; ++k) {
        if (++digits_ > 20) return disagree_ = true, false;
        value_ = value_ * 10 + static_cast<uint64_t>(d[k] - '0');
      }
      at_ += k, d += k, n -= k;
      if (n > 0 && !EndNumber()) return disagree_ = true, false;
      continue;
    }
    if (until_ < at_) return disagree_ = true, false;  // a patch inside the number before: never written so
    if (until_ > at_) {
      const size_t k = static_cast<size_t>(std::min<uint64_t>({until_ - at_, n, kBlock}));
      buf_.append(d, k);
      at_ += k, d += k, n -= k;
      continue;
    }
    in_number_ = true, value_ = 0, digits_ = 0;
  }
  return true;
}

void ReportSink::Number(std::string& to, uint64_t v, bool record, uint64_t base) {
  const size_t at = to.size();
  AppendNumber(to, v);
  if (patches_) patches_->Add(base + at, record);
}

void ReportSink::Write(const std::string& s) { Write(s.data(), s.size()); }

void ReportSink::Write(const char* d, size_t n) {
  std::fwrite(d, 1, n, out_);
  written_ += n;
}

bool ReportSink::AppendPart(std::string_view bytes, const ReportSink& part, const NumberPatches* patches,
                            uint64_t lines, uint64_t records) {
  return AppendPart([&](const Put& put) { return bytes.empty() || put(bytes.data(), bytes.size()); }, part, patches,
                    lines, records);
}

bool CopyPart(std::FILE* out, const std::function<bool(const PutBytes&)>& copy,
              const NumberPatches* patches, uint64_t lines, uint64_t records) {
  if (patches && !patches->empty()) {
    PatchedCopy fix(out, *patches, lines, records);
    return copy([&](const char* d, size_t n) { return fix.Write(d, n); }) && fix.Finish();
  }
  return copy([&](const char* d, size_t n) { return std::fwrite(d, 1, n, out) == n; });
}

bool ReportSink::AppendPart(const std::function<bool(const Put&)>& copy, const ReportSink& part,
                            const NumberPatches* patches, uint64_t lines, uint64_t records) {
  const bool ok = CopyPart(out_, copy, patches, lines, records);
  count_ += part.count_;
  attachments_ += part.attachments_;
  for (const auto& [type, n] : part.by_type_) by_type_[type] += n;
  return ok;
}

void ReportSink::SetMessage(size_t index, std::string_view message_id) {
  message_index_ = index;
  message_id_ = masker_.Show(message_id);
  message_date_.clear();
  date_source_.clear();
  subject_ = ShownText();
  ticket_json_valid_ = false;
}

void ReportSink::SetMessageMeta(std::string_view date, std::string_view date_source, std::string_view subject) {
  message_date_.assign(date);
  date_source_.assign(date_source);
  subject_ = masker_.Show(subject);
  ticket_json_valid_ = false;
}

void ReportSink::SetSubject(std::string_view subject) {
  subject_ = masker_.Show(subject);
  ticket_json_valid_ = false;
}

void ReportSink::SetTicket(size_t record, std::string_view id, std::string_view created, std::string_view updated,
                           std::string_view closed) {
  record_ = record;
  ticket_.id = masker_.Show(id);
  ticket_.created = masker_.Show(created);
  ticket_.updated = masker_.Show(updated);
  ticket_.closed = masker_.Show(closed);
  subject_ = ShownText();
  ticket_json_valid_ = false;
}

const ShownText& ReportSink::Field(const std::string& raw) {
  if (!field_valid_ || raw != field_raw_) {
    field_raw_ = raw;
    field_shown_ = masker_.Show(raw);
    field_valid_ = true;
  }
  return field_shown_;
}

bool ReportSink::OnFinding(const Finding& f, std::string_view raw) {
  // Findings come in runs of few types: skip the map lookup for a repeat.
  if (last_count_ == nullptr || f.type != *last_type_) {
    auto it = by_type_.try_emplace(f.type, 0).first;
    last_type_ = &it->first;
    last_count_ = &it->second;
  }
  ++*last_count_;
  line_.clear();
  if (format_ == ReportFormat::kSarif) {
    SarifResult(f);
  } else if (format_ == ReportFormat::kCsv) {
    const std::string& date = !message_date_.empty() ? message_date_
                              : !ticket_.closed.empty()  ? ticket_.closed.str()
                              : !ticket_.updated.empty()  ? ticket_.updated.str()
                                                     : ticket_.created.str();
    line_ = CsvCell(path_.str()) + ',' + std::to_string(f.line) + ',' + std::to_string(f.column) + ',' +
            CsvCell(f.type) + ',' + CsvCell(f.category) + ',' + ConfidenceName(f.confidence) + ',' +
            CsvCell(f.masked) + ',' + f.hash + ',' + CsvCell(message_id_.str()) + ',' +
            CsvCell(has_ticket() && ticket_.id.empty() ? "#" + std::to_string(record_) : ticket_.id.str()) + ',' +
            CsvCell(date) + ',' + CsvCell(subject_.str()) + ',' + CsvCell(f.part_offset >= 0 ? f.part : "") + ',' +
            CsvCell(f.part_offset >= 0 ? Field(f.field).str() : "");
    if (reveal_) line_ += ',' + CsvCell(SafeUtf8(raw));
    line_ += "\r\n";
  } else if (format_ == ReportFormat::kText) {
    std::string value = reveal_ ? SafeUtf8(raw) : f.masked;
    // One finding per line: a value written across a line break shows "\n".
    for (size_t k = 0; (k = value.find_first_of("\r\n\t", k)) != std::string::npos;)
      value.replace(k, 1, value[k] == '\n' ? "\\n" : value[k] == '\r' ? "\\r" : "\\t"), k += 2;
    // (Numbers through Number: noted for a range's fix-up, SetPatches.)
    if (color_) {
      line_ = kPathColor + path_.str() + kReset + ":" + kLineColor;
      Number(line_, f.line, has_ticket(), written_);
      line_ += ":" + std::to_string(f.column) + kReset + " " + kTypeColor + f.type + kReset + " " +
               ConfidenceName(f.confidence) + " " + kValueColor + value + kReset;
    } else {
      line_ = path_.str() + ":";
      Number(line_, f.line, has_ticket(), written_);
      line_ += ":" + std::to_string(f.column) + " " + f.type + " " + ConfidenceName(f.confidence) + " " + value;
    }
    if (f.part_offset >= 0) {
      line_ += " (";
      if (message_index_ > 0) {
        line_ += "message ";
        Number(line_, message_index_, true, written_);
        line_ += ", ";
      }
      if (has_ticket()) {
        line_ += "ticket ";
        if (ticket_.id.empty()) {
          line_ += "#";
          Number(line_, record_, true, written_);
        } else {
          line_ += ticket_.id.str();
        }
        line_ += " " + Field(f.field).str() + ")";
      } else
        line_ += (f.part.empty() ? std::string("header") : "part " + f.part) + " " + Field(f.field).str() + ")";
    }
    line_ += "\n";
  } else {
    // The line up to "temporary" is written through a pointer into room
    // sized for its worst case (every string byte escaped as \u00XX): one
    // resize instead of ~19 appends, each a call with a capacity check.
    if (path_json_.empty()) AppendJsonString(path_json_, path_);  // once per input
    // Findings come with few distinct rule sets: the list is built once per set.
    const std::string* rules_json = nullptr;
    for (const auto& [set, json] : rules_json_)
      if (set == f.rules) {
        rules_json = &json;
        break;
      }
    if (!rules_json) {
      if (rules_json_.size() >= 64) rules_json_.clear();
      std::string json;
      AppendList(json, RuleNames(f.rules));
      rules_json = &rules_json_.emplace_back(f.rules, std::move(json)).second;
    }
    const std::string* type_json = nullptr;
    for (const TypeJson& t : type_json_)
      if (t.type == f.type && t.category == f.category && t.subcategory == f.subcategory) {
        type_json = &t.json;
        break;
      }
    if (!type_json) {
      if (type_json_.size() >= 64) type_json_.clear();
      TypeJson& t = type_json_.emplace_back(TypeJson{f.type, f.category, f.subcategory, ",\"type\":"});
      AppendJsonString(t.json, f.type);
      t.json += ",\"category\":"sv;
      AppendJsonString(t.json, f.category);
      if (!f.subcategory.empty()) {
        t.json += ",\"subcategory\":"sv;
        AppendJsonString(t.json, f.subcategory);
      }
      type_json = &t.json;
    }
    const size_t room = 512 + path_json_.size() + rules_json->size() + type_json->size() + f.hash.size() +
                        6 * (f.masked.size() + f.also.size() + 1) + 3 * f.also.size();
    if (json_room_.size() < room) json_room_.resize(room);
    char* const b = json_room_.data();
    char* p = b;
    if (format_ == ReportFormat::kJson && count_ > 0) *p++ = ',';
    p = PutLit(p, "{\"path\":");
    p = PutView(p, path_json_);
    p = PutView(p, *type_json);  // ,"type":…,"category":…[,"subcategory":…]
    p = PutLit(p, ",\"confidence\":\"");
    p = PutView(p, ConfidenceName(f.confidence));
    p = PutLit(p, "\",\"start\":");
    p = PutNumber(p, f.start);
    p = PutLit(p, ",\"end\":");
    p = PutNumber(p, f.end);
    p = PutLit(p, ",\"line\":");
    {  // a ticket's line is its record number (noted for patches_, as Number does)
      char* at = p;
      p = PutNumber(p, f.line);
      if (patches_) patches_->Add(written_ + static_cast<uint64_t>(at - b), has_ticket());
    }
    p = PutLit(p, ",\"column\":");
    p = PutNumber(p, f.column);
    p = PutLit(p, ",\"masked\":");
    p = PutJsonString(p, f.masked);
    p = PutLit(p, ",\"rules\":");
    p = PutView(p, *rules_json);
    p = PutLit(p, ",\"hash\":\"");
    p = PutView(p, f.hash);
    p = PutLit(p, "\",\"also\":[");
    for (size_t i = 0; i < f.also.size();) {  // AppendList's
      size_t j = f.also.find(',', i);
      if (j == std::string::npos) j = f.also.size();
      if (i > 0) *p++ = ',';
      p = PutJsonString(p, std::string_view(f.also).substr(i, j - i));
      i = j + 1;
    }
    *p++ = ']';
    p = (f.rules & kRuleTest) ? PutLit(p, ",\"test\":true") : PutLit(p, ",\"test\":false");
    p = (f.rules & kRuleTemporary) ? PutLit(p, ",\"temporary\":true") : PutLit(p, ",\"temporary\":false");
    if (message_index_ == 0 && message_id_.empty() && message_date_.empty() && subject_.empty() && !has_ticket() &&
        f.part_offset < 0 && !reveal_) {  // plain text: nothing more (the room has 512 bytes to spare)
      *p++ = '}';
      if (format_ == ReportFormat::kJsonl) *p++ = '\n';
      Write(b, static_cast<size_t>(p - b));
      ++count_;
      if (observer_) observer_->Recorded(*this, f);
      return true;
    }
    line_.assign(b, static_cast<size_t>(p - b));
    if (message_index_ > 0) {
      line_ += ",\"message_index\":"sv;
      Number(line_, message_index_, true, written_);
    }
    if (!message_id_.empty()) {
      line_ += ",\"message_id\":"sv;
      AppendJsonString(line_, message_id_);
    }
    if (!message_date_.empty()) {
      line_ += ",\"date\":"sv;
      AppendJsonString(line_, message_date_);
      line_ += ",\"date_source\":"sv;
      AppendJsonString(line_, date_source_);
    }
    // The subject and the ticket's keys are the same for every finding of
    // a ticket: written as JSON once (ticket_json_), then copied.
    if (!ticket_json_valid_) {
      std::string& tj = ticket_json_;
      tj.clear();
      if (!subject_.empty()) {
        tj += ",\"subject\":"sv;
        AppendJsonString(tj, subject_);
      }
      if (has_ticket()) {
        tj += ",\"record\":"sv;
        ticket_record_at_ = tj.size();
        AppendNumber(tj, record_);
        const std::pair<const char*, const ShownText*> kKeys[] = {
            {"ticket_id", &ticket_.id}, {"created", &ticket_.created}, {"updated", &ticket_.updated},
            {"closed", &ticket_.closed}};
        for (const auto& [key, value] : kKeys) {
          if (value->empty()) continue;
          tj += ",\""sv;
          tj += key;
          tj += "\":"sv;
          AppendJsonString(tj, *value);
        }
      }
      ticket_json_valid_ = true;
    }
    if (patches_ && has_ticket()) patches_->Add(written_ + line_.size() + ticket_record_at_, true);
    line_ += ticket_json_;
    if (f.part_offset >= 0) {
      if (!has_ticket()) {
        line_ += ",\"part\":"sv;
        AppendJsonString(line_, std::string_view(f.part));  // part numbers: made by the MIME reader
      }
      line_ += ",\"field\":"sv;
      AppendJsonString(line_, Field(f.field));
      line_ += ",\"part_offset\":"sv;
      AppendNumber(line_, f.part_offset);
    }
    if (reveal_) {
      line_ += ",\"value\":"sv;
      AppendJsonString(line_, SafeUtf8(raw));
    }
    line_ += "}"sv;
    if (format_ == ReportFormat::kJsonl) line_ += '\n';
  }
  Write(line_);
  ++count_;
  if (observer_) observer_->Recorded(*this, f);
  return true;
}

void ReportSink::Event(std::string_view kind, std::string_view part, const std::string& rest_json,
                       const std::string& text) {
  if (format_ == ReportFormat::kCsv) {
    std::string l = CsvCell(path_.str()) + ",,,event:" + std::string(kind) + ",,,,," + CsvCell(message_id_.str()) +
                    ",,,," + CsvCell(part) + ',' + CsvCell(text) + (reveal_ ? ",\r\n" : "\r\n");
    std::fputs(l.c_str(), out_);
    return;
  }
  if (format_ == ReportFormat::kSarif) {
    // A toolExecutionNotification of the run's invocation (Finish).
    std::string l = "{\"level\":\"warning\",\"descriptor\":{\"id\":";
    AppendJsonString(l, "nordpii/" + std::string(kind));
    l += "},\"message\":{\"text\":";
    std::string msg = text;
    if (message_index_ > 0) msg = "message " + std::to_string(message_index_) + ": " + msg;
    AppendJsonString(l, msg);
    l += "},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":";
    AppendJsonString(l, UriPath(path_.str()));
    l += "}}}]}";
    events_.push_back(std::move(l));
    return;
  }
  if (format_ == ReportFormat::kText) {
    std::string l = path_.str() + ": ";
    if (message_index_ > 0) {
      l += "message ";
      Number(l, message_index_, true, written_);
      l += ": ";
    }
    l += text + "\n";
    Write(std::string(l.c_str()));  // as fputs: up to a NUL
    return;
  }
  std::string l = "{\"path\":";
  AppendJsonString(l, path_);
  if (message_index_ > 0) {
    l += ",\"message_index\":";
    Number(l, message_index_, true, written_);
  }
  if (!message_id_.empty()) {
    l += ",\"message_id\":";
    AppendJsonString(l, message_id_);
  }
  l += ",\"event\":";
  AppendJsonString(l, kind);
  l += ",\"part\":";
  AppendJsonString(l, part);
  l += rest_json + "}";
  if (format_ == ReportFormat::kJsonl) {
    l += "\n";
    Write(std::string(l.c_str()));  // as fputs: up to a NUL
  } else {
    events_.push_back(std::move(l));
  }
}

void ReportSink::OnNote(std::string_view part, std::string_view text) {
  // A note quotes the input (a charset name, a file name): shown masked.
  ShownText shown = masker_.Show(text);
  std::string rest = ",\"text\":";
  AppendJsonString(rest, shown);
  Event("note", part, rest, "note: " + shown.str());
  // An image not read because OCR is off counts as an attachment not
  // scanned (batch summary), under "image (no --ocr)".
  const bool image = text.size() >= kImageNotReadNote.size() &&
                     text.substr(text.size() - kImageNotReadNote.size()) == kImageNotReadNote;
  if (observer_) observer_->RecordedEvent(image ? "attachment" : "note", image ? "image (no --ocr)" : "");
}

void ReportSink::OnAttachment(std::string_view part, std::string_view type, std::string_view name,
                              uint64_t size) {
  ShownText shown_type = masker_.Show(type), shown_name = masker_.Show(name);
  std::string rest = ",\"content_type\":";
  AppendJsonString(rest, shown_type);
  rest += ",\"name\":";
  AppendJsonString(rest, shown_name);
  rest += ",\"size\":" + std::to_string(size) + ",\"scanned\":false";
  ++attachments_;
  Event("attachment", part, rest,
        "attachment part " + std::string(part) + " " + shown_type.str() + " '" + shown_name.str() + "' (" +
            std::to_string(size) + " bytes) not scanned");
  if (observer_) observer_->RecordedEvent("attachment", shown_type.str());
}

void ReportSink::SarifResult(const Finding& f) {
  categories_.try_emplace(f.type, f.category);
  if (count_ > 0) line_ += ",";
  line_ += "{\"ruleId\":";
  AppendJsonString(line_, f.type);
  line_ += ",\"level\":\"";
  line_ += SarifLevel(f.confidence);
  line_ += "\",\"message\":{\"text\":";
  AppendJsonString(line_, f.type + " (" + ConfidenceName(f.confidence) + " confidence): " + f.masked);
  line_ += "},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":";
  if (path_json_.empty()) AppendJsonString(path_json_, UriPath(path_.str()));  // once per input
  line_ += path_json_;
  line_ += "},\"region\":{\"startLine\":";
  AppendNumber(line_, f.line);
  line_ += ",\"startColumn\":";
  AppendNumber(line_, f.column);
  line_ += ",\"byteOffset\":";
  AppendNumber(line_, f.start);
  line_ += ",\"byteLength\":";
  AppendNumber(line_, f.end - f.start);
  line_ += "}}}],\"partialFingerprints\":{\"nordpii/hash\":\"";
  line_ += f.hash;
  line_ += "\"},\"properties\":{\"category\":";
  AppendJsonString(line_, f.category);
  line_ += ",\"confidence\":\"";
  line_ += ConfidenceName(f.confidence);
  line_ += "\",\"masked\":";
  AppendJsonString(line_, f.masked);
  line_ += ",\"rules\":";
  rules_ = RuleNames(f.rules);
  AppendList(line_, rules_);
  auto add = [&](const char* key, const ShownText& v) {
    if (v.empty()) return;
    line_ += ",\"";
    line_ += key;
    line_ += "\":";
    AppendJsonString(line_, v);
  };
  add("message_id", message_id_);
  add("ticket_id", ticket_.id);
  if (!message_date_.empty()) {
    line_ += ",\"date\":";
    AppendJsonString(line_, message_date_);
  }
  add("subject", subject_);
  if (f.part_offset >= 0) {
    if (!has_ticket()) {
      line_ += ",\"part\":";
      AppendJsonString(line_, std::string_view(f.part));
    }
    add("field", Field(f.field));
  }
  line_ += "}}";
}

void ReportSink::Finish(size_t files, size_t errors) {
  if (format_ == ReportFormat::kSarif) {
    std::string s = "],\"tool\":{\"driver\":{\"name\":\"nordpii\",\"version\":\"" NORDPII_VERSION
                    "\",\"rules\":[";
    bool first = true;
    for (const auto& [type, category] : categories_) {
      auto m = meanings_.find(type);
      s += first ? "{\"id\":" : ",{\"id\":";
      AppendJsonString(s, type);
      s += ",\"shortDescription\":{\"text\":";
      AppendJsonString(s, m != meanings_.end() ? m->second : type + " (" + category + ")");
      s += "},\"properties\":{\"category\":";
      AppendJsonString(s, category);
      s += "}}";
      first = false;
    }
    s += "]}},\"invocations\":[{\"executionSuccessful\":";
    s += errors == 0 ? "true" : "false";
    s += ",\"toolExecutionNotifications\":[";
    for (size_t i = 0; i < events_.size(); ++i) s += (i ? "," : "") + events_[i];
    s += "]}],\"properties\":{\"files\":" + std::to_string(files) + ",\"errors\":" + std::to_string(errors) +
         ",\"findings\":" + std::to_string(count_);
    if (allowed_ >= 0) s += ",\"allowed\":" + std::to_string(allowed_);
    s += "}}]}\n";
    std::fputs(s.c_str(), out_);
    return;
  }
  if (format_ != ReportFormat::kJson) return;
  std::string s = "]";
  if (!events_.empty()) {
    s += ",\"events\":[";
    for (size_t i = 0; i < events_.size(); ++i) s += (i ? "," : "") + events_[i];
    s += "]";
  }
  s += ",\"summary\":{\"files\":" + std::to_string(files) +
                  ",\"errors\":" + std::to_string(errors) + ",\"findings\":" +
                  std::to_string(count_);
  if (allowed_ >= 0) s += ",\"allowed\":" + std::to_string(allowed_);
  s += ",\"by_type\":{";
  bool first = true;
  for (const auto& [t, n] : by_type_) {
    if (!first) s += ",";
    AppendJsonString(s, t);
    s += ":" + std::to_string(n);
    first = false;
  }
  s += "}}}\n";
  std::fputs(s.c_str(), out_);
}

}  // namespace nordpii
