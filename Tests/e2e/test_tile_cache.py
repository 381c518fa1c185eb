"""The tile cache: hits, strong ETags (304), gzip, per-view entries, and change-driven invalidation:
changing one building drops exactly its tiles (of the days the change shows), nothing else."""
import gzip
import json
import math
import os
import subprocess
import time

import mapbox_vector_tile
import pytest

from tiles_helpers import tile_of as _tile_of


def tile_of(lon, lat, z):
    return _tile_of(lon, lat, z)[1:]




def bounds(z, x, y):
    n = 2 ** z
    lon = lambda i: i / n * 360 - 180
    lat = lambda j: math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * j / n))))
    return lon(x), lat(y + 1), lon(x + 1), lat(y)


def fetch(s, base_url, z, x, y, **params):
    return s.get(f"{base_url}/tiles/buildings/{z}/{x}/{y}.mvt", params=params, timeout=60)


def test_a_changed_building_drops_its_tiles_and_nothing_else(anon, http, base_url, out_dir):
    z = 15
    ax, ay = tile_of(117.6365, 26.2705, z)   # 三元区 centre
    bx, by = tile_of(117.3650, 25.9740, z)   # 永安, far away
    box = ",".join(map(str, bounds(z, ax, ay)))
    inside = http.get(f"{base_url}/collections/buildings/items", params={"bbox": box, "limit": 500}).json()["features"]
    # A building wholly inside tile A (its neighbours' buffers aside).
    target = next(f for f in inside if f["properties"]["demolished_date"] is None)
    assert fetch(anon, base_url, z, bx, by).status_code == 200, "tile B must hold buildings"

    first = fetch(anon, base_url, z, ax, ay)
    again = fetch(anon, base_url, z, ax, ay)
    assert first.headers["X-Cache"] == "miss" and again.headers["X-Cache"] == "hit"
    assert first.content == again.content and first.headers["ETag"] == again.headers["ETag"]
    # Revalidation: 304 without a body; gzip when accepted, the same tile inside.
    r = anon.get(f"{base_url}/tiles/buildings/{z}/{ax}/{ay}.mvt", headers={"If-None-Match": first.headers["ETag"]})
    assert r.status_code == 304 and not r.content
    r = anon.get(f"{base_url}/tiles/buildings/{z}/{ax}/{ay}.mvt", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert r.headers.get("Content-Encoding") == "gzip"
    assert gzip.decompress(r.raw.read()) == first.content
    # Another caller's view is another entry (the administrator's tiles carry resident counts).
    admin = fetch(http, base_url, z, ax, ay)
    assert admin.headers["X-Cache"] == "miss" and admin.content != first.content
    assert admin.headers["Cache-Control"] == "private, no-cache"
    # Warm: tile B, and tile A as of 2020.
    fetch(anon, base_url, z, bx, by)
    fetch(anon, base_url, z, ax, ay, datetime="2020-06-01")
    assert fetch(anon, base_url, z, bx, by).headers["X-Cache"] == "hit"
    assert fetch(anon, base_url, z, ax, ay, datetime="2020-06-01").headers["X-Cache"] == "hit"

    # The change: the building gets 7 more floors from today (a department's import, another process).
    p = target["properties"]
    path = os.path.join(out_dir, "one-building.geojson")
    with open(path, "w") as fh:
        json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": target["geometry"], "properties": {
            "entity_code": p["entity_code"], "floors": p["floors"] + 7, "use": p["use"], "built_date": p["built_date"]}}]}, fh)
    r = subprocess.run([os.environ["ONEMAP_BIN"], "import", path, "--layer", "buildings", "--db", os.environ["ONEMAP_DB"]],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    time.sleep(0.8)  # the cache follows the store's change feed every 0.2 s

    changed = fetch(anon, base_url, z, ax, ay)
    assert changed.headers["X-Cache"] == "miss" and changed.headers["ETag"] != first.headers["ETag"]
    floors = {f["properties"]["entity_code"]: f["properties"]["floors"]
              for f in mapbox_vector_tile.decode(changed.content)["buildings"]["features"]}
    assert floors[p["entity_code"]] == p["floors"] + 7
    # Elsewhere, and before the change's day, the cached tiles stay.
    assert fetch(anon, base_url, z, bx, by).headers["X-Cache"] == "hit"
    assert fetch(anon, base_url, z, ax, ay, datetime="2020-06-01").headers["X-Cache"] == "hit"
    # The old ETag no longer matches: a client revalidating gets the new tile.
    r = anon.get(f"{base_url}/tiles/buildings/{z}/{ax}/{ay}.mvt", headers={"If-None-Match": first.headers["ETag"]})
    assert r.status_code == 200 and r.content == changed.content
    stats = anon.get(f"{base_url}/health").json()["tileCache"]
    assert stats["hits"] > 0 and stats["dropped"] > 0 and stats["bytes"] <= stats["capacity"]
