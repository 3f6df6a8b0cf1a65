// SPDX-License-Identifier: Apache-2.0
// File: mail_meta.h
//
// What a report says about one message besides its findings: its date (for
// the retention audit and the month counts) and its subject (masked before
// it is shown). The date is the Date header; a message without a usable one
// gets the newest Received date, then the file's modification time, and the
// report says which source gave it ("date", "received", "mtime"), so an
// auditor can tell a sender's claim from a server's stamp or a copy's age.
#ifndef NORDPII_BATCH_MAIL_META_H_
#define NORDPII_BATCH_MAIL_META_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace nordpii {

struct MessageMeta {
  std::string date;         // "YYYY-MM-DD" in UTC, or "" when no source gave one
  std::string date_source;  // "date" | "received" | "mtime" | ""
  std::string subject;      // unfolded, RFC 2047 decoded, control characters as spaces,
                            // at most 200 bytes; RAW: show only through IdentifierMasker
};

// Reads the header block of `msg`. `mtime` is the file's modification time
// (seconds since the epoch; < 0: none).
MessageMeta ReadMessageMeta(std::string_view msg, int64_t mtime);

// Parses an RFC 5322 date-time ("Tue, 1 Jul 2003 10:52:37 +0200", also the
// obsolete forms: no weekday, 2-digit years, zone names such as GMT, EST,
// CET, no seconds) to the UTC calendar date. False for anything else.
bool ParseMailDate(std::string_view v, int& year, int& month, int& day);

// "YYYY-MM-DD" (UTC) of a time in seconds since the epoch.
std::string UtcDate(int64_t seconds);

}  // namespace nordpii

#endif  // NORDPII_BATCH_MAIL_META_H_
