"""The correction loop (clause 14, 发现、提交、纠治、反馈确认) between two departments over HTTP: file,
accept, correct by a linked import, confirm; reject and reopen; correct by a Part 4 edit; every
step audited; a department never sees problems on data it may not read; bad input named."""
import base64
import datetime
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


def key_of(out):
    return re.search(r"(om_[0-9a-f]{40})", out).group(1)


def session(key=None):
    s = requests.Session()
    if key:
        s.headers["Authorization"] = f"Bearer {key}"
    return s


def sites(storeys):
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [117.64 + i * 0.001, 26.25]},
         "properties": {"site": f"P{i}", "storeys": storeys[i], "kind": "仓库"}} for i in range(3)]}


def today():
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date().isoformat()


@pytest.fixture(scope="module")
def loop(base_url, out_dir, http):
    """住建 (SMPW) owns an unconditional layer of sites and a not-shared one; 应急 (SMPR) reports;
    交通 (SMPX) reads the shared layer only."""
    keys = {"owner": key_of(cli("dept", "add", "SMPW", "三明市住房和城乡建设局（纠错）")),
            "reporter": key_of(cli("dept", "add", "SMPR", "三明市应急管理局（纠错）")),
            "outsider": key_of(cli("dept", "add", "SMPX", "三明市交通运输局（纠错）"))}
    path = os.path.join(out_dir, "problem_sites.geojson")
    with open(path, "w") as fh:
        json.dump(sites([3, 4, 5]), fh, ensure_ascii=False)
    cli("import", path, "--layer", "pb_sites", "--owner", "SMPW", "--share-class", "unconditional", "--key", "site", "--valid-from", "2024-01-01")
    cli("import", path, "--layer", "pb_secret", "--owner", "SMPW", "--share-class", "not_shared", "--key", "site", "--valid-from", "2024-01-01")
    time.sleep(1.2)
    s = {k: session(v) for k, v in keys.items()}
    s["admin"], s["anonymous"] = http, session()
    return {"s": s, "path": path}


def current(s, base_url, layer="pb_sites"):
    r = s.get(f"{base_url}/collections/{layer}/items", params={"limit": 100})
    assert r.status_code == 200, r.text
    return {f["properties"]["site"]: f for f in r.json()["features"]}


def step(s, base_url, pid, action, **body):
    return s.post(f"{base_url}/problems/{pid}/{action}", json=body)


def test_file_accept_correct_by_import_confirm_every_step_audited(loop, base_url, out_dir):
    s = loop["s"]
    p1 = current(s["reporter"], base_url)["P1"]
    photo = bytes(range(256)) * 8
    r = s["reporter"].post(f"{base_url}/problems", json={
        "layer": "pb_sites", "id": p1["id"], "field": "storeys", "description": "实地核查为5层，不是4层", "proposedValue": "5",
        "evidence": "2026年11月现场照片", "priority": "high",
        "attachment": {"name": "现场.jpg", "mediaType": "image/jpeg", "data": base64.b64encode(photo).decode()}})
    assert r.status_code == 201, r.text
    filed = r.json()
    pid = filed["id"]
    assert r.headers["Location"].endswith(f"/problems/{pid}")
    assert filed["state"] == "open" and filed["owner"] == "SMPW" and filed["reporter"] == "SMPR"
    assert filed["target"] == {"layer": "pb_sites", "id": p1["id"], "key": "P1", "keyMasked": False}
    assert filed["location"]["type"] == "Point" and abs(filed["location"]["coordinates"][0] - 117.641) < 1e-6
    # The deadline follows from the priority (high: 7 days), from today in UTC+8.
    assert filed["deadline"] == (datetime.date.fromisoformat(today()) + datetime.timedelta(days=7)).isoformat()
    assert filed["overdue"] is False and filed["actions"] == []
    assert [e["action"] for e in filed["history"]] == ["file"]
    assert filed["attachment"]["size"] == len(photo)
    a = s["owner"].get(filed["attachment"]["href"])
    assert a.status_code == 200 and a.content == photo and a.headers["Content-Type"] == "image/jpeg"
    assert a.headers["X-Content-Type-Options"] == "nosniff" and a.headers["Content-Disposition"].startswith("attachment")

    # The owner sees what it may do; the reporter cannot take the owner's steps.
    seen = s["owner"].get(f"{base_url}/problems/{pid}").json()
    assert sorted(seen["actions"]) == ["accept", "correct", "reject"]
    r = step(s["reporter"], base_url, pid, "accept")
    assert r.status_code == 403 and "SMPW" in r.json()["description"]
    r = step(s["reporter"], base_url, pid, "confirm")
    assert r.status_code == 409 and "open" in r.json()["description"]
    r = step(s["owner"], base_url, pid, "accept", note="核实中")
    assert r.status_code == 200 and r.json()["state"] == "accepted", r.text

    # A correction must link a version written after filing, of the same entity.
    r = step(s["owner"], base_url, pid, "correct")
    assert r.status_code == 400 and "version" in r.json()["description"]
    r = step(s["owner"], base_url, pid, "correct", version=p1["id"])
    assert r.status_code == 400 and "before problem" in r.json()["description"]
    # The producer corrects at the source and pushes again (an import from today).
    with open(loop["path"], "w") as fh:
        json.dump(sites([3, 5, 5]), fh, ensure_ascii=False)
    cli("import", loop["path"], "--layer", "pb_sites", "--valid-from", today())
    time.sleep(1.2)
    now = current(s["owner"], base_url)
    assert now["P1"]["properties"]["storeys"] == 5 and now["P1"]["id"] != p1["id"]
    r = step(s["owner"], base_url, pid, "correct", version=now["P2"]["id"])
    assert r.status_code in (400, 404), r.text  # P2 was not written by the import: it did not change
    r = step(s["owner"], base_url, pid, "correct", version=99_999_999)
    assert r.status_code == 404 and "99999999" in r.json()["description"]
    r = step(s["owner"], base_url, pid, "correct", version=now["P1"]["id"], note="已按实地核查更正")
    assert r.status_code == 200, r.text
    corrected = r.json()
    assert corrected["state"] == "corrected" and corrected["correctionVersion"] == now["P1"]["id"]
    assert any(l["href"].endswith(f"/collections/pb_sites/items/{now['P1']['id']}") for l in corrected["links"])

    # Only the reporter confirms.
    assert step(s["owner"], base_url, pid, "confirm").status_code == 403
    r = step(s["reporter"], base_url, pid, "confirm", note="已确认")
    assert r.status_code == 200 and r.json()["state"] == "confirmed"
    history = r.json()["history"]
    assert [(e["action"], e.get("from"), e["to"]) for e in history] == [
        ("file", None, "open"), ("accept", "open", "accepted"), ("correct", "accepted", "corrected"), ("confirm", "corrected", "confirmed")]
    assert [e["department"] for e in history] == ["SMPR", "SMPW", "SMPW", "SMPR"]
    assert history[2]["version"] == now["P1"]["id"]
    assert step(s["reporter"], base_url, pid, "reopen", note="再看看").status_code == 409

    # Every step is in the audit chain, with who took it and the transition.
    time.sleep(1.0)
    records = s["admin"].get(f"{base_url}/audit", params={"action": "problem", "layer": "pb_sites", "limit": 10000}).json()["records"]
    outcomes = [r["outcome"] for r in records if re.search(rf"problem {pid}\b", r["outcome"])]
    assert outcomes == [f"201 problem {pid} filed", f"200 problem {pid} open -> accepted", f"200 problem {pid} accepted -> corrected",
                        f"200 problem {pid} corrected -> confirmed"], outcomes
    mine = [r for r in records if re.search(rf"problem {pid}\b", r["outcome"])]
    assert [r["principal"].split("/")[0] for r in mine] == ["SMPR", "SMPW", "SMPW", "SMPR"]
    assert all("om_" not in json.dumps(r).replace(r["principal"], "") for r in mine)


def test_reject_reopen_and_a_correction_by_a_part4_edit(loop, base_url):
    s = loop["s"]
    p0 = current(s["reporter"], base_url)["P0"]
    r = s["reporter"].post(f"{base_url}/problems", json={"layer": "pb_sites", "id": p0["id"], "field": "kind", "description": "应为厂房而非仓库",
                                                        "proposedValue": "厂房"})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = step(s["owner"], base_url, pid, "reject")
    assert r.status_code == 400 and "reason" in r.json()["description"]
    r = step(s["owner"], base_url, pid, "reject", note="登记用途即仓库")
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert step(s["owner"], base_url, pid, "accept").status_code == 409
    # The reporter disputes: reopened, a fresh deadline, counted.
    assert step(s["reporter"], base_url, pid, "reopen").status_code == 400
    r = step(s["reporter"], base_url, pid, "reopen", note="附现场照片，确为厂房")
    assert r.status_code == 200 and r.json()["state"] == "open" and r.json()["reopened"] == 1
    assert step(s["owner"], base_url, pid, "accept").status_code == 200
    # Corrected by an OGC API – Features Part 4 edit: the new version's id comes back in Location.
    r = s["owner"].patch(f"{base_url}/collections/pb_sites/items/{p0['id']}", json={"type": "Feature", "properties": {"kind": "厂房"}})
    assert r.status_code == 200, r.text
    version = int(r.headers["Location"].rsplit("/", 1)[1])
    r = step(s["owner"], base_url, pid, "correct", version=version)
    assert r.status_code == 200 and r.json()["state"] == "corrected"
    # Not satisfied: reopened again; the link is cleared, the count goes on.
    r = step(s["reporter"], base_url, pid, "reopen", note="楼层数也不对")
    assert r.status_code == 200
    p = r.json()
    assert p["state"] == "open" and p["reopened"] == 2 and "correctionVersion" not in p
    assert [e["action"] for e in p["history"]] == ["file", "reject", "reopen", "accept", "correct", "reopen"]


def test_a_department_sees_only_problems_on_data_it_may_read(loop, base_url):
    s = loop["s"]
    # The owner files on its not-shared layer; the reporter cannot file there at all.
    secret = current(s["owner"], base_url, "pb_secret")["P2"]
    r = s["owner"].post(f"{base_url}/problems", json={"layer": "pb_secret", "id": secret["id"], "description": "内部核查发现坐标偏移"})
    assert r.status_code == 201, r.text
    hidden = r.json()["id"]
    r = s["reporter"].post(f"{base_url}/problems", json={"layer": "pb_secret", "description": "看不到的数据"})
    assert r.status_code == 403
    shared = s["reporter"].post(f"{base_url}/problems", json={"layer": "pb_sites", "description": "整层缺少P3工地"}).json()["id"]
    for who in ("reporter", "outsider"):
        assert s[who].get(f"{base_url}/problems/{hidden}").status_code == 404
        assert step(s[who], base_url, hidden, "confirm").status_code == 404
        listed = s[who].get(f"{base_url}/problems", params={"limit": 1000}).json()
        ids = {p["id"] for p in listed["problems"]}
        assert hidden not in ids and shared in ids and all(p["target"]["layer"] != "pb_secret" for p in listed["problems"])
        feed = s[who].get(f"{base_url}/problems/feed", params={"since": 0, "limit": 1000}).json()
        assert hidden not in {e["problem"] for e in feed["events"]} and shared in {e["problem"] for e in feed["events"]}
    for who in ("owner", "admin"):
        assert s[who].get(f"{base_url}/problems/{hidden}").status_code == 200
        assert hidden in {p["id"] for p in s[who].get(f"{base_url}/problems", params={"layer": "pb_secret"}).json()["problems"]}
    # The outsider reads the shared layer, so it sees problems on it, but takes no steps.
    assert s["outsider"].get(f"{base_url}/problems/{shared}").json()["actions"] == []
    assert step(s["outsider"], base_url, shared, "accept").status_code == 403
    assert s["anonymous"].get(f"{base_url}/problems").status_code == 401
    assert s["anonymous"].post(f"{base_url}/problems", json={"layer": "pb_sites", "description": "匿名报告"}).status_code == 401


def test_lists_filter_by_department_role_state_and_area_and_the_feed_moves_on(loop, base_url):
    s = loop["s"]
    mine = s["reporter"].get(f"{base_url}/problems", params={"role": "reporter"}).json()
    assert mine["numberMatched"] >= 2 and all(p["reporter"] == "SMPR" for p in mine["problems"])
    owned = s["owner"].get(f"{base_url}/problems", params={"department": "SMPW", "role": "owner", "state": "open,accepted"}).json()
    assert all(p["owner"] == "SMPW" and p["state"] in ("open", "accepted") for p in owned["problems"])
    inside = s["owner"].get(f"{base_url}/problems", params={"layer": "pb_sites", "bbox": "117.6405,26.249,117.6415,26.251"}).json()
    assert inside["numberMatched"] >= 1 and all(abs(p["location"]["coordinates"][0] - 117.641) < 1e-6 for p in inside["problems"])
    # area=CODE: located in the area's boundary today (the sites are in the city, not in 永安).
    city = {p["id"] for p in s["owner"].get(f"{base_url}/problems", params={"layer": "pb_sites", "area": "350400", "limit": 1000}).json()["problems"]}
    assert {p["id"] for p in inside["problems"]} <= city
    assert not {p["id"] for p in s["owner"].get(f"{base_url}/problems", params={"layer": "pb_sites", "area": "350481"}).json()["problems"]} & city
    assert s["owner"].get(f"{base_url}/problems", params={"area": "999999"}).status_code == 404
    assert s["owner"].get(f"{base_url}/problems", params={"area": "abc"}).status_code == 400
    page = s["owner"].get(f"{base_url}/problems", params={"limit": 1}).json()
    assert page["numberReturned"] == 1 and page["next"] == 1
    geo = s["owner"].get(f"{base_url}/problems", params={"f": "geojson", "layer": "pb_sites"})
    assert geo.headers["Content-Type"].startswith("application/geo+json") and geo.json()["type"] == "FeatureCollection"
    # Every feature has its geometry member (null for a problem filed without a location).
    assert all("geometry" in f for f in geo.json()["features"])
    everything = s["owner"].get(f"{base_url}/problems", params={"f": "geojson"}).json()["features"]
    assert all("geometry" in f for f in everything) and any(f["geometry"] is None for f in everything)
    first = s["reporter"].get(f"{base_url}/problems/feed", params={"since": 0, "limit": 2}).json()
    assert len(first["events"]) == 2
    rest = s["reporter"].get(f"{base_url}/problems/feed", params={"since": first["next"]}).json()
    assert all(e["id"] > first["next"] for e in rest["events"])
    assert {e["id"] for e in first["events"]}.isdisjoint({e["id"] for e in rest["events"]})


@pytest.mark.parametrize("body,status,words", [
    ({"layer": "no_such_layer", "description": "不存在的图层"}, 404, "no_such_layer"),
    ({"layer": "pb_sites", "id": 99_999_999, "description": "不存在的要素"}, 404, "99999999"),
    ({"layer": "pb_sites", "field": "salary", "description": "没有这个字段"}, 400, "salary"),
    ({"layer": "pb_sites"}, 400, "description"),
    ({"layer": "pb_sites", "description": "短"}, 400, "description"),
    ({"layer": "pb_sites", "description": "多余成员", "colour": "red"}, 400, "colour"),
    ({"layer": "pb_sites", "description": "优先级错", "priority": "asap"}, 400, "priority"),
    ({"layer": "pb_sites", "description": "坐标不是GeoJSON", "location": {"type": "Pointy"}}, 400, "location"),
    ({"layer": "pb_sites", "description": "附件不是base64", "attachment": {"name": "a.txt", "data": "***"}}, 400, "base64"),
])
def test_bad_reports_are_refused_naming_the_problem(loop, base_url, body, status, words):
    r = loop["s"]["reporter"].post(f"{base_url}/problems", json=body)
    assert r.status_code == status, r.text
    assert words in r.json()["description"]


def test_oversized_evidence_and_unknown_steps_are_refused(loop, base_url):
    s = loop["s"]
    big = base64.b64encode(b"\0" * (4 * 1024 * 1024 + 1)).decode()
    r = s["reporter"].post(f"{base_url}/problems", json={"layer": "pb_sites", "description": "附件太大",
                                                        "attachment": {"name": "big.bin", "mediaType": "application/octet-stream", "data": big}})
    assert r.status_code == 413 and "MiB" in r.json()["description"]
    r = s["reporter"].post(f"{base_url}/problems", data=b"x" * (7 * 1024 * 1024), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    pid = s["reporter"].post(f"{base_url}/problems", json={"layer": "pb_sites", "description": "步骤测试"}).json()["id"]
    r = step(s["owner"], base_url, pid, "approve")
    assert r.status_code == 404 and "approve" in r.json()["description"]
    r = step(s["owner"], base_url, pid, "accept", colour="red")
    assert r.status_code == 400 and "colour" in r.json()["description"]
    assert s["owner"].get(f"{base_url}/problems/abc").status_code == 400
    r = s["owner"].get(f"{base_url}/problems/99999999")
    assert r.status_code == 404 and r.json()["description"]
    r = s["owner"].get(f"{base_url}/problems", params={"state": "closed"})
    assert r.status_code == 400 and "closed" in r.json()["description"]
    r = s["owner"].get(f"{base_url}/problems", params={"sort": "id"})
    assert r.status_code == 400 and "sort" in r.json()["description"]


def test_an_import_runs_the_checks_files_a_finding_and_the_next_import_closes_it(loop, base_url, out_dir):
    import csv
    import e2e_db
    s = loop["s"]
    code, built = e2e_db.query("SELECT entity_code, built_date FROM buildings WHERE valid_to IS NULL AND demolished_date IS NULL "
                               "AND built_date > '2005-01-01' ORDER BY id LIMIT 1")[0]
    path = os.path.join(out_dir, "check_people.csv")

    def push(moved_in):
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["person_key", "building_code", "sex", "birth_year", "household_id", "registration", "moved_in", "id_number"])
            w.writerow(["CHK-PERSON-1", code, "男", 1980, "CHK-H1", "户籍", moved_in, "350402198001011234"])
        return cli("import", path, "--layer", "population", "--mode", "upsert", "--valid-from", today())

    # Registered at the building 15 years before it stood: the import's checks file it.
    out = push("1990-01-01")
    assert re.search(r"consistency checks: \d+ finding\(s\); filed [1-9]", out), out
    listed = s["admin"].get(f"{base_url}/problems", params={"check": "resident_building_absent", "state": "open", "limit": 1000}).json()
    mine = [p for p in listed["problems"] if p["target"].get("key") == "CHK-PERSON-1"]
    assert len(mine) == 1, listed
    p = mine[0]
    assert p["owner"] == "SMGA" and p["reporter"] == "SMDSJ" and p["field"] == "building_code" and code in p["description"] and "1990-01-01" in p["description"]
    # The police (the producer) see it as theirs to correct; a run that finds it again files nothing new.
    assert "resident_building_absent: found" in cli("check", "--layer", "population")
    assert len([q for q in s["admin"].get(f"{base_url}/problems", params={"check": "resident_building_absent", "limit": 1000}).json()["problems"]
                if q["target"].get("key") == "CHK-PERSON-1"]) == 1
    # The producer pushes the corrected record: the next import's checks close the finding.
    out = push(today())
    assert re.search(r"closed [1-9]", out), out
    r = s["admin"].get(f"{base_url}/problems/{p['id']}").json()
    assert r["state"] == "corrected" and r["history"][-1]["by"] == "cli:import"
    # The data centre, which reported it, confirms.
    r = step(s["admin"], base_url, p["id"], "confirm", note="已核实")
    assert r.status_code == 200 and r.json()["state"] == "confirmed", r.text


def test_a_departments_webhook_is_pushed_its_problems_events_signed(loop, base_url):
    import hashlib
    import hmac
    import http.server
    import threading
    received = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers.get("X-OneMap-Signature")))
            # The first delivery fails: it must come again.
            self.send_response(500 if len(received) == 1 else 204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        s = loop["s"]
        url = f"http://127.0.0.1:{server.server_address[1]}/onemap"
        assert s["reporter"].put(f"{base_url}/problems/webhook", json={"url": "ftp://example/x"}).status_code == 400
        r = s["reporter"].put(f"{base_url}/problems/webhook", json={"url": url})
        assert r.status_code == 201, r.text
        secret = r.json()["secret"]
        assert len(secret) == 64 and "secret" not in s["reporter"].get(f"{base_url}/problems/webhook").json()
        pid = s["reporter"].post(f"{base_url}/problems", json={"layer": "pb_sites", "description": "推送测试：坐标偏移"}).json()["id"]
        assert step(s["owner"], base_url, pid, "accept").status_code == 200
        # Another department's problem on a layer the reporter cannot read is never pushed to it.
        s["owner"].post(f"{base_url}/problems", json={"layer": "pb_secret", "description": "内部：不应推送"})
        deadline = time.time() + 20
        events = []
        while time.time() < deadline:
            events = [e for body, _ in received[1:] for e in json.loads(body)["events"]]
            if {"file", "accept"} <= {e["action"] for e in events if e["problem"] == pid}:
                break
            time.sleep(0.3)
        assert len(received) >= 2, received
        assert [(e["problem"], e["action"]) for e in events if e["problem"] == pid] == [(pid, "file"), (pid, "accept")]
        assert all(json.loads(body)["department"] == "SMPR" for body, _ in received)
        for body, signature in received:
            assert signature == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        secret_problems = {p["id"] for p in s["owner"].get(f"{base_url}/problems", params={"layer": "pb_secret"}).json()["problems"]}
        assert not secret_problems & {e["problem"] for e in events}
        state = s["reporter"].get(f"{base_url}/problems/webhook").json()
        assert state["failures"] == 0 and state["lastEvent"] >= max(e["id"] for e in events)
        assert s["reporter"].delete(f"{base_url}/problems/webhook").status_code == 204
        assert s["reporter"].get(f"{base_url}/problems/webhook").status_code == 404
    finally:
        server.shutdown()


def test_personal_fields_in_problems_follow_the_callers_view(loop, base_url):
    import e2e_db
    s = loop["s"]
    police = session(key_of(cli("dept", "key", "SMGA")))
    granted = session(key_of(cli("dept", "add", "SMPG", "三明市纠错授权局")))
    # A grant on population without the masked identity or the person key.
    r = granted.post(f"{base_url}/applications", json={"layer": "population", "fields": ["sex", "birth_year"], "purpose": "人口纠错测试",
                                                       "validTo": "2099-01-01"})
    assert r.status_code == 201, r.text
    assert police.post(f"{base_url}/applications/{r.json()['id']}/approve").status_code == 200
    time.sleep(1.2)
    rid, key = e2e_db.query("SELECT id, person_key FROM population WHERE valid_to IS NULL AND person_key IS NOT NULL ORDER BY id LIMIT 1")[0]
    r = police.post(f"{base_url}/problems", json={"layer": "population", "id": rid, "field": "masked_identity",
                                                  "description": "身份信息与户籍底册不符", "proposedValue": "350402********4321"})
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["target"]["key"] == key and filed["proposedValue"] == "350402********4321"
    # The granted department sees the problem, but neither the person key nor the personal value.
    seen = granted.get(f"{base_url}/problems/{filed['id']}")
    assert seen.status_code == 200, seen.text
    doc = seen.json()
    assert doc["target"]["keyMasked"] is True and "key" not in doc["target"]
    assert doc["proposedValueMasked"] is True and "proposedValue" not in doc
    assert key not in seen.text and "350402********4321" not in seen.text
    # A department without the right to read people does not see it at all; the data centre sees it whole.
    assert s["outsider"].get(f"{base_url}/problems/{filed['id']}").status_code == 404
    assert s["admin"].get(f"{base_url}/problems/{filed['id']}").json()["proposedValue"] == "350402********4321"
    # Filing on a field the caller is not shown is refused.
    r = granted.post(f"{base_url}/problems", json={"layer": "population", "id": rid, "field": "masked_identity", "description": "看不到的字段"})
    assert r.status_code == 403 and "masked_identity" in r.json()["description"]
