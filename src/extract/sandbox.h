// SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-or-later
// File: sandbox.h
//
// The seccomp filter every extractor helper (nordpii-extract,
// nordpii-extract-pdf, nordpii-extract-ocr) enters once it has read its input
// and opened what it needs (Tesseract's language data), before it parses a
// byte of the document: from then on only computing, memory, reading stdin,
// writing stdout and exiting are allowed. Every other system call fails with
// EPERM (not a kill: a library that probes a file or a thread gets an error
// it handles), so a parser bug that an attacker turns into code execution
// cannot open a file, connect, execute a program or signal another process.
// no_new_privs is set by seccomp_load. With the rlimits and the closed
// descriptors set by ExtractDocument (extractor.cc) this is the sandbox.
// Dual-licensed so the GPL PDF helper can include it. Uses libseccomp
// (LGPL-2.1, Debian libseccomp-dev).
#ifndef NORDPII_EXTRACT_SANDBOX_H_
#define NORDPII_EXTRACT_SANDBOX_H_

#include <fcntl.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <string>

namespace nordpii::sandbox {

// The parent's pid when the filter was entered (Probe signals it).
inline pid_t& ProbeParent() {
  static pid_t parent = 0;
  return parent;
}

// True when the filter is in place. NORDPII_EXTRACT_NO_SECCOMP=1 skips it
// (a kernel without seccomp) and returns true.
inline bool Enter() {
  if (const char* off = std::getenv("NORDPII_EXTRACT_NO_SECCOMP"); off && std::string(off) == "1") return true;
  tzset();  // /etc/localtime, read now (libarchive converts zip times to local time)
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (!ctx) return false;
  static const int kAllowed[] = {
      SCMP_SYS(read),          SCMP_SYS(write),           SCMP_SYS(readv),         SCMP_SYS(writev),
      SCMP_SYS(pread64),       SCMP_SYS(close),           SCMP_SYS(fstat),         SCMP_SYS(newfstatat),
      SCMP_SYS(lseek),         SCMP_SYS(brk),             SCMP_SYS(mmap),          SCMP_SYS(munmap),
      SCMP_SYS(mremap),        SCMP_SYS(mprotect),        SCMP_SYS(madvise),       SCMP_SYS(futex),
      SCMP_SYS(rt_sigaction),  SCMP_SYS(rt_sigprocmask),  SCMP_SYS(rt_sigreturn),  SCMP_SYS(sigaltstack),
      SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),     SCMP_SYS(gettimeofday),
      SCMP_SYS(getpid),        SCMP_SYS(gettid),          SCMP_SYS(getrandom),     SCMP_SYS(sched_yield),
      SCMP_SYS(sched_getaffinity), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),      SCMP_SYS(getrusage),
      SCMP_SYS(exit),          SCMP_SYS(exit_group),
  };
  bool ok = true;
  for (int sc : kAllowed) ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sc, 0) == 0;
  // tgkill for abort()/raise() on our own threads only: allowed for any pid it
  // let a parser signal nordpii, a start-up server or another document's
  // helper (review: kill(2) was denied, tgkill(pid, pid, SIGKILL) was not).
  ProbeParent() = getppid();
  ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                              SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(getpid()))) == 0;
  ok = ok && seccomp_load(ctx) == 0;
  seccomp_release(ctx);
  return ok;
}

// Test hook (NORDPII_EXTRACT_TEST_SANDBOX=1): what a parser could still do,
// e.g. "open=denied socket=denied exec=denied".
inline std::string Probe() {
  auto word = [](bool denied) { return denied ? "denied" : "allowed"; };
  int fd = open("/etc/hostname", O_RDONLY);
  const bool open_denied = fd < 0 && errno == EPERM;
  if (fd >= 0) close(fd);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  const bool socket_denied = s < 0 && errno == EPERM;
  if (s >= 0) close(s);
  char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
  const bool exec_denied = execv("/bin/true", argv) < 0 && errno == EPERM;
  // Signal 0 to the parent (a process of the same user): only checks.
  const pid_t parent = ProbeParent();
  const bool signal_denied = parent > 0 && syscall(SYS_tgkill, parent, parent, 0) < 0 && errno == EPERM;
  return std::string("open=") + word(open_denied) + " socket=" + word(socket_denied) + " exec=" + word(exec_denied) +
         " signal=" + word(signal_denied) + " key=" + (std::getenv("NORDPII_KEY") ? "present" : "absent");
}

}  // namespace nordpii::sandbox

#endif  // NORDPII_EXTRACT_SANDBOX_H_
