"""Cache hits answered in front of the router (TileHitHandler) answer exactly as the router does:
same headers, same audit record, pipelined responses in order; everything else goes on to the router."""
import datetime
import socket

from tiles_helpers import tile_of


def today():
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date().isoformat()


def tile_url(base_url, z, x, y):
    return f"{base_url}/tiles/buildings/{z}/{x}/{y}.mvt"


def warm(session, url):
    first = session.get(url)
    assert first.status_code == 200
    hit = session.get(url)
    assert hit.headers["X-Cache"] == "hit"
    return hit


def comparable(headers):
    return {k.lower(): v for k, v in headers.items() if k.lower() != "date"}


def test_a_hit_before_the_router_carries_the_routers_headers(anon, http, base_url):
    _, x, y = tile_of(117.6365, 26.2705, 15)
    url = tile_url(base_url, 15, x, y)
    for session in (anon, http):
        fast = warm(session, url)  # no query string: answered in front of the router
        routed = session.get(url, params={"datetime": today()})  # same view, same day: the same entry, via the router
        assert routed.headers["X-Cache"] == "hit"
        assert comparable(fast.headers) == comparable(routed.headers)
        assert fast.content == routed.content and "Date" in fast.headers
    # The administrator's tile was made for a key: private, and varying on it.
    keyed = http.get(url)
    assert keyed.headers["Cache-Control"] == "private, no-cache" and "Authorization" in keyed.headers["Vary"]
    assert anon.get(url).headers["Cache-Control"] == "no-cache"


def test_hits_before_the_router_are_audited(anon, http, base_url):
    """Tile reads are audited per caller, layer and minute (count, rows, union of boxes), hits
    answered before the router included."""
    _, x, y = tile_of(117.3650, 25.9740, 15)
    url = tile_url(base_url, 15, x, y)
    warm(anon, url)

    def tile_reads():
        r = http.get(f"{base_url}/audit", params={"principal": "anonymous", "layer": "buildings", "limit": 100000})
        assert r.status_code == 200
        return [a for a in r.json()["records"] if a["endpoint"] == "GET /tiles/{layers}/{z}/{x}/{y}" and a["outcome"] == "200"]

    before = sum(a["count"] for a in tile_reads())
    for _ in range(3):
        assert anon.get(url).headers["X-Cache"] == "hit"
    after = tile_reads()
    assert sum(a["count"] for a in after) == before + 3
    last = after[-1]
    assert last["client"] == "127.0.0.1" and last["count"] >= 3 and last["area"].startswith("tiles z15 bbox ")
    minx, miny, maxx, maxy = (float(v) for v in last["area"].split("bbox ")[1].split(","))
    assert minx <= 117.3650 <= maxx and miny <= 25.9740 <= maxy


def read_response(sock, buf):
    """One HTTP/1.1 response (status, headers, body) from the socket, with what is left over."""
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(65536)
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(buf) < length:
        buf += sock.recv(65536)
    return (status, headers, buf[:length]), buf[length:]


def test_pipelined_requests_are_answered_in_order(anon, base_url):
    _, x, y = tile_of(117.6365, 26.2705, 14)
    path = f"/tiles/buildings/14/{x}/{y}.mvt"
    cached = warm(anon, base_url + path)
    host, port = base_url.split("//")[1].split(":")
    # A slow request for the router, then two cache hits, in one write: the hits must wait their turn.
    batch = (f"GET /collections/buildings/items?limit=200 HTTP/1.1\r\nHost: {host}\r\n\r\n"
             f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n"
             f"GET /tiles/buildings/99/0/0 HTTP/1.1\r\nHost: {host}\r\n\r\n"
             f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(batch)
        buf = b""
        responses = []
        for _ in range(4):
            r, buf = read_response(sock, buf)
            responses.append(r)
    (s1, h1, b1), (s2, h2, b2), (s3, h3, b3), (s4, h4, b4) = responses
    assert s1 == 200 and h1["content-type"].startswith("application/geo+json") and b'"FeatureCollection"' in b1
    assert s2 == 200 and b2 == cached.content
    assert s3 == 404 and b"zoom" in b3.lower()
    assert s4 == 200 and b4 == cached.content and h4["x-cache"] == "hit"
