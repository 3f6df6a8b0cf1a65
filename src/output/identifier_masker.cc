// SPDX-License-Identifier: Apache-2.0
#include "output/identifier_masker.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "input/byte_source.h"

namespace nordpii {

namespace {

struct Spans : StreamSink {
  struct Span {
    uint64_t start, end;
    std::string masked;
  };
  std::vector<Span> spans;
  bool OnFinding(const Finding& f, std::string_view) override {
    spans.push_back({f.start, f.end, f.masked});
    return true;
  }
};

bool IsSign(char c) { return c == '-' || c == '+'; }
bool IsDigitByte(char c) { return c >= '0' && c <= '9'; }
// What an id's digit groups are written apart with besides a sign
// ("15.10.86 950.88", "15/10/86 95088"): part of a chain in GluedBySign.
bool IsGroupBreak(char c) { return c == ' ' || c == '.' || c == '/'; }
bool IsAsciiLetter(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
// Whether an ASCII letter follows 3 or more digits (a HETU's check
// character or century sign, "131052-308T", "131052A308T").
bool LetterAfterDigit(std::string_view text) {
  for (size_t i = 3; i < text.size(); ++i)
    if (IsAsciiLetter(text[i]) && IsDigitByte(text[i - 1]) && IsDigitByte(text[i - 2]) && IsDigitByte(text[i - 3]))
      return true;
  return false;
}

// Where a number may be glued to the text around it by signs, the signs
// between two digits that an id may be written with ("811218-9876") in
// `inner` (at most kMaxKeptSigns); false if nowhere. Glued: a run of 9 or
// more digits touching a '-' or '+' ("sak-15108695088-1"), or a chain of
// digits, signs and group breaks (' ', '.', '/') of 11 or more digits with
// a sign between two digits ("sak-811218-9876-1", "sak 151086 95088-1",
// "sak-15.10.86.950.88-1": the shortest id, 10 digits, and one more).
// Dates and times ("2026-12-04 10:00:00+01:00": 10 digits at most in a
// chain) do not pay the extra readings.
constexpr size_t kMaxKeptSigns = 8;
// The fewer of the digits right before and right after position `at`.
size_t DigitsAround(std::string_view text, size_t at) {
  size_t before = 0, after = 0;
  while (before < at && IsDigitByte(text[at - 1 - before])) ++before;
  while (at + 1 + after < text.size() && IsDigitByte(text[at + 1 + after])) ++after;
  return std::min(before, after);
}
bool GluedBySign(std::string_view text, std::vector<size_t>& inner) {
  bool glued = false;
  size_t run = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : '\0';
    if (IsDigitByte(c)) {
      ++run;
      continue;
    }
    if (run >= 9) {
      const size_t b = i - run;
      if (IsSign(c) || (b > 0 && IsSign(text[b - 1]))) glued = true;
    }
    run = 0;
  }
  for (size_t i = 0; i < text.size();) {
    if (!IsDigitByte(text[i])) {
      ++i;
      continue;
    }
    size_t digits = 0, j = i;
    const size_t first = inner.size();
    bool sign = false;
    // (A letter between two digits, a HETU's century sign "131052A308T",
    // is part of the chain too: "00-131052A308T".)
    for (; j < text.size() && (IsDigitByte(text[j]) || IsSign(text[j]) || IsGroupBreak(text[j]) ||
                               (IsAsciiLetter(text[j]) && IsDigitByte(text[j - 1]) && j + 1 < text.size() &&
                                IsDigitByte(text[j + 1])));
         ++j) {
      if (IsDigitByte(text[j])) ++digits;
      else if (IsSign(text[j]) && IsDigitByte(text[j - 1]) && j + 1 < text.size() && IsDigitByte(text[j + 1])) {
        sign = true;
        // An id's sign has 3 or more digits on each side (6-4, 8-4, 6-3):
        // "1-1-1-1-1-1-1-1-811218-9876-1" does not use up the readings.
        if (inner.size() < kMaxKeptSigns && DigitsAround(text, j) >= 3) inner.push_back(j);
      }
    }
    // A HETU has 9 digits and a letter: glued to a digit by a sign, 10.
    if (sign && (digits >= 11 || (digits >= 10 && j < text.size() && IsAsciiLetter(text[j])))) glued = true;
    else inner.resize(first);  // a chain too short for a glued id: its signs are no id's
    i = j;
  }
  return glued;
}

}  // namespace

IdentifierMasker::IdentifierMasker(const Scanner& scanner, const KeyedHasher& hasher)
    : normalizer_(&scanner.normalizer()), ctx_(scanner.NewContext(hasher)) {
  filter_.categories = {"national-id", "financial"};
  filter_.min_confidence = Confidence::kMedium;
}

IdentifierMasker::~IdentifierMasker() = default;

std::string IdentifierMasker::Mask(std::string_view text) {
  size_t digits = 0;
  unsigned char prev = 0;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    digits += (u >= '0' && u <= '9') || (u >= 0x80 && u != 0xC3 && prev != 0xC3);
    prev = u;
  }
  if (digits < 9) return std::string(text);
  if (text.size() <= kMemoText) {
    if (memo_.empty()) memo_.resize(kMemoSlots), memo_tags_.resize(kMemoSlots);
    const size_t h = std::hash<std::string_view>()(text);
    const size_t i = h & (kMemoSlots - 1);
    Memo& m = memo_[i];
    if (m.used && m.in == text) return m.out;
    std::string out = MaskScanned(text);
    // Kept only when seen a second time (the slot's tag says so): a text
    // seen once (a ticket's subject) does not evict one that recurs (its
    // created / updated timestamps).
    const uint64_t tag = static_cast<uint64_t>(h) | 1;
    if (memo_tags_[i] != tag) {
      memo_tags_[i] = tag;
      return out;
    }
    m.out = out;
    m.in.assign(text);
    m.used = true;
    return out;
  }
  return MaskScanned(text);
}

std::string IdentifierMasker::MaskScanned(std::string_view original) {
  // The readings below take ASCII digits, signs and spaces: they are made
  // of the text as the detectors read it ("sak-１５１０８６９５０８８-1",
  // "sak-151086\u201395088-1" were shown raw: a full-width digit or an en
  // dash was a letter to them), and the findings mapped back.
  const std::string_view text = normalizer_->Normalize(original, folded_, fold_map_);
  // Two or more readings, byte for byte the same length as `text`, their findings
  // together: (1) punctuation that names and ids put between words
  // (". _ / @ < > : =" and the like) as a space, so a number glued to it
  // ("15108695088.1@host", "kunde_15108695088.pdf") stands on its own while
  // what is written inside identifiers (digits, letters, + - spaces) stays
  // (a HETU ends in a letter); (2) letters as spaces too, for a number glued
  // to a word ("kunde15108695088"); and, only where GluedBySign finds a
  // number glued by signs: (3) every '-' and '+' as a break that no number
  // spans ('#'), letters as spaces ("kunde-15108695088-1.jsonl": the digit
  // runs read "15108695088-1" as one 12-digit number); (4) for an id written
  // with a sign inside ("sak-811218-9876-1": 6, 4 and 1 digits to the
  // detectors), one more reading per such sign, that sign kept and the
  // others breaks.
  Spans found;
  //
  // Ids that end in or hold a letter (a HETU "131052-308T", "131052A308T";
  // an IBAN "NO93...") lost it where letters are spaces: (5) where a letter
  // follows a digit, one more reading of (2) that keeps the letters right
  // after a digit ("a131052-308Tb.txt"); and where glued by signs, the
  // readings (3) and (4) once more with the letters kept
  // ("sak-12345-131052-308T.txt", "sak-NO9386011117947-1.txt").
  std::vector<size_t> inner;
  const bool glued = GluedBySign(text, inner);
  const int sign_readings = glued ? 1 + static_cast<int>(inner.size()) : 0;
  const bool letter_after_digit = LetterAfterDigit(text);
  const int readings = 2 + 2 * sign_readings + (letter_after_digit ? 1 : 0);
  for (int reading = 0; reading < readings; ++reading) {
    // Which: 0, 1; then the sign readings (letters blank, then kept); last (5).
    const bool fifth = letter_after_digit && reading == readings - 1;
    const int r = fifth ? 1 : reading < 2 ? reading : 2 + (reading - 2) % sign_readings;
    const bool keep_letters = reading == 0 || (!fifth && reading >= 2 + sign_readings);
    spaced_.assign(text);
    for (size_t i = 0; i < spaced_.size(); ++i) {
      char& c = spaced_[i];
      unsigned char u = static_cast<unsigned char>(c);
      bool letter = ((u | 0x20) >= 'a' && (u | 0x20) <= 'z') || u >= 0x80;
      bool sign = u == '+' || u == '-';
      bool keep = (u >= '0' && u <= '9') || (sign && r < 2) || u == ' ' || (letter && keep_letters) ||
                  (fifth && letter && u < 0x80 && i > 0 && IsDigitByte(text[i - 1]));
      if (sign && r >= 2)
        c = '#';
      else if (!keep)
        c = ' ';
    }
    if (r >= 3) spaced_[inner[static_cast<size_t>(r - 3)]] = text[inner[static_cast<size_t>(r - 3)]];
    auto src = StringSource(spaced_, "");
    if (!ctx_->Scan(*src, filter_, found).ok()) {
      // Could not check it: every digit masked rather than a raw value shown.
      std::string out(original);
      for (char& c : out)
        if (c >= '0' && c <= '9') c = '*';
      return out;
    }
  }
  // The longest first where two start together; one that overlaps a span
  // masked already and goes on past it has the rest's digits masked (two
  // readings' findings: its tail was shown raw before).
  std::sort(found.spans.begin(), found.spans.end(), [](const Spans::Span& a, const Spans::Span& b) {
    return a.start != b.start ? a.start < b.start : a.end > b.end;
  });
  std::string out;
  uint64_t pos = 0;
  for (const auto& s : found.spans) {
    if (s.end > text.size()) continue;
    const uint64_t start = fold_map_.Start(static_cast<uint32_t>(s.start)),
                   end = fold_map_.End(static_cast<uint32_t>(s.end));
    if (end > original.size() || end <= pos) continue;  // inside one masked already
    if (start < pos) {
      for (char c : original.substr(pos, end - pos)) out.push_back(IsDigitByte(c) ? '*' : c);
      pos = end;
      continue;
    }
    out.append(original.substr(pos, start - pos));
    out += s.masked;
    pos = end;
  }
  out.append(original.substr(pos));
  return out;
}

}  // namespace nordpii
