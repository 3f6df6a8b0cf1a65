#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Package test: builds the .deb (packaging/build-deb.sh: shared-library build
# in BUILD_DIR, default build-deb), installs it with apt-get in a brand-new
# minimal Debian 12 root (mmdebstrap, as ../shared/tools/fresh-check.sh does;
# apt resolves the Depends that dpkg-shlibdeps computed), and there, from /tmp
# (outside any source tree, no $NORDPII_PATTERNS), checks:
#   nordpii --version = the package version (= project(VERSION) in CMake);
#   nordpii scan --format jsonl samples/ exits 1 with the same findings as the
#     freshly built binary in the source tree (patterns found when installed);
#   the nordpii user, the key (0640 root:nordpii), the policy as a conffile,
#     the unit, the man page; the milter starts as nordpii with the default
#     policy; purge removes the package and the key.
# Needs root and the Debian mirror; exit 77 (skip) when not root.
# Takes about 2 minutes for the root once build-deb is built (10-12 minutes
# from scratch on 2 busy cores).
#   tests/package/install_test.sh [BUILD_DIR]
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-$SRC/build-deb}
case "$B" in /*) ;; *) B="$(pwd)/$B" ;; esac  # absolute: used after a cd
[ "$(id -u)" -eq 0 ] || { echo "install_test: SKIP: needs root (mmdebstrap, chroot)" >&2; exit 77; }
for t in mmdebstrap dpkg-shlibdeps; do
  command -v $t >/dev/null || { echo "install_test: $t missing: run scripts/install-deps.sh" >&2; exit 1; }
done
start=$(date +%s)
DEB=$("$SRC/packaging/build-deb.sh" "$B")
VERSION=$(dpkg-deb -f "$DEB" Version)
echo "install_test: $DEB (version $VERSION); Depends: $(dpkg-deb -f "$DEB" Depends)" >&2

W=$(mktemp -d /var/tmp/nordpii-install-test.XXXXXX)
trap 'rm -rf --one-file-system "$W"' EXIT INT TERM
mkdir -p "$W/in/samples"
cp "$DEB" "$W/in/nordpii.deb"
cp -r "$SRC/samples/." "$W/in/samples/"
# What the binary just built finds in the same copy (run from the build tree).
set +e
(cd "$W/in" && NORDPII_KEY=k "$B/src/nordpii" scan --format jsonl --reference-date 2026-01-01 samples) > "$W/in/expected.jsonl"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "install_test: FAIL: the build-tree binary exited $rc on samples/" >&2; exit 1; }

cat > "$W/in/check.sh" <<'CHECK'
#!/bin/sh
# Runs inside the fresh root, from /tmp.
set -u
fail=0
ok() { echo "install_test: ok: $*"; }
bad() { echo "install_test: FAIL: $*"; fail=1; }
cd /tmp
unset NORDPII_PATTERNS
v=$(nordpii --version) && [ "$v" = "nordpii $1" ] && ok "nordpii --version: $v" || bad "nordpii --version: '$v', want 'nordpii $1'"
[ "$(nordpii version)" = "nordpii $1" ] && ok "nordpii version" || bad "nordpii version"
NORDPII_KEY=k nordpii scan --format jsonl --reference-date 2026-01-01 /in/samples > /tmp/got.jsonl
rc=$?
n=$(wc -l < /tmp/got.jsonl)
[ "$rc" -eq 1 ] && ok "scan samples/: exit 1, $n JSON lines" || bad "scan samples/: exit $rc (want 1)"
# Paths are relative in the reference run, absolute here.
sed 's|"path":"/in/|"path":"|' /tmp/got.jsonl | cmp -s - /in/expected.jsonl \
  && ok "findings identical to the build-tree binary's" || { bad "findings differ from the build-tree binary's"; sed 's|"path":"/in/|"path":"|' /tmp/got.jsonl | diff /in/expected.jsonl - | head -5; }
grep -q '"type":"no.fnr"' /tmp/got.jsonl && ok "no.fnr found" || bad "no no.fnr finding"
nordpii types | grep -q no.fnr && ok "types: patterns from $(ls -d /usr/share/nordpii/patterns)" || bad "nordpii types"
getent passwd nordpii >/dev/null && ok "user nordpii" || bad "no user nordpii"
[ "$(stat -c '%a %U %G' /etc/nordpii/key)" = "640 root nordpii" ] && ok "key 0640 root:nordpii" || bad "key: $(stat -c '%a %U %G' /etc/nordpii/key 2>&1)"
dpkg-query -W -f='${Conffiles}\n' nordpii | grep -q /etc/nordpii/milter.toml && ok "conffile /etc/nordpii/milter.toml" || bad "policy is not a conffile"
for f in /usr/lib/systemd/system/nordpii-milter.service /usr/lib/sysusers.d/nordpii.conf /usr/share/man/man1/nordpii.1.gz \
         /usr/share/bash-completion/completions/nordpii /usr/share/doc/nordpii/copyright /usr/share/doc/nordpii/THIRD-PARTY; do
  [ -s "$f" ] && ok "$f" || bad "missing $f"
done
grep -q '^ExecStart=/usr/bin/nordpii milter ' /usr/lib/systemd/system/nordpii-milter.service && ok "unit runs /usr/bin/nordpii" || bad "unit ExecStart"
# The milter as its unit runs it (user, policy, key), until timeout stops it.
timeout 3 runuser -u nordpii -- nordpii milter --listen inet:18899@127.0.0.1 --config /etc/nordpii/milter.toml \
  --key-file /etc/nordpii/key 2>/tmp/milter.err
rc=$?
[ "$rc" -eq 124 ] && ok "milter starts as nordpii with the default policy" || { bad "milter exited $rc"; cat /tmp/milter.err; }
dpkg --purge nordpii >/dev/null 2>&1 && [ ! -e /usr/bin/nordpii ] && [ ! -e /etc/nordpii ] && ok "purge removes binary, policy and key" || bad "purge left $(ls /etc/nordpii /usr/bin/nordpii 2>&1)"
exit $fail
CHECK
chmod +x "$W/in/check.sh"

# The host's apt sources (deb822 or one-line), as fresh-check.sh does.
SRCLIST="$W/sources.list"
: > "$SRCLIST"
if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
  awk '/^URIs:/{u=$2} /^Suites:/{for(i=2;i<=NF;i++) s[u]=s[u]" "$i} END{for(k in s){n=split(s[k],a," "); for(i=1;i<=n;i++) print "deb " k " " a[i] " main"}}' \
    /etc/apt/sources.list.d/*.sources >> "$SRCLIST"
fi
cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep '^deb ' >> "$SRCLIST" || true
# (mmdebstrap, as fresh-check.sh runs it, writes the one-line form to sources.list.d/*.list)
[ -s "$SRCLIST" ] || echo "deb http://deb.debian.org/debian bookworm main" > "$SRCLIST"
echo "install_test: building a minimal Debian 12 root, apt-get install ./nordpii.deb, checking" >&2
set +e
mmdebstrap --quiet --variant=apt --include=ca-certificates \
  --customize-hook='mkdir -p "$1/in"' \
  --customize-hook="sync-in $W/in /in" \
  --customize-hook='chroot "$1" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /in/nordpii.deb >/in/apt.log 2>&1 || { cat /in/apt.log; exit 1; }"' \
  --customize-hook="chroot \"\$1\" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 /in/check.sh $VERSION" \
  bookworm "$W/root" "$SRCLIST" >&2
rc=$?
set -e
[ "$rc" -eq 0 ] || rc=1
echo "install_test: $([ $rc -eq 0 ] && echo PASS || echo FAIL) in $(( $(date +%s) - start )) s" >&2
exit $rc
