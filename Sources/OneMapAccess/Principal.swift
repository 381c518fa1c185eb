import OneMapStore

/// Who is asking: nobody in particular, or a department holding an API key.
public enum Principal: Sendable, Hashable {
    case anonymous
    case department(Department, keyPrefix: String)

    public var department: Department? {
        if case .department(let d, _) = self { return d }
        return nil
    }

    public var isAdministrator: Bool { department?.role == .administrator }

    /// How the audit log names the caller: `anonymous` or `SMGA/om_ab12cd34` (never the key).
    public var auditName: String {
        switch self {
        case .anonymous: "anonymous"
        case .department(let d, let prefix): "\(d.code)/\(prefix)"
        }
    }
}

/// A refusal, with the HTTP status it maps to: 401 (no or bad credentials) or 403 (not entitled).
public struct AccessDenied: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case unauthenticated, forbidden }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) { self.kind = kind; self.message = message }
    public var description: String { message }
}
