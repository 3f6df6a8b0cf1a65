# Shared timing for the whole-process benchmarks (sourced by bench/run*.sh).
# The machine's shared vCPUs swing single runs by +-10-25 %: callers run
# every command ROUNDS times, interleaved round by round so that each meets
# the same quiet and busy moments, and report the best time of each.
#   timing_init            make the result directory ($TD)
#   run NAME COMMAND...    time COMMAND once (ns clock; time(1) for peak RSS)
#   best NAME              best seconds of NAME
#   peak NAME              peak RSS (KB) of NAME's fastest run
#   mbs BYTES SECONDS      MB/s
ROUNDS=${ROUNDS:-5}
timing_init() { TD=$(mktemp -d); }
run() {
  n=$1; shift
  t0=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$TD/last" "$@" >/dev/null 2>&1 || true
  t1=$(date +%s%N)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", (b-a)/1e9}') $(tail -1 "$TD/last")" >> "$TD/$n"
}
best() { sort -n "$TD/$1" | head -1 | cut -d" " -f1; }
peak() { sort -n "$TD/$1" | head -1 | cut -d" " -f2; }
mbs() { awk -v b="$1" -v t="$2" 'BEGIN{ if (t<=0) t=0.001; printf "%.0f", b/t/1e6 }'; }
