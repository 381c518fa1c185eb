import OneMapPostgres
import OneMapSpatiaLite
import OneMapStore

/// Opens and builds OneMap databases from where `--db` says they are. The one place that knows
/// which backends exist: commands and tests above it see `OneMapDatabase` only.
public enum StoreFactory {
    /// The database at `location`, which must exist (a clear `StoreError` when it does not or
    /// cannot be reached).
    public static func open(_ location: StoreLocation) throws -> any OneMapDatabase {
        switch location {
        case .spatialite(let path): try SpatiaLiteStore(path: path)
        case .postgres(let p): try PostgresStore(location: p)
        }
    }

    /// The database `text` names (as given to `--db`).
    public static func open(_ text: String) throws -> any OneMapDatabase {
        try open(StoreLocation(parsing: text))
    }

    /// Whether a OneMap database exists at `location` (an import into a new one builds it).
    public static func exists(_ location: StoreLocation) throws -> Bool {
        switch location {
        case .spatialite(let path): SpatiaLiteStore.exists(path: path)
        case .postgres(let p): try PostgresStore.exists(p)
        }
    }

    /// Builds a whole new database at `location` with `body`: it appears only when `body`
    /// succeeds, at once, replacing the one there (`replacing`; otherwise one there is refused).
    /// `onePass`: `body` writes the database in one go (an import into a new database), so the
    /// backend may skip its crash-safety for the duration (the build is thrown away on failure).
    /// The new database has a disclosure-control secret, its own or the one `body` copied in.
    public static func build<T>(_ location: StoreLocation, replacing: Bool, onePass: Bool = false,
                                _ body: (any OneMapDatabase) throws -> T) throws -> T {
        // Every database is born with its disclosure-control secret (kept when `body` copied one
        // in): copies made from it then publish the same protected figures.
        func made(_ store: any OneMapDatabase) throws -> T {
            let result = try body(store)
            _ = try store.statisticsSecret()
            return result
        }
        switch location {
        case .spatialite(let path): return try SpatiaLiteStore.build(path: path, replacing: replacing, newFile: onePass) { try made($0) }
        case .postgres(let p): return try PostgresStore.build(p, replacing: replacing) { try made($0) }
        }
    }
}

/// Audit archives are SQLite files whatever the backend the live log is in (anyone can open
/// and verify one with sqlite3).
public typealias AuditArchive = OneMapSpatiaLite.AuditArchive
