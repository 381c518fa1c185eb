import Foundation

/// A resident identity card number (公民身份号码, GB 11643-1999): 17 digits and a check character
/// (0-9 or X) computed from them. Only ever held in memory on its way to a keyed hash.
public enum IdentityNumber {
    private static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    private static let checks: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    /// The number in its one spelling (upper-case X), or nil when it is not a valid 18-character
    /// number (wrong length, a non-digit, or a check character that does not match).
    public static func normalized(_ text: String) -> String? {
        let c = Array(text.trimmingCharacters(in: .whitespaces).uppercased())
        guard c.count == 18, c.prefix(17).allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        guard c[17] == checkCharacter(String(c.prefix(17))) else { return nil }
        return String(c)
    }

    /// The check character of 17 digits.
    public static func checkCharacter(_ first17: String) -> Character {
        let sum = zip(first17.compactMap(\.wholeNumberValue), weights).reduce(0) { $0 + $1.0 * $1.1 }
        return checks[sum % 11]
    }
}

/// The secret that turns an identity number into the key OneMap stores and looks up: HMAC-SHA-256
/// under a key kept outside the database. A copy of the database alone cannot be searched by
/// identity number (the numbers are few enough to try every one against a plain hash).
public struct IdentityKey: Sendable {
    private let secret: [UInt8]

    public init(secret: [UInt8]) throws {
        guard secret.count >= 32 else { throw StoreError("an identity key needs at least 32 bytes of secret; it has \(secret.count)") }
        self.secret = secret
    }

    /// Reads a key file: its text, trimmed (for example 64 hex digits from `openssl rand -hex 32`).
    public static func load(file path: String) throws -> IdentityKey {
        guard let data = FileManager.default.contents(atPath: path) else { throw StoreError("cannot read the identity key file '\(path)'") }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        do { return try IdentityKey(secret: Array(text.utf8)) } catch let e as StoreError {
            throw StoreError("identity key file '\(path)': \(e.message)")
        }
    }

    /// The stored form of a normalized identity number.
    public func hash(_ number: String) -> String { Digest.hmacSHA256Hex(key: secret, "identity:" + number) }

    /// Names the key without revealing it: links made under one key are useless under another,
    /// so the database remembers which key made them.
    public var fingerprint: String { String(Digest.hmacSHA256Hex(key: secret, "onemap identity key fingerprint").prefix(16)) }
}

/// What an identity is linked to: a person record's key (the person themself) or an enterprise's
/// credit code (its legal representative).
public enum IdentityLinkKind: String, Sendable, Hashable, CaseIterable, Codable {
    case person, enterprise
}

public struct IdentityLink: Sendable, Hashable {
    public let identityHash: String
    public let kind: IdentityLinkKind
    public let entityKey: String

    public init(identityHash: String, kind: IdentityLinkKind, entityKey: String) {
        self.identityHash = identityHash; self.kind = kind; self.entityKey = entityKey
    }
}

/// Links made by one import under one identity key.
public struct IdentityLinks: Sendable {
    public var links: [IdentityLink]
    public let keyFingerprint: String

    public init(links: [IdentityLink], keyFingerprint: String) { self.links = links; self.keyFingerprint = keyFingerprint }
}

/// A signed-in person's session: opened by exchanging an identity-provider token, named by the
/// hash of its bearer secret (as API keys are).
public struct SelfSession: Sendable, Hashable {
    public let hash: String
    public let prefix: String
    public let identityHash: String
    public let openedAt: String
    public let expiresAt: String
    public let closedAt: String?

    public init(hash: String, prefix: String, identityHash: String, openedAt: String, expiresAt: String, closedAt: String? = nil) {
        self.hash = hash; self.prefix = prefix; self.identityHash = identityHash
        self.openedAt = openedAt; self.expiresAt = expiresAt; self.closedAt = closedAt
    }
}

/// Self-service (clause 12: the file opened to the person it describes): identity links, the
/// single use of identity-provider tokens, and sessions. Raw identity numbers never reach it.
public protocol IdentityStore: Sendable {
    /// Adds links in one transaction; refused (conflict) when earlier links were made under
    /// another identity key.
    func linkIdentities(_ links: IdentityLinks) throws
    /// What an identity hash is linked to.
    func identityLinks(hash: String) throws -> [IdentityLink]
    /// The fingerprint of the key the stored links were made with (nil: no links yet).
    func identityKeyFingerprint() throws -> String?
    /// Marks an identity-provider token (by its `jti`) used; false when it was used before.
    /// Marks past their expiry are forgotten (a token past `expiresAt` is refused anyway).
    func useIdentityToken(id: String, expiresAt: String, now: String) throws -> Bool
    func openSelfSession(_ session: SelfSession) throws
    func selfSession(hash: String) throws -> SelfSession?
    /// Ends a session now; false when there was none open.
    func closeSelfSession(hash: String, at: String) throws -> Bool
}

/// Identity links, token uses and sessions in SQL, written once for both backends.
package enum IdentityLedger {
    package static let schema = [
        """
        CREATE TABLE identity_links (identity_hash TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('person','enterprise')),
          entity_key TEXT NOT NULL, PRIMARY KEY (identity_hash, kind, entity_key))
        """,
        "CREATE TABLE identity_key (fingerprint TEXT NOT NULL)",
        "CREATE TABLE identity_token_uses (token_id TEXT PRIMARY KEY, expires_at TEXT NOT NULL)",
        """
        CREATE TABLE self_sessions (hash TEXT PRIMARY KEY, prefix TEXT NOT NULL, identity_hash TEXT NOT NULL,
          opened_at TEXT NOT NULL, expires_at TEXT NOT NULL, closed_at TEXT)
        """,
    ]

    /// Links and the key they were made with travel with the data; token uses and sessions are
    /// the serving database's own.
    package static let copyTables = [
        CopyTable("identity_key", key: "fingerprint", [("fingerprint", .text)]),
        CopyTable("identity_links", key: "identity_hash", [("identity_hash", .text), ("kind", .text), ("entity_key", .text)]),
    ]

    /// The links of records that were written: rows refused by the import link nothing.
    package static func accepted(_ links: IdentityLinks?, records: [KeyedRecord], rejected: [RejectedRow]) -> IdentityLinks? {
        guard var links else { return nil }
        let refused = Set(rejected.map(\.row))
        let keys = Set(records.lazy.filter { !refused.contains($0.row) }.map(\.key))
        links.links = links.links.filter { keys.contains($0.entityKey) }
        return links
    }

    package static func link(_ c: any LedgerConnection, _ links: IdentityLinks) throws {
        guard !links.links.isEmpty else { return }
        if let stored = try fingerprint(c) {
            guard stored == links.keyFingerprint else {
                throw StoreError("the stored identity links were made with another identity key (fingerprint \(stored), this one \(links.keyFingerprint)); use that key",
                                 kind: .conflict)
            }
        } else {
            try c.run("INSERT INTO identity_key(fingerprint) VALUES (?1)", [.text(links.keyFingerprint)])
        }
        for l in links.links {
            try c.run("INSERT INTO identity_links(identity_hash, kind, entity_key) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                      [.text(l.identityHash), .text(l.kind.rawValue), .text(l.entityKey)])
        }
    }

    package static func links(_ c: any LedgerConnection, hash: String) throws -> [IdentityLink] {
        try c.rows("SELECT kind, entity_key FROM identity_links WHERE identity_hash = ?1 ORDER BY kind, entity_key", [.text(hash)]) { r in
            IdentityLink(identityHash: hash, kind: IdentityLinkKind(rawValue: r.text(0) ?? "") ?? .person, entityKey: r.text(1) ?? "")
        }
    }

    package static func fingerprint(_ c: any LedgerConnection) throws -> String? {
        try c.rows("SELECT fingerprint FROM identity_key") { $0.text(0) }.first ?? nil
    }

    package static func useToken(_ c: any LedgerConnection, id: String, expiresAt: String, now: String) throws -> Bool {
        try c.run("DELETE FROM identity_token_uses WHERE expires_at < ?1", [.text(now)])
        // One statement decides, so two replicas given the same token at once cannot both take it.
        let taken = try c.rows("INSERT INTO identity_token_uses(token_id, expires_at) VALUES (?1, ?2) ON CONFLICT (token_id) DO NOTHING RETURNING token_id",
                               [.text(id), .text(expiresAt)]) { $0.text(0) }
        return !taken.isEmpty
    }

    package static func open(_ c: any LedgerConnection, _ s: SelfSession) throws {
        try c.run("DELETE FROM self_sessions WHERE expires_at < ?1", [.text(s.openedAt)])
        try c.run("INSERT INTO self_sessions(hash, prefix, identity_hash, opened_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                  [.text(s.hash), .text(s.prefix), .text(s.identityHash), .text(s.openedAt), .text(s.expiresAt)])
    }

    package static func session(_ c: any LedgerConnection, hash: String) throws -> SelfSession? {
        try c.rows("SELECT prefix, identity_hash, opened_at, expires_at, closed_at FROM self_sessions WHERE hash = ?1", [.text(hash)]) { r in
            SelfSession(hash: hash, prefix: r.text(0) ?? "", identityHash: r.text(1) ?? "", openedAt: r.text(2) ?? "",
                        expiresAt: r.text(3) ?? "", closedAt: r.text(4))
        }.first
    }

    package static func close(_ c: any LedgerConnection, hash: String, at: String) throws -> Bool {
        let open = try c.firstInt("SELECT count(*) FROM self_sessions WHERE hash = ?1 AND closed_at IS NULL", [.text(hash)]) ?? 0
        try c.run("UPDATE self_sessions SET closed_at = ?2 WHERE hash = ?1 AND closed_at IS NULL", [.text(hash), .text(at)])
        return open > 0
    }
}
