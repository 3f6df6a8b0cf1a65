// SPDX-License-Identifier: Apache-2.0
// File: mail_encode.h
//
// Encoders for writing a redacted part or header back in the form it came
// in: quoted-printable and base64 bodies (lines at most 76 characters, the
// message's own line ending), RFC 2047 header values, and UTF-8 back to a
// part's charset (ICU). Own code: they are the inverses of our decoders in
// normalize/transfer_decode.h and must honour the message's line ending and
// mbox safety ("From " never starts a quoted-printable line), which
// mimetic's encoders do not offer. Pure and thread-safe.
#ifndef NORDPII_MAIL_MAIL_ENCODE_H_
#define NORDPII_MAIL_MAIL_ENCODE_H_

#include <string>
#include <string_view>
#include <vector>

namespace nordpii {

// Hard line breaks in `in` (LF or CRLF) are written as `eol`; lines are
// soft-broken before 76 characters; trailing spaces, '=', 8-bit and control
// bytes are escaped, and so is an 'F' or '.' starting a line.
std::string EncodeQuotedPrintable(std::string_view in, std::string_view eol);
// Base64 in lines of 76 characters joined by `eol` (no final line break).
std::string EncodeBase64(std::string_view in, std::string_view eol);
// A header field "Name: value" (without the final line break) folded at
// whitespace before 78 characters where possible; a value with non-ASCII
// bytes becomes RFC 2047 UTF-8 "B" encoded words of at most 75 characters.
std::string EncodeHeaderField(std::string_view name, std::string_view utf8_value, std::string_view eol);
// UTF-8 text in a charset (ICU). ASCII-compatible charsets need no
// conversion for the ASCII replacements we write; this is for UTF-16/32.
std::string FromUtf8(std::string_view utf8, std::string_view charset);
// True when ASCII text is written as ASCII bytes in the charset.
bool AsciiCompatible(std::string_view charset);
// Whether text put at a byte offset of a part in `charset` depends on the
// bytes before it (a stateful charset): kNone (no: a replacement goes in as
// it is, or FromUtf8'd), kIso2022Jp (ISO-2022-JP and its variants: the
// replacement goes in between ESC ( B and the state put back, tracked by
// Iso2022JpState), kOther (ISO-2022-KR/CN, HZ, UTF-7, SCSU, BOCU-1,
// stateful EBCDIC, ISCII: no replacement can be put in place; the part is
// not redacted, an error). A label ICU does not know is kNone (read as
// windows-1252).
enum class CharsetState { kNone, kIso2022Jp, kOther };
CharsetState StatefulCharset(std::string_view charset);

// The shift state of ISO-2022-JP bytes fed in order, as ICU reads them: the
// G0 designation in force (ESC ( B is ASCII; a CR or LF resets any but
// JIS X 0201 Roman, ESC ( J, to ASCII) and an escape sequence cut short.
struct Iso2022JpState {
  std::string g0;       // the last G0 designation ("": ASCII)
  std::string partial;  // an escape sequence not finished (at most 4 bytes kept)
  void Feed(std::string_view bytes);
  // What to write so that ASCII text follows: ESC ( B unless in ASCII.
  std::string ToAscii() const { return g0.empty() ? std::string() : std::string("\x1b(B", 3); }
  // What to write after ASCII text to put this state back.
  std::string Restore() const { return g0; }
};

// The label a UTF-16/32 part is read and written back as: ICU reads a
// "utf-16" / "utf-32" label (and its aliases: unicode, ucs-2, ucs-4, …) in
// the byte order of its BOM, so a little-endian BOM (`first`: the part's
// first bytes) makes it "utf-16le" / "utf-32le"; other labels unchanged.
std::string ByteOrderLabel(std::string_view charset, std::string_view first);

// The parameter values of a MIME header value ("type/sub; a=b;
// c=\"d;e\"; f*=utf-8''%C3%A5"), as byte ranges of the raw (possibly
// folded) value: a quoted-string without its quotes, a token, or an RFC
// 2231 extended value (the parameter name ends in '*').
struct ParamValue {
  size_t start = 0, end = 0;
  enum Kind { kToken, kQuoted, kExtended } kind = kToken;
  size_t name_start = 0, name_end = 0;  // the parameter's name
  size_t full_end = 0;                  // past the value and its closing quote
};
std::vector<ParamValue> ParamValues(std::string_view raw);
// Bytes written inside an RFC 2231 extended value: every byte that is not
// an attribute-char (RFC 2231 section 7, RFC 5987 section 3.2.1: ALPHA
// DIGIT and !#$&+-.^_`|~) becomes %XX.
std::string PercentEncodeAttr(std::string_view bytes);
// A quoted-string ("..." with '"' and '\\' escaped).
std::string QuoteParam(std::string_view s);

}  // namespace nordpii

#endif  // NORDPII_MAIL_MAIL_ENCODE_H_
