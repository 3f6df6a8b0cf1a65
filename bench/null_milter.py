#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A null milter for bench/milter_load.sh: speaks milter v6 like nordpii does
(the same negotiation: no replies before end of message), stores nothing and
accepts every message, so Postfix's own cost of passing mail through a milter
can be measured apart from nordpii's. Usage: null_milter.py PORT"""
import asyncio
import struct
import sys

NR = 0x80 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x80000
WANT = 0x02 | 0x100 | 0x200 | 0x100000 | NR


def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


async def serve(reader, writer):
    sock = writer.get_extra_info("socket")
    import socket
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    nr = 0
    try:
        while True:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            head = await reader.readexactly(4)
            (n,) = struct.unpack(">I", head)
            body = await reader.readexactly(n)
            cmd, data = body[:1], body[1:]
            if cmd == b"O":
                _, act, proto = struct.unpack(">III", data[:12])
                mine = proto & WANT
                nr = mine & NR
                writer.write(pkt(b"O", struct.pack(">III", 6, act & 0x33, mine)))
            elif cmd == b"E":
                writer.write(pkt(b"c"))
            elif cmd in (b"D", b"A", b"K"):
                pass
            elif cmd == b"Q":
                break
            else:
                bit = {b"C": 0x1000, b"H": 0x2000, b"M": 0x4000, b"R": 0x8000, b"T": 0x10000, b"U": 0x20000,
                       b"N": 0x40000, b"B": 0x80000, b"L": 0x80}.get(cmd, 0)
                if not (nr & bit):
                    writer.write(pkt(b"c"))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]))
    print("null milter listening", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
