// SPDX-License-Identifier: Apache-2.0
#include "config/settings.h"

#include <toml++/toml.h>

#include "core/hide_values.h"
#include "match/pattern_set.h"
#include "output/identifier_masker.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace nordpii {

namespace {

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');)
    if (!x.empty()) out.push_back(x);
  return out;
}

// A refused name, quoted, when it looks like a name (letters, '-', '_', at
// most 64): a number or address typed into the wrong place is not printed.
std::string Quoted(const std::string& v) {
  const bool name = v.size() <= 64 && std::all_of(v.begin(), v.end(), [](unsigned char ch) {
                      return std::isalpha(ch) || ch == '-' || ch == '_';
                    });
  return name ? "'" + v + "'" : std::string("(the value is not shown)");
}

}  // namespace

MailLimits MailLimitsFor(size_t max_message, bool ocr, size_t max_html_part) {
  MailLimits l;
  l.max_html_part_bytes = max_html_part;
  l.max_message_bytes = max_message;
  l.max_decoded_bytes = std::max(l.max_decoded_bytes, max_message * 4);
  l.ocr = ocr;
  return l;
}

bool ParseReferenceDate(const std::string& s, ReferenceDate& out) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  int y = std::stoi(s.substr(0, 4));
  int m = std::stoi(s.substr(5, 2));
  int d = std::stoi(s.substr(8, 2));
  if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > kDays[m - 1] + (m == 2 && leap)) return false;
  out.year = y, out.month = m, out.day = d;
  return true;
}

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

std::string MaskPathsInMessage(std::string_view message) {
  static std::mutex mu;
  static std::shared_ptr<const Scanner> scanner;
  static const KeyedHasher hasher = KeyedHasher::Random();
  static std::unique_ptr<IdentifierMasker> masker;
  static bool tried = false;
  std::lock_guard<std::mutex> lock(mu);
  if (!tried) {
    tried = true;
    ScannerOptions o;
    o.patterns_dir = FindPatterns("");
    if (auto made = Scanner::Create(o)) {
      scanner = *made;
      masker = std::make_unique<IdentifierMasker>(*scanner, hasher);
    }
  }
  return masker ? masker->Mask(message) : HideDigitRuns(message);
}

FindingFilter Settings::Filter(const std::set<std::string>& defaults) const {
  FindingFilter f;
  f.categories = categories.empty() ? defaults : categories;
  f.min_confidence = min_confidence;
  return f;
}

Result<std::shared_ptr<const Settings>> BuildSettings(const SettingsFlags& c) {
  auto s = std::make_shared<Settings>();
  // The pattern directories: the built-in one, then each --patterns DIR
  // (adding to it); a directory already in the list counts once, so giving
  // the built-in directory again changes nothing.
  {
    std::vector<std::string> dirs;
    std::set<std::string> seen;
    auto add = [&](const std::string& d) {
      std::error_code ec;
      fs::path key = fs::weakly_canonical(d, ec);
      if (seen.insert(ec ? fs::absolute(d, ec).lexically_normal().string() : key.string()).second) dirs.push_back(d);
    };
    if (!c.no_builtin_patterns) add(FindPatterns(""));
    for (const std::string& d : c.patterns) {
      if (d.empty()) return Error(ErrorCode::kInvalidArgument, "--patterns: empty directory name");
      add(d);
    }
    if (dirs.empty())
      return Error(ErrorCode::kInvalidArgument, "--no-builtin-patterns needs at least one --patterns DIR");
    s->scanner.patterns_dir = dirs.front();
    s->scanner.more_patterns_dirs.assign(dirs.begin() + 1, dirs.end());
  }
  s->scanner.engine = c.engine;
  s->scanner.plugins = c.plugins;
  s->scanner.limits.chunk_bytes = std::max<size_t>(c.chunk, 1);
  // The categories are data (patterns/categories.toml): --categories is
  // checked against the pattern files' list, and redact's default set is
  // the categories marked redact there.
  auto patterns = PatternSet::LoadDirs(s->scanner.PatternDirs());
  if (!patterns)  // as Scanner::Create: no number from the files is shown
    return Error(patterns.error().code(), HideDigitRuns(patterns.error().message(), s->scanner.PatternDirs()));
  // Fail closed: pattern files without one [[detector]] (--no-builtin-patterns
  // with a directory holding only categories.toml) would "scan" and exit 0.
  if (patterns->detectors.empty())
    return Error(ErrorCode::kInvalidArgument,
                 "the pattern files define no [[detector]]: nothing would be looked for (with "
                 "--no-builtin-patterns, the --patterns directories must define the detectors)");
  for (const auto& cat : SplitList(c.categories)) {
    if (!patterns->HasCategory(cat)) return Error(ErrorCode::kInvalidArgument, "unknown category " + Quoted(cat));
    s->categories.insert(cat);
  }
  for (const auto& cat : patterns->RedactCategories()) s->redact_categories.insert(cat);
  s->categories_text = c.categories;
  s->min_confidence = ParseConfidence(c.min_confidence);
  if (s->min_confidence == Confidence::kNone)
    return Error(ErrorCode::kInvalidArgument, "--min-confidence: expected low, medium or high");
  s->min_confidence_text = c.min_confidence;
  if (!c.reference_date.empty() && !ParseReferenceDate(c.reference_date, s->reference_date))
    return Error(ErrorCode::kInvalidArgument,
                 "--reference-date: expected a date YYYY-MM-DD, got '" + c.reference_date + "'");
  s->reference_date_text = c.reference_date;
  s->input = c.input;
  s->max_message = c.max_message;
  s->mail_limits = MailLimitsFor(c.max_message, c.ocr, c.max_html_part);
  if (c.not_read != "note" && c.not_read != "error")
    return Error(ErrorCode::kInvalidArgument, "--not-read: expected note or error");
  s->mail_limits.not_read_error = c.not_read == "error";
  // The field maps are data too (patterns/ticket_maps.toml).
  if (c.ticket_map != "auto" && c.ticket_map != "all" && !patterns->TicketMap(c.ticket_map)) {
    std::string names = "auto, all";
    for (const TicketMapSpec& m : patterns->ticket_maps) names += ", " + m.id;
    return Error(ErrorCode::kInvalidArgument,
                 "--ticket-map: unknown map " + Quoted(c.ticket_map) + " (expected " + names + ")");
  }
  s->tickets.map = c.ticket_map;
  // Scanner::Create uses this set, not a second load of the same files.
  s->scanner.loaded = std::make_shared<const PatternSet>(std::move(*patterns));
  s->tickets.fields = SplitList(c.fields);
  s->tickets.columns = SplitList(c.columns);
  auto hasher = KeyedHasher::FromEnvironment(c.key_file);
  if (!hasher) return hasher.error();
  s->hasher = std::make_shared<const KeyedHasher>(std::move(*hasher));
  s->key_file = c.key_file;
  s->allow = c.allow;
  const char* env = std::getenv("NORDPII_KEY");
  s->random_key = c.key_file.empty() && (env == nullptr || !*env);
  return std::shared_ptr<const Settings>(std::move(s));
}

namespace {
constexpr off_t kMaxConfigBytes = 1 << 20;
}  // namespace

Result<std::vector<ConfigEntry>> ReadConfigFile(const std::string& path) {
  // toml++ throws on a syntax error: caught here (no exception leaves this file).
  // Read here, not by toml::parse_file: only a regular file (a symlink is
  // followed) of at most kMaxConfigBytes is a config file. O_NONBLOCK: a FIFO
  // is refused after the open instead of blocking it; a directory or device
  // is refused instead of parsing as an empty table (a silent run without it).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error(ErrorCode::kIo, path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  std::string text;
  std::string bad;
  if (::fstat(fd, &st) != 0) bad = std::string("cannot stat: ") + std::strerror(errno);
  else if (!S_ISREG(st.st_mode)) bad = "not a regular file";
  else if (st.st_size > kMaxConfigBytes) bad = "larger than 1 MiB";
  while (bad.empty()) {
    char buf[65536];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) bad = std::string("read error: ") + std::strerror(errno);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > static_cast<size_t>(kMaxConfigBytes)) bad = "larger than 1 MiB";
  }
  ::close(fd);
  if (!bad.empty()) return Error(ErrorCode::kInvalidArgument, path + ": " + bad);
  toml::table tbl;
  try {
    tbl = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Error(ErrorCode::kInvalidArgument, path + ":" + std::to_string(e.source().begin.line) + ": " +
                                                  std::string(e.description()));
  } catch (const std::exception& e) {
    return Error(ErrorCode::kIo, path + ": " + e.what());
  }
  auto scalar = [](const toml::node& n, std::string& out) {
    if (auto v = n.value<std::string>(); v && n.is_string()) return out = *v, true;
    if (n.is_integer()) return out = std::to_string(*n.value<int64_t>()), true;
    if (n.is_boolean()) return out = *n.value<bool>() ? "true" : "false", true;
    return false;
  };
  // TOML booleans only (not the strings "true"/"false").
  auto boolean = [](const toml::node& n) { return n.is_boolean() ? size_t{1} : size_t{0}; };
  std::vector<ConfigEntry> out;
  for (auto&& [k, node] : tbl) {
    ConfigEntry e;
    e.key = std::string(k.str());
    e.line = static_cast<int>(node.source().begin.line);
    const std::string where = path + ":" + std::to_string(e.line) + ": key '" + e.key + "'";
    if (const toml::array* arr = node.as_array()) {
      for (const toml::node& item : *arr) {
        std::string v;
        if (!scalar(item, v))
          return Error(ErrorCode::kInvalidArgument, where + ": array items must be strings, integers or booleans");
        e.values.push_back(v);
        e.booleans += boolean(item);
      }
    } else {
      std::string v;
      if (!scalar(node, v))
        return Error(ErrorCode::kInvalidArgument, where + ": expected a string, integer, boolean or array");
      e.values.push_back(v);
      e.booleans += boolean(node);
    }
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const ConfigEntry& a, const ConfigEntry& b) { return a.line < b.line; });
  return out;
}

std::string DefaultConfigPath() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x == '/') return std::string(x) + "/nordpii/config.toml";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.config/nordpii/config.toml";
  return "";
}

}  // namespace nordpii
