#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The zsh completion parses (zsh -n) and offers every command and option that
# the bash completion offers, so the two lists cannot drift apart.
# Usage: zsh_completion_test.sh SOURCE_DIR
set -eu
src=$1
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
# Loads in a real zsh with compinit and defines the function. The dump goes
# to a file of our own: compinit replaces its dump file with mv, so
# `-d /dev/null` would turn /dev/null into a regular file (as root).
t=$(mktemp -d /tmp/nordpii-zsh.XXXXXX)
trap 'rm -rf "$t"' EXIT
out=$(ZDOTDIR=/nonexistent zsh -f -c "fpath=($src/packaging/zsh-completion \$fpath); autoload -Uz compinit; compinit -u -d $t/zcompdump; print -r -- \$_comps[nordpii]")
[ "$out" = _nordpii ] || { echo "compinit does not bind _nordpii to nordpii (got '$out')" >&2; fail=1; }
[ $fail = 0 ] && echo "zsh completion ok"
exit $fail
