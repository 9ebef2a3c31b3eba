#!/usr/bin/env bash
# catch_discover_tests registers each Catch2 test case with ctest by name; a
# name holding '[' or ']' (CMake's bracket syntax) or '"' cuts the list short,
# and every test after it silently stops running. This fails on such a name.
set -euo pipefail
bad=$("$1" --list-test-names-only | grep -n '[][""]' || true)
if [ -n "$bad" ]; then
  echo "test names ctest cannot register (no [ ] or \" in a TEST_CASE name):" >&2
  echo "$bad" >&2
  exit 1
fi
echo "catch names: $("$1" --list-test-names-only | grep -c .) registrable"
