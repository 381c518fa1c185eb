"""OGC API – Features Part 4: the owner department creates, replaces, updates and deletes features
of its own layer; every edit is a new version from today (earlier days unchanged) and audited."""
import json
import os
import re
import subprocess
import time

import pytest
import requests


def cli(*args):
    r = subprocess.run([os.environ["ONEMAP_BIN"], *args, "--db", os.environ["ONEMAP_DB"]], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def owner(base_url, out_dir):
    key = re.search(r"(om_[0-9a-f]{40})", cli("dept", "add", "SMZJ", "三明市住房和城乡建设局")).group(1)
    sites = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [117.62 + i * 0.001, 26.26]},
         "properties": {"site": f"S{i}", "storeys": 3 + i, "kind": "工地"}} for i in range(3)]}
    path = os.path.join(out_dir, "sites.geojson")
    with open(path, "w") as fh:
        json.dump(sites, fh, ensure_ascii=False)
    cli("import", path, "--layer", "push_sites", "--owner", "SMZJ", "--share-class", "unconditional", "--key", "site", "--valid-from", "2024-01-01")
    time.sleep(1.2)
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {key}"
    return s


def items(s, base_url, **params):
    r = s.get(f"{base_url}/collections/push_sites/items", params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    return {f["properties"]["site"]: f for f in r.json()["features"]}


def feature(site, lon, lat, **props):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": {"site": site, **props}}


def test_create_replace_update_delete_keep_history(owner, base_url, http):
    url = f"{base_url}/collections/push_sites/items"
    r = owner.post(url, json=feature("S9", 117.63, 26.27, storeys=12, kind="住宅"))
    assert r.status_code == 201, r.text
    created = owner.get(r.headers["Location"]).json()
    assert created["properties"] == {"site": "S9", "storeys": 12, "kind": "住宅"}
    assert owner.post(url, json=feature("S9", 117.63, 26.27)).status_code == 409

    # Replace S0 with S1's position as read in EPSG:4548 (GK zone 39, northing first, as the API
    # writes it): what a client reads with crs=X it sends back with Content-Crs: X.
    before = items(owner, base_url)["S0"]
    s1 = items(owner, base_url)["S1"]
    gk = owner.get(f"{url}/{s1['id']}", params={"crs": "http://www.opengis.net/def/crs/EPSG/0/4548"}).json()["geometry"]
    assert gk["coordinates"][0] > 2_000_000  # northing first
    r = owner.put(f"{url}/{before['id']}", json={"type": "Feature", "geometry": gk, "properties": {"site": "S0", "storeys": 30, "kind": "商业"}},
                  headers={"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/4548>"})
    assert r.status_code == 200, r.text
    now = items(owner, base_url)["S0"]
    assert now["id"] != before["id"] and now["properties"]["storeys"] == 30
    assert all(abs(a - b) < 1e-6 for a, b in zip(now["geometry"]["coordinates"], s1["geometry"]["coordinates"]))
    old = items(owner, base_url, datetime="2025-01-01")["S0"]
    assert old["properties"]["storeys"] == 3 and old["geometry"] == before["geometry"]
    # The replaced version is history: editing it is a conflict naming the current one.
    r = owner.put(f"{url}/{before['id']}", json=feature("S0", 117.7, 26.3, storeys=1))
    assert r.status_code == 409 and str(now["id"]) in r.json()["description"], r.text

    # Update merges: only storeys changes; kind and geometry stay.
    s1 = items(owner, base_url)["S1"]
    r = owner.patch(f"{url}/{s1['id']}", json={"type": "Feature", "properties": {"storeys": 5}})
    assert r.status_code == 200, r.text
    s1now = items(owner, base_url)["S1"]
    assert s1now["properties"] == {"site": "S1", "storeys": 5, "kind": "工地"} and s1now["geometry"] == s1["geometry"]

    # Delete ends the entity today; earlier days still have it.
    s2 = items(owner, base_url)["S2"]
    assert owner.delete(f"{url}/{s2['id']}").status_code == 204
    assert "S2" not in items(owner, base_url) and "S2" in items(owner, base_url, datetime="2025-01-01")
    assert owner.delete(f"{url}/{s2['id']}").status_code == 409

    # Every edit is in the audit, as a change by SMZJ.
    log = http.get(f"{base_url}/audit", params={"principal": "SMZJ", "action": "change"}).json()["records"]
    outcomes = " ".join(x["outcome"] for x in log)
    assert all(w in outcomes for w in ("created", "replaced", "updated", "ended")), outcomes


def test_only_the_owner_edits_and_bad_features_are_refused(owner, base_url, http, anon):
    url = f"{base_url}/collections/push_sites/items"
    fid = next(iter(items(owner, base_url).values()))["id"]
    assert anon.post(url, json=feature("X1", 117.6, 26.2)).status_code == 401
    r = http.patch(f"{url}/{fid}", json={"type": "Feature", "properties": {"storeys": 1}})  # the administrator is not the owner
    assert r.status_code == 403 and "SMZJ" in r.json()["description"]
    # Core layers change by import.
    key = re.search(r"(om_[0-9a-f]{40})", cli("dept", "key", "SMZRZY")).group(1)
    r = requests.post(f"{base_url}/collections/buildings/items", json=feature("B1", 117.6, 26.2), headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 405
    for body, words in [({"type": "Feature", "properties": {"site": "X2"}}, "no geometry"),
                        (feature("X3", 117.6, 26.2, colour="red"), "no property 'colour'"),
                        (feature("X4", 117.6, 26.2, storeys="tall"), "storeys"),
                        ({"type": "FeatureCollection", "features": []}, "GeoJSON Feature"),
                        (feature("X5", 117.6, 26.2, storeys=True), "storeys"),
                        ({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[117.6, 26.2], [117.7, 26.2], [117.7, 26.3], [117.6, 26.2]]]},
                          "properties": {"site": "X6"}}, "")]:
        r = owner.post(url, json=body)
        assert r.status_code == 400, (body, r.text)
        assert words in r.json()["description"], (words, r.json())
    r = owner.post(url, json=feature("X7", 117.6, 26.2), headers={"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/9999>"})
    assert r.status_code == 400
    assert owner.delete(f"{url}/999999").status_code == 404
