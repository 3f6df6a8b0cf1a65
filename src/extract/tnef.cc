// SPDX-License-Identifier: Apache-2.0
// TNEF reader (tnef.h): the attribute stream (MS-OXTNEF 2.1.3), the MAPI
// property lists of attMsgProps / attAttachment / attRecipTable (2.1.3.4)
// and compressed RTF (MS-OXRTFCP). Written from the specifications, not
// from libytnef or the `tnef` program (both GPL; nordpii links no GPL code).
#include "extract/tnef.h"

#include <array>
#include <cstdio>
#include <cstring>

#include "core/utf8.h"
#include "extract/office_extract.h"

namespace nordpii::tnef {

namespace {

[[noreturn]] void Fail(const std::string& msg) { throw office::Failure(msg); }

uint16_t Le16(const char* p) {
  return static_cast<uint16_t>(static_cast<unsigned char>(p[0]) | (static_cast<unsigned char>(p[1]) << 8));
}
uint32_t Le32(const char* p) {
  return static_cast<uint32_t>(Le16(p)) | (static_cast<uint32_t>(Le16(p + 2)) << 16);
}

// Bounds-checked reading of one byte range (the stream, an attribute's data).
class Reader {
 public:
  explicit Reader(std::string_view d) : d_(d) {}
  bool done() const { return p_ >= d_.size(); }
  size_t left() const { return d_.size() - p_; }
  std::string_view Take(size_t n, const char* what) {
    if (n > left()) Fail(std::string(what) + " runs past the end of its data (truncated or corrupt)");
    std::string_view v = d_.substr(p_, n);
    p_ += n;
    return v;
  }
  uint8_t U8(const char* what) { return static_cast<uint8_t>(Take(1, what)[0]); }
  uint16_t U16(const char* what) { return Le16(Take(2, what).data()); }
  uint32_t U32(const char* what) { return Le32(Take(4, what).data()); }
  void Pad4(size_t n, const char* what) { Take((4 - n % 4) % 4, what); }

 private:
  std::string_view d_;
  size_t p_ = 0;
};

// 8-bit text in the stream's code page (attOemCodepage; PR_INTERNET_CPID
// for HTML) as UTF-8: UTF-8 (65001) when it is valid, anything else as
// Windows-1252 — the ANSI code page Outlook writes for the Nordic languages
// (æ ø å ä ö þ ð); ASCII (every digit) is the same in all of them.
std::string Text8(std::string_view s, uint32_t cp) {
  while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
  if ((cp == 65001 || cp == 20127) && IsValidUtf8(s)) return std::string(s);
  static const uint16_t k80[32] = {0x20AC, 0x81,   0x201A, 0x192,  0x201E, 0x2026, 0x2020, 0x2021,
                                   0x2C6,  0x2030, 0x160,  0x2039, 0x152,  0x8D,   0x17D,  0x8F,
                                   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                   0x2DC,  0x2122, 0x161,  0x203A, 0x153,  0x9D,   0x17E,  0x178};
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const unsigned char b = static_cast<unsigned char>(ch);
    AppendUtf8(b >= 0x80 && b < 0xA0 ? k80[b - 0x80] : b, out);
  }
  return out;
}

// UTF-16LE (PT_UNICODE) as UTF-8; an unpaired surrogate becomes U+FFFD.
std::string Text16(std::string_view s) {
  std::string out;
  out.reserve(s.size() / 2);
  size_t n = s.size() / 2;
  while (n > 0 && Le16(s.data() + 2 * (n - 1)) == 0) --n;  // the terminating NUL(s)
  for (size_t i = 0; i < n; ++i) {
    uint32_t c = Le16(s.data() + 2 * i);
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < n) {
      const uint32_t d = Le16(s.data() + 2 * (i + 1));
      if (d >= 0xDC00 && d < 0xE000) {
        c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
        ++i;
      } else {
        c = 0xFFFD;
      }
    } else if (c >= 0xD800 && c < 0xE000) {
      c = 0xFFFD;
    }
    AppendUtf8(c, out);
  }
  return out;
}

std::string Hex4(uint32_t v) {
  char b[8];
  std::snprintf(b, sizeof b, "0x%04X", v & 0xFFFF);
  return b;
}

// MAPI property types (MS-OXCDATA 2.11.1) as TNEF encodes them.
constexpr uint16_t kPtShort = 0x0002, kPtLong = 0x0003, kPtFloat = 0x0004, kPtDouble = 0x0005,
                   kPtCurrency = 0x0006, kPtAppTime = 0x0007, kPtError = 0x000A, kPtBoolean = 0x000B,
                   kPtObject = 0x000D, kPtI8 = 0x0014, kPtString8 = 0x001E, kPtUnicode = 0x001F,
                   kPtSysTime = 0x0040, kPtClsid = 0x0048, kPtSvrEid = 0x00FB, kPtBinary = 0x0102,
                   kMvFlag = 0x1000;

// One property of a list: its tag and its values (views into the stream).
struct Prop {
  uint16_t type = 0, id = 0;  // type without kMvFlag
  bool named = false;
  uint32_t number = 0;  // the first value of an integer property
  std::vector<std::string_view> values;
};

// The bytes a fixed-size value takes (padded to 4), 0 for a variable one.
size_t FixedSize(uint16_t type) {
  switch (type) {
    case kPtShort: case kPtLong: case kPtFloat: case kPtError: case kPtBoolean: return 4;
    case kPtDouble: case kPtCurrency: case kPtAppTime: case kPtI8: case kPtSysTime: return 8;
    case kPtClsid: return 16;
    case kPtObject: case kPtString8: case kPtUnicode: case kPtSvrEid: case kPtBinary: return 0;
    default: Fail("unknown MAPI property type " + Hex4(type));
  }
}

// A counted property list (MS-OXTNEF 2.1.3.4), each property to `fn`.
template <class Fn>
void ReadProps(Reader& r, const Limits& lim, Fn&& fn) {
  const uint32_t count = r.U32("property list");
  if (count > lim.max_properties) Fail("more MAPI properties than the limit");
  for (uint32_t i = 0; i < count; ++i) {
    Prop p;
    const uint16_t type = r.U16("property tag");
    p.id = r.U16("property tag");
    p.type = type & static_cast<uint16_t>(~kMvFlag);
    if (p.id >= 0x8000) {  // named property: GUID, then a number or a UTF-16 name
      p.named = true;
      r.Take(16, "property name");
      const uint32_t kind = r.U32("property name");
      if (kind == 0) {
        r.U32("property name");
      } else if (kind == 1) {
        const uint32_t n = r.U32("property name");
        r.Take(n, "property name");
        r.Pad4(n, "property name");
      } else {
        Fail("unknown named-property kind");
      }
    }
    const size_t fixed = FixedSize(p.type);
    const bool multi = (type & kMvFlag) != 0;
    const uint32_t n = (multi || fixed == 0) ? r.U32("property value count") : 1;
    // Every value takes at least 4 bytes: a count past the data is corrupt
    // (checked before anything is reserved for it).
    if (n > r.left() / 4) Fail("property value count runs past the end of its data (truncated or corrupt)");
    for (uint32_t k = 0; k < n; ++k) {
      if (fixed) {
        std::string_view v = r.Take(fixed, "property value");
        if (k == 0) p.number = Le32(v.data());
        p.values.push_back(v);
      } else {
        const uint32_t len = r.U32("property value");
        p.values.push_back(r.Take(len, "property value"));
        r.Pad4(len, "property value");
      }
    }
    fn(p);
  }
}

// IID_IMessage {00020307-0000-0000-C000-000000000046} as stored.
constexpr std::string_view kIidMessage("\x07\x03\x02\x00\x00\x00\x00\x00\xC0\x00\x00\x00\x00\x00\x00\x46", 16);

// The CRC table of MS-OXRTFCP 3.1.3.2 (the CRC-32 polynomial, reflected).
const std::array<uint32_t, 256>& CrcTable() {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return kTable;
}

// The dictionary every LZFu stream starts from (MS-OXRTFCP 3.1.3.1).
constexpr std::string_view kPreload =
    "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript "
    "\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par "
    "\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";
static_assert(kPreload.size() == 207, "MS-OXRTFCP: the preloaded dictionary is 207 bytes");

}  // namespace

uint32_t RtfCrc(std::string_view bytes) {
  const auto& t = CrcTable();
  uint32_t crc = 0;
  for (char ch : bytes) crc = t[(crc ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (crc >> 8);
  return crc;
}

std::string DecompressRtf(std::string_view v, uint64_t max_raw) {
  if (v.size() < 16) Fail("compressed RTF shorter than its header");
  const uint32_t comp_size = Le32(v.data()), raw_size = Le32(v.data() + 4), type = Le32(v.data() + 8),
                 crc = Le32(v.data() + 12);
  // COMPSIZE counts the bytes after itself: the rest of the header and the data.
  if (comp_size < 12 || static_cast<uint64_t>(comp_size) + 4 != v.size())
    Fail("compressed RTF size does not match its property (truncated or corrupt)");
  if (raw_size > max_raw) Fail("compressed RTF declares a size over the limit");
  const std::string_view data = v.substr(16);
  if (type == 0x414C454D) {  // "MELA": stored, CRC 0
    if (crc != 0 || data.size() != raw_size) Fail("uncompressed RTF with a wrong size or CRC");
    return std::string(data);
  }
  if (type != 0x75465A4C) Fail("compressed RTF of an unknown kind");  // "LZFu"
  if (RtfCrc(data) != crc) Fail("compressed RTF CRC mismatch (corrupt)");
  std::string out;
  out.reserve(raw_size);
  std::array<char, 4096> dict{};
  std::memcpy(dict.data(), kPreload.data(), kPreload.size());
  uint32_t w = static_cast<uint32_t>(kPreload.size());
  size_t i = 0;
  bool ended = false;
  auto put = [&](char c) {
    if (out.size() >= raw_size) Fail("compressed RTF decompresses to more than its declared size");
    out.push_back(c);
    dict[w] = c;
    w = (w + 1) & 4095;
  };
  while (!ended && i < data.size()) {
    const unsigned ctrl = static_cast<unsigned char>(data[i++]);
    for (int bit = 0; bit < 8 && !ended; ++bit) {
      if (i >= data.size()) {  // the data ends inside a run: only after the end marker or all tokens
        ended = true;
        break;
      }
      if (ctrl & (1u << bit)) {
        if (i + 2 > data.size()) Fail("compressed RTF ends inside a reference (truncated)");
        const uint32_t ref = (static_cast<uint32_t>(static_cast<unsigned char>(data[i])) << 8) |
                             static_cast<unsigned char>(data[i + 1]);
        i += 2;
        const uint32_t off = ref >> 4, len = (ref & 15) + 2;
        if (off == w) {  // the end marker
          ended = true;
          break;
        }
        for (uint32_t k = 0; k < len; ++k) put(dict[(off + k) & 4095]);
      } else {
        put(data[i++]);
      }
    }
  }
  if (out.size() != raw_size) Fail("compressed RTF decompresses to a size other than it declares (corrupt)");
  return out;
}

Message Parse(std::string_view data, const Limits& lim, uint64_t& unpacked) {
  Message m;
  Reader r(data);
  if (r.Take(4, "signature") != kSignature) Fail("not a TNEF stream (bad signature)");
  r.U16("legacy key");
  if (r.done()) Fail("no attributes");
  uint32_t cp = 1252;
  uint32_t html_cp = 0;  // PR_INTERNET_CPID
  std::vector<std::string_view> html_raw;
  Attachment* att = nullptr;
  auto new_attachment = [&] {
    if (m.attachments.size() >= lim.max_attachments) Fail("more attachments than the limit");
    m.attachments.emplace_back();
    att = &m.attachments.back();
    att->number = static_cast<int>(m.attachments.size());
  };
  std::string att_title;  // attAttachTitle, until a long file name is seen
  auto finish_attachment = [&] {
    if (att && att->name.empty()) att->name = att_title;
    if (att) att->name = att->name.substr(att->name.find_last_of("/\\") + 1);  // a path's last part
    att_title.clear();
  };
  auto add_data = [&](Attachment& a, std::string_view d) {
    for (std::string_view seen : a.data)
      if (seen == d) return;
    a.data.push_back(d);
  };
  // A message or attachment property (attMsgProps / attAttachment).
  auto message_prop = [&](const Prop& p) {
    const std::string loc = "property " + Hex4(p.id);
    if (p.type == kPtString8 || p.type == kPtUnicode) {
      const bool is_html = !p.named && p.id == 0x1013;
      for (std::string_view v : p.values) {
        if (is_html && p.type == kPtString8) {
          html_raw.push_back(v);
          continue;
        }
        std::string t = p.type == kPtUnicode ? Text16(v) : Text8(v, cp);
        if (is_html) {
          m.html.push_back(std::move(t));
          continue;
        }
        m.texts.push_back({!p.named && p.id == 0x1000 ? "body" : !p.named && p.id == 0x0037 ? "subject" : loc,
                           std::move(t)});
      }
    } else if (p.type == kPtBinary && !p.named && p.id == 0x1009) {
      for (std::string_view v : p.values) {
        if (unpacked > lim.max_unpacked) Fail("decompressed size larger than the limit");
        m.rtf.push_back(DecompressRtf(v, lim.max_unpacked - unpacked));
        unpacked += m.rtf.back().size();
      }
    } else if (p.type == kPtBinary && !p.named && p.id == 0x1013) {
      for (std::string_view v : p.values) html_raw.push_back(v);
    } else if (p.type == kPtBinary || p.type == kPtSvrEid) {
      for (std::string_view v : p.values) m.binary.push_back({loc, std::string(v)});
    } else if (p.type == kPtLong && !p.named && p.id == 0x3FDE) {
      html_cp = p.number;
    } else if (p.type == kPtObject) {
      m.unread.push_back("an object in message " + loc);
    }
  };
  auto attachment_prop = [&](const Prop& p) {
    Attachment& a = *att;
    const std::string loc = "property " + Hex4(p.id);
    if (p.type == kPtString8 || p.type == kPtUnicode) {
      for (std::string_view v : p.values) {
        std::string t = p.type == kPtUnicode ? Text16(v) : Text8(v, cp);
        if (!p.named && (p.id == 0x3707 || (p.id == 0x3704 && a.name.empty()))) a.name = t;  // long / short file name
        a.texts.push_back({loc, std::move(t)});
      }
    } else if (!p.named && p.id == 0x3701 && p.type == kPtBinary) {  // PR_ATTACH_DATA_BIN
      for (std::string_view v : p.values) add_data(a, v);
    } else if (!p.named && p.id == 0x3701 && p.type == kPtObject) {  // PR_ATTACH_DATA_OBJ: IID, then the object
      for (std::string_view v : p.values) {
        if (v.size() < 16) Fail("attachment object shorter than its IID");
        if (v.substr(0, 16) == kIidMessage || IsTnef(v.substr(16))) {
          a.embedded_message = true;
        } else {
          add_data(a, v.substr(16));  // an OLE object's storage (Nested reads an OLE2 file)
        }
      }
    } else if (!p.named && p.id == 0x3705 && p.type == kPtLong) {  // PR_ATTACH_METHOD
      if (p.number == 5) a.embedded_message = true;  // ATTACH_EMBEDDED_MSG
    } else if (p.type == kPtBinary || p.type == kPtSvrEid) {
      for (std::string_view v : p.values) a.binary.push_back({loc, std::string(v)});
    } else if (p.type == kPtObject) {
      m.unread.push_back("an object in attachment " + std::to_string(a.number) + " " + loc);
    }
  };
  while (!r.done()) {
    const uint8_t level = r.U8("attribute");
    const uint32_t id = r.U32("attribute");
    const uint32_t len = r.U32("attribute");
    const std::string_view value = r.Take(len, "attribute");
    const uint16_t sum = r.U16("attribute checksum");
    uint32_t s = 0;
    for (char c : value) s += static_cast<unsigned char>(c);
    if ((s & 0xFFFF) != sum) Fail("attribute checksum mismatch (corrupt)");
    const uint16_t low = id & 0xFFFF, kind = static_cast<uint16_t>(id >> 16);
    if (level == 1) {  // LVL_MESSAGE
      Reader ar(value);
      switch (low) {
        case 0x9007:  // attOemCodepage
          cp = ar.U32("code page");
          break;
        case 0x8004:  // attSubject
          m.texts.push_back({"subject", Text8(value, cp)});
          break;
        case 0x800C:  // attBody
          m.texts.push_back({"body", Text8(value, cp)});
          break;
        case 0x9003:  // attMsgProps
          ReadProps(ar, lim, message_prop);
          if (!ar.done()) Fail("bytes after the message properties (corrupt)");
          break;
        case 0x9004: {  // attRecipTable: rows of property lists
          const uint32_t rows = ar.U32("recipient table");
          if (rows > ar.left() / 4) Fail("recipient table runs past the end of its data (truncated or corrupt)");
          for (uint32_t k = 0; k < rows; ++k)
            ReadProps(ar, lim, [&](const Prop& p) {
              if (p.type == kPtString8 || p.type == kPtUnicode)
                for (std::string_view v : p.values)
                  m.texts.push_back({"recipient " + std::to_string(k + 1) + " property " + Hex4(p.id),
                                     p.type == kPtUnicode ? Text16(v) : Text8(v, cp)});
            });
          if (!ar.done()) Fail("bytes after the recipient table (corrupt)");
          break;
        }
        case 0x8000:  // attFrom: sender name and address among binary fields
          m.binary.push_back({"from", std::string(value)});
          break;
        case 0x8009: case 0x800A: case 0x800B:  // message, parent and conversation keys (hex)
          break;
        default:
          // Other string and text attributes (attributes of unknown ids
          // too): read as text; the rest (dates, numbers, the class) is not text.
          if (kind == 0x0001 || kind == 0x0002) m.texts.push_back({"attribute " + Hex4(low), Text8(value, cp)});
          break;
      }
    } else if (level == 2) {  // LVL_ATTACHMENT
      if (low == 0x9002 || !att) {  // attAttachRenddata begins an attachment
        finish_attachment();
        new_attachment();
      }
      Attachment& a = *att;
      Reader ar(value);
      switch (low) {
        case 0x9002:
          break;
        case 0x8010:  // attAttachTitle (the 8.3 or long name)
          att_title = Text8(value, cp);
          a.texts.push_back({"title", att_title});
          break;
        case 0x800F:  // attAttachData
          add_data(a, value);
          break;
        case 0x9005:  // attAttachment
          ReadProps(ar, lim, attachment_prop);
          if (!ar.done()) Fail("bytes after the attachment properties (corrupt)");
          break;
        case 0x8011:  // attAttachMetaFile: the icon Outlook draws (a metafile)
          a.binary.push_back({"rendering", std::string(value)});
          break;
        default:
          if (kind == 0x0001 || kind == 0x0002) a.texts.push_back({"attribute " + Hex4(low), Text8(value, cp)});
          else if (kind == 0x0006) a.binary.push_back({"attribute " + Hex4(low), std::string(value)});
          break;
      }
    } else {
      Fail("unknown attribute level (corrupt)");
    }
  }
  finish_attachment();
  for (std::string_view h : html_raw)
    m.html.push_back(Text8(h, html_cp ? html_cp : IsValidUtf8(h) ? 65001 : 1252));
  return m;
}

}  // namespace nordpii::tnef
