#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""SMTP load client for bench/milter_load.sh: sends the messages in DIR to
127.0.0.1:PORT with THREADS parallel clients (one SMTP session each, many
messages per session), timing each message from MAIL FROM to the reply to
the end of DATA. Prints JSON: count, errors, seconds, per-message latencies.
With RATE (messages/s) the load is open: message i is due at start + i/RATE
whether or not earlier ones are done, and its latency counts from when it was
due (waiting for a free client included), so it shows the time a message
spends at this rate, not the queue of a saturated machine.
Usage: milter_load.py PORT DIR THREADS [RATE]"""
import json
import os
import smtplib
import sys
import threading
import time

port, d, threads = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rate = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
files = sorted(os.path.join(d, f) for f in os.listdir(d))
lock = threading.Lock()
queue = list(enumerate(files))
queue.reverse()  # popped from the end: in file order
lat = [None] * len(files)
errors = []


def worker():
    s = smtplib.SMTP("127.0.0.1", port, timeout=120)
    s.ehlo("load.test")
    while True:
        with lock:
            if not queue:
                break
            i, f = queue.pop()
        data = open(f, "rb").read()
        if rate:
            t = t0 + i / rate
            wait = t - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        else:
            t = time.perf_counter()
        try:
            s.sendmail("load@example.org", ["inbox@pii.test"], data)
            lat[i] = time.perf_counter() - t
        except Exception as e:  # noqa: BLE001 - counted, reported
            errors.append(str(e)[:200])
            s = smtplib.SMTP("127.0.0.1", port, timeout=120)
            s.ehlo("load.test")
    s.quit()


t0 = time.perf_counter()
ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
elapsed = time.perf_counter() - t0
sizes = [os.path.getsize(f) for f in files]
print(json.dumps({"count": len(files), "errors": errors[:5], "error_count": len(errors), "seconds": elapsed,
                  "latency": lat, "sizes": sizes}))
