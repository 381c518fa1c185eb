#!/usr/bin/env bash
# OneMap at growing size on PostgreSQL: for each size, the demo city with that many buildings and
# people in proportion (`onemap demo --scale`, ~8 people and 0.5 businesses per building), then
#   - import: `onemap import` of a peers-style file of as many building polygons into a new layer
#     (time, peak RSS);
#   - cold tiles in-process from the store and snapshots (`onemap bench-tiles`, 2,000 tiles weighted
#     to the towns, z10-16): p95 and bytes per tile;
#   - one replica over HTTP: cached tile throughput (wrk), county statistics (p50 over the counties),
#     the replica's RSS once warm;
#   - one replica against two behind nginx (deploy/loopback.sh, each replica pinned to a core),
#     uncached tiles: throughput, and per core.
#   Every replica runs with `--memory-mb $MEMORY_MB` (snapshots and statistics engine together;
#   with the tile cache and the runtime, about 2 GB of RSS). Where the engine does not fit
#   (20 million buildings: ~160 million people at 84 B), the replica answers exact statistics from
#   SQL and refuses protected ones, and the county figure is the engine's, built alone in
#   `onemap bench-stats --protected` (its memory is reported with it).
#   env: SIZES="200000" (buildings; the demo goes up to scale 70, ~21 million: "200000 2000000
#        20000000" is the issue's set; 20 million with people in proportion needs ~65 GB of disk
#        and hours, so it is not part of CI)
#        DURATION=10s (wrk, per run)  OUT=test-output/scale  KEEP=1 (keep the databases)
#        MEMORY_MB=1536 (each replica's budget)  CACHE_MB=512 (the measured replica's tile cache:
#        it holds the 2,000 tiles, ~250 MB at 20 million buildings, so "cached" stays cached)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-200000}; DURATION=${DURATION:-10s}; MEMORY_MB=${MEMORY_MB:-1536}; CACHE_MB=${CACHE_MB:-512}; OUT=$(realpath -m "${OUT:-test-output/scale}")
mkdir -p "$OUT"
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "bench_scale: needs wrk and nginx (scripts/setup.sh test)" >&2; exit 1; }
swift build -c release --product onemap >/dev/null
BIN=$(swift build -c release --show-bin-path)/onemap
ADMIN=$(ONEMAP_PG_DB=postgres scripts/pg_cluster.sh start)
BASE=${ADMIN%/postgres}
PY=.venv/bin/python; [ -x "$PY" ] || PY=python3
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
peak_rss_mb() { sed -nE 's/.*Maximum resident set size \(kbytes\): ([0-9]+).*/\1/p' "$1" | awk '{printf "%.0f", $1 / 1024}'; }
wrk_rate() {  # wrk_rate URL_TEMPLATE TILES -> req/s (fails when any answer was not 2xx/3xx)
  local out
  out=$(TILES=$2 TILE_PATH="/${1#http://*/}" wrk -t2 -c32 -d"$DURATION" --timeout 30s -s scripts/tiles.lua "$(sed -E 's#^(http://[^/]+).*#\1#' <<<"$1")" | grep RESULT)
  grep -q "errors=0" <<<"$out" || { echo "bench_scale: errors under load: $out" >&2; return 1; }
  sed -nE 's/.*req_per_s=([0-9]+).*/\1/p' <<<"$out"
}
wait_ready() {  # the engine built and today's snapshots built (or left to the store)
  for _ in $(seq 1 1200); do
    curl -s "$1/health" | python3 -c 'import json,sys
d=json.load(sys.stdin); s=d.get("tileSnapshots",{}); a=d.get("analytics",{})
sys.exit(0 if s.get("ready") is not None and not s.get("building") and a.get("state") in ("ready", "overBudget") else 1)' 2>/dev/null && return 0
    sleep 0.5
  done
  echo "bench_scale: $1 never got ready" >&2; return 1
}

printf "%-10s %-26s %-22s %-26s %-14s %-12s %-10s %-26s\n" buildings "import s / peak RSS" "cold tile p95 / bytes" "cached req/s" "county p50" "replica RSS" "1 replica" "2 replicas (per core)" | tee "$OUT/summary.txt"
for N in $SIZES; do
  DB=scale_$N; URL=$BASE/$DB; W=$OUT/$N; mkdir -p "$W"
  SCALE=$(python3 -c "print(round($N / 305933, 4))")
  # Import first, into a database of its own (a new layer either way): at 20 million the file
  # (7 GB) and its layer (~6 GB) are gone again before the demo needs the disk.
  if [ ! -s "$W/import.result" ]; then
    [ -s "$W/data/buildings.geojson" ] || python3 scripts/peers/make_dataset.py --buildings "$N" --businesses 1000 --streets 1000 --out "$W/data" >/dev/null
    IDB=scale_import_$N
    psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $IDB" -qc "CREATE DATABASE $IDB"
    t0=$(date +%s%N)
    /usr/bin/time -v "$BIN" import "$W/data/buildings.geojson" --db "$BASE/$IDB" --layer scale_import --key id --valid-from 2024-06-01 >/dev/null 2>"$W/import.time"
    echo "$(python3 -c "print(f'{($(date +%s%N) - $t0) / 1e9:.1f}')") $(peak_rss_mb "$W/import.time")" >"$W/import.result"
    psql "$ADMIN" -qc "DROP DATABASE $IDB"
    [ "$N" -lt 10000000 ] || rm -rf "$W/data"
  fi
  read -r IMPORT_S IMPORT_RSS <"$W/import.result"
  if [ "$(psql "$ADMIN" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ] || [ ! -f "$W/built" ]; then
    psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $DB" -qc "CREATE DATABASE $DB"
    /usr/bin/time -v "$BIN" demo --db "$URL" --scale "$SCALE" --force >"$W/demo.log" 2>"$W/demo.time"
    psql "$URL" -qc "ANALYZE"
    touch "$W/built"
  fi
  psql "$URL" -tAc "SELECT pg_size_pretty(pg_database_size(current_database()))" >"$W/db.size"
  # Tiles over the demo's buildings.
  "$PY" scripts/tiles_list.py --db "$URL" --out "$W/tiles.txt" >/dev/null
  "$BIN" bench-tiles --db "$URL" --tiles "$W/tiles.txt" --layers buildings --threads 1 >"$W/bench-tiles.txt"
  COLD=$(sed -nE 's/.*p95 ([0-9.]+) ms.*avg ([0-9.]+ KiB).*/\1 ms \/ \2/p' "$W/bench-tiles.txt" | head -1)
  # One replica: cached throughput, county statistics, RSS.
  PORT=$(free_port)
  "$BIN" serve --port "$PORT" --db "$URL" --log-level warning --rate-limit 0 --memory-mb "$MEMORY_MB" --tile-cache-mb "$CACHE_MB" >"$W/serve.log" 2>&1 & PID=$!
  trap 'kill $PID 2>/dev/null || true; DIR=$OUT/replicas deploy/loopback.sh stop >/dev/null 2>&1 || true' EXIT
  wait_ready "http://127.0.0.1:$PORT"
  while read -r t; do curl -s -o /dev/null "http://127.0.0.1:$PORT/tiles/buildings/$t.mvt"; done <"$W/tiles.txt"
  CACHED=$(wrk_rate "http://127.0.0.1:$PORT/tiles/buildings/{z}/{x}/{y}.mvt" "$W/tiles.txt")
  ENGINE=$(curl -s "http://127.0.0.1:$PORT/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["analytics"]["state"])')
  [ "$ENGINE" = ready ] && COUNTY=$(python3 - "http://127.0.0.1:$PORT" <<'PY'
import json, statistics, sys, time, urllib.request
base = sys.argv[1]
counties = [c["code"] for c in json.load(urllib.request.urlopen(f"{base}/areas/350400"))["children"]]
times = []
for _ in range(5):
    for c in counties:
        t = time.perf_counter(); urllib.request.urlopen(f"{base}/stats?area={c}").read(); times.append((time.perf_counter() - t) * 1000)
print(f"{statistics.median(times):.1f} ms")
PY
)
  RSS=$(( $(ps -o rss= -p $PID) / 1024 ))
  kill $PID; wait $PID 2>/dev/null || true
  # One replica against two behind nginx, uncached tiles, each replica on a core of its own.
  for R in 1 2; do
    NGINX=$(DIR=$OUT/replicas BIN=$BIN REPLICAS=$R PIN=1 NGINX_RATE_LIMIT=0 SERVE_OPTIONS="--tile-cache-mb 0 --rate-limit 0 --log-level warning --memory-mb $MEMORY_MB" deploy/loopback.sh start "$URL" | tail -1)
    for u in $(DIR=$OUT/replicas deploy/loopback.sh urls | tail -n +2); do wait_ready "$u"; done
    RATE[$R]=$(wrk_rate "$NGINX/tiles/buildings/{z}/{x}/{y}.mvt" "$W/tiles.txt")
    DIR=$OUT/replicas deploy/loopback.sh stop >/dev/null
  done
  if [ "$ENGINE" != ready ]; then
    # The engine is over the replica's budget: built alone, timed on the public's county questions
    # (last: it needs the most memory, and its scan sorts the people on disk).
    if /usr/bin/time -v "$BIN" bench-stats --db "$URL" --engine-only --protected --repeats 3 >"$W/bench-stats.txt" 2>"$W/bench-stats.time"; then
      COUNTY="$(sed -nE 's/.*county p50 ([0-9.]+) ms.*/\1/p' "$W/bench-stats.txt") ms*"
      echo "* $N: the statistics engine exceeds --memory-mb $MEMORY_MB; county p50 from onemap bench-stats (engine alone, peak RSS $(peak_rss_mb "$W/bench-stats.time") MB)" >>"$OUT/notes.txt"
    else
      COUNTY="-"
      echo "* $N: the statistics engine exceeds --memory-mb $MEMORY_MB, and onemap bench-stats failed: $(tail -1 "$W/bench-stats.time")" >>"$OUT/notes.txt"
    fi
  fi
  printf "%-10s %-26s %-22s %-26s %-14s %-12s %-10s %-26s\n" "$N" "$IMPORT_S s / $IMPORT_RSS MB" "$COLD" "$CACHED" "$COUNTY" "$RSS MB" \
    "${RATE[1]}" "${RATE[2]} ($(( RATE[2] / 2 ))/core, $(python3 -c "print(f'{${RATE[2]} / ${RATE[1]}:.2f}')")x)" | tee -a "$OUT/summary.txt"
  [ "${KEEP:-1}" = 1 ] || psql "$ADMIN" -qc "DROP DATABASE $DB"
done
[ ! -s "$OUT/notes.txt" ] || cat "$OUT/notes.txt" | tee -a "$OUT/summary.txt"
echo "summary: $OUT/summary.txt"
