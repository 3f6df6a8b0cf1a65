#include <catch2/catch.hpp>

#include "core/finding.h"
#include "core/keyed_hash.h"
#include "core/offset_map.h"
#include "detect/plugin_registry.h"
#include "output/report_sink.h"

using namespace nordpii;

TEST_CASE("offset map snaps inside replacements and shifts after them", "[core][offset_map]") {
  OffsetMap m;
  // src: "ab" + 3-byte char at 2..5 (-> 1 byte at 2), "cd", deleted 3 bytes at 7..10, "e"
  m.Add(2, 3, 2, 5);
  m.Add(5, 5, 7, 10);
  CHECK(m.Start(0) == 0);
  CHECK(m.Start(2) == 2);
  CHECK(m.End(3) == 5);
  CHECK(m.Start(3) == 5);
  CHECK(m.End(5) == 7);     // an end before a deletion excludes it
  CHECK(m.Start(5) == 10);  // a start after a deletion excludes it
  CHECK(m.End(6) == 11);
  for (uint32_t a = 0; a < 8; ++a) CHECK(m.Start(a) <= m.Start(a + 1));
}

TEST_CASE("masking never shows more than the allowed part", "[core][finding]") {
  CHECK(MaskValue("national-id", "no.fnr", "15108695088") == "151086*****");
  CHECK(MaskValue("financial", "card", "4111111111111111") == "************1111");
  CHECK(MaskValue("credential", "password", "Sommer2024!") == "********");
  CHECK(MaskValue("financial", "iban", "NO9386011117947") == "NO93***********");
  CHECK(MaskValue("contact", "email", "kari@example.no") == "k***@example.no");
}

TEST_CASE("keyed hash is HMAC-SHA256 and depends on the key", "[core][hash]") {
  // RFC 4231 test case 2.
  KeyedHasher h("Jefe");
  CHECK(h.Hex("what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(KeyedHasher("a").Hex("x") != KeyedHasher("b").Hex("x"));
}

TEST_CASE("a third-party validator loads from a shared object", "[plugins]") {
  auto reg = PluginRegistry::Create({NORDPII_EXAMPLE_PLUGIN});
  REQUIRE(reg);
  const nordpii_validator* v = (*reg)->Find("acme_employee");
  REQUIRE(v != nullptr);
  nordpii_input in{sizeof(nordpii_input), "77123453", 8, 2026, 1, 1, 0};
  nordpii_verdict out{};
  out.struct_size = sizeof(out);
  REQUIRE(v->validate(&in, &out) == 0);
  CHECK(out.status == NORDPII_VALID);
  auto bad = PluginRegistry::Create({"/nonexistent/plugin.so"});
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("/nonexistent/plugin.so"));
}

TEST_CASE("JSON strings are escaped", "[output]") {
  std::string out;
  AppendJsonString(out, std::string("a\"b\\c\n\x01\x7f\xc3\xb8", 10));
  CHECK(out == "\"a\\\"b\\\\c\\n\\u0001\\u007f\xc3\xb8\"");
}
