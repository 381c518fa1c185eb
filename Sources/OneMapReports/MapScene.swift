import Foundation
import OneMapGeo
import OneMapStore

/// What a map shows, read for one caller and projected to pixels: areas with their residents per
/// km², building footprints, label points. Values come through the caller's `LayerView`s: a field
/// the caller may not see is not drawn (buildings without `population` are drawn in one colour).
public struct MapScene: Sendable {
    public struct Area: Sendable {
        let code: String, name: String, level: String
        /// Pixel rings (x right, y down), polygon by polygon.
        let polygons: [[[Position]]]
        /// Residents per km², when the caller sees `population`.
        let density: Double?
    }

    public struct Building: Sendable {
        let rings: [[Position]]
        let population: Int?
        /// Its use (residential, commercial…), which colours it where residents are not shown.
        let use: String?
    }

    /// A department's collection drawn over the base map.
    public struct Overlay: Sendable {
        let id: String, title: String
        /// Pixel geometries.
        let features: [Geometry]
        /// Features left out beyond `maxOverlayFeatures`.
        let omitted: Int
    }

    /// A statistical grid cell of residents beyond reach of a coverage question, in pixels.
    public struct Shade: Sendable {
        let ring: [Position]
        let people: Int
    }

    public struct Label: Sendable {
        let name: String, level: String
        let at: Position
        /// The area's size in pixels (to drop labels of areas too small to read).
        let pixelArea: Double
    }

    public let request: MapRequest
    var areas: [Area] = []
    var buildings: [Building] = []
    var labels: [Label] = []
    var overlays: [Overlay] = []
    /// Residents beyond reach of a coverage question, and what the legend calls them.
    var uncovered: [Shade] = []
    var uncoveredTitle: String?
    /// The level the density is drawn for (township, or county when no township is in view).
    var densityLevel: String?
    /// Whether buildings carry residents for this caller.
    var buildingsShowPopulation = false
    /// The area a report is about, in pixels: drawn outlined, with the rest of the map veiled.
    var focus: [[[Position]]] = []
    /// Buildings left out because the map holds more than `maxBuildings`.
    var buildingsOmitted = 0

    /// Features drawn (areas, labels, buildings, collections): what the audit records.
    public var featureCount: Int { areas.count + labels.count + buildings.count + uncovered.count + overlays.reduce(0) { $0 + $1.features.count } }

    /// A collection draws at most this many features.
    public static let maxOverlayFeatures = 200_000

    /// The core layers a map is drawn from (departments' collections come on top).
    public static let sourceLayers = ["admin_areas", "admin_labels", "buildings"]

    /// A map shows at most this many footprints: beyond it they are below a pixel anyway.
    public static let maxBuildings = 400_000

    /// `views`: the caller's views of admin_areas, admin_labels and buildings (a layer without a
    /// view is not drawn).
    /// `focus`: an area (EPSG:4490) to stand out from its surroundings.
    public static func load(_ request: MapRequest, store: any FeatureStore, views: [String: LayerView], focus: Geometry? = nil) throws -> MapScene {
        var scene = MapScene(request: request)
        let box = try request.queryBox()
        let time = TimeFilter.instant(request.day)
        let reprojector = Reprojector()
        let engine = GeometryEngine()
        let e = request.extent, res = request.resolution
        func pixels(_ g: Geometry) throws -> Geometry {
            try reprojector.transform(g, from: .cgcs2000, to: request.crs).mapPositions { Position(($0.x - e.minX) / res, (e.maxY - $0.y) / res) }
        }
        func field(_ view: LayerView, _ name: String) -> Int? {
            view.layer.fields.firstIndex { $0.name == name }.flatMap { view.visible.contains($0) && !view.masked.contains($0) ? $0 : nil }
        }
        if let focus { scene.focus = try pixels(focus).polygons }
        if let view = views["admin_areas"], request.layers.contains(.adminAreas) || request.layers.contains(.populationDensity) {
            let code = field(view, "code"), name = field(view, "name"), level = field(view, "level"), population = field(view, "population")
            var raw: [(StoredFeature, String)] = []
            let inside = try view.area.map { try engine.prepare($0) }
            try store.features(layer: "admin_areas", intersecting: box, during: time, limit: nil) { f in
                let lv = level.flatMap { Self.text(f.values[$0]) } ?? ""
                if let inside, !(try inside.intersects(f.geometry)) { return }
                raw.append((f, lv))
            }
            // Density at the finest level in view among township and county.
            if request.layers.contains(.populationDensity), population != nil {
                scene.densityLevel = raw.contains { $0.1 == "township" } ? "township" : raw.contains { $0.1 == "county" } ? "county" : nil
            }
            for (f, lv) in raw {
                var density: Double?
                if lv == scene.densityLevel, let p = population, case .int(let n) = f.values[p] {
                    let km2 = Self.squareKilometres(f.geometry)
                    density = km2 > 0 ? Double(n) / km2 : nil
                }
                let g = try pixels(f.geometry)
                scene.areas.append(Area(code: code.flatMap { Self.text(f.values[$0]) } ?? "", name: name.flatMap { Self.text(f.values[$0]) } ?? "",
                                        level: lv, polygons: g.polygons, density: density))
            }
        }
        StageTimer.mark("map: areas")
        if request.layers.contains(.adminAreas), let view = views["admin_labels"], let name = field(view, "name") {
            let level = field(view, "level"), code = field(view, "code")
            let sizes = Dictionary(scene.areas.map { ($0.code, Self.pixelArea($0.polygons)) }, uniquingKeysWith: +)
            try store.features(layer: "admin_labels", intersecting: box, during: time, limit: nil) { f in
                guard case .point = f.geometry, let n = Self.text(f.values[name]) else { return }
                let g = try pixels(f.geometry)
                guard case .point(let p) = g, p.x >= 0, p.y >= 0, p.x <= Double(request.width), p.y <= Double(request.height) else { return }
                let c = code.flatMap { Self.text(f.values[$0]) } ?? ""
                scene.labels.append(Label(name: n, level: level.flatMap { Self.text(f.values[$0]) } ?? "", at: p, pixelArea: sizes[c] ?? 0))
            }
        }
        StageTimer.mark("map: labels")
        if request.layers.contains(.buildings), let view = views["buildings"] {
            let population = field(view, "population"), use = field(view, "use")
            scene.buildingsShowPopulation = population != nil
            var count = 0
            let inside = try view.area.map { try engine.prepare($0) }
            try store.features(layer: "buildings", intersecting: box, during: time, limit: nil) { f in
                count += 1
                guard count <= maxBuildings else { return }
                if let inside, !(try inside.intersects(f.geometry)) { return }
                let g = try pixels(f.geometry)
                var p: Int?
                if let i = population, case .int(let n) = f.values[i] { p = Int(n) }
                let u = use.flatMap { Self.text(f.values[$0]) }
                for polygon in g.polygons { scene.buildings.append(Building(rings: polygon, population: p, use: u)) }
            }
            scene.buildingsOmitted = max(0, count - maxBuildings)
            StageTimer.mark("map: \(count) buildings")
        }
        for id in request.collections {
            guard let view = views[id] else { continue }
            let inside = try view.area.map { try engine.prepare($0) }
            var features: [Geometry] = [], count = 0
            try store.features(layer: id, intersecting: box, during: time, limit: nil) { f in
                count += 1
                guard count <= maxOverlayFeatures else { return }
                if let inside, !(try inside.intersects(f.geometry)) { return }
                features.append(try pixels(f.geometry))
            }
            scene.overlays.append(Overlay(id: id, title: view.layer.title, features: features, omitted: max(0, count - maxOverlayFeatures)))
        }
        return scene
    }

    /// Adds the cells of residents beyond reach (lon/lat boxes, EPSG:4490) with their residents.
    public mutating func addUncovered(_ cells: [(box: BBox, people: Int)], title: String) throws {
        let reprojector = Reprojector()
        let e = request.extent, res = request.resolution
        uncoveredTitle = title
        for c in cells {
            let b = c.box
            let ring = [Position(b.minX, b.minY), Position(b.maxX, b.minY), Position(b.maxX, b.maxY), Position(b.minX, b.maxY), Position(b.minX, b.minY)]
            let g = try reprojector.transform(.polygon([ring]), from: .cgcs2000, to: request.crs)
                .mapPositions { Position(($0.x - e.minX) / res, (e.maxY - $0.y) / res) }
            guard let pixels = g.polygons.first?.first else { continue }
            guard pixels.contains(where: { $0.x >= 0 && $0.y >= 0 && $0.x <= Double(request.width) && $0.y <= Double(request.height) }) else { continue }
            uncovered.append(Shade(ring: pixels, people: c.people))
        }
    }

    static func text(_ v: FieldValue) -> String? {
        switch v {
        case .string(let s): s
        case .int(let n): String(n)
        default: nil
        }
    }

    /// Area on the ground of a lon/lat geometry: square degrees scaled at each polygon's latitude
    /// (within 0.5% at Sanming's size; a density class does not need more).
    static func squareKilometres(_ g: Geometry) -> Double {
        var total = 0.0
        for polygon in g.polygons {
            guard let outer = polygon.first, !outer.isEmpty else { continue }
            var sq = abs(Planar.signedArea(outer))
            for hole in polygon.dropFirst() { sq -= abs(Planar.signedArea(hole)) }
            let lat = outer.reduce(0) { $0 + $1.y } / Double(outer.count)
            total += sq * 111.32 * 110.574 * cos(lat * .pi / 180)
        }
        return total
    }

    static func pixelArea(_ polygons: [[[Position]]]) -> Double {
        polygons.reduce(0) { $0 + abs(Planar.signedArea($1.first ?? [])) }
    }
}
