// SPDX-License-Identifier: Apache-2.0
// Measures Hyperscan forms of the trigger-keyword scan (issue 14): the
// keywords of roles special/credential/passport of patterns/*.toml, compiled
// in different shapes, scanned over a corpus in 1 MiB blocks like the
// scanner does. Prints the expressions, raw Hyperscan matches, the keyword
// hits after the boundary checks of MatcherCommon::AddKeywordHit (count and
// a checksum: forms with the same checksum give the same hits) and the
// fastest of R rounds in CPU time of the scan alone and of scan + checks.
// Built with -DNORDPII_BUILD_BENCH=ON as nordpii_fdr_forms (a research tool;
// bench/NOTES.md has the results), or by hand:
//
//   g++ -O2 -march=x86-64-v2 -std=c++20 -Isrc bench/fdr_forms.cc -o /tmp/fdr_forms
//       build/src/libnordpii_match.a build/src/libnordpii_core.a -l:libhs.a -lre2 -licuuc
//   /tmp/fdr_forms CORPUS FORM [PATTERNS_DIR]
//
// FORM: hs       each keyword as the matcher writes it (KeywordExpression,
//                non-ASCII letters as (?:x|X), HS_FLAG_CASELESS)
//       expand   one caseless expression per non-ASCII case variant
//       lit      the same variants through hs_compile_lit_multi
//       dedup    like lit, keywords equal when lower-cased share one literal
//       lowcs    lower-case literals without CASELESS (speed only: not exact)
//       prefix   (PREFIX=N) the first N bytes of each keyword, shared by the
//                keywords that start alike; the whole keyword is compared
//                at each match (exact, more raw matches)
//       wordstart  no Hyperscan: every word start (byte before not an ASCII
//                letter/digit) tested against a bitmap of hashed folded
//                2/3/4-byte keyword prefixes, then compared (exact)
//       none     no keywords (with +re: the regex alone)
//   +re appended: the pattern set's regex detectors other than the e-mail
//   one in the same database, as the matcher does.
// Environment: R rounds (5); SPLIT=N keywords shorter than N bytes in a
// second database (two scans); ONLY=0|1 time one of the two; FIRST=N only
// the first N keywords; DROP=i without keyword i; FEATURES=x / TUNE=n the
// hs_platform_info_t given to the compiler; CHUNK bytes per hs_scan;
// LINES=file: instead, each line of the file repeated to 4 MiB and scanned
// alone (MB/s per line: which text costs the engine confirm work).
#include <emmintrin.h>
#include <hs/hs.h>
#include <time.h>
#include <unicode/uchar.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/utf8.h"
#include "match/matcher_internal.h"
#include "match/pattern_set.h"

using namespace nordpii;

namespace {

double CpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
size_t Env(const char* name, size_t def) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 0) : def;
}

struct Entry {
  uint32_t group;
  std::string text;
  bool check_end;
  std::vector<std::vector<std::string>> chars;  // per character: its byte forms (1 or 2)
};
std::vector<Entry> entries;

struct Hit {
  uint32_t group, start, end;
  bool operator<(const Hit& o) const { return std::tie(end, start, group) < std::tie(o.end, o.start, o.group); }
  bool operator==(const Hit& o) const { return end == o.end && start == o.start && group == o.group; }
};
using Raw = std::vector<std::pair<unsigned, unsigned long long>>;
constexpr unsigned kRegexId = 1u << 24;

// The characters of `w`, a non-ASCII letter with its same-length other case
// (what KeywordExpression alternates).
std::vector<std::vector<std::string>> Chars(const std::string& w) {
  std::vector<std::vector<std::string>> r;
  const auto* s = reinterpret_cast<const unsigned char*>(w.data());
  for (size_t i = 0; i < w.size();) {
    uint32_t cp;
    int len = DecodeUtf8(s, w.size(), i, cp);
    if (len <= 0) len = 1;
    std::string self = w.substr(i, len);
    std::vector<std::string> alts{self};
    if (cp >= 0x80 && len > 0) {
      uint32_t alt = static_cast<uint32_t>(u_isupper(cp) ? u_tolower(cp) : u_toupper(cp));
      std::string other;
      AppendUtf8(alt, other);
      if (alt != cp && other.size() == self.size()) alts.push_back(other);
    }
    r.push_back(alts);
    i += len;
  }
  return r;
}
std::vector<std::string> Variants(const std::vector<std::vector<std::string>>& chars) {
  std::vector<std::string> out{""};
  for (const auto& c : chars) {
    std::vector<std::string> next;
    for (const auto& p : out)
      for (const auto& a : c) next.push_back(p + a);
    out = next;
  }
  return out;
}
// ASCII letters and the non-ASCII letters with a same-length lower case, lowered.
std::string Lower(const std::string& w) {
  std::string r;
  const auto* s = reinterpret_cast<const unsigned char*>(w.data());
  for (size_t i = 0; i < w.size();) {
    uint32_t cp;
    int len = DecodeUtf8(s, w.size(), i, cp);
    if (len <= 0) {
      r.push_back(w[i++]);
      continue;
    }
    std::string l;
    AppendUtf8(static_cast<uint32_t>(u_tolower(static_cast<UChar32>(cp))), l);
    r += l.size() == static_cast<size_t>(len) ? l : w.substr(i, len);
    i += len;
  }
  return r;
}
std::string Escape(const std::string& bytes) {
  std::string out;
  char buf[8];
  for (unsigned char b : bytes) {
    if ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')) {
      out.push_back(static_cast<char>(b));
    } else {
      std::snprintf(buf, sizeof buf, "\\x%02X", b);
      out += buf;
    }
  }
  return out;
}

// Whether text[at..] is entry `en` as Hyperscan's caseless form matches it.
bool Equal(std::string_view t, size_t at, uint32_t en) {
  for (const auto& c : entries[en].chars) {
    bool ok = false;
    for (const auto& a : c) {
      if (at + a.size() > t.size()) continue;
      bool m = true;
      for (size_t j = 0; j < a.size() && m; ++j) {
        unsigned char x = static_cast<unsigned char>(t[at + j]), y = static_cast<unsigned char>(a[j]);
        m = x == y || ((x | 0x20) == (y | 0x20) && (y | 0x20) >= 'a' && (y | 0x20) <= 'z');
      }
      if (m) {
        ok = true;
        at += a.size();
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

struct Form {
  std::vector<hs_database_t*> dbs;
  std::vector<std::vector<uint32_t>> ids;  // expression id -> entries
  std::vector<size_t> prefix_len;          // prefix form: bytes matched per id
  bool wordstart = false;
};

// --- the word-start prototype ----------------------------------------------
struct WordStart {
  std::vector<uint64_t> bits = std::vector<uint64_t>(1024);  // 2^16 bits
  std::unordered_map<uint64_t, std::vector<uint32_t>> lists;  // class << 32 | folded key
  bool has[5] = {};
} ws;
inline uint32_t Hash(uint32_t k, int cls) {
  return (k * (cls == 2 ? 0x9E3779B1u : cls == 3 ? 0x85EBCA77u : 0xC2B2AE3Du)) >> 16;
}
void BuildWordStart() {
  for (uint32_t i = 0; i < entries.size(); ++i) {
    for (const auto& v : Variants(entries[i].chars)) {
      int cls = v.size() >= 4 ? 4 : static_cast<int>(v.size());
      uint32_t k = 0;
      for (int j = 0; j < cls; ++j) k |= static_cast<uint32_t>(static_cast<unsigned char>(v[j]) | 0x20) << (8 * j);
      ws.has[cls] = true;
      uint32_t h = Hash(k, cls);
      ws.bits[h >> 6] |= 1ull << (h & 63);
      auto& l = ws.lists[static_cast<uint64_t>(cls) << 32 | k];
      if (std::find(l.begin(), l.end(), i) == l.end()) l.push_back(i);
    }
  }
}
inline void WordStartAt(std::string_view t, size_t p, Raw& raw) {
  uint32_t x = 0;
  if (p + 4 <= t.size()) std::memcpy(&x, t.data() + p, 4);
  else std::memcpy(&x, t.data() + p, t.size() - p);
  x |= 0x20202020u;
  uint32_t h4 = Hash(x, 4), h3 = Hash(x & 0xFFFFFF, 3), h2 = Hash(x & 0xFFFF, 2);
  if (!(((ws.bits[h4 >> 6] >> (h4 & 63)) | (ws.bits[h3 >> 6] >> (h3 & 63)) | (ws.bits[h2 >> 6] >> (h2 & 63))) & 1))
    return;
  for (int cls = 2; cls <= 4; ++cls) {
    if (!ws.has[cls]) continue;
    uint32_t k = cls == 4 ? x : cls == 3 ? (x & 0xFFFFFF) : (x & 0xFFFF);
    auto it = ws.lists.find(static_cast<uint64_t>(cls) << 32 | k);
    if (it == ws.lists.end()) continue;
    for (uint32_t en : it->second)
      if (Equal(t, p, en)) raw.push_back({en, p + entries[en].text.size()});
  }
}
// Word starts of 64 bytes at a time by SSE2 masks, each tested by
// WordStartAt; the tail byte by byte.
void WordStartScan(std::string_view t, Raw& raw) {
  const char* d = t.data();
  const size_t n = t.size();
  size_t i = 0;
  uint64_t prev_word = 0;  // the byte before the block is an ASCII letter/digit
  const __m128i c20 = _mm_set1_epi8(0x20), a1 = _mm_set1_epi8('a' - 1), z1 = _mm_set1_epi8('z' + 1),
                d0 = _mm_set1_epi8('0' - 1), d9 = _mm_set1_epi8('9' + 1), zero = _mm_setzero_si128();
  for (; i + 64 <= n; i += 64) {
    uint64_t word = 0, start = 0;
    for (int q = 0; q < 4; ++q) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i + 16 * q));
      __m128i l = _mm_or_si128(v, c20);
      __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(l, a1), _mm_cmplt_epi8(l, z1));
      __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, d0), _mm_cmplt_epi8(v, d9));
      word |= static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(letter, digit)))) << (16 * q);
      start |= static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(letter, _mm_cmplt_epi8(v, zero)))))
               << (16 * q);
    }
    uint64_t cand = start & ~((word << 1) | prev_word);
    prev_word = word >> 63;
    while (cand) {
      size_t p = i + static_cast<size_t>(__builtin_ctzll(cand));
      cand &= cand - 1;
      WordStartAt(t, p, raw);
    }
  }
  for (; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(d[i]);
    unsigned char b = i ? static_cast<unsigned char>(d[i - 1]) : ' ';
    bool letter_or_high = c >= 0x80 || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (letter_or_high && (b >= 0x80 || !kAsciiWord.word[b])) WordStartAt(t, i, raw);
  }
}

hs_database_t* Compile(const std::vector<std::string>& ex, const std::vector<unsigned>& fl,
                       const std::vector<unsigned>& ids, bool lit, const hs_platform_info_t* plat) {
  std::vector<const char*> c;
  std::vector<size_t> lens;
  for (const auto& e : ex) {
    c.push_back(e.c_str());
    lens.push_back(e.size());
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  hs_error_t rc = lit ? hs_compile_lit_multi(c.data(), fl.data(), ids.data(), lens.data(), c.size(), HS_MODE_BLOCK,
                                             plat, &db, &err)
                      : hs_compile_multi(c.data(), fl.data(), ids.data(), c.size(), HS_MODE_BLOCK, plat, &db, &err);
  if (rc != HS_SUCCESS) {
    std::fprintf(stderr, "compile: %s\n", err ? err->message : "?");
    std::exit(1);
  }
  return db;
}

Form Build(const std::string& form, const std::vector<std::string>& regexes, const hs_platform_info_t* plat) {
  Form f;
  const size_t split = Env("SPLIT", 0), prefix = Env("PREFIX", 6);
  const bool lit = form.rfind("lit", 0) == 0 || form.rfind("dedup", 0) == 0;
  std::vector<std::string> ex[2];
  std::vector<unsigned> fl[2], ids[2];
  auto add = [&](size_t bytes, const std::string& e, unsigned flag, std::vector<uint32_t> ents) {
    int db = split && bytes < split ? 1 : 0;
    ex[db].push_back(e);
    fl[db].push_back(flag);
    ids[db].push_back(static_cast<unsigned>(f.ids.size()));
    f.ids.push_back(std::move(ents));
  };
  if (form.rfind("prefix", 0) == 0) {
    std::map<std::string, std::vector<uint32_t>> families;
    for (uint32_t i = 0; i < entries.size(); ++i) {
      std::string p;
      for (const auto& c : Chars(Lower(entries[i].text))) {
        if (!p.empty() && p.size() + c[0].size() > prefix) break;
        p += c[0];
      }
      families[p].push_back(i);
    }
    for (auto& [p, v] : families) {
      f.prefix_len.push_back(p.size());
      add(p.size(), internal::KeywordExpression(p, false), HS_FLAG_CASELESS, v);
    }
  } else if (form.rfind("wordstart", 0) == 0) {
    f.wordstart = true;
    for (uint32_t i = 0; i < entries.size(); ++i) f.ids.push_back({i});
    BuildWordStart();
  } else if (form.rfind("none", 0) != 0) {
    std::map<std::string, std::vector<uint32_t>> by_lower;
    for (uint32_t i = 0; i < entries.size(); ++i) by_lower[Lower(entries[i].text)].push_back(i);
    for (uint32_t i = 0; i < entries.size(); ++i) {
      const Entry& e = entries[i];
      std::vector<uint32_t> ents{i};
      if (form.rfind("dedup", 0) == 0) {
        auto& v = by_lower[Lower(e.text)];
        if (v[0] != i) continue;
        ents = v;
      }
      if (form.rfind("hs", 0) == 0) {
        add(e.text.size(), internal::KeywordExpression(e.text, false), HS_FLAG_CASELESS, ents);
      } else if (form.rfind("lowcs", 0) == 0) {
        add(e.text.size(), Escape(Lower(e.text)), 0, ents);
      } else {
        for (const auto& v : Variants(e.chars)) add(e.text.size(), lit ? v : Escape(v), HS_FLAG_CASELESS, ents);
      }
    }
  }
  if (form.find("+re") != std::string::npos) {
    for (size_t r = 0; r < regexes.size(); ++r) {
      ex[0].push_back(regexes[r]);
      fl[0].push_back(0);
      ids[0].push_back(kRegexId + static_cast<unsigned>(r));
    }
  }
  for (int d = 0; d < 2; ++d)
    if (!ex[d].empty()) f.dbs.push_back(Compile(ex[d], fl[d], ids[d], lit && form.find("+re") == std::string::npos, plat));
  return f;
}

int OnCount(unsigned, unsigned long long, unsigned long long, unsigned, void* c) {
  ++*static_cast<size_t*>(c);
  return 0;
}
int OnPush(unsigned id, unsigned long long, unsigned long long to, unsigned, void* c) {
  static_cast<Raw*>(c)->push_back({id, to});
  return 0;
}

// Raw matches to hits, as AddKeywordHit does.
void Check(std::string_view text, const Raw& raw, const Form& f, std::vector<Hit>& out) {
  for (auto [id, to] : raw) {
    if (id >= kRegexId) continue;
    for (uint32_t en : f.ids[id]) {
      const Entry& e = entries[en];
      size_t start, end;
      if (!f.prefix_len.empty()) {
        start = to - f.prefix_len[id];
        if (!Equal(text, start, en)) continue;
        end = start + e.text.size();
      } else {
        if (to < e.text.size()) continue;
        start = to - e.text.size();
        end = to;
      }
      if (WordCharBefore(text, start)) continue;
      if (e.check_end && WordCharAt(text, end)) continue;
      out.push_back({e.group, static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: fdr_forms CORPUS FORM [PATTERNS_DIR]\n");
    return 2;
  }
  auto ps = PatternSet::LoadDir(argc > 3 ? argv[3] : "patterns");
  if (!ps) {
    std::fprintf(stderr, "patterns: %s\n", ps.error().message().c_str());
    return 1;
  }
  for (size_t g = 0; g < ps->keywords.size(); ++g) {
    const KeywordGroup& G = ps->keywords[g];
    if (G.role == KeywordRole::kLabel || G.role == KeywordRole::kNegative) continue;
    for (const Keyword& k : G.words) {
      const auto* s = reinterpret_cast<const unsigned char*>(k.text.data());
      size_t b = k.text.size() - 1;
      while (b > 0 && (s[b] & 0xC0) == 0x80) --b;
      uint32_t last = 0;
      if (DecodeUtf8(s, k.text.size(), b, last) == 0) last = '#';
      entries.push_back({static_cast<uint32_t>(g), k.text, !k.prefix && IsWordCodepoint(last), Chars(k.text)});
    }
  }
  if (size_t n = Env("FIRST", 0)) entries.resize(std::min(entries.size(), n));
  if (const char* d = std::getenv("DROP"); d && *d) entries.erase(entries.begin() + std::atoi(d));
  std::vector<std::string> regexes;
  for (const DetectorSpec& d : ps->detectors)
    if (d.source == DetectorSource::kRegex && d.regex != internal::kEmailRegex) regexes.push_back(d.regex);

  hs_platform_info_t plat{};
  hs_populate_platform(&plat);
  if (const char* t = std::getenv("TUNE"); t && *t) plat.tune = std::atoi(t);
  if (const char* c = std::getenv("FEATURES"); c && *c) plat.cpu_features = std::strtoull(c, nullptr, 0);
  const std::string form = argv[2];
  Form f = Build(form, regexes, &plat);
  std::vector<hs_scratch_t*> scratch;
  for (hs_database_t* db : f.dbs) {
    hs_scratch_t* s = nullptr;
    hs_alloc_scratch(db, &s);
    scratch.push_back(s);
  }
  const int only = std::getenv("ONLY") ? std::atoi(std::getenv("ONLY")) : -1;
  const size_t rounds = Env("R", 5), chunk = Env("CHUNK", 1 << 20);
  Raw raw;
  auto scan_block = [&](std::string_view blk, bool count, size_t& n) {
    for (size_t d = 0; d < f.dbs.size(); ++d)
      if (only < 0 || static_cast<int>(d) == only)
        hs_scan(f.dbs[d], blk.data(), static_cast<unsigned>(blk.size()), 0, scratch[d], count ? OnCount : OnPush,
                count ? static_cast<void*>(&n) : static_cast<void*>(&raw));
    if (f.wordstart) {
      size_t before = raw.size();
      WordStartScan(blk, raw);
      if (count) n += raw.size() - before;
    }
  };

  if (const char* lines = std::getenv("LINES")) {
    std::ifstream in(lines);
    std::string line;
    while (std::getline(in, line)) {
      std::string buf;
      while (buf.size() < (4u << 20)) buf += line + "\n";
      double best = 1e9;
      size_t n = 0;
      for (size_t r = 0; r < 3; ++r) {
        n = 0;
        raw.clear();
        double a = CpuMs();
        scan_block(buf, true, n);
        best = std::min(best, CpuMs() - a);
      }
      std::printf("%7.0f MB/s %7zu  %s\n", buf.size() / best / 1000, n, line.c_str());
    }
    return 0;
  }

  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string t = ss.str();
  double best_scan = 1e9, best_all = 1e9;
  size_t nraw = 0;
  std::vector<Hit> hits, all;
  for (size_t r = 0; r < rounds; ++r) {
    size_t n = 0;
    double a = CpuMs();
    for (size_t o = 0; o < t.size(); o += chunk) {
      raw.clear();
      scan_block(std::string_view(t.data() + o, std::min(chunk, t.size() - o)), true, n);
    }
    best_scan = std::min(best_scan, CpuMs() - a);
    nraw = n;
    a = CpuMs();
    all.clear();
    for (size_t o = 0; o < t.size(); o += chunk) {
      std::string_view blk(t.data() + o, std::min(chunk, t.size() - o));
      raw.clear();
      hits.clear();
      size_t unused = 0;
      scan_block(blk, false, unused);
      Check(blk, raw, f, hits);
      std::sort(hits.begin(), hits.end());
      hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
      for (Hit h : hits) all.push_back({h.group, static_cast<uint32_t>(h.start + o), static_cast<uint32_t>(h.end + o)});
    }
    best_all = std::min(best_all, CpuMs() - a);
  }
  uint64_t sum = 1469598103934665603ull;
  for (const Hit& h : all)
    for (uint32_t x : {h.group, h.start, h.end}) sum = (sum ^ x) * 1099511628211ull;
  size_t bytes = 0;
  for (hs_database_t* db : f.dbs) {
    size_t s = 0;
    hs_database_size(db, &s);
    bytes += s;
  }
  std::printf("%-12s exprs=%zu dbs=%zu db_bytes=%zu raw=%zu hits=%zu sum=%016llx  scan %.1f ms %.0f MB/s  "
              "+checks %.1f ms %.0f MB/s\n",
              form.c_str(), f.ids.size(), f.dbs.size(), bytes, nraw, all.size(), static_cast<unsigned long long>(sum),
              best_scan, t.size() / best_scan / 1000, best_all, t.size() / best_all / 1000);
  return 0;
}
