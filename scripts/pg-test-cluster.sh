#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests:
#
#   scripts/pg-test-cluster.sh COMMAND [ARGS...]
#
# installs Debian's postgresql when it is missing, creates a cluster with
# initdb in a temporary directory (as the postgres user, or nobody, when run
# as root: PostgreSQL refuses to run as root), starts it on a free port of
# 127.0.0.1 with its unix socket in the same directory, runs COMMAND with
# FUSEBOX_TEST_DATABASE_URL set to the cluster's superuser URL, then stops
# the cluster and removes the directory, whatever COMMAND did. Exits with
# COMMAND's status. Tests create their own databases in it
# (backend/store/storetest).
set -euo pipefail
[[ $# -gt 0 ]] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }

pgbin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n $d && -x $d/initdb ]] && echo "$d"
}
if ! bin=$(pgbin); then
  echo "pg-test-cluster: installing postgresql" >&2
  sudo=""; [[ $(id -u) = 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  bin=$(pgbin) || { echo "pg-test-cluster: no initdb after installing postgresql" >&2; exit 1; }
fi

dir=$(mktemp -d /tmp/fusebox-pg.XXXXXX)
as=()
if [[ $(id -u) = 0 ]]; then
  user=postgres
  getent passwd postgres >/dev/null || user=nobody
  chown "$user" "$dir"
  as=(runuser -u "$user" --)
fi
chmod 700 "$dir"

# A free port: bind 0, read what the kernel chose, release it.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')

stop() {
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

"${as[@]}" "$bin/initdb" -D "$dir/data" -U fusebox --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
# Settings for a test server: no durability (the cluster is thrown away),
# enough connections for parallel test binaries. PG_TEST_CLUSTER_DURABLE=1
# keeps PostgreSQL's durable defaults (fsync, synchronous commit), for
# benchmarks compared with SQLite's durable commits.
opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300"
if [[ ${PG_TEST_CLUSTER_DURABLE:-0} != 1 ]]; then
  opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null ||
  { cat "$dir/server.log" >&2; exit 1; }

export FUSEBOX_TEST_DATABASE_URL="postgres://fusebox@127.0.0.1:$port/postgres?sslmode=disable"
echo "pg-test-cluster: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)" >&2
set +e
"$@"
rc=$?
set -e
exit $rc
