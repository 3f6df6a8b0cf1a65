// SPDX-License-Identifier: Apache-2.0
// File: csv_delimiter.h
//
// The delimiter of a CSV text, sniffed from its header: the most frequent of
// ',' ';' and tab in the first record. One rule for the ticket reader (fed
// its header record) and the mail scanner's CSV attachments (fed the decoded
// part as it comes, in ranges of any size): the two were written apart and
// each had its own mistakes (review20: a semicolon file whose header holds
// commas in quoted names, `"Navn, fullt";"Notat"`, was read with ','; the
// mail copy stopped at a line break inside a quoted header cell).
#ifndef NORDPII_CORE_CSV_DELIMITER_H_
#define NORDPII_CORE_CSV_DELIMITER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nordpii {

// Counts the delimiters of a CSV text's first record, fed in pieces (Add).
// The rules (RFC 4180 as the ticket reader and Python's csv read it):
// - only delimiters outside quoted cells count;
// - a quote opens a quoted cell only at a cell's start: the text's start,
//   right after a whole UTF-8 byte-order mark there, or after ',' ';' or tab
//   outside quotes (any of the three: the delimiter is not known yet); a
//   quote inside an unquoted cell (`5" screen`) is a character of the cell;
// - inside a quoted cell, "" is one quote (the cell goes on);
// - the record ends at a '\n' outside quotes (a quoted cell may hold line
//   breaks); without one, at the end of the text.
// The state carries over between Add calls, so the bytes may be cut anywhere
// (inside a BOM, between the two quotes of ""). Copyable; not thread-safe.
class CsvDelimiterSniffer {
 public:
  // Feeds the next bytes of the text. Returns true once the first record
  // has ended (here or in an earlier call); its bytes after that are not
  // looked at.
  bool Add(std::string_view bytes);
  bool done() const { return done_; }
  // The most frequent of ',' ';' and '\t' so far, in that order of
  // preference on ties; ',' when there is none.
  char delimiter() const;

 private:
  size_t commas_ = 0, semicolons_ = 0, tabs_ = 0;
  uint8_t bom_ = 0;           // bytes of a leading BOM matched (3: past it, or none)
  bool cell_start_ = true;    // the next byte starts a cell
  bool quoted_ = false;       // inside a quoted cell
  bool after_quote_ = false;  // right after a quote that closed a cell (or the first of "")
  bool done_ = false;
};

}  // namespace nordpii

#endif  // NORDPII_CORE_CSV_DELIMITER_H_
