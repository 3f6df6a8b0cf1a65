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

class Re2Matcher : public internal::MatcherCommon {
 public:
  Status Init(const PatternSet& set) {
    if (Status s = InitCommon(set); !s.ok()) return s;
    RE2::Options opt;
    opt.set_case_sensitive(false);
    opt.set_log_errors(false);
    opt.set_max_mem(64 << 20);
    set_ = std::make_unique<RE2::Set>(opt, RE2::ANCHOR_START);
    for (const auto& e : entries_) {
      std::string err;
      if (set_->Add(internal::KeywordExpression(e.text, true), &err) < 0)
        return Error(ErrorCode::kInvalidArgument, "keyword '" + e.text + "': " + err);
      max_len_ = std::max(max_len_, e.text.size());
    }
    if (!set_->Compile()) return Error(ErrorCode::kInternal, "RE2::Set compile failed");
    return Status::Ok();
  }
  const char* name() const override { return "re2"; }
  std::unique_ptr<MatcherScratch> NewScratch() const override {
    return std::make_unique<Re2Scratch>();
  }
  Status Scan(std::string_view text, MatcherScratch& scratch, MatchResults& out) const override {
    auto& sc = static_cast<Re2Scratch&>(scratch);
    out.Clear();
    // Keywords start at a word character that follows a non-word character.
    for (size_t p = 0; p < text.size(); ++p) {
      unsigned char c = static_cast<unsigned char>(text[p]);
      if ((c & 0xC0) == 0x80) continue;  // not a code point start
      if (!WordCharAt(text, p) || WordCharBefore(text, p)) continue;
      size_t len = std::min(max_len_ + 8, text.size() - p);
      sc.ids.clear();
      if (!set_->Match(re2::StringPiece(text.data() + p, len), &sc.ids)) continue;
      for (int id : sc.ids)
        AddKeywordHit(text, static_cast<uint32_t>(id), p + entries_[id].text.size(), out.keywords);
    }
    for (size_t r = 0; r < regexes_.size(); ++r) FindRegex(text, r, 0, text.size(), out.regex);
    FindDigitRunsRe2(text, out.runs);
    SortResults(out);
    return Status::Ok();
  }

 private:
  std::unique_ptr<RE2::Set> set_;
  size_t max_len_ = 0;
};

}  // namespace

Result<std::shared_ptr<const Matcher>> MakeRe2Matcher(const PatternSet& set) {
  auto m = std::make_shared<Re2Matcher>();
  if (Status s = m->Init(set); !s.ok()) return s;
  return std::shared_ptr<const Matcher>(std::move(m));
}

}  // namespace nordpii
