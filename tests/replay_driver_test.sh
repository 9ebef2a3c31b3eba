#!/usr/bin/env bash
# The engine-less replay driver's flags: --repeat times every input N times (after
# --warmup W untimed passes), and a bad count is named with exit status 2.
# usage: replay_driver_test.sh TARGET_BINARY CORPUS_DIR
set -euo pipefail
bin=$1 dir=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
inputs=$(find "$dir" -type f | wc -l)
[ "$inputs" -gt 0 ] || fail "no inputs under $dir"

out=$("$bin" "$dir")
[ "$out" = "replayed $inputs inputs" ] || fail "plain replay printed '$out'"

out=$("$bin" --repeat 3 --warmup 2 "$dir")
echo "$out" | grep -q "inputs $inputs .* executions $((3 * inputs)) " ||
  fail "--repeat 3 --warmup 2 should time $((3 * inputs)) executions: '$out'"
out=$("$bin" --warmup 2 --repeat 3 "$dir")
echo "$out" | grep -q "executions $((3 * inputs)) " || fail "flag order changed the count: '$out'"

expect_refusal() {  # expect_refusal WORD ARGS...: exit 2 and an error naming WORD
  local word=$1; shift
  local status=0
  "$bin" "$@" > /dev/null 2> err.txt || status=$?
  [ "$status" = 2 ] || fail "'$*' exited $status, not 2"
  grep -q -- "$word" err.txt || fail "'$*' did not name $word: $(cat err.txt)"
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
expect_refusal --repeat --repeat 0 "$dir"
expect_refusal --repeat --repeat x "$dir"
expect_refusal --warmup --warmup 2 "$dir"           # untimed replay has nothing to warm up for
expect_refusal --warmup --repeat 2 --warmup -1 "$dir"
expect_refusal "no such file" --repeat 2 "$dir/does-not-exist"
echo "ok"
