import OneMapStore

/// Geometry of one feature in tile coordinates (integers, y down), already clipped, quantised and wound.
public enum TileGeometry: Equatable, Sendable {
    case points([TilePoint])
    case lines([[TilePoint]])
    /// Rings without the closing point; exterior rings have positive area in tile coordinates
    /// (clockwise on screen), holes negative, each exterior followed by its holes.
    case polygons([[TilePoint]])
}

public struct TilePoint: Equatable, Hashable, Sendable {
    public var x: Int32, y: Int32
    public init(_ x: Int32, _ y: Int32) { self.x = x; self.y = y }
}

/// Encodes one layer of a Mapbox Vector Tile 2.1: features, deduplicated keys and values.
public struct MVTLayerEncoder {
    public let name: String
    public let extent: UInt32
    private var features = ProtobufWriter(capacity: 1 << 14)
    private var keys: [String] = []
    private var keyIndex: [String: UInt32] = [:]
    private var values: [FieldValue] = []
    /// Values are shared per key (the same value under two keys is two entries), so tiles made
    /// from the store and from a snapshot (values by code) come out byte for byte the same.
    private var valueIndex: [[FieldValue: UInt32]] = []
    private var codeIndex: [UInt64: UInt32] = [:]
    public private(set) var featureCount = 0

    public init(name: String, extent: UInt32 = 4096) { self.name = name; self.extent = extent }

    private mutating func key(_ k: String) -> UInt32 {
        if let i = keyIndex[k] { return i }
        let i = UInt32(keys.count)
        keys.append(k); keyIndex[k] = i
        valueIndex.append([:])
        return i
    }

    /// The index of a value under a key.
    mutating func valueIndex(_ v: FieldValue, key: UInt32) -> UInt32 {
        if let i = valueIndex[Int(key)][v] { return i }
        let i = UInt32(values.count)
        values.append(v); valueIndex[Int(key)][v] = i
        return i
    }

    /// The index of a property name (for `add(id:geometry:tags:)`).
    public mutating func keyIndex(_ k: String) -> UInt32 { key(k) }

    /// The index of a value known by a code (same code, same value, within this layer of this
    /// tile): integer hashing instead of hashing the value itself. `make` runs once per code.
    mutating func valueIndex(code: UInt32, key: UInt32, _ make: () -> FieldValue) -> UInt32 {
        let slot = UInt64(key) << 32 | UInt64(code)
        if let i = codeIndex[slot] { return i }
        let i = UInt32(values.count)
        values.append(make()); codeIndex[slot] = i
        return i
    }

    /// Adds a feature whose tags (key index, value index pairs) are already made.
    mutating func add(id: UInt64?, geometry: TileGeometry, tags: [UInt32]) {
        let commands = MVTEncoder.commands(geometry)
        guard !commands.isEmpty else { return }
        var f = ProtobufWriter(capacity: commands.count * 2 + tags.count * 2 + 16)
        if let id { f.uint(1, id) }
        f.packed(2, tags)
        let type: UInt64 = switch geometry { case .points: 1; case .lines: 2; case .polygons: 3 }
        f.uint(3, type)
        f.packed(4, commands)
        features.bytes(2, f.bytes)
        featureCount += 1
    }

    /// Bytes of the features encoded so far (the layer's size, give or take its key/value tables).
    public var featureBytes: Int { features.bytes.count }

    /// Adds a feature; null attributes are left out (MVT has no null).
    public mutating func add(id: UInt64?, geometry: TileGeometry, properties: [(String, FieldValue)]) {
        var tags: [UInt32] = []
        tags.reserveCapacity(properties.count * 2)
        for (k, v) in properties where v != .null {
            let ki = key(k)
            tags.append(ki); tags.append(valueIndex(v, key: ki))
        }
        add(id: id, geometry: geometry, tags: tags)
    }

    /// The encoded `Layer` message (without the enclosing tile field).
    public func encoded() -> [UInt8] {
        var l = ProtobufWriter(capacity: features.bytes.count + 256)
        l.uint(15, 2)  // version
        l.string(1, name)
        l.bytes.append(contentsOf: features.bytes)
        for k in keys { l.string(3, k) }
        for v in values {
            var vw = ProtobufWriter()
            switch v {
            case .string(let s): vw.string(1, s)
            case .double(let d): vw.double(3, d)
            case .int(let n) where n >= 0: vw.uint(5, UInt64(n))
            case .int(let n): vw.uint(6, ProtobufWriter.zigzag64(n))
            case .bool(let b): vw.uint(7, b ? 1 : 0)
            case .null: vw.string(1, "")
            }
            l.bytes(4, vw.bytes)
        }
        l.uint(5, UInt64(extent))
        return l.bytes
    }
}

/// Assembles layers into a tile and writes geometry command streams.
public enum MVTEncoder {
    /// A tile from its non-empty layers (empty when there are none).
    public static func tile(_ layers: [MVTLayerEncoder]) -> [UInt8] {
        var t = ProtobufWriter()
        for l in layers where l.featureCount > 0 { t.bytes(3, l.encoded()) }
        return t.bytes
    }

    @inline(__always) static func command(_ id: UInt32, _ count: Int) -> UInt32 { (id & 0x7) | (UInt32(count) << 3) }

    /// The command integers of a geometry: MoveTo(1), LineTo(2), ClosePath(7), zigzag deltas.
    static func commands(_ g: TileGeometry) -> [UInt32] {
        var out: [UInt32] = []
        var cx: Int32 = 0, cy: Int32 = 0
        func moveTo(_ p: TilePoint) {
            out.append(ProtobufWriter.zigzag(p.x &- cx)); out.append(ProtobufWriter.zigzag(p.y &- cy))
            cx = p.x; cy = p.y
        }
        switch g {
        case .points(let ps):
            guard !ps.isEmpty else { return [] }
            out.append(command(1, ps.count))
            for p in ps { moveTo(p) }
        case .lines(let lines):
            for l in lines where l.count >= 2 {
                out.append(command(1, 1)); moveTo(l[0])
                out.append(command(2, l.count - 1))
                for p in l.dropFirst() { moveTo(p) }
            }
        case .polygons(let rings):
            for r in rings where r.count >= 3 {
                out.append(command(1, 1)); moveTo(r[0])
                out.append(command(2, r.count - 1))
                for p in r.dropFirst() { moveTo(p) }
                out.append(command(7, 1))
            }
        }
        return out
    }
}
