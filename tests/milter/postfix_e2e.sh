#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end test of `nordpii milter` with a real Postfix (Debian's postfix
# package) and swaks: a private Postfix instance on loopback (the system
# configuration is not touched) with smtpd_milters and non_smtpd_milters
# pointing at nordpii, delivering every recipient to one Maildir. Checks, for
# each action: flagged mail arrives with the verdict header; redacted mail
# arrives valid (re-parsed with Python's email package) without the
# identifiers; rejected mail gets the 5.7.1 text; clean mail arrives with a
# byte-identical body; quarantined mail is on hold; with nordpii killed
# Postfix applies milter_default_action (tempfail) and mail submitted
# locally stays queued and is delivered once nordpii is back (no mail lost);
# a bad policy on SIGHUP is refused while the old one keeps working;
# operations: `--check` on a good and a bad file, monitor mode, a
# per-recipient and a client-address rule (first match wins), nordpii run as
# nobody (Uid/Gid in /proc/PID/status) with a pid file, a Prometheus
# scrape after messages through Postfix, and a SASL-user rule with Postfix's
# SMTP AUTH (dovecot SASL type against a minimal auth server in Python).
#
# Usage: postfix_e2e.sh NORDPII_BINARY SOURCE_DIR
# Needs root (Postfix's master starts as root); exits 77 (CTest: skipped)
# otherwise.
set -u
BIN=$1
SRC=$2
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root to start a private Postfix"; exit 77; fi
for c in postfix postconf postqueue swaks; do
  command -v $c >/dev/null || { echo "FAIL: $c missing (scripts/install-deps.sh installs postfix and swaks)"; exit 1; }
done
LAB=$(mktemp -d /tmp/nordpii-postfix.XXXXXX)
chmod 755 "$LAB"
C=$LAB/conf
MILTER_LOG=$LAB/milter.log
FAILS=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
. "$(dirname "$0")/postfix_lab.sh"
SMTP_PORT=$(lab_free_port)
MILTER_PORT=$(lab_free_port)
MPID=
cleanup() {
  [ -n "$MPID" ] && kill "$MPID" 2>/dev/null
  lab_stop "$LAB"
  sleep 0.5
  if [ "$FAILS" = 0 ]; then rm -rf "$LAB"; else echo "lab kept in $LAB"; fi
}
trap cleanup EXIT

if ! lab_start "$LAB" "$SMTP_PORT" "inet:127.0.0.1:$MILTER_PORT"; then
  echo "FAIL: private Postfix did not start"; cat "$LAB/maillog" 2>/dev/null; exit 1
fi

# Policies: one per action, swapped in with SIGHUP.
policy() {  # name action [extra rule lines]
  cat > "$LAB/$1.toml" <<EOF
[direction]
internal_domains = ["pii.test"]
[reject]
secure_url = "https://pii.test/upload"
default_language = "en"
[reject.languages]
"pii.test" = "nb"
[[rule]]
name = "$1-rule"
categories = ["national-id", "financial", "credential"]
min_confidence = "medium"
action = "$2"
EOF
}
policy flag flag
policy redact redact
policy reject reject
policy quarantine quarantine
echo '[[rule]]' > "$LAB/bad.toml"; echo 'action = "explode"' >> "$LAB/bad.toml"
cp "$LAB/flag.toml" "$LAB/active.toml"

start_milter() {
  local n
  n=$(grep -c "listening on inet:$MILTER_PORT" "$MILTER_LOG" 2>/dev/null)
  NORDPII_KEY=e2e-key NORDPII_CACHE_DIR=off "$BIN" milter --listen "inet:$MILTER_PORT@127.0.0.1" \
    --config "$LAB/active.toml" --patterns "$SRC/patterns" >>"$MILTER_LOG" 2>&1 &
  MPID=$!
  for _ in $(seq 50); do
    [ "$(grep -c "listening on inet:$MILTER_PORT" "$MILTER_LOG")" -gt "${n:-0}" ] && return 0
    sleep 0.1
  done
  echo "FAIL: nordpii milter did not start"; cat "$MILTER_LOG"; exit 1
}
use_policy() {  # name
  cp "$LAB/$1.toml" "$LAB/active.toml"
  local n
  n=$(grep -c 'configuration reloaded' "$MILTER_LOG")
  kill -HUP "$MPID"
  for _ in $(seq 50); do
    [ "$(grep -c 'configuration reloaded' "$MILTER_LOG")" -gt "$n" ] && return 0
    sleep 0.1
  done
  fail "reload to $1 not confirmed"
}
delivered_count() { ls "$LAB/mail/inbox/new" 2>/dev/null | wc -l; }
wait_delivery() {  # expected count -> newest file path
  for _ in $(seq 200); do
    if [ "$(delivered_count)" -ge "$1" ]; then ls -t "$LAB/mail/inbox/new/"* | head -1; return 0; fi
    sleep 0.1
  done
  return 1
}
send() {  # subject body -> swaks output
  swaks --server "127.0.0.1:$SMTP_PORT" --from kari@example.org --to inbox@pii.test \
    --header "Subject: $1" --body "$2" 2>&1
}
body_of() { /usr/bin/python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); i=d.find(b"\n\n"); sys.stdout.buffer.write(d[i+2:])' "$1"; }

start_milter
N=0

# 1. flag
out=$(send "flag test" "Mitt fnr er 15108695088.")
N=$((N + 1))
if f=$(wait_delivery $N) && grep -q '^X-Nordpii-Verdict: flag; rule=flag-rule; findings=1; types=no.fnr:1' "$f"; then
  pass "flag: delivered with X-Nordpii-Verdict"
else fail "flag: $out"; fi

# 1b. forged verdict headers from outside are deleted; ours is the only one
printf 'From: kari@example.org\r\nTo: inbox@pii.test\r\nX-Nordpii-Verdict: accept; rule=-; findings=0\r\nSubject: forged\r\nX-Nordpii: redacted=0\r\nx-nordpii-verdict: none\r\n\r\nMitt fnr er 15108695088.\r\n' > "$LAB/forged.eml"
swaks --server "127.0.0.1:$SMTP_PORT" --from kari@example.org --to inbox@pii.test --data "$LAB/forged.eml" >/dev/null 2>&1
N=$((N + 1))
if f=$(wait_delivery $N) && [ "$(grep -ci '^X-Nordpii' "$f")" = 1 ] &&
   grep -q '^X-Nordpii-Verdict: flag; rule=flag-rule' "$f" && grep -q '^Subject: forged' "$f"; then
  pass "forged X-Nordpii headers removed, only nordpii's verdict arrives"
else fail "forged headers: $(grep -i '^x-nordpii' "$f" 2>/dev/null | tr '\n' '|')"; fi

# 1c. a slow SMTP client: pauses between EHLO and MAIL and inside DATA,
#     each longer than read_timeout_s (1 s here): Postfix sends the milter
#     nothing meanwhile, and the message must still be accepted.
{ cat "$LAB/flag.toml"; printf '[milter]\nread_timeout_s = 1\n'; } > "$LAB/slow.toml"
use_policy slow
slow_out=$(/usr/bin/python3 - "$SMTP_PORT" 2>&1 <<'EOF'
import smtplib, sys, time
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.ehlo("slow.example")
time.sleep(2.5)
s.mail("kari@example.org")
s.rcpt("inbox@pii.test")
s.putcmd("data")
assert s.getreply()[0] == 354
for line in [b"Subject: slow client\r\n", b"\r\n", b"line one\r\n"]:
    s.send(line)
    time.sleep(1.5)
s.send(b"fnr 15108695088\r\n.\r\n")
code, msg = s.getreply()
print(code, msg.decode())
s.quit()
EOF
)
N=$((N + 1))
if echo "$slow_out" | grep -q '^250' && f=$(wait_delivery $N) && grep -q '^X-Nordpii-Verdict: flag' "$f"; then
  pass "slow SMTP client (pauses > read_timeout_s): accepted and flagged"
else fail "slow SMTP client: $slow_out"; fi

# 1d. SIGTERM with an idle SMTP session open (Postfix holds its milter
#     connection while the client says nothing): nordpii exits within 2 s.
use_policy flag  # the default read_timeout_s (300 s)
/usr/bin/python3 - "$SMTP_PORT" >/dev/null 2>&1 <<'EOF' &
import smtplib, sys, time
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.ehlo("idle.example")
time.sleep(8)
EOF
IDLE_PID=$!
sleep 1
t0=$(date +%s%N)
kill -TERM "$MPID"
for _ in $(seq 100); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.05; done
t1=$(date +%s%N)
if ! kill -0 "$MPID" 2>/dev/null && [ $(((t1 - t0) / 1000000)) -lt 2000 ]; then
  pass "SIGTERM with an idle SMTP session: stopped in $(((t1 - t0) / 1000000)) ms"
else fail "SIGTERM with an idle SMTP session: still running after $(((t1 - t0) / 1000000)) ms"; kill -9 "$MPID"; fi
wait "$MPID" 2>/dev/null
kill "$IDLE_PID" 2>/dev/null; wait "$IDLE_PID" 2>/dev/null
cp "$LAB/flag.toml" "$LAB/active.toml"
start_milter

# 2. clean mail: body byte-identical
printf 'Hei,\r\nordre 4500012345 er sendt.\r\n\r\nHilsen\r\n' > "$LAB/clean.txt"
swaks --server "127.0.0.1:$SMTP_PORT" --from kari@example.org --to inbox@pii.test --header "Subject: clean" \
  --body "$LAB/clean.txt" >/dev/null 2>&1
N=$((N + 1))
# (swaks ends the DATA with one more line break of its own; compare without trailing ones)
trim() { tr -d '\r' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; }
if f=$(wait_delivery $N) && cmp -s <(body_of "$f" | trim) <(trim < "$LAB/clean.txt") &&
   ! grep -q '^X-Nordpii' "$f" && grep -q 'action=accept' "$MILTER_LOG"; then
  pass "clean: body byte-identical, no header"
else fail "clean: body changed or header added"; fi

# 3. redact: a multipart message (base64 ISO-8859-1 text + QP HTML) and a header
use_policy redact
swaks --server "127.0.0.1:$SMTP_PORT" --from kari@example.org --to inbox@pii.test \
  --data "$SRC/samples/mail/alternative-html.eml" >/dev/null 2>&1
N=$((N + 1))
if f=$(wait_delivery $N) && /usr/bin/python3 - "$f" <<'EOF'
import sys
from email import message_from_bytes, policy
raw = open(sys.argv[1], "rb").read()
m = message_from_bytes(raw, policy=policy.default)
types = [p.get_content_type() for p in m.walk()]
assert types == ["multipart/alternative", "text/plain", "text/html"], types
text = "".join(p.get_content() for p in m.walk() if p.get_content_maintype() == "text")
for bad in ["15108695088", "151086", "9876", "4111"]:
    assert bad not in text, bad
assert "[NO-FNR]" in text and "[SE-PNR]" in text and "[CARD]" in text, text
assert m["X-Nordpii"].startswith("redacted="), m["X-Nordpii"]
assert m["X-Nordpii-Verdict"].startswith("redact; rule=redact-rule"), m["X-Nordpii-Verdict"]
EOF
then pass "redact: multipart arrives valid, identifiers gone, headers added"
else fail "redact: $(tail -3 "$MILTER_LOG")"; fi
out=$(send "fnr 15108695088 i emnet" "passord: Sommer2026!")
N=$((N + 1))
if f=$(wait_delivery $N) && grep -q '^Subject: fnr \[NO-FNR\] i emnet' "$f" && grep -q 'passord: \[PASSWORD\]' "$f" &&
   ! grep -q 15108695088 "$f"; then
  pass "redact: subject header and body redacted"
else fail "redact header: $(grep -i '^subject' "$f" 2>/dev/null)"; fi

# 4. reject: 5.7.1 with the Norwegian text and the URL
use_policy reject
out=$(send "reject test" "fnr 15108695088")
if echo "$out" | grep -q '<\*\* *550 5.7.1 Meldingen ble ikke levert.*https://pii.test/upload'; then
  pass "reject: 550 5.7.1 in nb with the secure URL"
else fail "reject: $(echo "$out" | grep '<\*\*')"; fi
[ "$(delivered_count)" = $N ] && pass "reject: nothing delivered" || fail "reject: a message was delivered"

# 5. a bad policy on SIGHUP is refused; the reject policy stays in force
cp "$LAB/bad.toml" "$LAB/active.toml"
kill -HUP "$MPID"
sleep 0.5
if grep -q 'reload refused' "$MILTER_LOG" && send "still" "fnr 15108695088" | grep -q '550 5.7.1'; then
  pass "reload: bad policy refused, old policy still enforced"
else fail "reload: bad policy not refused"; fi

# 6. quarantine: Postfix puts the message on hold
use_policy quarantine
send "hold test" "fnr 15108695088" >/dev/null
sleep 1
if postqueue -c "$C" -p | grep -q '!'; then
  pass "quarantine: message on hold in Postfix"
else fail "quarantine: $(postqueue -c "$C" -p | head -5)"; fi

# 7. nordpii killed: SMTP gets 4.7.1 tempfail, local submission stays queued,
#    and is delivered (redacted) once nordpii is back.
use_policy redact
kill -9 "$MPID"; wait "$MPID" 2>/dev/null; MPID=
out=$(send "down" "fnr 15108695088")
if echo "$out" | grep -q '<\*\* *451 4.7.1'; then
  pass "milter down: SMTP client gets 451 4.7.1 (milter_default_action)"
else fail "milter down: $(echo "$out" | grep '<\*\*')"; fi
printf 'Subject: queued while down\n\nfnr 15108695088\n' | sendmail -C "$C" -f kari@example.org inbox@pii.test
sleep 1
if postqueue -c "$C" -p | grep -q 'inbox@pii.test'; then pass "milter down: local mail kept in the queue"
else fail "milter down: local mail not queued"; fi
start_milter
postqueue -c "$C" -f
postkick -c "$C" public pickup W 2>/dev/null  # pickup retries the maildrop now, not in 60 s
N=$((N + 1))
if f=$(wait_delivery $N) && grep -q 'queued while down' "$f" && grep -q '\[NO-FNR\]' "$f"; then
  pass "milter back: queued mail delivered, redacted"
else fail "milter back: queued mail not delivered"; fi

# 8. a unix socket where a chrooted smtpd finds it: under the queue
#    directory, named relative to it in main.cf (Postfix daemons run in the
#    queue directory, chrooted or not), mode 0660 group postfix from
#    milter.socket_mode/socket_group (root's umask would leave it 0755:
#    "Permission denied" for smtpd).
kill "$MPID"; wait "$MPID" 2>/dev/null; MPID=
mkdir -p "$LAB/queue/nordpii"
chgrp postfix "$LAB/queue/nordpii"
chmod 0750 "$LAB/queue/nordpii"
{ cat "$LAB/flag.toml"; printf '[milter]\nsocket_mode = "0660"\nsocket_group = "postfix"\n'; } > "$LAB/active.toml"
SOCK=$LAB/queue/nordpii/milter.sock
NORDPII_KEY=e2e-key NORDPII_CACHE_DIR=off "$BIN" milter --listen "unix:$SOCK" --config "$LAB/active.toml" \
  --patterns "$SRC/patterns" >>"$MILTER_LOG" 2>&1 &
MPID=$!
for _ in $(seq 50); do grep -q "listening on unix:$SOCK" "$MILTER_LOG" && break; sleep 0.1; done
postconf -c "$C" "smtpd_milters = unix:nordpii/milter.sock"
# As Debian runs them: smtpd and cleanup chrooted in the queue directory.
postconf -c "$C" -F "127.0.0.1:$SMTP_PORT/inet/chroot = y" "cleanup/unix/chroot = y"
postfix -c "$C" reload >/dev/null 2>&1
sleep 1
out=$(send "unix socket" "fnr 15108695088")
N=$((N + 1))
chrooted=0  # an smtpd and a cleanup of this lab whose root is the queue directory
for p in $(pgrep -x smtpd) $(pgrep -x cleanup); do
  [ "$(readlink "/proc/$p/root")" = "$LAB/queue" ] && chrooted=$((chrooted + 1))
done
if [ "$(stat -c '%a %G' "$SOCK" 2>/dev/null)" = "660 postfix" ] && f=$(wait_delivery $N) &&
   grep -q '^X-Nordpii-Verdict: flag' "$f" && [ "$chrooted" -ge 2 ]; then
  pass "unix socket (0660, group postfix, relative to the queue directory): chrooted smtpd and cleanup connect"
else fail "unix socket: $(stat -c '%a %G' "$SOCK" 2>&1) chrooted=$chrooted $(echo "$out" | grep '<\*\*' | tail -1)"; fi
postconf -c "$C" -F "127.0.0.1:$SMTP_PORT/inet/chroot = n" "cleanup/unix/chroot = n"

# 9. Operations: --check on good and bad files; a policy in monitor mode with
#    a per-recipient rule (first match wins), run as nobody with a pid file
#    and a metrics endpoint; then enforced; then a real scrape.
kill "$MPID"; wait "$MPID" 2>/dev/null; MPID=
postconf -c "$C" "smtpd_milters = inet:127.0.0.1:$MILTER_PORT"
postfix -c "$C" reload >/dev/null 2>&1
METRICS_PORT=$(lab_free_port)
mkdir -p "$LAB/run"; chown nobody:nogroup "$LAB/run"
cat > "$LAB/ops.toml" <<EOF
[milter]
user = "nobody"
group = "nogroup"
pid_file = "$LAB/run/milter.pid"
metrics_listen = "127.0.0.1:$METRICS_PORT"
log = "stderr"
[policy]
mode = "monitor"
match = "first"
[[rule]]
name = "support-inbound"
recipients = ["support@pii.test"]
categories = ["national-id"]
action = "reject"
[[rule]]
name = "everything-else"
categories = ["national-id"]
action = "flag"
EOF
chmod 644 "$LAB/ops.toml"
if chk=$("$BIN" milter --check --config "$LAB/ops.toml" --patterns "$SRC/patterns" 2>&1) &&
   echo "$chk" | grep -q '^mode = "monitor"' && echo "$chk" | grep -q '^recipients = \["support@pii.test"\]'; then
  pass "--check: good policy, exit 0, effective policy printed"
else fail "--check good: $chk"; fi
chk=$("$BIN" milter --check --config "$LAB/bad.toml" --patterns "$SRC/patterns" 2>&1); rc=$?
if [ $rc = 2 ] && echo "$chk" | grep -q "bad.toml:1: rule\[1\].name"; then
  pass "--check: bad policy, exit 2 with file:line: key"
else fail "--check bad: rc=$rc $chk"; fi
cp "$LAB/ops.toml" "$LAB/active.toml"
start_milter
sleep 0.2
NOBODY_UID=$(id -u nobody); NOGROUP_GID=$(getent group nogroup | cut -d: -f3)
if grep -q "^Uid:[[:space:]]*$NOBODY_UID[[:space:]]*$NOBODY_UID[[:space:]]*$NOBODY_UID[[:space:]]*$NOBODY_UID\$" "/proc/$MPID/status" &&
   grep -q "^Gid:[[:space:]]*$NOGROUP_GID[[:space:]]*$NOGROUP_GID[[:space:]]*$NOGROUP_GID[[:space:]]*$NOGROUP_GID\$" "/proc/$MPID/status" &&
   [ "$(cat "$LAB/run/milter.pid" 2>/dev/null)" = "$MPID" ]; then
  pass "privilege drop: /proc/$MPID/status Uid/Gid nobody/nogroup; pid file holds the pid"
else fail "privilege drop: $(grep -E '^(Uid|Gid)' /proc/$MPID/status | tr '\n' ' ') pid file: $(cat "$LAB/run/milter.pid" 2>&1)"; fi
send_to() {  # recipient subject body
  swaks --server "127.0.0.1:$SMTP_PORT" --from kari@example.org --to "$1" --header "Subject: $2" --body "$3" 2>&1
}
out=$(send_to support@pii.test "monitor" "fnr 15108695088")
N=$((N + 1))
if f=$(wait_delivery $N) && grep -q '^X-Nordpii-Verdict: flag; rule=support-inbound; .*; monitor=reject' "$f" &&
   grep -q 'action=flag rule=support-inbound .*monitor=reject' "$MILTER_LOG"; then
  pass "monitor mode: a reject rule delivers with a flag header naming it"
else fail "monitor mode: $(echo "$out" | grep '<\*\*' | tail -1)"; fi
sed 's/^mode = "monitor"/mode = "enforce"/' "$LAB/ops.toml" > "$LAB/enforce.toml"
use_policy enforce
out=$(send_to support@pii.test "enforced" "fnr 15108695088")
if echo "$out" | grep -q '<\*\* *550 5.7.1'; then pass "per-recipient rule: support@ gets 550 5.7.1"
else fail "per-recipient rule: $(echo "$out" | grep '<\*\*' | tail -1)"; fi
out=$(send_to inbox@pii.test "other recipient" "fnr 15108695088")
N=$((N + 1))
if f=$(wait_delivery $N) && grep -q '^X-Nordpii-Verdict: flag; rule=everything-else' "$f"; then
  pass "per-recipient rule: another recipient falls through to the next rule (flag)"
else fail "per-recipient fall-through: $(echo "$out" | grep '<\*\*' | tail -1)"; fi
scrape=$(curl -s "http://127.0.0.1:$METRICS_PORT/metrics")
# A client rule: Postfix's connect packet carries the SMTP client's address (127.0.0.1).
{ sed -n '1,/^\[\[rule\]\]/p' "$LAB/enforce.toml" | sed '$d'
  printf '[[rule]]\nname = "loopback-client"\nclients = ["127.0.0.0/8", "::1"]\ncategories = ["national-id"]\naction = "flag"\n'
  sed -n '/^\[\[rule\]\]/,$p' "$LAB/enforce.toml"; } > "$LAB/client.toml"
use_policy client
out=$(send_to support@pii.test "client rule" "fnr 15108695088")
N=$((N + 1))
if f=$(wait_delivery $N) && grep -q '^X-Nordpii-Verdict: flag; rule=loopback-client' "$f"; then
  pass "client rule: 127.0.0.0/8 matched the SMTP client's address (first match before the reject)"
else fail "client rule: $(echo "$out" | grep '<\*\*' | tail -1)"; fi
if echo "$scrape" | grep -qx 'nordpii_milter_messages_total{action="flag"} 2' &&
   echo "$scrape" | grep -qx 'nordpii_milter_messages_total{action="reject"} 1' &&
   echo "$scrape" | grep -qx 'nordpii_milter_findings_total{type="no.fnr"} 3' &&
   echo "$scrape" | grep -qx 'nordpii_milter_scan_seconds_count 3' &&
   echo "$scrape" | grep -q '^nordpii_milter_connections_total [1-9]' &&
   ! echo "$scrape" | grep -q 15108695088; then
  pass "metrics: scraped after messages through Postfix (actions, types, histogram, connections)"
else fail "metrics: $(echo "$scrape" | grep -v '^#' | tr '\n' ' ')"; fi
kill "$MPID"; wait "$MPID" 2>/dev/null; MPID=
if [ ! -e "$LAB/run/milter.pid" ]; then pass "pid file removed on exit"; else fail "pid file left behind"; fi

# A SASL-user rule through Postfix's own SMTP AUTH: smtpd_sasl_type = dovecot
# against a minimal Dovecot auth server (the protocol's handshake, PLAIN,
# one user), so no SASL package is needed. Postfix sends {auth_authen} with
# MAIL FROM; the rule names the user.
AUTH_PORT=$(lab_free_port)
/usr/bin/python3 - "$AUTH_PORT" <<'EOF' &
import base64, socket, sys, threading
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(8); srv.settimeout(120)
def serve(c):
    f = c.makefile("rwb", buffering=0)
    f.write(b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t1\nCUID\t1\nCOOKIE\t" + b"0" * 32 + b"\nDONE\n")
    pending = set()
    for line in f:
        p = line.rstrip(b"\n").split(b"\t")
        if p[0] == b"AUTH" and len(p) > 2:
            resp = next((x[5:] for x in p if x.startswith(b"resp=")), None)
            if resp is None:
                pending.add(p[1]); f.write(b"CONT\t" + p[1] + b"\t\n"); continue
        elif p[0] == b"CONT" and len(p) > 1 and p[1] in pending:
            resp = p[2] if len(p) > 2 else b""
        else:
            continue
        parts = base64.b64decode(resp).split(b"\0")
        ok = len(parts) == 3 and parts[1] == b"alice" and parts[2] == b"wonderland"
        f.write((b"OK\t" if ok else b"FAIL\t") + p[1] + b"\tuser=" + (parts[1] if len(parts) == 3 else b"") + b"\n")
    c.close()
while True:
    try: c, _ = srv.accept()
    except OSError: break
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
AUTH_PID=$!
# A secure_url long enough that the 550 text exceeds one 512-octet SMTP
# line: Postfix must pass it on as a multi-line reply.
LONG_URL="https://pii.test/upload/$(printf 'x%.0s' $(seq 600))"
cat > "$LAB/sasl.toml" <<EOF
[policy]
match = "first"
[reject]
secure_url = "$LONG_URL"
[[rule]]
name = "sasl-alice"
sasl_users = ["alice"]
categories = ["national-id"]
action = "reject"
[[rule]]
name = "unauthenticated"
categories = ["national-id"]
action = "flag"
EOF
cp "$LAB/sasl.toml" "$LAB/active.toml"
postconf -c "$C" "smtpd_sasl_auth_enable = yes" "smtpd_sasl_type = dovecot" \
  "smtpd_sasl_path = inet:127.0.0.1:$AUTH_PORT" "smtpd_sasl_security_options = noanonymous"
postfix -c "$C" reload >/dev/null 2>&1
sleep 1
start_milter
out=$(swaks --server "127.0.0.1:$SMTP_PORT" --from alice@pii.test --to inbox@pii.test --auth PLAIN \
  --auth-user alice --auth-password wonderland --header "Subject: sasl" --body "fnr 15108695088" 2>&1)
if echo "$out" | grep -q '<- *235 ' && echo "$out" | grep -q '<\*\* *550 5.7.1' &&
   grep -q 'action=reject rule=sasl-alice ' "$MILTER_LOG"; then
  pass "SASL-user rule: alice authenticated via Postfix SMTP AUTH gets 550 5.7.1 (rule sasl-alice)"
else fail "SASL-user rule: $(echo "$out" | grep -E '<(-|\*\*) *[0-9]{3}' | tr '\n' ' ')"; fi
if echo "$out" | grep -q '<\*\* *550-5.7.1 ' && [ "$(echo "$out" | grep '<\*\* *550' | awk '{ if (length($0) > m) m = length($0) } END { print m }')" -le 520 ] &&
   [ "$(echo "$out" | grep '<\*\* *550' | sed 's/^.*550[- ]5\.7\.1 //' | tr -d ' \n' | grep -c "$LONG_URL")" = 1 ]; then
  pass "long 550 text: a multi-line reply through Postfix, every line within 512 octets, the URL whole"
else fail "long 550 text: $(echo "$out" | grep '<\*\*' | cut -c1-80 | tr '\n' ' ')"; fi
out=$(send "no auth" "fnr 15108695088")
N=$((N + 1))
if f=$(wait_delivery $N) && grep -q '^X-Nordpii-Verdict: flag; rule=unauthenticated' "$f"; then
  pass "SASL-user rule: the same message without AUTH falls through (flag)"
else fail "SASL fall-through: $(echo "$out" | grep '<\*\*' | tail -1)"; fi
kill "$MPID" "$AUTH_PID" 2>/dev/null; wait "$MPID" 2>/dev/null; MPID=
postconf -c "$C" "smtpd_sasl_auth_enable = no"
postfix -c "$C" reload >/dev/null 2>&1

# Logs never contain a raw identifier or message text.
if grep -q -e 15108695088 -e Sommer2026 "$MILTER_LOG"; then fail "milter log contains a raw value"
else pass "milter log has no raw values ($(grep -c 'queue=' "$MILTER_LOG") message lines)"; fi
echo "postfix_e2e: $FAILS failure(s)"
[ "$FAILS" = 0 ]
