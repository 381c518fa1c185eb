"""OGC API - Features (Parts 1 and 2) with real clients: GDAL's OAPIF driver, OWSLib, the OpenAPI
validator, and plain HTTP checks of paging, filters, CRSs and errors."""
import re
import subprocess

import pytest
from openapi_spec_validator import validate
from owslib.ogcapi.features import Features

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
CRS_CONF = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CENTRE = [117.55, 26.2, 117.7, 26.3]  # 三元区, dense


def items(http, base_url, layer, **params):
    r = http.get(f"{base_url}/collections/{layer}/items", params=params, timeout=60)
    assert r.status_code == 200, r.text
    return r


def positions(geometry):
    """Every position of a geometry, flattened."""
    c = geometry["coordinates"]
    if not isinstance(c[0], list):
        return [c]
    while isinstance(c[0][0], list):
        c = [p for part in c for p in part]
    return c


def test_landing_page_is_json_for_clients_and_the_viewer_for_browsers(http, base_url):
    doc = http.get(f"{base_url}/", timeout=10).json()
    rels = {l["rel"] for l in doc["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    page = http.get(f"{base_url}/", headers={"Accept": "text/html,application/xhtml+xml"}, timeout=10)
    assert page.headers["content-type"].startswith("text/html") and "maplibre" in page.text.lower()


def test_conformance_and_openapi_document_validates(http, base_url):
    conf = http.get(f"{base_url}/conformance", timeout=10).json()["conformsTo"]
    assert CORE in conf and GEOJSON in conf and CRS_CONF in conf
    r = http.get(f"{base_url}/api", timeout=10)
    assert r.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    spec = r.json()
    validate(spec)  # raises on an invalid OpenAPI 3.0 document
    assert "/collections/{collectionId}/items" in spec["paths"]
    # Every route the server has is described.
    routes = {"/", "/api", "/areas/{code}", "/changes", "/collections", "/collections/{collectionId}",
              "/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}",
              "/collections/{collectionId}/nearest", "/collections/{collectionId}/queryables", "/collections/{collectionId}/schema",
              "/collections/{collectionId}/tiles",
              "/collections/{collectionId}/tiles/{tileMatrixSetId}",
              "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}", "/conformance",
              "/fonts/{fontstack}/{range}", "/health", "/ready", "/identify", "/stats", "/stats/timeseries", "/styles/{name}",
              "/tileMatrixSets", "/tileMatrixSets/{tileMatrixSetId}", "/tiles", "/tiles/{layers}", "/tiles/{layers}/{z}/{x}/{y}",
              "/vendor/{file}", "/viewer/{file}", "/me", "/catalog", "/applications", "/applications/{applicationId}",
              "/applications/{applicationId}/{decision}", "/audit", "/collections/{collectionId}/export", "/stats/export", "/stats/timeseries/export",
              "/render", "/reports/area"}
    assert routes <= set(spec["paths"]), routes - set(spec["paths"])
    assert "post" in spec["paths"]["/stats"]
    assert {"put", "patch", "delete"} <= set(spec["paths"]["/collections/{collectionId}/items/{featureId}"])
    assert "post" in spec["paths"]["/collections/{collectionId}/items"] and "post" in spec["paths"]["/applications"]


def test_collections_are_the_spatial_layers_never_the_person_records(http, base_url):
    doc = http.get(f"{base_url}/collections", timeout=10).json()
    ids = {c["id"] for c in doc["collections"]}
    assert {"admin_areas", "buildings"} <= ids
    assert not ids & {"population", "businesses"}
    b = http.get(f"{base_url}/collections/buildings", timeout=10).json()
    assert b["storageCrs"] == EPSG + "4490" and EPSG + "4548" in b["crs"]
    assert len(b["extent"]["spatial"]["bbox"][0]) == 4


def test_paging_by_next_links_returns_every_match_once(http, base_url):
    bbox = ",".join(map(str, CENTRE))
    first = items(http, base_url, "buildings", bbox=bbox, limit=200).json()
    total = first["numberMatched"]
    assert total > 400, "the test needs several pages"
    seen, doc, pages = [], first, 0
    while True:
        pages += 1
        assert doc["numberReturned"] == len(doc["features"]) <= 200
        assert doc["numberMatched"] == total
        seen += [f["id"] for f in doc["features"]]
        links = {l["rel"]: l["href"] for l in doc["links"]}
        if pages > 1:
            assert "prev" in links
        if "next" not in links:
            break
        doc = http.get(links["next"], timeout=60).json()
    assert len(seen) == len(set(seen)) == total
    # Every feature's envelope meets the box.
    for f in first["features"]:
        xs, ys = zip(*positions(f["geometry"]))
        assert min(xs) <= CENTRE[2] and max(xs) >= CENTRE[0] and min(ys) <= CENTRE[3] and max(ys) >= CENTRE[1]


def test_property_filter_and_its_exact_count(http, base_url):
    bbox = ",".join(map(str, CENTRE))
    every = items(http, base_url, "buildings", bbox=bbox, limit=10000).json()
    expected = sum(1 for f in every["features"] if f["properties"]["use"] == "commercial")
    doc = items(http, base_url, "buildings", bbox=bbox, use="commercial", limit=10000).json()
    assert doc["numberMatched"] == expected == len(doc["features"]) > 0
    assert all(f["properties"]["use"] == "commercial" for f in doc["features"])
    none = items(http, base_url, "buildings", bbox=bbox, use="no-such-use").json()
    assert none["numberMatched"] == 0 and none["features"] == []


def test_datetime_shows_the_counties_of_each_year(http, base_url):
    def counties(day):
        doc = items(http, base_url, "admin_areas", level="county", datetime=day, limit=100).json()
        return {f["properties"]["code"]: f["properties"]["name"] for f in doc["features"]}
    before, after = counties("2020-06-01"), counties("2022-06-01T08:00:00Z")
    assert before.get("350402") == "梅列区" and "350404" not in before
    assert after.get("350404") == "三元区" and "350402" not in after


def test_output_crs_and_bbox_crs_follow_the_axis_order_of_the_crs(http, base_url):
    plain = items(http, base_url, "buildings", bbox="117.6,26.25,117.61,26.26", limit=5).json()
    assert plain["features"]
    lon, lat = positions(plain["features"][0]["geometry"])[0]
    # EPSG:4490 is latitude first, for the box and for the answer.
    r = items(http, base_url, "buildings", bbox="26.25,117.6,26.26,117.61", **{"bbox-crs": EPSG + "4490"},
              crs=EPSG + "4490", limit=5)
    assert r.headers["Content-Crs"] == f"<{EPSG}4490>"
    doc = r.json()
    assert [f["id"] for f in doc["features"]] == [f["id"] for f in plain["features"]]
    assert positions(doc["features"][0]["geometry"])[0] == [lat, lon]
    # EPSG:4548 (CGCS2000 / Gauss-Kruger 117E) is northing, easting in metres.
    gk = items(http, base_url, "buildings", bbox="117.6,26.25,117.61,26.26", crs=EPSG + "4548", limit=5).json()
    north, east = positions(gk["features"][0]["geometry"])[0]
    assert 2_850_000 < north < 3_000_000 and 400_000 < east < 600_000


def test_single_feature_and_its_errors(http, base_url):
    first = items(http, base_url, "buildings", limit=1).json()["features"][0]
    one = http.get(f"{base_url}/collections/buildings/items/{first['id']}", timeout=10)
    assert one.status_code == 200 and one.headers["content-type"] == "application/geo+json"
    assert one.json()["properties"]["entity_code"] == first["properties"]["entity_code"]
    for path, status, words in [
        ("/collections/buildings/items/999999999", 404, "no feature 999999999"),
        ("/collections/buildings/items/abc", 404, "feature ids are numbers"),
        ("/collections/nowhere/items", 404, "no feature collection 'nowhere'"),
        ("/collections/population/items", 404, "no feature collection 'population'"),
        ("/collections/buildings/items?colour=red", 400, "unknown query parameter 'colour'"),
        ("/collections/buildings/items?limit=0", 400, "limit '0'"),
        ("/collections/buildings/items?bbox=1,2,3", 400, "bbox '1,2,3'"),
        ("/collections/buildings/items?bbox=117.7,26,117.6,27", 400, "antimeridian"),
        ("/collections/buildings/items?crs=EPSG:2000", 400, "crs 'EPSG:2000' is not offered"),
        ("/collections/buildings/items?datetime=yesterday", 400, "datetime 'yesterday'"),
        ("/collections/buildings/items?floors=six", 400, "'six' is not"),
        ("/conformance?x=1", 400, "unknown query parameter 'x'"),
    ]:
        r = http.get(base_url + path, timeout=10)
        assert r.status_code == status, (path, r.status_code, r.text)
        assert words in r.json()["description"], (path, r.text)


def test_owslib_reads_the_collections(base_url):
    api = Features(base_url)
    assert "buildings" in api.feature_collections()
    page = api.collection_items("buildings", bbox=CENTRE, limit=7)
    assert page["type"] == "FeatureCollection" and len(page["features"]) == 7
    item = api.collection_item("buildings", str(page["features"][0]["id"]))
    assert item["id"] == page["features"][0]["id"]


def ogr(*args):
    out = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_gdal_lists_the_collections_and_reads_a_box(http, base_url):
    listing = ogr(f"OAPIF:{base_url}")
    assert re.search(r"\d+: buildings \(title: .*\) \(Polygon\)", listing), listing
    box = ["117.6", "26.25", "117.62", "26.27"]
    expected = items(http, base_url, "buildings", bbox=",".join(box), limit=1).json()["numberMatched"]
    assert expected > 0
    read = ogr("-spat", *box, f"OAPIF:{base_url}", "buildings")
    assert len(re.findall(r"^OGRFeature\(buildings\):", read, re.M)) == expected
    assert "entity_code (String) = B" in read


def test_cql2_filters_agree_with_property_filters_and_boxes(http, base_url):
    bbox = ",".join(map(str, CENTRE))
    by_props = items(http, base_url, "buildings", bbox=bbox, use="commercial", limit=10000).json()
    # requests sends spaces as '+': the server reads them as spaces, as HTML forms mean them.
    cql = items(http, base_url, "buildings", limit=10000,
                filter=f"use = 'commercial' AND S_INTERSECTS(geometry, BBOX({bbox}))").json()
    assert cql["numberMatched"] == by_props["numberMatched"] > 0
    assert sorted(f["id"] for f in cql["features"]) == sorted(f["id"] for f in by_props["features"])
    tall = items(http, base_url, "buildings", bbox=bbox, limit=10000, filter="floors BETWEEN 10 AND 20 OR use IN ('public')").json()
    assert tall["features"] and all(10 <= f["properties"]["floors"] <= 20 or f["properties"]["use"] == "public" for f in tall["features"])
    recent = items(http, base_url, "buildings", bbox=bbox, limit=10000,
                   filter="T_INTERSECTS(built_date, INTERVAL('2010-01-01','2012-12-31'))").json()
    assert recent["features"] and all("2010-01-01" <= f["properties"]["built_date"] <= "2012-12-31" for f in recent["features"])
    q = http.get(f"{base_url}/collections/buildings/queryables", timeout=10)
    assert q.headers["content-type"].startswith("application/schema+json") and "floors" in q.json()["properties"]
    for bad, words in [("floors >", "at the end"), ("colour = 'red'", "no property 'colour'"), ("S_CROSSES(geometry, POINT(1 2))", "not supported"),
                       # A literal of another kind is refused, as ?floors=abc is (it would match nothing).
                       ("floors = 'abc'", "property 'floors' is an integer"), ("use = 3", "property 'use' is text"),
                       ("floors BETWEEN 'a' AND 'b'", "is an integer"), ("use IN ('public', 2)", "is text")]:
        r = http.get(f"{base_url}/collections/buildings/items", params={"filter": bad}, timeout=10)
        assert r.status_code == 400 and words in r.json()["description"], r.text
    r = http.get(f"{base_url}/collections/buildings/items", params={"filter": "floors > 1", "filter-lang": "cql2-json"}, timeout=10)
    assert r.status_code == 400 and "cql2-text" in r.json()["description"]


def test_gdal_where_clauses_work_against_the_server(base_url):
    out = ogr("-where", "floors >= 12 AND use = 'residential'", "-spat", "117.6", "26.25", "117.62", "26.27", f"OAPIF:{base_url}", "buildings")
    floors = [int(m) for m in re.findall(r"floors \(Integer\) = (\d+)", out)]
    assert floors and min(floors) >= 12


def test_sortby_and_properties(http, base_url):
    bbox = ",".join(map(str, CENTRE))
    doc = items(http, base_url, "buildings", bbox=bbox, sortby="-floors,entity_code", properties="entity_code,floors", limit=50).json()
    floors = [f["properties"]["floors"] for f in doc["features"]]
    assert floors == sorted(floors, reverse=True) and len(floors) == 50
    assert all(set(f["properties"]) == {"entity_code", "floors"} for f in doc["features"])
    nxt = next(l["href"] for l in doc["links"] if l["rel"] == "next")
    assert "sortby=" in nxt and "properties=" in nxt
    page2 = http.get(nxt, timeout=30).json()
    assert page2["features"][0]["properties"]["floors"] <= floors[-1]
    r = http.get(f"{base_url}/collections/buildings/items", params={"sortby": "height"}, timeout=10)
    assert r.status_code == 400 and "no property 'height'" in r.json()["description"]


def test_html_pages_for_a_browser(http, base_url):
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    for path, words in [("/collections", "buildings"), ("/collections/buildings", "entity_code"), ("/conformance", "conf/html"),
                        ("/collections/buildings/items?limit=5&bbox=117.55,26.2,117.7,26.3", "maplibregl.Map")]:
        r = http.get(base_url + path, headers=browser, timeout=30)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), (path, r.text[:200])
        assert words in r.text, path
    page = http.get(f"{base_url}/collections/buildings/items", params={"f": "html", "limit": 5}, timeout=30).text
    assert page.count("<tr>") == 6 and "f=html" in page and "offset=5" in page
    fid = items(http, base_url, "buildings", limit=1).json()["features"][0]["id"]
    one = http.get(f"{base_url}/collections/buildings/items/{fid}", params={"f": "html"}, timeout=30)
    assert one.status_code == 200 and "entity_code" in one.text
    # A client that merely accepts HTML among others still gets JSON.
    assert http.get(f"{base_url}/collections", headers={"Accept": "application/json, text/html"}, timeout=10).json()["collections"]


def test_bbox_selects_the_features_whose_geometry_meets_the_box(http, base_url):
    # Part 1: a feature is in a bbox's answer when its geometry intersects the box, not merely its
    # envelope. Near this box 明溪县's envelope reaches it, its land lies ~500 m away.
    from shapely.geometry import box, shape
    b = (117.501935, 26.297098, 117.521935, 26.317098)
    params = {"bbox": ",".join(map(str, b)), "limit": 100}
    doc = http.get(f"{base_url}/collections/admin_areas/items", params=params, timeout=30).json()
    names = [f["properties"]["name"] for f in doc["features"]]
    assert names and "明溪县" not in names, names
    assert all(shape(f["geometry"]).intersects(box(*b)) for f in doc["features"]), names
    assert doc["numberMatched"] == len(doc["features"])
    # A box around 明溪县's seat does find it: the test is not simply stricter.
    near = http.get(f"{base_url}/collections/admin_areas/items", params={"bbox": "117.19,26.35,117.21,26.37", "limit": 100}, timeout=30).json()
    assert "明溪县" in [f["properties"]["name"] for f in near["features"]]
    # Exports select the same features.
    csv = http.get(f"{base_url}/collections/admin_areas/export", params={**params, "format": "csv"}, timeout=60)
    assert csv.status_code == 200, csv.text
    assert len(csv.text.strip().splitlines()) - 1 == len(names)


def test_a_collections_schema_types_every_property_it_returns_and_names_the_roles(http, anon, base_url):
    import jsonschema
    for session, layer in ((http, "buildings"), (http, "admin_areas"), (anon, "buildings")):
        c = session.get(f"{base_url}/collections/{layer}", timeout=10).json()
        link = next(l for l in c["links"] if l["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/schema")
        r = session.get(link["href"], timeout=10)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/schema+json")
        schema = r.json()
        props = schema["properties"]
        assert props["geometry"]["x-ogc-role"] == "primary-geometry" and props["geometry"]["format"].startswith("geometry-")
        assert [k for k, v in props.items() if v.get("x-ogc-role") == "id"] == [next(iter(session.get(f"{base_url}/collections/{layer}/items", params={"limit": 1}, timeout=10).json()["features"][0]["properties"]))]
        if layer == "admin_areas":
            # Valid time: a date column that is null in every current version is still a date.
            assert props["valid_from"]["x-ogc-role"] == "primary-interval-start" and props["valid_to"]["x-ogc-role"] == "primary-interval-end"
            assert props["valid_to"]["type"] == "string" and props["valid_to"]["format"] == "date"
        # Exactly the properties the items carry for this caller, each of its type (or null).
        page = session.get(f"{base_url}/collections/{layer}/items", params={"limit": 200}, timeout=30).json()["features"]
        names = {k for f in page for k in f["properties"]}
        assert names == set(props) - {"geometry"}, (layer, names ^ (set(props) - {"geometry"}))
        nullable = {"type": "object", "properties": {k: {"anyOf": [{"type": "null"}, {k2: v2 for k2, v2 in v.items() if k2 == "type"}]}
                                                         for k, v in props.items() if k != "geometry"}}
        for f in page:
            jsonschema.validate(f["properties"], nullable)
    # The public does not see resident counts: its schema does not have them.
    assert "population" not in anon.get(f"{base_url}/collections/buildings/schema", timeout=10).json()["properties"]
    assert "population" in http.get(f"{base_url}/collections/buildings/schema", timeout=10).json()["properties"]


def test_a_key_given_as_a_query_parameter_rides_in_every_link_to_the_next_page(admin_key, base_url):
    import requests
    s = requests.Session()  # no header: the key only as ?key=, as QGIS sends it
    landing = s.get(f"{base_url}/", params={"key": admin_key}, timeout=10).json()
    data = next(l["href"] for l in landing["links"] if l["rel"] == "data")
    assert f"key={admin_key}" in data
    collections = s.get(data, timeout=10).json()
    buildings = next(c for c in collections["collections"] if c["id"] == "buildings")
    items = next(l["href"] for l in buildings["links"] if l["rel"] == "items")
    assert f"key={admin_key}" in items
    page = s.get(items, params={"limit": 5}, timeout=10).json()
    nxt = next(l["href"] for l in page["links"] if l["rel"] == "next")
    assert f"key={admin_key}" in nxt
    second = s.get(nxt, timeout=10).json()
    # Page 2 is the administrator's: resident counts (internal) are there.
    assert second["features"] and all("population" in f["properties"] for f in second["features"])
    # Without a key, no key in the links.
    assert "key=" not in str(requests.get(f"{base_url}/collections", timeout=10).json())
