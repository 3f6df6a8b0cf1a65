// SPDX-License-Identifier: Apache-2.0
// uuencoded blocks in text and iCalendar/vCard line folding
// (normalize/legacy_text.h): decoded / unfolded with offsets back to the
// original bytes, strict about what a block is, and a replacement written
// back with the folds kept.
#include <catch2/catch.hpp>

#include "normalize/legacy_text.h"
#include "test_util.h"

using namespace nordpii;

namespace {
// binascii.b2a_uu(b"Kunde: Ola\nfodselsnummer: 15108695088\n") (a synthetic id).
const std::string kUuLine = "F2W5N9&4Z($]L80IF;V1S96QS;G5M;65R.B Q-3$P.#8Y-3 X. H \n";
const std::string kUuPlain = "Kunde: Ola\nfodselsnummer: 15108695088\n";
}  // namespace

TEST_CASE("uuencode: a block in a text body is found and decoded", "[decode][uuencode]") {
  const std::string text = "Se vedlagt.\n\nbegin 644 kunde.txt\n" + kUuLine + "`\nend\nHilsen\n";
  REQUIRE(MayHoldUuBlock(text));
  auto blocks = FindUuBlocks(text);
  REQUIRE(blocks.size() == 1);
  CHECK(blocks[0].name == "kunde.txt");
  CHECK(blocks[0].bytes == kUuPlain);
  CHECK(blocks[0].ended);
  CHECK(text.substr(blocks[0].start, 5) == "begin");
  CHECK(text.substr(blocks[0].end - 3, 4) == "end\n");
  // CRLF lines, the trailing blank stripped by a mail system, no "`" line.
  std::string crlf = "begin 600 a.txt\r\n" + kUuLine.substr(0, kUuLine.size() - 2) + "\r\nend\r\n";
  auto b2 = FindUuBlocks(crlf);
  REQUIRE(b2.size() == 1);
  CHECK(b2[0].bytes == kUuPlain);
  CHECK(b2[0].ended);
  CHECK(UuTransferEncoding("x-uuencode"));
  CHECK(UuTransferEncoding("x-uue"));
  CHECK_FALSE(UuTransferEncoding("base64"));
}

TEST_CASE("uuencode: strict about what a block is", "[decode][uuencode]") {
  std::vector<UuMalformed> bad;
  // Mode not 3 octal digits; prose after a begin line; a line whose length
  // character says another length.
  CHECK(FindUuBlocks("begin 6448 x.txt\n" + kUuLine + "`\nend\n", &bad).empty());
  CHECK(FindUuBlocks("begin 644 the meeting\nWe start at ten.\n", &bad).empty());
  CHECK(FindUuBlocks("begin 644 x.txt\nM" + kUuLine.substr(1), &bad).empty());
  CHECK(bad.size() == 2);  // (the mode is no begin line at all)
  CHECK_FALSE(MayHoldUuBlock("no block here, not at a line start: begin 644 x\n"));
}

TEST_CASE("uuencode: a block that does not end is decoded and marked", "[decode][uuencode]") {
  auto b = FindUuBlocks("x\nbegin 644 k.txt\n" + kUuLine);
  REQUIRE(b.size() == 1);
  CHECK_FALSE(b[0].ended);
  CHECK(b[0].bytes == kUuPlain);
  // Cut short inside a later line: the well-formed lines are decoded.
  auto c = FindUuBlocks("begin 644 k.txt\n" + kUuLine + "M2&5I+\"!I\n");
  REQUIRE(c.size() == 1);
  CHECK_FALSE(c[0].ended);
  CHECK(c[0].bytes == kUuPlain);
}

TEST_CASE("content lines: folds removed, a value across one maps to the raw bytes", "[decode][calendar]") {
  const std::string raw = "DESCRIPTION:fodselsnummer 1510869\r\n 5088\\, kl 10.\r\nNOTE:fødselsnumm\n\ter: x\r\n";
  Decoded d = UnfoldContentLines(raw);
  CHECK(d.bytes == "DESCRIPTION:fodselsnummer 15108695088\\, kl 10.\r\nNOTE:fødselsnummer: x\r\n");
  const size_t at = d.bytes.find("15108695088");
  ByteRange r = MapBack({static_cast<uint32_t>(at), static_cast<uint32_t>(at + 11)}, {&d.map});
  CHECK(raw.substr(r.start, r.end - r.start) == "1510869\r\n 5088");
  // The replacement keeps the fold: masked in place, every line keeps its length.
  CHECK(RefoldReplacement("***********", static_cast<uint32_t>(at), static_cast<uint32_t>(at + 11), d.map, raw) ==
        "*******\r\n ****");
  CHECK(RefoldReplacement("[NO-FNR]", static_cast<uint32_t>(at), static_cast<uint32_t>(at + 11), d.map, raw) ==
        "[NO-FNR\r\n ]");
  CHECK(RefoldReplacement("[X]", static_cast<uint32_t>(at), static_cast<uint32_t>(at + 11), d.map, raw) ==
        "[X]\r\n ");
  // No fold: nothing to map.
  CHECK(UnfoldContentLines("a\r\nb\n").map.identity());
}

TEST_CASE("content lines: a quoted-printable property's soft line breaks go like folds (review21a)",
          "[decode][calendar]") {
  const std::string raw =
      "NOTE;ENCODING=QUOTED-PRINTABLE:f=C3=B8dselsnummer 1510=\r\n8695088 og=\n mer\r\n"
      "NOTE:a=\r\nb\r\nX;QUOTED-PRINTABLE:c=\nd\n";
  Decoded d = UnfoldContentLines(raw);
  CHECK(d.bytes == "NOTE;ENCODING=QUOTED-PRINTABLE:f=C3=B8dselsnummer 15108695088 og mer\r\n"
                   "NOTE:a=\r\nb\r\nX;QUOTED-PRINTABLE:cd\n");
  const size_t at = d.bytes.find("15108695088");
  ByteRange r = MapBack({static_cast<uint32_t>(at), static_cast<uint32_t>(at + 11)}, {&d.map});
  CHECK(raw.substr(r.start, r.end - r.start) == "1510=\r\n8695088");
  CHECK(RefoldReplacement("[NO-FNR]", static_cast<uint32_t>(at), static_cast<uint32_t>(at + 11), d.map, raw) ==
        "[NO-=\r\nFNR]");
}

TEST_CASE("content lines: iCalendar and vCard by name or first line", "[decode][calendar]") {
  CHECK(ContentLinesText("møte.ICS", ""));
  CHECK(ContentLinesText("kort.vcf", ""));
  CHECK(ContentLinesText("-", "\xEF\xBB\xBF\r\nbegin:vcard\r\nVERSION:3.0\r\n"));
  CHECK(ContentLinesText("x.txt", "BEGIN:VCALENDAR\r\n"));
  CHECK_FALSE(ContentLinesText("x.txt", "Hei\nBEGIN:VCALENDAR\n"));
  CHECK_FALSE(ContentLinesText("notes.txt", "BEGIN:VCALENDARX\n"));
}

TEST_CASE("format=flowed: soft line breaks removed, a value across one maps to the raw bytes (review22)",
          "[decode][flowed]") {
  const std::string raw =
      "CPR-nummer: 070761 \r\n4285 og\r\n"   // soft break inside the value
      ">> sitat 151086 \r\n>> 95088 slutt\r\n"  // quoted: the next line's quote marks and stuffing go too
      "> dybde 1 \r\n>> dybde 2\r\n"          // another quote depth: a hard break
      " stuffet \r\n linje\r\n"               // space-stuffed lines
      "-- \r\nsignatur \n";                    // the signature separator is no soft break; the last line has none
  Decoded d = UnflowText(raw, false);
  CHECK(d.bytes ==
        "CPR-nummer: 070761 4285 og\r\n>> sitat 151086 95088 slutt\r\n> dybde 1 \r\n>> dybde 2\r\n stuffet linje\r\n"
        "-- \r\nsignatur \n");
  const size_t at = d.bytes.find("070761 4285");
  ByteRange r = MapBack({static_cast<uint32_t>(at), static_cast<uint32_t>(at + 11)}, {&d.map});
  CHECK(raw.substr(r.start, r.end - r.start) == "070761 \r\n4285");
  const size_t q = d.bytes.find("151086 95088");
  r = MapBack({static_cast<uint32_t>(q), static_cast<uint32_t>(q + 12)}, {&d.map});
  CHECK(raw.substr(r.start, r.end - r.start) == "151086 \r\n>> 95088");
  // DelSp=yes: the trailing space is the encoder's, deleted with the break.
  Decoded ds = UnflowText("Fødselsnummer 151086 \n95088 takk\n", true);
  CHECK(ds.bytes == "Fødselsnummer 15108695088 takk\n");
  // No soft break: identity.
  CHECK(UnflowText("a\r\nb \r\n", false).map.identity());
  CHECK(UnflowText("-- \nsig\n", false).map.identity());
}
