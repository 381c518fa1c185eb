import OneMapStore

/// Who is asking: nobody in particular, a department holding an API key, or a person signed in
/// through the city's identity provider (self-service: their own files only).
public enum Principal: Sendable, Hashable {
    case anonymous
    case department(Department, keyPrefix: String)
    case person(SelfHolder)

    /// The signed-in person, if the caller is one.
    public var selfHolder: SelfHolder? {
        if case .person(let h) = self { return h }
        return nil
    }

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
        case .person(let h): "self/\(h.sessionPrefix)"
        }
    }
}

/// A signed-in person as the policy sees them: a pseudonym (never the identity number) and the
/// records their identity is linked to.
public struct SelfHolder: Sendable, Hashable {
    /// The keyed hash of their identity number.
    public let identityHash: String
    /// Names the session in the audit log (`self/os_ab12cd34`), as a key prefix names a key.
    public let sessionPrefix: String
    /// Person keys of their own records.
    public let persons: Set<String>
    /// Credit codes of the enterprises they represent.
    public let enterprises: Set<String>

    public init(identityHash: String, sessionPrefix: String, persons: Set<String>, enterprises: Set<String>) {
        self.identityHash = identityHash; self.sessionPrefix = sessionPrefix; self.persons = persons; self.enterprises = enterprises
    }

    /// How problem reports name them: stable across sessions, and not their identity number.
    public var reporterCode: String { "self:" + identityHash.prefix(16) }

    /// Whether `key` of `layer` (a person key of population, a credit code of businesses) is theirs.
    public func owns(_ key: String, layer: String) -> Bool {
        layer == CoreLayers.population.id ? persons.contains(key) : layer == CoreLayers.businesses.id && enterprises.contains(key)
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
