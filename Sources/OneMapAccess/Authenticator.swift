import Foundation
import OneMapStore

/// Turns a presented API key into a principal. Lookups are cached for half a second: a tile burst
/// costs one store read, and a revocation (by the CLI, or by another replica on the same
/// database) bites within a second, a request's own time included.
public final class Authenticator: @unchecked Sendable {
    private let store: any GovernanceStore
    private let lock = NSLock()
    private var cache: [String: (key: APIKeyInfo, department: Department, at: ContinuousClock.Instant)] = [:]  // guarded by lock
    private let ttl: Duration

    public init(store: any GovernanceStore, ttl: Duration = .milliseconds(500)) {
        self.store = store; self.ttl = ttl
    }

    /// nil key: anonymous. A key that is malformed, unknown, revoked or expired is refused (401),
    /// never silently downgraded to anonymous: the caller would not know why data is missing.
    public func principal(key: String?, today: String = ISODate.string(Date())) throws -> Principal {
        try resolve(key, today: today, storeAllowed: true)!
    }

    /// The principal from the cache alone (no store read, so no need to leave the event loop);
    /// nil when the key must be looked up.
    public func cachedPrincipal(key: String, today: String = ISODate.string(Date())) throws -> Principal? {
        try resolve(key, today: today, storeAllowed: false)
    }

    private func resolve(_ key: String?, today: String, storeAllowed: Bool) throws -> Principal? {
        guard let key else { return .anonymous }
        guard APIKeys.isWellFormed(key) else {
            throw AccessDenied(.unauthenticated, "the API key is malformed (keys look like om_ followed by 40 hex digits)")
        }
        let hash = Digest.sha256Hex(key)
        let now = ContinuousClock.now
        var found = lock.withLock { cache[hash].flatMap { now - $0.at < ttl ? ($0.key, $0.department) : nil } }
        if found == nil {
            guard storeAllowed else { return nil }
            found = try store.keyHolder(hash: hash)
            if let (k, d) = found {
                lock.withLock {
                    if cache.count > 10_000 { cache.removeAll() }
                    cache[hash] = (k, d, now)
                }
            }
        }
        guard let (info, department) = found else { throw AccessDenied(.unauthenticated, "unknown API key \(APIKeys.prefix(of: key))…") }
        if let revoked = info.revokedAt {
            throw AccessDenied(.unauthenticated, "API key \(info.prefix)… was revoked at \(revoked)")
        }
        if let expires = info.expiresAt, today >= expires {
            throw AccessDenied(.unauthenticated, "API key \(info.prefix)… expired on \(expires)")
        }
        return .department(department, keyPrefix: info.prefix)
    }

    /// Forgets cached lookups (after a revocation in this process).
    public func invalidate() { lock.withLock { cache.removeAll() } }
}
