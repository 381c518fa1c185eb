#!/usr/bin/python3
"""Converts the served MapLibre style (styles/onemap.json) into a QGIS vector tile style
(styles/qgis/onemap-vectortiles.qml) with QGIS's own converter, so the project file that
`GET /qgis/onemap.qgs` writes draws what the MapLibre viewer draws. Run with Debian's python3
(python3-qgis); `--check` fails when the committed file differs from a fresh conversion (the
QGIS test runs it), so the two styles cannot drift apart.

    /usr/bin/python3 scripts/qgis_styles.py [--check]
"""
import json
import os
import sys
from xml.etree import ElementTree

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Qt writes XML attributes in hash order: a fixed seed makes the file the same on every run.
os.environ["QT_HASH_SEED"] = "0"
from qgis.core import (QgsApplication, QgsMapBoxGlStyleConversionContext, QgsMapBoxGlStyleConverter,  # noqa: E402
                       QgsReadWriteContext, QgsVectorTileLayer)
from qgis.PyQt.QtXml import QDomDocument  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SOURCE = os.path.join(ROOT, "styles", "onemap.json")
TARGET = os.path.join(ROOT, "styles", "qgis", "onemap-vectortiles.qml")


def convert():
    with open(SOURCE, encoding="utf-8") as f:
        style = json.load(f)
    converter = QgsMapBoxGlStyleConverter()
    if converter.convert(style, QgsMapBoxGlStyleConversionContext()) != QgsMapBoxGlStyleConverter.Success:
        sys.exit(f"QGIS could not convert {SOURCE}: {converter.errorMessage()}")
    if converter.warnings():
        sys.exit("QGIS's converter does not draw all of the style:\n  " + "\n  ".join(converter.warnings()))
    layer = QgsVectorTileLayer("type=xyz&url=http://localhost/{z}/{x}/{y}.mvt&zmin=0&zmax=16", "onemap")
    layer.setRenderer(converter.renderer())
    layer.setLabeling(converter.labeling())
    doc = QDomDocument("qgis")
    root = doc.createElement("qgis")
    root.setAttribute("version", "onemap")  # not the QGIS version: the file must not change with it
    doc.appendChild(root)
    written = layer.writeSymbology(root, doc, "", QgsReadWriteContext())
    if written is not True and not (isinstance(written, tuple) and written[0]):
        sys.exit(f"QGIS could not write the style: {written}")
    # Canonical XML (attributes sorted): Qt writes attributes in hash order, which changes from run to run.
    return ElementTree.canonicalize(doc.toString(1), strip_text=True) + "\n"


if __name__ == "__main__":
    app = QgsApplication([], False)
    app.initQgis()
    text = convert()
    if "--check" in sys.argv:
        with open(TARGET, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit(f"{TARGET} is not what QGIS converts {SOURCE} to: run /usr/bin/python3 scripts/qgis_styles.py")
        print(f"{TARGET} matches {SOURCE}")
    else:
        with open(TARGET, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {TARGET}")
