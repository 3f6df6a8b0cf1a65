#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian package: shared-library build (NORDPII_STATIC_DEPS=OFF,
# so the libraries get Debian's security updates), Debian's hardening flags
# (dpkg-buildflags), prefix /usr, cpack -G DEB with Depends from
# dpkg-shlibdeps; then lintian. Needs dpkg-dev (and lintian for the check).
#   packaging/build-deb.sh [BUILD_DIR]     (default: build-deb)
# Prints the path of the .deb, and only that, on stdout.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$SRC/build-deb}
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DNORDPII_STATIC_DEPS=OFF -DNORDPII_DEBIAN=ON -DNORDPII_BUILD_TESTS=OFF -DNORDPII_BUILD_BENCH=OFF \
  -DCMAKE_C_FLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
  -DCMAKE_CXX_FLAGS="$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
  -DCMAKE_EXE_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)" \
  -DCMAKE_SHARED_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)" >/dev/null
cmake --build "$B" -j"${NORDPII_JOBS:-2}" >&2
(cd "$B" && rm -f nordpii_*.deb && cpack -G DEB >&2)
DEB=$(ls "$B"/nordpii_*.deb)
if command -v lintian >/dev/null; then
  echo "build-deb: lintian $DEB" >&2
  lintian --info --display-info --pedantic "$DEB" >&2 || echo "build-deb: lintian reported errors (above)" >&2
fi
echo "$DEB"
