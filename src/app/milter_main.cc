// SPDX-License-Identifier: Apache-2.0
// `nordpii milter`: builds the engine (patterns + policy + key), listens, and
// handles signals: SIGHUP reloads patterns and policy atomically (a bad new
// configuration is refused and logged; the old one stays in force), SIGTERM
// and SIGINT stop accepting, close the connections that are not being
// scanned and exit once the scans in progress have answered.
#include "app/milter_main.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <thread>

#include "milter/milter_server.h"

namespace nordpii {

namespace {

std::mutex log_mu;
void Log(const std::string& line) {
  std::lock_guard<std::mutex> l(log_mu);
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

Result<std::shared_ptr<const milter::MilterEngine>> BuildEngine(const MilterOptions& o) {
  auto policy = milter::Policy::Load(o.config);
  if (!policy) return policy.error();
  ScannerOptions so;
  so.patterns_dir = o.patterns_dir;
  auto scanner = Scanner::Create(so);
  if (!scanner) return scanner.error();
  auto hasher = KeyedHasher::FromEnvironment(o.key_file);
  if (!hasher) return hasher.error();
  auto e = std::make_shared<milter::MilterEngine>();
  e->scanner = *scanner;
  e->policy = std::move(*policy);
  e->hasher = std::move(*hasher);
  return std::shared_ptr<const milter::MilterEngine>(std::move(e));
}

}  // namespace

int RunMilter(const MilterOptions& o) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // inherited by every thread; handled below
  milter::EngineHolder engines;
  auto e = BuildEngine(o);
  if (!e) {
    Log("nordpii milter: " + e.error().message());
    return 2;
  }
  engines.Set(*e);
  const milter::Policy& pol = (*e)->policy;
  // Every connection is a descriptor: the soft limit goes up to the hard one.
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
      pol.max_connections + 64 > nofile.rlim_cur)
    Log("nordpii milter: warning: milter.max_connections = " + std::to_string(pol.max_connections) +
        " but only " + std::to_string(nofile.rlim_cur) + " descriptors (LimitNOFILE)");
  milter::SocketOptions so;
  so.mode = pol.socket_mode;
  so.owner = pol.socket_owner;
  so.group = pol.socket_group;
  auto server = milter::MilterServer::Listen(o.listen, so);
  if (!server) {
    Log("nordpii milter: " + server.error().message());
    return 2;
  }
  size_t workers = pol.scan_workers ? pol.scan_workers : std::max(2u, std::thread::hardware_concurrency());
  Log("nordpii milter: listening on " + o.listen + " (max " + std::to_string(pol.max_connections) +
      " connections, " + std::to_string(workers) + " scan workers, policy " + o.config + ")");
  std::thread acceptor([&] { (*server)->Run(engines, Log, workers); });
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGPIPE) continue;
    if (sig == SIGHUP) {
      auto n = BuildEngine(o);
      if (!n) {
        Log("nordpii milter: reload refused, old configuration stays in force: " + n.error().message());
      } else {
        engines.Set(*n);
        Log("nordpii milter: configuration reloaded");
      }
      continue;
    }
    Log("nordpii milter: stopping");
    (*server)->Stop();
    break;
  }
  acceptor.join();
  return 0;
}

}  // namespace nordpii
