// SPDX-License-Identifier: Apache-2.0
#include <re2/re2.h>
#include <unicode/uchar.h>

#include <algorithm>
#include <cstdio>

#include "core/utf8.h"
#include "match/matcher_internal.h"

namespace nordpii::internal {
namespace {


void AppendEscapedBytes(const std::string& bytes, std::string& out, bool utf8_literals) {
  char buf[8];
  for (unsigned char b : bytes) {
    if ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
        (utf8_literals && b >= 0x80)) {
      out.push_back(static_cast<char>(b));
    } else {
      std::snprintf(buf, sizeof(buf), "\\x%02X", b);
      out += buf;
    }
  }
}

}  // namespace

std::string KeywordExpression(const std::string& word, bool utf8_literals) {
  std::string out;
  const auto* s = reinterpret_cast<const unsigned char*>(word.data());
  for (size_t i = 0; i < word.size();) {
    uint32_t cp;
    int len = DecodeUtf8(s, word.size(), i, cp);
    if (len <= 0) len = 1;
    std::string self = word.substr(i, static_cast<size_t>(len));
    if (cp >= 0x80 && len > 0) {
      std::string other;
      uint32_t alt = static_cast<uint32_t>(u_isupper(static_cast<UChar32>(cp))
                                               ? u_tolower(static_cast<UChar32>(cp))
                                               : u_toupper(static_cast<UChar32>(cp)));
      AppendUtf8(alt, other);
      if (alt != cp && other.size() == self.size()) {
        out += "(?:";
        AppendEscapedBytes(self, out, utf8_literals);
        out += "|";
        AppendEscapedBytes(other, out, utf8_literals);
        out += ")";
        i += static_cast<size_t>(len);
        continue;
      }
    }
    AppendEscapedBytes(self, out, utf8_literals);
    i += static_cast<size_t>(len);
  }
  return out;
}

Status MatcherCommon::InitCommon(const PatternSet& set) {
  for (size_t g = 0; g < set.keywords.size(); ++g) {
    for (const Keyword& k : set.keywords[g].words) {
      KeywordEntry e;
      e.group = static_cast<uint32_t>(g);
      e.text = k.text;
      e.prefix = k.prefix;
      KeywordRole role = set.keywords[g].role;
      e.context = role == KeywordRole::kLabel || role == KeywordRole::kNegative;
      uint32_t last = 0;
      const auto* s = reinterpret_cast<const unsigned char*>(k.text.data());
      size_t b = k.text.size() - 1;
      while (b > 0 && (s[b] & 0xC0) == 0x80) --b;
      if (DecodeUtf8(s, k.text.size(), b, last) == 0) last = '#';
      e.check_end = !k.prefix && IsWordCodepoint(last);
      entries_.push_back(std::move(e));
    }
  }
  for (size_t d = 0; d < set.detectors.size(); ++d) {
    const DetectorSpec& spec = set.detectors[d];
    if (spec.source != DetectorSource::kRegex) continue;
    // The e-mail regex is matched by FindEmail (FindRegex): no RE2 built
    // (0.4 ms of every start-up; the constant is known to compile).
    const bool email = spec.regex == kEmailRegex;
    std::shared_ptr<RE2> re;
    if (!email) {
      RE2::Options opt;
      opt.set_log_errors(false);
      opt.set_max_mem(8 << 20);
      re = std::make_shared<RE2>(spec.regex, opt);
      if (!re->ok())
        return Error(ErrorCode::kInvalidArgument, spec.file + ":" + std::to_string(spec.line) +
                                                      ": detector '" + spec.id +
                                                      "': bad regex: " + re->error());
    }
    regexes_.push_back({static_cast<uint32_t>(d), std::move(re), 0, email});
  }
  return Status::Ok();
}

void MatcherCommon::AddKeywordHit(std::string_view text, uint32_t entry, size_t end,
                                  std::vector<KeywordHit>& out) const {
  const KeywordEntry& e = entries_[entry];
  if (end < e.text.size()) return;
  size_t start = end - e.text.size();
  if (WordCharBefore(text, start)) return;
  if (e.check_end && WordCharAt(text, end)) return;
  out.push_back({e.group, static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
}

void MatcherCommon::FindRegex(std::string_view text, size_t r, size_t from, size_t to,
                              std::vector<RegexMatch>& out) const {
  if (regexes_[r].email) return FindEmail(text, from, to, regexes_[r].detector, out);  // RE2's matches
  const RE2& re = *regexes_[r].re;
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece m;
  size_t pos = from;
  while (pos < to && re.Match(input, pos, to, RE2::UNANCHORED, &m, 1)) {
    size_t b = static_cast<size_t>(m.data() - text.data());
    size_t e = b + m.size();
    if (e == b) { pos = b + 1; continue; }
    out.push_back({regexes_[r].detector, static_cast<uint32_t>(b), static_cast<uint32_t>(e)});
    pos = e;
  }
}

void MatcherCommon::SortHits(std::vector<KeywordHit>& hits) {
  std::sort(hits.begin(), hits.end(), [](const KeywordHit& a, const KeywordHit& b) {
    if (a.end != b.end) return a.end < b.end;
    if (a.start != b.start) return a.start < b.start;
    return a.group < b.group;
  });
  hits.erase(std::unique(hits.begin(), hits.end(),
                         [](const KeywordHit& a, const KeywordHit& b) {
                           return a.end == b.end && a.start == b.start && a.group == b.group;
                         }),
             hits.end());
}

void MatcherCommon::SortResults(MatchResults& out) {
  SortHits(out.keywords);
  std::sort(out.regex.begin(), out.regex.end(), [](const RegexMatch& a, const RegexMatch& b) {
    if (a.start != b.start) return a.start < b.start;
    return a.detector < b.detector;
  });
}

}  // namespace nordpii::internal
