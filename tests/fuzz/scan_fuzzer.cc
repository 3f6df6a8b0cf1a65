// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the text engine: normaliser, both matcher engines,
// detectors, streaming with a small chunk size, redaction, and the transfer
// decoders (quoted-printable, base64, RFC 2047, charsets) and HTML to text. Checks
// invariants besides "no crash": findings lie inside the input, are ordered
// and do not overlap, both engines agree, and redaction of an input without
// findings is the identity. Build: scripts/fuzz.sh (clang, ASan + UBSan).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "normalize/html_text.h"
#include "normalize/transfer_decode.h"
#include "output/redactor.h"
#include "pipeline/scanner.h"

using namespace nordpii;

namespace {

std::shared_ptr<const Scanner> Make(const char* engine) {
  ScannerOptions opt;
  opt.patterns_dir = NORDPII_SOURCE_DIR "/patterns";
  opt.engine = engine;
  opt.limits.chunk_bytes = 97;  // many rounds even for small inputs
  auto s = Scanner::Create(opt);
  if (!s) std::abort();
  return *s;
}

struct Collect : StreamSink {
  std::vector<Finding> f;
  std::string data;
  bool OnFinding(const Finding& x, std::string_view) override {
    f.push_back(x);
    return true;
  }
  Status OnData(uint64_t offset, std::string_view bytes) override {
    if (offset != data.size()) std::abort();  // every byte once, in order
    data.append(bytes);
    return Status::Ok();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  static auto hs = Make("hyperscan");
  static auto re = Make("re2");
  std::string_view in(reinterpret_cast<const char*>(d), n);
  Collect a, b;
  {
    auto ctx = hs->NewContext(KeyedHasher("fuzz"));
    auto src = StringSource(in);
    if (!ctx->Scan(*src, {}, a).ok()) std::abort();
  }
  {
    auto ctx = re->NewContext(KeyedHasher("fuzz"));
    auto src = StringSource(in);
    if (!ctx->Scan(*src, {}, b).ok()) std::abort();
  }
  if (a.data != in || b.data != in) std::abort();
  if (a.f.size() != b.f.size()) std::abort();
  uint64_t last = 0;
  for (size_t i = 0; i < a.f.size(); ++i) {
    const Finding& f = a.f[i];
    if (f.start >= f.end || f.end > n || f.start < last) std::abort();
    if (f.type != b.f[i].type || f.start != b.f[i].start || f.end != b.f[i].end) std::abort();
    last = f.end;
  }
  // The HTML fast path gives Gumbo's text (modulo whitespace) wherever it
  // accepts a document.
  {
    Decoded fast = HtmlToText(in);
    if (fast.notes.empty()) {
      auto squeeze = [](const std::string& t) {
        std::string o;
        for (char c : t) {
          bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
          if (ws) { if (!o.empty() && o.back() != ' ') o += ' '; }
          else o += c;
        }
        while (!o.empty() && o.back() == ' ') o.pop_back();
        return o;
      };
      if (squeeze(fast.bytes) != squeeze(HtmlToTextGumbo(in).bytes)) {
        std::fprintf(stderr, "HTML fast path differs from Gumbo\n");
        std::abort();
      }
    }
  }
  // Transfer decoders: any input; maps stay monotone and inside the input
  // (HTML: within the visible text and within each separate document, which
  // follow it and lead back to their own bytes; html21).
  for (const Decoded& dec : {HtmlToText(in), DecodeQuotedPrintable(in), DecodeBase64(in), DecodeEncodedWords(in),
                             ToUtf8(in, n > 0 && (d[0] & 1) ? "utf-16le" : "iso-8859-15")}) {
    std::vector<std::pair<uint32_t, uint32_t>> ranges;
    uint32_t visible_end = dec.separate.empty() ? static_cast<uint32_t>(dec.bytes.size()) : dec.separate[0].begin;
    ranges.push_back({0, visible_end});
    for (const Decoded::Separate& sp : dec.separate) {
      if (sp.begin < ranges.back().second || sp.end <= sp.begin || sp.end > dec.bytes.size()) std::abort();
      ranges.push_back({sp.begin, sp.end});
    }
    if (!dec.separate.empty() && dec.separate.back().end != dec.bytes.size()) std::abort();
    for (const auto& [from, to] : ranges) {
      uint32_t prev_start = 0;
      const bool last = to == dec.bytes.size();  // (an end inside: the next document's start)
      for (uint32_t k = from; k < to || (last && k == to); ++k) {
        ByteRange r = MapBack({k, k}, {&dec.map});
        if (r.start > n || (k > from && r.start < prev_start)) std::abort();
        prev_start = r.start;
      }
    }
  }
  return 0;
}
