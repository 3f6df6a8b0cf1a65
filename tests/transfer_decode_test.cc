// SPDX-License-Identifier: Apache-2.0
// Transfer decoders: decoded bytes, offset maps back to the encoded input,
// and a finding found through a decoder mapping to the exact encoded bytes.
#include <catch2/catch.hpp>

#include "normalize/transfer_decode.h"
#include "test_util.h"

using namespace nordpii;

TEST_CASE("quoted-printable: soft breaks join a split number, =XX decodes", "[decode]") {
  std::string raw = "fnr 1510869=\r\n5088 p=C3=A5 =ZZ";
  Decoded d = DecodeQuotedPrintable(raw);
  CHECK(d.bytes == "fnr 15108695088 p\xC3\xA5 =ZZ");
  // "15108695088" is decoded [4, 15) and raw [4, 18) (the soft break inside).
  ByteRange r = MapBack({4, 15}, {&d.map});
  CHECK(r.start == 4);
  CHECK(r.end == 18);
  // "å" (2 decoded bytes) maps to its two escapes.
  ByteRange a = MapBack({17, 19}, {&d.map});
  CHECK(raw.substr(a.start, a.end - a.start) == "=C3=A5");
  CHECK_FALSE(d.notes.empty());  // the malformed "=ZZ"
}

TEST_CASE("base64: line breaks, noise and missing padding", "[decode]") {
  Decoded d = DecodeBase64("Zm5yIDE1MTA4\r\nNjk1MDg4IG9r");  // "fnr 15108695088 ok" (no padding)
  CHECK(d.bytes == "fnr 15108695088 ok");
  Decoded p = DecodeBase64("aGk=\r\n");
  CHECK(p.bytes == "hi");
  Decoded noisy = DecodeBase64("aG!k=");
  CHECK(noisy.bytes == "hi");
  CHECK_FALSE(noisy.notes.empty());
  // The number maps back inside the encoded text, quantum-aligned.
  ByteRange r = MapBack({4, 15}, {&d.map});
  CHECK(r.start <= 6);
  CHECK(r.end >= 20);
  CHECK(r.end <= 26);
}

TEST_CASE("charsets convert to UTF-8 with offsets, unknown ones fall back", "[decode]") {
  Decoded l1 = ToUtf8("f\xF8" "dselsnummer \x80", "ISO-8859-1");  // read as windows-1252
  CHECK(l1.bytes == "f\xC3\xB8" "dselsnummer \xE2\x82\xAC");
  CHECK(MapBack({1, 3}, {&l1.map}).end == 2);
  Decoded u16 = ToUtf8(std::string("f\0n\0r\0", 6), "UTF-16LE");
  CHECK(u16.bytes == "fnr");
  CHECK(MapBack({1, 2}, {&u16.map}).start == 2);
  Decoded unknown = ToUtf8("abc", "x-no-such-charset");
  CHECK(unknown.bytes == "abc");
  REQUIRE(unknown.notes.size() == 1);
  CHECK_THAT(unknown.notes[0], Catch::Contains("windows-1252"));
  CHECK(ToUtf8("f\xC3\xB8r", "utf-8").bytes == "f\xC3\xB8r");
}

TEST_CASE("RFC 2047 encoded words decode, adjacent words join", "[decode]") {
  Decoded d = DecodeEncodedWords("Re: =?iso-8859-1?Q?F=F8dselsnummer_1510?= =?utf-8?B?ODY5NTA4OA==?= ok");
  CHECK(d.bytes == "Re: F\xC3\xB8" "dselsnummer 15108695088 ok");
  CHECK(DecodeEncodedWords("plain subject").bytes == "plain subject");
  CHECK(DecodeEncodedWords("=?broken").bytes == "=?broken");
}

TEST_CASE("a number split by a QP soft break is found and mapped to the encoded bytes", "[decode][detect]") {
  auto scanner = test::MakeScanner();
  std::string raw = "Hei,\r\nmitt fnr er 1510869=\r\n5088.\r\n";
  Decoded d = DecodeQuotedPrintable(raw);
  auto fs = test::Scan(scanner, d.bytes);
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].type == "no.fnr");
  ByteRange r = MapBack({static_cast<uint32_t>(fs[0].start), static_cast<uint32_t>(fs[0].end)}, {&d.map});
  CHECK(raw.substr(r.start, r.end - r.start) == "1510869=\r\n5088");
}
