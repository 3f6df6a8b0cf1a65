// SPDX-License-Identifier: Apache-2.0
// File: milter_protocol.h
//
// The milter wire protocol (version 6, as Postfix and Sendmail speak it):
// packets are a 32-bit big-endian length (covering the command byte and the
// data), a command byte and the data; strings are NUL-terminated. This file
// is only the codec — framing, the command and reply bytes, and builders for
// the replies we send — with no sockets and no policy, so it is tested on
// its own. Constants are the wire bytes (libmilter's mfdef.h values); see
// shared/reference/mail-milter-engines.md §1.
#ifndef NORDPII_MILTER_MILTER_PROTOCOL_H_
#define NORDPII_MILTER_MILTER_PROTOCOL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace nordpii::milter {

// MTA -> filter commands.
enum Command : char {
  kAbort = 'A', kBody = 'B', kConnect = 'C', kMacro = 'D', kBodyEob = 'E', kHelo = 'H',
  kQuitNewConn = 'K', kHeader = 'L', kMail = 'M', kEoh = 'N', kOptNeg = 'O', kQuit = 'Q',
  kRcpt = 'R', kData = 'T', kUnknown = 'U',
};
// Filter -> MTA replies and modifications.
enum Reply : char {
  kAccept = 'a', kReplBody = 'b', kContinue = 'c', kDiscard = 'd', kAddHeader = 'h',
  kChgHeader = 'm', kProgress = 'p', kQuarantine = 'q', kReject = 'r', kTempfail = 't',
  kReplyCode = 'y',
};
// Option negotiation bits.
inline constexpr uint32_t kVersion = 6;
inline constexpr uint32_t kActAddHdrs = 0x01, kActChgBody = 0x02, kActChgHdrs = 0x10, kActQuarantine = 0x20;
inline constexpr uint32_t kProtoNoHelo = 0x02, kProtoNoUnknown = 0x100, kProtoNoData = 0x200,
                          kProtoHdrLeadSpc = 0x100000;
// "No reply" bits: the MTA does not wait for (and we must not send) a reply.
inline constexpr uint32_t kProtoNrHdr = 0x80, kProtoNrConn = 0x1000, kProtoNrHelo = 0x2000,
                          kProtoNrMail = 0x4000, kProtoNrRcpt = 0x8000, kProtoNrData = 0x10000,
                          kProtoNrUnkn = 0x20000, kProtoNrEoh = 0x40000, kProtoNrBody = 0x80000;
// Largest packet we accept (Postfix sends body chunks of at most 64 KiB by
// default, 1 MiB when negotiated; anything far larger is a broken peer).
inline constexpr uint32_t kMaxPacket = 4u << 20;
// Largest REPLBODY chunk we send (libmilter's MILTER_CHUNK_SIZE).
inline constexpr size_t kBodyChunk = 65535;

struct Packet {
  char cmd = 0;
  std::string data;
};
// A packet whose data is a view of the receive buffer (no copy; valid until
// the buffer changes).
struct PacketView {
  char cmd = 0;
  std::string_view data;
};

// Appends the encoded packet to `out`.
void Encode(char cmd, std::string_view data, std::string& out);
// Parses one packet from the front of `buf` (consumed bytes are removed).
// Returns false when more bytes are needed; an error for a length of 0 or
// over kMaxPacket.
Result<bool> Decode(std::string& buf, Packet& p);
// The same without copying: parses the packet at `pos` of `buf` and moves
// `pos` past it.
Result<bool> DecodeAt(std::string_view buf, size_t& pos, PacketView& p);

// NUL-separated strings of a packet's data (the last one may lack its NUL).
std::vector<std::string_view> SplitNul(std::string_view data);
// Macros of a 'D' packet: the command they belong to, then name/value pairs
// ("{daemon_name}" is stored as "daemon_name"; "i" stays "i").
struct Macros {
  char for_cmd = 0;
  std::vector<std::pair<std::string, std::string>> pairs;
};
Macros ParseMacros(std::string_view data);

// Builders for the replies.
std::string OptNegReply(uint32_t actions, uint32_t protocol);
std::string ReplyCodePacket(std::string_view code, std::string_view xcode, std::string_view text);
std::string HeaderPacket(char cmd, uint32_t index, std::string_view name, std::string_view value);

}  // namespace nordpii::milter

#endif  // NORDPII_MILTER_MILTER_PROTOCOL_H_
