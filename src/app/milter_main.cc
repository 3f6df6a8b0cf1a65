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
#include <sys/file.h>
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
#include <map>
#include <string_view>
#include <cctype>
#include <mutex>
#include <thread>

#include "config/settings.h"
#include "core/hide_values.h"
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
  if (line.find("warning") != std::string::npos || line.find("connection closed") != std::string::npos ||
      line.find("a new one was closed") != std::string::npos || line.find("suppressed") != std::string::npos)
    return LOG_WARNING;  // a peer misbehaving or a flood: not an error of ours, more than info
  return LOG_INFO;
}

void Emit(const std::string& line, int prio);

// Rate limit, for the lines an outsider can repeat at will (the server's:
// connection floods, garbage, timeouts, unknown commands; refused reloads)
// but not for the per-message lines, each of which is written. Lines are
// limited by category, not by exact text (a flood varying a number or the
// detail after a colon is still one flood): the category is the line with
// every number replaced by '#' and cut at the first ':' or quote after the
// "nordpii milter: " prefix. Per category, the first line of a
// kRepeatWindow is written and the others counted; the count is written as
// "N similar line(s) suppressed ..." once the window has passed (at the next
// line logged). Across all categories at most kWindowLines limited lines
// per window are written (a backstop should a category ever depend on text
// from outside).
constexpr auto kRepeatWindow = std::chrono::seconds(10);
constexpr size_t kWindowLines = 20;
struct Limited {
  std::chrono::steady_clock::time_point since;
  size_t suppressed = 0;
  int prio = LOG_INFO;
};
std::map<std::string, Limited> limited;
std::chrono::steady_clock::time_point window_since{};
size_t window_lines = 0, window_dropped = 0;

std::string Category(const std::string& line) {
  constexpr std::string_view kPrefix = "nordpii milter: ";
  size_t i = line.rfind(kPrefix, 0) == 0 ? kPrefix.size() : 0;
  // A refused reload comes from the operator (SIGHUP), not from outside:
  // each different error is shown, only an identical one repeated is limited.
  if (line.compare(i, 14, "reload refused") == 0) return line;
  std::string c;
  while (i < line.size() && c.size() < 80) {
    char ch = line[i];
    if (ch == ':' || ch == '"' || ch == '\'') break;
    if (ch >= '0' && ch <= '9') {
      c += '#';
      while (i < line.size() && (std::isxdigit(static_cast<unsigned char>(line[i])) || line[i] == 'x')) ++i;
      continue;
    }
    c += ch;
    ++i;
  }
  return c;
}

// The counts of the categories whose window has passed (log_mu held).
void FlushSuppressed(std::chrono::steady_clock::time_point now) {
  for (auto it = limited.begin(); it != limited.end();) {
    if (now - it->second.since < kRepeatWindow) {
      ++it;
      continue;
    }
    if (it->second.suppressed > 0)
      Emit("nordpii milter: " + std::to_string(it->second.suppressed) + " similar line(s) suppressed in " +
               std::to_string(kRepeatWindow.count()) + " s: " + it->first + "...",
           it->second.prio);
    it = limited.erase(it);
  }
  if (now - window_since >= kRepeatWindow) {
    if (window_dropped > 0)
      Emit("nordpii milter: " + std::to_string(window_dropped) + " more line(s) suppressed in " +
               std::to_string(kRepeatWindow.count()) + " s (over " + std::to_string(kWindowLines) +
               " limited lines)",
           LOG_WARNING);
    window_since = now;
    window_lines = window_dropped = 0;
  }
}

// syslog(3) (journald reads /dev/log, with the priority) or stderr, each
// line stamped with an RFC 5424 timestamp (UTC, microseconds), the pid and
// the level. Control characters are escaped (one event, one line).
void Log(const std::string& raw, int prio, bool limit) {
  std::string line = milter::EscapeControls(raw);
  std::lock_guard<std::mutex> l(log_mu);
  if (prio < 0) prio = Priority(line);
  auto now = std::chrono::steady_clock::now();
  FlushSuppressed(now);
  if (!limit || line.rfind("nordpii milter: queue=", 0) == 0) {  // one line per message, always
    Emit(line, prio);
    return;
  }
  auto [it, fresh] = limited.try_emplace(Category(line));
  if (!fresh) {
    ++it->second.suppressed;
    return;
  }
  it->second.since = now;
  it->second.prio = prio;
  if (window_lines >= kWindowLines) {
    ++window_dropped;
    return;
  }
  ++window_lines;
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

// True when stderr is the journal's stream (systemd: $JOURNAL_STREAM names
// its device and inode): a line there reaches the journal already.
bool StderrIsJournal() {
  const char* js = std::getenv("JOURNAL_STREAM");
  struct stat st{};
  if (!js || ::fstat(2, &st) != 0) return false;
  unsigned long long dev = 0, ino = 0;
  return std::sscanf(js, "%llu:%llu", &dev, &ino) == 2 && dev == st.st_dev && ino == st.st_ino;
}

// An error that stops the start: to the log and, with log = syslog, to
// stderr as well (unless that is the journal): syslog(3) drops lines
// silently when /dev/log is missing (a container, a chroot, journald not
// running), and whoever started the daemon must see why it exited 2.
void StartError(const std::string& raw) {
  // Names a file of the policy (pid_file, the policy itself): masked as
  // scan masks its inputs.
  const std::string line = MaskPathsInMessage(raw);
  Log(line, LOG_ERR);
  bool sys;
  {
    std::lock_guard<std::mutex> l(log_mu);
    sys = log_syslog;
  }
  if (sys && !StderrIsJournal()) {
    std::fprintf(stderr, "nordpii milter: error: %s\n", milter::EscapeControls(line.substr(line.rfind("nordpii milter: ", 0) == 0 ? 16 : 0)).c_str());
    std::fflush(stderr);
  }
}
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
  if (!pw) return Error(ErrorCode::kInvalidArgument, "milter.user: no such user (the name is not shown)");
  if (pw->pw_uid == 0) return Error(ErrorCode::kInvalidArgument, "milter.user: refusing to run as root");
  uid_t uid = pw->pw_uid;
  gid_t gid = pw->pw_gid;
  std::string name = pw->pw_name;
  if (!pol.group.empty()) {
    const group* gr = ::getgrnam(pol.group.c_str());
    if (!gr) return Error(ErrorCode::kInvalidArgument, "milter.group: no such group (the name is not shown)");
    gid = gr->gr_gid;
  }
  if (gid == 0) return Error(ErrorCode::kInvalidArgument, "milter.group: refusing to run with group root");
  if (::geteuid() != 0) {
    if (::geteuid() == uid && ::getuid() == uid && ::getegid() == gid) return Status::Ok();  // e.g. systemd User=
    return Error(ErrorCode::kInvalidArgument,
                 "milter.user: cannot switch to that user: not started as root (nor as that user)");
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
      return Error(ErrorCode::kInvalidArgument, std::string(key) + ": no such user (the name is not shown)");
  for (const auto& [key, name] : {std::pair<const char*, std::string>{"milter.group", pol.group},
                                  {"milter.socket_group", pol.socket_group}})
    if (!name.empty() && !::getgrnam(name.c_str()))
      return Error(ErrorCode::kInvalidArgument, std::string(key) + ": no such group (the name is not shown)");
  return Status::Ok();
}

// What would fail only at start, found by --check too: user root, the pid
// file's directory missing.
Status CheckStart(const milter::Policy& pol) {
  if (!pol.user.empty()) {
    const passwd* pw = ::getpwnam(pol.user.c_str());
    if (pw && pw->pw_uid == 0)
      return Error(ErrorCode::kInvalidArgument, "milter.user: refusing to run as root");
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

// The pid file, locked with flock(2) for the daemon's life: the lock, not
// the pid written in it, says whether an instance runs (a pid from a crash
// may since belong to any process, e.g. 1). Opened without following a
// symbolic link; an existing file is taken over only if it is a regular file
// that is empty or holds a pid (anything else is not ours: refused,
// untouched). Returns the open descriptor (kept open: it holds the lock)
// and the file's identity, for removing it at exit only if still ours.
struct PidFile {
  int fd = -1;
  dev_t dev = 0;
  ino_t ino = 0;
};
Result<PidFile> WritePidFile(const std::string& path) {
  auto fail = [&](const std::string& why, ErrorCode code = ErrorCode::kInvalidArgument) {
    return Error(code, "milter.pid_file " + path + ": " + why);
  };
  for (int attempt = 0; attempt < 3; ++attempt) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
    if (fd < 0)
      return fail(errno == ELOOP ? "is a symbolic link; not replaced" : std::strerror(errno), ErrorCode::kInternal);
    struct stat st{};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return fail("exists and is not a pid file; not replaced");
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int e = errno;
      char buf[40] = {};
      ssize_t r = ::pread(fd, buf, sizeof buf - 1, 0);
      ::close(fd);
      std::string who = r > 0 ? std::string(buf, static_cast<size_t>(r)) : "";
      while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
      if (who.find_first_not_of("0123456789") != std::string::npos) who.clear();
      if (e == EWOULDBLOCK)
        return fail("locked by a running nordpii milter" + (who.empty() ? "" : " (pid " + who + ")") + "; not started");
      return fail(std::string("flock: ") + std::strerror(e), ErrorCode::kInternal);
    }
    // The name may have been removed (an instance exiting) between open and
    // lock: then the lock is on a file nobody else finds; start again.
    struct stat now{};
    if (::stat(path.c_str(), &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
      ::close(fd);
      continue;
    }
    char buf[40];
    ssize_t r = ::pread(fd, buf, sizeof buf, 0);
    std::string text = r > 0 ? std::string(buf, static_cast<size_t>(r)) : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (st.st_size > 32 || (!text.empty() && (text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos))) {
      ::close(fd);
      return fail("exists and does not hold a pid; not replaced");
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
      int e = errno;
      ::close(fd);
      return fail(std::strerror(e), ErrorCode::kInternal);
    }
    return PidFile{fd, st.st_dev, st.st_ino};
  }
  return fail("replaced by someone else meanwhile", ErrorCode::kInternal);
}

Result<std::shared_ptr<const milter::MilterEngine>> BuildEngineUnhidden(const MilterOptions& o);

Result<std::shared_ptr<const milter::MilterEngine>> BuildEngine(const MilterOptions& o) {
  auto made = BuildEngineUnhidden(o);
  if (made) return made;
  // Values quoted from the policy file (an address, a rule name, a type id:
  // it may hold an identifier) show no number; the file and line do. For
  // --check, the start and a SIGHUP reload alike.
  return Error(made.error().code(), HideDigitRuns(made.error().message(), {o.config}));
}

Result<std::shared_ptr<const milter::MilterEngine>> BuildEngineUnhidden(const MilterOptions& o) {
  auto policy = milter::Policy::Load(o.config);
  if (!policy) return policy.error();
  // Read from the files every time: a SIGHUP reload must see changed
  // pattern files (not the set BuildSettings loaded at the start).
  ScannerOptions so = o.settings->scanner;
  so.loaded.reset();
  auto scanner = Scanner::Create(so);
  if (!scanner) return scanner.error();
  std::set<std::string> known;
  for (const auto& d : (*scanner)->detectors().patterns().detectors) known.insert(d.id);
  for (const auto& t : (*scanner)->detectors().patterns().types) known.insert(t.id);
  if (Status s = milter::CheckTypes(*policy, known, o.config); !s.ok()) return s;
  if (Status s = milter::CheckCategories(*policy, (*scanner)->detectors().patterns(), o.config); !s.ok()) return s;
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
      std::fprintf(stderr, "nordpii milter: %s\n", MaskPathsInMessage(e.error().message()).c_str());
      return 2;
    }
    StartError("nordpii milter: " + e.error().message());
    return 2;
  }
  const milter::Policy& pol = (*e)->policy;
  if (o.check) {
    for (Status s : {CheckNames(pol), CheckStart(pol), milter::CheckListen(o.listen)})
      if (!s.ok()) {
        std::fprintf(stderr, "%s\n", MaskPathsInMessage("nordpii milter: " + o.config + ": " + s.message()).c_str());
        return 2;
      }
    for (const auto& w : milter::Warnings(pol))
      std::fprintf(stderr, "%s\n", MaskPathsInMessage("nordpii milter: " + o.config + ": warning: " + w).c_str());
    std::cout << MaskPathsInMessage("# effective policy of " + o.config + "\n" + milter::Describe(pol));
    std::fprintf(stderr, "nordpii milter: %s: OK (%zu rules)\n", MaskPathsInMessage(o.config).c_str(), pol.rules.size());
    return 0;
  }
  SetUpLog(pol.log);
  if (Status s = CheckStart(pol); !s.ok()) {
    StartError("nordpii milter: " + s.message());
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
    StartError("nordpii milter: " + server.error().message());
    return 2;
  }
  std::unique_ptr<milter::MetricsServer> metrics;
  if (!pol.metrics_listen.empty()) {
    auto m = milter::MetricsServer::Listen(pol.metrics_listen, engines.metrics());
    if (!m) {
      StartError("nordpii milter: " + m.error().message());
      return 2;
    }
    metrics = std::move(*m);
  }
  // Bound: the pid file (before the drop, so it may live where only root
  // writes; remove it on exit needs a directory the user can write, e.g.
  // systemd's RuntimeDirectory), then the privilege drop.
  PidFile pid_id;
  if (!pol.pid_file.empty()) {
    auto w = WritePidFile(pol.pid_file);
    if (!w) {
      StartError("nordpii milter: " + w.error().message());
      return 2;
    }
    pid_id = *w;
  }
  // Only our own pid file: the same file (device, inode) still holding our pid.
  auto remove_pid = [&] {
    if (pol.pid_file.empty()) return;
    struct stat st{};
    std::string text;
    if (::lstat(pol.pid_file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == pid_id.dev &&
        st.st_ino == pid_id.ino) {
      int fd = ::open(pol.pid_file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      char buf[40];
      ssize_t r = fd >= 0 ? ::read(fd, buf, sizeof buf) : -1;
      if (fd >= 0) ::close(fd);
      if (r > 0) text.assign(buf, static_cast<size_t>(r));
    }
    if (text != std::to_string(::getpid()) + "\n") {
      Log(MaskPathsInMessage("nordpii milter: milter.pid_file " + pol.pid_file + " is no longer ours; left in place"), LOG_WARNING);
    } else if (::unlink(pol.pid_file.c_str()) != 0) {
      Log(MaskPathsInMessage("nordpii milter: cannot remove milter.pid_file " + pol.pid_file + ": " + std::strerror(errno)), LOG_WARNING);
    }
    ::close(pid_id.fd);  // the lock goes with it (after the unlink: no one locks a file about to go)
    pid_id.fd = -1;
  };
  if (Status s = DropPrivileges(pol); !s.ok()) {
    StartError("nordpii milter: " + s.message());
    remove_pid();
    return 2;
  }
  if (metrics) metrics->Start();
  size_t workers = pol.scan_workers ? pol.scan_workers : std::max(2u, std::thread::hardware_concurrency());
  Log(MaskPathsInMessage("nordpii milter: listening on " + o.listen + " (max " + std::to_string(pol.max_connections) +
      " connections, " + std::to_string(workers) + " scan workers, policy " + o.config +
      (pol.monitor ? ", monitor mode" : "") +
      (metrics ? ", metrics on " + pol.metrics_listen + " port " + std::to_string(metrics->port()) : "") +
      (pol.user.empty() ? "" : ", running as " + pol.user) + ")"));
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
