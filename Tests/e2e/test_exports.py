"""Exports on the real server: every feature of a query as CSV (UTF-8 with BOM), XLSX, GeoJSON and
GeoPackage, and /stats as CSV, XLSX and JSON. The numbers equal /items and /stats for the same
request; LibreOffice reads the workbooks back, GDAL the GeoPackages; personal fields stay masked."""
import csv
import glob
import io
import json
import os
import re
import socket
import subprocess
import time

import pytest
import requests

BOX = "117.6,26.2,117.7,26.3"


def cli(*args):
    r = subprocess.run([os.environ["ONEMAP_BIN"], *args, "--db", os.environ["ONEMAP_DB"]], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"onemap {' '.join(args)} failed: {r.stderr}"
    return r.stdout


def read_csv(data):
    assert data[:3] == b"\xef\xbb\xbf", "CSV starts with a UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def xlsx_to_csv(path, out_dir):
    """LibreOffice (headless) turns every sheet of the workbook into its own CSV."""
    target = os.path.join(out_dir, "lo-" + os.path.basename(path).replace(".", "-"))
    os.makedirs(target, exist_ok=True)
    for f in glob.glob(os.path.join(target, "*.csv")):
        os.remove(f)
    r = subprocess.run(["soffice", f"-env:UserInstallation=file://{os.path.abspath(target)}/profile", "--headless", "--convert-to",
                        "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", "--outdir", target, path],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    sheets = {}
    stem = os.path.splitext(os.path.basename(path))[0]
    for f in glob.glob(os.path.join(target, "*.csv")):
        name = os.path.basename(f)[len(stem) + 1:-4]
        with open(f, encoding="utf-8") as fh:
            sheets[name] = list(csv.reader(fh))
    # A one-sheet workbook is written as stem.csv.
    if not sheets:
        raise AssertionError(f"LibreOffice wrote nothing: {r.stdout} {r.stderr}")
    return sheets


@pytest.fixture(scope="module")
def items(http, base_url):
    r = http.get(f"{base_url}/collections/buildings/items", params={"bbox": BOX, "limit": 10000}, timeout=60)
    assert r.status_code == 200
    doc = r.json()
    assert 100 < doc["numberMatched"] <= 10000
    return {f["id"]: f for f in doc["features"]}


def test_csv_export_holds_every_matching_feature_with_its_values_and_wkt(http, base_url, items):
    r = http.get(f"{base_url}/collections/buildings/export", params={"bbox": BOX, "format": "csv"}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/csv") and "attachment" in r.headers["Content-Disposition"]
    assert r.headers["Cache-Control"] == "private, no-store"
    rows = read_csv(r.content)
    assert len(rows) == len(items)
    for row in rows:
        f = items[int(row["id"])]
        assert row["entity_code"] == f["properties"]["entity_code"] and int(row["population"]) == f["properties"]["population"]
        assert row["wkt"].startswith("POLYGON ((117.") or row["wkt"].startswith("MULTIPOLYGON")
    # lon/lat columns instead of WKT, in Gauss-Kruger: easting and northing.
    r = http.get(f"{base_url}/collections/buildings/export", params={"bbox": BOX, "format": "csv", "geometry": "point",
                                                                       "crs": "http://www.opengis.net/def/crs/EPSG/0/4548", "properties": "entity_code"}, timeout=60)
    rows = read_csv(r.content)
    assert list(rows[0].keys()) == ["id", "entity_code", "easting", "northing"]
    assert all(550_000 < float(x["easting"]) < 580_000 and 2_890_000 < float(x["northing"]) < 2_920_000 for x in rows)


def test_xlsx_export_reads_back_through_libreoffice_with_the_same_values(http, base_url, items, out_dir):
    r = http.get(f"{base_url}/collections/buildings/export", params={"bbox": BOX, "format": "xlsx"}, timeout=60)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    path = os.path.join(out_dir, "buildings.xlsx")
    with open(path, "wb") as fh:
        fh.write(r.content)
    sheets = xlsx_to_csv(path, out_dir)
    rows = next(iter(sheets.values()))
    header = rows[0]
    assert header[:3] == ["id", "entity_code", "floors"] and header[-2:] == ["lon", "lat"]
    assert len(rows) - 1 == len(items)
    for row in rows[1:]:
        values = dict(zip(header, row))
        f = items[int(values["id"])]
        assert values["entity_code"] == f["properties"]["entity_code"]
        assert int(values["floors"]) == f["properties"]["floors"] and int(values["population"]) == f["properties"]["population"]
        assert 117.59 < float(values["lon"]) < 117.71 and 26.19 < float(values["lat"]) < 26.31


def test_geopackage_export_opens_in_gdal_with_its_crs_and_count(http, base_url, items, out_dir):
    for crs, epsg in [(None, "4326"), ("http://www.opengis.net/def/crs/EPSG/0/4490", "4490"), ("http://www.opengis.net/def/crs/EPSG/0/4548", "4548")]:
        params = {"bbox": BOX, "format": "gpkg"}
        if crs:
            params["crs"] = crs
        r = http.get(f"{base_url}/collections/buildings/export", params=params, timeout=60)
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/geopackage+sqlite3"
        path = os.path.join(out_dir, f"buildings-{epsg}.gpkg")
        with open(path, "wb") as fh:
            fh.write(r.content)
        info = subprocess.run(["ogrinfo", "-ro", "-so", "-al", path], capture_output=True, text=True, timeout=60)
        assert info.returncode == 0, info.stderr
        assert f"Feature Count: {len(items)}" in info.stdout
        assert re.search(rf'ID\["EPSG",{epsg}\]\]\s*$', info.stdout.split("Data axis")[0].strip()), info.stdout
        # GDAL's own validator of the GeoPackage structure is in the Python bindings; ogrinfo's SQL checks the essentials.
        sql = subprocess.run(["ogrinfo", "-ro", path, "-sql", "SELECT srs_id FROM gpkg_contents"], capture_output=True, text=True).stdout
        assert re.search(rf"srs_id \(Integer(64)?\) = {epsg}\b", sql), sql
    # The spatial index: GDAL finds it and its box filter agrees with /items; GDAL's edits keep it current.
    path = os.path.join(out_dir, "buildings-4326.gpkg")
    has = subprocess.run(["ogrinfo", "-ro", path, "-sql", "SELECT HasSpatialIndex('buildings', 'geom')"], capture_output=True, text=True).stdout
    assert "HasSpatialIndex (Integer) = 1" in has, has
    small = {f["id"] for f in http.get(f"{base_url}/collections/buildings/items", params={"bbox": "117.62,26.22,117.66,26.27", "limit": 10000}).json()["features"]}
    # Features GDAL returns through its spatial filter (tested exactly, with GEOS), as /items selects
    # them; its summary count comes from the R*Tree alone (envelopes), so it may count more.
    spat = subprocess.run(["ogrinfo", "-ro", "-al", "-spat", "117.62", "26.22", "117.66", "26.27", path], capture_output=True, text=True).stdout
    assert spat.count("\nOGRFeature(") == len(small), spat[-2000:]
    edited = os.path.join(out_dir, "buildings-edited.gpkg")
    with open(path, "rb") as src, open(edited, "wb") as dst:
        dst.write(src.read())
    gone = min(items)
    subprocess.run(["ogrinfo", edited, "-sql", f"DELETE FROM buildings WHERE fid = {gone}"], capture_output=True, text=True, check=True)
    left = subprocess.run(["ogrinfo", "-ro", edited, "-sql", f"SELECT count(*) AS n FROM rtree_buildings_geom WHERE id = {gone}"],
                          capture_output=True, text=True).stdout
    assert "n (Integer) = 0" in left or "n (Integer64) = 0" in left, left
    # Feature values: the first feature read by GDAL equals /items.
    js = subprocess.run(["ogr2ogr", "-f", "GeoJSON", "-preserve_fid", "/vsistdout/", os.path.join(out_dir, "buildings-4326.gpkg")],
                        capture_output=True, text=True).stdout
    features = json.loads(js)["features"]
    assert len(features) == len(items)
    for f in features:
        assert f["properties"]["entity_code"] == items[f["id"]]["properties"]["entity_code"]
        assert f["properties"]["population"] == items[f["id"]]["properties"]["population"]


def test_geojson_export_equals_the_items(http, base_url, items):
    r = http.get(f"{base_url}/collections/buildings/export", params={"bbox": BOX, "format": "geojson"}, timeout=60)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/geo+json"
    doc = r.json()
    assert doc["numberReturned"] == len(doc["features"]) == len(items)
    for f in doc["features"]:
        assert f == {k: items[f["id"]][k] for k in ("type", "id", "geometry", "properties")}


def test_exports_follow_the_callers_view(http, anon, base_url, items):
    # Anonymous callers see buildings without their residents (an internal field).
    rows = read_csv(anon.get(f"{base_url}/collections/buildings/export", params={"bbox": BOX, "format": "csv"}, timeout=60).content)
    assert len(rows) == len(items) and "population" not in rows[0] and "businesses" not in rows[0]
    # A filter on a field the caller cannot see is refused, as on /items.
    r = anon.get(f"{base_url}/collections/buildings/export", params={"format": "csv", "filter": "population > 3"})
    assert r.status_code == 400 and "population" in r.json()["description"]


@pytest.fixture(scope="module")
def shops(http, base_url, out_dir):
    """An unconditional layer with a personal field: other departments get it masked."""
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [117.62 + i * 0.001, 26.26]},
                 "properties": {"code": f"S{i}", "phone": f"1381234{i:04d}"}} for i in range(5)]
    path = os.path.join(out_dir, "export_shops.geojson")
    with open(path, "w") as fh:
        json.dump({"type": "FeatureCollection", "features": features}, fh)
    key = re.search(r"(om_[0-9a-f]{40})", cli("dept", "add", "SMSW", "三明市商务局")).group(1)
    other = re.search(r"(om_[0-9a-f]{40})", cli("dept", "add", "SMTJ", "三明市统计局")).group(1)
    cli("import", path, "--layer", "export_shops", "--owner", "SMSW", "--share-class", "unconditional", "--key", "code")
    cli("layer", "classify", "export_shops", "--field", "phone=personal")
    time.sleep(1.2)  # keys and the catalog are cached for a second
    return key, other


def test_personal_fields_are_masked_in_every_format_for_others(base_url, shops, out_dir):
    owner, other = (requests.Session() for _ in range(2))
    owner.headers["Authorization"], other.headers["Authorization"] = f"Bearer {shops[0]}", f"Bearer {shops[1]}"
    r = owner.get(f"{base_url}/collections/export_shops/export", params={"format": "csv"})
    assert r.status_code == 200, r.text
    mine = read_csv(r.content)
    assert sorted(r["phone"] for r in mine) == [f"1381234{i:04d}" for i in range(5)]
    for fmt in ["csv", "xlsx", "geojson", "gpkg"]:
        r = other.get(f"{base_url}/collections/export_shops/export", params={"format": fmt})
        assert r.status_code == 200, r.text
        assert b"13812340001" not in r.content and "1381234" not in r.content.decode("latin-1")
    theirs = read_csv(other.get(f"{base_url}/collections/export_shops/export", params={"format": "csv"}).content)
    assert sorted(r["phone"] for r in theirs) == [f"138****{i:04d}" for i in range(5)]
    assert requests.get(f"{base_url}/collections/export_shops/export", params={"format": "csv"}).status_code == 401


@pytest.mark.parametrize("group_by", [None, "township,sex"])
def test_statistics_exports_equal_stats(http, anon, base_url, out_dir, group_by):
    for session, who in [(http, "admin"), (anon, "anon")]:
        params = {"area": "350404", "datetime": "2024-06-01"}
        if group_by:
            params["groupBy"] = group_by
        stats = session.get(f"{base_url}/stats", params=params, timeout=60).json()
        as_json = session.get(f"{base_url}/stats/export", params={**params, "format": "json"}, timeout=60)
        assert as_json.status_code == 200 and as_json.json() == stats
        rows = read_csv(session.get(f"{base_url}/stats/export", params={**params, "format": "csv"}, timeout=60).content)
        value = {(r["table"], r["key"]): r["value"] for r in rows}

        def same(shown, text):
            return text == ("" if shown is None else str(shown))
        assert same(stats["population"]["total"], value[("概要 summary", "population")])
        assert same(stats["buildings"]["floorArea"], value[("概要 summary", "floorArea")])
        for k, n in stats["population"]["byAgeBand"].items():
            assert same(n, value[("年龄 age band", k)])
        for k, n in stats["businesses"]["byIndustry"].items():
            assert same(n, value[("行业 industry", k)])
        for k, n in stats["buildings"]["byUse"].items():
            assert same(n, value[("建筑用途 use", k)])
        if group_by:
            for g in stats["groups"]["population"]:
                assert same(g["people"], value[("分组 人口 groups people people", f"township={g['township']};sex={g['sex']}")])
            if who == "anon" and any(g["people"] == "<5" for g in stats["groups"]["population"]):
                assert any(r["value"] == "<5" for r in rows)
        # The workbook: LibreOffice reads the same figures.
        r = session.get(f"{base_url}/stats/export", params={**params, "format": "xlsx"}, timeout=60)
        path = os.path.join(out_dir, f"stats-{who}-{bool(group_by)}.xlsx")
        with open(path, "wb") as fh:
            fh.write(r.content)
        sheets = xlsx_to_csv(path, out_dir)
        summary = {row[1]: row[2] for row in sheets["概要 summary"][1:]}
        assert same(stats["population"]["total"], summary["population"]) and same(stats["businesses"]["count"], summary["businesses"])
        sexes = {row[1]: row[2] for row in sheets["性别 sex"][1:]}
        assert all(same(n, sexes[k]) for k, n in stats["population"]["bySex"].items())
        assert any("350404" in " ".join(row) for row in sheets["说明 about"])


def test_a_timeseries_export_equals_the_series(http, base_url, out_dir):
    params = {"area": "350402", "from": "2018-01-01", "to": "2023-01-01"}
    series = http.get(f"{base_url}/stats/timeseries", params=params, timeout=120).json()["series"]
    rows = read_csv(http.get(f"{base_url}/stats/timeseries/export", params={**params, "format": "csv"}, timeout=120).content)
    assert [r["日期 datetime"] for r in rows] == [p["datetime"] for p in series]
    for r, p in zip(rows, series):
        assert r["exists"] == ("1" if p["exists"] else "0")
        for k in ["population", "households", "businesses", "employees", "buildings"]:
            assert r[k] == ("" if not p["exists"] or p.get(k) is None else str(p[k])), (k, r, p)
    assert any(not p["exists"] for p in series) and any(p["exists"] for p in series)  # 梅列区 ended in 2021
    path = os.path.join(out_dir, "timeseries.xlsx")
    with open(path, "wb") as fh:
        fh.write(http.get(f"{base_url}/stats/timeseries/export", params={**params, "format": "xlsx"}, timeout=120).content)
    sheet = next(iter(xlsx_to_csv(path, out_dir).values()))
    assert [row[2] for row in sheet[1:]] == [r["population"] for r in rows]


@pytest.mark.parametrize("path,status,words", [
    ("/collections/buildings/export", 400, "'format' is required"),
    ("/collections/buildings/export?format=shp", 400, "format 'shp' is not offered"),
    ("/collections/buildings/export?format=csv&offset=10", 400, "'offset' does not apply"),
    ("/collections/buildings/export?format=gpkg&geometry=wkt", 400, "applies to csv and xlsx"),
    ("/collections/buildings/export?format=csv&geometry=svg", 400, "geometry 'svg'"),
    ("/collections/roads/export?format=csv", 404, "no feature collection 'roads'"),
    ("/stats/export?area=350404", 400, "'format' is required"),
    ("/stats/export?area=350404&format=gpkg", 400, "not offered for statistics"),
    ("/stats/export?area=350499&format=csv", 404, "no administrative area '350499'"),
    ("/stats/timeseries/export?area=350404&from=2020-01-01&to=2021-01-01", 400, "'format' is required"),
    ("/stats/timeseries/export?area=350404&from=2020-01-01&to=2021-01-01&format=csv&colour=red", 400, "unknown query parameter 'colour'"),
])
def test_export_errors_name_the_problem(http, base_url, path, status, words):
    r = http.get(base_url + path, timeout=30)
    assert r.status_code == status, r.text
    assert words in r.json()["description"]


def test_cli_exports_write_whole_files_and_are_audited(http, base_url, out_dir, items):
    out = os.path.join(out_dir, "cli-buildings.gpkg")
    line = cli("export", "features", "buildings", "--out", out, "--query", f"bbox={BOX}", "--department", "SMDSJ")
    assert f"exported {len(items)} features" in line and not os.path.exists(out + ".part")
    info = subprocess.run(["ogrinfo", "-ro", "-so", "-al", out], capture_output=True, text=True).stdout
    assert f"Feature Count: {len(items)}" in info
    stats_out = os.path.join(out_dir, "cli-stats.csv")
    cli("export", "stats", "--area", "350404", "--datetime", "2024-06-01", "--out", stats_out)
    with open(stats_out, "rb") as fh:
        rows = read_csv(fh.read())
    stats = requests.get(f"{base_url}/stats", params={"area": "350404", "datetime": "2024-06-01"}).json()
    assert {r["key"]: r["value"] for r in rows if r["table"] == "概要 summary"}["population"] == str(stats["population"]["total"])
    audit = http.get(f"{base_url}/audit", params={"action": "export", "limit": 10000}).json()
    endpoints = {e["endpoint"] for e in audit["records"]}
    assert {"onemap export features", "onemap export stats", "GET /collections/{id}/export", "GET /stats/export"} <= endpoints
    bad = subprocess.run([os.environ["ONEMAP_BIN"], "export", "features", "buildings", "--out", os.path.join(out_dir, "x.shp"), "--db", os.environ["ONEMAP_DB"]],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "format 'shp' is not offered" in bad.stderr


def export_lane(http, base_url):
    return http.get(f"{base_url}/health").json()["exportLane"]["inLane"]


def test_a_whole_layer_export_streams_and_a_client_that_goes_away_stops_it(http, base_url):
    """The export starts sending at once (chunked, no length) and is made while it is read: a
    client that stops reading holds it back, and one that disconnects ends the work."""
    url = f"{base_url}/collections/buildings/export?format=geojson"
    host, port = base_url.split("//")[1].split(":")
    sock = socket.socket()
    # A small receive buffer (set before connecting, so the kernel does not grow it): what the
    # server can push ahead is its send buffer and the 1 MiB pipe, far less than the 12 MB file.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    t = time.perf_counter()
    key = http.headers["Authorization"]
    sock.sendall(f"GET /collections/buildings/export?format=geojson HTTP/1.1\r\nHost: {host}\r\nAuthorization: {key}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    ttfb = time.perf_counter() - t
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines if ":" in h)}
    assert " 200 " in status_line, status_line
    assert headers.get("transfer-encoding") == "chunked" and "content-length" not in headers
    assert ttfb < 2, f"first byte after {ttfb:.2f} s"
    # Not reading: the producer waits on the full pipe, still in the export lane.
    time.sleep(1.5)
    assert export_lane(http, base_url) == 1
    sock.close()
    for _ in range(50):
        if export_lane(http, base_url) == 0:
            break
        time.sleep(0.1)
    assert export_lane(http, base_url) == 0, "the export kept running after its client left"
    # A complete download is a whole, valid document.
    whole = http.get(url, timeout=120)
    doc = whole.json()
    assert doc["numberReturned"] == len(doc["features"]) > 1000


def test_head_on_an_export_answers_its_headers_without_making_it(http, base_url):
    r = http.head(f"{base_url}/collections/buildings/export?format=csv", timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    for _ in range(30):
        if export_lane(http, base_url) == 0:
            break
        time.sleep(0.1)
    assert export_lane(http, base_url) == 0
