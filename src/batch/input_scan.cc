#include "batch/input_scan.h"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace nordpii {

namespace {

// Keeps one record's findings (with their values) until the record's
// details (ticket id, dates) are known, then forwards them.
struct HeldFindings : StreamSink {
  std::vector<Finding> f;
  std::vector<std::string> v;
  bool OnFinding(const Finding& x, std::string_view raw) override {
    f.push_back(x);
    v.emplace_back(raw);
    return true;
  }
  void Forward(StreamSink& to) {
    for (size_t i = 0; i < f.size(); ++i) to.OnFinding(f[i], v[i]);
    f.clear(), v.clear();
  }
};

}  // namespace

std::vector<Input> ExpandInputs(const std::vector<std::string>& paths, const std::string& forced,
                                const std::function<void(const std::string&)>& error) {
  std::vector<Input> out;
  auto add = [&](const std::string& p, InputFormat f) {
    std::error_code ec;
    uint64_t size = p == "-" ? 0 : static_cast<uint64_t>(fs::file_size(p, ec));
    out.push_back({p, f, ec ? 0 : size});
  };
  for (const auto& p : paths) {
    std::error_code ec;
    bool dir = p != "-" && fs::is_directory(p, ec);
    if (dir && (forced == "maildir" || (forced == "auto" && IsMaildir(p)))) {
      for (const auto& rel : MaildirFiles(p)) add((fs::path(p) / rel).string(), InputFormat::kEml);
      continue;
    }
    if (!dir) {
      InputFormat f = forced == "auto" ? DetectInputFormat(p) : *ParseInputFormat(forced);
      add(p, f == InputFormat::kMaildir ? InputFormat::kEml : f);
      continue;
    }
    std::vector<std::string> files;
    for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file(ec)) files.push_back(it->path().string());
    if (ec) error(p + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      InputFormat fmt = forced == "auto" ? DetectInputFormat(f) : *ParseInputFormat(forced);
      add(f, fmt == InputFormat::kMaildir ? InputFormat::kEml : fmt);
    }
  }
  return out;
}

void ScanInput(const Input& in, InputScanners& s, const FindingFilter& filter, ReportSink& sink, size_t max_message,
               const std::function<void(const std::string&)>& error) {
  const std::string& path = in.path;
  sink.SetPath(path);
  switch (in.format) {
    case InputFormat::kEml:
    case InputFormat::kMaildir: {
      auto msg = ReadMessageFile(path, max_message);
      if (!msg) return error(msg.error().message());
      sink.SetMessage(0, MailScanner::MessageId(*msg));
      if (Status st = s.mail.Scan(*msg, 0, 1, filter, sink); !st.ok()) error(path + ": " + st.message());
      return;
    }
    case InputFormat::kMbox: {
      auto src = OpenPath(path);
      if (!src) return error(src.error().message());
      MboxReader rd(**src, max_message);
      MboxMessage m;
      for (;;) {
        auto more = rd.Next(m);
        if (!more) return error(path + ": " + more.error().message());
        if (!*more) return;
        if (m.too_large) {
          error(path + ": message " + std::to_string(m.index) + " (" + std::to_string(m.size) +
                " bytes) is larger than --max-message-size; not scanned");
          continue;
        }
        sink.SetMessage(m.index, MailScanner::MessageId(m.bytes));
        if (Status st = s.mail.Scan(m.bytes, m.offset, m.line, filter, sink); !st.ok()) error(path + ": " + st.message());
      }
    }
    case InputFormat::kJsonl:
    case InputFormat::kJson:
    case InputFormat::kCsv: {
      auto src = OpenPath(path);
      if (!src) return error(src.error().message());
      TicketFormat tf = in.format == InputFormat::kJsonl ? TicketFormat::kJsonl
                        : in.format == InputFormat::kJson ? TicketFormat::kJson : TicketFormat::kCsv;
      TicketReader rd(**src, tf, max_message);
      TicketRecord rec;
      HeldFindings held;
      for (;;) {
        auto more = rd.Next(rec);
        if (!more) return error(path + ": " + more.error().message());
        if (!*more) return;
        if (tf == TicketFormat::kCsv) s.tickets.set_csv(rd.header(), rd.delimiter());
        TicketInfo info;
        Status st = s.tickets.Scan(rec, tf, filter, held, info);
        if (!st.ok()) error(path + ": " + st.message());  // the rest of the file is still scanned
        sink.SetTicket(rec.index, info.id, info.created, info.updated, info.closed);
        held.Forward(sink);
      }
    }
    default: {
      auto src = OpenPath(path);
      if (!src) return error(src.error().message());
      if (Status st = s.ctx.Scan(**src, filter, sink); !st.ok()) error(st.message());
    }
  }
}

}  // namespace nordpii
