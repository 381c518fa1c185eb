"""GET /changes: what was created, modified and removed between two days."""


def test_the_2021_county_change(http, base_url):
    r = http.get(f"{base_url}/changes", params={"layer": "admin_areas", "from": "2021-01-01", "to": "2021-12-31",
                                               "limit": 10000}, timeout=30)
    assert r.status_code == 200, r.text
    doc = r.json()
    counties = {(c["change"], c["id"]) for c in doc["changes"] if len(c["id"]) == 6}
    assert counties == {("removed", "350402"), ("removed", "350403"), ("removed", "350427"),
                        ("created", "350404"), ("created", "350405")}
    created = next(c for c in doc["changes"] if c["id"] == "350404")
    assert created["before"] is None and created["after"]["name"] == "三元区" and created["date"] == "2021-05-01"
    removed = next(c for c in doc["changes"] if c["id"] == "350402")
    assert removed["after"] is None and removed["before"]["name"] == "梅列区"
    assert doc["numberMatched"] == doc["numberReturned"] == len(doc["changes"])


def test_paging_follows_next_links_to_the_exact_total(http, base_url):
    params = {"layer": "buildings", "from": "2015-01-01", "to": "2016-01-01", "limit": 50}
    first = http.get(f"{base_url}/changes", params=params, timeout=30).json()
    total, seen, url = first["numberMatched"], len(first["changes"]), None
    assert total > 50
    links = first.get("links", [])
    while links:
        url = links[0]["href"]
        assert url.startswith(base_url)
        page = http.get(url, timeout=30).json()
        assert page["numberMatched"] == total
        seen += len(page["changes"])
        links = page.get("links", [])
    assert seen == total
    assert all("2015-01-01" < c["date"] <= "2016-01-01" for c in first["changes"])


def test_change_list_errors_are_400_or_404(http, base_url):
    cases = [({"from": "2020-01-01", "to": "2021-01-01"}, 400, "layer"),
             ({"layer": "buildings", "to": "2021-01-01"}, 400, "from"),
             ({"layer": "buildings", "from": "2021-01-01", "to": "2020-01-01"}, 400, "before"),
             ({"layer": "buildings", "from": "2020-01-01", "to": "soon"}, 400, "datetime"),
             ({"layer": "buildings", "from": "2020-01-01", "to": "2021-01-01", "bbox": "1,2,3"}, 400, "bbox"),
             ({"layer": "buildings", "from": "2020-01-01", "to": "2021-01-01", "limit": "0"}, 400, "limit"),
             ({"layer": "buildings", "from": "2020-01-01", "to": "2021-01-01", "colour": "red"}, 400, "colour"),
             ({"layer": "population", "from": "2020-01-01", "to": "2021-01-01"}, 400, "version history"),
             ({"layer": "ghosts", "from": "2020-01-01", "to": "2021-01-01"}, 404, "ghosts")]
    for params, status, word in cases:
        r = http.get(f"{base_url}/changes", params=params, timeout=30)
        assert r.status_code == status, (params, r.text)
        assert word in r.json()["description"], (params, r.text)
