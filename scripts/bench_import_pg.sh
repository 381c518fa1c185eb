#!/usr/bin/env bash
# Import speed into PostgreSQL against ogr2ogr into PostGIS, on the peers' dataset (200,000 building
# polygons, GeoJSON, EPSG:4326): `onemap import` into a new layer of a fresh OneMap database in the
# cluster (parse, CRS and validity checks, versions, the disjoint-versions check, GiST index, one
# transaction, ANALYZE) beside `ogr2ogr -f PostgreSQL` (with its GiST index), same file, same
# cluster, same run; best of RUNS for each. Both start from a database with PostGIS installed.
#   env: RUNS=3 DATA=data/peers (dataset folder; generated when missing); the cluster is
#   scripts/pg_cluster.sh's (started when needed).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}; DATA=${DATA:-data/peers}
command -v ogr2ogr >/dev/null || { echo "bench_import_pg: ogr2ogr missing (apt-get install gdal-bin)" >&2; exit 1; }
swift build -c release --product onemap >/dev/null
BIN=$(swift build -c release --show-bin-path)/onemap
FILE=$DATA/buildings.geojson
[ -f "$FILE" ] || python3 scripts/peers/make_dataset.py --out "$DATA"
N=$(python3 -c "import json,sys; print(len(json.load(open('$FILE'))['features']))")
ADMIN=$(ONEMAP_PG_DB=postgres scripts/pg_cluster.sh start)
HOSTPORT=$(echo "$ADMIN" | sed -E 's#postgresql://postgres@([^/]+)/.*#\1#')
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
now() { date +%s%N; }
best() { sort -n | head -1; }
elapsed() { echo $(( $(now) - $1 )); }  # nanoseconds
fresh() { psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $1" -qc "CREATE DATABASE $1"; }
echo "== $FILE: $N features, $(du -h "$FILE" | cut -f1), PostgreSQL at $HOSTPORT"
for run in $(seq 1 "$RUNS"); do
  fresh bench_ogr
  psql "postgresql://postgres@$HOSTPORT/bench_ogr" -qc "CREATE EXTENSION postgis"
  t0=$(now)
  PG_USE_COPY=YES ogr2ogr -f PostgreSQL "PG:host=${HOSTPORT%:*} port=${HOSTPORT#*:} user=postgres dbname=bench_ogr" "$FILE" \
    -nln peer_buildings -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST
  elapsed "$t0" >> "$WORK/ogr.times"
  fresh bench_onemap  # extensions made by the cluster's administrator, as for ogr2ogr above
  psql "postgresql://postgres@$HOSTPORT/bench_onemap" -qc "CREATE EXTENSION postgis" -qc "CREATE EXTENSION btree_gist"
  t0=$(now)
  "$BIN" import "$FILE" --db "postgresql://postgres@$HOSTPORT/bench_onemap" --layer peer_buildings --key id --valid-from 2024-06-01 > "$WORK/import.out" 2>/dev/null
  elapsed "$t0" >> "$WORK/onemap.times"
done
OGR=$(best < "$WORK/ogr.times"); ONEMAP=$(best < "$WORK/onemap.times")
tail -1 "$WORK/import.out" | tr "\r" "\n" | tail -1
python3 - "$N" "$OGR" "$ONEMAP" <<'PY'
import sys
n, ogr, onemap = int(sys.argv[1]), *(float(a) / 1e9 for a in sys.argv[2:])
print(f"ogr2ogr -> PostGIS              {ogr:6.2f} s  {n/ogr:9,.0f} features/s")
print(f"onemap import -> PostgreSQL     {onemap:6.2f} s  {n/onemap:9,.0f} features/s  {ogr/onemap:4.2f}x ogr2ogr")
PY
