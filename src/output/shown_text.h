// SPDX-License-Identifier: Apache-2.0
// File: shown_text.h
//
// ShownText: text that may be written about an input. Whatever nordpii
// writes that came from an input — paths and archive member names,
// Message-IDs, ticket ids and dates, JSON keys and CSV headers used as field
// names, mail header names, charset names in notes, attachment types and
// names — can hold an identifier. The report writers take such text only as
// a ShownText, and the only way to make one from input text is
// IdentifierMasker::Show (identifiers masked, or raw with --reveal), so a raw
// string cannot reach a report by mistake: it does not compile.
#ifndef NORDPII_OUTPUT_SHOWN_TEXT_H_
#define NORDPII_OUTPUT_SHOWN_TEXT_H_

#include <string>
#include <utility>

namespace nordpii {

class ShownText {
 public:
  ShownText() = default;
  const std::string& str() const { return s_; }
  bool empty() const { return s_.empty(); }
  bool operator==(const ShownText& o) const { return s_ == o.s_; }

 private:
  friend class IdentifierMasker;  // the gate
  explicit ShownText(std::string s) : s_(std::move(s)) {}
  std::string s_;
};

}  // namespace nordpii

#endif  // NORDPII_OUTPUT_SHOWN_TEXT_H_
