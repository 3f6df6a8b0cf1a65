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
      {kRuleRepeat, "repeat"},
  };
  std::string out;
  for (const auto& n : kNames) {
    if (!(rules & n.bit)) continue;
    if (!out.empty()) out += ',';
    out += n.name;
  }
  return out;
}

bool ParseMaskRule(std::string_view n, MaskRule& out) {
  static const std::pair<std::string_view, MaskRule> kRules[] = {
      {"keep-first-6", MaskRule::kKeepFirst6}, {"keep-first-4", MaskRule::kKeepFirst4},
      {"keep-last-4", MaskRule::kKeepLast4},   {"keep-last-2", MaskRule::kKeepLast2},
      {"email", MaskRule::kEmail},             {"hidden", MaskRule::kHidden},
      {"none", MaskRule::kNone}};
  for (const auto& [name, rule] : kRules)
    if (name == n) return out = rule, true;
  return false;
}

std::string MaskValue(MaskRule rule, std::string_view v) {
  std::string out;
  MaskValueInto(rule, v, out);
  return out;
}

void MaskValueInto(MaskRule rule, std::string_view v, std::string& out) {
  auto mask_range = [&](size_t from, size_t to) {
    for (size_t i = from; i < to && i < out.size(); ++i) out[i] = '*';
  };
  if (rule == MaskRule::kHidden) {
    out.assign("********");  // never reveals the length
    return;
  }
  out.assign(v.data(), v.size());
  switch (rule) {
    case MaskRule::kNone: return;
    case MaskRule::kEmail: {
      size_t at = v.find('@');
      if (at == std::string_view::npos) out.assign(v.size(), '*');
      else mask_range(1, at);
      return;
    }
    case MaskRule::kKeepLast4: mask_range(0, v.size() >= 4 ? v.size() - 4 : 0); return;
    case MaskRule::kKeepFirst4: mask_range(4, v.size()); return;
    case MaskRule::kKeepFirst6: mask_range(6, v.size()); return;
    default: mask_range(0, v.size() > 2 ? v.size() - 2 : v.size()); return;
  }
}

}  // namespace nordpii
