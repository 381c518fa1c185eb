import Foundation
import HTTPTypes
import Hummingbird
import OneMapAccess
import OneMapStore

/// Resolves the caller once per request (API key from `Authorization: Bearer` or `?key=` for map
/// clients that cannot send headers; `?grant=ID`), applies the per-caller rate limit, and adds the
/// security headers. A bad key is refused with 401, never treated as anonymous.
struct AccessMiddleware: RouterMiddleware {
    let authenticator: Authenticator
    let limiter: RateLimiter?
    /// Refusals (401, 403, 429) are audited here, where every one of them passes.
    let trail: AuditTrail

    func handle(_ request: Request, context: OneMapRequestContext,
                next: (Request, OneMapRequestContext) async throws -> Response) async throws -> Response {
        var response: Response
        var principal = "anonymous"
        do {
            var context = context
            context.caller = try await caller(request, client: context.clientAddress)
            principal = context.caller.principal.auditName
            if let limiter {
                if let wait = limiter.admit(RateLimiter.bucket(of: context.caller.principal, client: context.clientAddress)) {
                    ServerMetrics.rateLimitRefusals.increment()
                    throw APIError(.tooManyRequests, "TooManyRequests",
                                   "more than \(limiter.perSecond) requests per second from \(context.caller.principal.department == nil ? "this address" : "this API key"); retry after \(wait) s",
                                   headers: [.retryAfter: String(wait)])
                }
            }
            response = try await next(request, context)
            if context.caller.principal != .anonymous {
                // Made for one caller: no shared cache may keep it for another (a route may let the
                // caller's own browser keep it, marked private).
                Self.markPersonal(&response.headers)
            } else {
                // What anonymous callers get differs from what a key gets at the same URL: a cache
                // (or a client such as QGIS reusing a field list) must not answer one for the other.
                Self.varyByCaller(&response.headers)
            }
        } catch let e as APIError {
            response = try e.response(from: request, context: context)
        }
        if [401, 403, 429].contains(response.status.code) {
            // The path names the layer and tile; the query string (which may hold a key) is left out.
            trail.record(AuditRecord(at: AuditTrail.now(), principal: principal, action: "read",
                                     endpoint: "\(request.method.rawValue) \(request.uri.path.prefix(300))",
                                     client: context.clientAddress, outcome: "\(response.status.code) refused"))
        }
        Self.addSecurityHeaders(&response.headers)
        return response
    }

    static func addSecurityHeaders(_ headers: inout HTTPFields) {
        headers[.xContentTypeOptions] = "nosniff"
        headers[referrerPolicy] = "no-referrer"
        headers[frameOptions] = "SAMEORIGIN"
    }

    /// Made for one caller: no shared cache may keep it for another.
    static func markPersonal(_ headers: inout HTTPFields) {
        if !(headers[.cacheControl]?.hasPrefix("private") ?? false) { headers[.cacheControl] = "private, no-store" }
        varyByCaller(&headers)
    }

    /// Declares that the answer depends on the caller's credentials (once).
    static func varyByCaller(_ headers: inout HTTPFields) {
        let vary = headers[.vary] ?? ""
        guard !vary.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces).lowercased() == "authorization" }) else { return }
        headers[.vary] = vary.isEmpty ? "Authorization" : vary + ", Authorization"
    }

    private static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    private static let frameOptions = HTTPField.Name("X-Frame-Options")!

    private func caller(_ request: Request, client: String?) async throws -> Caller {
        var key: String?
        if let auth = request.headers[.authorization] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw APIError(.unauthorized, "Unauthorized", "the Authorization header must be 'Bearer <API key>'",
                               headers: [.wwwAuthenticate: "Bearer"])
            }
            key = String(parts[1]).trimmingCharacters(in: .whitespaces)
        }
        var grant: Int64?
        for (k, v) in QueryItems.all(request) {
            if k == "key", key == nil { key = v }
            if k == "grant" {
                guard let id = Int64(v), id > 0 else { throw APIError.badRequest("grant '\(v)' is not a grant id (a positive integer)") }
                grant = id
            }
        }
        guard let presented = key else { return Caller(principal: .anonymous, grantID: grant) }
        let authenticator = self.authenticator
        do {
            if let hit = try authenticator.cachedPrincipal(key: presented) { return Caller(principal: hit, grantID: grant) }
            let principal = try await blocking { try authenticator.principal(key: presented) }
            return Caller(principal: principal, grantID: grant)
        } catch let denied as AccessDenied {
            throw APIError(.unauthorized, "Unauthorized", denied.message, headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
        } catch let e as StoreError {
            // The key could not be looked up (the database is away): a 503 with Retry-After like
            // any store failure, not an unmapped error (this middleware sits outside ErrorMiddleware).
            throw APIError.from(e)
        }
    }
}

/// Token buckets per caller: `perSecond` sustained, twice that in a burst.
final class RateLimiter: @unchecked Sendable {
    let perSecond: Int
    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, at: ContinuousClock.Instant)] = [:]  // guarded by lock

    init(perSecond: Int) { self.perSecond = perSecond }

    /// Whose bucket a request draws on: the key's department, or the address of an anonymous caller.
    static func bucket(of principal: Principal, client: String?) -> String {
        principal.department == nil ? "ip:\(client ?? "?")" : principal.auditName
    }

    /// nil when admitted; otherwise the seconds to wait (for Retry-After).
    func admit(_ who: String) -> Int? {
        let now = ContinuousClock.now
        let capacity = Double(perSecond * 2)
        return lock.withLock {
            if buckets.count > 100_000 { buckets.removeAll() }
            var b = buckets[who] ?? (capacity, now)
            let elapsed = Double((now - b.at).components.seconds) + Double((now - b.at).components.attoseconds) / 1e18
            b.tokens = min(capacity, b.tokens + elapsed * Double(perSecond))
            b.at = now
            defer { buckets[who] = b }
            if b.tokens >= 1 { b.tokens -= 1; return nil }
            return max(1, Int(((1 - b.tokens) / Double(perSecond)).rounded(.up)))
        }
    }
}
