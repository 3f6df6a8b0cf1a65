// SPDX-License-Identifier: Apache-2.0
#include "core/hide_values.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace nordpii {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWordByte(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

}  // namespace

std::string HideValues(std::string_view message, const std::vector<std::string>& values) {
  std::vector<std::string> hide;
  for (const std::string& v : values) {
    if (v.empty()) continue;
    hide.push_back(v);
    for (size_t i = 0; i < v.size();) {  // the value's digit runs of 4 or more
      size_t j = i;
      while (j < v.size() && IsDigit(v[j])) ++j;
      if (j - i >= 4 && j - i < v.size()) hide.push_back(v.substr(i, j - i));
      i = j == i ? i + 1 : j;
    }
  }
  std::sort(hide.begin(), hide.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  std::string out(message);
  for (const std::string& v : hide) {
    for (size_t at = out.find(v); at != std::string::npos; at = out.find(v, at)) {
      const size_t end = at + v.size();
      // Not inside a longer word or number (checked only where the value
      // itself starts or ends with a letter or digit).
      const bool left = at > 0 && IsWordByte(out[at - 1]) && IsWordByte(v.front());
      const bool right = end < out.size() && IsWordByte(out[end]) && IsWordByte(v.back());
      if (left || right) {
        ++at;
        continue;
      }
      out.replace(at, v.size(), kValueNotShown);
      at += kValueNotShown.size();
    }
  }
  return out;
}

std::string HideDigitRuns(std::string_view message, const std::vector<std::string>& keep) {
  // Bytes to leave as written: each `keep` text and the rest of its word.
  std::vector<bool> kept(message.size(), false);
  for (const std::string& k : keep) {
    if (k.empty()) continue;
    for (size_t at = message.find(k); at != std::string_view::npos; at = message.find(k, at + 1)) {
      size_t end = at + k.size();
      while (end < message.size() && !std::isspace(static_cast<unsigned char>(message[end]))) ++end;
      std::fill(kept.begin() + static_cast<std::ptrdiff_t>(at), kept.begin() + static_cast<std::ptrdiff_t>(end), true);
    }
  }
  auto sep = [](char c) { return c == ' ' || c == '-' || c == '.' || c == '/'; };
  std::string out;
  out.reserve(message.size());
  for (size_t i = 0; i < message.size();) {
    if (kept[i] || !IsDigit(message[i])) {
      out += message[i++];
      continue;
    }
    // A number: digit groups joined by single separators, none of it kept.
    size_t j = i, digits = 0, end = i;
    std::vector<size_t> groups;
    std::string seps;
    while (j < message.size() && !kept[j] && IsDigit(message[j])) {
      const size_t g = j;
      while (j < message.size() && !kept[j] && IsDigit(message[j])) ++j, ++digits;
      groups.push_back(j - g);
      end = j;
      if (j + 1 < message.size() && sep(message[j]) && !kept[j + 1] && IsDigit(message[j + 1])) seps += message[j++];
    }
    // An IPv4 address or CIDR block (a policy's client list) is no
    // identifier: four groups of 1-3 digits joined by '.', then "/BITS".
    const bool ipv4 = (seps == "..." || seps == ".../") &&
                      std::all_of(groups.begin(), groups.end(), [](size_t n) { return n <= 3; });
    if (digits >= 6 && !ipv4) out += kNumberNotShown;
    else out.append(message.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace nordpii
