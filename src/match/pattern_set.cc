// SPDX-License-Identifier: Apache-2.0
// The only toml++ user. toml++ throws toml::parse_error; it is caught here.
#include "match/pattern_set.h"

#include "core/finding.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>
#include <toml++/toml.h>

namespace nordpii {
namespace {

std::string Where(const std::string& file, const toml::source_region& r) {
  return file + ":" + std::to_string(r.begin.line);
}

Status Bad(const std::string& file, const toml::node& n, const std::string& what) {
  return Error(ErrorCode::kInvalidArgument, Where(file, n.source()) + ": " + what);
}

// Reads an optional array of strings.
Status Strings(const std::string& file, const toml::table& t, const char* key,
               const std::string& owner, std::vector<std::string>& out) {
  const toml::node* n = t.get(key);
  if (!n) return Status::Ok();
  const toml::array* a = n->as_array();
  if (!a) return Bad(file, *n, owner + ": '" + key + "' must be an array of strings");
  for (const toml::node& e : *a) {
    auto s = e.value<std::string>();
    if (!s) return Bad(file, e, owner + ": '" + key + "' must contain only strings");
    out.push_back(*s);
  }
  return Status::Ok();
}

Status CheckKeys(const std::string& file, const toml::table& t, const std::set<std::string>& allowed,
                 const std::string& owner) {
  for (const auto& [k, v] : t) {
    if (!allowed.count(std::string(k.str())))
      return Bad(file, v, owner + ": unknown key '" + std::string(k.str()) + "'");
  }
  return Status::Ok();
}

Status LoadKeywords(const std::string& file, const toml::table& t, KeywordGroup& g) {
  static const std::set<std::string> kKeys = {"id", "role", "subcategory", "words"};
  g.file = file;
  g.line = static_cast<int>(t.source().begin.line);
  auto id = t["id"].value<std::string>();
  if (!id || id->empty()) return Bad(file, t, "[[keywords]] needs a string 'id'");
  g.id = *id;
  std::string owner = "keywords '" + g.id + "'";
  if (Status s = CheckKeys(file, t, kKeys, owner); !s.ok()) return s;
  std::string role = t["role"].value_or(std::string("label"));
  static const std::pair<const char*, KeywordRole> kRoles[] = {
      {"label", KeywordRole::kLabel}, {"negative", KeywordRole::kNegative},
      {"special", KeywordRole::kSpecial}, {"credential", KeywordRole::kCredential},
      {"passport", KeywordRole::kPassport}};
  bool found = false;
  for (const auto& [name, r] : kRoles)
    if (role == name) { g.role = r; found = true; }
  if (!found) return Bad(file, *t.get("role"), owner + ": unknown role '" + role + "'");
  g.subcategory = t["subcategory"].value_or(std::string());
  std::vector<std::string> words;
  if (Status s = Strings(file, t, "words", owner, words); !s.ok()) return s;
  if (words.empty()) return Bad(file, t, owner + ": 'words' is empty");
  for (std::string& w : words) {
    Keyword k;
    if (!w.empty() && w.back() == '*') { k.prefix = true; w.pop_back(); }
    if (w.empty() || w.size() > 64)
      return Bad(file, *t.get("words"), owner + ": keyword must be 1-64 bytes");
    k.text = w;
    g.words.push_back(k);
  }
  return Status::Ok();
}

Status LoadShape(const std::string& file, const toml::table& t, const std::string& owner, Shape& sh) {
  static const std::set<std::string> kKeys = {"digits", "breaks", "separators", "grouping_is_label"};
  if (Status s = CheckKeys(file, t, kKeys, owner); !s.ok()) return s;
  auto d = t["digits"].value<int64_t>();
  if (!d || *d < 1 || *d > 32) return Bad(file, t, owner + ": shape needs 'digits' in 1..32");
  sh.digits = static_cast<int>(*d);
  if (const toml::node* b = t.get("breaks")) {
    if (auto s = b->value<std::string>()) {
      if (*s != "any") return Bad(file, *b, owner + ": 'breaks' must be an array or \"any\"");
      sh.any_breaks = true;
    } else if (const toml::array* a = b->as_array()) {
      for (const toml::node& e : *a) {
        auto v = e.value<int64_t>();
        if (!v || *v <= 0 || *v >= sh.digits)
          return Bad(file, e, owner + ": break offsets must lie inside the digits");
        sh.breaks.push_back(static_cast<int>(*v));
      }
    } else {
      return Bad(file, *b, owner + ": 'breaks' must be an array or \"any\"");
    }
  }
  sh.separators = t["separators"].value_or(std::string(" .-/\n\t"));
  sh.grouping_is_label = t["grouping_is_label"].value_or(false);
  return Status::Ok();
}

Status LoadDetector(const std::string& file, const toml::table& t, DetectorSpec& d) {
  static const std::set<std::string> kKeys = {
      "id", "category", "subcategory", "validator", "source", "form", "shape", "regex",
      "trigger", "value", "keywords", "negative", "window", "redact", "priority", "examples",
      "join_date", "mask"};
  d.file = file;
  d.line = static_cast<int>(t.source().begin.line);
  auto id = t["id"].value<std::string>();
  if (!id || id->empty()) return Bad(file, t, "[[detector]] needs a string 'id'");
  d.id = *id;
  std::string owner = "detector '" + d.id + "'";
  if (Status s = CheckKeys(file, t, kKeys, owner); !s.ok()) return s;
  // Checked against the declared categories ([[category]]) once every
  // file of every directory is read (PatternSet::Check): a --patterns
  // directory may use a category it or the built-in directory declares.
  auto cat = t["category"].value<std::string>();
  d.category_line = static_cast<int>((t.get("category") ? *t.get("category") : static_cast<const toml::node&>(t))
                                         .source().begin.line);
  if (!cat) return Bad(file, t.get("category") ? *t.get("category") : static_cast<const toml::node&>(t),
                       owner + ": needs a string 'category'");
  d.category = *cat;
  d.subcategory = t["subcategory"].value_or(std::string());
  auto val = t["validator"].value<std::string>();
  if (!val) return Bad(file, t, owner + ": needs 'validator'");
  d.validator = *val;
  std::string src = t["source"].value_or(std::string("digits"));
  if (src == "digits") d.source = DetectorSource::kDigits;
  else if (src == "regex") d.source = DetectorSource::kRegex;
  else if (src == "after-keyword") d.source = DetectorSource::kAfterKeyword;
  else if (src == "keyword") d.source = DetectorSource::kKeyword;
  else return Bad(file, *t.get("source"), owner + ": unknown source '" + src + "'");
  std::string form = t["form"].value_or(std::string("plain"));
  if (form == "plain") d.form = DigitForm::kPlain;
  else if (form == "hetu") d.form = DigitForm::kHetu;
  else if (form == "iban") d.form = DigitForm::kIban;
  else if (form == "phone") d.form = DigitForm::kPhone;
  else if (form == "masked") d.form = DigitForm::kMasked;
  else return Bad(file, *t.get("form"), owner + ": unknown form '" + form + "'");
  if (const toml::node* sh = t.get("shape")) {
    const toml::array* a = sh->as_array();
    if (!a) return Bad(file, *sh, owner + ": 'shape' must be an array of tables ([[detector.shape]])");
    for (const toml::node& e : *a) {
      const toml::table* st = e.as_table();
      if (!st) return Bad(file, e, owner + ": shape must be a table");
      Shape s;
      if (Status st2 = LoadShape(file, *st, owner, s); !st2.ok()) return st2;
      d.shapes.push_back(std::move(s));
    }
  }
  d.regex = t["regex"].value_or(std::string());
  d.value = t["value"].value_or(std::string());
  if (Status s = Strings(file, t, "trigger", owner, d.trigger); !s.ok()) return s;
  if (Status s = Strings(file, t, "keywords", owner, d.keywords); !s.ok()) return s;
  if (Status s = Strings(file, t, "negative", owner, d.negative); !s.ok()) return s;
  d.window = static_cast<int>(t["window"].value_or(int64_t{48}));
  if (d.window < 0 || d.window > 400) return Bad(file, *t.get("window"), owner + ": 'window' must be 0..400");
  d.redact = t["redact"].value_or(false);
  d.mask = t["mask"].value_or(std::string());
  if (MaskRule r; t.get("mask") && !ParseMaskRule(d.mask, r))
    return Bad(file, *t.get("mask"), owner + ": unknown mask '" + d.mask + "' (keep-first-6, keep-first-4, keep-last-4, keep-last-2, email, hidden, none)");
  d.priority = static_cast<int>(t["priority"].value_or(int64_t{0}));
  d.join_date = t["join_date"].value_or(false);
  if (const toml::node* ex = t.get("examples")) {
    const toml::table* et = ex->as_table();
    if (!et) return Bad(file, *ex, owner + ": 'examples' must be a table");
    if (Status s = Strings(file, *et, "match", owner, d.examples_match); !s.ok()) return s;
    if (Status s = Strings(file, *et, "no_match", owner, d.examples_no_match); !s.ok()) return s;
  }
  switch (d.source) {
    case DetectorSource::kDigits:
      if (d.shapes.empty() && (d.form == DigitForm::kPlain || d.form == DigitForm::kPhone))
        return Bad(file, t, owner + ": source 'digits' with form plain/phone needs [[detector.shape]]");
      break;
    case DetectorSource::kRegex:
      if (d.regex.empty()) return Bad(file, t, owner + ": source 'regex' needs 'regex'");
      break;
    case DetectorSource::kAfterKeyword:
      if (d.value.empty() || d.trigger.empty())
        return Bad(file, t, owner + ": source 'after-keyword' needs 'trigger' and 'value'");
      break;
    case DetectorSource::kKeyword:
      if (d.trigger.empty()) return Bad(file, t, owner + ": source 'keyword' needs 'trigger'");
      break;
  }
  return Status::Ok();
}

}  // namespace

Status PatternSet::LoadFile(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Error(ErrorCode::kInvalidArgument,
                 path + ":" + std::to_string(e.source().begin.line) + ": " +
                     std::string(e.description()));
  } catch (const std::exception& e) {
    return Error(ErrorCode::kIo, path + ": " + e.what());
  }
  for (const auto& [k, v] : root) {
    std::string key(k.str());
    if (key != "keywords" && key != "detector" && key != "type" && key != "category" && key != "probe" &&
        key != "ticket_map")
      return Bad(path, v, "unknown top-level key '" + key +
                              "' (expected [[keywords]], [[detector]], [[type]], [[category]], [[probe]] or "
                              "[[ticket_map]])");
    const toml::array* a = v.as_array();
    if (!a) return Bad(path, v, "'" + key + "' must be an array of tables ([[" + key + "]])");
    for (const toml::node& e : *a) {
      const toml::table* t = e.as_table();
      if (!t) return Bad(path, e, "'" + key + "' entries must be tables");
      if (key == "probe") {
        auto label = (*t)["label"].value<std::string>();
        if (!label || label->empty() || label->size() > 64) return Bad(path, *t, "[[probe]] needs a string 'label' (1-64 bytes)");
        if (Status s = CheckKeys(path, *t, {"label"}, "probe '" + *label + "'"); !s.ok()) return s;
        probe_labels.push_back(*label);
      } else if (key == "ticket_map") {
        TicketMapSpec m;
        m.file = path;
        m.line = static_cast<int>(t->source().begin.line);
        auto id = (*t)["id"].value<std::string>();
        // A map's name is a --ticket-map value; auto, all, fields and csv
        // name what is used without a map.
        if (!id || id->empty() || id->size() > 32 ||
            id->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos)
          return Bad(path, *t, "[[ticket_map]] needs a string 'id' (1-32 of a-z, 0-9, '_', '-')");
        if (*id == "auto" || *id == "all" || *id == "fields" || *id == "csv")
          return Bad(path, *t, "ticket_map '" + *id + "': reserved name (auto, all, fields, csv)");
        if (Status s = CheckKeys(path, *t, {"id", "html", "detect", "description"}, "ticket_map '" + *id + "'"); !s.ok())
          return s;
        m.id = *id;
        if (const toml::node* h = t->get("html")) {
          const toml::array* a = h->as_array();
          if (!a) return Bad(path, *h, "ticket_map '" + *id + "': 'html' must be an array of field paths");
          for (const toml::node& e : *a) {
            auto f = e.value<std::string>();
            if (!f || f->empty() || f->size() > 256 ||
                std::any_of(f->begin(), f->end(), [](char c) { return static_cast<unsigned char>(c) <= ' '; }))
              return Bad(path, e, "ticket_map '" + *id + "': 'html' entries are field paths (1-256 bytes, no spaces)");
            m.html.push_back(*f);
          }
        }
        if (const toml::node* d = t->get("detect")) {
          const char* bad = "ticket_map '%s': 'detect' is an array of arrays of JSON key names (1-64 bytes, no quotes, backslashes or spaces)";
          std::string msg = bad;
          msg.replace(msg.find("%s"), 2, *id);
          const toml::array* a = d->as_array();
          if (!a) return Bad(path, *d, msg);
          for (const toml::node& g : *a) {
            const toml::array* ga = g.as_array();
            if (!ga || ga->empty()) return Bad(path, g, msg);
            std::vector<std::string> group;
            for (const toml::node& e : *ga) {
              auto k = e.value<std::string>();
              if (!k || k->empty() || k->size() > 64 || std::any_of(k->begin(), k->end(), [](char c) {
                    return static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '\\';
                  }))
                return Bad(path, e, msg);
              group.push_back(*k);
            }
            m.detect.push_back(std::move(group));
          }
        }
        ticket_maps.push_back(std::move(m));
      } else if (key == "category") {
        CategorySpec c;
        c.file = path;
        c.line = static_cast<int>(t->source().begin.line);
        auto id = (*t)["id"].value<std::string>();
        if (!id || id->empty()) return Bad(path, *t, "[[category]] needs a string 'id'");
        if (Status s = CheckKeys(path, *t, {"id", "redact", "mask", "description", "threading"}, "category '" + *id + "'");
            !s.ok())
          return s;
        for (const char* flag : {"redact", "threading"})
          if (const toml::node* n = t->get(flag); n && !n->is_boolean())
            return Bad(path, *n, "category '" + *id + "': '" + flag + "' must be true or false");
        c.mask = (*t)["mask"].value_or(std::string());
        if (MaskRule r; !ParseMaskRule(c.mask, r))
          return Bad(path, *t, "category '" + *id + "': needs 'mask' (keep-first-6, keep-first-4, keep-last-4, keep-last-2, email, hidden, none)");
        c.id = *id;
        c.redact = (*t)["redact"].value_or(false);
        c.threading = (*t)["threading"].value_or(false);
        c.description = (*t)["description"].value_or(std::string());
        categories.push_back(std::move(c));
      } else if (key == "type") {
        TypeSpec ts;
        ts.file = path;
        ts.line = static_cast<int>(t->source().begin.line);
        auto id = (*t)["id"].value<std::string>();
        auto cat = (*t)["category"].value<std::string>();
        if (!id || !cat) return Bad(path, *t, "[[type]] needs 'id' and 'category'");
        if (Status s = CheckKeys(path, *t, {"id", "category", "redact", "mask"}, "type '" + *id + "'"); !s.ok())
          return s;
        ts.mask = (*t)["mask"].value_or(std::string());
        if (MaskRule r; !ts.mask.empty() && !ParseMaskRule(ts.mask, r))
          return Bad(path, *t, "type '" + *id + "': unknown mask '" + ts.mask + "'");
        ts.id = *id;
        ts.category = *cat;
        ts.redact = (*t)["redact"].value_or(false);
        types.push_back(std::move(ts));
      } else if (key == "keywords") {
        KeywordGroup g;
        if (Status s = LoadKeywords(path, *t, g); !s.ok()) return s;
        keywords.push_back(std::move(g));
      } else {
        DetectorSpec d;
        if (Status s = LoadDetector(path, *t, d); !s.ok()) return s;
        detectors.push_back(std::move(d));
      }
    }
  }
  return Status::Ok();
}

Result<PatternSet> PatternSet::LoadDir(const std::string& dir) { return LoadDirs({dir}); }

Result<PatternSet> PatternSet::LoadDirs(const std::vector<std::string>& dirs) {
  if (dirs.empty()) return Error(ErrorCode::kInvalidArgument, "no pattern directory");
  PatternSet set;
  for (const std::string& dir : dirs) {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.is_regular_file() && e.path().extension() == ".toml") files.push_back(e.path().string());
    }
    if (ec) return Error(ErrorCode::kIo, "cannot read pattern directory " + dir + ": " + ec.message());
    if (files.empty()) return Error(ErrorCode::kNotFound, "no *.toml pattern files in " + dir);
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) {
      if (Status s = set.LoadFile(f); !s.ok()) return s;
    }
  }
  return set;
}

const TicketMapSpec* PatternSet::TicketMap(std::string_view id) const {
  for (const TicketMapSpec& m : ticket_maps)
    if (m.id == id) return &m;
  return nullptr;
}

bool PatternSet::HasCategory(const std::string& id) const {
  for (const CategorySpec& c : categories)
    if (c.id == id) return true;
  return false;
}

std::vector<std::string> PatternSet::RedactCategories() const {
  std::vector<std::string> out;
  for (const CategorySpec& c : categories)
    if (c.redact) out.push_back(c.id);
  return out;
}

int PatternSet::KeywordGroupIndex(const std::string& id) const {
  for (size_t i = 0; i < keywords.size(); ++i)
    if (keywords[i].id == id) return static_cast<int>(i);
  return -1;
}

Status PatternSet::Check(const std::vector<std::string>& validators) const {
  // LabelIndex (detect/label_index.h) gives each label/negative group and
  // each credential/passport group one bit of a 64-bit mask: a group past
  // the 64th is refused here, never dropped.
  for (const auto& [a, b, names] :
       {std::tuple{KeywordRole::kLabel, KeywordRole::kNegative, "label or negative"},
        std::tuple{KeywordRole::kCredential, KeywordRole::kPassport, "credential or passport"}}) {
    size_t n = 0;
    for (const KeywordGroup& g : keywords)
      if ((g.role == a || g.role == b) && ++n > 64)
        return Error(ErrorCode::kInvalidArgument, g.file + ":" + std::to_string(g.line) + ": keywords '" + g.id +
                                                      "': more than 64 keyword groups with role " + names +
                                                      " (LabelIndex keeps one bit per group)");
  }
  // Ids are unique across every file of every pattern directory: a
  // --patterns directory adds to the built-in one and may not redefine
  // what it defines (the error names both places). Detectors and [[type]]s
  // share one namespace (the type id of a finding).
  std::map<std::string, std::string> ids;  // kind:id -> file:line of its first definition
  auto unique = [&ids](const char* kind, const char* what, const std::string& id, const std::string& file,
                       int line) -> Status {
    const std::string at = file + ":" + std::to_string(line);
    auto [it, fresh] = ids.emplace(std::string(kind) + ":" + id, at);
    if (fresh) return Status::Ok();
    return Error(ErrorCode::kInvalidArgument,
                 at + ": " + what + " '" + id + "' is already defined at " + it->second +
                     " (ids must be unique across all pattern files; --patterns DIR adds to the built-in "
                     "patterns, --no-builtin-patterns replaces them)");
  };
  std::string cat_list;
  for (const CategorySpec& c : categories) {
    if (Status s = unique("cat", "category", c.id, c.file, c.line); !s.ok()) return s;
    cat_list += (cat_list.empty() ? "" : ", ") + c.id;
  }
  if (categories.empty())
    return Error(ErrorCode::kInvalidArgument,
                 "no [[category]] declared (patterns/categories.toml; with --no-builtin-patterns one of the "
                 "--patterns directories must declare the categories)");
  for (const TicketMapSpec& m : ticket_maps)
    if (Status s = unique("ticket_map", "ticket_map", m.id, m.file, m.line); !s.ok()) return s;
  for (const DetectorSpec& d : detectors)
    if (!HasCategory(d.category))
      return Error(ErrorCode::kInvalidArgument, d.file + ":" + std::to_string(d.category_line) + ": detector '" +
                                                    d.id + "': 'category' must be one of " + cat_list);
  for (const TypeSpec& t : types)
    if (!HasCategory(t.category))
      return Error(ErrorCode::kInvalidArgument, t.file + ":" + std::to_string(t.line) + ": type '" + t.id +
                                                    "': 'category' must be one of " + cat_list);
  for (const KeywordGroup& g : keywords)
    if (Status s = unique("kw", "keywords", g.id, g.file, g.line); !s.ok()) return s;
  for (const DetectorSpec& d : detectors)
    if (Status s = unique("type", "detector", d.id, d.file, d.line); !s.ok()) return s;
  for (const TypeSpec& t : types)
    if (Status s = unique("type", "type", t.id, t.file, t.line); !s.ok()) return s;
  for (const DetectorSpec& d : detectors) {
    std::string where = d.file + ":" + std::to_string(d.line) + ": detector '" + d.id + "': ";
    if (std::find(validators.begin(), validators.end(), d.validator) == validators.end())
      return Error(ErrorCode::kInvalidArgument, where + "unknown validator '" + d.validator + "'");
    for (const auto* list : {&d.keywords, &d.negative, &d.trigger})
      for (const std::string& k : *list)
        if (KeywordGroupIndex(k) < 0)
          return Error(ErrorCode::kInvalidArgument, where + "unknown keywords id '" + k + "'");
  }
  return Status::Ok();
}

}  // namespace nordpii
