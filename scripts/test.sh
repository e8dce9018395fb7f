#!/usr/bin/env bash
# The whole suite, as `make test` runs it (after building bin/fusebox,
# bin/fusebox-desktop and the frontend): go vet, Go tests with the race
# detector, Vitest, the browser end-to-end suite and the desktop smoke test.
# Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-artifacts/logs
logs=test-artifacts/logs
passed=0 failed=0

count() { # stage passed failed
  passed=$((passed + $2)); failed=$((failed + $3))
  printf '== %s: %d passed, %d failed\n' "$1" "$2" "$3"
}

echo "== go vet"
if go vet ./... >"$logs/vet.log" 2>&1; then count "go vet" 1 0; else cat "$logs/vet.log"; count "go vet" 0 1; fi

echo "== go test -race ./..."
# Tests that run bash, curl, node or python3 skip when the tool is missing
# under plain `go test`; here a missing tool fails them. The tests run inside
# a throwaway PostgreSQL cluster (scripts/pg-test-cluster.sh sets
# FUSEBOX_TEST_DATABASE_URL): first everything on SQLite, then the
# store-backed suites listed in pg_packages again on PostgreSQL
# (FUSEBOX_TEST_ENGINE=postgres, see backend/store/storetest).
pg_packages="./backend/store/... ./backend/sessions ./backend/workspace ./backend/marketplace ./backend/relay ./backend/importer ./backend/stats ./backend/httpapi ./app ./app/cli"
FUSEBOX_REQUIRE_TOOLS=1 scripts/pg-test-cluster.sh bash -c 'go test -race -json -timeout 20m ./...; FUSEBOX_TEST_ENGINE=postgres go test -race -json -timeout 20m '"$pg_packages" 2>&1 | tee "$logs/go-test.json" | node scripts/go-test-summary.mjs | tee "$logs/go-test.txt"
# "go: N tests passed, N failed, N skipped; N cases passed, ...": the stage
# counts top-level tests (a failed case fails its test).
line=$(tail -n 1 "$logs/go-test.txt")
gp=$(sed -nE 's/^go: ([0-9]+) tests passed, ([0-9]+) failed.*/\1/p' <<<"$line")
gf=$(sed -nE 's/^go: ([0-9]+) tests passed, ([0-9]+) failed.*/\2/p' <<<"$line")
[[ $gp =~ ^[0-9]+$ && $gf =~ ^[0-9]+$ ]] || { echo "go test: no summary line"; gp=0; gf=1; }
if ((gp + gf == 0)); then echo "go test: found 0 tests"; gf=1; fi
count "go test" "$gp" "$gf"
# The security regression list (`make test-security`) is part of the Go
# stage above; say how it fared on its own line.
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
  // A test that also runs on PostgreSQL counts once: failed if either run failed.
  const seen = new Map();
  for (const l of lines) {
    if (!l.startsWith("{")) continue;
    let ev; try { ev = JSON.parse(l); } catch { continue; }
    if (!ev.Test || !/^TestSecurity/.test(ev.Test) || ev.Test.includes("/")) continue;
    if (ev.Action !== "pass" && ev.Action !== "fail") continue;
    const key = ev.Package + " " + ev.Test;
    if (seen.get(key) !== "fail") seen.set(key, ev.Action);
  }
  const pass = [...seen.values()].filter((a) => a === "pass").length;
  const fail = [...seen.values()].filter((a) => a === "fail").length;
  console.log(`   (of which the security list, TestSecurity*: ${pass} passed, ${fail} failed)`);
' "$logs/go-test.json"

echo "== vitest"
(cd frontend && NO_COLOR=1 npx vitest run) >"$logs/vitest.log" 2>&1
vrc=$?
tail -n 6 "$logs/vitest.log"
vp=$(grep -E '^\s*Tests\s' "$logs/vitest.log" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
vf=$(grep -E '^\s*Tests\s' "$logs/vitest.log" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
if [[ $vrc -ne 0 && ${vf:-0} -eq 0 ]]; then cat "$logs/vitest.log"; vf=1; fi
count "vitest" "${vp:-0}" "${vf:-0}"

echo "== browser end-to-end (playwright-core + /usr/bin/chromium)"
# A test that hangs (a browser call that never answers) fails after 10 minutes
# instead of holding the whole run until CI's own limit.
node --test --test-reporter=tap --test-concurrency=1 --test-timeout=600000 frontend/e2e/ >"$logs/e2e.log" 2>&1
erc=$?
ep=$(grep -E '^# pass ' "$logs/e2e.log" | awk '{print $3}'); ef=$(grep -E '^# fail ' "$logs/e2e.log" | awk '{print $3}')
if [[ $erc -ne 0 ]]; then cat "$logs/e2e.log"; [[ ${ef:-0} -eq 0 ]] && ef=1; else tail -n 9 "$logs/e2e.log"; fi
# No test found (a renamed folder, a glob that matches nothing) is a failure,
# not a green stage.
if (( ${ep:-0} + ${ef:-0} == 0 )); then echo "e2e: found 0 tests in frontend/e2e/"; ef=1; fi
count "e2e" "${ep:-0}" "${ef:-0}"

echo "== desktop smoke (Xvfb)"
if scripts/desktop-smoke.sh >"$logs/desktop.log" 2>&1; then tail -n 3 "$logs/desktop.log"; count "desktop smoke" 1 0
else cat "$logs/desktop.log"; count "desktop smoke" 0 1; fi

echo
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
