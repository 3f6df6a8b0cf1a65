# SPDX-License-Identifier: Apache-2.0
# Sourced by the bench scripts after `cd` to the repository root: the
# generated ticket-export corpora they share (made once, kept in bench/corpus).

# tickets_export MB FORMAT...: sets DIR to bench/corpus/tickets-export-MB and
# makes its export-000.FORMAT (one file of MB MB per format, bench/gen_tickets.py).
tickets_export() {
  _mb=$1
  shift
  DIR=bench/corpus/tickets-export-$_mb
  _tickets_text
  for _fmt in "$@"; do
    [ -s "$DIR/export-000.$_fmt" ] || /usr/bin/python3 bench/gen_tickets.py "$TEXT" "$DIR" "$_mb" 1 "$_fmt"
  done
}

# shellcheck disable=SC2034  # DIR, FILE and TEXT are for the caller
# tickets_bigfile MB: sets FILE to the one JSONL file of bench/corpus/bigfile-MB.
tickets_bigfile() {
  DIR=bench/corpus/bigfile-$1
  _tickets_text
  [ -d "$DIR" ] || /usr/bin/python3 bench/gen_tickets.py "$TEXT" "$DIR" "$1" 1
  FILE=$(ls "$DIR"/*.jsonl | head -1)
}

# The 200-ticket typical text (seed 42) every ticket corpus is cut from.
_tickets_text() {
  TEXT=bench/corpus/tickets-typical-200.txt
  mkdir -p bench/corpus
  [ -s "$TEXT" ] || /usr/bin/python3 bench/gen_corpus.py "$TEXT" 200 42 typical
}
