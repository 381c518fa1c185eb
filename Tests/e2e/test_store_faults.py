"""Faults of the store behind a running server: writers that race for the same layer, and (on
PostgreSQL) the database going away while the server serves and coming back."""
import json
import os
import subprocess
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from e2e_db import is_postgres


def write_points(path, count, value):
    with open(path, "w") as f:
        json.dump({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": f"C{i}", "value": value},
             "geometry": {"type": "Point", "coordinates": [117.40 + (i % 200) * 0.001, 26.10 + (i // 200) * 0.001]}}
            for i in range(count)]}, f)


def import_cmd(path, valid_from):
    return [os.environ["ONEMAP_BIN"], "import", path, "--layer", "race_points", "--key", "code", "--owner", "SMDSJ",
            "--valid-from", valid_from, "--db", os.environ["ONEMAP_DB"]]


def values(http, base_url, when):
    found, offset = {}, 0
    while True:
        r = http.get(f"{base_url}/collections/race_points/items", params={"limit": 10000, "offset": offset, "datetime": when}, timeout=60)
        assert r.status_code == 200, r.text
        page = r.json()["features"]
        for f in page:
            found[f["properties"]["code"]] = f["properties"]["value"]
        if len(page) < 10000:
            return found
        offset += len(page)


def test_concurrent_imports_into_one_layer_run_one_after_the_other(http, base_url, out_dir):
    n = 20000
    first, a, b = (os.path.join(out_dir, f"race-{tag}.geojson") for tag in ("0", "a", "b"))
    write_points(first, n, "initial")
    write_points(a, n, "A")
    write_points(b, n, "B")
    r = subprocess.run(import_cmd(first, "2023-01-01"), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    # Two imports of every key on the same day, started together: whichever commits second
    # replaces the first's same-day versions whole. Interleaved writers would leave a mix.
    procs = [subprocess.Popen(import_cmd(path, "2023-06-01"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for path in (a, b)]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err
    time.sleep(1.5)  # the server's catalog poll
    before = values(http, base_url, "2023-03-01T00:00:00Z")
    assert len(before) == n and set(before.values()) == {"initial"}
    after = values(http, base_url, "2023-07-01T00:00:00Z")
    assert len(after) == n
    assert len(set(after.values())) == 1, f"interleaved versions: {sorted(set(after.values()))}"


def admin_url(db):
    parts = urlsplit(db)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


@pytest.mark.skipif(not is_postgres(), reason="a PostgreSQL fault: runs in scripts/test.sh's PostgreSQL pass")
def test_lost_database_answers_503_with_retry_after_and_the_server_reconnects(http, base_url):
    import psycopg
    admin, name = admin_url(os.environ["ONEMAP_DB"])
    url = f"{base_url}/collections/buildings/items"
    assert http.get(url, params={"limit": 3}, timeout=30).status_code == 200
    with psycopg.connect(admin, autocommit=True) as con:
        # The database refuses connections and every open one is cut: what a restart or a
        # network failure looks like from the server.
        con.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            for _ in range(3):
                r = http.get(url, params={"limit": 3}, timeout=30)
                assert r.status_code == 503, r.text
                assert int(r.headers["Retry-After"]) > 0
                body = r.text.lower()
                # It says what to do, and keeps the database's address and the SQL in the log.
                assert "retry" in body and "correlation id" in body
                assert "select" not in body and "127.0.0.1" not in body and "postgres" not in body
            # A key the server has not seen must be looked up: that too is a 503, not a 500 or 401.
            r = requests.get(url, params={"limit": 3}, headers={"Authorization": "Bearer om_" + "0" * 40}, timeout=30)
            assert r.status_code == 503 and "Retry-After" in r.headers, (r.status_code, r.text)
            # The process is alive (liveness: 200), and says the store is away; readiness is refused.
            h = requests.get(f"{base_url}/health", timeout=30)
            assert h.status_code == 200, h.text
            assert h.json()["status"] == "degraded" and h.json()["store"] == {"state": "unreachable"}, h.text
            assert "127.0.0.1" not in h.text and "select" not in h.text.lower()
            r = requests.get(f"{base_url}/ready", timeout=30)
            assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0, (r.status_code, r.text)
        finally:
            con.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    deadline = time.time() + 30
    while True:
        r = http.get(url, params={"limit": 3}, timeout=30)
        if r.status_code == 200:
            break
        assert r.status_code == 503 and time.time() < deadline, f"no recovery: {r.status_code} {r.text}"
        time.sleep(0.5)
    assert len(r.json()["features"]) == 3
    assert requests.get(f"{base_url}/ready", timeout=30).status_code == 200
    assert requests.get(f"{base_url}/health", timeout=30).json()["status"] == "ok"
