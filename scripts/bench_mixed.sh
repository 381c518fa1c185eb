#!/usr/bin/env bash
# The mixed load: 64 loopback connections for $DURATION (60 s) over the full demo, with the
# administrator's key, in eight wrk processes, one per kind of request (so each has its own latency):
#   tiles 32, item pages 8, CQL2 filters 6, township statistics 6, county statistics 4,
#   city statistics 2, exports 4, PDF reports 2.
# Goals (issue 15): no errors (429s counted apart), tile p99 <= 100 ms, item pages and township
# statistics p99 <= 500 ms. Prints one RESULT line per kind and a verdict.
#   env: DB=data/onemap.sqlite DURATION=60s
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DB:-data/onemap.sqlite}; DURATION=${DURATION:-60s}
scripts/setup.sh test >/dev/null
swift build -c release --product onemap >/dev/null
BIN=$(swift build -c release --show-bin-path)/onemap
[ -f "$DB" ] || "$BIN" demo --db "$DB"
mkdir -p data/mixed
KEY=$("$BIN" dept key SMDSJ --db "$DB" --label bench-mixed | sed -n 's/.*: \(om_[0-9a-f]*\)$/\1/p')
python3 scripts/tiles_list.py --db "$DB" --out data/mixed/tiles.txt
python3 - "$DB" <<'PY'
import json, random, sqlite3, sys, urllib.parse
db = sqlite3.connect(sys.argv[1])
rng = random.Random(15)
today = "2026-12-05"
tiles = [l.strip() for l in open("data/mixed/tiles.txt") if l.strip()]
def write(name, lines):
    with open(f"data/mixed/{name}.txt", "w") as fh:
        fh.write("\n".join(lines) + "\n")
write("tiles", [f"GET /tiles/admin_areas,buildings/{t}.mvt" for t in tiles])
townships = [r[0] for r in db.execute("SELECT code FROM admin_areas WHERE level = 'township' AND valid_to IS NULL")]
counties = [r[0] for r in db.execute("SELECT code FROM admin_areas WHERE level = 'county' AND valid_to IS NULL")]
# Boxes around the towns: 1-2 km pages of buildings.
centres = [(r[0], r[1]) for r in db.execute("SELECT label_x, label_y FROM admin_areas WHERE level = 'township' AND label_x IS NOT NULL")]
items, filters = [], []
for _ in range(300):
    x, y = rng.choice(centres)
    x += rng.uniform(-0.01, 0.01); y += rng.uniform(-0.01, 0.01)
    box = f"{x - 0.006:.5f},{y - 0.006:.5f},{x + 0.006:.5f},{y + 0.006:.5f}"
    items.append(f"GET /collections/buildings/items?bbox={box}&limit=100&offset={rng.choice([0, 0, 100])}")
    f = rng.choice(["use = 'commercial'", "floors BETWEEN 5 AND 9", "use = 'residential' AND floors >= 12", "population > 20"])
    q = urllib.parse.quote(f"{f} AND S_INTERSECTS(geometry, BBOX({box}))")
    filters.append(f"GET /collections/buildings/items?filter={q}&limit=100")
write("items", items)
write("filters", filters)
write("townships", [f"GET /stats?area={c}&groupBy=sex" for c in townships])
write("counties", [f"GET /stats?area={c}&groupBy=township" for c in counties])
write("city", ["GET /stats?area=350400&groupBy=county", "GET /areas/350400"])
exports = []
for _ in range(50):
    x, y = rng.choice(centres)
    exports.append(f"GET /collections/buildings/export?format=csv&bbox={x - 0.01:.5f},{y - 0.01:.5f},{x + 0.01:.5f},{y + 0.01:.5f}")
write("exports", exports)
write("reports", [f"GET /reports/area?area={c}&format=pdf" for c in counties])
PY
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$BIN" serve --port "$PORT" --db "$DB" --log-level warning --rate-limit 0 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
# Steady state: the statistics engine and today's tile snapshots built.
for _ in $(seq 1 600); do
  curl -s "http://127.0.0.1:$PORT/health" | python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["tileSnapshots"]; sys.exit(0 if s["ready"] and not s["building"] and d["analytics"]["state"] == "ready" else 1)' && break
  sleep 0.2
done
echo "== mixed load: 64 connections for $DURATION"
OUT=data/mixed/results.txt; : > "$OUT"
run() {  # run NAME CONNECTIONS
  NAME=$1 KEY="$KEY" REQUESTS="data/mixed/$1.txt" wrk -t1 -c"$2" -d"$DURATION" --timeout 30s -s scripts/mixed.lua "http://127.0.0.1:$PORT" | grep RESULT >> "$OUT"
}
LOADS=()
for load in "tiles 32" "items 8" "filters 6" "townships 6" "counties 4" "city 2" "exports 4" "reports 2"; do
  run $load &
  LOADS+=($!)
done
wait "${LOADS[@]}"
cat "$OUT"
curl -s "http://127.0.0.1:$PORT/health" | python3 -c 'import json,sys; print("heavy lane:", json.load(sys.stdin)["heavyLane"])'
python3 - "$OUT" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    parts = line.split()
    rows[parts[1]] = {k: float(v) for k, v in (p.split("=") for p in parts[2:])}
goals = [("tiles", 100), ("items", 500), ("townships", 500)]
ok = all(r["errors"] == 0 for r in rows.values())
for name, limit in goals:
    ok = ok and rows[name]["p99_ms"] <= limit
    print(f"{name}: p99 {rows[name]['p99_ms']:.1f} ms (goal <= {limit} ms)")
print(f"errors: {int(sum(r['errors'] for r in rows.values()))}, 429s: {int(sum(r['limited_429'] for r in rows.values()))}")
print("goals met" if ok else "GOALS MISSED")
PY
