// SPDX-License-Identifier: Apache-2.0
// File: legacy_text.h
//
// Two old ways text hides a value from a byte-level scan, undone at the
// decode/normalise stage with an offset map back to the original bytes:
//
//  - uuencode: `begin <mode> <name>` … `end` blocks that old mail clients and
//    some ticket systems put inside a text body (or send as a part with
//    Content-Transfer-Encoding x-uuencode / uuencode / x-uue). FindUuBlocks
//    finds and decodes them strictly: the mode is 3 octal digits, every data
//    line is well-formed by its length character (characters 0x20..0x60, as
//    many as the length needs, one check character more allowed, trailing
//    blanks that a mail system stripped read as zero bits). A begin line not
//    followed by one well-formed data line (or by the empty file's "`" and
//    "end") is not a block: the text is scanned as it is. A block whose data
//    lines stop without an `end` line (cut short, or a malformed line in the
//    middle) is decoded up to its last well-formed line and marked !ended:
//    callers must not pass it silently (the mail scanner makes the message
//    incomplete).
//  - iCalendar (RFC 5545) / vCard (RFC 6350) line folding: a content line
//    longer than 75 octets is cut by CRLF (or LF) and one space or tab.
//    UnfoldContentLines removes each fold (one deleted piece of the map, so a
//    finding across a fold maps to the raw bytes including it), and
//    RefoldReplacement writes a replacement back with the folds inside the
//    replaced range kept where they were (the output stays valid folded
//    text; a replacement as long as the value keeps every line's length).
//
// Own code (a few dozen lines each; no Debian library keeps offsets). Pure
// functions; thread-safe. Linear in the input.
#ifndef NORDPII_NORMALIZE_LEGACY_TEXT_H_
#define NORDPII_NORMALIZE_LEGACY_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

#include "normalize/transfer_decode.h"

namespace nordpii {

// Content-Transfer-Encoding values that mean uuencode ("x-uuencode",
// "uuencode", "x-uue", "x-uu"; lower-cased by the MIME parser).
bool UuTransferEncoding(std::string_view cte);

struct UuBlock {
  size_t start = 0;  // first byte of the begin line
  size_t end = 0;    // end of the `end` line (before its line break); !ended: of the last data line
  std::string name;  // file name from the begin line (may be empty)
  std::string bytes;  // the decoded file
  bool ended = false;  // closed by an `end` line
};
// A begin line that was not followed by a well-formed block (not decoded;
// the caller scans it as text and may note it).
struct UuMalformed {
  size_t start = 0;
};

// Cheap test: a line starting with "begin " somewhere in `text` (no block
// can be there otherwise).
bool MayHoldUuBlock(std::string_view text);
// The uuencoded blocks of `text`, in order, not overlapping. `malformed`
// (optional) gets the begin lines that start no block.
std::vector<UuBlock> FindUuBlocks(std::string_view text, std::vector<UuMalformed>* malformed = nullptr);

// Removes each fold (CRLF or LF followed by one SP or HT) from `in`, and in
// a quoted-printable property (vCard 2.1 / vCalendar 1.0 ENCODING=
// QUOTED-PRINTABLE) each soft line break ('=' before CRLF or LF); the map
// has one deleted piece per fold or soft break. Its =XX escapes are kept as
// they are. Notes stay empty.
Decoded UnfoldContentLines(std::string_view in);
// `rep` written in place of the unfolded range [start, end) of text
// unfolded from `source` by `unfold`: the folds strictly inside the range
// are put back, each at its offset in the value (clamped to rep's length),
// with its own bytes from `source`.
std::string RefoldReplacement(std::string_view rep, uint32_t start, uint32_t end, const OffsetMap& unfold,
                              std::string_view source);
// RFC 3676 format=flowed text (text/plain; format=flowed, what Thunderbird
// and other clients send by default): a line ending in a space — not the
// signature separator "-- " — is continued by the next line of the same
// quote depth. Removes each such soft line break as one deleted piece of the
// map: the line break, the next line's quote marks and its stuffing space,
// and with `delsp` (DelSp=yes) the trailing space as well. An id the client
// wrapped at its space ("070761 ⏎4285") is then read as one value.
// Redaction replaces the mapped-back range whole (the joined lines stay
// valid flowed text). Identity when there is no soft break.
Decoded UnflowText(std::string_view in, bool delsp);
// True for iCalendar / vCard text: a name ending in .ics, .ifb, .vcs or
// .vcf (any case), or a first line (after a UTF-8 BOM and blank lines)
// BEGIN:VCALENDAR or BEGIN:VCARD (any case).
bool ContentLinesText(std::string_view name, std::string_view head);

}  // namespace nordpii

#endif  // NORDPII_NORMALIZE_LEGACY_TEXT_H_
