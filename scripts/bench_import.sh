#!/usr/bin/env bash
# Import speed against ogr2ogr on the peers' dataset (200,000 building polygons, GeoJSON, EPSG:4326):
# `onemap import` into a new layer of a fresh OneMap database (parse, CRS and validity checks,
# versions, spatial index, one transaction) beside `ogr2ogr -f SQLite -dsco SPATIALITE=YES` (which
# also builds a spatial index), same file, same machine, same run; best of RUNS for each.
# Then an unchanged re-import (every feature compared with its stored version; nothing written).
#   env: RUNS=3 DATA=data/peers (dataset folder; generated when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}; DATA=${DATA:-data/peers}
command -v ogr2ogr >/dev/null || { echo "bench_import: ogr2ogr missing (apt-get install gdal-bin)" >&2; exit 1; }
swift build -c release --product onemap >/dev/null
BIN=$(swift build -c release --show-bin-path)/onemap
FILE=$DATA/buildings.geojson
[ -f "$FILE" ] || python3 scripts/peers/make_dataset.py --out "$DATA"
N=$(python3 -c "import json,sys; print(len(json.load(open('$FILE'))['features']))")
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
now() { date +%s%N; }
best() { sort -n | head -1; }
elapsed() { echo $(( $(now) - $1 )); }  # nanoseconds
echo "== $FILE: $N features, $(du -h "$FILE" | cut -f1)"
for run in $(seq 1 "$RUNS"); do
  rm -f "$WORK"/ogr.sqlite*; t0=$(now)
  ogr2ogr -f SQLite -dsco SPATIALITE=YES "$WORK/ogr.sqlite" "$FILE"
  elapsed "$t0" >> "$WORK/ogr.times"
  rm -f "$WORK"/onemap.sqlite*; t0=$(now)
  "$BIN" import "$FILE" --db "$WORK/onemap.sqlite" --layer peer_buildings --key id --valid-from 2024-06-01 > "$WORK/import.out" 2>/dev/null
  elapsed "$t0" >> "$WORK/onemap.times"
  t0=$(now)
  "$BIN" import "$FILE" --db "$WORK/onemap.sqlite" --layer peer_buildings --valid-from 2024-07-01 > "$WORK/reimport.out" 2>/dev/null
  elapsed "$t0" >> "$WORK/reimport.times"
done
OGR=$(best < "$WORK/ogr.times"); ONEMAP=$(best < "$WORK/onemap.times"); RE=$(best < "$WORK/reimport.times")
tail -1 "$WORK/import.out"; tail -1 "$WORK/reimport.out"
python3 - "$N" "$OGR" "$ONEMAP" "$RE" <<'PY'
import sys
n, ogr, onemap, re = int(sys.argv[1]), *(float(a) / 1e9 for a in sys.argv[2:])
print(f"ogr2ogr -> SpatiaLite   {ogr:6.2f} s  {n/ogr:9,.0f} features/s")
print(f"onemap import (new)     {onemap:6.2f} s  {n/onemap:9,.0f} features/s  {ogr/onemap:4.2f}x ogr2ogr")
print(f"onemap re-import (same) {re:6.2f} s  {n/re:9,.0f} features/s  {ogr/re:4.2f}x ogr2ogr")
PY
