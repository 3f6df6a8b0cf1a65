// SPDX-License-Identifier: Apache-2.0
// File: distributed.h
//
// Scale-out of `nordpii batch` over NATS JetStream (issue 17):
//   nordpii submit PATH... --nats URL   splits the inputs into work items and
//                                       publishes them to a work-queue stream;
//   nordpii worker --nats URL           pull consumer: scans items with the
//                                       batch engine, publishes the (masked)
//                                       findings, then acks;
//   nordpii collect --nats URL --job ID --report DIR
//                                       gathers a job's results and writes
//                                       the same report files as batch.
//
// Streams (NAME = --stream, default NORDPII):
//   NAME          work queue, subjects NAME.work.<job>; durable pull
//                 consumer "workers" (ack explicit, ack_wait, max_deliver).
//   NAME_RESULTS  limits retention, subjects NAME.res.<job>.result (findings
//                 of an item, in parts of <= 512 KiB), NAME.res.<job>.dead (an
//                 item given up after max_deliver, with its masked error) and
//                 NAME.res.<job>.job (the job manifest, published last).
//   OBJ_<bucket>  with submit --upload: the inputs, as a JetStream object
//                 store bucket (objects "<job>/<item>"), emptied by collect.
// With submit --redact, workers started with --out-dir DIR also write each
// input's redacted copy (`nordpii redact`) to DIR/<job>/<path>, atomically
// and never replacing a file.
// Every message has a Nats-Msg-Id (job/item, job/item/attempt/part): a
// resubmit is dropped by the stream's duplicate window; each delivery of an
// item publishes its own result set and the collector keeps the first
// complete set of each item (never parts of two attempts).
//
// By default items carry a path, never the bytes: workers read the inputs
// from a shared path (same mount on every machine), so no customer data is
// copied into the broker's storage. With `submit --upload` the files are put
// into a JetStream object store bucket (the object-store protocol of the
// NATS clients, written here: libnats 3.4 has no object store API) and the
// workers read them from there. Results carry masked values and keyed hashes
// only (the ReportSink lines batch writes), so every worker must use the
// same key (--key-file or $NORDPII_KEY; a worker refuses a random key).
#ifndef NORDPII_DISTRIBUTED_DISTRIBUTED_H_
#define NORDPII_DISTRIBUTED_DISTRIBUTED_H_

#include <memory>
#include <string>
#include <vector>

#include "batch/batch.h"
#include "pipeline/scanner.h"

namespace nordpii {

struct NatsOptions {
  std::string url = "nats://127.0.0.1:4222";  // comma-separated list of servers
  std::string stream = "NORDPII";
  std::string creds;    // --nats-creds: NATS credentials file (JWT + nkey seed)
  std::string tls_ca;   // --tls-ca: CA certificate(s) to verify the servers (implies TLS)
  std::string tls_cert, tls_key;  // --tls-cert/--tls-key: client certificate (mutual TLS)
  int timeout_ms = 5000;          // JetStream API and publish-ack timeout
};

struct SubmitOptions {
  NatsOptions nats;
  std::string job;        // "" = generated; printed on stdout
  int replicas = 1;       // stream replicas (3 on a 3-node cluster)
  int ack_wait_s = 30;    // a worker silent this long loses its item
  int max_deliver = 3;    // then the item goes to the dead-letter subject
  // --redact: the workers also write a redacted copy of every input (as
  // `nordpii redact --style STYLE`); items are then whole files, never
  // byte ranges or archive members (a redacted file is one output).
  bool redact = false;
  std::string style = "label";
  // --upload: the inputs are put into the JetStream object store bucket
  // `bucket` (default: the stream name; stream OBJ_<bucket>) and the workers
  // read them from there instead of the shared path. Items are whole files.
  bool upload = false;
  std::string bucket;
};

struct WorkerOptions {
  NatsOptions nats;
  int idle_exit_s = 0;    // exit after this long without work (0 = run until SIGTERM/SIGINT)
  // A scan still running after this many seconds is abandoned: the item is
  // given back (dead-lettered on its last delivery) and the worker exits
  // with status 3 for its supervisor to restart it. -1: 20 x ack_wait; 0: no cap.
  int item_timeout_s = -1;
  std::string name;       // shown in logs
  // Redacted copies of a --redact job's inputs go to out_dir/<job>/<input path>
  // (written atomically; an existing file is never replaced).
  std::string out_dir;
  // Where objects read from the object store are kept while scanned
  // (default: $TMPDIR or /tmp); removed after each item.
  std::string spool;
  // The worker's scan options as `nordpii redact` arguments (distributed_cli.h):
  // a redacted copy is made by running `nordpii redact` (this binary) on the
  // item, so it is byte for byte what `nordpii redact` writes.
  std::vector<std::string> redact_args;
};

struct CollectOptions {
  NatsOptions nats;
  std::string job;
  int timeout_s = 0;      // 0 = wait until every item is in
  int manifest_warn_s = 30;   // warn (and repeat) while the job has no manifest this long
  int broker_timeout_s = 60;  // exit 2 after the broker is unreachable this long
  bool keep_objects = false;  // --upload jobs: keep the job's objects in the bucket after a complete collect
};

int RunSubmit(std::shared_ptr<const Scanner> scanner, const BatchOptions& b, const SubmitOptions& o);
int RunWorker(std::shared_ptr<const Scanner> scanner, const BatchOptions& b, const WorkerOptions& o);
int RunCollect(std::shared_ptr<const Scanner> scanner, const BatchOptions& b, const CollectOptions& o);

}  // namespace nordpii

#endif  // NORDPII_DISTRIBUTED_DISTRIBUTED_H_
