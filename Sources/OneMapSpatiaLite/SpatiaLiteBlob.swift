import OneMapStore
import OneMapGeo

/// SpatiaLite's own geometry BLOB (the column format, not WKB), written directly so bulk imports
/// skip the per-row `GeomFromWKB` call: START 0x00, endian 0x01 (little), SRID, MBR, 0x7C, class,
/// body (WKB-like without per-geometry byte-order marks; collection members prefixed 0x69), END 0xFE.
enum SpatiaLiteBlob {
    static func encode(_ g: Geometry, srid: Int32 = 4490) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(44 + 16 * g.positionCount + 8)
        out.append(0x00)
        out.append(0x01)
        append(UInt32(bitPattern: srid), to: &out)
        let box = g.bbox ?? BBox(minX: 0, minY: 0, maxX: 0, maxY: 0)
        for v in [box.minX, box.minY, box.maxX, box.maxY] { append(v.bitPattern, to: &out) }
        out.append(0x7C)
        body(g, into: &out)
        out.append(0xFE)
        return out
    }

    private static func classCode(_ g: Geometry) -> UInt32 {
        switch g {
        case .point: 1
        case .lineString: 2
        case .polygon: 3
        case .multiPoint: 4
        case .multiLineString: 5
        case .multiPolygon: 6
        case .geometryCollection: 7
        }
    }

    private static func body(_ g: Geometry, into out: inout [UInt8]) {
        append(classCode(g), to: &out)
        func points(_ ps: [Position]) {
            append(UInt32(ps.count), to: &out)
            for p in ps { append(p.x.bitPattern, to: &out); append(p.y.bitPattern, to: &out) }
        }
        func polygon(_ rings: Polygon) {
            append(UInt32(rings.count), to: &out)
            for r in rings { points(r) }
        }
        func entity(_ member: Geometry) { out.append(0x69); body(member, into: &out) }
        switch g {
        case .point(let p): append(p.x.bitPattern, to: &out); append(p.y.bitPattern, to: &out)
        case .lineString(let l): points(l)
        case .polygon(let p): polygon(p)
        case .multiPoint(let ps): append(UInt32(ps.count), to: &out); for p in ps { entity(.point(p)) }
        case .multiLineString(let ls): append(UInt32(ls.count), to: &out); for l in ls { entity(.lineString(l)) }
        case .multiPolygon(let ps): append(UInt32(ps.count), to: &out); for p in ps { entity(.polygon(p)) }
        case .geometryCollection(let gs): append(UInt32(gs.count), to: &out); for m in gs { entity(m) }
        }
    }

    @inline(__always)
    private static func append(_ v: UInt32, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    @inline(__always)
    private static func append(_ v: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }
}
