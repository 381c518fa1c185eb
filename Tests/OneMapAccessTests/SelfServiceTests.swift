import Foundation
import JWTKit
import OneMapAccess
import OneMapSpatiaLite
import OneMapStore
import Testing

/// Self-service sign-in: identity numbers checked (GB 11643) and only ever hashed with the key;
/// the identity provider's tokens verified (signature, algorithm, expiry, audience, id, subject),
/// each refusal naming its reason; a token taken once; a session resolving to the person and
/// the records their identity is linked to, until it is closed or expires.
@Suite struct SelfServiceTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/test-idp")
    static let number = "11010519491231002X"  // the standard's own worked example

    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim
        var jti: IDClaim?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static func provider() async throws -> IdentityProvider {
        try await IdentityProvider.load(jwksFile: fixtures.appendingPathComponent("jwks.json").path, audience: "onemap", issuer: nil)
    }

    /// A token signed with a fixture key (`test-es256`, `test-rs256` or the forger's, claiming `kid`).
    static func token(_ file: String = "test-es256.private.pem", kid: String = "test-es256", sub: String = number, aud: String = "onemap",
                      issued: Date = Date(), lifetime: TimeInterval = 300, jti: String? = UUID().uuidString) async throws -> String {
        let pem = try String(contentsOf: fixtures.appendingPathComponent(file), encoding: .utf8)
        let keys = JWTKeyCollection()
        if file.contains("rs256") {
            await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: pem), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        } else {
            await keys.add(ecdsa: try ES256PrivateKey(pem: pem), kid: JWKIdentifier(string: kid))
        }
        return try await keys.sign(Claims(sub: .init(value: sub), aud: .init(value: [aud]), exp: .init(value: issued.addingTimeInterval(lifetime)),
                                          iat: .init(value: issued), jti: jti.map { IDClaim(value: $0) }), kid: JWKIdentifier(string: kid))
    }

    static func refusal(_ token: String) async throws -> String {
        let provider = try await provider()
        do { _ = try await provider.verify(token); return "accepted" } catch let e as IdentityTokenRefused { return e.reason }
    }

    @Test func identityNumbersAreCheckedByTheirCheckCharacter() {
        #expect(IdentityNumber.normalized("11010519491231002x") == Self.number)
        #expect(IdentityNumber.normalized("110105194912310021") == nil)
        #expect(IdentityNumber.normalized("1101051949123100") == nil)
        #expect(IdentityNumber.normalized("11010519491231002Y") == nil)
    }

    @Test func theKeyedHashDependsOnTheKeyAndShortKeysAreRefused() throws {
        let a = try IdentityKey(secret: Array(String(repeating: "a", count: 32).utf8))
        let b = try IdentityKey(secret: Array(String(repeating: "b", count: 32).utf8))
        #expect(a.hash(Self.number) == a.hash(Self.number) && a.hash(Self.number) != b.hash(Self.number))
        #expect(a.hash(Self.number) != Digest.sha256Hex(Self.number) && !a.hash(Self.number).contains(Self.number))
        #expect(a.fingerprint != b.fingerprint && a.fingerprint.count == 16)
        #expect(throws: StoreError.self) { try IdentityKey(secret: Array("short".utf8)) }
    }

    @Test func validES256AndRS256TokensYieldTheirSubject() async throws {
        let provider = try await Self.provider()
        for (file, kid) in [("test-es256.private.pem", "test-es256"), ("test-rs256.private.pem", "test-rs256")] {
            let verified = try await provider.verify(try await Self.token(file, kid: kid, jti: "t-\(kid)"))
            #expect(verified.number == Self.number && verified.tokenID == "t-\(kid)")
        }
    }

    @Test func badTokensAreRefusedNamingWhy() async throws {
        let cases: [(String, String)] = [
            (try await Self.token(issued: Date().addingTimeInterval(-3600)), "expired"),
            (try await Self.token("forger-es256.private.pem"), "signature"),
            (try await Self.token(aud: "elsewhere"), "audience"),
            (try await Self.token(jti: nil), "jti"),
            (try await Self.token(sub: "350402"), "subject"),
            (try await Self.token(lifetime: 3 * 86400), "at most"),
            (try await Self.token("forger-es256.private.pem", kid: "mallory"), "not in the identity provider's key set"),
            ("a.b", "malformed"),
        ]
        for (token, words) in cases {
            let reason = try await Self.refusal(token)
            #expect(reason.contains(words), "\(words): \(reason)")
        }
        // An HS256 token keyed with the provider's public key (algorithm confusion) never reaches a verifier.
        let header = Data(#"{"alg":"HS256","kid":"test-es256"}"#.utf8).base64EncodedString()
        #expect(try await Self.refusal(header + ".e30.c2ln").contains("alg HS256"))
    }

    @Test func aTokenOpensOneSessionWhichResolvesToThePersonUntilClosed() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("selfservice-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SpatiaLiteStore(path: dir + "/s.sqlite", create: true)
        let key = try IdentityKey(secret: Array(String(repeating: "k", count: 32).utf8))
        try store.linkIdentities(IdentityLinks(links: [IdentityLink(identityHash: key.hash(Self.number), kind: .person, entityKey: "P-1"),
                                                       IdentityLink(identityHash: key.hash(Self.number), kind: .enterprise, entityKey: "9144030071526726XG")],
                                               keyFingerprint: key.fingerprint))
        let verified = try await Self.provider().verify(try await Self.token())
        let opened = try SelfSessions.open(verified, key: key, store: store)
        #expect(SelfSessions.isWellFormed(opened.token) && opened.links.count == 2)
        #expect(throws: IdentityTokenRefused.self) { try SelfSessions.open(verified, key: key, store: store) }
        let auth = Authenticator(store: store, identities: store, ttl: .zero)
        guard case .person(let holder) = try auth.principal(key: opened.token) else { Issue.record("not a person"); return }
        #expect(holder.persons == ["P-1"] && holder.enterprises == ["9144030071526726XG"])
        #expect(holder.owns("P-1", layer: CoreLayers.population.id) && !holder.owns("P-2", layer: CoreLayers.population.id))
        #expect(holder.owns("9144030071526726XG", layer: CoreLayers.businesses.id) && !holder.owns("P-1", layer: CoreLayers.businesses.id))
        #expect(try auth.principal(key: opened.token).auditName == "self/" + opened.token.prefix(11))
        #expect(try store.closeSelfSession(hash: Digest.sha256Hex(opened.token), at: GovernanceRules.timestamp()))
        let closed = #expect(throws: AccessDenied.self) { try auth.principal(key: opened.token) }
        #expect(closed?.message.contains("signed out") == true)
        // Without self-service configured, a session token is refused, not taken for anonymous.
        #expect(throws: AccessDenied.self) { try Authenticator(store: store).principal(key: opened.token) }
    }
}
