/// A small protobuf reader for checking encoded layers inside the Swift tests (the independent
/// decoders, GDAL and mapbox-vector-tile, run in the end-to-end suite).
enum MiniMVTDecoder {
    enum Value: Equatable { case string(String), double(Double), uint(UInt64), sint(Int64), bool(Bool), other }

    struct Layer {
        var name = "", version = 0, extent = 0
        var keys: [String] = [], values: [Value] = []
        var featureIDs: [UInt64] = [], tags: [[UInt64]] = [], geometries: [[UInt32]] = []
    }

    struct Reader {
        let b: [UInt8]
        var i = 0
        var done: Bool { i >= b.count }
        mutating func varint() throws -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < b.count else { throw DecodeError() }
                let x = b[i]; i += 1
                v |= UInt64(x & 0x7F) << shift
                if x < 0x80 { return v }
                shift += 7
            }
        }
        mutating func bytes() throws -> [UInt8] {
            let n = Int(try varint())
            guard i + n <= b.count else { throw DecodeError() }
            defer { i += n }
            return Array(b[i..<i + n])
        }
        mutating func fixed64() throws -> UInt64 {
            guard i + 8 <= b.count else { throw DecodeError() }
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(b[i + k]) << (8 * UInt64(k)) }
            i += 8
            return v
        }
        mutating func packed() throws -> [UInt64] {
            var r = Reader(b: try bytes())
            var out: [UInt64] = []
            while !r.done { out.append(try r.varint()) }
            return out
        }
    }

    struct DecodeError: Error {}

    static func decodeLayer(_ bytes: [UInt8]) throws -> Layer {
        var r = Reader(b: bytes), l = Layer()
        while !r.done {
            let key = try r.varint()
            switch (key >> 3, key & 7) {
            case (15, 0): l.version = Int(try r.varint())
            case (1, 2): l.name = String(decoding: try r.bytes(), as: UTF8.self)
            case (5, 0): l.extent = Int(try r.varint())
            case (3, 2): l.keys.append(String(decoding: try r.bytes(), as: UTF8.self))
            case (4, 2):
                var v = Reader(b: try r.bytes())
                let k = try v.varint()
                switch (k >> 3, k & 7) {
                case (1, 2): l.values.append(.string(String(decoding: try v.bytes(), as: UTF8.self)))
                case (3, 1): l.values.append(.double(Double(bitPattern: try v.fixed64())))
                case (5, 0): l.values.append(.uint(try v.varint()))
                case (6, 0): let z = try v.varint(); l.values.append(.sint(Int64(z >> 1) ^ -Int64(z & 1)))
                case (7, 0): l.values.append(.bool(try v.varint() != 0))
                default: l.values.append(.other)
                }
            case (2, 2):
                var f = Reader(b: try r.bytes())
                var tags: [UInt64] = [], geom: [UInt32] = []
                while !f.done {
                    let fk = try f.varint()
                    switch (fk >> 3, fk & 7) {
                    case (1, 0): l.featureIDs.append(try f.varint())
                    case (2, 2): tags = try f.packed()
                    case (3, 0): _ = try f.varint()
                    case (4, 2): geom = try f.packed().map { UInt32($0) }
                    default: throw DecodeError()
                    }
                }
                l.tags.append(tags); l.geometries.append(geom)
            default: throw DecodeError()
            }
        }
        return l
    }
}
