#include "milter/milter_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/utf8.h"

namespace nordpii::milter {

namespace {

uint32_t Get32(std::string_view d, size_t at) {
  const auto* b = reinterpret_cast<const unsigned char*>(d.data() + at);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

// What the policy needs of a message's findings, in memory that does not
// grow with their number (issue 12 #9): exact counts by type, and of each
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
  in_body_ = false;
  too_large_ = false;
  size_ = 0;
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
    case kConnect:
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
  if (!engine_ || engine_->policy.on_error == Policy::OnError::kTempfail) {
    out += ReplyCodePacket("451", "4.7.1", "nordpii: the message could not be checked for personal data; try again later");
    action = "tempfail(error)";
  } else {
    out += HeaderPacket(kAddHeader, 0, kVerdictHeader, " error; reason=not scanned");
    Encode(kContinue, "", out);
    action = "accept(error)";
  }
  (void)why;
  (void)counts;
}

void MilterSession::EndOfMessage(std::string& out) {
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  std::string queue = Macro("i").empty() ? "-" : Macro("i");
  std::string action, rule = "-", counts, error;
  size_t total = 0;
  if (!engine_) {
    ErrorAction("no engine", "", out, action);
    log_("nordpii milter: queue=" + queue + " action=" + action + " error=no configuration");
    return;
  }
  const Policy& pol = engine_->policy;
  Envelope env{sender_, recipients_, Macro("daemon_name")};
  Collect sink(MaxMinCount(pol));
  std::unique_ptr<MailScanner> ms;
  if (too_large_) {
    error = "message larger than limits.max_message_bytes";
  } else {
    if (!ctx_ || ctx_engine_ != engine_) {
      ctx_ = engine_->scanner->NewContext(engine_->hasher);
      ctx_engine_ = engine_;
    }
    MailLimits lim;
    lim.max_message_bytes = pol.max_message_bytes;
    lim.max_decoded_bytes = std::max(lim.max_decoded_bytes, pol.max_message_bytes * 4);
    ms = std::make_unique<MailScanner>(*ctx_, lim);
    ms->set_deadline(t0 + std::chrono::milliseconds(pol.scan_timeout_ms));
    if (Status s = ms->Scan(msg_, 0, 1, FindingFilter{}, sink); !s.ok()) error = s.message();
  }
  counts = Counts(sink, total);
  if (!error.empty()) {
    ErrorAction(error, counts, out, action);
  } else {
    Verdict v = Evaluate(pol, env, sink.findings);
    if (!v.rule.empty()) rule = v.rule;
    std::string verdict = std::string(" ") + ActionName(v.action) + "; rule=" + rule +
                          "; findings=" + std::to_string(total) + "; types=" + counts;
    switch (v.action) {
      case Action::kNone:
        Encode(kContinue, "", out);
        action = "accept";
        break;
      case Action::kFlag:
        out += HeaderPacket(kAddHeader, 0, kVerdictHeader, verdict);
        Encode(kContinue, "", out);
        action = "flag";
        break;
      case Action::kRedact: {
        std::string red;
        RedactSummary sum;
        Status rs = ms->Redact(msg_, v.redact_filter, pol.style, red, sum);
        if (!rs.ok() || sum.incomplete) {
          ErrorAction(rs.ok() ? "redaction incomplete" : rs.message(), counts, out, action);
          break;
        }
        // Header changes by index, added headers, then the body.
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
            if (na != nb) out += HeaderPacket(kChgHeader, idx, ha[i].name, HeaderValue(nb, leadspc_));
          } else {
            out += HeaderPacket(kAddHeader, 0, hb[i].name, HeaderValue(nb, leadspc_));
          }
        }
        std::string_view body_a = std::string_view(msg_).substr(a.entities[0].body);
        std::string_view body_b = std::string_view(red).substr(b.entities[0].body);
        if (body_a != body_b)
          for (size_t off = 0; off < body_b.size() || off == 0; off += kBodyChunk) {
            Encode(kReplBody, body_b.substr(off, kBodyChunk), out);
            if (body_b.empty()) break;
          }
        out += HeaderPacket(kAddHeader, 0, kVerdictHeader, verdict + "; redacted=" + std::to_string(sum.redacted));
        Encode(kContinue, "", out);
        action = "redact";
        break;
      }
      case Action::kQuarantine: {
        std::string reason = "nordpii: rule " + rule;
        reason.push_back('\0');
        Encode(kQuarantine, reason, out);
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
  auto ms_taken = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  std::string line = "nordpii milter: queue=" + queue + " action=" + action + " rule=" + rule +
                     " findings=" + std::to_string(total) + " types=" + (counts.empty() ? "-" : counts) +
                     " size=" + std::to_string(size_) + " ms=" + std::to_string(ms_taken);
  if (!error.empty()) line += " error=\"" + error + "\"";
  log_(line);
}

MilterServer::~MilterServer() {
  if (fd_ >= 0) ::close(fd_);
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

Result<std::unique_ptr<MilterServer>> MilterServer::Listen(const std::string& spec) {
  std::unique_ptr<MilterServer> s(new MilterServer());
  auto bad = [&](const std::string& why) { return Error(ErrorCode::kInvalidArgument, "--listen " + spec + ": " + why); };
  if (spec.rfind("unix:", 0) == 0 || spec.rfind("local:", 0) == 0) {
    std::string path = spec.substr(spec.find(':') + 1);
    sockaddr_un a{};
    if (path.empty() || path.size() >= sizeof(a.sun_path)) return bad("socket path empty or too long");
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    s->fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ::unlink(path.c_str());  // a stale socket from an earlier run
    if (s->fd_ < 0 || ::bind(s->fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      return bad(std::strerror(errno));
    s->unix_path_ = path;
  } else if (spec.rfind("inet:", 0) == 0) {
    std::string rest = spec.substr(5), host = "127.0.0.1";
    size_t at = rest.find('@');
    if (at != std::string::npos) host = rest.substr(at + 1), rest = rest.substr(0, at);
    char* end = nullptr;
    long port = std::strtol(rest.c_str(), &end, 10);
    if (rest.empty() || *end || port < 0 || port > 65535) return bad("expected inet:PORT@HOST");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) return bad("host must be an IPv4 address");
    s->fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(s->fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s->fd_ < 0 || ::bind(s->fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      return bad(std::strerror(errno));
    socklen_t len = sizeof a;
    ::getsockname(s->fd_, reinterpret_cast<sockaddr*>(&a), &len);
    s->port_ = ntohs(a.sin_port);
  } else {
    return bad("expected inet:PORT@HOST or unix:/path");
  }
  if (::listen(s->fd_, 128) != 0) return bad(std::strerror(errno));
  return s;
}

void MilterServer::Stop() {
  stop_ = true;
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  cv_.notify_all();
}

void MilterServer::Run(const EngineHolder& engines, LogFn log) {
  while (!stop_) {
    {
      // Bounded concurrency: wait for a free slot before accepting.
      std::unique_lock<std::mutex> l(mu_);
      auto cap = [&] {
        auto e = engines.Get();
        return e ? e->policy.max_connections : size_t{64};
      };
      cv_.wait(l, [&] { return stop_ || active_ < cap(); });
      if (stop_) break;
    }
    pollfd pfd{fd_, POLLIN, 0};
    int pr = ::poll(&pfd, 1, 500);
    if (pr <= 0) continue;
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      if (stop_) break;
      log("nordpii milter: accept: " + std::string(std::strerror(errno)));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    int one = 1;  // replies are small and each one is awaited: no Nagle delay
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    {
      std::lock_guard<std::mutex> l(mu_);
      ++active_;
    }
    std::thread([this, c, &engines, log] {
      Serve(c, engines, log);
      ::close(c);
      std::lock_guard<std::mutex> l(mu_);
      --active_;
      cv_.notify_all();
    }).detach();
  }
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return active_ == 0; });
}

void MilterServer::Serve(int fd, const EngineHolder& engines, LogFn log) {
  MilterSession session(engines, log);
  std::string in, out;
  std::vector<char> buf(1 << 16);
  for (;;) {
    auto e = engines.Get();
    int timeout_ms = (e ? e->policy.read_timeout_s : 300) * 1000;
    // ACK at once: after a packet that needs no reply (macros), the MTA's
    // next small packet waits for our ACK under Nagle, and a delayed ACK
    // adds 40 ms per message. Linux leaves quick-ACK mode whenever we send,
    // so it is set again before every read.
    int quick = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &quick, sizeof quick);
    pollfd pfd{fd, POLLIN, 0};
    int pr = ::poll(&pfd, 1, stop_ ? 1000 : timeout_ms);
    if (pr == 0) {
      if (stop_ && in.empty()) return;
      log("nordpii milter: connection idle for " + std::to_string(timeout_ms / 1000) + " s; closed");
      return;
    }
    if (pr < 0) {
      if (errno == EINTR) continue;
      return;
    }
    ssize_t r = ::recv(fd, buf.data(), buf.size(), 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return;  // the MTA closed (or dropped) the connection

    in.append(buf.data(), static_cast<size_t>(r));
    // Packets are handled as views of `in`; the bytes they took are
    // dropped once per read (not once per packet).
    PacketView p;
    size_t pos = 0;
    for (;;) {
      auto got = DecodeAt(in, pos, p);
      if (!got) {
        log("nordpii milter: " + got.error().message() + "; connection closed");
        return;
      }
      if (!*got) break;
      out.clear();
      bool keep = session.Handle(p, out);
      if (!out.empty() && !WriteAll(fd, out)) return;
      if (!keep) return;
    }
    in.erase(0, pos);
  }
}

}  // namespace nordpii::milter
