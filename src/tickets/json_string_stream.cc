// SPDX-License-Identifier: Apache-2.0
#include "tickets/json_string_stream.h"

#include <algorithm>
#include <cstring>

#include "core/utf8.h"

namespace nordpii {

namespace {

bool Hex4(const char* src, size_t at, size_t n, uint32_t& v) {
  if (at + 4 > n) return false;
  v = 0;
  for (size_t k = at; k < at + 4; ++k) {
    char c = src[k];
    int x = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
    if (x < 0) return false;
    v = v * 16 + static_cast<uint32_t>(x);
  }
  return true;
}

}  // namespace

// The rules of DecodeJsonString (ticket_scanner.cc), escape by escape; the
// windowed-vs-whole test in tests/tickets_test.cc holds the two together.
size_t JsonEscape(const char* src, size_t i, size_t n, char* out, size_t& out_len) {
  char c = i + 1 < n ? src[i + 1] : '\\';
  out_len = 1;
  switch (c) {
    case 'n': out[0] = '\n'; return 2;
    case 't': out[0] = '\t'; return 2;
    case 'r': out[0] = '\r'; return 2;
    case 'b': out[0] = '\b'; return 2;
    case 'f': out[0] = '\f'; return 2;
    case 'u': {
      uint32_t v = 0, lo = 0;
      if (!Hex4(src, i + 2, n, v)) { out[0] = '\\'; return 1; }
      size_t len = 6;
      if (v >= 0xD800 && v < 0xDC00 && i + 12 <= n && src[i + 6] == '\\' && src[i + 7] == 'u' &&
          Hex4(src, i + 8, n, lo) && lo >= 0xDC00 && lo < 0xE000) {
        v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
        len = 12;
      } else if (v >= 0xD800 && v < 0xE000) {
        v = 0xFFFD;
      }
      out_len = EncodeUtf8(v, out);
      return len;
    }
    default: out[0] = c; return 2;  // \" \\ \/ (and a lone trailing backslash)
  }
}

JsonStringStream::JsonStringStream(std::string_view content, size_t keep, size_t range)
    : in_(content), keep_(keep), range_(std::max<size_t>(range, 1)) {}

const std::string& JsonStringStream::name() const {
  static const std::string kNone;
  return kNone;
}

bool JsonStringStream::Decode() {
  const size_t n = in_.size();
  if (pos_ >= n) return false;
  const size_t to = std::min(n, pos_ + range_);
  buf_.clear();
  off_ = 0;
  const char* src = in_.data();
  size_t i = pos_;
  // Whole escapes: one that starts before `to` is decoded even when it ends
  // past it.
  while (i < to) {
    const void* q = std::memchr(src + i, '\\', to - i);
    size_t e = q ? static_cast<size_t>(static_cast<const char*>(q) - src) : to;
    buf_.append(src + i, e - i);
    i = e;
    if (i >= to) break;
    char tmp[4];
    size_t dl = 0;
    size_t len = JsonEscape(src, i, n, tmp, dl);
    esc_.push_back({static_cast<uint32_t>(produced_ + buf_.size()), static_cast<uint32_t>(i)});
    buf_.append(tmp, dl);
    i += len;
  }
  pos_ = i;
  produced_ += buf_.size();
  Prune();
  return true;
}

void JsonStringStream::Ends(const Esc& e, uint64_t& dst_end, uint64_t& src_end) const {
  char tmp[4];
  size_t dl = 0;
  size_t len = JsonEscape(in_.data(), e.src, in_.size(), tmp, dl);
  dst_end = e.dst + dl;
  src_end = e.src + len;
}

// Drops the escapes that end more than keep_ decoded bytes behind the newest
// (in place, when at least half can go: linear overall, no reallocation).
void JsonStringStream::Prune() {
  if (esc_.size() < 4096 || produced_ <= keep_) return;
  const uint64_t keep_from = produced_ - keep_;
  auto it = std::lower_bound(esc_.begin(), esc_.end(), keep_from,
                             [](const Esc& x, uint64_t v) { return x.dst + 4u < v; });
  size_t j = static_cast<size_t>(it - esc_.begin());
  if (j < esc_.size() / 2) return;
  uint64_t de = 0, se = 0;
  Ends(esc_[j - 1], de, se);
  anchor_ = static_cast<int64_t>(se) - static_cast<int64_t>(de);
  mapped_from_ = de;
  esc_.erase(esc_.begin(), it);
}

uint64_t JsonStringStream::Start(uint64_t a) const {
  auto it = std::upper_bound(esc_.begin(), esc_.end(), a, [](uint64_t v, const Esc& e) { return v < e.dst; });
  if (it == esc_.begin()) return static_cast<uint64_t>(static_cast<int64_t>(a) + anchor_);
  uint64_t de = 0, se = 0;
  Ends(*(it - 1), de, se);
  if (a < de) return (it - 1)->src;  // inside an escape
  return se + (a - de);
}

uint64_t JsonStringStream::End(uint64_t b) const {
  auto it = std::lower_bound(esc_.begin(), esc_.end(), b, [](const Esc& e, uint64_t v) { return e.dst < v; });
  if (it == esc_.begin()) return static_cast<uint64_t>(static_cast<int64_t>(b) + anchor_);
  uint64_t de = 0, se = 0;
  Ends(*(it - 1), de, se);
  if (b <= de) return se;
  return se + (b - de);
}

Result<size_t> JsonStringStream::Read(char* buf, size_t n) {
  while (off_ == buf_.size())
    if (!Decode()) return size_t{0};
  size_t k = std::min(n, buf_.size() - off_);
  std::memcpy(buf, buf_.data() + off_, k);
  off_ += k;
  return k;
}

}  // namespace nordpii
