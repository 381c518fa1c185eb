import OneMapGeo
import OneMapStore

/// One row of `COPY ... FROM STDIN (FORMAT binary)`: a field count, then each field as its length
/// and its bytes in the column type's binary form (NULL: length -1). Geometries go as EWKB bytes,
/// numbers as 8-byte big-endian values: nothing is formatted as text and parsed back, which is
/// most of a text COPY's cost on both sides. The values' kinds must be the columns' types
/// (`.int`: bigint, `.double`: double precision, `.text`: text, `.blob`: bytea), as
/// `LayerSchema.sqlValue` gives them for a layer's fields.
struct PGBinaryCopyRow {
    private(set) var bytes: [UInt8] = []

    /// What a binary COPY starts with: signature, flags, header extension length.
    static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    /// What it ends with: a field count of -1.
    static let trailer: [UInt8] = [0xFF, 0xFF]

    init() { bytes.reserveCapacity(1024) }

    /// Starts a row of `fields` fields (the previous row's bytes are dropped).
    mutating func begin(fields: Int) {
        bytes.removeAll(keepingCapacity: true)
        append(UInt16(fields))
    }

    mutating func null() { append(UInt32(bitPattern: -1)) }

    mutating func int(_ v: Int64) { append(UInt32(8)); append(UInt64(bitPattern: v)) }

    mutating func double(_ v: Double) { append(UInt32(8)); append(v.bitPattern) }

    mutating func text(_ s: String) {
        var s = s
        s.withUTF8 { p in
            append(UInt32(p.count))
            bytes.append(contentsOf: p)
        }
    }

    mutating func value(_ v: SQLValue) {
        switch v {
        case .null: null()
        case .int(let n): int(n)
        case .double(let d): double(d)
        case .text(let t): text(t)
        case .blob(let b): append(UInt32(b.count)); bytes.append(contentsOf: b)
        }
    }

    /// A geometry in EPSG:4490, as EWKB (PostGIS's binary input reads the SRID from it).
    mutating func geometry(_ g: Geometry) {
        let e = PGCopyRow.ewkb(g)
        append(UInt32(e.count))
        bytes.append(contentsOf: e)
    }

    private mutating func append(_ v: UInt16) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    private mutating func append(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    private mutating func append(_ v: UInt64) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
}
