import Foundation
import JWTKit
import OneMapStore

/// Why an identity-provider token was refused; the server answers 401 with the reason.
public struct IdentityTokenRefused: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// What a verified token says: whose identity number it carries, and the token's own id and end
/// (for its single use). The number stays in memory: the caller turns it into a keyed hash.
public struct VerifiedIdentity: Sendable {
    public let number: String
    public let tokenID: String
    public let expiresAt: Date
}

/// The city's identity provider (e三明 real-name + real-person sign-in), as OneMap trusts it:
/// RS256 or ES256 tokens signed by a key of its JWKS, for our audience, unexpired, naming an ID
/// number as subject, each with a `jti` so it can be used once. Signatures are jwt-kit's;
/// OneMap checks the algorithm first (no `none`, no HMAC with a public key) and the claims
/// itself, so each refusal names its reason.
public final class IdentityProvider: Sendable {
    public static let algorithms: Set<String> = ["RS256", "ES256"]
    /// Clock difference tolerated between the provider and this server.
    public static let leeway: TimeInterval = 30
    /// Longest lifetime accepted (`exp - iat`): a sign-in token is short-lived.
    public static let maxLifetime: TimeInterval = 24 * 3600

    private let keys: JWTKeyCollection
    public let audience: String
    public let issuer: String?
    public let keyIDs: [String]

    /// `jwks`: the provider's key set (JSON Web Key Set, RFC 7517), each key with a `kid` and an
    /// `alg` of RS256 or ES256.
    public init(jwks: Data, audience: String, issuer: String?) async throws {
        struct KeySet: Decodable { struct Key: Decodable { let kid: String?; let alg: String?; let kty: String? }; let keys: [Key] }
        let set: KeySet
        do { set = try JSONDecoder().decode(KeySet.self, from: jwks) } catch {
            throw IdentityTokenRefused("the identity provider's key set is not a JWKS ({\"keys\": [...]}): \(error)")
        }
        guard !set.keys.isEmpty else { throw IdentityTokenRefused("the identity provider's key set has no keys") }
        for (i, k) in set.keys.enumerated() {
            guard let kid = k.kid, !kid.isEmpty else { throw IdentityTokenRefused("key \(i + 1) of the identity provider's key set has no kid") }
            guard let alg = k.alg, Self.algorithms.contains(alg) else {
                throw IdentityTokenRefused("key '\(kid)' of the identity provider's key set has alg \(k.alg ?? "none"); only RS256 and ES256 are trusted")
            }
        }
        let keys = JWTKeyCollection()
        do { try await keys.add(jwksJSON: String(decoding: jwks, as: UTF8.self)) } catch {
            throw IdentityTokenRefused("the identity provider's key set could not be loaded: \(error)")
        }
        self.keys = keys; self.audience = audience; self.issuer = issuer; self.keyIDs = set.keys.compactMap(\.kid)
    }

    public static func load(jwksFile path: String, audience: String, issuer: String?) async throws -> IdentityProvider {
        guard let data = FileManager.default.contents(atPath: path) else { throw IdentityTokenRefused("cannot read the JWKS file '\(path)'") }
        return try await IdentityProvider(jwks: data, audience: audience, issuer: issuer)
    }

    struct Claims: JWTPayload {
        var sub: SubjectClaim?
        var aud: AudienceClaim?
        var exp: ExpirationClaim?
        var iat: IssuedAtClaim?
        var nbf: NotBeforeClaim?
        var iss: IssuerClaim?
        var jti: IDClaim?
        // Claims are checked after the signature, by `verify(_:now:)`, each with its own message.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// Verifies `token` as of `now`; an `IdentityTokenRefused` names what is wrong.
    public func verify(_ token: String, now: Date = Date()) async throws -> VerifiedIdentity {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        // The signature may be empty here (alg none): refused below, by its algorithm.
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw IdentityTokenRefused("the identity token is malformed: a JWT is three base64url parts separated by dots")
        }
        struct Header: Decodable { let alg: String?; let kid: String? }
        let header: Header
        do {
            guard let data = Self.base64URL(parts[0]) else { throw IdentityTokenRefused("not base64url") }
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            throw IdentityTokenRefused("the identity token is malformed: its header is not base64url JSON")
        }
        guard let alg = header.alg, Self.algorithms.contains(alg) else {
            throw IdentityTokenRefused("the identity token is signed with alg \(header.alg ?? "(none)"); only RS256 and ES256 are accepted")
        }
        if let kid = header.kid, !keyIDs.contains(kid) {
            throw IdentityTokenRefused("the identity token names key '\(kid)', which is not in the identity provider's key set (\(keyIDs.joined(separator: ", ")))")
        }
        let claims: Claims
        do { claims = try await keys.verify(token, as: Claims.self) } catch let e as JWTError {
            switch e.errorType {
            case .signatureVerificationFailed:
                throw IdentityTokenRefused("the identity token's signature does not verify against the identity provider's keys: forged or altered")
            case .malformedToken:
                throw IdentityTokenRefused("the identity token is malformed: \(e.reason ?? "not a JWT")")
            default:
                throw IdentityTokenRefused("the identity token was not accepted: \(e.reason ?? "\(e.errorType)")")
            }
        } catch {
            throw IdentityTokenRefused("the identity token is malformed: its claims are not the expected JSON (\(error))")
        }
        let stamp = { (d: Date) in ISO8601DateFormatter().string(from: d) }
        guard let exp = claims.exp?.value else { throw IdentityTokenRefused("the identity token has no exp (expiry)") }
        guard exp.addingTimeInterval(Self.leeway) > now else { throw IdentityTokenRefused("the identity token expired at \(stamp(exp))") }
        if let nbf = claims.nbf?.value, nbf.addingTimeInterval(-Self.leeway) > now {
            throw IdentityTokenRefused("the identity token is not valid before \(stamp(nbf))")
        }
        guard let aud = claims.aud?.value, aud.contains(audience) else {
            throw IdentityTokenRefused("the identity token is for audience \(claims.aud.map { $0.value.joined(separator: ", ") } ?? "(none)"), not '\(audience)'")
        }
        if let issuer, claims.iss?.value != issuer {
            throw IdentityTokenRefused("the identity token was issued by \(claims.iss?.value ?? "(no iss)"), not '\(issuer)'")
        }
        guard let iat = claims.iat?.value else { throw IdentityTokenRefused("the identity token has no iat (issued at)") }
        guard iat.addingTimeInterval(-Self.leeway) <= now else { throw IdentityTokenRefused("the identity token is issued in the future (\(stamp(iat)))") }
        guard exp.timeIntervalSince(iat) <= Self.maxLifetime else {
            throw IdentityTokenRefused("the identity token lives \(Int(exp.timeIntervalSince(iat))) s; a sign-in token may live at most \(Int(Self.maxLifetime)) s")
        }
        guard let jti = claims.jti?.value, (1...200).contains(jti.count) else {
            throw IdentityTokenRefused("the identity token has no jti: sign-in tokens are single-use and need an id")
        }
        guard let sub = claims.sub?.value, let number = IdentityNumber.normalized(sub) else {
            throw IdentityTokenRefused("the identity token's subject is not an 18-character ID number (GB 11643)")
        }
        return VerifiedIdentity(number: number, tokenID: jti, expiresAt: exp)
    }

    static func base64URL(_ text: Substring) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}

/// Self-service session tokens: `os_` and 40 hex digits, stored as their hash (like API keys).
public enum SelfSessions {
    /// How long a session lasts after sign-in.
    public static let lifetime: TimeInterval = 30 * 60

    public static func isWellFormed(_ token: String) -> Bool {
        let u = Array(token.utf8)
        guard u.count == 43, token.hasPrefix("os_") else { return false }
        return u[3...].allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// Signs in: `verified` is a token the provider signed; its single use is recorded (a second
    /// use is refused as replayed), then a session is opened for the identity's hash.
    public static func open(_ verified: VerifiedIdentity, key: IdentityKey, store: any IdentityStore,
                            now: Date = Date()) throws -> (token: String, session: SelfSession, links: [IdentityLink]) {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard try store.useIdentityToken(id: Digest.sha256Hex(verified.tokenID), expiresAt: f.string(from: verified.expiresAt.addingTimeInterval(IdentityProvider.leeway)),
                                         now: f.string(from: now)) else {
            throw IdentityTokenRefused("the identity token was already used (replayed): each sign-in token is accepted once; sign in again at the identity provider")
        }
        let identityHash = key.hash(verified.number)
        let token = "os_" + Digest.sha256Hex(Digest.randomBytes(32)).prefix(40)
        let session = SelfSession(hash: Digest.sha256Hex(token), prefix: String(token.prefix(11)), identityHash: identityHash,
                                  openedAt: f.string(from: now), expiresAt: f.string(from: now.addingTimeInterval(lifetime)))
        try store.openSelfSession(session)
        return (token, session, try store.identityLinks(hash: identityHash))
    }
}
