// SPDX-License-Identifier: Apache-2.0
#include "milter/milter_protocol.h"

#include <cstring>

namespace nordpii::milter {

namespace {
void Put32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>((v >> 16) & 0xFF));
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
  out.push_back(static_cast<char>(v & 0xFF));
}
}  // namespace

void Encode(char cmd, std::string_view data, std::string& out) {
  Put32(out, static_cast<uint32_t>(data.size() + 1));
  out.push_back(cmd);
  out.append(data);
}

Result<bool> DecodeAt(std::string_view buf, size_t& pos, PacketView& p) {
  if (buf.size() < pos + 4) return false;
  const auto* b = reinterpret_cast<const unsigned char*>(buf.data() + pos);
  uint32_t len = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  if (len == 0 || len > kMaxPacket)
    return Error(ErrorCode::kInvalidArgument, "milter packet length " + std::to_string(len) + " out of range");
  if (buf.size() - pos < 4 + static_cast<size_t>(len)) return false;
  p.cmd = buf[pos + 4];
  p.data = buf.substr(pos + 5, len - 1);
  pos += 4 + len;
  return true;
}

Result<bool> Decode(std::string& buf, Packet& p) {
  size_t pos = 0;
  PacketView v;
  auto got = DecodeAt(buf, pos, v);
  if (!got || !*got) return got;
  p.cmd = v.cmd;
  p.data.assign(v.data);
  buf.erase(0, pos);
  return true;
}

std::vector<std::string_view> SplitNul(std::string_view data) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < data.size()) {
    size_t z = data.find('\0', i);
    if (z == std::string_view::npos) z = data.size();
    out.push_back(data.substr(i, z - i));
    i = z + 1;
  }
  return out;
}

Macros ParseMacros(std::string_view data) {
  Macros m;
  if (data.empty()) return m;
  m.for_cmd = data[0];
  auto parts = SplitNul(data.substr(1));
  for (size_t i = 0; i + 1 < parts.size(); i += 2) {
    std::string name(parts[i]);
    if (name.size() >= 2 && name.front() == '{' && name.back() == '}') name = name.substr(1, name.size() - 2);
    m.pairs.emplace_back(std::move(name), std::string(parts[i + 1]));
  }
  return m;
}

std::string OptNegReply(uint32_t actions, uint32_t protocol) {
  std::string data;
  Put32(data, kVersion);
  Put32(data, actions);
  Put32(data, protocol);
  std::string out;
  Encode(kOptNeg, data, out);
  return out;
}

std::string ReplyCodePacket(std::string_view code, std::string_view xcode, std::string_view text) {
  // One line, at most 980 characters, no CR/LF, '%' doubled (the MTA
  // formats the text).
  std::string t;
  for (char c : text) {
    if (c == '\r' || c == '\n') c = ' ';
    if (c == '%') t += '%';
    t += c;
  }
  if (t.size() > 960) t.resize(960);
  std::string data = std::string(code) + " " + std::string(xcode) + " " + t;
  data.push_back('\0');
  std::string out;
  Encode(kReplyCode, data, out);
  return out;
}

std::string HeaderPacket(char cmd, uint32_t index, std::string_view name, std::string_view value) {
  std::string data;
  if (cmd == kChgHeader) Put32(data, index);
  data.append(name);
  data.push_back('\0');
  data.append(value);
  data.push_back('\0');
  std::string out;
  Encode(cmd, data, out);
  return out;
}

}  // namespace nordpii::milter
