import Foundation
import OneMapGeo
import OneMapStore

/// GeoJSON FeatureCollection (RFC 7946, or with a legacy `crs` member) or newline-delimited GeoJSON.
struct GeoJSONFileReader: FeatureFileReader {
    let path: String
    private(set) var declaredEPSG: Int?
    private let data: Data

    init(path: String) throws {
        self.path = path
        guard let d = FileManager.default.contents(atPath: path) else { throw ImportError("cannot read \(path)") }
        data = d
        // The legacy (2008) `crs` member, as QGIS and GDAL still write: {"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4548"}}.
        if let head = String(data: data.prefix(4096), encoding: .utf8),
           let r = head.range(of: #""name"\s*:\s*"(urn:ogc:def:crs:[^"]+|EPSG:\d+)""#, options: .regularExpression) {
            let name = head[r].split(separator: "\"").dropFirst(2).first.map(String.init) ?? ""
            declaredEPSG = CRS.parse(name)?.epsg ?? Self.epsgNumber(name)
        }
    }

    private static func epsgNumber(_ s: String) -> Int? {
        s.split(whereSeparator: { !$0.isNumber }).last.flatMap { Int($0) }
    }

    func features() throws -> [SourceFeature] {
        let trimmed = data.prefix(64).drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }
        if let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            switch obj["type"] as? String {
            case "FeatureCollection":
                guard let feats = obj["features"] as? [Any] else { throw ImportError("\(path): FeatureCollection has no \"features\" array") }
                return feats.enumerated().map { Self.feature($0.element, row: $0.offset + 1) }
            case "Feature": return [Self.feature(obj, row: 1)]
            default: throw ImportError("\(path): not a GeoJSON FeatureCollection or Feature (type \(obj["type"] ?? "missing"))")
            }
        }
        guard trimmed.first == UInt8(ascii: "{") else { throw ImportError("\(path): not GeoJSON (malformed JSON)") }
        // Newline-delimited: one Feature per line.
        var out: [SourceFeature] = []
        var row = 0
        for line in data.split(separator: 0x0A) where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x1E }) {
            row += 1
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.drop { $0 == 0x1E })) else {
                out.append(SourceFeature(row: row, properties: ["__error": .string("line is not valid JSON")], geometry: nil))
                continue
            }
            out.append(Self.feature(obj, row: row))
        }
        if out.isEmpty { throw ImportError("\(path): no features") }
        return out
    }

    static func feature(_ obj: Any, row: Int) -> SourceFeature {
        guard let f = obj as? [String: Any], f["type"] as? String == "Feature" else {
            return SourceFeature(row: row, properties: ["__error": .string("not a GeoJSON Feature")], geometry: nil)
        }
        var props: [String: FieldValue] = [:]
        for (k, v) in (f["properties"] as? [String: Any]) ?? [:] { props[k] = Self.value(v) }
        if let id = f["id"], props["id"] == nil { props["id"] = Self.value(id) }
        guard let g = f["geometry"], !(g is NSNull) else { return SourceFeature(row: row, properties: props, geometry: nil) }
        do {
            return SourceFeature(row: row, properties: props, geometry: try GeoJSON.geometry(from: g))
        } catch {
            props["__error"] = .string("geometry: \(error)")
            return SourceFeature(row: row, properties: props, geometry: nil)
        }
    }

    static func value(_ v: Any) -> FieldValue {
        if v is NSNull { return .null }
        if JSONValue.isBoolean(v) { return .bool((v as? Bool) ?? false) }
        if let d = JSONValue.number(v) {
            if d == d.rounded(), abs(d) < 9e15, !(String(describing: v).contains(".")) { return .int(Int64(d)) }
            return .double(d)
        }
        if let s = v as? String { return .string(s) }
        // Nested objects and arrays are kept as JSON text.
        if let data = try? JSONSerialization.data(withJSONObject: v) { return .string(String(decoding: data, as: UTF8.self)) }
        return .null
    }
}
