// SPDX-License-Identifier: Apache-2.0
// Milter: the protocol codec, the policy (parsing, errors naming keys,
// evaluation), a session driven packet by packet (each action, aborts, many
// messages, huge bodies, unknown commands, missing macros, limits, timeouts),
// and the daemon itself over a socket (concurrency bound, dropped
// connections, SIGHUP reload with a bad file).
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "milter/milter_server.h"
#include "test_util.h"

using namespace nordpii;
using namespace nordpii::milter;
using nordpii::test::ReadFile;
using nordpii::test::SourceDir;

namespace {

std::string Pkt(char cmd, std::string_view data) {
  std::string out;
  Encode(cmd, data, out);
  return out;
}
std::string Nul(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (auto p : parts) s.append(p), s.push_back('\0');
  return s;
}
std::string Be32(uint32_t v) {
  std::string s(4, '\0');
  s[0] = static_cast<char>(v >> 24), s[1] = static_cast<char>(v >> 16), s[2] = static_cast<char>(v >> 8),
  s[3] = static_cast<char>(v);
  return s;
}

const char* kPolicy = R"(
[limits]
max_message_bytes = 20000000
[direction]
internal_domains = ["example.no"]
[allow]
senders = ["dpo@example.no"]
[reject]
secure_url = "https://example.no/upload"
[reject.languages]
"partner.se" = "sv"
[[rule]]
name = "id-out"
categories = ["national-id"]
min_confidence = "high"
direction = "outbound"
action = "reject"
[[rule]]
name = "id-in"
categories = ["national-id", "credential"]
direction = "inbound"
action = "redact"
[[rule]]
name = "special"
categories = ["special"]
min_confidence = "low"
action = "flag"
[[rule]]
name = "many-phones"
types = ["phone"]
min_count = 3
action = "quarantine"
)";

std::shared_ptr<const MilterEngine> MakeEngine(const std::string& policy_text) {
  auto p = Policy::Parse(policy_text, "test.toml");
  if (!p) throw std::runtime_error(p.error().message());
  auto e = std::make_shared<MilterEngine>();
  e->scanner = test::MakeScanner();
  e->policy = *p;
  e->hasher = KeyedHasher("test-key");
  return e;
}

struct Replies {
  std::vector<Packet> packets;
  bool Has(char c) const {
    for (auto& p : packets)
      if (p.cmd == c) return true;
    return false;
  }
  const Packet* First(char c) const {
    for (auto& p : packets)
      if (p.cmd == c) return &p;
    return nullptr;
  }
};

// Drives a session like an MTA: negotiation, then messages.
struct FakeMta {
  EngineHolder engines;
  std::vector<std::string> log;
  std::unique_ptr<MilterSession> s;
  explicit FakeMta(const std::string& policy = kPolicy, uint32_t offered_proto = 0x1FFFFF,
                   uint32_t offered_actions = 0x1FF) {
    engines.Set(MakeEngine(policy));
    s = std::make_unique<MilterSession>(engines, [this](const std::string& l) { log.push_back(l); });
    Replies r = Send(Pkt(kOptNeg, Be32(6) + Be32(offered_actions) + Be32(offered_proto)));
    REQUIRE(r.packets.size() == 1);
    REQUIRE(r.packets[0].cmd == kOptNeg);
  }
  Replies Send(std::string bytes) {
    Replies r;
    Packet p, q;
    while (true) {
      auto got = Decode(bytes, p);
      REQUIRE(static_cast<bool>(got));
      if (!*got) break;
      std::string out;
      s->Handle(p, out);
      while (true) {
        auto g2 = Decode(out, q);
        REQUIRE(static_cast<bool>(g2));
        if (!*g2) break;
        r.packets.push_back(q);
      }
    }
    return r;
  }
  // One message; returns the replies to end-of-message.
  Replies Message(const std::string& from, const std::string& to, const std::vector<std::pair<std::string, std::string>>& headers,
                  const std::string& body, size_t chunk = 65535, bool macros = true) {
    std::string pre;
    if (macros) pre += Pkt(kMacro, std::string(1, kMail) + Nul({"i", "Q1234"}));
    pre += Pkt(kMail, Nul({"<" + from + ">"}));
    pre += Pkt(kRcpt, Nul({"<" + to + ">"}));
    for (auto& [n, v] : headers) pre += Pkt(kHeader, Nul({n, " " + v}));
    pre += Pkt(kEoh, "");
    for (size_t i = 0; i < body.size(); i += chunk) pre += Pkt(kBody, body.substr(i, chunk));
    Replies before = Send(pre);
    for (auto& p : before.packets) REQUIRE(p.cmd == kContinue);
    return Send(Pkt(kBodyEob, ""));
  }
};

std::string ReplyText(const Packet& p) { return std::string(p.data.c_str()); }

}  // namespace

TEST_CASE("milter codec: framing, partial input, bad lengths, macros", "[milter]") {
  std::string buf = Pkt(kHeader, Nul({"Subject", " hei"})) + Pkt(kEoh, "");
  std::string part = buf.substr(0, 7);
  Packet p;
  CHECK_FALSE(*Decode(part, p));  // incomplete: wait for more
  REQUIRE(*Decode(buf, p));
  CHECK(p.cmd == kHeader);
  CHECK(SplitNul(p.data) == std::vector<std::string_view>{"Subject", " hei"});
  REQUIRE(*Decode(buf, p));
  CHECK(p.cmd == kEoh);
  CHECK(buf.empty());
  std::string zero = Be32(0);
  CHECK_FALSE(static_cast<bool>(Decode(zero, p)));
  std::string huge = Be32(kMaxPacket + 1) + "x";
  CHECK_FALSE(static_cast<bool>(Decode(huge, p)));
  Macros m = ParseMacros(std::string(1, kConnect) + Nul({"{daemon_name}", "ORIGINATING", "j", "mx"}));
  CHECK(m.for_cmd == kConnect);
  REQUIRE(m.pairs.size() == 2);
  CHECK(m.pairs[0].first == "daemon_name");
  std::string reply = ReplyCodePacket("550", "5.7.1", "line\r\nbreak 100%");
  REQUIRE(*Decode(reply, p));
  CHECK(ReplyText(p) == "550 5.7.1 line  break 100%%");
}

TEST_CASE("milter policy: categories are checked against the pattern data, not a list in code", "[milter][policy]") {
  auto patterns = PatternSet::LoadDir(SourceDir() + "/patterns");
  REQUIRE(static_cast<bool>(patterns));
  const std::string health = "[[rule]]\nname = \"x\"\naction = \"flag\"\ncategories = [\"health\"]\n";
  auto p = Policy::Parse(health, "t.toml");
  REQUIRE(static_cast<bool>(p));  // syntax only: which categories exist is the patterns' to say
  Status st = CheckCategories(*p, *patterns, "t.toml");
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("t.toml:4: rule[1].categories: unknown category 'health'"));
  CHECK_THAT(st.message(), Catch::Contains("national-id"));  // the declared list, from categories.toml
  // Every category patterns/categories.toml declares is accepted...
  for (const CategorySpec& c : patterns->categories) {
    auto q = Policy::Parse("[[rule]]\nname = \"x\"\naction = \"flag\"\ncategories = [\"" + c.id + "\"]\n", "t.toml");
    REQUIRE(static_cast<bool>(q));
    CHECK(CheckCategories(*q, *patterns, "t.toml").ok());
  }
  // ...and a category declared in the data is known without a code change.
  PatternSet more = *patterns;
  CategorySpec h;
  h.id = "health";
  h.mask = "hidden";
  more.categories.push_back(h);
  CHECK(CheckCategories(*p, more, "t.toml").ok());
}

TEST_CASE("milter policy: the example parses, errors name file, line and key", "[milter][policy]") {
  auto ok = Policy::Load(SourceDir() + "/conf/nordpii-milter.toml");
  REQUIRE(static_cast<bool>(ok));
  CHECK(ok->rules.size() == 4);
  CHECK(ok->languages.at("example.se") == "sv");
  struct Bad {
    const char* text;
    const char* msg;
  } bad[] = {
      {"[[rule]]\nname = \"x\"\nacton = \"reject\"\n", "t.toml:3: rule[1].acton: unknown key"},
      {"[[rule]]\nname = \"x\"\naction = \"bounce\"\n", "t.toml:3: rule[1].action: expected flag, redact"},
      {"[[rule]]\naction = \"flag\"\n", "rule[1].name: every rule needs a name"},
      {"[reject]\ndefault_language = \"de\"\n", "t.toml:2: reject.default_language: expected one of"},
      {"[reject.languages]\n\"a.no\" = \"xx\"\n", "reject.languages.a.no: expected one of"},
      {"[limits]\non_error = \"drop\"\n", "limits.on_error: expected \"tempfail\" or \"accept\""},
      {"[limits]\nmax_message_bytes = 5\n", "limits.max_message_bytes: expected an integer"},
      {"[limits]\nmax_html_part_bytes = 100\n", "limits.max_html_part_bytes: expected an integer from 65536 to 2 GiB"},
      {"[milter]\nmax_connections = \"many\"\n", "milter.max_connections: expected an integer"},
      {"[surprise]\n", "t.toml:1: surprise: unknown key"},
      {"[[rule]\n", "t.toml:1:"},
  };
  for (const auto& b : bad) {
    auto r = Policy::Parse(b.text, "t.toml");
    INFO(b.text);
    REQUIRE_FALSE(static_cast<bool>(r));
    CHECK_THAT(r.error().message(), Catch::Contains(b.msg));
  }
}

TEST_CASE("milter policy: strictest action wins, direction, allow-lists, languages", "[milter][policy]") {
  Policy p = *Policy::Parse(kPolicy, "p.toml");
  Finding fnr;
  fnr.type = "no.fnr", fnr.category = "national-id", fnr.confidence = Confidence::kHigh;
  Finding health;
  health.type = "special.health", health.category = "special", health.confidence = Confidence::kMedium;
  Envelope out{"<kari@example.no>", {"<x@partner.se>"}, ""};
  Envelope in{"<x@partner.se>", {"<kari@example.no>"}, ""};
  Verdict v = Evaluate(p, out, {fnr, health});
  CHECK(v.action == Action::kReject);
  CHECK(v.rule == "id-out");
  CHECK(v.fired == std::vector<std::string>{"id-out", "special"});
  CHECK(v.outbound);
  v = Evaluate(p, in, {fnr});
  CHECK(v.action == Action::kRedact);
  CHECK(v.redact_filter.categories == std::set<std::string>{"national-id", "credential"});
  CHECK(Evaluate(p, in, {health}).action == Action::kFlag);
  CHECK(Evaluate(p, in, {}).action == Action::kNone);
  Envelope dpo{"<DPO@example.no>", {"<x@partner.se>"}, ""};
  CHECK(Evaluate(p, dpo, {fnr}).rule == "allow-list");
  Finding phone;
  phone.type = "phone", phone.category = "contact", phone.confidence = Confidence::kMedium;
  CHECK(Evaluate(p, in, {phone, phone}).action == Action::kNone);
  CHECK(Evaluate(p, in, {phone, phone, phone}).action == Action::kQuarantine);
  // The reject text: recipient-domain language, the URL, ASCII only.
  std::string sv = RejectText(p, out, {"no.fnr"});
  CHECK_THAT(sv, Catch::Contains("Meddelandet levererades inte"));
  CHECK_THAT(sv, Catch::Contains("https://example.no/upload"));
  CHECK_THAT(sv, Catch::Contains("no.fnr"));
  for (const char* lang : {"nb", "nn", "sv", "da", "fi", "is", "en"}) {
    Policy q = p;
    q.languages.clear();
    q.default_language = lang;
    std::string t = RejectText(q, out, {"no.fnr"});
    for (unsigned char ch : t) CHECK(ch < 128);
    CHECK(t.size() < 400);
  }
}

TEST_CASE("milter session: each action at end of message", "[milter]") {
  FakeMta mta;
  SECTION("clean mail: continue, no modification") {
    Replies r = mta.Message("a@partner.se", "kari@example.no", {{"Subject", "hei"}}, "Hei, alt vel.\r\n");
    REQUIRE(r.packets.size() == 1);
    CHECK(r.packets[0].cmd == kContinue);
    CHECK_THAT(mta.log.back(), Catch::Contains("queue=Q1234 action=accept"));
  }
  SECTION("outbound national id: 550 5.7.1 in the recipient's language") {
    Replies r = mta.Message("kari@example.no", "x@partner.se", {{"Subject", "hei"}}, "fnr 15108695088\r\n");
    REQUIRE(r.packets.size() == 1);
    REQUIRE(r.packets[0].cmd == kReplyCode);
    CHECK_THAT(ReplyText(r.packets[0]), Catch::StartsWith("550 5.7.1 Meddelandet"));
    CHECK_THAT(mta.log.back(), Catch::Contains("action=reject rule=id-out findings=1 types=no.fnr:1"));
    CHECK(mta.log.back().find("15108695088") == std::string::npos);
  }
  SECTION("inbound: body replaced, subject changed, verdict header added") {
    Replies r = mta.Message("a@partner.se", "kari@example.no", {{"Subject", "fnr 15108695088"}, {"From", "a@partner.se"}},
                            "Hei,\r\nfnr 151086 95088 og passord: Sommer2026!\r\n");
    const Packet* body = r.First(kReplBody);
    REQUIRE(body);
    CHECK(body->data == "Hei,\r\nfnr [NO-FNR] og passord: [PASSWORD]\r\n");
    const Packet* chg = r.First(kChgHeader);
    REQUIRE(chg);
    CHECK(chg->data.substr(0, 4) == Be32(1));
    CHECK(SplitNul(std::string_view(chg->data).substr(4)) == std::vector<std::string_view>{"Subject", " fnr [NO-FNR]"});
    std::vector<std::string> added;
    for (auto& p : r.packets)
      if (p.cmd == kAddHeader) added.push_back(std::string(SplitNul(p.data)[0]) + ":" + std::string(SplitNul(p.data)[1]));
    REQUIRE(added.size() == 2);
    CHECK(added[0] == "X-Nordpii: redacted=3; types=no.fnr,password");
    CHECK_THAT(added[1], Catch::StartsWith("X-Nordpii-Verdict: redact; rule=id-in; findings=3"));
    CHECK(r.packets.back().cmd == kContinue);
  }
  SECTION("flag and quarantine") {
    Replies r = mta.Message("a@partner.se", "kari@example.no", {{"Subject", "x"}}, "Jeg er sykemeldt med diagnose F32.\r\n");
    const Packet* h = r.First(kAddHeader);
    REQUIRE(h);
    CHECK(SplitNul(h->data)[0] == "X-Nordpii-Verdict");
    CHECK_THAT(std::string(SplitNul(h->data)[1]), Catch::StartsWith(" flag; rule=special"));
    CHECK_THAT(std::string(SplitNul(h->data)[1]), Catch::EndsWith("; version=" NORDPII_PROJECT_VERSION));
    r = mta.Message("a@partner.se", "kari@example.no", {{"Subject", "x"}},
                    "Ring meg pa +47 912 34 567, +46 70 123 45 67 eller +45 20 12 34 56.\r\n");
    CHECK(r.Has(kQuarantine));
    CHECK(r.packets.back().cmd == kContinue);
  }
}

TEST_CASE("milter session: negotiation — no-reply stages when offered, replies otherwise", "[milter]") {
  FakeMta nr;  // offers every bit, as Postfix 3.7 does
  Replies r = nr.Send(Pkt(kMail, Nul({"<a@partner.se>"})) + Pkt(kRcpt, Nul({"<k@example.no>"})) +
                      Pkt(kHeader, Nul({"Subject", " x"})) + Pkt(kEoh, "") + Pkt(kBody, "ok\r\n"));
  CHECK(r.packets.empty());
  r = nr.Send(Pkt(kBodyEob, ""));
  CHECK(r.packets.size() == 1);
  FakeMta plain(kPolicy, 0x17F);  // an MTA without the no-reply bits (0x80 is NR_HDR)
  r = plain.Send(Pkt(kMail, Nul({"<a@partner.se>"})) + Pkt(kRcpt, Nul({"<k@example.no>"})) +
                 Pkt(kHeader, Nul({"Subject", "x"})) + Pkt(kEoh, "") + Pkt(kBody, "ok\r\n"));
  REQUIRE(r.packets.size() == 5);
  for (auto& p : r.packets) CHECK(p.cmd == kContinue);
  r = plain.Send(Pkt(kBodyEob, ""));
  CHECK(r.packets.size() == 1);
}

TEST_CASE("milter session: aborts, many messages, huge bodies, unknown commands, missing macros", "[milter]") {
  FakeMta mta;
  // Abort in the middle of a message: nothing of it leaks into the next one.
  mta.Send(Pkt(kMail, Nul({"<a@partner.se>"})) + Pkt(kRcpt, Nul({"<k@example.no>"})) +
           Pkt(kHeader, Nul({"Subject", " fnr 15108695088"})) + Pkt(kEoh, "") + Pkt(kBody, "fnr 15108695088\r\n"));
  Replies none = mta.Send(Pkt(kAbort, ""));
  CHECK(none.packets.empty());
  Replies r = mta.Message("a@partner.se", "k@example.no", {{"Subject", "hei"}}, "ok\r\n");
  CHECK(r.packets.size() == 1);
  CHECK(r.packets[0].cmd == kContinue);
  // Many messages on one connection.
  for (int i = 0; i < 200; ++i) {
    r = mta.Message("a@partner.se", "k@example.no", {{"Subject", "n" + std::to_string(i)}},
                    i % 10 == 0 ? "fnr 15108695088\r\n" : "ok\r\n");
    CHECK(r.Has(kReplBody) == (i % 10 == 0));
  }
  // A 12 MB body in 64 KiB chunks with the number at the very end.
  std::string big(12 << 20, 'x');
  for (size_t i = 100; i < big.size(); i += 100) big[i] = '\n';
  big += "\r\nfnr 15108695088\r\n";
  r = mta.Message("a@partner.se", "k@example.no", {{"Subject", "big"}}, big);
  const Packet* body = r.First(kReplBody);
  REQUIRE(body);
  size_t chunks = 0;
  for (auto& p : r.packets) chunks += p.cmd == kReplBody;
  CHECK(chunks == (big.size() + kBodyChunk - 1) / kBodyChunk);
  // Unknown commands are logged and ignored; missing macros are fine.
  CHECK(mta.Send(Pkt('Z', "whatever")).packets.empty());
  CHECK_THAT(mta.log.back(), Catch::Contains("unknown command"));
  r = mta.Message("a@partner.se", "k@example.no", {{"Subject", "x"}}, "fnr 15108695088\r\n", 65535, false);
  CHECK(r.Has(kReplBody));
  CHECK_THAT(mta.log.back(), Catch::Contains("queue=- action=redact"));
}

TEST_CASE("milter session: an HTML part over limits.max_html_part_bytes -> on_error, under it scanned", "[milter]") {
  std::string html = "<p>Hei</p>";
  while (html.size() < 100000) html += "<p>Kunde <b>nr</b> 4242</p>\r\n";
  html += "<p>fnr 15108695088</p>\r\n";
  const std::vector<std::pair<std::string, std::string>> hdr = {{"Subject", "x"},
                                                                {"Content-Type", "text/html; charset=utf-8"}};
  std::string small = std::string(kPolicy);
  small.replace(small.find("[limits]\n"), 9, "[limits]\nmax_html_part_bytes = 65536\n");
  FakeMta strict(small);
  Replies r = strict.Message("a@partner.se", "k@example.no", hdr, html);
  REQUIRE(r.packets.size() == 1);
  CHECK_THAT(ReplyText(r.packets[0]), Catch::StartsWith("451 4.7.1"));
  CHECK_THAT(strict.log.back(), Catch::Contains("action=tempfail(error)"));
  FakeMta dflt(kPolicy);  // 8 MiB: scanned, the id found and redacted
  r = dflt.Message("a@partner.se", "k@example.no", hdr, html);
  CHECK(r.Has(kReplBody));
  CHECK_THAT(dflt.log.back(), Catch::Contains("action=redact"));
}

TEST_CASE("milter session: over the size limit or the time limit -> on_error", "[milter]") {
  std::string strict = std::string(kPolicy);
  strict.replace(strict.find("max_message_bytes = 20000000"), 28, "max_message_bytes = 4096");
  FakeMta small(strict);
  Replies r = small.Message("a@partner.se", "k@example.no", {{"Subject", "x"}}, std::string(10000, 'a'));
  REQUIRE(r.packets.size() == 1);
  CHECK_THAT(ReplyText(r.packets[0]), Catch::StartsWith("451 4.7.1"));
  CHECK_THAT(small.log.back(), Catch::Contains("action=tempfail(error)"));

  std::string timeout = std::string(kPolicy);
  timeout.replace(timeout.find("[limits]\n"), 9, "[limits]\non_error = \"accept\"\n");
  FakeMta slow(timeout);
  {  // a deadline already past (the policy file refuses scan_timeout_ms below 100)
    auto e = std::make_shared<MilterEngine>(*MakeEngine(timeout));
    e->policy.scan_timeout_ms = 0;
    slow.engines.Set(e);
  }
  r = slow.Message("a@partner.se", "k@example.no", {{"Subject", "x"}}, std::string(3 << 20, 'a') + " fnr 15108695088\r\n");
  CHECK_FALSE(r.Has(kReplBody));  // never half-redacted: accepted unchanged, with the error verdict
  const Packet* h = r.First(kAddHeader);
  REQUIRE(h);
  CHECK(std::string(SplitNul(h->data)[1]) == " error; reason=not scanned; version=" NORDPII_PROJECT_VERSION);
  CHECK(r.packets.back().cmd == kContinue);
}

namespace {

// The daemon as a child process on a Unix socket, stderr to a log file.
struct Daemon {
  pid_t pid = -1;
  std::string dir, sock, log, config;
  explicit Daemon(const std::string& policy) {
    char tmpl[] = "/tmp/nordpii-milter-XXXXXX";
    dir = mkdtemp(tmpl);
    sock = dir + "/m.sock";
    log = dir + "/log";
    config = dir + "/policy.toml";
    std::ofstream(config) << policy;
    pid = fork();
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 2);
      setenv("NORDPII_KEY", "k", 1);
      setenv("NORDPII_CACHE_DIR", "off", 1);
      std::string pat = SourceDir() + "/patterns";
      execl(NORDPII_BINARY, "nordpii", "milter", "--listen", ("unix:" + sock).c_str(), "--config", config.c_str(),
            "--patterns", pat.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100 && ReadFile(log).find("listening") == std::string::npos; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~Daemon() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int st;
      waitpid(pid, &st, 0);
    }
    std::filesystem::remove_all(dir);
  }
  int Connect() const {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, sock.c_str());
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
  }
};

// A daemon with the Prometheus endpoint on a free loopback port; `port` is
// the one it logged (0 if none).
struct MetricsDaemon : Daemon {
  int port = 0;
  MetricsDaemon() : Daemon(std::string("[milter]\nmetrics_listen = \"127.0.0.1:0\"\n") + kPolicy) {
    std::string text = ReadFile(log);
    size_t at = text.find(" port ");
    if (at != std::string::npos) port = std::atoi(text.c_str() + at + 6);
  }
};

// A TCP connection to 127.0.0.1:port (the metrics endpoint), or -1.
int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends bytes and waits up to `ms` for one reply packet.
bool Await(int fd, const std::string& bytes, int ms, Packet* out = nullptr) {
  if (!bytes.empty() && send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()))
    return false;
  std::string buf;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    char b[4096];
    ssize_t r = recv(fd, b, sizeof b, 0);
    if (r <= 0) return false;
    buf.append(b, static_cast<size_t>(r));
    Packet pk;
    auto got = Decode(buf, pk);
    if (got && *got) {
      if (out) *out = pk;
      return true;
    }
  }
  return false;
}

// True when the daemon closes `fd` within `ms` (recv returns 0 or an error).
bool Closed(int fd, int ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    char b[4096];
    ssize_t r = recv(fd, b, sizeof b, MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) return true;
  }
  return false;
}

int Threads(pid_t pid) {
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("Threads:");
  return at == std::string::npos ? 1000 : std::atoi(status.c_str() + at + 8);
}

// Offers no "no reply" bits: every stage command gets a reply.
std::string OptNeg() { return Pkt(kOptNeg, Be32(6) + Be32(0x1FF) + Be32(0x17F)); }

}  // namespace

TEST_CASE("milter daemon: bounded connections, dropped peers, garbage, SIGHUP with a bad policy",
          "[milter][daemon]") {
  std::string policy = std::string("[milter]\nmax_connections = 2\nscan_workers = 2\nread_timeout_s = 5\n") + kPolicy;
  Daemon d(policy);
  REQUIRE(ReadFile(d.log).find("listening") != std::string::npos);
  // Two connections are served; a third is closed at once (the MTA applies
  // its milter_default_action now, not after its connect timeout).
  int a = d.Connect(), b = d.Connect();
  CHECK(Await(a, OptNeg(), 2000));
  CHECK(Await(b, OptNeg(), 2000));
  int c = d.Connect();
  CHECK(Closed(c, 2000));
  close(c);
  CHECK_THAT(ReadFile(d.log), Catch::Contains("milter.max_connections"));
  // A connection flood: 50 more connections do not create 50 threads.
  std::vector<int> flood;
  for (int i = 0; i < 50; ++i) flood.push_back(d.Connect());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(Threads(d.pid) <= 2 + 2);  // main + event loop + scan_workers
  for (int f : flood) close(f);
  close(a);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  c = d.Connect();
  CHECK(Await(c, OptNeg(), 3000));  // served now
  // A peer that drops in the middle of a message, and one that sends garbage.
  CHECK(Await(b, Pkt(kMail, Nul({"<a@x.se>"})), 2000));
  std::string half = Pkt(kBody, "fnr 15108695088");
  send(b, half.data(), half.size() / 2, MSG_NOSIGNAL);
  close(b);
  int g = d.Connect();
  std::string junk = Be32(0xFFFFFFF0) + "junk";
  send(g, junk.data(), junk.size(), MSG_NOSIGNAL);
  Packet p;
  CHECK_FALSE(Await(g, "", 500));  // closed by the daemon
  close(g);
  // Still serving: a whole message on a fresh connection (once the daemon
  // has seen the others close: max_connections = 2).
  close(c);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int e = d.Connect();
  CHECK(Await(e, OptNeg(), 2000));
  CHECK(Await(e, Pkt(kMail, Nul({"<kari@example.no>"})), 2000));
  CHECK(Await(e, Pkt(kRcpt, Nul({"<x@partner.se>"})), 2000));
  CHECK(Await(e, Pkt(kEoh, ""), 2000));
  CHECK(Await(e, Pkt(kBody, "fnr 15108695088\r\n"), 2000));
  REQUIRE(Await(e, Pkt(kBodyEob, ""), 5000, &p));
  REQUIRE(p.cmd == kReplyCode);
  CHECK_THAT(ReplyText(p), Catch::StartsWith("550 5.7.1 "));
  // SIGHUP with a broken policy: refused, the old one stays in force.
  std::ofstream(d.config) << "[[rule]]\nname = \"x\"\naction = \"explode\"\n";
  kill(d.pid, SIGHUP);
  for (int i = 0; i < 50 && ReadFile(d.log).find("reload refused") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_THAT(ReadFile(d.log), Catch::Contains("reload refused, old configuration stays in force"));
  CHECK(Await(e, Pkt(kMail, Nul({"<kari@example.no>"})), 2000));
  CHECK(Await(e, Pkt(kRcpt, Nul({"<x@partner.se>"})), 2000));
  CHECK(Await(e, Pkt(kBody, "fnr 15108695088\r\n"), 2000));
  REQUIRE(Await(e, Pkt(kBodyEob, ""), 5000, &p));
  REQUIRE(p.cmd == kReplyCode);  // still rejected by the old policy: 550, not a tempfail
  CHECK_THAT(ReplyText(p), Catch::StartsWith("550 5.7.1 "));
  close(e);
  CHECK(ReadFile(d.log).find("15108695088") == std::string::npos);
}

TEST_CASE("milter daemon: packets split across reads and many in one read", "[milter][daemon]") {
  // The whole conversation as one byte stream, written in 7-byte pieces:
  // packets arrive split at every position and several per read; the
  // daemon answers each stage and rejects at end of message.
  Daemon d(std::string("[milter]\nmax_connections = 2\nread_timeout_s = 5\n") + kPolicy);
  int fd = d.Connect();
  const std::string stream = OptNeg() + Pkt(kMail, Nul({"<kari@example.no>"})) + Pkt(kRcpt, Nul({"<x@partner.se>"})) +
                             Pkt(kHeader, Nul({"Subject", "hei"})) + Pkt(kHeader, Nul({"To", "x@partner.se"})) +
                             Pkt(kEoh, "") + Pkt(kBody, std::string(3000, 'a') + " fnr 15108695088\r\n") +
                             Pkt(kBody, std::string(70000, 'b') + "\r\n") + Pkt(kBodyEob, "");
  for (size_t i = 0; i < stream.size(); i += 7) {
    std::string_view piece = std::string_view(stream).substr(i, 7);
    REQUIRE(send(fd, piece.data(), piece.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(piece.size()));
  }
  // Replies: negotiation, one per stage (no "no reply" bits offered), then
  // the 5.7.1 at end of message.
  std::string buf;
  std::vector<char> cmds;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < until && (cmds.empty() || cmds.back() != kReplyCode)) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char b[4096];
    ssize_t r = recv(fd, b, sizeof b, 0);
    if (r <= 0) break;
    buf.append(b, static_cast<size_t>(r));
    Packet pk;
    while (*Decode(buf, pk)) cmds.push_back(pk.cmd);
  }
  REQUIRE(!cmds.empty());
  CHECK(cmds.back() == kReplyCode);
  CHECK(std::count(cmds.begin(), cmds.end(), kContinue) == 7);  // mail, rcpt, 2 headers, eoh, 2 body chunks
  close(fd);
}

// Issue 12 item 11: Postfix sends nothing while its SMTP client is slow
// (between commands, during DATA); only a packet begun (or the negotiation
// after connecting) is owed. The 300 s scenario runs with read_timeout_s = 1.
TEST_CASE("milter daemon: no timeout between packets, only while a packet is owed", "[milter][daemon]") {
  Daemon d(std::string("[milter]\nread_timeout_s = 1\n") + kPolicy);
  int fd = d.Connect();
  auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(1600)); };
  REQUIRE(Await(fd, OptNeg(), 2000));
  REQUIRE(Await(fd, Pkt(kHelo, Nul({"client.example"})), 2000));
  pause();  // the SMTP client thinks between EHLO and MAIL
  // After the pause, a packet arriving in two reads: the wait for its
  // second half starts with its first half, not with the pause.
  const std::string mail = Pkt(kMail, Nul({"<kari@example.no>"}));
  REQUIRE(send(fd, mail.data(), 5, MSG_NOSIGNAL) == 5);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  REQUIRE(Await(fd, mail.substr(5), 2000));
  REQUIRE(Await(fd, Pkt(kRcpt, Nul({"<x@partner.se>"})), 2000));
  REQUIRE(Await(fd, Pkt(kEoh, ""), 2000));
  REQUIRE(Await(fd, Pkt(kBody, "line one\r\n"), 2000));
  pause();  // a body line now and then (Postfix forwards DATA in chunks)
  REQUIRE(Await(fd, Pkt(kBody, "fnr 15108695088\r\n"), 2000));
  pause();
  Packet p;
  REQUIRE(Await(fd, Pkt(kBodyEob, ""), 5000, &p));
  REQUIRE(p.cmd == kReplyCode);
  CHECK_THAT(ReplyText(p), Catch::StartsWith("550 5.7.1 "));
  close(fd);
  // Half a packet is owed: closed after the timeout.
  int half = d.Connect();
  REQUIRE(Await(half, OptNeg(), 2000));
  std::string pkt = Pkt(kHelo, Nul({"client.example"}));
  send(half, pkt.data(), 3, MSG_NOSIGNAL);
  auto t0 = std::chrono::steady_clock::now();
  CHECK(Closed(half, 3000));
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(900));
  close(half);
  // So is the negotiation after connecting.
  int silent = d.Connect();
  CHECK(Closed(silent, 3000));
  close(silent);
  CHECK_THAT(ReadFile(d.log), Catch::Contains("a packet begun for 1 s (milter.read_timeout_s); connection closed"));
  CHECK_THAT(ReadFile(d.log), Catch::Contains("no negotiation for 1 s"));
}

// Issue 12 item 12: idle SMTP sessions (EHLO, then nothing) cost no thread
// and do not use up the connections an active one needs. Default [milter].
TEST_CASE("milter daemon: idle SMTP sessions do not starve active ones", "[milter][daemon]") {
  Daemon d(kPolicy);
  std::vector<int> idle;
  for (int i = 0; i < 150; ++i) {  // Postfix allows 100 smtpd processes by default
    int fd = d.Connect();
    REQUIRE(Await(fd, OptNeg(), 2000));
    REQUIRE(Await(fd, Pkt(kHelo, Nul({"idle.example"})), 2000));
    idle.push_back(fd);
  }
  auto t0 = std::chrono::steady_clock::now();
  int fd = d.Connect();
  Packet p;
  REQUIRE(Await(fd, OptNeg(), 2000));
  REQUIRE(Await(fd, Pkt(kMail, Nul({"<kari@example.no>"})), 2000));
  REQUIRE(Await(fd, Pkt(kRcpt, Nul({"<x@partner.se>"})), 2000));
  REQUIRE(Await(fd, Pkt(kBody, "fnr 15108695088\r\n"), 2000));
  REQUIRE(Await(fd, Pkt(kBodyEob, ""), 5000, &p));
  CHECK_THAT(ReplyText(p), Catch::StartsWith("550 5.7.1 "));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
  // 151 connections, and no thread for any of them.
  int workers = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  CHECK(Threads(d.pid) <= 2 + workers);
  // The idle ones still work.
  REQUIRE(Await(idle[0], Pkt(kMail, Nul({"<a@partner.se>"})), 2000));
  close(fd);
  for (int i : idle) close(i);
}

// Issue 12 item 13: SIGTERM closes idle connections (and one in the middle
// of a message: Postfix applies milter_default_action) and exits at once.
TEST_CASE("milter daemon: SIGTERM with idle sessions open stops within 2 s", "[milter][daemon]") {
  auto d = std::make_unique<Daemon>(kPolicy);  // default read_timeout_s (300 s)
  int idle = d->Connect(), mid = d->Connect();
  REQUIRE(Await(idle, OptNeg(), 2000));
  REQUIRE(Await(idle, Pkt(kHelo, Nul({"idle.example"})), 2000));
  REQUIRE(Await(mid, OptNeg(), 2000));
  REQUIRE(Await(mid, Pkt(kMail, Nul({"<kari@example.no>"})), 2000));
  REQUIRE(Await(mid, Pkt(kBody, "fnr 15108695088\r\n"), 2000));
  auto t0 = std::chrono::steady_clock::now();
  kill(d->pid, SIGTERM);
  int st = 0;
  pid_t got = 0;
  while (got == 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    got = waitpid(d->pid, &st, WNOHANG);
    if (got == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(got == d->pid);
  d->pid = -1;
  CHECK(took < std::chrono::seconds(2));
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
  CHECK(Closed(idle, 500));
  CHECK(Closed(mid, 500));
  CHECK_THAT(ReadFile(d->log), Catch::Contains("stopping: 2 connection(s) closed"));
  close(idle);
  close(mid);
}

// Issue 12 item 14: X-Nordpii and X-Nordpii-Verdict headers that arrive
// with the message are deleted (CHGHEADER, index per name, empty value),
// highest index first, before our own are added — for every action that
// delivers.
TEST_CASE("milter session: forged X-Nordpii headers from outside are deleted", "[milter]") {
  FakeMta mta;
  const std::vector<std::pair<std::string, std::string>> forged = {
      {"X-Nordpii-Verdict", "accept; rule=-; findings=0"}, {"Subject", "hei"}, {"X-Nordpii", "redacted=0"},
      {"x-nordpii-verdict", "accept"}, {"X-Nordpii-Other", "kept"}};
  auto deletions = [](const Replies& r) {
    std::vector<std::string> d;
    for (auto& p : r.packets) {
      if (p.cmd != kChgHeader) continue;
      auto nv = SplitNul(std::string_view(p.data).substr(4));
      uint32_t idx = (uint32_t(uint8_t(p.data[0])) << 24) | (uint32_t(uint8_t(p.data[1])) << 16) |
                     (uint32_t(uint8_t(p.data[2])) << 8) | uint8_t(p.data[3]);
      if (nv.size() == 2 && nv[1].empty()) d.push_back(std::string(nv[0]) + "#" + std::to_string(idx));
    }
    return d;
  };
  const std::vector<std::string> want = {"x-nordpii-verdict#2", "X-Nordpii#1", "X-Nordpii-Verdict#1"};
  SECTION("clean mail") {
    Replies r = mta.Message("a@partner.se", "k@example.no", forged, "Hei, alt vel.\r\n");
    CHECK(deletions(r) == want);
    CHECK(r.packets.back().cmd == kContinue);
  }
  SECTION("flag: deleted before ours is added") {
    Replies r = mta.Message("a@partner.se", "k@example.no", forged, "Jeg er sykemeldt med diagnose F32.\r\n");
    CHECK(deletions(r) == want);
    REQUIRE(r.packets.size() == 5);
    CHECK(r.packets[3].cmd == kAddHeader);
  }
  SECTION("redact") {
    Replies r = mta.Message("a@partner.se", "k@example.no", forged, "fnr 15108695088\r\n");
    CHECK(deletions(r) == want);
    CHECK(r.packets[0].cmd == kChgHeader);
    size_t added = 0;
    for (auto& p : r.packets) added += p.cmd == kAddHeader;
    CHECK(added == 2);  // X-Nordpii, X-Nordpii-Verdict: ours
  }
  SECTION("an MTA that does not offer header changes: on_error, never delivered with them") {
    FakeMta old(kPolicy, 0x1FFFFF);
    old.s = std::make_unique<MilterSession>(old.engines, [&](const std::string& l) { old.log.push_back(l); });
    old.Send(Pkt(kOptNeg, Be32(6) + Be32(kActAddHdrs | kActChgBody) + Be32(0x1FFFFF)));
    Replies r = old.Message("a@partner.se", "k@example.no", forged, "Hei.\r\n");
    REQUIRE(r.packets.size() == 1);
    CHECK_THAT(ReplyText(r.packets[0]), Catch::StartsWith("451 4.7.1"));
  }
}

// Issue 12 item 15: unix: sockets get the configured mode and group
// (Postfix's smtpd must be able to connect); IPv6 and host names listen.
TEST_CASE("milter listen: unix socket mode and group, IPv6, host names", "[milter]") {
  char tmpl[] = "/tmp/nordpii-listen-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  const group* g = getgrgid(getgid());
  REQUIRE(g);
  SocketOptions so;
  so.mode = 0660;
  so.group = g->gr_name;
  mode_t old = umask(0077);  // the process umask does not decide
  {
    auto s = MilterServer::Listen("unix:" + dir + "/m.sock", so);
    REQUIRE(static_cast<bool>(s));
    struct stat st{};
    REQUIRE(stat((dir + "/m.sock").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0660);
    CHECK(st.st_gid == getgid());
  }
  umask(old);
  so.group = "no-such-group-nordpii";
  auto bad = MilterServer::Listen("unix:" + dir + "/n.sock", so);
  REQUIRE_FALSE(static_cast<bool>(bad));
  CHECK_THAT(bad.error().message(), Catch::Contains("milter.socket_group: no such group (the name is not shown)"));
  std::filesystem::remove_all(dir);
  auto pol = Policy::Parse("[milter]\nsocket_mode = \"0640\"\nsocket_group = \"postfix\"\n[[rule]]\nname = \"r\"\naction = \"flag\"\n", "t.toml");
  REQUIRE(static_cast<bool>(pol));
  CHECK(pol->socket_mode == 0640);
  CHECK(pol->socket_group == "postfix");
  CHECK_FALSE(static_cast<bool>(Policy::Parse("[milter]\nsocket_mode = \"0999\"\n", "t.toml")));

  auto reach = [](int port, bool v6) {
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    sockaddr_storage ss{};
    socklen_t len;
    if (v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6, a->sin6_port = htons(static_cast<uint16_t>(port)), a->sin6_addr = in6addr_loopback;
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET, a->sin_port = htons(static_cast<uint16_t>(port)), a->sin_addr.s_addr = htonl(0x7f000001);
      len = sizeof *a;
    }
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0;
    close(fd);
    return ok;
  };
  auto v4 = MilterServer::Listen("inet:0@localhost");
  REQUIRE(static_cast<bool>(v4));
  // "localhost" is 127.0.0.1 or, where /etc/hosts lists ::1 first or is
  // missing (a minimal root), ::1: either loopback must answer.
  CHECK((reach((*v4)->port(), false) || reach((*v4)->port(), true)));
  bool have_v6 = ReadFile("/proc/net/if_inet6").find("00000000000000000000000000000001") != std::string::npos;
  if (!have_v6) {
    WARN("no IPv6 loopback here: inet6 listening not tested");
    return;
  }
  for (const char* spec : {"inet6:0@::1", "inet:0@[::1]", "inet6:0"}) {
    auto s = MilterServer::Listen(spec);
    INFO(spec);
    REQUIRE(static_cast<bool>(s));
    CHECK(reach((*s)->port(), true));
  }
  CHECK_FALSE(static_cast<bool>(MilterServer::Listen("inet:0@no-such-host.invalid")));
}

// Issue 12 item 16: a label redacted into an RFC 2231 file name is
// percent-encoded (brackets are not attribute-chars), and one in a token
// value makes it a quoted-string; Python's email package (strict, the
// default policy) reads the names back whole and reports no defect. The
// milter sends these headers as they come out of MailScanner::Redact.
TEST_CASE("milter redact: RFC 2231 and token file names re-encoded, read back by Python", "[milter][mail]") {
  const std::string msg =
      "From: a@partner.se\r\nTo: k@example.no\r\nSubject: soknad\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
      "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVedlagt.\r\n"
      "--b1\r\nContent-Type: application/octet-stream; name=soknad-15108695088.pdf\r\n"
      "Content-Disposition: attachment;\r\n filename*=UTF-8''s%C3%B8knad-15108695088.pdf\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n"
      "--b1\r\nContent-Type: text/plain; name=\"brev 15108695088.txt\"\r\n"
      "Content-Disposition: attachment; filename*0*=UTF-8''s%C3%B8knad-;\r\n filename*1*=15108695088.txt\r\n\r\nHei.\r\n"
      // Encoded words inside quoted parameters (RFC 2047 forbids it, mail
      // clients write it): the parameter is rewritten, the header kept.
      "--b1\r\nContent-Type: application/pdf; name=\"=?UTF-8?Q?s=C3=B8knad-15108695088.pdf?=\"\r\n"
      "Content-Disposition: attachment; size=4;\r\n filename=\"=?ISO-8859-1?Q?s=F8knad_15108695088.pdf?=\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n"
      "--b1--\r\n";
  auto ctx = test::MakeScanner()->NewContext(KeyedHasher("test-key"));
  MailScanner ms(*ctx, MailLimits{});
  std::string red;
  RedactSummary sum;
  FindingFilter all;
  REQUIRE(ms.Redact(msg, all, RedactStyle::kLabel, red, sum).ok());
  CHECK(red.find("15108695088") == std::string::npos);
  CHECK_THAT(red, Catch::Contains("filename*=UTF-8''s%C3%B8knad-%5BNO-FNR%5D.pdf"));
  CHECK_THAT(red, Catch::Contains("name=\"soknad-[NO-FNR].pdf\""));
  CHECK_THAT(red, Catch::Contains("Content-Type: application/pdf; name*=UTF-8''s%C3%B8knad-%5BNO-FNR%5D.pdf"));
  CHECK_THAT(red, Catch::Contains("Content-Disposition: attachment; size=4;\r\n filename*=UTF-8''s%C3%B8knad%20%5BNO-FNR%5D.pdf"));
  char tmpl[] = "/tmp/nordpii-2231-XXXXXX";
  int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, red.data(), red.size()) == static_cast<ssize_t>(red.size()));
  close(fd);
  std::string cmd = std::string("/usr/bin/python3 - ") + tmpl + " <<'EOF'\n"
      "import sys\n"
      "from email import message_from_bytes, policy\n"
      "m = message_from_bytes(open(sys.argv[1], 'rb').read(), policy=policy.default)\n"
      "names, defects = [], list(m.defects)\n"
      "for p in m.walk():\n"
      "    defects += p.defects\n"
      "    for h in ('Content-Type', 'Content-Disposition'):\n"
      "        if p[h] is not None: defects += p[h].defects\n"
      "    if p.get_filename(): names.append(p.get_filename())\n"
      "types = [p.get_content_type() for p in m.walk()]\n"
      "assert types[-1] == 'application/pdf', types\n"
      "assert names == ['s\\u00f8knad-[NO-FNR].pdf', 's\\u00f8knad-[NO-FNR].txt', 's\\u00f8knad [NO-FNR].pdf'], names\n"
      "assert not defects, defects\n"
      "print('ok')\n"
      "EOF\n";
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  char b[4096];
  size_t n;
  while ((n = fread(b, 1, sizeof b, p)) > 0) out.append(b, n);
  int st = pclose(p);
  unlink(tmpl);
  INFO(out);
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
  CHECK(out == "ok\n");
}

// Issue 12 item 12, the per-connection bound: a connection between messages
// holds no message buffer (otherwise every idle connection could keep
// max_message_bytes). 24 connections each pass a 2 MB message, then idle.
TEST_CASE("milter daemon: idle connections keep no message buffer", "[milter][daemon]") {
  Daemon d(std::string("[milter]\nscan_workers = 2\n") + kPolicy);
  auto rss_kib = [&] {
    std::string st = ReadFile("/proc/" + std::to_string(d.pid) + "/status");
    size_t at = st.find("VmRSS:");
    return at == std::string::npos ? 0L : std::atol(st.c_str() + at + 6);
  };
  int warm = d.Connect();  // the workers' scan contexts and the patterns
  REQUIRE(Await(warm, OptNeg(), 2000));
  REQUIRE(Await(warm, Pkt(kMail, Nul({"<a@partner.se>"})), 2000));
  REQUIRE(Await(warm, Pkt(kBodyEob, ""), 5000));
  long base = rss_kib();
  std::vector<int> fds;
  const std::string chunk(60000, 'a');
  for (int i = 0; i < 24; ++i) {
    int fd = d.Connect();
    REQUIRE(Await(fd, OptNeg(), 2000));
    REQUIRE(Await(fd, Pkt(kMail, Nul({"<a@partner.se>"})), 2000));
    std::string body;
    for (int k = 0; k < 35; ++k) body += Pkt(kBody, chunk);  // ~2 MB
    REQUIRE(send(fd, body.data(), body.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(body.size()));
    std::string buf;  // 35 continues
    for (int got = 0; got < 35;) {
      char b[4096];
      pollfd p{fd, POLLIN, 0};
      REQUIRE(poll(&p, 1, 5000) == 1);
      ssize_t r = recv(fd, b, sizeof b, 0);
      REQUIRE(r > 0);
      buf.append(b, static_cast<size_t>(r));
      Packet pk;
      while (*Decode(buf, pk)) ++got;
    }
    REQUIRE(Await(fd, Pkt(kBodyEob, ""), 10000));
    fds.push_back(fd);
  }
  long grown = rss_kib() - base;
  INFO("RSS grew by " << grown << " KiB");
  // Kept, each idle connection would hold its 2 MB buffer (48 MB and more);
  // what remains is the allocator keeping the scans' freed memory.
  CHECK(grown < 32 * 1024);
  for (int fd : fds) close(fd);
  close(warm);
}

// ---- Operations: envelope rules, monitor mode, oversize, --check, log
// line, metrics, privilege drop and pid file.

TEST_CASE("milter policy: envelope conditions, first match wins, monitor mode", "[milter][policy]") {
  const char* text = R"(
[policy]
match = "first"
[direction]
internal_domains = ["example.no"]
outbound_daemons = ["ORIGINATING"]
[[rule]]
name = "trusted-relay"
clients = ["192.0.2.0/24", "2001:db8::/32"]
action = "flag"
[[rule]]
name = "support-inbound"
recipients = ["support@example.no"]
categories = ["national-id"]
action = "reject"
[[rule]]
name = "from-partner"
senders = ["@partner.se"]
categories = ["national-id"]
action = "quarantine"
[[rule]]
name = "outbound-authenticated"
sasl_users = ["*"]
categories = ["national-id"]
action = "redact"
[[rule]]
name = "catch-all"
categories = ["national-id"]
action = "discard"
)";
  auto p = Policy::Parse(text, "t.toml");
  REQUIRE(p);
  Finding f;
  f.type = "no.fnr";
  f.category = "national-id";
  f.confidence = Confidence::kHigh;
  std::vector<Finding> fs{f};
  auto eval = [&](const Envelope& env) { return Evaluate(*p, env, fs); };
  Envelope support{"a@x.org", {"support@example.no"}, "", "203.0.113.5", ""};
  CHECK(eval(support).action == Action::kReject);
  CHECK(eval(support).rule == "support-inbound");
  CHECK(eval(support).fired.size() == 1);  // first match: the catch-all did not fire
  // The same mailbox written differently: an address extension, a quoted
  // local part, a trailing dot, upper case, angle brackets.
  for (const char* rcpt : {"support+x@example.no", "\"support\"@example.no", "support@example.no.",
                           "<SUPPORT@EXAMPLE.NO>", "<\"Support+urgent\"@Example.No.>"}) {
    Envelope alias = support;
    alias.recipients = {rcpt};
    INFO(rcpt);
    CHECK(eval(alias).rule == "support-inbound");
  }
  Envelope other = support;
  other.recipients = {"supporter@example.no"};
  CHECK(eval(other).rule != "support-inbound");
  Envelope relay = support;
  relay.client_addr = "192.0.2.77";
  CHECK(eval(relay).rule == "trusted-relay");  // first rule wins although reject is stricter
  relay.client_addr = "[IPv6:2001:db8::1]";
  CHECK(eval(relay).rule == "trusted-relay");
  relay.client_addr = "::ffff:192.0.2.1";
  CHECK(eval(relay).rule == "trusted-relay");
  relay.client_addr = "192.0.3.1";
  CHECK(eval(relay).rule == "support-inbound");
  Envelope partner{"<Kari@Partner.SE>", {"kari@example.no"}, "", "", ""};
  CHECK(eval(partner).action == Action::kQuarantine);
  Envelope outbound{"kari@example.no", {"x@elsewhere.org"}, "ORIGINATING", "198.51.100.1", "kari"};
  CHECK(eval(outbound).action == Action::kRedact);
  outbound.sasl_user = "";
  CHECK(eval(outbound).rule == "catch-all");
  // The same policy in monitor mode: flag, remembering what enforcing would do.
  auto m = Policy::Parse(std::string("[policy]\nmode = \"monitor\"\nmatch = \"first\"") + (std::strstr(text, "[direction]") - 1),
                         "m.toml");
  REQUIRE(m);
  Verdict v = Evaluate(*m, support, fs);
  CHECK(v.action == Action::kFlag);
  CHECK(v.would == Action::kReject);
  CHECK(v.rule == "support-inbound");
  // Without match = "first": every rule fires, the strictest wins.
  auto s = Policy::Parse(std::strstr(text, "[direction]"), "s.toml");
  REQUIRE(s);
  CHECK(Evaluate(*s, support, fs).action == Action::kDiscard);
  // Errors name file, line and key.
  auto bad = Policy::Parse("[[rule]]\nname = \"x\"\naction = \"flag\"\nclients = [\"10.0.0.0/33\"]\n", "b.toml");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("b.toml:4: rule[1].clients: '10.0.0.0/33'"));
  bad = Policy::Parse("[policy]\nmode = \"dry\"\n", "b.toml");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("b.toml:2: policy.mode"));
  bad = Policy::Parse("[[rule]]\nname = \"x\"\naction = \"flag\"\nrecipients = [\"example.no\"]\n", "b.toml");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("b.toml:4: rule[1].recipients"));
}

TEST_CASE("milter session: client address from connect, SASL user from macros, monitor header", "[milter]") {
  std::string pol = R"(
[policy]
mode = "monitor"
match = "first"
[[rule]]
name = "lan"
clients = ["10.1.0.0/16"]
categories = ["national-id"]
action = "discard"
[[rule]]
name = "authenticated"
sasl_users = ["kari"]
categories = ["national-id"]
action = "reject"
)";
  FakeMta mta(pol);
  // Connect: hostname, family '4', port, address.
  mta.Send(Pkt(kConnect, std::string("client.example") + '\0' + "4" + std::string("\x00\x19", 2) + "10.1.2.3" + '\0'));
  Replies r = mta.Message("a@x.org", "b@y.org", {{"Subject", "x"}}, "fnr 15108695088\r\n");
  const Packet* h = r.First(kAddHeader);
  REQUIRE(h);
  CHECK_THAT(std::string(SplitNul(h->data)[1]), Catch::StartsWith(" flag; rule=lan;"));
  CHECK_THAT(std::string(SplitNul(h->data)[1]), Catch::EndsWith("; monitor=discard"));
  CHECK_FALSE(r.Has(kDiscard));
  CHECK_THAT(mta.log.back(), Catch::Contains("action=flag rule=lan") && Catch::Contains("monitor=discard"));
  // A new connection from elsewhere, authenticated (Postfix sends {auth_authen} with MAIL).
  FakeMta auth(pol);
  auth.Send(Pkt(kConnect, std::string("c") + '\0' + "4" + std::string("\x00\x19", 2) + "192.0.2.9" + '\0'));
  auth.Send(Pkt(kMacro, std::string(1, kMail) + Nul({"{auth_authen}", "kari"})));
  std::string pre = Pkt(kMail, Nul({"<kari@example.no>"})) + Pkt(kRcpt, Nul({"<x@y.org>"})) + Pkt(kEoh, "") +
                    Pkt(kBody, "fnr 15108695088\r\n");
  auth.Send(pre);
  r = auth.Send(Pkt(kBodyEob, ""));
  CHECK_FALSE(r.Has(kReplyCode));  // monitor: never a reject
  CHECK_THAT(auth.log.back(), Catch::Contains("action=flag rule=authenticated") && Catch::Contains("monitor=reject"));
}

TEST_CASE("milter session: on_oversize answers 552 5.3.4 or 452 4.3.4", "[milter]") {
  for (auto [mode, code] : {std::pair<const char*, const char*>{"reject", "552 5.3.4"}, {"tempfail", "452 4.3.4"}}) {
    std::string pol = std::string(kPolicy);
    pol.replace(pol.find("max_message_bytes = 20000000"), 28,
                std::string("max_message_bytes = 4096\non_oversize = \"") + mode + "\"");
    FakeMta mta(pol);
    Replies r = mta.Message("a@partner.se", "k@example.no", {{"Subject", "x"}}, std::string(10000, 'a'));
    REQUIRE(r.packets.size() == 1);
    REQUIRE(r.packets[0].cmd == kReplyCode);
    CHECK_THAT(ReplyText(r.packets[0]), Catch::StartsWith(code));
    CHECK_THAT(mta.log.back(), Catch::Contains(std::string("(oversize)")));
    // A message within the limit is scanned as usual.
    r = mta.Message("a@partner.se", "k@example.no", {{"Subject", "x"}}, "hei\r\n");
    CHECK(r.packets.back().cmd == kContinue);
  }
  auto bad = Policy::Parse("[limits]\non_oversize = \"bounce\"\n", "b.toml");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("b.toml:2: limits.on_oversize"));
}

TEST_CASE("policy: limits.not_read is log (default), header or error, anything else refused", "[milter]") {
  const std::string rule = "[[rule]]\nname = \"ids\"\ncategories = [\"national-id\"]\naction = \"flag\"\n";
  auto def = Policy::Parse("[limits]\n" + rule, "p.toml");
  REQUIRE(def);
  CHECK(def->not_read == Policy::NotRead::kLog);
  auto hdr = Policy::Parse("[limits]\nnot_read = \"header\"\n" + rule, "p.toml");
  REQUIRE(hdr);
  CHECK(hdr->not_read == Policy::NotRead::kHeader);
  auto err = Policy::Parse("[limits]\nnot_read = \"error\"\n" + rule, "p.toml");
  REQUIRE(err);
  CHECK(err->not_read == Policy::NotRead::kError);
  auto bad = Policy::Parse("[limits]\nnot_read = \"mail\"\n" + rule, "b.toml");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("b.toml:2: limits.not_read"));
}

namespace {

// Runs `nordpii ARGS...` and returns its exit code; stdout and stderr into the strings.
int RunNordpii(const std::vector<std::string>& args, std::string& out, std::string& err) {
  char tmpl[] = "/tmp/nordpii-run-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  pid_t pid = fork();
  if (pid == 0) {
    int o = ::open((dir + "/out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = ::open((dir + "/err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    setenv("NORDPII_CACHE_DIR", "off", 1);
    std::vector<char*> argv{const_cast<char*>("nordpii")};
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(NORDPII_BINARY, argv.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  out = ReadFile(dir + "/out");
  err = ReadFile(dir + "/err");
  std::filesystem::remove_all(dir);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// One whole message over a daemon connection; returns the end-of-message reply.
Packet DaemonMessage(int fd, const std::string& body, const std::string& queue = "QOPS1") {
  Packet p;
  REQUIRE(Await(fd, OptNeg(), 2000));
  send(fd, Pkt(kMacro, std::string(1, kMail) + Nul({"i", queue})).data(),
       Pkt(kMacro, std::string(1, kMail) + Nul({"i", queue})).size(), MSG_NOSIGNAL);
  REQUIRE(Await(fd, Pkt(kMail, Nul({"<a@partner.se>"})), 2000));
  REQUIRE(Await(fd, Pkt(kRcpt, Nul({"<kari@example.no>"})), 2000));
  REQUIRE(Await(fd, Pkt(kEoh, ""), 2000));
  REQUIRE(Await(fd, Pkt(kBody, body), 2000));
  // Every reply packet up to the final one (continue, reply code, discard).
  std::string eob = Pkt(kBodyEob, "");
  REQUIRE(send(fd, eob.data(), eob.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(eob.size()));
  std::string buf;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < until) {
    auto got = Decode(buf, p);
    REQUIRE(static_cast<bool>(got));
    if (*got) {
      if (p.cmd == kContinue || p.cmd == kReplyCode || p.cmd == kDiscard || p.cmd == kTempfail) return p;
      continue;
    }
    pollfd pf{fd, POLLIN, 0};
    if (poll(&pf, 1, 20) <= 0) continue;
    char b[4096];
    ssize_t r = recv(fd, b, sizeof b, 0);
    REQUIRE(r > 0);
    buf.append(b, static_cast<size_t>(r));
  }
  FAIL("no final reply to end of message");
  return p;
}

std::string HttpGet(int port, const std::string& path) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return "";
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp;
  char b[4096];
  ssize_t r;
  while ((r = recv(fd, b, sizeof b, 0)) > 0) resp.append(b, static_cast<size_t>(r));
  close(fd);
  return resp;
}

}  // namespace

TEST_CASE("milter --check: good config prints the effective policy, bad config exits 2 with file:line: key",
          "[milter][cli]") {
  std::string out, err;
  std::string pat = SourceDir() + "/patterns";
  std::string good = SourceDir() + "/conf/nordpii-milter.toml";
  CHECK(RunNordpii({"milter", "--check", "--config", good, "--patterns", pat}, out, err) == 0);
  CHECK_THAT(out, Catch::Contains("[milter]\nmax_connections = 1000\n"));
  CHECK_THAT(out, Catch::Contains("mode = \"monitor\""));  // shipped as a dry run
  CHECK_THAT(out, Catch::Contains("name = \"national-id-outbound\""));
  CHECK_THAT(err, Catch::Contains(": OK ("));
  // The printed policy is itself a valid policy with the same meaning.
  char tmpl[] = "/tmp/nordpii-check-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::ofstream(dir + "/printed.toml") << out;
  std::string out2;
  CHECK(RunNordpii({"milter", "--check", "--config", dir + "/printed.toml", "--patterns", pat}, out2, err) == 0);
  CHECK(out2.substr(out2.find('\n')) == out.substr(out.find('\n')));
  std::ofstream(dir + "/bad.toml") << "[milter]\nmax_connections = 10\n\n[[rule]]\nname = \"r\"\naction = \"explode\"\n";
  CHECK(RunNordpii({"milter", "--check", "--config", dir + "/bad.toml", "--patterns", pat}, out, err) == 2);
  CHECK_THAT(err, Catch::Contains(dir + "/bad.toml:6: rule[1].action"));
  CHECK(out.empty());
  std::ofstream(dir + "/nouser.toml") << "[milter]\nuser = \"no-such-user-nordpii\"\n[[rule]]\nname = \"r\"\naction = \"flag\"\n";
  CHECK(RunNordpii({"milter", "--check", "--config", dir + "/nouser.toml", "--patterns", pat}, out, err) == 2);
  CHECK_THAT(err, Catch::Contains("milter.user: no such user (the name is not shown)"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("milter daemon: one log line per message with RFC 5424 time, queue id, action, types, no value",
          "[milter][daemon]") {
  Daemon d(std::string("[milter]\nlog = \"stderr\"\n") + kPolicy);
  int fd = d.Connect();
  Packet p = DaemonMessage(fd, "fnr 15108695088 og passord: Sommer2026!\r\n", "QLOG42");
  CHECK(p.cmd == kContinue);
  close(fd);
  std::string log = ReadFile(d.log);
  size_t at = log.find("queue=QLOG42");
  REQUIRE(at != std::string::npos);
  size_t bol = log.rfind('\n', at);
  bol = bol == std::string::npos ? 0 : bol + 1;
  std::string line = log.substr(bol, log.find('\n', at) - bol);
  INFO(line);
  // 2026-12-03T10:29:34.123456Z nordpii[PID]: info: nordpii milter: queue=...
  REQUIRE(line.size() > 28);
  CHECK(line[4] == '-');
  CHECK(line[10] == 'T');
  CHECK(line[19] == '.');
  CHECK(line[26] == 'Z');
  CHECK_THAT(line, Catch::Contains(" nordpii[" + std::to_string(d.pid) + "]: info: "));
  CHECK_THAT(line, Catch::Contains("action=redact rule=id-in findings=2 types=no.fnr:1,password:1"));
  CHECK_THAT(line, Catch::Contains(" ms="));
  CHECK(log.find("15108695088") == std::string::npos);
  CHECK(log.find("Sommer2026") == std::string::npos);
}

TEST_CASE("milter daemon: Prometheus metrics scraped over HTTP", "[milter][daemon]") {
  MetricsDaemon d;
  const int port = d.port;
  REQUIRE(port > 0);
  int fd = d.Connect();
  // Four findings of one type in one message: all four are counted (the
  // session keeps only as many as the rules need for the verdict).
  DaemonMessage(fd, "fnr 15108695088 og 15108695088, 15108695088 / 15108695088\r\n", "QM1");
  Packet p = DaemonMessage(fd, "hei\r\n", "QM2");
  CHECK(p.cmd == kContinue);
  std::string m = HttpGet(port, "/metrics");
  INFO(m);
  CHECK_THAT(m, Catch::StartsWith("HTTP/1.0 200 OK\r\n"));
  CHECK_THAT(m, Catch::Contains("Content-Type: text/plain; version=0.0.4"));
  CHECK_THAT(m, Catch::Contains("\nnordpii_milter_messages_total{action=\"redact\"} 1\n"));
  CHECK_THAT(m, Catch::Contains("\nnordpii_milter_messages_total{action=\"accept\"} 1\n"));
  CHECK_THAT(m, Catch::Contains("\nnordpii_milter_findings_total{type=\"no.fnr\"} 4\n"));
  CHECK_THAT(m, Catch::Contains("\nnordpii_milter_scan_seconds_count 2\n"));
  CHECK_THAT(m, Catch::Contains("\nnordpii_milter_scan_seconds_bucket{le=\"+Inf\"} 2\n"));
  CHECK_THAT(m, Catch::Contains("\nnordpii_milter_connections_current 1\n"));
  CHECK_THAT(m, Catch::Contains("\nnordpii_milter_connections_total 1\n"));
  CHECK(m.find("15108695088") == std::string::npos);
  close(fd);
}

TEST_CASE("milter daemon: privilege drop after bind, pid file written and removed", "[milter][daemon]") {
  if (geteuid() != 0) {
    WARN("not root: privilege drop not tested");
    return;
  }
  const passwd* pw = getpwnam("nobody");
  const group* gr = getgrnam("nogroup");
  REQUIRE(pw);
  REQUIRE(gr);
  char tmpl[] = "/tmp/nordpii-pid-XXXXXX";
  std::string run = mkdtemp(tmpl);
  REQUIRE(chown(run.c_str(), pw->pw_uid, gr->gr_gid) == 0);
  std::string pidf = run + "/milter.pid";
  {
    Daemon d("[milter]\nuser = \"nobody\"\ngroup = \"nogroup\"\npid_file = \"" + pidf + "\"\n" + kPolicy);
    REQUIRE_THAT(ReadFile(d.log), Catch::Contains("running as nobody"));
    CHECK(ReadFile(pidf) == std::to_string(d.pid) + "\n");
    std::string status = ReadFile("/proc/" + std::to_string(d.pid) + "/status");
    std::string uid = std::to_string(pw->pw_uid), gid = std::to_string(gr->gr_gid);
    CHECK_THAT(status, Catch::Contains("\nUid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid + "\n"));
    CHECK_THAT(status, Catch::Contains("\nGid:\t" + gid + "\t" + gid + "\t" + gid + "\t" + gid + "\n"));
    CHECK_THAT(status, Catch::Contains("\nCapEff:\t0000000000000000\n"));
    int fd = d.Connect();  // still serving after the drop
    CHECK(DaemonMessage(fd, "fnr 15108695088\r\n").cmd == kContinue);
    close(fd);
  }  // SIGTERM
  CHECK_FALSE(std::filesystem::exists(pidf));
  // user = root is refused.
  std::string out, err;
  std::ofstream(run + "/root.toml") << "[milter]\nuser = \"root\"\n[[rule]]\nname = \"r\"\naction = \"flag\"\n";
  CHECK(RunNordpii({"milter", "--listen", "inet:0@127.0.0.1", "--config", run + "/root.toml", "--patterns",
                    SourceDir() + "/patterns"},
                   out, err) == 2);
  CHECK_THAT(err, Catch::Contains("refusing to run as root"));
  std::filesystem::remove_all(run);
}

// ---- Hostile operator review (2026-12-03): each defect, a regression test ----

namespace {

// Runs `nordpii ARGS...` for at most `ms`; returns its exit code, or -1 if it
// was still running (then it is killed): a daemon that should have refused
// to start.
int RunNordpiiFor(const std::vector<std::string>& args, std::string& err, int ms) {
  char tmpl[] = "/tmp/nordpii-run-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  pid_t pid = fork();
  if (pid == 0) {
    int e = ::open((dir + "/err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int o = ::open("/dev/null", O_WRONLY);
    dup2(o, 1);
    dup2(e, 2);
    setenv("NORDPII_CACHE_DIR", "off", 1);
    setenv("NORDPII_KEY", "k", 1);
    std::vector<char*> argv{const_cast<char*>("nordpii")};
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(NORDPII_BINARY, argv.data());
    _exit(127);
  }
  int st = 0, rc = -1;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) {
      rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
    if (std::chrono::steady_clock::now() > until) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  err = ReadFile(dir + "/err");
  std::filesystem::remove_all(dir);
  return rc;
}

std::string TempDir() {
  char tmpl[] = "/tmp/nordpii-ops-XXXXXX";
  return mkdtemp(tmpl);
}

// Waits until `needle` occurs `n` times in the daemon's log.
bool AwaitLog(const Daemon& d, const std::string& needle, size_t n = 1, int ms = 5000) {
  for (int i = 0; i < ms / 50; ++i) {
    std::string log = ReadFile(d.log);
    size_t count = 0;
    for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++count;
    if (count >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

const char* kOneRule = "[[rule]]\nname = \"r\"\ncategories = [\"national-id\"]\naction = \"reject\"\n";

}  // namespace

TEST_CASE("milter policy file: empty, a directory, /dev/zero, over 1 MiB: refused at --check and at start",
          "[milter][cli]") {
  std::string dir = TempDir(), pat = SourceDir() + "/patterns", out, err;
  std::ofstream(dir + "/empty.toml") << "";
  std::ofstream(dir + "/norules.toml") << "[policy]\nmode = \"monitor\"\n";
  {
    std::ofstream big(dir + "/big.toml");
    big << kOneRule;
    for (int i = 0; i < 20000; ++i) big << "# " << std::string(60, 'x') << "\n";
  }
  std::filesystem::create_symlink("/dev/zero", dir + "/zero.toml");
  struct Case {
    std::string file, msg;
  } cases[] = {{dir + "/empty.toml", "no [[rule]]"},
               {dir + "/norules.toml", "no [[rule]]"},
               {dir, "not a regular file"},
               {dir + "/zero.toml", "not a regular file"},
               {dir + "/big.toml", "larger than 1 MiB"}};
  for (const auto& c : cases) {
    INFO(c.file);
    CHECK(RunNordpiiFor({"milter", "--check", "--config", c.file, "--patterns", pat}, err, 10000) == 2);
    CHECK_THAT(err, Catch::Contains(c.msg));
    CHECK(RunNordpiiFor({"milter", "--listen", "unix:" + dir + "/s.sock", "--config", c.file, "--patterns", pat}, err,
                        10000) == 2);
    CHECK_THAT(err, Catch::Contains(c.msg));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("milter policy file: TOML syntax errors are a clean exit 2 (no abort), at --check and in scan --patterns",
          "[milter][cli]") {
  std::string dir = TempDir(), pat = SourceDir() + "/patterns", err;
  struct Case {
    const char *text, *msg;
  } cases[] = {
      {"[[rule]]\nname = \"unterminated\naction = \"reject\"\n", "bad.toml:2:"},
      {"[limits]\nscan_timeout_ms = 99999999999999999999\n", "bad.toml:2:"},
      {"[[rule]]\nname = \"a\nb\"\naction = \"reject\"\n", "bad.toml:2:"},
      {"[milter]\nmetrics_listen = \"127.0.0.1:99999999999999999999\"\n", "bad.toml:2: milter.metrics_listen"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    std::ofstream(dir + "/bad.toml") << c.text;
    CHECK(RunNordpiiFor({"milter", "--check", "--config", dir + "/bad.toml", "--patterns", pat}, err, 10000) == 2);
    CHECK_THAT(err, Catch::Contains(c.msg));
  }
  // The pattern files (read by the milter at start and on SIGHUP) go through the same parser.
  std::filesystem::create_directory(dir + "/pat");
  std::ofstream(dir + "/pat/a.toml") << "x = \"unterminated\n";
  std::ofstream(dir + "/t.txt") << "hei\n";
  CHECK(RunNordpiiFor({"scan", "--patterns", dir + "/pat", dir + "/t.txt"}, err, 10000) == 2);
  CHECK_THAT(err, Catch::Contains("a.toml:1:"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("milter SIGHUP: an empty file, a directory-like error or a TOML syntax error keeps the old policy",
          "[milter][daemon]") {
  Daemon d(kPolicy);
  REQUIRE(AwaitLog(d, "listening"));
  const char* bad[] = {"", "[[rule]]\nname = \"unterminated\naction = \"reject\"\n",
                       "[limits]\nscan_timeout_ms = 99999999999999999999\n"};
  size_t n = 0;
  for (const char* text : bad) {
    INFO(text);
    std::ofstream(d.config) << text;
    kill(d.pid, SIGHUP);
    CHECK(AwaitLog(d, "reload refused, old configuration stays in force", ++n));
    REQUIRE(kill(d.pid, 0) == 0);  // still running
    int fd = d.Connect();
    Packet p;
    REQUIRE(Await(fd, OptNeg(), 2000));
    REQUIRE(Await(fd, Pkt(kMail, Nul({"<kari@example.no>"})), 2000));
    REQUIRE(Await(fd, Pkt(kRcpt, Nul({"<x@partner.se>"})), 2000));
    REQUIRE(Await(fd, Pkt(kEoh, ""), 2000));
    REQUIRE(Await(fd, Pkt(kBody, "fnr 15108695088\r\n"), 2000));
    REQUIRE(Await(fd, Pkt(kBodyEob, ""), 5000, &p));
    CHECK(p.cmd == kReplyCode);  // the old policy still rejects
    CHECK_THAT(ReplyText(p), Catch::StartsWith("550 5.7.1 "));
    close(fd);
  }
  CHECK_THAT(ReadFile(d.log), Catch::Contains("no [[rule]]"));
}

TEST_CASE("milter policy: control characters refused in every string, what is echoed is escaped",
          "[milter][policy]") {
  const char* bad[] = {
      "[[rule]]\nname = \"r\\r\\nX-Injected: yes\"\naction = \"flag\"\n",
      "[[rule]]\nname = \"r\\u0000x\"\naction = \"flag\"\n",
      "[[rule]]\nname = \"r\\tx\"\naction = \"flag\"\n",
      "[reject]\nsecure_url = \"https://x\\r\\n250 ok\"\n[[rule]]\nname = \"r\"\naction = \"flag\"\n",
      "[direction]\noutbound_daemons = [\"a\\nb\"]\n[[rule]]\nname = \"r\"\naction = \"flag\"\n",
      "[reject.languages]\n\"a\\nb.no\" = \"sv\"\n[[rule]]\nname = \"r\"\naction = \"flag\"\n",
      "[[rule]]\nname = \"r\"\naction = \"flag\"\nsasl_users = [\"u\\u007f\"]\n",
  };
  for (const char* text : bad) {
    INFO(text);
    auto r = Policy::Parse(text, "t.toml");
    REQUIRE_FALSE(static_cast<bool>(r));
    CHECK_THAT(r.error().message(), Catch::Contains("control character"));
    CHECK(r.error().message().find_first_of(std::string("\r\n\t\x7f\0", 5)) == std::string::npos);
  }
  // --check output (Describe) is TOML that reads back the same, whatever the strings hold.
  auto p = Policy::Parse(
      "[reject]\nsecure_url = \"https://x.no/\\\"q\\\"\\\\ø\"\n[[rule]]\nname = \"r.1_x-2\"\naction = \"flag\"\n",
      "t.toml");
  REQUIRE(static_cast<bool>(p));
  auto back = Policy::Parse(Describe(*p), "described.toml");
  REQUIRE(static_cast<bool>(back));
  CHECK(back->secure_url == p->secure_url);
  CHECK(back->rules.at(0).name == p->rules.at(0).name);
  // A queue id (from the MTA) with CR/LF is escaped in the log line.
  FakeMta mta;
  std::string pre = Pkt(kMacro, std::string(1, kMail) + Nul({"i", "Q1\r\nnordpii milter: forged"}));
  mta.Send(pre);
  mta.Send(Pkt(kMail, Nul({"<a@partner.se>"})) + Pkt(kRcpt, Nul({"<kari@example.no>"})) + Pkt(kEoh, "") +
           Pkt(kBody, "hei\r\n"));
  mta.Send(Pkt(kBodyEob, ""));
  REQUIRE_FALSE(mta.log.empty());
  CHECK(mta.log.back().find_first_of("\r\n") == std::string::npos);
  CHECK_THAT(mta.log.back(), Catch::Contains("queue=Q1\\r\\nnordpii"));
}

TEST_CASE("milter listen: a second instance does not take over a live unix socket", "[milter][daemon]") {
  Daemon d(kPolicy);
  REQUIRE(AwaitLog(d, "listening"));
  std::string err;
  CHECK(RunNordpiiFor({"milter", "--listen", "unix:" + d.sock, "--config", d.config, "--patterns",
                       SourceDir() + "/patterns"},
                      err, 10000) == 2);
  CHECK_THAT(err, Catch::Contains("another process is listening"));
  int fd = d.Connect();  // the first one still owns and serves its socket
  CHECK(Await(fd, OptNeg(), 2000));
  close(fd);
  // A stale socket (nobody listening) is replaced.
  std::string dir = TempDir(), sock = dir + "/stale.sock";
  {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, sock.c_str());
    REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    close(s);
  }
  CHECK(RunNordpiiFor({"milter", "--listen", "unix:" + sock, "--config", d.config, "--patterns",
                       SourceDir() + "/patterns"},
                      err, 3000) == -1);  // still running: it started
  CHECK_THAT(err, Catch::Contains("listening"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("milter pid file: never overwrites a file that is not a pid file, replaces a stale one, removes only its own",
          "[milter][daemon]") {
  std::string dir = TempDir(), pidf = dir + "/m.pid", err, pat = SourceDir() + "/patterns";
  std::string conf = dir + "/p.toml";
  std::ofstream(conf) << "[milter]\npid_file = \"" << pidf << "\"\n" << kPolicy;
  auto start = [&](int ms) {
    return RunNordpiiFor({"milter", "--listen", "unix:" + dir + "/s.sock", "--config", conf, "--patterns", pat}, err, ms);
  };
  // A regular file that is not a pid file.
  std::ofstream(pidf) << "precious data\n";
  CHECK(start(10000) == 2);
  CHECK_THAT(err, Catch::Contains("milter.pid_file"));
  CHECK(ReadFile(pidf) == "precious data\n");
  // A stale pid (a process that has exited): replaced, and removed at exit.
  pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);
  std::ofstream(pidf) << gone << "\n";
  {
    Daemon d("[milter]\npid_file = \"" + pidf + "\"\n" + kPolicy);
    REQUIRE(AwaitLog(d, "listening"));
    CHECK(ReadFile(pidf) == std::to_string(d.pid) + "\n");
  }
  CHECK_FALSE(std::filesystem::exists(pidf));
  // Replaced by someone else while running: left alone at exit.
  {
    Daemon d("[milter]\npid_file = \"" + pidf + "\"\n" + kPolicy);
    REQUIRE(AwaitLog(d, "listening"));
    std::filesystem::remove(pidf);
    std::ofstream(pidf) << "someone else\n";
  }
  CHECK(ReadFile(pidf) == "someone else\n");
  std::filesystem::remove_all(dir);
}

TEST_CASE("milter session: an action the MTA did not grant is never sent, on_error applies", "[milter]") {
  const char* flag_body = "Jeg er sykemeldt med diagnose F32.\r\n";
  {
    FakeMta mta(kPolicy, 0x1FFFFF, 0x1FF & ~kActAddHdrs);
    Replies r = mta.Message("a@partner.se", "kari@example.no", {{"Subject", "x"}}, flag_body);
    CHECK_FALSE(r.Has(kAddHeader));
    REQUIRE(r.packets.back().cmd == kReplyCode);
    CHECK_THAT(ReplyText(r.packets.back()), Catch::StartsWith("451 4.7.1"));
    CHECK_THAT(mta.log.back(), Catch::Contains("not granted"));
  }
  {
    FakeMta mta(kPolicy, 0x1FFFFF, 0x1FF & ~kActChgBody);
    Replies r = mta.Message("a@partner.se", "kari@example.no", {{"Subject", "x"}}, "fnr 15108695088\r\n");
    CHECK_FALSE(r.Has(kReplBody));
    CHECK_FALSE(r.Has(kAddHeader));
    CHECK_FALSE(r.Has(kChgHeader));
    REQUIRE(r.packets.back().cmd == kReplyCode);
    CHECK_THAT(ReplyText(r.packets.back()), Catch::StartsWith("451 4.7.1"));
  }
  {
    FakeMta mta(kPolicy, 0x1FFFFF, 0x1FF & ~kActQuarantine);
    Replies r = mta.Message("a@partner.se", "kari@example.no", {{"Subject", "x"}},
                            "Ring meg pa +47 912 34 567, +46 70 123 45 67 eller +45 20 12 34 56.\r\n");
    CHECK_FALSE(r.Has(kQuarantine));
    REQUIRE(r.packets.back().cmd == kReplyCode);
  }
  {  // on_error = accept without header additions: accepted, and no header sent
    std::string acc = std::string("[limits]\non_error = \"accept\"\n") + kPolicy;
    acc.erase(acc.find("[limits]\nmax_message_bytes"), 9);
    FakeMta mta(acc, 0x1FFFFF, 0x1FF & ~kActAddHdrs);
    Replies r = mta.Message("a@partner.se", "kari@example.no", {{"Subject", "x"}}, flag_body);
    CHECK_FALSE(r.Has(kAddHeader));
    REQUIRE(r.packets.size() == 1);
    CHECK(r.packets.back().cmd == kContinue);
  }
}

TEST_CASE("milter policy: numeric ranges, allow entries, CIDR host bits, duplicate names", "[milter][policy]") {
  struct Bad {
    const char *text, *msg;
  } bad[] = {
      {"[limits]\nscan_timeout_ms = 0\n", "limits.scan_timeout_ms: expected an integer from 100"},
      {"[limits]\nscan_timeout_ms = -5\n", "limits.scan_timeout_ms: expected an integer"},
      {"[milter]\nread_timeout_s = 0\n", "milter.read_timeout_s: expected an integer"},
      {"[milter]\nmax_connections = 0\n", "milter.max_connections: expected an integer"},
      {"[milter]\nmetrics_listen = \"127.0.0.1:99999999999999999999\"\n", "milter.metrics_listen"},
      {"[allow]\nsenders = [\"@\"]\n", "allow.senders: '@'"},
      {"[allow]\nrecipients = [\"postmaster\"]\n", "allow.recipients: 'postmaster'"},
      {"[[rule]]\nname = \"r\"\naction = \"flag\"\nsenders = [\"user@\"]\n", "rule[1].senders: 'user@'"},
      {"[[rule]]\nname = \"r\"\naction = \"flag\"\nclients = [\"192.0.2.1/24\"]\n", "host bits set"},
      {"[[rule]]\nname = \"r\"\naction = \"flag\"\nclients = [\"2001:db8::1/32\"]\n", "host bits set"},
      {"[[rule]]\nname = \"r\"\naction = \"flag\"\n[[rule]]\nname = \"r\"\naction = \"reject\"\n",
       "t.toml:5: rule[2].name: 'r' is also the name of rule[1]"},
  };
  for (const auto& b : bad) {
    INFO(b.text);
    std::string text = std::string(b.text) + (std::strstr(b.text, "[[rule]]") ? "" : kOneRule);
    auto r = Policy::Parse(text, "t.toml");
    REQUIRE_FALSE(static_cast<bool>(r));
    CHECK_THAT(r.error().message(), Catch::Contains(b.msg));
  }
  auto ok = Policy::Parse(std::string("[limits]\nscan_timeout_ms = 100\n[[rule]]\nname = \"r\"\naction = \"flag\"\n"
                                      "clients = [\"192.0.2.0/24\", \"2001:db8::/32\", \"192.0.2.7\"]\n"),
                          "t.toml");
  CHECK(static_cast<bool>(ok));
}

TEST_CASE("milter --check: unknown type ids, user root, missing pid directory fail, open socket or metrics warn",
          "[milter][cli]") {
  std::string dir = TempDir(), pat = SourceDir() + "/patterns", out, err;
  auto check = [&](const std::string& text) {
    std::ofstream(dir + "/c.toml") << text;
    std::string o, e;
    int rc = RunNordpii({"milter", "--check", "--config", dir + "/c.toml", "--patterns", pat}, out, err);
    return rc;
  };
  CHECK(check("[[rule]]\nname = \"r\"\ntypes = [\"no.fnrr\"]\naction = \"reject\"\n") == 2);
  CHECK_THAT(err, Catch::Contains("rule[1] 'r': types: unknown type 'no.fnrr'"));
  CHECK(check(std::string("[milter]\nuser = \"root\"\n") + kOneRule) == 2);
  CHECK_THAT(err, Catch::Contains("milter.user: refusing to run as root"));
  CHECK(check("[milter]\npid_file = \"" + dir + "/nodir/m.pid\"\n" + kOneRule) == 2);
  CHECK_THAT(err, Catch::Contains("milter.pid_file: directory " + dir + "/nodir"));
  CHECK(check(std::string("[milter]\nsocket_mode = \"0777\"\nmetrics_listen = \"0.0.0.0:9899\"\n") + kOneRule) == 0);
  CHECK_THAT(err, Catch::Contains("warning: milter.socket_mode 0777"));
  CHECK_THAT(err, Catch::Contains("warning: milter.metrics_listen: not a loopback address"));
  CHECK(check(std::string("[milter]\nsocket_mode = \"0660\"\nmetrics_listen = \"127.0.0.1:9899\"\n") + kOneRule) == 0);
  CHECK(err.find("warning") == std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("milter daemon: a stalled metrics client does not block a scrape", "[milter][daemon]") {
  MetricsDaemon d;
  const int port = d.port;
  REQUIRE(port > 0);
  std::vector<int> stalled;
  for (int i = 0; i < 3; ++i) {
    int fd = ConnectLoopback(port);
    REQUIRE(fd >= 0);
    if (i == 1) send(fd, "GET /metr", 9, MSG_NOSIGNAL);  // half a request, then nothing
    stalled.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto t0 = std::chrono::steady_clock::now();
  std::string m = HttpGet(port, "/metrics");
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  CHECK_THAT(m, Catch::StartsWith("HTTP/1.0 200 OK\r\n"));
  CHECK(ms < 500);
  // The stalled ones are closed after the per-connection timeout.
  for (int fd : stalled) {
    CHECK(Closed(fd, 4000));
    close(fd);
  }
}

TEST_CASE("milter SIGHUP: a changed start-only key is named in a warning", "[milter][daemon]") {
  MetricsDaemon d;
  REQUIRE(AwaitLog(d, "listening"));
  std::ofstream(d.config) << "[milter]\nmetrics_listen = \"127.0.0.1:1\"\nsocket_mode = \"0600\"\n" << kPolicy;
  kill(d.pid, SIGHUP);
  REQUIRE(AwaitLog(d, "configuration reloaded"));
  std::string log = ReadFile(d.log);
  CHECK_THAT(log, Catch::Contains("milter.metrics_listen changed"));
  CHECK_THAT(log, Catch::Contains("milter.socket_mode changed"));
  CHECK_THAT(log, Catch::Contains("restart"));
  CHECK(log.find("milter.user changed") == std::string::npos);
}

TEST_CASE("milter reply: a text longer than one SMTP line becomes a multi-line reply of lines up to 512 octets",
          "[milter]") {
  std::string text;
  for (int i = 0; i < 150; ++i) text += "word" + std::to_string(i) + " ";
  text += std::string(700, 'u');  // one word longer than a line
  std::string pkt = ReplyCodePacket("550", "5.7.1", text);
  Packet p;
  REQUIRE(*Decode(pkt, p));
  REQUIRE(p.cmd == kReplyCode);
  std::string data = ReplyText(p);
  std::vector<std::string> lines;
  for (size_t pos = 0;;) {
    size_t e = data.find("\r\n", pos);
    lines.push_back(data.substr(pos, e == std::string::npos ? std::string::npos : e - pos));
    if (e == std::string::npos) break;
    pos = e + 2;
  }
  REQUIRE(lines.size() >= 3);
  std::string joined;
  for (size_t i = 0; i < lines.size(); ++i) {
    INFO(lines[i]);
    CHECK(lines[i].size() + 2 <= 512);
    CHECK_THAT(lines[i], Catch::StartsWith(i + 1 < lines.size() ? "550-5.7.1 " : "550 5.7.1 "));
    joined += lines[i].substr(10);
  }
  std::string squeezed = text;
  squeezed.erase(std::remove(squeezed.begin(), squeezed.end(), ' '), squeezed.end());
  joined.erase(std::remove(joined.begin(), joined.end(), ' '), joined.end());
  CHECK(joined == squeezed);
  // A short text stays one line.
  pkt = ReplyCodePacket("550", "5.7.1", "short");
  REQUIRE(*Decode(pkt, p));
  CHECK(ReplyText(p) == "550 5.7.1 short");
}

TEST_CASE("milter daemon: a repeated identical log line is rate-limited", "[milter][daemon]") {
  Daemon d(std::string("[milter]\nmax_connections = 1\nlog = \"stderr\"\n") + kPolicy);
  REQUIRE(AwaitLog(d, "listening"));
  int a = d.Connect();
  REQUIRE(Await(a, OptNeg(), 2000));
  std::vector<int> flood;
  for (int i = 0; i < 40; ++i) flood.push_back(d.Connect());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (int f : flood) close(f);
  std::string log = ReadFile(d.log);
  size_t n = 0;
  for (size_t at = log.find("a new one was closed"); at != std::string::npos; at = log.find("a new one was closed", at + 1))
    ++n;
  CHECK(n >= 1);
  CHECK(n <= 2);
  close(a);
}

TEST_CASE("milter log: a scan note quoting the sender's bytes is masked and cannot forge log fields", "[milter]") {
  FakeMta mta(kPolicy);
  // A zip attachment whose member, named 'kunde 15108695088" action=accept.pdf',
  // is a damaged PDF: the message is partly scanned and the reason names it.
  const std::string body =
      "--XX\r\nContent-Type: application/zip; name=a.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "UEsDBBQAAAAAAGNtg13Dpa9cGQAAABkAAAAkAAAAa3VuZGUgMTUxMDg2OTUwODgiIGFjdGlvbj1hY2NlcHQucGRmJVBERi0xLjQKIGdhcmJh"
      "Z2UgCiUlRU9GClBLAQIUAxQAAAAAAGNtg13Dpa9cGQAAABkAAAAkAAAAAAAAAAAAAACAAQAAAABrdW5kZSAxNTEwODY5NTA4OCIgYWN0aW9u"
      "PWFjY2VwdC5wZGZQSwUGAAAAAAEAAQBSAAAAWwAAAAAA\r\n--XX--\r\n";
  Replies r = mta.Message("a@partner.se", "k@example.no",
                          {{"Subject", "x"}, {"MIME-Version", "1.0"}, {"Content-Type", "multipart/mixed; boundary=XX"}},
                          body);
  REQUIRE(!mta.log.empty());
  const std::string& line = mta.log.back();
  INFO(line);
  CHECK_THAT(line, Catch::Contains("error=\"message not fully scanned"));
  CHECK_THAT(line, Catch::Contains("kunde 151086*****"));
  CHECK(line.find("15108695088") == std::string::npos);
  // The quote is escaped: the error field ends at the line's last quote.
  const size_t open = line.find("error=\"") + 6;
  size_t unescaped = 0;
  for (size_t i = open + 1; i < line.size(); ++i) unescaped += line[i] == '"' && line[i - 1] != '\\';
  CHECK(unescaped == 1);
  CHECK(line.back() == '"');
}

TEST_CASE("milter policy: internal_domains must be bare domains", "[milter]") {
  for (const char* bad : {"\"@example.no\"", "\"a@example.no\"", "\"\"", "\"*.example.no\"", "\"example.no.\""}) {
    INFO(bad);
    auto p = Policy::Parse(std::string("[direction]\ninternal_domains = [") + bad +
                               "]\n[[rule]]\nname = \"r\"\ncategories = [\"national-id\"]\naction = \"flag\"\n",
                           "t.toml");
    CHECK_FALSE(p);
  }
  auto ok = Policy::Parse("[direction]\ninternal_domains = [\"example.no\"]\n[[rule]]\nname = \"r\"\n"
                          "categories = [\"national-id\"]\naction = \"flag\"\n", "t.toml");
  CHECK(ok);
}

namespace {

// A message whose redaction replaces a body of `bytes` (inbound: id-in
// redacts), sent up to its end of message; the replies are never read.
void SendLargeRedactNoRead(int fd, size_t bytes) {
  REQUIRE(Await(fd, OptNeg(), 2000));
  REQUIRE(Await(fd, Pkt(kMail, Nul({"<a@partner.se>"})), 2000));
  REQUIRE(Await(fd, Pkt(kRcpt, Nul({"<kari@example.no>"})), 2000));
  REQUIRE(Await(fd, Pkt(kEoh, ""), 2000));
  std::string line = "fnr 15108695088 and some filler text to make a long line of mail body\r\n";
  std::string chunk;
  while (chunk.size() + line.size() < 60000) chunk += line;
  for (size_t sent = 0; sent < bytes; sent += chunk.size()) REQUIRE(Await(fd, Pkt(kBody, chunk), 5000));
  std::string eob = Pkt(kBodyEob, "");
  REQUIRE(send(fd, eob.data(), eob.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(eob.size()));
}

// Reads the answer to an end of message up to its final continue; false if
// the connection ends (or `s` seconds pass) before it.
bool ReadAnswerToEnd(int fd, int s) {
  std::string buf;
  Packet p;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(s);
  while (std::chrono::steady_clock::now() < until) {
    auto got = Decode(buf, p);
    if (!got) return false;
    if (*got) {
      if (p.cmd == kContinue) return true;
      continue;
    }
    pollfd pf{fd, POLLIN, 0};
    if (poll(&pf, 1, 50) <= 0) continue;
    char b[65536];
    ssize_t r = recv(fd, b, sizeof b, 0);
    if (r <= 0) return false;
    buf.append(b, static_cast<size_t>(r));
  }
  return false;
}

}  // namespace

// Hostile review 2, defect 4: a worker only scans; the loop writes the
// answer. Two peers that never read a multi-megabyte answer (redact) and two
// that stall in the middle of a message, with two scan workers: a normal
// message is still answered at once.
TEST_CASE("milter daemon: slow peers hold no scan worker, a normal message is answered at once",
          "[milter][daemon]") {
  Daemon d(std::string("[milter]\nscan_workers = 2\nread_timeout_s = 60\n") + kPolicy);
  REQUIRE(AwaitLog(d, "listening"));
  std::vector<int> slow;
  for (int i = 0; i < 2; ++i) {  // never read their answer
    int fd = d.Connect();
    SendLargeRedactNoRead(fd, 3u << 20);
    slow.push_back(fd);
  }
  for (int i = 0; i < 2; ++i) {  // stall in the body, half a packet sent
    int fd = d.Connect();
    REQUIRE(Await(fd, OptNeg(), 2000));
    REQUIRE(Await(fd, Pkt(kMail, Nul({"<a@partner.se>"})), 2000));
    REQUIRE(Await(fd, Pkt(kRcpt, Nul({"<kari@example.no>"})), 2000));
    REQUIRE(Await(fd, Pkt(kEoh, ""), 2000));
    std::string body = Pkt(kBody, "fnr 15108695088\r\n");
    REQUIRE(send(fd, body.data(), 7, MSG_NOSIGNAL) == 7);
    slow.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the slow readers' scans are done
  auto t0 = std::chrono::steady_clock::now();
  int fd = d.Connect();
  Packet p = DaemonMessage(fd, "fnr 15108695088\r\n");
  CHECK(p.cmd == kContinue);  // redacted
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  close(fd);
  // A slow reader that reads at last gets its whole answer.
  CHECK(ReadAnswerToEnd(slow[0], 10));
  for (int s : slow) close(s);
}

// The per-connection time bounds: a reply not read, a message's content
// that trickles in (a whole packet now and then), no packet at all.
TEST_CASE("milter daemon: a reply not read, a trickled message and an idle connection are closed in time",
          "[milter][daemon]") {
  Daemon d(std::string("[milter]\nread_timeout_s = 2\ncontent_timeout_s = 2\nidle_timeout_s = 3\n") + kPolicy);
  REQUIRE(AwaitLog(d, "listening"));
  int noread = d.Connect();
  SendLargeRedactNoRead(noread, 3u << 20);
  int trickle = d.Connect();
  REQUIRE(Await(trickle, OptNeg(), 2000));
  REQUIRE(Await(trickle, Pkt(kMail, Nul({"<a@partner.se>"})), 2000));
  REQUIRE(Await(trickle, Pkt(kRcpt, Nul({"<kari@example.no>"})), 2000));
  REQUIRE(Await(trickle, Pkt(kEoh, ""), 2000));
  int idle = d.Connect();
  REQUIRE(Await(idle, OptNeg(), 2000));
  auto t0 = std::chrono::steady_clock::now();
  bool trickle_closed = false;
  for (int i = 0; i < 12 && !trickle_closed; ++i) {  // one body line every 0.5 s: each packet whole
    std::string b = Pkt(kBody, "line\r\n");
    if (send(trickle, b.data(), b.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(b.size())) break;
    trickle_closed = Closed(trickle, 500);
  }
  CHECK((trickle_closed || Closed(trickle, 1000)));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(4500));
  // The peer that does not read: closed once its reply waited 2 s (read
  // now, after that).
  std::this_thread::sleep_until(t0 + std::chrono::milliseconds(3000));
  char b[4096];
  bool reset = false;
  for (int i = 0; i < 200 && !reset; ++i) {  // drain what was buffered; then the end
    pollfd pf{noread, POLLIN, 0};
    if (poll(&pf, 1, 50) <= 0) continue;
    ssize_t r = recv(noread, b, sizeof b, 0);
    reset = r <= 0;
  }
  CHECK(reset);
  CHECK(Closed(idle, 4000));
  std::string log = ReadFile(d.log);
  CHECK_THAT(log, Catch::Contains("a message's content begun for 2 s (milter.content_timeout_s); connection closed"));
  CHECK_THAT(log, Catch::Contains("a reply not read for 2 s (milter.read_timeout_s); connection closed"));
  CHECK_THAT(log, Catch::Contains("no packet for 3 s (milter.idle_timeout_s); connection closed"));
  close(noread);
  close(trickle);
  close(idle);
}

// Hostile review 2, defect 10: the pid file is locked (flock) for the
// daemon's life; the pid in it proves nothing (after a crash and a reboot
// it may be any process's, e.g. 1).
TEST_CASE("milter pid file: a stale pid of a live process (1) does not block a start, a held lock refuses with exit 2",
          "[milter][daemon]") {
  std::string dir = TempDir(), pidf = dir + "/m.pid", err, pat = SourceDir() + "/patterns";
  std::string conf = dir + "/p.toml";
  std::ofstream(conf) << "[milter]\npid_file = \"" << pidf << "\"\n" << kPolicy;
  std::ofstream(pidf) << "1\n";  // init: alive, and not a nordpii
  {
    Daemon d("[milter]\npid_file = \"" + pidf + "\"\n" + kPolicy);
    REQUIRE(AwaitLog(d, "listening"));
    CHECK(ReadFile(pidf) == std::to_string(d.pid) + "\n");
    // A second instance (on another socket) while the first holds the lock.
    CHECK(RunNordpiiFor({"milter", "--listen", "unix:" + dir + "/s2.sock", "--config", conf, "--patterns", pat}, err,
                        10000) == 2);
    CHECK_THAT(err, Catch::Contains("locked by a running nordpii milter (pid " + std::to_string(d.pid) + ")"));
    CHECK(ReadFile(pidf) == std::to_string(d.pid) + "\n");
  }
  CHECK_FALSE(std::filesystem::exists(pidf));
  // A symbolic link is not followed.
  std::ofstream(dir + "/target") << "keep\n";
  std::filesystem::create_symlink(dir + "/target", pidf);
  CHECK(RunNordpiiFor({"milter", "--listen", "unix:" + dir + "/s3.sock", "--config", conf, "--patterns", pat}, err,
                      10000) == 2);
  CHECK(ReadFile(dir + "/target") == "keep\n");
  std::filesystem::remove_all(dir);
}

// Hostile review 2, defect 11: with log = "syslog", an error that stops the
// start also goes to stderr (syslog(3) drops it silently without /dev/log).
TEST_CASE("milter start: with log = syslog, start-up errors also reach stderr", "[milter][daemon]") {
  std::string dir = TempDir(), err, pat = SourceDir() + "/patterns";
  std::string conf = dir + "/p.toml";
  // The pid file's directory is missing.
  std::ofstream(conf) << "[milter]\nlog = \"syslog\"\npid_file = \"" << dir << "/missing/m.pid\"\n" << kPolicy;
  CHECK(RunNordpiiFor({"milter", "--listen", "unix:" + dir + "/s.sock", "--config", conf, "--patterns", pat}, err,
                      10000) == 2);
  CHECK_THAT(err, Catch::Contains("error: milter.pid_file: directory " + dir + "/missing does not exist"));
  // The socket cannot be bound.
  std::ofstream(conf) << "[milter]\nlog = \"syslog\"\n" << kPolicy;
  CHECK(RunNordpiiFor({"milter", "--listen", "unix:" + dir + "/no/such/dir/s.sock", "--config", conf, "--patterns",
                       pat},
                      err, 10000) == 2);
  CHECK_THAT(err, Catch::Contains("error: --listen unix:" + dir + "/no/such/dir/s.sock"));
  std::filesystem::remove_all(dir);
}

// Hostile review 2, defect 8: the log limiter works by category, not by
// exact text: unknown commands that differ only in the byte (0x41, 0x42,
// ...) are one flood; another category is still written.
TEST_CASE("milter daemon: log lines varying only in numbers or details are rate-limited as one category",
          "[milter][daemon]") {
  Daemon d(std::string("[milter]\nlog = \"stderr\"\nread_timeout_s = 1\n") + kPolicy);
  REQUIRE(AwaitLog(d, "listening"));
  int a = d.Connect();
  REQUIRE(Await(a, OptNeg(), 2000));
  std::string flood;
  for (int i = 0; i < 40; ++i) flood += Pkt(static_cast<char>(0x80 + i), "x");
  REQUIRE(send(a, flood.data(), flood.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(flood.size()));
  // Packets over the limit, each with another length: one category too.
  for (int i = 0; i < 10; ++i) {
    int g = d.Connect();
    std::string bad = Be32((5u << 20) + static_cast<uint32_t>(i)) + "O";
    send(g, bad.data(), bad.size(), MSG_NOSIGNAL);
    CHECK(Closed(g, 2000));
    close(g);
  }
  int silent = d.Connect();  // another category: a negotiation that never comes
  CHECK(Closed(silent, 3000));
  close(silent);
  std::string log = ReadFile(d.log);
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
    return n;
  };
  CHECK(count("unknown command 0x") == 1);
  CHECK(count("out of range") == 1);
  CHECK(count("no negotiation for 1 s") == 1);
  close(a);
}

// Hostile review 2, defect 9a: more idle (or slowloris) metrics clients
// than the endpoint keeps at once do not lock a scrape out.
TEST_CASE("milter daemon: 40 idle metrics connections, then a real scrape with curl answers", "[milter][daemon]") {
  MetricsDaemon d;
  const int port = d.port;
  REQUIRE(port > 0);
  std::vector<int> idle;
  for (int i = 0; i < 45; ++i) {
    int fd = ConnectLoopback(port);
    REQUIRE(fd >= 0);
    if (i % 2) send(fd, "GET /", 5, MSG_NOSIGNAL);  // half a request
    idle.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string dir = TempDir(), out = dir + "/scrape";
  auto t0 = std::chrono::steady_clock::now();
  std::string cmd = "curl -sS --max-time 5 -o " + out + " http://127.0.0.1:" + std::to_string(port) + "/metrics";
  CHECK(std::system(cmd.c_str()) == 0);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  CHECK_THAT(ReadFile(out), Catch::Contains("nordpii_milter_connections_total"));
  CHECK(ms < 1000);
  for (int fd : idle) close(fd);
  std::filesystem::remove_all(dir);
}

// Hostile review 2, defect 3: threading headers (Message-ID, In-Reply-To,
// References) are read for national ids with strong evidence (validated,
// high confidence); a bare number in a machine-made id is no finding;
// redact deletes the header that holds one.
TEST_CASE("milter session: a labelled national id in a threading header counts, a bare number in a message id does not",
          "[milter]") {
  {  // outbound: id-out rejects
    FakeMta mta;
    Replies r = mta.Message("kari@example.no", "x@partner.se",
                            {{"Subject", "hei"}, {"In-Reply-To", "<fnr-15108695088@example.no>"}}, "ok\r\n");
    REQUIRE(r.First(kReplyCode));
    CHECK_THAT(ReplyText(*r.First(kReplyCode)), Catch::StartsWith("550 5.7.1 "));
    CHECK(mta.log.back().find("15108695088") == std::string::npos);
  }
  {  // machine-made ids with digit runs: accepted (no false positive)
    FakeMta mta;
    Replies r = mta.Message("kari@example.no", "x@partner.se",
                            {{"Subject", "hei"},
                             {"Message-ID", "<20261203.15108695088.JavaMail@host.example.no>"},
                             {"References", "<1733241234.15108695088@mail.example.no> <CAK15108695088xyz@mail.example.com>"}},
                            "ok\r\n");
    CHECK_FALSE(r.Has(kReplyCode));
    CHECK(r.Has(kContinue));
  }
  {  // inbound: id-in redacts, the References header holding the id is deleted
    FakeMta mta;
    Replies r = mta.Message("a@partner.se", "kari@example.no",
                            {{"Subject", "hei"},
                             {"References", "<a1@partner.se>"},
                             {"References", "<a2@partner.se> <fnr.15108695088@partner.se>"}},
                            "ok\r\n");
    bool deleted = false;
    for (const auto& p : r.packets)
      if (p.cmd == kChgHeader && p.data == Be32(2) + Nul({"References", ""})) deleted = true;
    CHECK(deleted);
    CHECK(r.Has(kContinue));
  }
}

// Hostile review 3: the categories read in threading headers are data
// (`threading = true` in patterns/categories.toml), not "national-id" in
// the milter's code: without the mark the labelled id above is not counted.
TEST_CASE("milter session: the categories counted in threading headers come from the pattern data", "[milter][patterns]") {
  std::string dir = TempDir();
  for (const auto& e : std::filesystem::directory_iterator(SourceDir() + "/patterns"))
    if (e.path().extension() == ".toml") std::filesystem::copy_file(e.path(), dir + "/" + e.path().filename().string());
  std::string cats = ReadFile(dir + "/categories.toml");
  const size_t at = cats.find("\nthreading = true\n");
  REQUIRE(at != std::string::npos);
  cats.erase(at, 17);
  REQUIRE(cats.find("\nthreading = true") == std::string::npos);
  std::ofstream(dir + "/categories.toml") << cats;
  ScannerOptions opt;
  opt.patterns_dir = dir;
  auto scanner = Scanner::Create(opt);
  REQUIRE(scanner);
  auto engine = std::make_shared<MilterEngine>();
  engine->scanner = *scanner;
  engine->policy = *Policy::Parse(kPolicy, "test.toml");
  engine->hasher = KeyedHasher("test-key");
  FakeMta mta;
  mta.engines.Set(engine);
  Replies r = mta.Message("kari@example.no", "x@partner.se",
                          {{"Subject", "hei"}, {"In-Reply-To", "<fnr-15108695088@example.no>"}}, "ok\r\n");
  CHECK_FALSE(r.Has(kReplyCode));
  CHECK(r.Has(kContinue));
  std::filesystem::remove_all(dir);
}

// Hostile review 2, item 12: a rule name is echoed into the verdict header
// ("rule=NAME; findings=N") and the log line ("rule=NAME findings=N"): a
// space, ';', '=' or non-ASCII letter there would forge or break a field.
TEST_CASE("milter policy: rule names limited to letters, digits, '.', '_' and '-'", "[milter][policy]") {
  for (const char* name : {"a; findings=0", "a findings=0", "r=x", "blåbær", "a,b"}) {
    INFO(name);
    auto r = Policy::Parse(std::string("[[rule]]\nname = \"") + name + "\"\naction = \"flag\"\n", "t.toml");
    REQUIRE_FALSE(static_cast<bool>(r));
    CHECK_THAT(r.error().message(), Catch::Contains("t.toml:2: rule[1].name"));
  }
  CHECK(static_cast<bool>(Policy::Parse("[[rule]]\nname = \"Id-out.2_b\"\naction = \"flag\"\n", "t.toml")));
  CHECK_FALSE(static_cast<bool>(
      Policy::Parse("[[rule]]\nname = \"" + std::string(65, 'a') + "\"\naction = \"flag\"\n", "t.toml")));
}

// Own hostile review: what a peer sends is bounded per connection — macros
// (64 KiB in all; beyond: every message on_error), recipients (1 MiB),
// forged X-Nordpii headers (1024) — and each bound fails closed.
TEST_CASE("milter session: huge macros, recipient and forged-header floods -> on_error, not unbounded memory",
          "[milter]") {
  {
    FakeMta mta;
    std::string big(8000, 'v');
    std::string pre;
    for (int i = 0; i < 20; ++i) pre += Pkt(kMacro, std::string(1, kConnect) + Nul({"m" + std::to_string(i), big}));
    mta.Send(pre);
    Replies r = mta.Message("a@partner.se", "kari@example.no", {{"Subject", "hei"}}, "ok\r\n");
    REQUIRE(r.First(kReplyCode));
    CHECK_THAT(ReplyText(*r.First(kReplyCode)), Catch::StartsWith("451 4.7.1"));
    CHECK_THAT(mta.log.back(), Catch::Contains("macros over 64 KiB"));
  }
  {
    FakeMta mta;
    std::string pre = Pkt(kMail, Nul({"<a@partner.se>"}));
    for (int i = 0; i < 20000; ++i) pre += Pkt(kRcpt, Nul({"<user" + std::to_string(i) + "-with-a-long-name@example.no>"}));
    mta.Send(pre);
    mta.Send(Pkt(kEoh, "") + Pkt(kBody, "ok\r\n"));
    Replies r = mta.Send(Pkt(kBodyEob, ""));
    REQUIRE(r.First(kReplyCode));
    CHECK_THAT(ReplyText(*r.First(kReplyCode)), Catch::StartsWith("451 4.7.1"));
    CHECK_THAT(mta.log.back(), Catch::Contains("recipients over 1 MiB"));
  }
  {
    FakeMta mta;
    std::vector<std::pair<std::string, std::string>> h(1100, {"X-Nordpii", "x"});
    Replies r = mta.Message("a@partner.se", "kari@example.no", h, "ok\r\n");
    REQUIRE(r.First(kReplyCode));
    CHECK_THAT(mta.log.back(), Catch::Contains("more than 1024 X-Nordpii headers"));
  }
}

// Own hostile review: the loop writes answers without blocking, so on
// SIGTERM an answer larger than the socket buffer (a redacted 3 MB body)
// is still written in full before its connection is closed.
TEST_CASE("milter daemon: SIGTERM while a large answer is being written: written in full, then exit",
          "[milter][daemon]") {
  auto d = std::make_unique<Daemon>(kPolicy);
  REQUIRE(AwaitLog(*d, "listening"));
  int fd = d->Connect();
  SendLargeRedactNoRead(fd, 3u << 20);
  REQUIRE(AwaitLog(*d, "action=redact"));
  kill(d->pid, SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(ReadAnswerToEnd(fd, 10));
  int st = 0;
  CHECK(waitpid(d->pid, &st, 0) == d->pid);
  d->pid = -1;
  CHECK(WIFEXITED(st));
  close(fd);
}

// Own hostile review: a body chunk sent with the end-of-message packet
// counts against limits.max_message_bytes like any other.
TEST_CASE("milter session: a body sent in the end-of-message packet is bounded by max_message_bytes", "[milter]") {
  std::string strict = std::string(kPolicy);
  strict.replace(strict.find("max_message_bytes = 20000000"), 28, "max_message_bytes = 4096");
  FakeMta mta(strict);
  mta.Send(Pkt(kMail, Nul({"<a@partner.se>"})) + Pkt(kRcpt, Nul({"<kari@example.no>"})) + Pkt(kEoh, ""));
  Replies r = mta.Send(Pkt(kBodyEob, std::string(10000, 'a')));
  REQUIRE(r.First(kReplyCode));
  CHECK_THAT(ReplyText(*r.First(kReplyCode)), Catch::StartsWith("451 4.7.1"));
  CHECK_THAT(mta.log.back(), Catch::Contains("larger than limits.max_message_bytes"));
}

TEST_CASE("milter session: on_error accept never passes findings a rule acts on (a part-way scan)", "[milter]") {
  // 1001 parts: the scan stops part-way (an error), after the fnr in part 1.
  std::string body = "--b\r\nContent-Type: text/plain\r\n\r\nfnr 15108695088\r\n";
  for (int i = 0; i < 1100; ++i) body += "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n";
  body += "--b--\r\n";
  const std::vector<std::pair<std::string, std::string>> h = {{"Content-Type", "multipart/mixed; boundary=\"b\""}};
  auto policy = [](const char* action) {
    return std::string("[limits]\non_error = \"accept\"\n[[rule]]\nname = \"r\"\ncategories = [\"national-id\"]\naction = \"") +
           action + "\"\n";
  };
  {
    FakeMta mta(policy("reject"));
    Replies r = mta.Message("a@partner.se", "k@example.no", h, body);
    REQUIRE(r.packets.size() == 1);
    CHECK_THAT(ReplyText(r.packets[0]), Catch::StartsWith("550 5.7.1"));
    CHECK_THAT(mta.log.back(), Catch::Contains("action=reject rule=r ") && Catch::Contains("error=\""));
  }
  {
    FakeMta mta(policy("redact"));
    Replies r = mta.Message("a@partner.se", "k@example.no", h, body);
    REQUIRE(r.packets.size() == 1);
    CHECK_THAT(ReplyText(r.packets[0]), Catch::StartsWith("451 4.7.1"));
    CHECK_FALSE(r.Has(kReplBody));
    CHECK_THAT(mta.log.back(), Catch::Contains("action=tempfail(error)"));
  }
  {  // only a flag rule fires: accepted unchanged with the error verdict, as before
    FakeMta mta(policy("flag"));
    Replies r = mta.Message("a@partner.se", "k@example.no", h, body);
    const Packet* v = r.First(kAddHeader);
    REQUIRE(v);
    CHECK(std::string(SplitNul(v->data)[1]) == " error; reason=not scanned; version=" NORDPII_PROJECT_VERSION);
    CHECK(r.packets.back().cmd == kContinue);
  }
  {  // nothing found before the error: on_error accept as documented
    FakeMta mta(policy("reject"));
    std::string clean = body;
    clean.replace(clean.find("fnr 15108695088"), 15, "hello there");
    Replies r = mta.Message("a@partner.se", "k@example.no", h, clean);
    CHECK(r.Has(kAddHeader));
    CHECK(r.packets.back().cmd == kContinue);
  }
}

TEST_CASE("milter policy: a source-routed address matches the mailbox Postfix delivers to", "[milter][policy]") {
  // Postfix delivers RCPT TO:<@relay.example:support@example.no> to
  // support@example.no (checked with a real Postfix): the rule must match.
  auto p = Policy::Parse(R"([[rule]]
name = "support"
recipients = ["support@example.no"]
categories = ["national-id"]
action = "reject"
[[rule]]
name = "partner"
senders = ["@partner.se"]
categories = ["national-id"]
action = "quarantine"
)", "t.toml");
  REQUIRE(p);
  Finding f;
  f.type = "no.fnr";
  f.category = "national-id";
  f.confidence = Confidence::kHigh;
  std::vector<Finding> fs{f};
  for (const char* rcpt : {"@relay.example:support@example.no", "<@relay.example:support@example.no>",
                           "<@a.example,@b.example:Support+x@Example.No.>"}) {
    INFO(rcpt);
    Envelope env{"a@x.org", {rcpt}, "", "203.0.113.5", ""};
    CHECK(Evaluate(*p, env, fs).action == Action::kReject);
  }
  Envelope from{"<@relay.example:kari@partner.se>", {"k@example.no"}, "", "", ""};
  CHECK(Evaluate(*p, from, fs).action == Action::kQuarantine);
}

TEST_CASE("milter --check: a --listen that cannot work at start exits 2", "[milter][cli]") {
  std::string out, err;
  std::string pat = SourceDir() + "/patterns";
  std::string good = SourceDir() + "/conf/nordpii-milter.toml";
  for (const std::string& listen : std::vector<std::string>{"bogus:1", "inet:99999@127.0.0.1", "inet:8899@no-such-host.invalid", "inet:x@127.0.0.1",
                             "unix:/no-such-dir-nordpii/m.sock", "unix:/" + std::string(200, 'a')}) {
    INFO(listen);
    CHECK(RunNordpii({"milter", "--check", "--config", good, "--patterns", pat, "--listen", listen}, out, err) == 2);
    CHECK_THAT(err, Catch::Contains("--listen "));
  }
  for (const std::string& listen : std::vector<std::string>{"inet:8899@127.0.0.1", "inet6:8899@[::1]", "unix:/tmp/nordpii-check.sock"}) {
    INFO(listen);
    CHECK(RunNordpii({"milter", "--check", "--config", good, "--patterns", pat, "--listen", listen}, out, err) == 0);
  }
}

TEST_CASE("milter session: an HTML part over the HTML part limit -> on_error, never passed unscanned", "[milter][memory]") {
  // Issue 12 #9: HTML is converted whole (~8 bytes per byte), so a part over
  // MailLimits::max_html_part_bytes (8 MiB decoded) makes the message
  // incomplete: the default on_error (tempfail), not an accept.
  FakeMta mta(kPolicy);
  std::string html = "<html><body><p>fnr 15108695088</p>";
  while (html.size() < (9u << 20)) html += "<p>Kunde hei hei hei hei hei hei hei hei</p>\r\n";
  html += "</body></html>\r\n";
  Replies r = mta.Message("a@partner.se", "k@example.no",
                          {{"Subject", "x"}, {"MIME-Version", "1.0"}, {"Content-Type", "text/html; charset=utf-8"}}, html);
  REQUIRE(r.packets.size() == 1);
  CHECK_THAT(ReplyText(r.packets[0]), Catch::StartsWith("451 4.7.1"));
  CHECK_THAT(mta.log.back(), Catch::Contains("action=tempfail(error)"));
  CHECK_THAT(mta.log.back(), !Catch::Contains("15108695088"));
}
