import Foundation
import OneMapGeo
import OneMapStore

/// GeoJSON FeatureCollection (RFC 7946, or with a legacy `crs` member) or newline-delimited GeoJSON,
/// read a window at a time: a file of any size passes through memory a chunk of features at a time.
struct GeoJSONFileReader: FeatureFileReader {
    let path: String
    private(set) var declaredEPSG: Int?
    /// Bytes read at a time; the window grows beyond this only for a larger feature.
    let blockSize: Int

    init(path: String, blockSize: Int = 64 << 20) throws {
        self.path = path
        self.blockSize = blockSize
        let window = try FileWindow(path: path, blockSize: 4096)
        // The legacy (2008) `crs` member, as QGIS and GDAL still write: {"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4548"}}.
        let head = String(decoding: window.buffer, as: UTF8.self)
        if let r = head.range(of: #""name"\s*:\s*"(urn:ogc:def:crs:[^"]+|EPSG:\d+)""#, options: .regularExpression) {
            let name = head[r].split(separator: "\"").dropFirst(2).first.map(String.init) ?? ""
            declaredEPSG = CRS.parse(name)?.epsg ?? Self.epsgNumber(name)
        }
    }

    private static func epsgNumber(_ s: String) -> Int? {
        s.split(whereSeparator: { !$0.isNumber }).last.flatMap { Int($0) }
    }

    func features() throws -> [SourceFeature] {
        var all: [SourceFeature] = []
        try forEachChunk(size: .max) { all += $0 }
        return all
    }

    /// A whole document (FeatureCollection or Feature) first; else one Feature per line. Features
    /// are located in the window, then each chunk is parsed on all cores.
    func forEachChunk(size: Int, _ body: ([SourceFeature]) throws -> Void) throws {
        let window = try FileWindow(path: path, blockSize: blockSize)
        try window.skipByteOrderMark()
        var scanner = FeatureCollectionScanner()
        var position = 0
        var ranges: [Range<Int>] = []
        var rows = 0
        func emit() throws {
            guard !ranges.isEmpty else { return }
            if let type = scanner.members.first(where: { $0.0 == "type" })?.1.string, type != "FeatureCollection" {
                throw ImportError("\(path): not a GeoJSON FeatureCollection (type \(type)) but it has a \"features\" array")
            }
            let chunk = parse(window, ranges, firstRow: rows + 1)
            rows += ranges.count
            ranges.removeAll(keepingCapacity: true)
            try body(chunk)
        }
        while true {
            let step: (position: Int, status: FeatureCollectionScanner.Status)
            do {
                step = try window.buffer.withUnsafeBytes { b in
                    try scanner.scan(b, origin: window.origin, from: position, atEnd: window.atEnd, limit: size, ranges: &ranges)
                }
            } catch {
                // Not a document: newline-delimited GeoJSON, or a file that is not GeoJSON at all.
                if !scanner.sawFeatures { return try forEachLine(size: size, body) }
                throw ImportError("\(path): \(error)")
            }
            position = step.position
            switch step.status {
            case .limitReached:
                try emit()
            case .needInput:
                // The located features stay in the window until their chunk is full.
                let keep = ranges.first?.lowerBound ?? position
                try window.advance(droppingBefore: keep)
                ranges = ranges.map { ($0.lowerBound - keep)..<($0.upperBound - keep) }
                position -= keep
            case .finished:
                try emit()
                let type = scanner.members.first { $0.0 == "type" }?.1.string
                guard type == "FeatureCollection" else {
                    throw ImportError("\(path): not a GeoJSON FeatureCollection or Feature (type \(type ?? "missing"))")
                }
                return
            case .rootClosedWithoutFeatures:
                // More values after the first: one Feature per line.
                if try window.hasMoreValues(after: position) { return try forEachLine(size: size, body) }
                switch scanner.members.first(where: { $0.0 == "type" })?.1.string {
                case "FeatureCollection": throw ImportError("\(path): FeatureCollection has no \"features\" array")
                case "Feature":
                    // A single Feature: the whole document, read again as one.
                    let single = try FileWindow.whole(path)
                    let feature = single.withUnsafeBytes { Self.feature(FastJSONParser.feature($0, range: 0..<$0.count), row: 1) }
                    return try body([feature])
                case let type: throw ImportError("\(path): not a GeoJSON FeatureCollection or Feature (type \(type ?? "missing"))")
                }
            }
        }
    }

    /// Newline-delimited GeoJSON (RFC 8142's record separator allowed): row k is the k-th non-empty line.
    private func forEachLine(size: Int, _ body: ([SourceFeature]) throws -> Void) throws {
        let window = try FileWindow(path: path, blockSize: blockSize)
        try window.skipByteOrderMark()
        var ranges: [Range<Int>] = []
        var rows = 0
        var lineStart = 0
        func emit() throws {
            guard !ranges.isEmpty else { return }
            let chunk = parse(window, ranges, firstRow: rows + 1)
            if rows == 0, case .string(let e)? = chunk[0].properties["__error"], e.hasPrefix("malformed JSON") {
                throw ImportError("\(path): not GeoJSON (malformed JSON)")
            }
            rows += ranges.count
            ranges.removeAll(keepingCapacity: true)
            try body(chunk)
        }
        while true {
            let (next, complete) = window.buffer.withUnsafeBytes { b -> (Int, Bool) in
                var k = lineStart
                while ranges.count < size {
                    var end = b.count
                    if let base = b.baseAddress, k < b.count, let nl = memchr(base + k, 0x0A, b.count - k) {
                        end = base.distance(to: UnsafeRawPointer(nl))
                    } else if !window.atEnd || k >= b.count {
                        return (k, false)  // the rest of the line is not read yet
                    }
                    var a = k, z = end
                    while a < z, [0x20, 0x0D, 0x09, 0x1E].contains(b[a]) { a += 1 }
                    while z > a, [0x20, 0x0D, 0x09].contains(b[z - 1]) { z -= 1 }
                    if a < z { ranges.append(a..<z) }
                    k = end + 1
                }
                return (k, true)
            }
            lineStart = next
            if complete { try emit(); continue }
            if window.atEnd {
                try emit()
                if rows == 0 { throw ImportError("\(path): no features") }
                return
            }
            // The located lines stay in the window until their chunk is full.
            let keep = ranges.first?.lowerBound ?? lineStart
            try window.advance(droppingBefore: keep)
            ranges = ranges.map { ($0.lowerBound - keep)..<($0.upperBound - keep) }
            lineStart -= keep
        }
    }

    /// Parses located features on all cores.
    private func parse(_ window: FileWindow, _ ranges: [Range<Int>], firstRow: Int) -> [SourceFeature] {
        window.buffer.withUnsafeBytes { b in
            nonisolated(unsafe) let shared = b
            return Parallel.map(ranges.count) { k in Self.feature(FastJSONParser.feature(shared, range: ranges[k]), row: firstRow + k) }
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
