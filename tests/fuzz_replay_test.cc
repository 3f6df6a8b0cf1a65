// SPDX-License-Identifier: Apache-2.0
// Replays fuzzer finds (tests/fuzz/crashes) and seeds through both engines:
// no crash, both engines agree, every byte reaches the sink once.
#include <catch2/catch.hpp>
#include <filesystem>

#include "test_util.h"

using namespace nordpii;
using namespace nordpii::test;

TEST_CASE("fuzzer crash files and seeds replay cleanly", "[fuzz]") {
  auto hs = MakeScanner("hyperscan", 97);
  auto re = MakeScanner("re2", 97);
  int files = 0;
  for (const char* dir : {"/tests/fuzz/crashes", "/tests/fuzz/seeds"}) {
    for (const auto& e : std::filesystem::directory_iterator(SourceDir() + dir)) {
      if (!e.is_regular_file() || e.path().filename() == ".gitkeep") continue;
      std::string data = ReadFile(e.path().string());
      INFO(e.path().string());
      auto a = Scan(hs, data);
      auto b = Scan(re, data);
      REQUIRE(a.size() == b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].type == b[i].type);
        CHECK(a[i].start == b[i].start);
        CHECK(a[i].end <= data.size());
      }
      CHECK(Redact(hs, Redact(hs, data)) == Redact(hs, data));
      ++files;
    }
  }
  CHECK(files >= 6);
}

#include "fuzz/mail_invariants.h"

TEST_CASE("mail fuzzer crash files and seeds replay cleanly", "[fuzz][mail]") {
  auto s = MakeScanner();
  auto ctx = s->NewContext(KeyedHasher("fuzz"));
  MailLimits lim;
  lim.max_depth = 8;
  lim.max_parts = 64;
  lim.max_decoded_bytes = 1 << 20;
  int files = 0;
  for (const char* dir : {"/tests/fuzz/mail_crashes", "/tests/fuzz/mail_seeds"}) {
    for (const auto& e : std::filesystem::directory_iterator(SourceDir() + dir)) {
      if (!e.is_regular_file() || e.path().filename() == ".gitkeep") continue;
      INFO(e.path().string());
      const std::string msg = ReadFile(e.path().string());
      CHECK(CheckMailInvariants(msg, *ctx, lim) == "");
      for (size_t range : {1, 5, 16})
        for (size_t window : {1, 3, 16}) CHECK(CheckStreamedEqualsWhole(msg, *ctx, lim, range, window) == "");
      ++files;
    }
  }
  CHECK(files >= 6);
}

#include "fuzz/ticket_invariants.h"

TEST_CASE("ticket fuzzer crash files and seeds replay cleanly", "[fuzz][tickets]") {
  auto s = MakeScanner();
  auto ctx = s->NewContext(KeyedHasher("fuzz"));
  int files = 0;
  for (const char* dir : {"/tests/fuzz/ticket_crashes", "/tests/fuzz/ticket_seeds"}) {
    for (const auto& e : std::filesystem::directory_iterator(SourceDir() + dir)) {
      if (!e.is_regular_file() || e.path().filename() == ".gitkeep") continue;
      INFO(e.path().string());
      CHECK(CheckTicketInvariants(ReadFile(e.path().string()), *ctx) == "");
      ++files;
    }
  }
  CHECK(files >= 4);
}
