#!/usr/bin/env bash
# `synfin pcap2corpus` on a damaged capture, end to end: without --keep-going it
# exits 2 naming the record and byte offset and writes nothing; with it (either
# spelling) it converts what came before the damage and still exits 2.
set -euo pipefail
synfin=$1
capture=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Cut the capture inside its third record's data: the header says more bytes
# than the file holds.
size=$(stat -c %s "$capture")
head -c $((size - 7)) "$capture" > "$work/cut.pcap"

fail() { echo "FAIL: $*" >&2; exit 1; }

set +e
"$synfin" pcap2corpus "$work/cut.pcap" -o "$work/none" 2> "$work/err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "without --keep-going: exit $rc, expected 2"
grep -q "record [0-9]* at byte offset [0-9]*" "$work/err" || fail "no record/offset in: $(cat "$work/err")"
[ ! -e "$work/none" ] || [ -z "$(find "$work/none" -type f)" ] || fail "files written without --keep-going"

for spelling in --keep-going --keep_going; do
  out="$work/out$spelling"
  set +e
  "$synfin" pcap2corpus "$work/cut.pcap" -o "$out" "$spelling" > "$work/summary" 2> "$work/err"
  rc=$?
  set -e
  [ "$rc" = 2 ] || fail "$spelling: exit $rc, expected 2 (damage reported)"
  grep -q "converting the [0-9]* records before it" "$work/err" || fail "$spelling: $(cat "$work/err")"
  n=$(find "$out" -type f | wc -l)
  [ "$n" -gt 0 ] || fail "$spelling: nothing converted"
done

# An unknown flag in dashed spelling is still an error naming it.
set +e
"$synfin" pcap2corpus "$capture" -o "$work/x" --no-such-flag 2> "$work/err"
rc=$?
set -e
[ "$rc" != 0 ] || fail "--no-such-flag accepted"
grep -q "no_such_flag" "$work/err" || fail "unknown flag not named: $(cat "$work/err")"
echo "pcap2corpus CLI: ok"
