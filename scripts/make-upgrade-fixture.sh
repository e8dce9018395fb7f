#!/usr/bin/env bash
# Writes the upgrade fixture: a data dir made by the binary given (default
# bin/fusebox, build it with `make server`) holding the demo workspace, an
# API key, importer sessions, two submitted imports with their records, their
# relay deliveries (to the server's own sink), a marketplace end user with an
# install, and a marketplace API secret; plus what that binary's commands and
# console API said about it, for the upgrade test to compare with
# (app/datatest/upgrade_test.go). Output: one tar.gz with datadir/ and
# expected/, default app/datatest/testdata/upgrade-<version>.tar.gz.
#
# Run it with the binary of a release before changing the schema, and commit
# the file: every later binary must open that data dir and read it back.
# Needs: curl, jq, tar.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-bin/fusebox}
[[ -x $BIN ]] || { echo "make-upgrade-fixture: $BIN is missing; build it with 'make server'" >&2; exit 1; }
version=$("$BIN" version | awk '{print $2}')
OUT=${2:-app/datatest/testdata/upgrade-$version.tar.gz}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fusebox-fixture.XXXXXX")
pid=''
cleanup() {
  [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
D=$tmp/datadir E=$tmp/expected
mkdir -p "$D" "$E"

"$BIN" serve --addr 127.0.0.1:0 --data-dir "$D" >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
for _ in $(seq 1 100); do grep -q 'listening on' "$tmp/stdout" && break; sleep 0.1; done
base=$(grep -oE 'listening on http://[0-9.:]+' "$tmp/stdout" | head -n 1 | sed 's/^listening on //')
[[ -n $base ]] || { cat "$tmp/stderr"; echo "make-upgrade-fixture: the server did not start" >&2; exit 1; }
token=$(tr -d '[:space:]' <"$D/admin.token")
admin() { curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }

# An API key and a marketplace secret (kept: the test uses them), sessions.
"$BIN" keys create --data-dir "$D" --name "fixture backend" --kind secret | tail -n 1 >"$E/api-key"
"$BIN" marketplace secrets create --data-dir "$D" --label fixture | tail -n 1 >"$E/marketplace-secret"
"$BIN" sessions create --data-dir "$D" --importer contacts --metadata '{"user_id":"fixture-user"}' >/dev/null
sk=$(cat "$E/api-key")
curl -fsS -H "Authorization: Bearer $sk" -H 'Content-Type: application/json' \
  -d '{"importer_slug":"contacts","metadata":{"user_id":"api-user"}}' "$base/api/v1/importer/sessions" >/dev/null

# Two imports of the demo contacts importer; the server delivers their records.
for n in 1 2; do
  csv=$tmp/contacts-$n.csv
  {
    echo 'first_name,last_name,email,company'
    for i in $(seq 1 30); do echo "Person$n$i,Fixture,p$n-$i@example.com,Company $n"; done
  } >"$csv"
  "$BIN" import --data-dir "$D" --importer contacts "$csv" | tail -n 1 >>"$E/imports.jsonl"
done

# A marketplace end user installs the Webhook listing.
jwt=$(admin -d '{"external_id":"fixture-user","email":"fixture@example.com","firstname":"Fixture","plan":"pro"}' "$base/api/admin/marketplace/links" | jq -r '.token // .jwt // empty')
[[ -n $jwt ]] || { echo "make-upgrade-fixture: no token from /api/admin/marketplace/links" >&2; exit 1; }
sid=$(curl -fsS -H 'Content-Type: application/json' -d "$(jq -n --arg t "$jwt" '{token:$t}')" "$base/api/marketplace/login" | jq -r .session)
inst=$(curl -fsS -H 'Content-Type: application/json' -H "X-Fusebox-Marketplace-Session: $sid" \
  -d '{"listing_id":"webhook","name":"Fixture webhook","config":{"endpoint_name":"fixture"}}' "$base/api/marketplace/installs" | jq -r .install.id)

# Wait until the install has run and every delivery is settled.
for _ in $(seq 1 300); do
  st=$(admin "$base/api/admin/marketplace/installs/$inst" | jq -r .install.status)
  pend=$(admin "$base/api/admin/relay/stats" | jq '[.by_status.pending // 0, .pending_jobs // 0] | add')
  [[ $st != pending && $st != running && $pend == 0 ]] && break
  sleep 0.2
done

# What this binary says about the data dir.
"$BIN" export --data-dir "$D" >"$E/workspace.yaml"
"$BIN" keys list --data-dir "$D" --json >"$E/keys.json"
"$BIN" sessions list --data-dir "$D" --json >"$E/sessions.json"
admin "$base/api/admin/imports" >"$E/imports.json"
admin "$base/api/admin/relay/deliveries" >"$E/deliveries.json"
admin "$base/api/admin/relay/stats" >"$E/relay-stats.json"
admin "$base/api/admin/marketplace/installs" >"$E/installs.json"
admin "$base/api/admin/marketplace/end-users" >"$E/end-users.json"
admin "$base/api/admin/dashboard" | jq '{version, schema_version, stats}' >"$E/dashboard.json"
for slug in $(jq -r .import "$E/imports.jsonl"); do
  admin "$base/api/admin/imports/$slug" >"$E/import-$slug.json"
  admin "$base/api/importer/imports/$slug/records?limit=1000" >"$E/records-$slug.json" 2>/dev/null || true
done

kill -TERM "$pid"; wait "$pid" || true; pid=''
rm -rf "$D/backups"
mkdir -p "$(dirname "$OUT")"
tar -C "$tmp" --owner=0 --group=0 --numeric-owner --sort=name -czf "$OUT" datadir expected
echo "make-upgrade-fixture: wrote $OUT ($(du -h "$OUT" | cut -f1); Fusebox $version, schema $(jq .schema_version "$E/dashboard.json"))"
