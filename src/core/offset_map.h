// SPDX-License-Identifier: Apache-2.0
// File: offset_map.h
//
// OffsetMap maps byte offsets in normalised text back to the bytes of the
// original input, so a finding points at (and redaction replaces) exactly the
// original bytes. It is a sorted list of non-identity pieces: a piece replaces
// src[src_begin, src_end) by dst[dst_begin, dst_end) atomically (a full-width
// digit, an NBSP folded to a space, a deleted zero-width space). Between
// pieces the map is the identity shifted by the running difference.
// Monotone: a <= b implies Start(a) <= Start(b) and End(a) <= End(b).
#ifndef NORDPII_CORE_OFFSET_MAP_H_
#define NORDPII_CORE_OFFSET_MAP_H_

#include <cstdint>
#include <vector>

namespace nordpii {

class OffsetMap {
 public:
  struct Piece {
    uint32_t dst_begin, dst_end, src_begin, src_end;
  };

  // Identity map.
  OffsetMap() = default;
  void Clear() { pieces_.clear(); }
  bool identity() const { return pieces_.empty(); }

  // Appends a piece; pieces must be appended in increasing order.
  void Add(uint32_t dst_begin, uint32_t dst_end, uint32_t src_begin, uint32_t src_end) {
    pieces_.push_back({dst_begin, dst_end, src_begin, src_end});
  }

  // Grows the last piece to end at (dst_end, src_end).
  void ExtendLast(uint32_t dst_end, uint32_t src_end) {
    pieces_.back().dst_end = dst_end;
    pieces_.back().src_end = src_end;
  }

  // Source offset of a range starting at text offset `d`. Inside a piece the
  // start snaps to the piece's source start.
  uint32_t Start(uint32_t d) const;
  // Source offset of a range ending at text offset `d`. Inside a piece the end
  // snaps to the piece's source end.
  uint32_t End(uint32_t d) const;

  const std::vector<Piece>& pieces() const { return pieces_; }

 private:
  std::vector<Piece> pieces_;
};

}  // namespace nordpii

#endif  // NORDPII_CORE_OFFSET_MAP_H_
