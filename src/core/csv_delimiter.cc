// SPDX-License-Identifier: Apache-2.0
#include "core/csv_delimiter.h"

namespace nordpii {

bool CsvDelimiterSniffer::Add(std::string_view bytes) {
  static constexpr char kBom[] = "\xEF\xBB\xBF";
  for (size_t i = 0; i < bytes.size() && !done_; ++i) {
    const char c = bytes[i];
    if (bom_ < 3) {
      if (c == kBom[bom_]) {
        ++bom_;
        continue;
      }
      if (bom_ > 0) cell_start_ = false;  // part of a BOM only: those bytes are the first cell's
      bom_ = 3;
    }
    if (c == '"') {
      if (quoted_) quoted_ = false, after_quote_ = true;  // closing, or the first of ""
      else quoted_ = after_quote_ || cell_start_, after_quote_ = false;
    } else {
      after_quote_ = false;
      if (!quoted_) {
        if (c == '\n') done_ = true;
        commas_ += c == ',', semicolons_ += c == ';', tabs_ += c == '\t';
      }
    }
    cell_start_ = !quoted_ && (c == ',' || c == ';' || c == '\t');
  }
  return done_;
}

char CsvDelimiterSniffer::delimiter() const {
  char d = ',';
  size_t best = commas_;
  if (semicolons_ > best) best = semicolons_, d = ';';
  if (tabs_ > best) d = '\t';
  return d;
}

}  // namespace nordpii
