// SPDX-License-Identifier: Apache-2.0
// The pure-RE2 engine: slower, and the reference the Hyperscan engine is
// compared with. Keywords: an anchored RE2::Set tried at every word start.
#include <re2/re2.h>
#include <re2/set.h>

#include "core/utf8.h"
#include "match/matcher_internal.h"

namespace nordpii {
namespace {

class Re2Scratch : public MatcherScratch {
 public:
  std::vector<int> ids;
};

// The global keywords as an anchored RE2::Set.
struct KeywordSet {
  std::unique_ptr<RE2::Set> set;
  std::vector<uint32_t> entry;  // set index -> entries_ index
  size_t max_len = 0;
};

class Re2Matcher : public internal::MatcherCommon {
 public:
  Status Init(const PatternSet& set) {
    if (Status s = InitCommon(set); !s.ok()) return s;
    // Context keywords (labels, negative context) are looked up by
    // detect/label_index next to candidates, not here.
    RE2::Options opt;
    opt.set_case_sensitive(false);
    opt.set_log_errors(false);
    opt.set_max_mem(64 << 20);
    global_.set = std::make_unique<RE2::Set>(opt, RE2::ANCHOR_START);
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].context) continue;
      std::string err;
      if (global_.set->Add(internal::KeywordExpression(entries_[i].text, true), &err) < 0)
        return Error(ErrorCode::kInvalidArgument, "keyword '" + entries_[i].text + "': " + err);
      global_.entry.push_back(static_cast<uint32_t>(i));
      global_.max_len = std::max(global_.max_len, entries_[i].text.size());
    }
    if (!global_.entry.empty() && !global_.set->Compile())
      return Error(ErrorCode::kInternal, "RE2::Set compile failed");
    return Status::Ok();
  }
  const char* name() const override { return "re2"; }
  std::unique_ptr<MatcherScratch> NewScratch() const override {
    return std::make_unique<Re2Scratch>();
  }
  Status Scan(std::string_view text, MatcherScratch& scratch, MatchResults& out) const override {
    out.Clear();
    Keywords(global_, text, 0, text.size(), static_cast<Re2Scratch&>(scratch), out.keywords);
    for (size_t r = 0; r < regexes_.size(); ++r) FindRegex(text, r, 0, text.size(), out.regex);
    FindDigitRunsRe2(text, out.runs);
    SortResults(out);
    return Status::Ok();
  }


 private:
  // Keywords start at a word character that follows a non-word character.
  void Keywords(const KeywordSet& ks, std::string_view text, size_t from, size_t to,
                Re2Scratch& sc, std::vector<KeywordHit>& out) const {
    if (ks.entry.empty()) return;
    for (size_t p = from; p < to; ++p) {
      unsigned char c = static_cast<unsigned char>(text[p]);
      if ((c & 0xC0) == 0x80) continue;  // not a code point start
      if (!WordCharAt(text, p) || WordCharBefore(text, p)) continue;
      size_t len = std::min(ks.max_len + 8, to - p);
      sc.ids.clear();
      if (!ks.set->Match(re2::StringPiece(text.data() + p, len), &sc.ids)) continue;
      for (int id : sc.ids) {
        uint32_t e = ks.entry[static_cast<size_t>(id)];
        if (p + entries_[e].text.size() <= to) AddKeywordHit(text, e, p + entries_[e].text.size(), out);
      }
    }
  }

  KeywordSet global_;
};

}  // namespace

Result<std::shared_ptr<const Matcher>> MakeRe2Matcher(const PatternSet& set) {
  auto m = std::make_shared<Re2Matcher>();
  if (Status s = m->Init(set); !s.ok()) return s;
  return std::shared_ptr<const Matcher>(std::move(m));
}

}  // namespace nordpii
