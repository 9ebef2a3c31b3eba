#!/usr/bin/env bash
# synfin's main job: a fuzzing campaign over every target, starting from the
# shipped corpus. Builds what it needs, fuzzes each target for a budget, merges
# new inputs into the corpus (minimized, atomically), triages crashes into
# out/crashes/<id>/, and ends with a table. Exits non-zero when anything crashed.
#
# usage: ci/fuzz.sh [--seconds N | --minutes N] [--targets a,b,...] [--engine libfuzzer|afl]
#                   [--jobs N] [--no-merge] [--smoke]
#   --smoke     a short run of every target without merging (what the tests run)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=60
targets="segment_codec_fuzzer,endpoint_fuzzer,connection_fuzzer,scenario_text_fuzzer,pcap_import_fuzzer"
engine=libfuzzer
jobs=1
merge=1
smoke=0
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --minutes) seconds=$(( $2 * 60 )); shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --engine) engine="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --no-merge) merge=0; shift ;;
    --smoke) smoke=1; merge=0; seconds=8; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "ci/fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$engine" in libfuzzer|afl) ;; *) echo "ci/fuzz.sh: --engine must be libfuzzer or afl" >&2; exit 2 ;; esac
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "ci/fuzz.sh: budget must be a positive number of seconds" >&2; exit 2; }
[[ "$jobs" =~ ^[0-9]+$ && "$jobs" -gt 0 ]] || { echo "ci/fuzz.sh: --jobs must be a positive number" >&2; exit 2; }

bash ci/deps.sh
ncpu=$(nproc 2>/dev/null || echo 2)

echo "== build (libFuzzer + ASan/UBSan, and the synfin tool for triage)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$ncpu" >/dev/null
cmake --preset default >/dev/null
cmake --build --preset default -j "$ncpu" --target synfin >/dev/null
if [ "$engine" = afl ]; then
  echo "== build (AFL++ and its CmpLog twin)"
  cmake --preset afl >/dev/null && cmake --build --preset afl -j "$ncpu" >/dev/null
  cmake --preset afl-cmplog >/dev/null && AFL_LLVM_CMPLOG=1 cmake --build --preset afl-cmplog -j "$ncpu" >/dev/null
fi
synfin="$root/build/default/harness/synfin"
fuzzbin() { echo "$root/build/fuzz/fuzz/$1"; }

# A previous run interrupted between the two renames of a merge leaves corpus.old.
for d in corpus/*.old; do
  [ -e "$d" ] || continue
  live="${d%.old}"
  if [ ! -e "$live" ]; then mv "$d" "$live"; else rm -rf "$d"; fi
done

# libFuzzer flags from the target's .options file ([libfuzzer] key = value).
options_flags() {
  local f="fuzz/$1.options"
  [ -f "$f" ] || return 0
  awk '/^\[/{sec=$0; next} sec=="[libfuzzer]" && /=/{gsub(/ /,""); split($0,a,"="); printf "-%s=%s ", a[1], a[2]}' "$f"
}
max_len() { options_flags "$1" | grep -o -- '-max_len=[0-9]*' | cut -d= -f2 || true; }
scenario_target() { case "$1" in endpoint_fuzzer) echo endpoint ;; connection_fuzzer) echo connection ;; *) echo "" ;; esac; }
transitions_of() {  # "<reached>/<total>" RFC transitions a corpus reaches
  local t; t=$(scenario_target "$1")
  [ -n "$t" ] && [ -d "corpus/$1" ] && [ -n "$(ls -A "corpus/$1" 2>/dev/null)" ] || { echo "-"; return; }
  "$synfin" coverage --target "$t" "corpus/$1" 2>/dev/null | sed -n 's/^summary: .* \([0-9]*\/[0-9]*\) RFC transitions.*/\1/p'
}

mkdir -p out/crashes
rows=()
crashed=0
IFS=',' read -r -a target_list <<< "$targets"
for target in "${target_list[@]}"; do
  bin=$(fuzzbin "$target")
  [ -x "$bin" ] || { echo "ci/fuzz.sh: no such target '$target'" >&2; exit 2; }
  corpus="corpus/$target"
  mkdir -p "$corpus"
  work="out/scratch/$target"
  rm -rf "$work" && mkdir -p "$work/new" "$work/crashes"
  before=$(find "$corpus" -type f | wc -l)
  trans_before=$(transitions_of "$target")
  echo "== fuzz $target ($engine, ${seconds}s, $jobs job(s), corpus $before)"
  dict=()
  [ -f "fuzz/$target.dict" ] && dict=(-dict="fuzz/$target.dict")
  execs=0; rate=0; cov="-"
  if [ "$engine" = libfuzzer ]; then
    fork=()
    [ "$jobs" -gt 1 ] && fork=(-fork="$jobs" -ignore_crashes=1)
    # shellcheck disable=SC2046
    set +e
    ASAN_OPTIONS=handle_abort=1:detect_leaks=1 "$bin" $(options_flags "$target") "${dict[@]}" "${fork[@]}" \
      -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/crashes/" \
      "$work/new" "$corpus" > "$work/log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      sleep 10
      last=$(grep -a -E '^#[0-9]+' "$work/log" | tail -n 1 || true)
      [ -n "$last" ] && echo "   $target: $last"
    done
    wait "$pid"
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
    cov=$(grep -a -o 'cov: [0-9]*' "$work/log" | tail -n 1 | cut -d' ' -f2)
  else
    aflbin="$root/build/afl/fuzz/$target"; cmplog="$root/build/afl-cmplog/fuzz/$target"
    len=$(max_len "$target"); len=${len:-4096}
    seeds="$corpus"; [ "$before" -eq 0 ] && { mkdir -p "$work/seed"; printf '\x01\x00' > "$work/seed/empty"; seeds="$work/seed"; }
    # afl-fuzz refuses custom ASAN_OPTIONS without abort_on_error=1 and symbolize=0;
    # handle_abort=1 makes an oracle's abort() a reported crash.
    export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
      ASAN_OPTIONS=abort_on_error=1:symbolize=0:handle_abort=1
    pids=()
    for j in $(seq 1 "$jobs"); do
      role=(-S "s$j"); [ "$j" -eq 1 ] && role=(-M main)
      # Debian's AFL++ 4.04c runs the wrong binary with -c ./x.cmplog; -c 0 with a
      # CmpLog-instrumented build of its own is the reliable form. Secondaries go plain.
      if [ "$j" -eq 1 ]; then
        afl-fuzz "${role[@]}" -i "$seeds" -o "$work/afl" -V "$seconds" -G "$len" -c 0 "${dict[@]/-dict=/-x }" -- "$cmplog" > "$work/afl-$j.log" 2>&1 &
      else
        afl-fuzz "${role[@]}" -i "$seeds" -o "$work/afl" -V "$seconds" -G "$len" -- "$aflbin" > "$work/afl-$j.log" 2>&1 &
      fi
      pids+=($!)
    done
    set +e; for p in "${pids[@]}"; do wait "$p"; done; set -e
    for s in "$work"/afl/*/fuzzer_stats; do
      [ -f "$s" ] || continue
      execs=$(( execs + $(sed -n 's/^execs_done *: *//p' "$s") ))
      rate=$(awk -v a="$rate" '/^execs_per_sec/{print a + $3}' "$s")
      cov=$(sed -n 's/^bitmap_cvg *: *//p' "$s")
    done
    find "$work"/afl/*/queue -maxdepth 1 -type f -name 'id:*' -exec cp {} "$work/new/" \; 2>/dev/null || true
    find "$work"/afl/*/crashes -maxdepth 1 -type f -name 'id:*' -exec cp {} "$work/crashes/" \; 2>/dev/null || true
    if [ "${execs:-0}" -eq 0 ]; then
      # afl-fuzz stopped before fuzzing (a setting it refuses, a bad binary): say why.
      echo "ci/fuzz.sh: afl-fuzz ran nothing for $target:" >&2
      tail -n 5 "$work"/afl-*.log >&2 || true
      exit 1
    fi
  fi

  # Merge what was found into the corpus, minimized, without ever losing the old one.
  after=$before
  if [ "$merge" -eq 1 ]; then
    rm -rf "$corpus.new" && mkdir -p "$corpus.new"
    if "$bin" -merge=1 "$corpus.new" "$corpus" "$work/new" > "$work/merge.log" 2>&1; then
      mv "$corpus" "$corpus.old" && mv "$corpus.new" "$corpus" && rm -rf "$corpus.old"
    else
      echo "   merge failed (see $work/merge.log); corpus left as it was"
      rm -rf "$corpus.new"
    fi
    after=$(find "$corpus" -type f | wc -l)
  fi
  trans_after=$(transitions_of "$target")

  # Triage: minimize, name by invariant id (or sanitizer kind + top frames), keep
  # everything needed to reproduce and to commit a regression test.
  ncrash=0
  for crash in "$work"/crashes/*; do
    [ -f "$crash" ] || continue
    ncrash=$((ncrash + 1))
    min="$work/min-$(basename "$crash")"
    ASAN_OPTIONS=handle_abort=1 "$bin" -minimize_crash=1 -max_total_time=30 -exact_artifact_path="$min" "$crash" > /dev/null 2>&1 || true
    [ -s "$min" ] || cp "$crash" "$min"
    report=$(ASAN_OPTIONS=handle_abort=1 "$bin" "$min" 2>&1 || true)
    id=$(printf '%s\n' "$report" | sed -n 's/^==synfin== VIOLATION \([a-z0-9.-]*\).*/\1/p' | head -n 1)
    if [ -z "$id" ]; then
      kind=$(printf '%s\n' "$report" | sed -n 's/.*ERROR: [A-Za-z]*Sanitizer: \([a-z-]*\).*/\1/p' | head -n 1)
      kind=${kind:-$(printf '%s\n' "$report" | sed -n 's/^==synfin== \(.*\)$/\1/p' | head -n 1 | tr -c 'a-z0-9\n' '-' | cut -c1-40)}
      frames=$(printf '%s\n' "$report" | grep -E '^ *#[0-9]+ ' | grep -v -E 'libc|abort|__sanitizer|fuzzer::' | head -n 3 | sed 's/.* in \([^ ]*\).*/\1/' | tr '\n' ' ')
      id="${kind:-crash}-$(printf '%s' "$frames" | sha1sum | cut -c1-8)"
    fi
    dir="out/crashes/$target/$id"
    mkdir -p "$dir"
    cp "$min" "$dir/input"
    printf '%s\n' "$report" > "$dir/report.txt"
    st=$(scenario_target "$target")
    if [ -n "$st" ]; then
      "$synfin" fmt "$dir/input" --to text > "$dir/input.txt" 2>/dev/null || true
      "$synfin" run --target "$st" --trace "$dir/input" > "$dir/trace.txt" 2>&1 || true
      "$synfin" run --target "$st" --pcap "$dir/trace.pcap" "$dir/input" > /dev/null 2>&1 || true
    fi
    mkdir -p "$dir/regression/corpus/regressions/$target"
    cp "$min" "$dir/regression/corpus/regressions/$target/$id-$(sha1sum < "$min" | cut -c1-12)"
    echo "   crash: $dir (regression file under $dir/regression/)"
  done
  [ "$ncrash" -gt 0 ] && crashed=1
  rows+=("$(printf '%-22s %12s %9s %7s %8s %8s %10s %10s %7s' "$target" "${execs:-0}" "${rate:-0}" "${cov:--}" "$before" "$after" "$trans_before" "$trans_after" "$ncrash")")
done

echo
printf '%-22s %12s %9s %7s %8s %8s %10s %10s %7s\n' target executions exec/s cov corpus0 corpus1 trans0 trans1 crashes
for r in "${rows[@]}"; do echo "$r"; done
if [ "$smoke" -eq 0 ]; then
  for t in endpoint_fuzzer connection_fuzzer; do
    [[ ",$targets," == *",$t,"* ]] || continue
    [ -n "$(ls -A "corpus/$t" 2>/dev/null)" ] || continue
    echo
    echo "== transitions reached by corpus/$t"
    "$synfin" coverage --target "$(scenario_target "$t")" "corpus/$t" | sed -n '/^RFC transitions/,$p'
  done
fi
if [ "$crashed" -ne 0 ]; then
  echo "fuzz: crashes found (see out/crashes/)"
  exit 1
fi
echo "fuzz: no crashes"
