import OneMapGeo

/// A query for the features of one spatial layer: optional box (EPSG:4490 lon/lat), valid time,
/// property equalities, and a page (`limit` features after skipping `offset`, in id order).
public struct FeatureQuery: Sendable {
    public var layer: String
    public var bbox: BBox?
    /// Features whose geometry meets the box, tested exactly (OGC API Features' bbox), not only
    /// their bounding box (enough for tiles, which clip anyway).
    public var exactBox = false
    public var time: TimeFilter
    /// Features whose field equals the value (all must hold). Values are typed as the field is.
    public var equals: [PropertyEquals]
    /// A CQL2 filter, ANDed with the rest.
    public var filter: FilterExpression?
    /// Sort keys (property, ascending), then the id; empty: the id alone.
    public var sortBy: [(field: String, ascending: Bool)] = []
    public var limit: Int?
    public var offset: Int
    /// A whole-layer read paced by its consumer (a streamed export): it runs on a connection of
    /// its own, so it never takes one from tiles and pages, and without the per-request time limit.
    public var streamed = false

    public init(layer: String, bbox: BBox? = nil, time: TimeFilter, equals: [PropertyEquals] = [], filter: FilterExpression? = nil,
                limit: Int? = nil, offset: Int = 0) {
        self.layer = layer; self.bbox = bbox; self.time = time; self.equals = equals; self.filter = filter; self.limit = limit; self.offset = offset
    }
}

/// `field = value`, the value already converted to the field's type.
public struct PropertyEquals: Sendable, Hashable {
    public let field: String
    public let value: FieldValue

    public init(field: String, value: FieldValue) { self.field = field; self.value = value }

    /// The typed value of `text` for `field`, or a message saying why it is not one.
    public static func parse(field: FieldInfo, text: String) throws -> PropertyEquals {
        func bad() -> StoreError { StoreError("'\(text)' is not \(field.type.article) (property '\(field.name)')") }
        switch field.type {
        case .string: return PropertyEquals(field: field.name, value: .string(text))
        case .date:
            guard ISODate.isValid(text) else { throw bad() }
            return PropertyEquals(field: field.name, value: .string(text))
        case .integer:
            guard let n = Int64(text) else { throw bad() }
            return PropertyEquals(field: field.name, value: .int(n))
        case .number:
            guard let d = Double(text), d.isFinite else { throw bad() }
            return PropertyEquals(field: field.name, value: .double(d))
        case .boolean:
            switch text.lowercased() {
            case "true", "1": return PropertyEquals(field: field.name, value: .bool(true))
            case "false", "0": return PropertyEquals(field: field.name, value: .bool(false))
            default: throw bad()
            }
        }
    }
}
