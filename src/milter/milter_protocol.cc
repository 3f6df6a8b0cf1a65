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
  // RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its CRLF.
  // A longer text becomes a multi-line reply ("550-5.7.1 ...\r\n550 5.7.1
  // ..."; Postfix and Sendmail pass it on as such), split at spaces where
  // possible. No CR/LF/NUL from the text, '%' doubled (the MTA formats the
  // text), at most 8 lines.
  std::string t;
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
    t += c;
  }
  const std::string head = std::string(code) + " " + std::string(xcode) + " ";
  const size_t room = 510 - head.size();  // octets of text per line (before '%' doubling)
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < t.size() && lines.size() < 8) {
    size_t len = 0, cut = std::string::npos, width = 0;
    for (; pos + len < t.size(); ++len) {  // as many octets as fit, '%' counting twice
      size_t w = t[pos + len] == '%' ? 2 : 1;
      if (width + w > room) break;
      width += w;
      if (t[pos + len] == ' ') cut = len;
    }
    if (pos + len < t.size() && cut != std::string::npos && cut > 0) len = cut;  // break at the last space
    std::string line = t.substr(pos, len);
    pos += len;
    while (pos < t.size() && t[pos] == ' ') ++pos;
    std::string esc;
    for (char c : line) {
      if (c == '%') esc += '%';
      esc += c;
    }
    lines.push_back(esc);
  }
  if (lines.empty()) lines.emplace_back();
  std::string data;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string h = head;
    if (i + 1 < lines.size()) h[code.size()] = '-';
    data += h + lines[i];
    if (i + 1 < lines.size()) data += "\r\n";
  }
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
