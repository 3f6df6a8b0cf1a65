// SPDX-License-Identifier: Apache-2.0
// File: settings.h
//
// Settings: the one configuration of a run, built once from the command
// line flags (and the config file, for flags not given) and then read-only.
// Every command — scan, redact, types, find-subject, batch, the distributed
// commands and the milter — gets the same Settings, so the reference date is
// parsed once, the HMAC key is loaded once, the MailLimits formula exists
// once and the categories are checked once (as ripgrep's HiArgs: built once,
// handed to every searcher).
//
// Flow: CLI11 fills SettingsFlags (its validators reject malformed values
// while parsing); ApplyConfigFile (app) fills the flags not given from the
// TOML file read by ReadConfigFile; BuildSettings checks what the flags
// alone cannot (categories, the key file) and resolves defaults (patterns
// directory, today's date); the result is shared as
// shared_ptr<const Settings>. Thread-safe once built (immutable).
#ifndef NORDPII_CONFIG_SETTINGS_H_
#define NORDPII_CONFIG_SETTINGS_H_

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/finding.h"
#include "core/keyed_hash.h"
#include "core/status.h"
#include "mail/mime.h"
#include "pipeline/scanner.h"
#include "tickets/ticket_scanner.h"

namespace nordpii {

// The values of the options every scanning command takes, as given (CLI11
// writes them; a config file fills those not given on the command line).
struct SettingsFlags {
  // --patterns DIR (repeatable): added to the built-in directory
  // (FindPatterns("")); a directory given twice, or the built-in one given
  // again, counts once. With no_builtin_patterns, only these.
  std::vector<std::string> patterns;
  bool no_builtin_patterns = false;    // --no-builtin-patterns
  std::string engine = "auto";
  std::vector<std::string> plugins;
  std::string categories;              // comma-separated; "" = the command's default
  std::string min_confidence = "low";
  std::string key_file;                // "" = $NORDPII_KEY, else a random key
  std::string reference_date;          // YYYY-MM-DD; "" = today
  std::string input = "auto";
  size_t chunk = 1 << 20;
  size_t max_message = MailLimits().max_message_bytes;
  size_t max_html_part = MailLimits().max_html_part_bytes;  // --max-html-part-size
  std::string fields, columns, ticket_map = "auto";
  bool ocr = false;
  // --not-read note|error: content not read (an image or scanned PDF page
  // while OCR is off, an encrypted mail part, a binary part with no text)
  // is a note (default) or an error (MailLimits::not_read_error).
  std::string not_read = "note";
  std::string allow;                   // --allow FILE (pipeline/allow_list.h)
  std::string config;                  // --config FILE ("" = DefaultConfigPath(), if it exists)
};

struct Settings {
  ScannerOptions scanner;                  // patterns directories (resolved, PatternDirs()), engine, plugins, chunk size
  std::shared_ptr<const KeyedHasher> hasher;  // the key, loaded once
  bool random_key = false;                 // no --key-file and no $NORDPII_KEY
  std::string key_file;                    // as given (reports say whether a key was given)
  ReferenceDate reference_date;            // parsed once; unset = the day a context is made
  std::string reference_date_text;         // as given ("" = today)
  std::set<std::string> categories;        // checked against the pattern files; empty = the command's default
  std::set<std::string> redact_categories; // [[category]] redact = true: redact's default set
  std::string categories_text;             // as given
  Confidence min_confidence = Confidence::kLow;
  std::string min_confidence_text = "low";
  std::string input = "auto";              // --input
  size_t max_message = 0;                  // --max-message-size
  MailLimits mail_limits;                  // MailLimitsFor(max_message, ocr), not_read_error
  TicketOptions tickets;                   // --ticket-map, --fields, --columns
  std::string allow;                       // --allow FILE, loaded with the scanner (pipeline/allow_list.h)

  // The findings a command reports: the categories given, else `defaults`
  // (scan: all; redact: national-id, financial, credential).
  FindingFilter Filter(const std::set<std::string>& defaults = {}) const;
};

// Checks and resolves `flags`; the pattern directories are the built-in one
// then each --patterns DIR not already in the list (same directory after
// resolving symlinks and "..": ignored), or with --no-builtin-patterns only
// the given ones (at least one; they must declare the [[category]] list).
// Errors name the option ("unknown category
// 'x'": the categories are those the pattern files declare; the key file's
// error). The key is read here, once.
Result<std::shared_ptr<const Settings>> BuildSettings(const SettingsFlags& flags);

// Mail limits for a largest message of `max_message` bytes: the decoded
// text of all parts may be 4 times that (base64 of a long text part),
// at least the default. The one place of this formula (CLI and milter).
MailLimits MailLimitsFor(size_t max_message, bool ocr, size_t max_html_part = MailLimits().max_html_part_bytes);

// YYYY-MM-DD, a real calendar date between 1900 and 2999 (2023-02-30 and
// 2026-13-45x are refused). The one date parser of the options.
bool ParseReferenceDate(const std::string& text, ReferenceDate& out);

// The built-in patterns directory: `given`, else $NORDPII_PATTERNS, else
// <exe>/../share/nordpii/patterns, <exe>/../patterns (build tree),
// ./patterns.
std::string FindPatterns(const std::string& given);

// `message` (an error or log line that names a file the user gave:
// --allow, --key-file, --config, --patterns, --plugin, a pid file, a report
// directory) with its identifiers masked exactly as scan masks its input
// paths ("x15108695088" -> "x151086*****"): IdentifierMasker with the
// built-in patterns and a random key, built once. If those patterns cannot
// be loaded, every number of 6 or more digits is hidden (HideDigitRuns)
// instead. Thread-safe.
std::string MaskPathsInMessage(std::string_view message);

// One key of a config file: its values as text (a string as written, an
// integer in decimal, a boolean as true/false; an array gives one value per
// element), how many of them were TOML booleans (a flag such as `ocr` takes
// only a boolean: `ocr = 15108695088` or `ocr = "yes"` is refused, not read
// as true) and its line, for errors.
struct ConfigEntry {
  std::string key;
  std::vector<std::string> values;
  size_t booleans = 0;
  int line = 0;
};

// Reads a TOML config file (flat keys; see README "Config file"). Errors
// name the file and line (a syntax error) or the key (a value that is not a
// string, integer, boolean or array of them). Values are not checked here:
// the caller feeds them through the same checks as the flags. Only a
// regular file (symlinks followed) of at most 1 MiB is read.
Result<std::vector<ConfigEntry>> ReadConfigFile(const std::string& path);

// $XDG_CONFIG_HOME/nordpii/config.toml, else ~/.config/nordpii/config.toml
// ("" without HOME).
std::string DefaultConfigPath();

}  // namespace nordpii

#endif  // NORDPII_CONFIG_SETTINGS_H_
