// SPDX-License-Identifier: Apache-2.0
// `nordpii milter`: builds the engine (patterns + policy + key), listens, and
// handles signals: SIGHUP reloads patterns and policy atomically (a bad new
// configuration is refused and logged; the old one stays in force), SIGTERM
// and SIGINT stop accepting, close the connections that are not being
// scanned and exit once the scans in progress have answered.
#include "app/milter_main.h"

#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <set>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <thread>

#include "detect/detectors.h"
#include "milter/milter_server.h"

namespace nordpii {

namespace {

std::mutex log_mu;
bool log_syslog = false;

// Syslog priority from the line's content (our lines are fixed phrases;
// a message line with error= is an error).
int Priority(const std::string& line) {
  if (line.find("error") != std::string::npos || line.find("refused") != std::string::npos ||
      line.find("cannot") != std::string::npos)
    return LOG_ERR;
  if (line.find("warning") != std::string::npos) return LOG_WARNING;
  return LOG_INFO;
}

void Emit(const std::string& line, int prio);

// Rate limit, for the lines an outsider can repeat at will (the server's:
// connection floods, garbage, timeouts; refused reloads) but not for the
// per-message lines, each of which is written: a line identical to the
// previous limited one within kRepeatWindow is counted, not written; the
// count is written as "previous line repeated N more time(s)" before the
// next different line or, for the same line, once the window has passed.
constexpr auto kRepeatWindow = std::chrono::seconds(10);
std::string last_line;
int last_prio = 0;
size_t repeated = 0;
std::chrono::steady_clock::time_point last_at{};

// syslog(3) (journald reads /dev/log, with the priority) or stderr, each
// line stamped with an RFC 5424 timestamp (UTC, microseconds), the pid and
// the level. Control characters are escaped (one event, one line).
void Log(const std::string& raw, int prio, bool limit) {
  std::string line = milter::EscapeControls(raw);
  std::lock_guard<std::mutex> l(log_mu);
  if (prio < 0) prio = Priority(line);
  if (!limit || line.rfind("nordpii milter: queue=", 0) == 0) {  // one line per message, always
    Emit(line, prio);
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (line == last_line && now - last_at < kRepeatWindow) {
    ++repeated;
    return;
  }
  if (repeated > 0)
    Emit("nordpii milter: previous line repeated " + std::to_string(repeated) + " more time(s)", last_prio);
  repeated = 0;
  last_line = line;
  last_prio = prio;
  last_at = now;
  Emit(line, prio);
}

void Emit(const std::string& line, int prio) {
  if (log_syslog) {
    ::syslog(prio, "%s", line.c_str());
    return;
  }
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  ::gmtime_r(&ts.tv_sec, &t);
  char stamp[40];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1000);
  const char* level = prio == LOG_ERR ? "error" : prio == LOG_WARNING ? "warning" : "info";
  std::fprintf(stderr, "%s nordpii[%d]: %s: %s\n", stamp, static_cast<int>(::getpid()), level, line.c_str());
  std::fflush(stderr);
}

void Log(const std::string& line, int prio) { Log(line, prio, false); }
void Log(const std::string& line) { Log(line, -1, false); }

// log = auto: syslog when systemd started us ($JOURNAL_STREAM) or stderr
// goes nowhere (closed or /dev/null, a daemon started without a terminal);
// stderr (a terminal, a file, a pipe) otherwise.
void SetUpLog(milter::Policy::LogTo to) {
  bool sys = to == milter::Policy::LogTo::kSyslog;
  if (to == milter::Policy::LogTo::kAuto) {
    struct stat st{};
    bool devnull = ::fstat(2, &st) != 0 || (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3);
    sys = std::getenv("JOURNAL_STREAM") != nullptr || devnull;
  }
  if (sys) ::openlog("nordpii", LOG_PID | LOG_NDELAY, LOG_MAIL);
  std::lock_guard<std::mutex> l(log_mu);
  log_syslog = sys;
}

// Switches to policy.user / policy.group (with the user's supplementary
// groups). Needs root, or already being that user; afterwards neither uid
// nor gid may be 0 and setuid(0) must fail.
Status DropPrivileges(const milter::Policy& pol) {
  if (pol.user.empty()) return Status::Ok();
  const passwd* pw = ::getpwnam(pol.user.c_str());
  if (!pw) return Error(ErrorCode::kInvalidArgument, "milter.user: no user '" + pol.user + "'");
  if (pw->pw_uid == 0) return Error(ErrorCode::kInvalidArgument, "milter.user: refusing to run as root ('" + pol.user + "')");
  uid_t uid = pw->pw_uid;
  gid_t gid = pw->pw_gid;
  std::string name = pw->pw_name;
  if (!pol.group.empty()) {
    const group* gr = ::getgrnam(pol.group.c_str());
    if (!gr) return Error(ErrorCode::kInvalidArgument, "milter.group: no group '" + pol.group + "'");
    gid = gr->gr_gid;
  }
  if (gid == 0) return Error(ErrorCode::kInvalidArgument, "milter.group: refusing to run with group root");
  if (::geteuid() != 0) {
    if (::geteuid() == uid && ::getuid() == uid && ::getegid() == gid) return Status::Ok();  // e.g. systemd User=
    return Error(ErrorCode::kInvalidArgument,
                 "milter.user: cannot switch to '" + pol.user + "': not started as root (nor as that user)");
  }
  auto fail = [&](const char* what) {
    return Error(ErrorCode::kInternal, std::string("privilege drop: ") + what + ": " + std::strerror(errno));
  };
  if (::initgroups(name.c_str(), gid) != 0) return fail("initgroups");
  if (::setgid(gid) != 0) return fail("setgid");
  if (::setuid(uid) != 0) return fail("setuid");
  if (::getuid() != uid || ::geteuid() != uid || ::getgid() != gid || ::getegid() != gid || ::setuid(0) == 0)
    return Error(ErrorCode::kInternal, "privilege drop: still privileged after setuid; refusing to run");
  return Status::Ok();
}

Status CheckNames(const milter::Policy& pol) {
  for (const auto& [key, name] : {std::pair<const char*, std::string>{"milter.user", pol.user},
                                  {"milter.socket_owner", pol.socket_owner}})
    if (!name.empty() && !::getpwnam(name.c_str()))
      return Error(ErrorCode::kInvalidArgument, std::string(key) + ": no user '" + name + "'");
  for (const auto& [key, name] : {std::pair<const char*, std::string>{"milter.group", pol.group},
                                  {"milter.socket_group", pol.socket_group}})
    if (!name.empty() && !::getgrnam(name.c_str()))
      return Error(ErrorCode::kInvalidArgument, std::string(key) + ": no group '" + name + "'");
  return Status::Ok();
}

// What would fail only at start, found by --check too: user root, the pid
// file's directory missing.
Status CheckStart(const milter::Policy& pol) {
  if (!pol.user.empty()) {
    const passwd* pw = ::getpwnam(pol.user.c_str());
    if (pw && pw->pw_uid == 0)
      return Error(ErrorCode::kInvalidArgument, "milter.user: refusing to run as root ('" + pol.user + "')");
  }
  if (!pol.group.empty()) {
    const group* gr = ::getgrnam(pol.group.c_str());
    if (gr && gr->gr_gid == 0) return Error(ErrorCode::kInvalidArgument, "milter.group: refusing to run with group root");
  }
  if (!pol.pid_file.empty()) {
    std::string dir = pol.pid_file.substr(0, pol.pid_file.rfind('/'));
    if (dir.empty()) dir = "/";
    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return Error(ErrorCode::kInvalidArgument, "milter.pid_file: directory " + dir + " does not exist");
  }
  return Status::Ok();
}

// The pid file, created exclusively (O_EXCL): an existing file is never
// overwritten unless it holds the pid of a process that is gone (a stale
// file from a crash); one holding a live pid means another instance runs,
// anything else is not ours. Returns the file's identity, for removing it
// at exit only if it is still ours.
Result<std::pair<dev_t, ino_t>> WritePidFile(const std::string& path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0) {
      std::string pid = std::to_string(::getpid()) + "\n";
      struct stat st{};
      bool ok = ::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size()) && ::fstat(fd, &st) == 0;
      int e = errno;
      ::close(fd);
      if (!ok) {
        ::unlink(path.c_str());
        return Error(ErrorCode::kInternal, "milter.pid_file " + path + ": " + std::strerror(e));
      }
      return std::make_pair(st.st_dev, st.st_ino);
    }
    if (errno != EEXIST) return Error(ErrorCode::kInternal, "milter.pid_file " + path + ": " + std::strerror(errno));
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 32)
      return Error(ErrorCode::kInvalidArgument,
                   "milter.pid_file " + path + ": exists and is not a pid file; not replaced");
    std::string text;
    {
      int rfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      char buf[40];
      ssize_t r = rfd >= 0 ? ::read(rfd, buf, sizeof buf) : -1;
      if (rfd >= 0) ::close(rfd);
      if (r > 0) text.assign(buf, static_cast<size_t>(r));
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos)
      return Error(ErrorCode::kInvalidArgument,
                   "milter.pid_file " + path + ": exists and does not hold a pid; not replaced");
    long pid = std::stol(text);
    if (pid > 0 && pid <= 0x7fffffff && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM))
      return Error(ErrorCode::kInvalidArgument, "milter.pid_file " + path + ": process " + text +
                                                    " is running (another nordpii milter?); not started");
    ::unlink(path.c_str());  // stale: the process is gone
  }
  return Error(ErrorCode::kInternal, "milter.pid_file " + path + ": created by someone else meanwhile");
}

Result<std::shared_ptr<const milter::MilterEngine>> BuildEngine(const MilterOptions& o) {
  auto policy = milter::Policy::Load(o.config);
  if (!policy) return policy.error();
  auto scanner = Scanner::Create(o.settings->scanner);
  if (!scanner) return scanner.error();
  std::set<std::string> known;
  for (const auto& d : (*scanner)->detectors().patterns().detectors) known.insert(d.id);
  for (const auto& t : (*scanner)->detectors().patterns().types) known.insert(t.id);
  if (Status s = milter::CheckTypes(*policy, known, o.config); !s.ok()) return s;
  auto e = std::make_shared<milter::MilterEngine>();
  e->scanner = *scanner;
  e->policy = std::move(*policy);
  e->hasher = *o.settings->hasher;
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
    if (o.check) {
      std::fprintf(stderr, "nordpii milter: %s\n", e.error().message().c_str());
      return 2;
    }
    Log("nordpii milter: " + e.error().message(), LOG_ERR);
    return 2;
  }
  const milter::Policy& pol = (*e)->policy;
  if (o.check) {
    for (Status s : {CheckNames(pol), CheckStart(pol)})
      if (!s.ok()) {
        std::fprintf(stderr, "nordpii milter: %s: %s\n", o.config.c_str(), s.message().c_str());
        return 2;
      }
    for (const auto& w : milter::Warnings(pol))
      std::fprintf(stderr, "nordpii milter: %s: warning: %s\n", o.config.c_str(), w.c_str());
    std::cout << "# effective policy of " << o.config << "\n" << milter::Describe(pol);
    std::fprintf(stderr, "nordpii milter: %s: OK (%zu rules)\n", o.config.c_str(), pol.rules.size());
    return 0;
  }
  SetUpLog(pol.log);
  if (Status s = CheckStart(pol); !s.ok()) {
    Log("nordpii milter: " + s.message(), LOG_ERR);
    return 2;
  }
  for (const auto& w : milter::Warnings(pol)) Log("nordpii milter: warning: " + w, LOG_WARNING);
  engines.Set(*e);
  // Every connection is a descriptor: the soft limit goes up to the hard one.
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
      pol.max_connections + 64 > nofile.rlim_cur)
    Log("nordpii milter: milter.max_connections = " + std::to_string(pol.max_connections) +
        " but only " + std::to_string(nofile.rlim_cur) + " descriptors (LimitNOFILE)", LOG_WARNING);
  milter::SocketOptions so;
  so.mode = pol.socket_mode;
  so.owner = pol.socket_owner;
  so.group = pol.socket_group;
  auto server = milter::MilterServer::Listen(o.listen, so);
  if (!server) {
    Log("nordpii milter: " + server.error().message(), LOG_ERR);
    return 2;
  }
  std::unique_ptr<milter::MetricsServer> metrics;
  if (!pol.metrics_listen.empty()) {
    auto m = milter::MetricsServer::Listen(pol.metrics_listen, engines.metrics());
    if (!m) {
      Log("nordpii milter: " + m.error().message(), LOG_ERR);
      return 2;
    }
    metrics = std::move(*m);
  }
  // Bound: the pid file (before the drop, so it may live where only root
  // writes; remove it on exit needs a directory the user can write, e.g.
  // systemd's RuntimeDirectory), then the privilege drop.
  std::pair<dev_t, ino_t> pid_id{};
  if (!pol.pid_file.empty()) {
    auto w = WritePidFile(pol.pid_file);
    if (!w) {
      Log("nordpii milter: " + w.error().message(), LOG_ERR);
      return 2;
    }
    pid_id = *w;
  }
  // Only our own pid file: the same file (device, inode) still holding our pid.
  auto remove_pid = [&] {
    if (pol.pid_file.empty()) return;
    struct stat st{};
    std::string text;
    if (::lstat(pol.pid_file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == pid_id.first &&
        st.st_ino == pid_id.second) {
      int fd = ::open(pol.pid_file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      char buf[40];
      ssize_t r = fd >= 0 ? ::read(fd, buf, sizeof buf) : -1;
      if (fd >= 0) ::close(fd);
      if (r > 0) text.assign(buf, static_cast<size_t>(r));
    }
    if (text != std::to_string(::getpid()) + "\n") {
      Log("nordpii milter: milter.pid_file " + pol.pid_file + " is no longer ours; left in place", LOG_WARNING);
      return;
    }
    if (::unlink(pol.pid_file.c_str()) != 0)
      Log("nordpii milter: cannot remove milter.pid_file " + pol.pid_file + ": " + std::strerror(errno), LOG_WARNING);
  };
  if (Status s = DropPrivileges(pol); !s.ok()) {
    Log("nordpii milter: " + s.message(), LOG_ERR);
    remove_pid();
    return 2;
  }
  if (metrics) metrics->Start();
  size_t workers = pol.scan_workers ? pol.scan_workers : std::max(2u, std::thread::hardware_concurrency());
  Log("nordpii milter: listening on " + o.listen + " (max " + std::to_string(pol.max_connections) +
      " connections, " + std::to_string(workers) + " scan workers, policy " + o.config +
      (pol.monitor ? ", monitor mode" : "") +
      (metrics ? ", metrics on " + pol.metrics_listen + " port " + std::to_string(metrics->port()) : "") +
      (pol.user.empty() ? "" : ", running as " + pol.user) + ")");
  std::thread acceptor([&] { (*server)->Run(engines, [](const std::string& l) { Log(l, -1, true); }, workers); });
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGPIPE) continue;
    if (sig == SIGHUP) {
      auto n = BuildEngine(o);
      if (!n) {
        Log("nordpii milter: reload refused, old configuration stays in force: " + n.error().message(), LOG_ERR, true);
      } else {
        for (const auto& key : milter::StartOnlyChanges(pol, (*n)->policy))
          Log("nordpii milter: warning: " + key + " changed: read only at start, takes effect after a restart " +
                  "(the running value stays)",
              LOG_WARNING);
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
  metrics.reset();
  remove_pid();
  return 0;
}

}  // namespace nordpii
