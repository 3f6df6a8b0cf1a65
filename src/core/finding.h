// SPDX-License-Identifier: Apache-2.0
// File: finding.h
//
// Finding: one detected value, as every later stage sees it. It carries
// ranges into the input, the verdict, a masked preview and a keyed hash of
// the normalised value — never the raw value itself (no raw identifier in any output unless --reveal). Only the
// redactor reads the raw bytes, through the ranges, from the input.
#ifndef NORDPII_CORE_FINDING_H_
#define NORDPII_CORE_FINDING_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace nordpii {

enum class Confidence : int { kNone = 0, kLow = 1, kMedium = 2, kHigh = 3 };

const char* ConfidenceName(Confidence c);
// Parses "low" / "medium" / "high"; returns kNone on anything else.
Confidence ParseConfidence(std::string_view s);

// Rule bits (same values as NORDPII_RULE_* in plugins/nordpii_plugin.h) plus
// the ones the engine adds.
enum RuleBits : uint32_t {
  kRuleChecksum = 0x0001,
  kRuleDate = 0x0002,
  kRuleFormat = 0x0004,
  kRuleNoChecksum = 0x0008,
  kRuleTest = 0x0010,
  kRuleTemporary = 0x0020,
  kRuleNeedsContext = 0x0040,
  kRule2032 = 0x0080,
  kRuleKeyword = 0x0100,          // a context keyword was found nearby
  kRuleNegativeContext = 0x0200,  // order/invoice/... keyword nearby
  kRuleRepeat = 0x0400,           // needs a label; the same value labelled nearby (DetectorSet)
};

// Comma-separated rule names for reports, e.g. "checksum,date,keyword".
std::string RuleNames(uint32_t rules);

struct Finding {
  std::string type;      // stable type id, e.g. "no.fnr"
  std::string category;  // national-id, financial, credential, business, contact, special
  std::string subcategory;  // special categories: health, union, ...
  Confidence confidence = Confidence::kNone;
  uint32_t rules = 0;
  uint64_t start = 0, end = 0;  // byte range in the input [start, end)
  uint64_t line = 0, column = 0;  // 1-based; column in bytes
  std::string masked;     // safe preview, e.g. "151086*****"
  std::string hash;       // hex HMAC-SHA256 of the normalised value
  std::string also;       // other types the same bytes validated as ("se.pnr,dk.cpr")
  bool redact = false;    // category is redacted by default policy
  // Where inside a structured input (mail): part number ("" = the top
  // message, "1.2"), field ("body" or a header name), and the offset of the
  // value in that part's decoded text. Empty / -1 for plain text.
  std::string part, field;
  int64_t part_offset = -1;
};

// How a value is shown masked. Which rule a type gets is data: `mask` of
// its [[category]], [[detector]] or [[type]] in patterns/ (Scanner::MaskFor).
enum class MaskRule {
  kKeepFirst6,  // "keep-first-6": national ids keep the date part
  kKeepFirst4,  // "keep-first-4": IBANs keep country and check digits
  kKeepLast4,   // "keep-last-4": cards
  kKeepLast2,   // "keep-last-2": everything else masked but the last two
  kEmail,       // "email": the first character and the domain
  kHidden,      // "hidden": eight stars, never the length (credentials)
  kNone,        // "none": shown as found (keywords, public registers)
};
// "keep-first-6" ... "none"; false on anything else.
bool ParseMaskRule(std::string_view name, MaskRule& out);
// Masked preview of a normalised value, written into `out` (reusing its capacity).
void MaskValueInto(MaskRule rule, std::string_view value, std::string& out);
std::string MaskValue(MaskRule rule, std::string_view value);

}  // namespace nordpii

#endif  // NORDPII_CORE_FINDING_H_
