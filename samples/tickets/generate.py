#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the synthetic ticket exports in this directory (committed; rerun
only to change them). Every identifier is synthetic (checksum-valid test
numbers, no real person)."""
import csv
import io
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

zendesk = [
    {"id": 1001, "subject": "Oppdatere konto", "description": "Hei, mitt fnr er 151086 95088.",
     "status": "closed", "requester_id": 42, "created_at": "2025-01-10T09:00:00Z",
     "updated_at": "2025-01-12T10:00:00Z", "via": {"channel": "email"},
     "comments": [{"id": 1, "body": "Hei\nKonto: 8601.11.17947", "html_body": "<p>Hei<br>Konto: <b>8601</b>.11.17947</p>",
                   "public": True},
                  {"id": 2, "body": "Takk, ordnet. Ordre 4500012345.", "html_body": "<p>Takk, ordnet.</p>", "public": True}],
     "custom_fields": [{"id": 7, "value": "passord: Sommer2026!"}, {"id": 8, "value": None}],
     "tags": ["konto"]},
    {"id": 1002, "subject": "Faktura", "description": "Faktura 2026-11-01 er betalt, ordre 4500012346.",
     "status": "open", "requester_id": 43, "created_at": "2026-11-20T09:00:00Z",
     "updated_at": "2026-11-21T10:00:00Z", "via": {"channel": "web"}, "comments": [], "custom_fields": []},
    {"id": 1003, "subject": "Personnummer \u00e4ndrat", "description": "Mitt personnummer \u00e4r 19811218-9876 \u2014 \"viktigt\"",
     "status": "solved", "requester_id": 44, "created_at": "2024-03-01T09:00:00Z", "updated_at": "2024-03-02T09:00:00Z",
     "via": {"channel": "email"}, "comments": [], "custom_fields": []},
]
with open(os.path.join(HERE, "zendesk.jsonl"), "w", encoding="utf-8") as f:
    for t in zendesk:
        f.write(json.dumps(t, ensure_ascii=(t["id"] == 1003)) + "\n")

freshdesk = [
    {"id": 2001, "subject": "CPR", "description": "<div>Mit CPR-nr. er <b>010180</b>-1234</div>",
     "description_text": "Mit CPR-nr. er 010180-1234", "created_at": "2025-06-01T08:00:00Z",
     "updated_at": "2025-06-02T08:00:00Z", "closed_at": "2025-06-03T08:00:00Z",
     "conversations": [{"body_text": "Kennitala 120174-3399", "body": "<p>Kennitala 120174-3399</p>"}],
     "custom_fields": {"cf_hetu": "131052-308T", "cf_priority": 2}},
]
with open(os.path.join(HERE, "freshdesk.json"), "w", encoding="utf-8") as f:
    json.dump(freshdesk, f, indent=2, ensure_ascii=False)
    f.write("\n")

jira = {"startAt": 0, "total": 1, "issues": [
    {"key": "SUP-17", "fields": {"summary": "Kunde sendte IBAN NO93 8601 1117 947",
                                  "description": "Se vedlegg.\r\nKort 4111 1111 1111 1111",
                                  "created": "2026-10-01T10:00:00.000+0200", "updated": "2026-10-02T10:00:00.000+0200",
                                  "resolutiondate": None,
                                  "comment": {"comments": [{"body": "Ringte +47 912 34 567"}]}}}]}
with open(os.path.join(HERE, "jira.json"), "w", encoding="utf-8") as f:
    json.dump(jira, f, indent=1, ensure_ascii=False)
    f.write("\n")

buf = io.StringIO()
w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
w.writerow(["id", "created_at", "closed_at", "subject", "body"])
w.writerow(["3001", "2025-02-01", "2025-02-03", "Konto", "Hei;\r\nmitt fnr er \"15108695088\"\r\nhilsen"])
w.writerow(["3002", "2026-11-01", "", "Ordre", "ordre 4500012345"])
with open(os.path.join(HERE, "tickets.csv"), "w", encoding="utf-8", newline="") as f:
    f.write("\ufeff" + buf.getvalue())
