// SPDX-License-Identifier: Apache-2.0
// File: mime.h
//
// MimeTree: the structure of one RFC 5322 / MIME message as byte ranges into
// the raw message, so every part can be decoded for scanning and a redacted
// message can be written back with every untouched header, part and boundary
// byte-identical.
//
// Why not mimetic's parser as the parser of record: mimetic's MimeEntity
// copies each part into a std::string and keeps no offsets, so a faithful
// rewrite is impossible through it; Debian's 0.9.8 headers still carry the
// out-of-bounds reads in parser/itparser.h and codec/base64.h (see
// shared/reference), and its FieldParam parser splits quoted parameter values
// at ';' (boundary="a;b" breaks). mimetic is kept as an independent oracle:
// tests/mail_test.cc compares part trees with it on normalised input (LF
// line ends, ending in a newline), the way the reference recommends.
//
// Limits (MailLimits) are enforced here: nesting depth and part count; the
// caller bounds the message size and decoded bytes. A limit hit keeps the
// remaining structure as an opaque leaf, a note says so, and the tree is
// marked `truncated`: the structure is still rewritten faithfully, but
// what lies below an opaque leaf was not looked at, so scanners must treat
// a truncated tree as not fully scanned (fail closed: MailScanner reports a
// kLimit error, redaction writes nothing, the milter applies on_error).
//
// Parsing is linear in the message size (each line is looked at a bounded
// number of times per nesting level, and depth is bounded). Thread-safe: pure
// function of its input.
#ifndef NORDPII_MAIL_MIME_H_
#define NORDPII_MAIL_MIME_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nordpii {

struct MailLimits {
  size_t max_depth = 32;                      // multipart / message nesting
  size_t max_parts = 1000;                    // entities per message
  size_t max_message_bytes = 64u << 20;       // larger messages are reported, not parsed
  size_t max_decoded_bytes = 256u << 20;      // decoded text per message, all parts
  bool ocr = false;                           // image attachments are documents (OCR)
  // --not-read error (milter: [limits] not_read = "error"): content that is
  // not read — an image or a scanned PDF page while OCR is off, a binary
  // part with no text at all, an encrypted part (S/MIME enveloped data,
  // PGP/MIME) — makes the message incomplete (scan / redact exit 2, the
  // milter's on_error) instead of a note. Off: a note, as before.
  bool not_read_error = false;
  // A quoted-printable or base64 UTF-8 text part (not HTML) whose encoded
  // body is larger is decoded and scanned a range at a time
  // (TransferStream), not held decoded; same findings and redaction. A CSV
  // attachment too: its cells are cut from the decoded ranges as they come
  // (a cell may span ranges); a cell longer than `csv_window` decoded bytes
  // is scanned as a stream itself (issue 12 #9).
  size_t stream_part_bytes = 4u << 20;
  size_t stream_range = 256u << 10;  // encoded bytes decoded per step (tests use a few)
  size_t csv_window = 1u << 20;      // see above (tests use a few bytes)
  // An HTML part is converted to text whole (Gumbo builds a tree: ~8 bytes
  // of memory per byte): a part whose decoded HTML is larger is not scanned
  // and makes the message incomplete (scan / redact exit 2, the milter
  // on_error), so one message stays under ~128 MB (issue 12 #9).
  size_t max_html_part_bytes = 8u << 20;
  // Header fields kept per part (each ~48 bytes and its share of the
  // vector's growth: 60 MB of short header lines held 151 MB): past it the
  // rest of the header block is not scanned and the message is incomplete.
  size_t max_header_fields = 10000;
  // One header field's bytes, folded lines included (Postfix cuts a header
  // at 100 KiB, header_size_limit): a longer field is not scanned and the
  // message is incomplete (unfolding and decoding it cost several times its
  // size).
  size_t max_header_bytes = 1u << 20;
};

struct HeaderField {
  std::string name;        // as written, e.g. "Subject"
  uint32_t start = 0;      // first byte of the field (its name)
  uint32_t value = 0;      // first byte after "name:"
  uint32_t end = 0;        // end of the value, before the final line break
  uint32_t next = 0;       // first byte after the final line break
};

struct MimeEntity {
  std::string path;        // IMAP-style part number; "" for the top message
  int depth = 0;
  bool message_root = false;  // the top message or one inside message/rfc822
  uint32_t start = 0;         // first header byte
  uint32_t body = 0;          // first body byte
  uint32_t end = 0;           // end of the entity (before the delimiter's line break)
  std::vector<HeaderField> headers;
  // From the headers, lower-cased; defaults per RFC 2045 (text/plain,
  // us-ascii, 7bit; message/rfc822 digest default inside multipart/digest).
  std::string type = "text", subtype = "plain";
  std::string charset, encoding = "7bit", boundary;
  std::string disposition;  // "inline" | "attachment" | ""
  std::string filename;     // Content-Disposition filename / Content-Type name (RFC 2231/2047 decoded)
  std::vector<size_t> children;  // indexes into MimeTree::entities
  bool opaque = false;      // not parsed further (limit hit); scanned as a leaf if text-like
  // A multipart's preamble [body, preamble_end) (before the first delimiter
  // line and its line break) and epilogue [epilogue, end) (after the closing
  // delimiter line); empty ranges when there are none. Mail clients do not
  // show them but they are text anyone can put there: they are scanned.
  uint32_t preamble_end = 0;
  uint32_t epilogue = 0;

  bool multipart() const { return type == "multipart" && !boundary.empty() && !opaque; }
  bool message() const { return type == "message" && subtype == "rfc822" && !opaque; }
  // The part number of this entity's body for reports ("1" for a single-part
  // top message, "2.1" for the body of a single-part message in part 2).
  std::string body_path() const;
  const HeaderField* Find(std::string_view name) const;
};

struct MimeTree {
  std::string_view raw;                 // the message (not owned)
  std::vector<MimeEntity> entities;     // entities[0] is the top message
  std::vector<std::string> notes;       // limits hit, structural defects; no content
  std::string eol = "\n";               // line ending the message uses ("\r\n" or "\n")
  bool truncated = false;               // a limit (depth, part count, size) left structure unparsed
};

// Parses `raw` (one message, without an mbox "From " line). Never fails: a
// malformed message gives the best structure it has (a header block ending
// at the first line that is not a header, a multipart without a closing
// delimiter running to the end of its parent; a multipart whose body holds
// no delimiter line at all is read as text/plain, as mail clients show it).
MimeTree ParseMime(std::string_view raw, const MailLimits& limits);
// The top message's header block alone: an entity whose headers, start, body
// and end are those of ParseMime(raw, limits).entities[0] (the rest is left
// at its defaults: the Content-Type is not read, the body not split). For
// callers that only read header fields (Message-ID, Date, Subject): parsing
// the whole message for them searched each message's body for boundaries
// twice (issue 14).
MimeEntity ParseTopHeaders(std::string_view raw, const MailLimits& limits);

// Header helpers (exposed for tests).
// Unfolds a raw header value (drops CRLF/LF before continuation whitespace).
std::string UnfoldHeader(std::string_view value);
struct HeaderParams {
  std::string value;  // the part before the first ';', trimmed, lower-cased
  std::vector<std::pair<std::string, std::string>> params;  // names lower-cased, values unquoted
  std::string Get(std::string_view name) const;  // RFC 2231 continuations and charsets joined
};
// Parses "type/sub; a=b; c=\"d;e\"; f*0*=utf-8''%C3%A5; f*1=x" (RFC 2045 + 2231).
HeaderParams ParseParams(std::string_view unfolded);

}  // namespace nordpii

#endif  // NORDPII_MAIL_MIME_H_
