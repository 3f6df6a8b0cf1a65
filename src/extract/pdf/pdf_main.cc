// SPDX-License-Identifier: GPL-2.0-or-later
//
// nordpii-extract-pdf: the text of a PDF, one segment per page, for nordpii's
// ExtractDocument (src/extract/extractor.h). A separate program because
// poppler is GPL: this file and the executable are GPL-2.0-or-later, nordpii
// itself (Apache-2.0) only runs it as a child process over a pipe (which is
// also the security boundary: a crash or hang here is an error for one
// attachment). Reads the PDF from stdin, writes
//   "S<loclen> <textlen>\n<loc><text>" per page, then "D\n",
// or "E<len>\n<message>" and exit status 3 (encrypted, damaged, too many pages).
//
// Test hook: NORDPII_EXTRACT_TEST_CRASH=1 aborts after reading the input.
#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

[[noreturn]] void Fail(const std::string& msg) {
  std::printf("E%zu\n%s", msg.size(), msg.c_str());
  std::fflush(stdout);
  std::exit(3);
}

void Quiet(const std::string&, void*) {}  // poppler's messages may quote content

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) Fail("usage: nordpii-extract-pdf pdf MAX_TEXT MAX_UNPACKED MAX_ENTRIES MAX_DEPTH MAX_PAGES");
  size_t max_text = std::strtoull(argv[2], nullptr, 10);
  int max_pages = std::atoi(argv[6]);
  std::vector<char> data;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0) Fail("read failed");
    if (n == 0) break;
    data.insert(data.end(), buf, buf + n);
  }
  if (const char* t = std::getenv("NORDPII_EXTRACT_TEST_CRASH")) {
    if (std::strcmp(t, "hang") == 0) for (;;) pause();
    std::abort();
  }
  poppler::set_debug_error_function(Quiet, nullptr);
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_raw_data(data.data(), static_cast<int>(data.size())));
  if (!doc) Fail("damaged or encrypted PDF (cannot be opened)");
  if (doc->is_locked()) Fail("encrypted PDF");
  int pages = doc->pages();
  if (pages > max_pages) Fail("more pages than the limit");
  size_t total = 0;
  for (int i = 0; i < pages; ++i) {
    std::unique_ptr<poppler::page> p(doc->create_page(i));
    if (!p) continue;
    poppler::byte_array a = p->text().to_utf8();
    std::string text(a.begin(), a.end());
    for (char& c : text)
      if (c == '\f') c = '\n';
    total += text.size() + 1;
    if (total > max_text) Fail("extracted text larger than the limit");
    std::string loc = "page " + std::to_string(i + 1);
    std::printf("S%zu %zu\n", loc.size(), text.size());
    std::fwrite(loc.data(), 1, loc.size(), stdout);
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  std::printf("D\n");
  std::fflush(stdout);
  return 0;
}
