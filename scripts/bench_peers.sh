#!/usr/bin/env bash
# Side by side with the peers, same machine, same run, same 2,000 tiles (z10-16, dense-weighted):
#   1. PostGIS ST_AsMVT (the engine inside Martin and pg_tileserv), timed in SQL, 1 and 2 sessions;
#   2. OneMap over HTTP, uncached (--tile-cache-mb 0) from SpatiaLite and from PostgreSQL (an
#      `onemap copy` of the same database in the peers' cluster), and cached (after one pass);
#   3. a bare SwiftNIO server answering the same tile bytes from memory (the cached-tile ceiling);
# then OneMap's cold per-tile times by zoom (in-process) and its largest tile, and the ratios.
# Uses the peer harness (PEERS=../shared/peers: setup.sh installs PostgreSQL/PostGIS, wrk, GDAL;
# make_dataset.py writes 200,000 buildings; pg_up.sh loads them; tiles_list.py picks the tiles).
#   env: PEERS=../shared/peers DURATION=15s (wrk, per run) DB=data/peers.sqlite
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PEERS=$(cd "${PEERS:-../shared/peers}" 2>/dev/null && pwd) || { echo "bench_peers: no peer harness at ${PEERS:-../shared/peers} (set PEERS=...)" >&2; exit 1; }
DB=${DB:-$ROOT/data/peers.sqlite}; export DURATION=${DURATION:-15s}
source "$PEERS/env.sh"   # DATA, OUTDIR, PG* settings of the harness
LOG=$OUTDIR/onemap-bench-$(date +%Y%m%dT%H%M%S).txt
say() { echo "$@" | tee -a "$LOG"; }

"$PEERS/setup.sh" >/dev/null
[ -s "$DATA/buildings.geojson" ] || python3 "$PEERS/make_dataset.py" --out "$DATA"
"$PEERS/pg_up.sh" >/dev/null
[ -s "$DATA/tiles.txt" ] || python3 "$PEERS/tiles_list.py" --data "$DATA/buildings.geojson" --out "$DATA/tiles.txt"
TILES=$DATA/tiles.txt

swift build -c release --product onemap >/dev/null
swift build -c release --product tile-ceiling >/dev/null
BINDIR=$(swift build -c release --show-bin-path); BIN=$BINDIR/onemap
mkdir -p "$(dirname "$DB")"
if [ ! -f "$DB" ] || [ "$DATA/buildings.geojson" -nt "$DB" ]; then
  rm -f "$DB" "$DB-wal" "$DB-shm"
  "$BIN" import "$DATA/buildings.geojson" --db "$DB" --layer peer_buildings --key id --valid-from 2024-06-01 2>/dev/null | tail -1
  # Same fields in the tiles as PostGIS puts there: every column, readable without a key.
  fields=(); for f in height floors built_year population business_count use county_code county_name; do fields+=(--field "$f=public"); done
  "$BIN" layer classify peer_buildings --share-class unconditional --open true "${fields[@]}" --db "$DB" >/dev/null
fi
LAYER=peer_buildings

say "== PostGIS ST_AsMVT (public.buildings_3857, in SQL, no HTTP)"
PG1=$(PARALLEL=1 "$PEERS/bench_postgis_mvt.sh" public.buildings_3857 | grep -E 'tiles/s|by zoom' | tee -a "$LOG")
echo "$PG1"
PG2=$(PARALLEL=2 WARMUP=0 DUMP=0 "$PEERS/bench_postgis_mvt.sh" public.buildings_3857 | grep -E 'tiles/s|by zoom' | tee -a "$LOG")
echo "$PG2"
pg_rate() { sed -nE 's/.*tiles\/s=([0-9.]+).*/\1/p' <<<"$1" | head -1; }

PID=""; trap '[ -n "$PID" ] && kill $PID 2>/dev/null || true' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
wait_up() { for _ in $(seq 1 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "server did not start" >&2; exit 1; }
stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; }
http_rate() { sed -nE 's/.* ([0-9.]+) req\/s.*/\1/p' <<<"$1" | tail -1; }
onemap() {  # onemap [serve options]: OneMap on a free port, rate limit off (one client stands for many)
  PORT=$(free_port)
  "$BIN" serve --port "$PORT" --db "$DB" --log-level warning --rate-limit 0 "$@" & PID=$!
  wait_up "http://127.0.0.1:$PORT/health"
  for _ in $(seq 1 600); do  # steady state: today's layer snapshots built
    curl -s "http://127.0.0.1:$PORT/health" | python3 -c 'import json,sys; s=json.load(sys.stdin)["tileSnapshots"]; sys.exit(0 if s["ready"] and not s["building"] else 1)' && break
    sleep 0.2
  done
  URL="http://127.0.0.1:$PORT/tiles/$LAYER/{z}/{x}/{y}.mvt"
}

onemap --tile-cache-mb 0
say "== OneMap HTTP, uncached (--tile-cache-mb 0)"
UNCACHED=$("$PEERS/bench_http.sh" "$URL" | tee -a "$LOG"); echo "$UNCACHED"
stop

# The same database in PostgreSQL (the peers' cluster, beside PostGIS's tables): `onemap copy`.
PG_ONEMAP="postgresql://postgres@127.0.0.1:$PGPORT/${PG_ONEMAP_DB:-onemap_peers}"
if [ ! -f "$OUTDIR/onemap-peers-pg.stamp" ] || [ "$DB" -nt "$OUTDIR/onemap-peers-pg.stamp" ]; then
  psql -d postgres -qc "DROP DATABASE IF EXISTS ${PG_ONEMAP_DB:-onemap_peers}" -qc "CREATE DATABASE ${PG_ONEMAP_DB:-onemap_peers}"
  "$BIN" copy --from "$DB" --to "$PG_ONEMAP" 2>/dev/null | tail -1
  touch "$OUTDIR/onemap-peers-pg.stamp"
fi
SQLITE_DB=$DB; DB=$PG_ONEMAP
onemap --tile-cache-mb 0
say "== OneMap HTTP, uncached (--tile-cache-mb 0), PostgreSQL backend"
UNCACHED_PG=$("$PEERS/bench_http.sh" "$URL" | tee -a "$LOG"); echo "$UNCACHED_PG"
stop
DB=$SQLITE_DB

onemap
python3 - "$TILES" "http://127.0.0.1:$PORT/tiles/$LAYER" "$OUTDIR/onemap-tiles" <<'PY'
# One pass over the list warms the cache and keeps the bytes served, for the ceiling server.
import os, sys, urllib.request
tiles, base, out = sys.argv[1:]
for line in open(tiles):
    z, x, y = line.split()[0].split("/")
    body = urllib.request.urlopen(f"{base}/{z}/{x}/{y}.mvt").read()
    os.makedirs(f"{out}/{z}/{x}", exist_ok=True)
    open(f"{out}/{z}/{x}/{y}", "wb").write(body)
PY
say "== OneMap tiles through the peers' two-decoder validator (mapbox-vector-tile and GDAL)"
"$VENV/bin/python" "$PEERS/validate_mvt.py" --template "$URL" 2>&1 | tail -1 | tee -a "$LOG"
say "== OneMap HTTP, cached (after one pass over the list)"
CACHED=$("$PEERS/bench_http.sh" "$URL" | tee -a "$LOG"); echo "$CACHED"
curl -s "http://127.0.0.1:$PORT/health" | python3 -c 'import json,sys; print("[onemap] cache:", json.load(sys.stdin).get("tileCache"))' | tee -a "$LOG"
stop

PORT=$(free_port)
"$BINDIR/tile-ceiling" "$OUTDIR/onemap-tiles" "$PORT" >/dev/null & PID=$!
first=$(head -1 "$TILES"); wait_up "http://127.0.0.1:$PORT/$first"
say "== bare SwiftNIO, the same bytes from memory (ceiling for cached tiles)"
CEILING=$("$PEERS/bench_http.sh" "http://127.0.0.1:$PORT/{z}/{x}/{y}" | tee -a "$LOG"); echo "$CEILING"
stop

say "== OneMap cold tiles in-process (store -> MVT, no HTTP), 1 and 2 threads"
"$BIN" bench-tiles --db "$DB" --tiles "$TILES" --layers "$LAYER" --threads 1 | tee -a "$LOG"
"$BIN" bench-tiles --db "$DB" --tiles "$TILES" --layers "$LAYER" --threads 2 | sed -n 2p | tee -a "$LOG"

python3 - "$(pg_rate "$PG1")" "$(pg_rate "$PG2")" "$(http_rate "$UNCACHED")" "$(http_rate "$CACHED")" "$(http_rate "$CEILING")" "$(http_rate "$UNCACHED_PG")" <<'PY' | tee -a "$LOG"
import sys
pg1, pg2, unc, cac, ceil, unc_pg = map(float, sys.argv[1:])
print("== ratios (same tiles, same machine, same run)")
print(f"PostGIS ST_AsMVT         {pg1:8.0f} tiles/s (1 session)  {pg2:8.0f} tiles/s (2 sessions)")
print(f"OneMap HTTP uncached     {unc:8.0f} req/s   = {unc / pg2:4.1f}x PostGIS 2 sessions   (target >= 5x)")
print(f"OneMap HTTP uncached, PG {unc_pg:8.0f} req/s   = {unc_pg / pg2:4.1f}x PostGIS 2 sessions   (target >= 2x; PostgreSQL backend)")
print(f"OneMap HTTP cached       {cac:8.0f} req/s   = {100 * cac / ceil:4.0f}% of the bare SwiftNIO ceiling {ceil:.0f} req/s   (target >= 70%)")
PY
echo "log: $LOG"
