"""Tiles and TileJSON from the running server, decoded by two independent readers:
mapbox-vector-tile (PyPI) and GDAL's MVT driver (Debian gdal-bin)."""
import os

import mapbox_vector_tile
import pytest

from tiles_helpers import gdal_invalid_count, gdal_layers, ring_area, tile_bounds, tile_of

# Around 梅列 (the city centre), Yong'an and a rural town; z8-16.
PLACES = [(117.6365, 26.2705), (117.365, 25.942), (117.202, 26.356), (118.19, 26.17)]
TILES = sorted({tile_of(lon, lat, z) for lon, lat in PLACES for z in (6, 8, 10, 12, 13, 14, 15, 16)})


def fetch_tile(http, base_url, layers, z, x, y, suffix=".mvt"):
    r = http.get(f"{base_url}/tiles/{layers}/{z}/{x}/{y}{suffix}", timeout=60)
    assert r.status_code in (200, 204), r.text
    return r


def test_tilejson_is_3_0_0_with_absolute_urls_bounds_and_fields(http, base_url):
    r = http.get(f"{base_url}/tiles/admin_areas,buildings", timeout=30)
    assert r.status_code == 200
    doc = r.json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == [f"{base_url}/tiles/admin_areas,buildings/{{z}}/{{x}}/{{y}}.mvt"]
    minx, miny, maxx, maxy = doc["bounds"]
    assert 116.0 < minx < 117.0 and 25.0 < miny < 26.0 and 118.0 < maxx < 119.0 and 26.5 < maxy < 27.5
    layers = {l["id"]: l for l in doc["vector_layers"]}
    assert set(layers) == {"admin_areas", "buildings"}
    assert layers["buildings"]["fields"]["population"] == "Number"
    assert layers["admin_areas"]["fields"]["name"] == "String"
    assert doc["minzoom"] <= doc["maxzoom"]


@pytest.mark.parametrize("z,x,y", TILES)
def test_tiles_decode_identically_in_both_decoders_with_valid_rings(http, base_url, out_dir, z, x, y):
    r = fetch_tile(http, base_url, "admin_areas,admin_labels,buildings", z, x, y)
    if r.status_code == 204:
        assert r.content == b""
        return
    assert r.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    path = os.path.join(out_dir, f"tile_{z}_{x}_{y}.mvt")
    with open(path, "wb") as f:
        f.write(r.content)
    tile = mapbox_vector_tile.decode(r.content, default_options={"y_coord_down": True})
    assert tile, "200 with no layers: an empty tile must be 204"
    gdal = gdal_layers(path)
    assert set(gdal) == set(tile)
    for name, layer in tile.items():
        assert layer["version"] == 2
        assert layer["extent"] == 4096
        assert gdal[name] == len(layer["features"])
        if name != "admin_labels":
            assert gdal_invalid_count(path, name) == 0, f"invalid polygons in {name}"
        for f in layer["features"]:
            assert isinstance(f["id"], int)
            g = f["geometry"]
            if name == "admin_labels":
                assert g["type"] == "Point"
                px, py = g["coordinates"]
                assert -64 <= px <= 4160 and -64 <= py <= 4160
                continue
            assert g["type"] in ("Polygon", "MultiPolygon")
            polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
            for poly in polys:
                for i, ring in enumerate(poly):
                    pts = ring[:-1] if ring[0] == ring[-1] else ring
                    assert len(pts) >= 3, f"degenerate ring in {name} feature {f['id']}"
                    assert all(pts[k] != pts[k + 1] for k in range(len(pts) - 1)), "repeated point"
                    assert all(-64 <= px <= 4160 and -64 <= py <= 4160 for px, py in pts), "vertex outside buffer"
                    assert ring_area(pts) != 0
        if name == "buildings" and z >= 13:
            props = layer["features"][0]["properties"]
            assert {"entity_code", "floors", "use", "population", "businesses"} <= set(props)
        if name == "buildings" and z < 13:
            # Below the layer's minZoom: grid cells with counts and sums, never single buildings.
            for f in layer["features"]:
                assert {"count", "population", "businesses", "area_km2"} <= set(f["properties"])
                assert "entity_code" not in f["properties"] and f["properties"]["count"] > 0
        if name == "admin_areas":
            props = layer["features"][0]["properties"]
            assert {"code", "name", "level", "population"} <= set(props)


def test_winding_in_y_down_tile_coordinates(http, base_url):
    """mapbox-vector-tile classifies rings by the spec's sign rule; decode raw rings to check it too."""
    z, x, y = tile_of(117.6365, 26.2705, 14)
    r = fetch_tile(http, base_url, "buildings", z, x, y)
    assert r.status_code == 200
    tile = mapbox_vector_tile.decode(r.content, default_options={"y_coord_down": True})
    exteriors = holes = 0
    for f in tile["buildings"]["features"]:
        g = f["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        for poly in polys:
            exterior = poly[0][:-1]
            # y down: the spec's exterior is positive by the surveyor's formula.
            assert ring_area(exterior) > 0
            exteriors += 1
            for hole in poly[1:]:
                assert ring_area(hole[:-1]) < 0
                holes += 1
    assert exteriors > 20
    assert holes > 0, "courtyard buildings (polygons with holes) expected in the city centre"


def test_tile_geometry_lies_where_gdal_georeferences_it(http, base_url, out_dir):
    z, x, y = tile_of(117.6365, 26.2705, 13)
    r = fetch_tile(http, base_url, "buildings", z, x, y)
    path = os.path.join(out_dir, "georef.mvt")
    open(path, "wb").write(r.content)
    import subprocess
    p = subprocess.run(["ogrinfo", "-ro", "-so", "-al", "-oo", "CLIP=NO", "-oo", f"X={x}", "-oo", f"Y={y}", "-oo", f"Z={z}",
                        "MVT:" + path], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    ext = [l for l in p.stdout.splitlines() if l.startswith("Extent: ")][0]
    import re
    minx, miny, maxx, maxy = [float(v) for v in re.findall(r"-?\d+\.\d+", ext)][:4]
    bx0, by0, bx1, by1 = tile_bounds(z, x, y)
    pad = (bx1 - bx0) * 64 / 4096 + 1
    assert bx0 - pad <= minx <= maxx <= bx1 + pad and by0 - pad <= miny <= maxy <= by1 + pad


def test_suffixes_pbf_and_none_give_the_same_tile(http, base_url):
    z, x, y = tile_of(117.6365, 26.2705, 15)
    a = fetch_tile(http, base_url, "buildings", z, x, y, ".mvt").content
    b = fetch_tile(http, base_url, "buildings", z, x, y, ".pbf").content
    c = fetch_tile(http, base_url, "buildings", z, x, y, "").content
    assert a == b == c and len(a) > 0


def test_empty_tile_is_204(http, base_url):
    r = http.get(f"{base_url}/tiles/buildings/14/0/0.mvt", timeout=30)
    assert r.status_code == 204 and r.content == b""


def test_composite_tile_holds_both_layers(http, base_url):
    z, x, y = tile_of(117.6365, 26.2705, 14)
    r = fetch_tile(http, base_url, "admin_areas,buildings", z, x, y)
    tile = mapbox_vector_tile.decode(r.content)
    assert set(tile) == {"admin_areas", "buildings"}


def test_each_county_has_exactly_one_label_point_at_city_zoom(http, base_url):
    """Labels come from one point per area, so a county is not labelled once per tile."""
    names = []
    for x in range(209, 214):
        for y in range(106, 111):
            r = fetch_tile(http, base_url, "admin_labels", 8, x, y)
            if r.status_code == 204:
                continue
            tile = mapbox_vector_tile.decode(r.content)
            for f in tile.get("admin_labels", {"features": []})["features"]:
                px, py = f["geometry"]["coordinates"]
                if 0 <= px < 4096 and 0 <= py < 4096 and f["properties"]["level"] == "county":
                    names.append(f["properties"]["name"])
    assert sorted(names) == sorted(set(names)) and len(names) == 11, names
