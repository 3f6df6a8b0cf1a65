// SPDX-License-Identifier: Apache-2.0
// File: json_string_stream.h
//
// JsonStringStream: the content of one long JSON string value (between the
// quotes, escapes still in it) decoded a range at a time, as a ByteSource
// the scanner streams (issue 12 #9: a 60 MB ticket description was held
// decoded, with a 16-byte map piece per escape, beside the record). Same
// bytes as the whole-string decoder in ticket_scanner.cc (same escape rules:
// JsonEscape), and Map gives the same offsets, for decoded offsets at or
// after mapped_from(): only the escapes of the newest `keep` decoded bytes
// are remembered, 8 bytes each (their decoded and raw starts; an escape's
// lengths are read again from the raw bytes when a lookup needs them).
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

class JsonStringStream final : public ByteSource {
 public:
  static constexpr size_t kRange = 256 << 10;
  // `keep`: decoded bytes behind the newest ones whose offsets stay mappable
  // (the scanner's findings lie within its chunk and overlap of the newest
  // bytes it read); `range`: raw bytes decoded per step (tests: a few).
  explicit JsonStringStream(std::string_view content, size_t keep = 4u << 20, size_t range = kRange);
  Result<size_t> Read(char* buf, size_t n) override;
  const std::string& name() const override;
  // Decoded [a, b) -> raw [start, end) in content (an end or start inside an
  // escape snaps to the escape's raw bytes). Exact for a >= mapped_from().
  uint64_t Start(uint64_t a) const;
  uint64_t End(uint64_t b) const;
  uint64_t mapped_from() const { return mapped_from_; }
  size_t escapes_held() const { return esc_.size(); }

 private:
  struct Esc {
    uint32_t dst, src;  // decoded and raw offset of the escape
  };
  bool Decode();
  void Prune();
  // Raw end and decoded end of the escape e.
  void Ends(const Esc& e, uint64_t& dst_end, uint64_t& src_end) const;

  std::string_view in_;
  size_t keep_, range_;
  size_t pos_ = 0;          // next raw byte to decode
  uint64_t produced_ = 0;   // decoded bytes so far (buf_ included)
  std::string buf_;         // the last range decoded
  size_t off_ = 0;          // read position in buf_
  std::vector<Esc> esc_;    // escapes, in order; older ones pruned
  int64_t anchor_ = 0;      // raw minus decoded offset before esc_.front() (after the pruned ones)
  uint64_t mapped_from_ = 0;
};

}  // namespace nordpii

#endif  // NORDPII_TICKETS_JSON_STRING_STREAM_H_
