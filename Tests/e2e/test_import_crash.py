"""An import killed with SIGKILL in the middle of writing leaves the database consistent and
unchanged, and the running server keeps answering throughout."""
import json
import os
import signal
import sqlite3
import subprocess
import time

from tiles_helpers import tile_of


def onemap_binary():
    out = subprocess.run(["swift", "build", "--show-bin-path"], capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(out, "onemap")


def counts(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return con.execute("SELECT count(*), max(id) FROM buildings").fetchone()
    finally:
        con.close()


def test_sigkill_during_import_changes_nothing(http, base_url, out_dir):
    db = os.path.join(out_dir, "e2e.sqlite")  # the database the running server reads
    path = os.path.join(out_dir, "big-push.ndjson")
    with open(path, "w") as f:
        for i in range(60000):
            x, y = 117.50 + (i % 300) * 0.0006, 26.10 + (i // 300) * 0.0006
            ring = [[x, y], [x + 0.0002, y], [x + 0.0002, y + 0.0002], [x, y + 0.0002], [x, y]]
            f.write(json.dumps({"type": "Feature", "properties": {"entity_code": f"CRASH{i}", "floors": 3, "use": "residential",
                                                                  "built_date": "2024-01-01"},
                                "geometry": {"type": "Polygon", "coordinates": [ring]}}) + "\n")
    before = counts(db)
    proc = subprocess.Popen([onemap_binary(), "import", path, "--layer", "buildings", "--db", db, "--valid-from", "2025-01-01"],
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
