import Foundation
import OneMapGeo

/// The embedded default `FeatureStore`: one SpatiaLite file, WAL journal, a pool of read connections
/// and one writer. Safe to share across threads; every call blocks, so async callers run it on a
/// thread pool.
public final class SpatiaLiteStore: FeatureStore, @unchecked Sendable {
    public let path: String
    private let readers: ConnectionPool
    private let writeLock = NSLock()
    /// The catalog, read once and again after every load (tiles ask for it on every request).
    private let catalogLock = NSLock()
    private var catalogCache: [LayerInfo]?  // guarded by catalogLock

    /// Opens (and with `create`, creates and migrates) the database at `path`.
    public init(path: String, create: Bool = false, readers: Int = max(2, ProcessInfo.processInfo.activeProcessorCount)) throws {
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw StoreError("database \(path) does not exist (create it with `onemap demo --db \(path)`)")
        }
        self.path = path
        // Migrate with a writer connection before any reader opens the file.
        let w = try SQLiteConnection(path: path)
        try Schema.migrate(w)
        try Self.registerCatalog(w)
        self.readers = try ConnectionPool(path: path, size: readers)
    }

    private static func registerCatalog(_ c: SQLiteConnection) throws {
        let now = ISO8601DateFormatter().string(from: Date())
        try c.transaction {
            let dept = try c.prepare("INSERT OR IGNORE INTO departments(code, name) VALUES (?, ?)")
            for d in CoreLayers.departments { try dept.run([.text(d.code), .text(d.name)]) }
            let s = try c.prepare("""
                INSERT INTO layers(id, title, description, geometry_type, fields_json, owner_department, share_class,
                                   min_zoom, max_zoom, updated_at)
                VALUES (?,?,?,?,?,?,?,?,?,?)
                ON CONFLICT(id) DO UPDATE SET title=excluded.title, description=excluded.description,
                  fields_json=excluded.fields_json, min_zoom=excluded.min_zoom, max_zoom=excluded.max_zoom
                """)
            for l in CoreLayers.all {
                let fields = String(decoding: try JSONEncoder().encode(l.fields), as: UTF8.self)
                try s.run([.text(l.id), .text(l.title), .text(l.description), .text(l.geometryType.rawValue), .text(fields),
                           .text(l.ownerDepartment), .text(l.shareClass.rawValue), .int(Int64(l.minZoom)), .int(Int64(l.maxZoom)),
                           .text(now)])
            }
        }
    }

    // MARK: catalog

    public func layers() throws -> [LayerInfo] {
        if let cached = catalogLock.withLock({ catalogCache }) { return cached }
        let fresh = try readCatalog()
        catalogLock.withLock { catalogCache = fresh }
        return fresh
    }

    private func readCatalog() throws -> [LayerInfo] {
        try readers.with { c in
            let s = try c.cached("""
                SELECT id, title, description, geometry_type, fields_json, owner_department, share_class, min_zoom, max_zoom
                FROM layers ORDER BY rowid
                """)
            var out: [LayerInfo] = []
            while try s.step() {
                let fields = try JSONDecoder().decode([FieldInfo].self, from: Data((s.text(4) ?? "[]").utf8))
                out.append(LayerInfo(
                    id: s.text(0) ?? "", title: s.text(1) ?? "", description: s.text(2) ?? "",
                    geometryType: LayerGeometryType(rawValue: s.text(3) ?? "") ?? .none, fields: fields,
                    ownerDepartment: s.text(5) ?? "", shareClass: ShareClass(rawValue: s.text(6) ?? "") ?? .notShared,
                    minZoom: Int(s.int(7)), maxZoom: Int(s.int(8))))
            }
            return out
        }
    }

    public func layer(id: String) throws -> LayerInfo? {
        try layers().first { $0.id == id }
    }

    // MARK: reading

    /// SQL for each spatial layer: id, WKB, then the catalog fields in order. ?1..?4 = bbox, ?5 = as-of date.
    private static let featureSQL: [String: String] = [
        "admin_areas": """
            SELECT a.id, AsBinary(a.geom), a.code, a.name, a.level, a.parent_code, a.population, a.valid_from, a.valid_to, a.synthetic
            FROM admin_areas a
            WHERE a.id IN (SELECT pkid FROM idx_admin_areas_geom WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2)
              AND (a.valid_from IS NULL OR a.valid_from <= ?5) AND (a.valid_to IS NULL OR a.valid_to > ?5)
            ORDER BY a.id LIMIT ?6
            """,
        "admin_labels": """
            SELECT a.id, AsBinary(MakePoint(a.label_x, a.label_y, 4490)), a.code, a.name, a.level, a.population
            FROM admin_areas a
            WHERE a.label_x BETWEEN ?1 AND ?3 AND a.label_y BETWEEN ?2 AND ?4
              AND (a.valid_from IS NULL OR a.valid_from <= ?5) AND (a.valid_to IS NULL OR a.valid_to > ?5)
            ORDER BY a.id LIMIT ?6
            """,
        "buildings": """
            SELECT b.id, AsBinary(b.geom), b.entity_code, b.floors, b.use, b.built_date, b.demolished_date, b.population, b.businesses
            FROM buildings b
            WHERE b.id IN (SELECT pkid FROM idx_buildings_geom WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2)
              AND b.built_date <= ?5 AND (b.demolished_date IS NULL OR b.demolished_date > ?5)
            ORDER BY b.id LIMIT ?6
            """,
    ]

    public func features(layer: String, intersecting bbox: BBox, asOf: String, limit: Int?,
                         _ body: (StoredFeature) throws -> Void) throws {
        guard let sql = Self.featureSQL[layer], let info = CoreLayers.all.first(where: { $0.id == layer }) else {
            throw StoreError("layer \(layer) has no geometry to query")
        }
        try readers.with { c in
            let s = try c.cached(sql)
            try s.bind([.double(bbox.minX), .double(bbox.minY), .double(bbox.maxX), .double(bbox.maxY), .text(asOf),
                        .int(Int64(limit ?? -1))])
            defer { s.reset() }
            let n = info.fields.count
            while try s.step() {
                let geom = try s.withBlob(1) { try WKB.decode($0) }
                var values = [FieldValue]()
                values.reserveCapacity(n)
                for (i, f) in info.fields.enumerated() {
                    let col = Int32(i + 2)
                    if s.isNull(col) { values.append(.null); continue }
                    switch f.type {
                    case .integer: values.append(.int(s.int(col)))
                    case .number: values.append(.double(s.double(col)))
                    case .boolean: values.append(.bool(s.int(col) != 0))
                    case .string, .date: values.append(.string(s.text(col) ?? ""))
                    }
                }
                try body(StoredFeature(id: s.int(0), geometry: geom, values: values))
            }
        }
    }

    public func extent(layer: String, asOf: String) throws -> BBox? {
        let table: String
        switch layer {
        case "admin_areas", "admin_labels": table = "admin_areas"
        case "buildings": table = "buildings"
        default: return nil
        }
        return try readers.with { c in
            // The R*Tree root gives the extent without scanning rows.
            let s = try c.cached("SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM idx_\(table)_geom")
            guard try s.step(), !s.isNull(0) else { return nil }
            return BBox(minX: s.double(0), minY: s.double(1), maxX: s.double(2), maxY: s.double(3))
        }
    }

    public func adminAreas(level: AdminLevel?, asOf: String) throws -> [AdminAreaSummary] {
        try readers.with { c in
            let s = try c.cached("""
                SELECT code, name, level, parent_code, population, valid_from, valid_to, synthetic FROM admin_areas
                WHERE (?1 IS NULL OR level = ?1) AND (valid_from IS NULL OR valid_from <= ?2) AND (valid_to IS NULL OR valid_to > ?2)
                ORDER BY code
                """)
            try s.bind([level.map { .text($0.rawValue) } ?? .null, .text(asOf)])
            var out: [AdminAreaSummary] = []
            while try s.step() {
                out.append(AdminAreaSummary(code: s.text(0) ?? "", name: s.text(1) ?? "",
                                            level: AdminLevel(rawValue: s.text(2) ?? "") ?? .grid, parentCode: s.text(3),
                                            population: Int(s.int(4)), validFrom: s.text(5), validTo: s.text(6),
                                            synthetic: s.int(7) != 0))
            }
            return out
        }
    }

    public func count(layer: String) throws -> Int {
        guard let l = try self.layer(id: layer) else { throw StoreError("unknown layer \(layer)") }
        // The id comes from the catalog, never from the caller's text.
        return try readers.with { c in Int(try c.scalarInt("SELECT count(*) FROM \"\(l.id)\"") ?? 0) }
    }

    // MARK: writing

    public func bulkLoad(_ body: (any BulkWriter) throws -> Void) throws {
        try writeLock.withLock {
            let c = try SQLiteConnection(path: path)
            try c.exec("PRAGMA cache_size = -262144")
            try c.transaction {
                let writer = try SpatiaLiteBulkWriter(connection: c)
                try body(writer)
                for sql in Schema.postLoadIndexes { try c.exec(sql) }
                for table in ["admin_areas", "buildings"] {
                    let enabled = try c.scalarInt(
                        "SELECT spatial_index_enabled FROM geometry_columns WHERE f_table_name = ? AND f_geometry_column = 'geom'",
                        [.text(table)]) ?? 0
                    // Bulk-load first, then build the R*Tree: its triggers make indexed inserts ~7x slower.
                    if enabled == 0 { try c.exec("SELECT CreateSpatialIndex('\(table)', 'geom')") }
                }
                try DerivedCounts.refresh(c)
                try c.exec("UPDATE layers SET updated_at = '\(ISO8601DateFormatter().string(from: Date()))'")
            }
            try c.exec("ANALYZE")
            catalogLock.withLock { catalogCache = nil }
        }
    }
}

extension SpatiaLiteStore {
    /// Folds the write-ahead log into the database file (before moving or copying the file).
    public static func checkpoint(path: String) throws {
        let c = try SQLiteConnection(path: path)
        try c.exec("PRAGMA wal_checkpoint(TRUNCATE)")
        try c.exec("PRAGMA journal_mode = DELETE")
    }
}
