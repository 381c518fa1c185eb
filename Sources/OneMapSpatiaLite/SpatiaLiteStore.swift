import OneMapStore
import Foundation
import OneMapGeo

/// The embedded default `FeatureStore`: one SpatiaLite file, WAL journal, a pool of read connections
/// and one writer. Safe to share across threads; every call blocks, so async callers run it on a
/// thread pool.
public final class SpatiaLiteStore: FeatureStore, @unchecked Sendable {
    public let path: String
    public var identity: StoreIdentity { .spatialite(path: path) }
    let newFile: Bool
    let readers: ConnectionPool
    let writeLock = NSLock()
    /// The catalog, read once and again after every load (tiles ask for it on every request).
    private let catalogLock = NSLock()
    private var catalogCache: [LayerInfo]?  // guarded by catalogLock
    private var generationCheckedAt = Date.distantPast  // guarded by catalogLock
    private var knownGeneration: String?  // guarded by catalogLock
    /// Derived-count facts and per-day area populations, dropped after every load.
    private let derivedLock = NSLock()
    private var countsRangeCache: (from: String?, until: String?)?  // guarded by derivedLock
    private var areaPopulationByDay: [String: [Int64: Int]] = [:]  // guarded by derivedLock
    /// Connections for streamed reads (`FeatureQuery.streamed`), opened on first use.
    private let streamingLock = NSLock()
    private var streamingReaders: ConnectionPool?  // guarded by streamingLock
    /// How many streamed reads may run at once (more wait for a connection).
    public static let streamingConnections = 4
    /// Governance writes (audit appends, keys, applications): one connection kept open, its own lock.
    private let governanceLock = NSLock()
    private var governanceConnection: SQLiteConnection?  // guarded by governanceLock

    /// Opens (and with `create`, creates and migrates) the database at `path`.
    /// `newFile`: see `SQLiteConnection.init` (for building a database into a temporary file).
    public init(path: String, create: Bool = false, newFile: Bool = false,
                readers: Int = max(4, 2 * ProcessInfo.processInfo.activeProcessorCount)) throws {
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw StoreError("database \(path) does not exist (create it with `onemap demo --db \(path)`)", kind: .notFound)
        }
        self.path = path
        self.newFile = newFile
        // Migrate with a writer connection before any reader opens the file.
        let w = try SQLiteConnection(path: path, newFile: newFile)
        try Schema.migrate(w)
        try Self.registerCatalog(w)
        self.readers = try ConnectionPool(path: path, size: readers)
    }

    private static func registerCatalog(_ c: SQLiteConnection) throws {
        let now = ISO8601DateFormatter().string(from: Date())
        try c.transaction {
            let dept = try c.prepare("INSERT OR IGNORE INTO departments(code, name, role) VALUES (?, ?, ?)")
            for d in CoreLayers.departments { try dept.run([.text(d.code), .text(d.name), .text(d.role.rawValue)]) }
            // Share class, owner and openness are the administrator's to change and stay as set;
            // fields follow the code, keeping sensitivities the administrator changed.
            let stored = try c.prepare("SELECT fields_json FROM layers WHERE id = ?")
            let s = try c.prepare("""
                INSERT INTO layers(id, title, description, geometry_type, fields_json, owner_department, share_class,
                                   min_zoom, max_zoom, updated_at, open)
                VALUES (?,?,?,?,?,?,?,?,?,?,?)
                ON CONFLICT(id) DO UPDATE SET title=excluded.title, description=excluded.description,
                  fields_json=excluded.fields_json, min_zoom=excluded.min_zoom, max_zoom=excluded.max_zoom
                """)
            for l in CoreLayers.all {
                let fieldList = GovernanceRules.coreFields(l, storedJSON: try stored.firstText([.text(l.id)]))
                let fields = try LayerInfo.catalogJSON(fieldList)
                try s.run([.text(l.id), .text(l.title), .text(l.description), .text(l.geometryType.rawValue), .text(fields),
                           .text(l.ownerDepartment), .text(l.shareClass.rawValue), .int(Int64(l.minZoom)), .int(Int64(l.maxZoom)),
                           .text(now), .int(l.open ? 1 : 0)])
            }
        }
    }

    /// Seconds one read (a tile, a page, a statistics pass) may take before it is stopped with a
    /// `StoreError` whose `timedOut` is true; 0: no limit (the CLI's default).
    public var readTimeLimit: Double {
        get { readers.timeLimit }
        set { readers.timeLimit = newValue }
    }

    // MARK: catalog

    public func layerUpdates() throws -> [String: String] {
        try readers.with { c in
            let s = try c.prepare("SELECT id, updated_at FROM layers")
            var out: [String: String] = [:]
            while try s.step() { if let id = s.text(0), let at = s.text(1) { out[id] = at } }
            return out
        }
    }

    public func layers() throws -> [LayerInfo] {
        try dropCachesIfChangedElsewhere()
        if let cached = catalogLock.withLock({ catalogCache }) { return cached }
        let fresh = try readCatalog()
        catalogLock.withLock { catalogCache = fresh }
        return fresh
    }

    /// Another process (an `onemap import` beside the running server) may have committed a load:
    /// every load bumps `derived_state.generation`, checked at most twice a second, and a new value
    /// drops the catalog and derived-count caches (a new layer is served within half a second).
    private func dropCachesIfChangedElsewhere() throws {
        let now = Date()
        let due = catalogLock.withLock { () -> Bool in
            guard now.timeIntervalSince(generationCheckedAt) >= 0.5 else { return false }
            generationCheckedAt = now
            return true
        }
        guard due else { return }
        let generation = try readers.with { c -> String? in
            let s = try c.cached("SELECT value FROM derived_state WHERE key = 'generation'")
            defer { s.reset() }
            return try s.step() ? s.text(0) : nil
        }
        let changed = catalogLock.withLock { () -> Bool in
            defer { knownGeneration = generation }
            guard generation != knownGeneration else { return false }
            catalogCache = nil
            return true
        }
        if changed { derivedLock.withLock { countsRangeCache = nil; areaPopulationByDay = [:] } }
    }

    /// Marks a load, inside its transaction, for `dropCachesIfChangedElsewhere` in other processes.
    static func bumpGeneration(_ c: SQLiteConnection) throws {
        try c.exec("INSERT INTO derived_state(key, value) VALUES ('generation', 1) ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")
    }

    private func readCatalog() throws -> [LayerInfo] {
        try readers.with { c in
            let s = try c.cached("""
                SELECT id, title, description, geometry_type, fields_json, owner_department, share_class, min_zoom, max_zoom, open
                FROM layers ORDER BY rowid
                """)
            var out: [LayerInfo] = []
            while try s.step() {
                let fields = try JSONDecoder().decode([FieldInfo].self, from: Data((s.text(4) ?? "[]").utf8))
                out.append(LayerInfo(
                    id: s.text(0) ?? "", title: s.text(1) ?? "", description: s.text(2) ?? "",
                    geometryType: LayerGeometryType(rawValue: s.text(3) ?? "") ?? .none, fields: fields,
                    ownerDepartment: s.text(5) ?? "", shareClass: ShareClass(rawValue: s.text(6) ?? "") ?? .notShared,
                    minZoom: Int(s.int(7)), maxZoom: Int(s.int(8)), open: s.int(9) != 0))
            }
            return out
        }
    }

    public func layer(id: String) throws -> LayerInfo? {
        try layers().first { $0.id == id }
    }

    // MARK: reading

    public func features(layer: String, intersecting bbox: BBox, during time: TimeFilter, limit: Int?,
                         _ body: (StoredFeature) throws -> Void) throws {
        try queryFeatures(FeatureQuery(layer: layer, bbox: bbox, time: time, limit: limit), body)
    }

    public func queryFeatures(_ q: FeatureQuery, _ body: (StoredFeature) throws -> Void) throws {
        let plan = try readPlan(q.layer, time: q.time, equals: q.equals, filter: q.filter)
        let pool = q.streamed ? try streamingPool() : readers
        try pool.with(timeLimited: !q.streamed) { c in
            let order = try ReadRules.sortKeys(q, info: plan.info)
            let s = try c.cached(plan.sql.sql(.page, bbox: q.bbox != nil, exactBox: q.exactBox, filters: plan.filters, extra: plan.condition, order: order))
            defer { s.reset() }
            try s.bindLeading(Self.parameters(q, day: plan.day, ninth: Int64(q.offset), filters: plan.filterValues))
            while try s.step() { try body(try plan.read(s)) }
        }
    }

    private func streamingPool() throws -> ConnectionPool {
        try streamingLock.withLock {
            if let p = streamingReaders { return p }
            let p = try ConnectionPool(path: path, size: Self.streamingConnections, streaming: true)
            streamingReaders = p
            return p
        }
    }

    public func countFeatures(_ q: FeatureQuery) throws -> Int {
        let plan = try readPlan(q.layer, time: q.time, equals: q.equals, filter: q.filter)
        let pool = q.streamed ? try streamingPool() : readers
        return try pool.with(timeLimited: !q.streamed) { c in
            let s = try c.cached(plan.sql.sql(.count, bbox: q.bbox != nil, exactBox: q.exactBox, filters: plan.filters, extra: plan.condition))
            defer { s.reset() }
            try s.bindLeading(Self.parameters(q, day: plan.day, ninth: 0, filters: plan.filterValues))
            return try s.step() ? Int(s.int(0)) : 0
        }
    }

    public func feature(layer: String, id: Int64, countsOn day: String) throws -> StoredFeature? {
        let plan = try readPlan(layer, time: .instant(day), equals: [])
        return try readers.with { c in
            let s = try c.cached(plan.sql.sql(.one, bbox: false, filters: []))
            defer { s.reset() }
            try s.bindLeading(Self.parameters(FeatureQuery(layer: layer, time: .instant(day)), day: day, ninth: id, filters: []))
            return try s.step() ? try plan.read(s) : nil
        }
    }

    /// ?1..?9 and the property values, as `LayerSQL` numbers them.
    private static func parameters(_ q: FeatureQuery, day: String, ninth: Int64, filters: [SQLValue]) -> [SQLValue] {
        let b = q.bbox
        return [b.map { .double($0.minX) } ?? .null, b.map { .double($0.minY) } ?? .null,
                b.map { .double($0.maxX) } ?? .null, b.map { .double($0.maxY) } ?? .null,
                q.time.start.map { .text($0) } ?? .null, q.time.end.map { .text($0) } ?? .null, .text(day),
                .int(Int64(q.limit ?? -1)), .int(ninth)] + filters
    }

    /// How to read one layer for one day: its SQL parts, the filters, and the row decoder.
    private struct ReadPlan {
        let info: LayerInfo
        let sql: LayerSQL
        let day: String
        let filters: [Int]
        let filterValues: [SQLValue]
        /// The compiled CQL2 filter, if any (its values are in `filterValues` after the equalities').
        var condition: String? = nil
        /// Area populations of a day the stored column does not hold, by area id.
        let areaPopulation: [Int64: Int]?

        func read(_ s: Statement) throws -> StoredFeature {
            let geom = try s.withBlob(1) { try WKB.decode($0) }
            let row = s.row
            var values = info.fields.indices.map { row.fieldValue($0 + 2, as: info.fields[$0].type) }
            let id = s.int(0)
            if let areaPopulation, let pi = info.fields.firstIndex(where: { $0.name == "population" }) {
                values[pi] = .int(Int64(areaPopulation[id] ?? 0))
            }
            return StoredFeature(id: id, geometry: geom, values: values)
        }
    }

    /// Fields a query may compare: all catalog fields, except administrative areas' populations
    /// on days whose figures are computed after the query (not stored in a column).
    public func filterableFields(layer: String, countsOn day: String) throws -> [FieldInfo] {
        guard let info = try self.layer(id: layer) else { return [] }
        return Self.filterable(info, countsHold: try storedCountsHold(on: day))
    }

    private static func filterable(_ info: LayerInfo, countsHold: Bool) -> [FieldInfo] {
        ReadRules.filterable(info, countsHold: countsHold)
    }

    private func readPlan(_ layer: String, time: TimeFilter, equals: [PropertyEquals], filter: FilterExpression? = nil) throws -> ReadPlan {
        guard let info = try self.layer(id: layer), info.isSpatial else {
            throw StoreError("layer \(layer) has no geometry to query")
        }
        let day = time.countsDay
        let current = try storedCountsHold(on: day)
        // Core layers have their own SQL; layers created by import share one layout.
        let sql: LayerSQL
        switch layer {
        case "admin_areas": sql = .adminAreas
        case "admin_labels": sql = .adminLabels
        case "buildings": sql = .buildings(asOf: !current)
        default: sql = .userLayer(UserLayerTable(info))
        }
        // Tiles pass no filters: nothing more to look up for them.
        let filterable = equals.isEmpty && filter == nil ? [] : Self.filterable(info, countsHold: current)
        var (filters, values) = try ReadRules.equalities(equals, info: info, filterable: filterable)
        // Area populations on other days come from the per-day aggregate, replacing the stored column.
        let areaPopulation: [Int64: Int]? = (layer.hasPrefix("admin_") && !current) ? try areaPopulations(on: day) : nil
        var condition: String?
        if let filter {
            var compiler = FilterCompiler(info: info, sql: sql.filterColumns, dialect: .spatialite, firstParameter: 10 + values.count,
                                          allowed: Set(filterable.map(\.name)))
            condition = try compiler.compile(filter)
            values += compiler.parameters
        }
        return ReadPlan(info: info, sql: sql, day: day, filters: filters, filterValues: values, condition: condition, areaPopulation: areaPopulation)
    }

    public func extent(layer: String) throws -> BBox? {
        let table: String
        switch layer {
        case "admin_areas", "admin_labels": table = "admin_areas"
        case "buildings": table = "buildings"
        default:
            guard let info = try self.layer(id: layer), info.isSpatial, !CoreLayers.all.contains(where: { $0.id == layer }) else { return nil }
            table = UserLayerTable(info).table
        }
        return try readers.with { c in
            // The R*Tree gives the extent without reading the rows (none before the first load).
            guard try c.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = ?", [.text("idx_\(table)_geom")]) == 1 else { return nil }
            let s = try c.cached("SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM idx_\(table)_geom")
            guard try s.step(), !s.isNull(0) else { return nil }
            return BBox(minX: s.double(0), minY: s.double(1), maxX: s.double(2), maxY: s.double(3)).roundedOutToSinglePrecision
        }
    }

    public func adminAreas(level: AdminLevel?, asOf: String) throws -> [AdminAreaSummary] {
        let areaPopulation = try storedCountsHold(on: asOf) ? nil : try areaPopulations(on: asOf)
        return try readers.with { c in
            let s = try c.cached("""
                SELECT id, code, name, level, parent_code, population, valid_from, valid_to, synthetic FROM admin_areas
                WHERE (?1 IS NULL OR level = ?1) AND (valid_from IS NULL OR valid_from <= ?2) AND (valid_to IS NULL OR valid_to > ?2)
                ORDER BY code
                """)
            try s.bind([level.map { .text($0.rawValue) } ?? .null, .text(asOf)])
            var out: [AdminAreaSummary] = []
            while try s.step() {
                let population = areaPopulation.map { $0[s.int(0)] ?? 0 } ?? Int(s.int(5))
                out.append(AdminAreaSummary(code: s.text(1) ?? "", name: s.text(2) ?? "",
                                            level: AdminLevel(rawValue: s.text(3) ?? "") ?? .grid, parentCode: s.text(4),
                                            population: population, validFrom: s.text(6), validTo: s.text(7),
                                            synthetic: s.int(8) != 0))
            }
            return out
        }
    }

    /// Runs `body` with a pooled read connection (for the store's extensions in other files).
    func withReader<T>(_ body: (SQLiteConnection) throws -> T) throws -> T { try readers.with(body) }

    // MARK: counts on other days

    /// True when the counts stored with buildings and areas are those of `day`.
    func storedCountsHold(on day: String) throws -> Bool {
        let range = try countsRange()
        return (range.from.map { $0 <= day } ?? true) && (range.until.map { day < $0 } ?? true)
    }

    private func countsRange() throws -> (from: String?, until: String?) {
        if let r = derivedLock.withLock({ countsRangeCache }) { return r }
        let r = try readers.with { c -> (String?, String?) in
            let s = try c.cached("SELECT key, value FROM derived_state WHERE key IN ('counts_from', 'counts_until')")
            var from: String?, until: String?
            while try s.step() {
                if s.text(0) == "counts_from" { from = s.text(1) } else { until = s.text(1) }
            }
            return (from, until)
        }
        derivedLock.withLock { countsRangeCache = r }
        return r
    }

    /// Residents per area version on `day` (area id -> count), by the stored building membership;
    /// memoised per day because a time slider asks for the same few days again and again.
    func areaPopulations(on day: String) throws -> [Int64: Int] {
        if let hit = derivedLock.withLock({ areaPopulationByDay[day] }) { return hit }
        let result = try readers.with { c -> [Int64: Int] in
            let s = try c.cached("""
                SELECT ba.area_id, count(*) FROM population p
                JOIN buildings b ON b.entity_code = p.building_code
                JOIN building_areas ba ON ba.building_id = b.id
                WHERE p.valid_from <= ?1 AND (p.valid_to IS NULL OR p.valid_to > ?1)
                  AND b.valid_from <= ?1 AND (b.valid_to IS NULL OR b.valid_to > ?1)
                GROUP BY ba.area_id
                """)
            try s.bind([.text(day)])
            var out: [Int64: Int] = [:]
            while try s.step() { out[s.int(0)] = Int(s.int(1)) }
            return out
        }
        derivedLock.withLock {
            if areaPopulationByDay.count >= 64 { areaPopulationByDay.removeAll() }
            areaPopulationByDay[day] = result
        }
        return result
    }

    public func count(layer: String) throws -> Int {
        guard let l = try self.layer(id: layer) else { throw StoreError("unknown layer \(layer)", kind: .notFound) }
        // The table name comes from the catalog, never from the caller's text.
        let table = CoreLayers.all.contains(where: { $0.id == l.id }) ? l.id : UserLayerTable(l).table
        return try readers.with { c in Int(try c.scalarInt("SELECT count(*) FROM \"\(table)\"") ?? 0) }
    }

    // MARK: writing

    public func bulkLoad(_ body: (any BulkWriter) throws -> Void) throws {
        try writeLock.withLock {
            let c = try SQLiteConnection(path: path, newFile: newFile)
            try c.exec("PRAGMA cache_size = -262144")
            try c.transaction {
                // Millions of rows: no per-row change log (the load marks one change that makes
                // statistics engines build anew).
                for name in Schema.rowChangeTriggerNames { try c.exec("DROP TRIGGER IF EXISTS \(name)") }
                let writer = try SpatiaLiteBulkWriter(connection: c)
                try body(writer)
                try finishLoad(c)
                for sql in Schema.rowChangeTriggers { try c.exec(sql) }
                try c.exec("INSERT INTO statistics_row_changes(tbl, row_id) VALUES ('reset', 0)")
            }
            try afterLoad(c)
        }
    }

    /// Inside a load's transaction: indexes, spatial indexes and derived counts up to date.
    func finishLoad(_ c: SQLiteConnection) throws {
        for sql in Schema.postLoadIndexes { try c.exec(sql) }
        for table in ["admin_areas", "buildings"] {
            let enabled = try c.scalarInt(
                "SELECT spatial_index_enabled FROM geometry_columns WHERE f_table_name = ? AND f_geometry_column = 'geom'",
                [.text(table)]) ?? 0
            // Bulk-load first, then build the R*Tree: its triggers make indexed inserts ~7x slower.
            if enabled == 0 { try c.exec("SELECT CreateSpatialIndex('\(table)', 'geom')") }
        }
        try DerivedCounts.refresh(c)
        try Self.bumpGeneration(c)
        try c.exec("UPDATE layers SET updated_at = '\(ISO8601DateFormatter().string(from: Date()))'")
    }

    /// After a load committed: statistics for the planner, and caches dropped.
    /// `analyze`: the one table whose statistics changed (nil: all of them).
    func afterLoad(_ c: SQLiteConnection, analyze table: String? = nil) throws {
        // Sampled statistics: enough for the planner's index choices, without reading millions of rows.
        try c.exec("PRAGMA analysis_limit = 2000")
        try c.exec(table.map { "ANALYZE \"\($0)\"" } ?? "ANALYZE")
        catalogLock.withLock { catalogCache = nil }
        derivedLock.withLock { countsRangeCache = nil; areaPopulationByDay = [:] }
    }

    /// A small governance write in one transaction, on the governance connection (opened once).
    func governanceWrite<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try governanceLock.withLock {
            let c: SQLiteConnection
            if let open = governanceConnection { c = open } else {
                c = try SQLiteConnection(path: path, newFile: newFile)
                governanceConnection = c
            }
            return try c.transaction { try body(c) }
        }
    }

    func dropCatalogCache() { catalogLock.withLock { catalogCache = nil } }

    /// Runs `body` with the single writer connection inside one transaction (nothing or everything).
    /// A small write in its own transaction (no derived counts, no statistics refresh after it).
    func withSmallWrite<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try writeLock.withLock {
            let c = try SQLiteConnection(path: path, newFile: newFile)
            return try c.transaction { try body(c) }
        }
    }

    func withWriteTransaction<T>(analyze table: String? = nil, _ body: (SQLiteConnection) throws -> T) throws -> T {
        try writeLock.withLock {
            let c = try SQLiteConnection(path: path, newFile: newFile)
            // A large import's pages mostly stay in memory until commit instead of spilling
            // mid-way; bounded (256 MiB of cache, 256 MiB of mapped file) so that an import's
            // memory does not grow with the file.
            try c.exec("PRAGMA cache_size = -262144")
            try c.exec("PRAGMA mmap_size = 268435456")
            let result = try c.transaction {
                let r = try body(c)
                // The statistics row log keeps its newest rows only (an engine further behind builds anew).
                try c.exec("DELETE FROM statistics_row_changes WHERE id <= (SELECT max(id) FROM statistics_row_changes) - \(Schema.rowChangesKept)")
                return r
            }
            StageTimer.mark("commit")
            try afterLoad(c, analyze: table)
            StageTimer.mark("analyze")
            return result
        }
    }
}

extension SpatiaLiteStore: OneMapDatabase {
    /// Folds the write-ahead log into the database file (before moving or copying the file).
    static func checkpoint(path: String) throws {
        let c = try SQLiteConnection(path: path)
        try c.exec("PRAGMA wal_checkpoint(TRUNCATE)")
        try c.exec("PRAGMA journal_mode = DELETE")
    }

    /// Whether a database file is at `path`.
    public static func exists(path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// The file and the companions SQLite keeps beside it.
    private static func files(_ path: String) -> [String] { ["", "-journal", "-wal", "-shm"].map { path + $0 } }

    /// Builds a whole new database at `path` with `body`, in a temporary file beside it that is
    /// renamed into place only when `body` succeeded: a failed or killed build leaves no database
    /// behind, and the one it replaces (`replacing`) stays whole until the rename.
    /// `newFile`: see `SQLiteConnection.init` (journal in memory; for one-pass builds such as an
    /// import into a new file).
    public static func build<T>(path: String, replacing: Bool, newFile: Bool, _ body: (SpatiaLiteStore) throws -> T) throws -> T {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) && !replacing {
            throw StoreError("\(path) already exists; pass --force to replace it")
        }
        let tmp = path + ".building"
        func removeTemporary() throws { for f in files(tmp) where fm.fileExists(atPath: f) { try fm.removeItem(atPath: f) } }
        try removeTemporary()
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let result: T
        do {
            result = try {
                let store = try SpatiaLiteStore(path: tmp, create: true, newFile: newFile)
                return try body(store)
            }()  // the store (and its connections) is closed here
            try checkpoint(path: tmp)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp))
            try handle.synchronize()
            try handle.close()
        } catch {
            // The build's own error is the one to report; a leftover temporary file is removed by the next build.
            do { try removeTemporary() } catch let cleanup { throw StoreError("\(error) (and \(tmp) could not be removed: \(cleanup))", kind: .internal) }
            throw error
        }
        for f in files(path).dropFirst() where fm.fileExists(atPath: f) { try fm.removeItem(atPath: f) }
        if fm.fileExists(atPath: path) { try fm.removeItem(atPath: path) }
        try fm.moveItem(atPath: tmp, toPath: path)
        return result
    }
}
