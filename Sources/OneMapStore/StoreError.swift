import Foundation

/// A store failure, typed by what the caller can do about it; every backend reports these.
public struct StoreError: Error, CustomStringConvertible {
    /// What went wrong, as the server answers it (one mapping, in OneMapServer's `APIError.from`).
    public enum Kind: String, Sendable {
        /// The request or the data given was wrong (a 400, with `message`).
        case invalid
        /// What was asked for does not exist (a 404).
        case notFound
        /// The request does not fit the current state of what it acts on (a 409), e.g. a step a
        /// problem's life cycle does not have from where it stands.
        case conflict
        /// The read ran past the store's time limit and was stopped: the caller asked too much at once (a 503).
        case timedOut
        /// The database cannot answer now (busy, locked, unreachable, disk full): retry later (a 503).
        case unavailable
        /// A fault of the server or its database (a 500): `message` may hold SQL and is only logged.
        case `internal`
    }

    public let message: String
    public let kind: Kind
    public init(_ message: String, kind: Kind = .invalid) { self.message = message; self.kind = kind }
    public init(_ message: String, timedOut: Bool) { self.init(message, kind: timedOut ? .timedOut : .invalid) }
    public var timedOut: Bool { kind == .timedOut }
    public var description: String { message }
}

extension StoreError {
    /// What a failure may say in public places (`/health` answers anyone): the kind of failure,
    /// never the message of a fault or of a lost connection, which can hold the database's
    /// address, its user or SQL. The full error belongs in the server log.
    public static func publicSummary(of error: any Error) -> String {
        guard let e = error as? StoreError else { return "\(type(of: error)) (the server log has details)" }
        switch e.kind {
        case .invalid, .notFound, .conflict, .timedOut: return e.message
        case .unavailable: return "the database cannot answer now"
        case .internal: return "a fault of the store (the server log has details)"
        }
    }
}
