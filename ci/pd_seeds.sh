#!/usr/bin/env bash
# Seeds the endpoint fuzzer with the shipped packetdrill scripts
# (tests/data/packetdrill/): each script becomes a binary endpoint scenario,
# checked with every oracle on and named by a hash of its content, so running
# this again adds nothing new. The freebsd-net scripts are imported under the
# freebsd profile (their #ifdef FreeBSD branches and FreeBSD's defaults);
# synfin's own scripts under every profile (each profile's Config makes a
# different seed). Needs a built synfin (ci/test.sh builds one).
set -euo pipefail
cd "$(dirname "$0")/.."
synfin=${SYNFIN:-build/default/harness/synfin}
[ -x "$synfin" ] || { echo "ci/pd_seeds.sh: build synfin first (ci/test.sh)" >&2; exit 2; }
out=corpus/endpoint_fuzzer

"$synfin" pd import tests/data/packetdrill/freebsd --profile freebsd --o "$out" | tail -n 1
for profile in rfc freebsd linux; do
  "$synfin" pd import tests/data/packetdrill/synfin --profile "$profile" --o "$out" | tail -n 1
done
echo "$out: $(find "$out" -type f | wc -l) seeds"
