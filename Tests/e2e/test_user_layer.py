"""A department's own layer: a GeoPackage written by GDAL is imported with `onemap import --layer NEW`
beside the running server, which serves it (TileJSON, tiles, change lists, datetime) without a restart."""
import json
import os
import subprocess
import time

import mapbox_vector_tile

from e2e_db import onemap_binary
from tiles_helpers import tile_of

LON, LAT = 117.6385, 26.2635


def shops_gpkg(path, employees):
    src = path + ".geojson"
    feats = [{"type": "Feature", "properties": {"shop_code": f"S{i}", "name": f"三元区餐饮{i}号", "employees": employees + i,
                                                 "opened": "2021-05-0%d" % (i + 1)},
              "geometry": {"type": "Point", "coordinates": [LON + i * 0.0005, LAT]}} for i in range(3)]
    with open(src, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": feats}, f, ensure_ascii=False)
    if os.path.exists(path):
        os.remove(path)
    subprocess.run(["ogr2ogr", "-f", "GPKG", "-nln", "shops", path, src], check=True, capture_output=True)


def import_layer(path, *args):
    return subprocess.run([onemap_binary(), "import", path, "--layer", "e2e_shops", "--key", "shop_code",
                           "--db", os.environ["ONEMAP_DB"], "--share-class", "unconditional", *args],
                          capture_output=True, text=True)


def wait_for(fetch):
    for _ in range(30):
        r = fetch()
        if r.status_code == 200:
            return r
        time.sleep(0.1)
    return r


def test_a_new_layer_is_served_with_its_inferred_schema_and_history(http, base_url, out_dir):
    path = os.path.join(out_dir, "shops.gpkg")
    shops_gpkg(path, 5)
    p = import_layer(path, "--valid-from", "2024-01-01")
    assert p.returncode == 0, p.stderr
    assert "inserted 3" in p.stdout

    r = wait_for(lambda: http.get(f"{base_url}/tiles/e2e_shops"))
    assert r.status_code == 200, r.text
    layer = r.json()["vector_layers"][0]
    assert layer["id"] == "e2e_shops"
    assert set(layer["fields"]) == {"shop_code", "name", "employees", "opened"}

    z, x, y = tile_of(LON, LAT, 15)
    r = http.get(f"{base_url}/tiles/e2e_shops/{z}/{x}/{y}.mvt")
    assert r.status_code == 200
    feats = mapbox_vector_tile.decode(r.content)["e2e_shops"]["features"]
    by_code = {f["properties"]["shop_code"]: f["properties"] for f in feats}
    assert by_code["S1"] == {"shop_code": "S1", "name": "三元区餐饮1号", "employees": 6, "opened": "2021-05-02"}

    # A second push changes every shop's staff: tiles as of before and after, and the change list.
    shops_gpkg(path, 50)
    p = import_layer(path, "--valid-from", "2025-01-01")
    assert p.returncode == 0 and "updated 3" in p.stdout, p.stderr
    time.sleep(0.6)  # the server notices another process's import within half a second
    before = mapbox_vector_tile.decode(http.get(f"{base_url}/tiles/e2e_shops/{z}/{x}/{y}.mvt?datetime=2024-06-01").content)
    after = mapbox_vector_tile.decode(http.get(f"{base_url}/tiles/e2e_shops/{z}/{x}/{y}.mvt?datetime=2025-06-01").content)
    staff = lambda t: sorted(f["properties"]["employees"] for f in t["e2e_shops"]["features"])
    assert staff(before) == [5, 6, 7] and staff(after) == [50, 51, 52]
    r = http.get(f"{base_url}/changes", params={"layer": "e2e_shops", "from": "2024-06-01", "to": "2025-06-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(c["change"], c["id"]) for c in body["changes"]] == [("modified", "S0"), ("modified", "S1"), ("modified", "S2")]
    first = body["changes"][0]
    assert first["before"]["employees"] == 5 and first["after"]["employees"] == 50

    # A file with a field the layer lacks is refused, naming the field; nothing changes.
    bad = os.path.join(out_dir, "shops-bad.geojson")
    with open(bad, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"shop_code": "S9", "phone": "18000000689"},
             "geometry": {"type": "Point", "coordinates": [LON, LAT]}}]}, f)
    p = import_layer(bad, "--valid-from", "2025-02-01")
    assert p.returncode == 1 and "'phone'" in p.stderr
