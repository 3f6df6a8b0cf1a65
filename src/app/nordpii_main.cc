// SPDX-License-Identifier: Apache-2.0
// nordpii — command line: scan | redact | types.
// grep conventions: exit 0 = nothing found, 1 = found, 2 = an error happened
// (an unreadable file is reported with its path; the others are still scanned).
#include <fnmatch.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "app/milter_main.h"
#include "config/settings.h"
#include "core/hide_values.h"
#include "batch/batch.h"
#include "batch/input_scan.h"
#include "batch/subject_report.h"
#include "batch/parallel_text.h"
#include "batch/report_util.h"
#include "extract/extractor.h"
#include "distributed/distributed_cli.h"
#include "input/input_format.h"
#include "input/mail_source.h"
#include "mail/mail_scanner.h"
#include "nordpii_version.h"
#include "output/identifier_masker.h"
#include "output/redactor.h"
#include "output/report_sink.h"
#include "output/temp_cleanup.h"
#include "normalize/legacy_text.h"
#include "pipeline/scanner.h"
#include "tickets/ticket_scanner.h"

namespace fs = std::filesystem;
using namespace nordpii;

namespace {

// The flags CLI11 fills (config/settings.h); BuildSettings turns them into
// the one read-only Settings every command gets.
using Common = SettingsFlags;

// Numeric and date options are checked in one place, here, for every
// command: CLI11 validators run while parsing, so a bad value is an error
// (exit 2, naming the option) before any command starts, and the commands
// read the parsed values only (ParseReferenceDate, config/settings.h, is the
// one date parser).
constexpr size_t kMaxJobs = 1024;
constexpr size_t kMaxMessageLimit = size_t{2} << 30;  // 2 GiB: MIME offsets are 32-bit

const CLI::Validator kDate(
    [](std::string& s) {
      ReferenceDate date;
      return ParseReferenceDate(s, date) ? std::string() : "expected a date YYYY-MM-DD, got '" + s + "'";
    },
    "DATE");

// A whole number in [lo, hi] (CLI::Range also takes "1e3" and "-0").
CLI::Validator Count(uint64_t lo, uint64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) {
        uint64_t v = 0;
        bool ok = !s.empty() && s.size() <= 19 && s.find_first_not_of("0123456789") == std::string::npos;
        if (ok) v = std::stoull(s);
        if (ok && v >= lo && v <= hi) return std::string();
        return "expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got '" +
               s + "'";
      },
      "INT in [" + std::to_string(lo) + " - " + std::to_string(hi) + "]");
}

// A --fields path: keys joined by '.', each may be followed by "[]" (array
// elements); the last key may end in '*' (a prefix), or the path in ".*"
// (everything below). A key is not empty and holds no '[', ']', '.' or '*'.
bool ValidFieldPath(std::string_view p) {
  auto ends = [](std::string_view s, std::string_view t) {
    return s.size() >= t.size() && s.substr(s.size() - t.size()) == t;
  };
  if (ends(p, ".*")) p.remove_suffix(2);
  for (size_t a = 0;;) {
    const size_t b = p.find('.', a);
    const bool last = b == std::string_view::npos;
    std::string_view key = p.substr(a, last ? std::string_view::npos : b - a);
    while (ends(key, "[]")) key.remove_suffix(2);
    if (last && ends(key, "*")) key.remove_suffix(1);
    if (key.empty() || key.find_first_of("[]*") != std::string_view::npos) return false;
    if (last) return true;
    a = b + 1;
  }
}

// --patterns DIR (repeatable) adds DIR's pattern files to the built-in ones;
// --no-builtin-patterns uses only the given directories (BuildSettings).
void AddPatternOptions(CLI::App* app, Common& c) {
  app->add_option("--patterns", c.patterns,
                  "Directory of pattern files (*.toml) added to the built-in patterns (repeatable)")
      ->allow_extra_args(false);  // "--patterns DIR file.txt": file.txt is a path
  app->add_flag("--no-builtin-patterns", c.no_builtin_patterns,
                "Use only the --patterns directories (they must declare the categories: categories.toml)");
}

void AddCommon(CLI::App* app, Common& c) {
  app->add_option("--config", c.config,
                  "Defaults for these options (TOML; default ~/.config/nordpii/config.toml if it exists); "
                  "options given on the command line win");
  AddPatternOptions(app, c);
  app->add_option("--engine", c.engine, "Matching engine: auto, hyperscan, re2")
      ->check(CLI::IsMember({"auto", "hyperscan", "re2"}));
  app->add_option("--plugin", c.plugins, "Load validator plugin shared object (repeatable)")
      ->allow_extra_args(false);  // "--plugin a.so file.txt": file.txt is a path
  // A comma-separated list must name something in every item: "--categories ,"
  // or "--columns 0" must not quietly mean "all" or "none".
  static const CLI::Validator kList(
      [](std::string& v) -> std::string {
        if (v.empty()) return "empty list";
        size_t i = 0;
        while (i <= v.size()) {
          size_t j = v.find(',', i);
          if (j == std::string::npos) j = v.size();
          if (j == i) return "empty item in '" + v + "'";
          i = j + 1;
        }
        return "";
      },
      "LIST");
  static const CLI::Validator kColumns(
      [](std::string& v) -> std::string {
        if (std::string e = kList(v); !e.empty()) return e;
        for (size_t i = 0; i <= v.size();) {
          size_t j = v.find(',', i);
          if (j == std::string::npos) j = v.size();
          std::string item = v.substr(i, j - i);
          bool number = item.find_first_not_of("-0123456789") == std::string::npos;
          if (number && (item.size() > 6 || std::atol(item.c_str()) < 1))
            return "column number '" + item + "' is not a 1-based column";
          i = j + 1;
        }
        return "";
      },
      "COLUMNS");
  // JSON paths: keys joined by '.', a key may be followed by "[]" (array
  // elements); the last may end in '*' (a prefix) or be ".*" (everything
  // below). A key holds no '[', ']' or '.' ("]]" and "a..b" are refused).
  static const CLI::Validator kFields(
      [](std::string& v) -> std::string {
        if (std::string e = kList(v); !e.empty()) return e;
        size_t n = 0;
        for (size_t i = 0; i <= v.size(); ++n) {
          size_t j = v.find(',', i);
          if (j == std::string::npos) j = v.size();
          const std::string item = v.substr(i, j - i);
          i = j + 1;
          const bool ok = ValidFieldPath(item);
          if (!ok) return "'" + item + "' is not a field path (keys joined by '.', 'key[]' for array elements, "
                                       "a final '.*' or '*')";
        }
        if (n > 64) return "more than 64 field paths";
        return "";
      },
      "PATHS");
  app->add_option("--categories", c.categories,
                  "Comma-separated categories: national-id,financial,credential,business,contact,special")
      ->check(kList);
  app->add_option("--min-confidence", c.min_confidence, "low, medium or high")
      ->check(CLI::IsMember({"low", "medium", "high"}));
  app->add_option("--key-file", c.key_file, "HMAC key file (default: $NORDPII_KEY, else a random per-run key)");
  app->add_option("--reference-date", c.reference_date,
                  "Date the text was written, YYYY-MM-DD (default: today): decides the century of "
                  "10-digit Swedish numbers and which birth dates lie in the future")
      ->check(kDate);
  app->add_option("--input", c.input, "Input format: auto, text, eml, mbox, maildir, jsonl, json, csv")
      ->check(CLI::IsMember({"auto", "text", "eml", "mbox", "maildir", "jsonl", "json", "csv"}));
  app->add_option("--fields", c.fields, "Ticket exports: JSON paths to scan, e.g. subject,comments[].body,custom.*")
      ->check(kFields);
  app->add_option("--columns", c.columns, "CSV exports: columns to scan (names or 1-based numbers)")
      ->check(kColumns);
  // Checked against the maps in the pattern files (BuildSettings).
  app->add_option("--ticket-map", c.ticket_map,
                  "Field map: auto, all, or a [[ticket_map]] of the patterns (zendesk, freshdesk, jira)");
  app->add_option("--max-message-size", c.max_message,
                  "Largest mail message or ticket record read, in bytes (1 KiB to 2 GiB, default 64 MiB); "
                  "larger ones are reported as errors")
      ->check(Count(1024, kMaxMessageLimit));
  app->add_option("--max-html-part-size", c.max_html_part,
                  "Largest HTML mail part converted to text, in bytes of UTF-8 (64 KiB to 2 GiB, default 8 MiB; "
                  "it costs ~8 bytes of memory per byte); a larger one is not scanned: an error, exit 2")
      ->check(Count(65536, kMaxMessageLimit));
  app->add_flag("--ocr", c.ocr,
                "Read text in images (PNG, JPEG, TIFF, GIF, BMP, WebP: files and attachments) with Tesseract OCR; "
                "slow (about 1-3 s per page), bounded per image");
  app->add_option("--not-read", c.not_read,
                  "Content not read (an image or scanned PDF page without --ocr, an encrypted mail part, a binary "
                  "part with no text): note (default: a note, exit status unchanged) or error (exit 2; redact "
                  "writes nothing)")
      ->check(CLI::IsMember({"note", "error"}));
  app->add_option("--allow", c.allow,
                  "Allow-list: a file of values and hmac:HASH lines whose findings are never reported nor redacted");
  app->add_option("--chunk-size", c.chunk, "Streaming chunk size in bytes (testing)")
      ->check(Count(1, 1u << 30))
      ->group("");
}

Result<std::shared_ptr<const Scanner>> Build(const Settings& c) { return Scanner::Create(c.scanner); }

// The scanner and a context with the configured key and reference date
// (both from the Settings, read once), or nullptr after printing why; with
// `masker`, also a masker for what reports say about the inputs (paths,
// Message-IDs, ticket ids, errors).
std::unique_ptr<ScanContext> MakeContext(const Settings& c, std::unique_ptr<IdentifierMasker>* masker = nullptr,
                                         std::shared_ptr<const Scanner>* scanner_out = nullptr,
                                         std::string* key_id = nullptr) {
  auto scanner = Build(c);
  if (!scanner) {
    std::fprintf(stderr, "nordpii: %s\n", MaskPathsInMessage(scanner.error().message()).c_str());
    return nullptr;
  }
  if (scanner_out) *scanner_out = *scanner;
  const KeyedHasher& hasher = *c.hasher;
  auto ctx = (*scanner)->NewContext(hasher, c.reference_date);
  if (key_id) *key_id = KeyId(hasher);
  if (masker) *masker = std::make_unique<IdentifierMasker>(**scanner, hasher);
  return ctx;
}

// --allow FILE into `filter` (read with the run's scanner and reference
// date); false after printing why (the file's line number, never its text).
bool LoadAllow(const Settings& c, const Scanner& scanner, FindingFilter& filter) {
  if (c.allow.empty()) return true;
  auto list = AllowList::Load(c.allow, scanner, c.reference_date);
  if (!list) {
    std::fprintf(stderr, "nordpii: %s\n", MaskPathsInMessage(list.error().message()).c_str());
    return false;
  }
  if ((*list)->hashes() > 0 && c.random_key)
    std::fprintf(stderr, "nordpii: note: --allow has %zu keyed hash(es) but the key is random (no $NORDPII_KEY or "
                         "--key-file): they match nothing\n", (*list)->hashes());
  filter.allow = *list;
  return true;
}

// --format: text on a terminal unless asked otherwise, else JSON Lines.
ReportFormat OutputFormat(const std::string& format) {
  if (format == "text" || (format == "auto" && isatty(STDOUT_FILENO))) return ReportFormat::kText;
  if (format == "csv") return ReportFormat::kCsv;
  if (format == "sarif") return ReportFormat::kSarif;
  return format == "json" ? ReportFormat::kJson : ReportFormat::kJsonl;
}

// Scans every input below `paths` into `sink`; grep exit codes: 0 nothing
// found, 1 found, 2 an error happened (the other inputs are still scanned).
// rg-like options of `scan`.
struct ScanView {
  bool files_with_matches = false;  // -l
  bool count = false;               // -c
  bool stats = false;               // --stats
  bool quiet = false;               // -q: exit status only
  std::vector<std::string> globs;   // --glob GLOB / --glob '!GLOB'
  std::vector<std::string> excludes;  // --exclude GLOB (= --glob '!GLOB')
};

// Whether a file found in a directory walk passes --glob: a glob without
// '/' is matched against the file name, one with '/' against the path;
// '!GLOB' excludes. With include globs, a file must match one of them.
// Paths given on the command line are always scanned (as rg does).
bool GlobKeeps(const std::vector<std::string>& globs, const std::string& path) {
  bool has_include = false, included = false;
  const std::string name = fs::path(path).filename().string();
  for (const auto& g : globs) {
    bool exclude = !g.empty() && g[0] == '!';
    std::string pat = exclude ? g.substr(1) : g;
    const std::string& subject = pat.find('/') == std::string::npos ? name : path;
    bool match = fnmatch(pat.c_str(), subject.c_str(), 0) == 0;
    if (exclude && match) return false;
    if (!exclude) has_include = true, included = included || match;
  }
  return !has_include || included;
}

// Counts findings per input as shown (-l, -c, --stats).
struct PerFile : ReportObserver {
  std::vector<std::pair<std::string, size_t>> files;  // in the order scanned
  std::map<std::string, size_t> by_type;
  void Recorded(const ReportSink& sink, const Finding& f) override {
    if (files.empty() || files.back().first != sink.path().str()) files.emplace_back(sink.path().str(), 0);
    ++files.back().second;
    ++by_type[f.type];
  }
  void RecordedEvent(std::string_view, std::string_view) override {}
};

int ScanAll(const Settings& c, ScanContext& ctx, const std::vector<std::string>& paths, const FindingFilter& filter,
            ReportSink& sink, IdentifierMasker& masker, const ScanView& view = {}, int threads = 1,
            size_t thread_range = kParallelRangeBytes,
            std::function<std::unique_ptr<ReportSink>(std::FILE*)> range_report = {}) {
  int errors = 0;
  auto fail = [&](const std::string& msg) {
    std::fprintf(stderr, "nordpii: %s\n", masker.Mask(msg).c_str());
    ++errors;
  };
  InputScanners scanners(ctx, c.mail_limits, c.tickets);
  scanners.threads = threads;
  scanners.thread_range = thread_range;
  std::vector<Input> inputs = ExpandInputs(paths, c.input, fail);
  std::vector<std::string> globs = view.globs;
  for (const auto& e : view.excludes) globs.push_back("!" + e);
  if (!globs.empty()) {
    const std::set<std::string> given(paths.begin(), paths.end());
    std::erase_if(inputs, [&](const Input& in) { return !given.count(in.path) && !GlobKeeps(globs, in.path); });
  }
  PerFile per_file;
  const bool per_file_view = view.files_with_matches || view.count || view.stats;
  if (per_file_view) sink.SetObserver(&per_file);
  // Several threads on a JSONL or mbox file need reports of the output's
  // format made apart and appended in order (JSONL and text only; -l, -c,
  // --stats count per file as findings are written: one thread).
  if (!per_file_view) scanners.range_report = std::move(range_report);
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t bytes = 0;
  for (const Input& in : inputs) {
    ScanInput(in, scanners, filter, sink, c.max_message, fail);
    bytes += in.size;
  }
  if ((view.files_with_matches || view.count) && !view.quiet) {
    // One line per file with findings (rg -l / rg -c); the paths as shown
    // (identifiers masked).
    std::map<std::string, size_t> merged;  // an input seen twice (archive members interleave) counted once
    std::vector<std::string> order;
    for (const auto& [p, n] : per_file.files) {
      if (!merged.count(p)) order.push_back(p);
      merged[p] += n;
    }
    for (const auto& p : order) {
      if (view.count) std::printf("%s:%zu\n", p.c_str(), merged[p]);
      else std::printf("%s\n", p.c_str());
    }
  }
  if (view.stats) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::set<std::string> with;
    for (const auto& f : per_file.files) with.insert(f.first);
    std::string types;
    for (const auto& [t, n] : per_file.by_type) types += (types.empty() ? "" : ", ") + t + " " + std::to_string(n);
    std::fprintf(stderr,
                 "nordpii: %zu findings in %zu of %zu inputs (%.1f MB, %.2f s, %.1f MB/s); %d errors%s%s\n",
                 sink.count(), with.size(), inputs.size(), static_cast<double>(bytes) / 1e6, secs,
                 secs > 0 ? static_cast<double>(bytes) / 1e6 / secs : 0.0, errors, types.empty() ? "" : "; ",
                 types.c_str());
    if (filter.allow)
      std::fprintf(stderr, "nordpii: %llu finding(s) allowed by --allow (not shown)\n",
                   static_cast<unsigned long long>(filter.allow->allowed()));
  }
  if (filter.allow) sink.SetAllowed(filter.allow->allowed());
  sink.Finish(inputs.size(), static_cast<size_t>(errors));
  if (errors) return 2;
  return sink.count() ? 1 : 0;
}

int RunScan(const Settings& c, std::vector<std::string> paths, const std::string& format, bool reveal, int threads,
            size_t thread_range, const ScanView& view = {}, const std::string& color = "auto") {
  std::unique_ptr<IdentifierMasker> masker;
  std::shared_ptr<const Scanner> scanner;
  auto ctx = MakeContext(c, &masker, &scanner);
  if (!ctx) return 2;
  FindingFilter filter = c.Filter();
  if (!LoadAllow(c, *scanner, filter)) return 2;
  // -l / -c print one line per file instead of the findings.
  std::FILE* out = stdout;
  if (view.files_with_matches || view.count || view.quiet) {
    out = std::fopen("/dev/null", "wb");
    if (!out) {
      std::fprintf(stderr, "nordpii: cannot open /dev/null\n");
      return 2;
    }
  }
  // A report is written in 64 KiB blocks, not stdio's 4 KiB (a mail export
  // gives a line of ~300 bytes per 600 input bytes: the write() calls were
  // ~3 % of a scan); a terminal still gets each line at once.
  static char out_buf[1 << 16];
  if (out == stdout && !isatty(STDOUT_FILENO)) std::setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
  ReportSink sink(out, OutputFormat(format), reveal, *masker);
  sink.SetColor(out == stdout && ColorWanted(color, isatty(STDOUT_FILENO)));
  if (OutputFormat(format) == ReportFormat::kSarif) {
    std::map<std::string, std::string> meanings;
    for (const auto& d : scanner->detectors().patterns().detectors) meanings[d.id] = TypeMeaning(d.id);
    for (const auto& t : scanner->detectors().patterns().types) meanings[t.id] = TypeMeaning(t.id);
    sink.SetTypeMeanings(std::move(meanings));
  }
  if (paths.empty()) paths.push_back("-");
  // --threads on a JSONL or mbox file: each worker writes its ranges'
  // report with a sink of its own per range, in the output's format and
  // colours (batch/parallel_records.h), and one masker per worker thread,
  // kept from range to range (a new one per range built a scan context and
  // started with a cold memo: ~1.5 % of a 2-thread scan).
  std::function<std::unique_ptr<ReportSink>(std::FILE*)> range_report;
  const ReportFormat report_format = OutputFormat(format);
  if (threads > 1 && (report_format == ReportFormat::kJsonl || report_format == ReportFormat::kText)) {
    struct MaskerOf {
      std::shared_ptr<IdentifierMasker> masker;
    };
    struct OwningSink : MaskerOf, ReportSink {
      OwningSink(std::shared_ptr<IdentifierMasker> m, std::FILE* f, ReportFormat rf, bool rv)
          : MaskerOf{std::move(m)}, ReportSink(f, rf, rv, *masker) {}
    };
    const bool colored = out == stdout && ColorWanted(color, isatty(STDOUT_FILENO));
    const KeyedHasher* hasher = c.hasher.get();
    range_report = [scanner, hasher, report_format, reveal, colored](std::FILE* f) -> std::unique_ptr<ReportSink> {
      // This worker thread's masker (for this scanner and key); a sink
      // keeps it alive while its range's report waits to be appended.
      thread_local std::shared_ptr<IdentifierMasker> mine;
      thread_local std::pair<const void*, const void*> of{nullptr, nullptr};
      if (!mine || of != std::pair<const void*, const void*>(scanner.get(), hasher)) {
        mine = std::make_shared<IdentifierMasker>(*scanner, *hasher);
        of = {scanner.get(), hasher};
      }
      auto part = std::make_unique<OwningSink>(mine, f, report_format, reveal);
      part->SetColor(colored);
      return part;
    };
  }
  int rc = ScanAll(c, *ctx, paths, filter, sink, *masker, view, threads, thread_range, std::move(range_report));
  if (out != stdout) std::fclose(out);
  // Hashes made with a random key link nothing outside this output: said
  // once, when the output holds hashes.
  if (out == stdout && OutputFormat(format) != ReportFormat::kText && sink.count() > 0 && c.random_key)
    std::fprintf(stderr, "nordpii: note: random key (no $NORDPII_KEY or --key-file): the hashes match only within "
                         "this output\n");
  return rc;
}

int RunRedact(const Settings& c, const std::string& path, const std::string& out_path,
              const std::string& style) {
  std::shared_ptr<const Scanner> scanner;
  auto ctx = MakeContext(c, nullptr, &scanner);
  if (!ctx) return 2;
  FindingFilter filter = c.Filter(c.redact_categories);  // default: patterns/categories.toml
  if (!LoadAllow(c, *scanner, filter)) return 2;
  // Said with the count of what was redacted (the values are not shown).
  auto allowed = [&]() -> std::string {
    return filter.allow ? "; " + std::to_string(filter.allow->allowed()) + " allowed by --allow (kept)" : "";
  };
  RedactStyle st = style == "mask" ? RedactStyle::kMask : style == "hmac" ? RedactStyle::kHmac : RedactStyle::kLabel;
  // The output being written: on stdout (or a FIFO) what was written
  // before an error cannot be taken back, and the message says so instead
  // of "nothing written".
  OutputFile* written_to = nullptr;
  auto fail = [&written_to](std::string msg) {
    if (written_to && written_to->through() && written_to->written() > 0) {
      static constexpr std::string_view kNothing = "; nothing written";
      if (msg.size() >= kNothing.size() && msg.compare(msg.size() - kNothing.size(), kNothing.size(), kNothing) == 0)
        msg.resize(msg.size() - kNothing.size());
      msg += "; the output is incomplete: " + std::to_string(written_to->written()) +
             " byte(s) were written before the error";
    }
    // Paths (the input, -o) named with their identifiers masked, as scan
    // masks its input paths (redact has no --reveal).
    std::fprintf(stderr, "nordpii: %s\n", MaskPathsInMessage(msg).c_str());
    return 2;  // any temporary output is removed; the targets are untouched
  };
  // A PDF/OOXML/ODF file cannot be rewritten faithfully: never written
  // through as if it were text (its ids sit in compressed streams).
  // An image too, with or without --ocr (its text cannot be rewritten).
  if (DocFormat df = DetectDocFormat("", path, "", true); df != DocFormat::kNone && c.input == "auto")
    return fail(path + ": " + DocFormatName(df) +
                " documents cannot be redacted (scan them; in mail, redact replaces them with a notice); nothing written");
  // A signal removes the temporary output (partial, maybe unredacted).
  InstallTempCleanup("\nnordpii: interrupted; nothing written\n");
  // The input is opened once (a pipe or <(...) cannot be read twice) and its
  // format recognised from the bytes read; a Maildir is a directory.
  // Through the one input module (input_format.h), as scan opens its inputs.
  InputFormat fmt = InputFormat::kMaildir;
  InputStream opened;
  if (!(c.input == "maildir" || (c.input == "auto" && IsMaildir(path)))) {
    auto o = OpenInputStream(path, c.input);
    if (!o) return fail(o.error().message());
    opened = std::move(*o);
    fmt = opened.format;
  }
  std::unique_ptr<ByteSource>& src = opened.source;
  // A document by its bytes (a PDF named .txt, or on stdin): refused as one
  // named as a document is, never written through unredacted.
  if (DocFormat df = SniffDocumentBytes(opened.head, fmt == InputFormat::kText);
      df != DocFormat::kNone && c.input == "auto" && !opened.utf16.utf16 && fmt != InputFormat::kArchive &&
      fmt != InputFormat::kMaildir)
    return fail(path + ": " + DocFormatName(df) +
                " document by its bytes; documents cannot be redacted (scan them; in mail, redact replaces them "
                "with a notice); nothing written");
  // UTF-16 text: decoded as it is read; CSV or JSON: decoded whole (up to
  // --max-message-size); redacted as UTF-8 and written back as UTF-16 in
  // the same byte order, with the BOM if it had one.
  const Utf16Kind utf16 = opened.utf16;
  if (src && utf16.utf16 && fmt == InputFormat::kText) {
    src = std::make_unique<Utf16Source>(std::move(src), utf16);  // text: decoded as it is read (issue 12 #9)
  } else if (Status d = DecodeUtf16(opened, path, c.max_message); !d.ok()) {
    return fail(d.message() + " (UTF-16 text is read whole); nothing written");
  }
  auto open_out = [&]() {
    auto o = OutputFile::Open(out_path);
    if (o && utf16.utf16) (*o)->EncodeUtf16(utf16.big_endian, utf16.bom);
    return o;
  };
  if (fmt == InputFormat::kArchive)
    return fail(path + ": is an archive (tar, tar.gz or zip); redact does not rewrite archives: extract it, "
                       "redact the files, pack them again; nothing written");
  if (fmt == InputFormat::kText && !utf16.utf16 && ContentLinesText(path, opened.head)) {
    // iCalendar / vCard: read whole, scanned unfolded; each replacement is
    // written over the folded bytes with the folds inside it kept, so the
    // output is folded as the input was (a masked value keeps every line's
    // length).
    auto raw = ReadAll(*src, path, c.max_message);
    if (!raw) return fail(raw.error().message() + " (iCalendar / vCard text is read whole to unfold it); nothing written");
    auto out = open_out();
    if (!out) return fail(out.error().message());
    written_to = out->get();
    Redactor red(**out, st);
    const Decoded unfolded = UnfoldContentLines(*raw);
    struct Refold : StreamSink {
      Redactor& red;
      const Decoded& d;
      std::string_view raw;
      RedactStyle style;
      Refold(Redactor& r, const Decoded& u, std::string_view w, RedactStyle s) : red(r), d(u), raw(w), style(s) {}
      bool OnFinding(const Finding& f, std::string_view value) override {
        const auto a = static_cast<uint32_t>(f.start), b = static_cast<uint32_t>(f.end);
        red.Add(d.map.Start(a), d.map.End(b), RefoldReplacement(Replacement(f, value, style), a, b, d.map, raw));
        return true;
      }
    } refold(red, unfolded, *raw, st);
    auto text = StringSource(unfolded.bytes, path);
    Status s = ctx->Scan(*text, filter, refold);
    if (s.ok()) s = red.OnData(0, *raw);
    if (s.ok()) s = (*out)->Commit();
    if (!s.ok()) return fail(s.message());
    std::fprintf(stderr, "nordpii: redacted %zu finding(s)%s\n", red.redacted(), allowed().c_str());
    return 0;
  }
  if (fmt == InputFormat::kText) {
    auto out = open_out();
    if (!out) return fail(out.error().message());
    written_to = out->get();
    Redactor red(**out, st);
    Status s = ctx->Scan(*src, filter, red);
    if (s.ok()) s = (*out)->Commit();
    if (!s.ok()) return fail(s.message());
    std::fprintf(stderr, "nordpii: redacted %zu finding(s)%s\n", red.redacted(), allowed().c_str());
    return 0;
  }
  if (IsTicketFormat(fmt)) {
    auto out = open_out();
    if (!out) return fail(out.error().message());
    written_to = out->get();
    const TicketFormat tf = ToTicketFormat(fmt);
    TicketScanner tickets(*ctx, c.tickets);
    TicketReader rd(*src, tf, c.max_message);
    TicketRecord rec;
    size_t n = 0, records = 0, changed_records = 0;
    tickets.BeginInput();
    for (;;) {
      auto more = rd.Next(rec);
      if (!more) return fail(PathMessage(path, more.error().message()) + "; nothing written");
      if (Status s = (*out)->Write(rd.Between()); !s.ok()) return fail(s.message());
      if (!*more) break;
      if (tf == TicketFormat::kCsv) tickets.set_csv(rd.header(), rd.delimiter());
      size_t k = 0;
      // Written in pieces as it is redacted (a 60 MB record is not held
      // twice). A record that cannot be parsed is not written unredacted
      // (it fails before its first piece); on any error the output is not
      // committed.
      Status s = tickets.Redact(rec, tf, filter, st, [&](std::string_view piece) { return (*out)->Write(piece); }, k);
      if (!s.ok()) return fail(PathMessage(path, s.message()) + "; nothing written");
      n += k;
      if (rec.index != 0) {  // (0: a JSON wrapper's value beside its ticket list)
        ++records;
        changed_records += k > 0;
      }
    }
    if (Status s = tickets.EndInput(tf, rd.header()); !s.ok()) return fail(PathMessage(path, s.message()) + "; nothing written");
    if (Status s = (*out)->Commit(); !s.ok()) return fail(s.message());
    std::fprintf(stderr, "nordpii: redacted %zu finding(s) in %zu of %zu record(s)%s\n", n, changed_records, records,
                 allowed().c_str());
    return 0;
  }
  MailScanner mail(*ctx, c.mail_limits);
  mail.set_remove_forged_headers(true);  // X-Nordpii headers that came with a message are not ours
  size_t total = 0, changed = 0, messages = 0;
  // Redacts one message; a limit that left a part unscanned is an error
  // (writing it out could pass unredacted data on).
  // The output is streamed to `out` (a large message is never held twice).
  auto redact_one = [&](std::string_view msg, const std::string& where, OutputFile& out) -> Status {
    RedactSummary sum;
    MailScanner::Write write = [&](std::string_view b) { return out.Write(b); };
    if (Status s = mail.Redact(msg, filter, st, write, sum); !s.ok()) return s;
    if (sum.incomplete) {
      std::string why = sum.notes.empty() ? "a limit was hit" : sum.notes.back();
      return Error(ErrorCode::kLimit, where + ": not fully scanned (" + why + "); nothing written");
    }
    ++messages;
    total += sum.redacted;
    changed += sum.redacted > 0;
    return Status::Ok();
  };
  if (fmt == InputFormat::kEml) {
    auto msg = ReadAll(*src, path, c.max_message);
    if (!msg) return fail(msg.error().message());
    auto out = OutputFile::Open(out_path);
    if (!out) return fail(out.error().message());
    written_to = out->get();
    Status s = redact_one(*msg, path, **out);
    if (s.ok()) s = (*out)->Commit();
    if (!s.ok()) return fail(s.message());
  } else if (fmt == InputFormat::kMbox) {
    auto out = OutputFile::Open(out_path);
    if (!out) return fail(out.error().message());
    written_to = out->get();
    MboxReader rd(*src, c.max_message);
    MboxMessage m;
    for (;;) {
      auto more = rd.Next(m);
      if (!more) return fail(more.error().message());
      if (!*more) break;
      if (m.too_large)
        return fail(path + ": message " + std::to_string(m.index) + " (" + std::to_string(m.size) +
                    " bytes) is larger than --max-message-size; nothing written");
      Status s = (*out)->Write(m.from_line);
      if (s.ok()) s = redact_one(m.text, path + ": message " + std::to_string(m.index), **out);
      if (!s.ok()) return fail(s.message());
    }
    if (Status s = (*out)->Commit(); !s.ok()) return fail(s.message());
  } else {  // Maildir tree in, Maildir tree out
    if (out_path == "-") return fail("redact of a Maildir needs -o DIR (the output Maildir)");
    std::string unreadable;
    const std::vector<std::string> files = MaildirFiles(path, &unreadable);
    if (!unreadable.empty()) return fail(unreadable + "; nothing written");
    std::error_code ec;
    // A message over the limit is refused before anything is written (the
    // output tree is not begun; ReadMessageFile would refuse it later).
    for (const auto& rel : files) {
      std::string in = (fs::path(path) / rel).string();
      if (uintmax_t size = fs::file_size(in, ec); !ec && size > c.max_message)
        return fail(in + ": message larger than the limit of " + std::to_string(c.max_message) +
                    " bytes (--max-message-size); nothing written");
    }
    // A message that fails later (a header limit, a part not scanned) must
    // not leave the messages before it written while we say "nothing
    // written" (review): on a failure the tree is taken back — the whole
    // output directory when this run made it, else the files it added.
    const bool made_root = !fs::exists(out_path, ec);
    std::vector<std::string> added;
    auto take_back = [&](const std::string& why) {
      std::error_code rm;
      if (made_root) fs::remove_all(out_path, rm);
      else
        for (const std::string& f : added) fs::remove(f, rm);
      return fail(why);
    };
    for (const char* sub : {"cur", "new", "tmp"}) fs::create_directories(fs::path(out_path) / sub, ec);
    if (ec) return take_back(out_path + ": " + ec.message());
    for (const auto& rel : files) {
      std::string in = (fs::path(path) / rel).string();
      auto msg = ReadMessageFile(in, c.max_message);
      if (!msg) return take_back(msg.error().message());
      fs::create_directories((fs::path(out_path) / rel).parent_path(), ec);  // Maildir++ folders
      if (ec) return take_back(out_path + ": " + ec.message());
      const std::string dest = (fs::path(out_path) / rel).string();
      const bool existed = fs::exists(dest, ec);
      auto out = OutputFile::Open(dest);
      if (!out) return take_back(out.error().message());
      Status s = redact_one(*msg, in, **out);
      if (s.ok()) s = (*out)->Commit();
      if (!s.ok()) return take_back(s.message());
      if (!existed) added.push_back(dest);
    }
  }
  std::fprintf(stderr, "nordpii: redacted %zu finding(s) in %zu of %zu message(s)%s\n", total, changed, messages,
               allowed().c_str());
  return 0;
}

int RunBatchCommand(const std::shared_ptr<const Settings>& settings, BatchOptions o, const std::string& retention,
                    const BatchRunner& run = RunBatch) {
  const Settings& c = *settings;
  if (!retention.empty()) o.retention_days = std::stoi(retention.substr(0, retention.size() - 1));  // kRetention
  auto scanner = Build(c);
  if (!scanner) {
    std::fprintf(stderr, "nordpii: %s\n", MaskPathsInMessage(scanner.error().message()).c_str());
    return 2;
  }
  o.filter = c.Filter();
  if (!LoadAllow(c, **scanner, o.filter)) return 2;
  o.settings = settings;
  if (c.reference_date.set()) o.today = c.reference_date_text;
  // The report's header: options that shape the report (not --jobs or
  // --checkpoint: a resumed or differently parallel run gives the same
  // report), each value checked
  // by its option (no input text, no paths).
  auto opt = [&](const std::string& name, const std::string& v) {
    if (!v.empty()) o.report_options += (o.report_options.empty() ? "" : " ") + name + " " + v;
  };
  opt("--retention", retention);
  opt("--date-field", o.date_field);
  opt("--reference-date", c.reference_date_text);
  opt("--categories", c.categories_text);
  opt("--min-confidence", c.min_confidence_text);
  opt("--input", c.input == "auto" ? "" : c.input);
  if (o.filter.allow)
    opt("--allow", std::to_string(o.filter.allow->values()) + " value(s), " + std::to_string(o.filter.allow->hashes()) +
                       " hash(es)");
  return run(*scanner, o);
}

struct CollectFindings : StreamSink {
  std::vector<Finding> f;
  bool OnFinding(const Finding& x, std::string_view) override {
    f.push_back(x);
    return true;
  }
};
// Collects, per ticket / message / file, the findings whose keyed hash is
// one of the subject's; each such finding is also written as a `scan`
// JSONL line to `out` (findings.jsonl with --report, else /dev/null).
class SubjectSink : public ReportSink {
 public:
  SubjectSink(std::FILE* out, std::set<std::string> hashes, IdentifierMasker& masker)
      : ReportSink(out, ReportFormat::kJsonl, false, masker), hashes_(std::move(hashes)), gate_(masker) {}
  bool OnFinding(const Finding& f, std::string_view raw) override {
    if (!hashes_.count(f.hash)) return true;
    ReportSink::OnFinding(f, raw);
    std::string id = !ticket_id().empty() ? ticket_id().str() : message_id().str();
    if (id.empty() && (record() > 0 || message_index() > 0))
      id = "#" + std::to_string(record() > 0 ? record() : message_index());
    auto key = std::make_pair(path().str(), id);
    auto it = index_.find(key);
    if (it == index_.end()) {
      it = index_.emplace(key, docs_.size()).first;
      SubjectDoc d;
      d.path = path();
      d.id = gate_.Show(id);  // already shown; "#N" is ours
      if (has_ticket()) {
        const ShownText* date = !closed().empty() ? &closed() : !updated().empty() ? &updated() : &created();
        d.date = *date;
        d.date_source = date->empty() ? "" : date == &closed() ? "closed" : date == &updated() ? "updated" : "created";
      } else if (!message_date().empty()) {
        d.date = gate_.Show(message_date());
        d.date_source = date_source();
      }
      d.subject = subject();
      docs_.push_back(std::move(d));
    }
    SubjectDoc& d = docs_[it->second];
    ++d.findings;
    ++d.types[f.type];
    d.hashes.insert(f.hash);
    ShownText where = gate_.Show(f.part_offset >= 0 ? f.field : "line " + std::to_string(f.line));
    if (d.fields.size() < 20 && std::find(d.fields.begin(), d.fields.end(), where) == d.fields.end())
      d.fields.push_back(where);
    return true;
  }
  void OnNote(std::string_view, std::string_view) override {}
  void OnAttachment(std::string_view, std::string_view, std::string_view, uint64_t) override {}
  const std::vector<SubjectDoc>& docs() const { return docs_; }

 private:
  std::set<std::string> hashes_;
  IdentifierMasker& gate_;
  std::vector<SubjectDoc> docs_;  // in the order found
  std::map<std::pair<std::string, std::string>, size_t> index_;
};

// nordpii find-subject: every ticket and message mentioning one person's
// identifiers, in any written variant, for an access or erasure request:
// one row per document (subject_report.h).
int RunFindSubject(const Settings& c, const std::vector<std::string>& ids, const std::vector<std::string>& hashes,
                   std::vector<std::string> paths, const std::string& format, const std::string& report_dir) {
  std::unique_ptr<IdentifierMasker> masker;
  std::shared_ptr<const Scanner> scanner;
  std::string key_id;
  auto ctx = MakeContext(c, &masker, &scanner, &key_id);
  if (!ctx) return 2;
  for (size_t i = 0; i < hashes.size(); ++i)
    if (hashes[i].size() != 64 || hashes[i].find_first_not_of("0123456789abcdef") != std::string::npos) {
      std::fprintf(stderr, "nordpii: --hash #%zu is not a keyed hash from a report (64 lower-case hex digits)\n", i + 1);
      return 2;
    }
  std::set<std::string> wanted(hashes.begin(), hashes.end());
  CollectFindings probe;
  for (const auto& id : ids) {
    // The id goes through the engine itself, so its normalised form and
    // keyed hash are exactly those of the findings in the archive.
    // Some identifiers count only next to a label (a CPR number without the
    // modulus-11 check, a passport number): try the id alone, then after
    // each kind of label, keeping findings on the id's own bytes.
    // The labels are data: [[probe]] in patterns/find_subject.toml.
    bool found = false;
    std::vector<std::string> labels = {""};
    for (const auto& l : scanner->detectors().patterns().probe_labels) labels.push_back(l + " ");
    for (const std::string& label : labels) {
      probe.f.clear();
      std::string text = label + id;
      auto src = StringSource(text, "--id");
      if (!ctx->Scan(*src, FindingFilter{}, probe).ok()) continue;
      for (const auto& f : probe.f)
        if (f.start >= label.size()) wanted.insert(f.hash), found = true;
      if (found) break;
    }
    if (!found) {
      // A typo (a wrong check digit, a date that does not exist) is a usage
      // error: say which types were tried, never the value.
      std::string tried;
      for (const auto& d : scanner->detectors().patterns().detectors)
        if (d.category != "special") tried += (tried.empty() ? "" : ", ") + d.id;
      std::fprintf(stderr,
                   "nordpii: --id #%zu is not a valid identifier of any type tried (%s), alone or after a label; "
                   "check it for a typo (the value is not shown)\n",
                   static_cast<size_t>(&id - &ids[0]) + 1, tried.c_str());
      return 2;
    }
  }
  if (wanted.empty()) {
    std::fprintf(stderr, "nordpii: find-subject needs --id or --hash\n");
    return 2;
  }
  std::FILE* lines = nullptr;
  if (!report_dir.empty()) {
    std::error_code ec;
    fs::create_directories(report_dir, ec);
    if (!ec) lines = std::fopen((report_dir + "/findings.jsonl").c_str(), "wb");
    if (!lines) {
      std::fprintf(stderr, "nordpii: %s\n", masker->Mask("cannot write " + report_dir + "/findings.jsonl").c_str());
      return 2;
    }
  } else {
    lines = std::fopen("/dev/null", "wb");
    if (!lines) {
      std::fprintf(stderr, "nordpii: cannot open /dev/null\n");
      return 2;
    }
  }
  SubjectSink sink(lines, wanted, *masker);
  FindingFilter filter;  // all findings, less the allowed ones
  if (!LoadAllow(c, *scanner, filter)) {
    std::fclose(lines);
    return 2;
  }
  int errors = 0;
  auto fail = [&](const std::string& msg) {
    std::fprintf(stderr, "nordpii: %s\n", masker->Mask(msg).c_str());
    ++errors;
  };
  InputScanners scanners(*ctx, c.mail_limits, c.tickets);
  std::vector<Input> inputs = ExpandInputs(paths, c.input, fail);
  for (const Input& in : inputs) ScanInput(in, scanners, filter, sink, c.max_message, fail);
  if (std::fclose(lines) != 0 && !report_dir.empty()) fail(report_dir + "/findings.jsonl: write failed");
  SubjectRun run;
  run.run_date = ReportRunDate();
  run.key_id = key_id;
  run.random_key = c.random_key;
  run.searched.assign(wanted.begin(), wanted.end());
  run.inputs = inputs.size();
  run.errors = static_cast<size_t>(errors);
  const auto& docs = sink.docs();
  ReportFormat f = OutputFormat(format);
  if (f == ReportFormat::kJson) {
    std::fputs(SubjectJsonDocument(docs, run).c_str(), stdout);
  } else {
    if (f == ReportFormat::kText && !docs.empty()) std::printf("%s\n", SubjectTextHeader().c_str());
    for (const auto& d : docs)
      std::printf("%s\n", (f == ReportFormat::kText ? SubjectTextRow(d) : SubjectJson(d)).c_str());
  }
  if (!report_dir.empty()) {
    if (Status st = WriteSubjectReport(report_dir, docs, run); !st.ok()) fail(st.message());
  }
  std::fprintf(stderr, "nordpii: %zu finding(s) in %zu ticket(s)/message(s)/file(s) of %zu input(s)%s%s\n",
               sink.count(), docs.size(), inputs.size(), report_dir.empty() ? "" : "; report in ",
               masker->Mask(report_dir).c_str());
  if (filter.allow)
    std::fprintf(stderr, "nordpii: %llu finding(s) allowed by --allow (not shown)\n",
                 static_cast<unsigned long long>(filter.allow->allowed()));
  if (run.random_key)
    std::fprintf(stderr, "nordpii: note: random key (no $NORDPII_KEY or --key-file): the hashes match only in this run\n");
  if (errors) return 2;
  return docs.empty() ? 0 : 1;
}

int RunTypes(const Settings& c) {
  auto scanner = Build(c);
  if (!scanner) {
    std::fprintf(stderr, "nordpii: %s\n", MaskPathsInMessage(scanner.error().message()).c_str());
    return 2;
  }
  // A header and columns as wide as their longest entry (pattern files of
  // one's own can have long ids).
  const auto& ds = (*scanner)->detectors().patterns().detectors;
  int wid = 4, wcat = 8;
  for (const auto& d : ds) {
    wid = std::max(wid, static_cast<int>(d.id.size()));
    wcat = std::max(wcat, static_cast<int>(d.category.size()));
  }
  std::printf("%-*s  %-*s  %-7s  %s\n", wid, "TYPE", wcat, "CATEGORY", "DEFAULT", "VALIDATOR");
  for (const auto& d : ds)
    std::printf("%-*s  %-*s  %-7s  %s\n", wid, d.id.c_str(), wcat, d.category.c_str(), d.redact ? "redact" : "report",
                d.validator.empty() ? "-" : d.validator.c_str());
  return 0;
}

// The command-line values an error must not show: every argument that is
// not an option name (a path, an option's value, a stray word), and the
// value of "--opt=V" and "-oV", and each "--NAME" whose name holds one,
// when it holds a digit or an '@' (what every identifier, card number and
// address has). Names of commands and options, and words such as "jsonl",
// stay readable in the messages.
std::vector<std::string> ArgValues(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 1 && a[0] == '-') {
      // A dash then a digit is a value, not an option ("--max-message-size
      // -15108695088": CLI11 quotes it whole as a negative number).
      if (a[1] >= '0' && a[1] <= '9') {
        out.push_back(a);
        out.push_back(a.substr(1));
        continue;
      }
      const size_t eq = a.find('=');
      // An option NAME with a digit is no option of nordpii: an identifier
      // typed as "--15108695088" or "--880320-0016" ("argument was not
      // expected: --V") is hidden as a value is.
      if (const std::string name = a.substr(0, eq); a[1] == '-' && name.find_first_of("0123456789@") != std::string::npos)
        out.push_back(name.substr(2));
      if (eq != std::string::npos) a = a.substr(eq + 1);
      else if (a[1] != '-' && a.size() > 2) a = a.substr(2);  // -j15108695088
      else continue;
    }
    if (a.find_first_of("0123456789@") != std::string::npos) out.push_back(a);
  }
  return out;
}

// The keys a config file may set: the long names of the common options.
constexpr const char* kConfigKeys[] = {"patterns",   "no-builtin-patterns", "engine",  "plugin",     "categories", "min-confidence",
                                       "key-file",   "reference-date", "input", "fields",     "columns",
                                       "ticket-map", "max-message-size", "max-html-part-size", "ocr", "not-read", "allow"};

// Fills the common options of `sub` that the command line did not give from
// the config file (`given`, else DefaultConfigPath() if it exists): each
// value goes through the option's own checks, so a bad value is refused as
// the flag would be, naming file, line and key. Returns 0, or 2 after
// printing why (an unknown key, an unreadable or malformed file).
int ApplyConfigFile(CLI::App* sub, const std::string& given) {
  std::string path = given.empty() ? DefaultConfigPath() : given;
  std::error_code ec;
  if (path.empty() || (given.empty() && !fs::exists(path, ec))) return 0;
  auto entries = ReadConfigFile(path);
  if (!entries) {
    // Keys and values quoted from the file: no number is shown; the path is
    // masked as scan masks its inputs.
    std::fprintf(stderr, "nordpii: config file %s\n", MaskPathsInMessage(HideDigitRuns(entries.error().message(), {path})).c_str());
    return 2;
  }
  for (const ConfigEntry& e : *entries) {
    // Only on an error: masking the path builds a scanner.
    auto where = [&] {
      return MaskPathsInMessage(path) + ":" + std::to_string(e.line) + ": key '" + HideDigitRuns(e.key) + "'";
    };
    bool known = false;
    for (const char* k : kConfigKeys) known = known || e.key == k;
    CLI::Option* opt = known ? sub->get_option_no_throw("--" + e.key) : nullptr;
    if (opt == nullptr) {
      std::string keys;
      for (const char* k : kConfigKeys) keys += (keys.empty() ? "" : ", ") + std::string(k);
      std::fprintf(stderr, "nordpii: config file %s: unknown key (keys: %s)\n", where().c_str(), keys.c_str());
      return 2;
    }
    if (opt->count() > 0) continue;  // the command line wins
    // ... and the environment wins over the file: command line >
    // $NORDPII_KEY > key-file in the file > a random key.
    if (e.key == "key-file")
      if (const char* env = std::getenv("NORDPII_KEY"); env && *env) continue;
    // A flag (ocr, no-builtin-patterns) takes a TOML boolean, one; other
    // keys take no boolean (CLI11 would read any number as true).
    const bool flag = opt->get_expected_max() == 0;
    if (flag ? (e.values.size() != 1 || e.booleans != 1) : e.booleans != 0) {
      std::fprintf(stderr, "nordpii: config file %s: %s (the value is not shown)\n", where().c_str(),
                   flag ? "expected true or false (a TOML boolean, unquoted)" : "expected a string or number, not true/false");
      return 2;
    }
    try {
      // An array for a one-value option is its comma-separated list
      // (categories = ["national-id", "financial"]).
      if (opt->get_items_expected_max() == 1 && e.values.size() > 1) {
        std::string joined;
        for (const auto& v : e.values) joined += (joined.empty() ? "" : ",") + v;
        opt->add_result(joined);
      } else {
        for (const auto& v : e.values) opt->add_result(v);
      }
      opt->run_callback();
    } catch (const CLI::Error& x) {
      // The option's message without the value (it may be an identifier
      // pasted into the wrong place): every value of the key is hidden.
      std::fprintf(stderr, "nordpii: config file %s: %s\n", where().c_str(), HideValues(x.what(), e.values).c_str());
      return 2;
    }
  }
  return 0;
}

// Every write error on standard output is an error (a full disk, /dev/full,
// a closed pipe): the report or redacted text is incomplete, so the exit
// code is 2 with a message, whatever the command found.
int CheckStdout(int rc) {
  errno = 0;
  bool failed = std::fflush(stdout) != 0;
  int err = errno;
  failed = failed || std::ferror(stdout);
  if (failed) {
    std::fprintf(stderr, "nordpii: cannot write to standard output%s%s; the output is incomplete\n",
                 err ? ": " : "", err ? std::strerror(err) : "");
    return 2;
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  // A file size limit (ulimit -f) is a write error (EFBIG) like a full disk,
  // reported and cleaned up (exit 2, redact's temporary output removed);
  // before, SIGXFSZ killed the process and left FILE.nordpii-XXXXXX, a
  // half-written copy, behind.
  signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"nordpii — find and redact Nordic personal data in text"};
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", "nordpii " NORDPII_VERSION, "Print the version and exit");
  auto* version = app.add_subcommand("version", "Print the version");
  Common c;
  std::vector<std::string> paths;
  std::string format = "auto";
  bool reveal = false;
  auto* scan = app.add_subcommand("scan", "Report findings (exit 0: none, 1: found, 2: error)");
  AddCommon(scan, c);
  scan->add_option("paths", paths, "Files or directories ('-' = stdin)");
  scan->add_option("--format", format, "text, jsonl, json, csv, sarif (default: text on a terminal, else jsonl)")
      ->check(CLI::IsMember({"auto", "text", "jsonl", "json", "csv", "sarif"}));
  std::string color = "auto";
  scan->add_option("--color", color, "Colour the text format: auto (a terminal, $NO_COLOR unset), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  scan->add_flag("--reveal", reveal, "Print raw values (never use for logs or reports)");
  ScanView view;
  scan->add_flag("-l,--files-with-matches", view.files_with_matches, "Print only the paths of inputs with findings");
  scan->add_flag("-c,--count", view.count, "Print PATH:COUNT for each input with findings");
  scan->add_flag("--stats", view.stats, "Print counts, bytes and time to stderr at the end");
  scan->add_flag("-q,--quiet", view.quiet, "Print no findings: the exit status says (0 none, 1 found, 2 error)");
  scan->add_option("-g,--glob", view.globs,
                   "Only files below a directory that match GLOB ('!GLOB' excludes; repeatable; "
                   "without '/' matched against the file name)")
      ->allow_extra_args(false);
  scan->add_option("--exclude", view.excludes, "Skip files below a directory that match GLOB (as --glob '!GLOB')")
      ->allow_extra_args(false);
  int scan_threads = 1;
  scan->add_option("--threads", scan_threads,
                   "Threads for one large text, JSONL or mbox file (8 MiB or more), split at line/record starts; "
                   "same findings and order, 1 to 1024")
      ->check(Count(1, kMaxJobs));
  size_t thread_range = kParallelRangeBytes;
  scan->add_option("--thread-range", thread_range, "Bytes per thread and round (testing)")
      ->check(Count(4096, 1u << 30))
      ->group("");

  std::string rpath = "-", out = "-", style = "label";
  auto* redact = app.add_subcommand("redact", "Write the input with findings replaced (exit 0: written, 2: error)");
  AddCommon(redact, c);
  redact->add_option("path", rpath, "Input file, mbox or Maildir ('-' = stdin)");
  redact->add_option("-o,--output", out, "Output file or Maildir directory ('-' = stdout); written via temp file + rename");
  redact->add_option("--style", style, "label, mask or hmac")->check(CLI::IsMember({"label", "mask", "hmac"}));

  auto* types = app.add_subcommand("types", "List the detectors the pattern files define");
  AddCommon(types, c);

  std::vector<std::string> subject_ids, subject_hashes, subject_paths;
  std::string subject_format = "auto";
  auto* subject = app.add_subcommand("find-subject",
                                     "Find every ticket/message mentioning a person's identifiers (GDPR Art. 15/17)");
  AddCommon(subject, c);
  subject->add_option("--id", subject_ids, "An identifier of the person, any written form (repeatable)")
      ->allow_extra_args(false);
  subject->add_option("--hash", subject_hashes, "A keyed hash from a report (same key), instead of --id (repeatable)")
      ->allow_extra_args(false);
  subject->add_option("paths", subject_paths, "Files and directories")->required();
  subject->add_option("--format", subject_format, "text, jsonl, json (one row per ticket/message/file)")
      ->check(CLI::IsMember({"auto", "text", "jsonl", "json"}));
  std::string subject_report;
  subject->add_option("--report", subject_report,
                      "Also write DIR/subject.csv, subject.json, subject.html and findings.jsonl");

  BatchOptions bo;
  std::string retention;
  auto* batch = app.add_subcommand("batch", "Scan archives in parallel and write a report (exit 0/1/2 as scan)");
  AddCommon(batch, c);
  batch->add_option("paths", bo.paths, "Files and directories")->required();
  batch->add_option("--report", bo.report_dir, "Report directory (findings.jsonl, summary.json, report.html)")
      ->required();
  batch->add_option("-j,--jobs", bo.jobs, "Worker threads, 1 to 1024 (default: all cores)")
      ->check(Count(1, kMaxJobs));
  batch->add_option("--checkpoint", bo.checkpoint, "Record finished inputs here; a rerun resumes");
  batch->add_option("--held-bytes", bo.held_bytes, "Findings per input kept in memory before a spill file (testing)")
      ->check(Count(1, size_t{1} << 30))
      ->group("");
  batch->add_option("--summary-bytes", bo.summary_bytes,
                    "Documents with findings the summary holds before it spills them to a file (testing)")
      ->check(Count(1, size_t{1} << 40))
      ->group("");
  batch->add_flag("-q,--quiet", bo.quiet, "No progress output");
  batch->add_option("--retention", retention, "Retention audit: list tickets/messages with personal data older than e.g. 90d")
      ->check(CLI::Validator(
          [](std::string& s) {
            bool ok = s.size() >= 2 && s.size() <= 6 && s.back() == 'd' &&
                      s.find_first_not_of("0123456789") == s.size() - 1;
            return ok ? std::string() : "expected days from 0d to 99999d, e.g. 90d, got '" + s + "'";
          },
          "DAYS"));
  batch->add_option("--date-field", bo.date_field, "Retention date: created, updated or closed (default: closed, else updated)")
      ->check(CLI::IsMember({"created", "updated", "closed"}));

  DistributedCli dist;  // submit, worker, collect (src/distributed)
  AddDistributedCommands(app, dist, [&](CLI::App* a) { AddCommon(a, c); }, bo, retention);

  MilterOptions mo;
  auto* milter = app.add_subcommand("milter", "Run as a milter for Postfix/Sendmail (SIGHUP reloads)");
  milter->add_option("--listen", mo.listen, "inet:PORT@HOST or unix:/path (default inet:8899@127.0.0.1)");
  milter->add_option("--config", mo.config, "Policy file (TOML; example: conf/nordpii-milter.toml)")->required();
  AddPatternOptions(milter, c);
  milter->add_option("--key-file", c.key_file, "HMAC key file (default: $NORDPII_KEY, else random; read at start)");
  milter->add_option("--engine", c.engine, "Matching engine: auto, hyperscan, re2")
      ->check(CLI::IsMember({"auto", "hyperscan", "re2"}));
  milter->add_option("--plugin", c.plugins, "Load validator plugin shared object (repeatable)")
      ->allow_extra_args(false);
  milter->add_flag("--check", mo.check, "Validate patterns and policy, print the effective policy, exit 0/2");
  // A mistyped command: the nearest one (edit distance at most 2), without
  // echoing what was typed (it could be a number pasted in the wrong place).
  if (argc > 1 && argv[1][0] != '-') {
    const std::string typed = argv[1];
    std::string best, names;
    size_t best_d = 3;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      const std::string& name = sub->get_name();
      names += (names.empty() ? "" : ", ") + name;
      if (name == typed) known = true;
      // Levenshtein distance, two rows.
      std::vector<size_t> prev(name.size() + 1), cur(name.size() + 1);
      for (size_t j = 0; j <= name.size(); ++j) prev[j] = j;
      for (size_t i = 1; i <= typed.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= name.size(); ++j)
          cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (typed[i - 1] == name[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
      }
      if (prev[name.size()] < best_d) best_d = prev[name.size()], best = name;
    }
    if (!known) {
      std::fprintf(stderr, "nordpii: unknown command%s%s%s (commands: %s; --help for more)\n",
                   best.empty() ? "" : "; did you mean '", best.c_str(), best.empty() ? "" : "'?", names.c_str());
      return 2;
    }
  }
  // The one parse-error handler, for every command: CLI11 quotes the value
  // it refuses ("--jobs: Value V not in range", "got 'V'", "arguments were
  // not expected: V"); a value that could be an identifier is not shown
  // (ArgValues), the option name is.
  const std::vector<std::string> arg_values = ArgValues(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "%s\nRun with --help for more information.\n", HideValues(e.what(), arg_values).c_str());
    return 2;
  }
  if (*version) return CheckStdout(std::puts("nordpii " NORDPII_VERSION) < 0 ? 2 : 0);
  // The config file fills the common options not given (not the milter's:
  // its --config is the policy file); then the one Settings of this run.
  if (!*milter)
    for (CLI::App* sub : app.get_subcommands())
      if (sub->get_option_no_throw("--config") != nullptr)
        if (int rc = ApplyConfigFile(sub, c.config); rc != 0) return rc;
  auto built = BuildSettings(c);
  if (!built) {
    std::fprintf(stderr, "nordpii: %s\n", MaskPathsInMessage(built.error().message()).c_str());
    return 2;
  }
  const std::shared_ptr<const Settings> settings = *built;
  const Settings& st = *settings;
  if (*scan) return CheckStdout(RunScan(st, paths, format, reveal, scan_threads, thread_range, view, color));
  if (*redact) return CheckStdout(RunRedact(st, rpath, out, style));
  if (*types) return CheckStdout(RunTypes(st));
  if (*batch) return CheckStdout(RunBatchCommand(settings, bo, retention));
  if (dist.selected())
    return CheckStdout(dist.Run([&](const BatchRunner& run) { return RunBatchCommand(settings, bo, retention, run); }));
  if (*subject) return CheckStdout(RunFindSubject(st, subject_ids, subject_hashes, subject_paths, subject_format, subject_report));
  if (*milter) {
    mo.settings = settings;
    return RunMilter(mo);
  }
  return 2;
}
