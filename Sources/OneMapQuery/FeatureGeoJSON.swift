import Foundation
import OneMapGeo
import OneMapStore

/// GeoJSON text for stored features, in the caller's CRS and axis order, written straight into one
/// string (a page may hold 10,000 features: no dictionaries on the way).
public struct FeatureGeoJSON {
    public let layer: LayerInfo
    public let crs: APICRS
    /// Indices of the fields written (all by default).
    let selected: [Int]?
    private let reprojector = Reprojector()

    /// `properties`: the names to write (nil: all), in the layer's order.
    public init(layer: LayerInfo, crs: APICRS, properties: [String]? = nil) {
        self.layer = layer; self.crs = crs
        selected = properties.map { p in layer.fields.indices.filter { p.contains(layer.fields[$0].name) } }
    }

    public func write(_ f: StoredFeature, into out: inout String) throws {
        var g = try reprojector.transform(f.geometry, from: .cgcs2000, to: crs.crs)
        if crs.northingFirst { g = g.mapPositions { Position($0.y, $0.x) } }
        out += "{\"type\":\"Feature\",\"id\":"
        out += String(f.id)
        out += ",\"geometry\":"
        GeoJSON.write(g, precision: crs.precision, into: &out)
        out += ",\"properties\":"
        Self.properties(f, layer: layer, only: selected, into: &out)
        out += "}"
    }

    /// The properties object of a feature (`only`: field indices to write).
    public static func properties(_ f: StoredFeature, layer: LayerInfo, only: [Int]? = nil, into out: inout String) {
        out += "{"
        for (n, i) in (only ?? Array(layer.fields.indices)).enumerated() {
            let field = layer.fields[i]
            if n > 0 { out += "," }
            string(field.name, into: &out)
            out += ":"
            let v = i < f.values.count ? f.values[i] : .null
            // Personal fields leave masked until grants exist (the governance work decides who may see them).
            value(field.sensitivity == .personal ? masked(v) : v, into: &out)
        }
        out += "}"
    }

    /// `180****0689`: the first 3 and last 4 characters of 8 or more kept, anything shorter hidden.
    public static func masked(_ v: FieldValue) -> FieldValue {
        guard case .string(let s) = v else { return v == .null ? .null : .string("****") }
        let c = Array(s)
        guard c.count >= 8 else { return .string(String(repeating: "*", count: max(c.count, 4))) }
        return .string(String(c.prefix(3)) + String(repeating: "*", count: c.count - 7) + String(c.suffix(4)))
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
