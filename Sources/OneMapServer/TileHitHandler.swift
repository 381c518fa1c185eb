import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes
import OneMapAccess
import OneMapStore
import OneMapTiles

/// Answers a tile request that the cache already holds for the caller's view straight from the
/// channel pipeline, before the router: no request task, no middleware chain, no response writer.
/// Map clients ask for tiles in bursts of dozens; on 2 cores the router's per-request cost was
/// three quarters of a cached tile's whole answer.
///
/// It answers only what it can answer exactly as the router would — a plain `GET /tiles/{layers}/
/// {z}/{x}/{y}[.mvt|.pbf]` without a query string or an Origin header, from an anonymous caller or a
/// key the authenticator already holds, within the rate limit, whose view of the tile is cached —
/// with the same headers (`TileAnswer`, security headers, `private` for keys), the same audit record
/// and the same log line. Anything else (a miss, a refusal, an unknown key, CORS) goes on to the
/// router, which makes the errors and the audit records of refusals.
struct TileHits: Sendable {
    let tiles: TileService
    let governance: Governance
    let limiter: RateLimiter?
    /// `--cors-origin`: the same CORS headers as the router's answers (requests with an Origin go there).
    let corsOrigins: [String]
    let logger: Logger
    let metrics: FastPathMetrics

    /// The response for a request head, or nil to let the router answer.
    func answer(_ request: HTTPRequest, client: String?) -> (HTTPResponse, ByteBuffer?)? {
        guard tiles.cache != nil, request.method == .get, let path = request.path, path.hasPrefix("/tiles/"),
              !path.utf8.contains(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "%") }), request.headerFields[.origin] == nil,
              request.headerFields[.connection] == nil else { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0].isEmpty else { return nil }
        let ids = parts[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !ids.isEmpty, ids.allSatisfy({ !$0.isEmpty }),
              let coord = try? TileRoutes.parseCoord(z: String(parts[3]), x: String(parts[4]), y: String(parts[5])) else { return nil }

        var principal = Principal.anonymous
        if let auth = request.headerFields[.authorization] {
            let p = auth.split(separator: " ", maxSplits: 1)
            guard p.count == 2, p[0].lowercased() == "bearer",
                  let known = try? governance.authenticator.cachedPrincipal(key: String(p[1]).trimmingCharacters(in: .whitespaces)) else { return nil }
            principal = known
        }
        if let limiter, limiter.admit(RateLimiter.bucket(of: principal, client: client)) != nil { return nil }
        let time = TimeFilter.today()
        let caller = principal, tiles = self.tiles, governance = self.governance
        guard let decided = memo.views(principal: principal, layers: parts[2], generation: governance.policy.generation, decide: {
            guard let layers = try? tiles.builder.resolve(ids),
                  let (views, grants) = try? governance.views(of: layers, for: Caller(principal: caller, grantID: nil)) else { return nil }
            return (views, grants)
        }), let tile = tiles.cached(views: decided.views, tms: .webMercatorQuad, level: coord.z, row: coord.y, column: coord.x, time: time) else { return nil }
        let grants = decided.grants

        let start = ContinuousClock.now
        let keyed = principal != .anonymous
        let gzip = (request.headerFields[.acceptEncoding] ?? "").contains("gzip")
        var answer: TileAnswer
        if let tags = request.headerFields[.ifNoneMatch] {
            answer = Self.answer(tile, ifNoneMatch: tags, gzip: gzip, keyed: keyed, corsOrigins: corsOrigins)
        } else {
            // The same four header sets over and over: made once per tile.
            answer = tile.fastAnswer(gzip: gzip, keyed: keyed) { Self.answer(tile, ifNoneMatch: nil, gzip: gzip, keyed: keyed, corsOrigins: corsOrigins) }
        }
        answer.headers[.date] = HTTPDate.now()
        answer.headers[.server] = "OneMap"
        governance.trail.record(AuditRecord(
            at: AuditTrail.now(), principal: principal.auditName, action: "read", endpoint: "GET /tiles/{layers}/{z}/{x}/{y}",
            layer: ids.joined(separator: ","), grantID: grants.first?.id,
            purpose: grants.isEmpty ? nil : grants.map(\.purpose).joined(separator: "; "), area: "tile \(coord.z)/\(coord.x)/\(coord.y)",
            rows: tile.features, client: client, outcome: tile.bytes.isEmpty ? "204" : "200"))
        metrics.record(status: answer.status.code, nanoseconds: Int64((ContinuousClock.now - start) / .nanoseconds(1)))
        if logger.logLevel <= .info {
            logger.info("request", metadata: ["method": "GET", "path": .string(path), "status": .stringConvertible(answer.status.code),
                                              "ms": .string(String(format: "%.2f", (ContinuousClock.now - start) / .milliseconds(1)))])
        }
        return (HTTPResponse(status: answer.status, headerFields: answer.headers), answer.body)
    }

    /// The answer the router gives, with the headers its middleware adds.
    static func answer(_ tile: CachedTile, ifNoneMatch: String?, gzip: Bool, keyed: Bool, corsOrigins: [String]) -> TileAnswer {
        var answer = TileAnswer(tile, hit: true, ifNoneMatch: ifNoneMatch, acceptEncoding: gzip ? "gzip" : nil, keyed: keyed)
        if keyed { AccessMiddleware.markPersonal(&answer.headers) }
        AccessMiddleware.addSecurityHeaders(&answer.headers)
        CORSHeaders.add(to: &answer.headers, origin: nil, origins: corsOrigins)
        answer.headers[.contentLength] = String(answer.body?.readableBytes ?? 0)
        return answer
    }

    let memo = ViewMemo()
}

/// The access policy's decision for a caller and a layer list, kept a quarter of a second: a map
/// asks for dozens of tiles of the same layers at once. The policy's own inputs (catalog, grants,
/// keys) are re-read every half second to a second anyway.
///
/// Deciding reads the store (catalog, grants), so it never runs on the event loop that asks: a
/// missing or expired decision is made on the blocking pool while that request goes to the router,
/// and a decision past half its lifetime is renewed there while it is still used. Steady traffic
/// therefore always finds one.
final class ViewMemo: @unchecked Sendable {
    typealias Decision = (views: [LayerView], grants: [ShareApplication])
    private let lock = NSLock()
    private var entries: [String: (at: ContinuousClock.Instant, generation: Int, decision: Decision)] = [:]  // guarded by lock
    private var renewing: Set<String> = []  // guarded by lock
    static let lifetime = Duration.milliseconds(250)

    /// The decision if one is fresh, else nil (and one is made in the background). `generation`:
    /// the policy's (`AccessPolicy.generation`); a decision made in this process (a grant approved
    /// or revoked) changes it, and no memo from before is used again. `decide` returns nil when
    /// the router should answer (an unknown layer, a refusal, a store failure: it says which).
    func views(principal: Principal, layers: Substring, generation: Int,
               decide: @escaping @Sendable () -> Decision?) -> Decision? {
        let key = principal.auditName + "|" + layers
        let now = ContinuousClock.now
        if let hit = lock.withLock({ entries[key] }), hit.generation == generation, now - hit.at < Self.lifetime {
            if now - hit.at > Self.lifetime / 2 { renew(key, generation: generation, decide: decide) }
            return hit.decision
        }
        renew(key, generation: generation, decide: decide)
        return nil
    }

    /// Makes the decision on the blocking pool, once per key at a time.
    private func renew(_ key: String, generation: Int, decide: @escaping @Sendable () -> Decision?) {
        guard lock.withLock({ renewing.insert(key).inserted }) else { return }
        let started = ContinuousClock.now
        Task {
            // A pool that cannot take the work leaves the memo empty: the router answers meanwhile.
            let fresh: Decision?
            do { fresh = try await blocking { decide() } } catch { fresh = nil }
            lock.withLock {
                renewing.remove(key)
                guard let fresh else { return }
                if entries.count > 10_000 { entries.removeAll() }
                entries[key] = (started, generation, fresh)
            }
        }
    }

    /// Whether a fresh decision is held (tests).
    func holds(principal: Principal, layers: Substring) -> Bool {
        lock.withLock { entries[principal.auditName + "|" + layers].map { ContinuousClock.now - $0.at < Self.lifetime } ?? false }
    }
}

/// The channel handler in front of the router (one per connection). Requests it does not answer
/// pass on unchanged. It answers only while no earlier request of the connection is still with the
/// router, so pipelined responses keep their order.
final class TileHitHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let hits: TileHits
    /// Requests passed to the router whose response has not ended yet.
    private var withRouter = 0
    /// The rest of a request answered here (its end part) is not passed on.
    private var answered = false

    init(hits: TileHits) { self.hits = hits }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            if withRouter == 0, let (response, body) = hits.answer(request, client: context.channel.remoteAddress?.ipAddress) {
                answered = true
                context.write(wrapOutboundOut(.head(response)), promise: nil)
                if let body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                return
            }
            withRouter += 1
            context.fireChannelRead(data)
        case .body:
            if !answered { context.fireChannelRead(data) }
        case .end:
            if answered { answered = false } else { context.fireChannelRead(data) }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { withRouter = max(0, withRouter - 1) }
        context.write(data, promise: promise)
    }
}

/// The `Date` header's value (RFC 9110 IMF-fixdate), formatted once per second.
enum HTTPDate {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var last: (second: Int, text: String) = (0, "")  // guarded by lock

    static func now() -> String {
        let second = Int(Date().timeIntervalSince1970)
        if let hit = lock.withLock({ last.second == second ? last.text : nil }) { return hit }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let text = f.string(from: Date(timeIntervalSince1970: Double(second)))
        lock.withLock { last = (second, text) }
        return text
    }
}
