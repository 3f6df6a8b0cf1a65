// SPDX-License-Identifier: Apache-2.0
// File: test_util.h — helpers shared by the Catch2 tests.
#ifndef NORDPII_TESTS_TEST_UTIL_H_
#define NORDPII_TESTS_TEST_UTIL_H_

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "output/redactor.h"
#include "output/report_sink.h"
#include "pipeline/scanner.h"

namespace nordpii::test {

inline std::string SourceDir() { return NORDPII_SOURCE_DIR; }

#ifdef NORDPII_BINARY
// Runs the nordpii binary with `args` (a shell command line, run from the
// test's working directory) and the sample key; stdout and stderr together.
struct Run {
  int code;
  std::string out;
};
// `env` is put before the command: "NAME=value ..." for one run.
inline Run Exec(const std::string& args, const std::string& env = "") {
  // SOURCE_DATE_EPOCH: batch reports name the run's time; fixed, two runs
  // can be compared byte for byte.
  std::string cmd = "NORDPII_KEY=sample-key SOURCE_DATE_EPOCH=1764547200 " + env + " " + NORDPII_BINARY + " " + args + " 2>&1";
  Run r{0, ""};
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}
#endif

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh directory for one test case: /tmp/nordpii-<prefix>-<name>-<pid>.
inline std::string TempDir(const std::string& prefix, const std::string& name) {
  std::string d = "/tmp/nordpii-" + prefix + "-" + name + "-" + std::to_string(getpid());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

// Writes `bytes` to `path`, creating its directory.
inline void WriteFile(const std::string& path, const std::string& bytes) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::ofstream(path, std::ios::binary) << bytes;
}

// Runs a bash script in `dir` with $N = the nordpii binary and the sample
// key; stdout and stderr together.
inline Run Bash(const std::string& dir, const std::string& script) {
  WriteFile(dir + "/script.sh", "set -u\ncd '" + dir + "'\nN='" + std::string(NORDPII_BINARY) + "'\n" + script);
  std::string cmd = "NORDPII_KEY=sample-key /bin/bash '" + dir + "/script.sh' 2>&1";
  Run r{0, ""};
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::shared_ptr<const Scanner> MakeScanner(const std::string& engine = "auto",
                                                  size_t chunk = 1 << 20) {
  ScannerOptions opt;
  opt.patterns_dir = SourceDir() + "/patterns";
  opt.engine = engine;
  opt.limits.chunk_bytes = chunk;
  auto s = Scanner::Create(opt);
  if (!s) throw std::runtime_error(s.error().message());
  return *s;
}

struct Collected : StreamSink {
  std::vector<Finding> findings;
  std::vector<std::string> raws;
  bool OnFinding(const Finding& f, std::string_view raw) override {
    findings.push_back(f);
    raws.emplace_back(raw);
    return true;
  }
};

inline std::vector<Finding> Scan(const std::shared_ptr<const Scanner>& s, std::string_view text,
                                 const FindingFilter& filter = {}) {
  auto ctx = s->NewContext(KeyedHasher("test-key"));
  Collected c;
  auto src = StringSource(text);
  Status st = ctx->Scan(*src, filter, c);
  if (!st.ok()) throw std::runtime_error(st.message());
  return c.findings;
}

inline std::string Redact(const std::shared_ptr<const Scanner>& s, std::string_view text,
                          RedactStyle style = RedactStyle::kLabel) {
  FindingFilter filter;
  filter.categories = {"national-id", "financial", "credential"};
  char tmpl[] = "/tmp/nordpii-test-XXXXXX";
  int fd = mkstemp(tmpl);
  close(fd);
  std::string path = tmpl;
  {
    auto out = OutputFile::Open(path);
    if (!out) throw std::runtime_error(out.error().message());
    Redactor red(**out, style);
    auto ctx = s->NewContext(KeyedHasher("test-key"));
    auto src = StringSource(text);
    if (Status st = ctx->Scan(*src, filter, red); !st.ok()) throw std::runtime_error(st.message());
    if (Status st = (*out)->Commit(); !st.ok()) throw std::runtime_error(st.message());
  }
  std::string r = ReadFile(path);
  std::remove(path.c_str());
  return r;
}

inline bool HasType(const std::vector<Finding>& fs, const std::string& prefix) {
  for (const auto& f : fs)
    if (f.type.rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace nordpii::test

#endif  // NORDPII_TESTS_TEST_UTIL_H_
