#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The zsh completion parses (zsh -n) and offers every command and option that
# the bash completion offers, so the two lists cannot drift apart.
# With NORDPII (the binary), every long option of `nordpii scan --help` must
# be in the bash completion's scan list, the zsh completion and the man page
# (packaging/nordpii.1), so an option added to scan without them fails here.
# Usage: zsh_completion_test.sh SOURCE_DIR [NORDPII]
set -eu
src=$1
bin=${2:-}
z=$src/packaging/zsh-completion/_nordpii
b=$src/packaging/bash-completion/nordpii
command -v zsh >/dev/null || { echo "zsh missing: scripts/install-deps.sh --test" >&2; exit 1; }
zsh -n "$z"
head -1 "$z" | grep -qx '#compdef nordpii' || { echo "first line must be #compdef nordpii" >&2; exit 1; }
fail=0
for w in $(grep -o -- '--[a-z][a-z-]*' "$b" | sort -u) scan redact batch find-subject milter types version; do
  case $w in --version|--help) continue ;; esac
  grep -qE -- "(^|[' )*])$w(=?\[|:)" "$z" || { echo "zsh completion lacks $w" >&2; fail=1; }
done
if [ -n "$bin" ]; then
  help=$("$bin" scan --help) || { echo "$bin scan --help failed" >&2; exit 1; }
  opts=$(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z-]*' | sort -u)
  [ -n "$opts" ] || { echo "no options in $bin scan --help" >&2; exit 1; }
  # The words bash offers after "nordpii scan -": $common and the scan line.
  bash_scan=$(bash -c ". '$b'; COMP_WORDS=(nordpii scan -); COMP_CWORD=2; _nordpii; printf '%s\n' \"\${COMPREPLY[@]}\"")
  man=$src/packaging/nordpii.1
  for w in $opts; do
    case $w in --help) continue ;; esac
    printf '%s\n' "$bash_scan" | grep -qx -- "$w" || { echo "bash completion of scan lacks $w (nordpii scan --help has it)" >&2; fail=1; }
    grep -qE -- "(^|[' )*])$w(=?\[|:)" "$z" || { echo "zsh completion lacks $w (nordpii scan --help has it)" >&2; fail=1; }
    grep -qF -- "$(printf '%s' "$w" | sed 's/-/\\-/g')" "$man" || { echo "man page lacks $w (nordpii scan --help has it)" >&2; fail=1; }
  done
fi
# Loads in a real zsh with compinit and defines the function. The dump goes
# to a file of our own: compinit replaces its dump file with mv, so
# `-d /dev/null` would turn /dev/null into a regular file (as root).
t=$(mktemp -d /tmp/nordpii-zsh.XXXXXX)
trap 'rm -rf "$t"' EXIT
out=$(ZDOTDIR=/nonexistent zsh -f -c "fpath=($src/packaging/zsh-completion \$fpath); autoload -Uz compinit; compinit -u -d $t/zcompdump; print -r -- \$_comps[nordpii]")
[ "$out" = _nordpii ] || { echo "compinit does not bind _nordpii to nordpii (got '$out')" >&2; fail=1; }
[ $fail = 0 ] && echo "zsh completion ok"
exit $fail
