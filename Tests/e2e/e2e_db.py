"""The database behind the server under test — a SpatiaLite file or a PostgreSQL URL
(ONEMAP_DB) — for the few checks that read it directly or work on a copy of it."""
import os
import sqlite3
import subprocess


def is_postgres(db=None):
    return "://" in (db or os.environ["ONEMAP_DB"])


def query(sql, params=(), db=None):
    """Rows of `sql` (SQLite's `?` placeholders) against the database under test."""
    db = db or os.environ["ONEMAP_DB"]
    if is_postgres(db):
        import psycopg
        with psycopg.connect(db) as con:
            con.execute("SET search_path = onemap, public")
            if not params:
                return con.execute(sql).fetchall()
            return con.execute(sql.replace("%", "%%").replace("?", "%s"), params).fetchall()
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def sqlite_copy(dest, db=None):
    """A consistent SpatiaLite copy of the database under test at `dest` (for tests that tamper
    with a copy): SQLite's backup, or `onemap copy` from PostgreSQL."""
    db = db or os.environ["ONEMAP_DB"]
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(dest + suffix):
            os.remove(dest + suffix)
    if is_postgres(db):
        r = subprocess.run([os.environ["ONEMAP_BIN"], "copy", "--from", db, "--to", dest], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        return
    with sqlite3.connect(db) as live, sqlite3.connect(dest) as dst:
        live.backup(dst)


def onemap_binary():
    """The onemap binary under test (the one serving)."""
    return os.environ["ONEMAP_BIN"]


def execute(sql, params=(), db=None):
    """Runs one writing statement (SQLite's `?` placeholders) against the database under test."""
    db = db or os.environ["ONEMAP_DB"]
    if is_postgres(db):
        import psycopg
        with psycopg.connect(db) as con:
            con.execute("SET search_path = onemap, public")
            con.execute(sql.replace("%", "%%").replace("?", "%s"), params)
        return
    con = sqlite3.connect(db, timeout=30)
    try:
        con.execute(sql, params)
        con.commit()
    finally:
        con.close()
