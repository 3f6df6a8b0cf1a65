// SPDX-License-Identifier: Apache-2.0
// Mail: MIME structure, decoding per part, findings with locations, exact
// redacted bytes, limits, encoders, and mimetic as an independent oracle for
// the part tree.
#include <mimetic/mimetic.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "input/input_format.h"
#include "input/mail_source.h"
#include "mail/mail_encode.h"
#include "mail/mail_scanner.h"
#include "normalize/transfer_decode.h"
#include "test_util.h"

using namespace nordpii;
using nordpii::test::ReadFile;
using nordpii::test::SourceDir;

namespace {

struct MailCollect : StreamSink {
  std::vector<Finding> findings;
  std::vector<std::string> values, notes, attachments;
  bool OnFinding(const Finding& f, std::string_view raw) override {
    findings.push_back(f);
    values.emplace_back(raw);
    return true;
  }
  void OnNote(std::string_view, std::string_view text) override { notes.emplace_back(text); }
  void OnAttachment(std::string_view part, std::string_view type, std::string_view name, uint64_t) override {
    attachments.push_back(std::string(part) + " " + std::string(type) + " " + std::string(name));
  }
};

std::shared_ptr<const Scanner> Engine() {
  static auto s = test::MakeScanner();
  return s;
}

MailCollect ScanMail(std::string_view msg, MailLimits lim = {}) {
  auto ctx = Engine()->NewContext(KeyedHasher("test-key"), ReferenceDate{2026, 11, 23});
  MailScanner ms(*ctx, lim);
  MailCollect c;
  Status st = ms.Scan(msg, 0, 1, FindingFilter{}, c);
  INFO(st.message());  // (why, when it fails)
  REQUIRE(st.ok());
  return c;
}

// The findings of one message scanned two ways (whole / streamed) are the
// same: every position, label and value, in order; and the same notes.
void CheckSameScan(MailCollect& a, MailCollect& b) {
  REQUIRE(a.findings.size() == b.findings.size());
  for (size_t i = 0; i < a.findings.size(); ++i) {
    const Finding &x = a.findings[i], &y = b.findings[i];
    INFO("finding " << i);
    CHECK(x.type == y.type);
    CHECK(x.start == y.start);
    CHECK(x.end == y.end);
    CHECK(x.line == y.line);
    CHECK(x.column == y.column);
    CHECK(x.part == y.part);
    CHECK(x.field == y.field);
    CHECK(x.part_offset == y.part_offset);
    CHECK(x.confidence == y.confidence);
    CHECK(x.rules == y.rules);
    CHECK(a.values[i] == b.values[i]);
  }
  std::sort(a.notes.begin(), a.notes.end());
  std::sort(b.notes.begin(), b.notes.end());
  CHECK(a.notes == b.notes);
}

std::string RedactMail(std::string_view msg, RedactSummary* out_sum = nullptr, MailLimits lim = {}) {
  auto ctx = Engine()->NewContext(KeyedHasher("test-key"));
  MailScanner ms(*ctx, lim);
  FindingFilter filter;
  filter.categories = {"national-id", "financial", "credential"};
  std::string out;
  RedactSummary sum;
  REQUIRE(ms.Redact(msg, filter, RedactStyle::kLabel, out, sum).ok());
  if (out_sum) *out_sum = sum;
  return out;
}

// The still-encoded body of a one-part message after RedactMail, the part
// decoded whole or (stream) as a TransferStream; checks the redaction count.
std::string RedactedBody(std::string_view msg, bool stream, int redactions) {
  MailLimits lim;
  if (stream) lim.stream_part_bytes = 0;
  RedactSummary s;
  const std::string out = RedactMail(msg, &s, lim);
  CHECK(s.redacted == redactions);
  const size_t at = out.find("\n\n");
  REQUIRE(at != std::string::npos);
  return out.substr(at + 2);
}

std::string Sample(const std::string& name) { return ReadFile(SourceDir() + "/samples/mail/" + name); }

const Finding* FindType(const MailCollect& c, const std::string& type) {
  for (const auto& f : c.findings)
    if (f.type == type) return &f;
  return nullptr;
}

// The leaf content types of a message in document order, via mimetic.
void MimeticLeaves(const mimetic::MimeEntity& e, std::vector<std::string>& out) {
  const auto& parts = e.body().parts();
  const auto& ct = e.header().contentType();
  std::string t = ct.type() + "/" + ct.subtype();
  if (t == "/") t = "text/plain";  // no Content-Type: RFC 2045 default
  for (char& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (parts.empty()) {
    out.push_back(t);
    return;
  }
  for (const auto* p : parts) MimeticLeaves(*p, out);
}

void OurLeaves(const MimeTree& t, size_t i, std::vector<std::string>& out) {
  const MimeEntity& e = t.entities[i];
  if (e.children.empty()) {
    out.push_back(e.type + "/" + e.subtype);
    return;
  }
  for (size_t c : e.children) OurLeaves(t, c, out);
}

std::vector<std::string> OurLeaves(const MimeTree& t) {
  std::vector<std::string> out;
  OurLeaves(t, 0, out);
  return out;
}

}  // namespace

TEST_CASE("mime: part tree, paths and parameters of a multipart message", "[mail]") {
  std::string msg = Sample("mixed-attachments.eml");
  MimeTree t = ParseMime(msg, {});
  REQUIRE(t.entities.size() == 4);
  CHECK(t.eol == "\r\n");
  CHECK(t.entities[0].multipart());
  CHECK(t.entities[1].path == "1");
  CHECK(t.entities[2].path == "2");
  CHECK(t.entities[2].filename == "kunder-\xC3\xA5r.csv");  // RFC 2231 utf-8''
  CHECK(t.entities[3].type == "application");
  CHECK(t.entities[3].subtype == "pdf");
  CHECK(t.entities[3].encoding == "base64");
  // Part bodies end before the CRLF that belongs to the next delimiter.
  std::string_view body1(msg.data() + t.entities[1].body, t.entities[1].end - t.entities[1].body);
  CHECK(body1.substr(body1.size() - 5) == "wo=\r\n");  // the blank line is content
}

TEST_CASE("mime: message/rfc822 is parsed recursively with IMAP part numbers", "[mail]") {
  MimeTree t = ParseMime(Sample("forwarded-rfc822.eml"), {});
  std::vector<std::string> paths;
  for (const auto& e : t.entities) paths.push_back(e.path + (e.message_root ? "*" : ""));
  CHECK(paths == std::vector<std::string>{"*", "1", "2", "2*"});
  CHECK(t.entities[3].body_path() == "2.1");
  CHECK(t.entities[0].body_path() == "");
}

TEST_CASE("mime: parameters with quotes, RFC 2231 continuations and charsets", "[mail]") {
  HeaderParams p = ParseParams("Multipart/Mixed; boundary=\"a;b=c\"; charset=utf-8");
  CHECK(p.value == "multipart/mixed");
  CHECK(p.Get("boundary") == "a;b=c");  // mimetic's FieldParam splits this one
  CHECK(p.Get("charset") == "utf-8");
  p = ParseParams("attachment; filename*0*=iso-8859-1''l%F8nn_; filename*1=\"2026.pdf\"");
  CHECK(p.Get("filename") == "l\xC3\xB8nn_2026.pdf");
  p = ParseParams("attachment; filename=\"=?utf-8?q?s=C3=A6rligt.txt?=\"");
  CHECK(p.Get("filename") == "s\xC3\xA6rligt.txt");
  CHECK(ParseParams("").value.empty());
  CHECK(ParseParams(";;;=").params.size() <= 3);
  // The type and subtype are tokens: junk after them (found by the mail
  // fuzzer, with an identifier in it) is not part of the subtype, so
  // redacting it does not change the part's type.
  std::string msg = "Content-Type: text/plain har 120174-3399.\r\n\r\nHei\r\n";
  MimeTree t = ParseMime(msg, {});
  REQUIRE(!t.entities.empty());
  CHECK(t.entities[0].type == "text");
  CHECK(t.entities[0].subtype == "plain");
  t = ParseMime("Content-Type: Text/HTML (comment); charset=utf-8\r\n\r\n<p>x</p>\r\n", {});
  CHECK(t.entities[0].subtype == "html");
}

TEST_CASE("mail scan: every sample finds its identifiers with part and field", "[mail]") {
  SECTION("quoted-printable soft break splitting the number") {
    auto c = ScanMail(Sample("qp-softbreak.eml"));
    const Finding* f = FindType(c, "no.fnr");
    REQUIRE(f);
    CHECK(f->part == "1");
    CHECK(f->field == "body");
    CHECK(FindType(c, "no.account"));
    // start/end point at the raw QP bytes, soft break included.
    std::string msg = Sample("qp-softbreak.eml");
    CHECK(msg.substr(f->start, f->end - f->start) == "151086=\n95088");
  }
  SECTION("base64 ISO-8859-1 text and QP HTML with tags and entities") {
    auto c = ScanMail(Sample("alternative-html.eml"));
    std::vector<std::string> got;
    for (const auto& f : c.findings) got.push_back(f.part + ":" + f.type);
    CHECK(got == std::vector<std::string>{"1:se.pnr", "2:no.fnr", "2:card", "2:se.pnr"});
    std::string msg = Sample("alternative-html.eml");
    CHECK(msg.substr(c.findings[1].start, c.findings[1].end - c.findings[1].start) == "151086</b>95088");
  }
  SECTION("attachments: text-like scanned, documents extracted") {
    auto c = ScanMail(Sample("mixed-attachments.eml"));
    CHECK(FindType(c, "iban"));
    const Finding* cpr = FindType(c, "dk.cpr");
    REQUIRE(cpr);
    CHECK(cpr->part == "2");  // the CSV typed application/octet-stream
    // The PDF (part 3) is extracted in nordpii-extract-pdf and scanned: it
    // has no identifier and is not listed as an attachment not scanned.
    CHECK(c.attachments.empty());
  }
  SECTION("forwarded message: RFC 2047 subject of the inner message") {
    auto c = ScanMail(Sample("forwarded-rfc822.eml"));
    const Finding* cpr = FindType(c, "dk.cpr");
    REQUIRE(cpr);
    CHECK(cpr->part == "2");
    CHECK(cpr->field == "Subject");
    const Finding* kt = FindType(c, "is.kt");
    REQUIRE(kt);
    CHECK(kt->part == "2.1");
  }
  SECTION("addresses in From/To are routing data, not findings") {
    auto c = ScanMail(Sample("clean.eml"));
    CHECK_FALSE(FindType(c, "email"));
    CHECK_FALSE(FindType(c, "no.fnr"));
  }
}

TEST_CASE("mail redact: exact bytes of a QP part, untouched elsewhere", "[mail]") {
  std::string msg = Sample("qp-softbreak.eml");
  RedactSummary sum;
  std::string out = RedactMail(msg, &sum);
  CHECK(sum.redacted == 2);
  std::string expected = msg;
  auto rep = [&](const std::string& a, const std::string& b) {
    size_t at = expected.find(a);
    REQUIRE(at != std::string::npos);
    expected.replace(at, a.size(), b);
  };
  rep("Mitt f=C3=B8dselsnummer er 151086=\n95088, kan dere oppdatere kontoen?",
      "Mitt f=C3=B8dselsnummer er [NO-FNR], kan dere oppdatere kontoen?");
  rep("Ny konto: 8601.11.17947", "Ny konto: [NO-ACCOUNT]");
  rep("Content-Transfer-Encoding: quoted-printable\n\n",
      "Content-Transfer-Encoding: quoted-printable\nX-Nordpii: redacted=2; types=no.account,no.fnr\n\n");
  CHECK(out == expected);
}

TEST_CASE("mail redact: base64 and HTML parts re-encoded, tags kept, boundaries identical", "[mail]") {
  std::string msg = Sample("alternative-html.eml");
  std::string out = RedactMail(msg);
  MimeTree a = ParseMime(msg, {}), b = ParseMime(out, {});
  REQUIRE(a.entities.size() == b.entities.size());
  // Part 1: base64 of the redacted Latin-1 text.
  std::string_view b64(out.data() + b.entities[1].body, b.entities[1].end - b.entities[1].body);
  CHECK(DecodeBase64(b64).bytes == "Hej!\nMitt personnummer \xE4r [SE-PNR]. Tack!\n");
  // Part 2: QP HTML, lines <= 76, tags around the split number kept.
  std::string_view qp(out.data() + b.entities[2].body, b.entities[2].end - b.entities[2].body);
  std::string html = DecodeQuotedPrintable(qp).bytes;
  CHECK(html.find("Fnr: <b>[NO-FNR]</b><br>") != std::string::npos);
  CHECK(html.find("Kort: [CARD]</p>") != std::string::npos);
  CHECK(html.find("<td>[SE-PNR]</td>") != std::string::npos);
  std::istringstream lines{std::string(qp)};
  for (std::string l; std::getline(lines, l);) CHECK(l.size() <= 76);
  // Headers of the parts and the delimiters are unchanged.
  for (size_t i = 1; i < a.entities.size(); ++i)
    CHECK(msg.substr(a.entities[i].start, a.entities[i].body - a.entities[i].start) ==
          out.substr(b.entities[i].start, b.entities[i].body - b.entities[i].start));
  CHECK(out.find("X-Nordpii: redacted=4; types=card,no.fnr,se.pnr\n") != std::string::npos);
  // Nothing left to find in the redacted message.
  auto again = ScanMail(out);
  for (const auto& f : again.findings) CHECK((f.category != "national-id" && f.category != "financial"));
}

TEST_CASE("mail redact: RFC 2047 header re-encoded, CRLF kept, clean message byte-identical", "[mail]") {
  std::string fwd = Sample("forwarded-rfc822.eml");
  std::string out = RedactMail(fwd);
  size_t at = out.find("Subject: =?UTF-8?B?");
  REQUIRE(at != std::string::npos);
  size_t end = out.find('\n', at);
  std::string subject = out.substr(at + 9, end - at - 9);
  CHECK(DecodeEncodedWords(subject).bytes == "Mit CPR-nr. er [DK-CPR] (s\xC3\xA6rligt)");
  CHECK(out.find("010180-1234") == std::string::npos);

  std::string mixed = Sample("mixed-attachments.eml");
  std::string rm = RedactMail(mixed);
  CHECK(rm.find("X-Nordpii: redacted=2; types=dk.cpr,iban\r\n\r\n") != std::string::npos);
  size_t bare_lf = 0;
  for (size_t i = 0; i < rm.size(); ++i) bare_lf += rm[i] == '\n' && (i == 0 || rm[i - 1] != '\r');
  CHECK(bare_lf == 0);
  // The PDF part is byte-identical.
  size_t pdf = mixed.find("Content-Type: application/pdf");
  CHECK(rm.find(mixed.substr(pdf)) != std::string::npos);

  std::string clean = Sample("clean.eml");
  RedactSummary sum;
  CHECK(RedactMail(clean, &sum) == clean);
  CHECK(sum.redacted == 0);
}

TEST_CASE("mail redact: UTF-16 part gets a UTF-16 replacement", "[mail]") {
  std::string text = "Fnr 15108695088 ok";
  std::string u16;
  for (char ch : text) u16 += '\0', u16 += ch;  // UTF-16BE
  std::string msg = "Subject: x\nContent-Type: text/plain; charset=utf-16be\nContent-Transfer-Encoding: base64\n\n" +
                    EncodeBase64(u16, "\n") + "\n";
  std::string out = RedactMail(msg);
  MimeTree t = ParseMime(out, {});
  std::string body = DecodeBase64(out.substr(t.entities[0].body)).bytes;
  std::string want;
  for (char ch : std::string("Fnr [NO-FNR] ok")) want += '\0', want += ch;
  CHECK(body == want);
}

TEST_CASE("mail limits: deep nesting, many parts, missing delimiters, huge header", "[mail][limits]") {
  SECTION("nesting deeper than the limit is noted and not recursed") {
    std::string msg;
    for (int i = 0; i < 200; ++i) msg += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" + std::to_string(i) + "\n";
    msg += "\nfnr 15108695088\n";
    MimeTree t = ParseMime(msg, {});
    CHECK(t.entities.size() <= 34);
    bool noted = false;
    for (auto& n : t.notes) noted = noted || n.find("nesting") != std::string::npos;
    CHECK(noted);
    CHECK(t.truncated);
  }
  SECTION("part count limit") {
    std::string msg = "Content-Type: multipart/mixed; boundary=x\n\n";
    for (int i = 0; i < 5000; ++i) msg += "--x\n\nhei\n";
    msg += "--x--\n";
    MailLimits lim;
    lim.max_parts = 100;
    MimeTree t = ParseMime(msg, lim);
    CHECK(t.entities.size() == 100);
    CHECK_FALSE(t.notes.empty());
    CHECK(t.truncated);
  }
  SECTION("closing delimiter missing; delimiter before any part; no headers") {
    auto c = ScanMail("Content-Type: multipart/mixed; boundary=x\n\n--x\n\nfnr 15108695088\n");
    CHECK(FindType(c, "no.fnr"));
    c = ScanMail("Content-Type: multipart/mixed; boundary=x\n\n--x--\n--x\n\n");
    CHECK(c.findings.empty());  // nothing there, and no crash
    c = ScanMail("fnr 15108695088 without any header\n");
    CHECK(FindType(c, "no.fnr"));
  }
  SECTION("decoded size limit makes redaction incomplete, not silent") {
    MailLimits lim;
    lim.max_decoded_bytes = 100;
    RedactSummary sum;
    std::string msg = "Subject: a\n\n" + std::string(200, 'x') + " 15108695088\n";
    std::string out = RedactMail(msg, &sum, lim);
    CHECK(sum.incomplete);
  }
}

// Issue 12, item 1: what a MIME limit left unparsed was silently skipped
// (scan exit 0, redact wrote the raw identifier, the milter accepted).
TEST_CASE("mail limits fail closed: a part past the part or depth limit makes Scan and Redact fail (issue 12)",
          "[mail][limits][issue12]") {
  std::string many = "Subject: many\nContent-Type: multipart/mixed; boundary=x\n\n";
  for (int i = 1; i <= 1100; ++i)
    many += "--x\nContent-Type: text/plain\n\n" + std::string(i == 1051 ? "fnr 15108695088" : "hei") + "\n";
  many += "--x--\n";
  std::string deep = "Subject: deep\n";
  for (int i = 0; i < 40; ++i)
    deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" + std::to_string(i) + "\n";
  deep += "Content-Type: text/plain\n\nfnr 15108695088\n";
  for (const std::string* msg : {&many, &deep}) {
    auto ctx = Engine()->NewContext(KeyedHasher("test-key"));
    MailScanner ms(*ctx);
    MailCollect c;
    Status s = ms.Scan(*msg, 0, 1, FindingFilter{}, c);
    CHECK_FALSE(s.ok());
    CHECK(s.code() == ErrorCode::kLimit);
    FindingFilter filter;
    filter.categories = {"national-id"};
    std::string out;
    RedactSummary sum;
    REQUIRE(ms.Redact(*msg, filter, RedactStyle::kLabel, out, sum).ok());
    CHECK(sum.incomplete);  // the milter's on_error and redact's "nothing written" key on this
  }
}

TEST_CASE("mbox reader: separators, quoting kept, offsets, too-large messages", "[mail]") {
  std::string mbox = Sample("archive.mbox");
  auto src = StringSource(mbox);
  MboxReader rd(*src, 1 << 20);
  MboxMessage m;
  std::string rebuilt;
  size_t n = 0;
  while (true) {
    auto more = rd.Next(m);
    REQUIRE(static_cast<bool>(more));
    if (!*more) break;
    ++n;
    CHECK(m.index == n);
    CHECK(mbox.substr(m.offset, m.text.size()) == m.text);
    rebuilt += m.from_line + std::string(m.text);
  }
  CHECK(n == 3);
  CHECK(rebuilt == mbox);  // every byte belongs to exactly one message
  CHECK(mbox.find(">From the archive") != std::string::npos);

  std::string big = "From a\nSubject: 1\n\n" + std::string(5000, 'y') + "\nFrom b\nSubject: 2\n\nfnr\n";
  auto src2 = StringSource(big);
  MboxReader rd2(*src2, 1000);
  REQUIRE(*rd2.Next(m));
  CHECK(m.too_large);
  CHECK(m.size > 5000);
  REQUIRE(*rd2.Next(m));
  CHECK_FALSE(m.too_large);
  CHECK(m.text == "Subject: 2\n\nfnr\n");
  CHECK_FALSE(*rd2.Next(m));
}

namespace {
// A pipe-like source: reads of random length, an optional size hint (a
// regular file's), and the bytes it was asked for counted.
class ChunkySource : public ByteSource {
 public:
  ChunkySource(std::string d, uint64_t hint, unsigned seed) : d_(std::move(d)), hint_(hint), rng_(seed) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min({n, d_.size() - pos_, static_cast<size_t>(1 + rng_() % 100000)});
    std::memcpy(buf, d_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  const std::string& name() const override { return name_; }
  uint64_t SizeHint() const override { return hint_; }
  size_t pos_ = 0;

 private:
  std::string d_, name_ = "chunky";
  uint64_t hint_;
  std::mt19937 rng_;
};
}  // namespace

// Issue 12 #9: a message over --max-message-size is refused without holding
// more than the limit (a file by its size, unread; a stream read to the limit
// and one byte); a large mbox message takes over the reader's buffer.
TEST_CASE("ReadAll and the mbox reader: over the limit refused, large messages not copied", "[mail]") {
  const std::string body(3 << 20, 'x');
  for (uint64_t hint : {uint64_t{0}, uint64_t{1}}) {
    const size_t max = body.size();
    ChunkySource exact(body, hint ? body.size() : 0, 1);
    auto r = ReadAll(exact, "p", max);
    REQUIRE(static_cast<bool>(r));
    CHECK(*r == body);
    ChunkySource over(body + "y", hint ? body.size() + 1 : 0, 2);
    auto o = ReadAll(over, "p", max);
    REQUIRE_FALSE(static_cast<bool>(o));
    CHECK(o.error().code() == ErrorCode::kLimit);
    CHECK(o.error().message().find("--max-message-size") != std::string::npos);
    // A file (its size known) is refused unread; a stream is read to the
    // limit and one byte, never further.
    CHECK(over.pos_ == (hint ? 0 : max + 1));
    ChunkySource far(body + body + body, 0, 3);
    CHECK_FALSE(static_cast<bool>(ReadAll(far, "p", max)));
    CHECK(far.pos_ == max + 1);
  }
  // An mbox of small messages, large ones (over MboxReader::kHandOver: the
  // buffer handed over) and ones over the limit (dropped), read in random
  // chunks: every message as written, its offset and line.
  std::mt19937 rng(5);
  const size_t limit = 7u << 20;
  std::vector<size_t> sizes = {10, 5u << 20, 300, 9u << 20, 20, 6u << 20, (7u << 20) - 40, 8u << 20, 50, 5u << 20};
  std::string mbox;
  std::vector<std::string> msgs;
  for (size_t sz : sizes) {
    std::string m = "Subject: " + std::to_string(sz) + "\n\n";
    while (m.size() < sz) m += "line " + std::to_string(rng() % 1000) + "\n";
    m.resize(sz);
    m.back() = '\n';
    mbox += "From a@example.org Mon Jan  1 00:00:00 2024\n" + m;
    msgs.push_back(m);
  }
  ChunkySource src(mbox, 0, 4);
  MboxReader rd(src, limit);
  MboxMessage m;
  for (size_t i = 0; i < sizes.size(); ++i) {
    INFO("message " << i + 1 << " of " << sizes[i] << " bytes");
    auto more = rd.Next(m);
    REQUIRE(static_cast<bool>(more));
    REQUIRE(*more);
    CHECK(m.index == i + 1);
    CHECK(m.size == sizes[i]);
    CHECK(m.too_large == (sizes[i] > limit));
    if (!m.too_large) {
      CHECK(m.text == msgs[i]);
      CHECK(mbox.compare(m.offset, m.text.size(), m.text) == 0);
      // A large message is the buffer it took over, a small one a view of
      // the reader's buffer (never a copy).
      CHECK((m.bytes.empty() ? m.text.size() < (4u << 20) : m.text.data() == m.bytes.data()));
      CHECK(m.line == 1 + static_cast<uint64_t>(std::count(mbox.begin(), mbox.begin() + static_cast<long>(m.offset), '\n')));
    }
  }
  CHECK_FALSE(*rd.Next(m));
}

// Issue 12 #9: header fields are bounded — their number per part and one
// field's bytes; past either the message is incomplete (fail closed), the
// body still found.
TEST_CASE("MIME header limits: field count and field size, the rest not scanned", "[mail]") {
  MailLimits lim;
  auto msg = [](size_t fields, size_t long_bytes) {
    std::string m = "From: a@example.org\n";
    for (size_t i = 1; i < fields; ++i) m += "X-N: " + std::to_string(i) + "\n";
    if (long_bytes) {
      m += "Subject:";
      while (m.size() < long_bytes + 21) m += " fnr 15108695088\n";
    }
    return m + "Content-Type: text/plain\n\nthe body\n";
  };
  for (size_t n : {lim.max_header_fields - 1, lim.max_header_fields, lim.max_header_fields + 1}) {
    INFO(n + 1 << " fields");
    std::string m = msg(n, 0);
    MimeTree t = ParseMime(m, lim);
    REQUIRE(t.entities.size() == 1);
    CHECK(m.substr(t.entities[0].body) == "the body\n");
    CHECK(t.truncated == (n + 1 > lim.max_header_fields));
    CHECK(t.entities[0].headers.size() == std::min(n + 1, lim.max_header_fields));
    if (t.truncated) CHECK(t.notes.back().find("header fields") != std::string::npos);
  }
  // A Subject folded over many lines: at the limit kept, over it dropped (the
  // fields after it still read).
  for (size_t bytes : {lim.max_header_bytes - 200, lim.max_header_bytes + 200}) {
    std::string m = msg(1, bytes);
    MimeTree t = ParseMime(m, lim);
    REQUIRE(t.entities.size() == 1);
    CHECK(m.substr(t.entities[0].body) == "the body\n");
    CHECK(t.truncated == (bytes > lim.max_header_bytes));
    CHECK((t.entities[0].Find("Subject") != nullptr) == (bytes < lim.max_header_bytes));
    CHECK(t.entities[0].Find("Content-Type") != nullptr);
    if (t.truncated) {
      CHECK(t.notes.back().find("header field limit") != std::string::npos);
      CHECK(t.notes.back().find("15108695088") == std::string::npos);
    }
  }
}

TEST_CASE("input format detection", "[mail]") {
  std::string d = SourceDir() + "/samples/";
  CHECK(DetectInputFormat(d + "mail/archive.mbox") == InputFormat::kMbox);
  CHECK(DetectInputFormat(d + "mail/clean.eml") == InputFormat::kEml);
  CHECK(DetectInputFormat(d + "mail/Maildir") == InputFormat::kMaildir);
  CHECK(DetectInputFormat(d + "mail/Maildir/new/1763888400.M1P1.example") == InputFormat::kEml);
  CHECK(DetectInputFormat(d + "ticket-no.txt") == InputFormat::kText);
  CHECK(DetectInputFormat(d + "variants.txt") == InputFormat::kText);
  // "From " and one header line: an mbox when named one (review22), else text.
  const std::string thin = "From a Mon Jan  1 00:00:00 2024\nSubject: one\n\nhi\n";
  CHECK(DetectFormatOf("box.mbox", thin) == InputFormat::kMbox);
  CHECK(DetectFormatOf("x/mbox", thin) == InputFormat::kMbox);
  CHECK(DetectFormatOf("notes.txt", thin) == InputFormat::kText);
}

TEST_CASE("encoders: QP and base64 round-trip random bytes, QP lines <= 76", "[mail]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string in;
    size_t n = rng() % 600;
    for (size_t i = 0; i < n; ++i) {
      unsigned r = rng() % 10;
      in += r < 6 ? static_cast<char>('a' + rng() % 26) : r < 7 ? '\n' : r < 8 ? ' ' : static_cast<char>(rng() % 256);
    }
    std::string qp = EncodeQuotedPrintable(in, "\n");
    std::string back = DecodeQuotedPrintable(qp).bytes;
    // CR LF pairs become the chosen line end; compare with them folded.
    std::string folded;
    for (size_t i = 0; i < in.size(); ++i)
      if (!(in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n')) folded += in[i];
    CHECK(back == folded);
    std::istringstream ls(qp);
    for (std::string l; std::getline(ls, l);) {
      CHECK(l.size() <= 76);
      CHECK(l.rfind("From ", 0) != 0);
    }
    CHECK(DecodeBase64(EncodeBase64(in, "\r\n")).bytes == in);
  }
  std::string h = EncodeHeaderField("Subject", " S\xC3\xA6rlig " + std::string(120, 'x'), "\n");
  CHECK(DecodeEncodedWords(h.substr(9)).bytes == "S\xC3\xA6rlig " + std::string(120, 'x'));
  std::istringstream hs(h);
  for (std::string l; std::getline(hs, l);) CHECK(l.size() <= 78);
}

TEST_CASE("oracle: part trees agree with mimetic on samples and CPython's email corpus", "[mail][oracle]") {
  std::vector<std::string> files;
  for (const char* s : {"qp-softbreak.eml", "alternative-html.eml", "mixed-attachments.eml", "forwarded-rfc822.eml",
                        "clean.eml"})
    files.push_back(SourceDir() + "/samples/mail/" + s);
  const char* corpus = "/usr/lib/python3.11/test/test_email/data";
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(corpus, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    if (it->path().filename().string().rfind("msg_", 0) == 0) files.push_back(it->path().string());
  std::sort(files.begin(), files.end());
  size_t compared = 0, agreed = 0;
  std::vector<std::string> differ;
  for (const auto& f : files) {
    std::string raw = ReadFile(f);
    // Normalised for mimetic (LF line ends, final newline): keeps its
    // newline-stripping code away from the edge the reference warns about.
    std::string norm;
    for (char ch : raw)
      if (ch != '\r') norm += ch;
    if (norm.empty() || norm.back() != '\n') norm += '\n';
    mimetic::MimeEntity me(norm.begin(), norm.end());
    std::vector<std::string> theirs;
    MimeticLeaves(me, theirs);
    std::vector<std::string> ours = OurLeaves(ParseMime(raw, {}));
    ++compared;
    if (theirs == ours) ++agreed;
    else {
      std::string d = std::filesystem::path(f).filename().string() + "[";
      for (auto& x : ours) d += x + ",";
      d += "|";
      for (auto& x : theirs) d += x + ",";
      differ.push_back(d + "]");
    }
  }
  // The corpus must be there (libpython3.11-testsuite): without it this
  // oracle would shrink to our own five samples.
  REQUIRE(compared >= 5 + 45);  // 47 msg_*.txt in Debian 12's package
  // Messages where the two readers may differ, each for a named reason;
  // any other difference fails, and so does an entry that now agrees.
  // (Checked against a third reader, CPython's email package, when listed.)
  const std::map<std::string, const char*> reasons = {
      {"msg_14.txt", "'Content-Type: text' without a subtype: text/plain (RFC 2045 5.2), as CPython reads it"},
      {"msg_15.txt", "mimetic differs, ours agrees with CPython's email"},
      {"msg_33.txt", "mimetic differs, ours agrees with CPython's email"},
      {"msg_38.txt", "mimetic differs, ours agrees with CPython's email"},
      {"msg_39.txt", "mimetic differs, ours agrees with CPython's email"},
      {"msg_37.txt", "empty and header-less parts: the three readers count them differently"},
      {"msg_41.txt", "multipart without a usable boundary: one text leaf for us, a defect for CPython"},
      {"msg_17.txt", "multipart with no delimiter line: one text/plain leaf for us, one leaf (str payload, "
                     "StartBoundaryNotFoundDefect) for CPython, a multipart for mimetic"},
      {"msg_31.txt", "multipart with no delimiter line: one text/plain leaf for us, one leaf (str payload, "
                     "StartBoundaryNotFoundDefect) for CPython, a multipart for mimetic"},
      {"msg_43.txt", "message/delivery-status: one leaf for us, header blocks for CPython"},
  };
  std::set<std::string> allowed_to_differ, differ_names;
  for (const auto& r : reasons) allowed_to_differ.insert(r.first);
  for (const auto& d : differ) differ_names.insert(d.substr(0, d.find('[')));
  INFO("differ: " << [&] { std::string s; for (auto& d : differ) s += d + " "; return s; }());
  CHECK(differ_names == allowed_to_differ);
  CHECK(agreed + differ.size() == compared);
}

// Issue 12 #9: a message over MailScanner::kRedactInMemoryBytes is redacted
// in two passes and written in pieces; its parts are edited and re-encoded
// as a stream, cut at 57-byte (base64) and line (quoted-printable) bounds.
// The streamed output must equal the in-memory redaction and, part by part,
// the whole-part encoders applied to the expected edited text.
TEST_CASE("mail redact: a large message is streamed, equal to in-memory redaction and whole-part encoding", "[mail][memory]") {
  const char* ids[] = {"01015000070", "01015000747", "01015002162"};
  auto make = [&](size_t lines, bool newline, const std::string& with) {
    std::string t;
    for (size_t i = 0; i < lines; ++i) {
      t += "Kunde " + std::to_string(i % 1000) + " fødselsnummer " + (with.empty() ? ids[i % 3] : with);
      t += newline ? "\n" : " og = ";
    }
    return t;
  };
  const size_t n = 60000;  // ~2 MiB of text per part: more than one 1 MiB encoder piece
  std::string text = make(n, true, ""), text_red = make(n, true, "[NO-FNR]");
  std::string line = make(n / 2, false, ""), line_red = make(n / 2, false, "[NO-FNR]");  // one long line
  std::string msg =
      "From: a@example.org\nTo: b@example.org\nSubject: fnr 01015000070\nMIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"BB\"\n\n--BB\n"
      "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
      EncodeQuotedPrintable(text, "\n") + "\n--BB\n" +
      "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + EncodeBase64(text, "\n") +
      "\n--BB\n" + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
      EncodeQuotedPrintable(line, "\n") + "\n--BB\n" +
      "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + text + "--BB--\n";
  REQUIRE(msg.size() > MailScanner::kRedactInMemoryBytes);

  auto ctx = Engine()->NewContext(KeyedHasher("test-key"));
  MailScanner ms(*ctx);
  FindingFilter filter;
  filter.categories = {"national-id"};
  std::string whole;
  RedactSummary s1;
  REQUIRE(ms.Redact(msg, filter, RedactStyle::kLabel, whole, s1).ok());
  std::string streamed;
  size_t writes = 0;
  MailScanner::Write w = [&](std::string_view b) {
    streamed.append(b);
    ++writes;
    return Status::Ok();
  };
  RedactSummary s2;
  REQUIRE(ms.Redact(msg, filter, RedactStyle::kLabel, w, s2).ok());
  CHECK_FALSE(s1.incomplete);
  CHECK(s1.redacted == 1 + 3 * n + n / 2);
  CHECK(s2.redacted == s1.redacted);
  CHECK(writes > 10);  // written in pieces, not as one string
  CHECK(streamed == whole);
  CHECK(whole.find("X-Nordpii: redacted=" + std::to_string(s1.redacted) + "; types=no.fnr\n") != std::string::npos);
  CHECK(whole.find("Subject: fnr [NO-FNR]\n") != std::string::npos);
  CHECK(whole.find("\n\n" + EncodeQuotedPrintable(text_red, "\n") + "\n--BB\n") != std::string::npos);
  CHECK(whole.find("\n\n" + EncodeBase64(text_red, "\n") + "\n--BB\n") != std::string::npos);
  CHECK(whole.find("\n\n" + EncodeQuotedPrintable(line_red, "\n") + "\n--BB\n") != std::string::npos);
  CHECK(whole.find("\n\n" + text_red + "--BB--\n") != std::string::npos);
  for (const char* id : ids) CHECK(whole.find(id) == std::string::npos);
}

TEST_CASE("mail scan: a CSV attachment's column header labels every cell of the column, cells are documents",
          "[mail][context]") {
  // Issue 11: a CPR without modulus 11 (needs a label) in a column headed
  // "cpr"; the text of another cell ("faktura") is no context for it.
  std::string msg =
      "From: a@example.dk\nTo: b@example.dk\nSubject: liste\nMIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nSe vedlagt.\n"
      "--b\nContent-Type: text/csv; name=kunder.csv\nContent-Disposition: attachment; filename=kunder.csv\n\n"
      "navn;note;cpr;passnr\nJens;faktura;0101801234;204567891\nAne;\"ny\nadresse\";010180-1234;\n--b--\n";
  auto c = ScanMail(msg);
  std::vector<std::string> types;
  for (const auto& f : c.findings) types.push_back(f.type + "@" + f.part);
  CHECK(types == std::vector<std::string>{"dk.cpr@2", "passport@2", "dk.cpr@2"});
  // The same numbers in the body, unlabelled, are not reported.
  CHECK(ScanMail("From: a@example.dk\nSubject: x\n\nJens 0101801234 204567891\n").findings.empty());
}

TEST_CASE("mail scan: bytes after a CSV cell's closing quote make the part an error, and a text part about PDFs is text",
          "[mail][csv]") {
  // Review: `"a"b 15108695088` (malformed: text after the closing quote)
  // was skipped to the delimiter, never scanned; then read raw, which missed
  // an id split by the quote ("fnr 1510869"5088); closed17: an error for the
  // part (the message is incomplete), never its content. A text/plain body
  // that begins "%PDF-1.4" without a PDF's body was refused as a damaged PDF.
  std::string msg =
      "From: a@example.no\nSubject: liste\nMIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nSe vedlagt.\n"
      "--b\nContent-Type: text/csv; name=k.csv\nContent-Disposition: attachment; filename=k.csv\n\n"
      "id,body,c\n1,\"fnr 1510869\"5088,z\n--b--\n";
  auto ctx = Engine()->NewContext(KeyedHasher("test-key"));
  MailScanner ms(*ctx, {});
  MailCollect c;
  Status st = ms.Scan(msg, 0, 1, FindingFilter{}, c);
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("malformed CSV quoting") != std::string::npos);
  CHECK(st.message().find("1510869") == std::string::npos);
  auto t = ScanMail("From: a@example.no\nSubject: x\nContent-Type: text/plain\n\n%PDF-1.4 discussion: fnr 15108695088\n");
  CHECK(t.notes.empty());
  REQUIRE(t.findings.size() == 1);
  CHECK(t.findings[0].type == "no.fnr");
}

TEST_CASE("mail redact: an identifier inside the MIME type is not rewritten, the redaction is incomplete",
          "[mail][redact]") {
  // Redacting "text/<id>" would change the part's type (a mail fuzzer
  // invariant): the message is not written (fail closed) instead.
  RedactSummary sum;
  std::string out = RedactMail("Subject: x\nMIME-Version: 1.0\nContent-Type: text/15108695088\n\nhei\n", &sum);
  CHECK(sum.incomplete);
  bool noted = false;
  for (const auto& n : sum.notes) noted = noted || n.find("type itself") != std::string::npos;
  CHECK(noted);
  // A value in a parameter is still redacted in place.
  RedactSummary sum2;
  std::string out2 = RedactMail("Subject: x\nMIME-Version: 1.0\nContent-Type: text/plain; name=\"15108695088.txt\"\n\nhei\n", &sum2);
  CHECK_FALSE(sum2.incomplete);
  CHECK(out2.find("15108695088") == std::string::npos);
  CHECK(out2.find("Content-Type: text/plain;") != std::string::npos);
}

// Hostile review 2026-12-03 (issues 11/12): a multipart whose body has no
// delimiter line was never read; preamble and epilogue were not scanned.
TEST_CASE("mail scan: a multipart without any delimiter line is read as text/plain, scanned and redacted",
          "[mail][issue12]") {
  const std::string msg = "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=BB\n\nfnr 15108695088\n";
  auto c = ScanMail(msg);
  REQUIRE(c.findings.size() == 1);
  CHECK(c.findings[0].type == "no.fnr");
  CHECK(c.findings[0].part == "1");
  CHECK(msg.substr(c.findings[0].start, 11) == "15108695088");
  bool noted = false;
  for (const auto& n : c.notes) noted = noted || n.find("no delimiter line") != std::string::npos;
  CHECK(noted);
  RedactSummary sum;
  std::string out = RedactMail(msg, &sum);
  CHECK_FALSE(sum.incomplete);
  CHECK(out == "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=BB\n"
               "X-Nordpii: redacted=1; types=no.fnr\n\nfnr [NO-FNR]\n");
  // Nested: the inner multipart without a delimiter is a text part 2.
  const std::string nested =
      "Subject: x\nContent-Type: multipart/mixed; boundary=A\n\n--A\nContent-Type: text/plain\n\nhei\n"
      "--A\nContent-Type: multipart/alternative; boundary=B\n\nfnr 15108695088\n--A--\n";
  c = ScanMail(nested);
  REQUIRE(c.findings.size() == 1);
  CHECK(c.findings[0].part == "2");
}

TEST_CASE("mail scan: multipart preamble and epilogue are scanned and redacted byte-exactly", "[mail][issue12]") {
  const std::string msg =
      "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BB\r\n\r\nfnr 15108695088\r\n"
      "--BB\r\nContent-Type: multipart/alternative; boundary=CC\r\n\r\npre fnr 15108695088\r\n--CC\r\n\r\nhei\r\n"
      "--CC--\r\ninner epilog fnr 15108695088\r\n--BB\r\nContent-Type: text/plain\r\n\r\nhei\r\n--BB--\r\n"
      "fnr 15108695088\r\n";
  auto c = ScanMail(msg);
  std::vector<std::string> where;
  for (const auto& f : c.findings) {
    where.push_back(f.part + ":" + f.field);
    CHECK(msg.substr(f.start, f.end - f.start) == "15108695088");
  }
  CHECK(where == std::vector<std::string>{":preamble", "1:preamble", "1:epilogue", ":epilogue"});
  RedactSummary sum;
  std::string out = RedactMail(msg, &sum);
  CHECK_FALSE(sum.incomplete);
  std::string want = msg;
  for (size_t at; (at = want.find("15108695088")) != std::string::npos;) want.replace(at, 11, "[NO-FNR]");
  want.insert(want.find("\r\n\r\n") + 2, "X-Nordpii: redacted=4; types=no.fnr\r\n");
  CHECK(out == want);
  // Clean preamble and epilogue: byte-identical.
  const std::string clean = "Content-Type: multipart/mixed; boundary=BB\n\nThis is MIME.\n--BB\n\nhei\n--BB--\nbye\n";
  CHECK(RedactMail(clean) == clean);
}

// Hostile review: an application/octet-stream part with "fnr <id>" in it was
// listed as an attachment not scanned (exit 0) and the id passed.
TEST_CASE("mail scan: attachments no extractor reads are scanned as text or by their printable runs",
          "[mail][issue12][attachments]") {
  const std::string text_part = "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
                                "--B\nContent-Type: text/plain\n\nhei\n--B\nContent-Type: application/octet-stream; "
                                "name=a.bin\nContent-Transfer-Encoding: base64\n\n" +
                                EncodeBase64("fnr 15108695088\n", "\n") + "\n--B--\n";
  auto c = ScanMail(text_part);
  REQUIRE(c.findings.size() == 1);
  CHECK(c.findings[0].part == "2");
  CHECK(c.attachments.empty());  // scanned, so not listed as "not scanned"
  // Redacted in place, re-encoded in base64.
  RedactSummary sum;
  std::string out = RedactMail(text_part, &sum);
  CHECK_FALSE(sum.incomplete);
  CHECK(out.find(EncodeBase64("fnr [NO-FNR]\n", "\n")) != std::string::npos);
  CHECK(out.find("name=a.bin") != std::string::npos);

  std::string bin("\x00\x01\x02\x89PNG\x00\xff\x10Personnummer:\x00 15108695088\x00\x07\x07\xe6\xf8", 38);
  const std::string bin_part = "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
                               "--B\nContent-Type: text/plain\n\nhei\n--B\nContent-Type: image/png; name=a.png\n"
                               "Content-Transfer-Encoding: base64\n\n" +
                               EncodeBase64(bin, "\n") + "\n--B--\n";
  c = ScanMail(bin_part);
  REQUIRE(c.findings.size() == 1);
  CHECK(c.findings[0].field == "strings");
  CHECK(c.values[0] == "15108695088");
  bool noted = false;
  for (const auto& n : c.notes) noted = noted || n.find("printable text runs") != std::string::npos;
  CHECK(noted);
  // Binary data cannot be edited in place: the part becomes a notice.
  out = RedactMail(bin_part, &sum);
  CHECK_FALSE(sum.incomplete);
  CHECK(sum.attachments_replaced == 1);
  CHECK(out.find("nordpii-removed-attachment.txt") != std::string::npos);
  CHECK(out.find(EncodeBase64(bin, "\n")) == std::string::npos);
  // The same binary without an id is kept byte for byte.
  std::string clean = bin_part;
  clean.replace(clean.find(EncodeBase64(bin, "\n")), EncodeBase64(bin, "\n").size(),
                EncodeBase64(std::string(bin).replace(bin.find("15108695088"), 11, "15108695089"), "\n"));
  CHECK(RedactMail(clean) == clean);
  // Printable runs: Latin-1 converted, offsets lead back to the bytes.
  Decoded runs = PrintableRuns(std::string("ab\x00S\xf8knad 1234\x01xyz", 18));
  CHECK(runs.bytes == "S\xc3\xb8knad 1234");
  ByteRange r = MapBack({static_cast<uint32_t>(runs.bytes.find("1234")), static_cast<uint32_t>(runs.bytes.size())},
                        {&runs.map});
  CHECK(r.start == 10);
  CHECK(r.end == 14);
  // Random (compressed-looking) bytes give next to no text: no noise
  // findings, and a binary part costs little to pass over.
  std::mt19937 gen(7);
  std::string noise(1 << 20, '\0');
  for (char& ch : noise) ch = static_cast<char>(gen());
  CHECK(PrintableRuns(noise).bytes.size() < noise.size() / 20);  // about 3 %
  const std::string noisy = "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\n"
                            "Content-Type: image/jpeg; name=a.jpg\nContent-Transfer-Encoding: base64\n\n" +
                            EncodeBase64(noise, "\n") + "\n--B--\n";
  CHECK(ScanMail(noisy).findings.empty());
}

// octet17 (eval seed 12, carrier mail_octet 0.926): a value written in
// full-width digits inside a binary octet-stream part, with a label shorter
// than 4 ASCII letters ("Pas nr. <full-width digits>") or a run of them alone, was left
// out of the part's printable runs (a run had to hold 4 ASCII letters or
// digits in a row), so it was never scanned; scan exited 0 and redact kept
// the part byte for byte.
TEST_CASE("mail scan: full-width ids in the printable runs of a binary attachment are found and the part replaced",
          "[mail][attachments][octet17]") {
  auto fw = [](std::string_view digits) {  // U+FF10.. in UTF-8
    std::string o;
    for (char ch : digits) o += std::string("\xef\xbc") + static_cast<char>(0x90 + (ch - '0'));
    return o;
  };
  // The runs: one with a short label, one of full-width digits alone
  // (the label on the run before), full-width letters; offsets lead back.
  const std::string bin = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0", 17) + "Hej," + std::string("\0\x07", 2) +
                          "fnr " + fw("15108695088") + std::string("\0\x07", 2) + "Konto:" + std::string("\0\x07", 2) +
                          fw("12050112345") + std::string("\0\xff\x01", 3) + "\xef\xbc\xa1\xef\xbd\x82" + "1" +
                          fw("2") + std::string("\0", 1);
  Decoded runs = PrintableRuns(bin);
  CHECK(runs.bytes == "IHDR\nfnr " + fw("15108695088") + "\nKonto:\n" + fw("12050112345") + "\n\xef\xbc\xa1\xef\xbd\x82" +
                          "1" + fw("2"));
  const size_t at = runs.bytes.find(fw("12050112345"));
  ByteRange r = MapBack({static_cast<uint32_t>(at), static_cast<uint32_t>(at + 33)}, {&runs.map});
  CHECK(bin.substr(r.start, r.end - r.start) == fw("12050112345"));
  // A full-width character that is not a letter or digit does not start a run;
  // a truncated one at the end is not read past the input.
  CHECK(PrintableRuns(std::string("\0\xef\xbc\x81\xef\xbc\x81\xef\xbc\x81\xef\xbc\x81\0\xef\xbc", 16)).bytes.empty());

  // In a message: the id is found (field strings), redact replaces the part
  // by its notice, the MIME structure stays valid (mimetic reads the same
  // leaves) and the output holds no id.
  const std::string data = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0", 17) + "Hej" + std::string("\0\x07", 2) +
                           "fnr " + fw("15108695088") + std::string("\0\xff\x01", 3);
  const std::string msg = "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
                          "--B\nContent-Type: text/plain\n\nhei\n--B\nContent-Type: application/octet-stream; "
                          "name=\"data.bin\"\nContent-Disposition: attachment; filename=\"data.bin\"\n"
                          "Content-Transfer-Encoding: base64\n\n" +
                          EncodeBase64(data, "\n") + "\n--B--\n";
  auto c = ScanMail(msg);
  REQUIRE(c.findings.size() == 1);
  CHECK(c.findings[0].type == "no.fnr");
  CHECK(c.findings[0].part == "2");
  CHECK(c.findings[0].field == "strings");
  CHECK(c.values[0] == fw("15108695088"));
  RedactSummary sum;
  const std::string out = RedactMail(msg, &sum);
  CHECK_FALSE(sum.incomplete);
  CHECK(sum.attachments_replaced == 1);
  CHECK(out.find(EncodeBase64(data, "\n")) == std::string::npos);
  CHECK(out.find("nordpii-removed-attachment.txt") != std::string::npos);
  CHECK(ScanMail(out).findings.empty());
  std::string norm = out;
  mimetic::MimeEntity me(norm.begin(), norm.end());
  std::vector<std::string> theirs;
  MimeticLeaves(me, theirs);
  CHECK(theirs == OurLeaves(ParseMime(out, {})));
  CHECK(theirs.size() == 2);
  // The same bytes with an invalid number: nothing found, kept byte for byte.
  std::string clean = msg;
  const std::string enc = EncodeBase64(data, "\n");
  std::string other = data;
  other.replace(other.find(fw("15108695088")), 33, fw("15108695089"));
  clean.replace(clean.find(enc), enc.size(), EncodeBase64(other, "\n"));
  CHECK(RedactMail(clean) == clean);
}

// session 21: text a Windows program wrote into a binary file is UTF-16LE
// ("K\0u\0n\0d\0e\0"); the printable runs saw one letter between NULs and
// kept nothing, so an id in such an attachment was never scanned (exit 0,
// redact kept the part byte for byte).
TEST_CASE("mail scan: UTF-16LE text in a binary attachment is read among its printable runs",
          "[mail][attachments][utf16runs]") {
  auto le = [](std::string_view utf8) {  // Latin-1 range only, enough here
    std::string o;
    for (size_t i = 0; i < utf8.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(utf8[i]);
      uint32_t u = c;
      if (c == 0xC3) u = 0xC0 | (static_cast<unsigned char>(utf8[++i]) & 0x3F);
      o += static_cast<char>(u & 0xFF);
      o += static_cast<char>(u >> 8);
    }
    return o;
  };
  // ASCII runs and UTF-16LE runs (even and odd byte offsets) in byte order;
  // each character leads back to its two bytes.
  const std::string bin = std::string("\x01\x02\x03", 3) + "Hei ASCII" + std::string("\x00\x05", 2) +
                          le("Fødselsnummer: 15108695088") + std::string("\x07\x07\x07", 3) + le("Kontonr 12345") +
                          std::string("\x01", 1) + "tail1234" + std::string("\x00\x01", 2) + le("ab") +
                          std::string("\x01\x02", 2);
  Decoded runs = PrintableRuns(bin);
  CHECK(runs.bytes == "Hei ASCII\nFødselsnummer: 15108695088\nKontonr 12345\ntail1234");
  const size_t at = runs.bytes.find("15108695088");
  ByteRange r = MapBack({static_cast<uint32_t>(at), static_cast<uint32_t>(at + 11)}, {&runs.map});
  CHECK(bin.substr(r.start, r.end - r.start) == le("15108695088"));
  const size_t ka = runs.bytes.find("12345");
  r = MapBack({static_cast<uint32_t>(ka), static_cast<uint32_t>(ka + 5)}, {&runs.map});
  CHECK(bin.substr(r.start, r.end - r.start) == le("12345"));
  // 0x00 0x01 fill right beside a run (read as U+0100 'Ā') is trimmed, so
  // the id at the run's edge is not glued to a letter (review22).
  const std::string glued = std::string("\x00\x01", 2) + le("Fnr 15108695088") + std::string("\x00\x01\x02\x90", 4);
  CHECK(PrintableRuns(glued).bytes == "Fnr 15108695088");
  // Random bytes still give next to no text.
  std::mt19937 gen(11);
  std::string noise(1 << 20, '\0');
  for (char& ch : noise) ch = static_cast<char>(gen());
  CHECK(PrintableRuns(noise).bytes.size() < noise.size() / 20);
  // Every second byte zero, the others random: UTF-16 "text" of noise, not kept.
  for (size_t i = 1; i < noise.size(); i += 2) noise[i] = '\0';
  CHECK(PrintableRuns(noise).bytes.size() < noise.size() / 20);
  // review21a: fill beside the text (0xFF padding read as Latin-1 'ÿ';
  // 0x00 0x01 pairs read as U+0100 'Ā') no longer drops it by the letter
  // rule (before: no run, exit 0); it is trimmed off.
  const std::string pad8 = std::string(64, '\xff') + "fodselsnummer 15108695088" + std::string(4, '\0');
  CHECK(PrintableRuns(pad8).bytes == "fodselsnummer 15108695088");
  std::string pad16;
  for (int k = 0; k < 40; ++k) pad16 += std::string("\x00\x01", 2);
  pad16 += le("fodselsnummer 15108695088") + std::string(4, '\0') + std::string(32, '\xe5');
  Decoded p16 = PrintableRuns(pad16);
  CHECK(p16.bytes == "fodselsnummer 15108695088");
  const size_t p16at = p16.bytes.find("15108695088");
  r = MapBack({static_cast<uint32_t>(p16at), static_cast<uint32_t>(p16at + 11)}, {&p16.map});
  CHECK(pad16.substr(r.start, r.end - r.start) == le("15108695088"));
  // A chance 4-letter run in fill stays out.
  CHECK(PrintableRuns(std::string(64, '\xff') + "ab12" + std::string(64, '\xff')).bytes.empty());

  // In a message: found in field strings, the part replaced by its notice.
  const std::string msg = "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
                          "--B\nContent-Type: text/plain\n\nhei\n--B\nContent-Type: application/octet-stream; "
                          "name=\"data.bin\"\nContent-Disposition: attachment; filename=\"data.bin\"\n"
                          "Content-Transfer-Encoding: base64\n\n" +
                          EncodeBase64(bin, "\n") + "\n--B--\n";
  auto c = ScanMail(msg);
  REQUIRE(c.findings.size() >= 1);
  CHECK(c.findings[0].type == "no.fnr");
  CHECK(c.findings[0].field == "strings");
  CHECK(c.values[0] == "15108695088");
  RedactSummary sum;
  const std::string out = RedactMail(msg, &sum);
  CHECK_FALSE(sum.incomplete);
  CHECK(sum.attachments_replaced == 1);
  CHECK(ScanMail(out).findings.empty());
}

TEST_CASE("mail: ids in HTML attributes, comments and across a hidden span are found and redacted in place",
          "[mail][html][issue11]") {
  const std::string head = "Subject: x\nMIME-Version: 1.0\nContent-Type: text/html\n";
  const std::string attr = head + "\n<img alt=\"fnr 15108695088\"><!-- fnr 15108695088 -->\n"
                                  "<a href=\"mailto:a@b.no?subject=fnr%2015108695088\">k</a>\n";
  auto c = ScanMail(attr);
  size_t fnr = 0;
  for (const auto& f : c.findings)
    if (f.type == "no.fnr") {
      ++fnr;
      CHECK(attr.substr(f.start, f.end - f.start) == "15108695088");
    }
  CHECK(fnr == 3);
  CHECK(RedactMail(attr) == head + "X-Nordpii: redacted=3; types=no.fnr\n\n<img alt=\"fnr [NO-FNR]\"><!-- fnr [NO-FNR] -->\n"
                                   "<a href=\"mailto:a@b.no?subject=fnr%20[NO-FNR]\">k</a>\n");
  const std::string hidden = head + "\n<p>fnr 151086<span style=\"display:none\">x</span>95088</p>\n";
  c = ScanMail(hidden);
  REQUIRE(c.findings.size() == 1);
  CHECK(c.values[0] == "15108695088");
  // The tags inside the replaced range are kept after the label.
  CHECK(RedactMail(hidden) ==
        head + "X-Nordpii: redacted=1; types=no.fnr\n\n<p>fnr [NO-FNR]<span style=\"display:none\"></span></p>\n");
}

// Hostile review: an id split over RFC 2231 continuations or percent-encoded
// in an extended parameter was not seen.
TEST_CASE("mail: RFC 2231 continuations and percent-encoded parameters are scanned joined and rewritten whole",
          "[mail][issue12][rfc2231]") {
  const std::string cont = "Subject: x\nMIME-Version: 1.0\nContent-Type: text/plain\nContent-Disposition: attachment;"
                           " filename*0=\"kunde-151086\";\n filename*1=\"95088.txt\"\n\nhei\n";
  auto c = ScanMail(cont);
  REQUIRE(c.findings.size() == 1);
  CHECK(c.findings[0].field == "Content-Disposition");
  CHECK(c.values[0] == "15108695088");
  CHECK(RedactMail(cont) == "Subject: x\nMIME-Version: 1.0\nContent-Type: text/plain\nContent-Disposition: attachment;"
                            " filename*=UTF-8''kunde-%5BNO-FNR%5D.txt\nX-Nordpii: redacted=1; types=no.fnr\n\nhei\n");
  const std::string pct = "Subject: x\nContent-Type: text/plain; charset=utf-8;\n name*=UTF-8''s%C3%B8knad%20%31%35%31%30"
                          "%38%36%39%35%30%38%38.txt\n\nhei\n";
  c = ScanMail(pct);
  REQUIRE(c.findings.size() == 1);
  std::string out = RedactMail(pct);
  CHECK(out.find("name*=UTF-8''s%C3%B8knad%20%5BNO-FNR%5D.txt\n") != std::string::npos);
  CHECK(out.find("Content-Type: text/plain; charset=utf-8;\n name*=") != std::string::npos);
  CHECK(ParseParams(UnfoldHeader(out.substr(out.find("text/plain"), out.find("\nX-") - out.find("text/plain"))))
            .Get("name") == "s\xc3\xb8knad [NO-FNR].txt");
  // Segments out of order (or apart): not rewritable safely, fail closed.
  RedactSummary sum;
  RedactMail("Subject: x\nContent-Type: text/plain\nContent-Disposition: attachment; filename*1=\"95088.txt\";"
             " filename*0=\"kunde-151086\"\n\nhei\n",
             &sum);
  CHECK(sum.incomplete);
  // A plain parameter value is unchanged by this (clean: byte-identical).
  const std::string clean = "Subject: x\nContent-Type: text/plain\nContent-Disposition: attachment; filename*0=\"a\";"
                            " filename*1=\"b.txt\"\n\nhei\n";
  CHECK(RedactMail(clean) == clean);
}

// Hostile review: an X-Nordpii header from the sender was not scanned (it was
// skipped as our own) and was kept beside ours.
TEST_CASE("mail: an inbound X-Nordpii header is scanned, redacted, and removed when we add ours", "[mail][issue12][forged]") {
  const std::string msg = "Subject: x\nX-Nordpii: redacted=1; fnr 15108695088\nX-Nordpii-Verdict: clean\n\nhei\n";
  auto c = ScanMail(msg);
  REQUIRE(c.findings.size() == 1);
  CHECK(c.findings[0].field == "X-Nordpii");
  // Library default (the milter deletes them itself): redacted in place.
  CHECK(RedactMail(msg) == "Subject: x\nX-Nordpii: redacted=1; fnr [NO-FNR]\nX-Nordpii-Verdict: clean\n"
                           "X-Nordpii: redacted=1; types=no.fnr\n\nhei\n");
  // The redact command: removed, ours alone.
  auto ctx = Engine()->NewContext(KeyedHasher("test-key"));
  MailScanner ms(*ctx);
  ms.set_remove_forged_headers(true);
  FindingFilter filter;
  filter.categories = {"national-id"};
  std::string out;
  RedactSummary sum;
  REQUIRE(ms.Redact(msg, filter, RedactStyle::kLabel, out, sum).ok());
  CHECK(out == "Subject: x\nX-Nordpii: redacted=1; types=no.fnr\n\nhei\n");
  const std::string body = "Subject: x\nX-Nordpii: redacted=7; types=none\n\nfnr 15108695088\n";
  REQUIRE(ms.Redact(body, filter, RedactStyle::kLabel, out, sum).ok());
  CHECK(out == "Subject: x\nX-Nordpii: redacted=1; types=no.fnr\n\nfnr [NO-FNR]\n");
  // Streamed (two passes) gives the same.
  std::string streamed;
  RedactSummary sum2;
  MailScanner::Write w = [&](std::string_view b) {
    streamed.append(b);
    return Status::Ok();
  };
  std::string big = "Subject: x\nX-Nordpii: forged\n\n" + std::string(MailScanner::kRedactInMemoryBytes, 'a') +
                    "\nfnr 15108695088\n";
  REQUIRE(ms.Redact(big, filter, RedactStyle::kLabel, w, sum2).ok());
  CHECK(streamed.substr(0, 50).find("Subject: x\nX-Nordpii: redacted=1; types=no.fnr\n\n") == 0);
  // Nothing found: the message is left byte for byte, header and all.
  const std::string clean = "Subject: x\nX-Nordpii: redacted=7\n\nhei\n";
  REQUIRE(ms.Redact(clean, filter, RedactStyle::kLabel, out, sum).ok());
  CHECK(out == clean);
}

// Hold-out miss (issue 11): a Danish CPR (no modulus 11, so it needs a label)
// in a column headed by the generic "Identitet".
TEST_CASE("mail scan: a CPR in a CSV column headed Identitet is found", "[mail][context][issue11]") {
  const std::string msg = "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
                          "Content-Type: text/plain\n\nSe vedlagt.\n--b\nContent-Type: text/csv; name=k.csv\n\n"
                          "navn;Identitet;by\nMette;010165-4321;Aarhus\n--b--\n";
  auto c = ScanMail(msg);
  REQUIRE(c.findings.size() == 1);
  CHECK(c.findings[0].type == "dk.cpr");
}

TEST_CASE("mail scan: the error names the note that made the message incomplete", "[mail][limits]") {
  MailLimits lim;
  lim.max_decoded_bytes = 300;
  const std::string msg = "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\n"
                          "Content-Type: text/plain\n\n" + std::string(200, 'x') + "\n--B\n"
                          "Content-Type: application/octet-stream\n\nhei\n--B--\n";
  auto ctx = Engine()->NewContext(KeyedHasher("test-key"));
  MailScanner ms(*ctx, lim);
  MailCollect c;
  Status s = ms.Scan(msg, 0, 1, FindingFilter{}, c);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("decoded size limit") != std::string::npos);
}

TEST_CASE("mail redact: an attachment over the decoded limit with an id in its name is incomplete, not an error",
          "[mail][limits]") {
  MailLimits lim;
  lim.max_decoded_bytes = 600;
  const std::string msg = "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\n"
                          "Content-Type: application/octet-stream; name=\"15108695088.bin\"\n\n" +
                          std::string(300, 'x') + "\n--B\nContent-Type: text/plain\n\nfnr 15108695088\n--B--\n";
  auto ctx = Engine()->NewContext(KeyedHasher("test-key"));
  MailScanner ms(*ctx, lim);
  FindingFilter filter;
  filter.categories = {"national-id"};
  std::string out;
  RedactSummary sum;
  Status s = ms.Redact(msg, filter, RedactStyle::kLabel, out, sum);
  CHECK(s.ok());
  CHECK(sum.incomplete);
}

TEST_CASE("mail: the multipart boundary is structure, never a finding nor redacted", "[mail][redact]") {
  // Python's generated boundary: 19 digits that pass Luhn (a "card").
  const std::string b = "===============4036932996670104480==";
  const std::string msg = "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"" + b +
                          "\"\n\n--" + b + "\nContent-Type: text/plain; name=\"kunde 15108695088.txt\"\n\nhei\n--" + b +
                          "--\n";
  MailCollect c = ScanMail(msg);
  for (const auto& f : c.findings) {
    INFO(f.type << " " << f.field);
    CHECK(f.type != "card");
  }
  CHECK(FindType(c, "no.fnr"));  // an id in another parameter (a file name) is still found
  std::string red = RedactMail(msg);
  CHECK(red.find("boundary=\"" + b + "\"") != std::string::npos);
  CHECK(red.find("\n--" + b + "--") != std::string::npos);
  CHECK(red.find("15108695088") == std::string::npos);
}

// Issue 12 #9: a QP/base64 UTF-8 part over MailLimits::stream_part_bytes is
// decoded and scanned a range at a time (TransferStream) and redacted by
// replaying the decoding: with every part streamed (threshold 0) the
// findings (offsets, lines, parts) and the redacted bytes equal those of
// parts decoded whole.
TEST_CASE("mail: parts decoded as a stream give the findings and redaction of parts decoded whole",
          "[mail][memory]") {
  const char* ids[] = {"01015000070", "01015000747", "01015002162"};
  std::string text;
  for (int i = 0; i < 30000; ++i)
    text += "Kunde " + std::to_string(i % 1000) + " f\xC3\xB8" "dselsnummer " + ids[i % 3] + (i % 7 ? "\n" : "\r\n");
  std::string long_line;  // base64 without line breaks; QP with soft breaks only
  for (int i = 0; i < 50000; ++i) long_line += std::string("konto 1234.56.78903 f\xC3\xB8dt ") + ids[i % 3] + " ";
  std::string b64_one_line = EncodeBase64(long_line, "\n");
  b64_one_line.erase(std::remove(b64_one_line.begin(), b64_one_line.end(), '\n'), b64_one_line.end());
  std::string b64_unpadded = EncodeBase64(text.substr(0, 2000) + "x", "\r\n");
  while (!b64_unpadded.empty() && b64_unpadded.back() == '=') b64_unpadded.pop_back();
  auto part = [](const std::string& ct, const std::string& cte, const std::string& body) {
    return "--BB\nContent-Type: " + ct + "\nContent-Transfer-Encoding: " + cte + "\n\n" + body + "\n";
  };
  std::string msg = "From: a@example.org\nTo: b@example.org\nSubject: dense\nMIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=\"BB\"\n\n" +
                    part("text/plain; charset=utf-8", "quoted-printable", EncodeQuotedPrintable(text, "\n")) +
                    part("text/plain; charset=utf-8", "base64", EncodeBase64(text, "\r\n")) +
                    part("text/plain; charset=utf-8", "base64", b64_one_line + "\n\n\n") +
                    part("text/plain; charset=utf-8", "quoted-printable", EncodeQuotedPrintable(long_line, "\n")) +
                    part("text/plain", "base64", b64_unpadded) +  // us-ascii label, UTF-8 bytes
                    part("text/plain; charset=us-ascii", "quoted-printable", "f=F8dselsnummer 01015000070 =ZZ\n") +
                    part("text/plain; charset=iso-8859-1", "quoted-printable", "f=F8dselsnummer 01015000747\n") +
                    part("text/html; charset=utf-8", "quoted-printable", "<p>fnr <b>01015002162</b></p>\n") +
                    part("text/csv; charset=utf-8", "base64", EncodeBase64("fnr;navn\n01015000070;x\n", "\n")) +
                    "--BB--\n";
  std::vector<std::string> inputs = {msg};
  for (const char* s : {"qp-softbreak.eml", "alternative-html.eml", "mixed-attachments.eml", "forwarded-rfc822.eml",
                        "clean.eml"})
    inputs.push_back(Sample(s));
  MailLimits streamed;
  streamed.stream_part_bytes = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    INFO("input " << k);
    MailCollect a = ScanMail(inputs[k]), b = ScanMail(inputs[k], streamed);
    if (k == 0) CHECK(a.findings.size() > 60000);
    CheckSameScan(a, b);
    RedactSummary sa, sb;
    std::string ra = RedactMail(inputs[k], &sa), rb = RedactMail(inputs[k], &sb, streamed);
    CHECK(sa.redacted == sb.redacted);
    CHECK(ra == rb);
  }
}

// Issue 12 #9: a text part in another charset than UTF-8 over
// MailLimits::stream_part_bytes (8bit, QP or base64) is converted as it is
// read (CharsetStream) and redacted in its own charset and encoding: with
// every part streamed, in ranges of a few bytes (every character and id
// cut somewhere) or of 64 KiB, the findings (offsets, lines, parts), notes
// and redacted bytes equal those of the parts converted whole — single-byte,
// multi-byte and stateful charsets, invalid sequences, a CSV attachment.
TEST_CASE("mail: parts in other charsets converted as a stream give the findings and redaction of parts whole",
          "[mail][memory]") {
  const char* ids[] = {"01015000070", "01015000747", "01015002162"};
  auto lines = [&](const std::string& word, const std::string& eol, int n, const std::string& odd = "") {
    std::string t;
    for (int i = 0; i < n; ++i)
      t += "Kunde " + std::to_string(i) + " " + word + " " + ids[i % 3] + (i % 5 == 4 ? odd : "") + eol;
    return t;
  };
  auto part = [](const std::string& ct, const std::string& cte, const std::string& body,
                 const std::string& extra = "") {
    return "--BB\nContent-Type: " + ct + "\n" + extra + "Content-Transfer-Encoding: " + cte + "\n\n" + body + "\n";
  };
  const std::string cp1252 = lines("f\xF8" "dselsnummer", "\n", 150, " \x80\x81");
  const std::string utf8 = lines("f\xC3\xB8" "dselsnummer \xF0\x9F\x98\x80", "\r\n", 120);
  const std::string sjis = lines("\x8C\xDA\x8B\x71 \x94\xD4\x8D\x86", "\r\n", 120, " \x81 \xB1");
  const std::string gb = lines("\xC4\xE3\xBA\xC3 \x81\x30\x81\x30 \x95\x32\x82\x36", "\n", 120, " \xFF\x81\x30");
  const std::string jis = lines("\x1B$B\x46\x7C\x4B\x5C\x1B(B", "\n", 120, " \x1B$B\x24");
  const std::string euckr = lines("\xC7\xD1\xB1\xB9", "\n", 120, " \xC7");
  const std::string csv = "navn;fnr;note\n" + [&] {
    std::string t;
    for (int i = 0; i < 80; ++i) t += "K\xF8" "re " + std::to_string(i) + ";" + ids[i % 3] + ";\"a;\nb\"\n";
    return t;
  }();
  std::string u16 = FromUtf8(utf8, "UTF-16LE");
  std::string u16csv = FromUtf8("navn,fnr\n\xC3\x85se," + std::string(ids[1]) + "\n", "UTF-16BE");
  std::string msg = "From: a@example.org\nTo: b@example.org\nSubject: charsets\nMIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=\"BB\"\n\n" +
                    part("text/plain; charset=windows-1252", "8bit", cp1252) +
                    part("text/plain; charset=iso-8859-1", "quoted-printable", EncodeQuotedPrintable(cp1252, "\n")) +
                    part("text/plain; charset=windows-1252", "base64", EncodeBase64(cp1252, "\r\n")) +
                    part("text/plain; charset=us-ascii", "7bit", cp1252) +  // not UTF-8: windows-1252
                    part("text/plain; charset=x-no-such", "8bit", cp1252) +  // unknown label: noted
                    part("text/plain; charset=koi8-r", "x-odd", "\xC6\xCE\xD2 " + std::string(ids[0]) + "\n") +
                    part("text/plain; charset=shift_jis", "base64", EncodeBase64(sjis, "\n")) +
                    part("text/plain; charset=Shift_JIS", "8bit", sjis) +
                    part("text/plain; charset=utf-16", "base64", EncodeBase64("\xFF\xFE" + u16, "\n")) +
                    part("text/plain; charset=utf-16le", "quoted-printable", EncodeQuotedPrintable(u16, "\n")) +
                    part("text/plain; charset=utf-16be", "base64",
                         EncodeBase64(FromUtf8(utf8, "UTF-16BE") + std::string("\xD8\x00\x00" "a", 4), "\n")) +
                    part("text/plain; charset=gb18030", "quoted-printable", EncodeQuotedPrintable(gb, "\n")) +
                    part("text/plain; charset=iso-2022-jp", "7bit", jis) +
                    part("text/plain; charset=euc-kr", "base64", EncodeBase64(euckr, "\n")) +
                    part("text/csv; charset=windows-1252", "base64", EncodeBase64(csv, "\n"),
                         "Content-Disposition: attachment; filename=\"k.csv\"\n") +
                    part("text/csv; charset=windows-1252", "8bit", csv,
                         "Content-Disposition: attachment; filename=\"k.csv\"\n") +
                    part("text/csv; charset=utf-16be", "base64", EncodeBase64(u16csv, "\n"),
                         "Content-Disposition: attachment; filename=\"k.csv\"\n") +
                    part("text/html; charset=windows-1252", "8bit", "<p>f\xF8" "dselsnummer " + std::string(ids[2])) +
                    "--BB--\n";
  MailCollect whole = ScanMail(msg);
  RedactSummary sw;
  const std::string rw = RedactMail(msg, &sw);
  REQUIRE(whole.findings.size() > 1500);
  for (const char* id : ids) CHECK(rw.find(id) == std::string::npos);
  for (size_t range : {size_t{1}, size_t{3}, size_t{7}, size_t{4096}, size_t{256} << 10}) {
    INFO("range " << range);
    MailLimits lim;
    lim.stream_part_bytes = 0;
    lim.stream_range = range;
    MailCollect c = ScanMail(msg, lim);
    CheckSameScan(whole, c);
    RedactSummary ss;
    CHECK(RedactMail(msg, &ss, lim) == rw);
    CHECK(ss.redacted == sw.redacted);
  }
}

// Issue 12 #9: a QP/base64 CSV attachment over MailLimits::stream_part_bytes
// is decoded a range at a time and its cells cut from the ranges as they
// come (a cell spans ranges; one longer than csv_window is scanned as a
// stream itself): with every part streamed, ranges of a few encoded bytes
// (every id and most cells span a range boundary) and windows of a few bytes
// (most cells streamed, the header's names too), the findings (offsets,
// lines, fields, labels from the column names) and the redacted bytes equal
// those of the part decoded whole — quoted cells with line breaks and "",
// blanks after a closing quote, a quote inside an unquoted cell, CRLF, a
// '\r' or a closing quote at the end, empty cells, ; , and tab delimiters
// (text after a closing quote and an open quote are errors since closed17:
// the random test below checks both ways agree on them).
TEST_CASE("mail: a CSV attachment decoded as a stream gives the findings and redaction of the part decoded whole",
          "[mail][memory][csv]") {
  const char* ids[] = {"01015000070", "01015000747", "01015002162"};
  std::string semi = "navn;cpr;f\xC3\xB8" "dselsnummer;note;Identitet\r\n";
  for (int i = 0; i < 60; ++i) {
    const std::string id = ids[i % 3];
    semi += "Kunde " + std::to_string(i) + ";0101801234;" + id + ";";
    switch (i % 6) {
      case 0: semi += "\"ny \"\"adr\"\";\nadresse, fnr " + id + ";0101801234\"\"x\"\"\""; break;  // "", ; and a line break in quotes
      case 1: semi += "a\"b " + id; break;                               // a quote inside an unquoted cell
      case 2: semi += "\"kort\"   \t"; break;                             // blanks after it
      case 3: semi += ""; break;                                          // empty
      case 4: semi += "\"" + std::string(300, 'y') + " " + id + "\n" + std::string(200, 'z') + "\""; break;  // long
      default: semi += "fnr " + id + "\r"; break;                         // a '\r' kept inside the cell
    }
    semi += ";0101801234" + std::string(i % 2 ? "\r\n" : "\n");  // (a CPR found by its column's name)
  }
  std::string comma = "id,\"" + std::string(80, 'h') + " Identitet\",\"fnr\"\"\"\n";  // long (streamed) header cells
  for (int i = 0; i < 40; ++i) comma += std::to_string(i) + ",010165-4321," + ids[i % 3] + "\n";
  comma += "x,\"" + std::string(ids[0]) + "\"   \r";  // ends in blanks and '\r' after a closing quote
  std::string tab = "a\tfnr\tb\n";
  for (int i = 0; i < 30; ++i) tab += "x\t" + std::string(ids[i % 3]) + "\t\"y\ty\"\n";
  tab += "z\t" + std::string(ids[1]) + "\t\"last " + ids[2] + "\"";  // a quote closed at the very end
  std::string cr = "fnr,b\n" + std::string(ids[0]) + ",x\r";  // a '\r' at the very end
  auto part = [](const std::string& ct, const std::string& cte, const std::string& body) {
    return "--BB\nContent-Type: " + ct + "\nContent-Disposition: attachment; filename=\"k.csv\"\n"
           "Content-Transfer-Encoding: " + cte + "\n\n" + body + "\n";
  };
  std::string msg = "From: a@example.org\nTo: b@example.org\nSubject: csv\nMIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=\"BB\"\n\n" +
                    part("text/csv; charset=utf-8", "base64", EncodeBase64(semi, "\n")) +
                    part("text/csv; charset=utf-8", "quoted-printable", EncodeQuotedPrintable(semi, "\n")) +
                    part("text/csv", "base64", EncodeBase64(comma, "\r\n")) +  // no charset: UTF-8 bytes
                    part("application/octet-stream", "base64", EncodeBase64(tab, "\n")) +  // .csv name
                    part("text/csv; charset=utf-8", "quoted-printable", EncodeQuotedPrintable(cr, "\n")) +
                    part("text/csv; charset=utf-8", "base64", EncodeBase64("", "\n")) + "--BB--\n";
  MailCollect whole = ScanMail(msg);
  RedactSummary sw;
  const std::string rw = RedactMail(msg, &sw);
  REQUIRE(whole.findings.size() > 300);
  CHECK(rw.find(ids[0]) == std::string::npos);
  const std::pair<size_t, size_t> shapes[] = {{1, 1}, {3, 2}, {4, 5}, {7, 16}, {13, 100}, {50, 1u << 20}, {1000, 3},
                                              {2, 1u << 20}, {256u << 10, 7}};
  for (auto [range, window] : shapes) {
    INFO("range " << range << ", window " << window);
    MailLimits lim;
    lim.stream_part_bytes = 0;
    lim.stream_range = range;
    lim.csv_window = window;
    MailCollect c = ScanMail(msg, lim);
    CheckSameScan(whole, c);
    RedactSummary ss;
    CHECK(RedactMail(msg, &ss, lim) == rw);
    CHECK(ss.redacted == sw.redacted);
  }
  // Fail closed: blanks after a closing quote wait for the byte that says
  // whether they are in the cell; more than the window (at least 64 KiB)
  // of them in a streamed cell is an error (no id in it), the redaction
  // incomplete.
  const std::string blanks = "a,b\n\"" + std::string(ids[0]) + "\"" + std::string(70000, ' ') + ",c\n" + ids[1] + ",d\n";
  const std::string bad = "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BB\"\n\n" +
                          part("text/csv; charset=utf-8", "base64", EncodeBase64(blanks, "\n")) + "--BB--\n";
  MailLimits lim;
  lim.stream_part_bytes = 0;
  lim.csv_window = 80000;
  CHECK(ScanMail(bad, lim).findings.size() == 2);  // (a window over the blanks: scanned)
  lim.csv_window = 4;
  auto ctx = Engine()->NewContext(KeyedHasher("test-key"));
  MailScanner ms(*ctx, lim);
  MailCollect got;
  Status st = ms.Scan(bad, 0, 1, FindingFilter{}, got);
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("blank bytes after the closing quote") != std::string::npos);
  CHECK(st.message().find(ids[0]) == std::string::npos);
  std::string out;
  RedactSummary sum;
  Status rs = ms.Redact(bad, FindingFilter{}, RedactStyle::kLabel, out, sum);
  CHECK((!rs.ok() || sum.incomplete));
}

// The same, on random CSV-like text (quotes, delimiters, blanks, '\r' and
// line breaks in any order, ids among them), so the streamed cutter and
// CsvCells agree on every malformed shape too.
TEST_CASE("mail: random CSV-like attachments give the same findings and redaction streamed or whole",
          "[mail][memory][csv]") {
  const char* pieces[] = {"\"", "\"\"", ",", ";", "\t", "\n", "\r", "\r\n", " ", "a", "fnr ", "cpr ",
                          "01015000070", "01015000747", "0101801234", "15108695088", "x y", "\xC3\xB8"};
  std::mt19937 rng(12);
  for (int it = 0; it < 150; ++it) {
    std::string csv = it % 3 ? "id;fnr;cpr\n" : "";
    const size_t n = rng() % 80;
    for (size_t k = 0; k < n; ++k) csv += pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
    const bool qp = it % 2;
    const std::string msg = "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BB\"\n\n--BB\n"
                            "Content-Type: text/csv; charset=utf-8\nContent-Transfer-Encoding: " +
                            std::string(qp ? "quoted-printable" : "base64") + "\n\n" +
                            (qp ? EncodeQuotedPrintable(csv, "\n") : EncodeBase64(csv, "\n")) + "\n--BB--\n";
    INFO("iteration " << it);
    // Both ways the same findings and redacted bytes, or both the same
    // error (malformed quoting, closed17).
    auto outcome = [&](const MailLimits& lim) {
      auto ctx = Engine()->NewContext(KeyedHasher("test-key"), ReferenceDate{2026, 11, 23});
      MailScanner ms(*ctx, lim);
      MailCollect c;
      Status st = ms.Scan(msg, 0, 1, FindingFilter{}, c);
      if (!st.ok()) return "error: " + st.message();
      std::string o;
      for (const Finding& f : c.findings)
        o += f.type + " " + std::to_string(f.start) + " " + std::to_string(f.end) + " " + std::to_string(static_cast<int>(f.confidence)) + "\n";
      FindingFilter filter;
      filter.categories = {"national-id", "financial", "credential"};
      std::string out;
      RedactSummary sum;
      Status rs = ms.Redact(msg, filter, RedactStyle::kLabel, out, sum);
      return o + (rs.ok() && !sum.incomplete ? out : "redact incomplete");
    };
    const std::string whole = outcome({});
    MailLimits lim;
    lim.stream_part_bytes = 0;
    lim.stream_range = 1 + rng() % 9;
    lim.csv_window = 1 + rng() % 12;
    INFO("range " << lim.stream_range << ", window " << lim.csv_window);
    CHECK(outcome(lim) == whole);
  }
}

TEST_CASE("mail: an HTML part over the HTML part limit is an error, not scanned, not passed", "[mail][limits][memory]") {
  // Issue 12 #9: HTML is converted whole (Gumbo builds a tree, ~8 bytes per
  // byte: a 20 MB text/html part peaked at 169 MB), so a part whose decoded
  // HTML is over MailLimits::max_html_part_bytes makes the message incomplete:
  // Scan fails naming the limit (not the id), Redact is incomplete.
  MailLimits lim;
  lim.max_html_part_bytes = 400;
  auto message = [](size_t pad, const std::string& cte) {
    std::string html = "<html><body><p>Kunde <b>f\xc3\xb8" "dselsnummer</b> 15108695088</p>" + std::string(pad, 'x') +
                       "</body></html>\n";
    return "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=B\n\n--B\n"
           "Content-Type: text/plain; charset=utf-8\n\nhei\n--B\nContent-Type: text/html; charset=utf-8\n"
           "Content-Transfer-Encoding: " + cte + "\n\n" + html + "--B--\n";
  };
  for (const std::string cte : {"8bit", "quoted-printable"}) {
    INFO(cte);
    // Under the limit: scanned and redacted as before.
    auto c = ScanMail(message(100, cte), lim);
    CHECK(FindType(c, "no.fnr"));
    RedactSummary sum;
    std::string out = RedactMail(message(100, cte), &sum, lim);
    CHECK_FALSE(sum.incomplete);
    CHECK(out.find("15108695088") == std::string::npos);
    // Over it: an error naming the limit; redaction incomplete.
    auto ctx = Engine()->NewContext(KeyedHasher("test-key"));
    MailScanner ms(*ctx, lim);
    MailCollect got;
    Status s = ms.Scan(message(500, cte), 0, 1, FindingFilter{}, got);
    REQUIRE_FALSE(s.ok());
    CHECK(s.message().find("HTML part limit (400 bytes") != std::string::npos);
    CHECK(s.message().find("15108695088") == std::string::npos);
    RedactMail(message(500, cte), &sum, lim);
    CHECK(sum.incomplete);
  }
}

// A UTF-32 part with a little-endian BOM is read little-endian (ICU follows
// the BOM), so the replacement must be written little-endian too; a label
// that is an ICU alias of UTF-16/UTF-32 (unicode, ucs-2, ucs-4,
// x-utf-16le-bom) must not get ASCII bytes nor a BOM in the middle. Before:
// utf-32 / ucs-4 wrote big-endian (misaligned: not UTF-32 any more), ucs-2 a
// BOM before each replacement, unicode and x-utf-16le-bom ASCII bytes.
TEST_CASE("mail: redaction writes a UTF-16/32 part back in the byte order it was read in, whatever the alias",
          "[mail][charset]") {
  const std::string text = "Kunde f\xC3\xB8" "dselsnummer 01015000070 og 01015000747\n";
  const std::string want = "Kunde f\xC3\xB8" "dselsnummer [NO-FNR] og [NO-FNR]\n";
  struct Case {
    const char* label;
    const char* bom;
    size_t bom_len;
    const char* order;
  };
  for (const Case& c : {Case{"utf-32", "\xFF\xFE\0\0", 4, "UTF-32LE"}, Case{"ucs-4", "\xFF\xFE\0\0", 4, "UTF-32LE"},
                        Case{"utf-32", "\0\0\xFE\xFF", 4, "UTF-32BE"}, Case{"ucs-2", "\xFF\xFE", 2, "UTF-16LE"},
                        Case{"unicode", "\xFF\xFE", 2, "UTF-16LE"}, Case{"x-utf-16le-bom", "\xFF\xFE", 2, "UTF-16LE"},
                        Case{"utf-16", "\xFF\xFE", 2, "UTF-16LE"}}) {
    const std::string bom(c.bom, c.bom_len);
    const std::string body = bom + FromUtf8(text, c.order);
    const std::string msg = std::string("From: a@example.org\nSubject: x\nMIME-Version: 1.0\nContent-Type: text/plain; charset=") +
                            c.label + "\nContent-Transfer-Encoding: base64\n\n" + EncodeBase64(body, "\n");
    for (bool stream : {false, true}) {
      INFO(c.label << " " << c.order << (stream ? " streamed" : " whole"));
      CHECK(DecodeBase64(RedactedBody(msg, stream, 2)).bytes == bom + FromUtf8(want, c.order));
    }
  }
}

// The streamed path looks for the BOM in the first decoded bytes: a
// quoted-printable body that starts with soft line breaks has its BOM past
// the first 16 encoded bytes (before: the streamed part read it little-endian
// through ICU but wrote the replacement big-endian; the whole part was right).
TEST_CASE("mail: a streamed UTF-16 part finds its BOM after soft line breaks", "[mail][charset]") {
  const std::string text = "Kunde fnr 01015000070 og fnr 01015000747\n";
  const std::string want = "Kunde fnr [NO-FNR] og fnr [NO-FNR]\n";
  const std::string body = "\xFF\xFE" + FromUtf8(text, "UTF-16LE");
  std::string qp;
  for (unsigned char ch : body) {
    char b[4];
    std::snprintf(b, sizeof b, "=%02X", ch);
    qp += b;
    if (qp.size() % 62 == 60) qp += "=\n";
  }
  const std::string msg = "From: a@example.org\nSubject: x\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-16\n"
                          "Content-Transfer-Encoding: quoted-printable\n\n=\n=\n=\n=\n=\n=\n" + qp + "\n";
  for (bool stream : {false, true}) {
    INFO((stream ? "streamed" : "whole"));
    CHECK(DecodeQuotedPrintable(RedactedBody(msg, stream, 2)).bytes == "\xFF\xFE" + FromUtf8(want, "UTF-16LE") + "\n");
  }
}

// Issue 14: EncodeQuotedPrintable writes through a pointer, 4 KiB of input at
// a time; its output is the byte-at-a-time loop's (kept here as the
// reference) for every eol, line ending, space or tab before a break, 'F' or
// '.' at a line's start, escape at the 75th column, and CR LF cut by the
// 4 KiB step.
namespace {
std::string ReferenceQp(std::string_view in, std::string_view eol) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  size_t col = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (c == '\n' || (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n')) {
      if (c == '\r') ++i;
      out += eol;
      col = 0;
      continue;
    }
    bool at_eol = i + 1 == in.size() || in[i + 1] == '\n' || (in[i + 1] == '\r' && i + 2 < in.size() && in[i + 2] == '\n');
    bool escape = c == '=' || c < 32 || c > 126;
    if ((c == ' ' || c == '\t') && at_eol) escape = true;
    if ((c == ' ' || c == '\t') && !at_eol) escape = false;
    if (col == 0 && (c == 'F' || c == '.')) escape = true;
    size_t w = escape ? 3 : 1;
    if (col + w > 75) {
      out += '=';
      out += eol;
      col = 0;
      if (c == 'F' || c == '.') escape = true, w = 3;
    }
    if (escape) {
      out += '=';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
    col += w;
  }
  return out;
}
}  // namespace

TEST_CASE("EncodeQuotedPrintable equals the byte-at-a-time reference", "[mail][encode]") {
  std::mt19937 rng(1414);
  static const char* atoms[] = {"a", "F", ".", " ", "\t", "=", "\n", "\r\n", "\r", "\xC3\xA5", "\x01", "~", "From "};
  for (int round = 0; round < 400; ++round) {
    std::string in;
    const size_t n = round < 20 ? 4000 + rng() % 9000 : rng() % 700;
    while (in.size() < n) {
      if (rng() % 3 == 0) in += atoms[rng() % (sizeof atoms / sizeof atoms[0])];
      else in += static_cast<char>(rng() % 4 ? 'a' + rng() % 26 : rng() % 256);
    }
    if (round % 7 == 0) in.insert(std::min<size_t>(in.size(), 4095), "\r\n");  // a CR LF across the 4 KiB step
    for (std::string_view eol : {std::string_view("\n"), std::string_view("\r\n")}) {
      INFO("round " << round << " size " << in.size() << " eol " << eol.size());
      CHECK(EncodeQuotedPrintable(in, eol) == ReferenceQp(in, eol));
    }
  }
}

// Issue 14: EncodeBase64 writes a line of 19 quanta at a time; its output is
// the character-at-a-time loop's (the reference) for every length around the
// 57-byte line and every eol.
TEST_CASE("EncodeBase64 equals the character-at-a-time reference", "[mail][encode]") {
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto reference = [&](std::string_view in, std::string_view eol) {
    std::string out;
    size_t col = 0;
    auto put = [&](char ch) {
      if (col == 76) {
        out += eol;
        col = 0;
      }
      out += ch;
      ++col;
    };
    size_t i = 0;
    const auto* s = reinterpret_cast<const unsigned char*>(in.data());
    for (; i + 3 <= in.size(); i += 3) {
      uint32_t v = (s[i] << 16) | (s[i + 1] << 8) | s[i + 2];
      put(b64[v >> 18]), put(b64[(v >> 12) & 63]), put(b64[(v >> 6) & 63]), put(b64[v & 63]);
    }
    if (in.size() - i == 1) {
      uint32_t v = s[i] << 16;
      put(b64[v >> 18]), put(b64[(v >> 12) & 63]), put('='), put('=');
    } else if (in.size() - i == 2) {
      uint32_t v = (s[i] << 16) | (s[i + 1] << 8);
      put(b64[v >> 18]), put(b64[(v >> 12) & 63]), put(b64[(v >> 6) & 63]), put('=');
    }
    return out;
  };
  std::mt19937 rng(1415);
  for (size_t n = 0; n < 400; ++n) {
    std::string in;
    for (size_t k = 0; k < n; ++k) in += static_cast<char>(rng() % 256);
    for (std::string_view eol : {std::string_view("\n"), std::string_view("\r\n"), std::string_view("")}) {
      INFO("size " << n << " eol " << eol.size());
      CHECK(EncodeBase64(in, eol) == reference(in, eol));
    }
  }
}

// Issue 14: Message-ID, Date and Subject are read through ParseTopHeaders
// (the header block alone) instead of a whole ParseMime; its entity must hold
// the header fields and offsets entities[0] of ParseMime holds, on the
// samples, the fuzz seeds, CPython's corpus and edge cases (limits of field
// count and size, no blank line, an envelope "From " line, CRLF, no headers).
TEST_CASE("ParseTopHeaders equals the top entity of ParseMime", "[mail]") {
  std::vector<std::string> msgs;
  for (const char* dir : {"/samples/mail", "/tests/fuzz/mail_seeds", "/tests/fuzz/mail_crashes"}) {
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(SourceDir() + dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
      if (it->is_regular_file()) msgs.push_back(ReadFile(it->path().string()));
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/usr/lib/python3.11/test/test_email/data", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    if (it->path().filename().string().rfind("msg_", 0) == 0) msgs.push_back(ReadFile(it->path().string()));
  REQUIRE(msgs.size() >= 20);
  const std::vector<std::string> edge = {
      "", "\n", "\r\n", "Subject: x", "Subject: x\n", "Subject: x\nbody without a blank line\n",
      "From someone Mon Jan  1 00:00:00 2024\nMessage-ID: <a@b>\n\nbody\n",
      "Message-ID: <a@b>\r\n  folded\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\n\r\nbody\r\n",
      " leading continuation\nSubject: x\n\n", "Subject : spaced colon\n\nb",
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nSubject: inner\n\nx\n--b--\n",
      "Content-Type: message/rfc822\n\nMessage-ID: <inner@x>\n\nbody\n"};
  msgs.insert(msgs.end(), edge.begin(), edge.end());
  MailLimits small;  // limits hit: field count and field size
  small.max_header_fields = 3;
  small.max_header_bytes = 40;
  std::string many = "From: a@example.org\n";
  for (int i = 0; i < 8; ++i) many += "X-N: " + std::to_string(i) + (i % 3 ? "\n" : "\n  folded over a line\n");
  many += "Subject: a long one folded\n over more than forty bytes of header\n\nbody\n";
  msgs.push_back(many);
  size_t compared = 0;
  for (const MailLimits& lim : {MailLimits{}, small}) {
    for (const std::string& m : msgs) {
      const MimeEntity top = ParseTopHeaders(m, lim);
      const MimeTree tree = ParseMime(m, lim);
      const MimeEntity& want = tree.entities.at(0);
      INFO(m.substr(0, 200));
      CHECK(top.start == want.start);
      CHECK(top.body == want.body);
      CHECK(top.end == want.end);
      CHECK(top.message_root == want.message_root);
      REQUIRE(top.headers.size() == want.headers.size());
      for (size_t i = 0; i < top.headers.size(); ++i) {
        CHECK(top.headers[i].name == want.headers[i].name);
        CHECK(top.headers[i].start == want.headers[i].start);
        CHECK(top.headers[i].value == want.headers[i].value);
        CHECK(top.headers[i].end == want.headers[i].end);
        CHECK(top.headers[i].next == want.headers[i].next);
      }
      ++compared;
    }
  }
  CHECK(compared == 2 * msgs.size());
  CHECK(MailScanner::MessageId(msgs[msgs.size() - 7]) == "a@b");
}

// Issue 14: header names are matched against the lists in place (no
// lower-cased copy); the class of every listed name in random case, with
// trailing blanks, one byte changed, cut or added, and of other names, must
// be the one the copy-and-compare reference gives.
TEST_CASE("header classes: in-place matching equals lower-case-and-compare", "[mail]") {
  const std::vector<std::vector<std::string>> lists = {
      {"received", "dkim-signature", "arc-seal", "arc-message-signature", "arc-authentication-results",
       "authentication-results", "received-spf", "message-id", "references", "in-reply-to", "date", "mime-version",
       "content-transfer-encoding", "content-id", "domainkey-signature", "x-google-dkim-signature",
       "x-ms-exchange-organization-network-message-id", "delivered-to", "resent-date", "resent-message-id"},
      {"content-type", "content-disposition"},
      {"from", "to", "cc", "bcc", "reply-to", "sender", "return-path", "resent-from", "resent-to", "resent-cc",
       "resent-sender", "x-original-to", "envelope-to", "delivered-to", "errors-to", "disposition-notification-to",
       "mail-followup-to", "mail-reply-to"},
      {"x-nordpii", "x-nordpii-verdict"}};
  auto in = [](std::string_view name, const std::vector<std::string>& list) {
    std::string l(name);
    for (char& c : l)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.pop_back();
    return std::find(list.begin(), list.end(), l) != list.end();
  };
  auto reference = [&](std::string_view name) {
    return (in(name, lists[0]) ? 0u : 1u) | (in(name, lists[1]) ? 2u : 0u) | (in(name, lists[2]) ? 4u : 0u) |
           (in(name, lists[3]) ? 8u : 0u);
  };
  std::mt19937 rng(14);
  std::vector<std::string> names = {"", " ", "\t", "subject", "x-mailer", "Subject", "FROM\xC3", "\xC3\x85",
                                    "to:", " to", "t o", "TO\r", "comments", "keywords"};
  for (const auto& list : lists) {
    for (const std::string& n : list) {
      for (int k = 0; k < 6; ++k) {
        std::string v = n;
        for (char& c : v)
          if (rng() % 2) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        names.push_back(v);
        names.push_back(v + (k % 2 ? " " : "\t") + (k % 3 ? "" : " \t"));
        std::string changed = v;
        const size_t at = rng() % changed.size();
        changed[at] = static_cast<char>(k % 2 ? changed[at] + 1 : changed[at] ^ 0x20);
        names.push_back(changed);
        names.push_back(v.substr(0, v.size() - 1));
        names.push_back(v + static_cast<char>('a' + rng() % 26));
        names.push_back(std::string(1, static_cast<char>(rng() % 256)) + v);
      }
    }
  }
  size_t listed = 0;
  for (const std::string& n : names) {
    INFO(n);
    const unsigned want = reference(n);
    CHECK(internal::HeaderClass(n) == want);
    listed += want != 1u;
  }
  CHECK(listed > 400);  // the listed names (in their variants) were tried, not only others
}

// html21 (lead, 2026-12-05): an id with its label in the title, a <meta
// content>, a script or a style sheet of an HTML body or attachment was not
// scanned (exit 0). Each is now scanned as a document of its own and
// redacted in place, the HTML around it untouched.
TEST_CASE("mail: ids in the title, meta content, a script and a style sheet of HTML bodies and attachments",
          "[mail][html][html21]") {
  const std::string forms[] = {
      "<head><title>F\xC3\xB8" "dselsnummer 15108695088</title></head>",
      "<head><meta name=\"description\" content=\"f\xC3\xB8" "dselsnummer 15108695088\"></head>",
      "<script>var fnr=\"15108695088\"; // f\xC3\xB8" "dselsnummer</script>",
      "<style>/* f\xC3\xB8" "dselsnummer 15108695088 */</style>",
  };
  const std::string top = "From: a@example.com\nTo: b@example.com\nSubject: x\nMIME-Version: 1.0\n";
  for (const std::string& form : forms) {
    const std::string html = "<html>" + form + "<body><p>Hei</p></body></html>\n";
    std::string redacted_html = html;
    redacted_html.replace(html.find("15108695088"), 11, "[NO-FNR]");
    const std::string attach_head = top + "Content-Type: multipart/mixed; boundary=\"BB\"\n\n--BB\n"
                                          "Content-Type: text/plain; charset=utf-8\n\nHei\n--BB\n";
    const std::string msgs[] = {
        top + "Content-Type: text/html; charset=utf-8\n\n" + html,  // the body
        attach_head + "Content-Type: text/html; charset=utf-8\nContent-Disposition: attachment; filename=\"side.html\"\n"
                      "Content-Transfer-Encoding: base64\n\n" + EncodeBase64(html, "\n") + "--BB--\n",
        attach_head + "Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"side.html\"\n"
                      "Content-Transfer-Encoding: quoted-printable\n\n" + EncodeQuotedPrintable(html, "\n") + "--BB--\n",
        attach_head + "Content-Type: application/octet-stream; name=\"eksport.html\"\n\n" + html + "--BB--\n",
    };
    for (const std::string& msg : msgs) {
      INFO(msg);
      MailCollect c = ScanMail(msg);
      REQUIRE(c.findings.size() == 1);
      CHECK(c.findings[0].type == "no.fnr");
      CHECK(c.findings[0].confidence == Confidence::kHigh);  // labelled
      CHECK(c.values[0] == "15108695088");
      RedactSummary sum;
      const std::string out = RedactMail(msg, &sum);
      CHECK(sum.redacted == 1);
      CHECK(ScanMail(out).findings.empty());
      if (msg.find("base64") == std::string::npos && msg.find("quoted-printable") == std::string::npos)
        CHECK(out.find(redacted_html) != std::string::npos);  // in place, the markup intact
    }
  }
}

// review21a: a <meta>'s content is page metadata (fb:app_id, twitter:site:id,
// app store ids: long digit runs, one in ten Luhn-valid): an unlabelled
// number there gave a card at medium (38 of 400 newsletters with an
// fb:app_id, exit 1); now only labelled findings count, as in a script.
TEST_CASE("mail: an unlabelled number in a <meta> content is no finding, a labelled one is", "[mail][html][html21]") {
  const std::string head = "Subject: x\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n";
  const std::string card = "4539102847560121";  // Luhn-valid, a Visa shape
  REQUIRE(ScanMail(head + "<p>Hei " + card + " x</p>\n").findings.size() == 1);  // in the text: a card
  CHECK(ScanMail(head + "<html><head><meta property=\"fb:app_id\" content=\"" + card +
                 "\"></head><body><p>Hei</p></body></html>\n").findings.empty());
  CHECK(ScanMail(head + "<html><head><meta name=\"twitter:site:id\" content=\"15108695088\"></head><body>x</body></html>\n")
            .findings.empty());
  auto c = ScanMail(head + "<html><head><meta name=\"description\" content=\"Kunde, f\xC3\xB8" "dselsnummer 15108695088\">"
                    "</head><body>x</body></html>\n");
  REQUIRE(c.findings.size() == 1);
  CHECK(c.findings[0].confidence == Confidence::kHigh);
}

TEST_CASE("mail: a label in the visible HTML text does not reach a number in a script, nor the reverse",
          "[mail][html][html21]") {
  const std::string head = "Subject: x\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n";
  // An unlabelled number in a script is not reported (scripts are full of
  // numbers); the body's label does not label it.
  CHECK(ScanMail(head + "<p>F\xC3\xB8" "dselsnummer:</p><script>var x=\"15108695088\";</script><p>Hei</p>\n")
            .findings.empty());
  CHECK(ScanMail(head + "<p>Hei</p><script>var x=\"fnr\";</script><p>15108695088</p>\n").findings.size() == 1);
  {
    auto c = ScanMail(head + "<p>Hei</p><script>var x=\"fnr\";</script><p>15108695088</p>\n");
    CHECK(c.findings[0].confidence != Confidence::kHigh);  // the script's "fnr" labels nothing outside it
  }
  // The visible text still reads across a script, as before.
  auto c = ScanMail(head + "<p>F\xC3\xB8" "dselsnummer:</p><script>var a = 1;</script><p>15108695088</p>\n");
  REQUIRE(c.findings.size() == 1);
  CHECK(c.findings[0].confidence == Confidence::kHigh);
  // <noscript> and <textarea> are read as visible text (as before); a
  // <template>'s content, <noframes> and a <base href> in the head are
  // documents of their own.
  for (const char* body : {"<noscript>f\xC3\xB8" "dselsnummer 15108695088</noscript>",
                           "<textarea>f\xC3\xB8" "dselsnummer 15108695088</textarea>",
                           "<template><p>f\xC3\xB8" "dselsnummer 15108695088</p></template>",
                           "<noframes>fnr 15108695088</noframes>"}) {
    INFO(body);
    c = ScanMail(head + "<p>Hei</p>" + body + "\n");
    REQUIRE(c.findings.size() == 1);
    CHECK(c.values[0] == "15108695088");
  }
  c = ScanMail(head + "<head><base href=\"https://x.no/k?fnr=15108695088\"></head><p>Hei</p>\n");
  REQUIRE(c.findings.size() == 1);
  // JSON keys in a script label its values.
  c = ScanMail(head + "<p>Hei</p><script type=\"application/json\">{\"kunde\":{\"navn\":\"Ola\",\"f\xC3\xB8"
                      "dselsnummer\":\"15108695088\",\"ordre\":12345678901}}</script>\n");
  REQUIRE(c.findings.size() == 1);
  CHECK(c.values[0] == "15108695088");
}

TEST_CASE("mail: format=flowed soft line breaks are undone, an id wrapped at its space is found and redacted (review22)",
          "[mail][flowed]") {
  const std::string head = "From: a@example.no\r\nTo: b@example.no\r\nSubject: s\r\nMIME-Version: 1.0\r\n";
  const std::string body =
      "Hei, her er CPR-nummeret mitt som dere ba om i forrige uke: 070761 \r\n4285 og\r\n"
      ">> sitat: fodselsnummer 151086 \r\n>> 95088 slutt\r\n";
  auto scan = [&](const std::string& params) {
    return ScanMail(head + "Content-Type: text/plain; charset=utf-8" + params + "\r\n\r\n" + body);
  };
  MailCollect flowed = scan("; format=flowed");
  REQUIRE(flowed.findings.size() == 2);
  // Decoded whole even where other parts stream (the mail fuzzer's
  // whole/streamed invariant: a streamed part kept its soft breaks).
  MailLimits streamed;
  streamed.stream_part_bytes = 0;
  const std::string b64 = head + "Content-Type: text/plain; charset=utf-8; format=flowed\r\n"
                                 "Content-Transfer-Encoding: base64\r\n\r\n" + EncodeBase64(body, "\r\n");
  MailCollect flowed_whole = ScanMail(b64), flowed_streamed = ScanMail(b64, streamed);
  CHECK(flowed_whole.findings.size() == 2);
  CheckSameScan(flowed_whole, flowed_streamed);
  CHECK(flowed.findings[0].type == "dk.cpr");
  CHECK(flowed.findings[1].type == "no.fnr");
  CHECK(flowed.findings[0].line == 7);  // located in the raw message, on the line the value starts
  // Without format=flowed, a line break after a space ends the value (no change).
  CHECK(scan("").findings.empty());
  // DelSp=yes: the space before the break is the encoder's.
  MailCollect ds = ScanMail(head + "Content-Type: text/plain; format=\"Flowed\"; DelSp=Yes\r\n\r\n" +
                            "Fodselsnummer: 151086 \r\n95088 takk\r\n");
  REQUIRE(ds.findings.size() == 1);
  CHECK(ds.findings[0].type == "no.fnr");
  // Redaction replaces the joined range: the rest of the text, the quote
  // marks of other lines and the line breaks outside the values stay.
  const std::string out =
      RedactMail(head + "Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n" + body);
  CHECK(out.find("070761") == std::string::npos);
  CHECK(out.find("95088") == std::string::npos);
  CHECK(out.find("uke: [DK-CPR] og\r\n>> sitat: fodselsnummer [NO-FNR] slutt\r\n") != std::string::npos);
  // A uuencoded block in a flowed part: its lines may end in a space (this
  // one does), so the part is not unflowed and the block is still read.
  MailCollect uu = ScanMail(head + "Content-Type: text/plain; format=flowed\r\n\r\nSe vedlagt.\r\n\r\n"
                                   "begin 644 kunde.txt\r\nF2W5N9&4Z($]L80IF;V1S96QS;G5M;65R.B Q-3$P.#8Y-3 X. H \r\n"
                                   "`\r\nend\r\n");
  REQUIRE(uu.findings.size() == 1);
  CHECK(uu.findings[0].type == "no.fnr");
}
