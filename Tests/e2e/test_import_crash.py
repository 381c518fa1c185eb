"""An import killed with SIGKILL in the middle of writing leaves the database consistent and
unchanged, the running server keeps answering throughout, and the next writer is not kept
waiting by the dead one (SQLite's file lock, PostgreSQL's advisory lock and transaction)."""
import json
import os
import signal
import sqlite3
import subprocess
import time

from e2e_db import is_postgres, query
from tiles_helpers import tile_of


def counts(db):
    if not is_postgres(db):
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            con.close()
    return tuple(query("SELECT count(*), max(id) FROM buildings", db=db)[0])


def test_sigkill_during_import_changes_nothing(http, base_url, out_dir):
    db = os.environ["ONEMAP_DB"]  # the database the running server reads
    path = os.path.join(out_dir, "big-push.ndjson")
    with open(path, "w") as f:
        for i in range(60000):
            x, y = 117.50 + (i % 300) * 0.0006, 26.10 + (i // 300) * 0.0006
            ring = [[x, y], [x + 0.0002, y], [x + 0.0002, y + 0.0002], [x, y + 0.0002], [x, y]]
            f.write(json.dumps({"type": "Feature", "properties": {"entity_code": f"CRASH{i}", "floors": 3, "use": "residential",
                                                                  "built_date": "2024-01-01"},
                                "geometry": {"type": "Polygon", "coordinates": [ring]}}) + "\n")
    before = counts(db)
    proc = subprocess.Popen([os.environ["ONEMAP_BIN"], "import", path, "--layer", "buildings", "--db", db, "--valid-from", "2025-01-01"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    z, x, y = tile_of(117.6365, 26.2705, 14)
    writing = False
    deadline = time.time() + 300
    for line in proc.stderr:
        if "writing" in line:
            writing = True
            break
        assert time.time() < deadline
    assert writing, "the import never reached its writing stage"
    # Mid-transaction: the server still answers from the last committed state.
    for _ in range(5):
        time.sleep(0.2)
        r = http.get(f"{base_url}/tiles/buildings/{z}/{x}/{y}.mvt", timeout=30)
        assert r.status_code == 200
    assert proc.poll() is None, "the import finished before it could be killed; make the push larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert counts(db) == before
    r = http.get(f"{base_url}/tiles/buildings/{z}/{x}/{y}.mvt", timeout=30)
    assert r.status_code == 200
    r = http.get(f"{base_url}/changes", params={"layer": "buildings", "from": "2024-12-31", "to": "2025-01-02"}, timeout=30)
    assert r.status_code == 200 and r.json()["numberMatched"] == 0

    # The next writer gets the database at once: a tiny import into a layer of its own.
    probe = os.path.join(out_dir, "after-crash.geojson")
    with open(probe, "w") as f:
        json.dump({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": "P1"}, "geometry": {"type": "Point", "coordinates": [117.6, 26.2]}}]}, f)
    started = time.time()
    r = subprocess.run([os.environ["ONEMAP_BIN"], "import", probe, "--layer", "after_crash", "--key", "code", "--owner", "SMDSJ",
                        "--db", db], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert time.time() - started < 20, f"the next import waited {time.time() - started:.0f} s for the killed one's lock"
