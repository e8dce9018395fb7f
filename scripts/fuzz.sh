#!/usr/bin/env bash
# Runs every fuzz target in the module for $1 (default 60s) each. Targets are
# found, not listed: any `func FuzzXxx(f *testing.F)` in a _test.go file.
# (`go test` already runs each target's committed seed corpus in the suite.)
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-60s}
status=0
while IFS=: read -r file target; do
  pkg=./$(dirname "$file")
  echo "== $target ($pkg, $fuzztime)"
  if ! go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg"; then
    echo "FAIL: $target found a failure; the input is saved under $pkg/testdata/fuzz/$target/" >&2
    status=1
  fi
done < <(grep -rhoE --include='*_test.go' -l '^func Fuzz[A-Za-z0-9_]+\(' . --exclude-dir=node_modules | while read -r f; do
  grep -oE '^func Fuzz[A-Za-z0-9_]+' "$f" | sed 's/^func //' | sed "s|^|$f:|"; done | sed 's|^\./||')
exit $status
