"""Tile helpers shared by the end-to-end tests (Web Mercator math written independently of OneMap)."""
import math
import os
import re
import subprocess

WEBMERC = 20037508.342789244


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, x, y


def tile_bounds(z, x, y):
    size = 2 * WEBMERC / 2 ** z
    return -WEBMERC + x * size, WEBMERC - (y + 1) * size, -WEBMERC + (x + 1) * size, WEBMERC - y * size


def ring_area(ring):
    """Surveyor's formula in tile coordinates (the MVT spec's sign convention)."""
    s = 0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        s += x0 * y1 - x1 * y0
    return s / 2


def gdal_layers(path):
    """{layer: feature count} as GDAL's MVT driver reads the file; raises on any GDAL error."""
    p = subprocess.run(["ogrinfo", "-ro", "-so", "-al", "-oo", "CLIP=NO", "MVT:" + path], capture_output=True, text=True)
    if p.returncode != 0 or "ERROR" in p.stderr or "ERROR" in p.stdout:
        raise AssertionError("ogrinfo failed: " + (p.stderr or p.stdout))
    layers, name = {}, None
    for line in p.stdout.splitlines():
        if line.startswith("Layer name: "):
            name = line[len("Layer name: "):]
        elif line.startswith("Feature Count: ") and name:
            layers[name] = int(line.split(": ")[1])
    return layers


def gdal_invalid_count(path, layer):
    """Features of `layer` whose geometry is not OGC-valid, by GDAL's SQLite dialect (ST_IsValid)."""
    p = subprocess.run(["ogrinfo", "-q", "-ro", "MVT:" + path, "-dialect", "SQLite", "-sql",
                        f'SELECT count(*) - sum(ST_IsValid(geometry)) AS invalid FROM "{layer}"'],
                       capture_output=True, text=True)
    m = re.search(r"invalid \(\w+\) = (\d+)", p.stdout)
    if p.returncode != 0 or not m:
        raise AssertionError("ogrinfo validity query failed: " + (p.stderr or p.stdout))
    return int(m.group(1))
