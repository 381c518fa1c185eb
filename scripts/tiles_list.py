#!/usr/bin/env python3
"""A fixed list of z/x/y WebMercatorQuad tiles (z10-16) over the OneMap demo, weighted to the dense
towns: tiles are drawn at building locations (as real map traffic concentrates there), plus a small
uniform share over the data's extent. Same seed, same list. Reads the building centroid columns
with Python's sqlite3 (no SpatiaLite needed), or with psycopg from a postgresql:// URL."""
import argparse
import math
import random
import sqlite3

ZOOM_MIX = {10: 0.03, 11: 0.05, 12: 0.08, 13: 0.12, 14: 0.20, 15: 0.25, 16: 0.27}


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, min(n - 1, max(0, x)), min(n - 1, max(0, y))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default="data/onemap.sqlite")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--uniform-share", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="data/bench-tiles.txt")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    sql = "SELECT cx, cy FROM buildings WHERE demolished_date IS NULL ORDER BY id"
    if "://" in args.db:  # a PostgreSQL database (needs psycopg: run with .venv/bin/python)
        import psycopg
        with psycopg.connect(args.db) as pg:
            pts = pg.execute(sql.replace("FROM buildings", "FROM onemap.buildings")).fetchall()
    else:
        con = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
        pts = con.execute(sql).fetchall()
        con.close()
    if not pts:
        raise SystemExit(f"no buildings in {args.db}")
    lons, lats = [p[0] for p in pts], [p[1] for p in pts]
    bbox = (min(lons), min(lats), max(lons), max(lats))
    chosen, carry = [], 0
    for z, share in ZOOM_MIX.items():
        want = round(args.count * share) + carry
        got = set()
        for _ in range(want * 60):
            if len(got) >= want:
                break
            if rng.random() < args.uniform_share:
                lon, lat = rng.uniform(bbox[0], bbox[2]), rng.uniform(bbox[1], bbox[3])
            else:
                lon, lat = pts[rng.randrange(len(pts))]
            got.add(tile_of(lon, lat, z))
        carry = want - len(got)
        chosen += sorted(got)
    rng.shuffle(chosen)
    with open(args.out, "w") as f:
        for z, x, y in chosen[: args.count]:
            f.write(f"{z}/{x}/{y}\n")
    print(f"[tiles_list] {min(len(chosen), args.count)} tiles -> {args.out}")


if __name__ == "__main__":
    main()
