#!/usr/bin/env bash
# Uncached tile generation over a fixed list of 2,000 tiles (z10-16, weighted to the dense towns):
# in-process (store -> MVT, 1 and 2 threads) and over HTTP with wrk (2 threads, 64 connections).
#   env: DB=data/onemap.sqlite LAYERS=admin_areas,buildings DURATION=15s
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DB:-data/onemap.sqlite}; LAYERS=${LAYERS:-admin_areas,buildings}; DURATION=${DURATION:-15s}
scripts/setup.sh test >/dev/null
swift build -c release --product onemap >/dev/null
BIN=$(swift build -c release --show-bin-path)/onemap
[ -f "$DB" ] || "$BIN" demo --db "$DB"
mkdir -p data
TILES=data/bench-tiles.txt
python3 scripts/tiles_list.py --db "$DB" --out "$TILES"
echo "== in-process, uncached ($LAYERS)"
"$BIN" bench-tiles --db "$DB" --tiles "$TILES" --layers "$LAYERS" --threads 1
"$BIN" bench-tiles --db "$DB" --tiles "$TILES" --layers "$LAYERS" --threads 2 | sed -n 2p
echo "== in-process, from the store (no snapshots), 1 thread"
"$BIN" bench-tiles --db "$DB" --tiles "$TILES" --layers "$LAYERS" --threads 1 --from-store | head -1
serve() {  # serve [extra options]: starts the server on a free port, sets PORT and PID
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  # No rate limit: one client on loopback stands for many departments.
  "$BIN" serve --port "$PORT" --db "$DB" --log-level warning --rate-limit 0 "$@" &
  PID=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
  # Measure steady state: today's layer snapshots built (until then tiles come from the store).
  for _ in $(seq 1 600); do
    curl -s "http://127.0.0.1:$PORT/health" | python3 -c 'import json,sys; s=json.load(sys.stdin)["tileSnapshots"]; sys.exit(0 if s["ready"] and not s["building"] else 1)' && break
    sleep 0.2
  done
}
run_wrk() {
  TILES="$TILES" TILE_PATH="/tiles/$LAYERS/{z}/{x}/{y}.mvt" \
    wrk -t2 -c64 -d"$DURATION" --timeout 10s -s scripts/tiles.lua "http://127.0.0.1:$PORT" | grep RESULT
}
trap 'kill $PID 2>/dev/null || true' EXIT
serve --tile-cache-mb 0
echo "== HTTP, uncached (--tile-cache-mb 0): wrk -t2 -c64 -d$DURATION"
run_wrk
kill $PID; wait $PID 2>/dev/null || true
audit_rows() { sqlite3 "$DB" "SELECT count(*) || ' ' || coalesce(max(seq), 0) || ' ' || coalesce(sum(length(at) + length(principal) + length(action) + length(endpoint) + coalesce(length(layer), 0) + coalesce(length(area), 0) + coalesce(length(client), 0) + length(outcome) + length(prev_hash) + length(hash) + 24), 0) FROM audit_log WHERE seq > ${1:-0}"; }
AUDIT_SEQ=$(audit_rows | cut -d' ' -f2)
serve
# Warm the cache with every tile of the list once, then measure hits only.
WARM=$(TILES="$TILES" TILE_PATH="/tiles/$LAYERS/{z}/{x}/{y}.mvt" wrk -t2 -c16 -d"$DURATION" --timeout 10s -s scripts/tiles.lua "http://127.0.0.1:$PORT" | grep RESULT)
echo "== HTTP, cached (after a warm-up pass): wrk -t2 -c64 -d$DURATION"
HOT=$(run_wrk); echo "$HOT"
curl -s "http://127.0.0.1:$PORT/health"; echo
# The audit volume of both passes: the server writes its last minute's tile records on SIGTERM.
kill -TERM $PID; wait $PID 2>/dev/null || true
READS=$(( $(echo "$WARM" | sed 's/.*requests=\([0-9]*\).*/\1/') + $(echo "$HOT" | sed 's/.*requests=\([0-9]*\).*/\1/') ))
read -r ROWS _ BYTES <<<"$(audit_rows "$AUDIT_SEQ")"
echo "== audit volume: $READS tile reads wrote $ROWS audit records ($BYTES bytes of text); one record per read would be $READS records (~$(( READS * (BYTES / (ROWS > 0 ? ROWS : 1)) )) bytes at this size)"
