// SPDX-License-Identifier: Apache-2.0
// File: distributed_cli.h
//
// The `submit`, `worker` and `collect` subcommands on nordpii's CLI11 app:
// nordpii_main.cc registers them with its common scan options and runs the
// selected one through its batch option handling (so a worker scans with
// exactly the options `batch` would).
#ifndef NORDPII_DISTRIBUTED_DISTRIBUTED_CLI_H_
#define NORDPII_DISTRIBUTED_DISTRIBUTED_CLI_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "distributed/distributed.h"

namespace nordpii {

using BatchRunner = std::function<int(std::shared_ptr<const Scanner>, const BatchOptions&)>;

struct DistributedCli {
  CLI::App *submit = nullptr, *worker = nullptr, *collect = nullptr;
  SubmitOptions so;
  WorkerOptions wo;
  CollectOptions co;
  std::vector<const CLI::Option*> worker_common;  // the scan options given to `worker`
  bool selected() const { return *submit || *worker || *collect; }
  // Calls `with_options` (which turns the common options into BatchOptions
  // and a scanner) with the runner of the selected subcommand.
  int Run(const std::function<int(const BatchRunner&)>& with_options) {
    if (*submit) return with_options([this](auto s, const BatchOptions& b) { return RunSubmit(s, b, so); });
    if (*worker) {
      // The worker's scan options, as given, for the `nordpii redact` it runs
      // on a --redact job's items (same categories, key, limits...).
      for (const CLI::Option* opt : worker_common) {
        if (opt->count() == 0 || opt->get_lnames().empty()) continue;
        const std::string name = "--" + opt->get_lnames().front();
        if (opt->get_expected_min() == 0) {  // a flag
          for (size_t i = 0; i < opt->count(); ++i) wo.redact_args.push_back(name);
        } else {
          for (const auto& v : opt->results()) wo.redact_args.push_back(name + "=" + v);
        }
      }
      return with_options([this](auto s, const BatchOptions& b) { return RunWorker(s, b, wo); });
    }
    return with_options([this](auto s, const BatchOptions& b) { return RunCollect(s, b, co); });
  }
};

inline void AddNatsOptions(CLI::App* a, NatsOptions& n) {
  a->add_option("--nats", n.url, "NATS server URL(s), comma-separated (default nats://127.0.0.1:4222)");
  a->add_option("--stream", n.stream, "JetStream stream name (default NORDPII; results in NAME_RESULTS)");
  a->add_option("--nats-creds", n.creds, "NATS credentials file (user JWT + nkey seed)");
  a->add_option("--tls-ca", n.tls_ca, "CA certificate file to verify the NATS servers (turns TLS on)");
  a->add_option("--tls-cert", n.tls_cert, "Client certificate for mutual TLS");
  a->add_option("--tls-key", n.tls_key, "Client private key for mutual TLS");
  a->add_option("--nats-timeout", n.timeout_ms, "JetStream request timeout in ms (default 5000)");
}

// `add_common` adds the scan options shared with batch; bo and retention
// are the batch option variables of nordpii_main.cc.
inline void AddDistributedCommands(CLI::App& app, DistributedCli& d, const std::function<void(CLI::App*)>& add_common,
                                   BatchOptions& bo, std::string& retention) {
  d.submit = app.add_subcommand("submit", "Publish a batch job's work items to NATS JetStream (prints the job id)");
  add_common(d.submit);
  AddNatsOptions(d.submit, d.so.nats);
  d.submit->add_option("paths", bo.paths, "Files and directories (read by the workers from the same path)")->required();
  d.submit->add_option("--job", d.so.job, "Job id (default: generated); resubmitting the same id adds nothing");
  d.submit->add_option("--replicas", d.so.replicas, "Stream replicas when the streams are created (3 on a cluster)");
  d.submit->add_option("--ack-wait", d.so.ack_wait_s, "Seconds before an unacknowledged item is redelivered (default 30)");
  d.submit->add_flag("-q,--quiet", bo.quiet, "Print only the job id");
  d.submit->add_option("--max-deliver", d.so.max_deliver, "Deliveries before an item goes to the dead-letter subject (default 3)");
  auto* redact = d.submit->add_flag("--redact", d.so.redact,
                                    "Workers also write redacted copies (worker --out-dir); items are whole files");
  d.submit->add_option("--style", d.so.style, "Redaction style with --redact: label, mask or hmac")
      ->check(CLI::IsMember({"label", "mask", "hmac"}))
      ->needs(redact);
  d.submit->add_flag("--upload", d.so.upload,
                     "Put the inputs into the JetStream object store (workers need no shared path); items are whole files");
  auto* upload = d.submit->get_option("--upload");
  d.submit->add_option("--bucket", d.so.bucket, "Object store bucket for --upload (default: the stream name)")
      ->needs(upload);

  d.worker = app.add_subcommand("worker", "Scan work items from NATS JetStream (same options as batch)");
  const size_t before = d.worker->get_options().size();
  add_common(d.worker);
  const auto all = d.worker->get_options();
  for (size_t i = before; i < all.size(); ++i) d.worker_common.push_back(all[i]);
  AddNatsOptions(d.worker, d.wo.nats);
  d.worker->add_option("--out-dir", d.wo.out_dir,
                       "Directory for the redacted copies of --redact jobs (DIR/<job>/<input path>, never replaced)");
  d.worker->add_option("--spool", d.wo.spool, "Directory for objects read from the object store (default $TMPDIR or /tmp)");
  d.worker->add_option("--idle-exit", d.wo.idle_exit_s, "Exit after this many seconds without work (default: run until SIGTERM)");
  d.worker->add_option("--name", d.wo.name, "Worker name in logs");
  d.worker->add_option("--item-timeout", d.wo.item_timeout_s,
                       "Seconds one item may take; then it is given back or dead-lettered and the worker exits 3 "
                       "(default 20 x ack_wait; 0 = no cap)")
      ->check(CLI::Range(-1, 1 << 30));
  d.worker->add_flag("-q,--quiet", bo.quiet, "Log only problems, not every item");

  d.collect = app.add_subcommand("collect", "Gather a job's results from NATS JetStream into a batch report");
  AddNatsOptions(d.collect, d.co.nats);
  add_common(d.collect);
  d.collect->add_option("--job", d.co.job, "Job id printed by submit")->required();
  d.collect->add_option("--report", bo.report_dir, "Report directory (findings.jsonl, summary.json, report.html)")->required();
  d.collect->add_option("--timeout", d.co.timeout_s, "Give up after this many seconds (default: wait for every item)");
  d.collect->add_flag("-q,--quiet", bo.quiet, "No progress output");
  d.collect->add_option("--manifest-warn", d.co.manifest_warn_s,
                        "Warn after this many seconds without the job's manifest (mistyped --job?) (default 30)")
      ->check(CLI::Range(1, 1 << 30));
  d.collect->add_option("--broker-timeout", d.co.broker_timeout_s,
                        "Fail (exit 2) after the broker is unreachable this many seconds (default 60)")
      ->check(CLI::Range(1, 1 << 30));
  d.collect->add_flag("--keep-objects", d.co.keep_objects, "--upload jobs: keep the inputs in the object store");
  d.collect->add_option("--retention", retention, "Retention audit, as batch (e.g. 90d)");
  d.collect->add_option("--date-field", bo.date_field, "Retention date: created, updated or closed")
      ->check(CLI::IsMember({"created", "updated", "closed"}));
}

}  // namespace nordpii

#endif  // NORDPII_DISTRIBUTED_DISTRIBUTED_CLI_H_
