#!/usr/bin/env bash
# Data-path benchmark (tests/bench/datapath_bench.cc): a bulk transfer between two
# synfin hosts in virtual time with no simulator, no faults and no observer, built
# with clang-14 -O3. Reports segments per second, CPU time per segment and per
# MSS-sized data segment, heap allocations per segment, heap bytes per idle
# connection and per connection with full windows; with valgrind installed, also
# instructions per segment (independent of how busy the machine is).
#
# usage: ci/bench_datapath.sh [--bytes N] [--mss N] [--buffer N] [--connections N]
# Wall-clock figures are this machine's; run it on an idle one.
set -euo pipefail
cd "$(dirname "$0")/.."

args=("$@")
for a in "${args[@]}"; do
  case "$a" in -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
done

bash ci/deps.sh
dir=build/bench-datapath
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++-14 \
  -DSYNFIN_SANITIZE=OFF -DSYNFIN_FUZZ_ENGINE=none >/dev/null
cmake --build "$dir" -j "$(nproc 2>/dev/null || echo 2)" --target synfin_datapath_bench >/dev/null
bench="$dir/tests/synfin_datapath_bench"

echo "== run"
"$bench" "${args[@]}"

if command -v valgrind >/dev/null; then
  # Instructions per segment: the difference between two transfer sizes, so the
  # handshake and set-up cancel out.
  segments() { "$bench" "${args[@]}" --connections 1 --bytes "$1" | sed -n 's/^bulk: .*: \([0-9]*\) segments.*/\1/p'; }
  instr() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bench" "${args[@]}" --connections 1 --bytes "$1" 2>&1 |
      sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
  }
  small=2000000 large=6000000
  sa=$(segments $small); sb=$(segments $large)
  ia=$(instr $small); ib=$(instr $large)
  echo "instructions: $(( (ib - ia) / (sb - sa) )) per segment (callgrind, $small vs $large octets)"
else
  echo "instructions: valgrind not installed, skipped"
fi
