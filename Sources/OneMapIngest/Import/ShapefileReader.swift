import Foundation
import OneMapGeo
import OneMapStore

/// ESRI Shapefile: geometry from .shp, attributes from .dbf (text in the .cpg's encoding, else the
/// dBASE language driver, else `--encoding`, else UTF-8), CRS from the .prj.
struct ShapefileReader: FeatureFileReader {
    let path: String
    private(set) var declaredEPSG: Int?
    private let shp: Data
    private let dbf: Data
    private let encoding: String?

    init(path: String, encoding: String?) throws {
        self.path = path
        let base = (path as NSString).deletingPathExtension
        func sidecar(_ ext: String) -> Data? {
            FileManager.default.contents(atPath: base + "." + ext) ?? FileManager.default.contents(atPath: base + "." + ext.uppercased())
        }
        guard let s = sidecar("shp") else { throw ImportError("cannot read \(path)") }
        guard let d = sidecar("dbf") else { throw ImportError("\(base).dbf is missing: a shapefile needs its .dbf (attributes)") }
        shp = s; dbf = d
        if let prj = sidecar("prj") {
            let wkt = String(decoding: prj, as: UTF8.self)
            guard let epsg = PrjCRS.epsg(fromWKT: wkt) else {
                throw ImportError("\(base).prj declares a CRS OneMap does not recognise; pass --srs (e.g. EPSG:4548). It reads: \(wkt.prefix(160))")
            }
            declaredEPSG = epsg
        }
        // .cpg names the DBF's code page; the caller's --encoding overrides it.
        var enc = encoding
        if enc == nil, let cpg = sidecar("cpg") {
            enc = String(decoding: cpg, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if enc == nil, d.count > 29 {
            switch d[29] {  // dBASE language driver id
            case 0x4D, 0x7A: enc = "GBK"  // 936: Simplified Chinese
            case 0x78: enc = "BIG5"
            default: break
            }
        }
        self.encoding = enc
    }

    func features() throws -> [SourceFeature] {
        let geometries = try readShapes()
        let records = try readDBF()
        guard geometries.count == records.count else {
            throw ImportError("\(path): .shp has \(geometries.count) shapes but .dbf has \(records.count) records")
        }
        return zip(geometries, records).enumerated().map { n, pair in
            SourceFeature(row: n + 1, properties: pair.1, geometry: pair.0)
        }
    }

    // MARK: .shp

    private func readShapes() throws -> [Geometry?] {
        guard shp.count >= 100, shp.readBE32(0) == 9994 else { throw ImportError("\(path) is not a shapefile (bad file code)") }
        var out: [Geometry?] = []
        var pos = 100
        while pos + 8 <= shp.count {
            let length = Int(shp.readBE32(pos + 4)) * 2
            let start = pos + 8
            guard length >= 4, start + length <= shp.count else { throw ImportError("\(path): record \(out.count + 1) is truncated") }
            out.append(try shape(at: start, length: length))
            pos = start + length
        }
        return out
    }

    private func shape(at p: Int, length: Int) throws -> Geometry? {
        let type = Int(shp.readLE32(p))
        switch type {
        case 0: return nil  // null shape
        case 1, 11, 21: return .point(Position(shp.readDouble(p + 4), shp.readDouble(p + 12)))
        case 8, 18, 28:
            let n = Int(shp.readLE32(p + 36))
            return .multiPoint((0..<n).map { Position(shp.readDouble(p + 40 + 16 * $0), shp.readDouble(p + 48 + 16 * $0)) })
        case 3, 13, 23, 5, 15, 25:
            let parts = Int(shp.readLE32(p + 36)), points = Int(shp.readLE32(p + 40))
            guard 44 + 4 * parts + 16 * points <= length else { throw ImportError("\(path): a shape's point count exceeds its record") }
            let starts = (0..<parts).map { Int(shp.readLE32(p + 44 + 4 * $0)) } + [points]
            let base = p + 44 + 4 * parts
            let rings: [[Position]] = (0..<parts).map { i in
                (starts[i]..<starts[i + 1]).map { k in Position(shp.readDouble(base + 16 * k), shp.readDouble(base + 16 * k + 8)) }
            }
            if type % 10 == 3 { return rings.count == 1 ? .lineString(rings[0]) : .multiLineString(rings) }
            return Self.assemblePolygons(rings)
        default:
            throw ImportError("\(path): shape type \(type) is not supported (points, lines and polygons are)")
        }
    }

    /// Shapefile polygons are a flat list of rings: outer rings clockwise, holes counter-clockwise
    /// (y up). Each hole goes to the outer ring that contains it.
    static func assemblePolygons(_ rings: [[Position]]) -> Geometry {
        var polygons: [[[Position]]] = []
        var holes: [[Position]] = []
        for r in rings where r.count >= 4 {
            if Planar.signedArea(r) <= 0 { polygons.append([r]) } else { holes.append(r) }
        }
        if polygons.isEmpty {  // wound the other way round: treat the rings as outers
            return holes.count == 1 ? .polygon([holes[0]]) : .multiPolygon(holes.map { [$0] })
        }
        for h in holes {
            let i = polygons.firstIndex { Planar.ringContains($0[0], h[0]) } ?? 0
            polygons[i].append(h)
        }
        return polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(polygons)
    }

    // MARK: .dbf

    private func readDBF() throws -> [[String: FieldValue]] {
        guard dbf.count >= 32 else { throw ImportError("\(path): .dbf is truncated") }
        let count = Int(dbf.readLE32(4))
        let headerLength = Int(dbf.readLE16(8)), recordLength = Int(dbf.readLE16(10))
        struct Field { let name: String; let type: UInt8; let offset: Int; let length: Int; let decimals: Int }
        var fields: [Field] = []
        var p = 32, offset = 1
        while p + 32 <= headerLength, dbf[p] != 0x0D {
            let nameBytes = dbf[p..<p + 11].prefix { $0 != 0 }
            let name = (try? TextDecoding.decode(Data(nameBytes), encoding: encoding, what: "a .dbf field name"))
                ?? String(decoding: nameBytes, as: UTF8.self)
            let length = Int(dbf[p + 16])
            fields.append(Field(name: name.trimmingCharacters(in: .whitespaces), type: dbf[p + 11], offset: offset, length: length,
                                decimals: Int(dbf[p + 17])))
            offset += length
            p += 32
        }
        var out: [[String: FieldValue]] = []
        out.reserveCapacity(count)
        for r in 0..<count {
            let start = headerLength + r * recordLength
            guard start + recordLength <= dbf.count else { throw ImportError("\(path): .dbf record \(r + 1) is truncated") }
            var props: [String: FieldValue] = [:]
            if dbf[start] == 0x2A { props["__error"] = .string("deleted record in the .dbf") }
            for f in fields {
                let raw = Data(dbf[(start + f.offset)..<(start + f.offset + f.length)])
                let text = try TextDecoding.decode(raw, encoding: encoding, what: "field \(f.name) of .dbf record \(r + 1)")
                    .trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\0")))
                switch f.type {
                case UInt8(ascii: "N"), UInt8(ascii: "F"):
                    if text.isEmpty || text.allSatisfy({ $0 == "*" }) { props[f.name] = .null }
                    else if f.decimals == 0, let n = Int64(text) { props[f.name] = .int(n) }
                    else if let d = Double(text) { props[f.name] = .double(d) }
                    else { props[f.name] = .string(text) }
                case UInt8(ascii: "D"):
                    // YYYYMMDD -> YYYY-MM-DD
                    props[f.name] = text.count == 8 ? .string("\(text.prefix(4))-\(text.dropFirst(4).prefix(2))-\(text.suffix(2))")
                        : text.isEmpty ? .null : .string(text)
                case UInt8(ascii: "L"):
                    props[f.name] = "YyTt".contains(text) && !text.isEmpty ? .bool(true) : "NnFf".contains(text) && !text.isEmpty ? .bool(false) : .null
                default:
                    props[f.name] = text.isEmpty ? .null : .string(text)
                }
            }
            out.append(props)
        }
        return out
    }
}

/// Recognises the CRS of a .prj (ESRI WKT1) by its names, then by its parameters.
enum PrjCRS {
    static func epsg(fromWKT wkt: String) -> Int? {
        let w = wkt.uppercased().replacingOccurrences(of: " ", with: "_")
        // OGC WKT ends with the CRS's own AUTHORITY (ESRI's .prj has none); units carry others, so
        // only a code of a supported CRS counts.
        if let last = w.matches(#"AUTHORITY\["EPSG",\"?(\d+)"#).last.flatMap(Int.init), CRS.epsg(last) != nil { return last }
        if w.hasPrefix("GEOGCS") {
            if w.contains("CHINA_GEODETIC_COORDINATE_SYSTEM_2000") || w.contains("CGCS2000") || w.contains("CGCS_2000") { return 4490 }
            if w.contains("WGS_1984") || w.contains("WGS_84") || w.contains("WGS84") { return 4326 }
            return nil
        }
        guard w.hasPrefix("PROJCS") else { return nil }
        if w.contains("WEB_MERCATOR") || w.contains("PSEUDO_MERCATOR") || w.contains("PSEUDO-MERCATOR") { return 3857 }
        let cgcs = w.contains("CGCS2000") || w.contains("CHINA_GEODETIC_COORDINATE_SYSTEM_2000") || w.contains("CGCS_2000")
        guard cgcs else { return nil }
        let cm = w.parameter("CENTRAL_MERIDIAN"), fe = w.parameter("FALSE_EASTING")
        switch (cm, fe) {
        case (117?, 500_000?): return 4548
        case (120?, 500_000?): return 4549
        case (117?, 39_500_000?): return 4527
        default: return nil
        }
    }
}

private extension String {
    func matches(_ pattern: String) -> [String] {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return [] }
        let ns = self as NSString
        return re.matches(in: self, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }

    /// PARAMETER["NAME",value] as a number.
    func parameter(_ name: String) -> Double? {
        matches(#"PARAMETER\[\""# + name + #"\",(-?[0-9.]+)\]"#).first.flatMap(Double.init)
    }
}

extension Data {
    func readBE32(_ o: Int) -> UInt32 { UInt32(self[startIndex + o]) << 24 | UInt32(self[startIndex + o + 1]) << 16 | UInt32(self[startIndex + o + 2]) << 8 | UInt32(self[startIndex + o + 3]) }
    func readLE32(_ o: Int) -> UInt32 { UInt32(self[startIndex + o]) | UInt32(self[startIndex + o + 1]) << 8 | UInt32(self[startIndex + o + 2]) << 16 | UInt32(self[startIndex + o + 3]) << 24 }
    func readLE16(_ o: Int) -> UInt16 { UInt16(self[startIndex + o]) | UInt16(self[startIndex + o + 1]) << 8 }
    func readDouble(_ o: Int) -> Double {
        var bits: UInt64 = 0
        for k in 0..<8 { bits |= UInt64(self[startIndex + o + k]) << (8 * UInt64(k)) }
        return Double(bitPattern: bits)
    }
}
