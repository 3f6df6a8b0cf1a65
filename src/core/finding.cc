// SPDX-License-Identifier: Apache-2.0
#include "core/finding.h"

namespace nordpii {

const char* ConfidenceName(Confidence c) {
  switch (c) {
    case Confidence::kLow: return "low";
    case Confidence::kMedium: return "medium";
    case Confidence::kHigh: return "high";
    default: return "none";
  }
}

Confidence ParseConfidence(std::string_view s) {
  if (s == "low") return Confidence::kLow;
  if (s == "medium") return Confidence::kMedium;
  if (s == "high") return Confidence::kHigh;
  return Confidence::kNone;
}

std::string RuleNames(uint32_t rules) {
  static const struct { uint32_t bit; const char* name; } kNames[] = {
      {kRuleChecksum, "checksum"}, {kRuleDate, "date"},       {kRuleFormat, "format"},
      {kRuleNoChecksum, "no-checksum"}, {kRuleTest, "test"},  {kRuleTemporary, "temporary"},
      {kRule2032, "rule-2032"},    {kRuleKeyword, "keyword"}, {kRuleNegativeContext, "negative-context"},
  };
  std::string out;
  for (const auto& n : kNames) {
    if (!(rules & n.bit)) continue;
    if (!out.empty()) out += ',';
    out += n.name;
  }
  return out;
}

std::string MaskValue(std::string_view category, std::string_view type, std::string_view v) {
  std::string out;
  MaskValueInto(category, type, v, out);
  return out;
}

void MaskValueInto(std::string_view category, std::string_view type, std::string_view v,
                   std::string& out) {
  auto mask_range = [&](size_t from, size_t to) {
    for (size_t i = from; i < to && i < out.size(); ++i) out[i] = '*';
  };
  if (category == "credential" || type == "password") {
    out.assign("********");  // never reveals the length
    return;
  }
  out.assign(v.data(), v.size());
  if (category == "special" || category == "business") return;  // keywords; public registers
  if (type == "email") {
    size_t at = v.find('@');
    if (at == std::string_view::npos) out.assign(v.size(), '*');
    else mask_range(1, at);
    return;
  }
  if (type == "card") { mask_range(0, v.size() >= 4 ? v.size() - 4 : 0); return; }
  if (type == "iban") { mask_range(4, v.size()); return; }
  if (category == "national-id") { mask_range(6, v.size()); return; }
  mask_range(0, v.size() > 2 ? v.size() - 2 : v.size());
}

}  // namespace nordpii
