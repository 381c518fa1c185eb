import Foundation
import OneMapGeo
import OneMapStore

/// GeoJSON text for stored features, in the caller's CRS and axis order, written straight into one
/// string (a page may hold 10,000 features: no dictionaries on the way).
public struct FeatureGeoJSON {
    /// The caller's view: which fields are written, which masked.
    public let view: LayerView
    public let crs: APICRS
    /// Indices of the fields written: the view's, narrowed by `properties`.
    let selected: [Int]
    private let reprojector = Reprojector()

    /// `properties`: the names to write (nil: all the view shows), in the layer's order.
    public init(view: LayerView, crs: APICRS, properties: [String]? = nil) {
        self.view = view; self.crs = crs
        selected = properties.map { p in view.visible.filter { p.contains(view.layer.fields[$0].name) } } ?? view.visible
    }

    public func write(_ f: StoredFeature, into out: inout String) throws {
        var g = try reprojector.transform(f.geometry, from: .cgcs2000, to: crs.crs)
        if crs.northingFirst { g = g.mapPositions { Position($0.y, $0.x) } }
        out += "{\"type\":\"Feature\",\"id\":"
        out += String(f.id)
        out += ",\"geometry\":"
        GeoJSON.write(g, precision: crs.precision, into: &out)
        out += ",\"properties\":"
        Self.properties(f, view: view, only: selected, into: &out)
        out += "}"
    }

    /// The properties object of a feature as `view` shows it (`only`: field indices to write,
    /// default the view's).
    public static func properties(_ f: StoredFeature, view: LayerView, only: [Int]? = nil, into out: inout String) {
        out += "{"
        for (n, i) in (only ?? view.visible).enumerated() {
            let field = view.layer.fields[i]
            if n > 0 { out += "," }
            string(field.name, into: &out)
            out += ":"
            value(view.shown(i, i < f.values.count ? f.values[i] : .null), into: &out)
        }
        out += "}"
    }

    public static func value(_ v: FieldValue, into out: inout String) {
        switch v {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let n): out += String(n)
        case .double(let d): out += d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)") : "null"
        case .string(let s): string(s, into: &out)
        }
    }

    /// A JSON string literal (RFC 8259 escapes; non-ASCII text kept as UTF-8).
    public static func string(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }
}
