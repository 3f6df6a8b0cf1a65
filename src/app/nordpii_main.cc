// nordpii — command line: scan | redact | types.
// grep conventions: exit 0 = nothing found, 1 = found, 2 = an error happened
// (an unreadable file is reported with its path; the others are still scanned).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "output/redactor.h"
#include "output/report_sink.h"
#include "pipeline/scanner.h"

namespace fs = std::filesystem;
using namespace nordpii;

namespace {

struct Common {
  std::string patterns;
  std::string engine = "auto";
  std::vector<std::string> plugins;
  std::string categories;
  std::string min_confidence = "low";
  std::string key_file;
  std::string reference_date;  // YYYY-MM-DD; default today
  std::string input = "auto";
  size_t chunk = 1 << 20;
};

// Patterns: --patterns, $NORDPII_PATTERNS, <exe>/../share/nordpii/patterns,
// <exe>/../patterns (build tree), ./patterns.
std::string FindPatterns(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("NORDPII_PATTERNS"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const char* rel : {"../share/nordpii/patterns", "../patterns", "../../patterns"}) {
      fs::path p = exe.parent_path() / rel;
      if (fs::is_directory(p, ec)) return fs::canonical(p, ec).string();
    }
  }
  return "patterns";
}

void AddCommon(CLI::App* app, Common& c) {
  app->add_option("--patterns", c.patterns, "Directory of pattern files (*.toml)");
  app->add_option("--engine", c.engine, "Matching engine: auto, hyperscan, re2")
      ->check(CLI::IsMember({"auto", "hyperscan", "re2"}));
  app->add_option("--plugin", c.plugins, "Load validator plugin shared object (repeatable)")
      ->allow_extra_args(false);  // "--plugin a.so file.txt": file.txt is a path
  app->add_option("--categories", c.categories,
                  "Comma-separated categories: national-id,financial,credential,business,contact,special");
  app->add_option("--min-confidence", c.min_confidence, "low, medium or high")
      ->check(CLI::IsMember({"low", "medium", "high"}));
  app->add_option("--key-file", c.key_file, "HMAC key file (default: $NORDPII_KEY, else a random per-run key)");
  app->add_option("--reference-date", c.reference_date,
                  "Date the text was written, YYYY-MM-DD (default: today): decides the century of "
                  "10-digit Swedish numbers and which birth dates lie in the future");
  app->add_option("--input", c.input, "Input format: auto, text")->check(CLI::IsMember({"auto", "text"}));
  app->add_option("--chunk-size", c.chunk, "Streaming chunk size in bytes (testing)")->group("");
}

std::set<std::string> SplitSet(const std::string& s) {
  std::set<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.insert(item);
  return out;
}

Result<std::shared_ptr<const Scanner>> Build(const Common& c) {
  ScannerOptions opt;
  opt.patterns_dir = FindPatterns(c.patterns);
  opt.engine = c.engine;
  opt.plugins = c.plugins;
  opt.limits.chunk_bytes = std::max<size_t>(c.chunk, 1);
  return Scanner::Create(opt);
}

// The scanner and a context with the configured key, or nullptr after
// printing why.
std::unique_ptr<ScanContext> MakeContext(const Common& c) {
  auto scanner = Build(c);
  if (!scanner) {
    std::fprintf(stderr, "nordpii: %s\n", scanner.error().message().c_str());
    return nullptr;
  }
  auto hasher = KeyedHasher::FromEnvironment(c.key_file);
  if (!hasher) {
    std::fprintf(stderr, "nordpii: %s\n", hasher.error().message().c_str());
    return nullptr;
  }
  auto ctx = (*scanner)->NewContext(*hasher);
  if (!c.reference_date.empty()) {
    int y = 0, m = 0, d = 0;
    char tail = 0;
    if (std::sscanf(c.reference_date.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1900 ||
        y > 2999 || m < 1 || m > 12 || d < 1 || d > 31) {
      std::fprintf(stderr, "nordpii: --reference-date: expected YYYY-MM-DD, got '%s'\n",
                   c.reference_date.c_str());
      return nullptr;
    }
    ctx->detect_options().ref_year = y;
    ctx->detect_options().ref_month = m;
    ctx->detect_options().ref_day = d;
  }
  return ctx;
}

Status CheckCategories(const std::set<std::string>& cats) {
  static const std::set<std::string> kKnown = {"national-id", "financial", "credential",
                                               "business", "contact", "special"};
  for (const auto& c : cats)
    if (!kKnown.count(c)) return Error(ErrorCode::kInvalidArgument, "unknown category '" + c + "'");
  return Status::Ok();
}

// Expands directories into the regular files below them (sorted).
void Expand(const std::string& p, std::vector<std::string>& out, int& errors) {
  std::error_code ec;
  if (p != "-" && fs::is_directory(p, ec)) {
    std::vector<std::string> files;
    for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec)) files.push_back(it->path().string());
    }
    if (ec) {
      std::fprintf(stderr, "nordpii: %s: %s\n", p.c_str(), ec.message().c_str());
      ++errors;
    }
    std::sort(files.begin(), files.end());
    out.insert(out.end(), files.begin(), files.end());
  } else {
    out.push_back(p);
  }
}

int RunScan(const Common& c, std::vector<std::string> paths, const std::string& format, bool reveal) {
  auto cats = SplitSet(c.categories);
  if (Status s = CheckCategories(cats); !s.ok()) {
    std::fprintf(stderr, "nordpii: %s\n", s.message().c_str());
    return 2;
  }
  auto ctx = MakeContext(c);
  if (!ctx) return 2;
  ReportFormat fmt = ReportFormat::kJsonl;
  if (format == "text" || (format == "auto" && isatty(STDOUT_FILENO))) fmt = ReportFormat::kText;
  else if (format == "json") fmt = ReportFormat::kJson;
  FindingFilter filter;
  filter.categories = cats;
  filter.min_confidence = ParseConfidence(c.min_confidence);
  ReportSink sink(stdout, fmt, reveal);
  if (paths.empty()) paths.push_back("-");
  int errors = 0;
  std::vector<std::string> files;
  for (const auto& p : paths) Expand(p, files, errors);
  for (const auto& path : files) {
    auto src = OpenPath(path);
    if (!src) {
      std::fprintf(stderr, "nordpii: %s\n", src.error().message().c_str());
      ++errors;
      continue;
    }
    sink.SetPath(path);
    if (Status s = ctx->Scan(**src, filter, sink); !s.ok()) {
      std::fprintf(stderr, "nordpii: %s\n", s.message().c_str());
      ++errors;
    }
  }
  sink.Finish(files.size(), static_cast<size_t>(errors));
  std::fflush(stdout);
  if (errors) return 2;
  return sink.count() ? 1 : 0;
}

int RunRedact(const Common& c, const std::string& path, const std::string& out_path,
              const std::string& style) {
  auto ctx = MakeContext(c);
  if (!ctx) return 2;
  FindingFilter filter;
  filter.categories = c.categories.empty()
                          ? std::set<std::string>{"national-id", "financial", "credential"}
                          : SplitSet(c.categories);
  if (Status s = CheckCategories(filter.categories); !s.ok()) {
    std::fprintf(stderr, "nordpii: %s\n", s.message().c_str());
    return 2;
  }
  filter.min_confidence = ParseConfidence(c.min_confidence);
  auto src = OpenPath(path);
  if (!src) {
    std::fprintf(stderr, "nordpii: %s\n", src.error().message().c_str());
    return 2;
  }
  auto out = OutputFile::Open(out_path);
  if (!out) {
    std::fprintf(stderr, "nordpii: %s\n", out.error().message().c_str());
    return 2;
  }
  RedactStyle st = style == "mask" ? RedactStyle::kMask : style == "hmac" ? RedactStyle::kHmac : RedactStyle::kLabel;
  Redactor red(**out, st);
  Status s = ctx->Scan(**src, filter, red);
  if (s.ok()) s = (*out)->Commit();
  if (!s.ok()) {
    std::fprintf(stderr, "nordpii: %s\n", s.message().c_str());
    return 2;  // the temporary output is removed; the target is untouched
  }
  std::fprintf(stderr, "nordpii: redacted %zu finding(s)\n", red.redacted());
  return 0;
}

int RunTypes(const Common& c) {
  auto scanner = Build(c);
  if (!scanner) {
    std::fprintf(stderr, "nordpii: %s\n", scanner.error().message().c_str());
    return 2;
  }
  for (const auto& d : (*scanner)->detectors().patterns().detectors)
    std::printf("%-18s %-12s %-7s %s\n", d.id.c_str(), d.category.c_str(), d.redact ? "redact" : "report",
                d.validator.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nordpii — find and redact Nordic personal data in text"};
  app.require_subcommand(1);
  Common c;
  std::vector<std::string> paths;
  std::string format = "auto";
  bool reveal = false;
  auto* scan = app.add_subcommand("scan", "Report findings (exit 0: none, 1: found, 2: error)");
  AddCommon(scan, c);
  scan->add_option("paths", paths, "Files or directories ('-' = stdin)");
  scan->add_option("--format", format, "text, jsonl, json (default: text on a terminal, else jsonl)")
      ->check(CLI::IsMember({"auto", "text", "jsonl", "json"}));
  scan->add_flag("--reveal", reveal, "Print raw values (never use for logs or reports)");

  std::string rpath = "-", out = "-", style = "label";
  auto* redact = app.add_subcommand("redact", "Write the input with findings replaced");
  AddCommon(redact, c);
  redact->add_option("path", rpath, "Input file ('-' = stdin)");
  redact->add_option("-o,--output", out, "Output file ('-' = stdout); written via temp file + rename");
  redact->add_option("--style", style, "label, mask or hmac")->check(CLI::IsMember({"label", "mask", "hmac"}));

  auto* types = app.add_subcommand("types", "List the detectors the pattern files define");
  AddCommon(types, c);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (*scan) return RunScan(c, paths, format, reveal);
  if (*redact) return RunRedact(c, rpath, out, style);
  if (*types) return RunTypes(c);
  return 2;
}
