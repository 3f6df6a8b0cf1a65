// SPDX-License-Identifier: Apache-2.0
// File: ticket_scanner.h
//
// TicketScanner: the text fields of one ticket record (JSON via simdjson's
// on-demand API, CSV via SplitCsvRecord) are decoded — JSON escapes and
// CSV "" with an OffsetMap back to the record bytes, HTML fields reduced to
// visible text — joined into one text (blank line between fields) and
// scanned once; each finding is mapped back to the exact bytes of the field
// inside the record. Redact() replaces exactly those bytes: key order, every
// other value and all formatting stay byte-identical, and the record stays
// valid JSON / CSV (replacements contain no quote, backslash, delimiter or
// line break).
//
// Which fields: every string and every number (as written, from 6
// characters) in a record, each its own document labelled by its key path —
// nothing in a record is left unread; --fields (paths with "[]" for array
// elements and ".*" for everything below) narrows that. A redacted number
// becomes a JSON string ("[NO-FNR]"): the record stays valid JSON, the
// value's type changes. The export's field map (Zendesk, Freshdesk, Jira,
// chosen per record by its keys) names the fields that hold HTML.
// CSV: --columns (names or 1-based numbers), default all.
// Ticket id and created / updated / closed dates are read when present.
#ifndef NORDPII_TICKETS_TICKET_SCANNER_H_
#define NORDPII_TICKETS_TICKET_SCANNER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "output/redactor.h"
#include "pipeline/scanner.h"
#include "tickets/ticket_source.h"

namespace nordpii {

struct TicketInfo {
  std::string id, created, updated, closed;
  std::string subject;  // subject / title / Jira summary, unescaped, at most 200 bytes; RAW: show masked
  std::string map;  // field map used: zendesk, freshdesk, jira, fields, all, csv
};

struct TicketOptions {
  std::string map = "auto";            // auto | zendesk | freshdesk | jira | all
  std::vector<std::string> fields;     // --fields (JSON paths)
  std::vector<std::string> columns;    // --columns (CSV names or 1-based numbers)
  std::vector<std::string> csv_header;
  char csv_delimiter = ',';
  // A JSON string value whose content (escapes included) is at least this
  // long is not decoded whole: it is decoded and scanned a range at a time
  // (JsonStringStream), its findings mapped as they come (issue 12 #9).
  // HTML values are read whole. Once a record holds this many bytes of
  // strings decoded whole, every further string is streamed too. Tests lower it.
  size_t stream_from = 4u << 20;
  size_t stream_range = 256u << 10;  // raw bytes decoded per step of such a value
  // HTML is converted to text whole (a tree of it is built): the HTML values
  // of one record may hold at most this many bytes in all; past it the
  // record is not scanned and Scan / Redact return a kLimit error (exit 2).
  size_t max_html_bytes = 4u << 20;
  // Fields of one record (strings and numbers scanned): each is held until
  // the record is scanned; past it the record is not scanned (kLimit error).
  size_t max_fields = 65536;
  // A JSON record larger than this is counted before it is parsed: more
  // than kSeparatorsPerField x max_fields separators ('{' '[' ',' ':'
  // outside strings) and it is refused (kLimit) before simdjson builds its
  // index of the record (4 bytes per structural character). Tests lower it.
  size_t precheck_from = 1u << 20;
  static constexpr size_t kSeparatorsPerField = 8;
};

class ExportDetector;

class TicketScanner {
 public:
  TicketScanner(ScanContext& ctx, TicketOptions opt);
  ~TicketScanner();
  void set_csv(const std::vector<std::string>& header, char delim) {
    if (header != opt_.csv_header) {
      opt_.csv_header = header;
      csv_cols_.clear();
      csv_header_error_ = CsvHeaderError(header);
    }
    opt_.csv_delimiter = delim;
  }
  // Findings carry field (the JSON path with indexes, or the CSV column) and
  // part_offset; start/end are file offsets (record offset + position).
  Status Scan(const TicketRecord& r, TicketFormat f, const FindingFilter& filter, StreamSink& sink,
              TicketInfo& info);
  // The record with accepted findings replaced; `redacted` counts them.
  Status Redact(const TicketRecord& r, TicketFormat f, const FindingFilter& filter, RedactStyle style,
                std::string& out, size_t& redacted);
  // The same, handed to `put` in pieces as it is made (a long record is not
  // held redacted); a failing put stops it with that status. Pieces end
  // only after the record is known to parse.
  Status Redact(const TicketRecord& r, TicketFormat f, const FindingFilter& filter, RedactStyle style,
                const std::function<Status(std::string_view)>& put, size_t& redacted);

  // Around the records of one input file: EndInput is an error naming the
  // option when a --fields path matched no field of any record (JSON), or a
  // --columns name or number is not in the header (CSV) — what was asked
  // for was not scanned. `header`: the CSV header (TicketReader::header()).
  void BeginInput();
  Status EndInput(TicketFormat f, const std::vector<std::string>& header) const;
  // A file scanned in record-aligned ranges (work_items.h): each range
  // gives its fields_seen() and records(), OR-ed and added over the file,
  // and the check is made once with them (a field found in one range only
  // is no error).
  uint64_t fields_seen() const { return fields_seen_; }
  size_t records() const { return records_; }
  Status EndInput(TicketFormat f, const std::vector<std::string>& header, uint64_t fields_seen, size_t records) const;

  // Internal (used by the locating sink in ticket_scanner.cc).
  struct LocatedFinding;
  struct Extracted;
  struct QuietFields;

 private:
  Status Extract(const TicketRecord& r, TicketFormat f, Extracted& x, TicketInfo& info);
  // Scans the record's text; each finding goes to emit(LocatedFinding) as
  // it is produced (see LocatingSink).
  template <class Emit>
  Status Run(Extracted& x, const FindingFilter& filter, Emit&& emit);
  template <class Sink>
  Status RunStream(const Extracted& x, size_t k, const FindingFilter& filter, Sink& sink);

  ScanContext& ctx_;
  // The CSV header row is read as the column names, never scanned as a
  // record: a header cell the engine finds something in (an export without
  // a header row, whose first record was taken for one) makes every record
  // an error, so the input is not passed with its first row unread.
  // (EndInput: a file of only such a header row is an error too.)
  std::string CsvHeaderError(const std::vector<std::string>& header) const;
  std::string csv_header_error_;
  TicketOptions opt_;
  struct Json;                 // the simdjson parser and a padded buffer, reused per record
  std::unique_ptr<Json> json_;
  std::unique_ptr<Extracted> x_;  // reused from record to record (buffers keep their capacity)
  std::unique_ptr<QuietFields> quiet_;
  std::unique_ptr<ExportDetector> detect_;  // --ticket-map auto (export_detect.h)
  // --ticket-map auto: the last record's map, taken for the next record's
  // and checked by the walk (the names it saw); a record of another export
  // is walked again with its own map.
  const TicketMapSpec* guess_map_ = nullptr;
  bool guess_valid_ = false;
  // JSON fields of only digits shorter than this are left out
  // (ScanContext::DigitsOnlyQuietBelow).
  size_t digits_quiet_below_ = 0;
  // Per CSV column of opt_.csv_header: its name, lower-cased name, 1-based
  // number and the name's labels and triggers (built as records need them).
  struct CsvColumn {
    std::string name, lname, number;
    uint64_t labels = 0, triggers = 0;
  };
  std::vector<CsvColumn> csv_cols_;  // short field texts that gave no finding (Run)
  Finding finding_;  // the finding handed to the sink, reused
  // Run: the fields of a record scanned in one ScanContext::ScanFields
  // call, their segment indexes and findings per field (reused).
  std::vector<ScanContext::Field> batch_fields_;
  std::vector<size_t> batch_segs_;
  std::vector<uint32_t> batch_found_;
  uint64_t fields_seen_ = 0;  // bit i: --fields / --columns item i matched in this input
  size_t records_ = 0;        // records of this input
};

}  // namespace nordpii

#endif  // NORDPII_TICKETS_TICKET_SCANNER_H_
