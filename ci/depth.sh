#!/usr/bin/env bash
# Depth: how far the scenario fuzzers get from nothing. Each target starts from an
# empty corpus and fuzzes for a budget on one core (the speed build: clang-14
# libFuzzer, no sanitizers), then `synfin coverage` reports which of the 11 states
# and which catalogued RFC 9293 transitions its corpus reaches. Targets run side by
# side, one core each.
#
# usage: ci/depth.sh [--seconds N] [--targets endpoint_fuzzer,connection_fuzzer] [--seed N]
#                    [--keep DIR]   (keep each target's corpus in DIR/<target>)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=300
targets="endpoint_fuzzer,connection_fuzzer"
seed=1
keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/depth.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "ci/depth.sh: --seconds must be a positive number" >&2; exit 2; }
[[ "$seed" =~ ^[0-9]+$ ]] || { echo "ci/depth.sh: --seed must be a number" >&2; exit 2; }

bash ci/deps.sh
ncpu=$(nproc 2>/dev/null || echo 2)
IFS=',' read -r -a list <<< "$targets"
# Only the targets: the speed build's other programs lack the coverage runtime.
cmake --preset fuzz-fast >/dev/null && cmake --build --preset fuzz-fast -j "$ncpu" --target "${list[@]}" >/dev/null
cmake --preset default >/dev/null && cmake --build --preset default -j "$ncpu" --target synfin >/dev/null
synfin=build/default/harness/synfin

options_flags() {  # libFuzzer flags from the target's .options file
  local f="fuzz/$1.options"
  [ -f "$f" ] || return 0
  awk '/^\[/{sec=$0; next} sec=="[libfuzzer]" && /=/ && !/^#/{gsub(/ /,""); split($0,a,"="); printf "-%s=%s ", a[1], a[2]}' "$f"
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pids=()
for t in "${list[@]}"; do
  mkdir -p "$work/$t"
  dict=(); [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  echo "== $t: ${seconds}s from an empty corpus, seed $seed"
  build/fuzz-fast/fuzz/"$t" $(options_flags "$t") "${dict[@]}" -seed="$seed" -max_total_time="$seconds" \
    -print_final_stats=1 "$work/$t" > "$work/$t.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for t in "${list[@]}"; do
  case "$t" in endpoint_fuzzer) kind=endpoint ;; connection_fuzzer) kind=connection ;; *) kind=$t ;; esac
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -n 1)
  echo
  echo "== $t: $execs executions, $(find "$work/$t" -type f | wc -l) inputs kept"
  "$synfin" coverage --target "$kind" "$work/$t"
  if [ -n "$keep" ]; then
    mkdir -p "$keep/$t" && cp -r "$work/$t/." "$keep/$t/"
    echo "(corpus kept in $keep/$t)"
  fi
done
