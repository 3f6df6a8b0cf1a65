#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages nordpii needs to build, test and benchmark.
# Idempotent: only missing packages are installed. Needs root (or sudo) when something is missing.
set -eu
PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev libgumbo-dev libre2-dev libhyperscan-dev libicu-dev libssl-dev \
libcli11-dev libtomlplusplus-dev catch2 nlohmann-json3-dev libbenchmark-dev \
libmimetic-dev libpython3.11-testsuite postfix swaks libsimdjson-dev libarchive-dev chromium \
python3 python3-stdnum ripgrep"
# --package: also what the Debian package and its install test need
# (packaging/build-deb.sh, tests/package/install_test.sh); scripts/test.sh asks
# for them, scripts/quickstart.sh does not.
[ "${1:-}" = --package ] && PKGS="$PKGS dpkg-dev lintian mmdebstrap"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-deps: installing:$missing" >&2
  # Postfix without a system configuration: the milter test runs its own instance.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
