// SPDX-License-Identifier: Apache-2.0
// The Hyperscan engine: global keywords and regex detectors in one block-mode
// database; end offsets only (no SOM: see shared/reference §3), every repeat
// bounded (checked with hs_expression_info). RE2 confirms regex spans in
// [end - max_width, end]; the e-mail regex is not in the database but found
// by internal::FindEmail; keyword starts follow from the keyword length.
#include <hs/hs.h>
#include <re2/re2.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

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
  // Regex ends per regex (Scan), kept with their capacity: a vector of
  // vectors built per call was a malloc and free for every ticket field.
  std::vector<std::vector<size_t>> ends;
  std::vector<DigitRun> runs;  // ScanFields: the runs of all fields
  std::vector<RegexMatch> emails;  // ScanFields: the e-mail addresses of all fields
};

// Whether `c` is an ASCII letter or a byte of a non-ASCII character.
inline bool LetterOrHigh(unsigned char c) {
  return c >= 0x80 || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

bool HasLetterOrHigh(std::string_view t) {
  for (char c : t)
    if (LetterOrHigh(static_cast<unsigned char>(c))) return true;
  return false;
}

// Whether every match of `re` holds an ASCII letter: it ends, outside any
// group and with no alternation at the top level, in a letter class repeated
// at least once ("...\.[A-Za-z]{2,10}", the obfuscated e-mail). Anything
// else counts as "maybe not" (the scan is then never skipped).
bool RegexNeedsLetter(const std::string& re) {
  int depth = 0;
  for (size_t i = 0; i < re.size(); ++i) {
    char c = re[i];
    if (c == '\\') { ++i; continue; }
    if (c == '[') {  // skip the class
      size_t j = i + 1;
      if (j < re.size() && re[j] == '^') ++j;
      if (j < re.size() && re[j] == ']') ++j;
      while (j < re.size() && re[j] != ']') j += re[j] == '\\' ? 2 : 1;
      i = j;
      continue;
    }
    if (c == '(') ++depth;
    else if (c == ')') --depth;
    else if (c == '|' && depth == 0) return false;
  }
  static const std::string kTail = "[A-Za-z]{";
  size_t at = re.rfind(kTail);
  if (at == std::string::npos || re.back() != '}' || (at > 0 && re[at - 1] == '\\')) return false;
  size_t k = at + kTail.size();
  if (k >= re.size() || re[k] < '1' || re[k] > '9') return false;  // at least once
  for (; k < re.size() - 1; ++k)
    if (!(re[k] >= '0' && re[k] <= '9') && re[k] != ',') return false;
  return true;
}

// Whether no match of `re` can hold a line break ('\n'), by its syntax:
// literals, escaped punctuation, \d \w \b \B, groups, alternation, bounded
// repeats and classes of those. Anything else — '.', a negated class, \s,
// \W, \D, \x.., \p{..}, anchors, flags, control bytes — counts as "maybe"
// (ScanFields then leaves the fields to Scan one by one).
bool RegexCannotMatchLineBreak(const std::string& re) {
  for (size_t i = 0; i < re.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(re[i]);
    if (c < 0x20 || c == 0x7F) return false;
    if (c == '\\') {
      if (i + 1 >= re.size()) return false;
      const char n = re[++i];
      const bool ok = n == 'd' || n == 'w' || n == 'b' || n == 'B' || std::ispunct(static_cast<unsigned char>(n));
      if (!ok) return false;
      continue;
    }
    if (c == '.' || c == '^' || c == '$') return false;
    if (c == '(' && i + 1 < re.size() && re[i + 1] == '?' && !(i + 2 < re.size() && re[i + 2] == ':')) return false;
    if (c == '[') {
      if (i + 1 < re.size() && re[i + 1] == '^') return false;
      // A class: its members by the same rules ('.' and '$' are literal in it).
      size_t j = i + 1;
      if (j < re.size() && re[j] == ']') ++j;
      for (; j < re.size() && re[j] != ']'; ++j) {
        const unsigned char m = static_cast<unsigned char>(re[j]);
        if (m < 0x20 || m == 0x7F) return false;
        if (m == '[') return false;  // [:class:] and the like
        if (m == '\\') {
          if (j + 1 >= re.size()) return false;
          const char n = re[++j];
          if (!(n == 'd' || n == 'w' || std::ispunct(static_cast<unsigned char>(n)))) return false;
        }
      }
      if (j >= re.size()) return false;
      i = j;
    }
  }
  return true;
}

int OnMatch(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/,
            void* ctx) {
  static_cast<std::vector<RawHit>*>(ctx)->push_back({id, to});
  return 0;
}

class HyperscanMatcher : public internal::MatcherCommon {
 public:
  bool letters_needed_ = true;  // see Scan
  bool fields_ok_ = true;       // see ScanFields
  Status Init(const PatternSet& set) {
    if (Status s = InitCommon(set); !s.ok()) return s;
    std::vector<std::string> exprs;
    std::vector<unsigned> flags, ids;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].context) continue;  // looked up by detect/label_index
      exprs.push_back(internal::KeywordExpression(entries_[i].text, false));
      letters_needed_ = letters_needed_ && HasLetterOrHigh(entries_[i].text);
      flags.push_back(HS_FLAG_CASELESS);
      ids.push_back(static_cast<unsigned>(i));
    }
    for (size_t r = 0; r < regexes_.size(); ++r) {
      // The e-mail regex is found by internal::FindEmail over the whole
      // text (a memchr for '@'): no Hyperscan pattern needed.
      if (regexes_[r].email) continue;
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
      letters_needed_ = letters_needed_ && RegexNeedsLetter(d.regex);
      fields_ok_ = fields_ok_ && RegexCannotMatchLineBreak(d.regex);
      exprs.push_back(d.regex);
      flags.push_back(0);
      ids.push_back(kRegexIdBase + static_cast<unsigned>(r));
    }
    hs_scratch_t* scratch = nullptr;
    if (!exprs.empty()) {
      hs_database_t* db = LoadCached(exprs, flags, ids);
      if (!db) {
        std::vector<const char*> cexprs;
        for (const auto& e : exprs) cexprs.push_back(e.c_str());
        hs_compile_error_t* err = nullptr;
        if (hs_compile_multi(cexprs.data(), flags.data(), ids.data(),
                             static_cast<unsigned>(cexprs.size()), HS_MODE_BLOCK, nullptr, &db,
                             &err) != HS_SUCCESS) {
          std::string msg = err ? err->message : "unknown error";
          int which = err ? err->expression : -1;
          hs_free_compile_error(err);
          return Error(ErrorCode::kInvalidArgument,
                       "Hyperscan compile failed" +
                           (which >= 0 ? " on '" + exprs[static_cast<size_t>(which)] + "'" : "") +
                           ": " + msg);
        }
        StoreCached(db);
      }
      global_.reset(db);
      if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS)
        return Error(ErrorCode::kInternal, "hs_alloc_scratch failed");
    }
    proto_.reset(scratch);
    return Status::Ok();
  }
  const char* name() const override { return "hyperscan"; }
  bool MatchesNeedLetter() const override { return letters_needed_; }
  std::unique_ptr<MatcherScratch> NewScratch() const override {
    auto s = std::make_unique<HsScratch>();
    hs_scratch_t* clone = nullptr;
    if (hs_clone_scratch(proto_.get(), &clone) == HS_SUCCESS) s->scratch.reset(clone);
    return s;
  }
  Status Scan(std::string_view text, MatcherScratch& scratch, MatchResults& out) const override {
    auto& sc = static_cast<HsScratch&>(scratch);
    out.Clear();
    // No database: a pattern set whose only regex is the e-mail one and that
    // has no trigger keywords (FindEmail needs no Hyperscan).
    if (global_ && !sc.scratch) return Error(ErrorCode::kInternal, "no Hyperscan scratch");
    sc.hits.clear();
    // Every keyword holds a letter (or a non-ASCII character) and every
    // regex needs a letter: a text without one has no Hyperscan match, and
    // the call's fixed cost is skipped (a ticket's numbers, dates, ids are
    // each scanned as a document of their own).
    if (!text.empty() && global_ && (!letters_needed_ || HasLetterOrHigh(text))) {
      hs_error_t rc = hs_scan(global_.get(), text.data(), static_cast<unsigned>(text.size()), 0,
                              sc.scratch.get(), OnMatch, &sc.hits);
      if (rc != HS_SUCCESS) return Error(ErrorCode::kInternal, "hs_scan failed: " + std::to_string(rc));
    }
    // Regex ends: group per regex, merge windows, confirm with RE2.
    auto& ends = sc.ends;
    ends.resize(regexes_.size());
    for (auto& e : ends) e.clear();
    for (const RawHit& h : sc.hits) {
      if (h.id >= kRegexIdBase) ends[h.id - kRegexIdBase].push_back(h.to);
      else AddKeywordHit(text, h.id, h.to, out.keywords);
    }
    ConfirmRegexes(text, ends, out);
    FindDigitRuns(text, out.runs);
    SortResults(out);
    return Status::Ok();
  }

  // One Hyperscan call and one digit-run pass over the fields' span; each
  // field then gets the hits that end in it, checked and confirmed on the
  // field's text alone exactly as Scan() would (keyword boundaries, RE2
  // windows, e-mail), so its results are Scan()'s of the field. The only
  // difference a single pass could make is a match that starts in one field
  // and ends in the next: the "\n\n" between fields rules that out for
  // keywords (a hit must start inside the field: AddKeywordHit on the
  // field's text drops one that would not), digit runs (at most one line
  // break between two digits) and regexes (fields_ok_: none can match a
  // line break).
  Result<bool> ScanFields(std::string_view text, const std::vector<FieldRange>& fields, MatcherScratch& scratch,
                          std::vector<MatchResults>& out) const override {
    if (!fields_ok_ || fields.empty()) return false;
    auto& sc = static_cast<HsScratch&>(scratch);
    if (global_ && !sc.scratch) return Error(ErrorCode::kInternal, "no Hyperscan scratch");
    for (size_t i = 0; i < fields.size(); ++i) {
      const FieldRange& f = fields[i];
      if (f.begin >= f.end || f.end > text.size() || (i > 0 && f.begin < fields[i - 1].end + 2)) return false;
      // (Byte tests, not a compare call: this runs for every field of every record.)
      if (i > 0 && (text[f.begin - 2] != '\n' || text[f.begin - 1] != '\n')) return false;
      if (i + 1 < fields.size() && (f.end + 2 > text.size() || text[f.end] != '\n' || text[f.end + 1] != '\n'))
        return false;
    }
    const uint32_t lo = fields.front().begin;
    const std::string_view all = text.substr(lo, fields.back().end - lo);
    sc.hits.clear();
    if (global_ && (!letters_needed_ || HasLetterOrHigh(all))) {
      hs_error_t rc = hs_scan(global_.get(), all.data(), static_cast<unsigned>(all.size()), 0, sc.scratch.get(),
                              OnMatch, &sc.hits);
      if (rc != HS_SUCCESS) return Error(ErrorCode::kInternal, "hs_scan failed: " + std::to_string(rc));
      // Hyperscan reports in end order as a rule; sorted only if not.
      auto by_end = [](const RawHit& a, const RawHit& b) { return a.to < b.to; };
      if (!std::is_sorted(sc.hits.begin(), sc.hits.end(), by_end))
        std::stable_sort(sc.hits.begin(), sc.hits.end(), by_end);
    }
    auto& runs = sc.runs;
    runs.clear();
    FindDigitRuns(all, runs);
    // E-mail addresses over the whole span at once: FindEmail's matches
    // are decided by the character runs around each '@', none of which
    // holds a line break, so each field gets those it would get alone.
    auto& emails = sc.emails;
    emails.clear();
    for (size_t r = 0; r < regexes_.size(); ++r)
      if (regexes_[r].email) internal::FindEmail(all, 0, all.size(), regexes_[r].detector, emails);
    if (emails.size() > 1)
      std::stable_sort(emails.begin(), emails.end(),
                       [](const RegexMatch& a, const RegexMatch& b) { return a.start < b.start; });
    if (out.size() < fields.size()) out.resize(fields.size());
    auto& ends = sc.ends;
    ends.resize(regexes_.size());
    for (auto& e : ends) e.clear();
    size_t h = 0, d = 0, m = 0;
    for (size_t i = 0; i < fields.size(); ++i) {
      MatchResults& o = out[i];
      o.Clear();
      const size_t fb = fields[i].begin - lo, fe = fields[i].end - lo;
      const std::string_view field = all.substr(fb, fe - fb);
      bool regex_ends = false;
      while (h < sc.hits.size() && sc.hits[h].to <= fb) ++h;
      for (; h < sc.hits.size() && sc.hits[h].to <= fe; ++h) {
        const RawHit& hit = sc.hits[h];
        if (hit.id >= kRegexIdBase) {
          ends[hit.id - kRegexIdBase].push_back(hit.to - fb);
          regex_ends = true;
        } else {
          AddKeywordHit(field, hit.id, hit.to - fb, o.keywords);
        }
      }
      if (regex_ends) {
        ConfirmRegexes(field, ends, o, /*emails=*/false);
        for (auto& e : ends) e.clear();
      }
      while (m < emails.size() && emails[m].start < fb) {
        if (emails[m].end > fb) return false;  // across a field's start: cannot be (see above)
        ++m;
      }
      for (; m < emails.size() && emails[m].start < fe; ++m) {
        if (emails[m].end > fe) return false;
        o.regex.push_back({emails[m].detector, static_cast<uint32_t>(emails[m].start - fb),
                           static_cast<uint32_t>(emails[m].end - fb)});
      }
      while (d < runs.size() && runs[d].start < fb) {
        if (runs[d].end > fb) return false;  // across a field's start: cannot be (see above)
        ++d;
      }
      for (; d < runs.size() && runs[d].start < fe; ++d) {
        if (runs[d].end > fe) return false;
        o.runs.push_back({static_cast<uint32_t>(runs[d].start - fb), static_cast<uint32_t>(runs[d].end - fb)});
      }
      if (o.keywords.size() > 1 || o.regex.size() > 1) SortResults(o);
    }
    return true;
  }


 private:
  // Regex ends (per regex, offsets in `text`) to confirmed matches: merge
  // windows, confirm with RE2; e-mail by FindEmail over the whole text.
  void ConfirmRegexes(std::string_view text, std::vector<std::vector<size_t>>& ends, MatchResults& out,
                      bool emails = true) const {
    for (size_t r = 0; r < regexes_.size(); ++r) {
      if (regexes_[r].email) {
        if (!emails) continue;
        // The same matches as RE2 confirming each Hyperscan end in its
        // window: a window [first end - max_width, last end) holds every
        // match that ends in it, and no match crosses into it.
        internal::FindEmail(text, 0, text.size(), regexes_[r].detector, out.regex);
        continue;
      }
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
  }

  // Compiling the database takes ~80 ms; like rspamd's hs_helper we keep it
  // serialised in a cache directory, keyed by the Hyperscan version, the
  // host platform and every expression. A missing, stale or unreadable cache
  // is never an error: we compile instead. NORDPII_CACHE_DIR=off disables it.
  hs_database_t* LoadCached(const std::vector<std::string>& exprs, const std::vector<unsigned>& flags,
                            const std::vector<unsigned>& ids) {
    std::string dir = CacheDir();
    if (dir.empty()) return nullptr;
    uint64_t h = 1469598103934665603ull;  // FNV-1a over everything that shapes the database
    auto mix = [&](const void* p, size_t n) {
      const auto* b = static_cast<const unsigned char*>(p);
      for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
    };
    std::string v = hs_version();
    mix(v.data(), v.size());
    hs_platform_info_t plat{};
    hs_populate_platform(&plat);
    mix(&plat, sizeof(plat));
    for (size_t i = 0; i < exprs.size(); ++i) {
      mix(exprs[i].data(), exprs[i].size() + 1);
      mix(&flags[i], sizeof(unsigned));
      mix(&ids[i], sizeof(unsigned));
    }
    char name[32];
    std::snprintf(name, sizeof(name), "/%016llx.hsdb", static_cast<unsigned long long>(h));
    cache_path_ = dir + name;
    std::ifstream in(cache_path_, std::ios::binary);
    if (!in) return nullptr;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    hs_database_t* db = nullptr;
    if (hs_deserialize_database(bytes.data(), bytes.size(), &db) != HS_SUCCESS) return nullptr;
    return db;
  }
  void StoreCached(const hs_database_t* db) {
    if (cache_path_.empty()) return;
    char* bytes = nullptr;
    size_t len = 0;
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) return;
    std::string tmp = cache_path_ + ".tmp" + std::to_string(getpid());
    {
      std::ofstream out(tmp, std::ios::binary);
      out.write(bytes, static_cast<std::streamsize>(len));
      if (!out) { free(bytes); std::remove(tmp.c_str()); return; }
    }
    free(bytes);
    if (std::rename(tmp.c_str(), cache_path_.c_str()) != 0) std::remove(tmp.c_str());
  }
  static std::string CacheDir() {
    std::string dir;
    if (const char* d = std::getenv("NORDPII_CACHE_DIR"); d && *d) {
      if (std::string(d) == "off") return "";
      dir = d;
    } else if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) {
      dir = std::string(x) + "/nordpii";
    } else if (const char* home = std::getenv("HOME"); home && *home) {
      dir = std::string(home) + "/.cache/nordpii";
    } else {
      return "";
    }
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    return ec ? "" : dir;
  }

  std::string cache_path_;
  std::unique_ptr<hs_database_t, DbDeleter> global_;
  std::unique_ptr<hs_scratch_t, ScratchDeleter> proto_;
};

}  // namespace

Result<std::shared_ptr<const Matcher>> MakeHyperscanMatcher(const PatternSet& set) {
  auto m = std::make_shared<HyperscanMatcher>();
  if (Status s = m->Init(set); !s.ok()) return s;
  return std::shared_ptr<const Matcher>(std::move(m));
}

}  // namespace nordpii
