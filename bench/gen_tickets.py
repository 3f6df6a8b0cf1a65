#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A Zendesk-style JSONL ticket export for the batch benchmark, made from the
ticket text corpus: each ticket has a subject, a description and 1-4
comments (body + html_body), ids and dates; written as FILES files (exports
come paginated). With FORMAT csv (default jsonl) the same tickets as a CSV
export (header row; id, subject, description, status, requester_id, dates,
one column per comment body, quoted cells with line breaks).
Usage: gen_tickets.py TEXT_CORPUS OUTDIR MEGABYTES FILES [jsonl|csv]"""
import csv
import io
import json
import os
import random
import sys

from text_chunks import TextChunks

src, out, mb, files = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
fmt = sys.argv[5] if len(sys.argv) > 5 else "jsonl"
CSV_COLUMNS = ["id", "subject", "description", "status", "requester_id", "created_at", "updated_at",
               "comment_1", "comment_2", "comment_3", "comment_4"]


def csv_line(t):
    row = [t["id"], t["subject"], t["description"], t["status"], t["requester_id"], t["created_at"],
           t["updated_at"]] + [c["body"] for c in t["comments"]] + [""] * (4 - len(t["comments"]))
    b = io.StringIO()
    csv.writer(b, lineterminator="\n").writerow(row)
    return b.getvalue()


r = random.Random(11)
chunk = TextChunks(src)
os.makedirs(out, exist_ok=True)
per_file = mb * 1000 * 1000 // files
tid = 100000


for i in range(files):
    with open(os.path.join(out, "export-%03d.%s" % (i, fmt)), "w", encoding="utf-8", newline="") as f:
        written = 0
        if fmt == "csv":
            f.write(",".join(CSV_COLUMNS) + "\n")
        while written < per_file:
            tid += 1
            comments = []
            for c in range(r.randint(1, 4)):
                body = chunk(r.randint(200, 3000))
                comments.append({"id": tid * 10 + c, "body": body, "html_body": "<p>" + body.replace("\n", "<br>") + "</p>",
                                 "public": True, "created_at": "2026-%02d-%02dT10:00:00Z" % (r.randint(1, 11), r.randint(1, 28))})
            t = {"id": tid, "subject": chunk(60).replace("\n", " "), "description": chunk(r.randint(200, 2000)),
                 "status": r.choice(["open", "closed", "solved"]), "requester_id": r.randint(1, 10**6),
                 "created_at": "2025-%02d-%02dT09:00:00Z" % (r.randint(1, 12), r.randint(1, 28)),
                 "updated_at": "2026-%02d-%02dT09:00:00Z" % (r.randint(1, 11), r.randint(1, 28)),
                 "via": {"channel": "email"}, "comments": comments, "custom_fields": [{"id": 1, "value": None}]}
            line = csv_line(t) if fmt == "csv" else json.dumps(t, ensure_ascii=False) + "\n"
            f.write(line)
            written += len(line.encode())
