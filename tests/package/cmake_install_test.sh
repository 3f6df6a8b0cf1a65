#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `cmake --install` (not only the .deb) installs the milter's systemd unit
# pointed at the installed binary and policy, the sysusers.d entry and the
# commented default policy, and a reinstall keeps an operator's policy.
# Usage: cmake_install_test.sh BUILD_DIR
set -eu
build=$1
t=$(mktemp -d /tmp/nordpii-cmake-install.XXXXXX)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cmake --install "$build" --prefix "$t/p" >"$t/log" 2>&1 || { cat "$t/log"; fail "cmake --install"; }
u="$t/p/lib/systemd/system/nordpii-milter.service"
[ -f "$u" ] || fail "no unit at $u"
grep -q "^ExecStart=$t/p/bin/nordpii milter .*--config $t/p/etc/nordpii/milter.toml" "$u" || fail "unit ExecStart: $(grep ExecStart= "$u" | head -1)"
[ -x "$t/p/bin/nordpii" ] || fail "no binary"
grep -q '^u nordpii' "$t/p/lib/sysusers.d/nordpii.conf" || fail "no sysusers.d entry"
p="$t/p/etc/nordpii/milter.toml"
grep -q '^mode = "monitor"' "$p" || fail "default policy not installed in monitor mode"
"$t/p/bin/nordpii" milter --check --config "$p" >/dev/null || fail "installed policy fails --check"
echo '# the operator changed this' >>"$p"
cmake --install "$build" --prefix "$t/p" >"$t/log" 2>&1 || fail "reinstall"
grep -q 'Kept (not replaced)' "$t/log" || fail "reinstall did not say it kept the policy"
tail -1 "$p" | grep -q 'the operator changed this' || fail "reinstall replaced the operator's policy"
# The package layout (--prefix /usr): the unit points at /usr/bin and /etc.
DESTDIR="$t/d" cmake --install "$build" --prefix /usr >"$t/log" 2>&1 || fail "DESTDIR install"
grep -q '^ExecStart=/usr/bin/nordpii milter .*--config /etc/nordpii/milter.toml' "$t/d/usr/lib/systemd/system/nordpii-milter.service" || fail "prefix /usr unit"
[ -f "$t/d/etc/nordpii/milter.toml" ] || fail "prefix /usr policy not under DESTDIR/etc"
echo "cmake --install: unit, sysusers.d, policy installed; policy kept on reinstall"
