import OneMapStore

/// API keys: `om_` and 40 hex digits (160 random bits). Stored only as their SHA-256; the prefix
/// (`om_` and 8 digits) names a key in lists and audit records.
public enum APIKeys {
    public struct Issued: Sendable {
        /// Shown once to whoever asked for it, never stored.
        public let key: String
        public let prefix: String
        public let hash: String
    }

    public static func generate() -> Issued {
        let key = "om_" + Digest.sha256Hex(Digest.randomBytes(32)).prefix(40)
        return Issued(key: key, prefix: prefix(of: key), hash: Digest.sha256Hex(key))
    }

    public static func prefix(of key: String) -> String { String(key.prefix(11)) }

    /// The key's form (checked before any lookup, so junk never reaches the store).
    public static func isWellFormed(_ key: String) -> Bool {
        let u = Array(key.utf8)
        guard u.count == 43, key.hasPrefix("om_") else { return false }
        return u[3...].allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// Issues a key for a department and stores its hash.
    public static func issue(for department: String, label: String, expiresAt: String?, in store: any GovernanceStore) throws -> (Issued, APIKeyInfo) {
        let issued = generate()
        let info = try store.addKey(department: department, hash: issued.hash, prefix: issued.prefix, label: label, expiresAt: expiresAt)
        return (issued, info)
    }
}
