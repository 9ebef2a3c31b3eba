#!/usr/bin/env bash
# The test command: install what is missing, configure, build, run every test.
# Usage: ci/test.sh [--preset default|asan]
set -euo pipefail
cd "$(dirname "$0")/.."

preset=default
while [ $# -gt 0 ]; do
  case "$1" in
    --preset) preset="$2"; shift 2 ;;
    --preset=*) preset="${1#*=}"; shift ;;
    -h|--help) echo "usage: ci/test.sh [--preset default|asan]"; exit 0 ;;
    *) echo "ci/test.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

bash ci/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "== configure ($preset)"
cmake --preset "$preset" >/dev/null
echo "== build"
cmake --build --preset "$preset" -j "$jobs"
echo "== test"
ctest --preset "$preset" -j "$jobs"

echo "== fuzz smoke (every target, a few seconds each, no corpus changes)"
bash ci/fuzz.sh --smoke
