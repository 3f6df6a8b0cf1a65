#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Real output against the schemas in docs/schema (issue 15):
#   scan --format sarif            -> the OASIS SARIF 2.1.0 schema (sarif-2.1.0.json)
#   scan --format jsonl, batch's findings.jsonl, find-subject's findings.jsonl
#                                  -> docs/schema/finding.schema.json
# on the samples (text, mail, Maildir, mbox, ticket exports) plus a mail
# whose attachment gives a note event. Needs python3-jsonschema
# (scripts/install-deps.sh --test).
#   output_schemas.sh NORDPII SOURCE_DIR
set -euo pipefail
N=$1 SRC=$2
V="/usr/bin/python3 $SRC/tests/validate_json_schema.py"
T=$(mktemp -d /tmp/nordpii-schemas.XXXXXX)
trap 'rm -rf "$T"' EXIT
export NORDPII_KEY=schema-test-key
mkdir "$T/in"  # inputs; the outputs beside it (a scan must not read its own output)
cat > "$T/in/note.eml" <<'MAIL'
From: a@example.com
To: b@example.com
Subject: Sak 15108695088
Date: Tue, 01 Sep 2026 10:00:00 +0000
Message-ID: <x1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

fnr 15108695088
--b1
Content-Type: audio/mpeg; name="opptak.mp3"
Content-Transfer-Encoding: base64

SUQzBAAAAAAAI1RTU0UAAAAPAAADTGF2ZjU4Ljc2LjEwMAAAAAAAAAAAAAAA//tQAAAAAAAAAAAA
--b1--
MAIL
printf 'fnr 15108695088 og "kunde"\tkonto 1234.56.78903\n' > "$T/in/name with space & ü.txt"
rc=0
"$N" scan --format sarif "$SRC/samples" "$T/in" > "$T/out.sarif" || rc=$?
[ "$rc" = 1 ] || { echo "scan --format sarif: exit $rc, expected 1"; exit 1; }
$V "$SRC/docs/schema/sarif-2.1.0.json" "$T/out.sarif"
# The SARIF has the findings, rules for their types, the note, and no raw value.
/usr/bin/python3 - "$T/out.sarif" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
run = doc["runs"][0]
results = run["results"]
rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
assert len(results) > 100, len(results)
assert {r["ruleId"] for r in results} == rules, "a rule per type found"
notes = run["invocations"][0]["toolExecutionNotifications"]
assert any("note.eml" in n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes), notes
uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
assert any(u.endswith("name%20with%20space%20%26%20%C3%BC.txt") for u in uris), uris
text = open(sys.argv[1]).read()
assert "15108695088" not in text and "151086 95088" not in text, "a raw value in the SARIF output"
print(f"sarif: {len(results)} results, {len(rules)} rules, {len(notes)} notifications")
PY
rc=0
"$N" scan --format jsonl "$SRC/samples" "$T/in" > "$T/scan.jsonl" || rc=$?
[ "$rc" = 1 ] || { echo "scan --format jsonl: exit $rc, expected 1"; exit 1; }
grep -q '"event":"note"' "$T/scan.jsonl" || { echo "no event line in the scan output"; exit 1; }
"$N" batch -q --report "$T/report" "$SRC/samples" "$T/in/note.eml" 2>/dev/null || [ $? = 1 ]
"$N" find-subject --id 15108695088 --report "$T/subject" "$SRC/samples" "$T/in/note.eml" > /dev/null 2>&1 || [ $? = 1 ]
$V "$SRC/docs/schema/finding.schema.json" --jsonl "$T/scan.jsonl" "$T/report/findings.jsonl" \
  "$T/subject/findings.jsonl"
echo "output_schemas: ok"
