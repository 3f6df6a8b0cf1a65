// SPDX-License-Identifier: Apache-2.0
// The list is small and read once: a hand-written line reader (no format
// library needed for "one entry per line").
#include "pipeline/allow_list.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pipeline/scanner.h"

namespace nordpii {

namespace {

struct Collect : StreamSink {
  std::vector<Finding> found;
  bool OnFinding(const Finding& f, std::string_view) override {
    found.push_back(f);
    return true;
  }
};

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::vector<std::string> IdentifierHashes(ScanContext& ctx, std::string_view value) {
  // Some identifiers count only next to a label (a CPR number without the
  // modulus-11 check, a passport number): the value alone first, then after
  // each kind of label, keeping findings on the value's own bytes.
  Collect probe;
  std::vector<std::string> out;
  for (const char* label : {"", "fnr ", "personnummer ", "CPR-nr. ", "hetu ", "kennitala ", "passport ", "konto ",
                            "IBAN "}) {
    probe.found.clear();
    std::string text = std::string(label) + std::string(value);
    auto src = StringSource(text, "--allow");
    if (!ctx.Scan(*src, FindingFilter{}, probe).ok()) continue;
    for (const auto& f : probe.found)
      if (f.start >= std::strlen(label)) out.push_back(f.hash);
    if (!out.empty()) break;
  }
  return out;
}

Result<std::shared_ptr<const AllowList>> AllowList::Load(const std::string& path, const Scanner& scanner,
                                                           const ReferenceDate& date) {
  constexpr size_t kMaxBytes = 1 << 20, kMaxEntries = 100000;
  // Only a regular file: a FIFO would block the start, /dev/zero never end.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return Error(ErrorCode::kInvalidArgument, "--allow " + path + ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kIo, "--allow " + path + ": cannot open");
  std::string data(kMaxBytes + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (in.bad()) return Error(ErrorCode::kIo, "--allow " + path + ": read failed");
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > kMaxBytes) return Error(ErrorCode::kLimit, "--allow " + path + ": larger than 1 MiB");
  std::shared_ptr<AllowList> list(new AllowList(KeyedHasher::Random()));
  auto ctx = scanner.NewContext(list->own_, date);
  std::stringstream lines(data);
  size_t n = 0;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    const size_t a = line.find_first_not_of(" \t\r");
    if (a == std::string::npos || line[a] == '#') continue;
    const size_t b = line.find_last_not_of(" \t\r");
    std::string_view entry = std::string_view(line).substr(a, b - a + 1);
    if (list->values_.size() + list->hashes_.size() >= kMaxEntries)
      return Error(ErrorCode::kLimit, "--allow " + path + ": more than 100000 entries");
    if (entry.substr(0, 5) == "hmac:") {
      if (!IsHex64(entry.substr(5)))
        return Error(ErrorCode::kInvalidArgument, "--allow " + path + ": line " + std::to_string(n) +
                                                      ": hmac: must be followed by a keyed hash from a report "
                                                      "(64 lower-case hex digits)");
      list->hashes_.emplace(entry.substr(5));
      continue;
    }
    auto hashes = IdentifierHashes(*ctx, entry);
    if (hashes.empty())
      return Error(ErrorCode::kInvalidArgument,
                   "--allow " + path + ": line " + std::to_string(n) +
                       ": not an identifier any detector recognises, alone or after a label (the value is not "
                       "shown; a keyed hash is written hmac:<hash>)");
    for (auto& h : hashes) list->values_.insert(std::move(h));
  }
  return std::shared_ptr<const AllowList>(std::move(list));
}

bool AllowList::Allows(std::string_view normalized, std::string_view hash) const {
  bool hit = (!hashes_.empty() && hashes_.count(std::string(hash))) ||
             (!values_.empty() && values_.count(own_.Hex(normalized)));
  if (hit) allowed_.fetch_add(1, std::memory_order_relaxed);
  return hit;
}

}  // namespace nordpii
