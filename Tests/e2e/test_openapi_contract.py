"""schemathesis against /api: every declared parameter constraint, status, media type and
response schema holds, for the administrator and for an anonymous caller. Undeclared methods get
405 with Allow. Write operations are left out (they would change the data other tests read);
Tests/e2e/schemathesis.toml lists the cross-parameter rules a schema cannot state."""
import os
import pathlib
import subprocess
import sys

import pytest

CONFIG = pathlib.Path(__file__).with_name("schemathesis.toml")
WRITES = ["apply", "decide", "createFeature", "replaceFeature", "updateFeature", "deleteFeature"]


def schemathesis(base_url, out_dir, name, headers=(), examples=25):
    cli = pathlib.Path(sys.executable).with_name("schemathesis")
    cmd = [str(cli), "--config-file", str(CONFIG), "run", f"{base_url}/api", "--checks", "all",
           # One worker: with two, hypothesis parses lambda sources from two threads at once and
           # CPython 3.11's ast module can fail ("AST constructor recursion depth mismatch"), an
           # error of the tool, not of the API.
           "--max-examples", str(examples), "--workers", "1", "--seed", "20261205", "--no-color"]
    for h in headers:
        cmd += ["-H", h]
    for op in WRITES:
        cmd += ["--exclude-operation-id", op]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    report = pathlib.Path(out_dir) / f"schemathesis-{name}.txt"
    report.write_text(result.stdout + result.stderr)
    return result, report


@pytest.mark.parametrize("who", ["administrator", "anonymous"])
def test_schemathesis_finds_no_failure(base_url, admin_key, who):
    headers = [f"Authorization: Bearer {admin_key}"] if who == "administrator" else []
    result, report = schemathesis(base_url, os.environ.get("ONEMAP_OUT", "test-output"), who, headers)
    tail = "\n".join(result.stdout.splitlines()[-40:])
    assert result.returncode == 0, f"schemathesis failed (full report: {report}):\n{tail}"
    # It really ran: operations were tested and cases generated.
    assert "Tested:" in result.stdout and "generated" in result.stdout, tail


@pytest.mark.parametrize("path", ["/api", "/collections/buildings/queryables", "/collections/buildings/tiles",
                                  "/collections/buildings/tiles/WebMercatorQuad", "/tileMatrixSets", "/tileMatrixSets/CGCS2000Quad"])
def test_f_html_is_answered_where_the_document_offers_it(http, base_url, path):
    r = http.get(f"{base_url}{path}?f=html", timeout=30)
    assert r.status_code == 200, (path, r.text[:200])
    assert r.headers["content-type"].startswith("text/html") and "<h1>" in r.text
    doc = http.get(f"{base_url}/api", timeout=30).json()
    route = path.replace("buildings", "{collectionId}").replace("WebMercatorQuad", "{tileMatrixSetId}").replace("CGCS2000Quad", "{tileMatrixSetId}")
    assert "text/html" in doc["paths"][route]["get"]["responses"]["200"]["content"], route


def test_queryables_say_a_value_may_be_null(http, base_url):
    q = http.get(f"{base_url}/collections/buildings/queryables", timeout=30).json()
    assert q["properties"]["demolished_date"]["type"] == ["string", "null"]
    assert q["properties"]["floors"]["type"] == ["integer", "null"]


def test_aggregated_tilesets_declare_the_grid_cells_properties(http, base_url):
    t = http.get(f"{base_url}/collections/buildings/tiles/WebMercatorQuad", timeout=30).json()
    props = t["layers"][0]["propertiesSchema"]["properties"]
    assert props["count"]["type"] == "integer" and props["area_km2"]["type"] == "number"


def test_every_parameter_carries_a_schema_and_every_operation_its_errors(http, base_url):
    doc = http.get(f"{base_url}/api", timeout=30).json()
    free_text = {("/audit", "principal"), ("/audit", "layer")}  # filters: any text, empty for any
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for p in op.get("parameters", []):
                unconstrained = p["schema"] == {"type": "string"} and p["in"] != "header"
                assert not unconstrained or (path, p["name"]) in free_text, (path, method, p["name"])
            for status in ["400", "401", "403", "404", "429", "500", "503"]:
                assert status in op["responses"], (path, method, status)
            ok = [s for s in op["responses"] if s.startswith("2")]
            assert ok, (path, method)
