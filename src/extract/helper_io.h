// SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-or-later
// File: helper_io.h
//
// The extractor helper programs' side of the pipe protocol (extractor.h):
// the document is read from stdin; the text goes to stdout as
//   "S<loclen> <textlen>\n<loc><text>"   a segment
//   "I<loclen> <len>\n<loc><bytes>"      an image for OCR (scanned page, picture)
//   "F<loclen> <len>\n<loc><bytes>"      a PDF inside the document, for the PDF helper
//   "W0 <len>\n<message>"                 something left unread (the rest is read:
//                                        the document is partly scanned)
//   "N0 <len>\n<pages>"                   a note: PDF pages without a text layer
//                                        left unread because OCR is off ("page 3",
//                                        "pages 2, 5"; never document text)
//   "D\n"                                done
//   "E<len>\n<message>"                  error (exit status 3).
// Test hook NORDPII_EXTRACT_TEST_CRASH: "1" aborts after the input is read,
// "hang" sleeps forever, "linger" closes its output after "D" and then
// sleeps forever instead of exiting (the containment tests). Dual-licensed so the GPL
// PDF helper can include it.
#ifndef NORDPII_EXTRACT_HELPER_IO_H_
#define NORDPII_EXTRACT_HELPER_IO_H_

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace nordpii::helper {

[[noreturn]] inline void Fail(const std::string& msg) {
  std::printf("E%zu\n%s", msg.size(), msg.c_str());
  std::fflush(stdout);
  std::exit(3);
}

inline void Put(char tag, const std::string& loc, const std::string& bytes) {
  std::printf("%c%zu %zu\n", tag, loc.size(), bytes.size());
  std::fwrite(loc.data(), 1, loc.size(), stdout);
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
}

// The end of a helper run: "D" flushed, then the process ends at once. The
// output is complete; nothing else is open but the pipes (no file writes),
// so the parser's data structures are not torn down one free() at a time
// (about a fifth of a small PDF's CPU time went there).
[[noreturn]] inline void Done() {
  std::printf("D\n");
  std::fflush(stdout);
  if (const char* t = std::getenv("NORDPII_EXTRACT_TEST_CRASH"); t && std::strcmp(t, "linger") == 0) {
    close(1);
    for (;;) {  // (nanosleep: the sandbox allows it; pause() would fail and spin)
      timespec t{3600, 0};
      nanosleep(&t, nullptr);
    }
  }
  _exit(std::ferror(stdout) ? 3 : 0);
}

// All of stdin, then the crash/hang test hook.
inline std::string ReadInput() {
  std::string data;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0) Fail("read failed");
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  if (const char* t = std::getenv("NORDPII_EXTRACT_TEST_CRASH"); t && std::strcmp(t, "linger") != 0) {
    if (std::strcmp(t, "hang") == 0)
      for (;;) pause();
    std::abort();
  }
  return data;
}

}  // namespace nordpii::helper

#endif  // NORDPII_EXTRACT_HELPER_IO_H_
