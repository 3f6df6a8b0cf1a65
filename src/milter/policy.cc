// SPDX-License-Identifier: Apache-2.0
// The milter's toml++ user; toml++ throws toml::parse_error, caught here
// (toml++ is compiled into our code, header-only: see src/CMakeLists.txt).
#include "milter/policy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <toml++/toml.h>

#include "core/utf8.h"

namespace nordpii::milter {

namespace {

// An envelope address as rules compare it: lower case, without <> and a
// source route, the local part unquoted ("support"@x is support@x) and the domain without a
// trailing dot (x.example. is x.example), so a differently written address
// cannot slip past a rule or an allow-list entry.
std::string Bare(std::string_view addr) {
  std::string a = AsciiLower(addr);
  size_t lt = a.find('<');
  if (lt != std::string::npos) a = a.substr(lt + 1);
  size_t gt = a.find('>');
  if (gt != std::string::npos) a = a.substr(0, gt);
  while (!a.empty() && a.back() == ' ') a.pop_back();
  // An RFC 5321 source route ("@relay.example,@b.example:support@x"):
  // Postfix ignores it and delivers to the mailbox after the ':', so the
  // route is dropped here too (otherwise a route would slip past a
  // recipient or sender rule).
  if (!a.empty() && a[0] == '@') {
    size_t colon = a.find(':');
    if (colon != std::string::npos) a = a.substr(colon + 1);
  }
  size_t at = a.rfind('@');
  std::string local = at == std::string::npos ? a : a.substr(0, at);
  std::string domain = at == std::string::npos ? "" : a.substr(at + 1);
  if (local.size() >= 2 && local.front() == '"' && local.back() == '"') {
    std::string u;
    for (size_t i = 1; i + 1 < local.size(); ++i) {
      if (local[i] == '\\' && i + 2 < local.size()) ++i;
      u += local[i];
    }
    local = u;
  }
  while (!domain.empty() && domain.back() == '.') domain.pop_back();
  return at == std::string::npos ? local : local + "@" + domain;
}

std::string Domain(std::string_view addr) {
  std::string a = Bare(addr);
  size_t at = a.rfind('@');
  return at == std::string::npos ? "" : a.substr(at + 1);
}

// Listed as written, by domain ("@x"), or without an address extension
// (support+x@y matches support@y: Postfix's recipient_delimiter "+" delivers
// both to one mailbox).
bool Listed(const std::vector<std::string>& list, std::string_view addr) {
  std::string a = Bare(addr), d = "@" + Domain(addr);
  std::string base = a;
  size_t plus = a.find('+'), at = a.rfind('@');
  if (plus != std::string::npos && at != std::string::npos && plus < at) base = a.substr(0, plus) + a.substr(at);
  for (const auto& e : list)
    if (e == a || e == d || e == base) return true;
  return false;
}

// The first control character (C0, DEL) in `s`, or npos. Every string of
// the policy is echoed somewhere (rule names into the verdict header and the
// log, secure_url into the SMTP reply, names into --check's TOML): a CR/LF
// there would inject a header, a reply line or a log line; a NUL would cut
// the milter packet's string.
size_t ControlAt(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i)
    if (static_cast<unsigned char>(s[i]) < 0x20 || s[i] == 0x7f) return i;
  return std::string_view::npos;
}

struct Ctx {
  std::string file;
  Status Bad(const toml::node& n, const std::string& key, const std::string& what) const {
    return Error(ErrorCode::kInvalidArgument,
                 file + ":" + std::to_string(n.source().begin.line) + ": " + EscapeControls(key) + ": " +
                     EscapeControls(what));
  }
  Status Plain(const toml::node& n, const std::string& key, const std::string& v) const {
    if (ControlAt(v) != std::string_view::npos)
      return Bad(n, key, "control character in '" + EscapeControls(v) + "' (CR, LF, tab, NUL... are not allowed)");
    return Status::Ok();
  }
  Status Unknown(const toml::table& t, const std::string& where, std::initializer_list<const char*> allowed) const {
    for (const auto& [k, v] : t) {
      bool ok = false;
      for (const char* a : allowed) ok = ok || k.str() == a;
      if (ControlAt(k.str()) != std::string_view::npos)
        return Bad(v, where + std::string(k.str()), "control character in a key");
      if (!ok) return Bad(v, where + std::string(k.str()), "unknown key");
    }
    return Status::Ok();
  }
  Status Strings(const toml::table& t, const std::string& where, const char* key, std::vector<std::string>& out,
                 bool lower) const {
    const toml::node* n = t.get(key);
    if (!n) return Status::Ok();
    const toml::array* a = n->as_array();
    if (!a) return Bad(*n, where + key, "expected an array of strings");
    for (const toml::node& e : *a) {
      auto s = e.value<std::string>();
      if (!s) return Bad(e, where + key, "expected an array of strings");
      if (Status st = Plain(e, where + key, *s); !st.ok()) return st;
      out.push_back(lower ? AsciiLower(*s) : *s);
    }
    return Status::Ok();
  }
  // A bound as the error shows it: a whole number of GiB as such (the
  // message filter hides digit runs long enough to be an identifier, and
  // "2147483648" is one).
  static std::string Bound(long long v) {
    if (v >= (1LL << 30) && v % (1LL << 30) == 0) return std::to_string(v >> 30) + " GiB";
    return std::to_string(v);
  }
  template <class T>
  Status Number(const toml::table& t, const std::string& where, const char* key, T& out, long long lo,
                long long hi) const {
    const toml::node* n = t.get(key);
    if (!n) return Status::Ok();
    auto v = n->is_integer() ? n->value<long long>() : std::nullopt;
    if (!v || *v < lo || *v > hi)
      return Bad(*n, where + key, "expected an integer from " + Bound(lo) + " to " + Bound(hi));
    out = static_cast<T>(*v);
    return Status::Ok();
  }
  Status String(const toml::table& t, const std::string& where, const char* key, std::string& out) const {
    const toml::node* n = t.get(key);
    if (!n) return Status::Ok();
    auto v = n->value<std::string>();
    if (!v) return Bad(*n, where + key, "expected a string");
    if (Status st = Plain(*n, where + key, *v); !st.ok()) return st;
    out = *v;
    return Status::Ok();
  }
};

const std::set<std::string>& Languages() {
  static const std::set<std::string> k = {"nb", "nn", "sv", "da", "fi", "is", "en"};
  return k;
}

Result<Action> ParseAction(const std::string& s) {
  static const std::pair<const char*, Action> kA[] = {
      {"flag", Action::kFlag},         {"redact", Action::kRedact}, {"quarantine", Action::kQuarantine},
      {"tempfail", Action::kTempfail}, {"reject", Action::kReject}, {"discard", Action::kDiscard}};
  for (const auto& [n, a] : kA)
    if (s == n) return a;
  return Error(ErrorCode::kInvalidArgument, "expected flag, redact, quarantine, tempfail, reject or discard");
}

// "user@domain" or "@domain": a domain after the '@', no space or '<>'.
// "@" alone would match the null sender <> (every bounce).
bool AddressEntry(const std::string& e) {
  size_t at = e.rfind('@');
  return at != std::string::npos && at + 1 < e.size() && e.find_first_of(" <>,;") == std::string::npos &&
         e.find('@') == at;
}

}  // namespace

std::string EscapeControls(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char ch : s) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (ch == '\r') o += "\\r";
    else if (ch == '\n') o += "\\n";
    else if (ch == '\t') o += "\\t";
    else if (u < 0x20 || u == 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", u);
      o += b;
    } else {
      o += ch;
    }
  }
  return o;
}

const char* ActionName(Action a) {
  switch (a) {
    case Action::kFlag: return "flag";
    case Action::kRedact: return "redact";
    case Action::kQuarantine: return "quarantine";
    case Action::kTempfail: return "tempfail";
    case Action::kReject: return "reject";
    case Action::kDiscard: return "discard";
    default: return "accept";
  }
}

bool Rule::Matches(const Finding& f) const {
  if (f.confidence < min_confidence) return false;
  if (categories.empty() && types.empty()) return true;
  return categories.count(f.category) || types.count(f.type);
}

Result<Policy> Policy::Load(const std::string& path) {
  // A regular file of at most kMaxPolicyBytes: a directory, a FIFO or a
  // device (/dev/zero behind a symlink) would read as empty or never end.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error(ErrorCode::kNotFound, path + ": cannot open policy file: " + std::strerror(errno));
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error(ErrorCode::kInvalidArgument, path + ": not a regular file");
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      ::close(fd);
      return Error(ErrorCode::kInvalidArgument, path + ": cannot read policy file: " + std::strerror(e));
    }
    if (r == 0) break;
    text.append(buf, static_cast<size_t>(r));
    if (text.size() > kMaxPolicyBytes) {
      ::close(fd);
      return Error(ErrorCode::kInvalidArgument, path + ": larger than 1 MiB; not a policy file");
    }
  }
  ::close(fd);
  return Parse(text, path);
}

Result<Policy> Policy::Parse(const std::string& text, const std::string& name) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    return Error(ErrorCode::kInvalidArgument, name + ":" + std::to_string(e.source().begin.line) + ": " +
                                                  EscapeControls(e.description()));
  }
  Ctx c{name};
  Policy p;
  if (Status s = c.Unknown(root, "", {"milter", "policy", "limits", "direction", "allow", "reject", "redact", "rule"}); !s.ok())
    return s;
  auto table = [&](const char* key, const toml::table*& out) -> Status {
    out = nullptr;
    const toml::node* n = root.get(key);
    if (!n) return Status::Ok();
    out = n->as_table();
    if (!out) return c.Bad(*n, key, "expected a table");
    return Status::Ok();
  };
  const toml::table* t;
  if (Status s = table("milter", t); !s.ok()) return s;
  if (t) {
    if (Status s = c.Unknown(*t, "milter.",
                             {"max_connections", "scan_workers", "read_timeout_s", "content_timeout_s", "idle_timeout_s", "socket_mode", "socket_owner",
                              "socket_group", "user", "group", "pid_file", "log", "metrics_listen"});
        !s.ok())
      return s;
    if (Status s = c.Number(*t, "milter.", "max_connections", p.max_connections, 1, 100000); !s.ok()) return s;
    if (Status s = c.Number(*t, "milter.", "scan_workers", p.scan_workers, 0, 256); !s.ok()) return s;
    if (Status s = c.Number(*t, "milter.", "read_timeout_s", p.read_timeout_s, 1, 86400); !s.ok()) return s;
    if (Status s = c.Number(*t, "milter.", "content_timeout_s", p.content_timeout_s, 1, 86400); !s.ok()) return s;
    if (Status s = c.Number(*t, "milter.", "idle_timeout_s", p.idle_timeout_s, 0, 604800); !s.ok()) return s;
    std::string mode;
    if (Status s = c.String(*t, "milter.", "socket_mode", mode); !s.ok()) return s;
    if (!mode.empty()) {
      char* end = nullptr;
      unsigned long m = std::strtoul(mode.c_str(), &end, 8);
      if (*end || m > 0777 || mode.find_first_not_of("01234567") != std::string::npos)
        return c.Bad(*t->get("socket_mode"), "milter.socket_mode", "expected an octal mode such as \"0660\"");
      p.socket_mode = static_cast<unsigned>(m);
    }
    if (Status s = c.String(*t, "milter.", "socket_owner", p.socket_owner); !s.ok()) return s;
    if (Status s = c.String(*t, "milter.", "socket_group", p.socket_group); !s.ok()) return s;
    if (Status s = c.String(*t, "milter.", "user", p.user); !s.ok()) return s;
    if (Status s = c.String(*t, "milter.", "group", p.group); !s.ok()) return s;
    if (!p.group.empty() && p.user.empty()) return c.Bad(*t->get("group"), "milter.group", "needs milter.user");
    if (Status s = c.String(*t, "milter.", "pid_file", p.pid_file); !s.ok()) return s;
    if (!p.pid_file.empty() && p.pid_file[0] != '/')
      return c.Bad(*t->get("pid_file"), "milter.pid_file", "expected an absolute path");
    std::string log;
    if (Status s = c.String(*t, "milter.", "log", log); !s.ok()) return s;
    if (log == "stderr") p.log = LogTo::kStderr;
    else if (log == "syslog") p.log = LogTo::kSyslog;
    else if (!log.empty() && log != "auto") return c.Bad(*t->get("log"), "milter.log", "expected auto, stderr or syslog");
    if (Status s = c.String(*t, "milter.", "metrics_listen", p.metrics_listen); !s.ok()) return s;
    if (!p.metrics_listen.empty()) {
      size_t colon = p.metrics_listen.rfind(':');
      std::string port = colon == std::string::npos ? "" : p.metrics_listen.substr(colon + 1);
      if (colon == 0 || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
          std::stol(port) > 65535)
        return c.Bad(*t->get("metrics_listen"), "milter.metrics_listen", "expected HOST:PORT such as 127.0.0.1:9899");
      // The host: a dotted-quad IPv4 address, an IPv6 address in brackets,
      // or a host name with a letter in it. getaddrinfo would also take
      // "2110625629" or "1.2" as IPv4 (inet_aton forms): refused, not echoed.
      std::string host = p.metrics_listen.substr(0, colon);
      unsigned char a[16];
      bool ok = false;
      if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        ok = ::inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), a) == 1;
      else if (host.find_first_not_of("0123456789.") == std::string::npos)
        ok = ::inet_pton(AF_INET, host.c_str(), a) == 1;
      else
        ok = host.size() <= 253 && host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
                                       std::string::npos &&
             host.front() != '.' && host.front() != '-' && host.find("..") == std::string::npos;
      if (!ok)
        return c.Bad(*t->get("metrics_listen"), "milter.metrics_listen",
                     "expected HOST:PORT with HOST a dotted-quad IPv4 address, [IPv6] or a host name, such as "
                     "127.0.0.1:9899");
    }
  }
  if (Status s = table("policy", t); !s.ok()) return s;
  if (t) {
    if (Status s = c.Unknown(*t, "policy.", {"mode", "match"}); !s.ok()) return s;
    std::string mode, match;
    if (Status s = c.String(*t, "policy.", "mode", mode); !s.ok()) return s;
    if (mode == "monitor") p.monitor = true;
    else if (!mode.empty() && mode != "enforce")
      return c.Bad(*t->get("mode"), "policy.mode", "expected enforce or monitor");
    if (Status s = c.String(*t, "policy.", "match", match); !s.ok()) return s;
    if (match == "first") p.first_match = true;
    else if (!match.empty() && match != "strictest")
      return c.Bad(*t->get("match"), "policy.match", "expected strictest or first");
  }
  if (Status s = table("limits", t); !s.ok()) return s;
  if (t) {
    if (Status s = c.Unknown(*t, "limits.", {"max_message_bytes", "max_html_part_bytes", "scan_timeout_ms", "on_error",
                                           "on_oversize", "ocr", "not_read"});
        !s.ok())
      return s;
    if (const toml::node* n = t->get("ocr")) {
      if (!n->is_boolean()) return c.Bad(*n, "limits.ocr", "expected true or false");
      p.ocr = n->value_or(false);
    }
    if (Status s = c.Number(*t, "limits.", "max_message_bytes", p.max_message_bytes, 1024, 1LL << 31); !s.ok())
      return s;
    if (Status s = c.Number(*t, "limits.", "max_html_part_bytes", p.max_html_part_bytes, 65536, 1LL << 31); !s.ok())
      return s;
    if (Status s = c.Number(*t, "limits.", "scan_timeout_ms", p.scan_timeout_ms, 100, 3600000); !s.ok()) return s;
    std::string oe;
    if (Status s = c.String(*t, "limits.", "on_error", oe); !s.ok()) return s;
    if (oe == "accept") p.on_error = OnError::kAccept;
    else if (!oe.empty() && oe != "tempfail")
      return c.Bad(*t->get("on_error"), "limits.on_error", "expected \"tempfail\" or \"accept\"");
    std::string nr;
    if (Status s = c.String(*t, "limits.", "not_read", nr); !s.ok()) return s;
    if (nr == "header") p.not_read = Policy::NotRead::kHeader;
    else if (nr == "error") p.not_read = Policy::NotRead::kError;
    else if (!nr.empty() && nr != "log")
      return c.Bad(*t->get("not_read"), "limits.not_read", "expected \"log\", \"header\" or \"error\"");
    std::string oo;
    if (Status s = c.String(*t, "limits.", "on_oversize", oo); !s.ok()) return s;
    if (oo == "reject") p.on_oversize = OnOversize::kReject;
    else if (oo == "tempfail") p.on_oversize = OnOversize::kTempfail;
    else if (!oo.empty() && oo != "on_error")
      return c.Bad(*t->get("on_oversize"), "limits.on_oversize", "expected reject, tempfail or on_error");
  }
  if (Status s = table("direction", t); !s.ok()) return s;
  if (t) {
    if (Status s = c.Unknown(*t, "direction.", {"internal_domains", "outbound_daemons"}); !s.ok()) return s;
    if (Status s = c.Strings(*t, "direction.", "internal_domains", p.internal_domains, true); !s.ok()) return s;
    for (const auto& dom : p.internal_domains)  // a bare domain: "example.no", not "@example.no" or an address
      if (dom.empty() || dom.find_first_of("@*!? ") != std::string::npos || dom.front() == '.' || dom.back() == '.')
        return c.Bad(*t->get("internal_domains"), "direction.internal_domains",
                     "expected bare domains such as \"example.no\" (no @, wildcard or dot at either end)");
    if (Status s = c.Strings(*t, "direction.", "outbound_daemons", p.outbound_daemons, false); !s.ok()) return s;
  }
  if (Status s = table("allow", t); !s.ok()) return s;
  if (t) {
    if (Status s = c.Unknown(*t, "allow.", {"senders", "recipients"}); !s.ok()) return s;
    if (Status s = c.Strings(*t, "allow.", "senders", p.allow_senders, true); !s.ok()) return s;
    if (Status s = c.Strings(*t, "allow.", "recipients", p.allow_recipients, true); !s.ok()) return s;
    for (const auto* list : {&p.allow_senders, &p.allow_recipients})
      for (const auto& e : *list)
        if (!AddressEntry(e)) {
          const char* key = list == &p.allow_senders ? "senders" : "recipients";
          return c.Bad(*t->get(key), std::string("allow.") + key, "'" + e + "': expected user@domain or @domain");
        }
  }
  if (Status s = table("reject", t); !s.ok()) return s;
  if (t) {
    if (Status s = c.Unknown(*t, "reject.", {"secure_url", "default_language", "languages"}); !s.ok()) return s;
    if (Status s = c.String(*t, "reject.", "secure_url", p.secure_url); !s.ok()) return s;
    if (Status s = c.String(*t, "reject.", "default_language", p.default_language); !s.ok()) return s;
    if (!Languages().count(p.default_language))
      return c.Bad(*t->get("default_language"), "reject.default_language", "expected one of nb, nn, sv, da, fi, is, en");
    if (const toml::node* n = t->get("languages")) {
      const toml::table* lt = n->as_table();
      if (!lt) return c.Bad(*n, "reject.languages", "expected a table of domain = \"language\"");
      for (const auto& [k, v] : *lt) {
        auto lang = v.value<std::string>();
        if (!lang || !Languages().count(*lang))
          return c.Bad(v, "reject.languages." + std::string(k.str()), "expected one of nb, nn, sv, da, fi, is, en");
        if (ControlAt(k.str()) != std::string_view::npos)
          return c.Bad(v, "reject.languages." + std::string(k.str()), "control character in a key");
        p.languages[AsciiLower(k.str())] = *lang;
      }
    }
  }
  if (Status s = table("redact", t); !s.ok()) return s;
  if (t) {
    if (Status s = c.Unknown(*t, "redact.", {"style"}); !s.ok()) return s;
    std::string st;
    if (Status s = c.String(*t, "redact.", "style", st); !s.ok()) return s;
    if (st == "mask") p.style = RedactStyle::kMask;
    else if (st == "hmac") p.style = RedactStyle::kHmac;
    else if (!st.empty() && st != "label") return c.Bad(*t->get("style"), "redact.style", "expected label, mask or hmac");
  }
  if (const toml::node* n = root.get("rule")) {
    const toml::array* rules = n->as_array();
    if (!rules) return c.Bad(*n, "rule", "expected [[rule]] tables");
    for (size_t i = 0; i < rules->size(); ++i) {
      const toml::table* rt = (*rules)[i].as_table();
      std::string where = "rule[" + std::to_string(i + 1) + "].";
      if (!rt) return c.Bad((*rules)[i], "rule[" + std::to_string(i + 1) + "]", "expected a table");
      if (Status s = c.Unknown(*rt, where,
                               {"name", "categories", "types", "min_confidence", "min_count", "direction", "action", "recipients",
                                "senders", "clients", "sasl_users"});
          !s.ok())
        return s;
      Rule r;
      if (Status s = c.String(*rt, where, "name", r.name); !s.ok()) return s;
      if (r.name.empty()) return c.Bad(*rt, where + "name", "every rule needs a name (it is logged)");
      // The name goes into the verdict header ("rule=NAME; findings=...")
      // and the log line ("rule=NAME findings=..."): a space, ';' or '='
      // would forge a field there, non-ASCII breaks a 7-bit header.
      if (r.name.size() > 64 ||
          r.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
              std::string::npos)
        return c.Bad(*rt->get("name"), where + "name",
                     ControlAt(r.name) == std::string::npos
                         ? "expected letters, digits, '.', '_' and '-' only (at most 64; it goes into a header and the log)"
                         : "control character in the value");
      for (size_t j = 0; j < p.rules.size(); ++j)
        if (p.rules[j].name == r.name)
          return c.Bad(*rt->get("name"), where + "name",
                       "'" + r.name + "' is also the name of rule[" + std::to_string(j + 1) + "] (names are logged: keep them unique)");
      std::vector<std::string> cats, types;
      if (Status s = c.Strings(*rt, where, "categories", cats, true); !s.ok()) return s;
      // Which categories exist is the patterns' to say (CheckCategories).
      if (const toml::node* cn = rt->get("categories")) r.categories_line = static_cast<int>(cn->source().begin.line);
      if (Status s = c.Strings(*rt, where, "types", types, true); !s.ok()) return s;
      r.categories.insert(cats.begin(), cats.end());
      r.types.insert(types.begin(), types.end());
      std::string conf = "medium";
      if (Status s = c.String(*rt, where, "min_confidence", conf); !s.ok()) return s;
      r.min_confidence = ParseConfidence(conf);
      if (r.min_confidence == Confidence::kNone)
        return c.Bad(*rt->get("min_confidence"), where + "min_confidence", "expected low, medium or high");
      if (Status s = c.Number(*rt, where, "min_count", r.min_count, 1, 1000000); !s.ok()) return s;
      std::string dir = "any";
      if (Status s = c.String(*rt, where, "direction", dir); !s.ok()) return s;
      if (dir == "inbound") r.direction = Rule::Direction::kInbound;
      else if (dir == "outbound") r.direction = Rule::Direction::kOutbound;
      else if (dir != "any") return c.Bad(*rt->get("direction"), where + "direction", "expected inbound, outbound or any");
      std::string act;
      if (Status s = c.String(*rt, where, "action", act); !s.ok()) return s;
      if (act.empty()) return c.Bad(*rt, where + "action", "missing");
      auto a = ParseAction(act);
      if (!a) return c.Bad(*rt->get("action"), where + "action", a.error().message());
      r.action = *a;
      if (Status s = c.Strings(*rt, where, "recipients", r.recipients, true); !s.ok()) return s;
      if (Status s = c.Strings(*rt, where, "senders", r.senders, true); !s.ok()) return s;
      if (Status s = c.Strings(*rt, where, "sasl_users", r.sasl_users, false); !s.ok()) return s;
      for (const auto* list : {&r.recipients, &r.senders})
        for (const auto& e : *list)
          if (!AddressEntry(e))
            return c.Bad(*rt->get(list == &r.recipients ? "recipients" : "senders"),
                         where + (list == &r.recipients ? "recipients" : "senders"),
                         "'" + e + "': expected user@domain or @domain");
      if (Status s = c.Strings(*rt, where, "clients", r.client_texts, false); !s.ok()) return s;
      for (const auto& e : r.client_texts) {
        Rule::Cidr cidr;
        if (!ParseCidr(e, cidr))
          return c.Bad(*rt->get("clients"), where + "clients", "'" + e + "': expected an IP address or CIDR block");
        if (!CidrHostBitsClear(cidr))
          return c.Bad(*rt->get("clients"), where + "clients",
                       "'" + e + "': host bits set after the /" + std::to_string(cidr.bits) + " prefix (a typo?)");
        r.clients.push_back(cidr);
      }
      r.line = static_cast<int>(rt->source().begin.line);
      p.rules.push_back(std::move(r));
    }
  }
  if (p.rules.empty())
    return Error(ErrorCode::kInvalidArgument,
                 name + ": no [[rule]]: every message would be accepted unchecked (an empty or truncated file?)");
  return p;
}

bool CidrHostBitsClear(const Rule::Cidr& c) {
  int max = c.family == AF_INET ? 32 : 128;
  for (int bit = c.bits; bit < max; ++bit)
    if (c.addr[bit / 8] & (0x80 >> (bit % 8))) return false;
  return true;
}

bool ParseCidr(const std::string& s, Rule::Cidr& out) {
  std::string addr = s;
  int bits = -1;
  size_t slash = s.find('/');
  if (slash != std::string::npos) {
    std::string b = s.substr(slash + 1);
    if (b.empty() || b.size() > 3 || b.find_first_not_of("0123456789") != std::string::npos) return false;
    bits = std::stoi(b);
    addr = s.substr(0, slash);
  }
  out = Rule::Cidr{};
  if (::inet_pton(AF_INET, addr.c_str(), out.addr) == 1) out.family = AF_INET;
  else if (::inet_pton(AF_INET6, addr.c_str(), out.addr) == 1) out.family = AF_INET6;
  else return false;
  int max = out.family == AF_INET ? 32 : 128;
  if (bits > max) return false;
  out.bits = bits < 0 ? max : bits;
  return true;
}

bool CidrContains(const Rule::Cidr& c, const std::string& text) {
  std::string a = text;
  if (a.size() >= 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  if (a.rfind("IPv6:", 0) == 0 || a.rfind("ipv6:", 0) == 0) a = a.substr(5);  // Sendmail's form
  unsigned char b[16] = {};
  int fam = 0;
  if (::inet_pton(AF_INET, a.c_str(), b) == 1) fam = AF_INET;
  else if (::inet_pton(AF_INET6, a.c_str(), b) == 1) fam = AF_INET6;
  else return false;
  if (fam == AF_INET6 && c.family == AF_INET) {  // an IPv4-mapped IPv6 address
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, kMapped, 12) != 0) return false;
    std::memmove(b, b + 12, 4);
    fam = AF_INET;
  }
  if (fam != c.family) return false;
  int full = c.bits / 8, rest = c.bits % 8;
  if (std::memcmp(b, c.addr, static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (b[full] & mask) == (c.addr[full] & mask);
}

namespace {

bool EnvelopeMatches(const Rule& r, const Envelope& env) {
  if (!r.senders.empty() && !Listed(r.senders, env.sender)) return false;
  if (!r.recipients.empty()) {
    bool any = false;
    for (const auto& rc : env.recipients) any = any || Listed(r.recipients, rc);
    if (!any) return false;
  }
  if (!r.clients.empty()) {
    bool any = false;
    for (const auto& c : r.clients) any = any || CidrContains(c, env.client_addr);
    if (!any) return false;
  }
  if (!r.sasl_users.empty()) {
    if (env.sasl_user.empty()) return false;
    bool any = false;
    for (const auto& u : r.sasl_users) any = any || u == "*" || AsciiLower(u) == AsciiLower(env.sasl_user);
    if (!any) return false;
  }
  return true;
}

}  // namespace

Verdict Evaluate(const Policy& p, const Envelope& env, const std::vector<Finding>& findings) {
  Verdict v;
  v.outbound = !p.outbound_daemons.empty() &&
               std::find(p.outbound_daemons.begin(), p.outbound_daemons.end(), env.daemon_name) !=
                   p.outbound_daemons.end();
  if (!v.outbound && !p.internal_domains.empty())
    for (const auto& r : env.recipients)
      if (std::find(p.internal_domains.begin(), p.internal_domains.end(), Domain(r)) == p.internal_domains.end())
        v.outbound = true;
  if (Listed(p.allow_senders, env.sender)) {
    v.rule = "allow-list";
    return v;
  }
  if (!env.recipients.empty() && !p.allow_recipients.empty()) {
    bool all = true;
    for (const auto& r : env.recipients) all = all && Listed(p.allow_recipients, r);
    if (all) {
      v.rule = "allow-list";
      return v;
    }
  }
  v.redact_filter.min_confidence = Confidence::kHigh;
  bool redact_all = false;
  for (const Rule& r : p.rules) {
    if (r.direction == Rule::Direction::kInbound && v.outbound) continue;
    if (r.direction == Rule::Direction::kOutbound && !v.outbound) continue;
    if (!EnvelopeMatches(r, env)) continue;
    size_t n = 0;
    for (const Finding& f : findings) n += r.Matches(f);
    if (n < r.min_count) continue;
    if (p.first_match && !v.fired.empty()) break;
    v.fired.push_back(r.name);
    if (r.action == Action::kRedact) {
      v.redact_filter.categories.insert(r.categories.begin(), r.categories.end());
      v.redact_filter.types.insert(r.types.begin(), r.types.end());
      redact_all = redact_all || (r.categories.empty() && r.types.empty());
      v.redact_filter.min_confidence = std::min(v.redact_filter.min_confidence, r.min_confidence);
    }
    if (static_cast<int>(r.action) > static_cast<int>(v.action)) {
      v.action = r.action;
      v.rule = r.name;
    }
  }
  if (redact_all) v.redact_filter.categories.clear(), v.redact_filter.types.clear();
  if (p.monitor && v.action != Action::kNone) {
    v.would = v.action;
    v.action = Action::kFlag;
  }
  return v;
}

std::string LanguageFor(const Policy& p, const Envelope& env) {
  for (const auto& r : env.recipients) {
    auto it = p.languages.find(Domain(r));
    if (it != p.languages.end()) return it->second;
  }
  return p.default_language;
}

std::string RejectText(const Policy& p, const Envelope& env, const std::vector<std::string>& types) {
  // SMTP reply text is 7-bit ASCII (RFC 5321 4.2): Nordic letters transliterated.
  static const std::map<std::string, std::pair<const char*, const char*>> kText = {
      {"en", {"Message not delivered: it contains sensitive personal data (", "). Do not send such data by e-mail; use "}},
      {"nb", {"Meldingen ble ikke levert fordi den inneholder sensitive personopplysninger (",
              "). Ikke send slike opplysninger paa e-post; bruk "}},
      {"nn", {"Meldinga vart ikkje levert fordi ho inneheld sensitive personopplysningar (",
              "). Ikkje send slike opplysningar paa e-post; bruk "}},
      {"sv", {"Meddelandet levererades inte eftersom det innehaller kansliga personuppgifter (",
              "). Skicka inte sadana uppgifter med e-post; anvand "}},
      {"da", {"Beskeden blev ikke leveret, fordi den indeholder foelsomme personoplysninger (",
              "). Send ikke saadanne oplysninger med e-mail; brug "}},
      {"fi", {"Viestia ei toimitettu, koska se sisaltaa arkaluonteisia henkilotietoja (",
              "). Ala laheta tallaisia tietoja sahkopostilla; kayta "}},
      {"is", {"Skilabodin voru ekki afhent thar sem thau innihalda vidkvaemar personuupplysingar (",
              "). Ekki senda slikar upplysingar med tolvuposti; notadu "}},
  };
  static const std::map<std::string, const char*> kTail = {
      {"en", " instead."}, {"nb", " i stedet."}, {"nn", " i staden."}, {"sv", " i stallet."},
      {"da", " i stedet."}, {"fi", " sen sijaan."}, {"is", " i stadinn."}};
  std::string lang = LanguageFor(p, env);
  auto it = kText.find(lang);
  if (it == kText.end()) it = kText.find("en");
  std::string list;
  for (const auto& t : types) list += (list.empty() ? "" : ", ") + t;
  std::string out = std::string(it->second.first) + list + it->second.second + p.secure_url + kTail.at(it->first);
  for (char& ch : out)
    if (static_cast<unsigned char>(ch) > 126) ch = '?';
  return out;
}

}  // namespace nordpii::milter

namespace nordpii::milter {

namespace {

// A TOML basic string: quote and backslash escaped, control characters as
// \uXXXX (none pass the parser, but --check's output stays TOML regardless).
std::string Quote(const std::string& s) {
  std::string o = "\"";
  for (char ch : s) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      o += '\\';
      o += ch;
    } else if (u < 0x20 || u == 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", u);
      o += b;
    } else {
      o += ch;
    }
  }
  return o + "\"";
}

template <class C>
std::string List(const C& c) {
  std::string o = "[";
  for (const auto& e : c) o += (o.size() > 1 ? ", " : "") + Quote(e);
  return o + "]";
}

}  // namespace

Status CheckTypes(const Policy& p, const std::set<std::string>& known, const std::string& file) {
  for (size_t i = 0; i < p.rules.size(); ++i)
    for (const auto& t : p.rules[i].types)
      if (!known.count(t))
        return Error(ErrorCode::kInvalidArgument, file + ":" + std::to_string(p.rules[i].line) + ": rule[" +
                                                      std::to_string(i + 1) + "] '" + p.rules[i].name +
                                                      "': types: unknown type '" + t +
                                                      "' (`nordpii types` lists them)");
  return Status::Ok();
}

Status CheckCategories(const Policy& p, const PatternSet& patterns, const std::string& file) {
  for (size_t i = 0; i < p.rules.size(); ++i)
    for (const auto& cat : p.rules[i].categories)
      if (!patterns.HasCategory(cat)) {
        std::string list;
        for (const CategorySpec& c : patterns.categories) list += (list.empty() ? "" : ", ") + c.id;
        const Rule& r = p.rules[i];
        return Error(ErrorCode::kInvalidArgument,
                     file + ":" + std::to_string(r.categories_line ? r.categories_line : r.line) + ": rule[" +
                         std::to_string(i + 1) + "].categories: unknown category '" + cat + "' (expected one of " +
                         list + ")");
      }
  return Status::Ok();
}

std::vector<std::string> Warnings(const Policy& p) {
  std::vector<std::string> w;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", p.socket_mode);
  if (p.socket_mode & 0007)
    w.push_back(std::string("milter.socket_mode ") + mode +
                ": every local user may connect to a unix socket and feed the milter (use 0660 and socket_group)");
  if (!p.metrics_listen.empty()) {
    std::string host = p.metrics_listen.substr(0, p.metrics_listen.rfind(':'));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned char a[16];
    bool loop = host == "localhost" || (::inet_pton(AF_INET, host.c_str(), a) == 1 && a[0] == 127) || host == "::1";
    if (!loop)
      w.push_back("milter.metrics_listen"
                  ": not a loopback address; the counters are readable from the network (use 127.0.0.1:PORT)");
  }
  return w;
}

std::vector<std::string> StartOnlyChanges(const Policy& a, const Policy& b) {
  std::vector<std::string> k;
  if (a.socket_mode != b.socket_mode) k.push_back("milter.socket_mode");
  if (a.socket_owner != b.socket_owner) k.push_back("milter.socket_owner");
  if (a.socket_group != b.socket_group) k.push_back("milter.socket_group");
  if (a.user != b.user) k.push_back("milter.user");
  if (a.group != b.group) k.push_back("milter.group");
  if (a.pid_file != b.pid_file) k.push_back("milter.pid_file");
  if (a.log != b.log) k.push_back("milter.log");
  if (a.metrics_listen != b.metrics_listen) k.push_back("milter.metrics_listen");
  if (a.scan_workers != b.scan_workers) k.push_back("milter.scan_workers");
  return k;
}

std::string Describe(const Policy& p) {
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", p.socket_mode);
  std::string o;
  o += "[milter]\n";
  o += "max_connections = " + std::to_string(p.max_connections) + "\n";
  o += "scan_workers = " + std::to_string(p.scan_workers) + "\n";
  o += "read_timeout_s = " + std::to_string(p.read_timeout_s) + "\n";
  o += "content_timeout_s = " + std::to_string(p.content_timeout_s) + "\n";
  o += "idle_timeout_s = " + std::to_string(p.idle_timeout_s) + "\n";
  o += "socket_mode = " + Quote(mode) + "\n";
  o += "socket_owner = " + Quote(p.socket_owner) + "\n";
  o += "socket_group = " + Quote(p.socket_group) + "\n";
  o += "user = " + Quote(p.user) + "\n";
  o += "group = " + Quote(p.group) + "\n";
  o += "pid_file = " + Quote(p.pid_file) + "\n";
  o += std::string("log = ") +
       (p.log == Policy::LogTo::kStderr ? "\"stderr\"" : p.log == Policy::LogTo::kSyslog ? "\"syslog\"" : "\"auto\"") +
       "\n";
  o += "metrics_listen = " + Quote(p.metrics_listen) + "\n\n";
  o += "[policy]\n";
  o += std::string("mode = ") + (p.monitor ? "\"monitor\"" : "\"enforce\"") + "\n";
  o += std::string("match = ") + (p.first_match ? "\"first\"" : "\"strictest\"") + "\n\n";
  o += "[limits]\n";
  o += "max_message_bytes = " + std::to_string(p.max_message_bytes) + "\n";
  o += "max_html_part_bytes = " + std::to_string(p.max_html_part_bytes) + "\n";
  o += "scan_timeout_ms = " + std::to_string(p.scan_timeout_ms) + "\n";
  o += std::string("ocr = ") + (p.ocr ? "true" : "false") + "\n";
  o += std::string("not_read = ") +
       (p.not_read == Policy::NotRead::kHeader  ? "\"header\""
        : p.not_read == Policy::NotRead::kError ? "\"error\""
                                                : "\"log\"") +
       "\n";
  o += std::string("on_error = ") + (p.on_error == Policy::OnError::kAccept ? "\"accept\"" : "\"tempfail\"") + "\n";
  o += std::string("on_oversize = ") +
       (p.on_oversize == Policy::OnOversize::kReject     ? "\"reject\""
        : p.on_oversize == Policy::OnOversize::kTempfail ? "\"tempfail\""
                                                         : "\"on_error\"") +
       "\n\n";
  o += "[direction]\ninternal_domains = " + List(p.internal_domains) + "\noutbound_daemons = " +
       List(p.outbound_daemons) + "\n\n";
  o += "[allow]\nsenders = " + List(p.allow_senders) + "\nrecipients = " + List(p.allow_recipients) + "\n\n";
  o += "[reject]\nsecure_url = " + Quote(p.secure_url) + "\ndefault_language = " + Quote(p.default_language) +
       "\n[reject.languages]\n";
  for (const auto& [d, l] : p.languages) o += Quote(d) + " = " + Quote(l) + "\n";
  o += std::string("\n[redact]\nstyle = ") +
       (p.style == RedactStyle::kMask ? "\"mask\"" : p.style == RedactStyle::kHmac ? "\"hmac\"" : "\"label\"") + "\n";
  for (const Rule& r : p.rules) {
    o += "\n[[rule]]\nname = " + Quote(r.name) + "\n";
    o += "categories = " + List(r.categories) + "\ntypes = " + List(r.types) + "\n";
    o += std::string("min_confidence = ") + Quote(ConfidenceName(r.min_confidence)) + "\n";
    o += "min_count = " + std::to_string(r.min_count) + "\n";
    o += std::string("direction = ") +
         (r.direction == Rule::Direction::kInbound    ? "\"inbound\""
          : r.direction == Rule::Direction::kOutbound ? "\"outbound\""
                                                      : "\"any\"") +
         "\n";
    if (!r.recipients.empty()) o += "recipients = " + List(r.recipients) + "\n";
    if (!r.senders.empty()) o += "senders = " + List(r.senders) + "\n";
    if (!r.client_texts.empty()) o += "clients = " + List(r.client_texts) + "\n";
    if (!r.sasl_users.empty()) o += "sasl_users = " + List(r.sasl_users) + "\n";
    o += std::string("action = ") + Quote(ActionName(r.action)) + "\n";
  }
  return o;
}

}  // namespace nordpii::milter
