#!/usr/bin/env bash
# Time and peak RSS of `onemap import` of one GeoJSON file of building polygons into a new layer,
# on PostgreSQL and on SpatiaLite (each into a fresh database): an import streams, so its RSS must
# not grow with the file (issue 18: under 2 GB for 20 million features).
#   env: N=200000 (features; the file is made with scripts/peers/make_dataset.py unless FILE is given)
#        FILE=path.geojson  BACKENDS="postgres sqlite"  BIN=onemap binary (default: release build)
#        OUT=test-output/import-memory
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}; OUT=$(realpath -m "${OUT:-test-output/import-memory}"); BACKENDS=${BACKENDS:-"postgres sqlite"}
mkdir -p "$OUT"
if [ -z "${BIN:-}" ]; then
  swift build -c release --product onemap >/dev/null
  BIN=$(swift build -c release --show-bin-path)/onemap
fi
FILE=${FILE:-$OUT/data-$N/buildings.geojson}
[ -s "$FILE" ] || python3 scripts/peers/make_dataset.py --buildings "$N" --businesses 1000 --streets 1000 --out "$(dirname "$FILE")" >/dev/null
peak_rss_mb() { sed -nE 's/.*Maximum resident set size \(kbytes\): ([0-9]+).*/\1/p' "$1" | awk '{printf "%.0f", $1 / 1024}'; }
echo "file: $FILE ($(du -h "$FILE" | cut -f1))"
for B in $BACKENDS; do
  case $B in
    postgres)
      ADMIN=$(ONEMAP_PG_DB=postgres scripts/pg_cluster.sh start)
      psql "$ADMIN" -qc "DROP DATABASE IF EXISTS import_memory" -qc "CREATE DATABASE import_memory"
      DB=${ADMIN%/postgres}/import_memory
      "$BIN" demo --db "$DB" --scale 0.01 --force >/dev/null 2>&1 ;;
    sqlite)
      DB=$OUT/import_memory.sqlite
      "$BIN" demo --db "$DB" --scale 0.01 --force >/dev/null 2>&1 ;;
    *) echo "unknown backend $B" >&2; exit 2 ;;
  esac
  t0=$(date +%s%N)
  /usr/bin/time -v "$BIN" import "$FILE" --db "$DB" --layer big --key id --valid-from 2024-06-01 >"$OUT/$B.out" 2>"$OUT/$B.time"
  S=$(python3 -c "print(f'{($(date +%s%N) - $t0) / 1e9:.1f}')")
  printf "%-9s %8s s  peak RSS %6s MB  %s\n" "$B" "$S" "$(peak_rss_mb "$OUT/$B.time")" "$(grep -o 'inserted [0-9]*' "$OUT/$B.out")" | tee -a "$OUT/summary.txt"
  [ "$B" = postgres ] && psql "$ADMIN" -qc "DROP DATABASE import_memory"
  [ "$B" = sqlite ] && rm -f "$DB" "$DB-wal" "$DB-shm"
done
