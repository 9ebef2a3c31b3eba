#!/usr/bin/env bash
# Runs ci/oss-fuzz/build.sh the way OSS-Fuzz does (the contract's variables set,
# a temporary $OUT), then checks every expected output exists and every target
# runs its seed corpus. Uses clang-14 and libFuzzer from this machine; no libc++
# here, so build.sh takes the system Abseil path.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src" "$tmp/out" "$tmp/work"
ln -s "$repo" "$tmp/src/synfin"

export CC=clang-14 CXX=clang++-14
export CFLAGS="-O1 -gline-tables-only -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE="-fsanitize=fuzzer"
export SRC="$tmp/src" OUT="$tmp/out" WORK="$tmp/work"
bash "$repo/ci/oss-fuzz/build.sh" > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }

status=0
for t in segment_codec_fuzzer endpoint_fuzzer connection_fuzzer scenario_text_fuzzer pcap_import_fuzzer; do
  for f in "$t" "${t}_seed_corpus.zip" "$t.options"; do
    [ -s "$OUT/$f" ] || { echo "missing \$OUT/$f"; status=1; }
  done
  mkdir -p "$tmp/seeds/$t"
  unzip -q -o "$OUT/${t}_seed_corpus.zip" -d "$tmp/seeds/$t"
  if ! "$OUT/$t" -runs=0 "$tmp/seeds/$t" > "$tmp/$t.log" 2>&1; then
    echo "$t failed on its seed corpus:"; tail -n 20 "$tmp/$t.log"; status=1
  fi
  if ! "$OUT/$t" -runs=200 -seed=1 > "$tmp/$t.run.log" 2>&1; then
    echo "$t failed a short run:"; tail -n 20 "$tmp/$t.run.log"; status=1
  fi
done
for d in segment_codec_fuzzer.dict scenario_text_fuzzer.dict; do
  [ -s "$OUT/$d" ] || { echo "missing \$OUT/$d"; status=1; }
done
[ $status -eq 0 ] && echo "oss-fuzz build: 5 targets, seed corpora, options and dictionaries in place"
exit $status
