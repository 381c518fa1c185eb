import OneMapGeo
import OneMapStore

/// How one spatial layer is read from PostgreSQL: the expressions for its id, geometry and
/// catalog fields, its table, and its box and valid-time conditions (as `LayerSQL` does for
/// SpatiaLite, with the same parameter numbers, so both read every layer alike).
///
/// Parameters: $1..$4 box (min x, min y, max x, max y), $5 start day, $6 end day (NULL = open),
/// $7 day of the counts, $8 limit (NULL = none), $9 offset or feature id, $10... property values.
struct PGLayerSQL {
    let id: String
    /// A PostGIS geometry expression (EPSG:4490).
    let geometry: String
    /// One expression per catalog field, in catalog order.
    let columns: [String]
    let from: String
    /// Rows whose box meets $1..$4 (through the GiST index).
    let spatial: String
    /// Rows valid at some time in [$5, $6].
    let time: String
    /// Always required (e.g. a label point exists).
    var base: [String] = []

    enum Shape { case page, count, one }

    func sql(_ shape: Shape, bbox: Bool, exactBox: Bool = false, filters: [Int], extra: String? = nil, order: [(Int, Bool)] = []) -> String {
        var conditions = base
        if let extra { conditions.append(extra) }
        if bbox { conditions.append(spatial) }
        if bbox && exactBox { conditions.append("ST_Intersects(\(geometry), ST_MakeEnvelope($1, $2, $3, $4, 4490))") }
        if shape == .one { conditions.append("\(id) = $9") } else { conditions.append(time) }
        for (k, f) in filters.enumerated() { conditions.append("\(columns[f]) = $\(10 + k)") }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        switch shape {
        case .count:
            return "SELECT count(*) FROM \(from)\(whereClause)"
        case .page:
            // SQLite sorts NULL first ascending and last descending; PostgreSQL the other way round.
            let keys = order.map { "\(columns[$0.0]) \($0.1 ? "ASC NULLS FIRST" : "DESC NULLS LAST")" } + ["\(id)"]
            return "SELECT \(id), ST_AsBinary(\(geometry)), \(columns.joined(separator: ", ")) FROM \(from)\(whereClause) ORDER BY \(keys.joined(separator: ", ")) LIMIT $8::bigint OFFSET $9"
        case .one:
            return "SELECT \(id), ST_AsBinary(\(geometry)), \(columns.joined(separator: ", ")) FROM \(from)\(whereClause)"
        }
    }

    /// What a compiled filter needs of this layer.
    var filterColumns: FilterColumns {
        FilterColumns(columns: columns, geometry: geometry, spatial: spatial, alias: String(id.prefix { $0 != "." }))
    }

    private static func boxTest(_ geometry: String) -> String { "\(geometry) && ST_MakeEnvelope($1, $2, $3, $4, 4490)" }

    // Days are cast: a NULL parameter's type is not inferred from a later comparison.
    private static let validAreas = "(a.valid_from IS NULL OR $6::text IS NULL OR a.valid_from <= $6::text) AND (a.valid_to IS NULL OR $5::text IS NULL OR a.valid_to > $5::text)"

    private static func versions(_ alias: String) -> String {
        "($6::text IS NULL OR \(alias).valid_from <= $6::text) AND (\(alias).valid_to IS NULL OR $5::text IS NULL OR \(alias).valid_to > $5::text)"
    }

    static let adminAreas = PGLayerSQL(
        id: "a.id", geometry: "a.geom",
        columns: CoreLayerColumns.adminAreas,
        from: "admin_areas a", spatial: boxTest("a.geom"), time: validAreas)

    static let adminLabels = PGLayerSQL(
        id: "a.id", geometry: "ST_SetSRID(ST_MakePoint(a.label_x, a.label_y), 4490)",
        columns: CoreLayerColumns.adminLabels,
        from: "admin_areas a", spatial: "a.label_x BETWEEN $1 AND $3 AND a.label_y BETWEEN $2 AND $4", time: validAreas,
        base: ["a.label_x IS NOT NULL"])

    /// Buildings with the counts stored for today (`asOf` false) or counted on day $7.
    static func buildings(asOf: Bool) -> PGLayerSQL {
        let counts = asOf ? CoreLayerColumns.countsOn("$7") : CoreLayerColumns.storedCounts
        return PGLayerSQL(id: "b.id", geometry: "b.geom",
                          columns: CoreLayerColumns.buildings + counts,
                          from: "buildings b", spatial: boxTest("b.geom"), time: versions("b"))
    }

    /// A layer created by import (`PGUserLayerTable`).
    static func userLayer(_ t: PGUserLayerTable) -> PGLayerSQL {
        PGLayerSQL(id: "t.fid", geometry: "t.geom", columns: ["t.entity_key"] + t.attributeColumns.map { "t.\($0)" },
                   from: "\(t.table) t", spatial: boxTest("t.geom"), time: versions("t"))
    }
}

extension SQLDialect {
    /// PostgreSQL/PostGIS: `$n` parameters, boolean literals and spatial predicates.
    static let postgres = SQLDialect(
        placeholder: { "$\($0)" }, trueLiteral: "TRUE", falseLiteral: "FALSE",
        geometryFromWKB: { "ST_GeomFromWKB(\($0), 4490)" },
        spatialTest: { function, a, b in "\(function)(\(a), \(b))" })
}

/// How a layer created by import is stored in PostgreSQL: table `layer_<id>` with `fid`, the
/// entity key, valid time, one column per further catalog field (the file's names, quoted) and
/// `geom` (EPSG:4490, GiST). Booleans are stored as 0/1 integers, as in SpatiaLite.
struct PGUserLayerTable {
    let layer: LayerInfo

    init(_ layer: LayerInfo) { self.layer = layer }

    var table: String { "layer_\(layer.id)" }
    var attributeFields: ArraySlice<FieldInfo> { layer.fields.dropFirst() }
    var attributeColumns: [String] { attributeFields.map { Self.quoted($0.name) } }

    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    static func sqlType(_ t: FieldType) -> String {
        switch t {
        case .integer, .boolean: "bigint"
        case .number: "double precision"
        case .string, .date: "text"
        }
    }
}
