#!/usr/bin/env bash
# `make bench`: every benchmark, each printing its figures and its ratio to a
# reference measured in the same run. Figures are machine-dependent; the
# README's table was measured on the 2-core development machine.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-artifacts/bench
out=test-artifacts/bench/bench.txt
: >"$out"
section() { printf '\n## %s\n' "$1" | tee -a "$out"; }

section "ingest: CSV parse throughput (go test -bench)"
go test -run='^$' -bench=. -benchmem ./backend/ingest/ 2>&1 | grep -E '^(Benchmark|ok|FAIL)' | tee -a "$out"

section "importer: row validator (go test -bench)"
go test -run='^$' -bench=ValidateRow -benchmem ./backend/importer/ 2>&1 | grep -E '^(Benchmark|ok|FAIL)' | tee -a "$out"

section "importer: 1M-row ingest vs sqlite3 .import (fusebox bench ingest)"
bin/fusebox bench ingest --rows "${BENCH_ROWS:-1000000}" 2>&1 | tee -a "$out"

section "sessions: sessions issued/s and token verifications/s over loopback HTTP (fusebox bench sessions)"
bin/fusebox bench sessions --duration "${BENCH_SESSIONS_DURATION:-3s}" 2>&1 | tee -a "$out"
go test -run='^$' -bench=. -benchmem ./backend/sessions/ 2>&1 | grep -E '^(Benchmark|ok|FAIL)' | tee -a "$out"

section "relay: records delivered/s (batch 1000), requests/s (batch 0), submit -> last delivery (fusebox bench relay)"
bin/fusebox bench relay --records "${BENCH_RELAY_RECORDS:-100000}" --requests "${BENCH_RELAY_REQUESTS:-20000}" 2>&1 | tee -a "$out"

section "marketplace: signed-link token verifications/s and logins/s over loopback HTTP (fusebox bench marketplace)"
bin/fusebox bench marketplace --duration "${BENCH_MARKETPLACE_DURATION:-3s}" 2>&1 | tee -a "$out"

echo
echo "full results: $out"
