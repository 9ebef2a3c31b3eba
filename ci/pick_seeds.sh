#!/usr/bin/env bash
# Picks a small, cheap set of inputs that together reach every catalogued RFC 9293
# transition a corpus reaches (greedy weighted set cover: the input adding the
# most new edges per simulator event first, since a seed's events are what every
# execution of it costs; ties go to fewer events, then the name), and copies them
# into a seed directory named by content (the first 16 hex digits of the SHA-1, as
# ci/make_seeds.sh names seeds).
# For growing a target's shipped seeds from a campaign's or a depth run's corpus.
# Each pick is then minimized: its ops are dropped one at a time, last first, and a
# drop is kept when the run stays clean, takes no more events and still reaches
# every edge the input reached (fuzzer-grown inputs carry many ops that matter to
# nothing, and each costs time on every execution of the seed).
#
# usage: ci/pick_seeds.sh --target endpoint|connection --from DIR --to DIR
#                         [--synfin BIN] [--no-minimize]
set -euo pipefail
cd "$(dirname "$0")/.."
kind="" from="" to="" synfin=build/default/harness/synfin minimize=1
while [ $# -gt 0 ]; do
  case "$1" in
    --target) kind="$2"; shift 2 ;;
    --from) from="$2"; shift 2 ;;
    --to) to="$2"; shift 2 ;;
    --synfin) synfin="$2"; shift 2 ;;
    --no-minimize) minimize=0; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/pick_seeds.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$kind" in endpoint|connection) ;; *) echo "ci/pick_seeds.sh: --target must be endpoint or connection" >&2; exit 2 ;; esac
[ -d "$from" ] || { echo "ci/pick_seeds.sh: --from '$from' is not a directory" >&2; exit 2; }
[ -n "$to" ] || { echo "ci/pick_seeds.sh: --to is required" >&2; exit 2; }
[ -x "$synfin" ] || { echo "ci/pick_seeds.sh: no synfin at '$synfin' (build the default preset)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Neither helper fails: an input that does not run clean (or a text form that
# does not parse) just yields nothing.
events_of() {  # events_of FILE: the run's event count, empty unless it ran clean
  { "$synfin" run --target "$kind" "$1" 2>/dev/null || true; } |
    sed -nE 's/.*: ok \(.*, ([0-9]+) events,.*/\1/p' | tail -n 1
}
edges_of() {  # edges_of FILE: the catalogued edges the run reaches, one per line, sorted
  { "$synfin" coverage --target "$kind" "$1" 2>/dev/null || true; } |
    awk '/^RFC transitions:/ { on = 1; next }
         on && /->/ && $NF != "never" && $(NF) + 0 > 0 { print $1 " " $3 " " $4 }' | LC_ALL=C sort
}

# Drops ops from the text form of $1 while the run stays clean, costs no more
# events and reaches a superset of the edges it reached; writes the binary to $2.
minimize() {
  local in=$1 out=$2 cur="$work/cur.txt" try="$work/try.txt" need="$work/need" best n i
  # The text form as the target runs the input (a fuzz target forces its mode).
  # Endpoint inputs with fault ops have none that parses back: they stay as they are.
  "$synfin" fmt "$in" --target "$kind" --to text > "$cur" || { cp "$in" "$out"; return; }
  edges_of "$in" > "$need"
  best=$(events_of "$cur")
  if [ -z "$best" ] || [ -n "$(LC_ALL=C comm -23 "$need" <(edges_of "$cur"))" ]; then
    cp "$in" "$out"  # the text form runs differently: ship the input as it is
    return
  fi
  n=$(wc -l < "$cur")
  for ((i = n; i >= 1; i--)); do
    sed -n "${i}p" "$cur" | grep -q '^+' || continue  # header and blank lines stay
    sed "${i}d" "$cur" > "$try"
    local e
    e=$(events_of "$try")
    [ -n "$e" ] && [ "$e" -le "$best" ] || continue
    if [ -z "$(LC_ALL=C comm -23 "$need" <(edges_of "$try"))" ]; then
      mv "$try" "$cur"
      best=$e
    fi
  done
  "$synfin" fmt "$cur" --to binary --o "$out"
}

# One line per (input, reached edge): "events<TAB>path<TAB>edge".
find "$from" -maxdepth 1 -type f | LC_ALL=C sort | while IFS= read -r f; do
  # `synfin run` ends with "FILE: ok (Ts virtual, N events, ...)".
  events=$(events_of "$f")
  [ -n "$events" ] || continue  # a violation or an unreadable input: not a seed
  "$synfin" coverage --target "$kind" "$f" 2>/dev/null |
    awk -v f="$f" -v size="$events" '
      /^RFC transitions:/ { on = 1; next }
      on && /->/ && $NF != "never" && $(NF) + 0 > 0 { print size "\t" f "\t" $1 " " $3 " " $4 }'
done > "$work/edges"

# Greedy cover, deterministic.
awk -F'\t' '
  { key = $2; size[key] = $1; edges[key] = edges[key] SUBSEP $3; all[$3] = 1 }
  END {
    left = length(all)
    while (left > 0) {
      best = ""; gain = 0
      for (k in edges) {
        n = split(substr(edges[k], 2), list, SUBSEP); g = 0
        for (i = 1; i <= n; i++) if (!(list[i] in done)) g++
        if (g == 0) continue
        # g / (size[k] + 1) against gain / (size[best] + 1), without division.
        a = g * (size[best] + 1); b = gain * (size[k] + 1)
        if (best == "" || a > b || (a == b && (size[k] < size[best] || (size[k] == size[best] && k < best)))) { best = k; gain = g }
      }
      if (gain == 0) break
      n = split(substr(edges[best], 2), list, SUBSEP)
      for (i = 1; i <= n; i++) if (!(list[i] in done)) { done[list[i]] = 1; left-- }
      print best "\t" gain
      delete edges[best]
    }
  }' "$work/edges" > "$work/picked"

mkdir -p "$to"
total=$(cut -f3 "$work/edges" | LC_ALL=C sort -u | wc -l)
echo "== $(wc -l < "$work/picked") inputs cover the $total RFC transitions reached by $(find "$from" -maxdepth 1 -type f | wc -l) inputs in $from"
while IFS=$'\t' read -r f gain; do
  seed="$work/seed"
  if [ "$minimize" = 1 ]; then minimize "$f" "$seed"; else cp "$f" "$seed"; fi
  name=$(sha1sum < "$seed" | cut -c1-16)
  cp "$seed" "$to/$name"
  echo "  $name  +$gain edges  ($(stat -c %s "$f") bytes, $(awk -F'\t' -v f="$f" '$2 == f { print $1; exit }' "$work/edges") events; as shipped $(stat -c %s "$to/$name") bytes, $(events_of "$to/$name") events)"
done < "$work/picked"
