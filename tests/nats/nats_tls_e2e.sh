#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Distributed batch over a JetStream server that requires mutual TLS (and, when
# python3-cryptography is there, NATS credentials: operator/account/user JWTs).
#   nats_tls_e2e.sh NORDPII SAMPLES_DIR
# The test makes its own CA, server and client certificates (openssl), starts
# one nats-server with `tls { verify: true }` on loopback, then:
#  - submit/worker/collect with --tls-ca/--tls-cert/--tls-key: the collected
#    findings equal a single-machine batch's (sorted, byte for byte);
#  - without --tls-ca, with a CA that did not sign the server's certificate, and
#    without a client certificate, submit fails with exit 2 and says so;
#  - (creds) with --nats-creds a user JWT signed by the account works, and
#    without it the connection is refused (exit 2).
# Exit 77 (skipped) without nats-server, openssl or a nordpii built with libnats.
set -u
N=$(realpath "$1"); SAMPLES=$(realpath "$2"); HERE=$(dirname "$(realpath "$0")")
. "$(dirname "$0")/lib.sh" nordpii-nats-tls
command -v openssl >/dev/null || { echo "SKIP: openssl not installed"; exit 77; }
export NORDPII_KEY=nats-tls-test-key
cd "$T"
require_libnats "$N"

# --- certificates: a CA, a server certificate for 127.0.0.1/localhost, a
# client certificate, and a second CA that signed nothing we use.
ossl() { openssl "$@" > /dev/null 2>> openssl.txt || fail "openssl $1"; }
mkca() {
  ossl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 2 -subj "/CN=nordpii test $1"
}
mkcert() {  # NAME CA EXT
  ossl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1"
  printf '%s\n' "$3" > "$1.ext"
  ossl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" -days 2 -extfile "$1.ext"
}
mkca ca
mkca otherca
mkcert server ca "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
mkcert client ca "extendedKeyUsage=clientAuth"

mkdir in
cp -r "$SAMPLES"/. in/
"$N" batch in --report single -q -j 1 > /dev/null 2> batch.log
[ $? = 1 ] || fail "batch exit"
sort single/findings.jsonl > single.sorted
[ -s single.sorted ] || fail "batch found nothing"

# run_job NAME URL OPTIONS... : submit, one worker, collect; compare with batch.
run_job() {
  local job=$1 url=$2; shift 2
  "$N" submit in --nats "$url" --job "$job" -q "$@" > "$job.id" 2> "submit-$job.log" || fail "submit $job"
  "$N" worker --nats "$url" --name "w-$job" --idle-exit 3 "$@" > "worker-$job.log" 2>&1 &
  PIDS+=($!)
  "$N" collect --nats "$url" --job "$job" --report "$job" --timeout 60 "$@" > /dev/null 2> "collect-$job.log"
  local rc=$?
  [ $rc = 1 ] || fail "$job: collect exit $rc, expected 1"
  sort "$job/findings.jsonl" > "$job.sorted"
  cmp single.sorted "$job.sorted" || fail "$job: collected findings differ from batch's"
}
# must_refuse NAME REASON URL OPTIONS... : submit exits 2, saying REASON (a regex).
must_refuse() {
  local name=$1 reason=$2 url=$3; shift 3
  timeout 30 "$N" submit in --nats "$url" --job "$name" -q "$@" > /dev/null 2> "refuse-$name.log"
  local rc=$?
  [ $rc = 2 ] || fail "$name: submit exit $rc, expected 2"
  grep -Eq "cannot connect to nats://.*($reason)" "refuse-$name.log" || fail "$name: not refused for '$reason'"
}

# --- mutual TLS
P=$(freeport)
cat > tls.conf <<CONF
listen: 127.0.0.1:$P
jetstream { store_dir: "$T/js" }
tls {
  cert_file: "$T/server.pem"
  key_file: "$T/server.key"
  ca_file: "$T/ca.pem"
  verify: true
  timeout: 5
}
CONF
nats-server -c tls.conf > server.log 2>&1 &
PIDS+=($!)
wait_port "$P" || fail "TLS server did not start"
URL="nats://127.0.0.1:$P"
TLS=(--tls-ca "$T/ca.pem" --tls-cert "$T/client.pem" --tls-key "$T/client.key")
run_job tls "$URL" "${TLS[@]}"
must_refuse plain "SSL handshake error" "$URL"
must_refuse wrongca "SSL handshake error" "$URL" --tls-ca "$T/otherca.pem" --tls-cert "$T/client.pem" --tls-key "$T/client.key"
must_refuse nocert "Expected .PONG" "$URL" --tls-ca "$T/ca.pem"
grep -q "131052\|151086[0-9]" ./*.log && fail "raw identifier in a log"
msg="mutual TLS job equal to batch; plain, wrong CA and no client certificate refused"

# --- credentials (decentralised auth: operator, account and user JWTs), made
# with python3-cryptography (ed25519); skipped without it.
if /usr/bin/python3 -c 'import cryptography' 2>/dev/null; then
  /usr/bin/python3 "$HERE/make_creds.py" "$T" || fail "make_creds.py"
  P2=$(freeport)
  cat > creds.conf <<CONF
listen: 127.0.0.1:$P2
jetstream { store_dir: "$T/js2" }
include resolver.conf
CONF
  nats-server -c creds.conf > server-creds.log 2>&1 &
  PIDS+=($!)
  wait_port "$P2" || fail "creds server did not start"
  run_job creds "nats://127.0.0.1:$P2" --nats-creds "$T/user.creds"
  must_refuse nocreds "Authorization Violation" "nats://127.0.0.1:$P2"
  must_refuse badcreds "Authorization Violation" "nats://127.0.0.1:$P2" --nats-creds "$T/other.creds"
  msg="$msg; credentials job equal to batch, none or foreign credentials refused"
else
  msg="$msg; credentials not tested (no python3-cryptography)"
fi
echo "PASS: $msg"
