// SPDX-License-Identifier: Apache-2.0
// Transfer decoders: decoded bytes, offset maps back to the encoded input,
// and a finding found through a decoder mapping to the exact encoded bytes.
#include <catch2/catch.hpp>
#include <random>
#include <vector>

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

// Issue 12 #9: ToUtf8 converts a chunk of input at a time (whole, it needed
// 12 bytes of scratch per byte: 458 MB for a 30 MB windows-1252 message,
// ~500 MB for a 40 MB UTF-16 one). Any chunk size gives the bytes and the
// map of the input converted in one ICU call — multi-byte and stateful
// charsets too (a character cut by a chunk's end: surrogate pairs in UTF-16,
// Shift_JIS and EUC-KR pairs, GB18030's 4-byte sequences, ISO-2022-JP's
// escapes and shift states), valid or not (truncated and illegal sequences,
// lone surrogates, bytes undefined in the charset, an odd byte at the end).
TEST_CASE("charsets: converted in chunks, the same bytes and map as in one round", "[decode][memory]") {
  const std::pair<const char*, std::vector<std::string>> kCases[] = {
      {"windows-1252", {"f\xF8" "dsel ", "15108695088 ", "\x80\x81\x9D", "\xE6\xF8\xE5\r\n"}},
      {"UTF-16LE", {std::string("f\0n\0r\0", 6), std::string("\x3D\xD8\x00\xDE", 4), std::string("1\0" "5\0", 4),
                    std::string("\x00\xD8", 2), std::string("\x00\xDC", 2), std::string("\xE5\0", 2), "\xF8"}},
      {"UTF-16BE", {std::string("\0f\0n", 4), std::string("\xD8\x3D\xDE\x00", 4), std::string("\0" "1", 2),
                    std::string("\xDC\x00", 2), std::string("\xD8\x00", 2), "\x00"}},
      {"UTF-16", {std::string("\xFF\xFE", 2), std::string("f\0n\0", 4), std::string("\x3D\xD8\x00\xDE", 4)}},
      {"Shift_JIS", {"\x93\xFA\x96\x7B", "fnr 1510 ", "\x82\xA0", "\x81", "\xA6 ", "\xB1", "\xEF\xFC", "\x80",
                     "\xFC\x40"}},
      {"GB18030", {"\x81\x30\x81\x30", "\xC4\xE3", "ab 12 ", "\x95\x32\x82\x36", "\xFF", "\x81\x30", "\x81",
                   "\x84\x31\xA4\x39", "\xE3\x32\x9A\x35", "\x90\x30\x81\x30"}},
      {"ISO-2022-JP", {"\x1B$B\x46\x7C\x4B\x5C\x1B(B", "fnr 15108695088 ", "\x1B$B\x24\x22\x1B(B", "\x1B$B\x24",
                       "\x1B(J~\\", "\x1B", "\x1B$B", "\x1B(B", "\x0E", "\xA0", "\r\n"}},
      {"EUC-KR", {"\xC7\xD1\xB1\xB9", "fnr 15108695088 ", "\xC7", "\xFF", "\xA1\xA1", "\x80"}},
      {"KOI8-R", {"\xC6\xCE\xD2 ", "15108695088\n"}},
  };
  std::mt19937 rng(7);
  for (const auto& [charset, pieces] : kCases) {
    for (int round = 0; round < 12; ++round) {
      std::string in;
      const size_t size = round < 10 ? 300 : 70000;
      while (in.size() < size) in += pieces[rng() % pieces.size()];
      INFO(charset << ", round " << round);
      const Decoded whole = ToUtf8(in, charset, in.size());
      std::vector<size_t> chunks = {1, 2, 3, 4, 5, 7, 13, 64, 65536, 1 + rng() % 40, 1 + rng() % 4000};
      for (size_t chunk : chunks) {
        INFO("chunk " << chunk);
        const Decoded d = ToUtf8(in, charset, chunk);
        REQUIRE(d.bytes == whole.bytes);
        CHECK(d.notes == whole.notes);
        bool same = true;
        for (uint32_t i = 0; i <= d.bytes.size() && same; ++i) {
          const ByteRange a = MapBack({i, i + 1}, {&whole.map}), b = MapBack({i, i + 1}, {&d.map});
          INFO("byte " << i);
          CHECK(a.start == b.start);
          CHECK(a.end == b.end);
          same = a.start == b.start && a.end == b.end;
        }
      }
    }
  }
}

// The converter given the input in pieces of any size (a stream's ranges):
// the same bytes and map as ToUtf8 at once.
TEST_CASE("charsets: Utf8Converter fed in random pieces equals one round", "[decode][memory]") {
  const std::pair<const char*, std::string> kCases[] = {
      {"Shift_JIS", "\x93\xFA\x96\x7B fnr 15108695088 \x82\xA0\x81\xA6 \xB1"},
      {"GB18030", "\x81\x30\x81\x30\xC4\xE3 12 \x95\x32\x82\x36\xFF\x81\x30 x"},
      {"ISO-2022-JP", "\x1B$B\x46\x7C\x4B\x5C\x1B(B fnr 15108695088 \x1B$B\x24\x22\x1B(B"},
      {"UTF-16LE", std::string("f\0n\0r\0\x3D\xD8\x00\xDE" "1\0", 12)},
      {"windows-1252", "f\xF8" "dselsnummer 15108695088 \x80"},
  };
  std::mt19937 rng(11);
  for (const auto& [charset, unit] : kCases) {
    std::string in;
    for (int i = 0; i < 200; ++i) in += unit.substr(rng() % 3);
    const Decoded whole = ToUtf8(in, charset, in.size());
    for (int it = 0; it < 20; ++it) {
      INFO(charset << ", iteration " << it);
      Utf8Converter cv(charset);
      std::string out;
      OffsetMap map;
      const bool empty_last = it % 2;  // the end said by an empty last piece
      for (size_t pos = 0;;) {
        const size_t n = std::min<size_t>(in.size() - pos, rng() % (it < 10 ? 5 : 300));
        const bool end = pos + n == in.size();
        REQUIRE(cv.Put(std::string_view(in).substr(pos, n), end && !empty_last, out, &map).ok());
        pos += n;
        if (end) {
          if (empty_last) REQUIRE(cv.Put("", true, out, &map).ok());
          break;
        }
      }
      REQUIRE(out == whole.bytes);
      CHECK(cv.produced() == out.size());
      for (uint32_t i = 0; i <= out.size(); ++i) {
        const ByteRange a = MapBack({i, i + 1}, {&whole.map}), b = MapBack({i, i + 1}, {&map});
        REQUIRE(a.start == b.start);
        REQUIRE(a.end == b.end);
      }
    }
  }
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

// Issue 12 #9: a large QP/base64 part is decoded a range at a time
// (TransferStream). Whatever the range size, the bytes, the map (for every
// offset still in the window) and the notes equal the whole decoders'.
TEST_CASE("transfer stream: range decoding equals whole decoding, bytes, map and notes", "[decode][memory]") {
  std::mt19937 rng(12);
  auto random_body = [&](bool b64) {
    static const char qp_atoms[][16] = {"a", "1", " ", "=C3=B8", "=\n", "=\r\n", "= \t\n", "=ZZ", "=4", "\n",
                                       "\r\n", "=", "=C3", "=A5", "fnr 15108695088"};
    static const char b64_atoms[][8] = {"QUJD", "Zm5y", "aGk=", "aG", "=", "\n", "\r\n", "!", " ", "Zg==", "x"};
    std::string s;
    size_t n = 200 + rng() % 3000;
    while (s.size() < n) {
      if (b64) s += b64_atoms[rng() % (sizeof b64_atoms / sizeof b64_atoms[0])];
      else s += qp_atoms[rng() % (sizeof qp_atoms / sizeof qp_atoms[0])];
    }
    if (rng() % 3 == 0) s += std::string(1000 + rng() % 2000, b64 ? 'Q' : 'x');  // a long line
    return s;
  };
  for (int round = 0; round < 300; ++round) {
    const bool b64 = round % 2;
    std::string body = random_body(b64);
    Decoded whole = b64 ? DecodeBase64(body) : DecodeQuotedPrintable(body);
    const size_t range = 1 + rng() % 64;
    TransferStream ts(body, b64 ? TransferStream::kBase64 : TransferStream::kQuotedPrintable, true,
                      1u << 30, range);
    std::string got;
    char buf[17];
    for (;;) {
      auto r = ts.Read(buf, 1 + rng() % sizeof buf);
      REQUIRE(r);
      if (*r == 0) break;
      got.append(buf, *r);
      // Every offset produced so far maps as the whole map does (the
      // piece in progress included).
      // (not the last few bytes: an escape in the next range may still join
      // the piece of a UTF-8 character cut there; the scanner never ends a
      // finding inside a character)
      // Nor in the last piece: a break or soft break after it may still
      // merge into it until output follows (the scanner maps a finding only
      // once the overlap's bytes after it are read).
      // Quoted-printable: the map is made for the bytes asked about (Cover).
      if (got.size() < 4) continue;
      ts.Cover(got.size() - 1, got.size());
      if (ts.map().pieces().empty()) continue;
      const uint32_t last = ts.map().pieces().back().dst_begin;
      if (last == 0) continue;
      const uint32_t d = static_cast<uint32_t>(rng() % std::min<size_t>(got.size() - 3, last));
      ts.Cover(d, d + 1);
      INFO("round " << round << " range " << range << " offset " << d);
      CHECK(ts.map().Start(d) == whole.map.Start(d));
      CHECK(ts.map().End(d) == whole.map.End(d));
    }
    INFO("round " << round << " range " << range);
    CHECK(got == whole.bytes);
    CHECK(ts.notes() == whole.notes);
    ts.Cover(0, got.size());  // every range: the whole map
    REQUIRE(ts.map().pieces().size() == whole.map.pieces().size());
    for (size_t k = 0; k < whole.map.pieces().size(); ++k) {
      const auto &a = ts.map().pieces()[k], &b = whole.map.pieces()[k];
      CHECK((a.dst_begin == b.dst_begin && a.dst_end == b.dst_end && a.src_begin == b.src_begin &&
             a.src_end == b.src_end));
    }
    // Replay (redaction): the same bytes through CopyTo / CopyRest.
    TransferStream rp(body, b64 ? TransferStream::kBase64 : TransferStream::kQuotedPrintable, false, 0, range);
    std::string replayed;
    const uint64_t cut = whole.bytes.size() / 3;
    REQUIRE(rp.CopyTo(cut, nullptr).ok());
    REQUIRE(rp.CopyRest([&](std::string_view b) { replayed.append(b); }).ok());
    CHECK(replayed == whole.bytes.substr(cut));
  }
}

TEST_CASE("transfer stream: base64 keeps a window of its map, older offsets are refused", "[decode][memory]") {
  std::string text;
  for (int i = 0; i < 40000; ++i) text += "fødselsnummer 15108695088\n";
  std::string b64;
  {
    static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string line;
    for (size_t i = 0; i + 3 <= text.size(); i += 3) {
      uint32_t v = (static_cast<unsigned char>(text[i]) << 16) | (static_cast<unsigned char>(text[i + 1]) << 8) |
                   static_cast<unsigned char>(text[i + 2]);
      for (int k = 3; k >= 0; --k) line += a[(v >> (6 * k)) & 63];
      if (line.size() == 76) b64 += line + "\n", line.clear();
    }
    b64 += line + "\n";
  }
  Decoded whole = DecodeBase64(b64);
  TransferStream ts(b64, TransferStream::kBase64, true, 64 << 10, 4096);
  std::string got;
  std::vector<char> buf(1 << 16);
  size_t most = 0;
  for (;;) {
    auto r = ts.Read(buf.data(), buf.size());
    REQUIRE(r);
    if (*r == 0) break;
    got.append(buf.data(), *r);
    most = std::max(most, ts.map().pieces().size());
    for (uint32_t d = static_cast<uint32_t>(got.size() > (32 << 10) ? got.size() - (32 << 10) : 0); d + 4 < got.size();
         d += 997) {
      REQUIRE(d >= ts.mapped_from());
      CHECK(ts.map().Start(d) == whole.map.Start(d));
      CHECK(ts.map().End(d + 1) == whole.map.End(d + 1));
    }
  }
  CHECK(got == whole.bytes);
  CHECK(ts.mapped_from() > 0);                       // older pieces were dropped
  CHECK(most < whole.map.pieces().size() / 4);       // the map stayed a window
}

// Issue 12 #9 (hostile review): a body where every byte is an escape (=XX,
// soft breaks every 72 characters) has a map piece per decoded byte; the
// stream held the newest 2 MiB of them (217 MB for a 60 MB part). The map
// is made per range when a finding needs it: every offset maps exactly, old
// ones too, and only a few ranges' pieces are held.
TEST_CASE("transfer stream: an all-escape quoted-printable body maps exactly with the map held per range",
          "[decode][memory]") {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "Kunde fødselsnummer 15108695088\n";
  std::string enc, qp;
  static const char* hex = "0123456789ABCDEF";
  for (char c : text) {
    auto b = static_cast<unsigned char>(c);
    enc += std::string("=") + hex[b >> 4] + hex[b & 15];
  }
  for (size_t i = 0; i < enc.size(); i += 72) qp += enc.substr(i, 72) + (i + 72 < enc.size() ? "=\n" : "");
  Decoded whole = DecodeQuotedPrintable(qp);
  REQUIRE(whole.bytes == text);
  TransferStream ts(qp, TransferStream::kQuotedPrintable, true, 64 << 10, 4096);
  std::string got;
  std::vector<char> buf(1 << 16);
  size_t most = 0;
  std::mt19937 rng(5);
  for (;;) {
    auto r = ts.Read(buf.data(), buf.size());
    REQUIRE(r);
    if (*r == 0) break;
    got.append(buf.data(), *r);
    for (int k = 0; k < 200; ++k) {
      // The newest bytes (as the scanner asks; not the last piece, which a
      // soft break in the next range may still extend), and any older offset.
      if (got.size() < 16) break;
      const uint32_t d = static_cast<uint32_t>(k % 2 ? got.size() - 8 - rng() % std::min<size_t>(got.size() - 8, 3000)
                                                     : rng() % (got.size() - 8));
      ts.Cover(d, d + 1);
      most = std::max(most, ts.map().pieces().size());
      CHECK(ts.map().Start(d) == whole.map.Start(d));
      CHECK(ts.map().End(d + 1) == whole.map.End(d + 1));
    }
  }
  CHECK(got == whole.bytes);
  CHECK(ts.mapped_from() == 0);
  CHECK(whole.map.pieces().size() > 500000);
  CHECK(most < 5 * 4096);  // at most 4 ranges of 4096 input bytes (and the one after), not the whole map
}

// Issue 14: the SIMD fast paths of the quoted-printable and base64 decoders
// (SSE, AVX2) give the scalar loops' bytes, map and notes, whole and a range
// at a time (every range size up to 80), on random and adversarial bodies:
// a byte outside the alphabet, '=', a space or a line break at every offset
// of a block, lines of every length, CRLF and LF, soft breaks, trailing
// spaces, malformed escapes.
namespace {
struct SimdCap {
  explicit SimdCap(int level) : old(internal::SetTransferDecodeSimd(level)) {}
  ~SimdCap() { internal::SetTransferDecodeSimd(old); }
  int old;
};

bool SameMap(const OffsetMap& a, const OffsetMap& b) {
  if (a.pieces().size() != b.pieces().size()) return false;
  for (size_t k = 0; k < a.pieces().size(); ++k) {
    const auto &x = a.pieces()[k], &y = b.pieces()[k];
    if (x.dst_begin != y.dst_begin || x.dst_end != y.dst_end || x.src_begin != y.src_begin || x.src_end != y.src_end)
      return false;
  }
  return true;
}

Decoded DecodeAt(const std::string& body, bool b64, int level) {
  SimdCap cap(level);
  return b64 ? DecodeBase64(body) : DecodeQuotedPrintable(body);
}

// The body decoded `range` bytes at a time, its map made for every range.
Decoded StreamAt(const std::string& body, bool b64, int level, size_t range) {
  SimdCap cap(level);
  TransferStream ts(body, b64 ? TransferStream::kBase64 : TransferStream::kQuotedPrintable, true, 1u << 30, range);
  Decoded d;
  char buf[4096];
  for (;;) {
    auto r = ts.Read(buf, sizeof buf);
    REQUIRE(r);
    if (*r == 0) break;
    d.bytes.append(buf, *r);
  }
  ts.Cover(0, d.bytes.size());
  for (const auto& p : ts.map().pieces()) d.map.Add(p.dst_begin, p.dst_end, p.src_begin, p.src_end);
  d.notes = ts.notes();
  return d;
}

void CheckLevels(const std::string& body, bool b64, const std::vector<size_t>& ranges) {
  const Decoded ref = DecodeAt(body, b64, 0);
  // The bytes-only decoders (no map: documents, sniffed prefixes) give the
  // same bytes at every level (issue 14).
  for (int level = 0; level <= 2; ++level) {
    INFO((b64 ? "base64" : "quoted-printable") << " bytes only, level " << level);
    SimdCap cap(level);
    CHECK((b64 ? DecodeBase64Bytes(body) : DecodeQuotedPrintableBytes(body)) == ref.bytes);
  }
  for (int level = 1; level <= 2; ++level) {
    INFO((b64 ? "base64" : "quoted-printable") << " level " << level << " body size " << body.size());
    const Decoded d = DecodeAt(body, b64, level);
    CHECK(d.bytes == ref.bytes);
    CHECK(SameMap(d.map, ref.map));
    CHECK(d.notes == ref.notes);
    for (size_t range : ranges) {
      INFO("range " << range);
      const Decoded st = StreamAt(body, b64, level, range);
      CHECK(st.bytes == ref.bytes);
      CHECK(SameMap(st.map, ref.map));
      CHECK(st.notes == ref.notes);
    }
  }
}

const char kB64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_";
// Bytes next to the alphabet in each nibble class, and others.
const char kB64Odd[] = {'=', ' ', '\t', '\r', '\n', '!', '.', ',', ':', '@', '[', '`', '{', '*', '\0', '\x7f',
                        '\x80', '\xc3', '\xff', '\x2e', '\x3a', '\x40', '\x5b', '\x60', '\x7b', '\x1f'};
}  // namespace

TEST_CASE("transfer decoders: the SIMD fast paths equal the scalar loops", "[decode][simd]") {
  std::mt19937 rng(14);
  auto pick = [&](const char* set, size_t n) { return set[rng() % n]; };
  // Adversarial base64: a line of 64-100 characters with one odd byte at
  // every offset; lines of every length 0-100, LF and CRLF.
  for (char odd : kB64Odd) {
    std::string body;
    for (size_t at = 0; at < 72; ++at) {
      size_t len = 64 + rng() % 37;
      std::string line;
      for (size_t k = 0; k < len; ++k) line += pick(kB64Alphabet, 66);
      line[at] = odd;
      body += line + (rng() % 2 ? "\r\n" : "\n");
    }
    CheckLevels(body, true, {1, 3, 7, 16, 31, 32, 33, 77, 4096});
  }
  {
    std::string body;
    for (size_t len = 0; len <= 100; ++len) {
      for (size_t k = 0; k < len; ++k) body += pick(kB64Alphabet, 64);
      body += len % 3 ? "\n" : "\r\n";
    }
    std::vector<size_t> ranges;
    for (size_t r = 1; r <= 80; ++r) ranges.push_back(r);
    CheckLevels(body, true, ranges);
    CheckLevels(body.substr(0, body.size() - 1), true, {5, 64});  // a last line without break
  }
  // Random base64: mostly the alphabet, sometimes odd bytes, quanta cut by
  // '=' or noise so the fast path starts at every phase.
  for (int round = 0; round < 150; ++round) {
    std::string body;
    const size_t n = 100 + rng() % 1500;
    const int odd_rate = 1 + static_cast<int>(rng() % 200);
    while (body.size() < n) {
      const size_t len = rng() % 4 == 0 ? rng() % 300 : 60 + rng() % 20;
      for (size_t k = 0; k < len; ++k)
        body += static_cast<int>(rng() % 1000) < odd_rate ? pick(kB64Odd, sizeof kB64Odd)
                                                          : pick(kB64Alphabet, 66);
      body += rng() % 2 ? "\r\n" : "\n";
    }
    std::vector<size_t> ranges = {1 + rng() % 80, 1 + rng() % 80, 1 + rng() % 300};
    CheckLevels(body, true, ranges);
  }
  // Quoted-printable: runs of every length without '=', escapes, soft
  // breaks (CRLF, LF, with spaces), trailing spaces, malformed '='.
  static const char* qp_atoms[] = {"=C3=A5", "=\n", "=\r\n", "= \t\n", "=  \r\n", "=ZZ", "=4", "=", "=3D",
                                   "=C3", "\n", "\r\n", "  \n", " \t\r\n", "=\r", "=a5", "==", "=\n=\n"};
  for (int round = 0; round < 200; ++round) {
    std::string body;
    const size_t n = 50 + rng() % 1200;
    while (body.size() < n) {
      if (rng() % 3) {
        const size_t len = rng() % 4 == 0 ? rng() % 200 : rng() % 40;
        for (size_t k = 0; k < len; ++k) body += static_cast<char>(rng() % 8 ? 'a' + rng() % 26 : rng() % 256);
        // A '=' made by the random bytes stays: malformed or an escape.
      } else {
        body += qp_atoms[rng() % (sizeof qp_atoms / sizeof qp_atoms[0])];
      }
    }
    std::vector<size_t> ranges = {1 + rng() % 80, 1 + rng() % 80, 1 + rng() % 300, 64, 65, 97, 128};
    if (round < 8)
      for (size_t r = 1; r <= 80; ++r) ranges.push_back(r);
    CheckLevels(body, false, ranges);
  }
  // A '=' at every offset of a long run; a body ending in '=' or "=4".
  for (size_t at = 0; at < 70; ++at) {
    std::string body(100, 'x');
    body[at] = '=';
    CheckLevels(body, false, {1, 16, 32, 33});
    CheckLevels(body.substr(0, at + 1), false, {1, 16, 32});
    CheckLevels(body.substr(0, at + 1) + "4", false, {1, 2});
  }
}
