// SPDX-License-Identifier: Apache-2.0
#include "milter/milter_server.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <thread>

#include "config/settings.h"
#include "core/utf8.h"
#include "output/identifier_masker.h"
#include "nordpii_version.h"

namespace nordpii::milter {

namespace {

uint32_t Get32(std::string_view d, size_t at) {
  const auto* b = reinterpret_cast<const unsigned char*>(d.data() + at);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

// What the policy needs of a message's findings, in memory that does not
// grow with their number: exact counts by type, and of each
// (type, category, confidence) — all a rule matches on — the first `keep`
// findings in order, `keep` being the largest min_count of the policy's
// rules, so Evaluate counts every rule to the same verdict as with all of
// them, and the reject text lists the types in the order first seen.
struct Collect : StreamSink {
  explicit Collect(size_t k) : keep(std::max<size_t>(k, 1)) {}
  size_t keep;
  std::vector<Finding> findings;
  std::map<std::string, size_t> by_type, by_class;
  size_t total = 0;
  bool OnFinding(const Finding& f, std::string_view) override {
    ++total;
    ++by_type[f.type];
    size_t& n = by_class[f.type + '\0' + f.category + '\0' + ConfidenceName(f.confidence)];
    if (n++ < keep) findings.push_back(f);
    return true;
  }
};

size_t MaxMinCount(const Policy& p) {
  size_t k = 1;
  for (const auto& r : p.rules) k = std::max<size_t>(k, r.min_count);
  return k;
}

// "no.fnr:2,se.pnr:1" — counts by type, sorted.
std::string Counts(const Collect& c, size_t& total) {
  std::string s;
  total = c.total;
  for (const auto& [t, n] : c.by_type) s += (s.empty() ? "" : ",") + t + ":" + std::to_string(n);
  return s;
}

// A header value for the MTA: folds removed (Postfix refolds), and without
// the leading space unless HDR_LEADSPC was negotiated.
std::string HeaderValue(std::string_view raw, bool leadspc) {
  std::string v;
  for (size_t i = 0; i < raw.size(); ++i)
    if (raw[i] != '\r' && raw[i] != '\n') v += raw[i];
  if (!leadspc && !v.empty() && v[0] == ' ') v.erase(0, 1);
  return v;
}

bool WriteAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t w = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    s.remove_prefix(static_cast<size_t>(w));
  }
  return true;
}

}  // namespace

MilterSession::MilterSession(const EngineHolder& engines, LogFn log) : engines_(engines), log_(std::move(log)) {
  engine_ = engines_.Get();
}

std::string MilterSession::Macro(const std::string& name) const {
  for (const auto& [stage, m] : macros_) {
    auto it = m.find(name);
    if (it != m.end()) return it->second;
  }
  return "";
}

void MilterSession::NewMessage() {
  engine_ = engines_.Get();  // a reload takes effect from the next message
  sender_.clear();
  recipients_.clear();
  msg_.clear();
  // An idle connection keeps no message buffer (it would hold up to
  // max_message_bytes per connection between messages).
  if (msg_.capacity() > (64u << 10)) std::string().swap(msg_);
  in_body_ = false;
  too_large_ = false;
  size_ = 0;
  header_count_.clear();
  forged_.clear();
}

void MilterSession::DropForged(std::string& out) const {
  if (!chg_headers_) return;  // not granted (a message with forged headers is then an error before any action)
  // Highest index first: whether the MTA renumbers after a deletion or not,
  // the lower indexes still name the same headers.
  for (auto it = forged_.rbegin(); it != forged_.rend(); ++it) out += HeaderPacket(kChgHeader, it->second, it->first, "");
}

bool MilterSession::Handle(const PacketView& p, std::string& out) {
  // Replies to per-stage commands are skipped where the MTA agreed to "no
  // reply": every decision is taken at end of message, and each awaited
  // reply costs a round trip per header and body chunk.
  auto cont = [&] {
    uint32_t bit = p.cmd == kConnect ? kProtoNrConn : p.cmd == kHelo ? kProtoNrHelo : p.cmd == kMail ? kProtoNrMail
                   : p.cmd == kRcpt ? kProtoNrRcpt : p.cmd == kData ? kProtoNrData : p.cmd == kHeader ? kProtoNrHdr
                   : p.cmd == kEoh ? kProtoNrEoh : p.cmd == kBody ? kProtoNrBody : p.cmd == kUnknown ? kProtoNrUnkn : 0;
    if (!(noreply_ & bit)) Encode(kContinue, "", out);
  };
  switch (p.cmd) {
    case kOptNeg: {
      uint32_t actions = 0, proto = 0;
      if (p.data.size() >= 12) {
        actions = Get32(p.data, 4);
        proto = Get32(p.data, 8);
      }
      uint32_t want_act = actions & (kActAddHdrs | kActChgBody | kActChgHdrs | kActQuarantine);
      const uint32_t nr = kProtoNrHdr | kProtoNrConn | kProtoNrHelo | kProtoNrMail | kProtoNrRcpt | kProtoNrData |
                          kProtoNrUnkn | kProtoNrEoh | kProtoNrBody;
      uint32_t want_proto = proto & (kProtoNoHelo | kProtoNoUnknown | kProtoNoData | kProtoHdrLeadSpc | nr);
      leadspc_ = (want_proto & kProtoHdrLeadSpc) != 0;
      chg_headers_ = (want_act & kActChgHdrs) != 0;
      actions_ = want_act;
      noreply_ = want_proto & nr;
      out += OptNegReply(want_act, want_proto);
      return true;
    }
    case kMacro: {
      Macros m = ParseMacros(p.data);
      if (m.for_cmd == kMail)  // a new message: the previous one's macros are gone
        for (char st : {kMail, kRcpt, kData, kHeader, kEoh, kBody, kBodyEob}) macros_.erase(st);
      for (auto& [k, v] : m.pairs) macros_[m.for_cmd][k] = v;
      return true;  // no reply
    }
    case kConnect: {
      // hostname NUL, family ('4', '6', 'L', 'U'), port (2 bytes), address NUL
      size_t nul = p.data.find('\0');
      client_addr_.clear();
      if (nul != std::string_view::npos && nul + 4 <= p.data.size() && (p.data[nul + 1] == '4' || p.data[nul + 1] == '6')) {
        std::string_view a = p.data.substr(nul + 4);
        client_addr_ = std::string(a.substr(0, a.find('\0')));
      }
      cont();
      return true;
    }
    case kHelo:
    case kData:
    case kUnknown:
      cont();
      return true;
    case kMail: {
      if (!macros_.count(kMail))  // no MAIL-stage macros sent for this message
        for (char st : {kRcpt, kData, kHeader, kEoh, kBody, kBodyEob}) macros_.erase(st);
      NewMessage();
      auto args = SplitNul(p.data);
      if (!args.empty()) sender_ = std::string(args[0]);
      cont();
      return true;
    }
    case kRcpt: {
      auto args = SplitNul(p.data);
      if (!args.empty()) recipients_.emplace_back(args[0]);
      cont();
      return true;
    }
    case kHeader: {
      auto nv = SplitNul(p.data);
      std::string_view name = nv.size() > 0 ? nv[0] : "", value = nv.size() > 1 ? nv[1] : "";
      std::string lower = AsciiLower(name);
      uint32_t index = ++header_count_[lower];
      if (lower == "x-nordpii" || lower == "x-nordpii-verdict") forged_.emplace_back(std::string(name), index);
      size_ += name.size() + value.size() + 4;
      if (!engine_ || size_ > engine_->policy.max_message_bytes) {
        too_large_ = true;
      } else {
        msg_.append(name);
        msg_ += ':';
        if (!leadspc_) msg_ += ' ';
        msg_.append(value);
        msg_ += "\r\n";
      }
      cont();
      return true;
    }
    case kEoh:
      msg_ += "\r\n";
      in_body_ = true;
      cont();
      return true;
    case kBody:
      size_ += p.data.size();
      if (!in_body_) msg_ += "\r\n", in_body_ = true;  // EOH not sent (filter opted out) — never here
      if (!engine_ || size_ > engine_->policy.max_message_bytes) {
        too_large_ = true;
        msg_.clear();
        msg_.shrink_to_fit();
      } else {
        msg_ += p.data;
      }
      cont();
      return true;
    case kBodyEob:
      if (!p.data.empty() && !too_large_) msg_ += p.data;
      EndOfMessage(out);
      NewMessage();
      for (char st : {kMail, kRcpt, kData, kHeader, kEoh, kBody, kBodyEob}) macros_.erase(st);
      return true;
    case kAbort:
      NewMessage();
      for (char st : {kMail, kRcpt, kData, kHeader, kEoh, kBody, kBodyEob}) macros_.erase(st);
      return true;  // no reply
    case kQuitNewConn:
      NewMessage();
      macros_.clear();
      return true;
    case kQuit:
      return false;
    default:
      log_("nordpii milter: unknown command 0x" +
           std::to_string(static_cast<unsigned>(static_cast<unsigned char>(p.cmd))) + " ignored");
      return true;
  }
}

void MilterSession::ErrorAction(const std::string& why, const std::string& counts, std::string& out,
                                std::string& action) {
  if (engine_ && too_large_ && engine_->policy.on_oversize != Policy::OnOversize::kOnError) {
    if (engine_->policy.on_oversize == Policy::OnOversize::kReject) {
      out += ReplyCodePacket("552", "5.3.4", "nordpii: message too large to be checked for personal data");
      action = "reject(oversize)";
    } else {
      out += ReplyCodePacket("452", "4.3.4", "nordpii: message too large to be checked for personal data now");
      action = "tempfail(oversize)";
    }
    return;
  }
  if (!engine_ || engine_->policy.on_error == Policy::OnError::kTempfail) {
    out += ReplyCodePacket("451", "4.7.1", "nordpii: the message could not be checked for personal data; try again later");
    action = "tempfail(error)";
  } else {
    DropForged(out);
    if (actions_ & kActAddHdrs)  // without SMFIF_ADDHDRS: accepted without the header
      out += HeaderPacket(kAddHeader, 0, kVerdictHeader, " error; reason=not scanned; version=" NORDPII_VERSION);
    Encode(kContinue, "", out);
    action = "accept(error)";
  }
  (void)why;
  (void)counts;
}

void MilterSession::EndOfMessage(std::string& out) {
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  std::string queue = Macro("i").empty() ? "-" : EscapeControls(Macro("i"));
  std::string action, rule = "-", counts, error, reason, would;
  // The modifications in `need` the MTA did not grant, by name ("" = all granted).
  auto missing = [&](uint32_t need) {
    std::string m;
    for (auto [bit, name] : {std::pair<uint32_t, const char*>{kActAddHdrs, "add header (SMFIF_ADDHDRS)"},
                             {kActChgHdrs, "change header (SMFIF_CHGHDRS)"},
                             {kActChgBody, "replace body (SMFIF_CHGBODY)"},
                             {kActQuarantine, "quarantine (SMFIF_QUARANTINE)"}})
      if ((need & bit) && !(actions_ & bit)) m += (m.empty() ? "" : ", ") + std::string(name);
    return m;
  };
  auto not_granted = [&](const std::string& m, const char* what) {
    reason = "negotiation";
    error = std::string(what) + " needs " + m + ", not granted by the MTA in option negotiation";
    ErrorAction(error, counts, out, action);
  };
  size_t total = 0;
  if (!engine_) {
    ErrorAction("no engine", "", out, action);
    engines_.metrics().Error("config");
    log_("nordpii milter: queue=" + queue + " action=" + action + " error=no configuration");
    return;
  }
  const Policy& pol = engine_->policy;
  // Macro names are stored without braces ({client_addr} -> client_addr).
  std::string client = Macro("client_addr").empty() ? client_addr_ : Macro("client_addr");
  Envelope env{sender_, recipients_, Macro("daemon_name"), client, Macro("auth_authen")};
  Collect sink(MaxMinCount(pol));
  std::unique_ptr<MailScanner> ms;
  if (too_large_) {
    error = "message larger than limits.max_message_bytes";
    reason = "oversize";
  } else if (!forged_.empty() && !chg_headers_) {
    error = "X-Nordpii headers from outside cannot be removed (the MTA did not offer header changes)";
    reason = "forged";
  } else {
    // One scan context per thread (the scratch space is large; an idle
    // connection must stay cheap), rebuilt when the engine changed.
    thread_local std::shared_ptr<const MilterEngine> ctx_engine;
    thread_local std::unique_ptr<ScanContext> ctx_;
    if (!ctx_ || ctx_engine != engine_) {
      ctx_ = engine_->scanner->NewContext(engine_->hasher);
      ctx_engine = engine_;
    }
    ms = std::make_unique<MailScanner>(*ctx_, MailLimitsFor(pol.max_message_bytes, pol.ocr));
    ms->set_deadline(t0 + std::chrono::milliseconds(pol.scan_timeout_ms));
    if (Status s = ms->Scan(msg_, 0, 1, FindingFilter{}, sink); !s.ok()) {
      error = s.message();
      reason = error.find("timeout") != std::string::npos ? "timeout" : "scan";
    }
  }
  counts = Counts(sink, total);
  if (!error.empty()) {
    ErrorAction(error, counts, out, action);
  } else {
    Verdict v = Evaluate(pol, env, sink.findings);
    if (!v.rule.empty()) rule = v.rule;
    std::string verdict = std::string(" ") + ActionName(v.action) + "; rule=" + rule +
                          "; findings=" + std::to_string(total) + "; types=" + counts + "; version=" NORDPII_VERSION;
    if (v.would != Action::kNone) {  // monitor mode: what enforcing would have done
      would = ActionName(v.would);
      verdict += "; monitor=" + would;
    }
    switch (v.action) {
      case Action::kNone:
        DropForged(out);
        Encode(kContinue, "", out);
        action = "accept";
        break;
      case Action::kFlag:
        if (std::string m = missing(kActAddHdrs); !m.empty()) {
          not_granted(m, "flag");
          break;
        }
        DropForged(out);
        out += HeaderPacket(kAddHeader, 0, kVerdictHeader, verdict);
        Encode(kContinue, "", out);
        action = "flag";
        break;
      case Action::kRedact: {
        std::string red;
        RedactSummary sum;
        Status rs = ms->Redact(msg_, v.redact_filter, pol.style, red, sum);
        if (!rs.ok() || sum.incomplete) {
          reason = "redact";
          error = rs.ok() ? "redaction incomplete" : rs.message();
          ErrorAction(rs.ok() ? "redaction incomplete" : rs.message(), counts, out, action);
          break;
        }
        // Forged verdict headers deleted, header changes by index, added
        // headers, then the body: built aside, sent only if every kind of
        // change it holds was granted.
        std::string mods;
        uint32_t need = kActAddHdrs;
        MailLimits one;
        one.max_parts = 1;
        MimeTree a = ParseMime(msg_, one), b = ParseMime(red, one);
        const auto& ha = a.entities[0].headers;
        const auto& hb = b.entities[0].headers;
        std::map<std::string, uint32_t> seen;
        for (size_t i = 0; i < hb.size(); ++i) {
          std::string_view nb(red.data() + hb[i].value, hb[i].end - hb[i].value);
          if (i < ha.size()) {
            uint32_t idx = ++seen[AsciiLower(ha[i].name)];
            std::string_view na(msg_.data() + ha[i].value, ha[i].end - ha[i].value);
            if (na != nb) mods += HeaderPacket(kChgHeader, idx, ha[i].name, HeaderValue(nb, leadspc_)), need |= kActChgHdrs;
          } else {
            mods += HeaderPacket(kAddHeader, 0, hb[i].name, HeaderValue(nb, leadspc_));
          }
        }
        std::string_view body_a = std::string_view(msg_).substr(a.entities[0].body);
        std::string_view body_b = std::string_view(red).substr(b.entities[0].body);
        if (body_a != body_b) {
          need |= kActChgBody;
          for (size_t off = 0; off < body_b.size() || off == 0; off += kBodyChunk) {
            Encode(kReplBody, body_b.substr(off, kBodyChunk), mods);
            if (body_b.empty()) break;
          }
        }
        if (std::string m = missing(need); !m.empty()) {
          not_granted(m, "redact");
          break;
        }
        DropForged(out);
        out += mods;
        out += HeaderPacket(kAddHeader, 0, kVerdictHeader, verdict + "; redacted=" + std::to_string(sum.redacted));
        Encode(kContinue, "", out);
        action = "redact";
        break;
      }
      case Action::kQuarantine: {
        if (std::string m = missing(kActQuarantine | kActAddHdrs); !m.empty()) {
          not_granted(m, "quarantine");
          break;
        }
        std::string why = "nordpii: rule " + rule;
        why.push_back('\0');
        Encode(kQuarantine, why, out);
        DropForged(out);
        out += HeaderPacket(kAddHeader, 0, kVerdictHeader, verdict);
        Encode(kContinue, "", out);
        action = "quarantine";
        break;
      }
      case Action::kTempfail:
        out += ReplyCodePacket("451", "4.7.1", "nordpii: message held back by policy; try again later");
        action = "tempfail";
        break;
      case Action::kReject: {
        std::vector<std::string> types;
        for (const auto& f : sink.findings)
          if (std::find(types.begin(), types.end(), f.type) == types.end()) types.push_back(f.type);
        out += ReplyCodePacket("550", "5.7.1", RejectText(pol, env, types));
        action = "reject";
        break;
      }
      case Action::kDiscard:
        Encode(kDiscard, "", out);
        action = "discard";
        break;
    }
  }
  auto taken = Clock::now() - t0;
  auto ms_taken = std::chrono::duration_cast<std::chrono::milliseconds>(taken).count();
  std::string line = "nordpii milter: queue=" + queue + " action=" + action + " rule=" + rule +
                     " findings=" + std::to_string(total) + " types=" + (counts.empty() ? "-" : counts) +
                     " size=" + std::to_string(size_) + " ms=" + std::to_string(ms_taken);
  if (!would.empty()) line += " monitor=" + would;
  if (!error.empty()) {
    // A scan note can quote the sender's bytes (a charset name, a file
    // name): masked like every other text about an input, and its quotes
    // escaped so it cannot end the field.
    std::string shown = error;
    if (engine_) {
      thread_local std::shared_ptr<const MilterEngine> masker_engine;
      thread_local std::unique_ptr<IdentifierMasker> masker;
      if (!masker || masker_engine != engine_) {
        masker = std::make_unique<IdentifierMasker>(*engine_->scanner, engine_->hasher);
        masker_engine = engine_;
      }
      shown = masker->Show(error).str();
    }
    std::string quoted;
    for (char c : EscapeControls(shown)) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    line += " error=\"" + quoted + "\"";
  }
  // Every finding by type (sink.findings keeps only what the rules need).
  const std::map<std::string, size_t>& by_type = sink.by_type;
  if (!reason.empty()) engines_.metrics().Error(reason);
  engines_.metrics().Message(action, by_type, std::chrono::duration<double>(taken).count());
  log_(line);
}

MilterServer::~MilterServer() {
  if (fd_ >= 0) ::close(fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

Result<std::unique_ptr<MilterServer>> MilterServer::Listen(const std::string& spec, const SocketOptions& so) {
  std::unique_ptr<MilterServer> s(new MilterServer());
  auto bad = [&](const std::string& why) { return Error(ErrorCode::kInvalidArgument, "--listen " + spec + ": " + why); };
  s->wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s->wake_fd_ < 0) return bad(std::string("eventfd: ") + std::strerror(errno));
  if (spec.rfind("unix:", 0) == 0 || spec.rfind("local:", 0) == 0) {
    std::string path = spec.substr(spec.find(':') + 1);
    sockaddr_un a{};
    if (path.empty() || path.size() >= sizeof(a.sun_path)) return bad("socket path empty or too long");
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    if (!so.owner.empty()) {
      const passwd* pw = ::getpwnam(so.owner.c_str());
      if (!pw) return bad("milter.socket_owner: no user '" + so.owner + "'");
      uid = pw->pw_uid;
    }
    if (!so.group.empty()) {
      const group* gr = ::getgrnam(so.group.c_str());
      if (!gr) return bad("milter.socket_group: no group '" + so.group + "'");
      gid = gr->gr_gid;
    }
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    s->fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->fd_ < 0) return bad(std::strerror(errno));
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) return bad("exists and is not a socket");
      // Stale (from an earlier run) only if nothing answers on it: a second
      // instance must not take the socket of one that is running.
      int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (probe < 0) return bad(std::strerror(errno));
      int rc = ::connect(probe, reinterpret_cast<sockaddr*>(&a), sizeof a);
      int probe_errno = errno;
      ::close(probe);
      if (rc == 0 || probe_errno == EAGAIN)
        return bad("another process is listening on it (a second nordpii milter?); not replaced");
      if (probe_errno != ECONNREFUSED && probe_errno != ENOENT)
        return bad(std::string("exists and cannot be probed: ") + std::strerror(probe_errno));
      ::unlink(path.c_str());
    }
    // Created owner-only (the umask is process-wide, but no other thread
    // runs yet), then given its mode and owner: never reachable by others
    // in between.
    mode_t old = ::umask(0177);
    int b = ::bind(s->fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    int bind_errno = errno;
    ::umask(old);
    if (b != 0) return bad(std::strerror(bind_errno));
    s->unix_path_ = path;
    if ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) && ::chown(path.c_str(), uid, gid) != 0)
      return bad(std::string("chown: ") + std::strerror(errno));
    if (::chmod(path.c_str(), so.mode) != 0) return bad(std::string("chmod: ") + std::strerror(errno));
  } else if (spec.rfind("inet:", 0) == 0 || spec.rfind("inet6:", 0) == 0) {
    bool v6 = spec.rfind("inet6:", 0) == 0;
    std::string rest = spec.substr(v6 ? 6 : 5), host = v6 ? "::1" : "127.0.0.1";
    size_t at = rest.find('@');
    if (at != std::string::npos) host = rest.substr(at + 1), rest = rest.substr(0, at);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    char* end = nullptr;
    long port = std::strtol(rest.c_str(), &end, 10);
    if (rest.empty() || *end || port < 0 || port > 65535 || host.empty())
      return bad(v6 ? "expected inet6:PORT@HOST" : "expected inet:PORT@HOST");
    addrinfo hints{}, *res = nullptr;
    hints.ai_family = v6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (int rc = ::getaddrinfo(host.c_str(), rest.c_str(), &hints, &res); rc != 0)
      return bad("host '" + host + "': " + ::gai_strerror(rc));
    std::string why = "no address";
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {  // the first address that binds
      int fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) {
        why = std::strerror(errno);
        continue;
      }
      int one = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (ai->ai_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        why = std::strerror(errno);
        ::close(fd);
        continue;
      }
      s->fd_ = fd;
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
      s->port_ = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                          : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
      break;
    }
    ::freeaddrinfo(res);
    if (s->fd_ < 0) return bad(why);
  } else {
    return bad("expected inet:PORT@HOST, inet6:PORT@HOST or unix:/path");
  }
  if (::listen(s->fd_, 128) != 0) return bad(std::strerror(errno));
  return s;
}

void MilterServer::Stop() {
  stop_ = true;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof one);
}

// One MTA connection. The loop thread owns it, except while `busy` (a
// worker handles its end of message; the loop does not touch it then).
struct MilterServer::Conn {
  int fd = -1;
  std::unique_ptr<MilterSession> session;
  std::string in;            // bytes received and not yet handled: at most one partial packet
  bool negotiated = false;   // OPTNEG seen
  std::chrono::steady_clock::time_point owed_since;  // since when the MTA owes us bytes
  bool busy = false;
  bool dead = false;
  Packet eob;                // for the worker
  bool keep = true, write_ok = true;  // the worker's outcome
};

void MilterServer::Run(const EngineHolder& engines, LogFn log, size_t workers) {
  using Clock = std::chrono::steady_clock;
  if (workers == 0) workers = std::max(2u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<Conn>> conns;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Conn*> jobs;
  std::vector<Conn*> done;
  bool quit = false;
  size_t busy = 0;

  std::vector<std::thread> pool;
  for (size_t i = 0; i < workers; ++i)
    pool.emplace_back([&] {
      std::string out;
      for (;;) {
        Conn* c;
        {
          std::unique_lock<std::mutex> l(mu);
          cv.wait(l, [&] { return quit || !jobs.empty(); });
          if (jobs.empty()) return;
          c = jobs.front();
          jobs.pop_front();
        }
        out.clear();
        c->keep = c->session->Handle(PacketView{c->eob.cmd, c->eob.data}, out);
        c->eob = Packet{};
        c->write_ok = out.empty() || WriteAll(c->fd, out);  // blocking, SO_SNDTIMEO bounds it
        {
          std::lock_guard<std::mutex> l(mu);
          done.push_back(c);
        }
        uint64_t one = 1;
        [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof one);
      }
    });

  size_t open = 0;  // live connections
  auto close_conn = [&](Conn* c) {
    if (c->dead) return;
    ::close(c->fd);
    c->dead = true;
    --open;
    engines.metrics().ConnectionClosed();
  };
  auto timeout_s = [&] {
    auto e = engines.Get();
    return e ? e->policy.read_timeout_s : 300;
  };
  // Replies to stage commands are a few bytes and the MTA reads each one
  // before its next command: a peer whose socket buffer is full is not
  // reading and is closed (the loop never blocks on one connection).
  auto send_now = [&](Conn* c, std::string_view s) {
    while (!s.empty()) {
      ssize_t w = ::send(c->fd, s.data(), s.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{c->fd, POLLOUT, 0};
        if (::poll(&p, 1, 1000) == 1) continue;
      }
      if (w <= 0) return false;
      s.remove_prefix(static_cast<size_t>(w));
    }
    return true;
  };
  std::string out;
  // Handles every complete packet buffered for `c`; the end of message goes
  // to a worker. `was_owed`: the MTA owed us bytes before these arrived
  // (then the wait keeps its start; otherwise a new wait starts now).
  auto process = [&](Conn* c, bool was_owed) {
    size_t pos = 0;
    PacketView p;
    for (;;) {
      auto got = DecodeAt(c->in, pos, p);
      if (!got) {
        log("nordpii milter: " + got.error().message() + "; connection closed");
        close_conn(c);
        return;
      }
      if (!*got) break;
      if (p.cmd == kOptNeg) c->negotiated = true;
      if (p.cmd == kBodyEob) {
        c->eob = Packet{p.cmd, std::string(p.data)};
        c->in.erase(0, pos);
        c->busy = true;
        ++busy;
        {
          std::lock_guard<std::mutex> l(mu);
          jobs.push_back(c);
        }
        cv.notify_one();
        return;
      }
      out.clear();
      bool keep = c->session->Handle(p, out);
      if (!out.empty() && !send_now(c, out)) {
        log("nordpii milter: the MTA does not read our replies; connection closed");
        close_conn(c);
        return;
      }
      if (!keep) {
        close_conn(c);
        return;
      }
    }
    c->in.erase(0, pos);
    if (c->in.empty() && c->in.capacity() > (64u << 10)) std::string().swap(c->in);  // idle: give it back
    bool owed = !c->in.empty() || !c->negotiated;
    if (owed && !was_owed) c->owed_since = Clock::now();
  };

  std::vector<char> buf(1 << 16);
  std::vector<pollfd> pfds;
  std::vector<Conn*> polled;
  bool listening = true;
  Clock::time_point accept_pause{};
  for (;;) {
    {  // scans that have answered: the connection returns to the loop
      std::vector<Conn*> back;
      {
        std::lock_guard<std::mutex> l(mu);
        back.swap(done);
      }
      for (Conn* c : back) {
        c->busy = false;
        --busy;
        if (!c->write_ok || !c->keep || stop_) close_conn(c);
        else process(c, false);
      }
    }
    if (stop_ && listening) {
      listening = false;
      size_t idle = 0;
      for (auto& c : conns)
        if (!c->busy && !c->dead) close_conn(c.get()), ++idle;
      log("nordpii milter: stopping: " + std::to_string(idle) + " connection(s) closed, " + std::to_string(busy) +
          " scan(s) finishing");
    }
    conns.erase(std::remove_if(conns.begin(), conns.end(), [](const auto& c) { return c->dead; }), conns.end());
    if (stop_ && busy == 0) break;

    pfds.clear();
    polled.clear();
    pfds.push_back({wake_fd_, POLLIN, 0});
    auto now = Clock::now();
    bool accepting = listening && now >= accept_pause;
    if (accepting) pfds.push_back({fd_, POLLIN, 0});
    const auto limit = std::chrono::seconds(timeout_s());
    int wait_ms = accepting || !listening ? -1 : 100;
    for (auto& c : conns) {
      if (c->busy) continue;
      pfds.push_back({c->fd, POLLIN, 0});
      polled.push_back(c.get());
      if (!c->in.empty() || !c->negotiated) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c->owed_since + limit - now).count();
        left = std::max<long long>(left, 0) + 1;
        if (wait_ms < 0 || left < wait_ms) wait_ms = static_cast<int>(std::min<long long>(left, 1 << 30));
      }
    }
    int pr = ::poll(pfds.data(), pfds.size(), wait_ms);
    if (pr < 0 && errno != EINTR) {
      log("nordpii milter: poll: " + std::string(std::strerror(errno)));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (pr > 0 && (pfds[0].revents & POLLIN)) {
      uint64_t n;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &n, sizeof n);
    }
    const size_t first = accepting ? 2 : 1;
    for (size_t i = first; pr > 0 && i < pfds.size(); ++i) {
      if (!pfds[i].revents) continue;
      Conn* c = polled[i - first];
      ssize_t r = ::recv(c->fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (r <= 0) {  // the MTA closed (or dropped) the connection
        close_conn(c);
        continue;
      }
      const bool was_owed = !c->in.empty() || !c->negotiated;
      c->in.append(buf.data(), static_cast<size_t>(r));
      process(c, was_owed);
      // ACK at once: after a packet that needs no reply (macros), the MTA's
      // next small packet waits for our ACK under Nagle, and a delayed ACK
      // adds 40 ms per message. Linux leaves quick-ACK mode whenever we
      // send, so it is set again after every read.
      if (!c->dead && !c->busy) {
        int quick = 1;
        ::setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &quick, sizeof quick);
      }
    }
    // New connections after the reads: a connection the MTA has just
    // closed no longer counts against max_connections.
    if (accepting) {
      if (pfds[1].revents & POLLIN) {
        for (;;) {
          int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
          if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
              log("nordpii milter: accept: " + std::string(std::strerror(errno)));
              accept_pause = Clock::now() + std::chrono::milliseconds(100);  // e.g. out of descriptors
            }
            break;
          }
          auto e = engines.Get();
          size_t cap = e ? e->policy.max_connections : 1000;
          if (open >= cap) {
            log("nordpii milter: " + std::to_string(cap) +
                " connections open (milter.max_connections); a new one was closed");
            ::close(c);
            continue;
          }
          int one = 1;  // replies are small and each one is awaited: no Nagle delay
          ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          timeval tv{timeout_s(), 0};  // bounds a worker's write to a peer that stopped reading
          ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
          auto conn = std::make_unique<Conn>();
          conn->fd = c;
          conn->session = std::make_unique<MilterSession>(engines, log);
          conn->owed_since = Clock::now();
          conns.push_back(std::move(conn));
          ++open;
          engines.metrics().ConnectionOpened();
        }
      }
    }
    now = Clock::now();
    const auto limit2 = std::chrono::seconds(timeout_s());
    for (auto& c : conns) {
      if (c->busy || c->dead || (c->in.empty() && c->negotiated)) continue;
      if (now - c->owed_since >= limit2) {
        log(std::string("nordpii milter: ") + (c->negotiated ? "a packet begun" : "no negotiation") + " for " +
            std::to_string(timeout_s()) + " s (milter.read_timeout_s); connection closed");
        close_conn(c.get());
      }
    }
  }
  {
    std::lock_guard<std::mutex> l(mu);
    quit = true;
  }
  cv.notify_all();
  for (auto& t : pool) t.join();
  for (auto& c : conns)
    if (!c->dead) ::close(c->fd);
}

}  // namespace nordpii::milter
