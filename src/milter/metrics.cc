// SPDX-License-Identifier: Apache-2.0
#include "milter/metrics.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

namespace nordpii::milter {

void Metrics::Message(const std::string& action, const std::map<std::string, size_t>& types, double seconds) {
  std::lock_guard<std::mutex> l(mu_);
  ++actions_[action];
  for (const auto& [t, n] : types) types_[t] += n;
  for (size_t i = 0; i < sizeof kBuckets / sizeof kBuckets[0]; ++i)
    if (seconds <= kBuckets[i]) ++bucket_[i];
  ++count_;
  sum_ += seconds;
}

void Metrics::Error(const std::string& reason) {
  std::lock_guard<std::mutex> l(mu_);
  ++errors_[reason];
}

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> l(mu_);
  std::string o;
  char buf[64];
  o += "# HELP nordpii_milter_messages_total Messages answered, by action.\n# TYPE nordpii_milter_messages_total counter\n";
  for (const auto& [a, n] : actions_) o += "nordpii_milter_messages_total{action=\"" + a + "\"} " + std::to_string(n) + "\n";
  o += "# HELP nordpii_milter_findings_total Findings, by identifier type.\n# TYPE nordpii_milter_findings_total counter\n";
  for (const auto& [t, n] : types_) o += "nordpii_milter_findings_total{type=\"" + t + "\"} " + std::to_string(n) + "\n";
  o += "# HELP nordpii_milter_errors_total Messages not scanned, by reason.\n# TYPE nordpii_milter_errors_total counter\n";
  for (const auto& [r, n] : errors_) o += "nordpii_milter_errors_total{reason=\"" + r + "\"} " + std::to_string(n) + "\n";
  o += "# HELP nordpii_milter_scan_seconds Time from end of message to the answer.\n# TYPE nordpii_milter_scan_seconds histogram\n";
  for (size_t i = 0; i < sizeof kBuckets / sizeof kBuckets[0]; ++i) {
    std::snprintf(buf, sizeof buf, "%g", kBuckets[i]);
    o += "nordpii_milter_scan_seconds_bucket{le=\"" + std::string(buf) + "\"} " + std::to_string(bucket_[i]) + "\n";
  }
  o += "nordpii_milter_scan_seconds_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
  std::snprintf(buf, sizeof buf, "%.6f", sum_);
  o += "nordpii_milter_scan_seconds_sum " + std::string(buf) + "\n";
  o += "nordpii_milter_scan_seconds_count " + std::to_string(count_) + "\n";
  o += "# HELP nordpii_milter_connections_current Open MTA connections.\n# TYPE nordpii_milter_connections_current gauge\n";
  o += "nordpii_milter_connections_current " + std::to_string(conn_current_.load()) + "\n";
  o += "# HELP nordpii_milter_connections_total MTA connections accepted.\n# TYPE nordpii_milter_connections_total counter\n";
  o += "nordpii_milter_connections_total " + std::to_string(conn_total_.load()) + "\n";
  return o;
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::Listen(const std::string& host_port, const Metrics& m) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument, "milter.metrics_listen: " + why);  // the value is not shown
  };
  size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) return bad("expected HOST:PORT");
  std::string host = host_port.substr(0, colon), port = host_port.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) return bad(::gai_strerror(rc));
  std::unique_ptr<MetricsServer> s(new MetricsServer(m));
  std::string why = "no address";
  for (addrinfo* ai = res; ai && s->fd_ < 0; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
      why = std::strerror(errno);
      ::close(fd);
      continue;
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    s->port_ = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                        : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    s->fd_ = fd;
  }
  ::freeaddrinfo(res);
  if (s->fd_ < 0) return bad(why);
  if (::pipe2(s->wake_, O_CLOEXEC) != 0) return bad(std::strerror(errno));
  return s;
}

// One poll loop for every scraper: a client that connects and sends
// nothing (or half a request) holds only its slot, never the thread, and is
// closed kClientSeconds after it connected; at most kMaxClients at once
// (a new one beyond that replaces the oldest that has not sent a whole
// request).
void MetricsServer::Start() {
  thread_ = std::thread([this] {
    using Clock = std::chrono::steady_clock;
    constexpr int kClientSeconds = 2;
    constexpr size_t kMaxClients = 32;  // descriptors are for the MTA
    struct Client {
      int fd;
      Clock::time_point deadline;
      std::string req, resp;
      size_t sent = 0;
    };
    std::vector<Client> clients;
    std::vector<pollfd> p;
    for (;;) {
      p.clear();
      p.push_back({fd_, POLLIN, 0});
      p.push_back({wake_[0], POLLIN, 0});
      auto now = Clock::now();
      int wait_ms = -1;
      for (const Client& c : clients) {
        p.push_back({c.fd, static_cast<short>(c.resp.empty() ? POLLIN : POLLOUT), 0});
        long long left = std::chrono::duration_cast<std::chrono::milliseconds>(c.deadline - now).count() + 1;
        left = std::max<long long>(left, 0);
        if (wait_ms < 0 || left < wait_ms) wait_ms = static_cast<int>(left);
      }
      if (::poll(p.data(), p.size(), wait_ms) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (p[1].revents) break;
      now = Clock::now();
      for (size_t i = 0; i < clients.size(); ++i) {
        Client& c = clients[i];
        short ev = p[i + 2].revents;
        bool done = false;
        if (ev & (POLLERR | POLLNVAL)) {
          done = true;
        } else if (c.resp.empty() && (ev & (POLLIN | POLLHUP))) {
          char buf[1024];
          ssize_t r = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
          if (r > 0) c.req.append(buf, static_cast<size_t>(r));
          bool complete = c.req.find("\r\n\r\n") != std::string::npos || c.req.find("\n\n") != std::string::npos ||
                          c.req.size() >= 8192;
          if (r == 0 || complete) {
            if (c.req.rfind("GET ", 0) == 0) {
              std::string body = metrics_.Render();
              c.resp = "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
            } else {
              c.resp = "HTTP/1.0 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            }
          } else if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            done = true;
          }
        }
        if (!done && !c.resp.empty() && c.sent < c.resp.size()) {
          ssize_t w = ::send(c.fd, c.resp.data() + c.sent, c.resp.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
          if (w > 0) c.sent += static_cast<size_t>(w);
          else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) done = true;
          if (c.sent == c.resp.size()) done = true;
        }
        if (done || now >= c.deadline) {
          ::close(c.fd);
          c.fd = -1;
        }
      }
      clients.erase(std::remove_if(clients.begin(), clients.end(), [](const Client& c) { return c.fd < 0; }),
                    clients.end());
      if (p[0].revents & POLLIN) {
        for (;;) {
          int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
          if (c < 0) break;
          if (clients.size() >= kMaxClients) {
            // Full (idle or slowloris clients): the oldest one still
            // sending its request goes, not the newcomer — a scraper sends
            // its request at once and is answered in the next turn, so
            // clients that never complete one cannot lock scrapes out.
            auto victim = clients.end();
            for (auto it = clients.begin(); it != clients.end(); ++it)
              if (it->resp.empty() && (victim == clients.end() || it->deadline < victim->deadline)) victim = it;
            if (victim == clients.end()) victim = clients.begin();  // all being answered: the oldest
            ::close(victim->fd);
            clients.erase(victim);
          }
          clients.push_back({c, Clock::now() + std::chrono::seconds(kClientSeconds), {}, {}, 0});
        }
      }
    }
    for (const Client& c : clients) ::close(c.fd);
  });
}

MetricsServer::~MetricsServer() {
  if (thread_.joinable()) {
    char x = 1;
    [[maybe_unused]] ssize_t w = ::write(wake_[1], &x, 1);
    thread_.join();
  }
  for (int fd : {fd_, wake_[0], wake_[1]})
    if (fd >= 0) ::close(fd);
}

}  // namespace nordpii::milter
