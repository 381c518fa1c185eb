#!/usr/bin/env python3
"""Serve each database given and ask every server the same questions: statistics of the city and
of every county and township (exact for the data center's key, disclosure-controlled for the
public), time series, tiles of every layer over the city at several zooms and days, feature pages
and an export. Every answer must be byte-identical across the databases.

usage: compare_servers.py ONEMAP_BINARY KEY DB DB [DB ...]   (KEY: a key valid in every database)
"""
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(url, key=None):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def start(binary, db, workdir):
    port = free_port()
    log = open(os.path.join(workdir, f"server-{port}.log"), "w")
    proc = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db, "--tile-cache-mb", "0",
                             "--rate-limit", "0", "--tiles", workdir], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 600
    while True:
        assert proc.poll() is None, f"the server for {db} exited; see {log.name}"
        try:
            status, body = get(f"{base}/health")
            snap = json.loads(body).get("tileSnapshots", {})
            if status == 200 and snap.get("ready") and not snap.get("building"):
                return proc, base
        except (urllib.error.URLError, ConnectionError):
            pass
        assert time.time() < deadline, f"the server for {db} did not get ready"
        time.sleep(0.5)


def questions(base, key):
    """The paths asked of every server (read from the first one's answers)."""
    city = json.loads(get(f"{base}/areas/350400?datetime=2024-06-01", key)[1])
    counties = [a["code"] for a in city["children"]]
    assert counties, f"no counties under 350400: {city}"
    townships = []
    for c in counties:
        doc = json.loads(get(f"{base}/areas/{c}?datetime=2024-06-01", key)[1])
        townships += [a["code"] for a in doc["children"]]
    paths = []
    for day in ("2020-06-01", "2024-06-01"):
        for area in ["350400"] + counties + townships[::3]:
            paths.append(f"/stats?area={area}&datetime={day}&groupBy=township,sex")
            paths.append(f"/stats?area={area}&datetime={day}&groupBy=industry")
    for area in ["350400"] + counties:
        paths.append(f"/stats/timeseries?area={area}&from=2018-01-01&to=2024-01-01")
    collections = json.loads(get(f"{base}/collections", key)[1])["collections"]
    tile_layers = [c["id"] for c in collections
                   if any(l["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector" for l in c["links"])]
    assert tile_layers, "no collection has vector tiles"
    for z in (8, 10, 12, 14):
        for lon in (117.35, 117.63, 117.90, 118.20):
            for lat in (25.95, 26.27, 26.55):
                x, y = tile_of(lon, lat, z)
                for layer in tile_layers:
                    paths.append(f"/tiles/{layer}/{z}/{x}/{y}.mvt")
                paths.append(f"/tiles/admin_areas,buildings/{z}/{x}/{y}.mvt?datetime=2020-06-01")
    paths.append("/collections/buildings/items?bbox=117.6,26.2,117.7,26.3&limit=500")
    paths.append("/collections/buildings/items?bbox=117.6,26.2,117.7,26.3&limit=500&offset=500&datetime=2019-01-01")
    paths.append("/collections/admin_areas/items?level=township&limit=500")
    paths.append("/stats/export?area=350404&groupBy=township&format=csv")
    return paths


def main():
    binary, key, dbs = sys.argv[1], sys.argv[2], sys.argv[3:]
    workdir = tempfile.mkdtemp(prefix="onemap-compare-")
    servers = [start(binary, db, workdir) for db in dbs]
    try:
        paths = questions(servers[0][1], key)
        differ, statuses = 0, {}
        for path in paths:
            for who in (key, None):  # the data center's exact figures, then the public's
                answers = []
                for _, base in servers:
                    status, body = get(base + path, who)
                    # Links name the server (also as "http:\\/\\/…"); pages carry the time they were made.
                    body = body.replace(base.split("//")[1].encode(), b"HOST:PORT")
                    answers.append((status, re.sub(rb'"timeStamp":"[^"]*"', b'"timeStamp":"T"', body)))
                statuses[answers[0][0]] = statuses.get(answers[0][0], 0) + 1
                if any(a != answers[0] for a in answers[1:]):
                    differ += 1
                    print(f"DIFFERS {'key' if who else 'public'} {path}: " + ", ".join(f"{s} {len(b)} B" for s, b in answers))
                    for s, b in answers[1:]:
                        at = next((i for i, (x, y) in enumerate(zip(answers[0][1], b)) if x != y), None)
                        if at is not None:
                            print(f"   first difference at byte {at}: {answers[0][1][max(0, at - 60):at + 40]!r} | {b[max(0, at - 60):at + 40]!r}")
        print(f"compared {2 * len(paths)} answers ({len(paths)} paths, with and without the key) across {len(dbs)} databases: "
              f"{differ} differ; statuses {dict(sorted(statuses.items()))}")
        # 404s are areas asked of a day they did not exist (三元区 350404 before 2021), 401/403
        # what the public may not read (they must agree too).
        bad = {s for s in statuses if s not in (200, 204, 401, 403, 404)}
        sys.exit(1 if differ or bad or statuses.get(200, 0) < len(paths) else 0)
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
