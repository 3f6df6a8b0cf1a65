// SPDX-License-Identifier: Apache-2.0
#include "tickets/json_string_stream.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

namespace {

// Per byte: its hex digit value, -1 for any other byte.
struct HexTable {
  int8_t v[256];
  constexpr HexTable() : v() {
    for (int c = 0; c < 256; ++c)
      v[c] = c >= '0' && c <= '9' ? static_cast<int8_t>(c - '0')
             : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? static_cast<int8_t>((c | 0x20) - 'a' + 10)
                                                      : int8_t{-1};
  }
};
constexpr HexTable kHexDigit;

// The 4 hex digits at src[at] as a number, -1 when any is not one.
inline int32_t HexValue(const char* src, size_t at, size_t n) {
  if (at + 4 > n) return -1;
  const auto* u = reinterpret_cast<const unsigned char*>(src + at);
  const int32_t a = kHexDigit.v[u[0]], b = kHexDigit.v[u[1]], c = kHexDigit.v[u[2]], d = kHexDigit.v[u[3]];
  if ((a | b | c | d) < 0) return -1;
  return a << 12 | b << 8 | c << 4 | d;
}

}  // namespace

bool ValidJsonEscapes(std::string_view content) {
  const char* src = content.data();
  const size_t n = content.size();
  // The next backslash found 16 bytes at a time, each escape checked with
  // table look-ups (a memchr per escape and a digit loop cost ~9 % of a
  // scan of an export with every non-ASCII character escaped).
  for (size_t i = 0;;) {
#if defined(__SSE2__)
    const __m128i backslash = _mm_set1_epi8('\\');
    while (i + 16 <= n) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
      const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslash)));
      if (m) {
        i += static_cast<unsigned>(__builtin_ctz(m));
        break;
      }
      i += 16;
    }
#endif
    while (i < n && src[i] != '\\') ++i;
    if (i >= n) return true;
    if (i + 1 >= n) return false;  // a backslash the closing quote would follow
    const char e = src[i + 1];
    if (e != 'u') {
      if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') return false;
      i += 2;
      continue;
    }
    const int32_t v = HexValue(src, i + 2, n);
    if (v < 0xD800 || v >= 0xE000) {  // (v < 0: not 4 hex digits)
      if (v < 0) return false;
      i += 6;
      continue;
    }
    // A surrogate: a high-low pair, or a lone half, which JSON's grammar
    // allows (an emoji cut in two by a truncating exporter) and which is
    // read as U+FFFD, as DecodeJsonString and JsonEscape read it.
    const int32_t lo = v < 0xDC00 && i + 12 <= n && src[i + 6] == '\\' && src[i + 7] == 'u' ? HexValue(src, i + 8, n) : -1;
    i += lo >= 0xDC00 && lo < 0xE000 ? 12 : 6;
  }
}

JsonStringStream::JsonStringStream(std::string_view content, size_t /*keep*/, size_t range, Escapes escapes)
    : in_(content), range_(std::max<size_t>(range, 1)), escapes_(escapes) {}

// CSV: "" is one '"' (a lone '"', which a quoted cell's content never holds,
// stays itself, as in DecodeCsvField).
size_t JsonStringStream::Escape(size_t i, char* out, size_t& out_len) const {
  if (escapes_ == Escapes::kJson) return JsonEscape(in_.data(), i, in_.size(), out, out_len);
  out[0] = '"';
  out_len = 1;
  return i + 1 < in_.size() && in_[i + 1] == '"' ? 2 : 1;
}

const std::string& JsonStringStream::name() const {
  static const std::string kNone;
  return kNone;
}

size_t JsonStringStream::DecodeRange(size_t from, size_t to, uint64_t dst, std::string* out,
                                     std::vector<Esc>* esc) const {
  const char* src = in_.data();
  size_t i = from;
  uint64_t o = dst;
  if (escapes_ == Escapes::kNone) {  // an unquoted CSV cell: no escapes
    if (out) out->append(src + from, to - from);
    return to;
  }
  const char lead = escapes_ == Escapes::kJson ? '\\' : '"';
  // Whole escapes: one that starts before `to` is decoded even when it ends
  // past it.
  while (i < to) {
    const void* q = std::memchr(src + i, lead, to - i);
    size_t e = q ? static_cast<size_t>(static_cast<const char*>(q) - src) : to;
    if (out) out->append(src + i, e - i);
    o += e - i;
    i = e;
    if (i >= to) break;
    char tmp[4];
    size_t dl = 0;
    size_t len = Escape(i, tmp, dl);
    if (esc) esc->push_back({static_cast<uint32_t>(o), static_cast<uint32_t>(i)});
    if (out) out->append(tmp, dl);
    o += dl;
    i += len;
  }
  return i;
}

bool JsonStringStream::Decode() {
  const size_t n = in_.size();
  if (pos_ >= n) return false;
  buf_.clear();
  off_ = 0;
  marks_.push_back({produced_, pos_});
  pos_ = DecodeRange(pos_, std::min(n, pos_ + range_), produced_, &buf_, nullptr);
  produced_ += buf_.size();
  return true;
}

size_t JsonStringStream::RangeOf(uint64_t d) const {
  auto it = std::upper_bound(marks_.begin(), marks_.end(), d, [](uint64_t v, const Mark& m) { return v < m.dst; });
  return it == marks_.begin() ? 0 : static_cast<size_t>(it - marks_.begin()) - 1;
}

// The escapes of a range are found again from its raw bytes (a range is
// decoded from where it started, so they are the ones Decode met). Findings
// come in order, so each range is usually gone over once more; a held
// neighbour is kept when the ranges asked for join it.
void JsonStringStream::Hold(size_t k0, size_t k1) const {
  if (marks_.empty()) return;
  k1 = std::min(k1, marks_.size() - 1);
  if (held0_ <= held1_ && k0 >= held0_ && k1 <= held1_) return;
  if (held0_ <= held1_ && k0 <= held1_ + 1 && k1 + 1 >= held0_ &&
      std::max(k1, held1_) - std::min(k0, held0_) < kMaxHeld) {
    k0 = std::min(k0, held0_);
    k1 = std::max(k1, held1_);
  }
  esc_.clear();
  for (size_t k = k0; k <= k1; ++k) {
    const size_t to = k + 1 < marks_.size() ? static_cast<size_t>(marks_[k + 1].src) : pos_;
    DecodeRange(static_cast<size_t>(marks_[k].src), std::min(to, static_cast<size_t>(marks_[k].src) + range_),
                marks_[k].dst, nullptr, &esc_);
  }
  held0_ = k0;
  held1_ = k1;
  anchor_ = static_cast<int64_t>(marks_[k0].src) - static_cast<int64_t>(marks_[k0].dst);
}

void JsonStringStream::Ends(const Esc& e, uint64_t& dst_end, uint64_t& src_end) const {
  char tmp[4];
  size_t dl = 0;
  size_t len = Escape(e.src, tmp, dl);
  dst_end = e.dst + dl;
  src_end = e.src + len;
}

uint64_t JsonStringStream::Start(uint64_t a) const {
  const size_t k = RangeOf(a);
  Hold(k, k);
  auto it = std::upper_bound(esc_.begin(), esc_.end(), a, [](uint64_t v, const Esc& e) { return v < e.dst; });
  if (it == esc_.begin()) return static_cast<uint64_t>(static_cast<int64_t>(a) + anchor_);
  uint64_t de = 0, se = 0;
  Ends(*(it - 1), de, se);
  if (a < de) return (it - 1)->src;  // inside an escape
  return se + (a - de);
}

uint64_t JsonStringStream::End(uint64_t b) const {
  // The escapes before b: those of the range holding b - 1.
  const size_t k = RangeOf(b > 0 ? b - 1 : 0);
  Hold(k, k);
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
