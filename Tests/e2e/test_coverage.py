"""Coverage of public services over HTTP: who reaches the demo's schools and clinics, exact for the
data center and protected for the public, the cells beyond reach as GeoJSON, tiles and a map, and a
4xx naming the problem for every bad question."""
import mapbox_vector_tile
import pytest

DAY = "2024-06-01"
URL = "/analysis/coverage"


def ask(session, base_url, **body):
    r = session.post(f"{base_url}{URL}", json={"datetime": DAY, **body}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_demo_has_schools_and_clinics_owned_by_their_departments(http, anon, base_url):
    schools = http.get(f"{base_url}/collections/schools", timeout=30)
    assert schools.status_code == 200, schools.text
    items = anon.get(f"{base_url}/collections/schools/items", params={"limit": 5, "datetime": DAY}, timeout=30)
    assert items.status_code == 200  # open: the public may see where schools are
    f = items.json()["features"][0]
    assert f["geometry"]["type"] == "Point" and f["properties"]["synthetic"] is True
    # Clinics are for departments only; their capacity is internal.
    assert anon.get(f"{base_url}/collections/clinics/items", timeout=30).status_code == 401
    catalog = {layer["id"]: layer for layer in http.get(f"{base_url}/catalog", timeout=30).json()["layers"]}
    assert catalog["schools"]["owner"] == "SMJY" and catalog["clinics"]["owner"] == "SMWJ"


def test_the_data_center_gets_exact_figures_that_add_up(http, base_url):
    doc = ask(http, base_url, layer="schools", radius=1500, ageBands=["0-14"], capacity="capacity")
    assert doc["suppression"] == "exact" and doc["ageBands"] == ["0-14"]
    t = doc["total"]
    assert isinstance(t["withinReach"], int) and t["withinReach"] > 0 and t["beyondReach"] > 0
    assert t["population"] == t["withinReach"] + t["beyondReach"]
    assert t["byAgeBand"]["0-14"]["withinReach"] == t["withinReach"]
    assert sum(x["withinReach"] for x in doc["townships"]) == t["withinReach"]
    assert 0 <= t["served"] <= t["withinReach"] and t["unservedWithinReach"] == t["withinReach"] - t["served"]
    assert doc["capacity"]["places"] > 0 and doc["facilities"] > 0
    assert all(f["residentsWithinReach"] > 0 for f in doc["facilityLoads"])
    # Children 0-14 of the city are exactly those /stats counts.
    stats = http.get(f"{base_url}/stats", params={"area": "350400", "datetime": DAY}, timeout=60).json()
    assert t["population"] == stats["population"]["byAgeBand"]["0-14"]
    # The cells beyond reach hold everyone beyond reach.
    cells = http.post(f"{base_url}{URL}?f=geojson", json={"layer": "schools", "radius": 1500, "ageBands": ["0-14"], "datetime": DAY}, timeout=60)
    assert cells.status_code == 200 and cells.headers["content-type"].startswith("application/geo+json")
    features = cells.json()["features"]
    assert sum(f["properties"]["people"] for f in features) == t["beyondReach"]
    assert all(f["geometry"]["type"] == "Polygon" for f in features)


def test_a_larger_radius_reaches_more_people(http, base_url):
    near = ask(http, base_url, layer="schools", radius=500, area="350404")["total"]["withinReach"]
    far = ask(http, base_url, layer="schools", radius=3000, area="350404")["total"]["withinReach"]
    assert far > near


def test_the_public_gets_protected_figures_every_band_listed(anon, base_url):
    docs = [ask(anon, base_url, layer="schools", radius=1500, area="350404") for _ in range(2)]
    assert docs[0] == docs[1]
    doc = docs[0]
    assert doc["suppression"].startswith("protected")
    assert doc["area"]["statisticalGridCells"] > 0
    assert set(doc["total"]["byAgeBand"]) == {"0-14", "15-59", "60-64", "65+"}
    for t in doc["townships"]:
        assert set(t["byAgeBand"]) == {"0-14", "15-59", "60-64", "65+"}
        for v in [t["withinReach"], t["beyondReach"]] + [b[k] for b in t["byAgeBand"].values() for k in b]:
            assert v == "<5" or (isinstance(v, int) and v >= 5), t
        # A share only beside counts that are shown.
        if "<5" in (t["withinReach"], t["population"]):
            assert t.get("shareWithinReach") is None
    cells = anon.get(f"{base_url}{URL}", params={"layer": "schools", "radius": 1500, "area": "350404", "datetime": DAY, "f": "geojson"}, timeout=60)
    assert all(f["properties"]["people"] >= 5 for f in cells.json()["features"])


def test_a_grant_covering_the_area_gets_exact_figures_there(http, base_url):
    # The police own the population records: exact for them, as for the data center.
    import subprocess, os, re
    out = subprocess.run([os.environ["ONEMAP_BIN"], "dept", "key", "SMGA", "--db", os.environ["ONEMAP_DB"]],
                         capture_output=True, text=True, timeout=60).stdout
    key = re.search(r"(om_[0-9a-f]{40})", out).group(1)
    import requests
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {key}"
    exact = ask(http, base_url, layer="schools", radius=1500, area="350404")
    police = ask(s, base_url, layer="schools", radius=1500, area="350404")
    assert police["suppression"] == "exact" and police["total"] == exact["total"]


def test_uncovered_cells_come_as_vector_tiles_and_on_a_map(http, base_url):
    doc = ask(http, base_url, layer="schools", radius=800, area="350404")
    tilejson = http.get(doc["uncoveredCells"]["tilejson"], timeout=30)
    assert tilejson.status_code == 200 and tilejson.json()["vector_layers"][0]["id"] == "uncovered_population"
    # A tile over 三元区's seat at z12 holds cells with their residents beyond reach.
    import math
    lon, lat, z = 117.62, 26.25, 11
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    found = 0
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            url = doc["uncoveredCells"]["tiles"].replace("{z}", str(z)).replace("{x}", str(x + dx)).replace("{y}", str(y + dy))
            r = http.get(url, timeout=30)
            assert r.status_code in (200, 204), r.text
            if r.status_code == 200:
                assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
                layer = mapbox_vector_tile.decode(r.content)["uncovered_population"]
                found += len(layer["features"])
                assert all(f["properties"]["people"] > 0 for f in layer["features"])
    assert found > 0
    png = http.get(doc["uncoveredCells"]["map"] + "&width=400&height=300", timeout=120)
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("body,status,words", [
    ({"layer": "schools", "radius": 0}, 400, "radius"),
    ({"layer": "schools", "radius": -5}, 400, "radius"),
    ({"layer": "schools", "radius": 50001}, 400, "50000"),
    ({"layer": "schools", "radius": "far"}, 400, "radius"),
    ({"layer": "schools"}, 400, "radius"),
    ({"radius": 100}, 400, "layer"),
    ({"layer": "hospitals", "radius": 100}, 404, "hospitals"),
    ({"layer": "buildings", "radius": 100}, 400, "point"),
    ({"layer": "schools", "radius": 100, "capacity": "beds"}, 400, "beds"),
    ({"layer": "schools", "radius": 100, "capacity": "name"}, 400, "not a number"),
    ({"layer": "schools", "radius": 100, "ageBands": ["0-17"]}, 400, "0-17"),
    ({"layer": "schools", "radius": 100, "area": "35"}, 400, "administrative code"),
    ({"layer": "schools", "radius": 100, "area": "350499"}, 404, "350499"),
    ({"layer": "schools", "radius": 100, "datetime": "1900-01-01"}, 400, "before any data"),
    ({"layer": "schools", "radius": 100, "colour": "red"}, 400, "colour"),
])
def test_bad_questions_get_a_4xx_naming_the_problem(http, base_url, body, status, words):
    r = http.post(f"{base_url}{URL}", json=body, timeout=30)
    assert r.status_code == status, r.text
    assert words in r.json()["description"], r.text


def test_clinics_need_a_key(anon, base_url):
    r = anon.post(f"{base_url}{URL}", json={"layer": "clinics", "radius": 1000}, timeout=30)
    assert r.status_code == 401
