import OneMapGeo
import OneMapStore

/// One row of `COPY ... FROM STDIN` in PostgreSQL's text format: tab-separated, `\N` for NULL,
/// backslash escapes for tab, newline, carriage return and backslash; geometries as hex EWKB
/// (PostGIS reads it with its SRID).
struct PGCopyRow {
    private(set) var bytes: [UInt8] = []

    private mutating func separator() { if !bytes.isEmpty { bytes.append(0x09) } }

    mutating func null() { separator(); bytes.append(contentsOf: [0x5C, 0x4E]) }

    mutating func int(_ v: Int64) { separator(); bytes.append(contentsOf: String(v).utf8) }

    mutating func double(_ v: Double) { separator(); bytes.append(contentsOf: "\(v)".utf8) }

    mutating func text(_ s: String) {
        separator()
        for b in s.utf8 {
            switch b {
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
            case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
            default: bytes.append(b)
            }
        }
    }

    mutating func text(_ s: String?) { if let s { text(s) } else { null() } }

    mutating func value(_ v: SQLValue) {
        switch v {
        case .null: null()
        case .int(let n): int(n)
        case .double(let d): double(d)
        case .text(let t): text(t)
        case .blob(let b): separator(); bytes.append(contentsOf: [0x5C, 0x5C, 0x78]); Self.hex(b, into: &bytes)
        }
    }

    /// A geometry in EPSG:4490 (EWKB: the WKB with its SRID, as hex).
    mutating func geometry(_ g: Geometry) {
        separator()
        Self.hex(Self.ewkb(g), into: &bytes)
    }

    /// A geometry given as WKB (little-endian), stored with SRID 4490.
    mutating func geometry(wkb: [UInt8]) {
        separator()
        Self.hex(Self.ewkb(wkb: wkb), into: &bytes)
    }

    /// The row's bytes with its line end.
    mutating func line() -> [UInt8] {
        bytes.append(0x0A)
        defer { bytes.removeAll(keepingCapacity: true) }
        return bytes
    }

    /// WKB with the SRID flag and 4490 after the type (little-endian, as `WKB.encode` writes).
    static func ewkb(_ g: Geometry) -> [UInt8] { ewkb(wkb: WKB.encode(g)) }

    static func ewkb(wkb: [UInt8]) -> [UInt8] {
        var w = wkb
        precondition(w.first == 1, "WKB is read and written little-endian")
        w[4] |= 0x20
        w.insert(contentsOf: withUnsafeBytes(of: UInt32(4490).littleEndian, Array.init), at: 5)
        return w
    }

    private static let digits = Array("0123456789abcdef".utf8)

    static func hex(_ b: [UInt8], into out: inout [UInt8]) {
        out.reserveCapacity(out.count + 2 * b.count)
        for x in b { out.append(digits[Int(x >> 4)]); out.append(digits[Int(x & 15)]) }
    }
}
