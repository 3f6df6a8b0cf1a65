#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Peak memory of `nordpii milter` with N messages at once (issue 12 #9).

Usage: milter_mem.py NORDPII POLICY.toml MESSAGE.eml N [PORT]

Starts the milter on 127.0.0.1:PORT (default 8931), sends MESSAGE N times
concurrently over the milter protocol (v6, no "no reply" bits: every
packet answered), waits for each verdict and prints the replies and the
milter's VmHWM (peak RSS) from /proc. A policy that redacts national ids
makes the milter build the redacted copy too (the worst case), e.g.:
  [limits]
  max_message_bytes = 26214400
  scan_timeout_ms = 60000
  [[rule]]
  name = "redact-ids"
  categories = ["national-id"]
  action = "redact"
Messages: bench/gen_dense_inputs.py DIR 24.
"""
import socket
import struct
import subprocess
import sys
import threading
import time


def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def recv(s):
    h = b""
    while len(h) < 4:
        c = s.recv(4 - len(h))
        if not c:
            return None
        h += c
    n = struct.unpack(">I", h)[0]
    d = b""
    while len(d) < n:
        c = s.recv(n - len(d))
        if not c:
            return None
        d += c
    return d


def one(port, raw, res, i):
    head, _, body = raw.partition(b"\n\n")
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(pkt(b"O", struct.pack(">III", 6, 0x1FF, 0)))
    recv(s)
    for cmd, data in ((b"C", b"client\0" + b"4" + struct.pack(">H", 25) + b"127.0.0.1\0"),
                      (b"M", b"<a@example.org>\0"), (b"R", b"<b@example.com>\0")):
        s.sendall(pkt(cmd, data))
        recv(s)
    for line in head.split(b"\n"):
        k, _, v = line.partition(b":")
        s.sendall(pkt(b"L", k + b"\0" + v.lstrip() + b"\0"))
        recv(s)
    s.sendall(pkt(b"N"))
    recv(s)
    for off in range(0, len(body), 65535):
        s.sendall(pkt(b"B", body[off:off + 65535]))
        recv(s)
    s.sendall(pkt(b"E"))
    kinds = set()
    while True:
        r = recv(s)
        if r is None:
            break
        kinds.add(r[:1].decode())
        if r[:1] in (b"c", b"a", b"r", b"y", b"t", b"d", b"q"):
            break
    res[i] = "".join(sorted(kinds))
    s.close()


def main():
    binary, policy, path, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    port = int(sys.argv[5]) if len(sys.argv) > 5 else 8931
    p = subprocess.Popen([binary, "milter", "--listen", "inet:%d@127.0.0.1" % port, "--config", policy],
                         stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                time.sleep(0.1)
        raw = open(path, "rb").read()
        res = [None] * n
        ts = [threading.Thread(target=one, args=(port, raw, res, i)) for i in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        hwm = [l for l in open("/proc/%d/status" % p.pid) if l.startswith("VmHWM")][0].split()[1]
        print("replies (packet kinds per message):", res)
        print("peak RSS %d MB for %d message(s) of %.1f MB" % (int(hwm) // 1024, n, len(raw) / 1048576))
    finally:
        p.terminate()
        err = p.communicate()[1]
        sys.stderr.write("".join(l + "\n" for l in err.splitlines() if "action=" in l))


if __name__ == "__main__":
    main()
