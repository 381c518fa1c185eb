"""One person, one file; one enterprise, one file (一人一档、一企一档): profiles of a person who
moved and changed household, and of an enterprise that moved and was cancelled, compared with a
brute force over the stored versions on several days; who may read them; every read audited."""
import csv
import datetime
import os
import time

import pytest

import e2e_db
from test_problems import cli, key_of, session

CREDIT = "9144030071526726XG"  # valid GB 32100; not a demo code (Shenzhen)
PERSON = "PROF-MOVER-1"


def push(out_dir, name, header, row, layer, valid_from):
    path = os.path.join(out_dir, name)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerow(row)
    return cli("import", path, "--layer", layer, "--mode", "upsert", "--valid-from", valid_from, "--no-check")


@pytest.fixture(scope="module")
def world(out_dir, base_url, http):
    (a,), (b,) = e2e_db.query("SELECT entity_code FROM buildings WHERE valid_to IS NULL AND demolished_date IS NULL "
                              "AND built_date < '2015-01-01' ORDER BY id LIMIT 2")
    people = ["person_key", "building_code", "sex", "birth_year", "household_id", "registration", "moved_in", "id_number"]
    push(out_dir, "prof1.csv", people, [PERSON, a, "女", 1985, "PROF-H1", "户籍", "2020-01-01", "350402198501011234"], "population", "2025-01-01")
    push(out_dir, "prof2.csv", people, [PERSON, b, "女", 1985, "PROF-H2", "流动", "2025-06-01", "350402198501011234"], "population", "2025-06-01")
    firms = ["credit_code", "name", "industry", "employees", "registered", "cancelled", "building_code"]
    push(out_dir, "firm1.csv", firms, [CREDIT, "档案测试公司", "I", 12, "2019-03-01", "", a], "businesses", "2025-01-01")
    push(out_dir, "firm2.csv", firms, [CREDIT, "档案测试公司", "I", 20, "2019-03-01", "", b], "businesses", "2025-06-01")
    push(out_dir, "firm3.csv", firms, [CREDIT, "档案测试公司", "I", 20, "2019-03-01", "2025-09-01", b], "businesses", "2025-10-01")
    police = session(key_of(cli("dept", "key", "SMGA")))
    market = session(key_of(cli("dept", "key", "SMSCJG")))
    profiler = session(key_of(cli("dept", "add", "SMPF", "三明市档案授权局")))
    plain = session(key_of(cli("dept", "add", "SMPN", "三明市普通授权局")))
    grants = {}
    for who, layer, owner, fields, uses in ((profiler, "population", police, ["sex", "birth_year", "household_id"], ["profiles"]),
                                           (profiler, "businesses", market, ["name", "industry", "employees"], ["profiles"]),
                                           (plain, "population", police, ["sex", "birth_year"], [])):
        r = who.post(f"{base_url}/applications", json={"layer": layer, "fields": fields, "purpose": "一人一档核查与服务", "validTo": "2099-01-01",
                                                       "uses": uses})
        assert r.status_code == 201, r.text
        assert r.json()["uses"] == uses
        assert owner.post(f"{base_url}/applications/{r.json()['id']}/approve").status_code == 200
        grants[(who is profiler, layer)] = r.json()["id"]
    time.sleep(1.2)
    return {"a": a, "b": b, "police": police, "profiler": profiler, "plain": plain, "admin": http, "grants": grants}


def brute_person(day, key=PERSON):
    """Versions begun by `day`, merged into address spans and moves, from the rows."""
    rows = e2e_db.query("SELECT building_code, household_id, registration, valid_from, valid_to FROM population "
                        "WHERE person_key = ? ORDER BY valid_from, id", (key,))
    known = [(b, h, r, f, t if t and t <= day else None) for b, h, r, f, t in rows if f <= day]
    addresses, moves = [], []
    for b, h, r, f, t in known:
        if addresses and addresses[-1][0] == b and addresses[-1][2] == f:
            addresses[-1][2] = t
        else:
            if addresses:
                moves.append((f, addresses[-1][0], b))
            addresses.append([b, f, t])
    return known, [tuple(x) for x in addresses], moves


@pytest.mark.parametrize("day", ["2025-03-01", "2025-07-01", "TODAY"])
def test_a_persons_profile_equals_a_brute_force_on_several_days(world, base_url, day):
    if day == "TODAY":
        day = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date().isoformat()
    r = world["police"].get(f"{base_url}/profiles/persons/{PERSON}", params={"datetime": day})
    assert r.status_code == 200, r.text
    p = r.json()
    known, addresses, moves = brute_person(day)
    assert [(a["building"], a["from"], a.get("to")) for a in p["addresses"]] == addresses
    assert [(m["on"], m["from"], m["to"]) for m in p["moves"]] == moves
    assert [(h["value"], h["from"], h.get("to")) for h in p["households"]] == [(h, f, t) for _, h, _, f, t in known]
    assert [v["fields"]["building_code"] for v in p["versions"]] == [b for b, *_ in known]
    assert p["current"]["fields"]["building_code"] == known[-1][0]
    # Each address carries its areas, city down to township.
    for a in p["addresses"]:
        township = e2e_db.query("SELECT township_code FROM buildings WHERE entity_code = ? ORDER BY valid_from DESC LIMIT 1", (a["building"],))[0][0]
        assert a["township"] == township and a["county"] == township[:6] and a["city"] == township[:4] + "00"


def test_an_enterprise_that_moved_and_was_cancelled(world, base_url):
    s = world["profiler"]
    before = s.get(f"{base_url}/profiles/enterprises/{CREDIT}", params={"datetime": "2025-03-01"}).json()
    assert before["status"] == "active" and [a["building"] for a in before["addresses"]] == [world["a"]]
    moved = s.get(f"{base_url}/profiles/enterprises/{CREDIT}", params={"datetime": "2025-07-01"}).json()
    assert [a["building"] for a in moved["addresses"]] == [world["a"], world["b"]] and moved["current"]["fields"]["employees"] == 20
    others = {c for (c,) in e2e_db.query("SELECT credit_code FROM businesses WHERE building_code = ? AND credit_code <> ? "
                                         "AND (valid_from IS NULL OR valid_from <= '2025-07-01') AND (valid_to IS NULL OR valid_to > '2025-07-01')",
                                         (world["b"], CREDIT))}
    assert {n["creditCode"] for n in moved["sameBuilding"]} == others
    after = s.get(f"{base_url}/profiles/enterprises/{CREDIT}", params={"datetime": "2025-12-01"}).json()
    assert after["status"] == "cancelled" and after["cancelled"] == "2025-09-01" and "current" not in after
    assert after["addresses"][-1]["to"] == "2025-09-01"


def test_who_may_read_profiles_and_every_read_is_audited(world, base_url, anon):
    url = f"{base_url}/profiles/persons/{PERSON}"
    # The owner sees the record whole; a profile grant sees what it names, the rest masked.
    whole = world["police"].get(url).json()["current"]["fields"]
    assert whole["person_key"] == PERSON and whole["household_id"] == "PROF-H2" and "****" in whole["masked_identity"]
    granted = world["profiler"].get(url)
    assert granted.status_code == 200 and granted.headers["Cache-Control"] == "private, no-store"
    fields = granted.json()["current"]["fields"]
    assert fields["household_id"] == "PROF-H2" and fields["person_key"] != PERSON and "*" in fields["person_key"]
    assert granted.json()["provenance"]["grant"] == world["grants"][(True, "population")]
    # A grant without profiles, the administrator without a grant, and anonymous callers read none;
    # unknown keys answer an unentitled caller exactly as known ones do.
    for who, status in (("plain", 403), ("admin", 403)):
        assert world[who].get(url).status_code == status
        assert world[who].get(f"{base_url}/profiles/persons/NO-SUCH-PERSON").status_code == status
    assert anon.get(url).status_code == 401 and anon.get(f"{base_url}/profiles/persons/NO-SUCH-PERSON").status_code == 401
    r = world["profiler"].get(f"{base_url}/profiles/persons/NO-SUCH-PERSON")
    assert r.status_code == 404 and "NO-SUCH-PERSON" in r.json()["description"]
    assert world["profiler"].get(f"{base_url}/profiles/persons/bad%20key").status_code == 400
    assert world["profiler"].get(url, params={"datetime": "2025-13-01"}).status_code == 400
    # Every read is in the audit log with the grant and its purpose.
    time.sleep(1.2)
    records = world["admin"].get(f"{base_url}/audit", params={"principal": "SMPF", "limit": 10000}).json()["records"]
    reads = [r for r in records if r["endpoint"] == "GET /profiles/persons/{key}"]
    assert reads and all(r["grant"] == world["grants"][(True, "population")] and r["purpose"] == "一人一档核查与服务" for r in reads)
    assert any(r["outcome"] == "404" for r in reads) and any(r["outcome"] == "200" for r in reads)
    # Profiles need a population or business grant.
    r = world["profiler"].post(f"{base_url}/applications", json={"layer": "buildings", "fields": ["floors"], "purpose": "建筑档案核查",
                                                                "validTo": "2099-01-01", "uses": ["profiles"]})
    assert r.status_code in (400, 403), r.text


def test_relations_of_a_building_and_a_person_equal_a_brute_force(world, base_url, anon):
    day = "2025-07-01"
    a, b = world["a"], world["b"]
    g = world["admin"].get(f"{base_url}/relations/building/{b}", params={"datetime": day}).json()
    valid = "(valid_from IS NULL OR valid_from <= ?) AND (valid_to IS NULL OR valid_to > ?)"
    people = {k for (k,) in e2e_db.query(f"SELECT person_key FROM population WHERE building_code = ? AND person_key IS NOT NULL AND {valid}", (b, day, day))}
    firms = {k for (k,) in e2e_db.query(f"SELECT credit_code FROM businesses WHERE building_code = ? AND {valid}", (b, day, day))}
    township = e2e_db.query(f"SELECT township_code FROM buildings WHERE entity_code = ? AND {valid}", (b, day, day))[0][0]
    ids = {n["id"] for n in g["nodes"]}
    assert ids == {f"building:{b}", f"area:{township}"} | {f"person:{k}" for k in people} | {f"enterprise:{k}" for k in firms}
    assert PERSON in people and CREDIT in firms
    edges = {(e["source"], e["target"], e["type"]) for e in g["edges"]}
    assert (f"person:{PERSON}", f"building:{b}", "lives_in") in edges and (f"enterprise:{CREDIT}", f"building:{b}", "registered_at") in edges
    mover = next(e for e in g["edges"] if e["source"] == f"person:{PERSON}")
    assert mover["from"] == "2025-06-01" and "to" not in mover
    # Two hops from the person: its household's members and its building's neighbours.
    g2 = world["admin"].get(f"{base_url}/relations/person/{PERSON}", params={"datetime": day, "depth": 2}).json()
    members = {k for (k,) in e2e_db.query(f"SELECT person_key FROM population WHERE household_id = 'PROF-H2' AND {valid}", (day, day))}
    assert {f"person:{k}" for k in members | people} | {f"building:{b}", "household:PROF-H2", f"area:{township}"} <= {n["id"] for n in g2["nodes"]}
    # Before the move, the person lived in A.
    g0 = world["admin"].get(f"{base_url}/relations/person/{PERSON}", params={"datetime": "2025-03-01"}).json()
    assert {n["id"] for n in g0["nodes"]} == {f"person:{PERSON}", f"building:{a}", "household:PROF-H1"}


def test_relations_show_people_as_each_caller_may_see_them(world, base_url, anon):
    b = world["b"]
    url = f"{base_url}/relations/building/{b}"
    masked = world["profiler"].get(url, params={"datetime": "2025-07-01"})
    assert masked.status_code == 200
    persons = [n for n in masked.json()["nodes"] if n["type"] == "person"]
    assert persons and all(n["id"].startswith("person:#") for n in persons)
    assert PERSON not in masked.text
    # Anonymous: the building and its area, no people, no enterprises, no counts.
    public = anon.get(url, params={"datetime": "2025-07-01"})
    assert public.status_code == 200
    assert {n["type"] for n in public.json()["nodes"]} <= {"building", "area"}
    assert all("residents" not in n["properties"] for n in public.json()["nodes"])
    # People's relations need the right to read people.
    assert anon.get(f"{base_url}/relations/person/{PERSON}").status_code == 401
    nobody = session(key_of(cli("dept", "add", "SMPZ", "三明市无授权局")))
    time.sleep(1.2)
    assert nobody.get(f"{base_url}/relations/person/{PERSON}").status_code == 403
    assert nobody.get(f"{base_url}/relations/person/NO-SUCH-ONE").status_code == 403
    for bad, status in ((f"/relations/building/{b}?depth=4", 400), ("/relations/car/x", 404), ("/relations/building/NO-SUCH-BUILDING", 404),
                        (f"/relations/building/{b}?colour=red", 400)):
        r = world["admin"].get(base_url + bad)
        assert r.status_code == status and r.json()["description"], bad


def test_entity_codes_are_stable_across_versions(world, base_url, anon):
    # The building of the problems test's sites has one version; a building edited by the import
    # tests may have more: every version of the code comes back, in time order, public fields for anyone.
    code = e2e_db.query("SELECT entity_code FROM buildings GROUP BY entity_code ORDER BY count(*) DESC, entity_code LIMIT 1")[0][0]
    rows = e2e_db.query("SELECT id, valid_from, valid_to, floors FROM buildings WHERE entity_code = ? ORDER BY valid_from, id", (code,))
    h = anon.get(f"{base_url}/entities/{code}/history").json()
    assert h["type"] == "building" and [(v["id"], v["from"], v.get("to"), v["fields"]["floors"]) for v in h["versions"]] == rows
    assert all("population" not in v["fields"] for v in h["versions"])  # an internal field, not for the public
    area = anon.get(f"{base_url}/entities/350404/history").json()
    assert area["type"] == "area" and area["versions"][0]["fields"]["name"] == "三元区"
    firm = world["profiler"].get(f"{base_url}/entities/{CREDIT}/history").json()
    assert firm["type"] == "enterprise" and [v.get("to") for v in firm["versions"]] == ["2025-06-01", "2025-09-01"]
    assert anon.get(f"{base_url}/entities/{CREDIT}/history").status_code == 401
    assert anon.get(f"{base_url}/entities/NO-SUCH-CODE/history").status_code == 404
    assert anon.get(f"{base_url}/entities/bad%20code/history").status_code == 400


@pytest.mark.parametrize("day", ["2021-06-01", "2025-07-01"])
def test_entities_counted_per_area_by_their_codes_match_stats(world, http, base_url, day):
    """唯一可数: distinct building codes, person keys and credit codes in an area on a day (centroid
    rule, from the rows) equal the area's /stats figures for the data centre."""
    valid = "(x.valid_from IS NULL OR x.valid_from <= ?) AND (x.valid_to IS NULL OR x.valid_to > ?)"
    township = e2e_db.query("SELECT code FROM admin_areas WHERE level = 'township' AND code LIKE '350404%' ORDER BY code LIMIT 1")[0][0]
    for code in ("350404", township):
        area_ids = [i for (i,) in e2e_db.query(f"SELECT id FROM admin_areas x WHERE code = ? AND {valid}", (code, day, day))]
        assert len(area_ids) == 1
        codes = {c for (c,) in e2e_db.query(f"SELECT x.entity_code FROM building_areas ba JOIN buildings x ON x.id = ba.building_id "
                                            f"WHERE ba.area_id = ? AND {valid}", (area_ids[0], day, day))}
        people, firms = set(), set()
        for key, building in e2e_db.query(f"SELECT person_key, building_code FROM population x WHERE {valid}", (day, day)):
            if building in codes:
                people.add(key)
        for key, building in e2e_db.query(f"SELECT credit_code, building_code FROM businesses x WHERE {valid}", (day, day)):
            if building in codes:
                firms.add(key)
        stats = http.get(f"{base_url}/stats", params={"area": code, "datetime": day}, timeout=60).json()
        assert stats["buildings"]["count"] == len(codes), code
        assert stats["population"]["total"] == len(people), code
        assert stats["businesses"]["count"] == len(firms), code


def test_profiles_as_a_page_with_a_map_and_as_pdf_with_provenance(world, base_url, out_dir):
    import subprocess
    r = world["profiler"].get(f"{base_url}/profiles/persons/{PERSON}", params={"f": "html", "datetime": "2025-07-01"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html"), r.text[:300]
    page = r.text
    assert "一人一档" in page and "data:image/png;base64," in page and world["b"] in page and "迁移 Moves" in page
    assert PERSON not in page  # the grant does not name the person key: masked here too
    assert "一人一档核查与服务" in page  # the grant's purpose, in the provenance
    r = world["profiler"].get(f"{base_url}/profiles/enterprises/{CREDIT}", params={"f": "pdf", "datetime": "2025-12-01"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf" and r.content[:5] == b"%PDF-"
    path = os.path.join(out_dir, "profile-enterprise.pdf")
    with open(path, "wb") as fh:
        fh.write(r.content)
    text = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True).stdout
    assert "一企一档" in text and CREDIT in text and "注销" in text and "2025-09-01" in text and "审计记录" in text
    # The page cites its audit record, which names the grant.
    audit_id = int(text.split("审计记录 #")[1].split()[0])
    time.sleep(1.2)
    records = world["admin"].get(f"{base_url}/audit", params={"after": audit_id - 1, "limit": 1}).json()["records"]
    assert records[0]["seq"] == audit_id and records[0]["endpoint"] == "GET /profiles/enterprises/{key}"
    assert records[0]["grant"] == world["grants"][(True, "businesses")]
    assert world["profiler"].get(f"{base_url}/profiles/persons/{PERSON}", params={"f": "docx"}).status_code == 400


def test_the_demos_movers_profiles_equal_a_brute_force_before_and_after_their_move(world, base_url):
    movers = e2e_db.query("SELECT person_key, min(valid_to) FROM population WHERE person_key LIKE 'B%' GROUP BY person_key "
                          "HAVING count(DISTINCT building_code) = 2 ORDER BY person_key LIMIT 3")
    assert len(movers) == 3, "the demo has people who moved"
    today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date().isoformat()
    for key, moved in movers:
        before = (datetime.date.fromisoformat(moved) - datetime.timedelta(days=1)).isoformat()
        for day in (before, moved, today):
            p = world["police"].get(f"{base_url}/profiles/persons/{key}", params={"datetime": day}).json()
            known, addresses, moves = brute_person(day, key)
            assert [(a["building"], a["from"], a.get("to")) for a in p["addresses"]] == addresses, (key, day)
            assert [(m["on"], m["from"], m["to"]) for m in p["moves"]] == moves, (key, day)
            assert [(h["value"], h["from"], h.get("to")) for h in p["households"]] == [(h, f, t) for _, h, _, f, t in known], (key, day)
        assert len(moves) == 1 and moves[0][0] == moved


def test_a_grant_limited_to_an_area_sees_people_and_enterprises_only_there(world, base_url):
    police = world["police"]
    limited = session(key_of(cli("dept", "add", "SMPL", "三明市区域授权局")))
    r = limited.post(f"{base_url}/applications", json={"layer": "population", "fields": ["sex"], "purpose": "三元区人口关系核查",
                                                       "area": "350404", "validTo": "2099-01-01"})
    assert police.post(f"{base_url}/applications/{r.json()['id']}/approve").status_code == 200
    time.sleep(1.2)
    inside, outside = (e2e_db.query("SELECT entity_code FROM buildings WHERE valid_to IS NULL AND population > 2 AND township_code " + cond +
                                    " ORDER BY id LIMIT 1")[0][0] for cond in ("LIKE '350404%'", "NOT LIKE '350404%'"))
    people = lambda code: [n for n in limited.get(f"{base_url}/relations/building/{code}").json()["nodes"] if n["type"] == "person"]
    assert people(inside) and not people(outside)
    # Two hops through a household never leave the area either.
    g = limited.get(f"{base_url}/relations/building/{outside}", params={"depth": 3}).json()
    assert not [n for n in g["nodes"] if n["type"] in ("person", "household")]
