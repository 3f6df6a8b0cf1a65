// SPDX-License-Identifier: Apache-2.0
#include "distributed/distributed.h"

#include <fcntl.h>
#include <nats/nats.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "batch/input_scan.h"
#include "batch/work_items.h"
#include "output/identifier_masker.h"
#include "output/redactor.h"
#include "output/report_sink.h"

namespace fs = std::filesystem;

namespace nordpii {

namespace {

constexpr const char* kConsumer = "workers";
constexpr size_t kPartBytes = 512 << 10;  // under the server's default 1 MiB max_payload
constexpr int64_t kDuplicateWindowNs = 3600LL * 1000 * 1000 * 1000;  // 1 h

std::string JsonStr(std::string_view s) {
  std::string o;
  AppendJsonString(o, s);
  return o;
}

void Log(const std::string& s) { std::fprintf(stderr, "nordpii: %s\n", s.c_str()); }

std::string NatsError(natsStatus s, jsErrCode jerr = static_cast<jsErrCode>(0)) {
  std::string e = natsStatus_GetText(s);
  if (const char* last = nats_GetLastError(nullptr); last && *last) e += std::string(" (") + last + ")";
  if (jerr) e += " [JetStream error " + std::to_string(static_cast<int>(jerr)) + "]";
  return e;
}

// One connection and its JetStream context.
class Nats {
 public:
  ~Nats() {
    if (js_) jsCtx_Destroy(js_);
    if (nc_) {
      natsConnection_FlushTimeout(nc_, 1000);
      natsConnection_Destroy(nc_);
    }
    if (opts_) natsOptions_Destroy(opts_);
  }
  Status Connect(const NatsOptions& o) {
    timeout_ms_ = o.timeout_ms;
    natsStatus s = natsOptions_Create(&opts_);
    // A comma-separated list: every server of a cluster.
    std::vector<std::string> urls;
    for (size_t at = 0; at <= o.url.size();) {
      size_t comma = std::min(o.url.find(',', at), o.url.size());
      if (comma > at) urls.push_back(o.url.substr(at, comma - at));
      at = comma + 1;
    }
    std::vector<const char*> ptrs;
    for (auto& u : urls) ptrs.push_back(u.c_str());
    if (s == NATS_OK) s = natsOptions_SetServers(opts_, ptrs.data(), static_cast<int>(ptrs.size()));
    // Keep trying while a cluster node restarts; the client moves to another.
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts_, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts_, 250);
    if (s == NATS_OK && !o.creds.empty())
      s = natsOptions_SetUserCredentialsFromFiles(opts_, o.creds.c_str(), nullptr);
    if (s == NATS_OK && (!o.tls_ca.empty() || !o.tls_cert.empty())) s = natsOptions_SetSecure(opts_, true);
    if (s == NATS_OK && !o.tls_ca.empty()) s = natsOptions_LoadCATrustedCertificates(opts_, o.tls_ca.c_str());
    if (s == NATS_OK && !o.tls_cert.empty())
      s = natsOptions_LoadCertificatesChain(opts_, o.tls_cert.c_str(), o.tls_key.c_str());
    if (s != NATS_OK) return Error(ErrorCode::kInvalidArgument, "NATS options: " + NatsError(s));
    s = natsConnection_Connect(&nc_, opts_);
    if (s != NATS_OK) return Error(ErrorCode::kIo, "cannot connect to " + o.url + ": " + NatsError(s));
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = timeout_ms_;
    s = natsConnection_JetStream(&js_, nc_, &jo);
    if (s != NATS_OK) return Error(ErrorCode::kIo, "JetStream: " + NatsError(s));
    return Status::Ok();
  }
  jsCtx* js() { return js_; }
  jsOptions Opts() {
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = timeout_ms_;
    return jo;
  }

  // Publishes with a Nats-Msg-Id and waits for the stream's ack (retried
  // while a cluster elects a new leader).
  Status Publish(const std::string& subject, const std::string& id, std::string_view data) {
    natsStatus s = NATS_OK;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    for (int attempt = 0; attempt < 20; ++attempt) {
      natsMsg* m = nullptr;
      s = natsMsg_Create(&m, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
      if (s == NATS_OK) s = natsMsgHeader_Set(m, "Nats-Msg-Id", id.c_str());
      jsPubAck* pa = nullptr;
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MaxWait = timeout_ms_;
      jerr = static_cast<jsErrCode>(0);
      if (s == NATS_OK) s = js_PublishMsg(&pa, js_, m, &po, &jerr);
      if (pa) jsPubAck_Destroy(pa);
      natsMsg_Destroy(m);
      if (s == NATS_OK) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return Error(ErrorCode::kIo, "publish to " + subject + ": " + NatsError(s, jerr));
  }

 private:
  natsOptions* opts_ = nullptr;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  int timeout_ms_ = 5000;
};

std::string WorkSubject(const NatsOptions& o, const std::string& job) { return o.stream + ".work." + job; }
std::string ResultsStream(const NatsOptions& o) { return o.stream + "_RESULTS"; }
// The server's advisory when an item reached max_deliver without an ack.
std::string MaxDeliveriesSubject(const NatsOptions& o) {
  return "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + o.stream + "." + kConsumer;
}

// Creates the two streams and the workers' consumer when they do not exist
// (an existing one is used as it is).
Status EnsureStreams(Nats& n, const NatsOptions& o, const SubmitOptions& so) {
  jsOptions jo = n.Opts();
  const std::string work_subj = o.stream + ".work.*";
  const std::string res = o.stream + ".res.*.*";  // NAME.res.<job>.{result,dead,job}
  const std::string advisory = MaxDeliveriesSubject(o);
  const std::string results = ResultsStream(o);
  for (int which = 0; which < 2; ++which) {
    const char* subjects[2];
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    if (which == 0) {
      sc.Name = o.stream.c_str();
      subjects[0] = work_subj.c_str();
      sc.SubjectsLen = 1;
      sc.Retention = js_WorkQueuePolicy;
    } else {
      sc.Name = results.c_str();
      subjects[0] = res.c_str();
      subjects[1] = advisory.c_str();  // kept, so collect sees items whose worker died each time
      sc.SubjectsLen = 2;
      sc.Retention = js_LimitsPolicy;
    }
    sc.Subjects = subjects;
    sc.Storage = js_FileStorage;
    sc.Replicas = so.replicas;
    sc.Duplicates = kDuplicateWindowNs;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    jsStreamInfo* si = nullptr;
    natsStatus s = js_AddStream(&si, n.js(), &sc, &jo, &jerr);
    if (si) jsStreamInfo_Destroy(si);
    if (s != NATS_OK && jerr != JSStreamNameExistErr)
      return Error(ErrorCode::kIo, std::string("stream ") + sc.Name + ": " + NatsError(s, jerr));
  }
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = kConsumer;
  cc.AckPolicy = js_AckExplicit;
  cc.AckWait = static_cast<int64_t>(so.ack_wait_s) * 1000000000LL;
  cc.MaxDeliver = so.max_deliver;
  cc.FilterSubject = work_subj.c_str();
  // An existing consumer is kept as it is (a create request with another
  // ack_wait would update it under running workers).
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (js_GetConsumerInfo(&ci, n.js(), o.stream.c_str(), kConsumer, &jo, &jerr) == NATS_OK && ci) {
    if (ci->Config->AckWait != cc.AckWait || ci->Config->MaxDeliver != cc.MaxDeliver)
      Log("consumer " + o.stream + "/" + kConsumer + " exists: its ack_wait " +
          std::to_string(ci->Config->AckWait / 1000000000LL) + " s and max_deliver " +
          std::to_string(ci->Config->MaxDeliver) + " are kept (--ack-wait/--max-deliver apply to a new consumer)");
    jsConsumerInfo_Destroy(ci);
    return Status::Ok();
  }
  jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddConsumer(&ci, n.js(), o.stream.c_str(), &cc, &jo, &jerr);
  if (ci) jsConsumerInfo_Destroy(ci);
  if (s != NATS_OK) return Error(ErrorCode::kIo, std::string("consumer ") + kConsumer + ": " + NatsError(s, jerr));
  return Status::Ok();
}

bool ValidJob(const std::string& j) {
  if (j.empty() || j.size() > 64) return false;
  for (char c : j)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

std::string NewJobId() {
  char b[64];
  std::snprintf(b, sizeof b, "j%lx%04x", static_cast<unsigned long>(std::time(nullptr)),
                static_cast<unsigned>(getpid()) & 0xffff);
  return b;
}

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

// Header of a result part: the first line of its payload.
struct PartHeader {
  size_t item = 0, part = 0, parts = 1;
  std::vector<std::string> errors;  // masked; part 0 only
};

}  // namespace

int RunSubmit(std::shared_ptr<const Scanner> scanner, const BatchOptions& b, const SubmitOptions& o) {
  const KeyedHasher* hasher = b.settings->hasher.get();  // loaded once, with the settings
  IdentifierMasker masker(*scanner, *hasher);
  const std::string job = o.job.empty() ? NewJobId() : o.job;
  if (!ValidJob(job)) return Log("--job: letters, digits, '-' and '_' only (up to 64)"), 2;
  if (o.ack_wait_s < 1 || o.max_deliver < 1 || o.replicas < 1)
    return Log("--ack-wait, --max-deliver and --replicas must be at least 1"), 2;
  std::vector<std::string> errors;
  auto error = [&](const std::string& e) {
    std::string shown = masker.Mask(e);
    Log(shown);
    errors.push_back(shown);
  };
  for (const auto& p : b.paths)
    if (p == "-") return Log("submit: stdin cannot be shared with workers; give files"), 2;
  std::vector<Input> files = ExpandInputs(b.paths, b.settings->input, error);
  // One item per file, or per record-aligned range of a large JSONL, mbox
  // or text file (work_items.h, as batch --jobs splits them).
  std::vector<Input> inputs = SplitWorkItems(files, WorkRangeBytes(), b.settings->mail_limits.max_message_bytes);
  Nats n;
  if (Status s = n.Connect(o.nats); !s.ok()) return Log(s.message()), 2;
  if (Status s = EnsureStreams(n, o.nats, o); !s.ok()) return Log(s.message()), 2;
  const std::string subject = WorkSubject(o.nats, job);
  uint64_t bytes = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Input& in = inputs[i];
    bytes += in.size;
    std::string item = "{\"job\":" + JsonStr(job) + ",\"item\":" + std::to_string(i) + ",\"path\":" +
                       JsonStr(in.path) + ",\"format\":" + JsonStr(InputFormatName(in.format)) +
                       ",\"size\":" + std::to_string(in.size);
    if (in.end > 0)  // a range: the worker scans [begin, end) only
      item += ",\"begin\":" + std::to_string(in.begin) + ",\"end\":" + std::to_string(in.end) +
              ",\"first_line\":" + std::to_string(in.first_line) +
              ",\"records_before\":" + std::to_string(in.records_before);
    if (in.member > 0)  // an archive member: the worker scans that entry only
      item += ",\"member\":" + std::to_string(in.member) + ",\"member_size\":" + std::to_string(in.member_size);
    item += "}";
    if (Status s = n.Publish(subject, job + "/" + std::to_string(i), item); !s.ok()) return Log(s.message()), 2;
  }
  // The manifest last: a collector waits for it, so a submit that died
  // half-way never looks like a finished job.
  std::string manifest = "{\"job\":" + JsonStr(job) + ",\"items\":" + std::to_string(inputs.size()) +
                         ",\"inputs\":" + std::to_string(files.size()) +
                         ",\"bytes\":" + std::to_string(bytes) + ",\"errors\":[";
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i) manifest += ',';
    AppendJsonString(manifest, errors[i]);
  }
  manifest += "]}";
  if (Status s = n.Publish(o.nats.stream + ".res." + job + ".job", job + "/manifest", manifest); !s.ok())
    return Log(s.message()), 2;
  if (!b.quiet) Log("job " + job + ": " + std::to_string(inputs.size()) + " items, " + std::to_string(bytes) + " bytes");
  std::printf("%s\n", job.c_str());
  return errors.empty() ? 0 : 2;
}

int RunWorker(std::shared_ptr<const Scanner> scanner, const BatchOptions& b, const WorkerOptions& o) {
  if (b.settings->random_key)
    return Log("worker: needs the job's key (--key-file or $NORDPII_KEY): a random key would give each worker "
               "different hashes"), 2;
  const KeyedHasher* hasher = b.settings->hasher.get();  // loaded once, with the settings
  std::string me = "worker";
  if (!o.name.empty()) me += " " + o.name;
  struct sigaction sa{};
  sa.sa_handler = OnSignal;
  sa.sa_flags = SA_RESTART;  // reads of the item in hand go on; the loop checks g_stop
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  auto ctx = scanner->NewContext(*hasher, b.settings->reference_date);
  InputScanners scanners(*ctx, b.settings->mail_limits, b.settings->tickets);
  IdentifierMasker masker(*scanner, *hasher);        // paths, ids in findings lines
  IdentifierMasker error_masker(*scanner, *hasher);  // error messages

  Nats n;
  if (Status s = n.Connect(o.nats); !s.ok()) return Log(me + ": " + s.message()), 2;
  // Fault injection for the tests: on its first delivery, an item whose
  // path contains $NORDPII_TEST_WORKER_SLEEP is held for
  // $NORDPII_TEST_WORKER_SLEEP_S seconds (default: until killed) with
  // heartbeats going, before its results are published.
  const char* sleep_on = std::getenv("NORDPII_TEST_WORKER_SLEEP");
  const char* sleep_s_env = std::getenv("NORDPII_TEST_WORKER_SLEEP_S");
  const int sleep_s = sleep_s_env ? std::atoi(sleep_s_env) : 0;
  const char* die_on = std::getenv("NORDPII_TEST_WORKER_DIE_BEFORE_ACK");
  // ... and on every delivery of an item whose path contains
  // $NORDPII_TEST_WORKER_CRASH, dies before publishing anything.
  const char* crash_on = std::getenv("NORDPII_TEST_WORKER_CRASH");

  natsSubscription* sub = nullptr;
  int64_t ack_wait_ns = 30LL * 1000000000LL;
  int64_t max_deliver = 3;
  auto idle_since = std::chrono::steady_clock::now();
  auto idle_over = [&] {
    return o.idle_exit_s > 0 &&
           std::chrono::steady_clock::now() - idle_since > std::chrono::seconds(o.idle_exit_s);
  };
  // The consumer is made by the first submit: wait for it (and for a
  // cluster to elect its leader after a node is lost).
  while (!g_stop && !sub) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = o.nats.stream.c_str();
    so.Consumer = kConsumer;
    jsOptions jo = n.Opts();
    jsErrCode jerr = static_cast<jsErrCode>(0);
    jsConsumerInfo* ci = nullptr;
    natsStatus s = js_GetConsumerInfo(&ci, n.js(), o.nats.stream.c_str(), kConsumer, &jo, &jerr);
    if (s == NATS_OK && ci) {
      if (ci->Config->AckWait > 0) ack_wait_ns = ci->Config->AckWait;
      if (ci->Config->MaxDeliver > 0) max_deliver = ci->Config->MaxDeliver;
      jsConsumerInfo_Destroy(ci);
      std::string subj = o.nats.stream + ".work.*";
      s = js_PullSubscribe(&sub, n.js(), subj.c_str(), kConsumer, &jo, &so, &jerr);
      if (s == NATS_OK) break;
    }
    sub = nullptr;
    if (idle_over()) return Log(me + ": no consumer " + o.nats.stream + "/" + kConsumer + ": " + NatsError(s, jerr)), 2;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (!sub) return 0;
  if (!b.quiet) Log(me + ": ready");
  size_t done_items = 0;
  int rc = 0;
  while (!g_stop) {
    natsMsgList list{};
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = natsSubscription_Fetch(&list, sub, 1, 1000, &jerr);
    if (s != NATS_OK || list.Count == 0) {
      natsMsgList_Destroy(&list);
      if (s != NATS_TIMEOUT && s != NATS_OK) {
        Log(me + ": fetch: " + NatsError(s, jerr));  // a node restarting: keep trying
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
      if (idle_over()) break;
      continue;
    }
    natsMsg* msg = list.Msgs[0];
    jsMsgMetaData* meta = nullptr;
    uint64_t delivered = 1;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK && meta) {
      delivered = meta->NumDelivered;
      jsMsgMetaData_Destroy(meta);
    }
    std::string job, path, format;
    size_t item = 0;
    uint64_t size = 0;
    uint64_t begin = 0, end = 0, first_line = 1, records_before = 0, member = 0, member_size = 0;
    try {
      auto j = nlohmann::json::parse(std::string_view(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))));
      job = j.at("job").get<std::string>();
      item = j.at("item").get<size_t>();
      path = j.at("path").get<std::string>();
      format = j.at("format").get<std::string>();
      size = j.at("size").get<uint64_t>();
      if (j.contains("end")) {  // a range of the file
        begin = j.at("begin").get<uint64_t>();
        end = j.at("end").get<uint64_t>();
        first_line = j.at("first_line").get<uint64_t>();
        records_before = j.at("records_before").get<uint64_t>();
        if (end <= begin || first_line < 1) throw std::invalid_argument("range");
      }
      if (j.contains("member")) {
        member = j.at("member").get<uint64_t>();
        member_size = j.at("member_size").get<uint64_t>();
      }
    } catch (const std::exception&) {
      Log(me + ": dropping a malformed work item (not from nordpii submit)");
      natsMsg_Term(msg, nullptr);
      natsMsgList_Destroy(&list);
      continue;
    }
    const std::string tag = "item " + job + "/" + std::to_string(item);
    const std::string results = o.nats.stream + ".res." + job + ".result";
    const std::string id = job + "/" + std::to_string(item);
    // Gives the item back (redelivered after a delay, maybe to another
    // worker), or on its last delivery publishes it to the dead-letter
    // subject with its (masked) error and acknowledges it.
    auto fail = [&](const std::string& why) {
      std::string err = error_masker.Mask(path + ": " + why);
      if (static_cast<int64_t>(delivered) >= max_deliver) {
        std::string dead = "{\"item\":" + std::to_string(item) + ",\"deliveries\":" + std::to_string(delivered) +
                           ",\"error\":" + JsonStr(err) + "}";
        Status st = n.Publish(o.nats.stream + ".res." + job + ".dead", id + "/dead", dead);
        if (st.ok()) {
          natsMsg_AckSync(msg, nullptr, nullptr);
          Log(me + ": " + tag + ": dead-letter after " + std::to_string(delivered) + " deliveries: " + err);
          return;
        }
        Log(me + ": " + tag + ": " + st.message());
      }
      Log(me + ": " + tag + ": delivery " + std::to_string(delivered) + " failed, given back: " + err);
      natsMsg_NakWithDelay(msg, 1000, nullptr);
    };
    idle_since = std::chrono::steady_clock::now();
    // An archive is no --input choice, but submit names it (it was refused
    // here before: archives could not be scanned by workers at all).
    auto fmt = format == InputFormatName(InputFormat::kArchive) ? Result<InputFormat>(InputFormat::kArchive)
                                                                : ParseInputFormat(format);
    if (!fmt) {
      fail("unknown format " + format);
      natsMsgList_Destroy(&list);
      continue;
    }
    // The shared path must be readable here; another worker (another
    // mount) may see it, so this is a retry, then a dead letter.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      fail(std::strerror(errno));
      natsMsgList_Destroy(&list);
      continue;
    }
    ::close(fd);
    // Heartbeats: "in progress" every third of ack_wait while the item is
    // scanned, so a long item is not redelivered; a dead worker stops them.
    std::mutex hb_mu;
    std::condition_variable hb_cv;
    bool hb_stop = false;
    std::thread heartbeat([&] {
      std::unique_lock<std::mutex> l(hb_mu);
      auto every = std::chrono::nanoseconds(std::max<int64_t>(ack_wait_ns / 3, 100000000));
      while (!hb_cv.wait_for(l, every, [&] { return hb_stop; })) natsMsg_InProgress(msg, nullptr);
    });
    auto stop_heartbeat = [&] {
      {
        std::lock_guard<std::mutex> l(hb_mu);
        hb_stop = true;
      }
      hb_cv.notify_all();
      heartbeat.join();
    };
    // Scan: exactly what a batch worker does with one input.
    char* buf = nullptr;
    size_t buf_len = 0;
    std::FILE* f = open_memstream(&buf, &buf_len);
    std::vector<std::string> errors;
    size_t findings = 0;
    if (f) {
      ReportSink sink(f, ReportFormat::kJsonl, false, masker);
      Input in{path, *fmt, size};
      in.begin = begin, in.end = end, in.first_line = first_line, in.records_before = records_before;
      in.member = member, in.member_size = member_size;
      ScanInput(in, scanners, b.filter, sink, b.settings->mail_limits.max_message_bytes,
                [&](const std::string& e) { errors.push_back(error_masker.Mask(e)); });
      findings = sink.count();
      std::fclose(f);
    }
    if (!f) {
      stop_heartbeat();
      fail("out of memory");
      natsMsgList_Destroy(&list);
      continue;
    }
    std::string out(buf, buf_len);
    std::free(buf);
    if (sleep_on && *sleep_on && delivered == 1 && path.find(sleep_on) != std::string::npos) {
      Log(me + ": " + tag + ": test sleep");
      for (int t = 0; sleep_s == 0 || t < sleep_s * 10; ++t) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (crash_on && *crash_on && path.find(crash_on) != std::string::npos) raise(SIGKILL);
    // Parts of at most kPartBytes, cut at line ends.
    std::vector<std::string_view> parts;
    for (size_t at = 0; at < out.size() || parts.empty();) {
      size_t end = std::min(out.size(), at + kPartBytes);
      if (end < out.size()) {
        size_t nl = out.rfind('\n', end - 1);
        end = nl != std::string::npos && nl >= at ? nl + 1 : std::min(out.size(), out.find('\n', end) + 1);
      }
      parts.push_back(std::string_view(out).substr(at, end - at));
      at = end;
      if (at >= out.size()) break;
    }
    Status st = Status::Ok();
    for (size_t p = 0; p < parts.size() && st.ok(); ++p) {
      std::string msgdata = "{\"item\":" + std::to_string(item) + ",\"part\":" + std::to_string(p) +
                            ",\"parts\":" + std::to_string(parts.size()) + ",\"findings\":" + std::to_string(findings) +
                            ",\"errors\":[";
      if (p == 0)
        for (size_t i = 0; i < errors.size(); ++i) {
          if (i) msgdata += ',';
          AppendJsonString(msgdata, errors[i]);
        }
      msgdata += "]}\n";
      msgdata += parts[p];
      st = n.Publish(results, id + "/" + std::to_string(p), msgdata);
    }
    stop_heartbeat();
    // Fault injection for the tests: dies (SIGKILL) on the first delivery of
    // an item whose path contains $NORDPII_TEST_WORKER_DIE_BEFORE_ACK, after
    // its results are published and before the ack: the worst moment (the
    // item is redelivered and its results are published twice).
    if (die_on && *die_on && delivered == 1 && path.find(die_on) != std::string::npos) raise(SIGKILL);
    if (!st.ok()) {
      Log(me + ": " + tag + ": " + st.message() + "; given back");
      natsMsg_NakWithDelay(msg, 1000, nullptr);
    } else {
      jsErrCode aerr = static_cast<jsErrCode>(0);
      natsStatus as = natsMsg_AckSync(msg, nullptr, &aerr);
      if (as != NATS_OK) Log(me + ": " + tag + ": ack: " + NatsError(as, aerr) + " (the item may be redelivered; its results are kept once)");
      ++done_items;
      if (!b.quiet)
        Log(me + ": " + tag + " delivery " + std::to_string(delivered) + ": " + std::to_string(findings) +
            " findings, " + std::to_string(errors.size()) + " errors");
    }
    natsMsgList_Destroy(&list);
  }
  natsSubscription_Destroy(sub);
  if (!b.quiet) Log(me + ": stopped after " + std::to_string(done_items) + " items");
  return rc;
}

int RunCollect(std::shared_ptr<const Scanner> scanner, const BatchOptions& b, const CollectOptions& o) {
  if (!ValidJob(o.job)) return Log("--job: the id printed by submit"), 2;
  const KeyedHasher* hasher = b.settings->hasher.get();  // loaded once, with the settings
  IdentifierMasker masker(*scanner, *hasher);  // paths of items that never got a result
  std::error_code ec;
  fs::create_directories(b.report_dir, ec);
  if (ec) return Log(b.report_dir + ": " + ec.message()), 2;
  Nats n;
  if (Status s = n.Connect(o.nats); !s.ok()) return Log(s.message()), 2;
  const auto t0 = std::chrono::steady_clock::now();
  auto timed_out = [&] {
    return o.timeout_s > 0 && std::chrono::steady_clock::now() - t0 > std::chrono::seconds(o.timeout_s);
  };
  // An ordered consumer over the job's subjects in the results stream:
  // every message from the start, re-created by the client after a gap.
  natsSubscription* sub = nullptr;
  const std::string results = ResultsStream(o.nats);
  const std::string filter = o.nats.stream + ".res." + o.job + ".*";
  // An ordered consumer on `subject` of the results stream, from its start.
  auto subscribe_ordered = [&](natsSubscription** out, const std::string& subject, jsErrCode* jerr) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = results.c_str();
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverAll;
    jsOptions jo = n.Opts();
    *jerr = static_cast<jsErrCode>(0);
    return js_SubscribeSync(out, n.js(), subject.c_str(), &jo, &so, jerr);
  };
  while (!sub) {
    jsErrCode jerr;
    natsStatus s = subscribe_ordered(&sub, filter, &jerr);
    if (s == NATS_OK) break;
    sub = nullptr;
    if (timed_out()) return Log("collect: " + results + ": " + NatsError(s, jerr)), 2;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  // The max-deliveries advisories: an item whose worker crashed or hung on
  // every delivery (so no worker published a dead letter for it).
  natsSubscription* adv = nullptr;
  {
    jsErrCode jerr;
    if (subscribe_ordered(&adv, MaxDeliveriesSubject(o.nats), &jerr) != NATS_OK) {
      adv = nullptr;
      Log("collect: no max-deliveries advisories in " + results + " (made by an older nordpii?): items whose "
          "worker crashed on every delivery show as missing");
    }
  }
  std::optional<size_t> total;
  uint64_t total_bytes = 0;
  size_t total_inputs = 0;
  std::vector<std::string> submit_errors;
  struct ItemResult {
    std::vector<std::optional<std::string>> parts;
    size_t have = 0;
    std::vector<std::string> errors;
    bool complete() const { return !parts.empty() && have == parts.size(); }
  };
  std::map<size_t, ItemResult> got;
  std::map<size_t, std::string> dead;
  size_t duplicates = 0, finished = 0;
  auto is_done = [&](size_t i) {
    auto it = got.find(i);
    return (it != got.end() && it->second.complete()) || dead.count(i);
  };
  bool tty = isatty(STDERR_FILENO);
  auto last_line = t0;
  auto show = [&](bool force) {
    if (b.quiet) return;
    auto now = std::chrono::steady_clock::now();
    if (!tty && !force && now - last_line < std::chrono::seconds(10)) return;
    last_line = now;
    size_t t = total.value_or(0);
    double secs = std::chrono::duration<double>(now - t0).count();
    char line[200];
    std::snprintf(line, sizeof line, "%zu/%s items, %zu dead-letter, %.0f s", finished,
                  total ? std::to_string(t).c_str() : "?", dead.size(), secs);
    if (tty) {
      int w = t ? static_cast<int>(30.0 * static_cast<double>(finished) / static_cast<double>(t)) : 0;
      std::fprintf(stderr, "\r[%.*s%*s] %s", w, "##############################", 30 - w, "", line);
    } else {
      std::fprintf(stderr, "nordpii: collect: %s\n", line);
    }
  };
  bool complete = false;
  while (!complete) {
    natsMsg* am = nullptr;
    while (adv && natsSubscription_NextMsg(&am, adv, 1) == NATS_OK && am) {
      try {
        auto a = nlohmann::json::parse(std::string_view(natsMsg_GetData(am), static_cast<size_t>(natsMsg_GetDataLength(am))));
        uint64_t seq = a.at("stream_seq").get<uint64_t>(), deliveries = a.at("deliveries").get<uint64_t>();
        natsMsg* wm = nullptr;
        jsOptions jo = n.Opts();
        if (js_GetMsg(&wm, n.js(), o.nats.stream.c_str(), seq, &jo, nullptr) == NATS_OK && wm) {
          auto w = nlohmann::json::parse(std::string_view(natsMsg_GetData(wm), static_cast<size_t>(natsMsg_GetDataLength(wm))));
          size_t item = w.at("item").get<size_t>();
          if (w.at("job").get<std::string>() == o.job && !dead.count(item)) {
            bool was = is_done(item);
            dead[item] = masker.Mask(w.at("path").get<std::string>()) + ": no result after " + std::to_string(deliveries) +
                         " deliveries (its workers crashed or hung; dead-letter)";
            if (!was && is_done(item)) ++finished;
          }
          natsMsg_Destroy(wm);
        }
      } catch (const std::exception&) {
        Log("collect: skipped a malformed advisory");
      }
      natsMsg_Destroy(am);
      am = nullptr;
    }
    natsMsg* m = nullptr;
    natsStatus s = natsSubscription_NextMsg(&m, sub, 500);
    if (s == NATS_OK && m) {
      std::string subj = natsMsg_GetSubject(m);
      std::string_view data(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
      std::string kind = subj.substr(subj.rfind('.') + 1);
      try {
        if (kind == "job") {
          auto j = nlohmann::json::parse(data);
          total = j.at("items").get<size_t>();
          total_bytes = j.at("bytes").get<uint64_t>();
          // Input files (items are files or ranges of them); older submits: items.
          total_inputs = j.contains("inputs") ? j.at("inputs").get<size_t>() : *total;
          submit_errors = j.at("errors").get<std::vector<std::string>>();
        } else if (kind == "result") {
          size_t nl = data.find('\n');
          auto h = nlohmann::json::parse(data.substr(0, nl));
          size_t item = h.at("item").get<size_t>(), part = h.at("part").get<size_t>(),
                 parts = h.at("parts").get<size_t>();
          ItemResult& r = got[item];
          bool was = is_done(item);
          if (r.parts.empty()) r.parts.resize(parts);
          if (part >= r.parts.size() || parts != r.parts.size() || r.parts[part]) {
            ++duplicates;  // a redelivered item's results: kept once
          } else {
            r.parts[part] = std::string(nl == std::string_view::npos ? std::string_view() : data.substr(nl + 1));
            ++r.have;
            if (part == 0) r.errors = h.at("errors").get<std::vector<std::string>>();
          }
          if (!was && is_done(item)) ++finished;
        } else if (kind == "dead") {
          auto j = nlohmann::json::parse(data);
          size_t item = j.at("item").get<size_t>();
          bool was = is_done(item);
          if (dead.count(item)) ++duplicates;
          else dead[item] = j.at("error").get<std::string>() + " (dead-letter after " +
                            std::to_string(j.at("deliveries").get<uint64_t>()) + " deliveries)";
          if (!was && is_done(item)) ++finished;
        }
      } catch (const std::exception&) {
        Log("collect: skipped a malformed message on " + subj);
      }
      natsMsg_Destroy(m);
    } else if (s != NATS_TIMEOUT) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // reconnecting
    }
    if (total && finished >= *total) {
      complete = true;
      for (size_t i = 0; i < *total && complete; ++i) complete = is_done(i);
    }
    show(false);
    if (!complete && timed_out()) break;
  }
  natsSubscription_Destroy(sub);
  if (adv) natsSubscription_Destroy(adv);
  show(true);
  if (!b.quiet && tty) std::fprintf(stderr, "\n");
  std::vector<std::string> errors = submit_errors;
  if (!total) {
    errors.push_back("job " + o.job + ": no manifest after " + std::to_string(o.timeout_s) + " s (not submitted, or submit did not finish)");
    total = 0;
  }
  // findings.jsonl in item order (batch's order is its threads'; the lines
  // are the same).
  auto out = OutputFile::Open(b.report_dir + "/findings.jsonl");
  if (!out) return Log(out.error().message()), 2;
  for (size_t i = 0; i < *total; ++i) {
    auto it = got.find(i);
    if (it != got.end() && it->second.complete()) {
      for (auto& p : it->second.parts)
        if (Status st = (*out)->Write(*p); !st.ok()) return Log(st.message()), 2;
      for (auto& e : it->second.errors) errors.push_back(e);
    } else if (auto d = dead.find(i); d != dead.end()) {
      errors.push_back(d->second);
    } else {
      errors.push_back("item " + std::to_string(i) + " of job " + o.job + ": no result (timed out)");
    }
  }
  if (Status st = (*out)->Commit(); !st.ok()) return Log(st.message()), 2;
  size_t found = 0;
  if (Status st = WriteBatchReport(b.report_dir, errors, total_inputs, total_bytes, b.retention_days, b.date_field, b.today, &found);
      !st.ok())
    return Log(st.message()), 2;
  for (const auto& e : errors) Log(e);
  if (!b.quiet)
    Log("collect: job " + o.job + ": " + std::to_string(*total) + " items, " + std::to_string(found) + " findings, " +
        std::to_string(dead.size()) + " dead-letter, " + std::to_string(duplicates) +
        " duplicate result messages dropped; report in " + b.report_dir);
  if (!errors.empty()) return 2;
  return found ? 1 : 0;
}

}  // namespace nordpii
