// SPDX-License-Identifier: Apache-2.0
#include "extract/extractor.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/file_magic.h"
#include "extract/tnef.h"
#include "extract/zygote.h"

namespace nordpii {

namespace {

std::string Lower(std::string_view s) {
  std::string o(s);
  for (char& c : o)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return o;
}

bool EndsWith(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

}  // namespace

const char* DocFormatName(DocFormat f) {
  switch (f) {
    case DocFormat::kDocx: return "docx";
    case DocFormat::kXlsx: return "xlsx";
    case DocFormat::kPptx: return "pptx";
    case DocFormat::kOdt: return "odt";
    case DocFormat::kOds: return "ods";
    case DocFormat::kOdp: return "odp";
    case DocFormat::kPdf: return "pdf";
    case DocFormat::kImage: return "image";
    case DocFormat::kDoc: return "doc";
    case DocFormat::kXls: return "xls";
    case DocFormat::kPpt: return "ppt";
    case DocFormat::kZip: return "zip";
    case DocFormat::kOle: return "ole";
    case DocFormat::kRtf: return "rtf";
    case DocFormat::kTnef: return "tnef";
    case DocFormat::kCompressed: return "compressed";
    default: return "";
  }
}

namespace {

// Image file signatures Leptonica reads (a bare "BM" too: the type or name
// already says image here).
bool IsImageHead(std::string_view h) { return IsImageSignature(h) || h.substr(0, 2) == "BM"; }

DocFormat DetectImage(const std::string& t, const std::string& n, std::string_view head) {
  static const char* const kTypes[] = {"image/png",  "image/jpeg", "image/jpg",  "image/pjpeg", "image/tiff",
                                       "image/gif",  "image/bmp",  "image/x-ms-bmp", "image/webp",
                                       "image/x-portable-anymap", "image/x-portable-graymap",
                                       "image/x-portable-pixmap", "image/x-portable-bitmap"};
  static const char* const kExts[] = {".png", ".jpg", ".jpeg", ".jfif", ".tif", ".tiff", ".gif",
                                      ".bmp", ".webp", ".pnm", ".pgm", ".ppm", ".pbm"};
  bool named = false;
  for (const char* e : kTypes)
    if (t == e) named = true;
  if (!named && (t.empty() || t == "application/octet-stream" || t == "binary/octet-stream" ||
                 t.rfind("image/", 0) == 0))
    for (const char* e : kExts)
      if (EndsWith(n, e)) named = true;
  if (!named) return DocFormat::kNone;
  if (head.empty() || IsImageHead(head)) return DocFormat::kImage;
  return DocFormat::kNone;
}

}  // namespace

DocFormat DetectDocFormat(std::string_view mime_type, std::string_view filename, std::string_view head,
                          bool images) {
  const std::string t = Lower(mime_type), n = Lower(filename);
  if (images)
    if (DocFormat img = DetectImage(t, n, head); img != DocFormat::kNone) return img;
  // TNEF (winmail.dat): by its types, or by its name under a generic type;
  // the bytes must be a TNEF stream (else the caller sniffs and lists them).
  if (t == "application/ms-tnef" || t == "application/vnd.ms-tnef" ||
      ((t.empty() || t == "application/octet-stream" || t == "binary/octet-stream") && EndsWith(n, "winmail.dat")))
    return head.empty() || tnef::IsTnef(head) ? DocFormat::kTnef : DocFormat::kNone;
  DocFormat f = DocFormat::kNone;
  static const struct {
    const char* type;
    const char* ext;
    DocFormat f;
  } kTable[] = {
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", DocFormat::kDocx},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", DocFormat::kXlsx},
      {"application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx", DocFormat::kPptx},
      {"application/vnd.oasis.opendocument.text", ".odt", DocFormat::kOdt},
      {"application/vnd.oasis.opendocument.spreadsheet", ".ods", DocFormat::kOds},
      {"application/vnd.oasis.opendocument.presentation", ".odp", DocFormat::kOdp},
      {"application/pdf", ".pdf", DocFormat::kPdf},
      {"application/x-pdf", ".pdf", DocFormat::kPdf},
      // Templates, macro-enabled and show variants: the same parts.
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.template", ".dotx", DocFormat::kDocx},
      {"application/vnd.ms-word.document.macroenabled.12", ".docm", DocFormat::kDocx},
      {"application/vnd.ms-word.template.macroenabled.12", ".dotm", DocFormat::kDocx},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.template", ".xltx", DocFormat::kXlsx},
      {"application/vnd.ms-excel.sheet.macroenabled.12", ".xlsm", DocFormat::kXlsx},
      {"application/vnd.ms-excel.template.macroenabled.12", ".xltm", DocFormat::kXlsx},
      {"application/vnd.openxmlformats-officedocument.presentationml.slideshow", ".ppsx", DocFormat::kPptx},
      {"application/vnd.openxmlformats-officedocument.presentationml.template", ".potx", DocFormat::kPptx},
      {"application/vnd.ms-powerpoint.presentation.macroenabled.12", ".pptm", DocFormat::kPptx},
      {"application/vnd.ms-powerpoint.slideshow.macroenabled.12", ".ppsm", DocFormat::kPptx},
      {"application/vnd.oasis.opendocument.text-template", ".ott", DocFormat::kOdt},
      {"application/vnd.oasis.opendocument.spreadsheet-template", ".ots", DocFormat::kOds},
      {"application/vnd.oasis.opendocument.presentation-template", ".otp", DocFormat::kOdp},
  };
  for (const auto& e : kTable)
    if (t == e.type) f = e.f;
  // Generic or commonly mislabelled types (an .xlsx sent as
  // application/vnd.ms-excel): the name decides, the bytes must agree.
  if (f == DocFormat::kNone && (t.empty() || t == "application/octet-stream" || t == "application/zip" ||
                                t == "binary/octet-stream" || t == "application/msword" ||
                                t.rfind("application/x-", 0) == 0 || t.rfind("application/vnd.ms-", 0) == 0 ||
                                t.rfind("application/vnd.openxmlformats", 0) == 0 ||
                                t.rfind("application/vnd.oasis.opendocument", 0) == 0))
    for (const auto& e : kTable)
      if (EndsWith(n, e.ext)) f = e.f;
  const std::string_view kOle("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  if (f == DocFormat::kNone && (t == "application/rtf" || t == "text/rtf" || t == "text/richtext" ||
                                ((t.empty() || t == "application/octet-stream" || t == "application/msword") &&
                                 EndsWith(n, ".rtf")))) {
    // RTF: by type or name; the bytes must start "{\rtf" (a Word file named
    // .rtf is an OLE2 file: read as .doc).
    if (head.empty() || head.substr(0, 5) == "{\\rtf") return DocFormat::kRtf;
    if (head.substr(0, 8) == kOle) return DocFormat::kDoc;
    return DocFormat::kNone;
  }
  if (f == DocFormat::kNone) {
    // Legacy binary Office (Word/Excel/PowerPoint 97-2003): by type, or by
    // name when the type is generic; the bytes must be an OLE2 compound file.
    static const struct {
      const char* type;
      const char* ext[2];
      DocFormat f;
    } kLegacy[] = {{"application/msword", {".doc", ".dot"}, DocFormat::kDoc},
                   {"application/vnd.ms-excel", {".xls", ".xlt"}, DocFormat::kXls},
                   {"application/vnd.ms-powerpoint", {".ppt", ".pps"}, DocFormat::kPpt}};
    const bool generic = t.empty() || t == "application/octet-stream" || t == "binary/octet-stream" ||
                         t == "application/vnd.ms-office" || t.rfind("application/x-", 0) == 0;
    for (const auto& e : kLegacy)
      if (EndsWith(n, e.ext[0]) || EndsWith(n, e.ext[1])) {
        if (generic || t.rfind("application/vnd.ms-", 0) == 0 || t == "application/msword") f = e.f;
      }
    if (f == DocFormat::kNone)
      for (const auto& e : kLegacy)
        if (t == e.type) f = e.f;
    if (f == DocFormat::kNone || head.empty()) return f;
    return head.substr(0, 8) == kOle ? f : DocFormat::kNone;
  }
  if (head.empty()) return f;
  // The bytes must agree with the claimed type; anything else is listed by
  // the caller as an attachment that is not scanned.
  // A claimed PDF is read as one unless its bytes are another known format
  // (an image, a zip, an OLE2 file, RTF: listed and scanned by the caller):
  // a PDF with a damaged "%PDF-" header is tried, and is an error (exit 2)
  // when the PDF helper cannot read it — never scanned as printable runs,
  // where text in compressed streams would pass unseen.
  if (f == DocFormat::kPdf) {
    if (head.find("%PDF") != std::string_view::npos) return f;
    for (std::string_view magic : {std::string_view("GIF8"), std::string_view("\x89PNG", 4), std::string_view("\xFF\xD8\xFF", 3),
                                   std::string_view("PK\3\4", 4), std::string_view("II*\0", 4), std::string_view("MM\0*", 4),
                                   std::string_view("{\\rtf"), kOle, tnef::kSignature})
      if (head.substr(0, magic.size()) == magic) return DocFormat::kNone;
    return f;
  }
  // An encrypted OOXML file is an OLE2 container: kept as the document it
  // claims to be, so extracting it fails (closed) instead of it being listed.
  if (head.substr(0, 8) == kOle) return f;
  return head.substr(0, 4) == std::string_view("PK\3\4", 4) ? f : DocFormat::kNone;
}

DocFormat SniffDocFormat(std::string_view head) {
  if (head.substr(0, 4) == std::string_view("PK\3\4", 4)) return DocFormat::kZip;
  if (head.substr(0, 8) == std::string_view("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8)) return DocFormat::kOle;
  if (head.substr(0, 5) == "%PDF-") return DocFormat::kPdf;
  if (head.substr(0, 5) == "{\\rtf") return DocFormat::kRtf;
  if (tnef::IsTnef(head)) return DocFormat::kTnef;
  if (IsCompressedSignature(head) || IsTarSignature(head)) return DocFormat::kCompressed;  // (a tar: read as one)
  return DocFormat::kNone;
}

namespace {

// Whether the bytes after a "%PDF-" header at `p` look like a PDF's body: an
// object ("1 0 obj") or the binary comment line writers put after the header
// (a '%' and four bytes over 127). Text that only mentions "%PDF-1.7" (a
// note, a log, a mail about PDF files) has neither, and is read as text
// (review: such a note was refused as a damaged PDF, exit 2).
bool PdfBodyFollows(std::string_view head, size_t p) {
  const size_t nl = head.find_first_of("\r\n", p);
  if (nl != std::string_view::npos) {
    size_t c = head.find_first_not_of("\r\n", nl);
    if (c != std::string_view::npos && c + 5 <= head.size() && head[c] == '%') {
      int high = 0;
      for (size_t k = c + 1; k < c + 5; ++k) high += static_cast<unsigned char>(head[k]) > 127;
      if (high == 4) return true;
    }
  }
  for (size_t o = head.find("obj", p); o != std::string_view::npos; o = head.find("obj", o + 1)) {
    size_t k = o;
    auto blanks = [&] { size_t n = 0; while (k > p && std::string_view(" \t\r\n\f").find(head[k - 1]) != std::string_view::npos) --k, ++n; return n; };
    auto digits = [&] { size_t n = 0; while (k > p && head[k - 1] >= '0' && head[k - 1] <= '9') --k, ++n; return n; };
    if (blanks() > 0 && digits() > 0 && blanks() > 0 && digits() > 0) return true;
  }
  return false;
}

}  // namespace

DocFormat SniffDocumentBytes(std::string_view head, bool plain_text) {
  DocFormat f = SniffDocFormat(head);
  if (f == DocFormat::kOle || f == DocFormat::kRtf || f == DocFormat::kTnef) return f;
  head = head.substr(0, 1024);
  if (f == DocFormat::kPdf) return PdfBodyFollows(head, 0) ? f : DocFormat::kNone;
  if (!plain_text) return DocFormat::kNone;
  for (size_t p = head.find("%PDF-"); p != std::string_view::npos; p = head.find("%PDF-", p + 1))
    if (p + 5 < head.size() && head[p + 5] >= '1' && head[p + 5] <= '9' && PdfBodyFollows(head, p)) return DocFormat::kPdf;
  return DocFormat::kNone;
}

std::string Extracted::Location(uint64_t offset) const {
  auto it = std::upper_bound(segments.begin(), segments.end(), offset,
                             [](uint64_t o, const Segment& s) { return o < s.start; });
  if (it == segments.begin()) return "";
  --it;
  return offset <= it->end ? it->loc : "";
}

namespace {

// The helper program that reads `format`.
const char* HelperName(DocFormat format) {
  return format == DocFormat::kPdf     ? "nordpii-extract-pdf"
         : format == DocFormat::kImage ? "nordpii-extract-ocr"
                                       : "nordpii-extract";
}

// The directory of this program (none if /proc/self/exe cannot be read),
// read once: the readlink was 3 % of an mbox scan where every PDF attachment
// looked for a missing helper (issue 14). The helpers themselves are still
// looked for on every call, so one installed while a milter runs is found.
const std::optional<std::string>& ExeDir() {
  static const std::optional<std::string> kDir = []() -> std::optional<std::string> {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return std::nullopt;
    std::string p(self, static_cast<size_t>(n));
    return p.substr(0, p.rfind('/'));
  }();
  return kDir;
}

}  // namespace

std::string ExtractHelperPath(DocFormat format) {
  const char* name = HelperName(format);
  std::vector<std::string> dirs;
  if (const char* d = std::getenv("NORDPII_EXTRACT_DIR"); d && *d) dirs.push_back(d);
  const std::string exe_dir = ExeDir().value_or("");
  if (ExeDir()) dirs.push_back(exe_dir);
#ifdef NORDPII_LIBEXECDIR
  dirs.push_back(NORDPII_LIBEXECDIR);
#endif
#if defined(NORDPII_BUILD_DIR) && defined(NORDPII_BUILD_EXTRACT_DIR)
  // Programs of the build tree (the test binary in build/tests) find the
  // helpers in build/src; an installed nordpii never looks into a build tree.
  if (exe_dir.rfind(NORDPII_BUILD_DIR "/", 0) == 0) dirs.push_back(NORDPII_BUILD_EXTRACT_DIR);
#endif
  for (const auto& d : dirs) {
    std::string p = d + "/" + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

namespace {

struct PageImage {
  std::string loc;
  std::string_view bytes;  // in the helper's output
  bool pdf = false;        // an "F" record: a PDF inside the document, else an image for OCR
};

// Appends one segment (joined by '\n') within the text limit.
Status AppendSegment(Extracted& doc, std::string_view text, std::string loc, const ExtractLimits& lim,
                     const std::string& fmt) {
  if (doc.text.size() + text.size() + 1 > lim.max_text)
    return Error(ErrorCode::kLimit, fmt + ": extracted text larger than the limit");
  if (!doc.text.empty()) doc.text.push_back('\n');
  Extracted::Segment s;
  s.start = static_cast<uint32_t>(doc.text.size());
  doc.text.append(text);
  s.end = static_cast<uint32_t>(doc.text.size());
  s.loc = std::move(loc);
  doc.segments.push_back(std::move(s));
  return Status::Ok();
}

// Bytes before a PDF's "%PDF-" header or after its last "%%EOF": a PDF
// reader ignores them, so text or a zip appended to a PDF travels unseen
// in a file that opens as the PDF. Their text (printable ASCII, lines cut at
// line breaks and NULs) is scanned as the segment "outside the PDF"; any
// other byte there (a zip, compressed data) cannot be read, so the PDF is
// partly scanned (exit 2). Written here, not in the helper: it is the
// container's bytes, not PDF syntax.
Status ReadOutsidePdf(std::string_view bytes, Extracted& doc, const ExtractLimits& lim, const std::string& fmt) {
  size_t head = bytes.substr(0, 65536).find("%PDF-");  // readers look further than 1024 bytes
  if (head == std::string_view::npos) head = 0;
  const size_t eof = bytes.rfind("%%EOF");
  const size_t tail = eof == std::string_view::npos || eof < head ? bytes.size() : eof + 5;
  std::string text;
  uint64_t binary = 0;
  for (std::string_view part : {bytes.substr(0, head), bytes.substr(tail)}) {
    for (unsigned char c : part) {
      if ((c >= 0x20 && c < 0x7f) || c == '\t') text.push_back(static_cast<char>(c));
      else if (c == '\n' || c == '\r' || c == '\f' || c == 0) {
        if (!text.empty() && text.back() != '\n') text.push_back('\n');
      } else {
        ++binary;
        if (!text.empty() && text.back() != '\n') text.push_back('\n');
      }
    }
    if (!text.empty() && text.back() != '\n') text.push_back('\n');
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) text.pop_back();
  if (!text.empty())
    if (Status st = AppendSegment(doc, text, "outside the PDF", lim, fmt); !st.ok()) return st;
  if (binary > 0 && doc.incomplete.empty())
    doc.incomplete = fmt + ": " + std::to_string(binary) +
                     " binary byte(s) before its header or after its %%EOF (appended data) not read";
  return Status::Ok();
}

// Parses the helper's output: "S<loclen> <textlen>\n<loc><text>" per
// segment, "I<loclen> <len>\n<loc><image>" per page image to be read by
// OCR (scanned PDF pages), then "D\n" (done) or "E<len>\n<message>" (error).
Status ParseOutput(std::string_view out, DocFormat format, const ExtractLimits& lim, Extracted& doc,
                   std::vector<PageImage>& images) {
  const std::string fmt = DocFormatName(format);
  size_t i = 0;
  while (i < out.size()) {
    char tag = out[i];
    size_t nl = out.find('\n', i);
    if (nl == std::string_view::npos) break;
    if (tag == 'D') return Status::Ok();
    if (tag == 'E') {
      std::string msg(out.substr(nl + 1, std::min<size_t>(200, out.size() - nl - 1)));
      for (char& c : msg)
        if (static_cast<unsigned char>(c) < 32) c = ' ';
      return Error(ErrorCode::kLimit, fmt + ": " + msg);
    }
    if (tag != 'S' && tag != 'W' && tag != 'N' && tag != 'F' && !(tag == 'I' && lim.ocr)) break;
    unsigned long a = 0, b = 0;
    if (std::sscanf(std::string(out.substr(i + 1, nl - i - 1)).c_str(), "%lu %lu", &a, &b) != 2) break;
    if (nl + 1 + a + b > out.size()) break;
    std::string_view loc = out.substr(nl + 1, a), text = out.substr(nl + 1 + a, b);
    if (tag == 'I' || tag == 'F') {
      images.push_back({std::string(loc), text, tag == 'F'});
      i = nl + 1 + a + b;
      continue;
    }
    if (tag == 'N') {  // scanned pages while OCR is off: a note, not an error
      std::string msg(text.substr(0, 200));
      for (char& c : msg)
        if (static_cast<unsigned char>(c) < 32) c = ' ';
      doc.notes.push_back(fmt + ":" + msg + " " + std::string(kImageNotReadNote));
      i = nl + 1 + a + b;
      continue;
    }
    if (tag == 'W') {
      std::string msg(text.substr(0, 200));
      for (char& c : msg)
        if (static_cast<unsigned char>(c) < 32) c = ' ';
      if (doc.incomplete.empty()) doc.incomplete = fmt + ": " + msg;
      i = nl + 1 + a + b;
      continue;
    }
    if (Status st = AppendSegment(doc, text, std::string(loc), lim, fmt); !st.ok()) return st;
    i = nl + 1 + a + b;
  }
  return Error(ErrorCode::kLimit, fmt + ": extractor output truncated (crashed or killed)");
}

// Start-up servers (zygote.h): a helper started once as `HELPER --zygote`
// forks a child per document, which saves the dynamic loading of each
// helper run (the PDF helper links 45 libraries: 12–20 ms a document, more
// than reading a small PDF; a mailbox with a PDF in every tenth message
// spent most of its scan there). One server serves one document at a time;
// a thread takes an idle one or starts one. A server that cannot start a
// child is killed and the document goes the old way (fork + exec); one that
// dies while its child reads makes that document an error, never a pass.
// NORDPII_EXTRACT_ZYGOTE=0 turns them off (tests compare both ways). The
// OCR helper has none.
// At most two per CPU (8 to 64): one per helper and concurrent document
// (batch jobs, scan threads, milter workers); past that, fork + exec. A
// server is 7-15 MB of resident memory, most of it shared library pages.
size_t MaxZygotes() {
  static const size_t kMax = std::clamp<size_t>(2 * std::thread::hardware_concurrency(), 8, 64);
  // NORDPII_EXTRACT_ZYGOTE_MAX=N: at most N (tests; a tighter memory budget).
  if (const char* e = std::getenv("NORDPII_EXTRACT_ZYGOTE_MAX"); e && *e) return std::strtoul(e, nullptr, 10);
  return kMax;
}

// Which helper file, as it was when looked at: a file replaced since (an
// upgrade under a running milter) is another one.
struct HelperFile {
  dev_t dev = 0;
  ino_t ino = 0;
  int64_t mtime_ns = 0;
  bool operator==(const HelperFile&) const = default;
};

struct Zygote {
  std::string helper;
  HelperFile file;  // the one it was started from
  int sock = -1;
  pid_t pid = -1;
  bool busy = false;
};

// Servers of one helper file that failed to start a child this many times
// in a row are not started again for that file for a minute (then one is
// tried): a helper that cannot serve (one older than `--zygote`, a kernel or
// container without pidfd_open) would otherwise cost a server start on top
// of every document's fork + exec (review: twice the time of
// NORDPII_EXTRACT_ZYGOTE=0).
constexpr int kMaxZygoteFailures = 3;
constexpr auto kZygoteRetry = std::chrono::seconds(60);

struct ZygotePool {
  std::mutex mu;
  pid_t owner = 0;  // the process that started them (a forked copy starts its own)
  std::vector<std::unique_ptr<Zygote>> all;
  struct Failures {
    HelperFile file;
    int count = 0;  // failed in a row since the last child it started
    std::chrono::steady_clock::time_point last;  // the last failure
  };
  std::map<std::string, Failures> failures;  // by helper path
};

ZygotePool& Zygotes() {
  static ZygotePool* pool = new ZygotePool;  // never destroyed: threads may still use it at exit
  return *pool;
}

// The environment a helper gets: this process's, read now (test hooks are
// set per call), without NORDPII_KEY — the report hashes' key is no
// parser's business (a parser turned by a document could put it in its
// output).
struct HelperEnv {
  std::vector<std::string> vars;
  std::vector<char*> envp;  // into vars, null-terminated
  HelperEnv() {
    for (char** e = environ; e && *e; ++e)
      if (std::strncmp(*e, "NORDPII_KEY=", 12) != 0) vars.emplace_back(*e);
    for (auto& v : vars) envp.push_back(v.data());
    envp.push_back(nullptr);
  }
};

bool ZygoteEnabled(DocFormat format) {
  if (format == DocFormat::kImage) return false;
  const char* e = std::getenv("NORDPII_EXTRACT_ZYGOTE");
  return !(e && std::strcmp(e, "0") == 0);
}

// Kills and reaps a server; the caller holds the pool's lock.
void EndZygote(const Zygote& z) {
  close(z.sock);
  kill(z.pid, SIGKILL);
  while (waitpid(z.pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// An idle server for `helper`, busy now, or a new one; null when none can be had.
Zygote* TakeZygote(const std::string& helper) {
  struct stat hs;
  if (stat(helper.c_str(), &hs) != 0) return nullptr;
  const HelperFile file{hs.st_dev, hs.st_ino,
                        static_cast<int64_t>(hs.st_mtim.tv_sec) * 1000000000 + hs.st_mtim.tv_nsec};
  ZygotePool& pool = Zygotes();
  std::lock_guard<std::mutex> l(pool.mu);
  if (pool.owner != getpid()) {
    for (auto& z : pool.all) close(z->sock);  // the parent's servers: its copies stay open there
    pool.all.clear();
    pool.failures.clear();
    pool.owner = getpid();
  }
  if (auto f = pool.failures.find(helper); f != pool.failures.end()) {
    if (f->second.file != file)
      pool.failures.erase(f);  // a new file: tried again
    else if (f->second.count >= kMaxZygoteFailures && std::chrono::steady_clock::now() - f->second.last < kZygoteRetry)
      return nullptr;
  }
  // Idle servers of a helper file replaced since they started: retired.
  pool.all.erase(std::remove_if(pool.all.begin(), pool.all.end(),
                                [&](const auto& z) {
                                  const bool old = !z->busy && z->helper == helper && z->file != file;
                                  if (old) EndZygote(*z);
                                  return old;
                                }),
                 pool.all.end());
  for (auto& z : pool.all)
    if (!z->busy && z->helper == helper) {
      z->busy = true;
      return z.get();
    }
  if (pool.all.size() >= MaxZygotes()) {
    // Full: an idle server of another helper makes room (after a burst of
    // PDFs, DOCX documents would otherwise never get one); none idle: fork + exec.
    auto idle = std::find_if(pool.all.begin(), pool.all.end(), [](const auto& z) { return !z->busy; });
    if (idle == pool.all.end()) return nullptr;
    EndZygote(**idle);
    pool.all.erase(idle);
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return nullptr;
  std::string path = helper, flag = "--zygote";
  char* argv[] = {path.data(), flag.data(), nullptr};
  HelperEnv env;
  pid_t pid = fork();
  if (pid == 0) {  // system calls only (the milter is multi-threaded)
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (dup2(sv[1], 0) < 0) _exit(127);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 1), dup2(devnull, 2);
    if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
      for (int fd = 3; fd < 4096; ++fd) close(fd);
    execve(argv[0], argv, env.envp.data());
    _exit(127);
  }
  close(sv[1]);
  if (pid < 0) {
    close(sv[0]);
    return nullptr;
  }
  auto z = std::make_unique<Zygote>();
  z->helper = helper;
  z->file = file;
  z->sock = sv[0];
  z->pid = pid;
  z->busy = true;
  pool.all.push_back(std::move(z));
  return pool.all.back().get();
}

void ReleaseZygote(Zygote* z) {
  ZygotePool& pool = Zygotes();
  std::lock_guard<std::mutex> l(pool.mu);
  pool.failures.erase(z->helper);
  z->busy = false;
}

// A server that failed (`failed`: it could not start a child, counted
// against its helper file) or is retired: killed, reaped, forgotten.
void DropZygote(Zygote* z, bool failed = false) {
  ZygotePool& pool = Zygotes();
  std::lock_guard<std::mutex> l(pool.mu);
  if (failed) {
    ZygotePool::Failures& f = pool.failures[z->helper];
    if (f.file != z->file) f = {z->file, 0, {}};
    ++f.count;
    f.last = std::chrono::steady_clock::now();
  }
  EndZygote(*z);
  pool.all.erase(std::remove_if(pool.all.begin(), pool.all.end(), [&](const auto& p) { return p.get() == z; }),
                 pool.all.end());
}

// One int from the server (a pid, -errno or a wait status), with a pidfd if one came.
bool ZygoteReceive(const Zygote& z, int32_t& v, int* fd) {
  msghdr m{};
  iovec io{&v, sizeof v};
  m.msg_iov = &io;
  m.msg_iovlen = 1;
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))];
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  ssize_t n;
  while ((n = recvmsg(z.sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof v)) return false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
      int got;
      std::memcpy(&got, CMSG_DATA(c), sizeof got);
      if (fd && *fd < 0) *fd = got;
      else close(got);
    }
  return true;
}

// The request for one document (zygote.h), or "" when it is larger than a
// server takes (an environment over 64 KiB): that document goes by fork +
// exec and no server is asked (review: each such document started a server,
// had nothing to send it, killed it and then forked anyway).
std::string ZygoteRequest(const std::vector<std::string>& args, rlim_t mem, rlim_t cpu) {
  zygote::Request rq{zygote::kMagic, static_cast<uint32_t>(args.size()), 0, 0, static_cast<uint64_t>(mem),
                     static_cast<uint64_t>(cpu)};
  std::string msg(sizeof rq, '\0');
  for (const std::string& a : args) msg.append(a.c_str(), a.size() + 1);
  // The environment as exec would pass it now (HelperEnv).
  const HelperEnv env;
  for (const std::string& e : env.vars) {
    msg.append(e.c_str(), e.size() + 1);
    ++rq.envc;
  }
  std::memcpy(msg.data(), &rq, sizeof rq);
  return msg.size() > zygote::kMaxRequest ? std::string() : msg;
}

// Asks the server for a child reading from `in` and writing to `out`; its
// pid (a pidfd in *pidfd), or -1 when the server failed.
pid_t ZygoteSpawn(const Zygote& z, std::string& msg, int in, int out, int* pidfd) {
  msghdr m{};
  iovec io{msg.data(), msg.size()};
  m.msg_iov = &io;
  m.msg_iovlen = 1;
  alignas(cmsghdr) char ctl[CMSG_SPACE(2 * sizeof(int))];
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(2 * sizeof(int));
  const int fds[2] = {in, out};
  std::memcpy(CMSG_DATA(c), fds, sizeof fds);
  ssize_t n;
  while ((n = sendmsg(z.sock, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(msg.size())) return -1;
  int32_t pid = 0;
  *pidfd = -1;
  if (!ZygoteReceive(z, pid, pidfd) || pid <= 0 || *pidfd < 0) {
    if (*pidfd >= 0) close(*pidfd), *pidfd = -1;
    return -1;
  }
  return static_cast<pid_t>(pid);
}

}  // namespace

void EndIdleExtractServers() {
  ZygotePool& pool = Zygotes();
  std::lock_guard<std::mutex> l(pool.mu);
  if (pool.owner != getpid()) return;
  pool.all.erase(std::remove_if(pool.all.begin(), pool.all.end(),
                                [](const auto& z) {
                                  if (!z->busy) EndZygote(*z);
                                  return !z->busy;
                                }),
                 pool.all.end());
  pool.failures.clear();
}

Result<Extracted> ExtractDocument(std::string_view bytes, DocFormat format, const ExtractLimits& lim) {
  const std::string fmt = DocFormatName(format);
  if (format == DocFormat::kNone) return Error(ErrorCode::kInvalidArgument, "not a document");
  if (bytes.size() > lim.max_input) return Error(ErrorCode::kLimit, fmt + ": document larger than the limit");
  const std::string helper = ExtractHelperPath(format);
  if (helper.empty())
    return Error(ErrorCode::kNotFound, fmt + ": extractor program " + HelperName(format) + " not found");
  // Everything the child needs is prepared before fork: between fork and
  // exec only system calls (the milter is multi-threaded).
  std::vector<std::string> args = {helper,
                                   fmt,
                                   std::to_string(lim.max_text),
                                   std::to_string(lim.max_unpacked),
                                   std::to_string(lim.max_entries),
                                   std::to_string(lim.max_xml_depth),
                                   std::to_string(lim.max_pages),
                                   std::to_string(lim.max_pixels),
                                   lim.ocr_languages,
                                   lim.ocr ? "1" : "0",
                                   std::to_string(lim.max_ocr_pages)};
  const auto started = std::chrono::steady_clock::now();
  const int timeout_ms = format == DocFormat::kImage ? lim.ocr_timeout_ms : lim.timeout_ms;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const rlim_t cpu = static_cast<rlim_t>(timeout_ms / 1000 + 1);
  const rlim_t mem = static_cast<rlim_t>(lim.max_memory);
  int in[2], out[2];
  auto open_pipes = [&]() -> bool {
    if (pipe2(in, O_CLOEXEC) != 0) return false;
    if (pipe2(out, O_CLOEXEC) != 0) {
      close(in[0]), close(in[1]);
      return false;
    }
    return true;
  };
  if (!open_pipes()) return Error(ErrorCode::kIo, fmt + ": pipe failed");
  // A start-up server's child if one can be had, else fork + exec.
  std::string request = ZygoteEnabled(format) ? ZygoteRequest(args, mem, cpu) : std::string();
  Zygote* zy = request.empty() ? nullptr : TakeZygote(helper);
  int pidfd = -1;
  pid_t pid = zy ? ZygoteSpawn(*zy, request, in[0], out[1], &pidfd) : -1;
  if (zy && pid < 0) {
    DropZygote(zy, /*failed=*/true);
    zy = nullptr;
    // The server may have forked a child before it failed (a pidfd this
    // process could not take, EMFILE; a server killed after its fork): that
    // child, orphaned and beyond our reach, holds these pipes. Fork + exec
    // gets pipes of its own, so no two readers ever share one document
    // (review: both read parts of it and the document failed, exit 3).
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    if (!open_pipes()) return Error(ErrorCode::kIo, fmt + ": pipe failed");
  }
  std::optional<HelperEnv> env;
  if (!zy) {
    env.emplace();  // made before the fork: between fork and exec only system calls
    pid = fork();
  }
  if (pid < 0) {
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    return Error(ErrorCode::kIo, fmt + ": fork failed");
  }
  if (pid == 0) {
    // (The milter blocks signals in every thread: the child starts clean.)
    if (!zygote::EnterDocumentProcess(in[0], out[1], mem, cpu)) _exit(127);
    execve(argv[0], argv.data(), env->envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  std::string output;
  // Rendered scanned pages and document pictures for OCR (at most 16 MiB
  // each) come on top of the text.
  // PDFs found inside a document or archive ("F", read by the PDF helper
  // afterwards) at most max_input in all.
  const size_t max_output = lim.max_text * 2 + (1u << 20) + lim.max_input +
                            (lim.ocr ? static_cast<size_t>(lim.max_ocr_pages) * (17u << 20) : 0);
  size_t written = 0;
  bool in_open = true, timed_out = false, too_much = false;
  if (bytes.empty()) close(in[1]), in_open = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p[2] = {{out[0], POLLIN, 0}, {in_open ? in[1] : -1, POLLOUT, 0}};
    int r = poll(p, 2, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (r < 0 && errno != EINTR) break;
    if (in_open && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      // A child that died makes write() raise SIGPIPE: blocked for this
      // thread around the write, and a pending one consumed.
      sigset_t pipe_set, old;
      sigemptyset(&pipe_set);
      sigaddset(&pipe_set, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
      ssize_t w = write(in[1], bytes.data() + written, std::min<size_t>(bytes.size() - written, 1 << 16));
      const int werr = errno;
      if (w < 0 && werr == EPIPE) {
        timespec zero{0, 0};
        sigtimedwait(&pipe_set, nullptr, &zero);
      }
      pthread_sigmask(SIG_SETMASK, &old, nullptr);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && werr != EAGAIN && werr != EINTR) written = bytes.size();  // child stopped reading
      if (written == bytes.size()) close(in[1]), in_open = false;
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[1 << 16];
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n == 0) break;
      if (n > 0) {
        output.append(buf, static_cast<size_t>(n));
        if (output.size() > max_output) {
          too_much = true;
          break;
        }
      } else if (errno != EAGAIN && errno != EINTR) {
        break;
      }
    }
  }
  if (in_open) close(in[1]);
  close(out[0]);
  // The output has ended; the child's exit is awaited until the same
  // deadline (a child that closes its output and then never exits — it
  // sleeps, so RLIMIT_CPU never ends it — is killed: closed17, before this
  // the wait had no end). Without a pidfd (fork + exec on an old kernel) the
  // exit is polled.
  if (!timed_out && !too_much) {
    const int exitfd = zy ? pidfd : static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        timed_out = true;
        break;
      }
      if (exitfd >= 0) {
        pollfd p{exitfd, POLLIN, 0};
        const int r = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
        if (r > 0 || (r < 0 && errno != EINTR)) break;
      } else {
        siginfo_t si{};
        if (waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == pid) break;
        timespec nap{0, 10 * 1000 * 1000};
        nanosleep(&nap, nullptr);
      }
    }
    if (!zy && exitfd >= 0) close(exitfd);
  }
  int st = 0;
  if (zy) {
    // The server's child: killed through its pidfd, its status from the server.
    if (timed_out || too_much) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0u);
    int32_t status = 0;
    const bool got = ZygoteReceive(*zy, status, nullptr);
    if (!got) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0u);
    close(pidfd);
    if (!got) {
      DropZygote(zy);
      return Error(ErrorCode::kInternal, fmt + ": extractor exit status lost (its start-up server died)");
    }
    st = status;
    // A child that crashed (a signal) or was killed (time or output limit)
    // retires its server: every child of one server has the same address
    // layout and stack canary, so a sender who can tell a crash from a read
    // (a milter's tempfail) could otherwise guess them byte by byte over
    // many messages; the next server is a fresh exec, as each helper was.
    if (timed_out || too_much || WIFSIGNALED(st)) DropZygote(zy);
    else ReleaseZygote(zy);
  } else {
    if (timed_out || too_much) kill(pid, SIGKILL);
    pid_t reaped;
    while ((reaped = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
    }
    if (reaped != pid) return Error(ErrorCode::kInternal, fmt + ": extractor exit status lost (SIGCHLD ignored?)");
  }
  if (timed_out) return Error(ErrorCode::kLimit, fmt + ": extraction timed out (child killed)");
  if (too_much) return Error(ErrorCode::kLimit, fmt + ": extracted text larger than the limit");
  if (WIFSIGNALED(st))
    return Error(ErrorCode::kLimit, fmt + ": extractor crashed (signal " + std::to_string(WTERMSIG(st)) + ")");
  if (WIFEXITED(st) && WEXITSTATUS(st) == 127 && output.empty())
    return Error(ErrorCode::kNotFound, fmt + ": extractor program could not be started");
  Extracted doc;
  std::vector<PageImage> images;
  if (Status s = ParseOutput(output, format, lim, doc, images); !s.ok()) return s;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    return Error(ErrorCode::kLimit, fmt + ": extractor failed (exit " + std::to_string(WEXITSTATUS(st)) + ")");
  // Scanned pages and pictures: each read by the OCR helper within what is
  // left of the OCR time; its lines become segments "page 3 line 2" /
  // "picture image1.png line 2" after the text.
  for (const PageImage& img : images) {
    if (img.pdf) {  // a PDF inside an archive or document: the PDF helper, as any PDF
      auto r = ExtractDocument(img.bytes, DocFormat::kPdf, lim);
      if (!r) {
        if (doc.incomplete.empty()) doc.incomplete = fmt + ": " + img.loc + ": " + r.error().message();
        continue;
      }
      if (!r->incomplete.empty() && doc.incomplete.empty()) doc.incomplete = fmt + ": " + img.loc + ": " + r->incomplete;
      for (const std::string& n : r->notes) doc.notes.push_back(fmt + ":" + img.loc + " " + n);
      for (const auto& seg : r->segments)
        if (Status st = AppendSegment(doc, std::string_view(r->text).substr(seg.start, seg.end - seg.start),
                                      img.loc + " " + seg.loc, lim, fmt);
            !st.ok())
          return st;
      continue;
    }
    ExtractLimits il = lim;
    il.ocr = false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        started + std::chrono::milliseconds(lim.ocr_timeout_ms) - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      if (doc.incomplete.empty()) doc.incomplete = fmt + ": OCR time limit reached at " + img.loc + "; the rest not read";
      break;
    }
    il.ocr_timeout_ms = static_cast<int>(left.count());
    auto r = ExtractDocument(img.bytes, DocFormat::kImage, il);
    if (!r) {  // one picture or page not read: the rest of the document still is
      if (doc.incomplete.empty()) doc.incomplete = fmt + ": " + img.loc + ": " + r.error().message();
      continue;
    }
    for (const auto& seg : r->segments)
      if (Status st = AppendSegment(doc, std::string_view(r->text).substr(seg.start, seg.end - seg.start),
                                    img.loc + " " + seg.loc, lim, fmt);
          !st.ok())
        return st;
  }
  if (format == DocFormat::kPdf)
    if (Status st = ReadOutsidePdf(bytes, doc, lim, fmt); !st.ok()) return st;
  return doc;
}

}  // namespace nordpii
