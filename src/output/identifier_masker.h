// SPDX-License-Identifier: Apache-2.0
// File: identifier_masker.h
//
// What nordpii writes about its inputs — file paths (archive members
// included), Message-IDs, ticket ids, error messages that name a file — can
// itself hold an identifier: a Maildir named after a customer's personnummer,
// an attachment saved as lonn_15108695088.pdf inside a zip. Reports and logs
// never contain a raw identifier, so such text goes through
// IdentifierMasker: every national id and financial number the detectors
// validate in it (confidence medium or higher) is replaced by its masked
// form, e.g. "151086*****" (also where the number is glued to punctuation
// or letters). Dates, order numbers and other digits stay.
#ifndef NORDPII_OUTPUT_IDENTIFIER_MASKER_H_
#define NORDPII_OUTPUT_IDENTIFIER_MASKER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "output/shown_text.h"
#include "pipeline/scanner.h"

namespace nordpii {

class IdentifierMasker {
 public:
  // Uses its own context (not one that may be in the middle of a scan).
  IdentifierMasker(const Scanner& scanner, const KeyedHasher& hasher);
  ~IdentifierMasker();
  // `text` with its identifiers masked. Text with fewer than 9 digits is
  // returned as it is without a scan (no national id, card, account or IBAN
  // has fewer), so ticket ids and short names cost a digit count. A byte
  // outside ASCII (but a Latin-1 letter's) counts as a digit there: it may be
  // one to the detectors (full-width "１", "¹"), which read `text` through
  // the Normalizer (NFKC, NBSP as a space, an en dash as '-', a soft hyphen
  // deleted) as they read an input.
  // Not thread-safe: one masker per thread.
  std::string Mask(std::string_view text);
  // The gate for everything written about an input (see shown_text.h):
  // `text` masked, or as it is when the run reveals values (--reveal).
  ShownText Show(std::string_view text) { return ShownText(reveal_ ? std::string(text) : Mask(text)); }
  void SetReveal(bool reveal) { reveal_ = reveal; }

 private:
  static constexpr size_t kMemoSlots = 4096, kMemoText = 64;
  std::string MaskScanned(std::string_view text);
  bool reveal_ = false;
  const Normalizer* normalizer_;  // the scanner's
  std::unique_ptr<ScanContext> ctx_;
  FindingFilter filter_;
  std::string spaced_;  // scratch
  std::string folded_;  // scratch: `text` as the detectors read it (Normalizer)
  OffsetMap fold_map_;
  // Texts masked before and their results (Mask is a function of the text):
  // a ticket export's created/updated timestamps have 9+ digits and recur
  // record after record, and two scans per timestamp of every record with a
  // finding were ~5 % of a JSONL scan. Direct-mapped, bounded.
  struct Memo {
    std::string in, out;
    bool used = false;
  };
  std::vector<Memo> memo_;
  std::vector<uint64_t> memo_tags_;  // per slot: the hash of the text last masked there (| 1)
};

}  // namespace nordpii

#endif  // NORDPII_OUTPUT_IDENTIFIER_MASKER_H_
