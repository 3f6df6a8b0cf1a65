// SPDX-License-Identifier: Apache-2.0
// File: metrics.h
//
// The milter's counters and the Prometheus text endpoint that serves them
// (milter.metrics_listen, a loopback HOST:PORT). Counters only ever go up
// (except connections_current); never a value from a message, only action
// names, identifier types and error reasons (a fixed, small set).
//
// The endpoint is a minimal HTTP/1.0 responder written here (one GET, one
// response, then close; every client in one poll loop with a 2 s deadline
// each, so a stalled client never delays a scrape; when 32 are open, a new
// client replaces the oldest one that has not sent a whole request) rather than a library: Debian's libmicrohttpd or
// prometheus-cpp would add a dependency and threads for ~60 lines of code.
#ifndef NORDPII_MILTER_METRICS_H_
#define NORDPII_MILTER_METRICS_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"

namespace nordpii::milter {

class Metrics {
 public:
  // One message answered: its action ("accept", "flag", ..., "tempfail(error)"),
  // the findings by type, and the scan time.
  void Message(const std::string& action, const std::map<std::string, size_t>& types, double seconds);
  void Error(const std::string& reason);  // reason: oversize, timeout, scan, redact, forged, negotiation, config
  void ConnectionOpened() { ++conn_total_, ++conn_current_; }
  void ConnectionClosed() { --conn_current_; }
  std::string Render() const;  // Prometheus text format 0.0.4

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> actions_, types_, errors_;
  static constexpr double kBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  uint64_t bucket_[sizeof kBuckets / sizeof kBuckets[0]] = {};
  uint64_t count_ = 0;
  double sum_ = 0;
  std::atomic<uint64_t> conn_total_{0};
  std::atomic<int64_t> conn_current_{0};
};

// Serves GET /metrics (any path) on HOST:PORT until destroyed.
class MetricsServer {
 public:
  static Result<std::unique_ptr<MetricsServer>> Listen(const std::string& host_port, const Metrics& m);
  ~MetricsServer();
  void Start();  // the serving thread (after the privilege drop)
  int port() const { return port_; }

 private:
  MetricsServer(const Metrics& m) : metrics_(m) {}
  const Metrics& metrics_;
  int fd_ = -1, wake_[2] = {-1, -1};
  int port_ = 0;
  std::thread thread_;
};

}  // namespace nordpii::milter

#endif  // NORDPII_MILTER_METRICS_H_
