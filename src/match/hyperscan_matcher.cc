// The Hyperscan engine: global keywords and regex detectors in one block-mode
// database, context keywords in a second one scanned only around candidates; end offsets only (no SOM: see shared/reference §3), every repeat
// bounded (checked with hs_expression_info). RE2 confirms regex spans in
// [end - max_width, end]; keyword starts follow from the keyword length.
#include <hs/hs.h>
#include <re2/re2.h>

#include <algorithm>

#include "match/matcher_internal.h"

namespace nordpii {
namespace {

constexpr unsigned kRegexIdBase = 1u << 24;

struct DbDeleter {
  void operator()(hs_database_t* d) const { hs_free_database(d); }
};
struct ScratchDeleter {
  void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};

struct RawHit {
  unsigned id;
  unsigned long long to;
};

class HsScratch : public MatcherScratch {
 public:
  std::unique_ptr<hs_scratch_t, ScratchDeleter> scratch;
  std::vector<RawHit> hits;
};

int OnMatch(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/,
            void* ctx) {
  static_cast<std::vector<RawHit>*>(ctx)->push_back({id, to});
  return 0;
}

class HyperscanMatcher : public internal::MatcherCommon {
 public:
  Status Init(const PatternSet& set) {
    if (Status s = InitCommon(set); !s.ok()) return s;
    std::vector<std::string> exprs[2];
    std::vector<unsigned> flags[2], ids[2];
    for (size_t i = 0; i < entries_.size(); ++i) {
      int k = entries_[i].context ? 1 : 0;
      exprs[k].push_back(internal::KeywordExpression(entries_[i].text, false));
      flags[k].push_back(HS_FLAG_CASELESS);
      ids[k].push_back(static_cast<unsigned>(i));
    }
    for (size_t r = 0; r < regexes_.size(); ++r) {
      const DetectorSpec& d = set.detectors[regexes_[r].detector];
      hs_expr_info_t* info = nullptr;
      hs_compile_error_t* err = nullptr;
      if (hs_expression_info(d.regex.c_str(), 0, &info, &err) != HS_SUCCESS) {
        std::string msg = err ? err->message : "unknown error";
        hs_free_compile_error(err);
        return Error(ErrorCode::kInvalidArgument, d.file + ":" + std::to_string(d.line) +
                                                      ": detector '" + d.id +
                                                      "': Hyperscan rejects regex: " + msg);
      }
      unsigned max_width = info->max_width;
      free(info);
      if (max_width == UINT_MAX || max_width > 512)
        return Error(ErrorCode::kInvalidArgument,
                     d.file + ":" + std::to_string(d.line) + ": detector '" + d.id +
                         "': regex is unbounded or wider than 512 bytes; bound every repeat");
      regexes_[r].max_width = max_width;
      exprs[0].push_back(d.regex);
      flags[0].push_back(0);
      ids[0].push_back(kRegexIdBase + static_cast<unsigned>(r));
    }
    hs_scratch_t* scratch = nullptr;
    for (int k = 0; k < 2; ++k) {
      if (exprs[k].empty()) continue;
      std::vector<const char*> cexprs;
      for (const auto& e : exprs[k]) cexprs.push_back(e.c_str());
      hs_database_t* db = nullptr;
      hs_compile_error_t* err = nullptr;
      if (hs_compile_multi(cexprs.data(), flags[k].data(), ids[k].data(),
                           static_cast<unsigned>(cexprs.size()), HS_MODE_BLOCK, nullptr, &db,
                           &err) != HS_SUCCESS) {
        std::string msg = err ? err->message : "unknown error";
        int which = err ? err->expression : -1;
        hs_free_compile_error(err);
        return Error(ErrorCode::kInvalidArgument,
                     "Hyperscan compile failed" +
                         (which >= 0 ? " on '" + exprs[k][static_cast<size_t>(which)] + "'" : "") +
                         ": " + msg);
      }
      (k == 0 ? global_ : context_).reset(db);
      // One scratch serves both databases.
      if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS)
        return Error(ErrorCode::kInternal, "hs_alloc_scratch failed");
    }
    proto_.reset(scratch);
    return Status::Ok();
  }
  const char* name() const override { return "hyperscan"; }
  std::unique_ptr<MatcherScratch> NewScratch() const override {
    auto s = std::make_unique<HsScratch>();
    hs_scratch_t* clone = nullptr;
    if (hs_clone_scratch(proto_.get(), &clone) == HS_SUCCESS) s->scratch.reset(clone);
    return s;
  }
  Status Scan(std::string_view text, MatcherScratch& scratch, MatchResults& out) const override {
    auto& sc = static_cast<HsScratch&>(scratch);
    out.Clear();
    if (!sc.scratch) return Error(ErrorCode::kInternal, "no Hyperscan scratch");
    sc.hits.clear();
    if (!text.empty() && global_) {
      hs_error_t rc = hs_scan(global_.get(), text.data(), static_cast<unsigned>(text.size()), 0,
                              sc.scratch.get(), OnMatch, &sc.hits);
      if (rc != HS_SUCCESS) return Error(ErrorCode::kInternal, "hs_scan failed: " + std::to_string(rc));
    }
    // Regex ends: group per regex, merge windows, confirm with RE2.
    std::vector<std::vector<size_t>> ends(regexes_.size());
    for (const RawHit& h : sc.hits) {
      if (h.id >= kRegexIdBase) ends[h.id - kRegexIdBase].push_back(h.to);
      else AddKeywordHit(text, h.id, h.to, out.keywords);
    }
    for (size_t r = 0; r < regexes_.size(); ++r) {
      auto& e = ends[r];
      if (e.empty()) continue;
      std::sort(e.begin(), e.end());
      size_t w = regexes_[r].max_width;
      size_t wb = e[0] > w ? e[0] - w : 0, we = e[0];
      for (size_t k = 1; k <= e.size(); ++k) {
        if (k < e.size() && (e[k] > w ? e[k] - w : 0) <= we) { we = e[k]; continue; }
        FindRegex(text, r, wb, we, out.regex);
        if (k < e.size()) { wb = e[k] > w ? e[k] - w : 0; we = e[k]; }
      }
    }
    FindDigitRuns(text, out.runs);
    SortResults(out);
    return Status::Ok();
  }
  Status FindContext(std::string_view text, size_t from, size_t to, MatcherScratch& scratch,
                     std::vector<KeywordHit>& out) const override {
    auto& sc = static_cast<HsScratch&>(scratch);
    if (!context_ || to <= from) return Status::Ok();
    sc.hits.clear();
    hs_error_t rc = hs_scan(context_.get(), text.data() + from, static_cast<unsigned>(to - from), 0,
                            sc.scratch.get(), OnMatch, &sc.hits);
    if (rc != HS_SUCCESS) return Error(ErrorCode::kInternal, "hs_scan failed: " + std::to_string(rc));
    for (const RawHit& h : sc.hits) AddKeywordHit(text, h.id, from + h.to, out);
    SortHits(out);
    return Status::Ok();
  }

 private:
  std::unique_ptr<hs_database_t, DbDeleter> global_, context_;
  std::unique_ptr<hs_scratch_t, ScratchDeleter> proto_;
};

}  // namespace

Result<std::shared_ptr<const Matcher>> MakeHyperscanMatcher(const PatternSet& set) {
  auto m = std::make_shared<HyperscanMatcher>();
  if (Status s = m->Init(set); !s.ok()) return s;
  return std::shared_ptr<const Matcher>(std::move(m));
}

}  // namespace nordpii
