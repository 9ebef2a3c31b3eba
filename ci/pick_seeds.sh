#!/usr/bin/env bash
# Picks a small set of inputs that together reach every catalogued RFC 9293
# transition a corpus reaches (greedy set cover: the input adding the most new
# edges first; ties go to the smaller input, then the name), and copies them into
# a seed directory under their SHA-1 names, as libFuzzer names corpus files.
# For growing a target's shipped seeds from a campaign's or a depth run's corpus.
#
# usage: ci/pick_seeds.sh --target endpoint|connection --from DIR --to DIR [--synfin BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
kind="" from="" to="" synfin=build/default/harness/synfin
while [ $# -gt 0 ]; do
  case "$1" in
    --target) kind="$2"; shift 2 ;;
    --from) from="$2"; shift 2 ;;
    --to) to="$2"; shift 2 ;;
    --synfin) synfin="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/pick_seeds.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$kind" in endpoint|connection) ;; *) echo "ci/pick_seeds.sh: --target must be endpoint or connection" >&2; exit 2 ;; esac
[ -d "$from" ] || { echo "ci/pick_seeds.sh: --from '$from' is not a directory" >&2; exit 2; }
[ -n "$to" ] || { echo "ci/pick_seeds.sh: --to is required" >&2; exit 2; }
[ -x "$synfin" ] || { echo "ci/pick_seeds.sh: no synfin at '$synfin' (build the default preset)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# One line per (input, reached edge): "size<TAB>path<TAB>edge".
find "$from" -maxdepth 1 -type f | LC_ALL=C sort | while IFS= read -r f; do
  size=$(stat -c %s "$f")
  "$synfin" coverage --target "$kind" "$f" 2>/dev/null |
    awk -v f="$f" -v size="$size" '
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
        if (g > gain || (g == gain && g > 0 && (size[k] < size[best] || (size[k] == size[best] && k < best)))) { best = k; gain = g }
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
  name=$(sha1sum "$f" | cut -d' ' -f1)
  cp "$f" "$to/$name"
  echo "  $name  +$gain edges  ($(stat -c %s "$f") bytes)"
done < "$work/picked"
