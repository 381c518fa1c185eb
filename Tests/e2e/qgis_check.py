#!/usr/bin/python3
"""Runs under Debian's python3 with PyQGIS (headless): loads a OneMap QGIS project, counts what
its Features layers hold in a box, renders views to PNG and measures them. Prints JSON for
test_qgis.py (the pytest venv has no PyQGIS).

    /usr/bin/python3 qgis_check.py '{"project": ..., "count_box": [...], "renders": [...]}'
"""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsCoordinateTransform,  # noqa: E402
                       QgsFeatureRequest, QgsMapLayerType, QgsMapRendererSequentialJob, QgsMapSettings,
                       QgsProject, QgsRectangle)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor, QFontDatabase  # noqa: E402


def pixels(image):
    w, h = image.width(), image.height()
    return [QColor(image.pixel(x, y)) for y in range(0, h, 2) for x in range(0, w, 2)]


def near(c, rgb, tolerance=3):
    return abs(c.red() - rgb[0]) <= tolerance and abs(c.green() - rgb[1]) <= tolerance and abs(c.blue() - rgb[2]) <= tolerance


def render(project, layers, box, size, path, labels=True):
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(project.crs())
    settings.setOutputSize(QSize(*size))
    settings.setBackgroundColor(QColor(255, 255, 255))
    to_project = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4490"), project.crs(), project)
    settings.setExtent(to_project.transformBoundingBox(QgsRectangle(*box)))
    tiles = [l for l in layers if l.type() == QgsMapLayerType.VectorTileLayer]
    kept = [l.labeling().clone() if l.labeling() else None for l in tiles]
    if not labels:
        for l in tiles:
            l.setLabeling(None)
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    for l, labeling in zip(tiles, kept):
        l.setLabeling(labeling)
    if path:
        image.save(path)
    return image


def measure(args):
    """Colour counts of images drawn elsewhere (the MapLibre viewer's), measured as the renders are."""
    from qgis.PyQt.QtGui import QImage
    out = {}
    for name, path in args["measure"].items():
        colours = {k: tuple(int(v[i:i + 2], 16) for i in (1, 3, 5)) for k, v in args["colours"].items()}
        a = pixels(QImage(path))
        out[name] = {"pixels": len(a), "colours": {k: sum(1 for c in a if near(c, rgb)) for k, rgb in colours.items()}}
    return out


def main():
    args = json.loads(sys.argv[1])
    app = QgsApplication([], False)
    app.initQgis()
    if "measure" in args:
        print(json.dumps(measure(args)))
        app.exitQgis()
        return
    project = QgsProject.instance()
    out = {"read": project.read(args["project"]), "crs": project.crs().authid(), "layers": [], "groups": [], "counts": {}, "renders": {}}
    root = project.layerTreeRoot()
    out["groups"] = [{"name": g.name(), "visible": g.isVisible(), "layers": [c.name() for c in g.children()]} for g in root.children()]
    tile_layer = None
    for layer in project.mapLayers().values():
        info = {"name": layer.name(), "valid": layer.isValid(), "provider": layer.providerType(), "crs": layer.crs().authid()}
        if layer.type() == QgsMapLayerType.VectorTileLayer:
            tile_layer = layer
            info["styles"] = len(layer.renderer().styles())
            labeling = layer.labeling()
            fonts = [s.labelSettings().format().font().family() for s in labeling.styles()] if labeling else []
            info["label_fonts"] = sorted(set(fonts))
            info["fonts_installed"] = all(f in QFontDatabase().families() for f in fonts)
        else:
            info["fields"] = {f.name(): f.typeName() for f in layer.fields()}
            source = layer.source()
            info["source"] = source
            typename = source.split("typename='")[1].split("'")[0]
            box = QgsRectangle(*args["count_box"])
            out["counts"][typename] = sum(1 for _ in layer.getFeatures(QgsFeatureRequest().setFilterRect(box)))
        out["layers"].append(info)
    for r in args["renders"]:
        colours = {k: tuple(int(v[i:i + 2], 16) for i in (1, 3, 5)) for k, v in r["colours"].items()}
        image = render(project, [tile_layer], r["box"], r["size"], r["png"])
        without = render(project, [tile_layer], r["box"], r["size"], None, labels=False)
        a, b = pixels(image), pixels(without)
        white = sum(1 for c in a if c.red() > 250 and c.green() > 250 and c.blue() > 250)
        out["renders"][r["name"]] = {
            "png": r["png"], "pixels": len(a), "blank": white,
            "label_pixels": sum(1 for x, y in zip(a, b) if x.rgb() != y.rgb()),
            "colours": {k: sum(1 for c in a if near(c, rgb)) for k, rgb in colours.items()},
            "warm": sum(1 for c in b if c.red() - c.blue() > 40 and c.red() > 180),
        }
    print(json.dumps(out, ensure_ascii=False))
    app.exitQgis()


if __name__ == "__main__":
    main()
