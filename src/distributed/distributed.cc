// SPDX-License-Identifier: Apache-2.0
#include "distributed/distributed.h"

#include <fcntl.h>
#include <nats/nats.h>
#include <openssl/evp.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
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
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "batch/input_scan.h"
#include "core/utf8.h"
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

std::string HexBytes(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string o;
  for (unsigned char c : s) o += {kHex[c >> 4], kHex[c & 15]};
  return o;
}

// HexBytes' inverse; throws on anything else (a malformed item).
std::string BytesFromHex(std::string_view h) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw std::invalid_argument("path_hex");
  };
  if (h.size() % 2 != 0) throw std::invalid_argument("path_hex");
  std::string o;
  for (size_t i = 0; i < h.size(); i += 2) o.push_back(static_cast<char>(nibble(h[i]) * 16 + nibble(h[i + 1])));
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
  void Flush() { natsConnection_FlushTimeout(nc_, 2000); }
  // False while the client is reconnecting (the broker is unreachable).
  bool Connected() { return nc_ && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED; }
  jsOptions Opts() {
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = timeout_ms_;
    return jo;
  }

  // Publishes with a Nats-Msg-Id and waits for the stream's ack (retried
  // while a cluster elects a new leader).
  // An empty id: no Nats-Msg-Id; `rollup`: Nats-Rollup: sub (the message
  // replaces the earlier ones on its subject: object-store metadata).
  Status Publish(const std::string& subject, const std::string& id, std::string_view data, bool rollup = false) {
    natsStatus s = NATS_OK;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    for (int attempt = 0; attempt < 20; ++attempt) {
      natsMsg* m = nullptr;
      s = natsMsg_Create(&m, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
      if (s == NATS_OK && !id.empty()) s = natsMsgHeader_Set(m, "Nats-Msg-Id", id.c_str());
      if (s == NATS_OK && rollup) s = natsMsgHeader_Set(m, "Nats-Rollup", "sub");
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

// ---------------------------------------------------------------------------
// JetStream object store, as the NATS clients (nats.go, nats.py, the `nats`
// CLI) lay it out — libnats 3.4 has no object-store API, so the protocol is
// written here on plain JetStream calls, and a bucket made by `submit
// --upload` can be listed and read with `nats object ls/get`:
//   stream OBJ_<bucket>, subjects $O.<bucket>.C.> and $O.<bucket>.M.>,
//   rollup and direct get allowed, discard new;
//   an object's chunks (128 KiB) on $O.<bucket>.C.<nuid>;
//   its metadata (JSON: name, bucket, nuid, size, chunks, mtime,
//   digest "SHA-256=<base64url>") on $O.<bucket>.M.<base64url(name)>,
//   published last with Nats-Rollup: sub (replacing an earlier version).
constexpr size_t kChunkBytes = 128 << 10;

std::string Base64Url(const unsigned char* p, size_t n) {  // padded, as Go's base64.URLEncoding
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string o;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = static_cast<uint32_t>(p[i]) << 16;
    if (i + 1 < n) v |= static_cast<uint32_t>(p[i + 1]) << 8;
    if (i + 2 < n) v |= p[i + 2];
    o += k[(v >> 18) & 63];
    o += k[(v >> 12) & 63];
    o += i + 1 < n ? k[(v >> 6) & 63] : '=';
    o += i + 2 < n ? k[v & 63] : '=';
  }
  return o;
}

// SHA-256 (OpenSSL), the object digest.
class Sha256 {
 public:
  Sha256() : c_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(c_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(c_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* p, size_t n) { EVP_DigestUpdate(c_, p, n); }
  std::string Digest() {  // "SHA-256=<base64url>"
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(c_, md, &len);
    return "SHA-256=" + Base64Url(md, len);
  }

 private:
  EVP_MD_CTX* c_;
};

std::string ObjStream(const std::string& bucket) { return "OBJ_" + bucket; }
std::string ObjMetaSubject(const std::string& bucket, const std::string& name) {
  return "$O." + bucket + ".M." + Base64Url(reinterpret_cast<const unsigned char*>(name.data()), name.size());
}

std::string NewNuid() {  // 22 random base62 characters, as a NUID
  static const char* k = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  unsigned char r[22];
  if (getrandom(r, sizeof r, 0) != static_cast<ssize_t>(sizeof r))
    for (auto& c : r) c = static_cast<unsigned char>(std::rand());
  std::string o;
  for (unsigned char c : r) o += k[c % 62];
  return o;
}

Status EnsureBucket(Nats& n, const std::string& bucket, int replicas) {
  jsOptions jo = n.Opts();
  const std::string name = ObjStream(bucket), chunks = "$O." + bucket + ".C.>", meta = "$O." + bucket + ".M.>";
  const char* subjects[2] = {chunks.c_str(), meta.c_str()};
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = name.c_str();
  sc.Subjects = subjects;
  sc.SubjectsLen = 2;
  sc.Storage = js_FileStorage;
  sc.Replicas = replicas;
  sc.Discard = js_DiscardNew;
  sc.AllowRollup = true;
  sc.AllowDirect = true;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  jsStreamInfo* si = nullptr;
  natsStatus s = js_AddStream(&si, n.js(), &sc, &jo, &jerr);
  if (si) jsStreamInfo_Destroy(si);
  if (s != NATS_OK && jerr != JSStreamNameExistErr)
    return Error(ErrorCode::kIo, "object store " + bucket + ": " + NatsError(s, jerr));
  return Status::Ok();
}

// The metadata of an object, or nullopt when there is none (or it was deleted).
std::optional<nlohmann::json> ObjectInfo(Nats& n, const std::string& bucket, const std::string& name) {
  natsMsg* m = nullptr;
  jsOptions jo = n.Opts();
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (js_GetLastMsg(&m, n.js(), ObjStream(bucket).c_str(), ObjMetaSubject(bucket, name).c_str(), &jo, &jerr) != NATS_OK ||
      !m)
    return std::nullopt;
  std::optional<nlohmann::json> info;
  try {
    auto j = nlohmann::json::parse(std::string_view(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m))));
    if (!j.value("deleted", false)) info = std::move(j);
  } catch (const std::exception&) {
  }
  natsMsg_Destroy(m);
  return info;
}

// "" when `path` opens (non-blocking: a FIFO never blocks) as a regular
// file, else why not.
std::string CheckRegularFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::strerror(errno);
  struct stat st{};
  std::string why;
  if (::fstat(fd, &st) != 0) why = std::strerror(errno);
  else if (!S_ISREG(st.st_mode)) why = "not a regular file (FIFO, socket or device); not scanned";
  ::close(fd);
  return why;
}

// Puts the file at `path` as object `name` (unless an object of that name
// with the same size and digest is there: a resubmit uploads nothing).
Status PutObject(Nats& n, const std::string& bucket, const std::string& name, const std::string& path) {
  // Non-blocking and regular files only: open() of a FIFO waits for a writer.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error(ErrorCode::kIo, path + ": " + std::strerror(errno));
  if (struct stat st{}; ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error(ErrorCode::kInvalidArgument, path + ": not a regular file (FIFO, socket or device); not uploaded");
  }
  // The digest first (a second read; the object is only published when
  // it is not there already).
  Sha256 sha;
  std::string buf(kChunkBytes, '\0');
  uint64_t size = 0, chunks = 0;
  for (;;) {
    ssize_t r = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(size));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      ::close(fd);
      return Error(ErrorCode::kIo, path + ": " + std::strerror(errno));
    }
    if (r == 0) break;
    sha.Update(buf.data(), static_cast<size_t>(r));
    size += static_cast<uint64_t>(r);
    ++chunks;
  }
  const std::string digest = sha.Digest();
  if (auto old = ObjectInfo(n, bucket, name);
      old && old->value("size", uint64_t{0}) == size && old->value("digest", std::string()) == digest) {
    ::close(fd);
    return Status::Ok();
  }
  const std::string nuid = NewNuid(), subject = "$O." + bucket + ".C." + nuid;
  uint64_t at = 0;
  for (uint64_t c = 0; c < chunks; ++c) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, size - at)), got = 0;
    while (got < want) {
      ssize_t r = ::pread(fd, buf.data() + got, want - got, static_cast<off_t>(at + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        ::close(fd);
        return Error(ErrorCode::kIo, path + ": changed while it was uploaded");
      }
      got += static_cast<size_t>(r);
    }
    if (Status s = n.Publish(subject, nuid + "/" + std::to_string(c), std::string_view(buf.data(), want)); !s.ok()) {
      ::close(fd);
      return s;
    }
    at += want;
  }
  ::close(fd);
  char mtime[40];
  std::time_t now = std::time(nullptr);
  std::strftime(mtime, sizeof mtime, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  nlohmann::json info = {{"name", name},     {"bucket", bucket}, {"nuid", nuid},   {"size", size},
                         {"chunks", chunks}, {"mtime", mtime},   {"digest", digest},
                         {"options", {{"max_chunk_size", kChunkBytes}}}};
  return n.Publish(ObjMetaSubject(bucket, name), "", info.dump(), true);
}

// Reads object `name` into the file descriptor `fd` (checking its size and
// digest).
Status GetObject(Nats& n, const std::string& bucket, const std::string& name, int fd) {
  auto info = ObjectInfo(n, bucket, name);
  if (!info) return Error(ErrorCode::kNotFound, "object " + name + " not in bucket " + bucket);
  uint64_t size = 0, chunks = 0;
  std::string nuid, digest;
  try {
    size = info->at("size").get<uint64_t>();
    chunks = info->at("chunks").get<uint64_t>();
    nuid = info->at("nuid").get<std::string>();
    digest = info->at("digest").get<std::string>();
  } catch (const std::exception&) {
    return Error(ErrorCode::kIo, "object " + name + ": malformed metadata");
  }
  Sha256 sha;
  uint64_t got = 0;
  if (chunks > 0) {
    natsSubscription* sub = nullptr;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    const std::string stream = ObjStream(bucket), subject = "$O." + bucket + ".C." + nuid;
    so.Stream = stream.c_str();
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverAll;
    jsOptions jo = n.Opts();
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_SubscribeSync(&sub, n.js(), subject.c_str(), &jo, &so, &jerr);
    if (s != NATS_OK) return Error(ErrorCode::kIo, "object " + name + ": " + NatsError(s, jerr));
    Status st = Status::Ok();
    for (uint64_t c = 0; c < chunks && st.ok(); ++c) {
      natsMsg* m = nullptr;
      s = natsSubscription_NextMsg(&m, sub, 10000);
      if (s != NATS_OK || !m) {
        st = Error(ErrorCode::kIo, "object " + name + ": chunk " + std::to_string(c) + ": " + NatsError(s));
        break;
      }
      const char* d = natsMsg_GetData(m);
      size_t len = static_cast<size_t>(natsMsg_GetDataLength(m));
      sha.Update(d, len);
      got += len;
      for (size_t w = 0; w < len && st.ok();) {
        ssize_t r = ::write(fd, d + w, len - w);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) st = Error(ErrorCode::kIo, std::string("spool: ") + std::strerror(errno));
        else w += static_cast<size_t>(r);
      }
      natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(sub);
    if (!st.ok()) return st;
  }
  if (got != size || sha.Digest() != digest)
    return Error(ErrorCode::kIo, "object " + name + ": size or digest differs from its metadata");
  return Status::Ok();
}

// Deletes an object: its chunks and its metadata (purged; a rollup with
// "deleted": true is what the Go client leaves, a purge leaves nothing).
void DeleteObject(Nats& n, const std::string& bucket, const std::string& name) {
  auto info = ObjectInfo(n, bucket, name);
  if (!info) return;
  for (const std::string& subject : {"$O." + bucket + ".C." + info->value("nuid", std::string("-")),
                                     ObjMetaSubject(bucket, name)}) {
    jsOptions jo = n.Opts();
    jo.Stream.Purge.Subject = subject.c_str();
    js_PurgeStream(n.js(), ObjStream(bucket).c_str(), &jo, nullptr);
  }
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

// The extension of `path` when it is short letters and digits (kept on a
// spool file: the document readers look at it), else "".
std::string SafeExtension(const std::string& path) {
  std::string e = fs::path(path).extension().string();
  if (e.size() < 2 || e.size() > 11) return "";
  bool letter = false;
  for (size_t i = 1; i < e.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(e[i]);
    if (!std::isalnum(c)) return "";
    letter = letter || std::isalpha(c);
  }
  return letter ? e : "";
}

// A private spool directory under `base` (default $TMPDIR or /tmp), made once.
Status MakeSpool(const std::string& base, std::string& dir) {
  if (!dir.empty()) return Status::Ok();
  std::string b = base;
  if (b.empty()) b = std::getenv("TMPDIR") && *std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  std::string templ = b + "/nordpii-spool-XXXXXX";
  if (!mkdtemp(templ.data())) return Error(ErrorCode::kIo, "spool " + b + ": " + std::strerror(errno));
  dir = templ;
  return Status::Ok();
}

// Where the redacted copy of `path` goes below --out-dir: the path as given
// to submit without its root ("/srv/x/a.txt" -> "srv/x/a.txt"); a path that
// would climb out ("..") is refused.
Result<std::string> OutputRelPath(const std::string& path) {
  fs::path p = fs::path(path).lexically_normal().relative_path();
  if (p.empty()) return Error(ErrorCode::kInvalidArgument, "no file name for the redacted copy");
  for (const auto& c : p)
    if (c == "..") return Error(ErrorCode::kInvalidArgument, "the path climbs out of --out-dir (..)");
  return p.string();
}

// Runs `exe redact in -o out --style style args...` and waits; "" when it
// wrote `out`, else why not (its last line on stderr). *transient: it was
// killed by a signal or could not start (the item is given back, not
// reported as not redactable). The child dies with the worker
// (PR_SET_PDEATHSIG), leaving at most a staging file.
std::string RunRedactChild(const std::string& exe, const std::string& in, const std::string& out,
                           const std::string& style, const std::vector<std::string>& args, bool* transient) {
  *transient = true;
  std::vector<std::string> argv = {exe, "redact", in, "-o", out, "--style", style};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> av;
  for (auto& a : argv) av.push_back(a.data());
  av.push_back(nullptr);
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return std::string("fork: ") + std::strerror(errno);
  }
  if (pid == 0) {  // async-signal-safe calls only
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
    }
    dup2(pipefd[1], STDERR_FILENO);
    execv(av[0], av.data());
    _exit(127);
  }
  ::close(pipefd[1]);
  std::string err;
  char b[4096];
  for (;;) {
    ssize_t r = ::read(pipefd[0], b, sizeof b);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (err.size() < (1 << 16)) err.append(b, static_cast<size_t>(r));
  }
  ::close(pipefd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  *transient = !WIFEXITED(status) || WEXITSTATUS(status) == 127;
  // The last line it printed, without "nordpii: ".
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  std::string last = err.substr(err.rfind('\n') == std::string::npos ? 0 : err.rfind('\n') + 1);
  if (last.rfind("nordpii: ", 0) == 0) last.erase(0, 9);
  if (last.empty())
    last = WIFSIGNALED(status) ? "redact died (signal " + std::to_string(WTERMSIG(status)) + ")"
                               : "redact failed (exit " + std::to_string(WEXITSTATUS(status)) + ")";
  return last;
}

bool SameFileBytes(const std::string& a, const std::string& b) {
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  if (!fa || !fb) return false;
  std::vector<char> ba(1 << 16), bb(1 << 16);
  for (;;) {
    fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    fb.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    if (fa.gcount() != fb.gcount()) return false;
    if (std::memcmp(ba.data(), bb.data(), static_cast<size_t>(fa.gcount())) != 0) return false;
    if (fa.gcount() == 0 || !fa || !fb) return !fa == !fb;
  }
}

// Moves the staged copy to `target` without replacing a file there
// (renameat2 RENAME_NOREPLACE, else link + unlink): "" when it is in place
// or the same bytes were there already (a redelivered item), else why not.
// `root`: --out-dir; no directory below it on the way to `target` may be a
// symlink (one planted in a shared --out-dir would send the copy elsewhere).
// Checked after the directories are made: a symlink swapped in later is not
// caught (that would need an openat() walk).
bool NoSymlinkBelow(const std::string& root, const fs::path& dir) {
  std::error_code ec;
  fs::path r = fs::canonical(root, ec);
  if (ec) return false;
  fs::path d = fs::canonical(dir, ec);
  if (ec) return false;
  return d == (r / fs::path(dir).lexically_relative(root)).lexically_normal();
}

std::string PlaceNoReplace(const std::string& root, const std::string& stage, const std::string& target) {
  std::error_code ec;
  fs::create_directories(fs::path(target).parent_path(), ec);
  if (ec) return fs::path(target).parent_path().string() + ": " + ec.message();
  if (!NoSymlinkBelow(root, fs::path(target).parent_path()))
    return fs::path(target).parent_path().string() + ": a symlink below --out-dir; not written";
  int r = renameat2(AT_FDCWD, stage.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE);
  if (r != 0 && (errno == EINVAL || errno == ENOSYS)) {  // a file system without it
    r = ::link(stage.c_str(), target.c_str());
    if (r == 0) ::unlink(stage.c_str());
  }
  if (r == 0) return "";
  if (errno != EEXIST) return target + ": " + std::strerror(errno);
  if (SameFileBytes(stage, target)) return "";
  return target + " exists with other content; not replaced";
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

// Fault injection for the tests (NORDPII_TEST_WORKER_*): compiled only into
// the test binary nordpii-testhooks (CMake: NORDPII_TEST_HOOKS), so the
// installed nordpii ignores these variables.
const char* TestHook(const char* name) {
#ifdef NORDPII_TEST_HOOKS
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
#else
  (void)name;
  return nullptr;
#endif
}

std::string HostName() {
  char h[256] = {};
  if (gethostname(h, sizeof h - 1) != 0 || !*h) return "host";
  std::string o;
  for (const char* c = h; *c; ++c) o += std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' ? *c : '_';
  return o;
}

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

// The report options of a collect: "--retention R --date-field F" as given
// to collect (they come first in batch's order), then the job's scan
// options from its manifest (or collect's own, when the manifest has none).
// Options are "--name value" pairs (values have no spaces: each is checked
// by its option).
std::string MergeReportOptions(const std::string& collect, const std::string& manifest) {
  auto pairs = [](const std::string& s) {
    std::vector<std::pair<std::string, std::string>> o;
    std::istringstream in(s);
    for (std::string k, v; in >> k >> v;) o.emplace_back(k, v);
    return o;
  };
  auto report_own = [](const std::string& k) { return k == "--retention" || k == "--date-field"; };
  std::string out;
  auto add = [&](const std::pair<std::string, std::string>& p) { out += (out.empty() ? "" : " ") + p.first + " " + p.second; };
  for (const auto& p : pairs(collect))
    if (report_own(p.first)) add(p);
  bool from_manifest = false;
  for (const auto& p : pairs(manifest))
    if (!report_own(p.first)) add(p), from_manifest = true;
  if (!from_manifest)
    for (const auto& p : pairs(collect))
      if (!report_own(p.first)) add(p);
  return out;
}

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
  // A FIFO, socket or device named on the command line (batch reads it as a
  // stream): a worker on another machine cannot read it, and opening it
  // could block a worker (or an upload) for ever.
  std::erase_if(files, [&](const Input& in) {
    struct stat st{};
    if (!in.stream && (::stat(in.path.c_str(), &st) != 0 || S_ISREG(st.st_mode))) return false;
    error(in.path + ": not a regular file (FIFO, socket or device); workers cannot read it, not submitted");
    return true;
  });
  // One item per file, or per record-aligned range of a large JSONL, mbox
  // or text file (work_items.h, as batch --jobs splits them).
  // A redaction job or uploaded inputs: whole files only (a redacted copy
  // is one file written by one worker; an uploaded file crosses the broker
  // once, not once per range).
  std::vector<Input> inputs = o.redact || o.upload ? files
                                                   : SplitWorkItems(files, WorkRangeBytes(), b.settings->mail_limits.max_message_bytes);
  const std::string bucket = o.bucket.empty() ? o.nats.stream : o.bucket;
  if (o.upload && !ValidJob(bucket)) return Log("--bucket: letters, digits, '-' and '_' only (up to 64)"), 2;
  Nats n;
  if (Status s = n.Connect(o.nats); !s.ok()) return Log(s.message()), 2;
  if (Status s = EnsureStreams(n, o.nats, o); !s.ok()) return Log(s.message()), 2;
  if (o.upload)
    if (Status s = EnsureBucket(n, bucket, o.replicas); !s.ok()) return Log(s.message()), 2;
  const std::string subject = WorkSubject(o.nats, job);
  // The items first (not yet published), and a digest of them in the
  // manifest: a resubmit of the same job id with other items (a directory
  // that changed, other options) would otherwise mix two lists under one
  // manifest — items beyond the first manifest's count scanned and never
  // reported, items of the same number kept from the first list.
  std::vector<std::string> items;
  Sha256 items_sha;
  uint64_t bytes = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Input& in = inputs[i];
    bytes += in.size;
    std::string item = "{\"job\":" + JsonStr(job) + ",\"item\":" + std::to_string(i) + ",\"path\":" +
                       JsonStr(in.path) + ",\"format\":" + JsonStr(InputFormatName(in.format)) +
                       ",\"size\":" + std::to_string(in.size);
    // JSON strings are UTF-8 (a non-UTF-8 byte is written as U+FFFD): a
    // file name in another encoding also goes as hex bytes, which the
    // worker opens.
    if (!IsValidUtf8(in.path)) item += ",\"path_hex\":" + JsonStr(HexBytes(in.path));
    if (in.end > 0)  // a range: the worker scans [begin, end) only
      item += ",\"begin\":" + std::to_string(in.begin) + ",\"end\":" + std::to_string(in.end) +
              ",\"first_line\":" + std::to_string(in.first_line) +
              ",\"records_before\":" + std::to_string(in.records_before);
    if (in.member > 0)  // an archive member: the worker scans that entry only
      item += ",\"member\":" + std::to_string(in.member) + ",\"member_size\":" + std::to_string(in.member_size);
    if (o.redact) item += ",\"redact\":true,\"style\":" + JsonStr(o.style);
    if (o.upload) {
      const std::string object = job + "/" + std::to_string(i);
      struct stat st{};
      int64_t mtime = ::stat(in.path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_mtime) : -1;
      item += ",\"bucket\":" + JsonStr(bucket) + ",\"object\":" + JsonStr(object) + ",\"mtime\":" + std::to_string(mtime);
    }
    item += "}";
    items_sha.Update(item.data(), item.size());
    items_sha.Update("\n", 1);
    items.push_back(std::move(item));
  }
  const std::string items_digest = items_sha.Digest();
  {
    // A manifest of this job already there: the same items -> nothing to
    // do; other items -> refused (exit 2).
    natsMsg* m = nullptr;
    jsOptions jo = n.Opts();
    jsErrCode jerr = static_cast<jsErrCode>(0);
    const std::string manifest_subject = o.nats.stream + ".res." + job + ".job";
    natsStatus s = js_GetLastMsg(&m, n.js(), ResultsStream(o.nats).c_str(), manifest_subject.c_str(), &jo, &jerr);
    if (s == NATS_OK && m) {
      std::string old_digest;
      try {
        auto j = nlohmann::json::parse(std::string_view(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m))));
        old_digest = j.value("items_digest", std::string());
      } catch (const std::exception&) {
      }
      natsMsg_Destroy(m);
      if (old_digest != items_digest)
        return Log("job " + job + " was submitted before with other items (" +
                   "the inputs or options changed); nothing published: use another --job"), 2;
      if (!b.quiet) Log("job " + job + " was submitted before with the same items; nothing published");
      std::printf("%s\n", job.c_str());
      return errors.empty() ? 0 : 2;
    }
    if (s != NATS_NOT_FOUND && jerr != JSNoMessageFoundErr)
      return Log("job " + job + ": cannot look up its manifest: " + NatsError(s, jerr)), 2;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (o.upload) {
      // The file into the object store (object "<job>/<item>"), then its
      // item; a file that cannot be uploaded stops the submit (exit 2, no
      // manifest: the job is never complete).
      if (Status s = PutObject(n, bucket, job + "/" + std::to_string(i), inputs[i].path); !s.ok())
        return Log(masker.Mask(s.message())), 2;
    }
    if (Status s = n.Publish(subject, job + "/" + std::to_string(i), items[i]); !s.ok()) return Log(s.message()), 2;
  }
  // The manifest last: a collector waits for it, so a submit that died
  // half-way never looks like a finished job.
  std::string manifest = "{\"job\":" + JsonStr(job) + ",\"items\":" + std::to_string(inputs.size()) +
                         ",\"inputs\":" + std::to_string(files.size()) +
                         ",\"bytes\":" + std::to_string(bytes) + (o.upload ? ",\"bucket\":" + JsonStr(bucket) : "") +
                         ",\"items_digest\":" + JsonStr(items_digest) +
                         ",\"options\":" + JsonStr(b.report_options) +
                         ",\"errors\":[";
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
  const char* sleep_on = TestHook("NORDPII_TEST_WORKER_SLEEP");
  const char* sleep_s_env = TestHook("NORDPII_TEST_WORKER_SLEEP_S");
  const int sleep_s = sleep_s_env ? std::atoi(sleep_s_env) : 0;
  const char* die_on = TestHook("NORDPII_TEST_WORKER_DIE_BEFORE_ACK");
  // ... and on every delivery of an item whose path contains
  // $NORDPII_TEST_WORKER_CRASH, dies before publishing anything.
  const char* crash_on = TestHook("NORDPII_TEST_WORKER_CRASH");
  // ... and on every delivery of an item whose path contains
  // $NORDPII_TEST_WORKER_HANG, the scan hangs (a stuck read) until killed.
  const char* hang_on = TestHook("NORDPII_TEST_WORKER_HANG");
  // ... and on the first delivery of an item whose path contains
  // $NORDPII_TEST_WORKER_DIE_AFTER_PART0, dies after publishing part 0 of
  // its results; $NORDPII_TEST_WORKER_PART_BYTES sets the part size.
  const char* die_after_part0 = TestHook("NORDPII_TEST_WORKER_DIE_AFTER_PART0");
  const size_t part_bytes = TestHook("NORDPII_TEST_WORKER_PART_BYTES")
                                ? std::max<size_t>(1, std::strtoull(TestHook("NORDPII_TEST_WORKER_PART_BYTES"), nullptr, 10))
                                : kPartBytes;
  const std::string host = HostName();
  // ... and on the first delivery of a --redact item whose path contains
  // $NORDPII_TEST_WORKER_DIE_MID_REDACT, dies with its copy staged.
  const char* die_mid_redact = TestHook("NORDPII_TEST_WORKER_DIE_MID_REDACT");
  std::string spool_dir;  // made on the first object-store item
  // `nordpii redact` for --redact items: this binary.
  std::string self_exe = "/proc/self/exe";
  {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) self_exe = p.string();
  }

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
  // --item-timeout: default 20 x ack_wait (10 min with the default 30 s).
  const int64_t item_timeout_ns = o.item_timeout_s < 0 ? 20 * ack_wait_ns : o.item_timeout_s * 1000000000LL;
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
    bool redact = false;
    std::string style = "label", bucket, object;
    int64_t mtime = -1;
    try {
      auto j = nlohmann::json::parse(std::string_view(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))));
      job = j.at("job").get<std::string>();
      // The job id names files (spool, DIR/<job>/..., the staging file) and
      // subjects: only what submit makes, on the item's own subject (a
      // "../.." from anyone who can publish to NAME.work.* would write the
      // redacted copy outside --out-dir).
      if (!ValidJob(job) || natsMsg_GetSubject(msg) != WorkSubject(o.nats, job)) throw std::invalid_argument("job");
      item = j.at("item").get<size_t>();
      path = j.contains("path_hex") ? BytesFromHex(j.at("path_hex").get<std::string>())
                                    : j.at("path").get<std::string>();
      // A NUL ends the name open() sees: "/srv/a.txt\0x" would scan
      // /srv/a.txt and report it under another name (never from submit: no
      // file name holds a NUL).
      if (path.empty() || path.find('\0') != std::string::npos) throw std::invalid_argument("path");
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
      redact = j.value("redact", false);
      style = j.value("style", std::string("label"));
      if (style != "label" && style != "mask" && style != "hmac") throw std::invalid_argument("style");
      if (j.contains("object")) {
        bucket = j.at("bucket").get<std::string>();
        object = j.at("object").get<std::string>();
        mtime = j.value("mtime", int64_t{-1});
        if (!ValidJob(bucket)) throw std::invalid_argument("bucket");
      }
      if (redact && (end > 0 || member > 0)) throw std::invalid_argument("a range is not redacted");
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
    // The input: on the shared path, or fetched from the object store into
    // the spool (removed when the item is done, whatever happens).
    std::string local = path;
    struct SpoolFile {
      std::string path;
      ~SpoolFile() {
        if (!path.empty()) ::unlink(path.c_str());
      }
    } spooled;
    // Heartbeats: "in progress" every third of ack_wait while the item is
    // fetched, scanned and redacted, so a long item is not redelivered; a
    // dead worker stops them.
    std::mutex hb_mu;
    std::condition_variable hb_cv;
    bool hb_stop = false;
    // The same thread is the item's watchdog: a scan still running after
    // --item-timeout (a pathological input, a hung NFS read) would keep the
    // item for ever with heartbeats going. The heartbeats stop, the item is
    // given back (or, on its last delivery, dead-lettered with the error:
    // "not scanned" in the report) and the worker exits with status 3 for
    // its supervisor (systemd Restart=on-failure) to start a fresh one: a
    // thread stuck in a read cannot be abandoned in-process, and a child
    // process per item would cost a fork and a copy of the results for
    // every (mostly small) item.
    const std::string masked_path = error_masker.Mask(path);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(item_timeout_ns);
    std::thread heartbeat([&] {
      std::unique_lock<std::mutex> l(hb_mu);
      auto every = std::chrono::nanoseconds(std::max<int64_t>(ack_wait_ns / 3, 100000000));
      for (;;) {
        auto wait = every;
        if (item_timeout_ns > 0)
          wait = std::min<std::chrono::nanoseconds>(
              every, std::max<std::chrono::nanoseconds>(deadline - std::chrono::steady_clock::now(),
                                                        std::chrono::nanoseconds(0)));
        if (hb_cv.wait_for(l, wait, [&] { return hb_stop; })) return;
        if (item_timeout_ns > 0 && std::chrono::steady_clock::now() >= deadline) break;
        natsMsg_InProgress(msg, nullptr);
      }
      // Timed out (the lock is held: the scan thread cannot ack meanwhile).
      const std::string secs = std::to_string(item_timeout_ns / 1000000000LL);
      const std::string err = masked_path + ": not scanned: the scan did not finish within --item-timeout " + secs +
                              " s (a stuck input or storage)";
      bool dead_lettered = false;
      if (static_cast<int64_t>(delivered) >= max_deliver) {
        std::string dead = "{\"item\":" + std::to_string(item) + ",\"deliveries\":" + std::to_string(delivered) +
                           ",\"error\":" + JsonStr(err) + "}";
        if (n.Publish(o.nats.stream + ".res." + job + ".dead", id + "/dead", dead).ok()) {
          natsMsg_AckSync(msg, nullptr, nullptr);
          dead_lettered = true;
        }
      }
      if (!dead_lettered) natsMsg_NakWithDelay(msg, 1000, nullptr);
      n.Flush();
      Log(me + ": " + tag + ": " + err + (dead_lettered ? "; dead-letter" : "; given back") +
          "; the worker exits (status 3) to be restarted by its supervisor");
      std::fflush(nullptr);
      _exit(3);
    });
    auto stop_heartbeat = [&] {
      if (!heartbeat.joinable()) return;
      {
        std::lock_guard<std::mutex> l(hb_mu);
        hb_stop = true;
      }
      hb_cv.notify_all();
      heartbeat.join();
    };
    if (!object.empty()) {
      Status st = MakeSpool(o.spool, spool_dir);
      if (st.ok()) {
        local = spool_dir + "/" + job + "-" + std::to_string(item) + "-" + std::to_string(delivered) + SafeExtension(path);
        int fd = ::open(local.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
          st = Error(ErrorCode::kIo, "spool " + local + ": " + std::strerror(errno));
        } else {
          spooled.path = local;
          st = GetObject(n, bucket, object, fd);
          if (st.ok() && mtime >= 0) {  // the file's time, as on the submitting machine (retention)
            struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
            futimens(fd, ts);
          }
          if (::close(fd) != 0 && st.ok()) st = Error(ErrorCode::kIo, "spool " + local + ": " + std::strerror(errno));
        }
      }
      if (!st.ok()) {
        stop_heartbeat();
        fail(st.message());
        natsMsgList_Destroy(&list);
        continue;
      }
    } else {
      // The shared path must be readable here; another worker (another
      // mount) may see it, so this is a retry, then a dead letter.
      // Non-blocking: a FIFO at the path would block open() for ever (with
      // heartbeats going, the item never comes back).
      const std::string why = CheckRegularFile(path);
      if (!why.empty()) {
        stop_heartbeat();
        fail(why);
        natsMsgList_Destroy(&list);
        continue;
      }
    }
    if (redact && o.out_dir.empty()) {
      stop_heartbeat();
      fail("a --redact job, and this worker has no --out-dir");
      natsMsgList_Destroy(&list);
      continue;
    }
    if (hang_on && path.find(hang_on) != std::string::npos) {
      Log(me + ": " + tag + ": test hang");
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    // Scan: exactly what a batch worker does with one input.
    char* buf = nullptr;
    size_t buf_len = 0;
    std::FILE* f = open_memstream(&buf, &buf_len);
    std::vector<std::string> errors;
    size_t findings = 0;
    if (f) {
      ReportSink sink(f, ReportFormat::kJsonl, false, masker);
      Input in{local, *fmt, size};
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
    // A spooled object was scanned under its spool name (no identifier in
    // it): its findings and errors name the input's path, as batch's do.
    if (local != path) {
      std::string from = JsonStr(local), to = JsonStr(masker.Mask(path));
      ReplaceAll(out, from.substr(1, from.size() - 2), to.substr(1, to.size() - 2));
      for (auto& e : errors) ReplaceAll(e, local, error_masker.Mask(path));
    }
    // Redaction: `nordpii redact` (this binary, the worker's scan options)
    // writes a staging file under DIR/.nordpii-partial, which is then
    // renamed to DIR/<job>/<path> without replacing anything there (each
    // job has its own tree: one pool of workers serves every job); a redelivered
    // item finds its copy there already (same bytes: kept; other bytes: an
    // error). A copy redact refuses (an archive, a PDF...) is an error of
    // the item in the report.
    std::string redacted;
    if (redact) {
      auto rel = OutputRelPath(path);
      std::string stage, why;
      bool transient = false;
      if (!rel) {
        why = rel.error().message();
      } else {
        std::error_code ec;
        const std::string partial = o.out_dir + "/.nordpii-partial";
        fs::create_directories(partial, ec);
        // Host, pid and a random part: workers on several machines may
        // share --out-dir (pids alone collide across machines).
        stage = partial + "/" + job + "." + std::to_string(item) + "." + host + "." + std::to_string(getpid()) + "." +
                NewNuid().substr(0, 10);
        if (ec) why = partial + ": " + ec.message();
        else if (!NoSymlinkBelow(o.out_dir, partial)) why = partial + ": a symlink below --out-dir; not written";
        else why = RunRedactChild(self_exe, local, stage, style, o.redact_args, &transient);
      }
      if (!why.empty() && transient) {  // killed (a stop signal to the group) or not started: given back
        if (!stage.empty()) ::unlink(stage.c_str());
        ReplaceAll(why, local, path);
        stop_heartbeat();
        fail("redact: " + why);
        natsMsgList_Destroy(&list);
        continue;
      }
      if (why.empty() && die_mid_redact && *die_mid_redact && delivered == 1 && path.find(die_mid_redact) != std::string::npos)
        raise(SIGKILL);  // fault injection: killed with the copy staged, not in place
      if (why.empty()) why = PlaceNoReplace(o.out_dir, stage, o.out_dir + "/" + job + "/" + *rel);
      if (!stage.empty()) ::unlink(stage.c_str());
      if (why.empty()) {
        redacted = *rel;
      } else {
        ReplaceAll(why, local, path);
        errors.push_back(error_masker.Mask(path + ": not redacted: " + why));
      }
    }
    if (sleep_on && *sleep_on && delivered == 1 && path.find(sleep_on) != std::string::npos) {
      Log(me + ": " + tag + ": test sleep");
      for (int t = 0; sleep_s == 0 || t < sleep_s * 10; ++t) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (crash_on && *crash_on && path.find(crash_on) != std::string::npos) raise(SIGKILL);
    // Parts of at most kPartBytes, cut at line ends.
    std::vector<std::string_view> parts;
    for (size_t at = 0; at < out.size() || parts.empty();) {
      size_t end = std::min(out.size(), at + part_bytes);
      if (end < out.size()) {
        size_t nl = out.rfind('\n', end - 1);
        end = nl != std::string::npos && nl >= at ? nl + 1 : std::min(out.size(), out.find('\n', end) + 1);
      }
      parts.push_back(std::string_view(out).substr(at, end - at));
      at = end;
      if (at >= out.size()) break;
    }
    // One result set per delivery attempt (its own Nats-Msg-Ids): a
    // redelivery whose output differs (the input changed, a worker died
    // after part 0) never mixes its parts with an earlier attempt's; the
    // collector keeps the first complete set of each item.
    const std::string attempt = std::to_string(delivered) + "-" + NewNuid().substr(0, 10);
    Status st = Status::Ok();
    for (size_t p = 0; p < parts.size() && st.ok(); ++p) {
      if (p == 1 && die_after_part0 && delivered == 1 && path.find(die_after_part0) != std::string::npos)
        raise(SIGKILL);  // fault injection: part 0 published, the rest not
      std::string msgdata = "{\"item\":" + std::to_string(item) + ",\"attempt\":" + JsonStr(attempt) +
                            ",\"part\":" + std::to_string(p) +
                            ",\"parts\":" + std::to_string(parts.size()) + ",\"findings\":" + std::to_string(findings) +
                            (p == 0 && !redacted.empty() ? ",\"redacted\":" + JsonStr(masker.Mask(redacted)) : "") +
                            ",\"errors\":[";
      if (p == 0)
        for (size_t i = 0; i < errors.size(); ++i) {
          if (i) msgdata += ',';
          AppendJsonString(msgdata, errors[i]);
        }
      msgdata += "]}\n";
      msgdata += parts[p];
      st = n.Publish(results, id + "/" + attempt + "/" + std::to_string(p), msgdata);
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
  if (!spool_dir.empty()) {
    std::error_code ec;
    fs::remove_all(spool_dir, ec);
  }
  if (!b.quiet) Log(me + ": stopped after " + std::to_string(done_items) + " items");
  return rc;
}

int RunCollect(std::shared_ptr<const Scanner> scanner, const BatchOptions& b, const CollectOptions& o) {
  if (!ValidJob(o.job)) return Log("--job: the id printed by submit"), 2;
  const KeyedHasher* hasher = b.settings->hasher.get();  // loaded once, with the settings
  IdentifierMasker masker(*scanner, *hasher);  // paths of items that never got a result
  std::error_code ec;
  fs::create_directories(b.report_dir, ec);
  if (ec) return Log(masker.Mask(b.report_dir + ": " + ec.message())), 2;
  Nats n;
  if (Status s = n.Connect(o.nats); !s.ok()) return Log(s.message()), 2;
  const auto t0 = std::chrono::steady_clock::now();
  auto timed_out = [&] {
    return o.timeout_s > 0 && std::chrono::steady_clock::now() - t0 > std::chrono::seconds(o.timeout_s);
  };
  // Without --timeout, collect must still end when the broker is gone
  // (kill -9, network): exit 2 after it is unreachable for
  // --broker-timeout; and it says so when the job has no manifest (a
  // mistyped --job waited silently for ever).
  std::optional<std::chrono::steady_clock::time_point> down_since;
  bool broker_lost = false;
  auto broker_gone = [&] {
    auto now = std::chrono::steady_clock::now();
    if (n.Connected()) {
      down_since.reset();
      return false;
    }
    if (!down_since) down_since = now;
    if (now - *down_since < std::chrono::seconds(o.broker_timeout_s)) return false;
    broker_lost = true;
    return true;
  };
  auto next_manifest_warn = t0 + std::chrono::seconds(o.manifest_warn_s);
  auto warn_no_manifest = [&] {
    auto now = std::chrono::steady_clock::now();
    if (now < next_manifest_warn) return;
    next_manifest_warn = now + std::chrono::seconds(o.manifest_warn_s);
    Log("collect: warning: no manifest for job " + o.job + " in " + ResultsStream(o.nats) + " after " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - t0).count()) +
        " s: a mistyped --job or --stream, or submit has not finished; still waiting (--timeout to give up)");
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
    if (broker_gone())
      return Log("collect: the broker has been unreachable for " + std::to_string(o.broker_timeout_s) + " s"), 2;
    warn_no_manifest();
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
    bool redacted = false;
    bool complete() const { return !parts.empty() && have == parts.size(); }
  };
  // Result sets by item and delivery attempt; `got`: the first complete
  // set of each item (the one reported; later sets are duplicates).
  std::map<size_t, std::map<std::string, ItemResult>> sets;
  std::map<size_t, ItemResult> got;
  std::string manifest_options;  // the job's scan options (submit's report options)
  std::map<size_t, std::string> dead;
  size_t duplicates = 0, finished = 0, redacted = 0;
  std::string bucket;  // an --upload job's object store bucket
  auto is_done = [&](size_t i) {
    auto it = got.find(i);
    return it != got.end() || dead.count(i);
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
    // Only what is there (a 1 ms wait per result message made the collector
    // the bottleneck at ~800 items/s).
    auto adv_pending = [&] {
      int msgs = 0, bytes = 0;
      return adv && natsSubscription_GetPending(adv, &msgs, &bytes) == NATS_OK && msgs > 0;
    };
    while (adv_pending() && natsSubscription_NextMsg(&am, adv, 1) == NATS_OK && am) {
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
          bucket = j.value("bucket", std::string());
          manifest_options = j.value("options", std::string());
        } else if (kind == "result") {
          size_t nl = data.find('\n');
          auto h = nlohmann::json::parse(data.substr(0, nl));
          size_t item = h.at("item").get<size_t>(), part = h.at("part").get<size_t>(),
                 parts = h.at("parts").get<size_t>();
          bool was = is_done(item);
          if (got.count(item)) {
            ++duplicates;  // a redelivered item's results: kept once
          } else {
            ItemResult& r = sets[item][h.value("attempt", std::string())];
            if (r.parts.empty()) r.parts.resize(parts);
            if (part >= r.parts.size() || parts != r.parts.size() || r.parts[part]) {
              ++duplicates;
            } else {
              r.parts[part] = std::string(nl == std::string_view::npos ? std::string_view() : data.substr(nl + 1));
              ++r.have;
              if (part == 0) r.errors = h.at("errors").get<std::vector<std::string>>();
              if (part == 0 && h.contains("redacted")) r.redacted = true;
            }
            if (r.complete()) {
              if (r.redacted) ++redacted;
              got[item] = std::move(r);
              sets.erase(item);  // other attempts' parts: never mixed in
            }
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
    if (broker_gone()) {
      Log("collect: the broker has been unreachable for " + std::to_string(o.broker_timeout_s) +
          " s; giving up (the report lists the items not in)");
      break;
    }
    if (!total) warn_no_manifest();
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
  // An --upload job's inputs leave the broker once every item is in (not
  // after a timeout: a late worker may still need them).
  if (complete && total && !bucket.empty() && ValidJob(bucket) && !o.keep_objects)
    for (size_t i = 0; i < *total; ++i) DeleteObject(n, bucket, o.job + "/" + std::to_string(i));
  if (!b.quiet && tty) std::fprintf(stderr, "\n");
  std::vector<std::string> errors = submit_errors;
  if (broker_lost)
    errors.push_back("job " + o.job + ": the NATS broker was unreachable for " + std::to_string(o.broker_timeout_s) +
                     " s; collect gave up");
  if (!total) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0).count();
    errors.push_back("job " + o.job + ": no manifest after " + std::to_string(secs) + " s (not submitted, or submit did not finish)");
    total = 0;
  }
  // findings.jsonl in item order (batch's order is its threads'; the lines
  // are the same).
  auto out = OutputFile::Open(b.report_dir + "/findings.jsonl");
  if (!out) return Log(out.error().message()), 2;
  for (size_t i = 0; i < *total; ++i) {
    auto it = got.find(i);
    if (it != got.end()) {
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
  // The run's options and key id, as batch records them: the report's own
  // (--retention, --date-field: given to collect) then the job's scan
  // options (given to submit, carried in the manifest).
  BatchReportInfo info;
  info.options = MergeReportOptions(b.report_options, manifest_options);
  info.key_id = KeyId(*hasher);
  info.random_key = b.settings->random_key;
  if (Status st = WriteBatchReport(b.report_dir, errors, total_inputs, total_bytes, b.retention_days, b.date_field, b.today,
                                   &found, info);
      !st.ok())
    return Log(st.message()), 2;
  for (const auto& e : errors) Log(e);
  if (!b.quiet)
    Log("collect: job " + o.job + ": " + std::to_string(*total) + " items, " + std::to_string(found) + " findings, " +
        std::to_string(dead.size()) + " dead-letter, " + std::to_string(duplicates) +
        " duplicate result messages dropped" + (redacted ? ", " + std::to_string(redacted) + " redacted copies" : "") +
        "; report in " + masker.Mask(b.report_dir));
  if (!errors.empty()) return 2;
  return found ? 1 : 0;
}

}  // namespace nordpii
