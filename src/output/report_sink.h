// SPDX-License-Identifier: Apache-2.0
// File: report_sink.h
//
// Report sinks: print findings as text, JSON Lines or one JSON document.
//
// JSONL schema (one object per finding, keys in this order; stable):
//   path        string  input path ("-" for stdin)
//   type        string  type id, e.g. "no.fnr", "se.pnr", "iban", "special.health"
//   category    string  national-id | financial | credential | business | contact | special
//   subcategory string  special categories only: health, union, religion, ...
//   confidence  string  low | medium | high
//   start, end  integer byte offsets in the input, [start, end)
//   line        integer 1-based line of start
//   column      integer 1-based byte column of start
//   masked      string  safe preview, e.g. "151086*****" (never the raw value)
//   rules       array   rules that fired: checksum, date, format, keyword,
//                       no-checksum, negative-context, rule-2032, test, temporary
//   hash        string  hex HMAC-SHA256 of the normalised value (keyed)
//   also        array   other types the same bytes validated as (may be empty)
//   test        bool    synthetic test number (e.g. Tenor +80)
//   temporary   bool    temporary id (HETU 900-999)
//   message_index integer mbox only: 1-based message number in the file
//   message_id  string  mail only: the Message-ID header (without <>)
//   date        string  mail only: the message's date, YYYY-MM-DD (UTC), when known
//   date_source string  mail only: where the date came from: "date" (the Date
//                       header), "received" (the newest Received stamp) or
//                       "mtime" (the file's modification time)
//   subject     string  mail and tickets: the subject, identifiers masked
//   part        string  mail only: MIME part number ("" = top message headers,
//                       "1", "2.1", ... IMAP numbering)
//   field       string  mail only: "body" or the header name ("Subject")
//   part_offset integer mail only: byte offset in the part's decoded text
//                       (start/end/line/column always point at the raw bytes)
//   record      integer tickets only: 1-based record number in the export
//   ticket_id, created, updated, closed  strings, tickets only, when present
//   value       string  raw value — only with --reveal
// Events (mail), one object per line in JSONL, in "events" for JSON:
//   {"path", ["message_index"], ["message_id"], "event": "note", "part", "text"}
//   {"path", ..., "event": "attachment", "part", "content_type", "name"
//    (digit runs of 6+ masked), "size", "scanned": false}
// Text format: "path:line:column type confidence masked [(part P field)]".
// JSON format: {"findings": [...], ["events": [...]], "summary": {...}}.
// CSV format (RFC 4180, CRLF, cells quoted by CsvCell with its formula
// guard): a header row, then one row per finding:
//   path,line,column,type,category,confidence,masked,hash,message_id,
//   ticket_id,date,subject,part,field[,value]
// and one per event, with type "event:note" or "event:attachment" and the
// note or the attachment's description in `field`.
// SARIF format (2.1.0, one document; validated against the OASIS schema in
// docs/schema/sarif-2.1.0.json by the test sarif_schema): one run; tool.driver
// has a rule per type found (id = type id, shortDescription = its meaning,
// properties.category); one result per finding: ruleId, level (high
// confidence = error, medium = warning, low = note), message "TYPE
// (CONFIDENCE confidence): MASKED", a physicalLocation (uri = the path as
// shown, percent-encoded; startLine; startColumn = the 1-based *byte*
// column; byteOffset/byteLength = start/end), partialFingerprints
// {"nordpii/hash": keyed hash} and properties (category, confidence,
// masked, rules, message_id, ticket_id, date, subject, part, field). Events
// are the invocation's toolExecutionNotifications. Never a raw value, even
// with --reveal.
// Colour (SetColor, text format only): path magenta, line:column green,
// type cyan, masked value bold red (as rg shows a match).
#ifndef NORDPII_OUTPUT_REPORT_SINK_H_
#define NORDPII_OUTPUT_REPORT_SINK_H_

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "output/shown_text.h"
#include "pipeline/scanner.h"

namespace nordpii {

enum class ReportFormat { kText, kJsonl, kJson, kCsv, kSarif };

// --color: "always", "never" or "auto" (colour when `tty` — standard
// output is a terminal — and $NO_COLOR is unset or empty, no-color.org).
bool ColorWanted(std::string_view when, bool tty);

class ReportSink;
class IdentifierMasker;

// The numbers a sink wrote relative to a range of its input (SetPatches):
// where each is in its output and whether it is a line number (record
// false) or a record / message number (record true); its value is the
// digits written there. Each is kept as a varint of its distance from the
// one before, the kind in the low bit (~2 bytes; a struct of offset, value
// and length was 24 bytes, two numbers a finding: 150 MB for a 60 MB mbox
// message of 1.7 M findings in one range, 2026-12-04), in blocks of up to
// 64 KiB (no copy as the list grows).
class NumberPatches {
 public:
  // `at` (an output offset) not before the last one added; one before it
  // breaks the list (PatchedCopy then fails: never written so).
  void Add(uint64_t at, bool record);
  bool empty() const { return count_ == 0 && !broken_; }
  size_t size() const { return count_; }
  size_t bytes() const;  // memory held (the blocks' capacity)
  // Reads the patches in order.
  class Reader {
   public:
    explicit Reader(const NumberPatches& p) : p_(p) {}
    // The next patch; false at the end (or when the list is broken).
    bool Next(uint64_t& at, bool& record);
    bool broken() const { return p_.broken_; }

   private:
    const NumberPatches& p_;
    size_t block_ = 0, pos_ = 0;
    uint64_t at_ = 0;
  };

 private:
  static constexpr size_t kBlock = 1 << 16;
  std::vector<std::string> blocks_;
  uint64_t last_ = 0;
  size_t count_ = 0;
  bool broken_ = false;
};
// Copies the report of a range scanned with numbers relative to its start
// (line 1, record 1: batch/work_items.h) to `out`, its bytes handed over in
// order in pieces of any size, each patched number given `lines` or
// `records` more (the lines and records before the range, known once the
// ranges before it are written).
class PatchedCopy {
 public:
  PatchedCopy(std::FILE* out, const NumberPatches& patches, uint64_t lines, uint64_t records)
      : out_(out), patches_(patches), lines_(lines), records_(records) {
    NextPatch();
  }
  bool Write(const char* d, size_t n);  // the next n bytes; false: a write failed
  // Writes what is still buffered; false: a write failed, or the numbers
  // were not all where the patches said (the report and its patches
  // disagree).
  bool Finish();

 private:
  void NextPatch();
  bool EndNumber();  // the digits of the patched number are all read: write it
  std::string buf_;  // gathered here, written in blocks (not an fwrite per piece)
  std::FILE* out_;
  NumberPatches::Reader patches_;
  uint64_t lines_, records_;
  uint64_t at_ = 0;          // report offset of the next byte handed over
  uint64_t until_ = 0;       // offset of the next patched number (UINT64_MAX: none)
  bool record_ = false;      // its kind
  bool in_number_ = false;   // reading its digits
  uint64_t value_ = 0;       // their value so far
  int digits_ = 0;
  bool disagree_ = false;
};
// Copies a part's report to `out`: the bytes `copy` hands to its put
// function, patched when `patches` has any (a range numbered from its start,
// PatchedCopy), else as they are. False when `copy` or a write failed or the
// patches disagree with the report. (batch's findings.jsonl and scan
// --threads' output both copy ranges so.)
using PutBytes = std::function<bool(const char*, size_t)>;
bool CopyPart(std::FILE* out, const std::function<bool(const PutBytes&)>& copy,
              const NumberPatches* patches, uint64_t lines, uint64_t records);
// Told of every finding and event a ReportSink writes (batch summaries are
// accumulated so instead of re-reading the report).
class ReportObserver {
 public:
  virtual ~ReportObserver() = default;
  virtual void Recorded(const ReportSink& sink, const Finding& f) = 0;
  virtual void RecordedEvent(std::string_view kind, std::string_view content_type) = 0;
};

class ReportSink : public StreamSink {
 public:
  // Writes to `out` (not owned). `reveal` adds the raw value (--reveal).
  // Everything written about the input passes `masker` (not owned; one per
  // thread): identifiers in paths, Message-IDs, ticket ids and dates, field
  // and header names, notes and attachment types and names are masked
  // (unless `reveal`).
  ReportSink(std::FILE* out, ReportFormat format, bool reveal, IdentifierMasker& masker);
  void SetPath(std::string_view path);
  // The message being scanned (mail): index in an mbox (0 = not an mbox)
  // and its Message-ID.
  void SetMessage(size_t index, std::string_view message_id);
  // The message's date ("YYYY-MM-DD" or ""), its source and its subject
  // (shown masked); reset by SetMessage and SetPath.
  void SetMessageMeta(std::string_view date, std::string_view date_source, std::string_view subject);
  // A ticket's subject (shown masked); reset by SetTicket and SetPath.
  void SetSubject(std::string_view subject);
  // The ticket being scanned (ticket exports): record number, id, dates.
  void SetTicket(size_t record, std::string_view id, std::string_view created, std::string_view updated,
                 std::string_view closed);
  void OnNote(std::string_view part, std::string_view text) override;
  void OnAttachment(std::string_view part, std::string_view type, std::string_view name,
                    uint64_t size) override;
  size_t attachments() const { return attachments_; }
  bool OnFinding(const Finding& f, std::string_view raw) override;
  // Text format: ANSI colours (see above). Other formats never colour.
  void SetColor(bool on) { color_ = on && format_ == ReportFormat::kText; }
  // Findings dropped by --allow: written in the JSON summary and SARIF run
  // properties (call before Finish; unset = no allow-list, not written).
  void SetAllowed(uint64_t n) { allowed_ = static_cast<int64_t>(n); }
  // SARIF: what each type id means (rule shortDescription); a type not in
  // the map is described by its id and category.
  void SetTypeMeanings(std::map<std::string, std::string> m) { meanings_ = std::move(m); }
  // `scan --threads` (batch/parallel_records.h): the report of one range of
  // a file, written by `part` (another sink of this format, JSONL or text)
  // as `bytes`, appended to this output as if this sink had written it,
  // its counts added to this sink's.
  // With `patches` (the part was scanned with numbers relative to a range:
  // SetPatches), its numbers get `lines` and `records` more.
  // False when a write failed or the report and its patches disagree (the
  // part's output is then incomplete: an error for the caller).
  bool AppendPart(std::string_view bytes, const ReportSink& part, const NumberPatches* patches = nullptr,
                  uint64_t lines = 0, uint64_t records = 0);
  // The same, the bytes handed over in pieces by `copy` (a part's report
  // kept in a file); false when `copy` failed or a write failed.
  using Put = PutBytes;
  bool AppendPart(const std::function<bool(const Put&)>& copy, const ReportSink& part,
                  const NumberPatches* patches, uint64_t lines, uint64_t records);
  // A range scanned with line and record numbers relative to its start
  // (JSONL and text formats): each line, record and message number written
  // is also noted in `patches` (not owned; nullptr: off), so that the
  // report can be fixed up when it is written in file order (PatchedCopy).
  void SetPatches(NumberPatches* patches) { patches_ = patches; }
  // Closes the JSON or SARIF document; prints nothing for the others.
  void Finish(size_t files, size_t errors);
  size_t count() const { return count_; }
  const std::map<std::string, size_t>& by_type() const { return by_type_; }
  void SetObserver(ReportObserver* o) { observer_ = o; }
  // The context written with each finding (as shown).
  const ShownText& path() const { return path_; }
  const ShownText& message_id() const { return message_id_; }
  // Mail: the date ("YYYY-MM-DD" or "") and its source (program text).
  const std::string& message_date() const { return message_date_; }
  const std::string& date_source() const { return date_source_; }
  const ShownText& subject() const { return subject_; }
  // A ticket's id, created, updated, closed (as shown); has_ticket() false
  // when the input is not a ticket export.
  bool has_ticket() const { return record_ > 0; }
  size_t record() const { return record_; }
  size_t message_index() const { return message_index_; }
  const ShownText& ticket_id() const { return ticket_.id; }
  const ShownText& created() const { return ticket_.created; }
  const ShownText& updated() const { return ticket_.updated; }
  const ShownText& closed() const { return ticket_.closed; }

 private:
  std::FILE* out_;
  ReportFormat format_;
  bool reveal_;
  NumberPatches* patches_ = nullptr;
  uint64_t written_ = 0;  // bytes written to out_ (with patches_)
  // line_ += the number v (a line or record number, noted for patches_).
  void Number(std::string& to, uint64_t v, bool record, uint64_t base);
  void Write(const std::string& s);  // to out_, counted in written_
  void Write(const char* d, size_t n);
  IdentifierMasker& masker_;
  ShownText path_;
  std::string path_json_;  // path_ as a JSON string, made on first use
  size_t count_ = 0;
  std::map<std::string, size_t> by_type_;
  const std::string* last_type_ = nullptr;  // entry of by_type_ counted last
  size_t* last_count_ = nullptr;
  std::string rules_;  // scratch
  // JSON lists of the rule sets seen (a set's list built once; findings
  // alternate between a few sets, so the last one alone was rebuilt often).
  std::vector<std::pair<uint32_t, std::string>> rules_json_;
  // The JSON keys "type", "category" and "subcategory" of the types seen
  // (up to 64), each written once: findings come in few types.
  struct TypeJson {
    std::string type, category, subcategory, json;
  };
  std::vector<TypeJson> type_json_;
  std::string line_;
  // Room the JSON line up to "temporary" is written in (its size only
  // grows: no bytes cleared per finding).
  std::string json_room_;
  size_t message_index_ = 0;
  size_t record_ = 0;         // ticket record number (0 = not a ticket)
  // A ticket's context, as shown (masked), by name.
  struct TicketContext {
    ShownText id, created, updated, closed;
  };
  TicketContext ticket_;
  ShownText message_id_;
  std::string message_date_, date_source_;  // made by nordpii (a parsed date), not input text
  ShownText subject_;
  // The JSON line's "subject" and ticket keys (record, ticket_id, dates)
  // as written, valid until one of them is set again.
  std::string ticket_json_;
  bool ticket_json_valid_ = false;
  size_t ticket_record_at_ = 0;  // the record number in ticket_json_
  // A finding's field (a JSON key path, a CSV header, a mail header name)
  // as shown, for the last raw field seen (fields repeat from finding to
  // finding).
  std::string field_raw_;
  ShownText field_shown_;
  bool field_valid_ = false;
  std::vector<std::string> events_;  // JSON format: written by Finish
  size_t attachments_ = 0;
  ReportObserver* observer_ = nullptr;
  bool color_ = false;
  int64_t allowed_ = -1;
  std::map<std::string, std::string> meanings_;
  std::map<std::string, std::string> categories_;  // SARIF: category of each type found
  void SarifResult(const Finding& f);
  const ShownText& Field(const std::string& raw);
  void Event(std::string_view kind, std::string_view part, const std::string& rest_json, const std::string& text);
};

// Appends s as a JSON string literal (quoted, escaped) to out. Text that
// came from an input goes in as a ShownText (the overload), program text
// (type ids, categories, rule names, part numbers) as a string_view.
void AppendJsonString(std::string& out, std::string_view s);
inline void AppendJsonString(std::string& out, const ShownText& s) { AppendJsonString(out, std::string_view(s.str())); }
// `raw` with every byte outside a valid UTF-8 character as U+FFFD: what a
// JSON reader of AppendJsonString's output gets back.
std::string SafeUtf8(std::string_view raw);

}  // namespace nordpii

#endif  // NORDPII_OUTPUT_REPORT_SINK_H_
