"""Hostile input: bad tile addresses, boxes, dates, GeoJSON, CQL2, SQL injection in every parameter,
path traversal, oversized bodies, bad keys. Each gets a 4xx with a message; nothing gets a 5xx; the
server and its data are intact afterwards."""
import json

import pytest

INJECT = "' OR 1=1; DROP TABLE buildings; --"
ADMIN = {"Authorization": "ADMIN"}  # replaced by the data center's key: bodies past the key check
DEEP = "[" * 100_000 + "]" * 100_000

# (method, path, query, body, headers)
CASES = [
    # tile addresses
    ("GET", "/tiles/buildings/-1/0/0", None, None, None),
    ("GET", "/tiles/buildings/25/0/0", None, None, None),
    ("GET", "/tiles/buildings/14/16384/0", None, None, None),
    ("GET", "/tiles/buildings/14/0/16384", None, None, None),
    ("GET", "/tiles/buildings/a/b/c", None, None, None),
    ("GET", "/tiles/buildings/14/1/1.png", None, None, None),
    ("GET", "/tiles/buildings/99999999999999999999/0/0", None, None, None),
    ("GET", "/tiles/buildings/1.5/0/0", None, None, None),
    ("GET", "/tiles/buildings/14/0x10/0", None, None, None),
    ("GET", "/tiles/buildings/14/ 1/0", None, None, None),
    ("GET", "/tiles/,/14/0/0", None, None, None),
    ("GET", "/tiles/buildings,/14/0/0", None, None, None),
    ("GET", "/tiles/nowhere/14/0/0", None, None, None),
    ("GET", "/tiles/population/14/0/0", None, None, None),
    ("GET", "/tiles/buildings/14/13545/6952.mvt", {"datetime": "yesterday"}, None, None),
    ("GET", "/tiles/buildings/14/13545/6952.mvt", {"zoom": "3"}, None, None),
    ("GET", "/collections/buildings/tiles/WebMercatorQuad/30/0/0", None, None, None),
    ("GET", "/collections/buildings/tiles/WebMercatorQuad/2/9/0", None, None, None),
    ("GET", "/collections/buildings/tiles/NoSuchTMS/2/0/0", None, None, None),
    ("GET", "/collections/buildings/tiles/CGCS2000Quad/0/0/0", None, None, None),
    ("GET", "/tileMatrixSets/../../etc/passwd", None, None, None),
    # boxes
    ("GET", "/collections/buildings/items", {"bbox": "1,2,3"}, None, None),
    ("GET", "/collections/buildings/items", {"bbox": "a,b,c,d"}, None, None),
    ("GET", "/collections/buildings/items", {"bbox": "118,27,117,26"}, None, None),
    ("GET", "/collections/buildings/items", {"bbox": "nan,26,118,27"}, None, None),
    ("GET", "/collections/buildings/items", {"bbox": "inf,26,118,27"}, None, None),
    ("GET", "/collections/buildings/items", {"bbox": "117,26,118,27", "bbox-crs": "EPSG:9999"}, None, None),
    ("GET", "/collections/buildings/items", {"bbox": INJECT}, None, None),
    ("GET", "/collections/buildings/items", {"bbox": "1e400,1,2,3"}, None, None),
    ("GET", "/changes", {"layer": "buildings", "from": "2020-01-01", "to": "2024-01-01", "bbox": "1,2"}, None, None),
    # dates
    ("GET", "/collections/buildings/items", {"datetime": "2024-13-01"}, None, None),
    ("GET", "/collections/buildings/items", {"datetime": "2024-02-30"}, None, None),
    ("GET", "/collections/buildings/items", {"datetime": "2024-06-01/2023-01-01"}, None, None),
    ("GET", "/collections/buildings/items", {"datetime": "../.."}, None, None),
    ("GET", "/collections/buildings/items", {"datetime": INJECT}, None, None),
    ("GET", "/stats", {"area": "350404", "datetime": "20240601"}, None, None),
    ("GET", "/stats/timeseries", {"area": "350404", "from": "2000-01-01", "to": "2024-01-01", "step": "month"}, None, None),
    ("GET", "/stats/timeseries", {"area": "350404", "from": "2024-01-01", "to": "2020-01-01"}, None, None),
    ("GET", "/areas/350404", {"datetime": "2024-06-01T25:00:00Z"}, None, None),
    ("GET", "/identify", {"lon": "117.6", "lat": "26.2", "datetime": "never"}, None, None),
    ("GET", "/changes", {"layer": "buildings", "from": "2024-01-01", "to": "2024-01-01"}, None, None),
    # numbers and paging
    ("GET", "/collections/buildings/items", {"limit": "-1"}, None, None),
    ("GET", "/collections/buildings/items", {"limit": "ten"}, None, None),
    ("GET", "/collections/buildings/items", {"offset": "-5"}, None, None),
    ("GET", "/collections/buildings/items", {"offset": INJECT}, None, None),
    ("GET", "/collections/buildings/items", {"limit": "99999999999999999999999"}, None, None),
    ("GET", "/collections/buildings/items", {"floors": "three"}, None, None),
    ("GET", "/collections/buildings/items", {"floors": INJECT}, None, None),
    ("GET", "/collections/buildings/items/abc", None, None, None),
    ("GET", "/collections/buildings/items/1;DROP TABLE buildings", None, None, None),
    ("GET", "/collections/buildings/nearest", {"lon": "117.6", "lat": "26.2", "k": "0"}, None, None),
    ("GET", "/collections/buildings/nearest", {"lon": "1e999", "lat": "26.2"}, None, None),
    ("GET", "/identify", {"lon": "200", "lat": "26.2"}, None, None),
    ("GET", "/identify", {"lon": "117.6"}, None, None),
    # CQL2
    ("GET", "/collections/buildings/items", {"filter": "floors >"}, None, None),
    ("GET", "/collections/buildings/items", {"filter": "S_CROSSES(geometry, POINT(1 2))"}, None, None),
    ("GET", "/collections/buildings/items", {"filter": "floors = 1 OR"}, None, None),
    ("GET", "/collections/buildings/items", {"filter": "floors = 1", "filter-lang": "cql2-json"}, None, None),
    ("GET", "/collections/buildings/items", {"filter": "nosuchfield = 1"}, None, None),
    ("GET", "/collections/buildings/items", {"filter": "(" * 5000 + "floors = 1" + ")" * 5000}, None, None),
    ("GET", "/collections/buildings/items", {"filter": "NOT " * 5000 + "floors = 1"}, None, None),
    ("GET", "/collections/buildings/items", {"filter": "floors=1 AND " * 5100 + "floors=1"}, None, None),
    ("GET", "/collections/buildings/items", {"filter": "use = 'x"}, None, None),
    ("GET", "/collections/buildings/items", {"filter": "floors = 1; DROP TABLE buildings"}, None, None),
    ("GET", "/collections/buildings/items", {"filter": "\"floors\\\" = 1"}, None, None),
    ("GET", "/collections/buildings/items", {"filter": "S_INTERSECTS(geometry, POLYGON((1 2, 3 4)))"}, None, None),
    ("GET", "/collections/buildings/items", {"filter": "T_INTERSECTS(built_date, '2020')"}, None, None),
    ("GET", "/collections/buildings/items", {"filter": "floors = 1", "filter-crs": "EPSG:1"}, None, None),
    ("GET", "/collections/buildings/items", {"sortby": INJECT}, None, None),
    ("GET", "/collections/buildings/items", {"sortby": "floors;DROP TABLE buildings"}, None, None),
    ("GET", "/collections/buildings/items", {"properties": INJECT}, None, None),
    ("GET", "/collections/buildings/items", {"crs": INJECT}, None, None),
    ("GET", "/collections/buildings/items", {"f": "xml"}, None, None),
    # SQL injection in names, codes and parameters
    ("GET", "/collections/" + "buildings'--" + "/items", None, None, None),
    ("GET", "/collections/buildings\" OR \"1\"=\"1/items", None, None, None),
    ("GET", "/tiles/buildings' OR '1'='1/14/0/0", None, None, None),
    ("GET", "/areas/350404' OR '1'='1", None, None, None),
    ("GET", "/areas/" + INJECT, None, None, None),
    ("GET", "/stats", {"area": INJECT}, None, None),
    ("GET", "/stats", {"area": "350404", "groupBy": INJECT}, None, None),
    ("GET", "/changes", {"layer": INJECT, "from": "2020-01-01", "to": "2024-01-01"}, None, None),
    ("GET", "/changes", {"layer": "buildings", "from": INJECT, "to": "2024-01-01"}, None, None),
    ("GET", "/changes", {"layer": "buildings", "from": "2020-01-01", "to": "2024-01-01", "limit": INJECT}, None, None),
    ("GET", "/stats/timeseries", {"area": INJECT, "from": "2020-01-01", "to": "2024-01-01"}, None, None),
    ("GET", "/audit", {"principal": INJECT}, None, None),
    ("GET", "/applications", {"status": INJECT}, None, None),
    ("GET", "/applications/" + "1 OR 1=1", None, None, None),
    ("GET", "/collections/buildings/items", {"grant": INJECT}, None, None),
    ("GET", "/collections/buildings/items", {"key": INJECT}, None, None),
    # path traversal
    ("GET", "/styles/../../Package.swift", None, None, None),
    ("GET", "/styles/..%2F..%2FPackage.swift", None, None, None),
    ("GET", "/styles/%2e%2e%2f%2e%2e%2fetc%2fpasswd.json", None, None, None),
    ("GET", "/styles/....//....//etc/passwd.json", None, None, None),
    ("GET", "/vendor/..%2F..%2FPackage.swift", None, None, None),
    ("GET", "/vendor/maplibre-gl.js%00.txt", None, None, None),
    ("GET", "/fonts/..%2F..%2Fetc/0-255.pbf", None, None, None),
    ("GET", "/fonts/Noto Sans CJK/../../../etc/passwd", None, None, None),
    ("GET", "/fonts/x/0-99999999.pbf", None, None, None),
    # malformed, enormous and hostile JSON bodies
    ("POST", "/stats", None, b"{", None),
    ("POST", "/stats", None, b"not json at all", None),
    ("POST", "/stats", None, b"", None),
    ("POST", "/stats", None, DEEP.encode(), None),
    ("POST", "/stats", None, json.dumps({"area": {"type": "Polygon", "coordinates": [[[117.6, 26.2]] * 200_001]}}).encode(), None),
    ("POST", "/stats", None, b'{"area": "' + b"9" * 9_000_000 + b'"}', None),
    ("POST", "/stats", None, json.dumps({"area": {"type": "Polygon", "coordinates": "nope"}}).encode(), None),
    ("POST", "/stats", None, json.dumps({"area": {"type": "Polygon", "coordinates": [[[1e400, 1], [2, 2], [3, 1], [1e400, 1]]]}}).replace("Infinity", "1e400").encode(), None),
    ("POST", "/stats", None, json.dumps({"area": {"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]}}).encode(), None),
    ("POST", "/stats", None, json.dumps({"area": {"type": "GeometryCollection", "geometries": []}}).encode(), None),
    ("POST", "/stats", None, json.dumps({"area": {"circle": {"center": [117.6, 26.2], "radius": 1e12}}}).encode(), None),
    ("POST", "/stats", None, json.dumps({"area": "350404", "groupBy": ["a"] * 100}).encode(), None),
    ("POST", "/stats", None, json.dumps({"area": 350404}).encode(), None),
    ("POST", "/stats", None, json.dumps({"area": None}).encode(), None),
    ("POST", "/applications", None, b"{", ADMIN),
    ("POST", "/applications", None, DEEP.encode(), ADMIN),
    ("POST", "/applications", None, b"[" + b"1," * 5_000_000 + b"1]", ADMIN),
    ("POST", "/applications/1/approve", None, b"{", ADMIN),
    ("POST", "/applications", None, json.dumps({"layer": "population"}).encode(), ADMIN),
    ("POST", "/applications", None, json.dumps({"layer": "population", "fields": "sex", "purpose": "人口分析", "validTo": "2099-01-01"}).encode(), ADMIN),
    ("POST", "/applications", None, json.dumps({"layer": "population", "fields": ["sex"], "purpose": "人口分析", "validTo": "2000-01-01"}).encode(), ADMIN),
    ("POST", "/applications", None, json.dumps({"layer": "population", "fields": ["sex"], "purpose": "x" * 3000, "validTo": "2099-01-01"}).encode(), ADMIN),
    ("POST", "/applications", None, json.dumps({"layer": INJECT, "fields": ["sex"], "purpose": "人口分析", "validTo": "2099-01-01"}).encode(), ADMIN),
    ("POST", "/applications", None, json.dumps({"layer": "population", "fields": [INJECT], "purpose": "人口分析", "validTo": "2099-01-01"}).encode(), ADMIN),
    ("POST", "/applications", None, json.dumps({"layer": "population", "fields": ["sex"], "purpose": "人口分析", "validTo": "2099-01-01", "area": INJECT}).encode(), ADMIN),
    ("POST", "/applications", None, json.dumps({"layer": "population", "fields": ["sex", "sex"], "purpose": "人口分析", "validTo": "2099-01-01"}).encode(), ADMIN),
    ("POST", "/applications", None, json.dumps({"layer": "population", "fields": ["sex"], "purpose": "人口分析", "validTo": "2099-01-01", "admin": True}).encode(), ADMIN),
    ("POST", "/applications/1/obliterate", None, None, ADMIN),
    # credentials
    ("GET", "/collections", None, None, {"Authorization": "Basic dXNlcjpwYXNz"}),
    ("GET", "/collections", None, None, {"Authorization": "Bearer"}),
    ("GET", "/collections", None, None, {"Authorization": "Bearer om_" + "z" * 40}),
    ("GET", "/collections", None, None, {"Authorization": "Bearer om_" + "0" * 40}),
    ("GET", "/collections", None, None, {"Authorization": "Bearer " + INJECT}),
    ("GET", "/collections", {"key": "om_" + "1" * 40}, None, None),
    ("GET", "/collections", {"grant": "-1"}, None, None),
    ("GET", "/collections/buildings/items", {"grant": "999999"}, None, None),
    ("GET", "/audit", None, None, None),
    ("GET", "/me", {"x": "1"}, None, None),
]


def test_there_are_at_least_100_hostile_requests():
    assert len(CASES) >= 100


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]} {c[1][:40]} {str(c[2])[:30]}" for c in CASES])
def test_hostile_request_gets_a_4xx_with_a_message(anon, base_url, admin_key, case):
    method, path, query, body, headers = case
    if headers is ADMIN:
        headers = {"Authorization": f"Bearer {admin_key}"}
    r = anon.request(method, base_url + path, params=query, data=body, headers=headers or {}, timeout=120)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    doc = r.json()
    assert doc.get("code") and doc.get("description"), doc
    # No internals: no stack traces, SQL or file system paths in what a caller reads.
    text = doc["description"]
    assert "Traceback" not in text and "/work/" not in text and "sqlite" not in text.lower(), text


def test_injection_into_text_values_is_only_a_value(http, base_url):
    """Property values are bound as parameters: an injection is a string that matches nothing."""
    before = http.get(f"{base_url}/collections/buildings/items", params={"limit": 1}).json()["numberMatched"]
    r = http.get(f"{base_url}/collections/buildings/items", params={"use": INJECT})
    assert r.status_code == 200 and r.json()["numberMatched"] == 0
    r = http.get(f"{base_url}/collections/buildings/items", params={"filter": f"use = '{INJECT.replace(chr(39), chr(39) * 2)}'"})
    assert r.status_code == 200 and r.json()["numberMatched"] == 0
    after = http.get(f"{base_url}/collections/buildings/items", params={"limit": 1}).json()["numberMatched"]
    assert before == after > 0


def test_the_server_is_healthy_after_the_hostile_suite(anon, base_url):
    assert anon.get(f"{base_url}/health").json()["status"] == "ok"
    r = anon.get(f"{base_url}/tiles/admin_areas/8/212/108.mvt")
    assert r.status_code == 200 and len(r.content) > 100


def test_security_headers_on_every_response(anon, base_url):
    for path in ["/", "/collections", "/tiles/admin_areas/8/212/108.mvt", "/nowhere", "/collections/population/items"]:
        r = anon.get(base_url + path)
        assert r.headers.get("X-Content-Type-Options") == "nosniff", path
        assert r.headers.get("Referrer-Policy") == "no-referrer", path


def test_cors_preflight_needs_no_key_and_allows_the_bearer_header(anon, base_url):
    r = anon.options(f"{base_url}/collections/buildings/items",
                     headers={"Origin": "https://gis.example.gov.cn", "Access-Control-Request-Method": "GET",
                              "Access-Control-Request-Headers": "authorization"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in r.headers["Access-Control-Allow-Headers"] and "PATCH" in r.headers["Access-Control-Allow-Methods"]
    t = anon.get(f"{base_url}/tiles/admin_areas/8/212/108.mvt", headers={"Origin": "https://gis.example.gov.cn"})
    assert t.headers["Access-Control-Allow-Origin"] == "*"
