"""People imported beside the running server: placed by building key and by coordinates, counted in
the buildings' tiles at once, and a raw ID number never stored or printed unmasked."""
import csv
import datetime
import os
import subprocess
import time

import mapbox_vector_tile

import e2e_db

from e2e_db import onemap_binary
from tiles_helpers import tile_of

RAW_ID = "350404199001011234"


def tile_population(http, base_url, lon, lat, code):
    z, x, y = tile_of(lon, lat, 16)
    t = mapbox_vector_tile.decode(http.get(f"{base_url}/tiles/buildings/{z}/{x}/{y}.mvt").content)
    return next(f["properties"]["population"] for f in t["buildings"]["features"] if f["properties"]["entity_code"] == code)


def test_people_are_placed_counted_and_masked(http, base_url, out_dir):
    db = os.environ["ONEMAP_DB"]
    today = (datetime.datetime.utcnow() + datetime.timedelta(hours=8)).date().isoformat()
    # Two standing residential buildings; their centroids lie inside their rectangular footprints.
    (a, ax, ay), (b, bx, by) = e2e_db.query(
        "SELECT entity_code, cx, cy FROM buildings WHERE valid_to IS NULL AND demolished_date IS NULL ORDER BY id LIMIT 2")
    before_a, before_b = tile_population(http, base_url, ax, ay, a), tile_population(http, base_url, bx, by, b)

    path = os.path.join(out_dir, "people.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["person_key", "building_code", "lon", "lat", "sex", "birth_year", "household_id", "registration",
                    "moved_in", "id_number"])
        w.writerow(["E2E-P1", a, "", "", "男", 1990, "E2E-H1", "户籍", today, RAW_ID])
        w.writerow(["E2E-P2", "", bx, by, "女", 1992, "E2E-H1", "流动", today, "35040419920202567X"])
    p = subprocess.run([onemap_binary(), "import", path, "--layer", "population", "--db", db, "--valid-from", today],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "inserted 2" in p.stdout and "placed by building key 1, inside a footprint 1" in p.stdout
    assert RAW_ID not in p.stdout + p.stderr

    rows = dict(e2e_db.query("SELECT person_key, masked_identity FROM population WHERE person_key LIKE 'E2E-%'"))
    placed = dict(e2e_db.query("SELECT person_key, building_code FROM population WHERE person_key LIKE 'E2E-%'"))
    stored_raw = e2e_db.query("SELECT count(*) FROM population WHERE masked_identity LIKE ?", ("%" + RAW_ID[6:14] + "%",))[0][0]
    assert rows == {"E2E-P1": "350404********1234", "E2E-P2": "350404********567X"}
    assert placed == {"E2E-P1": a, "E2E-P2": b}
    assert stored_raw == 0

    time.sleep(0.6)  # the server notices another process's import within half a second
    assert tile_population(http, base_url, ax, ay, a) == before_a + 1
    assert tile_population(http, base_url, bx, by, b) == before_b + 1
