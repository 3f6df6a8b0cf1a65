// SPDX-License-Identifier: Apache-2.0
// Stage benchmarks (scenario x implementation, as simdjson's benchmark/).
// Input: $NORDPII_BENCH_CORPUS (default bench/corpus/tickets.txt, made by
// bench/run.sh); the first 64 MiB are loaded into memory. Every benchmark
// reports bytes/s (SetBytesProcessed), so the table reads as MB/s.
#include <benchmark/benchmark.h>
#include <hs/hs.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "match/digit_runs.h"
#include "pipeline/scanner.h"

using namespace nordpii;

namespace {

const std::string& Corpus() {
  static std::string data = [] {
    const char* p = std::getenv("NORDPII_BENCH_CORPUS");
    std::string path = p ? p : std::string(NORDPII_SOURCE_DIR) + "/bench/corpus/tickets.txt";
    std::ifstream in(path, std::ios::binary);
    std::string s(64u << 20, '\0');
    in.read(s.data(), static_cast<std::streamsize>(s.size()));
    s.resize(static_cast<size_t>(in.gcount()));
    if (s.empty()) {
      std::fprintf(stderr, "no corpus at %s (run bench/run.sh first)\n", path.c_str());
      std::exit(1);
    }
    return s;
  }();
  return data;
}

std::shared_ptr<const Scanner> MakeScanner(const char* engine) {
  ScannerOptions opt;
  opt.patterns_dir = std::string(NORDPII_SOURCE_DIR) + "/patterns";
  opt.engine = engine;
  auto s = Scanner::Create(opt);
  if (!s) {
    std::fprintf(stderr, "%s\n", s.error().message().c_str());
    std::exit(1);
  }
  return *s;
}

struct CountSink : StreamSink {
  size_t n = 0;
  bool OnFinding(const Finding&, std::string_view) override { ++n; return true; }
};

// Baseline 1: touch every byte (memchr for a byte that never occurs).
void BM_Baseline_Memchr(benchmark::State& st) {
  const std::string& c = Corpus();
  for (auto _ : st) benchmark::DoNotOptimize(std::memchr(c.data(), 0x01, c.size()));
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * c.size()));
}

// Baseline 2: raw Hyperscan with the identifier shapes of bench/shapes.txt
// (what `rg -f` gets), end offsets only, no validation.
void BM_Baseline_HyperscanShapes(benchmark::State& st) {
  std::ifstream in(std::string(NORDPII_SOURCE_DIR) + "/bench/shapes.txt");
  std::vector<std::string> pats;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) pats.push_back(l);
  std::vector<const char*> ex;
  std::vector<unsigned> flags, ids;
  for (size_t i = 0; i < pats.size(); ++i) {
    ex.push_back(pats[i].c_str());
    flags.push_back(HS_FLAG_SINGLEMATCH * 0);
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(ex.data(), flags.data(), ids.data(), static_cast<unsigned>(ex.size()),
                       HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
    st.SkipWithError(err ? err->message : "compile");
    return;
  }
  hs_scratch_t* scratch = nullptr;
  hs_alloc_scratch(db, &scratch);
  const std::string& c = Corpus();
  size_t hits = 0;
  auto cb = [](unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) -> int {
    ++*static_cast<size_t*>(ctx);
    return 0;
  };
  for (auto _ : st) hs_scan(db, c.data(), static_cast<unsigned>(c.size()), 0, scratch, cb, &hits);
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * c.size()));
  st.counters["patterns"] = static_cast<double>(pats.size());
  hs_free_scratch(scratch);
  hs_free_database(db);
}

void BM_Stage_NormalizeCheck(benchmark::State& st) {
  auto n = *Normalizer::Create();
  const std::string& c = Corpus();
  std::string scratch;
  OffsetMap map;
  for (auto _ : st) benchmark::DoNotOptimize(n->Normalize(c, scratch, map).size());
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * c.size()));
}

void BM_Stage_DigitRuns(benchmark::State& st) {
  const std::string& c = Corpus();
  std::vector<DigitRun> runs;
  for (auto _ : st) {
    runs.clear();
    FindDigitRuns(c, runs);
    benchmark::DoNotOptimize(runs.data());
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * c.size()));
  st.counters["runs"] = static_cast<double>(runs.size());
}

void BM_Stage_Matcher(benchmark::State& st, const char* engine) {
  auto s = MakeScanner(engine);
  auto scratch = s->matcher().NewScratch();
  const std::string& c = Corpus();
  size_t limit = std::string(engine) == "re2" ? (8u << 20) : c.size();
  std::string_view text(c.data(), limit);
  MatchResults r;
  for (auto _ : st) {
    (void)s->matcher().Scan(text, *scratch, r);
    benchmark::DoNotOptimize(r.runs.data());
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * text.size()));
}

// The whole scan stage in memory: normalise, match, validate, context,
// findings (counted, not printed).
void BM_Scan(benchmark::State& st, const char* engine) {
  auto s = MakeScanner(engine);
  auto ctx = s->NewContext(KeyedHasher("bench"));
  const std::string& c = Corpus();
  size_t limit = std::string(engine) == "re2" ? (8u << 20) : c.size();
  std::string_view text(c.data(), limit);
  size_t findings = 0;
  for (auto _ : st) {
    CountSink sink;
    auto src = StringSource(text);
    (void)ctx->Scan(*src, FindingFilter{}, sink);
    findings = sink.n;
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * text.size()));
  st.counters["findings"] = static_cast<double>(findings);
}

}  // namespace

BENCHMARK(BM_Baseline_Memchr)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Baseline_HyperscanShapes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Stage_NormalizeCheck)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Stage_DigitRuns)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Stage_Matcher, hyperscan, "hyperscan")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Stage_Matcher, re2, "re2")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Scan, hyperscan, "hyperscan")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Scan, re2, "re2")->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
