"""QGIS as a client: the project file from GET /qgis/onemap.qgs opened in headless QGIS 3.22
(Debian's qgis + python3-qgis): its layers load, its Features layers count in a box what /items
counts, and the one map renders as the viewer draws it — density cells and Chinese labels at
county zoom, buildings by residents for a caller who may see them and by use for the public.
The PNGs are kept in the test output (qgis/)."""
import datetime
import json
import os
import subprocess
import tempfile

import pytest
import requests

import e2e_db
from test_viewer import browser  # noqa: F401 (the headless Chromium fixture)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
SYSTEM_PYTHON = "/usr/bin/python3"
# Qt wants a private runtime directory (0700).
QT_ENV = {"QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": tempfile.mkdtemp(prefix="qgis-runtime-")}
RESIDENTS = {"r1": "#fee8c8", "r2": "#fdbb84", "r3": "#e34a33", "r4": "#7f0000"}
USES = {"residential": "#e0d6c8", "commercial": "#b9d3ea", "industrial": "#d3c4e3", "public": "#c3e3bc"}
# The counties' fills (by code): neighbours differ.
COUNTIES = {"c0": "#e8eedf", "c1": "#e2e9f0", "c2": "#f0e6dc", "c3": "#ece3ef", "c4": "#e6eee9"}


def today():
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date().isoformat()


def qgis(args):
    r = subprocess.run([SYSTEM_PYTHON, os.path.join(HERE, "qgis_check.py"), json.dumps(args)], capture_output=True, text=True, timeout=600,
                       env={**os.environ, **QT_ENV})
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def box_of(geometry):
    xs, ys = [], []

    def walk(c):
        if isinstance(c[0], (int, float)):
            xs.append(c[0]); ys.append(c[1])
        else:
            for x in c:
                walk(x)
    walk(geometry["coordinates"])
    return [min(xs), min(ys), max(xs), max(ys)]


@pytest.fixture(scope="module")
def views(base_url, admin_key, out_dir):
    """The project for the administrator (its key in the layers' URLs) and for the public, each
    loaded and rendered at county and street zoom."""
    folder = os.path.join(out_dir, "qgis")
    os.makedirs(folder, exist_ok=True)
    county = requests.get(f"{base_url}/collections/admin_areas/items", params={"code": "350404", "datetime": today()}, timeout=60).json()
    county_box = box_of(county["features"][0]["geometry"])
    (x, y), = e2e_db.query("SELECT cx, cy FROM buildings WHERE valid_to IS NULL AND township_code LIKE '350404%' ORDER BY population DESC, id LIMIT 1")
    town_box = [x - 0.005, y - 0.004, x + 0.005, y + 0.004]
    out = {"county_box": county_box, "town_box": town_box}
    for who, params in (("admin", {"key": admin_key}), ("public", {})):
        r = requests.get(f"{base_url}/qgis/onemap.qgs", params=params, timeout=60)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == "application/x-qgis-project"
        path = os.path.join(folder, f"onemap-{who}.qgs")
        with open(path, "wb") as f:
            f.write(r.content)
        colours = {**RESIDENTS, **USES, **COUNTIES}
        out[who] = qgis({"project": path, "count_box": town_box, "renders": [
            {"name": "county", "box": county_box, "size": [900, 700], "png": os.path.join(folder, f"sanyuan-county-{who}.png"), "colours": colours},
            {"name": "town", "box": town_box, "size": [900, 700], "png": os.path.join(folder, f"town-street-{who}.png"), "colours": colours},
        ]})
        out[who]["text"] = r.text
    return out


def test_the_served_style_converts_in_qgis_without_loss_and_matches_the_shipped_qgis_style():
    r = subprocess.run([SYSTEM_PYTHON, os.path.join(ROOT, "scripts", "qgis_styles.py"), "--check"], capture_output=True, text=True, timeout=300,
                       env={**os.environ, **QT_ENV})
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_project_loads_every_layer_grouped_in_the_gauss_kruger_crs(views, admin_key):
    admin, public = views["admin"], views["public"]
    assert admin["read"] and admin["crs"] == "EPSG:4548"
    assert all(l["valid"] for l in admin["layers"] + public["layers"]), admin["layers"]
    groups = [g["name"] for g in admin["groups"]]
    assert groups[0].startswith("底图") and any(g.startswith("边界") for g in groups) and any(g.startswith("部门图层") for g in groups)
    tiles = next(l for l in admin["layers"] if l["provider"] == "vectortile")
    assert tiles["styles"] >= 15 and tiles["label_fonts"] == ["Noto Sans CJK SC"] and tiles["fonts_installed"]
    # The caller's key rides in every URL of its project, and only there; the public's has none.
    assert admin["text"].count(admin_key) >= len(admin["layers"]) and "key=" not in public["text"]
    names = lambda v: {l["source"].split("typename='")[1].split("'")[0] for l in v["layers"] if "source" in l}  # noqa: E731
    assert {"admin_areas", "buildings", "clinics", "schools"} <= names(admin)
    assert names(public) < names(admin)
    # Features are of the project's day.
    assert all(f"datetime={today()}" in l["source"] for l in admin["layers"] if "source" in l)


def test_qgis_counts_in_a_box_what_items_counts(views, base_url, admin_key):
    bbox = ",".join(str(v) for v in views["town_box"])
    for layer, n in views["admin"]["counts"].items():
        r = requests.get(f"{base_url}/collections/{layer}/items", params={"bbox": bbox, "datetime": today(), "limit": 1, "key": admin_key}, timeout=60)
        assert r.status_code == 200 and r.json()["numberMatched"] == n, (layer, n, r.json().get("numberMatched"))
    assert views["admin"]["counts"]["buildings"] > 20


def test_the_county_view_draws_density_cells_and_chinese_labels(views):
    for who in ("admin", "public"):
        county = views[who]["renders"]["county"]
        assert county["blank"] < county["pixels"] * 0.05, "the map is mostly empty"
        assert county["warm"] > county["pixels"] * 0.002, "no density cells"
        assert county["label_pixels"] > 300, "no labels"
        # Counties filled by their code's colour, as the viewer fills them: several of them in view.
        assert sum(1 for k in COUNTIES if county["colours"][k] > county["pixels"] * 0.01) >= 2, county["colours"]


def test_buildings_are_coloured_by_residents_for_the_entitled_and_by_use_for_the_public(views):
    admin, public = views["admin"]["renders"]["town"], views["public"]["renders"]["town"]
    residents = lambda r: sum(r["colours"][k] for k in RESIDENTS)  # noqa: E731
    uses = lambda r: sum(r["colours"][k] for k in USES)  # noqa: E731
    assert residents(admin) > admin["pixels"] * 0.002, admin["colours"]
    assert residents(public) <= public["pixels"] * 0.0005, public["colours"]
    assert uses(public) > public["pixels"] * 0.002, public["colours"]
    # By use: more than one use's colour shows (not one colour for every building).
    assert sum(1 for k in USES if public["colours"][k] > public["pixels"] * 0.0003) >= 2, public["colours"]


def test_the_cli_writes_the_project_the_server_answers(views, base_url, admin_key, out_dir):
    path = os.path.join(out_dir, "qgis", "onemap-cli.qgs")
    r = subprocess.run([os.environ["ONEMAP_BIN"], "qgis-project", "--db", os.environ["ONEMAP_DB"], "--url", base_url, "--department", "SMDSJ",
                        "--key", admin_key, "--out", path], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with open(path, encoding="utf-8") as f:
        assert f.read() == views["admin"]["text"]
    bad = subprocess.run([os.environ["ONEMAP_BIN"], "qgis-project", "--db", os.environ["ONEMAP_DB"], "--url", "ftp://x", "--out", path],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "--url" in bad.stderr


FIT_AND_WAIT = """
const [box, done] = [arguments[0], arguments[arguments.length - 1]];
const started = Date.now();
(function poll() {
  const map = window.onemapMap;
  if (!map || !map.loaded()) { if (Date.now() - started > 60000) { done({error: 'no map'}); } else { setTimeout(poll, 200); } return; }
  if (!window.__fitted) { window.__fitted = true; map.fitBounds([[box[0], box[1]], [box[2], box[3]]], {animate: false, padding: 0}); }
  if (map.areTilesLoaded() && !map.isMoving() && map.loaded()) {
    for (const el of document.querySelectorAll('#panel, .maplibregl-control-container, #problems-panel, #relations-panel')) el.style.display = 'none';
    setTimeout(() => done({zoom: map.getZoom()}), 500);
  } else if (Date.now() - started > 80000) { done({error: 'map never became idle'}); } else { setTimeout(poll, 250); }
})();
"""


def test_qgis_draws_the_street_as_the_viewer_does_for_the_same_caller(views, browser, base_url, admin_key, out_dir):  # noqa: F811
    """The same view, drawn by MapLibre in the browser and by QGIS from the project: the buildings'
    colours share out alike (the projections differ a little: QGIS draws in Gauss–Kruger)."""
    shots = {}
    for who, key in (("admin", admin_key), ("public", None)):
        browser.get(f"{base_url}/health")
        browser.execute_script("sessionStorage.clear();")  # the viewer keeps a ?key= for the tab
        browser.get(f"{base_url}/" + (f"?key={key}" if key else "") + "#15/26.27/117.63")
        state = browser.execute_async_script(FIT_AND_WAIT, views["town_box"])
        assert "error" not in state, state
        path = os.path.join(out_dir, "qgis", f"town-street-{who}-maplibre.png")
        browser.find_element("id", "map").screenshot(path)
        shots[who] = os.path.abspath(path)
    measured = qgis({"measure": shots, "colours": {**RESIDENTS, **USES}})

    def shares(counts):
        buildings = {k: v for k, v in counts.items() if k in RESIDENTS or k in USES}
        total = sum(buildings.values()) or 1
        return {k: v / total for k, v in buildings.items()}

    for who in ("admin", "public"):
        a, b = shares(views[who]["renders"]["town"]["colours"]), shares(measured[who]["colours"])
        assert sum(measured[who]["colours"].values()) > measured[who]["pixels"] * 0.002, (who, measured[who])
        for k in a:
            assert abs(a[k] - b[k]) < 0.15, (who, k, a, b)
    # The viewer, like QGIS, colours by residents only for the entitled caller.
    assert sum(measured["public"]["colours"][k] for k in RESIDENTS) <= measured["public"]["pixels"] * 0.0005
    assert sum(measured["admin"]["colours"][k] for k in RESIDENTS) > measured["admin"]["pixels"] * 0.002
