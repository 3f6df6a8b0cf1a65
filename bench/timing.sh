# SPDX-License-Identifier: Apache-2.0
# Shared timing for the whole-process benchmarks (sourced by bench/run*.sh).
# The machine's shared vCPUs swing single runs by +-10-25 %: callers run
# every command ROUNDS times, interleaved round by round so that each meets
# the same quiet and busy moments, and report the best time of each.
#   timing_init            make the result directory ($TD)
#   run NAME COMMAND...    time COMMAND once (ns clock; time(1) for peak RSS);
#                          an exit status outside $RUN_OK (default "0 1": grep's
#                          and nordpii's "nothing found"/"found") stops the
#                          benchmark: a crash must not time as a fast run
#   best NAME              best seconds of NAME
#   peak NAME              peak RSS (KB) of NAME's fastest run
#   mbs BYTES SECONDS      MB/s
ROUNDS=${ROUNDS:-5}
timing_init() { TD=$(mktemp -d); }
run() {
  n=$1; shift
  t0=$(date +%s%N)
  rc=0
  /usr/bin/time -f "%M" -o "$TD/last" "$@" >/dev/null 2>"$TD/stderr" || rc=$?
  t1=$(date +%s%N)
  case " ${RUN_OK:-0 1} " in
    *" $rc "*) ;;
    *) echo "bench: '$n' exited $rc: $*" >&2; tail -5 "$TD/stderr" >&2; exit 1 ;;
  esac
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", (b-a)/1e9}') $(tail -1 "$TD/last")" >> "$TD/$n"
}
best() { sort -n "$TD/$1" | head -1 | cut -d" " -f1; }
peak() { sort -n "$TD/$1" | head -1 | cut -d" " -f2; }
mbs() { awk -v b="$1" -v t="$2" 'BEGIN{ if (t<=0) t=0.001; printf "%.0f", b/t/1e6 }'; }
# expect_output NAME COMMAND...: run COMMAND once (untimed); it must exit 0
# or 1 and print at least one line (findings), so that a benchmark of a
# build that finds nothing, or fails, does not report a speed.
expect_output() {
  n=$1; shift
  rc=0
  lines=$("$@" 2>/dev/null | wc -l) || rc=$?
  if [ "$lines" -eq 0 ]; then echo "bench: '$n' printed nothing: $*" >&2; exit 1; fi
  echo "check: $n printed $lines lines"
}
