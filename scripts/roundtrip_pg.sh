#!/usr/bin/env bash
# The Sanming demo through PostgreSQL and back: `onemap demo` into SpatiaLite, `onemap copy` into
# PostgreSQL and from there into a second SpatiaLite file; the audit chain verifies in all three,
# and three servers (one per database) give byte-identical statistics, tiles, feature pages and
# exports (scripts/compare_servers.py).
#   env: SCALE=1 (the full demo) OUT=test-output/roundtrip; the cluster is scripts/pg_cluster.sh's
#   (database onemap_roundtrip, replaced).
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-1}; OUT=${OUT:-test-output/roundtrip}
mkdir -p "$OUT"
swift build -c release --product onemap >/dev/null
BIN=$(swift build -c release --show-bin-path)/onemap
PG=$(ONEMAP_PG_DB=onemap_roundtrip scripts/pg_cluster.sh start)
A=$OUT/demo.sqlite; B=$OUT/back.sqlite
timed() { local t0; t0=$(date +%s%N); "$@" 2>/dev/null | tr '\r' '\n' | tail -1; echo "   ($(( ($(date +%s%N) - t0) / 1000000 )) ms: ${*:2:3})"; }
timed "$BIN" demo --db "$A" --scale "$SCALE" --force
# A key issued before the copies travels with them: the same key reads all three.
KEY=$("$BIN" dept key SMDSJ --db "$A" --label roundtrip | sed -n 's/.*: \(om_[0-9a-f]*\)$/\1/p')
echo "$KEY" > "$OUT/key"  # to compare again: scripts/compare_servers.py BIN "$(cat $OUT/key)" A PG B
timed "$BIN" copy --from "$A" --to "$PG" --force
timed "$BIN" copy --from "$PG" --to "$B" --force
for db in "$A" "$PG" "$B"; do
  echo "== audit verify $db"; "$BIN" audit verify --db "$db"
done
python3 scripts/compare_servers.py "$BIN" "$KEY" "$A" "$PG" "$B"
