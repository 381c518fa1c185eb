"""/stats over HTTP: an area by code, a polygon in another CRS, a circle; breakdowns; small cells
suppressed; errors are 4xx with a message, never 5xx."""
import subprocess

import pytest


def test_a_county_by_code_equals_its_area_population(http, base_url):
    r = http.get(f"{base_url}/stats", params={"area": "350404", "groupBy": "township,sex"}, timeout=60)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["area"] == {"code": "350404", "name": "三元区"}
    area = http.get(f"{base_url}/collections/admin_areas/items", params={"code": "350404"}, timeout=30).json()["features"]
    assert doc["population"]["total"] == area[0]["properties"]["population"] > 0
    people = doc["groups"]["population"]
    assert {g["sex"] for g in people} <= {"M", "F"}
    assert all(g["township"].startswith("350404") for g in people)
    exact = [g["people"] for g in people if isinstance(g["people"], int)]
    assert all(n >= 5 for n in exact) and sum(exact) <= doc["population"]["total"]


def test_a_polygon_in_gauss_kruger_and_the_same_in_lon_lat_agree(http, base_url):
    lonlat = [[117.58, 26.22], [117.66, 26.22], [117.66, 26.28], [117.58, 26.28], [117.58, 26.22]]
    a = http.post(f"{base_url}/stats", json={"area": {"type": "Polygon", "coordinates": [lonlat]}, "datetime": "2024-06-01"}, timeout=60)
    assert a.status_code == 200, a.text
    # The same square through EPSG:4548 (GDAL's ogr2ogr would write easting, northing).
    out = subprocess.run(["gdaltransform", "-s_srs", "EPSG:4490", "-t_srs", "EPSG:4548"], input="\n".join(f"{x} {y}" for x, y in lonlat),
                         capture_output=True, text=True, check=True).stdout.split("\n")
    gk = [[float(l.split()[0]), float(l.split()[1])] for l in out if l.strip()]
    assert 500_000 < gk[0][0] < 600_000 and 2_850_000 < gk[0][1] < 2_950_000
    b = http.post(f"{base_url}/stats", json={"area": {"type": "Polygon", "coordinates": [gk]}, "datetime": "2024-06-01",
                                             "crs": "http://www.opengis.net/def/crs/EPSG/0/4548"}, timeout=60)
    assert b.status_code == 200, b.text
    # A square in lon/lat is slightly curved in Gauss-Kruger: only buildings on the edge may differ.
    pa, pb = a.json(), b.json()
    assert pa["buildings"]["count"] > 100
    assert abs(pa["buildings"]["count"] - pb["buildings"]["count"]) <= 0.01 * pa["buildings"]["count"]


def test_a_circle_and_a_self_intersecting_polygon_repaired(http, base_url):
    c = http.post(f"{base_url}/stats", json={"area": {"circle": {"center": [117.63, 26.26], "radius": 800}}, "groupBy": ["ageBand"]}, timeout=60)
    assert c.status_code == 200, c.text
    assert set(g["ageBand"] for g in c.json()["groups"]["population"]) <= {"0-14", "15-59", "60-64", "65+"}
    bowtie = [[117.6, 26.2], [117.7, 26.3], [117.7, 26.2], [117.6, 26.3], [117.6, 26.2]]
    r = http.post(f"{base_url}/stats", json={"area": {"type": "Polygon", "coordinates": [bowtie]}}, timeout=60)
    assert r.status_code == 200 and "Self-intersection" in r.json()["area"]["repaired"]


@pytest.mark.parametrize("method,path,body,status,words", [
    ("GET", "/stats?area=350499", None, 404, "no administrative area '350499'"),
    ("GET", "/stats?area=35", None, 400, "not an administrative code"),
    ("GET", "/stats", None, 400, "'area'"),
    ("GET", "/stats?area=350404&groupBy=colour", None, 400, "groupBy 'colour'"),
    ("GET", "/stats?area=350404&datetime=soon", None, 400, "datetime 'soon'"),
    ("POST", "/stats", b"{not json", 400, "not JSON"),
    ("POST", "/stats", b'{"area": {"type": "Polygon", "coordinates": [[[117.6, 26.2]]]}}', 400, "area is not a GeoJSON geometry"),
    ("POST", "/stats", b'{"area": "350404", "crs": "EPSG:9999"}', 400, "not offered"),
    ("POST", "/stats", b'{"area": {"circle": {"center": [117.63, 26.26], "radius": 0}}}', 400, "must be above 0 and at most 50 km"),
    ("POST", "/stats", b'{"area": {"circle": {"center": [117.63, 26.26], "radius": 60000}}}', 400, "must be above 0 and at most 50 km"),
    ("POST", "/stats", b'{"area": {"type": "Polygon", "coordinates": [[[117.6, 26.2], [117.7, 26.2], [117.8, 26.2], [117.6, 26.2]]]}}', 400, "area is invalid"),
    ("POST", "/stats", b'{"area": {"type": "Polygon", "coordinates": []}}', 400, "area"),
    ("GET", "/stats?area=350404&datetime=1900-01-01", None, 400, "datetime 1900-01-01 is before any data"),
    ("GET", "/stats/timeseries?area=350404&from=1900-01-01&to=1901-01-01", None, 400, "before any data"),
    ("GET", "/areas/350400?datetime=1900-01-01", None, 400, "before any data"),
    ("GET", "/stats/timeseries?area=350400&from=1900-01-01&to=1901-01-01", None, 400, "before any data"),
])
def test_errors_name_the_problem(http, base_url, method, path, body, status, words):
    r = http.request(method, base_url + path, data=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == status, r.text
    assert words in r.json()["description"], r.text


def test_an_area_with_its_children_adds_up(http, base_url):
    r = http.get(f"{base_url}/areas/350400", timeout=60)
    assert r.status_code == 200, r.text
    city = r.json()
    assert city["name"] == "三明市" and city["level"] == "city" and city["parent"] is None
    names = {c["name"] for c in city["children"]}
    assert {"三元区", "永安市", "沙县区"} <= names and "梅列区" not in names
    assert sum(c["population"] for c in city["children"] if isinstance(c["population"], int)) == city["population"]["total"]
    county = http.get(f"{base_url}/areas/350404", params={"datetime": "2024-06-01"}, timeout=60).json()
    assert county["parent"]["code"] == "350400"
    assert all(c["level"] == "township" and c["code"].startswith("350404") for c in county["children"])
    assert sum(c["buildings"] for c in county["children"]) == county["buildings"]["count"]
    old = http.get(f"{base_url}/areas/350400", params={"datetime": "2020-06-01"}, timeout=60).json()
    assert "梅列区" in {c["name"] for c in old["children"]}
    for path, status in [("/areas/350402?datetime=2024-06-01", 404), ("/areas/35", 400), ("/areas/350404?x=1", 400),
                         ("/areas/350404?datetime=2020-01-01/2021-01-01", 400)]:
        e = http.get(base_url + path, timeout=30)
        assert e.status_code == status and e.json()["description"], (path, e.text)


def first_building(http, base_url):
    f = http.get(f"{base_url}/collections/buildings/items", params={"bbox": "117.6,26.24,117.66,26.28", "limit": 1}, timeout=30).json()["features"][0]
    ring = f["geometry"]["coordinates"][0][:-1]
    return f, sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


def test_identify_gives_the_area_chain_and_the_building(http, base_url):
    f, x, y = first_building(http, base_url)
    doc = http.get(f"{base_url}/identify", params={"lon": x, "lat": y}, timeout=30).json()
    assert [a["level"] for a in doc["areas"]][:2] == ["city", "county"]
    assert doc["areas"][1]["code"] == "350404"
    assert doc["building"]["properties"]["entity_code"] == f["properties"]["entity_code"]
    before = http.get(f"{base_url}/identify", params={"lon": x, "lat": y, "datetime": "2019-06-01"}, timeout=30).json()
    assert before["areas"][1]["name"] in ("梅列区", "三元区")  # the county of 2019
    nowhere = http.get(f"{base_url}/identify", params={"lon": 110, "lat": 20}, timeout=30).json()
    assert nowhere["areas"] == [] and nowhere["building"] is None


def test_nearest_features_are_in_distance_order(http, base_url):
    f, x, y = first_building(http, base_url)
    doc = http.get(f"{base_url}/collections/buildings/nearest", params={"lon": x, "lat": y, "k": 5}, timeout=30).json()
    d = [g["distance"] for g in doc["features"]]
    assert len(d) == 5 and d[0] == 0 and d == sorted(d)
    assert doc["features"][0]["properties"]["entity_code"] == f["properties"]["entity_code"]
    # No building inside the fifth distance is missing: a box query around the point agrees.
    for path, status in [("/collections/buildings/nearest?lon=117.6", 400), ("/collections/buildings/nearest?lon=117.6&lat=26.2&k=0", 400),
                         ("/collections/nowhere/nearest?lon=117.6&lat=26.2", 404), ("/identify?lon=a&lat=b", 400),
                         ("/identify?lon=117.6&lat=26.2&radius=3", 400)]:
        e = http.get(base_url + path, timeout=30)
        assert e.status_code == status and e.json()["description"], (path, e.text)


def test_timeseries_follows_the_2021_change(http, base_url):
    old = http.get(f"{base_url}/stats/timeseries", params={"area": "350402", "from": "2019-01-01", "to": "2023-01-01"}, timeout=120).json()
    assert old["area"]["name"] == "梅列区" and old["step"] == "year"
    exists = [(p["datetime"], p["exists"]) for p in old["series"]]
    assert exists == [("2019-01-01", True), ("2020-01-01", True), ("2021-01-01", True), ("2022-01-01", False), ("2023-01-01", False)]
    # Each point equals /stats on that day.
    one = http.get(f"{base_url}/stats", params={"area": "350402", "datetime": "2020-01-01"}, timeout=60).json()
    assert old["series"][1]["population"] == one["population"]["total"]
    assert old["series"][1]["buildings"] == one["buildings"]["count"]
    for params, status in [({"area": "350402", "from": "2000-01-01", "to": "2024-01-01", "step": "month"}, 400),
                           ({"area": "350402", "from": "2024-01-01", "to": "2020-01-01"}, 400),
                           ({"area": "350402", "from": "2020-01-01", "to": "2021-01-01", "step": "week"}, 400),
                           ({"area": "350499", "from": "2020-01-01", "to": "2021-01-01"}, 404)]:
        e = http.get(f"{base_url}/stats/timeseries", params=params, timeout=30)
        assert e.status_code == status and e.json()["description"], (params, e.text)


def test_a_server_whose_budget_cannot_hold_the_engine_answers_exact_figures_and_refuses_protected_ones(http, base_url, admin_key):
    """`--memory-mb` bounds the statistics engine too: with a budget of 1 MB it is never built;
    the administrator's exact figures come from SQL (the same as the main server's), the public's
    protected ones are 503 with a message naming the budget, and tiles are served as ever."""
    import os, socket, time
    import requests
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    db = os.environ["ONEMAP_DB"] if "://" in os.environ["ONEMAP_DB"] else os.path.abspath(os.environ["ONEMAP_DB"])
    p = subprocess.Popen([os.path.abspath(os.environ["ONEMAP_BIN"]), "serve", "--db", db, "--port", str(port), "--memory-mb", "1",
                          "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    small = f"http://127.0.0.1:{port}"
    try:
        state = None
        for _ in range(300):
            try:
                state = requests.get(small + "/health", timeout=5).json()["analytics"]
                if state["state"] == "overBudget":
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        assert state and state["state"] == "overBudget", state
        assert "--memory-mb" in state["lastError"] and "MB" in state["lastError"]
        keyed = {"Authorization": f"Bearer {admin_key}"}
        exact = requests.get(small + "/stats", params={"area": "350404", "groupBy": "sex"}, headers=keyed, timeout=120)
        assert exact.status_code == 200, exact.text
        main = http.get(base_url + "/stats", params={"area": "350404", "groupBy": "sex"}, timeout=120).json()
        assert exact.json()["population"] == main["population"]
        public = requests.get(small + "/stats", params={"area": "350404"}, timeout=60)
        assert public.status_code == 503 and public.headers.get("Retry-After"), public.text
        assert "memory budget" in public.text and "--memory-mb" in public.text
        assert requests.get(small + "/tiles/admin_areas/8/211/108.mvt", timeout=60).status_code == 200
    finally:
        p.terminate()
        p.wait(timeout=30)
