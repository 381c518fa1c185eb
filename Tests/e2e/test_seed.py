"""`onemap seed` writes an MBTiles archive that GDAL reads and whose tiles equal the served ones
(decoded), for the viewer the archive is made for."""
import gzip
import os
import sqlite3
import subprocess
import time

import mapbox_vector_tile


def seed(out, *args):
    return subprocess.run([os.environ["ONEMAP_BIN"], "seed", "--db", os.environ["ONEMAP_DB"], "--out", out, *args],
                          capture_output=True, text=True, timeout=600)


def test_seeded_tiles_equal_served_tiles_and_gdal_reads_the_archive(anon, http, base_url, out_dir):
    out = os.path.join(out_dir, "sanyuan.mbtiles")
    r = seed(out, "--area", "350404", "--minzoom", "11", "--maxzoom", "14", "--layers", "admin_areas,buildings")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(out + ".part")
    con = sqlite3.connect(out)
    meta = dict(con.execute("SELECT name, value FROM metadata"))
    assert meta["format"] == "pbf" and meta["minzoom"] == "11" and meta["maxzoom"] == "14" and "vector_layers" in meta["json"]
    rows = con.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles ORDER BY zoom_level DESC, tile_column LIMIT 400").fetchall()
    assert len(rows) > 50
    compared = 0
    for z, x, tms_row, data in rows[::40]:
        y = (1 << z) - 1 - tms_row
        served = anon.get(f"{base_url}/tiles/admin_areas,buildings/{z}/{x}/{y}.mvt")
        assert served.status_code == 200
        assert mapbox_vector_tile.decode(gzip.decompress(data)) == mapbox_vector_tile.decode(served.content), (z, x, y)
        compared += 1
    assert compared >= 5
    # The public archive has no resident counts (internal); GDAL opens it with both layers.
    assert "population" not in [f for l in __import__("json").loads(meta["json"])["vector_layers"] if l["id"] == "buildings" for f in l["fields"]]
    info = subprocess.run(["ogrinfo", "-ro", "-so", out], capture_output=True, text=True, timeout=120)
    assert info.returncode == 0 and "MBTiles" in info.stdout + info.stderr and "buildings" in info.stdout and "admin_areas" in info.stdout, info.stdout
    count = subprocess.run(["ogrinfo", "-ro", "-so", "-oo", "ZOOM_LEVEL=14", out, "buildings"], capture_output=True, text=True, timeout=120)
    n = int(next(l for l in count.stdout.splitlines() if "Feature Count" in l).split(":")[1])
    assert n > 100


def test_a_department_archive_carries_its_view_and_bad_requests_exit_1(out_dir):
    out = os.path.join(out_dir, "sanyuan-smdsj.mbtiles")
    r = seed(out, "--area", "350404", "--minzoom", "14", "--maxzoom", "14", "--layers", "buildings", "--department", "SMDSJ")
    assert r.returncode == 0, r.stderr
    meta = dict(sqlite3.connect(out).execute("SELECT name, value FROM metadata"))
    assert '"population"' in meta["json"]
    for args, words in [(["--area", "999999"], "no administrative area"), (["--minzoom", "9", "--maxzoom", "3"], "zooms"),
                        (["--department", "NOPE"], "no department"), (["--layers", "population"], "population")]:
        r = seed(os.path.join(out_dir, "bad.mbtiles"), *args)
        assert r.returncode != 0 and words in r.stderr, (args, r.stderr)
    r = seed(os.path.join(out_dir, "x.zip"))
    assert r.returncode != 0 and ".pmtiles" in r.stderr and ".mbtiles" in r.stderr


def test_a_pmtiles_archive_is_read_by_the_pmtiles_package_and_holds_the_mbtiles_tiles(anon, base_url, out_dir):
    from pmtiles.reader import Reader, all_tiles
    from pmtiles.tile import Compression, TileType

    pm, mb = os.path.join(out_dir, "sanyuan.pmtiles"), os.path.join(out_dir, "sanyuan-pm.mbtiles")
    args = ["--area", "350404", "--minzoom", "6", "--maxzoom", "14", "--layers", "admin_areas,buildings"]
    for out in (pm, mb):
        r = seed(out, *args)
        assert r.returncode == 0, r.stderr
    assert not any(os.path.exists(pm + suffix) for suffix in (".part", ".tiles.part"))
    with open(pm, "rb") as fh:
        def get(offset, length):
            fh.seek(offset)
            return fh.read(length)
        reader = Reader(get)
        h = reader.header()
        assert h["clustered"] and h["tile_type"] == TileType.MVT and h["tile_compression"] == Compression.GZIP
        assert h["internal_compression"] == Compression.GZIP and (h["min_zoom"], h["max_zoom"]) == (6, 14)
        assert 117.0 < h["min_lon_e7"] / 1e7 < h["max_lon_e7"] / 1e7 < 118.2 and 25.9 < h["min_lat_e7"] / 1e7 < h["max_lat_e7"] / 1e7 < 26.6
        layers = {l["id"]: l for l in reader.metadata()["vector_layers"]}
        assert set(layers) == {"admin_areas", "buildings"} and layers["buildings"]["minzoom"] == 6
        tiles = {zxy: data for zxy, data in all_tiles(get)}
        # Every tile is found by its address too (directory search), and identical tiles are stored once.
        for zxy, data in list(tiles.items())[::97]:
            assert reader.get(*zxy) == data
        assert h["addressed_tiles_count"] == len(tiles) >= h["tile_entries_count"] >= h["tile_contents_count"]
    con = sqlite3.connect(mb)
    mbtiles = {(z, x, (1 << z) - 1 - row): data for z, x, row, data in con.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")}
    assert set(tiles) == set(mbtiles) and len(tiles) > 100
    assert all(gzip.decompress(tiles[k]) == gzip.decompress(mbtiles[k]) for k in tiles)
    for (z, x, y) in sorted(tiles)[::60][:10]:
        served = anon.get(f"{base_url}/tiles/admin_areas,buildings/{z}/{x}/{y}.mvt")
        assert served.status_code == 200 and served.content == gzip.decompress(tiles[(z, x, y)]), (z, x, y)


def test_archives_in_the_tiles_folder_are_served_with_tilejson_to_whom_their_view_belongs(anon, http, base_url):
    folder = os.path.join(os.environ["ONEMAP_OUT"], "tiles")
    args = ["--area", "350404", "--minzoom", "12", "--maxzoom", "13", "--layers", "admin_areas,buildings"]
    assert seed(os.path.join(folder, "sanyuan-public.pmtiles"), *args).returncode == 0
    assert seed(os.path.join(folder, "sanyuan-smdsj.mbtiles"), *args, "--department", "SMDSJ").returncode == 0
    # A new file is picked up without a restart (the folder is re-read at most once a second).
    time.sleep(1.2)
    listed = {a["id"]: a for a in anon.get(f"{base_url}/archives").json()["archives"]}
    assert "sanyuan-public" in listed and "sanyuan-smdsj" not in listed
    assert {a["id"] for a in http.get(f"{base_url}/archives").json()["archives"]} >= {"sanyuan-public", "sanyuan-smdsj"}
    doc = anon.get(listed["sanyuan-public"]["tilejson"]).json()
    assert doc["tilejson"] == "3.0.0" and (doc["minzoom"], doc["maxzoom"]) == (12, 13)
    assert {l["id"] for l in doc["vector_layers"]} == {"admin_areas", "buildings"} and len(doc["bounds"]) == 4
    assert doc["tiles"] == [f"{base_url}/archives/sanyuan-public/{{z}}/{{x}}/{{y}}.mvt"]
    # Its tiles are the server's tiles; stored gzip goes out as is to clients that accept it.
    from tiles_helpers import tile_of
    z, x, y = tile_of(117.6365, 26.2705, 13)
    live = anon.get(f"{base_url}/tiles/admin_areas,buildings/{z}/{x}/{y}.mvt")
    plain = anon.get(f"{base_url}/archives/sanyuan-public/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.content == live.content and "Content-Encoding" not in plain.headers
    zipped = anon.get(f"{base_url}/archives/sanyuan-public/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert zipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped.raw.read()) == live.content
    r = anon.get(f"{base_url}/archives/sanyuan-public/{z}/{x}/{y}.mvt", headers={"If-None-Match": plain.headers["ETag"]})
    assert r.status_code == 304
    assert anon.get(f"{base_url}/archives/sanyuan-public/3/1/1.mvt").status_code == 204
    # The department's package: its view (resident counts), for it and the administrator only.
    assert anon.get(f"{base_url}/archives/sanyuan-smdsj").status_code == 401
    assert anon.get(f"{base_url}/archives/sanyuan-smdsj/{z}/{x}/{y}.mvt").status_code == 401
    own = http.get(f"{base_url}/archives/sanyuan-smdsj/{z}/{x}/{y}.mvt")
    assert own.status_code == 200 and own.headers["Cache-Control"] == "private, no-cache"
    assert "population" in mapbox_vector_tile.decode(own.content)["buildings"]["features"][0]["properties"]
    r = anon.get(f"{base_url}/archives/nope")
    # The 404 names only what the caller may read: not the data center's archive.
    assert r.status_code == 404 and "sanyuan-public" in r.json()["description"] and "sanyuan-smdsj" not in r.json()["description"]
    assert "sanyuan-smdsj" in http.get(f"{base_url}/archives/nope").json()["description"]


def test_every_polygon_of_the_whole_city_is_valid_on_its_integer_coordinates(out_dir):
    """MVT 2.1 §4.3.4.4: the snapped rings, not the float ones, must be OGC-valid. The whole city
    at z0-16 is seeded and every polygon decoded and tested by scripts/check_tile_validity.py."""
    out = os.path.join(out_dir, "city-validity.mbtiles")
    r = seed(out, "--minzoom", "0", "--maxzoom", "16", "--layers", "admin_areas,buildings")
    assert r.returncode == 0, r.stderr
    check = subprocess.run([".venv/bin/python", "scripts/check_tile_validity.py", out], capture_output=True, text=True, timeout=900)
    assert check.returncode == 0, check.stdout[-3000:]
    tiles, features = (int(w) for w in check.stdout.split()[0:4:2])
    assert tiles > 10000 and features > 100000, check.stdout
    os.remove(out)


def test_by_default_an_archive_holds_the_layers_the_served_style_draws_labels_included(out_dir):
    out = os.path.join(out_dir, "default-layers.mbtiles")
    r = seed(out, "--area", "350404", "--minzoom", "9", "--maxzoom", "10")
    assert r.returncode == 0, r.stderr
    with sqlite3.connect(out) as con:
        meta = dict(con.execute("SELECT name, value FROM metadata"))
    archived = {l["id"] for l in __import__("json").loads(meta["json"])["vector_layers"]}
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "styles", "onemap.json"), encoding="utf-8") as f:
        drawn = {l["source-layer"] for l in __import__("json").load(f)["layers"] if "source-layer" in l}
    assert drawn <= archived and "admin_labels" in archived, (drawn, archived)
