// SPDX-License-Identifier: Apache-2.0
// File: hide_values.h
//
// Error messages quote what they refuse: a command-line value, a config or
// pattern-file key, a regex. That text came from outside and may be an
// identifier typed or pasted into the wrong place ("--jobs 15108695088"), so
// no error prints it (the project rule: no raw identifier anywhere unless
// --reveal). These two functions are the one place that takes such text out
// of a message before it is printed; the option name, file and line stay.
#ifndef NORDPII_CORE_HIDE_VALUES_H_
#define NORDPII_CORE_HIDE_VALUES_H_

#include <string>
#include <string_view>
#include <vector>

namespace nordpii {

inline constexpr std::string_view kValueNotShown = "(value not shown)";
inline constexpr std::string_view kNumberNotShown = "(number not shown)";

// `message` with every occurrence of each of `values` replaced by
// kValueNotShown, longest value first. An occurrence counts only where it
// is not part of a longer word or number (the value "5" is not taken out of
// "2147483648"). Each run of 4 or more digits inside a value is hidden the
// same way, so a value echoed in part or reformatted is still not shown.
// Empty values are ignored.
std::string HideValues(std::string_view message, const std::vector<std::string>& values);

// `message` with every number of 6 or more digits (digit groups joined by
// one ' ', '-', '.' or '/' count as one number: "151086 95088",
// "4111 1111 1111 1111") replaced by kNumberNotShown, except inside the
// `keep` texts (file paths: each occurrence, up to the next white space,
// stays as written, with the ":LINE" after it). An IPv4 address or CIDR
// block ("192.0.2.10", "192.0.2.0/24") stays as written.
std::string HideDigitRuns(std::string_view message, const std::vector<std::string>& keep = {});

}  // namespace nordpii

#endif  // NORDPII_CORE_HIDE_VALUES_H_
