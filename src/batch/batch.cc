// SPDX-License-Identifier: Apache-2.0
// The batch runner: inputs to work items, the worker pool, findings.jsonl in
// item order, checkpoint lines, progress, the exit code. The summary
// (batch_summary.h), checkpoint (checkpoint.h) and report writers
// (summary_writer.h) are their own files.
#include "batch/batch.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "batch/batch_summary.h"
#include "batch/checkpoint.h"
#include "batch/held_output.h"
#include "batch/input_scan.h"
#include "batch/summary_writer.h"
#include "batch/work_items.h"
#include "config/settings.h"
#include "output/identifier_masker.h"
#include "output/redactor.h"
#include "output/temp_cleanup.h"

namespace fs = std::filesystem;

namespace nordpii {

Status WriteBatchReport(const std::string& dir, const std::vector<std::string>& errors, size_t inputs,
                        uint64_t bytes, int retention_days, const std::string& date_field,
                        const std::string& today, size_t* findings, const BatchReportInfo& info) {
  BatchSummary summary(date_field, {dir, BatchSummary::kDefaultMaxBytes});
  std::ifstream in(dir + "/findings.jsonl", std::ios::binary);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) summary.AddLine(l);
  if (in.bad()) return Error(ErrorCode::kIo, dir + "/findings.jsonl: read error");
  if (findings) *findings = summary.total;
  return WriteSummary(dir, summary, errors, inputs, bytes, retention_days, date_field,
                      today.empty() ? TodayUtc() : today, info);
}

std::string ReportRunDate() { return NowUtc(); }

std::string KeyId(const KeyedHasher& hasher) { return hasher.Hex("nordpii key id").substr(0, 16); }

int RunBatch(std::shared_ptr<const Scanner> scanner, const BatchOptions& o) {
  // A signal removes the spill and temporary report files; findings.jsonl
  // and the checkpoint hold only finished inputs, so a rerun resumes.
  InstallTempCleanup(o.checkpoint.empty() ? "\nnordpii: interrupted\n"
                                          : "\nnordpii: interrupted; rerun to resume (same --checkpoint)\n");
  // The first SIGINT/SIGTERM/SIGHUP stops the run cleanly: no new input is
  // taken, the inputs in progress are finished (findings and checkpoint
  // lines written whole), the report is written marked interrupted, exit 2.
  // A second one aborts (temporary files removed, findings.jsonl cut back
  // to its last complete input).
  static std::atomic<int> stop{0};
  stop = 0;
  SetStopFlag(&stop, "\nnordpii: stopping: finishing the inputs in progress, then writing the report "
                     "(signal again to abort)\n");
  struct StopOff {
    ~StopOff() {
      SetStopFlag(nullptr, "");
      SetAbortTruncate(-1, -1);
    }
  } stop_off;
  std::error_code ec;
  fs::create_directories(o.report_dir, ec);
  if (ec) {
    std::fprintf(stderr, "nordpii: %s: %s\n", MaskPathsInMessage(o.report_dir).c_str(), ec.message().c_str());
    return 2;
  }
  const KeyedHasher* hasher = o.settings->hasher.get();  // loaded once, with the settings
  std::mutex mu;
  std::vector<std::string> errors;
  // Error messages name inputs: identifiers in a path are masked (under mu).
  IdentifierMasker error_masker(*scanner, *hasher);
  auto error = [&](const std::string& e) {
    std::lock_guard<std::mutex> l(mu);
    std::string shown = error_masker.Mask(e);
    std::fprintf(stderr, "nordpii: %s\n", shown.c_str());
    errors.push_back(std::move(shown));
  };
  std::vector<Input> inputs = ExpandInputs(o.paths, o.settings->input, error, {o.report_dir});
  const std::string findings_path = o.report_dir + "/findings.jsonl";
  // Resume: finished inputs from the checkpoint; findings of others dropped.
  // The summary starts from the findings kept; each worker adds its own.
  // Many documents with findings go to sorted runs in a temporary file
  // (unlinked: nothing is left behind) instead of memory.
  BatchSummary summary(o.date_field, {o.report_dir, o.summary_bytes});
  std::set<std::string> done;
  if (!o.checkpoint.empty()) {
    if (Status st = ResumeFromCheckpoint(o.checkpoint, findings_path, error_masker, error, summary, done); !st.ok()) {
      std::fprintf(stderr, "nordpii: %s\n", error_masker.Mask(st.message()).c_str());
      return 2;
    }
  } else {
    fs::remove(findings_path, ec);
  }
  std::FILE* out = std::fopen(findings_path.c_str(), "ab");
  std::FILE* cp = o.checkpoint.empty() ? nullptr : std::fopen(o.checkpoint.c_str(), "ab");
  if (!out || (!o.checkpoint.empty() && !cp)) {
    std::fprintf(stderr, "nordpii: cannot write %s\n", error_masker.Mask(!out ? findings_path : o.checkpoint).c_str());
    return 2;
  }
  if (std::fseek(out, 0, SEEK_END) == 0) SetAbortTruncate(fileno(out), static_cast<int64_t>(std::ftell(out)));
  uint64_t total_bytes = 0;
  for (const Input& in : inputs) total_bytes += in.size;
  // Work items: a file, or a record-aligned range of a large one, so one big
  // export is scanned by all the threads (work_items.h). This thread cuts
  // them by seeking (no pass over the file: each range's worker counts its
  // lines and records) while the workers already scan the ones found. All
  // below under mu; items is a deque (an element never moves).
  std::deque<Input> items;
  std::deque<size_t> queue;  // indices into items
  bool split_done = false;
  std::condition_variable queue_cv;
  std::atomic<size_t> items_known{0};
  // Ranges (and archive members) of one file are written to findings.jsonl
  // in file order (as one job writes them): prev[i] is the range before item
  // i (or -1); an item done before it is parked (below) and written right
  // after it. Items are taken in order, so the one before is already being
  // scanned.
  std::deque<ptrdiff_t> prev;
  std::deque<char> written;
  std::deque<std::string> item_ids;
  // --fields over the ranges of a JSONL file, in file order: checked once,
  // when its last range is written (a field in one range only is no error).
  // A resumed run sees only the ranges it scans itself.
  struct FieldsSeen {
    uint64_t bits = 0;
    size_t records = 0;
  };
  std::map<std::string, FieldsSeen> file_fields;
  std::condition_variable written_cv;
  // Ranges cut by seeking (Input::relative) are scanned with numbers
  // relative to their start; when range i is written, those of the ranges
  // before it are known (all written, or done in an earlier run and
  // counted when cut), and its report, summary and errors are fixed up by
  // them (work_items.h). nums[i]: state 0 not known yet, 1 its own counts
  // known (done in an earlier run), 2 the totals after it known, 3 it could
  // not be counted (why): the ranges after it cannot be numbered.
  struct RangeNums {
    uint64_t lines = 0, records = 0, lines_after = 0, records_after = 0;
    int state = 0;
    std::string why;
  };
  std::deque<RangeNums> nums;
  // The lines and records before relative range i (under mu); false: a
  // range before it could not be counted (`why`).
  auto numbers_before = [&](size_t i, uint64_t& lines, uint64_t& records, std::string& why) {
    lines = records = 0;
    std::vector<size_t> chain;  // done in an earlier run, not summed yet
    ptrdiff_t j = prev[i];
    for (; j >= 0 && nums[static_cast<size_t>(j)].state == 1; j = prev[static_cast<size_t>(j)])
      chain.push_back(static_cast<size_t>(j));
    if (j >= 0) {
      const RangeNums& n = nums[static_cast<size_t>(j)];
      if (n.state != 2) {
        why = n.state == 3 ? n.why : "the range at offset " + std::to_string(items[static_cast<size_t>(j)].begin) +
                                         " was not scanned";
        return false;
      }
      lines = n.lines_after, records = n.records_after;
    }
    for (auto k = chain.rbegin(); k != chain.rend(); ++k) {
      RangeNums& n = nums[*k];
      lines += n.lines, records += n.records;
      n.lines_after = lines, n.records_after = records;
      n.state = 2;
    }
    return true;
  };
  // The summaries of relative ranges (their documents known by number:
  // "#N", renumbered), merged as they are written (in file order, under mu).
  size_t jobs = o.jobs ? o.jobs : std::max<unsigned>(1, std::thread::hardware_concurrency());
  // The summaries' bound on held documents, shared by the workers (each a
  // share, at least 1 MiB); a range's own summary and the ranges' summary
  // are bounded by a share too (they hold documents known by number).
  const BatchSummary::Spill share{o.report_dir,
                                  std::max<size_t>(o.summary_bytes / jobs, std::min<size_t>(o.summary_bytes, 1u << 20))};
  BatchSummary ranges_summary(o.date_field, share);
  // What a relative range's scan leaves for its writer.
  struct Ranged {
    NumberPatches patches;  // the numbers in its findings
    uint64_t lines = 0, records = 0;   // its own counts
    bool counted = false;
    std::string count_error;
    std::unique_ptr<BatchSummary> summary;  // its documents known by number, numbered from its start
    std::vector<std::string> errors;        // numbered from its start, not reported yet
  };
  // Fault injection for the resume test: after N checkpoint lines the
  // process kills itself with SIGKILL once the next input's findings are
  // written but before its checkpoint line, so that a kill lands in the
  // middle of a run on any machine (a timed kill did not: the run was often
  // over before it).
  const char* kill_env = std::getenv("NORDPII_TEST_KILL_AFTER_CHECKPOINTS");
  const long kill_after = kill_env ? std::atol(kill_env) : 0;
  // For the signal test: a pause after each input, so that a signal lands
  // while inputs remain on any machine.
  const char* delay_env = std::getenv("NORDPII_TEST_INPUT_DELAY_MS");
  const long delay_ms = delay_env ? std::atol(delay_env) : 0;
  // For the parking test: a pause before the first item's scan, so that the
  // items after it are done before it on any machine.
  const char* first_delay_env = std::getenv("NORDPII_TEST_FIRST_ITEM_DELAY_MS");
  const long first_delay_ms = first_delay_env ? std::atol(first_delay_env) : 0;
  long checkpointed = 0;
  std::atomic<uint64_t> bytes_done{0};
  std::atomic<size_t> docs_done{0};
  std::atomic<size_t> found{0};
  // Workers take inputs from the queue (the queue holds pointers into the
  // input list: bounded by the number of inputs, no file is opened before
  // a worker takes it).
  std::vector<std::unique_ptr<BatchSummary>> sums;
  for (size_t w = 0; w < jobs; ++w) sums.push_back(std::make_unique<BatchSummary>(o.date_field, share));
  // Writes item `item`'s findings (`copy`) and its checkpoint line; under
  // mu, once the item before it in its file is written.
  using Put = PutBytes;
  auto write_out = [&](size_t item, const std::function<bool(const Put&)>& copy, const std::string& tmp,
                       std::string& input_errors, uint64_t fields_bits, size_t records, TicketScanner& tickets,
                       Ranged* ranged) {
    auto report = [&](const std::string& e) {  // as error() does, under mu
      std::string shown = error_masker.Mask(e);
      std::fprintf(stderr, "nordpii: %s\n", shown.c_str());
      errors.push_back(std::move(shown));
    };
    // A relative range: its numbers fixed up by the ranges before it.
    uint64_t lines_before = 0, records_before = 0;
    bool numbered = true;
    if (ranged) {
      const Input& in = items[item];
      RangeNums& n = nums[item];
      std::string why;
      numbered = numbers_before(item, lines_before, records_before, why);
      if (!numbered) {
        report(in.path + ": cannot number the range at offset " + std::to_string(in.begin) + ": " + why +
               "; not scanned");
        n.state = 3, n.why = why;
      } else {
        for (const std::string& e : ranged->errors) {
          const std::string fixed = FixUpRangeError(e, in.path, records_before);
          AppendCheckpointError(input_errors, fixed);
          report(fixed);
        }
        if (ranged->summary) ranges_summary.MergeRange(std::move(*ranged->summary), records_before);
        if (ranged->counted) {
          n.lines = ranged->lines, n.records = ranged->records;
          n.lines_after = lines_before + n.lines, n.records_after = records_before + n.records;
          n.state = 2;
        } else {
          n.state = 3;
          n.why = "the range at offset " + std::to_string(in.begin) + " could not be read (" + ranged->count_error + ")";
        }
      }
    }
    const long span_start = std::ftell(out);
    bool copied = false;
    errno = 0;  // (why a copy failed: a full disk, a spill file gone)
    if (numbered) copied = CopyPart(out, copy, ranged ? &ranged->patches : nullptr, lines_before, records_before);
    if (numbered && !copied) {  // not checkpointed: a resumed run scans the input again
      const int why = errno;
      std::string e = error_masker.Mask(tmp + ": cannot keep the findings of " + items[item].path +
                                        (why ? std::string(": ") + std::strerror(why) : std::string()));
      std::fprintf(stderr, "nordpii: %s\n", e.c_str());
      errors.push_back(e);
    }
    if (copied && std::fflush(out) != 0) {  // a full disk: findings lost, not checkpointed
      copied = false;
      std::string e = error_masker.Mask(findings_path + ": write failed: " + std::strerror(errno));
      std::fprintf(stderr, "nordpii: %s\n", e.c_str());
      errors.push_back(e);
    }
    if (copied) SetAbortTruncate(fileno(out), static_cast<int64_t>(std::ftell(out)));
    if (items[item].end > 0 && items[item].format == InputFormat::kJsonl) {
      FieldsSeen& seen = file_fields[items[item].path];
      seen.bits |= fields_bits;
      seen.records += records;
      if (items[item].last_range) {
        if (Status st = tickets.EndInput(TicketFormat::kJsonl, {}, seen.bits, seen.records); !st.ok()) {
          const std::string e = items[item].path + ": " + st.message();  // as error() does, under mu
          AppendCheckpointError(input_errors, e);
          std::string shown = error_masker.Mask(e);
          std::fprintf(stderr, "nordpii: %s\n", shown.c_str());
          errors.push_back(std::move(shown));
        }
        file_fields.erase(items[item].path);
      }
    }
    // The worst moment for a crash: this input's findings are in
    // findings.jsonl, its checkpoint line is not.
    if (kill_after > 0 && checkpointed == kill_after) raise(SIGKILL);
    written[item] = 1;
    written_cv.notify_all();
    if (cp && copied) {
      std::fputs(CheckpointLine(item_ids[item], input_errors, span_start, std::ftell(out)).c_str(), cp);
      if (std::fflush(cp) != 0 || std::ferror(cp)) {
        std::string e = o.checkpoint + ": write failed: " + std::strerror(errno);
        std::fprintf(stderr, "nordpii: %s\n", error_masker.Mask(e).c_str());
        errors.push_back(error_masker.Mask(e));
      }
      ++checkpointed;
    }
  };
  // A range done before the range in front of it (they finish out of
  // order) is parked with its held findings (in memory, or in their spill
  // file, which it keeps open) and written by the thread that writes the one
  // before it; its worker takes the next item instead of waiting (at most 4
  // per job). A spilled range waited before: the ranges of a ticket export
  // (~2 MB of findings per 16 MiB) all spill, so the two jobs went in
  // lockstep, the first done waiting for the other at every range.
  struct Parked {
    std::unique_ptr<std::string> mem;   // (before held: held's fclose may still write to it)
    std::unique_ptr<HeldOutput> held;  // its findings
    std::string tmp, errors;
    uint64_t fields_bits = 0;
    size_t records = 0;
    std::unique_ptr<Ranged> ranged;
  };
  std::map<size_t, Parked> parked;
  auto write_parked = [&](size_t item, TicketScanner& tickets) {  // under mu: after `item` was written
    for (auto it = parked.find(item + 1); it != parked.end() && prev[it->first] == static_cast<ptrdiff_t>(item);
         it = parked.find(item + 1)) {
      Parked& p = it->second;
      item = it->first;
      write_out(item, [&](const Put& put) { return p.held->CopyTo(put); }, p.tmp, p.errors, p.fields_bits, p.records,
                tickets, p.ranged.get());
      parked.erase(it);
    }
  };
  // A relative range's findings: those of a document known by its number
  // go to the range's own summary (renumbered when it is written), the
  // rest (tickets and messages with ids: most) to the worker's.
  struct RangeObserver : ReportObserver {
    BatchSummary* worker = nullptr;
    BatchSummary* range = nullptr;
    void Recorded(const ReportSink& sink, const Finding& f) override {
      (BatchSummary::Numbered(sink) ? range : worker)->Recorded(sink, f);
    }
    void RecordedEvent(std::string_view kind, std::string_view content_type) override {
      worker->RecordedEvent(kind, content_type);
    }
  };
  std::vector<std::thread> workers;
  for (size_t w = 0; w < jobs; ++w) {
    workers.emplace_back([&, w] {
      auto ctx = scanner->NewContext(*hasher, o.settings->reference_date);
      InputScanners s(*ctx, o.settings->mail_limits, o.settings->tickets);
      s.progress = &bytes_done;  // the bar moves inside a large file too
      s.defer_fields_check = true;  // checked over a file's ranges (file_fields)
      IdentifierMasker masker(*scanner, *hasher);  // paths, Message-IDs, ticket ids in the report
      std::string tmp = o.report_dir + "/.worker-" + std::to_string(w) + ".jsonl";
      // The held findings' buffer, reused from item to item (a parked item
      // takes it, and its spill file's name: the next gets new ones).
      auto held_mem = std::make_unique<std::string>();
      size_t parked_here = 0;
      for (;;) {
        const Input* in;
        size_t item;
        {
          std::unique_lock<std::mutex> l(mu);
          // The splitter is notified of a signal when it finds its next
          // item; the timeout covers a long pass without one.
          while (queue.empty() && !split_done && !stop.load())
            queue_cv.wait_for(l, std::chrono::milliseconds(100));
          if (queue.empty() || stop.load()) break;
          item = queue.front();
          in = &items[item];
          queue.pop_front();
        }
        if (item == 0 && first_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(first_delay_ms));
        auto mark_written = [&] {  // under mu
          written[item] = 1;
          written_cv.notify_all();
        };
        // One input's findings are held in memory and spill to a temporary
        // file past 256 KiB (findings written, read back and written again
        // were ~15 % of a batch over ticket exports).
        const std::string spill =
            parked_here == 0 ? tmp : tmp.substr(0, tmp.size() - 6) + "." + std::to_string(parked_here) + ".jsonl";
        auto held = std::make_unique<HeldOutput>(spill, o.held_bytes, *held_mem);
        std::FILE* f = held->file();
        if (!f) {
          error(spill + ": cannot write");
          std::lock_guard<std::mutex> l(mu);
          if (in->relative) nums[item].state = 3, nums[item].why = "its findings could not be kept";
          mark_written();  // not checkpointed; the next range need not wait
          write_parked(item, s.tickets);
          break;
        }
        ReportSink sink(f, ReportFormat::kJsonl, false, masker);
        // A range cut by seeking: numbered from its start; its findings,
        // summary and errors are fixed up when it is written (write_out).
        std::unique_ptr<Ranged> ranged;
        RangeObserver observer;
        if (in->relative) {
          ranged = std::make_unique<Ranged>();
          ranged->summary = std::make_unique<BatchSummary>(o.date_field, share, 64);
          observer.worker = sums[w].get(), observer.range = ranged->summary.get();
          // (the date of a document's last part in file order, the subject of its first: BatchSummary::Doc)
          sums[w]->set_position(in->begin + 1);
          ranged->summary->set_position(in->begin + 1);
          sink.SetObserver(&observer);
          sink.SetPatches(&ranged->patches);
        } else {
          sums[w]->set_position(0);
          sink.SetObserver(sums[w].get());
        }
        std::string input_errors;  // for the checkpoint line
        auto input_error = [&](const std::string& e) {
          if (ranged) return ranged->errors.push_back(e);
          AppendCheckpointError(input_errors, e);
          error(e);
        };
        const uint64_t read_live = ScanInput(*in, s, o.filter, sink, o.settings->mail_limits.max_message_bytes, input_error);
        found += sink.count();
        if (ranged) {
          ranged->lines = s.range_lines, ranged->records = s.range_record_starts;
          ranged->counted = s.range_counted;
          ranged->count_error = s.range_count_error;
        }
        {
          // Findings first, then the checkpoint line: a crash between the
          // two re-scans this input on resume (its findings are dropped).
          // A range whose range before is not written yet is parked.
          std::unique_lock<std::mutex> l(mu);
          const bool ready = prev[item] < 0 || written[static_cast<size_t>(prev[item])] != 0;
          if (!ready && parked.size() < 4 * jobs) {
            Parked p;
            p.mem = std::move(held_mem);
            held->Park();  // its spill file closed until written (a failed write: CopyTo says so)
            p.held = std::move(held);
            held_mem = std::make_unique<std::string>();
            ++parked_here;
            p.tmp = spill;
            p.errors = std::move(input_errors);
            p.fields_bits = s.range_fields_seen;
            p.records = s.range_records;
            p.ranged = std::move(ranged);
            parked.emplace(item, std::move(p));
          } else {
            if (!ready) written_cv.wait(l, [&] { return written[static_cast<size_t>(prev[item])] != 0; });
            write_out(item, [&](const Put& put) { return held->CopyTo(put); }, spill, input_errors,
                      s.range_fields_seen, s.range_records, s.tickets, ranged.get());
            write_parked(item, s.tickets);
          }
        }
        bytes_done += in->size > read_live ? in->size - read_live : 0;  // the rest of its size
        ++docs_done;
        if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      }
      // (A parked range's HeldOutput owns its spill file, which may be
      // `tmp` and not written yet: it removes it itself.)
      if (parked_here == 0) std::remove(tmp.c_str());
    });
  }
  // Progress.
  std::atomic<bool> finished{false};
  std::thread progress([&] {
    if (o.quiet) return;
    bool tty = isatty(STDERR_FILENO);
    auto t0 = std::chrono::steady_clock::now();
    auto last_line = t0;
    uint64_t start_bytes = bytes_done;
    while (!finished) {
      std::this_thread::sleep_for(std::chrono::milliseconds(tty ? 200 : 500));
      auto now = std::chrono::steady_clock::now();
      double secs = std::chrono::duration<double>(now - t0).count();
      double rate = secs > 0 ? static_cast<double>(bytes_done - start_bytes) / secs : 0;
      double left = rate > 0 ? static_cast<double>(total_bytes - std::min<uint64_t>(bytes_done, total_bytes)) / rate : 0;
      double frac = total_bytes ? static_cast<double>(bytes_done) / static_cast<double>(total_bytes) : 1.0;
      char line[256];
      // (Work items: a big file's ranges and an archive's members count
      // each; then they are "parts" of the inputs.)
      const size_t known = items_known.load();
      char what[64] = "inputs";
      if (known != inputs.size()) std::snprintf(what, sizeof what, "parts of %zu inputs", inputs.size());
      std::snprintf(line, sizeof line, "%zu/%zu %s, %.1f/%.1f MB, %.1f MB/s, ETA %.0f s, %zu findings",
                    docs_done.load(), known, what, bytes_done / 1e6, total_bytes / 1e6, rate / 1e6, left, found.load());
      if (tty) {
        int w = static_cast<int>(frac * 30);
        std::fprintf(stderr, "\r[%.*s%*s] %s", w, "##############################", 30 - w, "", line);
      } else if (now - last_line > std::chrono::seconds(10)) {
        std::fprintf(stderr, "nordpii: %s\n", line);
        last_line = now;
      }
    }
    if (tty) std::fprintf(stderr, "\n");
  });
  bool cut_short = false;  // the splitter stopped before the last input (a signal)
  SplitWorkItems(
      inputs, WorkRangeBytes(), o.settings->mail_limits.max_message_bytes,
      [&](Input in) {
        std::string id = WorkItemId(in);
        const bool was_done = done.count(id) != 0;  // (done: read only once the run starts)
        // A range done in an earlier run: counted now, for the ranges after
        // it (their numbers; outside the lock).
        RangeNums n;
        if (was_done && in.relative) {
          int fd = ::open(in.path.c_str(), O_RDONLY | O_CLOEXEC);
          Result<RangeCounts> c = fd < 0 ? Result<RangeCounts>(Error(ErrorCode::kIo, std::strerror(errno)))
                                         : CountRange(fd, in.format, in.begin, in.end);
          if (fd >= 0) ::close(fd);
          if (c) n.lines = c->lines, n.records = c->records, n.state = 1;
          else n.state = 3, n.why = "the range at offset " + std::to_string(in.begin) + " could not be read (" +
                                    c.error().message() + ")";
        }
        std::lock_guard<std::mutex> l(mu);
        if (stop.load()) return cut_short = true, false;
        const size_t i = items.size();
        items.push_back(std::move(in));
        item_ids.push_back(std::move(id));
        nums.push_back(std::move(n));
        prev.push_back(i > 0 && (items[i].begin > 0 || items[i].member > 0) && items[i - 1].path == items[i].path
                           ? static_cast<ptrdiff_t>(i) - 1
                           : -1);
        written.push_back(was_done ? 1 : 0);
        if (was_done) bytes_done += items[i].size, ++docs_done;
        else queue.push_back(i);
        items_known = items.size();
        queue_cv.notify_one();
        return true;
      },
      error);
  {
    std::lock_guard<std::mutex> l(mu);
    split_done = true;
  }
  queue_cv.notify_all();
  for (auto& t : workers) t.join();
  finished = true;
  progress.join();
  // Every write error is an error (exit 2): a report missing findings must
  // not look complete.
  // (ferror is sticky: a failure already reported above is not repeated.)
  const bool out_reported = std::ferror(out), cp_reported = cp && std::ferror(cp);
  if (std::fclose(out) != 0 && !out_reported) error(findings_path + ": write failed");
  if (cp && std::fclose(cp) != 0 && !cp_reported) error(o.checkpoint + ": write failed");
  for (auto& w : sums) summary.Merge(std::move(*w));
  summary.Merge(std::move(ranges_summary));
  BatchReportInfo info;
  info.options = o.report_options;
  info.key_id = KeyId(*hasher);
  info.random_key = o.settings->random_key;
  info.interrupted = stop.load() != 0;  // a signal came before the workers were done
  // An input is done when every item cut from it (a big file's ranges, an
  // archive's members) is written, and it was cut to its end (the last one
  // the splitter reached was not, when a signal stopped it): not the number
  // of items done, which was "2 of 1 inputs" for one file in ranges.
  {
    size_t n = 0;
    for (size_t i = 0; i < items.size();) {
      size_t j = i;
      bool all = true;
      while (j < items.size() && items[j].path == items[i].path) all = all && written[j] != 0, ++j;
      if (all && (j < items.size() || !cut_short)) ++n;
      i = j;
    }
    info.inputs_done = std::min(n, inputs.size());
  }
  if (o.filter.allow) info.allowed = static_cast<int64_t>(o.filter.allow->allowed());
  if (Status s = WriteSummary(o.report_dir, summary, errors, inputs.size(), total_bytes, o.retention_days, o.date_field,
                              o.today.empty() ? TodayUtc() : o.today, info);
      !s.ok()) {
    std::fprintf(stderr, "nordpii: %s\n", error_masker.Mask(s.message()).c_str());
    return 2;
  }
  if (info.random_key)
    std::fprintf(stderr, "nordpii: note: random key (no $NORDPII_KEY or --key-file): the report's hashes match only "
                         "within this report (key id %s)\n", info.key_id.c_str());
  if (info.allowed >= 0 && !o.quiet)
    std::fprintf(stderr, "nordpii: %lld finding(s) allowed by --allow (not in the report)\n",
                 static_cast<long long>(info.allowed));
  if (!o.quiet)
    std::fprintf(stderr, "nordpii: report in %s (findings.jsonl, summary.json, report.html%s)\n",
                 error_masker.Mask(o.report_dir).c_str(),
                 o.retention_days >= 0 ? ", overdue.csv" : "");
  if (info.interrupted) {
    std::fprintf(stderr, "nordpii: interrupted; the report covers %zu of %zu inputs%s\n", info.inputs_done,
                 inputs.size(), o.checkpoint.empty() ? "" : "; rerun to resume (same --checkpoint)");
    return 2;
  }
  if (!errors.empty()) return 2;
  // Findings counted (kept from a resumed run's finished inputs plus this
  // run's), not "findings.jsonl has a line": an attachment event alone is
  // not a finding, as for `scan`.
  return summary.total ? 1 : 0;
}

}  // namespace nordpii
