# SPDX-License-Identifier: Apache-2.0
"""What the attachment script tests share: a check that records its
failure and goes on (so one run lists every failing case), nordpii run as a
subprocess, and the exit status at the end.

    import checklib as c
    c.NORDPII = sys.argv[1]
    c.check(rc == 1, "what was expected")
    rc, out, err = c.scan(path)      # scan --format jsonl [extra...] path
    c.finish()                       # exit 1 if any check failed"""
import os
import struct
import subprocess
import sys
import zlib

NORDPII = None
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(args, stdin=None, env=None, timeout=120):
    """nordpii ARGS: (exit status, stdout, stderr) as text."""
    p = subprocess.run([NORDPII] + list(args), input=stdin, capture_output=True, timeout=timeout,
                       env=dict(os.environ, **(env or {})))
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def scan(path, *extra):
    return run(["scan", "--format", "jsonl"] + list(extra) + [path], timeout=60)


def png_bytes():
    """An 8x8 grey PNG with no text chunk (its printable runs: IHDR, IDAT…)."""
    def chunk(t, b):
        return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xffffffff)
    raw = b"".join(b"\0" + bytes([0x10 * i] * 8) for i in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def finish():
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("all ok")
