import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Logging
import OneMapAccess
import OneMapIngest
import OneMapServer
import OneMapStore
import OneMapSpatiaLite
import Testing

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

nonisolated(unsafe) var smallDemoPathToRemove: String?

/// A small demo database shared by the suite (removed when the process exits).
let smallDemoPath: Result<String, any Error> = Result {
    let path = NSTemporaryDirectory() + "onemap-server-\(UUID().uuidString).sqlite"
    smallDemoPathToRemove = path
    atexit {
        if let p = smallDemoPathToRemove { for s in ["", "-wal", "-shm"] { unlink(p + s) } }
    }
    let store = try SpatiaLiteStore(path: path, create: true)
    _ = try SanmingDemo.build(into: store, options: DemoOptions(scale: 0.02, geodata: repoRoot + "/geodata"))
    return path
}

/// Starts the real application on a free loopback port, runs `body`, then shuts it down.
func withLiveServer(configure: (inout ServerConfiguration, SpatiaLiteStore) -> Void = { _, _ in },
                    _ body: (String) async throws -> Void) async throws {
    OneMapApplication.startMetrics()
    let store = try SpatiaLiteStore(path: try smallDemoPath.get())
    var config = ServerConfiguration()
    config.port = 0
    configure(&config, store)
    config.stylesDirectory = repoRoot + "/styles"
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let audit = AuditTrail(store: store, ownThread: false)
    defer { try? audit.close() }
    let app = OneMapApplication.build(store: store, configuration: config, audit: audit, logger: logger) { continuation.yield($0) }
    let server = Task { try await app.runService(gracefulShutdownSignals: []) }
    defer { server.cancel() }
    var it = ports.makeAsyncIterator()
    guard let port = await it.next() else { throw CancellationError() }
    try await body("http://127.0.0.1:\(port)")
}

func get(_ url: String) async throws -> (Int, Data, HTTPURLResponse) {
    let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
    let http = response as! HTTPURLResponse
    return (http.statusCode, data, http)
}

@Suite(.serialized) struct LiveServerTests {
    @Test func healthTileJSONAndTilesOverARealSocket() async throws {
        try await withLiveServer { base in
            let (hs, hb, _) = try await get(base + "/health")
            #expect(hs == 200)
            #expect(String(decoding: hb, as: UTF8.self).contains("\"ok\""))
            // The background work runs as services of the application, each reporting its state.
            // (Their tasks may be scheduled after the socket is bound: asked again for a while.)
            var services: [String: [String: Any]] = [:]
            for _ in 0..<100 {
                let (_, body, _) = try await get(base + "/health")
                let health = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
                services = try #require(health["services"] as? [String: [String: Any]])
                if services.values.allSatisfy({ $0["state"] as? String == "running" }) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(Set(services.keys) == ["auditWriter", "changeFeed", "snapshotBuilder", "problemWebhooks"])
            #expect(services.values.allSatisfy { $0["state"] as? String == "running" })

            let (ts, tb, _) = try await get(base + "/tiles/admin_areas,buildings")
            #expect(ts == 200)
            let doc = try #require(try JSONSerialization.jsonObject(with: tb) as? [String: Any])
            #expect(doc["tilejson"] as? String == "3.0.0")
            #expect((doc["tiles"] as? [String])?.first == base + "/tiles/admin_areas,buildings/{z}/{x}/{y}.mvt")

            // 三元区 centre at z14 has buildings; the open ocean at z14 has nothing.
            let (s1, b1, r1) = try await get(base + "/tiles/admin_areas,buildings/14/13545/6952.mvt")
            #expect(s1 == 200 && b1.count > 100)
            #expect(r1.value(forHTTPHeaderField: "Content-Type") == "application/vnd.mapbox-vector-tile")
            let (s2, b2, _) = try await get(base + "/tiles/buildings/14/0/0")
            #expect(s2 == 204 && b2.isEmpty)
        }
    }

    @Test func aRestartedServerAnswersFromTheTileCacheOnDisk() async throws {
        let dir = NSTemporaryDirectory() + "onemap-disk-cache-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let url = "/tiles/admin_areas,buildings/14/13545/6952.mvt"
        var first = Data()
        try await withLiveServer(configure: { c, _ in c.tileCacheDirectory = dir }) { base in
            let (s, b, r) = try await get(base + url)
            #expect(s == 200 && r.value(forHTTPHeaderField: "X-Cache") == "miss")
            first = b
        }
        try await withLiveServer(configure: { c, _ in c.tileCacheDirectory = dir }) { base in
            let (s, b, r) = try await get(base + url)
            #expect(s == 200 && r.value(forHTTPHeaderField: "X-Cache") == "hit" && b == first)
        }
    }

    @Test func badTileRequestsAreClientErrorsWithJSONBodies() async throws {
        try await withLiveServer { base in
            for (path, status) in [("/tiles/buildings/x/0/0", 400), ("/tiles/buildings/30/0/0", 404), ("/tiles/buildings/2/4/0", 404),
                                   ("/tiles/ghost/2/1/1", 404), ("/tiles/ghost", 404), ("/nowhere", 404)] {
                let (s, body, _) = try await get(base + path)
                #expect(s == status, "\(path)")
                let json = try JSONSerialization.jsonObject(with: body) as? [String: String]
                #expect(json?["description"]?.isEmpty == false, "\(path)")
            }
        }
    }

    @Test func aKnownPathAskedWithAnotherMethodIs405NamingTheAllowedOnes() async throws {
        try await withLiveServer { base in
            func send(_ method: String, _ path: String) async throws -> (Int, Data, HTTPURLResponse) {
                var request = URLRequest(url: URL(string: base + path)!)
                request.httpMethod = method
                let (data, response) = try await URLSession.shared.data(for: request)
                let http = response as! HTTPURLResponse
                return (http.statusCode, data, http)
            }
            let (s, body, r) = try await send("DELETE", "/collections")
            #expect(s == 405)
            #expect(r.value(forHTTPHeaderField: "Allow") == "GET, HEAD, OPTIONS")
            let json = try JSONSerialization.jsonObject(with: body) as? [String: String]
            #expect(json?["code"] == "MethodNotAllowed")
            // A path with captures: the feature answers GET, PUT, PATCH and DELETE, not POST.
            let (fs, _, fr) = try await send("POST", "/collections/buildings/items/1")
            #expect(fs == 405)
            let allowed = Set((fr.value(forHTTPHeaderField: "Allow") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(allowed == ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"])
            // OPTIONS names them with 204; an unknown path stays 404.
            let (os, _, or) = try await send("OPTIONS", "/tiles")
            #expect(os == 204 && or.value(forHTTPHeaderField: "Allow") == "GET, HEAD, OPTIONS")
            #expect(try await send("DELETE", "/no/such/path").0 == 404)
        }
    }

    @Test func styleAndViewerAreServed() async throws {
        try await withLiveServer { base in
            let (s, body, _) = try await get(base + "/styles/onemap.json")
            #expect(s == 200)
            #expect(String(decoding: body, as: UTF8.self).contains(base + "/tiles/admin_areas,admin_labels,buildings"))
            // `/` is the OGC API landing page for clients, the viewer for a browser.
            let (vs, vb, _) = try await get(base + "/?f=html")
            #expect(vs == 200 && String(decoding: vb, as: UTF8.self).contains("maplibre-gl.js"))
            let (ls, lb, _) = try await get(base + "/")
            #expect(ls == 200 && String(decoding: lb, as: UTF8.self).contains("\"service-desc\""))
        }
    }

    @Test func callersOverTheRateLimitGet429WithRetryAfter() async throws {
        try await withLiveServer(configure: { config, _ in config.rateLimit = 5 }) { base in
            var statuses: [Int] = []
            var retryAfter: String?
            for _ in 0..<30 {
                let (s, body, r) = try await get(base + "/collections")
                statuses.append(s)
                if s == 429 {
                    retryAfter = r.value(forHTTPHeaderField: "Retry-After")
                    let json = try JSONSerialization.jsonObject(with: body) as? [String: String]
                    #expect(json?["code"] == "TooManyRequests" && json?["description"]?.contains("per second") == true)
                }
            }
            // A burst of twice the rate passes, then the bucket is empty.
            #expect(statuses.prefix(10).allSatisfy { $0 == 200 })
            #expect(statuses.contains(429))
            #expect(Int(retryAfter ?? "") ?? 0 >= 1)
        }
    }

    @Test func aReadPastTheTimeLimitIsA503NamingTheLimit() async throws {
        // Exact statistics (the administrator's) from SQL: the in-memory engine would answer well within any limit.
        nonisolated(unsafe) var key = ""
        try await withLiveServer(configure: { config, store in
            store.readTimeLimit = 0.005; config.analytics = false
            do { key = try APIKeys.issue(for: "SMDSJ", label: "time limit test", expiresAt: nil, in: store).0.key } catch { Issue.record("\(error)") }
        }) { base in
            var request = URLRequest(url: URL(string: base + "/stats?area=350400&groupBy=township")!)
            request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
            let (body, response) = try await URLSession.shared.data(for: request)
            let r = response as! HTTPURLResponse, s = r.statusCode
            #expect(s == 503, "\(String(decoding: body, as: UTF8.self))")
            let json = try JSONSerialization.jsonObject(with: body) as? [String: String]
            #expect(json?["code"] == "QueryTimeout" && json?["description"]?.contains("time limit") == true)
            #expect(r.value(forHTTPHeaderField: "Retry-After") != nil)
            // The server is fine afterwards.
            let (h, _, _) = try await get(base + "/health")
            #expect(h == 200)
        }
    }

    /// The sum of a metric's samples whose labels include all of `labels`, from Prometheus text.
    static func sample(_ text: String, _ name: String, _ labels: [String] = []) -> Double {
        text.split(separator: "\n").filter { line in
            (line.hasPrefix(name + "{") || line.hasPrefix(name + " ")) && labels.allSatisfy { line.contains($0) }
        }.compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }

    @Test func metricsAreTheAdministratorsAndCountRequestsTilesAndTheStore() async throws {
        nonisolated(unsafe) var admin = "", other = ""
        try await withLiveServer(configure: { _, store in
            do {
                admin = try APIKeys.issue(for: "SMDSJ", label: "metrics test", expiresAt: nil, in: store).0.key
                other = try APIKeys.issue(for: "SMGA", label: "metrics test", expiresAt: nil, in: store).0.key
            } catch { Issue.record("\(error)") }
        }) { base in
            func metrics(_ key: String?) async throws -> (Int, String) {
                var request = URLRequest(url: URL(string: base + "/metrics")!)
                if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
                let (body, response) = try await URLSession.shared.data(for: request)
                return ((response as! HTTPURLResponse).statusCode, String(decoding: body, as: UTF8.self))
            }
            #expect(try await metrics(nil).0 == 401)
            #expect(try await metrics(other).0 == 403)
            let (s0, before) = try await metrics(admin)
            #expect(s0 == 200)
            for _ in 0..<3 { _ = try await get(base + "/conformance") }
            // The second read of a tile is a cache hit, answered by the fast path before the router.
            for _ in 0..<2 { _ = try await get(base + "/tiles/admin_areas/8/211/108") }
            _ = try await get(base + "/nowhere")
            let (_, after) = try await metrics(admin)
            let conformance = ["http_route=\"/conformance\"", "http_response_status_code=\"200\""]
            #expect(Self.sample(after, "hb_requests", conformance) - Self.sample(before, "hb_requests", conformance) >= 3)
            let tile = ["http_route=\"/tiles/{layers}/{z}/{x}/{y}\"", "http_response_status_code=\"200\""]
            #expect(Self.sample(after, "hb_requests", tile) - Self.sample(before, "hb_requests", tile) >= 2)
            #expect(Self.sample(after, "http_server_request_duration_count", tile) >= 2)
            #expect(Self.sample(after, "hb_requests", ["http_response_status_code=\"404\""]) >= 1)
            #expect(Self.sample(after, "onemap_tile_cache_hits_total") >= 1)
            #expect(Self.sample(after, "onemap_db_read_count", ["pool=\"readers\""]) > 0)
            for family in ["onemap_audit_backlog", "onemap_pool_waiting", "onemap_tile_cache_bytes", "onemap_analytics_ready"] {
                #expect(after.contains("# TYPE \(family) gauge"), "\(family)")
            }
            #expect(after.contains("onemap_lane_requests{lane=\"export\"}"))
        }
    }
}
