// SPDX-License-Identifier: Apache-2.0
#include "input/utf16.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/utf8.h"

namespace nordpii {

namespace {

void PutUnit(uint32_t u, bool be, std::string& out) {
  char a = static_cast<char>(u & 0xFF), b = static_cast<char>(u >> 8);
  if (be) std::swap(a, b);
  out += a;
  out += b;
}

}  // namespace

Utf16Kind SniffUtf16(std::string_view h) {
  Utf16Kind k;
  if (h.size() >= 2 && static_cast<unsigned char>(h[0]) == 0xFF && static_cast<unsigned char>(h[1]) == 0xFE) {
    k.utf16 = k.bom = true;
    return k;
  }
  if (h.size() >= 2 && static_cast<unsigned char>(h[0]) == 0xFE && static_cast<unsigned char>(h[1]) == 0xFF) {
    k.utf16 = k.bom = k.big_endian = true;
    return k;
  }
  size_t units = std::min<size_t>(h.size(), 4096) / 2, zero_hi = 0, zero_lo = 0;
  if (units < 4) return k;
  for (size_t i = 0; i < units; ++i) {
    zero_lo += h[2 * i] == 0;
    zero_hi += h[2 * i + 1] == 0;
  }
  if (zero_hi * 10 >= units * 9 && zero_lo == 0) k.utf16 = true;  // little-endian ASCII
  if (zero_lo * 10 >= units * 9 && zero_hi == 0) k.utf16 = k.big_endian = true;
  return k;
}

void Utf16ToUtf8(std::string_view in, bool be, std::string& out) {
  out.reserve(out.size() + in.size() / 2 + in.size() / 8);
  auto unit = [&](size_t i) {
    auto a = static_cast<unsigned char>(in[i]), b = static_cast<unsigned char>(in[i + 1]);
    return be ? static_cast<uint32_t>(a << 8 | b) : static_cast<uint32_t>(b << 8 | a);
  };
  size_t i = 0;
  for (; i + 1 < in.size(); i += 2) {
    uint32_t u = unit(i);
    if (u >= 0xD800 && u < 0xDC00 && i + 3 < in.size()) {
      uint32_t lo = unit(i + 2);
      if (lo >= 0xDC00 && lo < 0xE000) {
        AppendUtf8(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00), out);
        i += 2;
        continue;
      }
    }
    AppendUtf8(u >= 0xD800 && u < 0xE000 ? 0xFFFD : u, out);
  }
  if (i < in.size()) AppendUtf8(0xFFFD, out);  // an odd last byte
}

void Utf8ToUtf16(std::string_view in, bool be, std::string& out, std::string& carry) {
  std::string joined;
  if (!carry.empty()) {
    joined = carry + std::string(in);
    in = joined;
    carry.clear();
  }
  size_t i = 0;
  const size_t n = in.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(in[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0) {  // a stray continuation or invalid lead byte
      PutUnit(0xFFFD, be, out);
      ++i;
      continue;
    }
    if (i + len > n) {  // cut: the rest comes with the next piece
      carry.assign(in.substr(i));
      return;
    }
    uint32_t cp = len == 1 ? c : c & (0xFF >> (len + 1));
    bool ok = true;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(in[i + k]);
      ok = ok && (cc & 0xC0) == 0x80;
      cp = cp << 6 | (cc & 0x3F);
    }
    if (!ok) {
      PutUnit(0xFFFD, be, out);
      ++i;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      PutUnit(0xD800 + (cp >> 10), be, out);
      PutUnit(0xDC00 + (cp & 0x3FF), be, out);
    } else {
      PutUnit(cp, be, out);
    }
    i += len;
  }
}

uint64_t Utf16Offsets::Map(uint64_t d) {
  if (d < at8_) at8_ = at16_ = 0;
  while (at8_ < d && at8_ < text_.size()) {
    auto c = static_cast<unsigned char>(text_[at8_]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    at8_ += len;
    at16_ += len == 4 ? 4 : 2;
  }
  return base_ + at16_;
}

Utf16Source::Utf16Source(std::unique_ptr<ByteSource> in, Utf16Kind kind, size_t keep)
    : in_(std::move(in)), kind_(kind), keep_(keep) {
  // The kept text, what one read adds, and room so it never reallocates.
  hist_.reserve(keep_ + (2u << 20));
}

namespace {
// Bytes of the UTF-8 character led by c; 1 for a stray byte (never made by
// Utf16ToUtf8, which writes valid UTF-8 only).
inline size_t Utf8Len(unsigned char c) { return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4; }
}  // namespace

Status Utf16Source::Fill() {
  constexpr size_t kRead = 256 << 10;
  const size_t have = raw_pending_.size();
  raw_pending_.resize(have + kRead);
  auto r = in_->Read(raw_pending_.data() + have, kRead);
  if (!r) {
    raw_pending_.resize(have);
    return r.error();
  }
  raw_pending_.resize(have + *r);
  raw_ += *r;
  if (*r == 0) eof_ = true;
  size_t from = 0;
  if (!bom_skipped_) {
    if (kind_.bom) {
      if (raw_pending_.size() < 2 && !eof_) return Status::Ok();
      from = std::min<size_t>(2, raw_pending_.size());
      hist16_ = from;
      at16_ = from;
    }
    bom_skipped_ = true;
  }
  size_t end = raw_pending_.size();
  if (!eof_) {
    end = from + (end - from) / 2 * 2;  // whole code units
    if (end - from >= 2) {  // a high surrogate waits for its pair
      auto a = static_cast<unsigned char>(raw_pending_[end - 2]), b = static_cast<unsigned char>(raw_pending_[end - 1]);
      uint32_t u = kind_.big_endian ? static_cast<uint32_t>(a << 8 | b) : static_cast<uint32_t>(b << 8 | a);
      if (u >= 0xD800 && u < 0xDC00) end -= 2;
    }
  }
  // Drop the text behind the kept window (at a character start).
  const uint64_t unread_from = out8_ - hist8_;
  if (unread_from > keep_ + (512u << 10)) {
    size_t drop = static_cast<size_t>(unread_from - keep_);
    size_t k = 0;
    uint64_t units = 0;
    while (k < drop) {
      size_t len = Utf8Len(static_cast<unsigned char>(hist_[k]));
      k += len;
      units += len == 4 ? 4 : 2;
    }
    hist_.erase(0, k);
    hist8_ += k;
    hist16_ += units;
    if (at8_ < hist8_) at8_ = hist8_, at16_ = hist16_;
  }
  Utf16ToUtf8(std::string_view(raw_pending_).substr(from, end - from), kind_.big_endian, hist_);
  raw_pending_.erase(0, end);
  return Status::Ok();
}

Result<size_t> Utf16Source::Read(char* buf, size_t n) {
  while (out8_ - hist8_ == hist_.size()) {
    if (eof_) return size_t{0};
    if (Status st = Fill(); !st.ok()) return st;
  }
  size_t at = static_cast<size_t>(out8_ - hist8_);
  size_t k = std::min(n, hist_.size() - at);
  std::memcpy(buf, hist_.data() + at, k);
  out8_ += k;
  return k;
}

bool Utf16Source::Map(uint64_t d, uint64_t& file_offset) {
  if (d < hist8_) return false;
  if (d < at8_) at8_ = hist8_, at16_ = hist16_;
  const uint64_t end8 = hist8_ + hist_.size();
  while (at8_ < d && at8_ < end8) {
    size_t len = Utf8Len(static_cast<unsigned char>(hist_[static_cast<size_t>(at8_ - hist8_)]));
    at8_ += len;
    at16_ += len == 4 ? 4 : 2;
  }
  file_offset = at16_;
  return true;
}

}  // namespace nordpii
