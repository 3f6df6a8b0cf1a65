// SPDX-License-Identifier: Apache-2.0
// File: mail_scanner.h
//
// MailScanner: runs the text engine over every scannable piece of one MIME
// message — free-text headers (RFC 2047 decoded) and text-like leaf parts
// (transfer-decoded, charset-converted to UTF-8, HTML reduced to its visible
// text) — and maps each finding back to the raw message bytes:
//
//   raw part --transfer decode--> bytes --charset--> UTF-8 --HTML text--> text
//        ^-------------------- OffsetMaps back ----------------------|
//
// Redact() writes the message back with only the parts and headers that
// have findings changed: a changed body is re-encoded with its original
// transfer encoding and charset (QP/base64 lines <= 76), a changed encoded
// header is re-encoded with RFC 2047, tags inside a replaced HTML range are
// kept so the HTML stays well-formed; everything else is copied byte for byte
// and a message with nothing to redact comes out byte-identical. A redacted
// message gets an "X-Nordpii: redacted=N; types=a,b" header (no values).
// X-Nordpii / X-Nordpii-Verdict headers that came with the message are
// untrusted input: scanned and redacted like any header; with
// set_remove_forged_headers(true) (the redact command) they are removed from
// a message that gets our own header (a forged claim must not stand beside
// it). The milter leaves that off: it deletes them itself (DropForged) and
// diffs headers by position.
//
// One MailScanner per thread (it borrows the thread's ScanContext).
#ifndef NORDPII_MAIL_MAIL_SCANNER_H_
#define NORDPII_MAIL_MAIL_SCANNER_H_

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "mail/mime.h"
#include "output/redactor.h"
#include "pipeline/scanner.h"

namespace nordpii {

struct ExtractLimits;  // extract/extractor.h

struct RedactSummary {
  size_t redacted = 0;
  size_t attachments_replaced = 0;  // document attachments replaced by a notice
  std::set<std::string> types;
  bool incomplete = false;  // a limit left some part unscanned (see notes)
  std::vector<std::string> notes;
};

// Name of the header added to redacted messages.
inline constexpr std::string_view kNordpiiHeader = "X-Nordpii";

// The end of the note for a part that is encrypted, which nothing can read
// (the key is the recipient's): an S/MIME part of enveloped data
// (application/pkcs7-mime; smime-type=enveloped-data, or its DER) and the
// encrypted data of a multipart/encrypted (PGP/MIME). "part 2: S/MIME
// encrypted part not read: encrypted, only its recipient can read it". A
// note by default (its printable runs or text are still scanned as before);
// with MailLimits::not_read_error the message is incomplete. The milter lists
// such parts as "2:encrypted".
inline constexpr std::string_view kEncryptedNotReadNote = "not read: encrypted, only its recipient can read it";
// The end of the note, only with MailLimits::not_read_error, for a binary
// part with no printable text at all (by default it is listed as an
// attachment not scanned): "part 2: binary attachment not read: no text in
// it". The milter lists it as "2:binary".
inline constexpr std::string_view kBinaryNotReadNote = "not read: no text in it";

class MailScanner {
 public:
  MailScanner(ScanContext& ctx, MailLimits limits = {}) : ctx_(ctx), limits_(limits) {}

  // Scans one message. Findings carry part/field/part_offset; start/end are
  // offsets in `msg` plus `base_offset` (the message's place in an mbox),
  // line numbers count from `base_line`. A limit or the deadline that left
  // part of the message unscanned gives a kLimit error (after reporting
  // everything that was scanned).
  Status Scan(std::string_view msg, uint64_t base_offset, uint64_t base_line, const FindingFilter& filter,
              StreamSink& sink);
  // Writes the redacted message to `out`. Memory: the message, its largest
  // decoded part and `out` (findings and edits are streamed, not kept).
  Status Redact(std::string_view msg, const FindingFilter& filter, RedactStyle style, std::string& out,
                RedactSummary& summary);
  // The same, written through `write` in pieces. A message larger than
  // kRedactInMemoryBytes is redacted in two passes (the first counts for the
  // X-Nordpii header, the second streams), so the output is never held in
  // memory. An incomplete summary means the output must be discarded (the
  // first pass writes nothing; a deadline in the second may leave a part).
  using Write = std::function<Status(std::string_view)>;
  Status Redact(std::string_view msg, const FindingFilter& filter, RedactStyle style, const Write& write,
                RedactSummary& summary);
  static constexpr size_t kRedactInMemoryBytes = 4u << 20;

  // Scanning stops (the summary is incomplete / the scan fails) once this
  // time has passed; checked per part and per 1 MiB of text. Default: none.
  void set_deadline(std::chrono::steady_clock::time_point d) { deadline_ = d; }
  void set_remove_forged_headers(bool on) { remove_forged_ = on; }

  // The Message-ID of a message (without <>), or "".
  static std::string MessageId(std::string_view msg);

 private:
  struct Unit;
  bool ExtractAttachment(const MimeEntity& e, std::string_view body, Unit& u, size_t& decoded_total,
                         std::vector<std::string>& notes, bool& incomplete);
  // uuencoded blocks in a text unit's UTF-8 (or the whole of an x-uuencode
  // part): each decoded and read as a file (text, document, printable runs)
  // into u.legacy, one atomic map piece per block; false when there is none.
  bool SpliceUuBlocks(Unit& u, bool cte, size_t& decoded_total, std::vector<std::string>& notes, bool& incomplete);
  // The extractor's limits with what is left of the deadline.
  ExtractLimits ExtractLimitsNow() const;
  // Scans every unit of a message; the handler gets Begin(tree, unit) before
  // a unit is scanned (attachments: listed only), Found(unit, finding) for
  // each finding as the engine produces it (offsets in unit.text; false
  // stops) and End(unit, scanned) after it.
  template <class Handler>
  void Walk(std::string_view msg, const FindingFilter& filter, std::vector<std::string>& notes, bool& incomplete,
            Handler& h);
  Status RedactPass(std::string_view msg, const FindingFilter& filter, RedactStyle style, const Write& write,
                    const std::function<Status(std::string_view eol)>& header_point, RedactSummary& summary);

  ScanContext& ctx_;
  MailLimits limits_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::string scratch_;  // a small message's redacted copy (Redact to a Write)
  // RedactPass removes the top message's X-Nordpii / X-Nordpii-Verdict
  // headers that came with it (set when the message gets our own header).
  bool drop_forged_ = false;
  bool remove_forged_ = false;
  // With not_read_error: the note SpliceUuBlocks made the reason the
  // message is incomplete (a uuencoded image, scanned pages, a binary file
  // with no text), for Walk to quote; SIZE_MAX when none.
  size_t uu_not_read_ = SIZE_MAX;
};

namespace internal {
// How a header field name is treated (exposed for tests): bit 0 scanned, 1
// carries MIME parameters, 2 an address header, 4 our own X-Nordpii header.
unsigned HeaderClass(std::string_view name);
}  // namespace internal

// True for parts we scan as text (text/*, JSON/XML/CSV, message/* reports,
// and .txt/.csv/.json/.xml/.html/... attachments typed octet-stream).
bool TextLikePart(const MimeEntity& e);

}  // namespace nordpii

#endif  // NORDPII_MAIL_MAIL_SCANNER_H_
