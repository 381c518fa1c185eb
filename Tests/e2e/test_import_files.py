"""`onemap import` on files written by an independent tool (GDAL's ogr2ogr): a GBK shapefile in
Gauss-Kruger CM 117E, a zone-prefixed (EPSG:4527) shapefile, and refusals with exit code 1."""
import json
import os
import sqlite3
import subprocess

import pytest

from e2e_db import onemap_binary


@pytest.fixture(scope="module")
def workdir(out_dir):
    d = os.path.join(out_dir, "import-files")
    os.makedirs(d, exist_ok=True)
    db = os.path.join(d, "import.sqlite")
    subprocess.run([onemap_binary(), "demo", "--db", db, "--scale", "0.005", "--force"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return d


def square(x, y, d=20.0):
    return [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]


def write_geojson(path, features):
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f, ensure_ascii=False)


def building(code, coords, use="住宅", floors=3):
    return {"type": "Feature", "properties": {"entity_code": code, "floors": floors, "use": use, "built_date": "2023-04-01"},
            "geometry": {"type": "Polygon", "coordinates": coords}}


def run_import(path, db, *args):
    return subprocess.run([onemap_binary(), "import", path, "--layer", "buildings", "--db", db, *args],
                          capture_output=True, text=True)


def rows(db, prefix):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT entity_code, use, floors, valid_from, cx, cy FROM buildings WHERE entity_code LIKE ? ORDER BY 1",
                           (prefix + "%",)).fetchall()
    finally:
        con.close()


def test_gbk_shapefile_in_gauss_kruger(workdir):
    src = os.path.join(workdir, "gk.geojson")
    write_geojson(src, [building(f"SHP{i}", square(563934.446 + 60 * i, 2905797.961)) for i in range(3)]
                  + [building("SHP9", [square(564300, 2905797, 60)[0], square(564320, 2905817, 20)[0][::-1]], use="商业")])
    shp = os.path.join(workdir, "gk.shp")
    subprocess.run(["ogr2ogr", "-f", "ESRI Shapefile", "-a_srs", "EPSG:4548", "-lco", "ENCODING=GBK", shp, src],
                   check=True, capture_output=True)
    assert open(os.path.join(workdir, "gk.cpg")).read().strip().upper() in ("GBK", "CP936", "936")
    db = os.path.join(workdir, "import.sqlite")
    p = run_import(shp, db, "--valid-from", "2024-01-01")
    assert p.returncode == 0, p.stderr
    assert "inserted 4" in p.stdout
    got = rows(db, "SHP")
    assert [r[1] for r in got] == ["住宅", "住宅", "住宅", "商业"]
    # The first footprint's corner E 563934.446 N 2905797.961 is 117.64E 26.26N: its centroid is a few metres NE.
    assert abs(got[0][4] - 117.6401) < 0.0002 and abs(got[0][5] - 26.2601) < 0.0002
    again = run_import(shp, db, "--valid-from", "2024-06-01")
    assert again.returncode == 0 and "unchanged 4" in again.stdout


def test_zone_prefixed_shapefile_is_recognised_from_its_prj(workdir):
    src = os.path.join(workdir, "z39.geojson")
    write_geojson(src, [building("Z39A", square(39563934.446, 2905797.961))])
    shp = os.path.join(workdir, "z39.shp")
    subprocess.run(["ogr2ogr", "-f", "ESRI Shapefile", "-a_srs", "EPSG:4527", shp, src], check=True, capture_output=True)
    p = run_import(shp, os.path.join(workdir, "import.sqlite"), "--valid-from", "2024-01-01")
    assert p.returncode == 0, p.stderr
    assert "(EPSG:4527)" in p.stderr


def test_refusals_exit_1_with_a_line_naming_the_problem(workdir):
    db = os.path.join(workdir, "import.sqlite")
    before = rows(db, "")
    swapped = os.path.join(workdir, "swapped.geojson")
    write_geojson(swapped, [building("SW1", [[[26.25, 117.6], [26.25, 117.61], [26.26, 117.61], [26.25, 117.6]]])])
    p = run_import(swapped, db)
    assert p.returncode == 1 and "swap" in p.stderr
    metres = os.path.join(workdir, "metres.geojson")
    write_geojson(metres, [building("M1", square(563934, 2905797))])
    p = run_import(metres, db, "--srs", "EPSG:4490")
    assert p.returncode == 1 and "EPSG:4548" in p.stderr
    p = run_import(metres, db, "--srs", "EPSG:9999")
    assert p.returncode != 0 and "EPSG:9999" in p.stderr
    assert rows(db, "") == before  # refused imports wrote nothing


def test_geopackage_with_its_crs(workdir):
    src = os.path.join(workdir, "gp.geojson")
    write_geojson(src, [building(f"GPK{i}", square(563934.446 + 60 * i, 2905797.961), use="工业") for i in range(2)])
    gpkg = os.path.join(workdir, "push.gpkg")
    if os.path.exists(gpkg):
        os.remove(gpkg)
    subprocess.run(["ogr2ogr", "-f", "GPKG", "-a_srs", "EPSG:4548", "-nln", "buildings_2024", gpkg, src], check=True, capture_output=True)
    db = os.path.join(workdir, "import.sqlite")
    p = run_import(gpkg, db, "--valid-from", "2024-01-01")
    assert p.returncode == 0, p.stderr
    assert "(EPSG:4548)" in p.stderr and "inserted 2" in p.stdout
    got = rows(db, "GPK")
    assert [r[1] for r in got] == ["工业", "工业"]
    assert abs(got[0][4] - 117.6401) < 0.0002 and abs(got[0][5] - 26.2601) < 0.0002
    p = run_import(gpkg, db, "--table", "nope")
    assert p.returncode == 1 and "buildings_2024" in p.stderr


def test_a_new_database_appears_only_when_its_first_import_succeeds(workdir):
    db = os.path.join(workdir, "fresh.sqlite")
    for suffix in ("", ".importing", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    bad = os.path.join(workdir, "fresh-bad.geojson")
    write_geojson(bad, [building("F1", [[[117.6, 26.25], [117.601, 26.25], [117.601, 26.251], [117.6, 26.251], [117.6, 26.25]]]),
                        {"type": "Feature", "properties": {"entity_code": "F2"}, "geometry": None}])
    p = run_import(bad, db, "--valid-from", "2024-01-01")
    assert p.returncode == 1 and "no geometry" in p.stderr
    assert not any(os.path.exists(db + s) for s in ("", ".importing"))  # refused: no database at all
    p = run_import(bad, db, "--valid-from", "2024-01-01", "--skip-bad")
    assert p.returncode == 0, p.stderr
    assert not os.path.exists(db + ".importing")
    assert [r[0] for r in rows(db, "F")] == ["F1"]
