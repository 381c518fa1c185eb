"""Bad input gets a 4xx with a JSON body naming the problem; never a 5xx."""
import pytest

CASES = [
    ("/tiles/buildings/abc/1/1", 400, "z"),
    ("/tiles/buildings/1/x/1", 400, "x"),
    ("/tiles/buildings/1/1/y.mvt", 400, "y"),
    ("/tiles/buildings/-1/0/0", 404, "zoom"),
    ("/tiles/buildings/25/0/0", 404, "zoom"),
    ("/tiles/buildings/3/8/0", 404, "column"),
    ("/tiles/buildings/3/0/8", 404, "row"),
    ("/tiles/buildings/99999999999999999999/0/0", 400, "z"),
    ("/tiles/buildings/3/0/0.png", 404, "format"),
    ("/tiles/nosuchlayer/3/0/0", 404, "nosuchlayer"),
    ("/tiles/nosuchlayer", 404, "nosuchlayer"),
    ("/tiles/population/13/6772/3476", 404, "no geometry"),
    ("/tiles/buildings,/13/6772/3476", 400, "empty"),
    ("/styles/..%2F..%2Fetc%2Fpasswd", 400, "style name"),
    ("/styles/nosuch.json", 404, "nosuch"),
    ("/vendor/secret.js", 404, "secret.js"),
    ("/fonts/Noto%20Sans%20Regular/1-2.pbf", 400, "range"),
    ("/no/such/path", 404, "no such resource"),
]


@pytest.mark.parametrize("path,status,word", CASES)
def test_bad_requests_get_4xx_json_naming_the_problem(http, base_url, path, status, word):
    r = http.get(base_url + path, timeout=30)
    assert r.status_code == status, (path, r.status_code, r.text)
    body = r.json()
    assert set(body) == {"code", "description"}
    assert word.lower() in body["description"].lower(), body


def test_health(http, base_url):
    r = http.get(base_url + "/health", timeout=10)
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["store"] == {"state": "ok"}
    ready = http.get(base_url + "/ready", timeout=10)
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    doc = r.json()
    # The viewer's files are found, and the change feed follows the store.
    assert doc["assets"]["state"] == "ok", doc["assets"]
    assert doc["changeFeed"]["state"] == "following" and doc["changeFeed"]["failures"] == 0, doc["changeFeed"]
    assert doc["audit"]["state"] == "writing" and doc["audit"]["failures"] == 0, doc["audit"]
    # The change feed, the audit writer and the snapshot builder run as services, none failing.
    for name in ["changeFeed", "auditWriter", "snapshotBuilder"]:
        service = doc["services"][name]
        assert service["state"] == "running" and not service["failing"] and service["ticks"] > 0, (name, service)


def test_serve_started_from_another_folder_finds_its_files(tmp_path):
    import os, socket, subprocess, time
    import requests
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    db = os.environ["ONEMAP_DB"] if "://" in os.environ["ONEMAP_DB"] else os.path.abspath(os.environ["ONEMAP_DB"])
    p = subprocess.Popen([os.path.abspath(os.environ["ONEMAP_BIN"]), "serve", "--db", db, "--port", str(port), "--no-analytics",
                          "--log-level", "warning"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                health = requests.get(f"http://127.0.0.1:{port}/health", timeout=2).json()
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert health["assets"]["state"] == "ok", health["assets"]
        assert requests.get(f"http://127.0.0.1:{port}/vendor/maplibre-gl.js", timeout=10).status_code == 200
    finally:
        p.terminate()
        p.wait(timeout=30)


def test_style_carries_the_servers_own_base_url(http, base_url):
    r = http.get(base_url + "/styles/onemap.json", timeout=10)
    assert r.status_code == 200
    style = r.json()
    assert style["version"] == 8
    assert style["sources"]["onemap"]["url"] == base_url + "/tiles/admin_areas,admin_labels,buildings"
    assert style["glyphs"].startswith(base_url + "/fonts/")


def test_glyph_range_is_a_valid_empty_protobuf(http, base_url):
    r = http.get(base_url + "/fonts/Noto%20Sans%20Regular/0-255.pbf", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/x-protobuf"
    assert r.content[0] == 0x0A  # field 1 (stacks), length-delimited


def test_head_is_answered_wherever_get_is(base_url):
    import requests
    s = requests.Session()  # one connection: the next request must still be understood after a HEAD
    for path in ["/collections", "/api", "/tiles/admin_areas/8/211/108.mvt", "/collections/admin_areas/items?limit=2"]:
        head = s.head(base_url + path, timeout=30, headers={"Accept-Encoding": "identity"})
        get = s.get(base_url + path, timeout=30, headers={"Accept-Encoding": "identity"})
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"" and head.headers["Content-Type"] == get.headers["Content-Type"], path
        if "Content-Length" in head.headers:
            assert int(head.headers["Content-Length"]) == len(get.content), path
    assert s.head(base_url + "/collections/nope", timeout=10).status_code == 404


def raw_exchange(base_url, request_line):
    import socket
    host, port = base_url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"{request_line}\r\nHost: {host}\r\n\r\n".encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data and b"content-length: 0" in data.lower():
                break
    return data


def test_a_method_the_server_does_not_know_is_501_with_a_json_body(base_url):
    data = raw_exchange(base_url, "FOO /collections HTTP/1.1")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 501"), head
    assert b"NotImplemented" in body and b"method" in body


@pytest.mark.parametrize("method,path,allow", [
    ("TRACE", "/collections", "GET, HEAD, OPTIONS"),
    ("TRACE", "/stats", "GET, POST, HEAD, OPTIONS"),
    ("PUT", "/tiles/buildings/3/0/0", "GET, HEAD, OPTIONS"),
])
def test_a_known_path_asked_with_another_method_is_405_with_allow(http, base_url, method, path, allow):
    r = http.request(method, base_url + path, timeout=30)
    assert r.status_code == 405, (method, path, r.status_code, r.text)
    assert r.headers["Allow"] == allow
    assert r.json()["code"] == "MethodNotAllowed"
