#!/usr/bin/env python3
"""Checks every polygon of every tile in an MBTiles archive for OGC validity on its integer
(quantised) coordinates, as MVT 2.1 §4.3.4.4 requires.

  check_tile_validity.py ARCHIVE.mbtiles [--layers admin_areas,buildings] [--show 20]

Each feature's rings are decoded from the geometry commands (not through a library that may
repair them), grouped as the spec says (a ring with positive area in tile coordinates starts a
polygon, negative ones are its holes) and tested with GEOS (shapely) exactly as decoded.
It also fails a polygon feature whose first ring is a hole, and a ring of fewer than three
distinct points. Prints a summary line; exit 1 when anything is invalid.
"""
import argparse, gzip, sqlite3, sys

import numpy as np
import shapely
from mapbox_vector_tile.Mapbox import vector_tile_pb2


def zigzag(n):
    return (n >> 1) ^ -(n & 1)


def rings_of(geometry):
    """The rings of a polygon feature: lists of integer (x, y), ClosePath implied."""
    rings, ring, x, y, i = [], None, 0, 0, 0
    while i < len(geometry):
        command, count = geometry[i] & 7, geometry[i] >> 3
        i += 1
        if command == 7:  # ClosePath
            if ring is not None:
                rings.append(ring)
            ring = None
            continue
        for _ in range(count):
            x += zigzag(geometry[i]); y += zigzag(geometry[i + 1]); i += 2
            if command == 1:  # MoveTo
                ring = [(x, y)]
            else:
                ring.append((x, y))
    return rings


def signed_area(ring):
    s = 0
    px, py = ring[-1]
    for x, y in ring:
        s += px * y - x * py
        px, py = x, y
    return s


def polygons_of(rings):
    """Rings grouped into polygons by winding; raises ValueError for a leading hole."""
    polys = []
    for r in rings:
        a = signed_area(r)
        if a > 0:
            polys.append([r])
        elif a < 0:
            if not polys:
                raise ValueError("first ring is a hole")
            polys[-1].append(r)
        else:
            raise ValueError("ring of zero area")
    return polys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("archive")
    ap.add_argument("--layers", default="admin_areas,buildings")
    ap.add_argument("--show", type=int, default=20, help="invalid polygons to print")
    args = ap.parse_args()
    wanted = set(args.layers.split(","))

    db = sqlite3.connect(args.archive)
    tiles = features = 0
    bad = []
    batch_geoms, batch_where = [], []

    def flush():
        if not batch_geoms:
            return
        arr = np.array(batch_geoms, dtype=object)
        ok = shapely.is_valid(arr)
        for k in np.nonzero(~ok)[0]:
            bad.append((batch_where[k], shapely.is_valid_reason(arr[k])))
        batch_geoms.clear(); batch_where.clear()

    for z, x, tms_y, data in db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"):
        y = (1 << z) - 1 - tms_y
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        tile = vector_tile_pb2.tile()
        tile.ParseFromString(data)
        tiles += 1
        for layer in tile.layers:
            if layer.name not in wanted:
                continue
            for f in layer.features:
                if f.type != 3:
                    continue
                features += 1
                where = f"{layer.name} {z}/{x}/{y} id {f.id}"
                try:
                    polys = polygons_of(rings_of(f.geometry))
                except ValueError as e:
                    bad.append((where, str(e)))
                    continue
                batch_geoms.append(shapely.MultiPolygon([(p[0], p[1:]) for p in polys]))
                batch_where.append(where)
        if len(batch_geoms) > 20000:
            flush()
    flush()
    for where, reason in bad[: args.show]:
        print(f"INVALID {where}: {reason}")
    print(f"{tiles} tiles, {features} polygon features, {len(bad)} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
