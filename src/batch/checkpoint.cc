// SPDX-License-Identifier: Apache-2.0
// Checkpoint lines and resuming from them (checkpoint.h).
#include "batch/checkpoint.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "batch/summary_writer.h"
#include "output/redactor.h"
#include "output/report_sink.h"

namespace fs = std::filesystem;

namespace nordpii {

namespace {

// The path of a findings.jsonl line (its first key), or "" if unparsable.
std::string LinePath(std::string_view line) {
  thread_local simdjson::ondemand::parser p;  // a parser per line cost more than the parse
  simdjson::padded_string ps(line);
  simdjson::ondemand::document d;
  if (p.iterate(ps).get(d)) return "";
  std::string_view v;
  if (d["path"].get_string().get(v)) return "";
  return std::string(v);
}

// Whether a findings line's path belongs to a finished input: the input
// itself, or a member of it when the input is an archive
// ("in/x.tar.gz!/dir/a.jsonl", nested archives add more "!/").
bool FromDoneInput(const std::set<std::string>& done, const std::string& path) {
  if (done.count(path)) return true;
  for (size_t i = path.find("!/"); i != std::string::npos; i = path.find("!/", i + 2))
    if (done.count(path.substr(0, i))) return true;
  return false;
}

}  // namespace

void AppendCheckpointError(std::string& errors, std::string_view e) {
  errors += '\x1f';
  for (char c : e) errors += (c == '\n' || c == '\r' || c == '\x1f' || c == '\x1d') ? ' ' : c;
}

std::string CheckpointLine(const std::string& item_id, const std::string& errors, long span_start, long span_end) {
  return item_id + errors + "\x1d" + std::to_string(span_start) + "-" + std::to_string(span_end) + "\n";
}

Status ResumeFromCheckpoint(const std::string& checkpoint, const std::string& findings_path, IdentifierMasker& masker,
                            const std::function<void(const std::string&)>& error, BatchSummary& summary,
                            std::set<std::string>& done) {
  std::error_code ec;
  // A checkpoint line is a finished item's id (WorkItemId), then the
  // errors it gave, each after a \x1f, then \x1d and the byte span of its
  // lines in findings.jsonl ("start-end"): a resumed run reports the
  // errors as the uninterrupted run would have, and keeps exactly the
  // findings of finished items (ranges of one file cannot be told apart
  // by path). Lines without a span (older runs) keep findings by path.
  std::ifstream cp(checkpoint);
  struct Span {
    uint64_t a, b;     // in the old findings.jsonl
    size_t line;       // of cp_lines
    uint64_t na = 0, nb = 0;  // in the kept one
  };
  std::vector<Span> spans;
  std::vector<std::string> cp_lines;  // without their spans
  bool spanless = false;
  std::vector<std::string> all_lines;
  for (std::string l; std::getline(cp, l);) {
    if (l.empty()) continue;
    if (size_t sp = l.rfind('\x1d'); sp != std::string::npos) {
      unsigned long long a = 0, b = 0;
      if (std::sscanf(l.c_str() + sp + 1, "%llu-%llu", &a, &b) == 2 && a <= b) spans.push_back({a, b, cp_lines.size()});
      l.resize(sp);
      cp_lines.push_back(l);
    } else {
      spanless = true;
    }
    all_lines.push_back(std::move(l));
  }
  for (const std::string& l : all_lines) {
    // Kept by path (a checkpoint begun by an older nordpii): a range or
    // member cannot be told apart there, so it is scanned again.
    if (spanless && l.substr(0, l.find('\x1f')).find('\x1e') != std::string::npos) continue;
    size_t cut = l.find('\x1f');
    done.insert(l.substr(0, cut));
    while (cut != std::string::npos) {
      size_t next = l.find('\x1f', cut + 1);
      error(l.substr(cut + 1, next == std::string::npos ? std::string::npos : next - cut - 1));
      cut = next;
    }
  }
  // Streamed through OutputFile (temporary file + rename): the findings of
  // a long run need not fit in memory.
  // findings.jsonl shows paths masked, as UTF-8 (a byte outside a valid
  // character is U+FFFD there); the checkpoint keeps them as given.
  std::set<std::string> done_shown;
  for (const auto& p : done) done_shown.insert(SafeUtf8(masker.Mask(p)));
  // Only a regular file holds earlier findings: a device or FIFO in its
  // place (a report written to /dev/full) would be read without end.
  std::ifstream old;
  if (fs::is_regular_file(findings_path, ec)) old.open(findings_path, std::ios::binary);
  auto kept = OutputFile::Open(findings_path);
  Status st = kept ? Status::Ok() : Status(kept.error());
  if (!spanless) {
    std::sort(spans.begin(), spans.end(), [](const Span& x, const Span& y) { return x.a < y.a; });
    uint64_t at = 0;       // read position in the old file
    uint64_t wrote = 0;    // bytes in the kept one
    bool moved = false;
    std::string l;
    for (Span& sp : spans) {
      sp.na = sp.nb = wrote;
      if (!st.ok() || sp.a < at) continue;
      old.clear();
      old.seekg(static_cast<std::streamoff>(sp.a));
      at = sp.a;
      while (st.ok() && at < sp.b && std::getline(old, l)) {
        at += l.size() + 1;
        if (l.empty()) continue;
        st = (*kept)->Write(l + '\n');
        wrote += l.size() + 1;
        summary.AddLine(l);
      }
      sp.nb = wrote;
      moved |= sp.na != sp.a || sp.nb != sp.b;
    }
    // Findings dropped between kept spans (an item whose findings were
    // written but not checkpointed, before others that were): the spans
    // move, and the checkpoint is rewritten with them.
    if (moved && st.ok()) {
      std::vector<std::string> span_of(cp_lines.size());
      for (const Span& sp : spans) span_of[sp.line] = "\x1d" + std::to_string(sp.na) + "-" + std::to_string(sp.nb);
      std::string text;
      for (size_t i = 0; i < cp_lines.size(); ++i) text += cp_lines[i] + span_of[i] + "\n";
      st = WriteWhole(checkpoint, text);
    }
  }
  for (std::string l; spanless && st.ok() && std::getline(old, l);)
    if (!l.empty() && FromDoneInput(done_shown, LinePath(l))) {
      st = (*kept)->Write(l + '\n');
      summary.AddLine(l);
    }
  if (st.ok()) st = (*kept)->Commit();
  return st;
}

}  // namespace nordpii
