"""OGC API - Tiles: tile matrix sets, tilesets, and a tile of each set decoded, landing where the
set says (CGCS2000Quad level L = WorldCRS84Quad level L-1, byte for byte)."""
import mapbox_vector_tile

LON, LAT = 117.63, 26.26


def geo_tile(level, first):
    size = 180 / 2 ** (level - first)
    return int((90 - LAT) // size), int((LON + 180) // size)


def test_tile_matrix_sets_and_their_definitions(http, base_url):
    ids = [t["id"] for t in http.get(f"{base_url}/tileMatrixSets", timeout=10).json()["tileMatrixSets"]]
    assert ids == ["WebMercatorQuad", "WorldCRS84Quad", "CGCS2000Quad"]
    c = http.get(f"{base_url}/tileMatrixSets/CGCS2000Quad", timeout=10).json()
    assert c["crs"].endswith("/EPSG/0/4490") and c["tileMatrices"][0]["matrixWidth"] == 2
    assert http.get(f"{base_url}/tileMatrixSets/Nope", timeout=10).status_code == 404


def test_tileset_metadata_links_the_tile_template(http, base_url):
    sets = http.get(f"{base_url}/collections/buildings/tiles", timeout=10).json()["tilesets"]
    assert len(sets) == 3 and all(s["dataType"] == "vector" for s in sets)
    ts = http.get(f"{base_url}/collections/buildings/tiles/WorldCRS84Quad", timeout=10).json()
    item = next(l for l in ts["links"] if l["rel"] == "item")
    assert item["href"].endswith("/collections/buildings/tiles/WorldCRS84Quad/{tileMatrix}/{tileRow}/{tileCol}")
    assert ts["layers"][0]["id"] == "buildings" and "entity_code" in ts["layers"][0]["propertiesSchema"]["properties"]


def test_a_tile_of_each_set_decodes_and_the_geographic_sets_align(http, base_url):
    tiles = {}
    for tms, level, first in [("WorldCRS84Quad", 13, 0), ("CGCS2000Quad", 14, 1)]:
        row, col = geo_tile(level, first)
        r = http.get(f"{base_url}/collections/buildings/tiles/{tms}/{level}/{row}/{col}", timeout=60)
        assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile", r.text
        tiles[tms] = r.content
        layer = mapbox_vector_tile.decode(r.content)["buildings"]
        assert len(layer["features"]) > 10
        # Feature geometry lies in the tile (with its buffer): coordinates within -64..4160.
        xs = [p[0] for f in layer["features"][:50] for ring in f["geometry"]["coordinates"] for p in ring]
        assert min(xs) >= -64 and max(xs) <= 4160
    assert tiles["WorldCRS84Quad"] == tiles["CGCS2000Quad"]
    wm = http.get(f"{base_url}/collections/buildings/tiles/WebMercatorQuad/14/6952/13545", timeout=60)
    assert wm.status_code == 200 and mapbox_vector_tile.decode(wm.content)["buildings"]["features"]
    # The same tile as the XYZ endpoint.
    assert wm.content == http.get(f"{base_url}/tiles/buildings/14/13545/6952", timeout=60).content


def test_tile_errors(http, base_url):
    for path, status in [("/collections/buildings/tiles/CGCS2000Quad/0/0/0", 404),
                         ("/collections/buildings/tiles/WorldCRS84Quad/1/2/0", 404),
                         ("/collections/buildings/tiles/WorldCRS84Quad/1/0/x", 400),
                         ("/collections/buildings/tiles/Nope/1/0/0", 404),
                         ("/collections/population/tiles", 404),
                         ("/collections/buildings/tiles/WorldCRS84Quad/13/2900/13545?colour=red", 400)]:
        r = http.get(base_url + path, timeout=30)
        assert r.status_code == status and r.json()["description"], (path, r.text)
