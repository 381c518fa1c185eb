import Foundation
import OneMapStore

/// Turns a presented API key into a principal. Lookups are cached for half a second: a tile burst
/// costs one store read, and a revocation (by the CLI, or by another replica on the same
/// database) bites within a second, a request's own time included.
/// Self-service sessions (`os_…`) resolve the same way, to the signed-in person.
public final class Authenticator: @unchecked Sendable {
    private let store: any GovernanceStore
    private let identities: (any IdentityStore)?
    private let lock = NSLock()
    private var cache: [String: (key: APIKeyInfo, department: Department, at: ContinuousClock.Instant)] = [:]  // guarded by lock
    private var sessions: [String: (session: SelfSession, holder: SelfHolder, at: ContinuousClock.Instant)] = [:]  // guarded by lock
    private let ttl: Duration

    public init(store: any GovernanceStore, identities: (any IdentityStore)? = nil, ttl: Duration = .milliseconds(500)) {
        self.store = store; self.identities = identities; self.ttl = ttl
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
        if SelfSessions.isWellFormed(key) { return try resolveSession(key, storeAllowed: storeAllowed) }
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

    private func resolveSession(_ token: String, storeAllowed: Bool) throws -> Principal? {
        guard let identities else { throw AccessDenied(.unauthenticated, "self-service sign-in is not enabled on this server (--idp-jwks)") }
        let hash = Digest.sha256Hex(token)
        let now = ContinuousClock.now
        var found = lock.withLock { sessions[hash].flatMap { now - $0.at < ttl ? ($0.session, $0.holder) : nil } }
        if found == nil {
            guard storeAllowed else { return nil }
            if let session = try identities.selfSession(hash: hash) {
                let links = try identities.identityLinks(hash: session.identityHash)
                let holder = SelfHolder(identityHash: session.identityHash, sessionPrefix: session.prefix,
                                        persons: Set(links.filter { $0.kind == .person }.map(\.entityKey)),
                                        enterprises: Set(links.filter { $0.kind == .enterprise }.map(\.entityKey)))
                found = (session, holder)
                lock.withLock {
                    if sessions.count > 10_000 { sessions.removeAll() }
                    sessions[hash] = (session, holder, now)
                }
            }
        }
        guard let (session, holder) = found else { throw AccessDenied(.unauthenticated, "unknown session \(token.prefix(11))…; sign in again with POST /self/session") }
        if let closed = session.closedAt { throw AccessDenied(.unauthenticated, "session \(session.prefix)… was signed out at \(closed)") }
        if AuditTrail.now() >= session.expiresAt {
            throw AccessDenied(.unauthenticated, "session \(session.prefix)… expired at \(session.expiresAt); sign in again with POST /self/session")
        }
        return .person(holder)
    }

    /// Forgets cached lookups (after a revocation in this process).
    public func invalidate() { lock.withLock { cache.removeAll(); sessions.removeAll() } }
}
