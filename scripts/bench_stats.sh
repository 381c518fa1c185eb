#!/usr/bin/env bash
# Area statistics on the full demo over HTTP, one request at a time, the administrator's view
# (exact figures): every county's /stats, the city, a 3 km circle, /areas/350400, a county's time
# series over 60 monthly steps, county and city PDF reports, and the city's coverage by schools and
# clinics (POST /analysis/coverage, exact and protected; from memory in both modes). Runs the server twice: with the
# in-memory statistics engine (the default) and with --no-analytics (SQL, the "before"), and prints
# medians and the issue's targets side by side. The engine's answers are also checked against SQL
# in-process first (`onemap bench-stats`: 59 questions, each answer compared).
#   env: DB=data/onemap.sqlite (or a PostgreSQL URL) ROUNDS=7 MODES="engine sql"
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DB:-data/onemap.sqlite}; ROUNDS=${ROUNDS:-7}; MODES=${MODES:-engine sql}
scripts/setup.sh >/dev/null
swift build -c release --product onemap >/dev/null
BIN=$(swift build -c release --show-bin-path)/onemap
case "$DB" in *://*) ;; *) [ -f "$DB" ] || "$BIN" demo --db "$DB" ;; esac  # a PostgreSQL URL: filled beforehand (onemap demo or copy)
echo "== in-process: engine against SQL, every answer compared"
"$BIN" bench-stats --db "$DB" --repeats 5 > "${TMPDIR:-/tmp}/onemap-bench-stats.txt"
sed -n '1p' "${TMPDIR:-/tmp}/onemap-bench-stats.txt"; tail -n 2 "${TMPDIR:-/tmp}/onemap-bench-stats.txt"
KEY=$("$BIN" dept key SMDSJ --db "$DB" --label bench-stats | sed -n 's/.*: \(om_[0-9a-f]*\)$/\1/p')
for MODE in $MODES; do
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  EXTRA=(); [ "$MODE" = sql ] && EXTRA=(--no-analytics)
  "$BIN" serve --port "$PORT" --db "$DB" --log-level warning --rate-limit 0 "${EXTRA[@]}" &
  PID=$!
  trap 'kill $PID 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
  echo "== over HTTP: $MODE"
  BASE="http://127.0.0.1:$PORT" KEY="$KEY" ROUNDS="$ROUNDS" MODE="$MODE" python3 - <<'PY'
import json, os, statistics, time, urllib.request

base, key, rounds, mode = os.environ["BASE"], os.environ["KEY"], int(os.environ["ROUNDS"]), os.environ["MODE"]

def call(path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as r:
        out = r.read()
    return (time.perf_counter() - t) * 1000, out

if mode == "engine":
    # Wait for the engine (it is built in the background at start; SQL answers meanwhile).
    for _ in range(600):
        state = json.loads(call("/health")[1]).get("analytics", {})
        if state.get("state") == "ready":
            break
        time.sleep(0.1)
    print(f"engine ready: built in {state.get('buildSeconds')} s, {state.get('memoryBytes', 0) / 1e6:.0f} MB of columns, "
          f"{state.get('people')} people, {state.get('buildingVersions')} building versions")

counties = [c["code"] for c in json.loads(call("/areas/350400")[1])["children"]]
rows = []
def measure(name, target, fn, n=rounds):
    times = [fn()[0] for _ in range(n)]
    p50 = statistics.median(times)
    rows.append((name, p50, max(times), target))

county_times = []
for code in counties:
    county_times += [call(f"/stats?area={code}")[0] for _ in range(rounds)]
rows.append((f"county /stats ({len(counties)} counties)", statistics.median(county_times), max(county_times), 20))
measure("city /stats", 100, lambda: call("/stats?area=350400"))
measure("3 km circle POST /stats", 30, lambda: call("/stats", {"area": {"circle": {"center": [117.6089, 26.2635], "radius": 3000}}}))
measure("/areas/350400", 150, lambda: call("/areas/350400"))
measure("county timeseries, 60 monthly steps", 300,
        lambda: call("/stats/timeseries?area=350404&from=2021-06-01&to=2026-05-01&step=month"), n=max(3, rounds // 2))
measure("county PDF report (350404)", 1000, lambda: call("/reports/area?area=350404&format=pdf"), n=max(3, rounds // 2))
measure("city PDF report", 3000, lambda: call("/reports/area?area=350400&format=pdf"), n=max(3, rounds // 2))
# Coverage of public services over the whole city (answered from memory in both modes). Each round
# asks a radius a metre longer: recent answers are cached, and the figure is the computation's.
radius = iter(range(10_000))
def coverage(body, anonymous=False):
    r = next(radius)
    b = dict(body, radius=body["radius"] + r)
    if anonymous:
        req = urllib.request.Request(base + "/analysis/coverage", data=json.dumps(b).encode(), headers={"Content-Type": "application/json"})
        t = time.perf_counter()
        with urllib.request.urlopen(req, timeout=600) as resp:
            resp.read()
        return (time.perf_counter() - t) * 1000, None
    return call("/analysis/coverage", b)
measure("city coverage: schools 1.5 km", 200, lambda: coverage({"layer": "schools", "radius": 1500}))
measure("city coverage: schools, 0-14, capacity", 200, lambda: coverage({"layer": "schools", "radius": 1500, "ageBands": ["0-14"], "capacity": "capacity"}))
measure("city coverage: clinics 3 km, capacity", 200, lambda: coverage({"layer": "clinics", "radius": 3000, "capacity": "capacity"}))
measure("city coverage: schools, protected", 200, lambda: coverage({"layer": "schools", "radius": 1500}, anonymous=True))
print(f"{'question':<40}{'p50 ms':>10}{'max ms':>10}{'target ms':>11}")
for name, p50, worst, target in rows:
    print(f"{name:<40}{p50:>10.1f}{worst:>10.1f}{target:>11}  {'meets' if p50 <= target else 'MISSES'}")
PY
  kill $PID; wait $PID 2>/dev/null || true
done
