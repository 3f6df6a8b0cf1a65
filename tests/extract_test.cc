// SPDX-License-Identifier: Apache-2.0
// The Extractor seam (src/extract): format detection, the location map, and
// containment of a helper that crashes or hangs (issue 16).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <iterator>
#include <string>
#include <vector>

#include "extract/extractor.h"
#include "extract/office_extract.h"
#include "extract/tnef.h"

using namespace nordpii;

namespace {

// A minimal .docx whose document.xml is `xml` (stored zip, no compression):
// built by hand so the test needs no generator.
std::string StoredZip(const std::string& name, const std::string& data) {
  auto le16 = [](std::string& s, unsigned v) { s += char(v & 0xff), s += char((v >> 8) & 0xff); };
  auto le32 = [&](std::string& s, unsigned v) { le16(s, v & 0xffff), le16(s, v >> 16); };
  unsigned crc = 0xffffffffu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  crc ^= 0xffffffffu;
  std::string z = "PK\3\4";
  le16(z, 20), le16(z, 0), le16(z, 0), le16(z, 0), le16(z, 0), le32(z, crc), le32(z, data.size()),
      le32(z, data.size()), le16(z, name.size()), le16(z, 0);
  z += name + data;
  unsigned cd = z.size();
  z += "PK\1\2";
  le16(z, 20), le16(z, 20), le16(z, 0), le16(z, 0), le16(z, 0), le16(z, 0), le32(z, crc), le32(z, data.size()),
      le32(z, data.size()), le16(z, name.size()), le16(z, 0), le16(z, 0), le16(z, 0), le16(z, 0), le32(z, 0),
      le32(z, 0);
  z += name;
  unsigned cd_size = z.size() - cd;
  z += "PK\5\6";
  le16(z, 0), le16(z, 0), le16(z, 1), le16(z, 1), le32(z, cd_size), le32(z, cd), le16(z, 0);
  return z;
}

const char* kDoc =
    "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>"
    "<w:p><w:r><w:t>Intro</w:t></w:r></w:p>"
    "<w:p><w:r><w:t>Fødselsnummer 151086</w:t></w:r><w:r><w:t>95088</w:t></w:r></w:p>"
    "</w:body></w:document>";

}  // namespace

TEST_CASE("extractor: formats from type, name and magic bytes", "[extract]") {
  CHECK(DetectDocFormat("application/pdf", "", "%PDF-1.4") == DocFormat::kPdf);
  CHECK(DetectDocFormat("application/octet-stream", "Lønn.XLSX", "PK\3\4") == DocFormat::kXlsx);
  CHECK(DetectDocFormat("application/vnd.oasis.opendocument.text", "", "PK\3\4") == DocFormat::kOdt);
  CHECK(DetectDocFormat("application/pdf", "x.pdf", "GIF89a") == DocFormat::kNone);  // bytes disagree: listed
  // A damaged "%PDF-" header is still tried as a PDF (an error if unreadable).
  CHECK(DetectDocFormat("application/pdf", "x.pdf", "%PDX-1.4\n1 0 obj") == DocFormat::kPdf);
  CHECK(DetectDocFormat("", "x.pdf", "%PDX-1.4\n1 0 obj") == DocFormat::kPdf);
  CHECK(DetectDocFormat("image/png", "x.docx", "PK\3\4") == DocFormat::kNone);  // a specific other type wins
  CHECK(DetectDocFormat("application/vnd.ms-excel", "liste.xlsx", "PK\3\4") == DocFormat::kXlsx);  // mislabelled
  const std::string ole("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  CHECK(DetectDocFormat("application/vnd.ms-excel", "liste.xls", ole) == DocFormat::kXls);  // binary .xls
  CHECK(DetectDocFormat("application/vnd.ms-excel", "", ole) == DocFormat::kXls);
  CHECK(DetectDocFormat("application/octet-stream", "Brev.DOC", ole) == DocFormat::kDoc);
  CHECK(DetectDocFormat("application/vnd.ms-powerpoint", "x", ole) == DocFormat::kPpt);
  CHECK(DetectDocFormat("application/msword", "brev.doc", "{\\rtf1") == DocFormat::kNone);  // RTF named .doc: text
  CHECK(DetectDocFormat("application/vnd.ms-excel", "liste.xlsx", ole) == DocFormat::kXlsx);  // encrypted OOXML
  CHECK(DetectDocFormat("", "notes.txt", "") == DocFormat::kNone);
}

TEST_CASE("extractor: images are documents only with OCR, and only with an image signature", "[extract]") {
  const std::string png("\x89PNG\r\n\x1a\n", 8);
  CHECK(DetectDocFormat("image/png", "a.png", png) == DocFormat::kNone);  // --ocr off: listed, as before
  CHECK(DetectDocFormat("image/png", "a.png", png, true) == DocFormat::kImage);
  CHECK(DetectDocFormat("image/jpeg", "", "\xFF\xD8\xFF\xE0", true) == DocFormat::kImage);
  CHECK(DetectDocFormat("", "scan.TIF", std::string("II*\0", 4), true) == DocFormat::kImage);
  CHECK(DetectDocFormat("application/octet-stream", "pass.webp", std::string("RIFF\x10\0\0\0WEBPVP8 ", 16), true) ==
        DocFormat::kImage);
  CHECK(DetectDocFormat("image/webp", "", "RIFF", true) == DocFormat::kNone);  // short head: no signature
  CHECK(DetectDocFormat("", "notes.png", "Personnummer: ", true) == DocFormat::kNone);  // text named .png
  CHECK(DetectDocFormat("image/png", "", "", true) == DocFormat::kImage);               // before the bytes
  CHECK(DetectDocFormat("application/pdf", "x.png", "%PDF-1.4", true) == DocFormat::kPdf);
  CHECK(std::string(DocFormatName(DocFormat::kImage)) == "image");
}

TEST_CASE("extractor: docx runs joined per paragraph, offsets map to the paragraph", "[extract]") {
  auto r = ExtractDocument(StoredZip("word/document.xml", kDoc), DocFormat::kDocx);
  REQUIRE(r);
  size_t at = r->text.find("15108695088");
  REQUIRE(at != std::string::npos);
  CHECK(r->Location(at) == "p2");
  CHECK(r->Location(0) == "p1");
}

TEST_CASE("extractor: a helper that crashes or hangs is an error, not a crash", "[extract]") {
  const std::string doc = StoredZip("word/document.xml", kDoc);
  for (const char* zygote : {"1", "0"}) {  // a start-up server's child, and fork + exec
    INFO("NORDPII_EXTRACT_ZYGOTE=" << zygote);
    setenv("NORDPII_EXTRACT_ZYGOTE", zygote, 1);
    setenv("NORDPII_EXTRACT_TEST_CRASH", "1", 1);
    auto crashed = ExtractDocument(doc, DocFormat::kDocx);
    REQUIRE_FALSE(crashed);
    CHECK(crashed.error().message().find("crashed (signal 6)") != std::string::npos);
    setenv("NORDPII_EXTRACT_TEST_CRASH", "hang", 1);
    ExtractLimits lim;
    lim.timeout_ms = 300;
    auto t0 = std::chrono::steady_clock::now();
    auto hung = ExtractDocument(doc, DocFormat::kDocx, lim);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    unsetenv("NORDPII_EXTRACT_TEST_CRASH");
    REQUIRE_FALSE(hung);
    CHECK(hung.error().message().find("timed out") != std::string::npos);
    CHECK(ms < 3000);
    CHECK(ExtractDocument(doc, DocFormat::kDocx));  // and the next document works
  }
  unsetenv("NORDPII_EXTRACT_ZYGOTE");
}

// closed17: a child that ends its output ("D", stdout closed) and then never
// exits was awaited without a deadline (nordpii hung in waitpid / the
// server's status); now it is killed at the document's deadline, an error.
TEST_CASE("extractor: a helper that never exits after its output is killed at the deadline", "[extract]") {
  const std::string doc = StoredZip("word/document.xml", kDoc);
  for (const char* zygote : {"1", "0"}) {
    INFO("NORDPII_EXTRACT_ZYGOTE=" << zygote);
    setenv("NORDPII_EXTRACT_ZYGOTE", zygote, 1);
    setenv("NORDPII_EXTRACT_TEST_CRASH", "linger", 1);
    ExtractLimits lim;
    lim.timeout_ms = 400;
    auto t0 = std::chrono::steady_clock::now();
    auto r = ExtractDocument(doc, DocFormat::kDocx, lim);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    unsetenv("NORDPII_EXTRACT_TEST_CRASH");
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("timed out") != std::string::npos);
    CHECK(ms < 3000);
    CHECK(ExtractDocument(doc, DocFormat::kDocx));  // and the next document works
  }
  unsetenv("NORDPII_EXTRACT_ZYGOTE");
}

TEST_CASE("extractor: limits on text and input size", "[extract]") {
  ExtractLimits lim;
  lim.max_text = 8;
  auto r = ExtractDocument(StoredZip("word/document.xml", kDoc), DocFormat::kDocx, lim);
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("limit") != std::string::npos);
  lim = ExtractLimits();
  lim.max_input = 10;
  CHECK_FALSE(ExtractDocument(StoredZip("word/document.xml", kDoc), DocFormat::kDocx, lim));
}

TEST_CASE("extractor: a helper that exits without reading is an error, no SIGPIPE", "[extract]") {
  char dir[] = "/tmp/nordpii-extract-test-XXXXXX";
  REQUIRE(mkdtemp(dir));
  const std::string helper = std::string(dir) + "/nordpii-extract";
  FILE* f = std::fopen(helper.c_str(), "w");
  REQUIRE(f);
  std::fputs("#!/bin/sh\nexit 0\n", f);
  std::fclose(f);
  chmod(helper.c_str(), 0755);
  setenv("NORDPII_EXTRACT_DIR", dir, 1);
  std::string big = "PK\3\4" + std::string(8u << 20, 'x');  // far more than a pipe buffer
  auto r = ExtractDocument(big, DocFormat::kXlsx);
  unsetenv("NORDPII_EXTRACT_DIR");
  std::remove(helper.c_str());
  rmdir(dir);
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("truncated") != std::string::npos);
}

#include <filesystem>
#include <fstream>
#include <sstream>

#include "extract/office_extract.h"
#include "fuzz/office_input.h"

TEST_CASE("office fuzzer crash files and seeds replay cleanly", "[extract][fuzz]") {
  size_t files = 0, extracted = 0;
  for (const char* dir : {"/tests/fuzz/office_crashes", "/tests/fuzz/office_seeds"}) {
    for (const auto& e : std::filesystem::directory_iterator(std::string(NORDPII_SOURCE_DIR) + dir)) {
      if (e.path().filename().string()[0] == '.') continue;
      std::ifstream f(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      auto [fmt, doc] = test::OfficeInput(ss.str());
      office::Limits lim;
      lim.max_text = 1 << 20;
      std::string text;
      ++files;
      try {
        office::Extract(fmt, doc, lim, [&](const std::string&, const std::string& t) { text += t + "\n"; });
        ++extracted;
      } catch (const office::Failure&) {
      }
      CHECK(text.size() <= lim.max_text);
    }
  }
  CHECK(files >= 8);
  CHECK(extracted >= 8);  // every seed is a valid document
}

TEST_CASE("office extractor: a docx text box is its own paragraph, its VML fallback copy is skipped", "[extract]") {
  const std::string doc =
      "<w:document xmlns:w=\"w\" xmlns:mc=\"mc\"><w:body><w:p><w:r><w:t>Before </w:t></w:r><w:r>"
      "<mc:AlternateContent><mc:Choice><w:txbxContent><w:p><w:r><w:t>Box 151086</w:t></w:r><w:r><w:t>95088</w:t>"
      "</w:r></w:p></w:txbxContent></mc:Choice><mc:Fallback><w:txbxContent><w:p><w:r><w:t>Box 15108695088</w:t>"
      "</w:r></w:p></w:txbxContent></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t>after</w:t></w:r></w:p>"
      "</w:body></w:document>";
  std::vector<std::pair<std::string, std::string>> segs;
  office::Extract("docx", test::StoredZip({{"word/document.xml", doc}}), office::Limits(),
                  [&](const std::string& loc, const std::string& t) { segs.emplace_back(loc, t); });
  REQUIRE(segs.size() == 2);
  CHECK(segs[0] == std::make_pair(std::string("p1"), std::string("Box 15108695088")));
  CHECK(segs[1] == std::make_pair(std::string("p2"), std::string("Before after")));
}

TEST_CASE("extractor: every helper parses inside a seccomp sandbox (no open, socket or exec)", "[extract]") {
  // A minimal valid PDF (poppler rebuilds the cross-reference table) and a
  // 1x1 grey image: enough for each helper to reach its parser.
  const std::string pdf =
      "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
      "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
      "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >> endobj\n"
      "trailer << /Root 1 0 R >>\n%%EOF\n";
  const std::string pgm = std::string("P5\n1 1\n255\n") + '\xff';
  struct Case {
    DocFormat f;
    std::string bytes;
  } cases[] = {{DocFormat::kDocx, StoredZip("word/document.xml", kDoc)}, {DocFormat::kPdf, pdf}};
  std::vector<Case> all(std::begin(cases), std::end(cases));
  ExtractLimits lim;
  lim.ocr_languages = "eng";
  if (!ExtractHelperPath(DocFormat::kImage).empty()) all.push_back({DocFormat::kImage, pgm});
  setenv("NORDPII_EXTRACT_TEST_SANDBOX", "1", 1);
  const char* key = std::getenv("NORDPII_KEY");
  const std::string saved_key = key ? key : "";
  setenv("NORDPII_KEY", "test-key-the-helpers-must-not-see", 1);
  for (const char* zygote : {"1", "0"}) {  // a start-up server's child, and fork + exec
    setenv("NORDPII_EXTRACT_ZYGOTE", zygote, 1);
    for (const auto& c : all) {
      INFO(DocFormatName(c.f) << ", NORDPII_EXTRACT_ZYGOTE=" << zygote);
      auto r = ExtractDocument(c.bytes, c.f, lim);
      REQUIRE(r);
      CHECK(r->text.find("open=denied socket=denied exec=denied signal=denied") != std::string::npos);
      CHECK(r->text.find("key=absent") != std::string::npos);  // NORDPII_KEY is not passed on
      CHECK(r->Location(0) == "sandbox");
    }
  }
  if (key) setenv("NORDPII_KEY", saved_key.c_str(), 1);
  else unsetenv("NORDPII_KEY");
  unsetenv("NORDPII_EXTRACT_ZYGOTE");
  unsetenv("NORDPII_EXTRACT_TEST_SANDBOX");
}

namespace {
// This process's live children started as `HELPER --zygote`: (pid, helper
// file name). A killed one not yet reaped has no command line: not listed.
std::vector<std::pair<pid_t, std::string>> ZygoteChildren() {
  std::vector<std::pair<pid_t, std::string>> out;
  const std::string self = std::to_string(getpid());
  std::FILE* f = std::fopen(("/proc/" + self + "/task/" + self + "/children").c_str(), "r");
  if (!f) return out;
  long pid;
  while (std::fscanf(f, "%ld", &pid) == 1) {
    std::FILE* c = std::fopen(("/proc/" + std::to_string(pid) + "/cmdline").c_str(), "r");
    if (!c) continue;
    char buf[4096];
    size_t n = std::fread(buf, 1, sizeof buf, c);
    std::fclose(c);
    const std::string cmd(buf, n);
    const size_t z = cmd.find(std::string(1, '\0') + "--zygote");
    if (z == std::string::npos) continue;
    const std::string exe = cmd.substr(0, z);
    out.emplace_back(static_cast<pid_t>(pid), exe.substr(exe.rfind('/') + 1));
  }
  std::fclose(f);
  return out;
}
size_t Count(const std::vector<std::pair<pid_t, std::string>>& v, const std::string& helper) {
  return static_cast<size_t>(std::count_if(v.begin(), v.end(), [&](const auto& p) { return p.second == helper; }));
}
}  // namespace

TEST_CASE("extractor: documents are read by a start-up server's children, the same as by fork + exec",
          "[extract]") {
  const std::string pdf =
      "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
      "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
      "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R"
      " /Resources << /Font << /F1 5 0 R >> >> >> endobj\n"
      "4 0 obj << /Length 44 >> stream\nBT /F1 9 Tf 10 50 Td (fnr 15108695088) Tj ET\nendstream endobj\n"
      "5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n"
      "trailer << /Root 1 0 R >>\n%%EOF\n";
  const std::string docx = StoredZip("word/document.xml", kDoc);
  const bool have_pdf = !ExtractHelperPath(DocFormat::kPdf).empty();
  auto text_of = [&](const std::string& bytes, DocFormat f) {
    auto r = ExtractDocument(bytes, f);
    REQUIRE(r);
    std::string all = r->text;
    for (const auto& s : r->segments) all += "|" + s.loc;
    return all;
  };
  for (const auto& z : ZygoteChildren()) kill(z.first, SIGKILL);  // earlier tests' servers
  setenv("NORDPII_EXTRACT_ZYGOTE", "0", 1);
  const std::string docx_exec = text_of(docx, DocFormat::kDocx);
  const std::string pdf_exec = have_pdf ? text_of(pdf, DocFormat::kPdf) : "";
  CHECK(ZygoteChildren().empty());  // off: none started
  unsetenv("NORDPII_EXTRACT_ZYGOTE");
  if (have_pdf) CHECK(pdf_exec.find("15108695088") != std::string::npos);
  // Servers killed from outside (here: the ones of earlier tests) are
  // dropped and the document read by fork + exec; the next starts a new one.
  for (int round = 0; round < 2; ++round) {
    INFO("round " << round);
    for (int k = 0; k < 3; ++k) {
      CHECK(text_of(docx, DocFormat::kDocx) == docx_exec);
      if (have_pdf) CHECK(text_of(pdf, DocFormat::kPdf) == pdf_exec);
    }
    const auto servers = ZygoteChildren();
    CHECK(Count(servers, "nordpii-extract") == 1);  // one per helper, not one per document
    CHECK(Count(servers, "nordpii-extract-pdf") == (have_pdf ? 1u : 0u));
    for (const auto& z : servers) kill(z.first, SIGKILL);
  }
}

TEST_CASE("extractor: a start-up server of a helper file replaced since is retired", "[extract]") {
  const std::string src = ExtractHelperPath(DocFormat::kDocx);
  REQUIRE_FALSE(src.empty());
  char tmpl[] = "/tmp/nordpii-zygote-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl, copy = dir + "/nordpii-extract";
  REQUIRE(std::system(("cp '" + src + "' '" + copy + "'").c_str()) == 0);
  setenv("NORDPII_EXTRACT_DIR", dir.c_str(), 1);
  const std::string docx = StoredZip("word/document.xml", kDoc);
  for (const auto& z : ZygoteChildren()) kill(z.first, SIGKILL);
  for (int k = 0; k < 3; ++k) (void)ExtractDocument(docx, DocFormat::kDocx);  // dead servers dropped, one started
  auto servers = ZygoteChildren();
  REQUIRE(Count(servers, "nordpii-extract") == 1);
  const pid_t first = servers[0].first;
  // "Upgraded": a new file at the same path (new inode and time).
  REQUIRE(std::system(("cp '" + src + "' '" + copy + ".new' && mv '" + copy + ".new' '" + copy + "'").c_str()) == 0);
  REQUIRE(ExtractDocument(docx, DocFormat::kDocx));
  servers = ZygoteChildren();
  CHECK(Count(servers, "nordpii-extract") == 1);
  CHECK(servers[0].first != first);
  CHECK(kill(first, 0) != 0);  // killed and reaped
  unsetenv("NORDPII_EXTRACT_DIR");
  for (const auto& z : servers) kill(z.first, SIGKILL);
  std::system(("rm -rf '" + dir + "'").c_str());
}

// Review 17 of the start-up servers (zygote.h).
TEST_CASE("extractor: a server whose child crashed or was killed is retired, the next one is a fresh exec",
          "[extract][zygote]") {
  // Every child of one server shares its address layout and stack canary: a
  // sender who sees crashes (a milter's tempfail) could guess them byte by
  // byte if the server outlived its crashed children.
  const std::string docx = StoredZip("word/document.xml", kDoc);
  for (const auto& z : ZygoteChildren()) kill(z.first, SIGKILL);
  for (int k = 0; k < 2; ++k) (void)ExtractDocument(docx, DocFormat::kDocx);  // dead servers dropped, one started
  auto servers = ZygoteChildren();
  REQUIRE(Count(servers, "nordpii-extract") == 1);
  pid_t server = servers[0].first;
  setenv("NORDPII_EXTRACT_TEST_CRASH", "1", 1);
  auto crashed = ExtractDocument(docx, DocFormat::kDocx);
  unsetenv("NORDPII_EXTRACT_TEST_CRASH");
  REQUIRE_FALSE(crashed);
  CHECK(crashed.error().message().find("crashed (signal 6)") != std::string::npos);
  CHECK(kill(server, 0) != 0);  // retired (killed and reaped)
  REQUIRE(ExtractDocument(docx, DocFormat::kDocx));
  servers = ZygoteChildren();
  REQUIRE(Count(servers, "nordpii-extract") == 1);
  CHECK(servers[0].first != server);
  server = servers[0].first;
  setenv("NORDPII_EXTRACT_TEST_CRASH", "hang", 1);
  ExtractLimits lim;
  lim.timeout_ms = 300;
  auto hung = ExtractDocument(docx, DocFormat::kDocx, lim);
  unsetenv("NORDPII_EXTRACT_TEST_CRASH");
  REQUIRE_FALSE(hung);
  CHECK(kill(server, 0) != 0);  // killed for its time: retired too
  // An ordinary failure (exit 3, a damaged file) keeps the server.
  REQUIRE(ExtractDocument(docx, DocFormat::kDocx));
  server = ZygoteChildren().at(0).first;
  CHECK_FALSE(ExtractDocument("PK\3\4 not a zip", DocFormat::kDocx));
  CHECK(kill(server, 0) == 0);
  for (const auto& z : ZygoteChildren()) kill(z.first, SIGKILL);
}

TEST_CASE("extractor: a server started while SIGCHLD is ignored still reports a crashed child",
          "[extract][zygote]") {
  const std::string docx = StoredZip("word/document.xml", kDoc);
  for (const auto& z : ZygoteChildren()) kill(z.first, SIGKILL);
  // Started by a parent that ignores SIGCHLD: the server inherits it (exec keeps SIG_IGN).
  struct sigaction ign {}, old {};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGCHLD, &ign, &old);
  for (int k = 0; k < 3; ++k) (void)ExtractDocument(docx, DocFormat::kDocx);  // killed ones dropped, one started
  const bool started = Count(ZygoteChildren(), "nordpii-extract") == 1;
  setenv("NORDPII_EXTRACT_TEST_CRASH", "1", 1);
  auto crashed = ExtractDocument(docx, DocFormat::kDocx);
  unsetenv("NORDPII_EXTRACT_TEST_CRASH");
  sigaction(SIGCHLD, &old, nullptr);
  CHECK(started);
  REQUIRE_FALSE(crashed);
  CHECK(crashed.error().message().find("crashed (signal 6)") != std::string::npos);
  for (const auto& z : ZygoteChildren()) kill(z.first, SIGKILL);
}

TEST_CASE("extractor: a document whose server failed after its request is read by fork + exec on new pipes",
          "[extract][zygote]") {
  // No descriptor left for the pidfd (EMFILE): the server's child is forked
  // but cannot be controlled; it must not share the document's pipes with
  // the fork + exec that reads it instead.
  const std::string docx = StoredZip("word/document.xml", kDoc);
  for (int k = 0; k < 2; ++k) REQUIRE(ExtractDocument(docx, DocFormat::kDocx));  // dead servers dropped, one up
  REQUIRE(Count(ZygoteChildren(), "nordpii-extract") == 1);
  std::vector<int> held;
  for (int fd; (fd = dup(2)) >= 0;) held.push_back(fd);
  for (int k = 0; k < 4 && !held.empty(); ++k) close(held.back()), held.pop_back();  // room for two pipes only
  auto r = ExtractDocument(docx, DocFormat::kDocx);
  for (int fd : held) close(fd);
  REQUIRE(r);
  CHECK(r->text.find("15108695088") != std::string::npos);
  for (const auto& z : ZygoteChildren()) kill(z.first, SIGKILL);
}

TEST_CASE("extractor: an environment too large for a server leaves the server alone", "[extract][zygote]") {
  const std::string docx = StoredZip("word/document.xml", kDoc);
  for (int k = 0; k < 2; ++k) (void)ExtractDocument(docx, DocFormat::kDocx);
  auto servers = ZygoteChildren();
  REQUIRE(Count(servers, "nordpii-extract") == 1);
  const pid_t server = servers[0].first;
  setenv("NORDPII_REVIEW_LARGE", std::string(70000, 'x').c_str(), 1);  // request over 64 KiB
  auto r = ExtractDocument(docx, DocFormat::kDocx);
  unsetenv("NORDPII_REVIEW_LARGE");
  REQUIRE(r);  // read by fork + exec
  CHECK(kill(server, 0) == 0);  // the server not killed for it
  REQUIRE(ExtractDocument(docx, DocFormat::kDocx));
  servers = ZygoteChildren();
  CHECK(Count(servers, "nordpii-extract") == 1);
  CHECK((!servers.empty() && servers[0].first == server));
  for (const auto& z : servers) kill(z.first, SIGKILL);
}

TEST_CASE("extractor: a helper that cannot serve is not started as a server for every document",
          "[extract][zygote]") {
  // A helper older than `--zygote` (or no pidfd_open): its server dies at
  // once; after a few tries the documents go by fork + exec only.
  const std::string src = ExtractHelperPath(DocFormat::kDocx);
  REQUIRE_FALSE(src.empty());
  char tmpl[] = "/tmp/nordpii-zygote-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl, helper = dir + "/nordpii-extract", log = dir + "/zygote.log";
  {
    std::FILE* f = std::fopen(helper.c_str(), "w");
    REQUIRE(f);
    std::fprintf(f, "#!/bin/sh\nif [ \"$1\" = --zygote ]; then echo started >> '%s'; exit 3; fi\nexec '%s' \"$@\"\n",
                 log.c_str(), src.c_str());
    std::fclose(f);
  }
  REQUIRE(chmod(helper.c_str(), 0755) == 0);
  setenv("NORDPII_EXTRACT_DIR", dir.c_str(), 1);
  const std::string docx = StoredZip("word/document.xml", kDoc);
  for (int k = 0; k < 10; ++k) {
    auto r = ExtractDocument(docx, DocFormat::kDocx);
    REQUIRE(r);
    CHECK(r->text.find("15108695088") != std::string::npos);
  }
  unsetenv("NORDPII_EXTRACT_DIR");
  int started = 0;
  if (std::FILE* f = std::fopen(log.c_str(), "r")) {
    for (int c; (c = std::fgetc(f)) != EOF;) started += c == '\n';
    std::fclose(f);
  }
  CHECK(started == 3);
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST_CASE("extractor: a server whose user is killed while its child hangs kills the child and exits",
          "[extract][zygote]") {
  // nordpii killed (SIGKILL, OOM) while a document's child sleeps: nothing
  // would end the child (RLIMIT_CPU counts only work), nor its server.
  REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);  // orphans come back to this process
  const std::string docx = StoredZip("word/document.xml", kDoc);
  const pid_t user = fork();
  REQUIRE(user >= 0);
  if (user == 0) {
    setenv("NORDPII_EXTRACT_TEST_CRASH", "hang", 1);
    ExtractLimits lim;
    lim.timeout_ms = 60000;
    (void)ExtractDocument(docx, DocFormat::kDocx, lim);
    _exit(0);
  }
  auto children_of = [](pid_t p) {
    std::vector<pid_t> out;
    std::FILE* f = std::fopen(("/proc/" + std::to_string(p) + "/task/" + std::to_string(p) + "/children").c_str(), "r");
    if (!f) return out;
    for (long c; std::fscanf(f, "%ld", &c) == 1;) out.push_back(static_cast<pid_t>(c));
    std::fclose(f);
    return out;
  };
  pid_t server = -1, child = -1;
  for (int k = 0; k < 500 && child < 0; ++k) {  // up to 10 s until the child runs
    for (pid_t s : children_of(user))
      for (pid_t c : children_of(s)) server = s, child = c;
    if (child < 0) usleep(20000);
  }
  kill(user, SIGKILL);
  waitpid(user, nullptr, 0);
  REQUIRE(child > 0);
  // Both come back here (the subreaper) and must end on their own.
  bool server_gone = false, child_gone = false;
  for (int k = 0; k < 250 && !(server_gone && child_gone); ++k) {  // up to 5 s
    // Reaped here, or by its server (then no such process).
    auto gone = [](pid_t p) { return waitpid(p, nullptr, WNOHANG) == p || kill(p, 0) != 0; };
    server_gone = server_gone || gone(server);
    child_gone = child_gone || gone(child);
    if (!(server_gone && child_gone)) usleep(20000);
  }
  CHECK(server_gone);
  CHECK(child_gone);
  if (!child_gone) kill(child, SIGKILL);
  if (!server_gone) waitpid(server, nullptr, 0);
  waitpid(child, nullptr, WNOHANG);
  REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 0) == 0);
}

// PDFs on which poppler once looped (a FreeText annotation without an
// appearance stream made poppler build one for minutes): the helper takes
// such annotations off before poppler draws the page
// (pdf::WithoutGeneratedAppearances), so each is read well within the
// helper's time and CPU limits instead of ending as a timeout or SIGXCPU.
TEST_CASE("pdf fuzzer finds replay through the PDF helper without a timeout", "[extract][fuzz]") {
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(NORDPII_SOURCE_DIR) + "/tests/fuzz/pdf_crashes")) {
    if (e.path().filename().string()[0] == '.') continue;
    std::ifstream f(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    ExtractLimits lim;
    lim.timeout_ms = 20000;
    auto r = ExtractDocument(ss.str(), DocFormat::kPdf, lim);
    ++files;
    INFO(e.path().filename().string());
    if (!r) {  // refusing a damaged PDF is fine; running out of time or CPU is not
      CHECK(r.error().message().find("timed out") == std::string::npos);
      CHECK(r.error().message().find("crashed") == std::string::npos);
    }
  }
  CHECK(files >= 1);
}

TEST_CASE("extractor: a full pool of start-up servers gives an idle one's place to another helper",
          "[extract][zygote]") {
  if (ExtractHelperPath(DocFormat::kPdf).empty()) return;  // needs two helpers
  const std::string pdf =
      "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
      "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
      "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >> endobj\n"
      "trailer << /Root 1 0 R >>\n%%EOF\n";
  const std::string docx = StoredZip("word/document.xml", kDoc);
  EndIdleExtractServers();  // earlier tests' servers
  setenv("NORDPII_EXTRACT_ZYGOTE_MAX", "1", 1);
  REQUIRE(ExtractDocument(docx, DocFormat::kDocx));
  REQUIRE(Count(ZygoteChildren(), "nordpii-extract") == 1);
  REQUIRE(ExtractDocument(pdf, DocFormat::kPdf));
  const auto servers = ZygoteChildren();
  CHECK(Count(servers, "nordpii-extract-pdf") == 1);  // the idle DOCX server made room
  CHECK(Count(servers, "nordpii-extract") == 0);
  unsetenv("NORDPII_EXTRACT_ZYGOTE_MAX");
  for (const auto& z : servers) kill(z.first, SIGKILL);
}

namespace {

// A TNEF attribute: level, id, length, data, checksum (MS-OXTNEF 2.1.3).
std::string TnefAttr(int level, uint32_t id, const std::string& data) {
  std::string a(1, static_cast<char>(level));
  for (int k = 0; k < 4; ++k) a += static_cast<char>((id >> (8 * k)) & 0xFF);
  for (int k = 0; k < 4; ++k) a += static_cast<char>((data.size() >> (8 * k)) & 0xFF);
  unsigned sum = 0;
  for (unsigned char c : data) sum += c;
  return a + data + static_cast<char>(sum & 0xFF) + static_cast<char>((sum >> 8) & 0xFF);
}

// The example of MS-OXRTFCP 3.1.1 (and 4.1): 43 bytes of RTF as LZFu.
const std::string kLzfuExample = [] {
  const unsigned char b[] = {0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1,
                             0xc5, 0xc7, 0xa7, 0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32,
                             0x35, 0x42, 0x32, 0x0a, 0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62,
                             0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f, 0xa0};
  return std::string(reinterpret_cast<const char*>(b), sizeof b);
}();

}  // namespace

TEST_CASE("tnef: LZFu decompresses the specification's example, CRC and sizes checked", "[extract][tnef]") {
  CHECK(tnef::DecompressRtf(kLzfuExample, 1 << 20) == "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n");
  CHECK(tnef::RtfCrc(kLzfuExample.substr(16)) == 0xA7C7C5F1u);
  std::string bad = kLzfuExample;
  bad[22] ^= 1;  // a literal byte (p -> q): the size holds, the CRC no longer matches
  CHECK_THROWS_AS(tnef::DecompressRtf(bad, 1 << 20), office::Failure);
  std::string size = kLzfuExample;
  size[4] = 0x2c;  // RAWSIZE one more than the data gives
  CHECK_THROWS_AS(tnef::DecompressRtf(size, 1 << 20), office::Failure);
  size[4] = 0x2a;  // one less
  CHECK_THROWS_AS(tnef::DecompressRtf(size, 1 << 20), office::Failure);
  CHECK_THROWS_AS(tnef::DecompressRtf(kLzfuExample, 42), office::Failure);  // over the limit
  CHECK_THROWS_AS(tnef::DecompressRtf(kLzfuExample.substr(0, 40), 1 << 20), office::Failure);  // cut short
  const std::string mela = std::string("\x11\0\0\0\x05\0\0\0MELA\0\0\0\0", 16) + "{\\rtf";
  CHECK(tnef::DecompressRtf(mela, 1 << 20) == "{\\rtf");
}

TEST_CASE("tnef: recognised by type, name and signature, and read in the helper", "[extract][tnef]") {
  const std::string sig("\x78\x9F\x3E\x22", 4);
  CHECK(DetectDocFormat("application/ms-tnef", "winmail.dat", sig) == DocFormat::kTnef);
  CHECK(DetectDocFormat("application/vnd.ms-tnef", "", sig) == DocFormat::kTnef);
  CHECK(DetectDocFormat("application/octet-stream", "WINMAIL.DAT", "") == DocFormat::kTnef);
  CHECK(DetectDocFormat("application/ms-tnef", "winmail.dat", "PK\3\4") == DocFormat::kNone);  // bytes disagree
  CHECK(DetectDocFormat("application/pdf", "x.pdf", sig) == DocFormat::kNone);  // a TNEF stream claimed as PDF:
  CHECK(SniffDocFormat(sig) == DocFormat::kTnef);                                // sniffed as TNEF instead
  CHECK(SniffDocumentBytes(sig, true) == DocFormat::kTnef);
  CHECK(std::string(DocFormatName(DocFormat::kTnef)) == "tnef");
  // A stream with the example RTF as PR_RTF_COMPRESSED (0x1009) and a subject.
  std::string props("\x01\0\0\0\x02\x01\x09\x10\x01\0\0\0", 12);
  props += static_cast<char>(kLzfuExample.size());
  props += std::string(3, '\0') + kLzfuExample + std::string(3, '\0');  // padded to 4
  std::string t = sig + std::string("\x01\x00", 2) + TnefAttr(1, 0x00089006, std::string("\0\0\x01\0", 4)) +
                  TnefAttr(1, 0x00018004, std::string("Emne 151086 95088\0", 18)) + TnefAttr(1, 0x00069003, props);
  auto r = ExtractDocument(t, DocFormat::kTnef);
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r);
  CHECK(r->Location(r->text.find("hello world")) == "rtf");
  CHECK(r->Location(r->text.find("151086 95088")) == "subject");
  t[t.size() - 1] ^= 1;  // the last attribute's checksum
  auto bad = ExtractDocument(t, DocFormat::kTnef);
  REQUIRE(!bad);
  CHECK(bad.error().message().find("checksum") != std::string::npos);
  auto cut = ExtractDocument(t.substr(0, t.size() - 30), DocFormat::kTnef);
  CHECK(!cut);
}
