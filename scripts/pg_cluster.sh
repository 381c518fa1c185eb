#!/usr/bin/env bash
# A private PostgreSQL 15 + PostGIS cluster on loopback for OneMap's tests and for trying the
# PostgreSQL backend (nothing else uses it; trust authentication on 127.0.0.1 only).
#   scripts/pg_cluster.sh start   initdb when needed, start, create the database; prints its URL
#   scripts/pg_cluster.sh url     prints the URL of the running cluster
#   scripts/pg_cluster.sh stop    stops the cluster (the data directory stays)
# ONEMAP_PG_DIR (default test-output/pg), ONEMAP_PG_PORT (default: a free port, kept in the
# directory), ONEMAP_PG_DB (default onemap). initdb and pg_ctl refuse to run as root: as root they
# run as the 'postgres' account. Needs postgresql-15 and postgresql-15-postgis-3 (scripts/setup.sh test).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=$(realpath -m "${ONEMAP_PG_DIR:-test-output/pg}")
DB=${ONEMAP_PG_DB:-onemap}
PGBIN=${ONEMAP_PGBIN:-/usr/lib/postgresql/15/bin}
if [ "$(id -u)" -eq 0 ]; then AS_PG="runuser -u postgres --"; else AS_PG=""; fi
[ -x "$PGBIN/initdb" ] || { echo "pg_cluster: $PGBIN/initdb not found (install postgresql-15: scripts/setup.sh test)" >&2; exit 1; }

port() { cat "$DIR/port"; }
url() { echo "postgresql://postgres@127.0.0.1:$(port)/$DB"; }

case "${1:-start}" in
  start)
    mkdir -p "$DIR"
    [ -n "$AS_PG" ] && chown postgres: "$DIR"
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
      $AS_PG "$PGBIN/initdb" -D "$DIR/data" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=trust >"$DIR/initdb.log"
    fi
    if [ ! -s "$DIR/port" ]; then
      echo "${ONEMAP_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')}" >"$DIR/port"
    fi
    if ! $AS_PG "$PGBIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
      $AS_PG "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $(port) -c unix_socket_directories='$DIR/data' -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c jit=off" \
        start >/dev/null
    fi
    psql "postgresql://postgres@127.0.0.1:$(port)/postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 \
      || psql "postgresql://postgres@127.0.0.1:$(port)/postgres" -qc "CREATE DATABASE $DB"
    url
    ;;
  url) url ;;
  stop)
    if [ -f "$DIR/data/PG_VERSION" ]; then $AS_PG "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true; fi
    ;;
  *) echo "usage: scripts/pg_cluster.sh start|url|stop" >&2; exit 2 ;;
esac
