"""Maps and area reports on the real server: /render draws a PNG; /reports/area gives the same
report as PDF (text extracted by pdftotext, pages rendered by pdftoppm), HTML, XLSX (read back by
LibreOffice) and JSON. Every figure equals /stats for the same area, day and caller; the report
cites its own audit record."""
import json
import os
import re
import subprocess

import pytest
import requests

from test_exports import xlsx_to_csv

AREA, DAY, COMPARE = "350404", "2024-06-01", "2022-06-01"


def report(session, base_url, fmt, **extra):
    r = session.get(f"{base_url}/reports/area", params={"area": AREA, "datetime": DAY, "compare": COMPARE, "format": fmt, **extra}, timeout=120)
    assert r.status_code == 200, r.text
    return r


def stats(session, base_url, day, group_by=None):
    params = {"area": AREA, "datetime": day}
    if group_by:
        params["groupBy"] = group_by
    r = session.get(f"{base_url}/stats", params=params, timeout=60)
    assert r.status_code == 200
    return r.json()


def grouped(n):
    """As reports print figures: thousands grouped, measures to one decimal without a trailing .0."""
    if isinstance(n, int):
        return f"{n:,}"
    if isinstance(n, float):
        text = f"{n:,.1f}"
        return text[:-2] if text.endswith(".0") else text
    return str(n)


@pytest.fixture(scope="module", params=["admin", "anon"])
def caller(request, http, anon):
    return request.param, (http if request.param == "admin" else anon)


def test_report_figures_and_tables_equal_stats(caller, base_url):
    who, s = caller
    doc = report(s, base_url, "json").json()
    now, then = stats(s, base_url, DAY, "township"), stats(s, base_url, COMPARE, "township")
    assert doc["area"] == {"code": AREA, "name": "三元区"} and doc["datetime"] == DAY and doc["compare"] == COMPARE
    keys = [("population", "total"), ("population", "households"), ("businesses", "count"), ("businesses", "employees"),
            ("buildings", "count"), ("buildings", "floorArea")]
    for row, (kind, key) in zip(doc["figures"]["rows"], keys):
        assert row[1] == now[kind][key] and row[2] == then[kind][key], (row, kind, key)
        if isinstance(row[1], int) and isinstance(row[2], int):
            assert row[3] == row[1] - row[2]
        elif not (isinstance(row[1], float) or isinstance(row[2], float)):
            assert row[3] is None  # no change next to a suppressed or withheld figure
    by_code = {}
    for kind, count, measure in [("population", "people", "households"), ("businesses", "businesses", "employees"), ("buildings", "buildings", "floorArea")]:
        for g in now["groups"][kind]:
            by_code.setdefault(g["township"], {})[count] = g[count]
            by_code[g["township"]][measure] = g[measure]
    townships = doc["tables"][0]
    assert townships["title"].endswith("By township") and len(townships["rows"]) == len(by_code)
    compare_people = {g["township"]: g["people"] for g in then["groups"]["population"]}
    for row in townships["rows"]:
        g = by_code[row[0]]
        assert row[2:8] == [g.get("people", 0), g.get("households", 0), g.get("businesses", 0), g.get("employees", 0),
                            g.get("buildings", 0), g.get("floorArea", 0)], row
        assert row[8] == compare_people.get(row[0], 0)
    tables = {t["title"]: t for t in doc["tables"]}
    for title, path in [("年龄 age band", ("population", "byAgeBand")), ("性别 sex", ("population", "bySex")),
                        ("行业 industry", ("businesses", "byIndustry")), ("建筑用途 use", ("buildings", "byUse"))]:
        shown = {row[0]: row[1] for row in tables[title]["rows"]}
        assert sorted(map(str, shown.values())) == sorted(map(str, (now[path[0]][path[1]] or {}).values())), title
    # Names of the townships come from /areas.
    children = {c["code"]: c["name"] for c in requests.get(f"{base_url}/areas/{AREA}", params={"datetime": DAY}).json()["children"]}
    assert all(children[row[0]] == row[1] for row in townships["rows"])
    assert doc["statistics"] == now | {"groupBy": ["township"]} or doc["statistics"]["population"] == now["population"]


def test_the_pdf_has_the_names_and_figures_and_pages_that_are_drawn(caller, base_url, http, out_dir):
    who, s = caller
    r = report(s, base_url, "pdf")
    assert r.headers["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF-")
    path = os.path.join(out_dir, f"report-{who}.pdf")
    with open(path, "wb") as fh:
        fh.write(r.content)
    text = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True).stdout
    now = stats(s, base_url, DAY)
    assert "三元区 区域报告" in text and DAY in text and COMPARE in text
    assert grouped(now["population"]["total"]) in text and grouped(now["buildings"]["count"]) in text
    assert now["buildings"]["floorArea"] is None or grouped(now["buildings"]["floorArea"]) in text
    children = requests.get(f"{base_url}/areas/{AREA}", params={"datetime": DAY}).json()["children"]
    assert all(c["name"] in text for c in children)
    # Provenance: owners, the caller, and the audit record, which exists.
    m = re.search(r"审计记录 audit record\s+#(\d+)", text)
    assert m, text[-2000:]
    record = http.get(f"{base_url}/audit", params={"action": "export", "after": int(m.group(1)) - 1, "limit": 1}).json()["records"][0]
    assert record["seq"] == int(m.group(1)) and record["endpoint"] == "GET /reports/area" and record["area"] == AREA
    assert ("anonymous" in text) == (who == "anon") and "admin_areas" in text
    # Residents of buildings are internal: only the department's map legend shows them.
    assert ("建筑 (常住人口)" in text) == (who == "admin")
    # Every page renders and is not blank; the first (the map) is mostly ink.
    prefix = os.path.join(out_dir, f"report-{who}-page")
    subprocess.run(["pdftoppm", "-r", "40", "-gray", path, prefix], check=True)
    pages = sorted(p for p in os.listdir(out_dir) if p.startswith(f"report-{who}-page") and p.endswith(".pgm"))
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True).stdout
    assert len(pages) == int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 2
    for i, p in enumerate(pages):
        with open(os.path.join(out_dir, p), "rb") as fh:
            data = fh.read()
        header = data.split(b"\n", 3)
        w, h = map(int, header[1].split())
        pixels = data[-w * h:]
        ink = sum(1 for v in pixels if v < 250) / len(pixels)
        assert ink > (0.3 if i == 0 else 0.01), (p, ink)


def test_html_and_xlsx_reports_carry_the_same_figures(caller, base_url, out_dir):
    who, s = caller
    doc = report(s, base_url, "json").json()
    html = report(s, base_url, "html").text
    assert "<img class=\"map\"" in html and "data:image/png;base64," in html
    for row in doc["figures"]["rows"]:
        assert row[1] is None or f">{grouped(row[1])}<" in html, row
    for row in doc["tables"][0]["rows"]:
        assert f"<td>{row[1]}</td>" in html and f">{grouped(row[2])}<" in html
    path = os.path.join(out_dir, f"report-{who}.xlsx")
    with open(path, "wb") as fh:
        fh.write(report(s, base_url, "xlsx").content)
    sheets = xlsx_to_csv(path, out_dir)
    figures = sheets["主要指标 key figures"]
    assert figures[0][:2] == ["指标 figure", DAY]
    for row, expected in zip(figures[1:], doc["figures"]["rows"]):
        assert row[1] == ("" if expected[1] is None else str(expected[1])), (row, expected)
    townships = sheets["分乡镇 By township"]
    assert [r[0] for r in townships[1:]] == [r[0] for r in doc["tables"][0]["rows"]]
    assert any("GET /reports/area" in " ".join(r) or "#" in " ".join(r) for r in sheets["说明 about"])


def test_a_drawn_area_and_errors(http, base_url):
    square = {"type": "Polygon", "coordinates": [[[117.6, 26.22], [117.66, 26.22], [117.66, 26.28], [117.6, 26.28], [117.6, 26.22]]]}
    r = http.post(f"{base_url}/reports/area", params={"format": "json"}, json={"area": square, "datetime": DAY}, timeout=120)
    assert r.status_code == 200, r.text
    body = r.json()
    s = http.post(f"{base_url}/stats", json={"area": square, "datetime": DAY}).json()
    assert body["area"]["code"] is None and body["figures"]["rows"][0][1] == s["population"]["total"]
    for path, status, words in [
        (f"/reports/area?area=350499&format=json", 404, "no administrative area '350499'"),
        (f"/reports/area?area={AREA}&compare=soon", 400, "compare"),
        (f"/reports/area?area={AREA}&format=docx", 400, "format 'docx' is not offered"),
        (f"/reports/area?area={AREA}&colour=red", 400, "unknown query parameter 'colour'"),
        ("/reports/area", 400, "area"),
    ]:
        r = http.get(base_url + path, timeout=60)
        assert r.status_code == status and words in r.json()["description"], (path, r.text)


def test_render_draws_a_png_of_the_asked_size(http, anon, base_url, out_dir):
    for session, name in [(http, "admin"), (anon, "anon")]:
        r = session.get(f"{base_url}/render", params={"bbox": "117.55,26.2,117.7,26.32", "width": 640, "height": 480, "datetime": DAY}, timeout=60)
        assert r.status_code == 200 and r.headers["Content-Type"] == "image/png", r.text
        path = os.path.join(out_dir, f"render-{name}.png")
        with open(path, "wb") as fh:
            fh.write(r.content)
        info = subprocess.run(["gdalinfo", "-stats", path], capture_output=True, text=True, check=True).stdout
        assert "Size is 640, 480" in info
        deviations = [float(x) for x in re.findall(r"STATISTICS_STDDEV=([0-9.]+)", info)]
        assert len(deviations) >= 3 and all(d > 10 for d in deviations[:3]), info
    # Gauss-Kruger: a box in northing, easting order (EPSG:4548's axes).
    r = http.get(f"{base_url}/render", params={"bbox": "2895000,555000,2915000,575000", "crs": "http://www.opengis.net/def/crs/EPSG/0/4548",
                                               "width": 300, "height": 300, "layers": "admin_areas,population_density"}, timeout=60)
    assert r.status_code == 200 and r.content[:4] == b"\x89PNG"
    for params, words in [({"bbox": "117,26"}, "bbox '117,26'"), ({"bbox": "117,26,118,27", "width": "99999"}, "from 64 to 4096"),
                          ({"bbox": "117,26,118,27", "layers": "roads"}, "no map layer 'roads'"), ({}, "'bbox' is required")]:
        r = http.get(f"{base_url}/render", params=params)
        assert r.status_code == 400 and words in r.json()["description"], (params, r.text)


def test_a_rendered_map_can_be_placed_georeferenced_png_with_world_file_and_geotiff(http, base_url, out_dir):
    params = {"bbox": "117.55,26.2,117.7,26.32", "width": 640, "height": 400, "datetime": DAY}
    png = http.get(f"{base_url}/render", params=params, timeout=60)
    assert png.status_code == 200
    # The box actually drawn (the asked one grown to the image's shape) and its CRS.
    assert png.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/3857>"
    minx, miny, maxx, maxy = (float(v) for v in png.headers["Content-Bbox"].split(","))
    assert abs((maxx - minx) / (maxy - miny) - 640 / 400) < 1e-6
    world = http.get(f"{base_url}/render", params={**params, "f": "pgw"}, timeout=60)
    assert world.status_code == 200 and world.headers["Content-Bbox"] == png.headers["Content-Bbox"]
    base = os.path.join(out_dir, "render-placed")
    with open(base + ".png", "wb") as f:
        f.write(png.content)
    with open(base + ".pgw", "w") as f:
        f.write(world.text)
    with open(base + ".png.aux.xml", "w") as f:  # the CRS beside the world file (GDAL's sidecar)
        f.write('<PAMDataset><SRS>EPSG:3857</SRS></PAMDataset>')
    tiff = http.get(f"{base_url}/render", params={**params, "f": "tiff"}, timeout=60)
    assert tiff.status_code == 200 and tiff.headers["Content-Type"].startswith("image/tiff"), tiff.text
    with open(base + ".tif", "wb") as f:
        f.write(tiff.content)
    for path in (base + ".png", base + ".tif"):
        info = json.loads(subprocess.run(["gdalinfo", "-json", "-stats", path], capture_output=True, text=True, check=True).stdout)
        assert info["size"] == [640, 400], path
        corners = info["cornerCoordinates"]
        assert abs(corners["upperLeft"][0] - minx) < 0.01 and abs(corners["upperLeft"][1] - maxy) < 0.01, (path, corners)
        assert abs(corners["lowerRight"][0] - maxx) < 0.01 and abs(corners["lowerRight"][1] - miny) < 0.01, (path, corners)
        assert "3857" in json.dumps(info["coordinateSystem"]), path
        assert all(b["stdDev"] > 10 for b in info["bands"][:3]), path
    # The GeoTIFF is the PNG's picture.
    assert [b["mean"] for b in json.loads(subprocess.run(["gdalinfo", "-json", "-stats", base + ".tif"], capture_output=True, text=True,
                                                         check=True).stdout)["bands"]][:3] == pytest.approx(
        [b["mean"] for b in json.loads(subprocess.run(["gdalinfo", "-json", "-stats", base + ".png"], capture_output=True, text=True,
                                                      check=True).stdout)["bands"]][:3], abs=1.0)
    # In Gauss-Kruger: placed in EPSG:4548.
    gk = http.get(f"{base_url}/render", params={"bbox": "2895000,555000,2915000,575000", "crs": "http://www.opengis.net/def/crs/EPSG/0/4548",
                                                "width": 300, "height": 300, "f": "tiff"}, timeout=60)
    assert gk.status_code == 200 and gk.headers["Content-Crs"].endswith("/4548>")
    with open(base + "-4548.tif", "wb") as f:
        f.write(gk.content)
    info = json.loads(subprocess.run(["gdalinfo", "-json", base + "-4548.tif"], capture_output=True, text=True, check=True).stdout)
    assert "4548" in json.dumps(info["coordinateSystem"]) and abs(info["cornerCoordinates"]["upperLeft"][0] - 555000) < 1
    assert http.get(f"{base_url}/render", params={**params, "f": "jpeg"}).status_code == 400


def test_render_draws_a_departments_collection_for_those_who_may_read_it(http, base_url, out_dir):
    import json
    import math
    import time
    points = [(117.60 + 0.01 * i, 26.25) for i in range(5)]
    path = os.path.join(out_dir, "render_points.geojson")
    with open(path, "w") as fh:
        json.dump({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(p)}, "properties": {"code": f"P{i}"}} for i, p in enumerate(points)]}, fh)
    r = subprocess.run([os.environ["ONEMAP_BIN"], "import", path, "--layer", "render_points", "--owner", "SMDSJ", "--share-class", "conditional",
                        "--key", "code", "--db", os.environ["ONEMAP_DB"]], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    time.sleep(1.2)
    params = {"bbox": "117.58,26.22,117.66,26.28", "width": 400, "height": 300, "layers": "admin_areas,render_points"}
    r = http.get(f"{base_url}/render", params=params, timeout=60)
    assert r.status_code == 200, r.text
    png = os.path.join(out_dir, "render-points.png")
    with open(png, "wb") as fh:
        fh.write(r.content)
    # Where each point falls: Web Mercator, the box widened about its centre to 4:3.
    def merc(lon, lat):
        return math.radians(lon) * 6378137, math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * 6378137
    (x0, y0), (x1, y1) = merc(117.58, 26.22), merc(117.66, 26.28)
    w, h = x1 - x0, y1 - y0
    if w / h > 4 / 3:
        h = w * 3 / 4
    else:
        w = h * 4 / 3
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    for lon, lat in points:
        x, y = merc(lon, lat)
        px, py = int((x - (cx - w / 2)) / w * 400), int(((cy + h / 2) - y) / h * 300)
        rgb = subprocess.run(["gdallocationinfo", "-valonly", png, str(px), str(py)], capture_output=True, text=True, check=True).stdout.split()
        assert [int(v) for v in rgb[:3]] == [27, 158, 119], (lon, lat, px, py, rgb)
    assert requests.get(f"{base_url}/render", params=params).status_code == 401
    r = http.get(f"{base_url}/render", params={**params, "layers": "roads"})
    assert r.status_code == 400 and "no map layer 'roads'" in r.json()["description"]


def test_cli_report_writes_the_same_report(base_url, out_dir):
    out = os.path.join(out_dir, "cli-report.pdf")
    r = subprocess.run([os.environ["ONEMAP_BIN"], "report", "--area", AREA, "--datetime", DAY, "--out", out, "--department", "SMDSJ",
                        "--db", os.environ["ONEMAP_DB"]], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert re.search(r"audit record #\d+", r.stdout) and not os.path.exists(out + ".part")
    text = subprocess.run(["pdftotext", out, "-"], capture_output=True, text=True, check=True).stdout
    total = requests.get(f"{base_url}/stats", params={"area": AREA, "datetime": DAY}).json()
    assert "三元区 区域报告" in text and "SMDSJ" in text
    bad = subprocess.run([os.environ["ONEMAP_BIN"], "report", "--area", AREA, "--out", os.path.join(out_dir, "x.docx"), "--db", os.environ["ONEMAP_DB"]],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "docx" in bad.stderr
