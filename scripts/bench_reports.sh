#!/usr/bin/env bash
# Area reports on the full demo: every county (and the city) as PDF, HTML, XLSX and JSON over HTTP
# (the administrator's view, comparing with a day before Sanming's 2021 changes and one after),
# plus /render and the exports. Prints seconds per request: the issue asks a county report in a
# few seconds. Then whole-layer exports of the buildings: time to first byte, total time and size
# per format, and the server's RSS growth while four run at once (issue 16: first byte within
# 1 s, RSS growth under 100 MB).
#   env: DB=data/onemap.sqlite ROUNDS=3 COMPARE=2023-01-01 PARTS=reports,exports
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DB:-data/onemap.sqlite}; ROUNDS=${ROUNDS:-3}; COMPARE=${COMPARE:-2023-01-01}; PARTS=${PARTS:-reports,exports}
scripts/setup.sh >/dev/null
swift build -c release --product onemap >/dev/null
BIN=$(swift build -c release --show-bin-path)/onemap
[ -f "$DB" ] || "$BIN" demo --db "$DB"
KEY=$("$BIN" dept key SMDSJ --db "$DB" --label bench-reports | sed -n 's/.*: \(om_[0-9a-f]*\)$/\1/p')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$BIN" serve --port "$PORT" --db "$DB" --log-level warning --rate-limit 0 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
PARTS="$PARTS" PID=$PID BASE="http://127.0.0.1:$PORT" KEY="$KEY" ROUNDS="$ROUNDS" COMPARE="$COMPARE" python3 - <<'PY'
import json, os, statistics, time, urllib.request

base, key, rounds, compare = os.environ["BASE"], os.environ["KEY"], int(os.environ["ROUNDS"]), os.environ["COMPARE"]
parts = os.environ["PARTS"].split(",")

def get(path):
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {key}"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=300) as r:
        body = r.read()
    return time.perf_counter() - t, body

if "reports" in parts:
    counties = json.loads(get("/areas/350400")[1])["children"]
    print(f"{'area':<16}{'format':<7}{'median s':>9}{'max s':>8}{'KiB':>8}")
    worst = 0.0
    for area in [{"code": "350400", "name": "三明市"}] + counties:
        for fmt in ["pdf", "html", "xlsx", "json"]:
            times, size = [], 0
            for _ in range(rounds):
                dt, body = get(f"/reports/area?area={area['code']}&compare={compare}&format={fmt}")
                times.append(dt); size = len(body)
            if area["code"] != "350400":
                worst = max(worst, max(times))
            print(f"{area['name'] + ' ' + area['code']:<16}{fmt:<7}{statistics.median(times):>9.2f}{max(times):>8.2f}{size / 1024:>8.0f}")
    print(f"slowest county report: {worst:.2f} s")
    for path in ["/render?bbox=117.5,26.15,117.75,26.35&width=1024&height=768",
                 "/render?bbox=116.4,25.5,118.7,27.1&width=1600&height=1200",
                 "/collections/buildings/export?format=gpkg&bbox=117.55,26.2,117.7,26.32",
                 "/collections/buildings/export?format=xlsx&bbox=117.55,26.2,117.7,26.32",
                 "/stats/export?area=350404&groupBy=township,sex&format=xlsx"]:
        times = [get(path)[0] for _ in range(rounds)]
        print(f"{statistics.median(times):6.2f} s  {path}")

import threading

def rss_mb():
    with open(f"/proc/{os.environ['PID']}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024

def stream(path, out):
    """Time to first byte, total time and bytes of one download, read in 64 KiB pieces."""
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {key}"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as r:
        first = r.read(1)
        ttfb = time.perf_counter() - t
        n = len(first)
        while chunk := r.read(65536):
            n += len(chunk)
    out.append((ttfb, time.perf_counter() - t, n))

if "exports" not in parts:
    raise SystemExit(0)
print(f"{'whole-layer export':<22}{'TTFB s':>8}{'total s':>9}{'MiB':>8}")
for fmt in ["csv", "geojson", "xlsx", "gpkg"]:
    res = []
    stream(f"/collections/buildings/export?format={fmt}", res)
    ttfb, total, n = res[0]
    print(f"{'buildings ' + fmt:<22}{ttfb:>8.2f}{total:>9.2f}{n / 2**20:>8.1f}")
for fmt in ["csv", "gpkg"]:
    base_rss, peak, res = rss_mb(), 0.0, []
    threads = [threading.Thread(target=stream, args=(f"/collections/buildings/export?format={fmt}", res)) for _ in range(4)]
    for th in threads: th.start()
    while any(th.is_alive() for th in threads):
        peak = max(peak, rss_mb()); time.sleep(0.05)
    print(f"4 x buildings {fmt} at once: RSS {base_rss:.0f} MiB before, peak {peak:.0f} MiB (+{peak - base_rss:.0f}); "
          f"TTFB max {max(r[0] for r in res):.2f} s, all done in {max(r[1] for r in res):.2f} s")
PY
