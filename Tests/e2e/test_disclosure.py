"""Disclosure control over HTTP: what an anonymous caller learns from differences, repetition and
breakdowns of /stats, /areas and time series, against what the administrator sees exactly."""
import math

DAY = "2024-06-01"


def square(x, y, half_m, clockwise=False):
    mx, my = 111_320 * math.cos(math.radians(y)), 110_574
    dx, dy = half_m / mx, half_m / my
    ring = [[x - dx, y - dy], [x + dx, y - dy], [x + dx, y + dy], [x - dx, y + dy], [x - dx, y - dy]]
    return ring[::-1] if clockwise else ring


def buildings_with_residents(http, base_url):
    r = http.get(f"{base_url}/collections/buildings/items",
                 params={"bbox": "117.58,26.22,117.66,26.30", "limit": 2000, "datetime": DAY}, timeout=60)
    assert r.status_code == 200, r.text
    out = []
    for f in r.json()["features"]:
        ring = f["geometry"]["coordinates"][0][:-1]
        n = f["properties"].get("population")
        if isinstance(n, int) and n > 0:
            out.append((sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring), n))
    return out


def total(session, base_url, rings):
    r = session.post(f"{base_url}/stats", json={"area": {"type": "Polygon", "coordinates": rings}, "datetime": DAY}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["population"]["total"]


def test_the_square_with_a_hole_attack_learns_no_building_s_residents(http, anon, base_url):
    found = buildings_with_residents(http, base_url)
    targets = [b for b in found if b[2] <= 4][:10] + [b for b in found if b[2] >= 5][:10]
    attacked = recovered = recovered_small = 0
    for x, y, residents in targets:
        outer, hole = square(x, y, 400), square(x, y, 3, clockwise=True)
        # The administrator's exact figures do differ by the building's residents: the attack is real.
        if total(http, base_url, [outer]) - total(http, base_url, [outer, hole]) != residents:
            continue
        attacked += 1
        a, b = total(anon, base_url, [outer]), total(anon, base_url, [outer, hole])
        if isinstance(a, int) and isinstance(b, int) and a - b == residents:
            recovered += 1
            recovered_small += residents <= 4
    assert attacked >= 10
    assert recovered * 5 <= attacked and recovered_small == 0, (recovered, recovered_small, attacked)


def test_the_same_question_gets_the_same_answer_and_says_how_it_was_protected(anon, base_url):
    body = {"area": {"circle": {"center": [117.63, 26.26], "radius": 800}}, "datetime": DAY, "groupBy": ["ageBand", "sex"]}
    answers = [anon.post(f"{base_url}/stats", json=body, timeout=60).json() for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    doc = answers[0]
    assert doc["suppression"]["population"].startswith("protected: cell-key")
    assert doc["area"]["statisticalGridCells"] > 0
    # Every category, small ones as "<5": which ones occur tells nothing.
    assert set(doc["population"]["bySex"]) == {"M", "F"}
    assert set(doc["population"]["byAgeBand"]) == {"0-14", "15-59", "60-64", "65+"}
    for v in list(doc["population"]["bySex"].values()) + [g["people"] for g in doc["groups"]["population"]]:
        assert v == "<5" or (isinstance(v, int) and v >= 5)


def test_a_three_metre_circle_shows_nothing_but_below_five(anon, base_url):
    body = {"area": {"circle": {"center": [117.6089, 26.2635], "radius": 3}}, "datetime": DAY}
    doc = anon.post(f"{base_url}/stats", json=body, timeout=60).json()
    p = doc["population"]
    assert p["total"] == "<5" and p["households"] == "<5"
    assert set(p["bySex"].values()) == {"<5"} and set(p["byAgeBand"].values()) == {"<5"} and set(p["byRegistration"].values()) == {"<5"}


def test_areas_children_and_time_series_publish_alike(http, anon, base_url):
    area = anon.get(f"{base_url}/areas/350404", params={"datetime": DAY}, timeout=60).json()
    stats = anon.get(f"{base_url}/stats", params={"area": "350404", "datetime": DAY}, timeout=60).json()
    assert area["population"] == stats["population"]
    exact = http.get(f"{base_url}/areas/350404", params={"datetime": DAY}, timeout=60).json()
    exact_children = {c["code"]: c["population"] for c in exact["children"]}
    for c in area["children"]:
        assert c["population"] == "<5" or (isinstance(c["population"], int) and c["population"] >= 5)
        if isinstance(c["population"], int):
            # The documented bound: within 2 per statistical grid cell of the area (the noise comes
            # from the database's own secret, so a fixed percentage fails for some databases).
            cells = anon.get(f"{base_url}/stats", params={"area": c["code"], "datetime": DAY}, timeout=60).json()["area"]["statisticalGridCells"]
            assert abs(c["population"] - exact_children[c["code"]]) <= 2 * cells, (c, exact_children[c["code"]], cells)
    series = anon.get(f"{base_url}/stats/timeseries", params={"area": "350404", "from": DAY, "to": "2026-06-01"}, timeout=60).json()
    assert series["series"][0]["population"] == stats["population"]["total"]
    assert series["suppression"]["population"].startswith("protected")
