// SPDX-License-Identifier: Apache-2.0
// File: tnef.h
//
// TNEF (`winmail.dat`, application/ms-tnef): the Transport-Neutral
// Encapsulation Format Outlook and Exchange use to send a rich-text message
// to outside recipients (MS-OXTNEF), and the compressed RTF its body usually
// travels in (PR_RTF_COMPRESSED, LZFu, MS-OXRTFCP).
//
// Written here from the published specifications: libytnef and the `tnef`
// program are GPL, and nordpii links no GPL code (the `tnef` program is only
// a test oracle: tests/attach/tnef_test.py). Runs inside the nordpii-extract
// helper (office_extract.cc, "tnef"), after its sandbox is entered, like
// every other parser of untrusted documents.
//
// The reader is strict and fails closed (Failure, no content in the
// message): a bad signature, an attribute or property list that runs past
// its end, a bad attribute checksum, an unknown property type, a compressed
// RTF whose CRC or declared sizes do not agree, or a declared size over the
// limit (checked before anything is allocated for it).
#ifndef NORDPII_EXTRACT_TNEF_H_
#define NORDPII_EXTRACT_TNEF_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nordpii::tnef {

// The first four bytes of every TNEF stream (0x223E9F78, little-endian).
inline constexpr std::string_view kSignature("\x78\x9F\x3E\x22", 4);

inline bool IsTnef(std::string_view head) { return head.substr(0, 4) == kSignature; }

// Text found in the stream: where ("subject", "body", "property 0x0E1D",
// "recipient 1", "attachment 2 title"; never content) and the text as UTF-8.
struct Text {
  std::string loc;
  std::string utf8;
};

struct Attachment {
  int number = 0;                       // 1, 2, ... in stream order
  std::string name;                     // long file name, else the title, without a path (UTF-8; may be empty)
  std::vector<std::string_view> data;   // the file's bytes (views into the input; an OLE object's storage
                                        // without its IID); one, or two that differ
  bool embedded_message = false;        // an attached message object (PR_ATTACH_DATA_OBJ with IID_IMessage, or method 5)
  std::vector<Text> texts;              // its string properties (mime tag, display name, ...)
  std::vector<Text> binary;             // its other binary properties (raw bytes: read by their printable runs)
};

struct Message {
  std::vector<Text> texts;              // subject, attBody, PR_BODY, other string properties, recipients
  std::vector<std::string> rtf;         // decompressed PR_RTF_COMPRESSED bodies
  std::vector<std::string> html;        // PR_HTML bodies as UTF-8 (still HTML)
  std::vector<Attachment> attachments;
  std::vector<Text> binary;             // other binary properties and attFrom (raw bytes: printable runs)
  std::vector<std::string> unread;      // objects not read (no content: where they are)
};

struct Limits {
  uint64_t max_unpacked = 256ull << 20;  // decompressed RTF, in all
  size_t max_attachments = 1000;
  size_t max_properties = 100000;        // per property list
};

// Parses a whole TNEF stream. Throws office::Failure (office_extract.h) for
// anything malformed or over a limit; the message names the reason only.
// `unpacked` is increased by every decompressed RTF byte. Views in the
// result point into `data`.
Message Parse(std::string_view data, const Limits& limits, uint64_t& unpacked);

// One PR_RTF_COMPRESSED value (MS-OXRTFCP): "LZFu" decompressed with the
// 207-byte preloaded dictionary, or "MELA" (stored). Throws office::Failure
// when the CRC, the declared sizes or the end of the data do not agree, or
// when the declared raw size is over `max_raw` (checked before allocating).
std::string DecompressRtf(std::string_view value, uint64_t max_raw);

// The CRC MS-OXRTFCP specifies (CRC-32 table, initial value 0, no final XOR).
uint32_t RtfCrc(std::string_view bytes);

}  // namespace nordpii::tnef

#endif  // NORDPII_EXTRACT_TNEF_H_
