import Foundation
import OneMapStore

/// Self-service identities in a PostgreSQL store: `IdentityLedger`'s SQL in one write transaction each
/// and on the readers.
extension PostgresStore: IdentityStore {
    public func linkIdentities(_ links: IdentityLinks) throws {
        try write { try IdentityLedger.link(PGLedger($0), links) }
    }

    public func identityLinks(hash: String) throws -> [IdentityLink] {
        try readers.with { try IdentityLedger.links(PGLedger($0), hash: hash) }
    }

    public func identityKeyFingerprint() throws -> String? {
        try readers.with { try IdentityLedger.fingerprint(PGLedger($0)) }
    }

    public func useIdentityToken(id: String, expiresAt: String, now: String) throws -> Bool {
        try write { try IdentityLedger.useToken(PGLedger($0), id: id, expiresAt: expiresAt, now: now) }
    }

    public func openSelfSession(_ session: SelfSession) throws {
        try write { try IdentityLedger.open(PGLedger($0), session) }
    }

    public func selfSession(hash: String) throws -> SelfSession? {
        try readers.with { try IdentityLedger.session(PGLedger($0), hash: hash) }
    }

    public func closeSelfSession(hash: String, at: String) throws -> Bool {
        try write { try IdentityLedger.close(PGLedger($0), hash: hash, at: at) }
    }
}
