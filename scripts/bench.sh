#!/usr/bin/env bash
# `make bench`: every benchmark, each printing its figures and its ratio to a
# reference measured in the same run. Figures are machine-dependent; the
# docs' table was measured on the 2-core development machine.
#
# Exits non-zero when a benchmark fails to run or prints a missed target
# ("NOT met"), naming them at the end. bin/fusebox-bench is built by
# `make bench` (app/cmd/fusebox-bench).
set -uo pipefail
cd "$(dirname "$0")/.."
BENCH=${FUSEBOX_BENCH_BIN:-bin/fusebox-bench}
mkdir -p test-artifacts/bench
out=test-artifacts/bench/bench.txt
: >"$out"
failed=()
section() { printf '\n## %s\n' "$1" | tee -a "$out"; }

# gobench NAME ARGS...: go test -bench, keeping the result lines.
gobench() {
  local name=$1
  shift
  local log
  log=$(go test -run='^$' -benchmem "$@" 2>&1)
  local rc=$?
  grep -E '^(Benchmark|ok|FAIL)' <<<"$log" | tee -a "$out"
  if ((rc != 0)); then
    tail -n 20 <<<"$log" | tee -a "$out"
    failed+=("$name (exit $rc)")
  fi
}

# bench NAME ARGS...: one fusebox-bench benchmark; a missed target fails it.
bench() {
  local name=$1
  shift
  local log
  log=$("$BENCH" "$@" 2>&1)
  local rc=$?
  tee -a "$out" <<<"$log"
  if ((rc != 0)); then
    failed+=("$name (exit $rc)")
  elif grep -q 'NOT met' <<<"$log"; then
    failed+=("$name (target NOT met)")
  fi
}

[[ -x $BENCH ]] || { echo "bench: $BENCH is missing; build it with 'make bin/fusebox-bench'" >&2; exit 1; }

section "ingest: CSV parse throughput (go test -bench)"
gobench "ingest go test -bench" -bench=. ./backend/ingest/

section "importer: row validator (go test -bench)"
gobench "importer go test -bench" -bench=ValidateRow ./backend/schema/

section "importer: 1M-row ingest vs sqlite3 .import (fusebox-bench ingest)"
bench "fusebox-bench ingest" ingest --rows "${BENCH_ROWS:-1000000}"

section "sessions: sessions issued/s and token verifications/s over loopback HTTP (fusebox-bench sessions)"
bench "fusebox-bench sessions" sessions --duration "${BENCH_SESSIONS_DURATION:-3s}"
gobench "sessions go test -bench" -bench=. ./backend/sessions/

section "relay: records delivered/s (batch 1000), requests/s (batch 0), submit -> last delivery (fusebox-bench relay)"
bench "fusebox-bench relay" relay --records "${BENCH_RELAY_RECORDS:-100000}" --requests "${BENCH_RELAY_REQUESTS:-20000}"

section "marketplace: signed-link token verifications/s and logins/s over loopback HTTP (fusebox-bench marketplace)"
bench "fusebox-bench marketplace" marketplace --duration "${BENCH_MARKETPLACE_DURATION:-3s}"

echo
echo "full results: $out"
if ((${#failed[@]} > 0)); then
  printf 'bench: FAILED: %s\n' "${failed[@]}" | tee -a "$out" >&2
  exit 1
fi
echo "bench: every benchmark ran and met its targets"
