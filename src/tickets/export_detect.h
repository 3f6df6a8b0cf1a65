// SPDX-License-Identifier: Apache-2.0
// File: export_detect.h
//
// `--ticket-map auto`: which export a JSON record comes from, by the names
// in it. The rules are data: each [[ticket_map]] of patterns/ticket_maps.toml
// may have `detect = [["a", "b"], ["c"]]` — the record is that export's when
// it has every name of any one group as a JSON string (a key, or a string
// value equal to it); maps are tried in file order, the first that matches
// wins, and a record no map matches is read with no map.
// One pass over the record's quotes, each compared only with the names that
// start with the byte after it (seven string searches over every record
// once cost ~8 % of a ticket scan).
#ifndef NORDPII_TICKETS_EXPORT_DETECT_H_
#define NORDPII_TICKETS_EXPORT_DETECT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "match/pattern_set.h"

namespace nordpii {

class ExportDetector {
 public:
  // At most 64 distinct names over all maps (more are ignored: those maps'
  // groups that need them never match).
  explicit ExportDetector(const std::vector<TicketMapSpec>& maps);
  // The map the record matches, or null (no map).
  const TicketMapSpec* Detect(std::string_view record) const;

 private:
  struct Group {
    const TicketMapSpec* map;
    uint64_t need;  // bits of names_
  };
  std::vector<std::string> names_;  // each followed by '"' (the closing quote)
  std::vector<uint8_t> by_first_[256];  // indexes into names_ by first byte
  uint64_t first_bits_[4] = {0, 0, 0, 0};  // bit c: by_first_[c] is not empty
  std::vector<Group> groups_;       // in map order
};

}  // namespace nordpii

#endif  // NORDPII_TICKETS_EXPORT_DETECT_H_
