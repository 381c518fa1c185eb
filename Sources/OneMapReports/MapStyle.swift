import Foundation

/// The colours of server-drawn maps, read from the same MapLibre style the viewer uses
/// (`styles/onemap.json`: background, building fill ramp, boundary lines, label colours), so a
/// printed map looks like the screen. What the style does not say keeps these defaults.
public struct MapStyle: Sendable {
    struct Stop: Sendable { let value: Double; let color: RGBA }
    struct Line: Sendable { var color: RGBA; var width: Double; var dash: [Double] }

    var background = RGBA(css: "#f4f1ea")!
    /// Buildings by residents (the style's `buildings-residents-N` classes), and their outline.
    var buildingRamp: [Stop] = [Stop(value: 0, color: RGBA(css: "#cfcfcf")!), Stop(value: 1, color: RGBA(css: "#fee8c8")!),
                                Stop(value: 15, color: RGBA(css: "#fdbb84")!), Stop(value: 60, color: RGBA(css: "#e34a33")!),
                                Stop(value: 200, color: RGBA(css: "#7f0000")!)]
    var buildingOutline = RGBA(css: "#8c6d5a")!
    /// Buildings by use (the style's `buildings-fill` match), and the colour of any other use.
    var useColors: [(String, RGBA)] = [("residential", RGBA(css: "#e0d6c8")!), ("commercial", RGBA(css: "#b9d3ea")!),
                                       ("industrial", RGBA(css: "#d3c4e3")!), ("public", RGBA(css: "#c3e3bc")!)]
    var otherUse = RGBA(css: "#cfcfcf")!
    static let useNames = ["residential": "住宅 residential", "commercial": "商业 commercial", "industrial": "工业 industrial", "public": "公共 public"]
    var township = Line(color: RGBA(css: "#9a9a9a")!, width: 0.6, dash: [3, 2])
    var county = Line(color: RGBA(css: "#6b5b73")!, width: 1.6, dash: [])
    var city = Line(color: RGBA(css: "#3d2f45")!, width: 2.6, dash: [])
    var countyLabel = RGBA(css: "#2b1f33")!
    var townshipLabel = RGBA(css: "#555555")!
    var halo = RGBA.white
    /// Population density classes, people per km² (lower bounds), light to dark (ColorBrewer OrRd).
    var densityClasses: [Stop] = [
        Stop(value: 0, color: RGBA(css: "#fff7ec")!), Stop(value: 50, color: RGBA(css: "#fee8c8")!),
        Stop(value: 150, color: RGBA(css: "#fdd49e")!), Stop(value: 500, color: RGBA(css: "#fc8d59")!),
        Stop(value: 1500, color: RGBA(css: "#e34a33")!), Stop(value: 5000, color: RGBA(css: "#b30000")!),
    ]

    public init() {}

    /// The style of printed maps: `onemap.json` in the styles folder, as the viewer gets it (the
    /// defaults when it cannot be read).
    public static func load(stylesDirectory: String) -> MapStyle {
        let path = (stylesDirectory as NSString).appendingPathComponent("onemap.json")
        return FileManager.default.contents(atPath: path).map(MapStyle.init(styleJSON:)) ?? MapStyle()
    }

    /// The defaults overridden by what a MapLibre style JSON says; the defaults alone when the
    /// style cannot be read.
    public init(styleJSON data: Data) {
        self.init()
        guard let style = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let layers = style["layers"] as? [[String: Any]] else { return }
        func paint(_ id: String) -> [String: Any]? { layers.first { $0["id"] as? String == id }?["paint"] as? [String: Any] }
        if let c = (paint("background")?["background-color"] as? String).flatMap(RGBA.init(css:)) { background = c }
        // Residents' classes: one filtered layer per class (`buildings-residents-N`), its lower
        // bound the filter's `>=`.
        let classes = layers.filter { ($0["id"] as? String)?.hasPrefix("buildings-residents-") == true }.compactMap { l -> Stop? in
            guard let color = ((l["paint"] as? [String: Any])?["fill-color"] as? String).flatMap(RGBA.init(css:)),
                  let low = Self.lowerBound(l["filter"], field: "population") else { return nil }
            return Stop(value: low, color: color)
        }.sorted { $0.value < $1.value }
        if classes.count >= 2 { buildingRamp = classes }
        if let fill = paint("buildings-fill") {
            if let m = fill["fill-color"] as? [Any], m.first as? String == "match", m.count >= 5 {
                var pairs: [(String, RGBA)] = []
                var i = 2
                while i + 1 < m.count {
                    // A label is a value or an array of values (the form QGIS's converter reads).
                    let labels = (m[i] as? [Any])?.compactMap { $0 as? String } ?? [m[i] as? String].compactMap { $0 }
                    if let c = (m[i + 1] as? String).flatMap(RGBA.init(css:)) { pairs += labels.map { ($0, c) } }
                    i += 2
                }
                if !pairs.isEmpty { useColors = pairs }
                if let c = (m.last as? String).flatMap(RGBA.init(css:)) { otherUse = c }
            }
            if let c = (fill["fill-outline-color"] as? String).flatMap(RGBA.init(css:)) { buildingOutline = c }
        }
        func line(_ id: String, _ into: inout Line) {
            guard let p = paint(id) else { return }
            if let c = (p["line-color"] as? String).flatMap(RGBA.init(css:)) { into.color = c }
            if let w = Self.number(p["line-width"]) { into.width = w }
            if let d = p["line-dasharray"] as? [Any] { into.dash = d.compactMap(Self.number) }
        }
        line("township-line", &township)
        line("county-line", &county)
        line("city-line", &city)
        if let p = paint("county-label") {
            if let c = (p["text-color"] as? String).flatMap(RGBA.init(css:)) { countyLabel = c }
            if let c = (p["text-halo-color"] as? String).flatMap(RGBA.init(css:)) { halo = c }
        }
        if let c = (paint("township-label")?["text-color"] as? String).flatMap(RGBA.init(css:)) { townshipLabel = c }
    }

    /// A number, or the largest output of a zoom `interpolate` (a printed map is a close-up).
    static func number(_ v: Any?) -> Double? {
        if let d = v as? Double { return d }
        if let n = v as? Int { return Double(n) }
        if let n = v as? NSNumber { return n.doubleValue }
        if let e = v as? [Any], e.first as? String == "interpolate" {
            return stride(from: 4, to: e.count, by: 2).compactMap { number(e[$0]) }.max()
        }
        return nil
    }

    /// Stops of `["interpolate", ["linear"], input, v0, c0, v1, c1, ...]`.
    /// The stops of an `interpolate` expression, or of the one a `case` expression holds (the
    /// buildings' residents ramp sits in a case: by residents when a feature has them).
    static func interpolateStops(_ v: Any?) -> [Stop] {
        if let e = v as? [Any], e.first as? String == "case" {
            for branch in e.dropFirst() {
                let stops = interpolateStops(branch)
                if !stops.isEmpty { return stops }
            }
            return []
        }
        guard let e = v as? [Any], e.first as? String == "interpolate", e.count >= 5 else { return [] }
        var stops: [Stop] = []
        var i = 3
        while i + 1 < e.count {
            if let value = number(e[i]), let c = (e[i + 1] as? String).flatMap(RGBA.init(css:)) { stops.append(Stop(value: value, color: c)) }
            i += 2
        }
        return stops
    }

    /// The ramp's colour at `v` (linear between stops, clamped at the ends).
    static func color(_ stops: [Stop], at v: Double) -> RGBA {
        guard let first = stops.first else { return .black }
        if v <= first.value { return first.color }
        for (a, b) in zip(stops, stops.dropFirst()) where v <= b.value {
            return a.color.mix(b.color, (v - a.value) / max(b.value - a.value, 1e-12))
        }
        return stops.last!.color
    }

    /// A building's colour: its residents' class when shown, else its use's.
    func buildingColor(population: Int?, use: String?) -> RGBA {
        if let population { return Self.classColor(buildingRamp, at: Double(population)) }
        return use.flatMap { u in useColors.first { $0.0 == u }?.1 } ?? otherUse
    }

    /// The `n` of a `[">=", ["get", field], n]` inside a filter (an `all` of conditions).
    static func lowerBound(_ filter: Any?, field: String) -> Double? {
        guard let f = filter as? [Any], let op = f.first as? String else { return nil }
        if op == "all" { return f.dropFirst().lazy.compactMap { lowerBound($0, field: field) }.first }
        guard op == ">=", f.count == 3, let get = f[1] as? [Any], get.count == 2, get[0] as? String == "get", get[1] as? String == field else { return nil }
        return number(f[2])
    }

    /// The class colour at `v` (the last class whose lower bound is at most v).
    static func classColor(_ classes: [Stop], at v: Double) -> RGBA {
        classes.last { v >= $0.value }?.color ?? classes.first?.color ?? .white
    }
}
