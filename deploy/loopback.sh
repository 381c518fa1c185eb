#!/usr/bin/env bash
# The deployment of deploy/ on this machine's loopback, for tests and trials: REPLICAS `onemap
# serve` processes on one PostgreSQL database, sharing nothing else, and nginx in front of them
# with nginx/onemap.conf's settings (its ports replaced by free ones).
#   deploy/loopback.sh start [DB_URL]  starts everything and prints nginx's URL. DB_URL: an existing
#                                      OneMap database; default: database onemap_replicas of
#                                      scripts/pg_cluster.sh's cluster, made from the demo when new.
#   deploy/loopback.sh urls            nginx's URL, then each replica's, one per line
#   deploy/loopback.sh stop            stops nginx and the replicas (SIGTERM: they flush their audit)
# env: REPLICAS=2  DIR=test-output/replicas  BIN=onemap binary (default: the debug build)  SCALE=0.1
#      SERVE_OPTIONS (more `onemap serve` options)  PIN=1 (replica i runs on core i only)
#      NGINX_RATE_LIMIT=0 (no limit_req at the proxy: load tests from one client)
# Needs nginx (scripts/setup.sh test installs nginx-light). Everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
REPLICAS=${REPLICAS:-2}; DIR=$(realpath -m "${DIR:-test-output/replicas}"); SCALE=${SCALE:-0.1}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
wait_up() {
  for _ in $(seq 1 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "loopback: nothing answers at $1 (see $DIR/*.log)" >&2; return 1
}

stop() {
  if [ -f "$DIR/nginx.pid" ]; then
    nginx -p "$DIR" -c "$DIR/nginx.conf" -s quit 2>/dev/null || kill "$(cat "$DIR/nginx.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do [ -f "$DIR/nginx.pid" ] || break; sleep 0.1; done
    rm -f "$DIR/nginx.pid"
  fi
  for pidfile in "$DIR"/replica-*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

urls() {
  echo "http://127.0.0.1:$(cat "$DIR/nginx.port")"
  for f in "$DIR"/replica-*.port; do echo "http://127.0.0.1:$(cat "$f")"; done
}

start() {
  command -v nginx >/dev/null || { echo "loopback: nginx missing (scripts/setup.sh test, or apt-get install nginx-light)" >&2; exit 1; }
  if [ -z "${BIN:-}" ]; then
    BIN=$(swift build --show-bin-path)/onemap
    [ -x "$BIN" ] || swift build --product onemap >/dev/null
  fi
  stop
  rm -rf "$DIR"; mkdir -p "$DIR/tiles" "$DIR/nginx-temp"
  local db=${1:-}
  if [ -z "$db" ]; then
    db=$(ONEMAP_PG_DB=${ONEMAP_PG_DB:-onemap_replicas} scripts/pg_cluster.sh start)
    if [ "$(psql "$db" -tAc "SELECT to_regclass('onemap.layers') IS NOT NULL")" != t ]; then
      "$BIN" demo --db "$db" --scale "$SCALE" --force >"$DIR/demo.log" 2>&1
    fi
  fi
  echo "$db" >"$DIR/db"
  local upstreams=""
  for i in $(seq 1 "$REPLICAS"); do
    local port; port=$(free_port)
    # PIN=1: replica i on core i (benchmarks of one replica against two on the same cores).
    local pin=(); [ "${PIN:-0}" = 1 ] && pin=(taskset -c $(( (i - 1) % $(nproc) )))
    "${pin[@]}" "$BIN" serve --host 127.0.0.1 --port "$port" --db "$db" --tiles "$DIR/tiles" --log-level notice ${SERVE_OPTIONS:-} >"$DIR/replica-$i.log" 2>&1 &
    echo $! >"$DIR/replica-$i.pid"; echo "$port" >"$DIR/replica-$i.port"
    upstreams+="    server 127.0.0.1:$port max_fails=1 fail_timeout=2s;\n"
  done
  for f in "$DIR"/replica-*.port; do wait_up "http://127.0.0.1:$(cat "$f")/health"; done
  local port; port=$(free_port); echo "$port" >"$DIR/nginx.port"
  # nginx/onemap.conf with this set-up's ports, inside a main configuration of its own.
  awk -v ups="$upstreams" -v listen="    listen 127.0.0.1:$port;" -v limit="${NGINX_RATE_LIMIT:-1}" '
    /^ *server 127\.0\.0\.1:[0-9]+ max_fails/ { next }
    limit == "0" && /limit_req/ { next }
    /^upstream onemap_replicas/ { print; printf "%s", ups; next }
    /^ *listen / { print listen; next }
    { print }' deploy/nginx/onemap.conf >"$DIR/onemap.conf"
  {
    [ "$(id -u)" -eq 0 ] && echo "user root root;"
    cat <<CONF
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log $DIR/nginx-access.log;
  client_body_temp_path $DIR/nginx-temp/body;
  proxy_temp_path $DIR/nginx-temp/proxy;
  fastcgi_temp_path $DIR/nginx-temp/fastcgi;
  uwsgi_temp_path $DIR/nginx-temp/uwsgi;
  scgi_temp_path $DIR/nginx-temp/scgi;
  include $DIR/onemap.conf;
}
CONF
  } >"$DIR/nginx.conf"
  nginx -p "$DIR" -c "$DIR/nginx.conf" -e "$DIR/nginx-error.log"
  wait_up "http://127.0.0.1:$port/health"
  echo "http://127.0.0.1:$port"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  urls) urls ;;
  *) echo "usage: deploy/loopback.sh start [DB_URL] | urls | stop" >&2; exit 2 ;;
esac
