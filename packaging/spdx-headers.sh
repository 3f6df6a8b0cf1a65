#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Puts "SPDX-License-Identifier: Apache-2.0" on the first line of every
# tracked C++, Python, shell and CMake file (after a #! line), in the file's
# comment style; files that have one are left alone. Idempotent: rerun it
# after adding files. --check lists the files without one and exits 1.
#   packaging/spdx-headers.sh [--check]
set -eu
cd "$(dirname "$0")/.."
ID="SPDX-License-Identifier: Apache-2.0"
files() {
  git ls-files -- '*.cc' '*.h' '*.inc' '*.py' '*.sh' '*.cmake' '*.h.in' 'CMakeLists.txt' '*/CMakeLists.txt' |
  grep -v -e '^tests/data/' -e '^tests/fuzz/.*corpus' -e '^tests/fuzz/.*crashes'
}
if [ "${1:-}" = --check ]; then
  bad=$(files | while IFS= read -r f; do head -n 3 "$f" | grep -q 'SPDX-License-Identifier:' || echo "$f"; done)
  [ -z "$bad" ] && exit 0
  echo "$bad"; exit 1
fi
files | while IFS= read -r f; do
    [ -f "$f" ] || continue
    head -n 3 "$f" | grep -q 'SPDX-License-Identifier:' && continue
    case $f in
      *.cc|*.h|*.inc|*.h.in) c="// $ID" ;;
      *) c="# $ID" ;;
    esac
    if head -c 2 "$f" | grep -q '^#!'; then
      { head -n 1 "$f"; echo "$c"; tail -n +2 "$f"; } > "$f.spdx"
    else
      { echo "$c"; cat "$f"; } > "$f.spdx"
    fi
    chmod --reference="$f" "$f.spdx" && mv "$f.spdx" "$f"
  done
