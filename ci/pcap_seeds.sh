#!/usr/bin/env bash
# Seeds the committed fuzz corpora from captures of real traffic:
#   corpus/endpoint_fuzzer, corpus/connection_fuzzer  one seed per TCP flow and form
#       (synfin pcap2corpus, each cut to the target's max_len);
#   corpus/pcap_import_fuzzer  the classic-pcap captures themselves (those within
#       the target's max_len), named like ci/make_seeds.sh names seeds.
# Re-runnable: every seed is named by its content, so a second run adds nothing.
#
#   ci/pcap_seeds.sh [CAPTURE_OR_DIR...]
# Default: tests/data/pcaps and, when present, the shared captures beside the
# repository (../shared/pcaps). Needs a built synfin (ci/test.sh builds one;
# SYNFIN=path overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
synfin=${SYNFIN:-build/default/harness/synfin}
[ -x "$synfin" ] || { echo "ci/pcap_seeds.sh: build synfin first (ci/test.sh)" >&2; exit 2; }

sources=("$@")
if [ ${#sources[@]} -eq 0 ]; then
  sources=(tests/data/pcaps)
  [ -d ../shared/pcaps ] && sources+=(../shared/pcaps)
fi
captures=()
for s in "${sources[@]}"; do
  if [ -d "$s" ]; then
    while IFS= read -r f; do captures+=("$f"); done < <(find "$s" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
  else
    captures+=("$s")
  fi
done
[ ${#captures[@]} -gt 0 ] || { echo "ci/pcap_seeds.sh: no captures found" >&2; exit 2; }

max_len() { sed -n 's/^max_len *= *//p' "fuzz/$1.options"; }

for target in endpoint connection; do
  "$synfin" pcap2corpus "${captures[@]}" --o "corpus/${target}_fuzzer" --target "$target" \
    --max_bytes "$(max_len "${target}_fuzzer")" | tail -n 1
done

# The importer's own target reads classic pcap only (its walker has no pcapng).
limit=$(max_len pcap_import_fuzzer)
mkdir -p corpus/pcap_import_fuzzer
for f in "${captures[@]}"; do
  case "$f" in *.pcap) ;; *) continue ;; esac
  [ "$(stat -c %s "$f")" -le "$limit" ] || continue
  cp "$f" "corpus/pcap_import_fuzzer/$(sha1sum < "$f" | cut -c1-16)"
done
for d in corpus/endpoint_fuzzer corpus/connection_fuzzer corpus/pcap_import_fuzzer; do
  echo "$d: $(find "$d" -type f | wc -l) seeds"
done
