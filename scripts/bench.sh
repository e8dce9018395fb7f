#!/usr/bin/env bash
# `make bench`: every benchmark, each printing its figures and its ratio to a
# reference measured in the same run. Figures are machine-dependent; the
# docs' table was measured on the 2-core development machine.
#
# Exits non-zero when a benchmark fails to run or prints a missed target
# ("NOT met"), naming them at the end. bin/fusebox-bench is built by
# `make bench` (app/cmd/fusebox-bench).
#
# The raw output, headed by the commit, date, CPU model, cores and Go
# version, goes to test-artifacts/bench/bench.txt and to
# docs/bench/<date>-<commit>.txt (committed; docs/benchmarks.md cites it).
# The browser figure needs bin/fusebox, Chromium (/usr/bin/chromium) and
# frontend/node_modules (papaparse, playwright-core).
# Smaller runs while developing: BENCH_ROWS, BENCH_XLSX_ROWS, BENCH_BROWSER_ROWS, BENCH_BROWSER_RUNS, BENCH_SESSIONS_DURATION,
# BENCH_RELAY_RECORDS, BENCH_RELAY_REQUESTS, BENCH_MARKETPLACE_DURATION,
# BENCH_DASHBOARD_RECORDS, BENCH_DASHBOARD_IMPORTS,
# BENCH_BENCHTIME (go test -benchtime); BENCH_RECORD=0 skips the
# docs/bench copy.
set -uo pipefail
cd "$(dirname "$0")/.."
BENCH=${FUSEBOX_BENCH_BIN:-bin/fusebox-bench}
mkdir -p test-artifacts/bench docs/bench
out=test-artifacts/bench/bench.txt
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
record=docs/bench/$(date -u +%F)-$commit.txt
# a later run of the same commit on the same day gets its own file
n=2
while [[ -e $record ]]; do
  record=docs/bench/$(date -u +%F)-$commit-$n.txt
  n=$((n + 1))
done
{
  echo "# fusebox make bench"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)"
  echo "cores: $(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
  echo "memory: $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo 2>/dev/null)"
  echo "go: $(go version 2>/dev/null)"
  echo "os: $(uname -srm)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
  echo "sizes: rows=${BENCH_ROWS:-1000000} browser_rows=${BENCH_BROWSER_ROWS:-${BENCH_ROWS:-1000000}} xlsx_rows=${BENCH_XLSX_ROWS:-${BENCH_ROWS:-1000000}} sessions=${BENCH_SESSIONS_DURATION:-3s} relay_records=${BENCH_RELAY_RECORDS:-100000} relay_requests=${BENCH_RELAY_REQUESTS:-20000} marketplace=${BENCH_MARKETPLACE_DURATION:-3s} benchtime=${BENCH_BENCHTIME:-1s}"
} >"$out"
cat "$out"
failed=()
section() { printf '\n## %s\n' "$1" | tee -a "$out"; }

# gobench NAME ARGS...: go test -bench, keeping the result lines.
gobench() {
  local name=$1
  shift
  local log
  log=$(go test -run='^$' -benchmem -benchtime="${BENCH_BENCHTIME:-1s}" "$@" 2>&1)
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

section "schema: row validator, valid rows and 10% invalid rows (go test -bench)"
gobench "importer go test -bench" -bench=ValidateRow ./backend/schema/

section "importer: 1M-row ingest vs sqlite3 .import: stage, whole job upload -> review-ready, review in process and over HTTP (fusebox-bench ingest)"
bench "fusebox-bench ingest" ingest --rows "${BENCH_ROWS:-1000000}"

section "browser: the same 1M-row CSV chosen in the embedded importer (to the first review page) and in a Papa Parse page (to its first page), Chromium (frontend/e2e/bench/browser-ingest.mjs)"
browserbench() {
  local log
  log=$(node frontend/e2e/bench/browser-ingest.mjs --rows "${BENCH_BROWSER_ROWS:-${BENCH_ROWS:-1000000}}" --runs "${BENCH_BROWSER_RUNS:-3}" 2>&1)
  local rc=$?
  tee -a "$out" <<<"$log"
  if ((rc != 0)); then
    failed+=("browser ingest (exit $rc)")
  fi
}
browserbench

section "xlsx: the same data as XLSX and as CSV imported, XLSX parse vs SheetJS (fusebox-bench xlsx)"
bench "fusebox-bench xlsx" xlsx --rows "${BENCH_XLSX_ROWS:-${BENCH_ROWS:-1000000}}"

section "sessions: sessions issued/s and token verifications/s over loopback HTTP (fusebox-bench sessions)"
bench "fusebox-bench sessions" sessions --duration "${BENCH_SESSIONS_DURATION:-3s}"
gobench "sessions go test -bench" -bench=. ./backend/sessions/

section "relay: records delivered/s (batch 1000), requests/s (batch 0), submit -> last delivery (fusebox-bench relay)"
bench "fusebox-bench relay" relay --records "${BENCH_RELAY_RECORDS:-100000}" --requests "${BENCH_RELAY_REQUESTS:-20000}"

section "marketplace: signed-link token verifications/s and logins/s over loopback HTTP, with and without jti (fusebox-bench marketplace)"
bench "fusebox-bench marketplace" marketplace --duration "${BENCH_MARKETPLACE_DURATION:-3s}"

section "dashboard: the console dashboard's charts over 1M delivered records and 10,000 imports (fusebox-bench dashboard)"
bench "fusebox-bench dashboard" dashboard --records "${BENCH_DASHBOARD_RECORDS:-1000000}" --imports "${BENCH_DASHBOARD_IMPORTS:-10000}"

section "team: sessions issued/s, relay records/s (batch 1000) and the 1M-row stage on one replica on SQLite, one on PostgreSQL and two on one PostgreSQL (fusebox-bench team; a throwaway cluster from scripts/pg-test-cluster.sh)"
teambench() {
  local log
  # Durable commits (fsync, synchronous_commit on), as SQLite's are.
  log=$(PG_TEST_CLUSTER_DURABLE=1 scripts/pg-test-cluster.sh bash -c '"$0" team --database "$FUSEBOX_TEST_DATABASE_URL" --duration "$1" --records "$2" --rows "$3"' \
    "$BENCH" "${BENCH_SESSIONS_DURATION:-3s}" "${BENCH_RELAY_RECORDS:-100000}" "${BENCH_ROWS:-1000000}" 2>&1)
  local rc=$?
  tee -a "$out" <<<"$log"
  if ((rc != 0)); then
    failed+=("fusebox-bench team (exit $rc)")
  fi
}
teambench

section "hooks: 1M rows staged with a JS row hook and with a server callback (batch 1000), as ratios to the same import without hooks; a re-import through match_on against 1M earlier records (fusebox-bench hooks)"
bench "fusebox-bench hooks" hooks --rows "${BENCH_ROWS:-1000000}"

echo
if ((${#failed[@]} > 0)); then
  printf 'bench: FAILED: %s\n' "${failed[@]}" | tee -a "$out" >&2
else
  echo "bench: every benchmark ran and met its targets" | tee -a "$out"
fi
if [[ ${BENCH_RECORD:-1} == 0 ]]; then
  echo "full results: $out (BENCH_RECORD=0: no copy in docs/bench)"
else
  cp "$out" "$record"
  echo "full results: $out and $record (commit the latter; docs/benchmarks.md cites it)"
fi
((${#failed[@]} == 0))
