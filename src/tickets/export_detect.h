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
  // The same decision made during a walk over the record's JSON strings
  // (TicketScanner: no pass of its own over the record's bytes): Names(s)
  // for each key and each string value (its content as written) gives the
  // bits of the names it equals, and Decide(the bits OR-ed) the map.
  // (By length and first byte first: most keys and values are no name's.)
  [[gnu::always_inline]] uint64_t Names(std::string_view s) const {
    if (s.size() < 64 ? !((lengths_ >> s.size()) & 1) : !long_names_) return 0;
    if (s.empty()) return empty_name_;
    const unsigned char c = static_cast<unsigned char>(s[0]);
    if (!((first_bits_[c >> 6] >> (c & 63)) & 1)) return 0;
    return NamesOf(s);
  }
  const TicketMapSpec* Decide(uint64_t seen) const {
    for (const Group& g : groups_)
      if ((seen & g.need) == g.need) return g.map;
    return nullptr;
  }

 private:
  uint64_t NamesOf(std::string_view s) const;
  struct Group {
    const TicketMapSpec* map;
    uint64_t need;  // bits of names_
  };
  std::vector<std::string> names_;  // each followed by '"' (the closing quote)
  std::vector<uint8_t> by_first_[256];  // indexes into names_ by first byte
  uint64_t first_bits_[4] = {0, 0, 0, 0};  // bit c: by_first_[c] is not empty
  uint64_t lengths_ = 0;     // bit n: a name of n bytes (n < 64)
  bool long_names_ = false;  // a name of 64 bytes or more
  uint64_t empty_name_ = 0;  // the bit of the name "", if it is one
  std::vector<Group> groups_;       // in map order
};

}  // namespace nordpii

#endif  // NORDPII_TICKETS_EXPORT_DETECT_H_
