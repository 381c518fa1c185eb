import Foundation
import OneMapStore

/// Self-service identities in a SpatiaLite store: `IdentityLedger`'s SQL on the governance writer
/// and on the readers.
extension SpatiaLiteStore: IdentityStore {
    public func linkIdentities(_ links: IdentityLinks) throws {
        try governanceWrite { try IdentityLedger.link(SQLiteLedger($0), links) }
    }

    public func identityLinks(hash: String) throws -> [IdentityLink] {
        try readers.with { try IdentityLedger.links(SQLiteLedger($0), hash: hash) }
    }

    public func identityKeyFingerprint() throws -> String? {
        try readers.with { try IdentityLedger.fingerprint(SQLiteLedger($0)) }
    }

    public func useIdentityToken(id: String, expiresAt: String, now: String) throws -> Bool {
        try governanceWrite { try IdentityLedger.useToken(SQLiteLedger($0), id: id, expiresAt: expiresAt, now: now) }
    }

    public func openSelfSession(_ session: SelfSession) throws {
        try governanceWrite { try IdentityLedger.open(SQLiteLedger($0), session) }
    }

    public func selfSession(hash: String) throws -> SelfSession? {
        try readers.with { try IdentityLedger.session(SQLiteLedger($0), hash: hash) }
    }

    public func closeSelfSession(hash: String, at: String) throws -> Bool {
        try governanceWrite { try IdentityLedger.close(SQLiteLedger($0), hash: hash, at: at) }
    }
}
