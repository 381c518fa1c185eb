"""As-of tiles: the `datetime` parameter selects what stood, and who lived there, on a day."""
import mapbox_vector_tile

from tiles_helpers import tile_of

CITY = tile_of(117.6365, 26.2705, 8)


def counties(http, base_url, query):
    z, x, y = CITY
    r = http.get(f"{base_url}/tiles/admin_areas/{z}/{x}/{y}.mvt{query}", timeout=60)
    assert r.status_code == 200, r.text
    tile = mapbox_vector_tile.decode(r.content)
    return {(f["properties"]["code"], f["properties"]["name"]): f["properties"]["population"]
            for f in tile["admin_areas"]["features"] if f["properties"]["level"] == "county"}


def test_2020_shows_meilie_and_the_old_sanyuan(http, base_url):
    c = counties(http, base_url, "?datetime=2020-06-01")
    assert ("350402", "梅列区") in c and ("350403", "三元区") in c and ("350427", "沙县") in c
    assert ("350404", "三元区") not in c and ("350405", "沙县区") not in c


def test_2022_shows_the_merged_sanyuan(http, base_url):
    c = counties(http, base_url, "?datetime=2022-06-01T12:00:00Z")
    assert ("350404", "三元区") in c and ("350405", "沙县区") in c
    assert ("350402", "梅列区") not in c


def test_merged_county_population_equals_its_two_predecessors(http, base_url):
    before = counties(http, base_url, "?datetime=2020-12-01")
    after = counties(http, base_url, "?datetime=2022-06-01")
    assert after[("350404", "三元区")] == before[("350402", "梅列区")] + before[("350403", "三元区")]
    assert after[("350405", "沙县区")] == before[("350427", "沙县")]


def test_an_earlier_day_has_fewer_residents(http, base_url):
    # Demo residents moved in between 1990 and the 2020 census day.
    early = counties(http, base_url, "?datetime=2000-01-01")
    late = counties(http, base_url, "?datetime=2020-12-01")
    assert sum(early.values()) < sum(late.values())


def test_tilejson_with_datetime_hands_out_as_of_tile_urls(http, base_url):
    r = http.get(f"{base_url}/tiles/admin_areas?datetime=2020-06-01", timeout=30)
    assert r.status_code == 200
    assert r.json()["tiles"][0].endswith("/tiles/admin_areas/{z}/{x}/{y}.mvt?datetime=2020-06-01")


def test_bad_datetime_and_unknown_parameters_are_400(http, base_url):
    z, x, y = CITY
    for query, word in [("?datetime=yesterday", "datetime"), ("?datetime=2021-02-30", "datetime"),
                        ("?datetime=2022-01-01/2021-01-01", "before"), ("?dattime=2020-01-01", "dattime")]:
        r = http.get(f"{base_url}/tiles/admin_areas/{z}/{x}/{y}.mvt{query}", timeout=30)
        assert r.status_code == 400, (query, r.text)
        assert word in r.json()["description"]
        r = http.get(f"{base_url}/tiles/admin_areas{query}", timeout=30)
        assert r.status_code == 400, (query, r.text)
