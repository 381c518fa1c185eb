"""The audit log's archive and checkpoints from the command line: closed months move to a signed
archive file; `onemap audit verify` checks the live chain, the archives and the signatures, and
catches a chain that someone with write access to the database rewrote whole."""
import hashlib
import os
import shutil
import sqlite3

import e2e_db
import subprocess

GENESIS = "0" * 64
COLUMNS = ["at", "principal", "action", "endpoint", "layer", "grant_id", "purpose", "area", "datetime", "rows", "client", "outcome"]


def audit_hash(seq, row, previous):
    """The chain's hash, written from the README's definition (an independent implementation)."""
    text = previous
    parts = [str(seq)] + [None if row[c] is None else str(row[c]) for c in COLUMNS]
    if row.get("count") is not None:
        parts.append(f"count={row['count']}")
    for p in parts:
        text += "|-" if p is None else f"|{len(p.encode())}:{p}"
    return hashlib.sha256(text.encode()).hexdigest()


def rechain(db, change):
    """Rewrites every record through `change(seq, row)` and recomputes the whole chain and its head,
    as someone with write access to the database could."""
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    rows = [dict(r) for r in con.execute("SELECT * FROM audit_log ORDER BY seq")]
    previous = con.execute("SELECT last_hash FROM audit_checkpoints WHERE kind = 'archive' ORDER BY last_seq DESC LIMIT 1").fetchone()
    previous = previous[0] if previous else GENESIS
    for row in rows:
        change(row["seq"], row)
        h = audit_hash(row["seq"], row, previous)
        con.execute(f"UPDATE audit_log SET {', '.join(c + ' = ?' for c in COLUMNS)}, prev_hash = ?, hash = ? WHERE seq = ?",
                    [row[c] for c in COLUMNS] + [previous, h, row["seq"]])
        previous = h
    con.execute("UPDATE derived_state SET value = ? WHERE key = 'audit_head'", (f"{rows[-1]['seq']}:{previous}",))
    con.commit()
    con.close()


def onemap(*args):
    return subprocess.run([os.environ["ONEMAP_BIN"], *args], capture_output=True, text=True, timeout=300)


def test_closed_months_are_archived_signed_and_a_rewritten_chain_is_caught(out_dir):
    db = os.path.join(out_dir, "audit-archive.sqlite")
    e2e_db.sqlite_copy(db)
    # Move the first 20 records into October (the chain recomputed: it verifies as written).
    rechain(db, lambda seq, row: row.update(at="2026-10-15T08:00:00.000Z") if seq <= 20 else None)
    assert onemap("audit", "verify", "--db", db).returncode == 0
    key = os.path.join(out_dir, "audit.key")
    if os.path.exists(key):
        os.remove(key)
    assert onemap("audit", "keygen", "--out", key).returncode == 0
    assert oct(os.stat(key).st_mode & 0o777) == "0o600"
    archive = os.path.join(out_dir, "audit-2026-10.sqlite")
    if os.path.exists(archive):
        os.remove(archive)
    bad = onemap("audit", "archive", "--db", db, "--before", "2026-10-15", "--out", archive, "--key-file", key)
    assert bad.returncode != 0 and "month's first day" in bad.stderr
    r = onemap("audit", "archive", "--db", db, "--before", "2026-11-01", "--out", archive, "--key-file", key)
    assert r.returncode == 0, r.stderr
    assert "archived 20 audit records (1–20" in r.stdout
    with sqlite3.connect(archive) as a:
        assert a.execute("SELECT count(*), min(seq), max(seq) FROM audit_log").fetchone() == (20, 1, 20)
    with sqlite3.connect(db) as live:
        assert live.execute("SELECT min(seq) FROM audit_log").fetchone()[0] == 21
    ok = onemap("audit", "verify", "--db", db, "--archive", archive, "--key-file", key)
    assert ok.returncode == 0, ok.stderr
    assert "signatures valid" in ok.stdout and "records 1–20" in ok.stdout
    # An archive checked with another key is named.
    other = os.path.join(out_dir, "other.key")
    if os.path.exists(other):
        os.remove(other)
    onemap("audit", "keygen", "--out", other)
    wrong = onemap("audit", "verify", "--db", db, "--archive", archive, "--key-file", other)
    assert wrong.returncode == 1 and "not with this key" in wrong.stderr

    # Pin today's head, then rewrite the whole live chain after it: the hashes all fit, the checkpoint does not.
    assert onemap("audit", "checkpoint", "--db", db, "--key-file", key).returncode == 0
    rechain(db, lambda seq, row: row.update(rows=99999) if seq == 25 else None)
    caught = onemap("audit", "verify", "--db", db, "--archive", archive, "--key-file", key)
    assert caught.returncode == 1 and "checkpoint" in caught.stderr, caught.stderr
    # Re-pinning the checkpoint to the rewritten head without the key breaks its signature.
    with sqlite3.connect(db) as live:
        head = live.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        live.execute("UPDATE audit_checkpoints SET last_hash = ? WHERE kind = 'head'", (head[1],))
    forged = onemap("audit", "verify", "--db", db, "--archive", archive, "--key-file", key)
    assert forged.returncode == 1 and "altered" in forged.stderr, forged.stderr
