// SPDX-License-Identifier: Apache-2.0
// File: pattern_set.h
//
// PatternSet: the detectors and keyword lists, loaded from patterns/*.toml
// (one file per country or area). Patterns are data: the engine knows no
// identifier by name. A malformed file is an error naming the file, line and
// reason ("patterns/no.toml:12: detector 'no.fnr': unknown validator 'x'").
//
// Schema (patterns/README.md is the full reference for pattern authors):
//   [[keywords]]  id, role = label|negative|special|credential|passport,
//                 subcategory (special), words = ["fnr", "sykmeld*", ...]
//                 (a trailing * matches a word stem; otherwise whole words)
//   [[ticket_map]] id, html: a ticket export's field map (patterns/ticket_maps.toml)
//   [[category]] id, redact (in `redact`'s default set), mask, description: the
//                 categories detectors and types may name (patterns/categories.toml)
//   [[probe]]     label: find-subject writes it before an --id (in file order)
//   [[type]]      id, category, redact: finer types validators return
//   [[detector]]  id, category, validator, source = digits|regex|after-keyword|keyword,
//                 form = plain|hetu|iban|phone|masked (digits), [[detector.shape]]
//                 digits + breaks + separators + grouping_is_label (digits), regex (regex),
//                 trigger = [keyword ids] + value (after-keyword, keyword),
//                 keywords / negative = [keyword ids], window, redact, join_date,
//                 examples = { match = [...], no_match = [...] }
#ifndef NORDPII_MATCH_PATTERN_SET_H_
#define NORDPII_MATCH_PATTERN_SET_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace nordpii {

enum class DetectorSource { kDigits, kRegex, kAfterKeyword, kKeyword };
enum class DigitForm { kPlain, kHetu, kIban, kPhone, kMasked };
enum class KeywordRole { kLabel, kNegative, kSpecial, kCredential, kPassport };

struct Shape {
  int digits = 0;
  std::vector<int> breaks;     // digit offsets where a separator may stand
  std::string separators;      // allowed separator characters ('\n' = line break)
  bool any_breaks = false;     // breaks = "any"
  // Written with a separator (not a line break) at every one of its breaks,
  // the grouping is as telling as a label (one level up; a value that needs
  // context is reported), unless negative context stands next to it
  // ("1234.56.78903" is a kontonummer's own form).
  bool grouping_is_label = false;
};

struct Keyword {
  std::string text;  // as written, lower case preferred
  bool prefix = false;
};

struct KeywordGroup {
  std::string id;
  KeywordRole role = KeywordRole::kLabel;
  std::string subcategory;
  std::vector<Keyword> words;
  std::string file;
  int line = 0;
};

struct DetectorSpec {
  std::string id;
  std::string category;
  int category_line = 0;  // where 'category' is written (errors)
  std::string subcategory;
  std::string validator;
  DetectorSource source = DetectorSource::kDigits;
  DigitForm form = DigitForm::kPlain;
  std::vector<Shape> shapes;
  std::string regex;                  // source = regex
  std::vector<std::string> trigger;   // source = after-keyword / keyword
  std::string value;                  // after-keyword: RE2 with one capture group
  std::vector<std::string> keywords;  // context labels that raise confidence
  std::vector<std::string> negative;  // context that lowers confidence
  int window = 48;                    // bytes before the value searched for context
  bool redact = false;
  std::string mask;  // masking rule (core/finding.h ParseMaskRule); "" = its category's
  int priority = 0;                   // tie-break among equal findings (higher wins)
  // Digits: the 11-digit value may be written as a birth date (DD.MM.YY or
  // DD.MM.YYYY) and, later on the same line after one of the detector's
  // labels, the 5-digit rest ("født 15.10.86, personnummer 95088").
  bool join_date = false;
  std::vector<std::string> examples_match, examples_no_match;
  std::string file;
  int line = 0;
};

// A finer type a validator may return (e.g. "no.dnr" from no_person), with
// its own category and redaction default.
struct TypeSpec {
  std::string id;
  std::string category;
  bool redact = false;
  std::string mask;  // "" = its category's
  std::string file;
  int line = 0;
};

// A finding category (national-id, financial, ...): the one list every
// command checks --categories against.
struct CategorySpec {
  std::string id;
  bool redact = false;       // in `nordpii redact`'s default set
  // The milter counts this category's high-confidence findings in the
  // threading headers (Message-ID, In-Reply-To, References), which are
  // otherwise machine-made numbers; redact deletes such a header.
  bool threading = false;
  std::string mask;          // masking rule of its findings (required)
  std::string description;
  std::string file;
  int line = 0;
};

// A ticket export's field map (patterns/ticket_maps.toml): which fields
// hold HTML. It does not choose the fields read: every string and number of
// a record is scanned under its key path; only --fields narrows that.
struct TicketMapSpec {
  std::string id;                 // the --ticket-map name: zendesk, freshdesk, jira, ...
  std::vector<std::string> html;  // normalised paths ("a[].b", "a.*", "a_*") whose values are HTML
  // `--ticket-map auto`: the export is this map's when a record has every
  // name of any one group as a JSON string (key or value); maps are tried in
  // file order (ticket_scanner/export_detect.h).
  std::vector<std::vector<std::string>> detect;
  std::string file;
  int line = 0;
};

struct PatternSet {
  std::vector<CategorySpec> categories;
  std::vector<TicketMapSpec> ticket_maps;
  // find-subject: labels tried before an --id ("fnr", "CPR-nr."), in order,
  // after the id alone (some types count only next to a label).
  std::vector<std::string> probe_labels;
  std::vector<DetectorSpec> detectors;
  std::vector<TypeSpec> types;
  std::vector<KeywordGroup> keywords;

  // Loads every *.toml in `dir` (sorted by name). Checks references between
  // files (keyword ids, duplicate ids) after all are read.
  static Result<PatternSet> LoadDir(const std::string& dir);
  // Loads the *.toml of each directory in turn (each sorted by name), as one
  // set: a later directory adds to the earlier ones (`--patterns DIR` adds to
  // the built-in directory); an id defined twice is refused by Check, naming
  // both files. Each directory must hold at least one *.toml.
  static Result<PatternSet> LoadDirs(const std::vector<std::string>& dirs);
  // Loads one file into *this (no cross-reference checks).
  Status LoadFile(const std::string& path);
  // Checks cross-references; `validators` are the known validator names.
  Status Check(const std::vector<std::string>& validators) const;

  int KeywordGroupIndex(const std::string& id) const;
  // The ticket map named `id`, or nullptr.
  const TicketMapSpec* TicketMap(std::string_view id) const;
  // Whether `id` is a declared category.
  bool HasCategory(const std::string& id) const;
  // The categories with redact = true (redact's default set).
  std::vector<std::string> RedactCategories() const;
};

}  // namespace nordpii

#endif  // NORDPII_MATCH_PATTERN_SET_H_
