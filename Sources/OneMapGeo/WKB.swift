import Foundation

/// Errors reading geometry encodings; each names what was wrong and where.
public enum GeometryCodingError: Error, CustomStringConvertible, Equatable {
    case truncated(offset: Int)
    case unknownGeometryType(UInt32)
    case invalid(String)

    public var description: String {
        switch self {
        case .truncated(let o): "WKB truncated at byte \(o)"
        case .unknownGeometryType(let t): "unknown WKB geometry type \(t)"
        case .invalid(let m): m
        }
    }
}

/// OGC Well-Known Binary (ISO and EWKB flavours on input; little-endian ISO 2D on output).
public enum WKB {
    /// Decodes WKB. Z and M values are read and dropped; an EWKB SRID is skipped.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Geometry {
        var r = Reader(buf: bytes)
        let g = try r.geometry()
        return g
    }

    public static func decode(_ data: [UInt8]) throws -> Geometry {
        try data.withUnsafeBytes { try decode($0) }
    }

    public static func decode(_ data: Data) throws -> Geometry {
        try data.withUnsafeBytes { try decode($0) }
    }

    /// Encodes as little-endian ISO WKB, 2D.
    public static func encode(_ g: Geometry) -> [UInt8] {
        var w = Writer()
        w.write(g)
        return w.out
    }

    struct Reader {
        let buf: UnsafeRawBufferPointer
        var pos = 0
        var little = true

        mutating func byte() throws -> UInt8 {
            guard pos < buf.count else { throw GeometryCodingError.truncated(offset: pos) }
            defer { pos += 1 }
            return buf[pos]
        }

        mutating func u32() throws -> UInt32 {
            guard pos + 4 <= buf.count else { throw GeometryCodingError.truncated(offset: pos) }
            let v = buf.loadUnaligned(fromByteOffset: pos, as: UInt32.self)
            pos += 4
            return little ? UInt32(littleEndian: v) : UInt32(bigEndian: v)
        }

        mutating func f64() throws -> Double {
            guard pos + 8 <= buf.count else { throw GeometryCodingError.truncated(offset: pos) }
            let v = buf.loadUnaligned(fromByteOffset: pos, as: UInt64.self)
            pos += 8
            return Double(bitPattern: little ? UInt64(littleEndian: v) : UInt64(bigEndian: v))
        }

        mutating func positions(dims: Int) throws -> [Position] {
            let n = Int(try u32())
            guard n <= (buf.count - pos) / (8 * dims) else { throw GeometryCodingError.truncated(offset: pos) }
            var out = [Position]()
            out.reserveCapacity(n)
            for _ in 0..<n {
                let x = try f64(), y = try f64()
                if dims > 2 { pos += 8 * (dims - 2) }
                out.append(Position(x, y))
            }
            return out
        }

        mutating func geometry() throws -> Geometry {
            let order = try byte()
            guard order <= 1 else { throw GeometryCodingError.invalid("bad WKB byte order \(order) at byte \(pos - 1)") }
            little = order == 1
            var type = try u32()
            var dims = 2
            // EWKB flags (PostGIS): Z 0x80000000, M 0x40000000, SRID 0x20000000.
            if type & 0x2000_0000 != 0 { _ = try u32() }
            if type & 0x8000_0000 != 0 { dims += 1 }
            if type & 0x4000_0000 != 0 { dims += 1 }
            type &= 0x0FFF_FFFF
            // ISO: 1000s are Z, 2000s M, 3000s ZM.
            switch type / 1000 {
            case 1, 2: dims += 1
            case 3: dims += 2
            default: break
            }
            type %= 1000
            switch type {
            case 1:
                let x = try f64(), y = try f64()
                if dims > 2 { pos += 8 * (dims - 2) }
                return .point(Position(x, y))
            case 2: return .lineString(try positions(dims: dims))
            case 3:
                let n = Int(try u32())
                var rings = [[Position]]()
                for _ in 0..<n { rings.append(try positions(dims: dims)) }
                return .polygon(rings)
            case 4, 5, 6, 7:
                let n = Int(try u32())
                var parts = [Geometry]()
                for _ in 0..<n {
                    let saved = little
                    parts.append(try geometry())
                    little = saved
                }
                switch type {
                case 4: return .multiPoint(try parts.map { guard case .point(let p) = $0 else { throw GeometryCodingError.invalid("MultiPoint holds a \($0.typeName)") }; return p })
                case 5: return .multiLineString(try parts.map { guard case .lineString(let l) = $0 else { throw GeometryCodingError.invalid("MultiLineString holds a \($0.typeName)") }; return l })
                case 6: return .multiPolygon(try parts.map { guard case .polygon(let p) = $0 else { throw GeometryCodingError.invalid("MultiPolygon holds a \($0.typeName)") }; return p })
                default: return .geometryCollection(parts)
                }
            default:
                throw GeometryCodingError.unknownGeometryType(type)
            }
        }
    }

    struct Writer {
        var out: [UInt8] = []

        mutating func u32(_ v: UInt32) {
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }

        mutating func f64(_ v: Double) {
            withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        }

        mutating func header(_ type: UInt32) { out.append(1); u32(type) }

        mutating func points(_ ps: [Position]) {
            u32(UInt32(ps.count))
            for p in ps { f64(p.x); f64(p.y) }
        }

        mutating func polygon(_ rings: Polygon) {
            header(3)
            u32(UInt32(rings.count))
            for r in rings { points(r) }
        }

        mutating func write(_ g: Geometry) {
            switch g {
            case .point(let p): header(1); f64(p.x); f64(p.y)
            case .lineString(let l): header(2); points(l)
            case .polygon(let p): polygon(p)
            case .multiPoint(let ps):
                header(4); u32(UInt32(ps.count))
                for p in ps { header(1); f64(p.x); f64(p.y) }
            case .multiLineString(let ls):
                header(5); u32(UInt32(ls.count))
                for l in ls { header(2); points(l) }
            case .multiPolygon(let ps):
                header(6); u32(UInt32(ps.count))
                for p in ps { polygon(p) }
            case .geometryCollection(let gs):
                header(7); u32(UInt32(gs.count))
                for g in gs { write(g) }
            }
        }
    }
}
