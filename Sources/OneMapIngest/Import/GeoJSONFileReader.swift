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
        try data.withUnsafeBytes { raw -> [SourceFeature] in
            var bytes = raw
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = UnsafeRawBufferPointer(rebasing: bytes[3...]) }
            // A whole document (FeatureCollection or Feature) first; else one Feature per line.
            if let doc = try? FastJSONParser.parse(bytes) {
                switch doc["type"]?.string {
                case "FeatureCollection":
                    guard let feats = doc["features"]?.array else { throw ImportError("\(path): FeatureCollection has no \"features\" array") }
                    return feats.enumerated().map { Self.feature($0.element, row: $0.offset + 1) }
                case "Feature": return [Self.feature(doc, row: 1)]
                default: throw ImportError("\(path): not a GeoJSON FeatureCollection or Feature (type \(doc["type"]?.string ?? "missing"))")
                }
            }
            var out: [SourceFeature] = []
            var row = 0, lineStart = 0
            let n = bytes.count
            for k in 0...n where k == n || bytes[k] == 0x0A {
                defer { lineStart = k + 1 }
                let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<k])
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x1E || $0 == 0x09 }) { continue }
                row += 1
                let body = line.first == 0x1E ? UnsafeRawBufferPointer(rebasing: line[1...]) : line  // RFC 8142 record separator
                guard let obj = try? FastJSONParser.parse(body) else {
                    if row == 1 { throw ImportError("\(path): not GeoJSON (malformed JSON)") }
                    out.append(SourceFeature(row: row, properties: ["__error": .string("line is not valid JSON")], geometry: nil))
                    continue
                }
                out.append(Self.feature(obj, row: row))
            }
            if out.isEmpty { throw ImportError("\(path): no features") }
            return out
        }
    }

    static func feature(_ f: JSONNode, row: Int) -> SourceFeature {
        guard f["type"]?.string == "Feature" else {
            return SourceFeature(row: row, properties: ["__error": .string("not a GeoJSON Feature")], geometry: nil)
        }
        var props: [String: FieldValue] = [:]
        if case .object(let members)? = f["properties"] { for (k, v) in members { props[k] = value(v) } }
        if let id = f["id"], props["id"] == nil { props["id"] = value(id) }
        guard let g = f["geometry"], case .object = g else { return SourceFeature(row: row, properties: props, geometry: nil) }
        do {
            return SourceFeature(row: row, properties: props, geometry: try GeoJSON.geometry(from: g))
        } catch {
            props["__error"] = .string("geometry: \(error)")
            return SourceFeature(row: row, properties: props, geometry: nil)
        }
    }

    static func value(_ v: JSONNode) -> FieldValue {
        switch v {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let d, let isInteger): return isInteger && abs(d) < 9e15 ? .int(Int64(d)) : .double(d)
        case .string(let s): return .string(s)
        case .object, .array: return .string(json(v))  // nested values are kept as JSON text
        }
    }

    static func json(_ v: JSONNode) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d, let isInteger): return isInteger ? String(Int64(d)) : "\(d)"
        case .string(let s): return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .array(let a): return "[" + a.map(json).joined(separator: ",") + "]"
        case .object(let m): return "{" + m.map { json(.string($0.0)) + ":" + json($0.1) }.joined(separator: ",") + "}"
        }
    }
}
