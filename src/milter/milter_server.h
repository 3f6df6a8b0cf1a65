// SPDX-License-Identifier: Apache-2.0
// File: milter_server.h
//
// `nordpii milter`: our own implementation of the milter protocol (v6) —
// not libmilter — for three reasons: Debian's libmilter starts a thread per
// connection with no upper bound (a connection flood exhausts the machine)
// and keeps it while the SMTP session is idle; libmilter owns the process
// (smfi_main, one filter, its own signal handling), which makes an atomic
// SIGHUP reload of patterns and policy awkward; and the protocol is small
// enough (milter_protocol.h) to test packet by packet without an MTA.
//
//   MilterServer: one event-loop thread (poll) holds every MTA connection
//     and handles the cheap packets (negotiation, macros, envelope, headers,
//     body chunks appended to the message); the end-of-message packet goes
//     to a pool of policy.scan_workers threads, which scan, answer and hand
//     the connection back. An idle connection (an SMTP session between
//     commands, or waiting for DATA) costs its MilterSession and a socket,
//     never a thread: idle sessions cannot starve active ones.
//     Timeouts apply only while the MTA owes us bytes (see Policy).
//   MilterSession (one connection: protocol state, the message as
//     received, at end of message: MailScanner scan -> policy Evaluate ->
//     reply / header changes / body replacement)
//   EngineHolder: the current MilterEngine (scanner + policy + key),
//   swapped atomically on SIGHUP; a message keeps the engine it started with.
//   It also holds the process's Metrics (metrics.h), kept across reloads:
//   sessions count messages, findings, scan times and errors; the server
//   counts connections.
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
#include "milter/metrics.h"
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
  // The process's counters (kept across reloads).
  Metrics& metrics() const { return metrics_; }

 private:
  mutable Metrics metrics_;
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
  // CHGHEADER packets deleting every X-Nordpii / X-Nordpii-Verdict that
  // came with the message.
  void DropForged(std::string& out) const;
  void EndOfMessage(std::string& out);
  std::string Macro(const std::string& name) const;
  // on_error (or on_oversize) for a message not checked; with on_error =
  // "accept" its verdict header ends in "; not-read=" + `not_read` when
  // that is not empty (the parts not read, as in the log line).
  void ErrorAction(const std::string& why, const std::string& counts, std::string& out, std::string& action,
                   const std::string& not_read = "");

  const EngineHolder& engines_;
  LogFn log_;
  std::shared_ptr<const MilterEngine> engine_;  // for the current message
  bool leadspc_ = false;
  uint32_t noreply_ = 0;  // stages the MTA expects no reply for (SMFIP_NR_*)
  // Macros by the stage they were sent for (connect-stage ones last the
  // connection; a new MAIL stage drops those of the previous message).
  std::map<char, std::map<std::string, std::string>> macros_;
  std::string sender_;
  std::vector<std::string> recipients_;
  std::string client_addr_;  // from the connect packet (lasts the connection)
  std::string msg_;          // the message as received: headers, blank line, body
  bool in_body_ = false;
  bool too_large_ = false;
  // A bound of the session other than the size was hit (recipients, forged
  // headers): the message gets on_error with this reason.
  std::string over_;
  size_t rcpt_bytes_ = 0;
  bool macros_over_ = false;  // macros over kMaxMacroBytes (lasts the connection)
  static constexpr size_t kMaxMacroBytes = 64u << 10;
  static constexpr size_t kMaxEnvelopeBytes = 1u << 20;
  uint64_t size_ = 0;
  bool chg_headers_ = false;  // SMFIF_CHGHDRS negotiated
  // The modification actions the MTA granted (SMFIF_*): an action needing
  // one it did not grant is never sent; on_error applies instead.
  uint32_t actions_ = 0;
  // Header occurrences by lower-case name in this message (the MTA's
  // CHGHEADER index), and the indexes of our own headers arriving from
  // outside (forged or left by an earlier hop): each is deleted.
  std::map<std::string, uint32_t> header_count_;
  // Threading headers (Message-ID, In-Reply-To, References): the mail scan
  // skips them (structure, not text); the milter reads them for national
  // ids with strong evidence only (see EndOfMessage). Name, index, value.
  struct Threading {
    std::string name;
    uint32_t index;
    std::string value;
  };
  std::vector<Threading> threading_;
  std::vector<std::pair<std::string, uint32_t>> forged_;
};

struct SocketOptions {
  unsigned mode = 0660;           // unix: sockets only
  std::string owner, group;       // user and group names ("" = unchanged)
};

// What `--check` can tell of a --listen spec without binding: its form
// (the prefix, a port 0-65535, a host that resolves, a unix path that fits
// sun_path in an existing directory). Listen() fails on every spec this
// refuses.
Status CheckListen(const std::string& spec);

class MilterServer {
 public:
  // "inet:PORT@HOST" (HOST: an IPv4 address, "[IPv6]" or a host name;
  // default 127.0.0.1), "inet6:PORT@HOST" (default ::1), "unix:/path" or
  // "local:/path" (created with `so`'s mode, owner and group).
  static Result<std::unique_ptr<MilterServer>> Listen(const std::string& spec, const SocketOptions& so = {});
  ~MilterServer();
  // Serves connections until Stop(): at most policy.max_connections open
  // (read from the current engine; one more is closed at once), scans on
  // `workers` threads (0 = one per CPU).
  void Run(const EngineHolder& engines, LogFn log, size_t workers);
  // Stops accepting and closes every connection not being scanned; Run()
  // returns once the scans in progress have answered. Safe from any thread.
  void Stop();
  int port() const { return port_; }

 private:
  struct Conn;
  MilterServer() = default;
  int fd_ = -1;
  int wake_fd_ = -1;  // eventfd: Stop() and finished scans wake the loop
  int port_ = 0;
  std::string unix_path_;
  std::atomic<bool> stop_{false};
};

}  // namespace nordpii::milter

#endif  // NORDPII_MILTER_MILTER_SERVER_H_
