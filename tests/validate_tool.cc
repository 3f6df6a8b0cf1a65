// SPDX-License-Identifier: Apache-2.0
// nordpii_validate: reads "validator<TAB>value" lines on stdin and prints
// "status<TAB>rules<TAB>type" per line, using the built-in validator plugins
// with the same compaction the scanner applies. Used by stdnum_diff.py.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <string>

#include "detect/plugin_registry.h"

int main() {
  auto reg = nordpii::PluginRegistry::Create({});
  if (!reg) return 2;
  // The reference date: NORDPII_REFERENCE_DATE (YYYY-MM-DD), else today.
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  if (const char* ref = std::getenv("NORDPII_REFERENCE_DATE")) {
    if (std::sscanf(ref, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) return 2;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
  }
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos) { std::cout << "bad\n"; continue; }
    std::string name = line.substr(0, tab), raw = line.substr(tab + 1), v;
    uint32_t flags = 0;
    for (char c : raw) {
      if (name == "fi_hetu") { v.push_back(c); continue; }
      if (c == '+') { flags |= NORDPII_INPUT_PLUS_SEPARATOR; continue; }
      if (c == '-' || c == ' ') continue;
      v.push_back(c);
    }
    const nordpii_validator* val = (*reg)->Find(name);
    if (!val) { std::cout << "unknown\n"; continue; }
    nordpii_input in{sizeof(nordpii_input), v.data(), v.size(), tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, flags};
    nordpii_verdict out;
    std::memset(&out, 0, sizeof(out));
    out.struct_size = sizeof(out);
    val->validate(&in, &out);
    std::cout << out.status << '\t' << out.rules << '\t' << out.type_id << '\n';
  }
  return 0;
}
