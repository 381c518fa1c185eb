#!/usr/bin/env bash
# How fast the statistics engine takes a record import on the full demo: a copy of the demo, the
# server running on it, then `onemap import` of N people moving house (upsert, valid from today),
# for N in $SIZES. Prints the engine's full build time and, per import, the update's own time
# (/health analytics.lastUpdate: the changed rows read and merged) and the time from the import's
# end until the engine answers again; then an import of 1,000 new buildings (buildings, areas and
# memberships read again).
#   env: DB=data/onemap.sqlite SIZES="100 1000 10000"
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DB:-data/onemap.sqlite}; SIZES=${SIZES:-100 1000 10000}
swift build -c release --product onemap >/dev/null
BIN=$(swift build -c release --show-bin-path)/onemap
[ -f "$DB" ] || "$BIN" demo --db "$DB"
WORK=$(mktemp -d); trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
cp "$DB" "$WORK/demo.sqlite"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$BIN" serve --port "$PORT" --db "$WORK/demo.sqlite" --log-level warning --rate-limit 0 & PID=$!
BASE="http://127.0.0.1:$PORT" WORK="$WORK" BIN="$BIN" SIZES="$SIZES" python3 - <<'PY'
import csv, datetime, json, os, random, sqlite3, subprocess, time, urllib.request

base, work, binary = os.environ["BASE"], os.environ["WORK"], os.environ["BIN"]
db = f"{work}/demo.sqlite"

def health():
    for _ in range(100):
        try:
            with urllib.request.urlopen(base + "/health", timeout=10) as r:
                return json.loads(r.read()).get("analytics", {})
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")

def updated_after(updates):
    """Health once the engine holds an update after the `updates` it had."""
    while True:
        h = health()
        if h.get("state") == "ready" and h.get("updates", 0) > updates:
            return h
        time.sleep(0.01)

while health().get("state") != "ready":
    time.sleep(0.1)
h = health()
print(f"engine built in {h['buildSeconds']} s ({h['people']} people)")
today = (datetime.datetime.utcnow() + datetime.timedelta(hours=8)).date().isoformat()
con = sqlite3.connect(db)
buildings = [r[0] for r in con.execute("SELECT entity_code FROM buildings WHERE valid_to IS NULL AND use = 'residential' LIMIT 20000")]
rng = random.Random(350400)
print(f"{'people moved':>14}{'import s':>10}{'update s':>10}{'answering again after s':>26}")
for n in map(int, os.environ["SIZES"].split()):
    people = con.execute("SELECT person_key, sex, birth_year, household_id, registration, masked_identity FROM population "
                         "WHERE valid_to IS NULL AND valid_from < ? ORDER BY random() LIMIT ?", (today, n)).fetchall()
    path = f"{work}/moves-{n}.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["person_key", "building_code", "sex", "birth_year", "household_id", "registration", "moved_in", "masked_identity"])
        for key, sex, born, household, reg, masked in people:
            w.writerow([key, rng.choice(buildings), sex, born, household, reg, today, masked])
    updates = health().get("updates", 0)
    t = time.perf_counter()
    subprocess.run([binary, "import", path, "--layer", "population", "--mode", "upsert", "--valid-from", today, "--db", db],
                   check=True, capture_output=True)
    imported = time.perf_counter()
    h = updated_after(updates)
    print(f"{n:>14}{imported - t:>10.2f}{h['lastUpdate']['seconds']:>10.3f}{time.perf_counter() - imported:>26.2f}")
# New buildings (an import of the buildings layer): buildings, areas and memberships are read again.
cells = con.execute("SELECT cx, cy FROM buildings WHERE valid_to IS NULL ORDER BY random() LIMIT 1000").fetchall()
con.close()
path = f"{work}/buildings.geojson"
features = []
for i, (x, y) in enumerate(cells):
    x, y, d = x + 0.0009, y + 0.0009, 0.00006
    ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
    features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                     "properties": {"entity_code": f"BENCH{i:06d}", "floors": 3, "use": "residential", "built_date": today}})
with open(path, "w") as f:
    json.dump({"type": "FeatureCollection", "features": features}, f)
updates = health().get("updates", 0)
t = time.perf_counter()
subprocess.run([binary, "import", path, "--layer", "buildings", "--key", "entity_code", "--mode", "append", "--valid-from", today, "--db", db],
               check=True, capture_output=True)
imported = time.perf_counter()
h = updated_after(updates)
print(f"{'1000 buildings':>14}{imported - t:>10.2f}{h['lastUpdate']['seconds']:>10.3f}{time.perf_counter() - imported:>26.2f}"
      f"  (buildings and areas read again: {h['lastUpdate']['buildingsAndAreasRead']})")
PY
