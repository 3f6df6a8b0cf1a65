// SPDX-License-Identifier: Apache-2.0
// The one input module (input/input_format.h): a format decided once, the
// same opened source for every command.
#include <catch2/catch.hpp>

#include "input/input_format.h"
#include "test_util.h"
#include "tickets/ticket_source.h"

using namespace nordpii;

TEST_CASE("input module: a UTF-16 CSV is opened once, recognised, then decoded whole", "[input]") {
  std::string dir = test::TempDir("input", "utf16");
  std::string utf16 = "\xFF\xFE";  // little-endian BOM
  for (char ch : std::string("id,body\n1,fnr 15108695088\n")) utf16 += std::string(1, ch) + '\0';
  test::WriteFile(dir + "/export.csv", utf16);
  auto in = OpenInputStream(dir + "/export.csv", "auto");
  REQUIRE(in);
  CHECK(in->format == InputFormat::kCsv);
  CHECK(in->utf16.utf16);
  CHECK_FALSE(DecodeUtf16(*in, dir + "/export.csv", 4).ok());  // larger than the limit: an error, no partial read
  auto again = OpenInputStream(dir + "/export.csv", "auto");
  REQUIRE(again);
  REQUIRE(DecodeUtf16(*again, dir + "/export.csv", 1 << 20).ok());
  CHECK(*again->decoded == "id,body\n1,fnr 15108695088\n");
  CHECK(again->raw_size == utf16.size());
  char buf[64];
  auto n = again->source->Read(buf, sizeof buf);
  REQUIRE(n);
  CHECK(std::string(buf, *n) == "id,body\n1,fnr 15108695088\n");
  std::filesystem::remove_all(dir);
}

TEST_CASE("input module: ticket formats convert in one place", "[input]") {
  CHECK(IsTicketFormat(InputFormat::kJsonl));
  CHECK(IsTicketFormat(InputFormat::kCsv));
  CHECK_FALSE(IsTicketFormat(InputFormat::kMbox));
  CHECK(ToTicketFormat(InputFormat::kJsonl) == TicketFormat::kJsonl);
  CHECK(ToTicketFormat(InputFormat::kJson) == TicketFormat::kJson);
  CHECK(ToTicketFormat(InputFormat::kCsv) == TicketFormat::kCsv);
  CHECK(DetectFormatOf("x.tar.gz", "") == InputFormat::kArchive);
  CHECK(DetectFormatOf("x", "{\"a\":1}\n") == InputFormat::kJsonl);
}
