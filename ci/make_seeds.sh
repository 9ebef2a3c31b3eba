#!/usr/bin/env bash
# Regenerates the committed seed corpora of the fuzz targets from the shipped
# scenarios (corpus/scenarios/). Re-runnable: each seed is named by the SHA-1 of
# its content, so running it again adds nothing new. Needs a built synfin
# (ci/test.sh builds one).
set -euo pipefail
cd "$(dirname "$0")/.."
synfin=${SYNFIN:-build/default/harness/synfin}
[ -x "$synfin" ] || { echo "ci/make_seeds.sh: build synfin first (ci/test.sh)" >&2; exit 2; }

put() {  # put DIR FILE: copy FILE into DIR under its content hash
  local h; h=$(sha1sum < "$2" | cut -c1-16)
  mkdir -p "$1"
  cp "$2" "$1/$h"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in corpus/scenarios/*; do
  put corpus/scenario_text_fuzzer "$f"
  "$synfin" fmt --to binary --o "$tmp/seed.bin" "$f"
  case "$f" in
    *.pkt) put corpus/endpoint_fuzzer "$tmp/seed.bin" ;;
    *) put corpus/connection_fuzzer "$tmp/seed.bin" ;;
  esac
  # Every packet of the run, as the codec target's seeds (pcap records split by hand:
  # 24-byte file header, then 16-byte record headers with the captured length at 8).
  "$synfin" run --pcap "$tmp/run.pcap" "$f" > /dev/null || true
  [ -f "$tmp/run.pcap" ] || continue
  size=$(stat -c %s "$tmp/run.pcap"); off=24; n=0
  while [ $((off + 16)) -le "$size" ] && [ $n -lt 6 ]; do
    len=$(od -An -tu4 -j $((off + 8)) -N4 "$tmp/run.pcap" | tr -d ' ')
    dd if="$tmp/run.pcap" of="$tmp/pkt" bs=1 skip=$((off + 16)) count="$len" status=none
    put corpus/segment_codec_fuzzer "$tmp/pkt"
    off=$((off + 16 + len)); n=$((n + 1))
  done
  rm -f "$tmp/run.pcap"
done
for d in corpus/endpoint_fuzzer corpus/connection_fuzzer corpus/segment_codec_fuzzer corpus/scenario_text_fuzzer; do
  echo "$d: $(find "$d" -type f | wc -l) seeds"
done
