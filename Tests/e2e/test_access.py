"""The access matrix: every principal x share class x endpoint gets exactly the expected status and
fields, on the real server; grants by application, area limits, expiry, revoked keys, the audit."""
import json
import os
import re
import subprocess
import time

import mapbox_vector_tile
import pytest

from tiles_helpers import tile_of as _tile_of


def tile_of(lon, lat, z):
    return _tile_of(lon, lat, z)[1:]
import requests

ALL = ["beds", "code", "county", "note", "phone"]
PUBLIC = ["beds", "code", "county"]
LAYERS = {"acc_u": "unconditional", "acc_c": "conditional", "acc_n": "not_shared", "acc_o": "unconditional"}


def cli(*args, check=True):
    r = subprocess.run([os.environ["ONEMAP_BIN"], *args, "--db", os.environ["ONEMAP_DB"]], capture_output=True, text=True, timeout=300)
    if check and r.returncode != 0:
        raise AssertionError(f"onemap {' '.join(args)} failed: {r.stderr}")
    return r


def new_key(*args):
    out = cli(*args).stdout
    m = re.search(r"(om_[0-9a-f]{40})", out)
    assert m, out
    return m.group(1)


def session(key=None):
    s = requests.Session()
    if key:
        s.headers["Authorization"] = f"Bearer {key}"
    return s




@pytest.fixture(scope="module")
def world(http, base_url, out_dir):
    """Four clinic layers (one per share class, one open) owned by 卫健委, and a department for
    every part: owner, granted, ungranted, expired grant, revoked key."""
    labels = http.get(f"{base_url}/collections/admin_labels/items", params={"level": "county", "limit": 50}).json()["features"]
    assert len(labels) == 11
    features = []
    for i, f in enumerate(sorted(labels, key=lambda f: f["properties"]["code"])):
        x, y = f["geometry"]["coordinates"]
        for j in range(2):
            features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [x + 0.0004 * j, y]},
                             "properties": {"code": f"C{i:02d}{j}", "county": f["properties"]["code"], "beds": 10 + i,
                                            "note": f"院内备注 {i}", "phone": f"1801234{i:02d}{j}9"}})
    path = os.path.join(out_dir, "clinics.geojson")
    with open(path, "w") as fh:
        json.dump({"type": "FeatureCollection", "features": features}, fh, ensure_ascii=False)

    # 卫健委 and 教育局 are in the demo (they own its clinics and schools): new keys for them.
    keys = {"owner": new_key("dept", "key", "SMWJ"),
            "granted": new_key("dept", "key", "SMJY"),
            "ungranted": new_key("dept", "add", "SMJT", "三明市交通运输局"),
            "expired": new_key("dept", "add", "SMJX", "三明市经信局"),
            "revoked": new_key("dept", "add", "SMRS", "三明市人社局"),
            "police": new_key("dept", "key", "SMGA")}
    for layer, share in LAYERS.items():
        cli("import", path, "--layer", layer, "--owner", "SMWJ", "--share-class", share, "--key", "code")
        cli("layer", "classify", layer, "--field", "note=internal", "--field", "phone=personal",
            *(["--open", "true"] if layer == "acc_o" else []))
    # The granted department applies for the conditional layer (two fields, two counties) and for
    # the phones of the unconditional one; the owner approves both.
    s = {k: session(v) for k, v in keys.items()}
    s["anonymous"] = session()
    s["admin"] = http
    counties = sorted({f["properties"]["county"] for f in features})
    time.sleep(1.2)
    r = s["granted"].post(f"{base_url}/applications", json={
        "layer": "acc_c", "fields": ["code", "phone"], "purpose": "学校周边医疗资源评估", "area": counties[:2], "validTo": "2099-01-01"})
    assert r.status_code == 201, r.text
    grant_c = r.json()
    assert grant_c["status"] == "pending" and not grant_c["active"]
    assert s["owner"].post(f"{base_url}/applications/{grant_c['id']}/approve", json={"note": "同意"}).status_code == 200
    r = s["granted"].post(f"{base_url}/applications", json={"layer": "acc_u", "fields": ["phone"], "purpose": "联系各医疗机构", "validTo": "2099-01-01"})
    grant_u = r.json()
    assert s["admin"].post(f"{base_url}/applications/{grant_u['id']}/approve").status_code == 200
    # An expired grant: approved, but its period ended in 2021.
    r = s["expired"].post(f"{base_url}/applications", json={"layer": "acc_c", "fields": ["code", "beds"], "purpose": "历史床位数据分析",
                                                              "validFrom": "2020-01-01", "validTo": "2021-01-01"})
    assert s["owner"].post(f"{base_url}/applications/{r.json()['id']}/approve").status_code == 200
    # A population grant for one county, decided by the police (its owner).
    r = s["granted"].post(f"{base_url}/applications", json={"layer": "population", "fields": ["sex", "birth_year"], "purpose": "学龄人口测算",
                                                              "area": "350404", "validTo": "2099-01-01"})
    grant_p = r.json()
    assert s["police"].post(f"{base_url}/applications/{grant_p['id']}/approve").status_code == 200
    cli("dept", "revoke-key", keys["revoked"][:11])
    time.sleep(1.2)  # keys and grants are cached for a second
    return {"s": s, "features": features, "counties": counties, "grant_c": grant_c["id"], "grant_u": grant_u["id"], "grant_p": grant_p["id"]}


# principal -> layer -> (status, fields, phone masked?)
def expected(principal, layer):
    if principal == "revoked":
        return 401, None, None
    if principal in ("owner", "admin"):
        return 200, ALL, False
    if principal == "anonymous":
        return (200, PUBLIC, None) if layer == "acc_o" else (401, None, None)
    if layer == "acc_n":
        return 403, None, None
    if layer == "acc_c":
        return (200, ["code", "phone"], False) if principal == "granted" else (403, None, None)
    return 200, ALL, True  # unconditional: masked phones (a grant is used only when named)


PRINCIPALS = ["anonymous", "owner", "granted", "ungranted", "expired", "revoked", "admin"]


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("layer", list(LAYERS))
def test_access_matrix_items_item_tilejson_tile(world, base_url, principal, layer):
    s = world["s"][principal]
    status, fields, masked = expected(principal, layer)
    feature = world["features"][0] if principal != "granted" or layer != "acc_c" else next(
        f for f in world["features"] if f["properties"]["county"] in world["counties"][:2])
    lon, lat = feature["geometry"]["coordinates"]
    z = 14
    x, y = tile_of(lon, lat, z)

    items = s.get(f"{base_url}/collections/{layer}/items", params={"limit": 100})
    tilejson = s.get(f"{base_url}/tiles/{layer}")
    tile = s.get(f"{base_url}/tiles/{layer}/{z}/{x}/{y}.mvt")
    ogc_tile = s.get(f"{base_url}/collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}")
    for r in (items, tilejson, tile, ogc_tile):
        assert r.status_code == status, (principal, layer, r.url, r.status_code, r.text[:200])
        if status != 200:
            body = r.json()
            assert body["code"] in ("Unauthorized", "Forbidden") and body["description"], body
            if status == 401:
                assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")
    if status != 200:
        return
    feats = items.json()["features"]
    assert feats, (principal, layer)
    assert all(sorted(f["properties"]) == fields for f in feats), feats[0]["properties"]
    fid = feats[0]["id"]
    item = s.get(f"{base_url}/collections/{layer}/items/{fid}")
    assert item.status_code == 200 and sorted(item.json()["properties"]) == fields
    assert sorted(tilejson.json()["vector_layers"][0]["fields"]) == fields
    decoded = mapbox_vector_tile.decode(tile.content)[layer]["features"]
    assert decoded and all(sorted(f["properties"]) == fields for f in decoded)
    assert tile.content == ogc_tile.content
    if masked is not None:
        phones = [f["properties"]["phone"] for f in feats] + [f["properties"]["phone"] for f in decoded]
        if masked:
            assert all(re.fullmatch(r"180\*{4}\d{4}", p) for p in phones), phones[:3]
        else:
            assert all(re.fullmatch(r"1801234\d{4}", p) for p in phones), phones[:3]
    # Anonymous and masked callers cannot filter on what they cannot see.
    if masked or fields == PUBLIC:
        r = s.get(f"{base_url}/collections/{layer}/items", params={"filter": "phone LIKE '180%'"})
        assert r.status_code == 400


def test_listings_show_only_readable_layers(world, base_url):
    s = world["s"]
    for principal in PRINCIPALS:
        if principal == "revoked":
            assert s[principal].get(f"{base_url}/collections").status_code == 401
            continue
        ids = {c["id"] for c in s[principal].get(f"{base_url}/collections").json()["collections"]}
        tiles = {t["id"] for t in s[principal].get(f"{base_url}/tiles").json()["tilesets"]}
        want = {l for l in LAYERS if expected(principal, l)[0] == 200}
        assert ids & set(LAYERS) == want and tiles & set(LAYERS) == want, principal
    # The catalog shows what may be applied for.
    cat = {l["id"]: l for l in s["ungranted"].get(f"{base_url}/catalog").json()["layers"]}
    assert cat["acc_c"]["access"] == "apply" and cat["acc_n"]["access"] == "none" and cat["acc_u"]["access"] == "read"
    # A not-shared layer's field names are not another department's business; a conditional one's
    # are (they are what an application names).
    assert cat["acc_n"]["fields"] == [] and {f["name"] for f in cat["acc_c"]["fields"]} == set(ALL)
    assert [f for f in s["owner"].get(f"{base_url}/catalog").json()["layers"] if f["id"] == "acc_n"][0]["fields"]
    assert {f["name"]: f["shown"] for f in cat["acc_u"]["fields"]}["phone"] == "masked"
    assert "acc_c" not in {l["id"] for l in s["anonymous"].get(f"{base_url}/catalog").json()["layers"]}


def test_a_tile_fetched_by_the_owner_then_by_others_never_carries_the_owners_fields(world, base_url):
    s = world["s"]
    f = world["features"][0]
    x, y = tile_of(*f["geometry"]["coordinates"], 15)
    url = f"{base_url}/tiles/acc_o/15/{x}/{y}.mvt"
    for _ in range(2):
        owner = mapbox_vector_tile.decode(s["owner"].get(url).content)["acc_o"]["features"]
        other = mapbox_vector_tile.decode(s["ungranted"].get(url).content)["acc_o"]["features"]
        public = mapbox_vector_tile.decode(s["anonymous"].get(url).content)["acc_o"]["features"]
        assert all(re.fullmatch(r"1801234\d{4}", g["properties"]["phone"]) for g in owner)
        assert all(re.fullmatch(r"180\*{4}\d{4}", g["properties"]["phone"]) for g in other)
        assert all(sorted(g["properties"]) == PUBLIC for g in public)
    r = s["owner"].get(url)
    # Never in a shared cache; the department's own browser must revalidate (ETag) before reuse.
    assert r.headers.get("Cache-Control") == "private, no-cache" and "Authorization" in r.headers.get("Vary", "")
    assert s["owner"].get(f"{base_url}/collections/acc_o/items").headers.get("Cache-Control") == "private, no-store"


def test_an_area_limited_grant_shows_only_its_counties_and_a_named_grant_unmasks(world, base_url):
    s = world["s"]["granted"]
    inside = sorted(f["properties"]["code"] for f in world["features"] if f["properties"]["county"] in world["counties"][:2])
    got = sorted(f["properties"]["code"] for f in s.get(f"{base_url}/collections/acc_c/items", params={"limit": 100}).json()["features"])
    assert got == inside and len(inside) == 4
    r = s.get(f"{base_url}/collections/acc_c/items", params={"limit": 1})
    assert r.json()["numberMatched"] == 4
    outside = next(f for f in world["features"] if f["properties"]["county"] not in world["counties"][:2])
    x, y = tile_of(*outside["geometry"]["coordinates"], 14)
    t = s.get(f"{base_url}/tiles/acc_c/14/{x}/{y}.mvt")
    assert t.status_code == 204
    # The unconditional layer's phones, unmasked only when the grant naming them is used.
    phones = [f["properties"]["phone"] for f in s.get(f"{base_url}/collections/acc_u/items", params={"grant": world["grant_u"]}).json()["features"]]
    assert phones and all(re.fullmatch(r"1801234\d{4}", p) for p in phones)
    # Borrowing: another department naming the grant is refused.
    r = world["s"]["ungranted"].get(f"{base_url}/collections/acc_u/items", params={"grant": world["grant_u"]})
    assert r.status_code == 403 and "grant" in r.json()["description"]


def test_statistics_are_exact_only_with_the_right_to_the_records(world, base_url, http):
    s = world["s"]
    body = {"area": "350404"}
    want = {"anonymous": "suppressed", "owner": "suppressed", "granted": "exact", "ungranted": "suppressed",
            "expired": "suppressed", "admin": "exact", "police": "exact"}
    answers = {}
    for principal, how in want.items():
        r = s[principal].post(f"{base_url}/stats", json=body)
        assert r.status_code == 200, (principal, r.text)
        answers[principal] = r.json()
        assert r.json()["suppression"]["population"].startswith("exact") == (how == "exact"), principal
    # The grant names sex and birth_year: those breakdowns (and the head count) are exact; households
    # and registration, which it does not name, are published as for the public.
    granted, police, public = answers["granted"]["population"], answers["police"]["population"], answers["anonymous"]["population"]
    assert answers["granted"]["suppression"]["population"].startswith("exact for the fields of the grant used (birth_year, sex)")
    assert granted["total"] == police["total"] and granted["bySex"] == police["bySex"] and granted["byAgeBand"] == police["byAgeBand"]
    assert granted["households"] == public["households"] and granted["byRegistration"] == public["byRegistration"]
    grouped = s["granted"].post(f"{base_url}/stats", json={"area": "350404", "groupBy": ["township"]}).json()
    public_grouped = s["anonymous"].post(f"{base_url}/stats", json={"area": "350404", "groupBy": ["township"]}).json()
    assert grouped["groups"]["population"] == public_grouped["groups"]["population"]
    assert s["revoked"].post(f"{base_url}/stats", json=body).status_code == 401
    # Outside the granted county the grant does not make figures exact.
    r = s["granted"].post(f"{base_url}/stats", json={"area": "350421"})
    assert r.status_code == 200, r.text
    assert r.json()["suppression"]["population"] != "exact"
    # A small cell: a building footprint with 1 to 4 residents, exact vs "<5".
    small = None
    for f in http.get(f"{base_url}/collections/buildings/items", params={"limit": 2000, "bbox": "117.55,26.2,117.7,26.3"}).json()["features"]:
        if 1 <= f["properties"]["population"] <= 4:
            small = f
            break
    assert small
    exact = s["police"].post(f"{base_url}/stats", json={"area": small["geometry"]}).json()["population"]["total"]
    hidden = s["ungranted"].post(f"{base_url}/stats", json={"area": small["geometry"]}).json()["population"]["total"]
    assert isinstance(exact, int) and 1 <= exact <= 4 and hidden == "<5"
    # The population layer made not-shared: withheld (null) from everyone but its owner and the administrator.
    cli("layer", "classify", "population", "--share-class", "not_shared")
    try:
        time.sleep(1.2)
        assert s["granted"].post(f"{base_url}/stats", json=body).json()["population"]["total"] is None
        assert s["anonymous"].get(f"{base_url}/stats", params={"area": "350404"}).json()["population"]["total"] is None
        assert isinstance(s["police"].post(f"{base_url}/stats", json=body).json()["population"]["total"], int)
    finally:
        cli("layer", "classify", "population", "--share-class", "conditional")
        time.sleep(1.2)


def test_building_resident_counts_follow_the_population_disclosure(world, base_url):
    # Residents per building are counts of population records: exact only for whoever may count
    # them everywhere (the police who own them, the administrator); never for a department without
    # a grant, nor for one whose grant is limited to an area — not in items, identify or tiles.
    s = world["s"]
    x, y = 117.6365, 26.2705
    box = f"{x - 0.003},{y - 0.003},{x + 0.003},{y + 0.003}"
    z, tx, ty = 15, *tile_of(x, y, 15)
    for principal, sees in [("police", True), ("admin", True), ("ungranted", False), ("granted", False), ("owner", False), ("anonymous", False)]:
        items = s[principal].get(f"{base_url}/collections/buildings/items", params={"bbox": box, "limit": 50})
        assert items.status_code == 200, (principal, items.text)
        features = items.json()["features"]
        assert features, principal
        assert all(("population" in f["properties"]) == sees for f in features), principal
        # Businesses are unconditional: every department counts them.
        assert all(("businesses" in f["properties"]) == (principal != "anonymous") for f in features), principal
        c = features[0]["geometry"]["coordinates"][0]
        point = (sum(p[0] for p in c[:-1]) / (len(c) - 1), sum(p[1] for p in c[:-1]) / (len(c) - 1))
        found = s[principal].get(f"{base_url}/identify", params={"lon": point[0], "lat": point[1]}).json()
        assert found["building"] is not None and ("population" in found["building"]["properties"]) == sees, principal
        t = s[principal].get(f"{base_url}/tiles/buildings/{z}/{tx}/{ty}.mvt")
        assert t.status_code == 200, principal
        layer = mapbox_vector_tile.decode(t.content)["buildings"]
        assert layer["features"] and all(("population" in f["properties"]) == sees for f in layer["features"]), principal


def test_area_populations_follow_the_population_disclosure(world, base_url):
    # An area's stored population is a count of population records too: in items, labels and tiles
    # only for whoever may count them exactly; the others get an area's figures from /areas.
    s = world["s"]
    for principal, sees in [("police", True), ("admin", True), ("ungranted", False), ("anonymous", False)]:
        for layer in ["admin_areas", "admin_labels"]:
            items = s[principal].get(f"{base_url}/collections/{layer}/items", params={"level": "county", "limit": 20})
            assert items.status_code == 200, (principal, items.text)
            assert all(("population" in f["properties"]) == sees for f in items.json()["features"]), (principal, layer)
        t = s[principal].get(f"{base_url}/tiles/admin_areas/8/211/108.mvt")
        assert t.status_code == 200, principal
        features = mapbox_vector_tile.decode(t.content)["admin_areas"]["features"]
        assert features and all(("population" in f["properties"]) == sees for f in features), principal
        area = s[principal].get(f"{base_url}/areas/350404").json()
        assert area["suppression"]["population"].startswith("exact") == sees, principal


def test_an_area_limited_grant_sees_extents_of_its_area_only(world, base_url, http):
    # The layer's features lie in every county; the grant covers two: the collection's extent and
    # the TileJSON bounds stay within those two counties, the owner's cover them all.
    s = world["s"]
    boxes = []
    for code in world["counties"][:2]:
        f = http.get(f"{base_url}/collections/admin_areas/items", params={"code": code, "limit": 1}).json()["features"][0]
        ring = [p for poly in (f["geometry"]["coordinates"] if f["geometry"]["type"] == "MultiPolygon" else [f["geometry"]["coordinates"]]) for p in poly[0]]
        boxes.append((min(p[0] for p in ring), min(p[1] for p in ring), max(p[0] for p in ring), max(p[1] for p in ring)))
    area = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))

    def inside(b):
        # TileJSON rounds bounds outwards to 6 decimals.
        t = 2e-6
        return b[0] >= area[0] - t and b[1] >= area[1] - t and b[2] <= area[2] + t and b[3] <= area[3] + t

    granted = s["granted"].get(f"{base_url}/collections/acc_c").json()["extent"]["spatial"]["bbox"][0]
    owner = s["owner"].get(f"{base_url}/collections/acc_c").json()["extent"]["spatial"]["bbox"][0]
    assert inside(granted) and not inside(owner), (granted, owner, area)
    bounds = s["granted"].get(f"{base_url}/tiles/acc_c").json()["bounds"]
    assert inside(bounds), (bounds, area)


def test_application_life_cycle_and_its_rules(world, base_url):
    s = world["s"]
    r = s["ungranted"].post(f"{base_url}/applications", json={"layer": "acc_c", "fields": ["beds"], "purpose": "道路周边床位", "validTo": "2099-01-01"})
    assert r.status_code == 201
    aid = r.json()["id"]
    # Only the owner or the administrator decides; never the applicant; decisions are final.
    assert s["ungranted"].post(f"{base_url}/applications/{aid}/approve").status_code in (403, 404)
    assert s["granted"].post(f"{base_url}/applications/{aid}/approve").status_code == 404
    assert s["anonymous"].get(f"{base_url}/applications").status_code == 401
    assert aid in [a["id"] for a in s["owner"].get(f"{base_url}/applications", params={"status": "pending"}).json()["applications"]]
    assert aid not in [a["id"] for a in s["granted"].get(f"{base_url}/applications").json()["applications"]]
    assert s["owner"].post(f"{base_url}/applications/{aid}/reject", json={"note": "用途与数据不符"}).status_code == 200
    assert s["owner"].post(f"{base_url}/applications/{aid}/approve").status_code == 409
    assert s["ungranted"].get(f"{base_url}/collections/acc_c/items").status_code == 403
    # Not-shared layers take no applications; unknown fields and missing purposes are refused.
    assert s["ungranted"].post(f"{base_url}/applications", json={"layer": "acc_n", "fields": ["beds"], "purpose": "测试用途", "validTo": "2099-01-01"}).status_code == 403
    r = s["ungranted"].post(f"{base_url}/applications", json={"layer": "acc_c", "fields": ["salary"], "purpose": "测试用途", "validTo": "2099-01-01"})
    assert r.status_code == 400 and "salary" in r.json()["description"]
    assert s["ungranted"].post(f"{base_url}/applications", json={"layer": "acc_c", "fields": ["beds"], "validTo": "2099-01-01"}).status_code == 400
    # Revoking an approved grant ends access at once.
    r = s["owner"].post(f"{base_url}/applications/{world['grant_c']}/revoke")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert s["granted"].get(f"{base_url}/collections/acc_c/items").status_code == 403


def test_every_access_is_audited_without_keys_and_the_chain_verifies(world, base_url):
    s = world["s"]
    assert s["ungranted"].get(f"{base_url}/audit").status_code == 403
    r = s["admin"].get(f"{base_url}/audit", params={"principal": "SMJY", "limit": 10000})
    assert r.status_code == 200
    records = r.json()["records"]
    assert any(x["endpoint"] == "GET /collections/{id}/items" and x["layer"] == "acc_c" and x["grant"] == world["grant_c"]
               and x["purpose"] == "学校周边医疗资源评估" and x["client"] == "127.0.0.1" for x in records)
    assert any(x["endpoint"] == "GET /tiles/{layers}/{z}/{x}/{y}" for x in records)
    assert any(x["endpoint"] == "POST /stats" and x["area"] == "350404" for x in records)
    # Refusals are audited too, and no record holds a key or a phone number.
    everything = s["admin"].get(f"{base_url}/audit", params={"limit": 10000})
    text = everything.text
    assert all(k not in text for k in (world["s"]["granted"].headers["Authorization"][7:],))
    assert "1801234" not in text
    csv = s["admin"].get(f"{base_url}/audit", params={"f": "csv", "principal": "SMJY"})
    assert csv.headers["Content-Type"].startswith("text/csv") and csv.content.startswith(b"\xef\xbb\xbf")
    assert len(csv.text.strip().splitlines()) == len(records) + 1
    r = cli("audit", "verify", check=False)
    assert r.returncode == 0 and "intact" in r.stdout, r.stderr
    # The server log never carries a key either.
    log = open(os.path.join(os.environ.get("ONEMAP_OUT", "test-output"), "server.log"), encoding="utf-8").read()
    assert "om_" not in log and "1801234" not in log


def test_unmasking_attempts_and_metadata_reads_are_audited(world, base_url):
    s = world["s"]
    # The ungranted department sees acc_u's phones masked: a filter or an equality on them is refused.
    assert s["ungranted"].get(f"{base_url}/collections/acc_u/items", params={"filter": "phone = '18012340019'"}).status_code == 400
    assert s["ungranted"].get(f"{base_url}/collections/acc_u/items", params={"phone": "18012340019"}).status_code == 400
    assert s["ungranted"].get(f"{base_url}/catalog").status_code == 200
    assert s["ungranted"].get(f"{base_url}/tiles/acc_u").status_code == 200
    assert s["ungranted"].get(f"{base_url}/collections/acc_u/queryables").status_code == 200
    time.sleep(1.0)  # the audit is written within a fraction of a second
    records = s["admin"].get(f"{base_url}/audit", params={"principal": "SMJT", "limit": 10000}).json()["records"]
    refused = [x for x in records if x["outcome"] == "400 refused: a query on a field not shown to the caller"]
    assert len([x for x in refused if x["layer"] == "acc_u"]) >= 2, [(x["endpoint"], x["outcome"]) for x in records][-12:]
    endpoints = {x["endpoint"] for x in records}
    assert {"GET /catalog", "GET /tiles/{layers}", "GET /collections/{id}/queryables"} <= endpoints, endpoints
    # The value tried is not in the audit.
    assert "18012340019" not in str(records)


def test_audit_verify_names_the_first_tampered_record_of_a_copy(world, out_dir):
    """The CLI on a copy of the live database: intact, then after each kind of tampering."""
    import sqlite3
    import e2e_db
    src = os.environ["ONEMAP_DB"]
    for case, sql in [("changed", "UPDATE audit_log SET outcome = outcome || ' ok' WHERE seq = 3"),
                      ("deleted", "DELETE FROM audit_log WHERE seq = 4"),
                      ("inserted", "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 5; "
                                   "INSERT INTO audit_log(seq, at, principal, action, endpoint, outcome, prev_hash, hash) "
                                   "SELECT 5, at, 'SMJT/om_00000000', action, endpoint, outcome, hash, hash FROM audit_log WHERE seq = 4; "
                                   "UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1005")]:
        copy = os.path.join(out_dir, f"audit-{case}.sqlite")
        # A consistent copy of the live database (a SQLite backup, or `onemap copy` from PostgreSQL).
        e2e_db.sqlite_copy(copy, src)
        r = subprocess.run([os.environ["ONEMAP_BIN"], "audit", "verify", "--db", copy], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "intact" in r.stdout, r.stderr
        con = sqlite3.connect(copy)
        con.executescript(sql)
        con.close()
        r = subprocess.run([os.environ["ONEMAP_BIN"], "audit", "verify", "--db", copy], capture_output=True, text=True, timeout=120)
        assert r.returncode == 1, (case, r.stdout)
        m = re.search(r"broken at record (\d+)", r.stderr)
        assert m, r.stderr
        assert int(m.group(1)) == {"changed": 3, "deleted": 5, "inserted": 5}[case] or (case == "inserted" and int(m.group(1)) == 6), (case, r.stderr)
