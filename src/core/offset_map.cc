// SPDX-License-Identifier: Apache-2.0
#include "core/offset_map.h"

#include <algorithm>

namespace nordpii {

// Both lookups find the last piece that begins at or before d.
uint32_t OffsetMap::Start(uint32_t d) const {
  // Last piece with dst_begin <= d, preferring a piece that strictly contains
  // d or starts at d (a deletion at d belongs after the start).
  auto it = std::upper_bound(pieces_.begin(), pieces_.end(), d,
                             [](uint32_t v, const Piece& p) { return v < p.dst_begin; });
  if (it == pieces_.begin()) return d;
  // Skip back over empty (deleted) pieces located exactly at d: the start
  // lands after them.
  const Piece& p = *(it - 1);
  if (d < p.dst_end) return p.src_begin;  // inside a replacement
  if (d == p.dst_begin && p.dst_begin == p.dst_end) return p.src_end;
  return p.src_end + (d - p.dst_end);
}

uint32_t OffsetMap::End(uint32_t d) const {
  // Last piece with dst_begin < d: an end at d excludes pieces starting at d.
  auto it = std::lower_bound(pieces_.begin(), pieces_.end(), d,
                             [](const Piece& p, uint32_t v) { return p.dst_begin < v; });
  if (it == pieces_.begin()) return d;
  const Piece& p = *(it - 1);
  if (d <= p.dst_end) return p.src_end;
  return p.src_end + (d - p.dst_end);
}

}  // namespace nordpii
