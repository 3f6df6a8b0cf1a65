#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# No raw identifier in an error or warning (2026-12-03 hostile review):
# milter policy names (user, socket_group, metrics_listen), an id typed as
# an option NAME, and file paths given to --allow, --key-file, --config,
# --patterns, --plugin (and the config keys), the milter's pid_file and
# batch --report, redact input and -o. Paths are masked as scan masks its inputs (151086*****).
# Usage: tests/error_echo.sh path/to/nordpii repo-root
set -u
N=$(realpath "$1"); R=$(realpath "$2")
D=$(mktemp -d); trap 'rm -rf "$D"' EXIT; cd "$D"
FNR=15108695088; CPR=2110625629
fail=0
# check NAME EXPECTED-RC... -- command: stdout+stderr must hold neither id.
check() {
  local name=$1; shift
  local out rc
  out=$("$@" 2>&1 </dev/null); rc=$?
  if printf '%s' "$out" | grep -q -e "$FNR" -e "$CPR" -e "880320-0016" -e "8803200016"; then
    echo "FAIL $name: raw identifier echoed (rc=$rc):"; printf '%s\n' "$out" | sed 's/^/    /'; fail=1
  elif [ "$rc" = 0 ]; then
    echo "FAIL $name: rc=0 (expected an error)"; printf '%s\n' "$out" | sed 's/^/    /'; fail=1
  else
    echo "ok   $name (rc=$rc)"
  fi
}
# must_hold NAME TEXT -- command: the output holds TEXT (the message kept).
must_hold() {
  local name=$1 text=$2; shift 2
  local out; out=$("$@" 2>&1 </dev/null)
  if ! printf '%s' "$out" | grep -qF -- "$text"; then
    echo "FAIL $name: no '$text' in:"; printf '%s\n' "$out" | sed 's/^/    /'; fail=1
  fi
}
printf 'hei\n' > in.txt
# 1 milter policy
milter_conf() { sed "s|^$1 = .*|$1 = \"$2\"|" "$R/conf/nordpii-milter.toml" > p.toml; }
milter_conf user "u$FNR";            check milter.user "$N" milter --check --config p.toml
milter_conf socket_group "g$FNR";    check milter.socket_group "$N" milter --check --config p.toml
milter_conf socket_owner "o$FNR";    check milter.socket_owner "$N" milter --check --config p.toml
milter_conf group "g$FNR";           check milter.group "$N" milter --check --config p.toml
milter_conf metrics_listen "$CPR:8"; check milter.metrics_listen "$N" milter --check --config p.toml
milter_conf metrics_listen "[::1]:9899";     "$N" milter --check --config p.toml >/dev/null 2>&1 || { echo "FAIL [::1]:9899 refused"; fail=1; }
milter_conf metrics_listen "127.0.0.1:9899"; "$N" milter --check --config p.toml >/dev/null 2>&1 || { echo "FAIL 127.0.0.1:9899 refused"; fail=1; }
milter_conf metrics_listen "localhost:9899"; "$N" milter --check --config p.toml >/dev/null 2>&1 || { echo "FAIL localhost:9899 refused"; fail=1; }
milter_conf pid_file "/nonexist-$FNR/m.pid"; check milter.pid_file "$N" milter --check --config p.toml
must_hold milter.pid_file.masked "151086*****" "$N" milter --check --config p.toml
check milter.config "$N" milter --check --config "nonexist-$FNR.toml"
# 2 an id as an option name
check option-name "$N" scan --$FNR in.txt
must_hold option-name.message "The following argument was not expected" "$N" scan --$FNR in.txt
check option-name.redact "$N" redact --880320-0016 in.txt
check option-name.eq "$N" scan --$FNR=1 in.txt
# 3 file paths
check --allow "$N" scan --allow "$D/x$FNR" in.txt
must_hold --allow.masked "151086*****" "$N" scan --allow "$D/x$FNR" in.txt
check --key-file "$N" scan --key-file "$D/k$FNR" in.txt
check --config "$N" scan --config "$D/c$FNR.toml" in.txt
check --patterns "$N" scan --patterns "$D/p$FNR" in.txt
check --plugin "$N" scan --plugin "$D/l$FNR.so" in.txt
printf 'allow = "%s/x%s"\n' "$D" $FNR > a.toml;        check config.allow "$N" scan --config a.toml in.txt
printf 'key-file = "%s/k%s"\n' "$D" $FNR > k.toml;     check config.key-file "$N" scan --config k.toml in.txt
printf 'plugin = ["%s/l%s.so"]\n' "$D" $FNR > l.toml;  check config.plugin "$N" scan --config l.toml in.txt
printf 'patterns = ["%s/p%s"]\n' "$D" $FNR > q.toml;   check config.patterns "$N" scan --config q.toml in.txt
printf 'x = 1\n' > "c$FNR.toml";                        check config.unknown-key "$N" scan --config "c$FNR.toml" in.txt
# 4 redact: the input and -o paths (review 2026-12-03 night: echoed raw)
check redact.input "$N" redact "$D/nonexist-$FNR.txt"
must_hold redact.input.masked "151086*****" "$N" redact "$D/nonexist-$FNR.txt"
check redact.-o "$N" redact in.txt -o "$D/nodir-$FNR/out.txt"
check redact.-o.eml "$N" redact "$R/samples/mail/qp-softbreak.eml" -o "$D/nodir-$FNR/out.eml"
# 5 collect --report DIR that cannot be made (before: echoed raw)
touch "f$FNR"
if "$N" --help 2>&1 | grep -q "^  collect"; then check collect.--report "$N" collect --job j1 --report "$D/f$FNR/r"; fi
printf 'fnr %s\n' $FNR > id.txt
out=$("$N" batch --report "$D/r$FNR" id.txt 2>&1)
if printf '%s' "$out" | grep -q $FNR; then echo "FAIL batch --report echoed:"; printf '%s\n' "$out"; fail=1
elif ! printf '%s' "$out" | grep -qF "151086*****"; then echo "FAIL batch --report not masked:"; printf '%s\n' "$out"; fail=1
else echo "ok   batch --report"; fi
exit $fail
