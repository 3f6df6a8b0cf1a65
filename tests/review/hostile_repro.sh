#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Reproductions from the 2026-12-03 hostile review. Each case prints the
# exit status of `nordpii scan`; every case holds a synthetic id, so the
# expected status is 1 (found) or 2 (not scanned) -- never 0.
# Usage: tests/review/hostile_repro.sh [path/to/nordpii]
N=${1:-build/src/nordpii}; N=$(realpath "$N")
D=$(mktemp -d); trap 'rm -rf "$D"' EXIT; cd "$D"
ID=15108695088
b64() { printf '%s' "$1" | base64 -w0; }
# 1 message/rfc822 with base64 transfer encoding around a message whose body is base64
printf 'Subject: x\nMIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n%s\n' "$(b64 "fnr $ID")" > inner.eml
printf 'Subject: o\nMIME-Version: 1.0\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n%s\n' "$(base64 inner.eml)" > rfc822-b64.eml
# 2 multipart with no delimiter line (body never read)
printf 'Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=BB\n\nfnr %s\n' $ID > multipart-noparts.eml
# 3 multipart preamble / epilogue
printf 'Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=BB\n\nfnr %s\n--BB\nContent-Type: text/plain\n\nhei\n--BB--\nfnr %s\n' $ID $ID > preamble.eml
# 4 UTF-16 text and Excel "Unicode text" TSV
printf 'fnr %s\n' $ID | iconv -t UTF-16 > utf16.txt
printf 'navn\tnotat\nOla\tfnr %s\n' $ID | iconv -t UTF-16 > utf16.tsv
# 5 tar.xz / tar.bz2 / xz / zstd read as text
printf 'x%.0s\n' $(seq 50) > t.txt; printf 'fnr %s\n' $ID >> t.txt
tar cJf a.tar.xz t.txt; tar cjf a.tar.bz2 t.txt; xz -k t.txt; bzip2 -k t.txt
# 6 zip inside zip
zip -q in.zip t.txt; zip -q nested.zip in.zip
# 7 JSON number value
printf '{"fnr": %s}\n' $ID > number.jsonl
# 8 Zendesk export: field outside the built-in map
printf '{"requester_id":1,"via":{},"description":"hei","metadata":{"note":"fnr %s"}}\n' $ID > zendesk-extra.jsonl
# 9 RFC 2231 continuation / percent-encoded file name
printf 'Subject: x\nMIME-Version: 1.0\nContent-Type: text/plain\nContent-Disposition: attachment; filename*0="kunde-151086"; filename*1="95088.txt"\n\nhei\n' > rfc2231-cont.eml
# 10 HTML: attribute, comment, display:none split
printf 'Subject: x\nMIME-Version: 1.0\nContent-Type: text/html\n\n<img alt="fnr %s"><!-- fnr %s -->\n' $ID $ID > html-attr.eml
printf 'Subject: x\nMIME-Version: 1.0\nContent-Type: text/html\n\n<p>fnr 151086<span style="display:none">x</span>95088</p>\n' > html-hidden.eml
# 11 unscanned attachment types
printf 'Subject: x\nMIME-Version: 1.0\nContent-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: base64\n\n%s\n' "$(b64 "fnr $ID")" > octet.eml
# 12 X-Nordpii header content
printf 'Subject: x\nX-Nordpii: redacted=1; fnr %s\n\nhei\n' $ID > x-nordpii.eml
# 13 Maildir++ subfolder / tmp
mkdir -p md/cur md/new md/tmp md/.Sent/cur; printf 'Subject: x\n\nfnr %s\n' $ID > md/.Sent/cur/1:2,S
# 14 symlinked directory and FIFO in a walk
mkdir -p walk real; printf 'fnr %s\n' $ID > real/a.txt; ln -s ../real walk/link; mkfifo walk/fifo
for f in rfc822-b64.eml multipart-noparts.eml preamble.eml utf16.txt utf16.tsv a.tar.xz a.tar.bz2 t.txt.xz t.txt.bz2 \
         nested.zip number.jsonl zendesk-extra.jsonl rfc2231-cont.eml html-attr.eml html-hidden.eml octet.eml x-nordpii.eml md walk; do
  "$N" scan --format jsonl "$f" >/dev/null 2>&1; rc=$?
  printf '%-22s rc=%d %s\n' "$f" $rc "$([ $rc = 0 ] && echo 'SILENT MISS')"
done
# 15 bad option values accepted (expect exit 2)
printf 'navn,notat\nOla,fnr %s\n' $ID > c.csv; printf '{"notat":"fnr %s"}\n' $ID > j.jsonl
for o in "--columns 0" "--columns 99" "--columns nosuch"; do "$N" scan c.csv $o >/dev/null 2>&1; echo "scan c.csv $o rc=$?"; done
for o in "--fields ]]" "--fields nosuch"; do "$N" scan j.jsonl $o >/dev/null 2>&1; echo "scan j.jsonl $o rc=$?"; done
