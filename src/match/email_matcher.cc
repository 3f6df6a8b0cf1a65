// SPDX-License-Identifier: Apache-2.0
// FindEmail: the matches RE2 gives for kEmailRegex,
//   L{1,64} @ D{1,63} (\. D{1,63}){0,4} \. A{2,10}
// (L = [A-Za-z0-9._%+-], D = [A-Za-z0-9-], A = [A-Za-z]), without a regex
// engine. On mail exports every From/To/Cc line and signature has an
// address; confirming each Hyperscan hit with RE2 was the largest single
// cost of the scan (issue 14: 10-12 % of CPU on the mail profile).
//
// Why the scanner is exact (leftmost-first, greedy, as RE2 and a
// backtracking engine agree on this regex):
//  - '@' is in neither L nor D, so a match holds exactly one '@', and a
//    match at a later '@' starts after an earlier '@': trying the '@'s in
//    order and taking the first that matches gives the leftmost match.
//  - Every L{1,64} before '@' must reach the '@' (a shorter one is followed
//    by an L byte, not '@'): the leftmost start is the start of the L run
//    before the '@', but at most 64 bytes back and not before `from`.
//  - '.' is not in D, and each D{1,63} is followed by '\.': a label is a
//    whole dot-separated segment of 1-63 D bytes; a shorter take is
//    followed by a D byte and fails. So the first segment must be 1-63
//    bytes and followed by '.'; groups are taken greedily while the next
//    segment is 1-63 bytes and followed by '.' (at most 4), and on
//    backtracking the tail '\.A{2,10}' is tried after the most groups first:
//    the first k (from the most down to 0) whose next segment starts with
//    two letters wins, and the top-level domain takes up to 10 of them.
//  - The text ends at `to` (RE2's endpos): no byte at or after it is read.
#include "match/matcher_internal.h"

#include <cstdint>
#include <cstring>

namespace nordpii::internal {
namespace {

// Byte classes by table (one load and a test a byte; the compare chains
// were most of FindEmail's ~18 instructions per address byte): L, D, A.
constexpr uint8_t kLocal = 1, kLabel = 2, kAlpha = 4;
struct ByteClasses {
  uint8_t of[256] = {};
  constexpr ByteClasses() {
    for (int c = 0; c < 256; ++c) {
      const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      const bool alnum = alpha || (c >= '0' && c <= '9');
      const bool label = alnum || c == '-';
      const bool local = alnum || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
      of[c] = static_cast<uint8_t>((local ? kLocal : 0) | (label ? kLabel : 0) | (alpha ? kAlpha : 0));
    }
  }
};
constexpr ByteClasses kClasses;
inline bool IsAlpha(unsigned char c) { return kClasses.of[c] & kAlpha; }
inline bool IsLabel(unsigned char c) { return kClasses.of[c] & kLabel; }
inline bool IsLocal(unsigned char c) { return kClasses.of[c] & kLocal; }

// End of the domain part after the '@' at `at`, or 0 when it does not match.
size_t DomainEnd(const unsigned char* s, size_t at, size_t to) {
  // Segment i: [seg[i], seg[i] + len[i]); dot[i]: a '.' follows it.
  size_t seg[6], len[6];
  bool dot[6];
  size_t p = at + 1;
  int n = 0;
  for (; n < 6; ++n) {
    size_t b = p;
    while (p < to && IsLabel(s[p])) ++p;
    seg[n] = b;
    len[n] = p - b;
    dot[n] = p < to && s[p] == '.';
    if (!dot[n]) { ++n; break; }
    ++p;  // past the '.'
  }
  // n segments were read; the last one read may be the top-level domain.
  if (len[0] < 1 || len[0] > 63 || !dot[0]) return 0;
  // Groups 1..K: each a 1-63 byte segment followed by '.'.
  int k_max = 0;
  while (k_max < 4 && k_max + 1 < n && len[k_max + 1] >= 1 && len[k_max + 1] <= 63 && dot[k_max + 1]) ++k_max;
  for (int k = k_max; k >= 0; --k) {
    // Tail: '.' after segment k (given: dot[k]), then two or more letters.
    if (k + 1 >= n) continue;
    size_t b = seg[k + 1], q = b;
    while (q < to && q - b < 10 && IsAlpha(s[q])) ++q;
    if (q - b >= 2) return q;
  }
  return 0;
}

}  // namespace

void FindEmail(std::string_view text, size_t from, size_t to, uint32_t detector,
               std::vector<RegexMatch>& out) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  if (to > text.size()) to = text.size();
  size_t pos = from;
  while (pos + 1 < to) {
    const void* hit = std::memchr(s + pos + 1, '@', to - pos - 1);
    if (!hit) return;
    size_t at = static_cast<size_t>(static_cast<const unsigned char*>(hit) - s);
    size_t floor = at >= pos + 64 ? at - 64 : pos;
    size_t b = at;
    while (b > floor && IsLocal(s[b - 1])) --b;
    size_t e = b < at ? DomainEnd(s, at, to) : 0;
    if (e == 0) {
      pos = at;  // the next match starts after this '@'
      continue;
    }
    out.push_back({detector, static_cast<uint32_t>(b), static_cast<uint32_t>(e)});
    pos = e;
  }
}

}  // namespace nordpii::internal
