// SPDX-License-Identifier: Apache-2.0
#include "tickets/export_detect.h"

namespace nordpii {

ExportDetector::ExportDetector(const std::vector<TicketMapSpec>& maps) {
  for (const TicketMapSpec& m : maps) {
    for (const std::vector<std::string>& g : m.detect) {
      uint64_t need = 0;
      bool ok = true;
      for (const std::string& n : g) {
        const std::string quoted = n + "\"";
        size_t i = 0;
        while (i < names_.size() && names_[i] != quoted) ++i;
        if (i == names_.size()) {
          if (names_.size() == 64) {
            ok = false;
            break;
          }
          names_.push_back(quoted);
          if (n.size() < 64) lengths_ |= uint64_t{1} << n.size();
          else long_names_ = true;
          if (n.empty()) empty_name_ = uint64_t{1} << i;
          by_first_[static_cast<unsigned char>(quoted[0])].push_back(static_cast<uint8_t>(i));
          first_bits_[static_cast<unsigned char>(quoted[0]) >> 6] |= uint64_t{1} << (static_cast<unsigned char>(quoted[0]) & 63);
        }
        need |= uint64_t{1} << i;
      }
      if (ok) groups_.push_back({&m, need});
    }
  }
}

uint64_t ExportDetector::NamesOf(std::string_view s) const {
  uint64_t bits = 0;
  for (uint8_t i : by_first_[static_cast<unsigned char>(s[0])]) {
    const std::string& n = names_[i];  // the name and its closing quote
    if (n.size() == s.size() + 1 && n.compare(0, s.size(), s) == 0) bits |= uint64_t{1} << i;
  }
  return bits;
}

const TicketMapSpec* ExportDetector::Detect(std::string_view b) const {
  if (groups_.empty()) return nullptr;
  const TicketMapSpec* first = groups_.front().map;
  uint64_t seen = 0;
  for (size_t q = b.find('"'); q != std::string_view::npos && q + 1 < b.size(); q = b.find('"', q + 1)) {
    const size_t at = q + 1;
    // Most quotes are followed by no name's first byte: a bit test, not a
    // look at a vector (~1.5 % of a JSONL scan).
    const unsigned char c = static_cast<unsigned char>(b[at]);
    if (!((first_bits_[c >> 6] >> (c & 63)) & 1)) continue;
    const std::vector<uint8_t>& cand = by_first_[c];
    bool added = false;
    for (uint8_t i : cand) {
      if (seen >> i & 1) continue;
      if (b.compare(at, names_[i].size(), names_[i]) == 0) seen |= uint64_t{1} << i, added = true;
    }
    if (!added) continue;
    // The first map matching decides whatever else is there: stop early.
    for (const Group& g : groups_) {
      if (g.map != first) break;
      if ((seen & g.need) == g.need) return first;
    }
  }
  return Decide(seen);
}

}  // namespace nordpii
