// SPDX-License-Identifier: Apache-2.0
// File: json_string_stream.h
//
// JsonStringStream: the content of one long JSON string value (between the
// quotes, escapes still in it) decoded a range at a time, as a ByteSource
// the scanner streams (issue 12 #9: a 60 MB ticket description was held
// decoded, with a 16-byte map piece per escape, beside the record). Same
// bytes as the whole-string decoder in ticket_scanner.cc (same escape rules:
// JsonEscape), and Start / End give the same offsets for any decoded offset.
// The map is kept in pieces per range: only where each decoded range starts
// (decoded and raw offset, 16 bytes a range) is remembered; when a finding
// is mapped, the escapes of the range(s) it lies in are found again from the
// raw bytes (8 bytes each, at most 4 ranges held), so memory is bounded by
// the range, not the string (before: the escapes of the newest ~3 MiB were
// held, 8 bytes each, and an escape-dense 60 MB string took 110-400 MB).
// The same stream reads a long CSV cell (issue 12 #9, CSV): Escapes::kCsv
// (a quoted cell's content: "" is one '"', the rules of DecodeCsvField in
// ticket_scanner.cc) or Escapes::kNone (an unquoted cell: its bytes as
// they are).
// `content` must outlive the stream.
#ifndef NORDPII_TICKETS_JSON_STRING_STREAM_H_
#define NORDPII_TICKETS_JSON_STRING_STREAM_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "input/byte_source.h"

namespace nordpii {

// The escape at content[i] (a backslash) of a string `n` bytes long: writes
// its decoded bytes to out (at most 4) and returns how many raw bytes it
// takes; `out_len` gets the decoded length (always >= 1).
size_t JsonEscape(const char* content, size_t i, size_t n, char* out, size_t& out_len);

// Whether every escape of JSON string `content` (between the quotes) is one
// RFC 8259 allows (\" \\ \/ \b \f \n \r \t \uXXXX). A record with any other
// (\u00ZZ, \x41, a \u cut short) is not valid JSON: an error, never text
// read in a way another JSON reader would not read it (JsonEscape's
// fallbacks are for content already checked). A lone UTF-16 surrogate
// (\ud83d without its low half: an emoji cut by a truncating exporter) is
// valid JSON and read as U+FFFD (review18: it failed whole exports; keys
// with one are still refused by simdjson).
bool ValidJsonEscapes(std::string_view content);

// How a streamed string's content is written: a JSON string's (backslash
// escapes), a quoted CSV cell's ("" for '"') or as it is (an unquoted cell).
enum class Escapes { kJson, kCsv, kNone };

class JsonStringStream final : public ByteSource {
 public:
  static constexpr size_t kRange = 256 << 10;
  // `range`: raw bytes decoded per step (tests: a few); `keep` is unused
  // (every offset stays mappable), kept for the callers' signature.
  explicit JsonStringStream(std::string_view content, size_t keep = 4u << 20, size_t range = kRange,
                            Escapes escapes = Escapes::kJson);
  Result<size_t> Read(char* buf, size_t n) override;
  const std::string& name() const override;
  // Decoded [a, b) -> raw [start, end) in content (an end or start inside an
  // escape snaps to the escape's raw bytes), for any a, b decoded so far.
  uint64_t Start(uint64_t a) const;
  uint64_t End(uint64_t b) const;
  uint64_t mapped_from() const { return 0; }
  size_t escapes_held() const { return esc_.size(); }

 private:
  struct Esc {
    uint32_t dst, src;  // decoded and raw offset of the escape
  };
  struct Mark {
    uint64_t dst, src;  // where a decoded range starts
  };
  static constexpr size_t kMaxHeld = 4;  // ranges whose escapes are held at once
  bool Decode();
  // Decodes raw [from, to) (escapes whole) into buf_ (when `out`) and, when
  // `esc`, records the escapes, their decoded offsets from `dst`; returns
  // where it stopped.
  size_t DecodeRange(size_t from, size_t to, uint64_t dst, std::string* out, std::vector<Esc>* esc) const;
  // The range holding decoded offset d (the last that starts at or before d).
  size_t RangeOf(uint64_t d) const;
  // Makes esc_ hold the escapes of ranges [k0, k1].
  void Hold(size_t k0, size_t k1) const;
  // Raw end and decoded end of the escape e.
  void Ends(const Esc& e, uint64_t& dst_end, uint64_t& src_end) const;

  // The escape at in_[i]: its decoded bytes into out, its raw length.
  size_t Escape(size_t i, char* out, size_t& out_len) const;

  std::string_view in_;
  size_t range_;
  Escapes escapes_;
  size_t pos_ = 0;          // next raw byte to decode
  uint64_t produced_ = 0;   // decoded bytes so far (buf_ included)
  std::string buf_;         // the last range decoded
  size_t off_ = 0;          // read position in buf_
  std::vector<Mark> marks_;  // one per range decoded
  // The escapes of ranges [held0_, held1_] (none when held1_ < held0_), and
  // raw minus decoded offset at the start of range held0_.
  mutable std::vector<Esc> esc_;
  mutable size_t held0_ = 1, held1_ = 0;
  mutable int64_t anchor_ = 0;
};

}  // namespace nordpii

#endif  // NORDPII_TICKETS_JSON_STRING_STREAM_H_
