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
            // Features are located first, then parsed on all cores.
            var ranges: [Range<Int>]
            var lineMode = false
            if let doc = try? FastJSONParser.featureCollectionRanges(bytes) {
                let type = doc.members.first { $0.0 == "type" }?.1.string
                switch type {
                case "FeatureCollection":
                    guard let features = doc.features else { throw ImportError("\(path): FeatureCollection has no \"features\" array") }
                    ranges = features
                case "Feature": ranges = [0..<bytes.count]
                default: throw ImportError("\(path): not a GeoJSON FeatureCollection or Feature (type \(type ?? "missing"))")
                }
            } else {
                lineMode = true
                ranges = []
                var lineStart = 0
                let n = bytes.count
                for k in 0...n where k == n || bytes[k] == 0x0A {
                    defer { lineStart = k + 1 }
                    var a = lineStart, z = k
                    while a < z, [0x20, 0x0D, 0x09, 0x1E].contains(bytes[a]) { a += 1 }  // RFC 8142 record separator too
                    while z > a, [0x20, 0x0D, 0x09].contains(bytes[z - 1]) { z -= 1 }
                    if a < z { ranges.append(a..<z) }
                }
                if ranges.isEmpty { throw ImportError("\(path): no features") }
            }
            StageTimer.mark("locate features")
            nonisolated(unsafe) let shared = bytes
            let parsed = Parallel.map(ranges.count) { k in Self.feature(FastJSONParser.feature(shared, range: ranges[k]), row: k + 1) }
            if lineMode, let first = parsed.first, case .string(let e)? = first.properties["__error"], e.hasPrefix("malformed JSON") {
                throw ImportError("\(path): not GeoJSON (malformed JSON)")
            }
            return parsed
        }
    }

    static func feature(_ f: ParsedFeature, row: Int) -> SourceFeature {
        var props: [String: FieldValue] = [:]
        props.reserveCapacity(f.properties.count + 1)
        for (k, v) in f.properties { props[k] = value(v) }
        if let e = f.error { props["__error"] = .string(e) }
        return SourceFeature(row: row, properties: props, geometry: f.error == nil ? f.geometry : nil, featureID: f.id.map(value))
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
