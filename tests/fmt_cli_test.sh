#!/usr/bin/env bash
# synfin fmt --target: a binary input printed as the fuzz target runs it.
# usage: fmt_cli_test.sh SYNFIN TWO_HOST_SCENARIO_TEXT
set -euo pipefail
synfin=$1 text=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$synfin" fmt "$text" --to binary --o "$work/in.bin"
# As is, a two-host scenario prints as one.
"$synfin" fmt "$work/in.bin" --to text > "$work/as_is.txt"
grep -q -- '--mode=endpoint' "$work/as_is.txt" && fail "as-is output claims endpoint mode"
grep -qE '^\+[0-9.]+ [cs] ' "$work/as_is.txt" || fail "as-is output lacks host-prefixed lines"
# As the endpoint fuzzer runs it: endpoint mode, and that text runs the same as the binary.
"$synfin" fmt "$work/in.bin" --target endpoint --to text > "$work/endpoint.txt"
grep -q -- '--mode=endpoint' "$work/endpoint.txt" || fail "--target endpoint did not set the mode"
a=$("$synfin" coverage --target endpoint "$work/in.bin" | tail -n 1)
b=$("$synfin" coverage "$work/endpoint.txt" | tail -n 1)
[ "$a" = "$b" ] || fail "the endpoint text reaches '$b', the binary as the endpoint target '$a'"
# A bad target is named, exits 2 and writes nothing.
if "$synfin" fmt "$work/in.bin" --target bogus --to text --o "$work/bad.txt" 2> "$work/err"; then
  fail "--target bogus was accepted"
fi
grep -q -- "--target" "$work/err" || fail "the error does not name --target: $(cat "$work/err")"
[ ! -e "$work/bad.txt" ] || fail "a bad flag still wrote output"
echo "ok"
