// SPDX-License-Identifier: Apache-2.0
// File: policy.h
//
// The milter's policy: which findings in which mail lead to which action,
// loaded from TOML and validated at start (and at every SIGHUP) with errors
// naming the file, line and key. An example with every key documented is
// conf/nordpii-milter.toml. Immutable after Load(); Evaluate() is pure.
//
// Rules match findings by category and/or type (empty = any), minimum
// confidence, minimum count and direction. The direction of a message is
// "outbound" when the MTA's {daemon_name} macro is one of
// direction.outbound_daemons, or when any recipient is outside
// direction.internal_domains (if that list is set); otherwise "inbound".
// Rules may also be limited by envelope: recipients / senders ("user@dom"
// or "@dom"; a rule matches when any recipient is listed), clients (IPv4 /
// IPv6 addresses or CIDR blocks, from the connect packet or {client_addr})
// and sasl_users ({auth_authen}; "*" = any authenticated user).
// policy.match = "strictest" (default): every rule that matches fires and
// the strictest action wins:
//   none < flag < redact < quarantine < tempfail < reject < discard.
// policy.match = "first": the first rule that matches decides alone.
// policy.mode = "monitor": whatever the rules decide becomes flag (a verdict
// header and the log line naming the action that would have been taken).
// Allow-listed senders (or messages whose every recipient is allow-listed)
// get no action.
#ifndef NORDPII_MILTER_POLICY_H_
#define NORDPII_MILTER_POLICY_H_

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/finding.h"
#include "core/status.h"
#include "match/pattern_set.h"
#include "output/redactor.h"
#include "pipeline/scanner.h"

namespace nordpii::milter {

enum class Action { kNone = 0, kFlag, kRedact, kQuarantine, kTempfail, kReject, kDiscard };
const char* ActionName(Action a);

struct Rule {
  std::string name;
  std::set<std::string> categories, types;  // both empty = every finding
  Confidence min_confidence = Confidence::kMedium;
  size_t min_count = 1;
  enum class Direction { kAny, kInbound, kOutbound } direction = Direction::kAny;
  Action action = Action::kFlag;
  // Envelope conditions (empty = any).
  std::vector<std::string> recipients, senders, sasl_users;
  struct Cidr {
    int family = 0;                // AF_INET or AF_INET6
    unsigned char addr[16] = {};
    int bits = 0;
  };
  std::vector<Cidr> clients;
  std::vector<std::string> client_texts;  // as written, for --check
  int line = 0;                           // of its [[rule]] in the file
  int categories_line = 0;                // of its `categories` key (0 = none)
  bool Matches(const Finding& f) const;
};

// Parses "192.0.2.1", "192.0.2.0/24", "2001:db8::/32" (false if invalid).
bool ParseCidr(const std::string& s, Rule::Cidr& out);
// False for "192.0.2.1/24" (bits set after the prefix: refused, a typo for
// either the address or the block).
bool CidrHostBitsClear(const Rule::Cidr& c);
// Control characters (C0, DEL) written as \r, \n, \t, \xNN: for every
// string from outside (policy, MTA macros) that goes into a log line.
std::string EscapeControls(std::string_view s);
// Largest policy file read (a larger one is refused).
inline constexpr size_t kMaxPolicyBytes = 1u << 20;
bool CidrContains(const Rule::Cidr& c, const std::string& addr);

struct Policy {
  // [milter]
  // Open MTA connections (idle ones cost a few KiB each, see README); one
  // more is accepted and closed at once (the MTA applies its default action).
  size_t max_connections = 1000;
  // Threads that scan at end of message (0 = one per CPU); read at start.
  size_t scan_workers = 0;
  // A packet the MTA owes (the rest of a packet begun, or the negotiation
  // after connecting) must arrive within this; between packets (the MTA is
  // waiting for its SMTP client) there is no timeout.
  int read_timeout_s = 300;
  // The content of a message (its first header to its end) must arrive
  // within this: Postfix and Sendmail send it from their queue file once
  // the SMTP client has sent it all, so a slow client never stretches it.
  int content_timeout_s = 300;
  // A connection with no packet for this long is closed (0 = never): longer
  // than any pause an MTA makes between commands (Postfix smtpd_timeout
  // 300 s, Sendmail Timeout.command 1 h).
  int idle_timeout_s = 7200;
  // unix: sockets: mode, owner and group (empty = the process's); read at start.
  unsigned socket_mode = 0660;
  std::string socket_owner, socket_group;
  // Read at start: user/group to run as after binding (needs root; "" =
  // stay), the pid file (written after binding, removed on exit), the log
  // destination (auto: syslog when run by systemd ($JOURNAL_STREAM set),
  // else stderr with RFC 5424 timestamps) and the Prometheus endpoint
  // ("HOST:PORT", "" = none).
  std::string user, group, pid_file;
  enum class LogTo { kAuto, kStderr, kSyslog } log = LogTo::kAuto;
  std::string metrics_listen;
  // [policy]
  bool monitor = false;       // mode = "monitor"
  bool first_match = false;   // match = "first"
  // [limits]
  size_t max_message_bytes = 25u << 20;
  size_t max_html_part_bytes = 8u << 20;  // an HTML part converted to text (~8 bytes per byte)
  int scan_timeout_ms = 10000;
  bool ocr = false;  // image attachments read with OCR (Tesseract), within scan_timeout_ms
  // Content not read (an image or a scanned PDF page while OCR is off, an
  // encrypted part): always in the log line and in a verdict header that is
  // added anyway ("log"), or also in a verdict header added to a message
  // accepted otherwise ("header"), or the message is not fully scanned and
  // gets on_error, its log line listing what was not read ("error": also a
  // binary part with no text; MailLimits::not_read_error).
  enum class NotRead { kLog, kHeader, kError } not_read = NotRead::kLog;
  enum class OnError { kTempfail, kAccept } on_error = OnError::kTempfail;  // accept = with a verdict header
  // Larger than max_message_bytes: on_error (default), or 552 5.3.4 / 452 4.3.4.
  enum class OnOversize { kOnError, kReject, kTempfail } on_oversize = OnOversize::kOnError;
  // [direction]
  std::vector<std::string> internal_domains, outbound_daemons;
  // [allow]
  std::vector<std::string> allow_senders, allow_recipients;  // "user@dom" or "@dom"
  // [reject]
  std::string secure_url = "a secure channel";
  std::string default_language = "en";
  std::map<std::string, std::string> languages;  // recipient domain -> nb|nn|sv|da|fi|is|en
  // [redact]
  RedactStyle style = RedactStyle::kLabel;
  std::vector<Rule> rules;

  // Load: a regular file of at most kMaxPolicyBytes. Both refuse a policy
  // without rules, control characters in any string, duplicate rule names,
  // "@" or "user" address entries, CIDR blocks with host bits set and
  // numbers out of range, naming the file, line and key.
  static Result<Policy> Load(const std::string& path);
  static Result<Policy> Parse(const std::string& text, const std::string& name);
};

// Every type id a rule names is one the loaded patterns define (`known`:
// detector and [[type]] ids); an unknown one (a typo) is an error naming the rule.
Status CheckTypes(const Policy& p, const std::set<std::string>& known, const std::string& file);
// Every category a rule names is one the loaded patterns declare
// (PatternSet::HasCategory: patterns/categories.toml is the one list); an
// unknown one is an error naming the file, line and rule.
Status CheckCategories(const Policy& p, const PatternSet& patterns, const std::string& file);
// Legal but risky settings, one sentence each (for --check and the start
// log): a socket others may write to, a metrics endpoint off loopback.
std::vector<std::string> Warnings(const Policy& p);
// The keys read only at start (socket, user, pid file, metrics, log,
// workers) whose values differ: a SIGHUP reload cannot apply them.
std::vector<std::string> StartOnlyChanges(const Policy& running, const Policy& reloaded);

struct Envelope {
  std::string sender;
  std::vector<std::string> recipients;
  std::string daemon_name;
  std::string client_addr = "";  // "" = unknown
  std::string sasl_user = "";    // {auth_authen}, "" = not authenticated
};

struct Verdict {
  Action action = Action::kNone;
  std::string rule;                 // the rule that decided ("" = none, "allow-list")
  std::vector<std::string> fired;   // every rule that matched
  FindingFilter redact_filter;      // what to redact (redact action)
  bool outbound = false;
  Action would = Action::kNone;  // monitor mode: the action the rules chose
};

Verdict Evaluate(const Policy& p, const Envelope& env, const std::vector<Finding>& findings);
// The 5.7.1 text for the language of the first recipient domain with one
// configured (else the default): what happened and where to send instead.
// ASCII only (SMTP reply text is 7-bit): Nordic letters are transliterated.
std::string RejectText(const Policy& p, const Envelope& env, const std::vector<std::string>& types);
std::string LanguageFor(const Policy& p, const Envelope& env);
// The effective policy (every key, defaults filled in) as TOML, for --check.
std::string Describe(const Policy& p);

}  // namespace nordpii::milter

#endif  // NORDPII_MILTER_POLICY_H_
