// SPDX-License-Identifier: Apache-2.0
// File: report_util.h
//
// Helpers of the batch and find-subject report writers (escaping: see
// output/report_text.h).
#ifndef NORDPII_BATCH_REPORT_UTIL_H_
#define NORDPII_BATCH_REPORT_UTIL_H_

#include <string>
#include <string_view>

#include "output/report_text.h"  // CsvCell, HtmlText

namespace nordpii {

// What a type id means, for a report's legend ("no.fnr": "Norwegian
// fødselsnummer"); types from pattern files of one's own get a generic text.
std::string_view TypeMeaning(std::string_view type);

}  // namespace nordpii

#endif  // NORDPII_BATCH_REPORT_UTIL_H_
