import Foundation
import Hummingbird
import NIOCore
import OneMapAccess
import OneMapStore

/// Self-service sign-in (clause 12: files opened to the people and enterprises they describe).
/// A token from the city's identity provider is exchanged, once, for a session of 30 minutes;
/// the session reads only its holder's own files and files problems on them. The identity
/// number in the token is hashed with the identity key at once and never stored or logged.
struct SelfRoutes: Sendable {
    let store: any IdentityStore
    let governance: Governance
    let selfService: SelfService?

    /// What a signed-in person may open.
    struct Holder: Encodable {
        let session: String?
        let expiresAt: String
        let persons: [String]
        let enterprises: [String]
        let profiles: [String]
    }

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.post("/self/session") { request, context in try await self.signIn(request, context) }
        router.delete("/self/session") { request, context in try await self.signOut(request, context) }
        router.get("/self") { request, context in try await self.me(request, context) }
    }

    private func service() throws -> SelfService {
        guard let selfService else {
            throw APIError(.notFound, "NotFound", "self-service sign-in is not enabled on this server (onemap serve --idp-jwks FILE --identity-key FILE)")
        }
        return selfService
    }

    static func refused(_ reason: String) -> APIError {
        APIError(.unauthorized, "Unauthorized", reason, headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
    }

    func signIn(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        let service = try service()
        guard context.caller.principal == .anonymous else {
            throw APIError(.forbidden, "Forbidden", "sign in without an API key or session: the identity token alone says who signs in")
        }
        let json = try JSONBody.parse(try await JSONBody.read(request, upTo: 64 << 10), hint: "sign-in is {\"token\": \"<the identity provider's JWT>\"}")
        guard let body = json as? [String: Any], let token = body["token"] as? String, !token.isEmpty else {
            throw APIError.badRequest("sign-in is {\"token\": \"<the identity provider's JWT>\"}")
        }
        guard body.keys.allSatisfy({ $0 == "token" }) else {
            throw APIError.badRequest("unknown field(s) \(body.keys.filter { $0 != "token" }.sorted().joined(separator: ", ")); sign-in takes only token")
        }
        let verified: VerifiedIdentity
        do { verified = try await service.provider.verify(token) } catch let e as IdentityTokenRefused {
            governance.audit(request, context, action: "signin", route: "/self/session", outcome: "401 \(e.reason)")
            throw Self.refused(e.reason)
        }
        let store = self.store
        let opened: (token: String, session: SelfSession, links: [IdentityLink])
        do {
            opened = try await blocking { try SelfSessions.open(verified, key: service.identityKey, store: store) }
        } catch let e as IdentityTokenRefused {
            governance.audit(request, context, action: "signin", route: "/self/session", outcome: "401 \(e.reason)")
            throw Self.refused(e.reason)
        } catch let e as StoreError { throw APIError.from(e) }
        // The audit names the session (its prefix) and how many files it opens, never the identity.
        let persons = opened.links.filter { $0.kind == .person }.map(\.entityKey)
        let enterprises = opened.links.filter { $0.kind == .enterprise }.map(\.entityKey)
        try governance.trail.recordNow(AuditRecord(at: AuditTrail.now(), principal: "self/\(opened.session.prefix)", action: "signin",
                                                   endpoint: "POST /self/session", rows: opened.links.count, client: context.clientAddress,
                                                   outcome: "201 session opened (\(persons.count) person, \(enterprises.count) enterprise file(s))"))
        var response = try JSONResponse.encode(Self.holder(session: opened.token, expiresAt: opened.session.expiresAt, persons: persons, enterprises: enterprises),
                                               status: .created)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func signOut(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        _ = try service()
        guard let holder = context.caller.principal.selfHolder, let token = Self.bearer(request) else {
            throw Self.refused("signing out needs the session: Authorization: Bearer os_…")
        }
        let store = self.store
        _ = try await blocking { try store.closeSelfSession(hash: Digest.sha256Hex(token), at: GovernanceRules.timestamp()) }
        governance.authenticator.invalidate()
        governance.audit(request, context, action: "signout", route: "/self/session", outcome: "204 session \(holder.sessionPrefix) closed")
        return Response(status: .noContent)
    }

    func me(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        _ = try service()
        guard let holder = context.caller.principal.selfHolder else {
            throw Self.refused("/self answers a signed-in person: sign in with POST /self/session, then send Authorization: Bearer os_…")
        }
        let store = self.store, hash = Digest.sha256Hex(Self.bearer(request) ?? "")
        let session = try await blocking { try store.selfSession(hash: hash) }
        governance.audit(request, context, route: "/self", rows: holder.persons.count + holder.enterprises.count)
        var response = try JSONResponse.encode(Self.holder(session: nil, expiresAt: session?.expiresAt ?? "", persons: holder.persons.sorted(),
                                                           enterprises: holder.enterprises.sorted()))
        response.headers[.cacheControl] = "private, no-store"
        return response
    }

    static func holder(session: String?, expiresAt: String, persons: [String], enterprises: [String]) -> Holder {
        Holder(session: session, expiresAt: expiresAt, persons: persons, enterprises: enterprises,
               profiles: persons.map { "/profiles/persons/\($0)" } + enterprises.map { "/profiles/enterprises/\($0)" })
    }

    static func bearer(_ request: Request) -> String? {
        guard let auth = request.headers[.authorization] else { return nil }
        let parts = auth.split(separator: " ", maxSplits: 1)
        return parts.count == 2 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : nil
    }
}
