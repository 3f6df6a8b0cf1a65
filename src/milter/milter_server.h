// SPDX-License-Identifier: Apache-2.0
// File: milter_server.h
//
// `nordpii milter`: our own implementation of the milter protocol (v6) —
// not libmilter — for three reasons measured against the issue: Debian's
// libmilter starts a new thread whenever no worker is idle, with no upper
// bound (a connection flood exhausts the machine), while here at most
// policy.max_connections connections are served and the rest wait in the
// listen backlog until the MTA's own connect timeout applies its
// milter_default_action; libmilter owns the process (smfi_main, one filter,
// its own signal handling), which makes an atomic SIGHUP reload of patterns
// and policy awkward; and the protocol is small enough (milter_protocol.h)
// to test packet by packet without an MTA.
//
//   MilterServer (listen, accept, bounded threads, per-connection timeout)
//     -> MilterSession (one connection: protocol state, the message as
//        received, at end of message: MailScanner scan -> policy Evaluate ->
//        reply / header changes / body replacement)
//   EngineHolder: the current MilterEngine (scanner + policy + key),
//   swapped atomically on SIGHUP; a message keeps the engine it started with.
#ifndef NORDPII_MILTER_MILTER_SERVER_H_
#define NORDPII_MILTER_MILTER_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mail/mail_scanner.h"
#include "milter/milter_protocol.h"
#include "milter/policy.h"
#include "pipeline/scanner.h"

namespace nordpii::milter {

struct MilterEngine {
  std::shared_ptr<const Scanner> scanner;
  Policy policy;
  KeyedHasher hasher = KeyedHasher::Random();
};

class EngineHolder {
 public:
  std::shared_ptr<const MilterEngine> Get() const {
    std::lock_guard<std::mutex> l(mu_);
    return cur_;
  }
  void Set(std::shared_ptr<const MilterEngine> e) {
    std::lock_guard<std::mutex> l(mu_);
    cur_ = std::move(e);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const MilterEngine> cur_;
};

using LogFn = std::function<void(const std::string&)>;

// Name of the verdict header added by flag, redact, quarantine and the
// accept-on-error mode. Value: "<action>; rule=<name>; findings=<n>;
// types=<type>:<count>,..." (never values).
inline constexpr const char* kVerdictHeader = "X-Nordpii-Verdict";

// The protocol state of one MTA connection. No I/O: Handle() takes a packet
// and appends the reply packets to `out`, so tests drive it directly.
class MilterSession {
 public:
  MilterSession(const EngineHolder& engines, LogFn log);
  // Returns false when the connection is to be closed (QUIT).
  bool Handle(const PacketView& p, std::string& out);
  bool Handle(const Packet& p, std::string& out) { return Handle(PacketView{p.cmd, p.data}, out); }

 private:
  void NewMessage();
  void EndOfMessage(std::string& out);
  std::string Macro(const std::string& name) const;
  void ErrorAction(const std::string& why, const std::string& counts, std::string& out, std::string& action);

  const EngineHolder& engines_;
  LogFn log_;
  std::shared_ptr<const MilterEngine> engine_;  // for the current message
  std::shared_ptr<const MilterEngine> ctx_engine_;
  std::unique_ptr<ScanContext> ctx_;
  bool leadspc_ = false;
  uint32_t noreply_ = 0;  // stages the MTA expects no reply for (SMFIP_NR_*)
  // Macros by the stage they were sent for (connect-stage ones last the
  // connection; a new MAIL stage drops those of the previous message).
  std::map<char, std::map<std::string, std::string>> macros_;
  std::string sender_;
  std::vector<std::string> recipients_;
  std::string msg_;          // the message as received: headers, blank line, body
  bool in_body_ = false;
  bool too_large_ = false;
  uint64_t size_ = 0;
};

class MilterServer {
 public:
  // "inet:PORT@HOST", "inet:PORT" (127.0.0.1), "unix:/path" or "local:/path".
  static Result<std::unique_ptr<MilterServer>> Listen(const std::string& spec);
  ~MilterServer();
  // Accepts and serves connections until Stop(); at most
  // policy.max_connections at once (read from the current engine).
  void Run(const EngineHolder& engines, LogFn log);
  // Stops accepting; Run() returns once the open connections have ended
  // (each within its read timeout).
  void Stop();
  int port() const { return port_; }

 private:
  MilterServer() = default;
  void Serve(int fd, const EngineHolder& engines, LogFn log);
  int fd_ = -1;
  int port_ = 0;
  std::string unix_path_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  size_t active_ = 0;
};

}  // namespace nordpii::milter

#endif  // NORDPII_MILTER_MILTER_SERVER_H_
