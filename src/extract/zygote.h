// SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-or-later
// File: zygote.h
//
// The helper programs' start-up server. Started as `HELPER --zygote` with a
// SOCK_SEQPACKET socket on fd 0, a helper loads its libraries (and warms
// its parser, `warm`) once and then, for each request, forks a child that
// reads exactly one document, as a helper started for it would: the child
// gets the request's pipes as stdin/stdout, /dev/null as stderr, no other
// descriptor, the request's rlimits (address space, CPU; no core, no file
// writes, no processes), and runs the helper's `run(argc, argv)` with the
// request's arguments — which enters the seccomp sandbox (sandbox.h)
// before it parses a byte. The server itself never reads a document: each
// child starts from the same pristine copy, so one document cannot reach
// another. What it saves is the dynamic loader: the PDF helper links 45
// libraries, whose relocation cost ≈ 12–20 ms per document, more than
// reading a small PDF (extractor.cc, "zygote").
//
// Protocol (extractor.cc is the other side), one message each:
//   request:  Request header + argv strings, then the environment's (the
//             user's at this request, as exec would pass it), each NUL-terminated;
//             SCM_RIGHTS: [stdin read end, stdout write end]
//   reply 1:  int32 pid of the child, or -errno; SCM_RIGHTS: [pidfd] with a pid
//   reply 2:  int32 wait status, when the child has exited (it is the
//             server's child: only the server can reap it)
// The server exits when the socket closes (its user exited; a child still
// running is killed first) or on any error. Dual-licensed so the GPL PDF helper can include it.
#ifndef NORDPII_EXTRACT_ZYGOTE_H_
#define NORDPII_EXTRACT_ZYGOTE_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace nordpii::zygote {

inline constexpr uint32_t kMagic = 0x6e707a31;  // "npz1"
inline constexpr size_t kMaxRequest = 1 << 16;

struct Request {
  uint32_t magic;
  uint32_t argc;
  uint32_t envc;
  uint32_t reserved;
  uint64_t max_memory;   // RLIMIT_AS
  uint64_t cpu_seconds;  // RLIMIT_CPU
};

using RunFn = int (*)(int, char**);

namespace internal {

inline bool SendInt(int sock, int32_t v, int fd = -1) {
  msghdr m{};
  iovec io{&v, sizeof v};
  m.msg_iov = &io;
  m.msg_iovlen = 1;
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))];
  if (fd >= 0) {
    m.msg_control = ctl;
    m.msg_controllen = sizeof ctl;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  ssize_t n;
  while ((n = sendmsg(sock, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  return n == static_cast<ssize_t>(sizeof v);
}

}  // namespace internal

// What a process that reads one document gets before it runs the helper,
// whichever way it was started (extractor.cc's fork + exec child, or a
// server's child below): a clean signal mask, SIGXFSZ ignored (past
// RLIMIT_FSIZE a write fails with EFBIG instead of killing it: a library
// writing a cache file, e.g. fontconfig), the rlimits (address space, CPU
// seconds; no core, no file writes, no processes — NPROC fails harmlessly
// as root), `in`/`out` as stdin/stdout, /dev/null as stderr (library
// warnings may quote content), and no other descriptor, CLOEXEC or not.
// System calls only (the fork + exec child of a multi-threaded milter).
// False when the pipes cannot be put in place.
inline bool EnterDocumentProcess(int in, int out, rlim_t max_memory, rlim_t cpu_seconds) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit r;
  r.rlim_cur = r.rlim_max = max_memory;
  setrlimit(RLIMIT_AS, &r);
  r.rlim_cur = r.rlim_max = cpu_seconds;
  setrlimit(RLIMIT_CPU, &r);
  r.rlim_cur = r.rlim_max = 0;
  setrlimit(RLIMIT_CORE, &r);
  setrlimit(RLIMIT_FSIZE, &r);
  setrlimit(RLIMIT_NPROC, &r);
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0) return false;
  int devnull = open("/dev/null", O_WRONLY);
  if (devnull >= 0) dup2(devnull, 2);
  if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
    for (int fd = 3; fd < 4096; ++fd) close(fd);
  return true;
}

namespace internal {

// The child: one document, as a helper started for it.
[[noreturn]] inline void Child(const Request& rq, std::vector<char*>& argv, std::vector<char*>& env, int in, int out,
                               RunFn run) {
  environ = env.data();
  signal(SIGPIPE, SIG_DFL);  // the server ignores it
  if (!EnterDocumentProcess(in, out, static_cast<rlim_t>(rq.max_memory), static_cast<rlim_t>(rq.cpu_seconds)))
    _exit(127);
  std::exit(run(static_cast<int>(argv.size()) - 1, argv.data()));
}

// Serves requests on `sock` until it closes.
[[noreturn]] inline void Serve(int sock, RunFn run) {
  signal(SIGPIPE, SIG_IGN);
  // An ignored SIGCHLD survives exec (nordpii started by a parent that
  // ignores it): the children would be reaped by the kernel and waitpid
  // would report a crashed child as exit 0.
  signal(SIGCHLD, SIG_DFL);
  std::vector<char> buf(kMaxRequest + 1);
  for (;;) {
    msghdr m{};
    iovec io{buf.data(), kMaxRequest};
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    alignas(cmsghdr) char ctl[CMSG_SPACE(2 * sizeof(int))];
    m.msg_control = ctl;
    m.msg_controllen = sizeof ctl;
    ssize_t n;
    while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
    }
    if (n <= 0) _exit(0);  // the user is gone
    int fds[2] = {-1, -1};
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(2 * sizeof(int)))
        std::memcpy(fds, CMSG_DATA(c), sizeof fds);
    Request rq{};
    std::vector<char*> argv, env;
    bool ok = fds[0] >= 0 && fds[1] >= 0 && (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0 &&
              static_cast<size_t>(n) >= sizeof rq;
    if (ok) {
      std::memcpy(&rq, buf.data(), sizeof rq);
      buf[static_cast<size_t>(n)] = '\0';
      for (size_t p = sizeof rq; p < static_cast<size_t>(n); p += std::strlen(buf.data() + p) + 1)
        (argv.size() < rq.argc ? argv : env).push_back(buf.data() + p);
      ok = rq.magic == kMagic && rq.argc == argv.size() && rq.envc == env.size() && !argv.empty();
    }
    argv.push_back(nullptr);
    env.push_back(nullptr);
    pid_t pid = ok ? fork() : -1;
    const int err = ok ? errno : EINVAL;
    if (pid == 0) Child(rq, argv, env, fds[0], fds[1], run);
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
    if (pid < 0) {
      if (!SendInt(sock, -err)) _exit(1);
      continue;
    }
    // The user kills the child (time limit, too much output) through a
    // pidfd: a pid alone could name another process once this server has
    // reaped the child.
    const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    const bool sent = pidfd >= 0 && SendInt(sock, static_cast<int32_t>(pid), pidfd);
    if (!sent) {
      if (pidfd >= 0) close(pidfd);
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      if (pidfd < 0 && SendInt(sock, -ENOSYS)) continue;
      _exit(1);
    }
    // Until the child exits; if the user goes away meanwhile (nordpii
    // killed), the child is killed and the server exits: a child that
    // never ends (it sleeps; RLIMIT_CPU counts only work) would otherwise
    // keep itself and this server forever (review).
    for (;;) {
      pollfd p[2] = {{pidfd, POLLIN, 0}, {sock, POLLRDHUP, 0}};
      if (poll(p, 2, -1) < 0 && errno != EINTR) break;
      if (p[0].revents) break;
      if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        _exit(0);
      }
    }
    close(pidfd);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (!SendInt(sock, st)) _exit(1);
  }
}

}  // namespace internal

// A helper's main: `HELPER --zygote` serves (after `warm`), anything else
// runs the helper once.
inline int Main(int argc, char** argv, RunFn run, void (*warm)() = nullptr) {
  if (argc == 2 && std::strcmp(argv[1], "--zygote") == 0) {
    if (warm) warm();
    internal::Serve(0, run);
  }
  return run(argc, argv);
}

}  // namespace nordpii::zygote

#endif  // NORDPII_EXTRACT_ZYGOTE_H_
