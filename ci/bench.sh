#!/usr/bin/env bash
# Fuzz-target throughput on the shipped seed corpus: executions per second of every
# target, without sanitizers (clang-14 -O3, the speed build) and with ASan+UBSan
# (what the campaign runs), plus the time one full replay of every corpus and
# regression file takes. With valgrind installed it also counts instructions per
# execution, a figure that does not depend on how busy the machine is.
#
# usage: ci/bench.sh [--repeat N] [--targets a,b,...] [--no-asan] [--no-instructions]
#                    [--cpu N] [--per-core]
#   --repeat N   passes over each target's corpus per timing (default 200)
#   --cpu N      pin every timing to core N (taskset)
#   --per-core   also time the speed build on each online core, next to a neutral
#                reference (sha256 of 256 MiB): virtual machines' cores can differ
# Numbers are wall-clock on this machine; run it on an idle one.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

repeat=200
targets="segment_codec_fuzzer,endpoint_fuzzer,connection_fuzzer,scenario_text_fuzzer"
asan=1
instructions=1
cpu=""
per_core=0
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) cpu="$2"; shift 2 ;;
    --per-core) per_core=1; shift ;;
    --repeat) repeat="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --no-asan) asan=0; shift ;;
    --no-instructions) instructions=0; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$repeat" =~ ^[0-9]+$ && "$repeat" -gt 0 ]] || { echo "ci/bench.sh: --repeat must be a positive number" >&2; exit 2; }
if [ -n "$cpu" ] || [ "$per_core" = 1 ]; then
  command -v taskset >/dev/null || { echo "ci/bench.sh: --cpu and --per-core need taskset (util-linux)" >&2; exit 2; }
fi
if [ -n "$cpu" ]; then
  [[ "$cpu" =~ ^[0-9]+$ ]] || { echo "ci/bench.sh: --cpu must be a core number, not '$cpu'" >&2; exit 2; }
  taskset -c "$cpu" true 2>/dev/null || { echo "ci/bench.sh: --cpu $cpu: no such online core" >&2; exit 2; }
fi

bash ci/deps.sh
ncpu=$(nproc 2>/dev/null || echo 2)
IFS=',' read -r -a target_list <<< "$targets"

# Replay-driver builds (SYNFIN_FUZZ_ENGINE=none): the same target code a fuzzer
# runs, driven by fuzz/replay_main.cc --repeat instead of an engine, so the figure
# is the target's own cost.
build() {  # build DIR SANITIZE
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++-14 \
    -DSYNFIN_SANITIZE="$2" -DSYNFIN_FUZZ_ENGINE=none -DSYNFIN_BUILD_TESTS=OFF >/dev/null
  cmake --build "$1" -j "$ncpu" --target "${target_list[@]}" >/dev/null
}
echo "== build (clang-14 -O3, replay driver; and with ASan+UBSan)"
build build/bench OFF
[ "$asan" = 1 ] && build build/bench-asan ON

# Throughput is measured on the seeds (what a campaign starts from); regression
# inputs are often the long runs that once hung or crashed, so they count only in
# the full-replay time.
seeds_of() { echo "corpus/$1"; }
corpus_of() {  # every committed input of a target: seeds and regressions
  local dirs=("corpus/$1")
  [ -d "corpus/regressions/$1" ] && dirs+=("corpus/regressions/$1")
  echo "${dirs[@]}"
}
field() { sed -nE "s#(^|.* )$1 ([0-9.]+).*#\2#p"; }
# Runs a command pinned to --cpu when one was given.
pinned() { if [ -n "$cpu" ]; then taskset -c "$cpu" "$@"; else "$@"; fi; }

instr_per_exec() {  # instr_per_exec BINARY DIRS...: (I(2r) - I(r)) / (r * inputs), startup cancels out
  local bin=$1; shift
  local r=20 a b n
  a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --repeat $r "$@" 2>&1 |
      sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
  b=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --repeat $((2 * r)) "$@" 2>&1 |
      sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
  n=$("$bin" --repeat 1 "$@" | field inputs)
  echo $(( (b - a) / (r * n) ))
}

have_valgrind=0
[ "$instructions" = 1 ] && command -v valgrind >/dev/null && have_valgrind=1

printf '\n%-22s %7s %12s %10s %12s %10s %14s\n' target inputs "exec/s" "us/exec" "asan exec/s" "asan us" "instr/exec"
for t in "${target_list[@]}"; do
  read -r -a dirs <<< "$(seeds_of "$t")"
  fast=$(pinned build/bench/fuzz/"$t" --repeat "$repeat" "${dirs[@]}")
  inputs=$(echo "$fast" | field inputs)
  eps=$(echo "$fast" | field "exec/s")
  us=$(echo "$fast" | field "us/exec")
  aeps=-; aus=-
  if [ "$asan" = 1 ]; then
    # ASan's allocator keeps freed memory in quarantine (256 MiB) and hands out
    # fresh pages until that fills; timed from a cold start, the first seconds
    # measured page faults (half the speed a long campaign sees).
    slow=$(pinned build/bench-asan/fuzz/"$t" --warmup $(( (repeat + 1) / 2 )) \
             --repeat $(( (repeat + 9) / 10 )) "${dirs[@]}")
    aeps=$(echo "$slow" | field "exec/s"); aus=$(echo "$slow" | field "us/exec")
  fi
  ipe=-
  [ "$have_valgrind" = 1 ] && ipe=$(instr_per_exec build/bench/fuzz/"$t" "${dirs[@]}")
  printf '%-22s %7s %12s %10s %12s %10s %14s\n' "$t" "$inputs" "$eps" "$us" "$aeps" "$aus" "$ipe"
done

if [ "$per_core" = 1 ]; then
  # The same timing on each core, and how long each takes for a fixed neutral job:
  # when the reference differs between cores, so will every figure above.
  ref_file=$(mktemp)
  trap 'rm -f "$ref_file"' EXIT
  head -c $((256 << 20)) /dev/zero > "$ref_file"
  ref_seconds() {  # ref_seconds CORE: how long the reference job takes there
    local s0 s1
    s0=$(date +%s.%N); taskset -c "$1" sha256sum "$ref_file" >/dev/null; s1=$(date +%s.%N)
    awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }'
  }
  # The reference runs before and after each core's timings: a core that slowed
  # down in between shows it.
  printf '\nper core, speed build exec/s (ref: seconds for sha256sum of 256 MiB, before/after)\n'
  printf '%-5s %11s' core ref
  for t in "${target_list[@]}"; do printf ' %22s' "$t"; done
  printf '\n'
  for c in $(taskset -pc $$ | sed 's/.*: //' | tr ',' '\n' | while IFS=- read -r a b; do seq "$a" "${b:-$a}"; done); do
    before=$(ref_seconds "$c")
    row=""
    for t in "${target_list[@]}"; do
      read -r -a dirs <<< "$(seeds_of "$t")"
      row+=$(printf ' %22s' "$(taskset -c "$c" build/bench/fuzz/"$t" --repeat "$repeat" "${dirs[@]}" | field "exec/s")")
    done
    printf '%-5s %11s%s\n' "$c" "$before/$(ref_seconds "$c")" "$row"
  done
fi

# One full replay of everything committed, as ctest does it (the speed build).
start=$(date +%s.%N)
for t in "${target_list[@]}"; do
  read -r -a dirs <<< "$(corpus_of "$t")"
  pinned build/bench/fuzz/"$t" "${dirs[@]}" >/dev/null
done
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v n="${#target_list[@]}" \
  'BEGIN { printf "\nfull corpus replay (%d targets, speed build): %.3f s\n", n, e - s }'
