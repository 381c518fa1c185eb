import Foundation

/// Where a OneMap database is, as `--db` names it: a SpatiaLite file path, or a PostgreSQL URL
/// (`postgresql://user@host:port/dbname`). Commands open whichever it is through one factory;
/// nothing above the store asks which.
public enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    case spatialite(path: String)
    case postgres(PostgresLocation)

    /// `text` as given to `--db`. A `postgresql://` or `postgres://` URL is a server; another
    /// `scheme://` is refused; anything else is a file path.
    public init(parsing text: String) throws {
        let lower = text.lowercased()
        if lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://") {
            self = .postgres(try PostgresLocation(url: text))
        } else if let r = text.range(of: "://"), !text[..<r.lowerBound].contains("/") {
            throw StoreError("--db '\(PostgresLocation.redacted(text))': unknown database URL scheme '\(text[..<r.lowerBound])'; give a SpatiaLite file path or a postgresql:// URL")
        } else {
            guard !text.isEmpty else { throw StoreError("--db is empty; give a SpatiaLite file path or a postgresql:// URL") }
            self = .spatialite(path: text)
        }
    }

    /// For messages and logs: never a password.
    public var description: String {
        switch self {
        case .spatialite(let path): path
        case .postgres(let p): p.description
        }
    }
}

/// A PostgreSQL server and database from a `postgresql://` URL. The URL itself goes to the
/// client library (which also reads query parameters such as `sslmode`); the parts are for
/// messages: an unreachable server is named by host and port.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    /// The URL as given (it may hold a password: never print it; see `description`).
    public let url: String
    public let host: String
    public let port: Int
    public let database: String
    public let user: String?

    public init(url: String) throws {
        guard let c = URLComponents(string: url) else {
            throw StoreError("--db '\(Self.redacted(url))' is not a valid PostgreSQL URL (postgresql://user@host:port/dbname)")
        }
        self.url = url
        host = c.host.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding } ?? "localhost"
        port = c.port ?? 5432
        guard (1...65535).contains(port) else { throw StoreError("--db '\(Self.redacted(url))': port \(port) is not 1-65535") }
        let path = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        guard !path.isEmpty, !path.contains("/") else {
            throw StoreError("--db '\(Self.redacted(url))' names no database; write postgresql://user@host:port/dbname")
        }
        database = path.removingPercentEncoding ?? path
        user = c.user.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
    }

    /// `postgresql://user@host:port/dbname`, without password or parameters.
    public var description: String { "postgresql://\(user.map { "\($0)@" } ?? "")\(host):\(port)/\(database)" }

    /// A URL with any password replaced by `***` (for messages about a URL that did not parse).
    public static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
        let userInfo = url[scheme.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
