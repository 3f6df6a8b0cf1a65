#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Synthetic TNEF streams (winmail.dat, MS-OXTNEF) for the TNEF tests, with
a real LZFu compressor (MS-OXRTFCP) that uses dictionary back-references, so
the reader's decompression is exercised, not only literal runs.

    blob, stats = lzfu(rtf_bytes)          # PR_RTF_COMPRESSED value
    data = tnef(subject=..., body=..., rtf=..., html=..., attachments=[...])

Written from the specifications (not from the GPL `tnef` program, which the
test uses only as an independent oracle)."""
import struct

PRELOAD = (b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript "
           b"\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par "
           b"\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx")
assert len(PRELOAD) == 207


def crc(data):
    """The MS-OXRTFCP CRC: the CRC-32 table, initial value 0, no final XOR."""
    c = 0
    for b in data:
        c ^= b
        for _ in range(8):
            c = (0xEDB88320 ^ (c >> 1)) if c & 1 else c >> 1
    return c


def lzfu(raw, raw_size=None, bad_crc=False):
    """raw (bytes) compressed as LZFu: greedy longest match (2..17 bytes) in
    the 4096-byte dictionary the decompressor keeps. Returns (the property
    value, stats) where stats["refs"] lists (output offset, length) of every
    back-reference. raw_size / bad_crc: damaged variants."""
    d = bytearray(4096)
    d[:207] = PRELOAD
    w = 207
    out = bytearray()
    refs = []
    # positions in the dictionary by their first two bytes
    index = {}

    def remember(pos):
        key = (d[pos], d[(pos + 1) & 4095])
        index.setdefault(key, []).append(pos)

    for p in range(206):
        remember(p)
    i = 0
    tokens = []
    while i < len(raw):
        best_len, best_off = 0, 0
        if i + 1 < len(raw):
            for o in reversed(index.get((raw[i], raw[i + 1]), [])[-64:]):
                # the reference may not reach the write position: the source
                # bytes must be in the dictionary before this token writes
                room = (w - o) & 4095
                if room == 0:
                    continue
                n = 0
                while n < 17 and i + n < len(raw) and n < room and d[(o + n) & 4095] == raw[i + n]:
                    n += 1
                if n > best_len:
                    best_len, best_off = n, o
        if best_len >= 2:
            # stale index entries (overwritten dictionary bytes) were checked above
            tokens.append((True, best_off, best_len))
            refs.append((i, best_len))
            step = best_len
        else:
            tokens.append((False, raw[i], 1))
            step = 1
        for k in range(step):
            d[w] = raw[i + k]
            if w >= 1:
                remember((w - 1) & 4095)
            w = (w + 1) & 4095
        i += step
    # the end marker: a reference to the write position
    tokens.append((True, w, 0))
    for k in range(0, len(tokens), 8):
        group = tokens[k:k + 8]
        ctrl = 0
        body = bytearray()
        for bit, (is_ref, a, n) in enumerate(group):
            if is_ref:
                ctrl |= 1 << bit
                body += struct.pack(">H", (a << 4) | ((n - 2) & 15 if n else 0))
            else:
                body.append(a)
        out.append(ctrl)
        out += body
    c = crc(bytes(out)) ^ (1 if bad_crc else 0)
    size = len(raw) if raw_size is None else raw_size
    return struct.pack("<IIII", len(out) + 12, size, 0x75465A4C, c) + bytes(out), {"refs": refs}


def mela(raw):
    """The uncompressed form ("MELA", CRC 0)."""
    return struct.pack("<IIII", len(raw) + 12, len(raw), 0x414C454D, 0) + raw


def attr(level, aid, data, bad_checksum=False):
    s = (sum(data) + (1 if bad_checksum else 0)) & 0xFFFF
    return struct.pack("<BII", level, aid, len(data)) + data + struct.pack("<H", s)


PT_LONG, PT_OBJECT, PT_STRING8, PT_UNICODE, PT_BINARY = 0x0003, 0x000D, 0x001E, 0x001F, 0x0102
IID_IMESSAGE = bytes.fromhex("0703020000000000c000000000000046")


def _pad(b):
    return b + b"\0" * ((4 - len(b) % 4) % 4)


def prop(ptype, pid, value):
    """One MAPI property of a TNEF property list."""
    head = struct.pack("<HH", ptype, pid)
    if ptype == PT_LONG:
        return head + struct.pack("<I", value)
    if ptype == PT_STRING8:
        value = value.encode("cp1252") + b"\0" if isinstance(value, str) else value
    elif ptype == PT_UNICODE:
        value = value.encode("utf-16-le") + b"\0\0"
    elif ptype not in (PT_BINARY, PT_OBJECT):
        # any other (fixed) type: raw value bytes as given
        return head + value
    return head + struct.pack("<II", 1, len(value)) + _pad(value)


def props(items):
    return struct.pack("<I", len(items)) + b"".join(items)


def tnef(subject=None, body=None, props_=(), attachments=(), codepage=1252, damage=None):
    """A TNEF stream. body: attBody text (cp1252); props_: message MAPI
    properties (prop(...)); attachments: dicts with name, data and how:
    "attach" (attAttachTitle + attAttachData), "mapi" (PR_ATTACH_LONG_FILENAME
    + PR_ATTACH_DATA_BIN), "message" (an embedded message object).
    damage: "checksum" spoils the last attribute's checksum."""
    t = struct.pack("<IH", 0x223E9F78, 0x1234)
    t += attr(1, 0x00089006, struct.pack("<I", 0x00010000))
    t += attr(1, 0x00069007, struct.pack("<II", codepage, 0))
    t += attr(1, 0x00078008, b"IPM.Microsoft Mail.Note\0")
    if subject is not None:
        t += attr(1, 0x00018004, subject.encode("cp1252") + b"\0")
    if body is not None:
        t += attr(1, 0x0002800C, body.encode("cp1252"))
    if props_:
        t += attr(1, 0x00069003, props(list(props_)))
    for a in attachments:
        t += attr(2, 0x00069002, struct.pack("<HIHHI", 1, 0xFFFFFFFF, 0, 0, 0))
        how = a.get("how", "attach")
        if how == "attach":
            t += attr(2, 0x00018010, a["name"].encode("cp1252") + b"\0")
            t += attr(2, 0x0006800F, a["data"])
            t += attr(2, 0x00069005, props([prop(PT_LONG, 0x3705, 1)]))
        elif how == "mapi":
            t += attr(2, 0x00018010, b"ATTACH~1.DAT\0")
            t += attr(2, 0x00069005, props([prop(PT_STRING8, 0x3707, a["name"]), prop(PT_LONG, 0x3705, 1),
                                            prop(PT_BINARY, 0x3701, a["data"])]))
        elif how == "message":
            t += attr(2, 0x00018010, b"Videresendt\0")
            t += attr(2, 0x00069005, props([prop(PT_LONG, 0x3705, 5),
                                            prop(PT_OBJECT, 0x3701, IID_IMESSAGE + a["data"])]))
    if damage == "checksum":
        t = t[:-2] + struct.pack("<H", (struct.unpack("<H", t[-2:])[0] + 1) & 0xFFFF)
    return t


def eml(parts, subject="Rapport"):
    """A multipart/mixed message: parts are (content type, file name or None,
    bytes); binary parts base64-encoded."""
    import base64
    out = ("From: a@example.com\nTo: b@example.com\nSubject: %s\nMIME-Version: 1.0\n"
           "Content-Type: multipart/mixed; boundary=\"XX\"\n\n" % subject)
    for ctype, name, data in parts:
        out += "--XX\n"
        if name is None:
            out += "Content-Type: %s; charset=utf-8\n\n%s\n" % (ctype, data.decode("utf-8"))
            continue
        out += ("Content-Type: %s; name=\"%s\"\nContent-Transfer-Encoding: base64\n"
                "Content-Disposition: attachment; filename=\"%s\"\n\n" % (ctype, name, name))
        out += base64.encodebytes(data).decode("ascii")
    out += "--XX--\n"
    return out.encode("ascii")
