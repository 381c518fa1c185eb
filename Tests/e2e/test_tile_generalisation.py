"""Low zooms: buildings become grid cells whose counts and sums add up to the city's statistics;
callers see sums only of fields they may read; TileJSON says so; no tile is near 500 KB."""
import math

import mapbox_vector_tile


def tiles_covering(z, west=116.3, south=25.4, east=118.8, north=27.2):
    n = 2 ** z
    col = lambda lon: int((lon + 180) / 360 * n)
    row = lambda lat: int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return [(z, x, y) for x in range(col(west), col(east) + 1) for y in range(row(north), row(south) + 1)]


def cells(session, base_url, z, x, y):
    r = session.get(f"{base_url}/tiles/buildings/{z}/{x}/{y}.mvt")
    assert r.status_code in (200, 204), r.text[:200]
    assert len(r.content) < 500_000
    if r.status_code == 204:
        return []
    return mapbox_vector_tile.decode(r.content)["buildings"]["features"]


def test_cells_of_every_low_zoom_add_up_to_the_city_statistics(http, base_url):
    stats = http.get(f"{base_url}/stats", params={"area": "350400"}).json()
    people, buildings = stats["population"]["total"], stats["buildings"]["count"]
    assert isinstance(people, int) and people > 0 and isinstance(buildings, int) and buildings > 0
    for z in (7, 9, 11):
        count = population = 0
        for t in tiles_covering(z):
            for f in cells(http, base_url, *t):
                p = f["properties"]
                assert p["count"] > 0 and p["area_km2"] > 0 and "entity_code" not in p
                assert abs(p["density"] - p["count"] / p["area_km2"]) <= 0.05 + 1e-9
                count += p["count"]
                population += p["population"]
        assert (count, population) == (buildings, people), f"zoom {z}"


def test_anonymous_cells_carry_counts_but_not_the_internal_sums(anon, http, base_url):
    z, x, y = next(t for t in tiles_covering(10) if cells(http, base_url, *t))
    public = cells(anon, base_url, z, x, y)
    assert public and all("population" not in f["properties"] and "businesses" not in f["properties"] for f in public)
    assert sum(f["properties"]["count"] for f in public) == sum(f["properties"]["count"] for f in cells(http, base_url, z, x, y))


def test_tilejson_announces_the_cells_from_zoom_0(anon, base_url):
    doc = anon.get(f"{base_url}/tiles/buildings").json()
    layer = doc["vector_layers"][0]
    assert doc["minzoom"] == 0 and layer["minzoom"] == 0
    assert layer["fields"]["count"] == "Number" and layer["fields"]["area_km2"] == "Number"
    assert "Below zoom 13" in layer["description"]
