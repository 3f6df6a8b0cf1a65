// SPDX-License-Identifier: Apache-2.0
// File: ticket_source.h
//
// Ticket exports as a stream of records, each the exact bytes of one ticket
// and its offset in the file, so a redacted export can be written back with
// every other byte unchanged:
//   jsonl  one JSON value per line (blank lines kept as they are);
//   json   a top-level array of tickets, or an object wrapping one
//          ("tickets", "issues", "results", "data", "items", "records") —
//          split by a string-aware bracket scanner, never loaded whole;
//          any other top-level object is one record;
//   csv    RFC 4180: quoted fields with "" and line breaks inside, ',' ';'
//          or tab (whichever the header line has most of), UTF-8 BOM; the
//          first record is the header.
// Memory is bounded by the largest record (and that by a limit: a larger
// record is an error naming the file and offset, and reading stops).
#ifndef NORDPII_TICKETS_TICKET_SOURCE_H_
#define NORDPII_TICKETS_TICKET_SOURCE_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "input/byte_source.h"
#include "input/input_format.h"

namespace nordpii {

enum class TicketFormat { kJsonl, kJson, kCsv };

// The ticket format of an input format; `f` must be one (IsTicketFormat):
// the one place InputFormat becomes TicketFormat.
inline TicketFormat ToTicketFormat(InputFormat f) {
  return f == InputFormat::kJsonl ? TicketFormat::kJsonl : f == InputFormat::kJson ? TicketFormat::kJson : TicketFormat::kCsv;
}

// Bytes a record has readable past its end (TicketRecord::padding), so a
// JSON parser that reads a little past the input (simdjson's padding) needs
// no copy.
inline constexpr size_t kRecordPadding = 64;

struct TicketRecord {
  size_t index = 0;        // 1-based record number (CSV: data rows, header excluded)
  uint64_t offset = 0;     // file offset of bytes[0]
  // The record as written: a view of the reader's buffer, valid until the
  // next TicketReader::Next() (records are not copied out of the buffer).
  std::string_view bytes;
  size_t padding = 0;      // bytes readable past bytes' end (>= kRecordPadding from TicketReader)
  std::string storage;     // holds the bytes when they cannot be viewed in place
  // A JSON wrapper object's value beside its ticket list (index 0): the key
  // it stands under (as written, escapes kept), its fields' path prefix.
  std::string key;
};

class TicketReader {
 public:
  TicketReader(ByteSource& in, TicketFormat f, size_t max_record) : in_(in), format_(f), max_(max_record) {}
  // The next record; false at the end. Bytes between records (separators,
  // the array brackets, the CSV header) are available through Between()
  // for writers that copy the file through.
  Result<bool> Next(TicketRecord& r);
  // Bytes before the record Next() just returned (since the previous one).
  const std::string& Between() const { return between_; }
  // After the last record: the trailing bytes of the file.
  const std::string& Tail() const { return between_; }
  // CSV: the header field names and the delimiter (after the first Next()).
  const std::vector<std::string>& header() const { return header_; }
  char delimiter() const { return delim_; }
  // The input is a range that starts inside a file (batch, scan --threads):
  // a UTF-8 byte-order mark at its start is not the file's (JSONL).
  void set_inside_file() { file_start_ = false; }

 private:
  Status Fill();
  void TakeRecord(TicketRecord& r, std::string_view pending, size_t begin, size_t end);
  void PassThrough(std::string_view bytes);
  Result<bool> NextJsonl(TicketRecord& r);
  Result<bool> NextJson(TicketRecord& r);
  Result<bool> WrapperValue(TicketRecord& r);
  Result<bool> NextCsv(TicketRecord& r);
  // Length of the CSV record starting at head_, or 0 if incomplete.
  size_t CsvRecordLength(bool& incomplete);
  bool CsvQuoteOpens(std::string_view p, size_t k) const;

  ByteSource& in_;
  TicketFormat format_;
  size_t max_;
  std::string buf_;
  size_t head_ = 0;
  uint64_t offset_ = 0;  // file offset of buf_[head_]
  bool eof_ = false;
  size_t index_ = 0;
  std::string between_;
  bool file_start_ = true;  // JSONL: a UTF-8 BOM here is passed through
  // JSON splitter state.
  bool json_started_ = false, json_done_ = false;
  int element_depth_ = 1;
  // A wrapper object ({"tickets": [...]}): before its list, in it, after it.
  enum Wrapper { kWrapperNone, kWrapperBefore, kWrapperList, kWrapperAfter } wrapper_ = kWrapperNone;
  uint64_t wrapper_list_ = 0;  // file offset of the list's '['
  // CSV.
  bool csv_header_done_ = false;
  char delim_ = ',';
  size_t csv_searched_ = 0;  // CsvRecordLength: bytes past head_ already gone over
  bool csv_quoted_ = false;  // and whether they end inside quotes
  std::vector<std::string> header_;
};

// Splits one CSV record into fields: content ranges (inside quotes, if any)
// relative to the record, and whether each field was quoted.
struct CsvField {
  uint32_t start, end;
  bool quoted;
  // Malformed quoting (RFC 4180; Python's csv with strict=True refuses
  // both): kTrailing, text between a cell's closing quote and the
  // delimiter (`"fnr 1510869"5088`; the field is then the whole cell, raw);
  // kUnclosed, a quote not closed before the record's end (only at the end
  // of the file: a record ends at a newline outside quotes).
  enum Malformed : uint8_t { kWellFormed, kTrailing, kUnclosed } malformed = kWellFormed;
};
// At most `limit` + 1 fields are returned: more than `limit` means the
// record has more (callers refuse it: a vector entry per cell of a 60 MB
// record of empty cells was 360 MB; issue 12 #9).
std::vector<CsvField> SplitCsvRecord(std::string_view rec, char delim, size_t limit = SIZE_MAX - 1);
// A field's text ("" -> "), at most `max` bytes of it (a long cell's head
// is decoded, not the whole cell).
std::string CsvFieldText(std::string_view rec, const CsvField& f, size_t max = SIZE_MAX);
// A CSV header may name at most this many columns (each column's name is
// held); a longer header is an error (kLimit) and the input is not read.
inline constexpr size_t kMaxCsvColumns = 65536;
// And it may be at most this long (each column's name is held, and copied
// per column and per finding: a 30 MB header cell took 475 MB).
inline constexpr size_t kMaxCsvHeaderBytes = 1u << 20;

Result<TicketFormat> ParseTicketFormat(const std::string& name);

}  // namespace nordpii

#endif  // NORDPII_TICKETS_TICKET_SOURCE_H_
