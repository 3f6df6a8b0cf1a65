// SPDX-License-Identifier: Apache-2.0
#include "mail/mail_scanner.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>

#include "core/bytes.h"
#include "core/csv_delimiter.h"
#include "core/file_magic.h"
#include "core/utf8.h"
#include "extract/extractor.h"
#include "mail/mail_encode.h"
#include "normalize/html_text.h"
#include "normalize/legacy_text.h"
#include "normalize/transfer_decode.h"

namespace nordpii {

namespace {

bool EndsWith(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

// A header name (case-insensitive, trailing blanks ignored) in a list of
// lower-case names. Compared in place: a lower-cased copy of every header
// name and a strlen per list entry were 2 % of a typical mbox scan (issue 14).
template <size_t N>
bool HeaderIn(std::string_view name, const std::string_view (&list)[N]) {
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  for (std::string_view s : list) {
    if (s.size() != name.size()) continue;
    size_t i = 0;
    for (; i < s.size(); ++i) {
      char c = name[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != s[i]) break;
    }
    if (i == s.size()) return true;
  }
  return false;
}

// Headers that carry no free text written by people (trace, ids, dates,
// signatures, structure); every other header is scanned.
bool ScannedHeader(std::string_view name) {
  static constexpr std::string_view kSkip[] = {
      "received", "dkim-signature", "arc-seal", "arc-message-signature", "arc-authentication-results",
      "authentication-results", "received-spf", "message-id", "references", "in-reply-to", "date",
      "mime-version", "content-transfer-encoding", "content-id",
      "domainkey-signature", "x-google-dkim-signature", "x-ms-exchange-organization-network-message-id",
      "delivered-to", "resent-date", "resent-message-id"};
  return !HeaderIn(name, kSkip);
}

// Headers whose values carry MIME parameters (file names).
bool ParamHeader(std::string_view name) {
  static constexpr std::string_view kParam[] = {"content-type", "content-disposition"};
  return HeaderIn(name, kParam);
}

// The multipart boundary is structure, not text: its value is blanked (same
// length, so offsets hold) before the header is scanned. Generated
// boundaries are long digit runs ("===============4573...==", one in ten
// passes Luhn), and redacting one would cut the message from its parts.
void BlankBoundary(std::string& text) {
  std::string lower = AsciiLower(text);
  for (size_t at = lower.find("boundary"); at != std::string::npos; at = lower.find("boundary", at + 8)) {
    if (at > 0 && lower[at - 1] != ';' && lower[at - 1] != ' ' && lower[at - 1] != '\t') continue;
    size_t i = at + 8;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= text.size() || text[i] != '=') continue;
    ++i;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i < text.size() && text[i] == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) text[i] = ' ';
    } else {
      for (; i < text.size() && text[i] != ';' && text[i] != ' ' && text[i] != '\t'; ++i) text[i] = ' ';
    }
  }
}

// An RFC 2231 parameter in a Content-Type/-Disposition value whose value is
// split in continuations (`filename*0="kunde-151086"; filename*1="95088.txt"`)
// or percent-encoded (`filename*=UTF-8''%31%35...`): in the scanned text its
// segments are replaced by `name="joined value"` (one atomic piece of the
// map), so the value is scanned as the reader sees it.
struct JoinedParam {
  uint32_t start = 0, end = 0;  // raw header value range the joined text maps to
  std::string name;             // "filename"
  std::string value;            // joined, decoded (UTF-8)
  bool safe = false;            // its segments are adjacent and in order: rewritable as one parameter
};

// Builds the text with joined parameters (`out`, mapped to `raw`); false
// when nothing needed joining.
bool JoinRfc2231(std::string_view raw, Decoded& out, std::vector<JoinedParam>& joined) {
  std::vector<ParamValue> pvs = ParamValues(raw);
  struct Seg {
    size_t pv;
    int index;
  };
  std::vector<std::pair<std::string, std::vector<Seg>>> groups;
  for (size_t k = 0; k < pvs.size(); ++k) {
    std::string name = AsciiLower(raw.substr(pvs[k].name_start, pvs[k].name_end - pvs[k].name_start));
    size_t star = name.find('*');
    if (star == std::string::npos || star == 0) continue;
    std::string_view rest = std::string_view(name).substr(star + 1);
    if (!rest.empty() && rest.back() == '*') rest.remove_suffix(1);
    int index = 0;
    if (rest.size() > 3) continue;
    for (char c : rest) index = (c >= '0' && c <= '9' && index >= 0) ? index * 10 + (c - '0') : -1;
    if (index < 0) continue;
    std::string base = name.substr(0, star);
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& x) { return x.first == base; });
    if (g == groups.end()) groups.push_back({base, {}}), g = groups.end() - 1;
    g->second.push_back({k, index});
  }
  std::vector<std::pair<size_t, size_t>> drop;  // [name_start, full_end) of segments folded into another
  std::vector<std::pair<size_t, JoinedParam>> put;  // segment ranges replaced by the joined text
  for (auto& [base, segs] : groups) {
    bool pct = false;
    for (const Seg& sg : segs)
      pct = pct || (pvs[sg.pv].kind == ParamValue::kExtended &&
                    raw.substr(pvs[sg.pv].start, pvs[sg.pv].end - pvs[sg.pv].start).find('%') != std::string_view::npos);
    if (segs.size() < 2 && !pct) continue;
    JoinedParam jp;
    jp.name = base;
    jp.value = ParseParams(UnfoldHeader(raw)).Get(base);
    jp.safe = true;
    for (size_t k = 0; k < segs.size() && jp.safe; ++k) {
      if (segs[k].index != static_cast<int>(k)) jp.safe = false;
      if (k == 0) continue;
      std::string_view between = raw.substr(pvs[segs[k - 1].pv].full_end,
                                            pvs[segs[k].pv].name_start - pvs[segs[k - 1].pv].full_end);
      for (char c : between)
        if (c != ';' && c != ' ' && c != '\t' && c != '\r' && c != '\n') jp.safe = false;
    }
    const ParamValue& first = pvs[segs.front().pv];
    jp.start = static_cast<uint32_t>(first.name_start);
    jp.end = static_cast<uint32_t>(jp.safe ? pvs[segs.back().pv].full_end : first.full_end);
    if (!jp.safe)
      for (size_t k = 1; k < segs.size(); ++k) drop.push_back({pvs[segs[k].pv].name_start, pvs[segs[k].pv].full_end});
    put.push_back({jp.start, jp});
  }
  if (put.empty()) return false;
  // Write the text: replaced ranges and dropped segments in source order.
  struct Cut {
    size_t start, end;
    const JoinedParam* jp;
  };
  std::vector<Cut> cuts;
  for (const auto& [at, jp] : put) cuts.push_back({jp.start, jp.end, &jp});
  for (const auto& d : drop) cuts.push_back({d.first, d.second, nullptr});
  std::sort(cuts.begin(), cuts.end(), [](const Cut& a, const Cut& b) { return a.start < b.start; });
  out.bytes.clear();
  out.map.Clear();
  size_t pos = 0;
  for (const Cut& c : cuts) {
    if (c.start < pos) continue;
    out.bytes.append(raw.substr(pos, c.start - pos));
    uint32_t at = static_cast<uint32_t>(out.bytes.size());
    if (c.jp) out.bytes += c.jp->name + "=\"" + c.jp->value + "\"";
    out.map.Add(at, static_cast<uint32_t>(out.bytes.size()), static_cast<uint32_t>(c.start),
                static_cast<uint32_t>(c.end));
    pos = c.end;
  }
  out.bytes.append(raw.substr(pos));
  for (auto& [at, jp] : put) joined.push_back(std::move(jp));
  return true;
}

// Our own headers (a message arriving with them brought them itself).
bool OwnHeader(std::string_view name) {
  static constexpr std::string_view kOwn[] = {"x-nordpii", "x-nordpii-verdict"};
  return HeaderIn(name, kOwn);
}

// True when the top message's header block has an X-Nordpii header.
bool HasNordpiiHeader(std::string_view msg) {
  MailLimits lim;
  lim.max_parts = 1;
  MimeTree t = ParseMime(msg, lim);
  if (t.entities.empty()) return false;
  for (const HeaderField& h : t.entities[0].headers)
    if (OwnHeader(h.name)) return true;
  return false;
}

// Address headers: the addresses in them route the message and are not a
// leak; e-mail findings there are dropped (other findings, e.g. a number in
// a display name, are kept).
bool AddressHeader(std::string_view name) {
  static constexpr std::string_view kAddr[] = {
      "from", "to", "cc", "bcc", "reply-to", "sender", "return-path", "resent-from", "resent-to", "resent-cc",
      "resent-sender", "x-original-to", "envelope-to", "delivered-to", "errors-to", "disposition-notification-to",
      "mail-followup-to", "mail-reply-to"};
  return HeaderIn(name, kAddr);
}

bool ValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    uint32_t cp;
    int n = DecodeUtf8(p, s.size(), i, cp);
    if (n <= 0 || cp == 0xFFFD) return false;
    i += static_cast<size_t>(n);
  }
  return true;
}

// Unfolds a header value, mapping the unfolded text back to the raw value.
void Unfold(std::string_view v, std::string& out, OffsetMap& map) {
  out.clear();
  map.Clear();
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\r' && i + 1 < v.size() && v[i + 1] == '\n') {
      uint32_t at = static_cast<uint32_t>(out.size());
      map.Add(at, at, static_cast<uint32_t>(i), static_cast<uint32_t>(i + 2));
      ++i;
      continue;
    }
    if (v[i] == '\n') {
      uint32_t at = static_cast<uint32_t>(out.size());
      map.Add(at, at, static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1));
      continue;
    }
    out.push_back(v[i]);
  }
}

// Attachment names in reports: digit runs of 6 or more are masked (a file
// called lonn_15108695088.pdf must not leak the number into a report).
std::string SafeName(std::string_view name) {
  std::string out(name);
  size_t i = 0;
  while (i < out.size()) {
    if (out[i] >= '0' && out[i] <= '9') {
      size_t j = i;
      while (j < out.size() && ((out[j] >= '0' && out[j] <= '9') || out[j] == '-' || out[j] == ' ')) ++j;
      size_t digits = 0;
      for (size_t k = i; k < j; ++k) digits += out[k] >= '0' && out[k] <= '9';
      if (digits >= 6)
        for (size_t k = i; k < j; ++k)
          if (out[k] >= '0' && out[k] <= '9') out[k] = '*';
      i = j;
    } else {
      ++i;
    }
  }
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 32) c = ' ';
  return out;
}

// Fails reads once a deadline has passed, so a scan stops within one chunk.
class DeadlineSource : public ByteSource {
 public:
  DeadlineSource(ByteSource& in, std::chrono::steady_clock::time_point d) : in_(in), d_(d) {}
  Result<size_t> Read(char* buf, size_t n) override {
    if (std::chrono::steady_clock::now() > d_) return Error(ErrorCode::kLimit, "scan timeout");
    return in_.Read(buf, std::min<size_t>(n, 1 << 20));
  }
  const std::string& name() const override { return in_.name(); }

 private:
  ByteSource& in_;
  std::chrono::steady_clock::time_point d_;
};

// Hands the findings of one unit to a Walk handler as the engine produces
// them (nothing is collected: memory does not grow with the findings).
template <class Handler, class Unit>
struct UnitSink : StreamSink {
  Handler* h;
  Unit* u;
  bool drop_email = false;  // address headers: their addresses are not a leak
  uint64_t shift = 0;       // the scanned text's offset in the unit's text (a CSV cell)
  Finding shifted;          // reused
  bool lost = false;        // a finding behind a streamed part's mappable window
  bool OnFinding(const Finding& f, std::string_view raw) override {
    if (drop_email && f.type == "email") return true;
    if (u->Behind(f.start + shift)) {  // never expected: fail closed
      lost = true;
      return false;
    }
    if (shift == 0) return h->Found(*u, f, raw);
    shifted = f;
    shifted.start += shift;
    shifted.end += shift;
    return h->Found(*u, shifted, raw);
  }
};

// A CSV attachment's cells: [begin, end) in the text (inside the quotes of
// a quoted cell; "" escapes left as they are) and the column. The header
// row's cells are the column names. RFC 4180 quoting; the delimiter is the
// most frequent of , ; and tab in the header (CsvDelimiterSniffer).
// Not the ticket reader's SplitCsvRecord, on purpose: that one splits a
// record already cut at its line break, keeps a '\r' before a delimiter, and
// gives a cell with text after its closing quote whole, quote and all (the
// ticket writer copies the raw cell); here the rows are cut too, a '\r' is
// left out, and the offsets are the decoded text's (CsvStreamCells: the same
// cells from a stream, tested against these).
// Each cell is handed to `on` as it is found (not collected: a 45 MB
// attachment of short cells held ~3.4 M of them, ~110 MB and twice that as
// the vector grew); `on` returns false to stop.
struct CsvCell {
  size_t begin, end, column, row;
  bool malformed = false;  // text after its closing quote, or a quote never closed (closed17)
};
// Malformed quoting in a CSV attachment is an error for the part (closed17:
// read raw up to the delimiter, an id split by the quote, "fnr 1510869"5088,
// was missed; as in ticket exports, no cell content in the message).
constexpr const char* kCsvMalformed =
    "malformed CSV quoting (text after a cell's closing quote, or a quote not closed); not scanned";

template <typename OnCell>
bool CsvCells(std::string_view t, OnCell&& on) {
  CsvDelimiterSniffer sniff;
  sniff.Add(t);
  const char delim = sniff.delimiter();
  size_t i = 0, col = 0, row = 0;
  while (i <= t.size()) {
    size_t b = i, e;
    bool malformed = false;
    if (i < t.size() && t[i] == '"') {
      b = ++i;
      while (i < t.size() && !(t[i] == '"' && (i + 1 >= t.size() || t[i + 1] != '"'))) i += (t[i] == '"') ? 2 : 1;
      e = std::min(i, t.size());
      malformed = i >= t.size();  // never closed
      if (i < t.size()) ++i;  // closing quote
      bool trailing = false;
      while (i < t.size() && t[i] != delim && t[i] != '\n') trailing |= t[i] != ' ' && t[i] != '\t' && t[i] != '\r', ++i;
      // Bytes after the closing quote (`"a"b 1234`, malformed): the cell
      // runs to the delimiter, so they are scanned too (review).
      if (trailing) e = i;
      malformed = malformed || trailing;
    } else {
      while (i < t.size() && t[i] != delim && t[i] != '\n') ++i;
      e = i;
      if (e > b && t[e - 1] == '\r') --e;
    }
    if (!on(CsvCell{b, e, col, row, malformed})) return false;
    if (i >= t.size()) break;
    if (t[i] == delim) {
      ++col;
    } else {
      col = 0;
      ++row;
    }
    ++i;
  }
  return true;
}

// The cells of a streamed CSV part (issue 12 #9): the same cells, columns
// and rows as CsvCells gives for the whole decoded text, cut from its
// decoded bytes as they come from `in` (a TransferStream) — a cell may span
// any number of its ranges. A cell is found in a window of `window` bytes
// from its start and handed as a view (whole()); a longer one (a quoted
// cell with line breaks, a long description) is handed as a ByteSource of
// its bytes (cell()), found as it is read, so memory stays within the
// window whatever the cells. The rules are CsvCells' own, worked a byte at
// a time: a cell is [begin, end) of the text (inside the quotes of a quoted
// cell, "" left as is; a '\r' before the line break is not in it; bytes
// after the closing quote, other than blanks, make the cell run to the
// delimiter). Blanks after a closing quote wait for the byte that decides
// whether they belong to the cell: more than `window` (at least 64 KiB) of
// them in a cell over the window is an error (fail closed), never a cut.
// Own code: the cells must be the ones CsvCells gives (offsets, redaction),
// and no CSV library keeps the offsets of cells read from a stream.
class CsvStreamCells : public ByteSource {
 public:
  CsvStreamCells(ByteSource& in, char delim, size_t window, size_t read)
      : in_(in), delim_(delim), window_(std::max<size_t>(window, 1)), read_(std::max<size_t>(read, 1)) {}
  // The next cell; false at the end of the text or on an error (status()).
  bool Next() {
    if (done_ || !status_.ok()) return false;
    if (started_) {
      streamed_ = true;  // a streamed cell not read to its end: the rest is skipped
      while (!ended_) {
        out_ = keep_ = confirmed_;
        if (!Step()) return false;
      }
      if (last_) {
        done_ = true;
        return false;
      }
      if (At(pos_) == delim_) {
        ++col_;
      } else {
        col_ = 0;
        ++row_;
      }
      ++pos_;
    }
    started_ = true;
    streamed_ = false;
    ended_ = last_ = false;
    collect_ = nullptr;
    keep_ = pos_;
    if (Avail(pos_) && At(pos_) == '"') {
      state_ = kQuoted;
      ++pos_;
    } else {
      if (!status_.ok()) return false;
      state_ = kUnquoted;
    }
    begin_ = confirmed_ = out_ = keep_ = pos_;
    while (!ended_ && pos_ - begin_ <= window_)
      if (!Step()) return false;
    streamed_ = !ended_;
    return true;
  }
  uint64_t begin() const { return begin_; }  // the cell's offset in the text
  size_t column() const { return col_; }
  size_t row() const { return row_; }
  bool whole() const { return !streamed_; }
  std::string_view view() const { return std::string_view(buf_).substr(begin_ - base_, end_ - begin_); }
  // A streamed cell's bytes (from its start), read as a ByteSource; with
  // `collect`, also appended there (the header row's names), at most `cap`.
  ByteSource& cell(std::string* collect, size_t cap) {
    collect_ = collect;
    cap_ = cap;
    return *this;
  }
  const Status& status() const { return status_; }
  Result<size_t> Read(char* b, size_t n) override {
    while (!ended_ && (confirmed_ == out_ || (confirmed_ - out_ < n && pos_ < base_ + buf_.size())))
      if (!Step()) return status_;
    size_t k = static_cast<size_t>(std::min<uint64_t>(n, confirmed_ - out_));
    if (k == 0) return size_t{0};
    std::memcpy(b, buf_.data() + (out_ - base_), k);
    if (collect_) {
      if (collect_->size() + k > cap_) {
        status_ = Error(ErrorCode::kLimit, "a CSV header cell over " + std::to_string(cap_) + " bytes");
        return status_;
      }
      collect_->append(b, k);
    }
    out_ += k;
    keep_ = out_;
    return k;
  }
  const std::string& name() const override { return name_; }

 private:
  enum State { kUnquoted, kQuoted, kAfterQuote, kTrailing };
  // Byte p of the text is in buf_ (read when needed); false past its end or
  // on an error.
  bool Avail(uint64_t p) {
    while (p >= base_ + buf_.size()) {
      if (eof_ || !status_.ok()) return false;
      Fill();
    }
    return true;
  }
  char At(uint64_t p) const { return buf_[p - base_]; }
  void Fill() {
    if (keep_ - base_ > 0 && keep_ - base_ >= buf_.size() / 2) {
      buf_.erase(0, keep_ - base_);
      base_ = keep_;
    }
    size_t old = buf_.size();
    buf_.resize(old + read_);
    auto r = in_.Read(buf_.data() + old, read_);
    if (!r) {
      buf_.resize(old);
      status_ = r.error();
      return;
    }
    buf_.resize(old + *r);
    if (*r == 0) eof_ = true;
  }
  void Term(uint64_t end, bool last) {
    end_ = confirmed_ = end;
    ended_ = true;
    last_ = last;
  }
  // One byte of the cell (or its end); false on an error.
  bool Step() {
    if (streamed_ && pos_ - confirmed_ > held_) {
      status_ = Error(ErrorCode::kLimit, "over " + std::to_string(held_) +
                                             " blank bytes after the closing quote of a CSV cell");
      return false;
    }
    if (!Avail(pos_)) {
      if (!status_.ok()) return false;
      switch (state_) {  // the end of the text
        case kUnquoted: Term(confirmed_, true); break;  // (a '\r' held back is left out)
        case kAfterQuote: Term(quote_, true); break;
        case kQuoted:  // a quote never closed (closed17)
          status_ = Error(ErrorCode::kInvalidArgument, kCsvMalformed);
          return false;
        default: Term(pos_, true);
      }
      return true;
    }
    const char c = At(pos_);
    const bool stop = c == delim_ || c == '\n';
    switch (state_) {
      case kUnquoted:
        if (stop) {
          Term(confirmed_, false);  // (a '\r' held back is left out)
          return true;
        }
        ++pos_;
        confirmed_ = c == '\r' ? pos_ - 1 : pos_;  // a '\r' waits for the byte after it
        return true;
      case kQuoted:
        if (c == '"') {
          if (Avail(pos_ + 1) && At(pos_ + 1) == '"') {
            pos_ += 2;
            confirmed_ = pos_;
            return true;
          }
          if (!status_.ok()) return false;
          quote_ = pos_++;
          state_ = kAfterQuote;
          return true;
        }
        confirmed_ = ++pos_;
        return true;
      case kAfterQuote:
        if (stop) {
          Term(quote_, false);
          return true;
        }
        ++pos_;
        if (c != ' ' && c != '\t' && c != '\r') {  // text after the closing quote: malformed (closed17)
          status_ = Error(ErrorCode::kInvalidArgument, kCsvMalformed);
          return false;
        }
        return true;
      case kTrailing:
        if (stop) {
          Term(pos_, false);
          return true;
        }
        confirmed_ = ++pos_;
        return true;
    }
    return true;
  }

  ByteSource& in_;
  const char delim_;
  const size_t window_, read_;
  const size_t held_ = std::max<size_t>(window_, 64 << 10);  // blanks held back at most
  std::string name_ = "csv cell";
  std::string buf_;     // text [base_, base_ + size)
  uint64_t base_ = 0;
  uint64_t keep_ = 0;   // bytes before this may be dropped
  uint64_t pos_ = 0;    // the next byte to look at
  uint64_t begin_ = 0, end_ = 0;
  uint64_t confirmed_ = 0;  // the cell's bytes before this are known to be in it
  uint64_t out_ = 0;        // a streamed cell's bytes before this were read
  uint64_t quote_ = 0;      // the closing quote
  State state_ = kUnquoted;
  size_t col_ = 0, row_ = 0;
  bool eof_ = false, started_ = false, ended_ = false, last_ = false, done_ = false, streamed_ = false;
  std::string* collect_ = nullptr;
  size_t cap_ = 0;
  Status status_ = Status::Ok();
};

// True when a transfer-decoded body is valid UTF-8 (ValidUtf8 of the whole),
// decoded a range at a time: a sequence cut at a range's end waits for the
// next.
bool StreamValidUtf8(std::string_view body, TransferStream::Kind kind) {
  TransferStream ts(body, kind, false);
  std::string carry;
  bool ok = true;
  Status s = ts.CopyRest([&](std::string_view b) {
    if (!ok) return;
    carry.append(b);
    size_t cut = carry.size();
    for (size_t k = 1; k <= 4 && k <= carry.size(); ++k) {
      auto c = static_cast<unsigned char>(carry[carry.size() - k]);
      if ((c & 0xC0) == 0x80) continue;  // a continuation byte
      size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
      if (len > k) cut = carry.size() - k;
      break;
    }
    ok = ValidUtf8(std::string_view(carry).substr(0, cut));
    carry.erase(0, cut);
  });
  return s.ok() && ok && ValidUtf8(carry);
}

bool CsvPart(const MimeEntity& e) {
  const std::string fn = AsciiLower(e.filename);
  return e.subtype == "csv" || e.subtype == "x-csv" || e.subtype == "tab-separated-values" ||
         EndsWith(fn, ".csv") || EndsWith(fn, ".tsv");
}

// Counts lines in a message incrementally (findings come mostly in order):
// the line breaks counted 64 bytes at a time, the last one found from the
// end (a memchr per line was 1 % of a typical mbox's instructions).
struct LineCounter {
  std::string_view msg;
  uint64_t pos = 0, line = 0, line_start = 0;
  void To(uint64_t p) {
    if (p < pos) pos = line = line_start = 0;
    const char *b = msg.data() + pos, *e = msg.data() + p;
    if (e > b) {
      if (const uint64_t k = CountNewlines(b, e)) {
        line += k;
        const void* nl = memrchr(b, '\n', static_cast<size_t>(e - b));
        line_start = static_cast<uint64_t>(static_cast<const char*>(nl) + 1 - msg.data());
      }
    }
    pos = p;
  }
};

// Leading/trailing line-break and blank run of a body region, kept as is
// around a re-encoded base64 body.
std::string_view TrailingSpace(std::string_view s) {
  size_t n = s.size();
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) --n;
  return s.substr(n);
}

}  // namespace

namespace internal {
unsigned HeaderClass(std::string_view name) {
  return (ScannedHeader(name) ? 1u : 0u) | (ParamHeader(name) ? 2u : 0u) | (AddressHeader(name) ? 4u : 0u) |
         (OwnHeader(name) ? 8u : 0u);
}
}  // namespace internal

bool TextLikePart(const MimeEntity& e) {
  if (e.multipart() || e.message()) return false;
  const std::string& t = e.type;
  const std::string& s = e.subtype;
  if (t == "text") return s != "rtf" && s != "richtext";  // RTF: a document (its text extracted)
  if (t == "message") return s == "rfc822" || s == "delivery-status" || s == "disposition-notification" ||
                              s == "global" || s == "global-delivery-status";
  if (t == "application") {
    static const char* const kText[] = {"json", "xml", "csv", "x-csv", "javascript", "x-ndjson",
                                        "jsonl", "x-jsonlines", "ld+json", "yaml", "x-yaml",
                                        "pgp-signature", "x-sh", "sql", "ics", "mbox"};
    for (const char* k : kText)
      if (s == k) return true;
    if (EndsWith(s, "+json") || EndsWith(s, "+xml")) return true;
  }
  if ((t == "application" && s == "octet-stream") || t.empty()) {
    std::string n = AsciiLower(e.filename);
    static const char* const kExt[] = {".txt", ".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".xml", ".html",
                                       ".htm", ".md", ".log", ".eml", ".ics", ".vcf", ".yaml", ".yml"};
    for (const char* x : kExt)
      if (EndsWith(n, x)) return true;
  }
  return false;
}

// A text part (text/plain, application/json, a .txt octet-stream) whose
// decoded bytes start as a PDF, an OLE2 file, a TNEF stream, a zip, a
// compressed file or a picture: a document, archive or image
// sent under a text type (and saved by the recipient under its own name),
// extracted as an attachment instead of being scanned as text, where the
// text in its compressed streams would pass unseen.
// The first bytes of a part's body, transfer-decoded: from the first `n`
// bytes as sent (what the bytes of a part say it is, before it is decoded).
static std::string DecodedPrefix(const MimeEntity& e, std::string_view body, size_t n) {
  std::string_view prefix = body.substr(0, std::min(body.size(), n));
  if (e.encoding == "quoted-printable") return DecodeQuotedPrintableBytes(prefix);
  if (e.encoding == "base64") return DecodeBase64Bytes(prefix);
  return std::string(prefix);
}

static bool BinaryDocumentInTextPart(const MimeEntity& e, std::string_view body) {
  const std::string h = DecodedPrefix(e, body, 1400);
  // A PDF only with a PDF's body after its header (SniffDocumentBytes): a
  // mail that begins "%PDF-1.4 ..." about PDF files is text (review).
  const DocFormat f = SniffDocumentBytes(h, false);
  // A gzip/xz/bzip2/zstd file or a picture (not PNM, whose header is text)
  // under a text type: read as an attachment (a picture: listed, or OCR).
  const DocFormat sniffed = SniffDocFormat(h);
  return f == DocFormat::kPdf || f == DocFormat::kOle || f == DocFormat::kTnef || sniffed == DocFormat::kZip ||
         sniffed == DocFormat::kCompressed || IsBinaryImageSignature(h);
}

// A parameter of an entity's Content-Type header ("" when absent).
static std::string ContentTypeParam(std::string_view msg, const MimeEntity& e, std::string_view name) {
  const HeaderField* h = e.Find("Content-Type");
  if (!h) return "";
  return AsciiLower(ParseParams(UnfoldHeader(msg.substr(h->value, h->end - h->value))).Get(name));
}

// A text/plain part sent format=flowed (RFC 3676): its soft line breaks are
// undone before matching (UnflowText), so it is decoded whole, never
// streamed (a streamed part would be read with its breaks: other findings).
static bool FlowedPart(std::string_view msg, const MimeEntity& e) {
  return e.type == "text" && e.subtype == "plain" && ContentTypeParam(msg, e, "format") == "flowed";
}

// What kind of encrypted part a leaf is ("S/MIME", "PGP/MIME",
// "multipart/encrypted"), or nullptr when it is none: an S/MIME part of
// enveloped data — application/(x-)pkcs7-mime with smime-type
// enveloped-data or authenveloped-data, or any part whose decoded bytes
// begin as a CMS ContentInfo of those types (the OID right after the outer
// SEQUENCE: an old client leaves smime-type out, a gateway types it
// octet-stream) — or the encrypted data of a multipart/encrypted (RFC 1847:
// `encrypted_data` is set for its second part and any after; the first is
// the control part, "Version: 1"). Signed data is not encrypted (its
// content is readable) and is none. Fixed labels only: never a header's
// bytes.
// `text_like`: TextLikePart(e), which the caller has (it costs ~1 500
// instructions a part).
static const char* EncryptedKind(std::string_view msg, const MimeEntity& e, std::string_view body, bool text_like,
                                 const char* encrypted_data) {
  if (encrypted_data) return encrypted_data;
  if (e.type == "application" && (e.subtype == "pkcs7-mime" || e.subtype == "x-pkcs7-mime")) {
    const std::string t = ContentTypeParam(msg, e, "smime-type");
    if (t == "enveloped-data" || t == "authenveloped-data") return "S/MIME";
  }
  if (text_like) return nullptr;
  // A DER SEQUENCE begins with 0x30: "0" as it is or in QP, "M" in base64
  // (checked before decoding: most binary parts stop here).
  const size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || body[first] != (e.encoding == "base64" ? 'M' : '0')) return nullptr;
  static constexpr unsigned char kEnveloped[] = {0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03};
  static constexpr unsigned char kAuthEnveloped[] = {0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7,
                                                     0x0D, 0x01, 0x09, 0x10, 0x01, 0x17};
  // The OID ends by byte 19: 40 base64 characters (30 bytes), 64 raw or QP.
  const std::string h = DecodedPrefix(e, body, e.encoding == "base64" ? 40 : 64);
  if (h.size() < 2 || static_cast<unsigned char>(h[0]) != 0x30) return nullptr;
  const unsigned char l = static_cast<unsigned char>(h[1]);
  const size_t at = 2 + (l < 0x80 ? 0 : (l & 0x7F));  // after the SEQUENCE's length
  auto oid_at = [&](const unsigned char* oid, size_t n) {
    return h.size() >= at + n && std::memcmp(h.data() + at, oid, n) == 0;
  };
  return oid_at(kEnveloped, sizeof kEnveloped) || oid_at(kAuthEnveloped, sizeof kAuthEnveloped) ? "S/MIME" : nullptr;
}

std::string MailScanner::MessageId(std::string_view msg) {
  const MimeEntity top = ParseTopHeaders(msg, MailLimits{});
  const HeaderField* h = top.Find("Message-ID");
  if (!h) return "";
  std::string v = UnfoldHeader(msg.substr(h->value, h->end - h->value));
  size_t a = v.find_first_not_of(" \t<"), b = v.find_last_not_of(" \t>");
  if (a == std::string::npos || b < a) return "";
  v = v.substr(a, b - a + 1);
  for (char& c : v)
    if (static_cast<unsigned char>(c) < 32) c = ' ';
  return v.substr(0, 256);
}

// One scanned piece: a header value or a leaf body.
struct MailScanner::Unit {
  const MimeEntity* entity = nullptr;
  const HeaderField* header = nullptr;  // null for a body
  std::string part;
  std::string field;
  uint32_t region = 0, region_end = 0;  // raw bytes the maps lead back to
  std::string_view text;                // what the engine scanned (views one of the stages)
  std::string_view bytes;               // bodies: transfer-decoded bytes (view of msg or transfer)
  std::string_view utf8;                // bodies: bytes as UTF-8 (view of bytes or charset)
  std::vector<const OffsetMap*> maps;   // text -> region, innermost first
  // Bodies: the transfer-decoded bytes and how the text maps to them.
  Decoded transfer, charset, html;
  bool is_html = false;
  // Attachments (docx/xlsx/.../pdf): the extracted text; findings name the
  // location in the document (field "xlsx:Sheet1!C4") and the whole part.
  std::shared_ptr<Extracted> doc;
  DocFormat doc_format = DocFormat::kNone;
  std::string charset_label;
  std::string encoding;     // bodies: the transfer encoding the bytes are written back in
  bool attachment = false;  // listed as an attachment (not a text part)
  std::vector<JoinedParam> joined;  // headers: RFC 2231 parameters scanned joined
  // A large QP/base64 UTF-8 body scanned as a stream (MailLimits::
  // stream_part_bytes): text, bytes and utf8 stay empty; the text is the
  // stream's output (identical to the bytes) and maps through its map.
  std::unique_ptr<TransferStream> stream;
  std::string_view encoded;  // the body the stream decodes (redaction replays it)
  TransferStream::Kind stream_kind = TransferStream::kBase64;
  // A large part in another charset (any transfer encoding): converted to
  // UTF-8 as it is read from `stream` (QP/base64) or `plain` (the 8bit
  // body; bytes is then that body), its map leading the UTF-8 to the
  // decoded bytes. Redaction edits the decoded bytes as for a whole part.
  std::unique_ptr<ByteSource> plain;
  std::unique_ptr<CharsetStream> cstream;
  // What the engine reads for a streamed part (null: text).
  ByteSource* source() const { return cstream ? static_cast<ByteSource*>(cstream.get()) : stream.get(); }
  // A finding at text offset `d` lies behind the mappable window of a
  // streamed part.
  bool Behind(uint64_t d) {
    if (cstream) {
      if (d < cstream->mapped_from()) return true;
      if (!stream) return false;
      cstream->Cover(d, d + 1);
      d = cstream->map().Start(static_cast<uint32_t>(d));
    }
    return stream && d < stream->mapped_from();
  }
  // Bodies replaced whole by a notice when they have findings (a document,
  // binary data): what they are, for the notice. Empty for text.
  std::string whole;
  // A text body's last stage before the text (not HTML, not streamed):
  // uuencoded blocks spliced in decoded (each block one atomic piece: a
  // finding in it maps to the whole block), or an iCalendar / vCard part
  // unfolded (normalize/legacy_text.h). Identity when neither.
  Decoded legacy;
  bool unfolded = false;  // legacy holds the unfolded content lines
  struct UuSpan {
    uint32_t begin, end;  // the decoded block's text range
    std::string name;     // its file name
  };
  std::vector<UuSpan> uu;
  // The span holding text offset d, or -1.
  int UuAt(uint64_t d) const {
    for (size_t k = 0; k < uu.size(); ++k)
      if (d >= uu[k].begin && d < uu[k].end) return static_cast<int>(k);
    return -1;
  }
};

// Calendar and contact parts (RFC 5545 / 6350: content lines folded at 75
// octets): by type, name or first line.
static bool CalendarPart(const MimeEntity& e, std::string_view utf8) {
  const std::string& s = e.subtype;
  if (e.type == "text" && (s == "calendar" || s == "vcard" || s == "x-vcard" || s == "directory" || s == "x-vcalendar"))
    return true;
  if (e.type == "application" && s == "ics") return true;
  return ContentLinesText(e.filename, utf8.substr(0, 256));
}

ExtractLimits MailScanner::ExtractLimitsNow() const {
  ExtractLimits lim;
  lim.ocr = limits_.ocr;  // scanned PDF pages
  if (deadline_ != std::chrono::steady_clock::time_point::max()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
    lim.timeout_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 1, lim.timeout_ms));
    lim.ocr_timeout_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 1, lim.ocr_timeout_ms));
  }
  return lim;
}

bool MailScanner::SpliceUuBlocks(Unit& u, bool cte, size_t& decoded_total, std::vector<std::string>& notes,
                                 bool& incomplete) {
  std::vector<UuMalformed> bad;
  std::vector<UuBlock> blocks = FindUuBlocks(u.utf8, &bad);
  // At most kMaxUuNotes notes for the part, then one that counts the rest:
  // a part of many tiny blocks ("begin 644 a" / "`" / "end", 24 bytes each)
  // or of many 'begin' lines in prose gave one note each, ~300 bytes of
  // memory and a report line per 24 input bytes (a 24 MB message: 1 000 000
  // notes, 308 MB; review21a).
  constexpr size_t kMaxUuNotes = 32;
  const size_t notes0 = notes.size();
  size_t left_out = 0;
  auto note = [&](std::string n) {
    if (notes.size() - notes0 < kMaxUuNotes) notes.push_back(std::move(n));
    else ++left_out;
  };
  auto count_left_out = [&] {
    if (left_out > 0)
      notes.push_back("part " + u.part + ": " + std::to_string(left_out) +
                      " more notes on uuencoded files and 'begin' lines left out");
  };
  if (blocks.empty()) {
    if (cte)
      note("part " + u.part + ": transfer encoding '" + u.encoding +
           "' but no well-formed uuencoded block in it; read as text");
    for (size_t k = 0; k < bad.size(); ++k)
      note("part " + u.part + ": a 'begin' line not followed by a well-formed uuencoded block; scanned as text");
    count_left_out();
    return false;
  }
  Decoded& out = u.legacy;
  out.bytes.clear();
  out.map.Clear();
  // With --not-read error, a file in a block that is not read: a note
  // without its name (the sender's), the reason the message is incomplete.
  auto not_read = [&](std::string why) {
    if (!limits_.not_read_error) return;
    if (!incomplete) {
      uu_not_read_ = notes.size(), incomplete = true;
      notes.push_back("part " + u.part + ": uuencoded " + why);  // the reason: never left out
    } else {
      note("part " + u.part + ": uuencoded " + why);
    }
  };
  // One block's file, appended to `dst` as the text scanned for it. A text
  // file that itself holds uuencoded blocks (a forwarded post with its
  // attachment) has them decoded in turn, up to kMaxUuDepth levels: before,
  // an id in the inner file was never scanned (exit 0). Its text stays
  // inside the outer block's one map piece, so redact replaces the outer
  // block whole.
  constexpr int kMaxUuDepth = 4;
  std::function<void(const UuBlock&, int, std::string&)> decode_block = [&](const UuBlock& b, int depth,
                                                                             std::string& dst) {
    const std::string what = "part " + u.part + ": uuencoded file '" + SafeName(b.name) + "' (" +
                             std::to_string(b.bytes.size()) + " bytes)";
    if (!b.ended) {
      // Cut short, or a malformed line inside: what came after its last
      // well-formed line is scanned as text, but that is not the file.
      note(what + " has no 'end' line (cut short, or a malformed line in it): decoded up to its last "
                  "well-formed line; not fully scanned");
      incomplete = true;
    }
    std::string_view bytes = b.bytes;
    const bool over = b.bytes.size() > limits_.max_decoded_bytes - std::min(decoded_total, limits_.max_decoded_bytes);
    decoded_total += b.bytes.size();
    DocFormat f = DocFormat::kNone;
    if (!over) {  // as an attachment: by its name, else by its bytes
      f = DetectDocFormat("", b.name, bytes.substr(0, 1024), limits_.ocr);
      if (f == DocFormat::kNone) f = SniffDocFormat(bytes.substr(0, 1024));
      if (f == DocFormat::kNone && limits_.ocr && IsImageSignature(bytes.substr(0, 1024))) f = DocFormat::kImage;
    }
    if (over) {
      note(what + ": decoded size limit reached, not scanned");
      incomplete = true;
    } else if (f != DocFormat::kNone) {
      // A document: extracted as an attachment is (its text scanned here).
      auto r = ExtractDocument(bytes, f, ExtractLimitsNow());
      if (!r) {
        note(what + " not scanned: " + r.error().message());
        incomplete = true;
      } else {
        note(what + " read as " + DocFormatName(f));
        if (!r->incomplete.empty()) {
          note(what + " partly scanned: " + r->incomplete);
          incomplete = true;
        }
        if (!r->notes.empty()) not_read("file " + r->notes.front());  // pdf:page 2 not read: ...
        dst.append(r->text);
      }
    } else {
      const auto* c = reinterpret_cast<const unsigned char*>(bytes.data());
      const bool utf16 = bytes.size() >= 2 && ((c[0] == 0xFF && c[1] == 0xFE) || (c[0] == 0xFE && c[1] == 0xFF));
      if (utf16 || LooksLikeText(bytes)) {
        std::string text = !utf16 && ValidUtf8(bytes) ? std::string(bytes)
                                                      : ToUtf8(bytes, utf16 ? "utf-16" : "windows-1252").bytes;
        note(what + " decoded and scanned as text");
        std::vector<UuBlock> inner;
        if (MayHoldUuBlock(text)) inner = FindUuBlocks(text);
        if (inner.empty()) {
          dst.append(text);
        } else if (depth >= kMaxUuDepth) {
          dst.append(text);
          note(what + " holds uuencoded files nested deeper than " + std::to_string(kMaxUuDepth) +
               " levels: not decoded, not fully scanned");
          incomplete = true;
        } else {
          size_t at = 0;
          for (const UuBlock& ib : inner) {
            dst.append(text, at, ib.start - at);
            decode_block(ib, depth + 1, dst);  // (a block starts a line; a line break follows it)
            at = ib.end;
          }
          dst.append(text, at, std::string::npos);
        }
      } else if (Decoded runs = PrintableRuns(bytes); !runs.bytes.empty()) {
        dst.append(runs.bytes);
        note(what + " is binary with no text extractor: its printable text runs were scanned");
        if (!limits_.ocr && IsImageSignature(bytes.substr(0, 1024)))
          not_read("image " + std::string(kImageNotReadNote));
      } else if (!bytes.empty()) {
        note(what + " is binary with no text in it; not scanned");
        not_read(!limits_.ocr && IsImageSignature(bytes.substr(0, 1024))
                     ? "image " + std::string(kImageNotReadNote)
                     : "file " + std::string(kBinaryNotReadNote));
      }
    }
  };
  size_t pos = 0;
  for (const UuBlock& b : blocks) {
    out.bytes.append(u.utf8.substr(pos, b.start - pos));
    const auto dst = static_cast<uint32_t>(out.bytes.size());
    decode_block(b, 1, out.bytes);
    u.uu.push_back({dst, static_cast<uint32_t>(out.bytes.size()), b.name});
    out.map.Add(dst, static_cast<uint32_t>(out.bytes.size()), static_cast<uint32_t>(b.start),
                static_cast<uint32_t>(b.end));
    pos = b.end;
  }
  out.bytes.append(u.utf8.substr(pos));
  for (size_t k = 0; k < bad.size(); ++k)
    note("part " + u.part + ": a 'begin' line not followed by a well-formed uuencoded block; scanned as text");
  count_left_out();
  return true;
}

// A document attachment (OOXML, ODF, PDF): transfer-decoded and extracted
// in a child process (extractor.h). False (the part is listed as not
// scanned) for other types; an extraction error is also false and makes the
// scan incomplete, so it fails closed.
bool MailScanner::ExtractAttachment(const MimeEntity& e, std::string_view body, Unit& u, size_t& decoded_total,
                                    std::vector<std::string>& notes, bool& incomplete) {
  const std::string type = e.type + "/" + e.subtype;
  if (DetectDocFormat(type, e.filename, "", limits_.ocr) == DocFormat::kNone) {
    // Type and name say nothing (or something else): the first bytes decide
    // — a zip (an Office file named .dat, a zip of documents), an OLE2 file
    // (legacy Office), a PDF — so a renamed document is not passed unread.
    const std::string prefix = DecodedPrefix(e, body, 2048);
    if (SniffDocFormat(prefix) == DocFormat::kNone && !(limits_.ocr && IsImageSignature(prefix))) return false;
  }
  if (body.size() > limits_.max_decoded_bytes - std::min(decoded_total, limits_.max_decoded_bytes)) {
    notes.push_back("part " + u.part + ": decoded size limit reached, attachment not scanned");
    incomplete = true;
    return false;
  }
  // The bytes alone: a document's findings are located in its extracted
  // text, never mapped back through the transfer encoding.
  if (e.encoding == "quoted-printable") u.transfer = Decoded{DecodeQuotedPrintableBytes(body), {}, {}, {}};
  else if (e.encoding == "base64") u.transfer = Decoded{DecodeBase64Bytes(body), {}, {}, {}};
  std::string_view bytes = (e.encoding == "quoted-printable" || e.encoding == "base64")
                               ? std::string_view(u.transfer.bytes) : body;
  u.doc_format = DetectDocFormat(type, e.filename, bytes.substr(0, 1024), limits_.ocr);
  if (u.doc_format == DocFormat::kNone) u.doc_format = SniffDocFormat(bytes.substr(0, 1024));
  if (u.doc_format == DocFormat::kNone && limits_.ocr && IsImageSignature(bytes.substr(0, 1024)))
    u.doc_format = DocFormat::kImage;  // a picture whose type and name say nothing, or lie
  if (u.doc_format == DocFormat::kNone) {
    // Listed as an attachment that is not scanned, as any other binary part.
    notes.push_back("part " + u.part + ": named or typed as a document but its bytes are not one; not extracted");
    return false;
  }
  auto r = ExtractDocument(bytes, u.doc_format, ExtractLimitsNow());
  if (!r) {
    notes.push_back("part " + u.part + ": attachment not scanned: " + r.error().message());
    incomplete = true;
    return false;
  }
  u.doc = std::make_shared<Extracted>(std::move(*r));
  u.whole = DocFormatName(u.doc_format);
  if (!u.doc->incomplete.empty()) {  // what was read is scanned; the rest makes the scan incomplete
    notes.push_back("part " + u.part + ": attachment partly scanned: " + u.doc->incomplete);
    incomplete = true;
  }
  // Scanned PDF pages while OCR is off (after the note above: the first note
  // added is the reason the message is incomplete).
  for (const std::string& n : u.doc->notes)  // scanned PDF pages while OCR is off
    notes.push_back("part " + u.part + ": attachment " + n);
  decoded_total += bytes.size() + u.doc->text.size();
  u.text = u.doc->text;
  u.maps.clear();
  return true;
}

template <class Handler>
void MailScanner::Walk(std::string_view msg, const FindingFilter& filter, std::vector<std::string>& notes,
                       bool& incomplete, Handler& h) {
  MimeTree tree = ParseMime(msg, limits_);
  for (auto& n : tree.notes) notes.push_back(n);
  // Structure below a limit was not looked at: the message is not fully
  // scanned, whatever the parts before the limit held (fail closed).
  if (tree.truncated) incomplete = true;
  size_t decoded_total = 0;
  OffsetMap unfold_map;
  std::string unfolded;
  auto scan_source = [&](ByteSource& src, StreamSink& c) -> Status {
    if (deadline_ == std::chrono::steady_clock::time_point::max()) return ctx_.Scan(src, filter, c);
    DeadlineSource timed(src, deadline_);
    return ctx_.Scan(timed, filter, c);
  };
  auto scan = [&](std::string_view text, StreamSink& c) -> Status {
    auto src = StringSource(text, "");
    return scan_source(*src, c);
  };
  // A streamed CSV attachment (decode_text): its cells as they are cut from
  // the decoded ranges (CsvStreamCells), each scanned as in `run` below,
  // with the findings, labels and offsets the whole text gives.
  auto scan_csv_stream = [&](Unit& u, UnitSink<Handler, Unit>& c) -> Status {
    char delim;
    {  // the header decides the delimiter: decoded once more, up to its end
      std::unique_ptr<ByteSource> head;
      if (u.stream) head = std::make_unique<TransferStream>(u.encoded, u.stream_kind, false, 0, limits_.stream_range);
      else head = StringSource(u.bytes, "");
      std::unique_ptr<CharsetStream> head_utf8;
      if (u.cstream) head_utf8 = std::make_unique<CharsetStream>(*head, u.charset_label, false);
      ByteSource& first = head_utf8 ? static_cast<ByteSource&>(*head_utf8) : *head;
      CsvDelimiterSniffer sniff;
      std::string b(64 << 10, '\0');
      for (;;) {
        auto r = first.Read(b.data(), b.size());
        if (!r) return r.error();
        if (*r == 0 || sniff.Add(std::string_view(b.data(), *r))) break;
      }
      delim = sniff.delimiter();
    }
    // The header row's names: only the labels and triggers of those that
    // name something (a row of a million columns costs nothing).
    struct Named {
      size_t column;
      uint64_t labels, triggers;
    };
    std::vector<Named> named;
    auto add_name = [&](size_t column, std::string_view name) {
      uint64_t l = ctx_.detectors().NameLabels(name), t = ctx_.detectors().NameTriggers(name);
      if (l || t) named.push_back({column, l, t});
    };
    size_t at = 0, row = 0;
    std::string name;  // a streamed header cell
    CsvStreamCells cells(*u.source(), delim, limits_.csv_window, std::min<size_t>(limits_.csv_window, 64 << 10));
    while (cells.Next()) {
      if (cells.row() != row) row = cells.row(), at = 0;
      while (at < named.size() && named[at].column < cells.column()) ++at;
      if (row > 0 && at < named.size() && named[at].column == cells.column())
        ctx_.set_field_labels(named[at].labels, named[at].triggers);
      else
        ctx_.set_field_labels(0, 0);  // header cells are scanned too, unlabelled
      c.shift = cells.begin();
      if (cells.whole()) {
        std::string_view v = cells.view();
        if (row == 0) add_name(cells.column(), v);
        if (v.empty()) continue;
        if (Status st = scan(v, c); !st.ok()) return st;
        continue;
      }
      name.clear();
      if (Status st = scan_source(cells.cell(row == 0 ? &name : nullptr, 1u << 20), c); !st.ok()) return st;
      if (row == 0) add_name(cells.column(), name);
    }
    return cells.status();
  };
  // An HTML part with separate documents (Decoded::separate: a script, a
  // style sheet, the title, a <meta content>): its visible text, then each
  // of them on its own, so no label or number reaches from one into
  // another. They lie before, between and after the visible text's bytes:
  // the findings are held and handed on in the order of their HTML bytes
  // (the redactor writes the part in order).
  auto scan_html = [&](Unit& u, UnitSink<Handler, Unit>& c) -> Status {
    struct Held {
      Finding f;
      std::string raw;
      uint32_t at;  // offset in the HTML
    };
    struct Collect : StreamSink {
      std::vector<Held> held;
      const OffsetMap* map = nullptr;
      uint64_t shift = 0;
      bool code = false;  // a script or style sheet: labelled findings only (Decoded::Separate::code)
      bool OnFinding(const Finding& f, std::string_view raw) override {
        if (code && f.confidence < Confidence::kHigh) return true;
        held.push_back({f, std::string(raw), 0});
        Held& h = held.back();
        h.f.start += shift;
        h.f.end += shift;
        h.at = map->Start(static_cast<uint32_t>(h.f.start));
        return true;
      }
    } col;
    col.map = &u.html.map;
    const auto& sep = u.html.separate;
    if (Status st = scan(u.text.substr(0, sep.front().begin), col); !st.ok()) return st;
    for (const Decoded::Separate& s : sep) {
      col.shift = s.begin;
      col.code = s.code;
      if (Status st = scan(u.text.substr(s.begin, s.end - s.begin), col); !st.ok()) return st;
    }
    std::stable_sort(col.held.begin(), col.held.end(), [](const Held& a, const Held& b) { return a.at < b.at; });
    for (const Held& h : col.held)
      if (!c.OnFinding(h.f, h.raw)) break;
    return Status::Ok();
  };
  // Scans a unit; its findings go to h.Found as they are produced.
  auto run = [&](Unit& u) -> Status {
    UnitSink<Handler, Unit> c;
    c.h = &h;
    c.u = &u;
    c.drop_email = u.header != nullptr && AddressHeader(u.header->name);
    if (!u.header && !u.is_html && CsvPart(*u.entity) && u.source()) {
      Status st = scan_csv_stream(u, c);
      ctx_.set_field_name("");
      if (st.ok() && c.lost)
        return Error(ErrorCode::kInternal, "a finding fell behind the decoded window of a streamed part");
      return st;
    }
    if (!u.header && !u.is_html && CsvPart(*u.entity)) {
      // A CSV attachment: each cell is its own document, labelled by its
      // column's header (as in ticket exports).
      std::vector<std::string_view> names;
      Status st = Status::Ok();
      CsvCells(u.text, [&](const CsvCell& cell) {
        if (cell.malformed) {  // (closed17: an id split by the quote was missed; the cell is not quoted)
          st = Error(ErrorCode::kInvalidArgument, kCsvMalformed);  // (as the streamed cells say it)
          return false;
        }
        if (cell.row == 0) names.push_back(u.text.substr(cell.begin, cell.end - cell.begin));
        if (cell.end == cell.begin) return true;
        // Header cells are scanned too, unlabelled (a name can hold an id).
        ctx_.set_field_name(cell.row > 0 && cell.column < names.size() ? names[cell.column] : std::string_view());
        c.shift = cell.begin;  // findings are offsets in the cell
        st = scan(u.text.substr(cell.begin, cell.end - cell.begin), c);
        return st.ok();
      });
      ctx_.set_field_name("");
      return st;
    }
    if (u.source()) {
      Status st = scan_source(*u.source(), c);
      if (st.ok() && c.lost)
        return Error(ErrorCode::kInternal, "a finding fell behind the decoded window of a streamed part");
      return st;
    }
    if (u.is_html && !u.html.separate.empty()) return scan_html(u, c);
    return scan(u.text, c);
  };
  // Begin, scan, End for one unit; a scan error (a deadline) is noted as
  // `where` and makes the message incomplete.
  auto visit = [&](Unit& u, const std::string& where) {
    h.Begin(tree, u);
    if (Status s = run(u); !s.ok()) {
      notes.push_back(where + ": " + s.message());
      incomplete = true;
      h.End(u, false);
      return;
    }
    h.End(u, true);
  };
  // Transfer-decodes and charset-converts a text body into u (text, maps,
  // encoding); false when the decoded size limit is reached (noted, the
  // message incomplete).
  auto decode_text = [&](Unit& u, std::string_view body, const std::string& encoding, const std::string& charset,
                         bool is_html) -> bool {
    if (body.size() * 3 > limits_.max_decoded_bytes - std::min(decoded_total, limits_.max_decoded_bytes)) {
      notes.push_back("part " + u.part + ": decoded size limit (" + std::to_string(limits_.max_decoded_bytes) +
                      " bytes per message) reached, not scanned");
      incomplete = true;
      return false;
    }
    u.encoding = encoding;
    const bool encoded = encoding == "quoted-printable" || encoding == "base64";
    // (uuencoded parts, calendars, format=flowed text and text holding a
    // uuencoded block are decoded whole: their last stage, legacy, needs the whole text. Seen
    // in the raw body, where quoted-printable writes them as they are; a
    // base64 body is streamed, its blocks and folds not read: a known gap.)
    const std::string_view plain_body = encoding == "base64" ? std::string_view() : body;
    if (body.size() > limits_.stream_part_bytes && !is_html && !UuTransferEncoding(encoding) &&
        !(u.field == "body" && (CalendarPart(*u.entity, plain_body) || FlowedPart(msg, *u.entity))) &&
        !MayHoldUuBlock(plain_body)) {
      // A large part: decoded and scanned a range at a time (a CSV
      // attachment: its cells cut from the ranges as they come); in another
      // charset than UTF-8, converted as it is read (any transfer encoding).
      const auto kind = encoding == "base64" ? TransferStream::kBase64 : TransferStream::kQuotedPrintable;
      std::string cs = charset;
      bool utf8 = cs == "utf-8" || cs == "utf8";
      if (!utf8 && (cs.empty() || cs == "us-ascii" || cs == "ascii") &&
          (encoded ? StreamValidUtf8(body, kind) : ValidUtf8(body))) {
        cs = "utf-8";
        utf8 = true;
      }
      if (encoded || !utf8) {  // (an 8bit UTF-8 body is the text itself: nothing to hold)
        {  // a little-endian BOM: read as UTF-16LE / UTF-32LE (as whole)
          // (the first 4 decoded bytes, from a stream: soft line breaks or
          // blank lines may come before them, however many)
          std::string first(4, '\0');
          size_t got = 0;
          if (encoded) {
            TransferStream head(body, kind, false, 0, limits_.stream_range);
            while (got < first.size()) {
              auto r = head.Read(first.data() + got, first.size() - got);
              if (!r || *r == 0) break;
              got += *r;
            }
          } else {
            got = std::min<size_t>(4, body.size());
            first.assign(body.data(), got);
          }
          first.resize(got);
          cs = ByteOrderLabel(cs, first);
        }
        u.charset_label = cs;
        u.is_html = false;
        // Base64 keeps the map of the newest `keep` decoded bytes: a finding
        // lies in the engine's last chunk and overlap, the stream's range
        // and, in a CSV part, the window a cell is found in. Converted from
        // another charset, the UTF-8 keeps that much (the converter reads
        // 64 KiB ahead), and the decoded bytes twice as much and 1 MiB
        // (UTF-16, GB18030: up to 2 bytes per UTF-8 byte; more — UTF-32,
        // runs of escapes — can leave a finding behind: an error, never a
        // wrong offset).
        const ScanLimits& sl = ctx_.limits();
        const size_t keep = std::max<size_t>(2u << 20, 2 * (sl.chunk_bytes + sl.overlap_bytes) +
                                                           (CsvPart(*u.entity) ? 2 * limits_.csv_window : 0) +
                                                           4 * limits_.stream_range + 4096);
        if (encoded) {
          u.encoded = body;
          u.stream_kind = kind;
          u.stream = std::make_unique<TransferStream>(body, kind, true, utf8 ? keep : 2 * keep + (1u << 20),
                                                      limits_.stream_range);
        } else {
          if (encoding != "7bit" && encoding != "8bit" && encoding != "binary")
            notes.push_back("part " + u.part + ": unknown transfer encoding '" + encoding + "' read as 8bit");
          u.bytes = body;
          u.plain = StringSource(body, "");
        }
        if (utf8) {
          u.maps = {&u.charset.map, &u.stream->map()};
        } else {
          ByteSource& in = u.stream ? static_cast<ByteSource&>(*u.stream) : *u.plain;
          u.cstream = std::make_unique<CharsetStream>(in, cs, true, keep,
                                                      std::min<size_t>(64u << 10, limits_.stream_range));
          u.maps = {&u.cstream->map(), u.stream ? &u.stream->map() : &u.transfer.map};
        }
        return true;
      }
    }
    if (encoding == "quoted-printable") {
      u.transfer = DecodeQuotedPrintable(body);
    } else if (encoding == "base64") {
      u.transfer = DecodeBase64(body);
    } else {
      if (encoding != "7bit" && encoding != "8bit" && encoding != "binary" && !UuTransferEncoding(encoding))
        notes.push_back("part " + u.part + ": unknown transfer encoding '" + encoding + "' read as 8bit");
    }
    u.bytes = (encoding == "quoted-printable" || encoding == "base64") ? std::string_view(u.transfer.bytes) : body;
    for (auto& n : u.transfer.notes) notes.push_back("part " + u.part + ": " + n);
    std::string cs = charset;
    if (cs.empty() || cs == "us-ascii" || cs == "ascii") {
      if (ValidUtf8(u.bytes)) cs = "utf-8";
    }
    cs = ByteOrderLabel(cs, u.bytes.substr(0, 4));
    u.charset_label = cs;
    if (cs == "utf-8" || cs == "utf8") {
      u.utf8 = u.bytes;  // invalid bytes: the normaliser's windows-1252 fallback
    } else {
      u.charset = ToUtf8(u.bytes, cs);
      u.utf8 = u.charset.bytes;
    }
    for (auto& n : u.charset.notes) notes.push_back("part " + u.part + ": " + n);
    u.is_html = is_html;
    if (u.is_html && u.utf8.size() > limits_.max_html_part_bytes) {
      // HTML is converted whole (a tree of it: ~8 bytes per byte), so a
      // large HTML part is an error, never a silent pass (issue 12 #9).
      notes.push_back("part " + u.part + ": " + std::to_string(u.utf8.size()) +
                      " bytes of HTML, over the HTML part limit (" + std::to_string(limits_.max_html_part_bytes) +
                      " bytes, raised by --max-html-part-size or the milter's limits.max_html_part_bytes;"
                      " HTML is converted whole), not scanned");
      incomplete = true;
      return false;
    }
    if (u.is_html) {
      u.html = HtmlToText(u.utf8);
      for (auto& n : u.html.notes) notes.push_back("part " + u.part + ": " + n);
      u.text = u.html.bytes;
      u.maps = {&u.html.map, &u.charset.map, &u.transfer.map};
    } else {
      u.text = u.utf8;
      u.maps = {&u.charset.map, &u.transfer.map};
      // iCalendar / vCard: folded content lines unfolded (a value or label
      // cut by a fold is read whole); other text: uuencoded blocks decoded
      // and read as the files they are (an x-uuencode part: replaced whole
      // by a notice when it has findings).
      const bool uu_cte = UuTransferEncoding(encoding);
      bool legacy = false;
      if (!uu_cte && u.field == "body" && CalendarPart(*u.entity, u.utf8)) {
        u.legacy = UnfoldContentLines(u.utf8);
        legacy = u.unfolded = !u.legacy.map.identity();
      } else {
        const bool uu = uu_cte || MayHoldUuBlock(u.utf8);
        // format=flowed (RFC 3676): soft line breaks removed, so an id the
        // client wrapped at its space is read whole (before: exit 0). The
        // map leads a finding back over the break; redaction replaces the
        // joined range whole (no refolding: u.unfolded stays false).
        // (Not with a uuencoded block in it: its lines may end in a space,
        // and joining them would undo the block.)
        if (!uu && u.field == "body" && FlowedPart(msg, *u.entity)) {
          u.legacy = UnflowText(u.utf8, ContentTypeParam(msg, *u.entity, "delsp") == "yes");
          legacy = !u.legacy.map.identity();
          if (!legacy) u.legacy = Decoded{};
        }
        if (uu) {
          legacy = SpliceUuBlocks(u, uu_cte, decoded_total, notes, incomplete);
          if (legacy && uu_cte) u.whole = "uuencoded file";
        }
      }
      if (legacy) {
        u.text = u.legacy.bytes;
        u.maps = {&u.legacy.map, &u.charset.map, &u.transfer.map};
        decoded_total += u.legacy.bytes.size();
      }
    }
    decoded_total += u.bytes.size() + u.charset.bytes.size() + u.html.bytes.size();
    return true;
  };
  // After a streamed part: its decoded size counts and its repair notes
  // (known once it is decoded) are added.
  auto streamed_done = [&](Unit& u) {
    if (u.stream) {
      decoded_total += u.stream->produced();
      for (auto& n : u.stream->notes()) notes.push_back("part " + u.part + ": " + n);
    }
    if (u.cstream) {
      decoded_total += (u.stream ? 0 : u.bytes.size()) + u.cstream->produced();
      for (auto& n : u.cstream->notes()) notes.push_back("part " + u.part + ": " + n);
    }
  };
  // A multipart's preamble or epilogue: plain text in no charset.
  auto structural_text = [&](const MimeEntity& e, uint32_t from, uint32_t to, const char* what) {
    if (to <= from) return;
    Unit u;
    u.entity = &e;
    u.part = e.path;
    u.field = what;
    u.region = from;
    u.region_end = to;
    if (decode_text(u, msg.substr(from, to - from), "7bit", "", false)) visit(u, std::string(what) + " of part " + e.path);
  };
  // Epilogues wait until the parts before them are done (units go in
  // message order): innermost last-in, first out.
  std::vector<const MimeEntity*> epilogues;
  auto flush_epilogues = [&](uint32_t before) {
    while (!epilogues.empty() && epilogues.back()->epilogue <= before) {
      const MimeEntity& m = *epilogues.back();
      epilogues.pop_back();
      structural_text(m, m.epilogue, m.end, "epilogue");
    }
  };
  // The note that says why the message is incomplete goes last (callers
  // quote the last note as the reason): the first one added by the step
  // that made it so.
  size_t reason = incomplete ? (tree.notes.empty() ? SIZE_MAX : tree.notes.size() - 1) : SIZE_MAX;
  uu_not_read_ = SIZE_MAX;
  // Content not read (an image or scanned pages while OCR is off, an
  // encrypted part, a binary part with no text): a note, and with
  // --not-read error the reason the message is incomplete.
  auto not_read = [&](std::string note) {
    if (limits_.not_read_error && !incomplete) {
      incomplete = true;
      reason = notes.size();
    }
    notes.push_back(std::move(note));
  };
  // The parts of a multipart/encrypted after its control part: encrypted
  // data (EncryptedKind).
  std::vector<const char*> encrypted_data(tree.entities.size(), nullptr);
  for (const MimeEntity& e : tree.entities) {
    if (!e.multipart() || e.subtype != "encrypted") continue;
    const char* kind =
        ContentTypeParam(msg, e, "protocol") == "application/pgp-encrypted" ? "PGP/MIME" : "multipart/encrypted";
    for (size_t i = 1; i < e.children.size(); ++i)
      if (e.children[i] < encrypted_data.size()) encrypted_data[e.children[i]] = kind;
  }
  for (const MimeEntity& e : tree.entities) {
    const bool was_incomplete = incomplete;
    const size_t notes_before = notes.size();
    struct Mark {  // on every way out of this iteration
      std::vector<std::string>& notes;
      const bool& incomplete;
      bool was;
      size_t before;
      size_t& reason;
      size_t& uu_not_read;  // a uuencoded file not read (--not-read error): that note is the reason
      ~Mark() {
        if (!was && incomplete && reason == SIZE_MAX && uu_not_read < notes.size()) reason = uu_not_read;
        if (!was && incomplete && reason == SIZE_MAX && notes.size() > before) reason = before;
        uu_not_read = SIZE_MAX;
      }
    } mark{notes, incomplete, was_incomplete, notes_before, reason, uu_not_read_};
    flush_epilogues(e.start);
    for (const HeaderField& hf : e.headers) {
      if (!ScannedHeader(hf.name)) continue;
      Unit u;
      u.entity = &e;
      u.header = &hf;
      u.part = e.path;
      u.field = hf.name;
      u.region = hf.value;
      u.region_end = hf.end;
      std::string_view value = msg.substr(hf.value, hf.end - hf.value);
      if (ParamHeader(hf.name) && value.find('*') != std::string_view::npos &&
          JoinRfc2231(value, u.charset, u.joined))
        value = u.charset.bytes;  // RFC 2231 values joined (u.charset: that stage's text and map)
      Unfold(value, unfolded, unfold_map);
      u.transfer = DecodeEncodedWords(unfolded);
      if (ParamHeader(hf.name)) BlankBoundary(u.transfer.bytes);
      u.text = u.transfer.bytes;
      u.maps = {&u.transfer.map, &unfold_map, &u.charset.map};
      visit(u, "header " + hf.name + " of part " + e.path);
    }
    if (e.multipart()) {
      structural_text(e, e.body, e.preamble_end, "preamble");
      if (e.epilogue < e.end) epilogues.push_back(&e);
    }
    bool leaf = !e.multipart() && !e.message();
    if (!leaf) continue;
    Unit u;
    u.entity = &e;
    u.part = e.body_path();
    u.field = "body";
    u.region = e.body;
    u.region_end = std::max(e.body, e.end);
    std::string_view body = msg.substr(u.region, u.region_end - u.region);
    if (UuTransferEncoding(e.encoding)) {
      // x-uuencode: its blocks decoded and read as files (text, document,
      // printable runs) whatever the part's type; with findings the part is
      // replaced by a notice.
      if (decode_text(u, body, e.encoding, e.charset, false)) visit(u, "part " + u.part);
      continue;
    }
    // An encrypted part: said so; what is in it is still read as before
    // (text or printable runs: the ciphertext, a certificate's names).
    const bool text_like = TextLikePart(e);
    const char* encrypted =
        EncryptedKind(msg, e, body, text_like, encrypted_data[static_cast<size_t>(&e - tree.entities.data())]);
    if (encrypted) not_read("part " + u.part + ": " + encrypted + " encrypted part " + std::string(kEncryptedNotReadNote));
    if (!text_like || BinaryDocumentInTextPart(e, body)) {
      const bool was_incomplete = incomplete;
      if (ExtractAttachment(e, body, u, decoded_total, notes, incomplete)) {
        // Scanned pages or pictures not read (OCR off): with --not-read
        // error, the first of the document's notes is the reason.
        if (limits_.not_read_error && !incomplete && u.doc && !u.doc->notes.empty()) {
          incomplete = true;
          reason = notes.size() - u.doc->notes.size();
        }
        // A document: its extracted text is scanned; findings name the
        // location in it (Handler::Found, u.doc).
        visit(u, "part " + u.part);
        continue;
      }
      if (incomplete == was_incomplete && body.size() > 0) {
        // No extractor reads it: its decoded bytes are scanned as text when
        // they are text, else their printable text runs (like strings(1)),
        // so text hidden in an octet-stream is not passed unseen.
        if (body.size() * 3 > limits_.max_decoded_bytes - std::min(decoded_total, limits_.max_decoded_bytes)) {
          notes.push_back("part " + u.part + ": decoded size limit (" + std::to_string(limits_.max_decoded_bytes) +
                          " bytes per message) reached, not scanned");
          incomplete = true;
          h.Begin(tree, u);  // (the handler settles the part's held-back header edits)
          h.End(u, false);
          continue;
        }
        Decoded transfer;
        if (e.encoding == "quoted-printable") transfer = DecodeQuotedPrintable(body);
        else if (e.encoding == "base64") transfer = DecodeBase64(body);
        const bool encoded = e.encoding == "quoted-printable" || e.encoding == "base64";
        std::string_view bytes = encoded ? std::string_view(transfer.bytes) : body;
        const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
        const bool utf16 = bytes.size() >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF));
        if (utf16 || LooksLikeText(bytes)) {
          notes.push_back("part " + u.part + ": attachment with no text extractor read as text");
          if (decode_text(u, body, e.encoding, utf16 ? "utf-16" : "utf-8", false)) {
            visit(u, "part " + u.part);
            streamed_done(u);
          }
          continue;
        }
        u.transfer = std::move(transfer);
        u.encoding = e.encoding;
        u.bytes = encoded ? std::string_view(u.transfer.bytes) : body;
        u.charset = PrintableRuns(u.bytes);
        // An image while OCR is off: said so (its printable runs, EXIF or
        // PNG text, are still scanned; with none it is listed as an attachment).
        const bool image = !limits_.ocr && (IsImageSignature(u.bytes.substr(0, 1024)) ||
                                            DetectDocFormat(e.type + "/" + e.subtype, e.filename,
                                                            u.bytes.substr(0, 1024), true) == DocFormat::kImage);
        // (With --not-read error the note is the error's reason: without the
        // MIME type, which is the sender's, as the milter logs it.)
        if (image && !u.charset.bytes.empty())
          not_read("part " + u.part + ": " + (limits_.not_read_error ? "image" : e.type + "/" + e.subtype) +
                   " attachment " + std::string(kImageNotReadNote));
        if (u.charset.bytes.empty()) {  // no text in it at all: listed as before
          if (limits_.not_read_error && !encrypted)  // (an encrypted one is said so above)
            not_read("part " + u.part + ": " +
                     (image ? "image attachment " + std::string(kImageNotReadNote)
                            : "binary attachment " + std::string(kBinaryNotReadNote)));
          u.attachment = true;
          h.Begin(tree, u);
          h.End(u, true);
          continue;
        }
        u.utf8 = u.text = u.charset.bytes;
        u.maps = {&u.charset.map, &u.transfer.map};
        u.field = "strings";
        u.whole = "binary data";  // redaction replaces the part by a notice
        notes.push_back("part " + u.part + ": binary attachment with no text extractor: its printable text runs (" +
                        std::to_string(u.text.size()) + " bytes) were scanned");
        decoded_total += u.bytes.size() + u.charset.bytes.size();
        visit(u, "part " + u.part);
        continue;
      }
      u.attachment = true;
      h.Begin(tree, u);  // an attachment: listed, not scanned
      h.End(u, true);
      continue;
    }
    const std::string fn = AsciiLower(e.filename);
    bool html = (e.type == "text" && e.subtype == "html") || EndsWith(fn, ".html") || EndsWith(fn, ".htm");
    if (decode_text(u, body, e.encoding, e.charset, html)) {
      visit(u, "part " + u.part);
      streamed_done(u);
    }
  }
  {
    const bool was_incomplete = incomplete;
    const size_t notes_before = notes.size();
    flush_epilogues(UINT32_MAX);
    if (!was_incomplete && incomplete && reason == SIZE_MAX && uu_not_read_ < notes.size()) reason = uu_not_read_;
    if (!was_incomplete && incomplete && reason == SIZE_MAX && notes.size() > notes_before) reason = notes_before;
  }
  if (incomplete && reason < notes.size() && reason + 1 < notes.size()) {
    std::string why = std::move(notes[reason]);
    notes.erase(notes.begin() + static_cast<std::ptrdiff_t>(reason));
    notes.push_back(std::move(why));
  }
}

Status MailScanner::Scan(std::string_view msg, uint64_t base_offset, uint64_t base_line,
                         const FindingFilter& filter, StreamSink& sink) {
  // Each finding is mapped to the raw bytes and handed on as it is found.
  struct Handler {
    Handler(StreamSink& s, std::string_view m, uint64_t bo, uint64_t bl)
        : sink(s), lines{m}, base_offset(bo), base_line(bl) {}
    StreamSink& sink;
    LineCounter lines;
    uint64_t base_offset, base_line;
    Finding f;  // reused: its strings keep their capacity
    bool stop = false;
    void Begin(const MimeTree&, Unit& u) {
      if (stop || !u.attachment) return;
      std::string type = u.entity->type + "/" + u.entity->subtype;
      sink.OnAttachment(u.part, type, SafeName(u.entity->filename), u.region_end - u.region);
    }
    bool Found(Unit& u, const Finding& found, std::string_view value) {
      if (stop) return false;
      f = found;
      if (u.doc) {  // a finding in a document: the whole part is its range
        lines.To(u.region);
        f.part = u.part;
        f.field = std::string(DocFormatName(u.doc_format)) + ":" + u.doc->Location(found.start);
        f.part_offset = static_cast<int64_t>(found.start);
        f.line = base_line + lines.line;
        f.column = u.region - lines.line_start + 1;
        f.start = base_offset + u.region;
        f.end = base_offset + u.region_end;
        if (!sink.OnFinding(f, value)) stop = true;
        return !stop;
      }
      if (u.cstream) u.cstream->Cover(found.start, found.end);  // a part in another charset: its map for these bytes
      if (u.stream) {  // a streamed QP part: its map for these bytes (decoded offsets: through the charset's map)
        ByteRange d{static_cast<uint32_t>(found.start), static_cast<uint32_t>(found.end)};
        if (u.cstream) d = MapBack(d, {&u.cstream->map()});
        u.stream->Cover(d.start, d.end);
      }
      ByteRange r = MapBack({static_cast<uint32_t>(found.start), static_cast<uint32_t>(found.end)}, u.maps);
      f.part = u.part;
      f.field = u.field;
      if (!u.uu.empty())
        if (const int k = u.UuAt(found.start); k >= 0) f.field = "uuencode:" + SafeName(u.uu[k].name);
      f.part_offset = static_cast<int64_t>(found.start);
      uint64_t s = u.region + r.start, en = u.region + r.end;
      lines.To(s);
      f.line = base_line + lines.line;
      f.column = s - lines.line_start + 1;
      f.start = base_offset + s;
      f.end = base_offset + en;
      if (!sink.OnFinding(f, value)) stop = true;
      return !stop;
    }
    void End(Unit&, bool) {}
  } h(sink, msg, base_offset, base_line);
  std::vector<std::string> notes;
  bool incomplete = false;
  Walk(msg, filter, notes, incomplete, h);
  for (const auto& n : notes) sink.OnNote("", n);
  if (incomplete)
    return Error(ErrorCode::kLimit, "message not fully scanned (" + (notes.empty() ? std::string("limit") : notes.back()) + ")");
  return Status::Ok();
}

namespace {

struct Edit {
  uint32_t start, end;
  std::string bytes;
};

// Replaces ranges of `in` (sorted, merged) by replacements; in HTML the tags
// inside a replaced range are kept after the replacement. (Header values
// only: bodies are edited as a stream, see BodyEditor.)
std::string ApplyRanges(std::string_view in, std::vector<Edit> ranges, bool keep_tags) {
  std::sort(ranges.begin(), ranges.end(), [](const Edit& a, const Edit& b) { return a.start < b.start; });
  std::string out;
  out.reserve(in.size());
  uint32_t pos = 0;
  for (const Edit& r : ranges) {
    if (r.start < pos) continue;  // merged into the previous replacement
    out.append(in.substr(pos, r.start - pos));
    out += r.bytes;
    if (keep_tags) AppendTags(in.substr(r.start, r.end - r.start), out);
    pos = r.end;
  }
  out.append(in.substr(pos));
  return out;
}


// Replacements that fall in a MIME parameter value are written in its
// syntax: percent-encoded in an RFC 2231 extended value ("[NO-FNR]" is not
// made of attribute-chars), and a token value becomes a quoted-string
// (brackets are tspecials). Quoted values take the label as it is.
std::vector<Edit> EncodeInParams(std::string_view raw, std::vector<Edit> ranges) {
  for (const ParamValue& pv : ParamValues(raw)) {
    if (pv.kind == ParamValue::kQuoted) continue;
    auto inside = [&](const Edit& e) { return e.start >= pv.start && e.end <= pv.end; };
    if (pv.kind == ParamValue::kExtended) {
      for (Edit& e : ranges)
        if (inside(e)) e.bytes = PercentEncodeAttr(e.bytes);
      continue;
    }
    std::string value;
    size_t pos = pv.start;
    bool any = false;
    std::vector<Edit> kept;
    for (Edit& e : ranges) {
      if (!inside(e)) {
        kept.push_back(std::move(e));
        continue;
      }
      any = true;
      value.append(raw.substr(pos, e.start - pos));
      value += e.bytes;
      pos = e.end;
    }
    if (!any) {
      ranges = std::move(kept);
      continue;
    }
    value.append(raw.substr(pos, pv.end - pos));
    kept.push_back({static_cast<uint32_t>(pv.start), static_cast<uint32_t>(pv.end), QuoteParam(value)});
    std::sort(kept.begin(), kept.end(), [](const Edit& a, const Edit& b) { return a.start < b.start; });
    ranges = std::move(kept);
  }
  return ranges;
}

// A finding in a header: its raw range in the header value, the decoded
// text it matched and its replacement.
struct ParamHit {
  uint32_t start, end;
  std::string_view value;
  std::string rep;
};

// Parameters whose values hold RFC 2047 encoded words (not allowed there by
// the RFC, common in practice: `filename="=?UTF-8?Q?...?="`): each value
// with a finding is decoded, redacted and written back as an RFC 2231
// value (`filename*=UTF-8''...`), or quoted when it is ASCII. False when a
// finding lies outside the parameter values (the caller re-encodes the
// whole header then).
bool RebuildParams(std::string_view raw, const std::vector<ParamHit>& hits, std::vector<Edit>& out) {
  std::vector<ParamValue> pvs = ParamValues(raw);
  std::vector<std::vector<const ParamHit*>> per(pvs.size());
  for (const ParamHit& h : hits) {
    size_t i = 0;
    while (i < pvs.size() && !(h.start >= pvs[i].start && h.end <= pvs[i].end)) ++i;
    if (i == pvs.size() || pvs[i].kind == ParamValue::kExtended) return false;
    per[i].push_back(&h);
  }
  for (size_t i = 0; i < pvs.size(); ++i) {
    if (per[i].empty()) continue;
    const ParamValue& pv = pvs[i];
    std::string v = DecodeEncodedWords(UnfoldHeader(raw.substr(pv.start, pv.end - pv.start))).bytes;
    for (const ParamHit* h : per[i]) {
      size_t at = v.find(h->value);
      if (h->value.empty() || at == std::string::npos) return false;
      for (; at != std::string::npos; at = v.find(h->value, at + h->rep.size())) v.replace(at, h->value.size(), h->rep);
    }
    std::string name(raw.substr(pv.name_start, pv.name_end - pv.name_start));
    bool ascii = std::all_of(v.begin(), v.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    out.push_back({static_cast<uint32_t>(pv.name_start), static_cast<uint32_t>(pv.full_end),
                   ascii ? name + "=" + QuoteParam(v) : name + "*=UTF-8''" + PercentEncodeAttr(v)});
  }
  return true;
}

using Write = std::function<Status(std::string_view)>;

// Re-encodes a part's edited bytes as they come, in pieces of about 1 MiB,
// with exactly the output EncodeBase64 / EncodeQuotedPrintable give for the
// whole: base64 is cut at multiples of 57 bytes (one 76-character line),
// quoted-printable after a line break (its encoder starts every line afresh).
class PartEncoder {
 public:
  enum Kind { kIdentity, kBase64, kQuotedPrintable };
  PartEncoder(Kind k, std::string_view eol, const Write& w) : kind_(k), eol_(eol), write_(w) {}
  Status Put(std::string_view b) {
    if (b.empty()) return Status::Ok();
    if (kind_ == kIdentity) return Out(b);
    buf_.append(b);
    if (buf_.size() < kPiece) return Status::Ok();
    size_t cut = 0;
    if (kind_ == kBase64) {
      cut = buf_.size() / 57 * 57;
    } else {
      // Only bytes not searched before (a long line must not be searched
      // again on every call).
      const void* nl = memrchr(buf_.data() + no_break_, '\n', buf_.size() - no_break_);
      cut = nl ? static_cast<size_t>(static_cast<const char*>(nl) - buf_.data()) + 1 : 0;
      no_break_ = buf_.size();  // after the cut, the rest has no line break
    }
    if (cut == 0) return Status::Ok();
    Status s = Encode(std::string_view(buf_).substr(0, cut));
    buf_.erase(0, cut);
    no_break_ = kind_ == kBase64 ? 0 : buf_.size();
    return s;
  }
  Status Finish() {
    Status s = buf_.empty() ? Status::Ok() : Encode(buf_);
    buf_.clear();
    no_break_ = 0;
    return s;
  }
  bool wrote() const { return wrote_; }
  char last() const { return last_; }

 private:
  static constexpr size_t kPiece = 1 << 20;
  Status Encode(std::string_view piece) {
    std::string enc = kind_ == kBase64 ? EncodeBase64(piece, eol_) : EncodeQuotedPrintable(piece, eol_);
    // Base64 lines are joined by eol without a final one: join the pieces.
    if (kind_ == kBase64 && wrote_ && !enc.empty())
      if (Status s = Out(eol_); !s.ok()) return s;
    return Out(enc);
  }
  Status Out(std::string_view b) {
    if (b.empty()) return Status::Ok();
    wrote_ = true;
    last_ = b.back();
    return write_(b);
  }
  Kind kind_;
  std::string_view eol_;
  const Write& write_;
  std::string buf_;
  size_t no_break_ = 0;  // buf_[0, no_break_) has no line break (quoted-printable)
  bool wrote_ = false;
  char last_ = 0;
};

}  // namespace

// One pass of redaction: findings are turned into edits as the engine
// produces them and the output is written in message order through
// `write` — a changed body is edited and re-encoded as a stream, so memory
// does not grow with the number of findings. `header_point` is called where
// the X-Nordpii header belongs (after the top-level header); the caller
// writes it (a second pass, when the count is known) or inserts it later.
Status MailScanner::RedactPass(std::string_view msg, const FindingFilter& filter, RedactStyle style,
                               const Write& write, const std::function<Status(std::string_view eol)>& header_point,
                               RedactSummary& sum) {
  struct Handler {
    Handler(std::string_view m, RedactStyle st, RedactSummary& su, const Write& w,
            const std::function<Status(std::string_view)>& hp)
        : msg(m), style(st), sum(su), write(w), header_point(hp) {}
    bool drop_forged = false;
    const MimeEntity* root = nullptr;
    std::string_view msg;
    RedactStyle style;
    RedactSummary& sum;
    const Write& write;
    const std::function<Status(std::string_view)>& header_point;
    std::string eol = "\n";
    uint32_t header_end = 0;
    bool have_tree = false, header_done = false;
    uint32_t pos = 0;  // message bytes before this are written
    Status status = Status::Ok();
    // The unit being scanned.
    size_t count = 0;
    std::vector<std::string> types;
    std::vector<Edit> ranges, in_text;  // headers: in the region / in the text
    std::vector<ParamHit> hits;         // headers: each finding's raw range, text and label
    bool rebuild = false;
    std::vector<const OffsetMap*> to_bytes;
    std::unique_ptr<PartEncoder> enc;  // bodies: set once the first finding comes
    // A body in a stateful charset: ISO-2022-JP replacements go in between
    // ESC ( B and the state put back (jp tracks the bytes written); in
    // another stateful charset nothing can go in place (the part is not
    // redacted: the message is incomplete).
    CharsetState charset_state = CharsetState::kNone;
    Iso2022JpState jp;
    bool stateful_hit = false;
    uint32_t bpos = 0;                 // bytes of u.bytes before this are written
    Edit pending{0, 0, {}};
    bool have_pending = false;
    // Header edits of a part whose body is a document attachment wait for
    // its body: a document with findings replaces the whole part (headers
    // included) by a notice, one without gets them as they are.
    const MimeEntity* deferred_entity = nullptr;
    std::vector<Edit> deferred;

    bool stopped_unscanned = false;  // status is the stop for a part not scanned to its end
    int last_uu = -1;  // the uuencoded block (Unit::uu) replaced last in this unit
    void Fail(Status s) {
      if (status.ok()) status = std::move(s);
    }
    void HeaderPoint() {
      header_done = true;
      if (status.ok() && pos < header_end) Fail(write(msg.substr(pos, header_end - pos)));
      pos = std::max(pos, header_end);
      if (status.ok()) Fail(header_point(eol));
    }
    // Message bytes up to `start`, then `bytes` in place of [start, end).
    void Emit(uint32_t start, uint32_t end, std::string_view bytes) {
      if (!header_done && start >= header_end) HeaderPoint();
      if (!status.ok()) return;
      if (start < pos) return Fail(Error(ErrorCode::kInternal, "overlapping mail edits"));
      if (start > pos) Fail(write(msg.substr(pos, start - pos)));
      if (!bytes.empty() && status.ok()) Fail(write(bytes));
      pos = end;
    }
    void Put(std::string_view b) {
      if (status.ok()) Fail(enc->Put(b));
    }
    bool images = false;  // image parts are documents (OCR); every non-text leaf may be replaced anyway
    // A part that may be replaced whole (a document or binary attachment).
    bool DocumentPart(const MimeEntity& e) const {
      return !e.multipart() && !e.message() &&
             (!TextLikePart(e) || UuTransferEncoding(e.encoding) ||
              BinaryDocumentInTextPart(e, msg.substr(e.body, std::max(e.body, e.end) - e.body)));
    }
    // A header edit: held back while its part may still be replaced.
    void HeaderEdit(const Unit& u, uint32_t start, uint32_t end, std::string_view bytes) {
      if (DocumentPart(*u.entity)) {
        deferred_entity = u.entity;
        deferred.push_back({start, end, std::string(bytes)});
        return;
      }
      Emit(start, end, bytes);
    }
    void FlushDeferred() {
      for (const Edit& ed : deferred) Emit(ed.start, ed.end, ed.bytes);
      deferred.clear();
      deferred_entity = nullptr;
    }
    // The part's decoded bytes [from, to) to the encoder: a view of them,
    // or for a streamed part a second decoding of the body in order.
    std::unique_ptr<TransferStream> replay;
    void PutBytes(Unit& u, uint64_t from, uint64_t to) {
      if (charset_state == CharsetState::kIso2022Jp) {
        if (!u.stream) {
          jp.Feed(u.bytes.substr(from, to - from));
          return Put(u.bytes.substr(from, to - from));
        }
        if (!replay) replay = std::make_unique<TransferStream>(u.encoded, u.stream_kind, false);
        if (status.ok()) Fail(replay->CopyTo(from, nullptr));
        if (status.ok()) Fail(replay->CopyTo(to, [&](std::string_view b) { jp.Feed(b), Put(b); }));
        return;
      }
      if (!u.stream) return Put(u.bytes.substr(from, to - from));
      if (!replay) replay = std::make_unique<TransferStream>(u.encoded, u.stream_kind, false);
      if (status.ok()) Fail(replay->CopyTo(from, nullptr));
      if (status.ok()) Fail(replay->CopyTo(to, [&](std::string_view b) { Put(b); }));
    }
    void PutRest(Unit& u, uint64_t from) {
      // (ISO-2022-JP: the state after the rest is not needed.)
      if (!u.stream) return Put(u.bytes.substr(from));
      if (!replay) replay = std::make_unique<TransferStream>(u.encoded, u.stream_kind, false);
      if (status.ok()) Fail(replay->CopyTo(from, nullptr));
      if (status.ok()) Fail(replay->CopyRest([&](std::string_view b) { Put(b); }));
    }
    void FlushPending(Unit& u) {
      if (!have_pending) return;
      PutBytes(u, bpos, pending.start);
      const bool jis = charset_state == CharsetState::kIso2022Jp;
      if (jis) {
        if (!jp.partial.empty())
          return Fail(Error(ErrorCode::kLimit, "part " + u.part + ": a finding starts inside an ISO-2022 escape sequence; not redacted"));
        Put(jp.ToAscii());  // the replacement is ASCII: read as ASCII
      }
      Put(pending.bytes);
      if (u.is_html) {
        std::string tags;
        AppendTags(u.bytes.substr(pending.start, pending.end - pending.start), tags);
        Put(tags);
      }
      if (jis) {  // the state the bytes after the range were written in
        if (!u.stream) {
          jp.Feed(u.bytes.substr(pending.start, pending.end - pending.start));
        } else {
          if (!replay) replay = std::make_unique<TransferStream>(u.encoded, u.stream_kind, false);
          if (status.ok()) Fail(replay->CopyTo(pending.start, nullptr));
          if (status.ok()) Fail(replay->CopyTo(pending.end, [&](std::string_view b) { jp.Feed(b); }));
        }
        if (!jp.partial.empty())
          return Fail(Error(ErrorCode::kLimit, "part " + u.part + ": a finding ends inside an ISO-2022 escape sequence; not redacted"));
        Put(jp.Restore());
      }
      bpos = pending.end;
      have_pending = false;
    }

    void Begin(const MimeTree& tree, Unit& u) {
      if (!have_tree) {
        eol = tree.eol;
        const MimeEntity& root = tree.entities[0];
        header_end = root.headers.empty() ? 0 : root.headers.back().next;
        this->root = &root;
        have_tree = true;
      }
      count = 0;
      types.clear();
      ranges.clear();
      in_text.clear();
      hits.clear();
      rebuild = false;
      enc.reset();
      replay.reset();
      charset_state = u.header || !u.whole.empty() ? CharsetState::kNone : StatefulCharset(u.charset_label);
      jp = Iso2022JpState();
      stateful_hit = false;
      bpos = 0;
      have_pending = false;
      to_bytes = u.header    ? u.maps
                 : u.cstream ? std::vector<const OffsetMap*>{&u.cstream->map()}
                 : (u.is_html ? std::vector<const OffsetMap*>{&u.html.map, &u.charset.map}
                              : std::vector<const OffsetMap*>{&u.legacy.map, &u.charset.map});
      last_uu = -1;
    }
    bool Found(Unit& u, const Finding& f, std::string_view value) {
      if (!status.ok()) return false;
      if (!u.whole.empty()) {  // a document or binary attachment: replaced whole at its end
        ++count;
        if (std::find(types.begin(), types.end(), f.type) == types.end()) types.push_back(f.type);
        return true;
      }
      std::string rep = Replacement(f, value, style);
      if (!u.uu.empty()) {
        // A finding in a uuencoded block: the encoded text cannot be edited
        // in place; the whole block (begin to end line) becomes one notice.
        if (const int k = u.UuAt(f.start); k >= 0) {
          if (k == last_uu) {  // the block is already replaced
            ++count;
            if (std::find(types.begin(), types.end(), f.type) == types.end()) types.push_back(f.type);
            return true;
          }
          last_uu = k;
          rep = "[nordpii removed the uuencoded file '" + SafeName(u.uu[k].name) + "']";
        }
      } else if (u.unfolded) {
        // Folded content lines: the folds inside the value stay where they
        // were (a masked value keeps every line's length).
        rep = RefoldReplacement(rep, static_cast<uint32_t>(f.start), static_cast<uint32_t>(f.end), u.legacy.map, u.utf8);
      }
      if (u.cstream) u.cstream->Cover(f.start, f.end);
      ByteRange r = MapBack({static_cast<uint32_t>(f.start), static_cast<uint32_t>(f.end)}, to_bytes);
      ++count;
      if (std::find(types.begin(), types.end(), f.type) == types.end()) types.push_back(f.type);
      if (u.header) {
        std::string_view raw = msg.substr(u.region + r.start, r.end - r.start);
        if (raw.find("=?") != std::string_view::npos || raw.find("?=") != std::string_view::npos) rebuild = true;
        hits.push_back({r.start, r.end, value, rep});
        in_text.push_back({static_cast<uint32_t>(f.start), static_cast<uint32_t>(f.end), rep});
        if (!ranges.empty() && r.start < ranges.back().end) {  // snapped ranges touch: merge
          ranges.back().end = std::max(ranges.back().end, r.end);
          ranges.back().bytes += rep;
        } else {
          ranges.push_back({r.start, r.end, std::move(rep)});
        }
        return true;
      }
      if (charset_state == CharsetState::kOther ||
          (charset_state == CharsetState::kIso2022Jp &&
           std::any_of(rep.begin(), rep.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))) {
        stateful_hit = true;  // not redacted in place (End: the message is incomplete)
        return true;
      }
      if (!AsciiCompatible(u.charset_label)) rep = FromUtf8(rep, u.charset_label);
      if (!enc) {  // the part changes: write the message up to it, then stream it
        const std::string& te = u.encoding;
        PartEncoder::Kind k = te == "base64"             ? PartEncoder::kBase64
                              : te == "quoted-printable" ? PartEncoder::kQuotedPrintable
                                                         : PartEncoder::kIdentity;
        enc = std::make_unique<PartEncoder>(k, eol, write);
        if (deferred_entity == u.entity) FlushDeferred();  // an attachment read as text: edited in place
        Emit(u.region, u.region, {});
      }
      if (have_pending && r.start < pending.end) {  // snapped ranges touch: merge
        if (r.start < pending.start) {
          if (r.start < bpos) {
            Fail(Error(ErrorCode::kInternal, "mail edits out of order"));
            return false;
          }
          pending.start = r.start;
        }
        pending.end = std::max(pending.end, r.end);
        pending.bytes += rep;
      } else {
        FlushPending(u);
        if (r.start < bpos) {
          Fail(Error(ErrorCode::kInternal, "mail edits out of order"));
          return false;
        }
        pending = {r.start, r.end, std::move(rep)};
        have_pending = true;
      }
      return status.ok();
    }
    void End(Unit& u, bool scanned) {
      if (u.header && drop_forged && u.entity == root && OwnHeader(u.header->name)) {
        // An X-Nordpii header that came with the message: removed (its
        // findings still count, as in the pass that counted them).
        if (scanned && count > 0) {
          sum.redacted += count;
          for (auto& t : types) sum.types.insert(t);
        }
        Emit(u.header->start, u.header->next, {});
        return;
      }
      if (!u.header && (!u.whole.empty() || deferred_entity == u.entity)) {
        if (!u.whole.empty() && scanned && count > 0) {
          // A PDF/OOXML/ODF file cannot be rewritten faithfully: the whole
          // part (its headers too) becomes a short text/plain notice.
          const MimeEntity& e = *u.entity;
          deferred.clear();
          deferred_entity = nullptr;
          if (e.message_root) {  // the document is the whole message: no part to swap
            sum.notes.push_back("part " + u.part + ": a document that is the whole message cannot be replaced");
            sum.incomplete = true;
            return;
          }
          sum.redacted += count;
          for (auto& t : types) sum.types.insert(t);
          ++sum.attachments_replaced;
          std::string list;
          for (const auto& t : types) list += (list.empty() ? "" : ", ") + t;
          std::string notice = "Content-Type: text/plain; charset=utf-8" + eol +
                               "Content-Disposition: attachment; filename=\"nordpii-removed-attachment.txt\"" + eol +
                               "Content-Transfer-Encoding: 8bit" + eol + eol + "nordpii removed the attachment '" +
                               SafeName(e.filename) + "' (" + u.whole + ", " +
                               std::to_string(u.region_end - u.region) + " bytes encoded): it contained " +
                               std::to_string(count) + " identifier(s) of type(s) " + list + "." + eol;
          Emit(e.start, e.end, notice);
          return;
        }
        FlushDeferred();
        if (!u.whole.empty()) return;
      }
      if (!scanned) {  // the walk marks the message incomplete; nothing of it counts
        // A part whose redaction had begun (an earlier finding in it) and
        // that then could not be scanned to its end (malformed CSV quoting
        // after an id, a deadline): the writes stop here, and the message
        // is incomplete — not a failure (RedactPass returns Ok, the caller
        // writes nothing: the fuzzer found "redact failed" once closed17
        // made malformed CSV cells an error).
        if (enc && status.ok()) {
          stopped_unscanned = true;
          Fail(Error(ErrorCode::kLimit, "part " + u.part + " not fully scanned"));
        }
        return;
      }
      if (count == 0) return;
      sum.redacted += count;
      for (auto& t : types) sum.types.insert(t);
      if (u.header) {
        const HeaderField& h = *u.header;
        std::string_view raw = msg.substr(u.region, u.region_end - u.region);
        if (ParamHeader(h.name)) {
          // A value inside the MIME type itself ("text/<id>", before the
          // first ';'): replacing it would change the part's type, keeping
          // it would leave the id: the redaction is incomplete (fail closed).
          const size_t type_end = std::min(raw.find(';'), raw.size());
          for (const Edit& r : ranges)
            if (r.start < type_end) {
              sum.notes.push_back("part " + u.part + ": an identifier in the " + h.name +
                                  " type itself cannot be redacted without changing the part's type");
              sum.incomplete = true;
              return;
            }
        }
        // RFC 2231 parameters scanned joined: a finding there is written
        // back as one extended parameter (`filename*=UTF-8''kunde-%5BNO-FNR%5D.txt`)
        // in place of all its segments; segments that are not adjacent and in
        // order cannot be rewritten safely: the redaction is incomplete.
        for (Edit& r : ranges) {
          for (const JoinedParam& jp : u.joined) {
            if (!(r.start < jp.end && jp.start < r.end)) continue;
            std::string v = jp.value;
            bool ok = jp.safe && r.start == jp.start && r.end == jp.end;
            for (const ParamHit& hit : hits) {
              if (!ok) break;
              if (!(hit.start >= jp.start && hit.end <= jp.end)) continue;
              size_t at = hit.value.empty() ? std::string::npos : v.find(hit.value);
              if (at == std::string::npos) ok = false;
              for (; at != std::string::npos; at = v.find(hit.value, at + hit.rep.size()))
                v.replace(at, hit.value.size(), hit.rep);
            }
            if (!ok) {
              sum.notes.push_back("part " + u.part + ": an identifier in a " + h.name +
                                  " parameter split over RFC 2231 continuations that are not adjacent and in order"
                                  " cannot be redacted safely");
              sum.incomplete = true;
              return;
            }
            r.bytes = jp.name + "*=UTF-8''" + PercentEncodeAttr(v);
          }
        }
        if (rebuild && ParamHeader(h.name)) {
          // Encoded words inside parameters: only those parameters are
          // rewritten; the header keeps its type and other parameters (never
          // re-encoded whole: an encoded Content-Type is no Content-Type).
          // Where a value cannot be decoded apart, each finding's whole
          // encoded word is replaced by the label, in the parameter's syntax.
          std::vector<Edit> params;
          if (!RebuildParams(raw, hits, params)) params = EncodeInParams(raw, std::move(ranges));
          std::stable_sort(params.begin(), params.end(), [](const Edit& a, const Edit& b) { return a.start < b.start; });
          for (const Edit& r : params) HeaderEdit(u, u.region + r.start, u.region + r.end, r.bytes);
        } else if (rebuild) {
          HeaderEdit(u, h.start, h.end, EncodeHeaderField(h.name, ApplyRanges(u.text, std::move(in_text), false), eol));
        } else {
          if (ParamHeader(h.name)) ranges = EncodeInParams(raw, std::move(ranges));
          for (const Edit& r : ranges) HeaderEdit(u, u.region + r.start, u.region + r.end, r.bytes);
        }
        return;
      }
      if (stateful_hit) {
        // A stateful charset other than ISO-2022-JP (or a replacement not
        // in ASCII): bytes put in place would be read in the state around
        // them, as other characters, and the rest of the part with them.
        sum.notes.push_back("part " + u.part + ": " + std::to_string(count) +
                            " finding(s) in a text part in a stateful charset (ISO-2022-KR/CN, HZ, UTF-7, ...) that "
                            "cannot be redacted in place; not redacted");
        sum.incomplete = true;
        if (!enc) return;  // the part's bytes go out as they are with the message (which is not written)
      }
      FlushPending(u);
      PutRest(u, bpos);
      if (status.ok()) Fail(enc->Finish());
      std::string_view region = msg.substr(u.region, u.region_end - u.region);
      const std::string& te = u.encoding;
      if (te == "base64") {
        if (status.ok()) Fail(write(TrailingSpace(region)));
      } else if (te == "quoted-printable") {
        // A QP body that ended in a soft break or without a line break keeps
        // that ending.
        if (!region.empty() && region.back() == '\n' && (!enc->wrote() || enc->last() != '\n') && status.ok())
          Fail(write(eol));
      }
      pos = u.region_end;
      enc.reset();
    }
  } h(msg, style, sum, write, header_point);
  h.drop_forged = drop_forged_;
  h.images = limits_.ocr;
  Walk(msg, filter, sum.notes, sum.incomplete, h);
  h.FlushDeferred();  // (a walk cut short before a document part's body)
  if (!h.header_done) h.HeaderPoint();
  if (h.status.ok() && h.pos < msg.size()) h.Fail(write(msg.substr(h.pos)));
  if (h.stopped_unscanned && sum.incomplete) return Status::Ok();  // (the walk's note says why)
  return h.status;
}

namespace {

// "X-Nordpii: redacted=N; types=a,b" and a line break (and one before it
// when the header before it does not end in one).
std::string NordpiiHeader(const RedactSummary& sum, bool break_before, std::string_view eol) {
  std::string types;
  for (const auto& t : sum.types) types += (types.empty() ? "" : ",") + t;
  std::string hdr = std::string(kNordpiiHeader) + ": redacted=" + std::to_string(sum.redacted) + "; types=" + types;
  if (sum.attachments_replaced > 0) hdr += "; attachments-replaced=" + std::to_string(sum.attachments_replaced);
  if (break_before) hdr = std::string(eol) + hdr;
  return hdr + std::string(eol);
}

}  // namespace

Status MailScanner::Redact(std::string_view msg, const FindingFilter& filter, RedactStyle style, std::string& out,
                           RedactSummary& sum) {
  // One pass into memory; the X-Nordpii header is inserted afterwards.
  out.clear();
  out.reserve(msg.size() + 256);
  size_t at_out = 0;
  std::string eol = "\n";
  Write w = [&](std::string_view b) {
    out.append(b);
    return Status::Ok();
  };
  auto pass = [&](bool drop_forged) {
    out.clear();
    drop_forged_ = drop_forged;
    Status st = RedactPass(
        msg, filter, style, w,
        [&](std::string_view e) {
          at_out = out.size();
          eol = e;
          return Status::Ok();
        },
        sum);
    drop_forged_ = false;
    return st;
  };
  Status s = pass(false);
  if (s.ok() && remove_forged_ && sum.redacted > 0 && !sum.incomplete && HasNordpiiHeader(msg)) {
    sum = RedactSummary{};  // again, without the X-Nordpii headers that came with it
    s = pass(true);
  }
  if (!s.ok()) return s;
  if (sum.redacted == 0) {
    out.assign(msg.data(), msg.size());
    return Status::Ok();
  }
  out.insert(at_out, NordpiiHeader(sum, at_out > 0 && out[at_out - 1] != '\n', eol));
  return Status::Ok();
}

Status MailScanner::Redact(std::string_view msg, const FindingFilter& filter, RedactStyle style, const Write& write,
                           RedactSummary& sum) {
  if (msg.size() <= kRedactInMemoryBytes) {
    std::string& out = scratch_;  // keeps its capacity from message to message
    if (Status s = Redact(msg, filter, style, out, sum); !s.ok()) return s;
    return sum.incomplete ? Status::Ok() : write(out);
  }
  // A large message: a first pass counts (its output is discarded), the
  // second writes the X-Nordpii header with the count and streams the rest,
  // so the redacted message is never held in memory.
  RedactSummary first;
  Write discard = [](std::string_view) { return Status::Ok(); };
  auto nothing = [](std::string_view) { return Status::Ok(); };
  if (Status s = RedactPass(msg, filter, style, discard, nothing, first); !s.ok()) return s;
  if (first.incomplete || first.redacted == 0) {
    sum = std::move(first);
    return sum.incomplete ? Status::Ok() : write(msg);
  }
  size_t written = 0;
  char last = 0;
  Write counted = [&](std::string_view b) {
    written += b.size();
    if (!b.empty()) last = b.back();
    return write(b);
  };
  drop_forged_ = remove_forged_ && HasNordpiiHeader(msg);
  Status s = RedactPass(
      msg, filter, style, counted,
      [&](std::string_view eol) { return write(NordpiiHeader(first, written > 0 && last != '\n', eol)); },
      sum);
  drop_forged_ = false;
  if (!s.ok()) return s;
  if (!sum.incomplete && (sum.redacted != first.redacted || sum.types != first.types))
    return Error(ErrorCode::kInternal, "redaction passes disagree");
  return Status::Ok();
}

}  // namespace nordpii
