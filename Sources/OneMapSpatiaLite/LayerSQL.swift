import OneMapStore
import OneMapGeo

/// How one spatial layer is read: the expressions for its id, geometry and catalog fields, its
/// table, and its box and valid-time conditions. Queries are composed from these parts, so tiles,
/// feature pages, counts and single features read every layer the same way.
///
/// Parameters: ?1..?4 box (min x, min y, max x, max y), ?5 start day, ?6 end day (NULL = open),
/// ?7 day of the counts, ?8 limit (-1 = none), ?9 offset or feature id, ?10... property values.
struct LayerSQL {
    let id: String
    /// A SpatiaLite geometry expression.
    let geometry: String
    /// One expression per catalog field, in catalog order.
    let columns: [String]
    let from: String
    /// Rows whose box meets ?1..?4 (through the R*Tree where there is one).
    let spatial: String
    /// Rows valid at some time in [?5, ?6].
    let time: String
    /// Always required (e.g. a label point exists).
    var base: [String] = []

    enum Shape {
        /// `id, WKB, fields...` in id order, ?8 rows after skipping ?9.
        case page
        case count
        /// The row whose id is ?9.
        case one
    }

    /// `filters`: indices of the fields compared with ?10, ?11, ...
    /// `extra`: a compiled filter condition (its parameters numbered after the property values).
    /// `order`: (field index, ascending) sort keys before the id.
    /// `exactBox`: after the index's box test, the geometry itself must meet the box.
    func sql(_ shape: Shape, bbox: Bool, exactBox: Bool = false, filters: [Int], extra: String? = nil, order: [(Int, Bool)] = []) -> String {
        var conditions = base
        if let extra { conditions.append(extra) }
        if bbox { conditions.append(spatial) }
        if bbox && exactBox { conditions.append("Intersects(\(geometry), BuildMbr(?1, ?2, ?3, ?4, 4490)) = 1") }
        if shape == .one { conditions.append("\(id) = ?9") } else { conditions.append(time) }
        for (k, f) in filters.enumerated() { conditions.append("\(columns[f]) = ?\(10 + k)") }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        switch shape {
        case .count:
            return "SELECT count(*) FROM \(from)\(whereClause)"
        case .page:
            let keys = order.map { "\(columns[$0.0]) \($0.1 ? "ASC" : "DESC")" } + ["\(id)"]
            return "SELECT \(id), AsBinary(\(geometry)), \(columns.joined(separator: ", ")) FROM \(from)\(whereClause) ORDER BY \(keys.joined(separator: ", ")) LIMIT ?8 OFFSET ?9"
        case .one:
            return "SELECT \(id), AsBinary(\(geometry)), \(columns.joined(separator: ", ")) FROM \(from)\(whereClause)"
        }
    }

    /// What a compiled filter needs of this layer.
    var filterColumns: FilterColumns {
        FilterColumns(columns: columns, geometry: geometry, spatial: spatial, alias: String(id.prefix { $0 != "." }))
    }

    private static func rtree(_ table: String, id: String) -> String {
        "\(id) IN (SELECT pkid FROM idx_\(table)_geom WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2)"
    }

    private static let validAreas = "(a.valid_from IS NULL OR ?6 IS NULL OR a.valid_from <= ?6) AND (a.valid_to IS NULL OR ?5 IS NULL OR a.valid_to > ?5)"

    private static func versions(_ alias: String) -> String {
        "(?6 IS NULL OR \(alias).valid_from <= ?6) AND (\(alias).valid_to IS NULL OR ?5 IS NULL OR \(alias).valid_to > ?5)"
    }

    static let adminAreas = LayerSQL(
        id: "a.id", geometry: "a.geom",
        columns: CoreLayerColumns.adminAreas,
        from: "admin_areas a", spatial: rtree("admin_areas", id: "a.id"), time: validAreas)

    static let adminLabels = LayerSQL(
        id: "a.id", geometry: "MakePoint(a.label_x, a.label_y, 4490)",
        columns: CoreLayerColumns.adminLabels,
        from: "admin_areas a", spatial: "a.label_x BETWEEN ?1 AND ?3 AND a.label_y BETWEEN ?2 AND ?4", time: validAreas,
        base: ["a.label_x IS NOT NULL"])

    /// Buildings with the counts stored for today (`asOf` false) or counted on day ?7.
    static func buildings(asOf: Bool) -> LayerSQL {
        let counts = asOf ? CoreLayerColumns.countsOn("?7") : CoreLayerColumns.storedCounts
        return LayerSQL(id: "b.id", geometry: "b.geom",
                        columns: CoreLayerColumns.buildings + counts,
                        from: "buildings b", spatial: rtree("buildings", id: "b.id"), time: versions("b"))
    }

    /// A layer created by import (`UserLayerTable`).
    static func userLayer(_ t: UserLayerTable) -> LayerSQL {
        LayerSQL(id: "t.fid", geometry: "t.geom", columns: ["t.entity_key"] + t.attributeColumns.map { "t.\($0)" },
                 from: "\(t.table) t", spatial: rtree(t.table, id: "t.fid"), time: versions("t"))
    }
}

extension SQLDialect {
    /// SpatiaLite: `?n` parameters, 1/0 for true/false, spatial functions that return 1/0.
    static let spatialite = SQLDialect(
        placeholder: { "?\($0)" }, trueLiteral: "1", falseLiteral: "0",
        geometryFromWKB: { "GeomFromWKB(\($0), 4490)" },
        spatialTest: { function, a, b in "\(function)(\(a), \(b)) = 1" })
}
