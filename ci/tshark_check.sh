#!/usr/bin/env bash
# Cross-checks synfin's pcap export against an independent dissector: every
# shipped scenario is run with --trace and --pcap, and tshark's reading of the
# capture must agree with the timeline segment by segment (time, source, flags,
# sequence number, acknowledgment, length), with every TCP and IP checksum good
# and no malformed packet. The pcap holds what each host put on the wire (the
# senders' view) and, for endpoint scripts, the injected segments, so it is
# compared with the timeline's "hN >" and "hN inject" lines.
#
#   ci/tshark_check.sh [SCENARIO...]     default: corpus/scenarios/*
#   SYNFIN=path (default build/default/harness/synfin)
#
# Installs tshark with apt-get when it is missing (Debian 12). Exit 1 on any
# disagreement, with both readings of the first differing segment.
set -euo pipefail
cd "$(dirname "$0")/.."
synfin=${SYNFIN:-build/default/harness/synfin}
[ -x "$synfin" ] || { echo "ci/tshark_check.sh: build synfin first (ci/test.sh)" >&2; exit 2; }
if ! command -v tshark > /dev/null; then
  echo "== installing tshark"
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq && apt-get install -y -qq tshark > /dev/null
fi
[ $# -gt 0 ] || set -- corpus/scenarios/*

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One line per segment: time src flags seq ack len. Flags in a fixed letter
# order, ACK spelled A (the timeline writes it '.', tcpdump-style). Plain POSIX
# awk: Debian's default awk is mawk.
from_trace() {
  awk '($3 == ">" || $3 == "inject") && $2 ~ /^h[0-9]+$/ {
    src = $4; sub(/:[0-9]+$/, "", src); sub(/^\[/, "", src); sub(/\]$/, "", src)
    flags = $7; gsub(/\./, "A", flags)
    split($8, r, /[:()]/); seq = r[1]; len = r[3]
    ack = 0
    for (i = 9; i <= NF; i++) if ($i == "ack") ack = $(i + 1)
    f = ""; for (i = 1; i <= 6; i++) if (index(flags, substr("AFPRSU", i, 1))) f = f substr("AFPRSU", i, 1)
    printf "%.6f %s %s %s %s %s\n", $1, src, f, seq, (flags ~ /A/ ? ack : 0), len
  }'
}
from_tshark() {
  awk -F'\t' '{
    f = ""; for (i = 1; i <= 6; i++) if (index($3, substr("AFPRSU", i, 1))) f = f substr("AFPRSU", i, 1)
    printf "%.6f %s %s %s %s %s\n", $1, $2, f, $4, ($3 ~ /A/ ? $5 : 0), $6
  }'
}

checked=0 segments=0 failed=0
for s in "$@"; do
  rm -f "$tmp/run.pcap"
  "$synfin" run --trace --pcap "$tmp/run.pcap" "$s" > "$tmp/trace" 2>&1 || true
  [ -f "$tmp/run.pcap" ] || { echo "FAIL $s: no pcap written"; failed=1; continue; }
  from_trace < "$tmp/trace" > "$tmp/a"
  tshark -r "$tmp/run.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -T fields \
    -e frame.time_relative -e ip.src -e tcp.flags.str -e tcp.seq_raw -e tcp.ack_raw -e tcp.len \
    2>/dev/null | sed 's/\t\t/\t/' > "$tmp/raw" || true
  # IPv6 captures leave ip.src empty; read ipv6.src for those.
  if [ ! -s "$tmp/raw" ] || cut -f2 "$tmp/raw" | grep -q '^$'; then
    tshark -r "$tmp/run.pcap" -T fields -e frame.time_relative -e ipv6.src -e tcp.flags.str \
      -e tcp.seq_raw -e tcp.ack_raw -e tcp.len 2>/dev/null > "$tmp/raw" || true
  fi
  from_tshark < "$tmp/raw" > "$tmp/b"
  bad=$(tshark -r "$tmp/run.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
          -Y 'tcp.checksum.status == 0 || ip.checksum.status == 0 || _ws.malformed || _ws.expert.severity == error' \
          2>/dev/null | wc -l)
  checked=$((checked + 1)); segments=$((segments + $(wc -l < "$tmp/a")))
  if ! diff -q "$tmp/a" "$tmp/b" > /dev/null; then
    echo "FAIL $s: tshark reads the capture differently from the timeline (trace < > tshark):"
    diff "$tmp/a" "$tmp/b" | head -n 6
    failed=1
  elif [ "$bad" -ne 0 ]; then
    echo "FAIL $s: $bad packet(s) with a bad checksum, malformed, or an expert error"
    failed=1
  fi
done
echo "tshark cross-check: $checked scenarios, $segments segments, $([ $failed = 0 ] && echo agree || echo DISAGREE)"
exit $failed
