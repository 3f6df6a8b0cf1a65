#include "output/identifier_masker.h"

#include <algorithm>
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

}  // namespace

IdentifierMasker::IdentifierMasker(const Scanner& scanner, const KeyedHasher& hasher)
    : ctx_(scanner.NewContext(hasher)) {
  filter_.categories = {"national-id", "financial"};
  filter_.min_confidence = Confidence::kMedium;
}

IdentifierMasker::~IdentifierMasker() = default;

std::string IdentifierMasker::Mask(std::string_view text) {
  size_t digits = 0;
  for (char c : text) digits += c >= '0' && c <= '9';
  if (digits < 9) return std::string(text);
  // Punctuation that names and ids put between words (". _ / @ < > : ="
  // and the like) reads as a space, byte for byte, so a number glued to it
  // ("15108695088.1@host", "kunde_15108695088.pdf") is seen on its own; the
  // characters written inside identifiers (digits, letters, + - and spaces)
  // stay.
  spaced_.assign(text);
  for (char& c : spaced_) {
    unsigned char u = static_cast<unsigned char>(c);
    bool keep = (u >= '0' && u <= '9') || ((u | 0x20) >= 'a' && (u | 0x20) <= 'z') || u == '+' || u == '-' ||
                u == ' ' || u >= 0x80;
    if (!keep) c = ' ';
  }
  auto src = StringSource(spaced_, "");
  Spans found;
  if (!ctx_->Scan(*src, filter_, found).ok()) {
    // Could not check it: every digit masked rather than a raw value shown.
    std::string out(text);
    for (char& c : out)
      if (c >= '0' && c <= '9') c = '*';
    return out;
  }
  std::string out;
  uint64_t pos = 0;
  for (const auto& s : found.spans) {
    if (s.start < pos || s.end > text.size()) continue;
    out.append(text.substr(pos, s.start - pos));
    out += s.masked;
    pos = s.end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace nordpii
