import Foundation
import OneMapGeo

/// Draws a `MapScene` with cairo: the population density choropleth, building footprints,
/// administrative boundaries, Chinese labels, a legend, a scale bar and a north arrow. The same
/// drawing goes into a PNG (`GET /render`) or onto a PDF page (area reports).
public enum MapRenderer {
    /// The map as a PNG image of the request's size.
    public static func png(_ scene: MapScene, style: MapStyle) throws -> Data {
        let canvas = try Canvas(imageWidth: scene.request.width, height: scene.request.height)
        draw(scene, style: style, on: canvas, x: 0, y: 0)
        return try canvas.png()
    }

    /// The map as a GeoTIFF placed in the request's CRS.
    public static func geoTIFF(_ scene: MapScene, style: MapStyle) throws -> Data {
        let canvas = try raster(scene, style: style)
        return try GeoRaster.geoTIFF(rgb: canvas.rgb(), width: scene.request.width, height: scene.request.height,
                                     extent: scene.request.extent, epsg: scene.request.crs.epsg, geographic: scene.request.crs.isGeographic)
    }

    /// The map drawn on a raster canvas (tests read its pixels).
    static func raster(_ scene: MapScene, style: MapStyle) throws -> Canvas {
        let canvas = try Canvas(imageWidth: scene.request.width, height: scene.request.height)
        draw(scene, style: style, on: canvas, x: 0, y: 0)
        return canvas
    }

    /// Draws the map with its top-left corner at (x, y), one canvas unit per scene pixel.
    static func draw(_ scene: MapScene, style: MapStyle, on c: Canvas, x ox: Double, y oy: Double) {
        let w = Double(scene.request.width), h = Double(scene.request.height)
        c.save()
        c.translate(ox, oy)
        c.rect(0, 0, w, h)
        c.clip()
        c.color(style.background)
        c.rect(0, 0, w, h)
        c.fill()
        c.evenOdd()
        // Density choropleth (or a plain land colour where no density is drawn).
        for a in scene.areas where a.level == scene.densityLevel {
            path(a.polygons, on: c)
            c.color(MapStyle.classColor(style.densityClasses, at: a.density ?? 0).with(alpha: a.density == nil ? 0.3 : 0.9))
            c.fill()
        }
        // Buildings: residents' classes over their use's colour (as the style's layers draw them),
        // the use alone for callers who may not see residents.
        let outline = scene.request.resolution < 1.5 && scene.buildings.count < 60_000
        for b in scene.buildings {
            path([b.rings], on: c, minimumSize: 0.7)
            c.color(style.buildingColor(population: scene.buildingsShowPopulation ? b.population : nil, use: b.use))
            if outline {
                c.fill(preserve: true)
                c.color(style.buildingOutline)
                c.lineWidth(0.3)
                c.stroke()
            } else {
                c.fill()
            }
        }
        // Residents beyond reach: red cells, deeper with more residents (1, 10, 100, 1000+).
        for u in scene.uncovered {
            path([[u.ring]], on: c, minimumSize: 1)
            c.color(uncoveredColor.with(alpha: uncoveredAlpha(u.people)))
            c.fill()
        }
        // Boundaries, finest first so coarser lines lie on top.
        if scene.request.layers.contains(.adminAreas) {
            c.roundJoins()
            for (level, line) in [("township", style.township), ("county", style.county), ("city", style.city)] {
                c.color(line.color)
                c.lineWidth(line.width)
                c.dash(line.dash)
                for a in scene.areas where a.level == level { path(a.polygons, on: c) }
                c.stroke()
            }
            c.dash([])
        }
        overlays(scene, on: c)
        if !scene.focus.isEmpty {
            // Outside the area: veiled; the area: outlined.
            c.rect(0, 0, w, h)
            path(scene.focus, on: c)
            c.color(RGBA.white.with(alpha: 0.45))
            c.fill()
            path(scene.focus, on: c)
            c.color(style.city.color.with(alpha: 0.85))
            c.lineWidth(style.city.width + 0.8)
            c.stroke()
        }
        if scene.request.layers.contains(.adminAreas) { labels(scene, style: style, on: c) }
        legend(scene, style: style, on: c, width: w, height: h)
        scaleBar(scene, on: c, width: w, height: h)
        northArrow(scene, on: c, width: w)
        c.color(RGBA(r: 0.3, g: 0.3, b: 0.3))
        c.lineWidth(1)
        c.rect(0.5, 0.5, w - 1, h - 1)
        c.stroke()
        c.restore()
    }

    static let uncoveredColor = RGBA(r: 0.84, g: 0.1, b: 0.11)
    static func uncoveredAlpha(_ people: Int) -> Double { 0.25 + 0.55 * min(1, log10(Double(max(people, 1))) / 3) }

    /// Colours of departments' collections, in the order asked (ColorBrewer Dark2).
    static let overlayColors = ["#1b9e77", "#7570b3", "#d95f02", "#e7298a", "#66a61e", "#e6ab02"].compactMap(RGBA.init(css:))

    /// Departments' collections: areas filled lightly and outlined, lines stroked, points as dots.
    static func overlays(_ scene: MapScene, on c: Canvas) {
        for (i, o) in scene.overlays.enumerated() {
            let colour = overlayColors[i % overlayColors.count]
            for g in o.features { draw(g, colour: colour, on: c) }
        }
    }

    static func draw(_ g: Geometry, colour: RGBA, on c: Canvas) {
        switch g {
        case .point(let p): dot(p, colour, c)
        case .multiPoint(let ps): for p in ps { dot(p, colour, c) }
        case .lineString(let l): line([l], colour, c)
        case .multiLineString(let ls): line(ls, colour, c)
        case .polygon, .multiPolygon:
            path(g.polygons, on: c, minimumSize: 1)
            c.color(colour.with(alpha: 0.35)); c.fill(preserve: true)
            c.color(colour); c.lineWidth(1); c.stroke()
        case .geometryCollection(let gs): for m in gs { draw(m, colour: colour, on: c) }
        }
    }

    static func dot(_ p: Position, _ colour: RGBA, _ c: Canvas) {
        c.newPath()
        c.rect(p.x - 3, p.y - 3, 6, 6)
        c.color(.white); c.fill()
        c.rect(p.x - 2.2, p.y - 2.2, 4.4, 4.4)
        c.color(colour); c.fill()
    }

    static func line(_ lines: [[Position]], _ colour: RGBA, _ c: Canvas) {
        for l in lines {
            guard let first = l.first else { continue }
            c.moveTo(first.x, first.y)
            for p in l.dropFirst() { c.lineTo(p.x, p.y) }
        }
        c.color(colour); c.lineWidth(1.6); c.roundJoins(); c.stroke()
    }

    /// Adds polygons to the path; rings smaller than `minimumSize` pixels become a dot of that size
    /// (a building stays visible at city scale).
    static func path(_ polygons: [[[Position]]], on c: Canvas, minimumSize: Double = 0) {
        for polygon in polygons {
            for ring in polygon {
                guard let first = ring.first else { continue }
                if minimumSize > 0 {
                    var box = BBox(minX: first.x, minY: first.y, maxX: first.x, maxY: first.y)
                    for p in ring { box.extend(p) }
                    if box.width < minimumSize && box.height < minimumSize {
                        let m = box.center
                        c.rect(m.x - minimumSize / 2, m.y - minimumSize / 2, minimumSize, minimumSize)
                        break
                    }
                }
                c.moveTo(first.x, first.y)
                for p in ring.dropFirst() { c.lineTo(p.x, p.y) }
                c.closePath()
            }
        }
    }

    /// County names (bold) and township names where the township is large enough on the map,
    /// never overlapping one another.
    static func labels(_ scene: MapScene, style: MapStyle, on c: Canvas) {
        var placed: [BBox] = []
        let order = ["city": 0, "county": 1, "township": 2, "village": 3]
        let shown = scene.labels.filter { l in
            switch l.level {
            case "county": true
            case "township": l.pixelArea > 2500
            case "city": !scene.labels.contains { $0.level == "county" }
            default: false
            }
        }.sorted { (order[$0.level] ?? 9, -$0.pixelArea) < (order[$1.level] ?? 9, -$1.pixelArea) }
        for l in shown {
            let county = l.level != "township"
            c.font(size: county ? 14 : 10, bold: county)
            let tw = c.textWidth(l.name), th = county ? 14.0 : 10.0
            let box = BBox(minX: l.at.x - tw / 2 - 2, minY: l.at.y - th / 2 - 2, maxX: l.at.x + tw / 2 + 2, maxY: l.at.y + th / 2 + 2)
            guard !placed.contains(where: { $0.intersects(box) }) else { continue }
            placed.append(box)
            c.haloText(l.name, x: l.at.x - tw / 2, y: l.at.y + th * 0.38, color: county ? style.countyLabel : style.townshipLabel,
                       halo: style.halo, haloWidth: county ? 1.8 : 1.2)
        }
    }

    /// Bottom left: the density classes, the building colours and the boundary lines shown.
    static func legend(_ scene: MapScene, style: MapStyle, on c: Canvas, width: Double, height: Double) {
        var rows: [(kind: Int, color: RGBA, dash: [Double], width: Double, text: String)] = []  // kind 0 swatch, 1 line, 2 heading
        if let level = scene.densityLevel {
            rows.append((2, .black, [], 0, "人口密度 (人/km²，\(level == "township" ? "乡镇" : "县区"))"))
            let classes = style.densityClasses
            for (i, k) in classes.enumerated() {
                let text = i + 1 < classes.count ? "\(Int(k.value))–\(Int(classes[i + 1].value))" : "≥ \(Int(k.value))"
                rows.append((0, k.color.with(alpha: 0.9), [], 0, text))
            }
        }
        if scene.request.layers.contains(.buildings) {
            if scene.buildingsShowPopulation {
                rows.append((2, .black, [], 0, "建筑 (常住人口)"))
                let stops = style.buildingRamp
                for (i, s) in stops.enumerated() {
                    let text = i + 1 < stops.count ? (Int(s.value) == Int(stops[i + 1].value) - 1 ? "\(Int(s.value))" : "\(Int(s.value))–\(Int(stops[i + 1].value) - 1)") : "≥ \(Int(s.value))"
                    rows.append((0, s.color, [], 0, text))
                }
            } else {
                rows.append((2, .black, [], 0, "建筑 (用途)"))
                for (use, color) in style.useColors { rows.append((0, color, [], 0, MapStyle.useNames[use] ?? use)) }
            }
        }
        if scene.request.layers.contains(.adminAreas) {
            rows.append((1, style.city.color, style.city.dash, style.city.width, "市界 city"))
            rows.append((1, style.county.color, style.county.dash, style.county.width, "县界 county"))
            rows.append((1, style.township.color, style.township.dash, style.township.width, "乡镇界 township"))
        }
        if let title = scene.uncoveredTitle {
            rows.append((2, .black, [], 0, title))
            for (n, text) in [(1, "1–9"), (10, "10–99"), (100, "100–999"), (1000, "≥ 1000")] {
                rows.append((0, uncoveredColor.with(alpha: uncoveredAlpha(n)), [], 0, text))
            }
        }
        for (i, o) in scene.overlays.enumerated() {
            rows.append((0, overlayColors[i % overlayColors.count], [], 0, o.title + (o.omitted > 0 ? " (\(o.omitted) 未绘 not drawn)" : "")))
        }
        if scene.buildingsOmitted > 0 { rows.append((2, .black, [], 0, "(\(scene.buildingsOmitted) 建筑未绘)")) }
        guard !rows.isEmpty else { return }
        // A small map (a report's) gets a smaller legend.
        let k = height < 500 ? 0.75 : 1.0
        let line = 14.0 * k, pad = 6.0 * k, size = 10 * k
        c.font(size: size)
        let textWidth = rows.map { c.textWidth($0.text) + ($0.kind == 2 ? 0 : 24 * k) }.max() ?? 60
        let boxW = textWidth + 2 * pad, boxH = Double(rows.count) * line + 2 * pad + 14 * k
        let x0 = 8.0, y0 = height - boxH - 8
        c.color(RGBA.white.with(alpha: 0.88))
        c.rect(x0, y0, boxW, boxH)
        c.fill()
        c.color(RGBA(r: 0.4, g: 0.4, b: 0.4))
        c.lineWidth(0.6)
        c.rect(x0, y0, boxW, boxH)
        c.stroke()
        c.font(size: 11 * k, bold: true)
        c.color(.black)
        c.text("图例 Legend", x: x0 + pad, y: y0 + pad + 10 * k)
        c.font(size: size)
        var y = y0 + pad + 14 * k
        for r in rows {
            switch r.kind {
            case 0:
                c.color(r.color); c.rect(x0 + pad, y + 2 * k, 18 * k, 10 * k); c.fill()
                c.color(RGBA(r: 0.5, g: 0.5, b: 0.5)); c.lineWidth(0.4); c.rect(x0 + pad, y + 2 * k, 18 * k, 10 * k); c.stroke()
                c.color(.black); c.text(r.text, x: x0 + pad + 24 * k, y: y + 11 * k)
            case 1:
                c.color(r.color); c.lineWidth(r.width); c.dash(r.dash)
                c.moveTo(x0 + pad, y + 7 * k); c.lineTo(x0 + pad + 18 * k, y + 7 * k); c.stroke(); c.dash([])
                c.color(.black); c.text(r.text, x: x0 + pad + 24 * k, y: y + 11 * k)
            default:
                c.color(.black); c.text(r.text, x: x0 + pad, y: y + 11 * k)
            }
            y += line
        }
    }

    /// Metres on the ground per pixel at the map's centre, along its x axis.
    static func groundResolution(_ r: MapRequest) -> Double {
        let c = r.extent.center, d = r.resolution * 50
        var pts = [Position(c.x - d, c.y), Position(c.x + d, c.y)]
        guard (try? Reprojector().transform(&pts, from: r.crs, to: .cgcs2000)) != nil else { return r.resolution }
        return haversine(pts[0], pts[1]) / 100
    }

    static func haversine(_ a: Position, _ b: Position) -> Double {
        let rad = Double.pi / 180, R = 6_371_008.8
        let dLat = (b.y - a.y) * rad, dLon = (b.x - a.x) * rad
        let h = sin(dLat / 2) * sin(dLat / 2) + cos(a.y * rad) * cos(b.y * rad) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * R * asin(min(1, sqrt(h)))
    }

    /// A round length (1, 2 or 5 times a power of ten metres) about a fifth of the map wide.
    static func scaleLength(metresPerPixel m: Double, width: Double) -> Double {
        let target = m * width / 5
        let p = pow(10, floor(log10(target)))
        return [5, 2, 1].map { $0 * p }.first { $0 <= target } ?? p
    }

    static func scaleBar(_ scene: MapScene, on c: Canvas, width: Double, height: Double) {
        let m = groundResolution(scene.request)
        guard m.isFinite, m > 0 else { return }
        let metres = scaleLength(metresPerPixel: m, width: width)
        let px = metres / m
        let x1 = width - 16, x0 = x1 - px, y = height - 18
        let label = metres >= 1000 ? "\(ReportCell.format(metres / 1000)) km" : "\(Int(metres)) m"
        c.color(RGBA.white.with(alpha: 0.85))
        c.rect(x0 - 8, y - 22, px + 16, 30)
        c.fill()
        for i in 0..<4 {
            c.color(i % 2 == 0 ? .black : .white)
            c.rect(x0 + px * Double(i) / 4, y - 3, px / 4, 5)
            c.fill()
        }
        c.color(.black); c.lineWidth(0.8); c.rect(x0, y - 3, px, 5); c.stroke()
        c.font(size: 10)
        c.text("0", x: x0 - c.textWidth("0") / 2, y: y - 7)
        c.text(label, x: min(x1 - c.textWidth(label) / 2, width - 4 - c.textWidth(label)), y: y - 7)
        // Scale as a ratio at 96 dpi screens (0.2646 mm per pixel).
        let ratio = "1:\(Int((m / 0.000264583).rounded()))"
        c.font(size: 8)
        c.text(ratio, x: x0 + px / 2 - c.textWidth(ratio) / 2, y: y + 9)
    }

    /// The direction of true north at the centre (Gauss-Kruger grid north differs by the meridian
    /// convergence), in radians clockwise from straight up.
    static func northAngle(_ r: MapRequest) -> Double {
        let rp = Reprojector()
        guard let centre = try? rp.transform(r.extent.center, from: r.crs, to: .cgcs2000),
              let up = try? rp.transform(Position(centre.x, centre.y + 0.01), from: .cgcs2000, to: r.crs) else { return 0 }
        let dx = up.x - r.extent.center.x, dy = up.y - r.extent.center.y
        return atan2(dx, dy)
    }

    static func northArrow(_ scene: MapScene, on c: Canvas, width: Double) {
        let cx = width - 30, cy = 38.0
        c.save()
        c.color(RGBA.white.with(alpha: 0.85))
        c.rect(cx - 18, cy - 30, 36, 56)
        c.fill()
        c.translate(cx, cy)
        c.rotate(northAngle(scene.request))
        c.color(.black)
        c.moveTo(0, -20); c.lineTo(9, 12); c.lineTo(0, 5); c.closePath(); c.fill()
        c.moveTo(0, -20); c.lineTo(-9, 12); c.lineTo(0, 5); c.closePath()
        c.lineWidth(1); c.stroke()
        c.font(size: 11, bold: true)
        c.text("N", x: -c.textWidth("N") / 2, y: 24)
        c.restore()
    }
}
