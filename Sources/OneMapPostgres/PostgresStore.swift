import Foundation
import OneMapGeo
import OneMapStore

/// The `FeatureStore` for PostgreSQL/PostGIS: OneMap's tables in schema `onemap` of one database,
/// reached through libpq. Safe to share across threads; every call blocks (like the SpatiaLite
/// store), so async callers run it on a thread pool. Reads use a pool of connections opened as
/// needed; writes (loads, imports, governance) a small pool of their own, with advisory locks
/// where two writers must not interleave (the audit chain's head, one layer's import).
public final class PostgresStore: @unchecked Sendable {
    public let location: PostgresLocation
    /// The schema holding the tables (`onemap`, or another while a database is built aside).
    let schema: String
    let readers: PGPool
    let writers: PGPool
    /// The catalog, read once and again after every change (tiles ask for it on every request);
    /// another process's change is seen through `derived_state.generation`, checked twice a second.
    private let catalogLock = NSLock()
    private var catalogCache: [LayerInfo]?  // guarded by catalogLock
    private var generationCheckedAt = Date.distantPast  // guarded by catalogLock
    private var knownGeneration: String?  // guarded by catalogLock
    /// Count facts and per-day area populations, dropped after every change.
    let derived = Locked(DerivedCache())

    public var identity: StoreIdentity { StoreIdentity("postgresql:\(location.host):\(location.port)/\(location.database)#\(schema)") }

    /// Opens the OneMap database at `location`; `create` makes it (schema, tables) when the
    /// database holds none yet. A database of another schema version is refused.
    public init(location: PostgresLocation, create: Bool = false, schema: String = "onemap",
                readers: Int = max(4, 2 * ProcessInfo.processInfo.activeProcessorCount)) throws {
        self.location = location
        self.schema = schema
        let c = try PGConnection(location, schema: schema)
        if !create {
            let found = try c.query("SELECT to_regclass($1) IS NOT NULL", [.text("\(schema).schema_version")])
            guard found.row(0).bool(0) else {
                throw StoreError("\(location) holds no OneMap database (create one with `onemap demo --db \(location)`)", kind: .notFound)
            }
        }
        try PostgresSchema.migrate(c, schema: schema)
        try Self.registerCatalog(c)
        self.readers = PGPool(location, schema: schema, size: readers, name: "readers")
        self.writers = PGPool(location, schema: schema, size: 2, name: "writers")
    }

    /// Seconds one read may take before the server stops it (`statement_timeout`); 0: no limit.
    public var readTimeLimit: Double {
        get { readers.timeLimit }
        set { readers.timeLimit = newValue }
    }

    /// Departments and core layers as the code defines them (share class, owner and openness
    /// stay as an administrator set them).
    private static func registerCatalog(_ c: PGConnection) throws {
        let now = ISO8601DateFormatter().string(from: Date())
        try c.transaction {
            for d in CoreLayers.departments {
                try c.query("INSERT INTO departments(code, name, role) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING",
                            [.text(d.code), .text(d.name), .text(d.role.rawValue)])
            }
            for l in CoreLayers.all {
                let stored = try c.query("SELECT fields_json FROM layers WHERE id = $1", [.text(l.id)])
                let fields = GovernanceRules.coreFields(l, storedJSON: stored.rows > 0 ? stored.row(0).text(0) : nil)
                try c.query("""
                    INSERT INTO layers(id, title, description, geometry_type, fields_json, owner_department, share_class,
                                       min_zoom, max_zoom, updated_at, open)
                    VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
                    ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description,
                      fields_json = excluded.fields_json, min_zoom = excluded.min_zoom, max_zoom = excluded.max_zoom
                    """, [.text(l.id), .text(l.title), .text(l.description), .text(l.geometryType.rawValue),
                          .text(try LayerInfo.catalogJSON(fields)),
                          .text(l.ownerDepartment), .text(l.shareClass.rawValue), .int(Int64(l.minZoom)), .int(Int64(l.maxZoom)),
                          .text(now), .int(l.open ? 1 : 0)])
            }
        }
    }

    // MARK: catalog

    public func layers() throws -> [LayerInfo] {
        try dropCachesIfChangedElsewhere()
        if let cached = catalogLock.withLock({ catalogCache }) { return cached }
        let fresh = try readers.with { c in
            try c.query("""
                SELECT id, title, description, geometry_type, fields_json, owner_department, share_class, min_zoom, max_zoom, open
                FROM layers ORDER BY ord
                """, prepare: true).all.map { r in
                LayerInfo(id: r.text(0) ?? "", title: r.text(1) ?? "", description: r.text(2) ?? "",
                          geometryType: LayerGeometryType(rawValue: r.text(3) ?? "") ?? .none,
                          fields: try JSONDecoder().decode([FieldInfo].self, from: Data((r.text(4) ?? "[]").utf8)),
                          ownerDepartment: r.text(5) ?? "", shareClass: ShareClass(rawValue: r.text(6) ?? "") ?? .notShared,
                          minZoom: Int(r.int(7)), maxZoom: Int(r.int(8)), open: r.int(9) != 0)
            }
        }
        catalogLock.withLock { catalogCache = fresh }
        return fresh
    }

    public func layer(id: String) throws -> LayerInfo? {
        try layers().first { $0.id == id }
    }

    public func layerUpdates() throws -> [String: String] {
        try readers.with { c in
            var out: [String: String] = [:]
            for r in try c.query("SELECT id, updated_at FROM layers").all { if let id = r.text(0), let at = r.text(1) { out[id] = at } }
            return out
        }
    }

    /// A change committed by another process (an import beside the running server) bumps
    /// `derived_state.generation`: a new value drops the cached catalog.
    private func dropCachesIfChangedElsewhere() throws {
        let now = Date()
        let due = catalogLock.withLock { () -> Bool in
            guard now.timeIntervalSince(generationCheckedAt) >= 0.5 else { return false }
            generationCheckedAt = now
            return true
        }
        guard due else { return }
        let generation = try readers.with { c -> String? in
            let r = try c.query("SELECT value FROM derived_state WHERE key = 'generation'", prepare: true)
            return r.rows > 0 ? r.row(0).text(0) : nil
        }
        let changed = catalogLock.withLock { () -> Bool in
            defer { knownGeneration = generation }
            guard generation != knownGeneration else { return false }
            catalogCache = nil
            return true
        }
        if changed { dropDerivedCaches() }
    }

    /// Drops the caches derived from the data (counts), with the catalog.
    func dropDerivedCaches() { derived.withLock { $0 = DerivedCache() } }

    func dropCatalogCache() { catalogLock.withLock { catalogCache = nil } }

    /// Marks a change, inside its transaction, for other processes' caches.
    static func bumpGeneration(_ c: PGConnection) throws {
        try c.exec("""
            INSERT INTO derived_state(key, value) VALUES ('generation', '1')
            ON CONFLICT (key) DO UPDATE SET value = (derived_state.value::bigint + 1)::text
            """)
    }

    /// Runs `body` in one write transaction.
    func write<T>(_ body: (PGConnection) throws -> T) throws -> T {
        try writers.with(timeLimited: false) { c in try c.transaction { try body(c) } }
    }
}

extension PostgresStore {
    /// Whether the database at `location` holds a OneMap database (an unreachable server is an
    /// error, not a no).
    public static func exists(_ location: PostgresLocation, schema: String = "onemap") throws -> Bool {
        let c = try PGConnection(location, schema: schema)
        return try c.query("SELECT to_regclass($1) IS NOT NULL", [.text("\(schema).schema_version")]).row(0).bool(0)
    }

    /// Builds a whole new OneMap database in `location` with `body`, in a schema of its own that
    /// replaces schema `onemap` in one transaction when `body` succeeded: a failed or killed
    /// build leaves the database as it was (its half-built schema is dropped by the next build).
    public static func build<T>(_ location: PostgresLocation, replacing: Bool, _ body: (PostgresStore) throws -> T) throws -> T {
        let target = "onemap", aside = "onemap_build"
        let c = try PGConnection(location, schema: aside)
        // One build at a time per database (a session lock: released when this connection closes).
        try c.query("SELECT pg_advisory_lock($1)", [.int(buildLock)])
        if try exists(location, schema: target), !replacing {
            throw StoreError("\(location) already holds a OneMap database; pass --force to replace it")
        }
        try c.exec("DROP SCHEMA IF EXISTS \(aside) CASCADE")
        let result = try {
            let store = try PostgresStore(location: location, create: true, schema: aside, readers: 2)
            return try body(store)
        }()  // the store's connections close here
        try c.transaction {
            try c.exec("DROP SCHEMA IF EXISTS \(target) CASCADE")
            try c.exec("ALTER SCHEMA \(aside) RENAME TO \(target)")
        }
        return result
    }

    static let buildLock: Int64 = 0x6F6E_6D61_7062_6C64
}

extension PostgresStore: OneMapDatabase {}
