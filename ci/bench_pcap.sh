#!/usr/bin/env bash
# Times synfin's capture import (synfin pcap2corpus: read, split into flows,
# convert, write the seeds) against `tshark -r FILE -q` (read and dissect) on one
# capture, and prints captures per second and MB/s for each:
#   - one process per capture, for both tools (startup included);
#   - synfin with every copy in one process (the importer alone).
#
#   ci/bench_pcap.sh [CAPTURE]    default: the largest capture in ../shared/pcaps
#   RUNS=N (default 20)           SYNFIN=path (default build/default/harness/synfin)
#
# Installs tshark with apt-get when it is missing (Debian 12).
set -euo pipefail
cd "$(dirname "$0")/.."
synfin=${SYNFIN:-build/default/harness/synfin}
runs=${RUNS:-20}
[ -x "$synfin" ] || { echo "ci/bench_pcap.sh: build synfin first (ci/test.sh)" >&2; exit 2; }
file=${1:-$(ls -S ../shared/pcaps/*.pcap ../shared/pcaps/*.pcapng 2>/dev/null | head -n 1)}
[ -f "$file" ] || { echo "ci/bench_pcap.sh: no capture given or found" >&2; exit 2; }

if ! command -v tshark > /dev/null; then
  echo "== installing tshark"
  export DEBIAN_FRONTEND=noninteractive
  # wireshark-common asks whether non-root users may capture; the answer does not matter here.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq && apt-get install -y -qq tshark > /dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bytes=$(stat -c %s "$file")
now() { date +%s.%N; }
report() {  # report LABEL START END
  awk -v l="$1" -v t0="$2" -v t1="$3" -v n="$runs" -v b="$bytes" \
    'BEGIN { s = t1 - t0; printf "%-34s %8.3f s  %9.1f captures/s  %8.2f MB/s\n", l, s, n / s, n * b / s / 1e6 }'
}

echo "== $file: $bytes bytes, $runs runs each"
"$synfin" pcap2corpus "$file" --o "$tmp/warm" | tail -n 8
tshark -r "$file" -q > /dev/null 2>&1  # warm the page cache and tshark's first-run setup

t0=$(now)
for i in $(seq "$runs"); do "$synfin" pcap2corpus "$file" --o "$tmp/p$i" > /dev/null; done
t1=$(now)
report "synfin pcap2corpus (per process)" "$t0" "$t1"

copies=()
for i in $(seq "$runs"); do copies+=("$file"); done
t0=$(now)
"$synfin" pcap2corpus "${copies[@]}" --o "$tmp/one" > /dev/null
t1=$(now)
report "synfin pcap2corpus (one process)" "$t0" "$t1"

t0=$(now)
for i in $(seq "$runs"); do tshark -r "$file" -q > /dev/null 2>&1; done
t1=$(now)
report "tshark -r FILE -q (per process)" "$t0" "$t1"
