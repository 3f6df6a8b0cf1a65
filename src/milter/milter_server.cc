// SPDX-License-Identifier: Apache-2.0
#include "milter/milter_server.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <set>
#include <thread>

#include "config/settings.h"
#include "core/utf8.h"
#include "extract/extractor.h"
#include "input/byte_source.h"
#include "output/identifier_masker.h"
#include "nordpii_version.h"

namespace nordpii::milter {

namespace {

uint32_t Get32(std::string_view d, size_t at) {
  const auto* b = reinterpret_cast<const unsigned char*>(d.data() + at);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

// What the policy needs of a message's findings, in memory that does not
// grow with their number: exact counts by type, and of each
// (type, category, confidence) — all a rule matches on — the first `keep`
// findings in order, `keep` being the largest min_count of the policy's
// rules, so Evaluate counts every rule to the same verdict as with all of
// them, and the reject text lists the types in the order first seen.
// One entry of the verdict's not-read list for a scan note about content not
// read: because OCR is off (kImageNotReadNote): "2:image" (an image
// attachment), "3:pdf" (a document's scanned pages; its format); an
// encrypted part (kEncryptedNotReadNote): "2:encrypted"; with not_read =
// "error", a binary part with no text (kBinaryNotReadNote): "2:binary".
// Part ids and the format only: never the note's MIME type, file or member
// name, which are the sender's bytes ("part 2: image/png attachment not
// read: …", "part 3: attachment pdf:pages 2, 3 not read: …").
// Empty for any other note.
std::string NotReadEntry(std::string_view note) {
  auto ends = [&](std::string_view end) { return note.size() >= end.size() && note.substr(note.size() - end.size()) == end; };
  const bool encrypted = ends(kEncryptedNotReadNote), binary = ends(kBinaryNotReadNote);
  if (!encrypted && !binary && !ends(kImageNotReadNote)) return "";
  std::string part = "?", kind = encrypted ? "encrypted" : binary ? "binary" : "image";
  if (note.substr(0, 5) == "part ") {
    size_t colon = note.find(':', 5);
    std::string_view id = note.substr(5, colon == std::string_view::npos ? 0 : colon - 5);
    if (!id.empty() && id.size() <= 32 && id.find_first_not_of("0123456789.") == std::string_view::npos)
      part = std::string(id);
    std::string_view rest = colon == std::string_view::npos ? std::string_view() : note.substr(colon + 1);
    if (!encrypted && !binary && rest.substr(0, 12) == " attachment ") {  // a document's pages or pictures: its format
      rest.remove_prefix(12);
      size_t end = rest.find(':');
      std::string_view fmt = rest.substr(0, end);
      kind = end != std::string_view::npos && !fmt.empty() && fmt.size() <= 8 &&
                     fmt.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") == std::string_view::npos
                 ? std::string(fmt)
                 : "document";
    }
  }
  return part + ":" + kind;
}

struct Collect : StreamSink {
  explicit Collect(size_t k) : keep(std::max<size_t>(k, 1)) {}
  size_t keep;
  std::vector<Finding> findings;
  std::map<std::string, size_t> by_type, by_class;
  size_t total = 0;
  std::vector<std::string> not_read;  // NotReadEntry of each note, at most 10
  size_t not_read_more = 0;           // past those
  bool OnFinding(const Finding& f, std::string_view) override {
    ++total;
    ++by_type[f.type];
    size_t& n = by_class[f.type + '\0' + f.category + '\0' + ConfidenceName(f.confidence)];
    if (n++ < keep) findings.push_back(f);
    return true;
  }
  // Scan notes: only those about content not read (NotReadEntry) are kept
  // (the others are limits and repairs; an error decides on its own).
  void OnNote(std::string_view, std::string_view text) override {
    std::string e = NotReadEntry(text);
    if (e.empty()) return;
    if (std::find(not_read.begin(), not_read.end(), e) != not_read.end()) return;
    if (not_read.size() < 10) not_read.push_back(std::move(e));
    else ++not_read_more;
  }
  // "2:image,3:pdf" (",+N" past 10), "" when everything was read.
  std::string NotRead() const {
    std::string s;
    for (const auto& e : not_read) s += (s.empty() ? "" : ",") + e;
    if (not_read_more) s += ",+" + std::to_string(not_read_more);
    return s;
  }
};

size_t MaxMinCount(const Policy& p) {
  size_t k = 1;
  for (const auto& r : p.rules) k = std::max<size_t>(k, r.min_count);
  return k;
}

// "no.fnr:2,se.pnr:1" — counts by type, sorted.
std::string Counts(const Collect& c, size_t& total) {
  std::string s;
  total = c.total;
  for (const auto& [t, n] : c.by_type) s += (s.empty() ? "" : ",") + t + ":" + std::to_string(n);
  return s;
}

// A header value for the MTA: folds removed (Postfix refolds), and without
// the leading space unless HDR_LEADSPC was negotiated.
std::string HeaderValue(std::string_view raw, bool leadspc) {
  std::string v;
  for (size_t i = 0; i < raw.size(); ++i)
    if (raw[i] != '\r' && raw[i] != '\n') v += raw[i];
  if (!leadspc && !v.empty() && v[0] == ' ') v.erase(0, 1);
  return v;
}

}  // namespace

MilterSession::MilterSession(const EngineHolder& engines, LogFn log) : engines_(engines), log_(std::move(log)) {
  engine_ = engines_.Get();
}

std::string MilterSession::Macro(const std::string& name) const {
  for (const auto& [stage, m] : macros_) {
    auto it = m.find(name);
    if (it != m.end()) return it->second;
  }
  return "";
}

namespace {
// Room for `add` more bytes in the message buffer (issue 12 #9): it grows by
// doubling, but straight to the size limit when the doubling after this one
// would pass it. Plain doubling took a 25 MiB-limit message from 16 to
// 32 MiB (the old buffer and its copy held: 32 MiB for a message of 17);
// now a connection's buffer stays at about the limit.
void ReserveFor(std::string& s, size_t add, size_t limit) {
  const size_t need = s.size() + add;
  if (need <= s.capacity()) return;
  const size_t most = limit + (64u << 10), next = std::max(s.capacity() * 2, need);
  s.reserve(next >= most / 2 ? std::max(most, need) : next);
}
}  // namespace

void MilterSession::NewMessage() {
  engine_ = engines_.Get();  // a reload takes effect from the next message
  sender_.clear();
  recipients_.clear();
  msg_.clear();
  // An idle connection keeps no message buffer (it would hold up to
  // max_message_bytes per connection between messages).
  if (msg_.capacity() > (64u << 10)) std::string().swap(msg_);
  in_body_ = false;
  too_large_ = false;
  over_.clear();
  rcpt_bytes_ = 0;
  size_ = 0;
  header_count_.clear();
  forged_.clear();
  threading_.clear();
}

void MilterSession::DropForged(std::string& out) const {
  if (!chg_headers_) return;  // not granted (a message with forged headers is then an error before any action)
  // Highest index first: whether the MTA renumbers after a deletion or not,
  // the lower indexes still name the same headers.
  for (auto it = forged_.rbegin(); it != forged_.rend(); ++it) out += HeaderPacket(kChgHeader, it->second, it->first, "");
}

bool MilterSession::Handle(const PacketView& p, std::string& out) {
  // Replies to per-stage commands are skipped where the MTA agreed to "no
  // reply": every decision is taken at end of message, and each awaited
  // reply costs a round trip per header and body chunk.
  auto cont = [&] {
    uint32_t bit = p.cmd == kConnect ? kProtoNrConn : p.cmd == kHelo ? kProtoNrHelo : p.cmd == kMail ? kProtoNrMail
                   : p.cmd == kRcpt ? kProtoNrRcpt : p.cmd == kData ? kProtoNrData : p.cmd == kHeader ? kProtoNrHdr
                   : p.cmd == kEoh ? kProtoNrEoh : p.cmd == kBody ? kProtoNrBody : p.cmd == kUnknown ? kProtoNrUnkn : 0;
    if (!(noreply_ & bit)) Encode(kContinue, "", out);
  };
  switch (p.cmd) {
    case kOptNeg: {
      uint32_t actions = 0, proto = 0;
      if (p.data.size() >= 12) {
        actions = Get32(p.data, 4);
        proto = Get32(p.data, 8);
      }
      uint32_t want_act = actions & (kActAddHdrs | kActChgBody | kActChgHdrs | kActQuarantine);
      const uint32_t nr = kProtoNrHdr | kProtoNrConn | kProtoNrHelo | kProtoNrMail | kProtoNrRcpt | kProtoNrData |
                          kProtoNrUnkn | kProtoNrEoh | kProtoNrBody;
      uint32_t want_proto = proto & (kProtoNoHelo | kProtoNoUnknown | kProtoNoData | kProtoHdrLeadSpc | nr);
      leadspc_ = (want_proto & kProtoHdrLeadSpc) != 0;
      chg_headers_ = (want_act & kActChgHdrs) != 0;
      actions_ = want_act;
      noreply_ = want_proto & nr;
      out += OptNegReply(want_act, want_proto);
      return true;
    }
    case kMacro: {
      Macros m = ParseMacros(p.data);
      if (m.for_cmd == kMail)  // a new message: the previous one's macros are gone
        for (char st : {kMail, kRcpt, kData, kHeader, kEoh, kBody, kBodyEob}) macros_.erase(st);
      static constexpr char kStages[] = {kConnect, kHelo, kMail, kRcpt, kData, kHeader, kEoh, kBody, kBodyEob, kUnknown};
      if (std::find(std::begin(kStages), std::end(kStages), m.for_cmd) == std::end(kStages)) return true;  // no stage
      // Bounded: an MTA sends a few dozen short macros; more than
      // kMaxMacroBytes in all is not kept, and every message of the
      // connection then gets on_error (a macro the policy needs may be
      // among those not kept).
      size_t bytes = 0;
      for (const auto& [st, mm] : macros_)
        for (const auto& [k, v] : mm) bytes += k.size() + v.size();
      for (auto& [k, v] : m.pairs) {
        bytes += k.size() + v.size();
        if (bytes > kMaxMacroBytes) {
          macros_over_ = true;
          break;
        }
        macros_[m.for_cmd][k] = v;
      }
      return true;  // no reply
    }
    case kConnect: {
      // hostname NUL, family ('4', '6', 'L', 'U'), port (2 bytes), address NUL
      size_t nul = p.data.find('\0');
      client_addr_.clear();
      if (nul != std::string_view::npos && nul + 4 <= p.data.size() && (p.data[nul + 1] == '4' || p.data[nul + 1] == '6')) {
        std::string_view a = p.data.substr(nul + 4);
        client_addr_ = std::string(a.substr(0, a.find('\0')));
      }
      cont();
      return true;
    }
    case kHelo:
    case kData:
    case kUnknown:
      cont();
      return true;
    case kMail: {
      if (!macros_.count(kMail))  // no MAIL-stage macros sent for this message
        for (char st : {kRcpt, kData, kHeader, kEoh, kBody, kBodyEob}) macros_.erase(st);
      NewMessage();
      auto args = SplitNul(p.data);
      if (!args.empty()) sender_ = std::string(args[0]);
      cont();
      return true;
    }
    case kRcpt: {
      auto args = SplitNul(p.data);
      if (!args.empty()) {
        rcpt_bytes_ += args[0].size() + 16;
        if (rcpt_bytes_ > kMaxEnvelopeBytes) over_ = "recipients over 1 MiB in all";
        else recipients_.emplace_back(args[0]);
      }
      cont();
      return true;
    }
    case kHeader: {
      auto nv = SplitNul(p.data);
      std::string_view name = nv.size() > 0 ? nv[0] : "", value = nv.size() > 1 ? nv[1] : "";
      std::string lower = AsciiLower(name.substr(0, 32));
      const bool forged = name.size() < 32 && (lower == "x-nordpii" || lower == "x-nordpii-verdict");
      const bool threading =
          name.size() < 32 && (lower == "message-id" || lower == "in-reply-to" || lower == "references");
      // Indexes (the MTA's CHGHEADER numbering) of the names we may change
      // only: the map stays small whatever names arrive.
      uint32_t index = forged || threading ? ++header_count_[lower] : 0;
      if (forged) {
        if (forged_.size() < 1024) forged_.emplace_back(std::string(name), index);
        else over_ = "more than 1024 X-Nordpii headers";
      }
      size_ += name.size() + value.size() + 4;
      if (!engine_ || size_ > engine_->policy.max_message_bytes) {
        too_large_ = true;
      } else {
        if (threading) threading_.push_back({std::string(name), index, std::string(value)});
        ReserveFor(msg_, name.size() + value.size() + 4, engine_->policy.max_message_bytes);
        msg_.append(name);
        msg_ += ':';
        if (!leadspc_) msg_ += ' ';
        msg_.append(value);
        msg_ += "\r\n";
      }
      cont();
      return true;
    }
    case kEoh:
      msg_ += "\r\n";
      in_body_ = true;
      cont();
      return true;
    case kBody:
      size_ += p.data.size();
      if (!in_body_) msg_ += "\r\n", in_body_ = true;  // EOH not sent (filter opted out) — never here
      if (!engine_ || size_ > engine_->policy.max_message_bytes) {
        too_large_ = true;
        msg_.clear();
        msg_.shrink_to_fit();
      } else {
        ReserveFor(msg_, p.data.size(), engine_->policy.max_message_bytes);
        msg_ += p.data;
      }
      cont();
      return true;
    case kBodyEob:
      if (!p.data.empty()) {  // a last body chunk: counted against the size limit like the others
        size_ += p.data.size();
        if (!in_body_) msg_ += "\r\n", in_body_ = true;
        if (!engine_ || size_ > engine_->policy.max_message_bytes) {
          too_large_ = true;
          msg_.clear();
        } else if (!too_large_) {
          ReserveFor(msg_, p.data.size(), engine_->policy.max_message_bytes);
          msg_ += p.data;
        }
      }
      EndOfMessage(out);
      NewMessage();
      for (char st : {kMail, kRcpt, kData, kHeader, kEoh, kBody, kBodyEob}) macros_.erase(st);
      return true;
    case kAbort:
      NewMessage();
      for (char st : {kMail, kRcpt, kData, kHeader, kEoh, kBody, kBodyEob}) macros_.erase(st);
      return true;  // no reply
    case kQuitNewConn:
      NewMessage();
      macros_.clear();
      macros_over_ = false;
      return true;
    case kQuit:
      return false;
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned>(static_cast<unsigned char>(p.cmd)));
      log_(std::string("nordpii milter: unknown command 0x") + hex + " ignored");
      return true;
    }
  }
}

void MilterSession::ErrorAction(const std::string& why, const std::string& counts, std::string& out,
                                std::string& action, const std::string& not_read) {
  if (engine_ && too_large_ && engine_->policy.on_oversize != Policy::OnOversize::kOnError) {
    if (engine_->policy.on_oversize == Policy::OnOversize::kReject) {
      out += ReplyCodePacket("552", "5.3.4", "nordpii: message too large to be checked for personal data");
      action = "reject(oversize)";
    } else {
      out += ReplyCodePacket("452", "4.3.4", "nordpii: message too large to be checked for personal data now");
      action = "tempfail(oversize)";
    }
    return;
  }
  if (!engine_ || engine_->policy.on_error == Policy::OnError::kTempfail) {
    out += ReplyCodePacket("451", "4.7.1", "nordpii: the message could not be checked for personal data; try again later");
    action = "tempfail(error)";
  } else {
    DropForged(out);
    if (actions_ & kActAddHdrs)  // without SMFIF_ADDHDRS: accepted without the header
      out += HeaderPacket(kAddHeader, 0, kVerdictHeader,
                          std::string(" error; reason=not scanned; version=" NORDPII_VERSION) +
                              (not_read.empty() ? "" : "; not-read=" + not_read));
    Encode(kContinue, "", out);
    action = "accept(error)";
  }
  (void)why;
  (void)counts;
}

void MilterSession::EndOfMessage(std::string& out) {
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  std::string queue = Macro("i").empty() ? "-" : EscapeControls(Macro("i"));
  std::string action, rule = "-", counts, error, reason, would;
  // The modifications in `need` the MTA did not grant, by name ("" = all granted).
  auto missing = [&](uint32_t need) {
    std::string m;
    for (auto [bit, name] : {std::pair<uint32_t, const char*>{kActAddHdrs, "add header (SMFIF_ADDHDRS)"},
                             {kActChgHdrs, "change header (SMFIF_CHGHDRS)"},
                             {kActChgBody, "replace body (SMFIF_CHGBODY)"},
                             {kActQuarantine, "quarantine (SMFIF_QUARANTINE)"}})
      if ((need & bit) && !(actions_ & bit)) m += (m.empty() ? "" : ", ") + std::string(name);
    return m;
  };
  auto not_granted = [&](const std::string& m, const char* what) {
    reason = "negotiation";
    error = std::string(what) + " needs " + m + ", not granted by the MTA in option negotiation";
    ErrorAction(error, counts, out, action);
  };
  size_t total = 0;
  if (!engine_) {
    ErrorAction("no engine", "", out, action);
    engines_.metrics().Error("config");
    log_("nordpii milter: queue=" + queue + " action=" + action + " error=no configuration");
    return;
  }
  const Policy& pol = engine_->policy;
  // Macro names are stored without braces ({client_addr} -> client_addr).
  std::string client = Macro("client_addr").empty() ? client_addr_ : Macro("client_addr");
  Envelope env{sender_, recipients_, Macro("daemon_name"), client, Macro("auth_authen")};
  Collect sink(MaxMinCount(pol));
  std::unique_ptr<MailScanner> ms;
  std::vector<size_t> threading_hits;  // threading_ entries holding a national id
  if (too_large_) {
    error = "message larger than limits.max_message_bytes";
    reason = "oversize";
  } else if (!over_.empty() || macros_over_) {
    error = !over_.empty() ? over_ : "MTA macros over 64 KiB in all (not all kept)";
    reason = "limits";
  } else if (!forged_.empty() && !chg_headers_) {
    error = "X-Nordpii headers from outside cannot be removed (the MTA did not offer header changes)";
    reason = "forged";
  } else {
    // One scan context per thread (the scratch space is large; an idle
    // connection must stay cheap), rebuilt when the engine changed.
    thread_local std::shared_ptr<const MilterEngine> ctx_engine;
    thread_local std::unique_ptr<ScanContext> ctx_;
    if (!ctx_ || ctx_engine != engine_) {
      ctx_ = engine_->scanner->NewContext(engine_->hasher);
      ctx_engine = engine_;
    }
    MailLimits ml = MailLimitsFor(pol.max_message_bytes, pol.ocr, pol.max_html_part_bytes);
    ml.not_read_error = pol.not_read == Policy::NotRead::kError;  // not read: not fully scanned, on_error
    ms = std::make_unique<MailScanner>(*ctx_, ml);
    ms->set_deadline(t0 + std::chrono::milliseconds(pol.scan_timeout_ms));
    if (Status s = ms->Scan(msg_, 0, 1, FindingFilter{}, sink); !s.ok()) {
      error = s.message();
      reason = error.find("timeout") != std::string::npos ? "timeout" : "scan";
    }
    // Threading headers: message ids are machine-made (timestamps, hashes,
    // counters), so a bare number there is no evidence. Only a validated
    // finding with high confidence (a label such as "fnr-", a separator
    // where the id has one) of a category marked `threading = true` in the
    // pattern files (patterns/categories.toml: national-id) counts, as a
    // finding of the message; redact deletes the header that holds it
    // (rewriting an id inside it would break threading the same way).
    std::set<std::string> threading_categories;
    for (const CategorySpec& c : engine_->scanner->detectors().patterns().categories)
      if (c.threading) threading_categories.insert(c.id);
    struct Strong : StreamSink {
      Collect* to = nullptr;
      const std::set<std::string>* categories = nullptr;
      bool hit = false;
      bool OnFinding(const Finding& f, std::string_view v) override {
        if (!categories->count(f.category) || f.confidence < Confidence::kHigh) return true;
        hit = true;
        return to->OnFinding(f, v);
      }
    };
    for (size_t i = 0; error.empty() && i < threading_.size(); ++i) {
      Strong strong;
      strong.to = &sink;
      strong.categories = &threading_categories;
      ctx_->set_field_name("");
      auto src = StringSource(threading_[i].value, "");
      if (Status s = ctx_->Scan(*src, FindingFilter{}, strong); !s.ok()) {
        error = s.message();
        reason = "scan";
      }
      if (strong.hit) threading_hits.push_back(i);
    }
  }
  counts = Counts(sink, total);
  const std::string not_read = sink.NotRead();
  // on_error = "accept" lets through what could not be checked, never what
  // was checked and a rule acts on: a message whose scan stopped part-way
  // (an unreadable attachment, 1001 parts, nesting, the time limit) after
  // findings that make a rule reject, tempfail, discard or quarantine gets
  // that rule's answer; one a rule would redact is held back (451: a partly
  // scanned message cannot be redacted whole). Otherwise anyone could pass
  // an identifier through a reject rule by adding a part nordpii cannot read.
  auto hold_back = [&] {
    out += ReplyCodePacket("451", "4.7.1", "nordpii: the message could not be checked for personal data; try again later");
    action = "tempfail(error)";
  };
  Verdict v;
  bool decide = error.empty();
  if (!error.empty() && ms && total > 0 && pol.on_error == Policy::OnError::kAccept) {
    v = Evaluate(pol, env, sink.findings);
    if (v.action == Action::kRedact) hold_back();
    else if (static_cast<int>(v.action) > static_cast<int>(Action::kRedact)) decide = true;
  }
  if (!decide) {
    if (action.empty()) ErrorAction(error, counts, out, action, not_read);
  } else {
    if (error.empty()) v = Evaluate(pol, env, sink.findings);
    if (!v.rule.empty()) rule = v.rule;
    std::string verdict = std::string(" ") + ActionName(v.action) + "; rule=" + rule +
                          "; findings=" + std::to_string(total) + "; types=" + counts + "; version=" NORDPII_VERSION;
    if (v.would != Action::kNone) {  // monitor mode: what enforcing would have done
      would = ActionName(v.would);
      verdict += "; monitor=" + would;
    }
    // Content not read because OCR is off (an image, a scanned PDF page):
    // in every verdict header, and with limits.not_read = "header" also in
    // one added to a message that is accepted otherwise.
    if (!not_read.empty()) verdict += "; not-read=" + not_read;
    switch (v.action) {
      case Action::kNone:
        DropForged(out);
        if (!not_read.empty() && pol.not_read == Policy::NotRead::kHeader && (actions_ & kActAddHdrs))
          out += HeaderPacket(kAddHeader, 0, kVerdictHeader, verdict);
        Encode(kContinue, "", out);
        action = "accept";
        break;
      case Action::kFlag:
        if (std::string m = missing(kActAddHdrs); !m.empty()) {
          not_granted(m, "flag");
          break;
        }
        DropForged(out);
        out += HeaderPacket(kAddHeader, 0, kVerdictHeader, verdict);
        Encode(kContinue, "", out);
        action = "flag";
        break;
      case Action::kRedact: {
        std::string red;
        RedactSummary sum;
        Status rs = ms->Redact(msg_, v.redact_filter, pol.style, red, sum);
        if (!rs.ok() || sum.incomplete) {
          reason = "redact";
          error = rs.ok() ? "redaction incomplete" : rs.message();
          // The findings a rule redacts are known: never delivered unchanged
          // (on_error = "accept" is for what could not be checked).
          if (pol.on_error == Policy::OnError::kAccept) hold_back();
          else ErrorAction(error, counts, out, action, not_read);
          break;
        }
        // Forged verdict headers deleted, header changes by index, added
        // headers, then the body: built aside, sent only if every kind of
        // change it holds was granted.
        std::string mods;
        uint32_t need = kActAddHdrs;
        MailLimits one;
        one.max_parts = 1;
        MimeTree a = ParseMime(msg_, one), b = ParseMime(red, one);
        const auto& ha = a.entities[0].headers;
        const auto& hb = b.entities[0].headers;
        std::map<std::string, uint32_t> seen;
        for (size_t i = 0; i < hb.size(); ++i) {
          std::string_view nb(red.data() + hb[i].value, hb[i].end - hb[i].value);
          if (i < ha.size()) {
            uint32_t idx = ++seen[AsciiLower(ha[i].name)];
            std::string_view na(msg_.data() + ha[i].value, ha[i].end - ha[i].value);
            if (na != nb) mods += HeaderPacket(kChgHeader, idx, ha[i].name, HeaderValue(nb, leadspc_)), need |= kActChgHdrs;
          } else {
            mods += HeaderPacket(kAddHeader, 0, hb[i].name, HeaderValue(nb, leadspc_));
          }
        }
        for (auto it = threading_hits.rbegin(); it != threading_hits.rend(); ++it)  // deleted, highest index first
          mods += HeaderPacket(kChgHeader, threading_[*it].index, threading_[*it].name, ""), need |= kActChgHdrs;
        std::string_view body_a = std::string_view(msg_).substr(a.entities[0].body);
        std::string_view body_b = std::string_view(red).substr(b.entities[0].body);
        const bool new_body = body_a != body_b;
        if (new_body) need |= kActChgBody;
        if (std::string m = missing(need); !m.empty()) {
          not_granted(m, "redact");
          break;
        }
        DropForged(out);
        out += mods;
        if (new_body) {
          // The body packets go straight into the reply, sized once, and the
          // message is dropped first (it is not needed past here): the
          // message, its redacted copy and the packets were held at once,
          // the packets twice over while they grew and were copied (one
          // 24 MB message with 0.7 M ids redacted: 164-169 MB, issue 12 #9).
          std::string().swap(msg_);
          out.reserve(out.size() + body_b.size() + (body_b.size() / kBodyChunk + 1) * 5 + 1024);
          for (size_t off = 0; off < body_b.size() || off == 0; off += kBodyChunk) {
            Encode(kReplBody, body_b.substr(off, kBodyChunk), out);
            if (body_b.empty()) break;
          }
          std::string().swap(red);
        }
        out += HeaderPacket(kAddHeader, 0, kVerdictHeader, verdict + "; redacted=" + std::to_string(sum.redacted));
        Encode(kContinue, "", out);
        action = "redact";
        break;
      }
      case Action::kQuarantine: {
        if (std::string m = missing(kActQuarantine | kActAddHdrs); !m.empty()) {
          not_granted(m, "quarantine");
          break;
        }
        std::string why = "nordpii: rule " + rule;
        why.push_back('\0');
        Encode(kQuarantine, why, out);
        DropForged(out);
        out += HeaderPacket(kAddHeader, 0, kVerdictHeader, verdict);
        Encode(kContinue, "", out);
        action = "quarantine";
        break;
      }
      case Action::kTempfail:
        out += ReplyCodePacket("451", "4.7.1", "nordpii: message held back by policy; try again later");
        action = "tempfail";
        break;
      case Action::kReject: {
        std::vector<std::string> types;
        for (const auto& f : sink.findings)
          if (std::find(types.begin(), types.end(), f.type) == types.end()) types.push_back(f.type);
        out += ReplyCodePacket("550", "5.7.1", RejectText(pol, env, types));
        action = "reject";
        break;
      }
      case Action::kDiscard:
        Encode(kDiscard, "", out);
        action = "discard";
        break;
    }
  }
  auto taken = Clock::now() - t0;
  auto ms_taken = std::chrono::duration_cast<std::chrono::milliseconds>(taken).count();
  std::string line = "nordpii milter: queue=" + queue + " action=" + action + " rule=" + rule +
                     " findings=" + std::to_string(total) + " types=" + (counts.empty() ? "-" : counts) +
                     " size=" + std::to_string(size_) + " ms=" + std::to_string(ms_taken);
  if (!would.empty()) line += " monitor=" + would;
  if (!not_read.empty()) line += " not_read=" + not_read;
  if (!error.empty()) {
    // A scan note can quote the sender's bytes (a charset name, a file
    // name): masked like every other text about an input, and its quotes
    // escaped so it cannot end the field.
    std::string shown = error;
    if (engine_) {
      thread_local std::shared_ptr<const MilterEngine> masker_engine;
      thread_local std::unique_ptr<IdentifierMasker> masker;
      if (!masker || masker_engine != engine_) {
        masker = std::make_unique<IdentifierMasker>(*engine_->scanner, engine_->hasher);
        masker_engine = engine_;
      }
      shown = masker->Show(error).str();
    }
    std::string quoted;
    for (char c : EscapeControls(shown)) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    line += " error=\"" + quoted + "\"";
  }
  // Every finding by type (sink.findings keeps only what the rules need).
  const std::map<std::string, size_t>& by_type = sink.by_type;
  if (!reason.empty()) engines_.metrics().Error(reason);
  engines_.metrics().Message(action, by_type, std::chrono::duration<double>(taken).count());
  log_(line);
}

MilterServer::~MilterServer() {
  if (fd_ >= 0) ::close(fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

namespace {

// inet:PORT@HOST or inet6:PORT@HOST (HOST: the loopback address when not
// given; "[::1]" brackets taken off), resolved for a passive TCP socket.
// The one parser of the inet forms, for CheckListen and Listen; on success
// the caller frees *res with freeaddrinfo.
Status ParseInetSpec(const std::string& spec, addrinfo** res) {
  auto bad = [&](const std::string& why) { return Error(ErrorCode::kInvalidArgument, "--listen " + spec + ": " + why); };
  bool v6 = spec.rfind("inet6:", 0) == 0;
  std::string rest = spec.substr(v6 ? 6 : 5), host = v6 ? "::1" : "127.0.0.1";
  size_t at = rest.find('@');
  if (at != std::string::npos) host = rest.substr(at + 1), rest = rest.substr(0, at);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  long port = std::strtol(rest.c_str(), &end, 10);
  if (rest.empty() || *end || port < 0 || port > 65535 || host.empty())
    return bad(v6 ? "expected inet6:PORT@HOST" : "expected inet:PORT@HOST");
  addrinfo hints{};
  hints.ai_family = v6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  *res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), rest.c_str(), &hints, res); rc != 0)
    return bad("host '" + host + "': " + ::gai_strerror(rc));
  return Status::Ok();
}

}  // namespace

Status CheckListen(const std::string& spec) {
  auto bad = [&](const std::string& why) { return Error(ErrorCode::kInvalidArgument, "--listen " + spec + ": " + why); };
  if (spec.rfind("unix:", 0) == 0 || spec.rfind("local:", 0) == 0) {
    std::string path = spec.substr(spec.find(':') + 1);
    if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path)) return bad("socket path empty or too long");
    std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
    if (dir.empty()) dir = "/";
    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return bad("directory " + dir + " does not exist");
    return Status::Ok();
  }
  if (spec.rfind("inet:", 0) == 0 || spec.rfind("inet6:", 0) == 0) {
    addrinfo* res = nullptr;
    if (Status st = ParseInetSpec(spec, &res); !st.ok()) return st;
    ::freeaddrinfo(res);
    return Status::Ok();
  }
  return bad("expected inet:PORT@HOST, inet6:PORT@HOST or unix:/path");
}

Result<std::unique_ptr<MilterServer>> MilterServer::Listen(const std::string& spec, const SocketOptions& so) {
  std::unique_ptr<MilterServer> s(new MilterServer());
  auto bad = [&](const std::string& why) { return Error(ErrorCode::kInvalidArgument, "--listen " + spec + ": " + why); };
  s->wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s->wake_fd_ < 0) return bad(std::string("eventfd: ") + std::strerror(errno));
  if (spec.rfind("unix:", 0) == 0 || spec.rfind("local:", 0) == 0) {
    std::string path = spec.substr(spec.find(':') + 1);
    sockaddr_un a{};
    if (path.empty() || path.size() >= sizeof(a.sun_path)) return bad("socket path empty or too long");
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    if (!so.owner.empty()) {
      const passwd* pw = ::getpwnam(so.owner.c_str());
      if (!pw) return bad("milter.socket_owner: no such user (the name is not shown)");
      uid = pw->pw_uid;
    }
    if (!so.group.empty()) {
      const group* gr = ::getgrnam(so.group.c_str());
      if (!gr) return bad("milter.socket_group: no such group (the name is not shown)");
      gid = gr->gr_gid;
    }
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    s->fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->fd_ < 0) return bad(std::strerror(errno));
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) return bad("exists and is not a socket");
      // Stale (from an earlier run) only if nothing answers on it: a second
      // instance must not take the socket of one that is running.
      int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (probe < 0) return bad(std::strerror(errno));
      int rc = ::connect(probe, reinterpret_cast<sockaddr*>(&a), sizeof a);
      int probe_errno = errno;
      ::close(probe);
      if (rc == 0 || probe_errno == EAGAIN)
        return bad("another process is listening on it (a second nordpii milter?); not replaced");
      if (probe_errno != ECONNREFUSED && probe_errno != ENOENT)
        return bad(std::string("exists and cannot be probed: ") + std::strerror(probe_errno));
      ::unlink(path.c_str());
    }
    // Created owner-only (the umask is process-wide, but no other thread
    // runs yet), then given its mode and owner: never reachable by others
    // in between.
    mode_t old = ::umask(0177);
    int b = ::bind(s->fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    int bind_errno = errno;
    ::umask(old);
    if (b != 0) return bad(std::strerror(bind_errno));
    s->unix_path_ = path;
    if ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) && ::chown(path.c_str(), uid, gid) != 0)
      return bad(std::string("chown: ") + std::strerror(errno));
    if (::chmod(path.c_str(), so.mode) != 0) return bad(std::string("chmod: ") + std::strerror(errno));
  } else if (spec.rfind("inet:", 0) == 0 || spec.rfind("inet6:", 0) == 0) {
    addrinfo* res = nullptr;
    if (Status st = ParseInetSpec(spec, &res); !st.ok()) return st;
    std::string why = "no address";
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {  // the first address that binds
      int fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) {
        why = std::strerror(errno);
        continue;
      }
      int one = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (ai->ai_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        why = std::strerror(errno);
        ::close(fd);
        continue;
      }
      s->fd_ = fd;
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
      s->port_ = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                          : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
      break;
    }
    ::freeaddrinfo(res);
    if (s->fd_ < 0) return bad(why);
  } else {
    return bad("expected inet:PORT@HOST, inet6:PORT@HOST or unix:/path");
  }
  if (::listen(s->fd_, 128) != 0) return bad(std::strerror(errno));
  return s;
}

void MilterServer::Stop() {
  stop_ = true;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof one);
}

// One MTA connection. The loop thread owns it, except while `busy` (a
// worker scans its message; the loop does not touch it then). A worker
// only scans: it never reads from or writes to the socket, so a peer that
// is slow to send or to read holds its own buffers, never a worker.
struct MilterServer::Conn {
  using Clock = std::chrono::steady_clock;
  int fd = -1;
  std::unique_ptr<MilterSession> session;
  std::string in;            // bytes received and not yet handled: at most one partial packet
  std::string out;           // replies not yet written (the peer's socket buffer was full)
  size_t out_sent = 0;
  bool out_waiting = false;  // out_since is set (replies pending since then)
  bool negotiated = false;   // OPTNEG seen
  Clock::time_point owed_since;     // since when the MTA owes us bytes (a packet begun)
  Clock::time_point out_since;      // since when replies wait for the MTA to read them (all of them
                                    // must be read within read_timeout_s: reading a byte now and then
                                    // does not stretch it)
  Clock::time_point last_packet;    // the last complete packet (idle time)
  Clock::time_point content_since{};  // the first header of the message being received ({} = none)
  bool busy = false;
  bool dead = false;
  Packet eob;                // for the worker
  std::string reply;         // the worker's answer, written by the loop
  bool keep = true;          // the worker's outcome
  bool closing = false;      // stopping: closed once the answer is written
  bool Pending() const { return out_sent < out.size(); }
};

void MilterServer::Run(const EngineHolder& engines, LogFn log, size_t workers) {
  using Clock = std::chrono::steady_clock;
  if (workers == 0) workers = std::max(2u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<Conn>> conns;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Conn*> jobs;
  std::vector<Conn*> done;
  bool quit = false;
  size_t busy = 0;

  std::vector<std::thread> pool;
  for (size_t i = 0; i < workers; ++i)
    pool.emplace_back([&] {
      for (;;) {
        Conn* c;
        {
          std::unique_lock<std::mutex> l(mu);
          cv.wait(l, [&] { return quit || !jobs.empty(); });
          if (jobs.empty()) return;
          c = jobs.front();
          jobs.pop_front();
        }
        c->reply.clear();
        c->keep = c->session->Handle(PacketView{c->eob.cmd, c->eob.data}, c->reply);
        c->eob = Packet{};
        {
          std::lock_guard<std::mutex> l(mu);
          done.push_back(c);
        }
        uint64_t one = 1;
        [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof one);
      }
    });

  size_t open = 0;  // live connections
  auto close_conn = [&](Conn* c) {
    if (c->dead) return;
    ::close(c->fd);
    c->dead = true;
    --open;
    engines.metrics().ConnectionClosed();
  };
  struct {
    int read_timeout_s = 300, content_timeout_s = 300, idle_timeout_s = 7200;
    size_t max_connections = 1000;
  } lim;  // the limits in force (read from the current engine every loop turn)
  auto refresh_limits = [&] {
    auto e = engines.Get();
    if (!e) return;
    lim.read_timeout_s = e->policy.read_timeout_s;
    lim.content_timeout_s = e->policy.content_timeout_s;
    lim.idle_timeout_s = e->policy.idle_timeout_s;
    lim.max_connections = e->policy.max_connections;
  };
  // Writes what is pending without blocking; false: the peer is gone.
  auto flush = [&](Conn* c) {
    while (c->Pending()) {
      ssize_t w = ::send(c->fd, c->out.data() + c->out_sent, c->out.size() - c->out_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (w <= 0) return false;
      c->out_sent += static_cast<size_t>(w);
    }
    if (!c->Pending()) {
      c->out.clear();
      c->out_sent = 0;
      c->out_waiting = false;
      if (c->out.capacity() > (64u << 10)) std::string().swap(c->out);  // e.g. a replaced body: give it back
    } else if (!c->out_waiting) {  // the wait for the peer to read starts now
      c->out_waiting = true;
      c->out_since = Clock::now();
    }
    return true;
  };
  // Handles every complete packet buffered for `c`, queueing the replies;
  // a complete message (end of message) goes to a worker. Nothing is
  // handled while replies are pending: a peer that does not read stops
  // being read (its bytes wait in its own socket buffer, not in ours).
  // `was_owed`: the MTA owed us bytes before these arrived (then the wait
  // keeps its start; otherwise a new wait starts now).
  auto process = [&](Conn* c, bool was_owed) {
    size_t pos = 0;
    PacketView p;
    const auto now = Clock::now();
    while (!c->Pending()) {
      auto got = DecodeAt(c->in, pos, p);
      if (!got) {
        log("nordpii milter: " + got.error().message() + "; connection closed");
        close_conn(c);
        return;
      }
      if (!*got) break;
      c->last_packet = now;
      if (p.cmd == kOptNeg) c->negotiated = true;
      if ((p.cmd == kHeader || p.cmd == kEoh || p.cmd == kBody) && c->content_since == Clock::time_point{})
        c->content_since = now;
      if (p.cmd == kMail || p.cmd == kAbort || p.cmd == kQuitNewConn) c->content_since = {};
      if (p.cmd == kBodyEob) {
        c->content_since = {};
        c->eob = Packet{p.cmd, std::string(p.data)};
        c->in.erase(0, pos);
        c->busy = true;
        ++busy;
        {
          std::lock_guard<std::mutex> l(mu);
          jobs.push_back(c);
        }
        cv.notify_one();
        return;
      }
      bool keep = c->session->Handle(p, c->out);
      if (!flush(c)) {
        close_conn(c);
        return;
      }
      if (!keep) {
        close_conn(c);
        return;
      }
    }
    c->in.erase(0, pos);
    if (c->in.empty() && c->in.capacity() > (64u << 10)) std::string().swap(c->in);  // idle: give it back
    bool owed = !c->in.empty() || !c->negotiated;
    if (owed && !was_owed) c->owed_since = Clock::now();
  };

  std::vector<char> buf(1 << 16);
  std::vector<pollfd> pfds;
  std::vector<Conn*> polled;
  bool listening = true;
  Clock::time_point accept_pause{};
  // The next deadline of a connection (Clock::time_point::max() = none):
  // a reply the MTA does not read, a packet begun, the content of a message
  // begun, and the idle time between packets.
  auto deadline = [&](const Conn* c, const char** why) {
    auto d = Clock::time_point::max();
    auto take = [&](Clock::time_point t, const char* w) {
      if (t < d) d = t, *why = w;
    };
    if (c->Pending()) take(c->out_since + std::chrono::seconds(lim.read_timeout_s), "a reply not read");
    else if (!c->in.empty() || !c->negotiated)
      take(c->owed_since + std::chrono::seconds(lim.read_timeout_s),
           c->negotiated ? "a packet begun" : "no negotiation");
    if (c->content_since != Clock::time_point{})
      take(c->content_since + std::chrono::seconds(lim.content_timeout_s), "a message's content begun");
    if (lim.idle_timeout_s > 0) take(c->last_packet + std::chrono::seconds(lim.idle_timeout_s), "no packet");
    return d;
  };
  for (;;) {
    refresh_limits();
    {  // scans that have answered: the connection returns to the loop
      std::vector<Conn*> back;
      {
        std::lock_guard<std::mutex> l(mu);
        back.swap(done);
      }
      for (Conn* c : back) {
        c->busy = false;
        --busy;
        c->last_packet = Clock::now();
        c->out += c->reply;
        c->reply.clear();
        if (c->reply.capacity() > (64u << 10)) std::string().swap(c->reply);
        if (!flush(c) || !c->keep) {
          close_conn(c);
        } else if (stop_) {
          // Stopping: the answer is written (within read_timeout_s), then closed.
          if (c->Pending()) c->closing = true;
          else close_conn(c);
        } else {
          process(c, false);
        }
      }
    }
    if (stop_ && listening) {
      listening = false;
      size_t idle = 0;
      for (auto& c : conns)
        if (!c->busy && !c->dead) {
          if (c->Pending()) c->closing = true;  // an answer being written: closed once it is
          else close_conn(c.get()), ++idle;
        }
      log("nordpii milter: stopping: " + std::to_string(idle) + " connection(s) closed, " + std::to_string(busy) +
          " scan(s) finishing");
    }
    conns.erase(std::remove_if(conns.begin(), conns.end(), [](const auto& c) { return c->dead; }), conns.end());
    if (stop_ && busy == 0 && std::none_of(conns.begin(), conns.end(), [](const auto& c) { return c->closing; })) break;

    pfds.clear();
    polled.clear();
    pfds.push_back({wake_fd_, POLLIN, 0});
    auto now = Clock::now();
    bool accepting = listening && now >= accept_pause;
    if (accepting) pfds.push_back({fd_, POLLIN, 0});
    int wait_ms = accepting || !listening ? -1 : 100;
    for (auto& c : conns) {
      if (c->busy) continue;
      // A peer owing us the reading of a reply is polled for that only.
      pfds.push_back({c->fd, static_cast<short>(c->Pending() ? POLLOUT : POLLIN), 0});
      polled.push_back(c.get());
      const char* why = nullptr;
      auto d = deadline(c.get(), &why);
      if (d != Clock::time_point::max()) {
        long long left = std::chrono::duration_cast<std::chrono::milliseconds>(d - now).count();
        left = std::max<long long>(left, 0) + 1;
        if (wait_ms < 0 || left < wait_ms) wait_ms = static_cast<int>(std::min<long long>(left, 1 << 30));
      }
    }
    int pr = ::poll(pfds.data(), pfds.size(), wait_ms);
    if (pr < 0 && errno != EINTR) {
      log("nordpii milter: poll: " + std::string(std::strerror(errno)));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (pr > 0 && (pfds[0].revents & POLLIN)) {
      uint64_t n;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &n, sizeof n);
    }
    const size_t first = accepting ? 2 : 1;
    for (size_t i = first; pr > 0 && i < pfds.size(); ++i) {
      if (!pfds[i].revents) continue;
      Conn* c = polled[i - first];
      if (c->Pending()) {
        if (!flush(c)) {
          close_conn(c);
          continue;
        }
        if (!c->Pending()) {
          if (c->closing) close_conn(c);
          else process(c, true);  // what was buffered meanwhile
        }
        continue;
      }
      ssize_t r = ::recv(c->fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (r <= 0) {  // the MTA closed (or dropped) the connection
        close_conn(c);
        continue;
      }
      const bool was_owed = !c->in.empty() || !c->negotiated;
      c->in.append(buf.data(), static_cast<size_t>(r));
      process(c, was_owed);
      // ACK at once: after a packet that needs no reply (macros), the MTA's
      // next small packet waits for our ACK under Nagle, and a delayed ACK
      // adds 40 ms per message. Linux leaves quick-ACK mode whenever we
      // send, so it is set again after every read.
      if (!c->dead && !c->busy) {
        int quick = 1;
        ::setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &quick, sizeof quick);
      }
    }
    // New connections after the reads: a connection the MTA has just
    // closed no longer counts against max_connections.
    if (accepting) {
      if (pfds[1].revents & POLLIN) {
        for (;;) {
          int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
          if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
              log("nordpii milter: accept: " + std::string(std::strerror(errno)));
              accept_pause = Clock::now() + std::chrono::milliseconds(100);  // e.g. out of descriptors
            }
            break;
          }
          size_t cap = lim.max_connections;
          if (open >= cap) {
            log("nordpii milter: " + std::to_string(cap) +
                " connections open (milter.max_connections); a new one was closed");
            ::close(c);
            continue;
          }
          int one = 1;  // replies are small and each one is awaited: no Nagle delay
          ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          auto conn = std::make_unique<Conn>();
          conn->fd = c;
          conn->session = std::make_unique<MilterSession>(engines, log);
          conn->owed_since = conn->last_packet = Clock::now();
          conns.push_back(std::move(conn));
          ++open;
          engines.metrics().ConnectionOpened();
        }
      }
    }
    now = Clock::now();
    for (auto& c : conns) {
      if (c->busy || c->dead) continue;
      const char* why = nullptr;
      auto d = deadline(c.get(), &why);
      if (d != Clock::time_point::max() && now >= d) {
        const std::string w = why;
        const bool content = w == "a message's content begun", idle = w == "no packet";
        const int secs = content ? lim.content_timeout_s : idle ? lim.idle_timeout_s : lim.read_timeout_s;
        log("nordpii milter: " + w + " for " + std::to_string(secs) + " s (milter." +
            (content ? "content_timeout_s" : idle ? "idle_timeout_s" : "read_timeout_s") + "); connection closed");
        close_conn(c.get());
      }
    }
  }
  {
    std::lock_guard<std::mutex> l(mu);
    quit = true;
  }
  cv.notify_all();
  for (auto& t : pool) t.join();
  for (auto& c : conns)
    if (!c->dead) ::close(c->fd);
}

}  // namespace nordpii::milter
