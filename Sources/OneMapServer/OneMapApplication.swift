import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OneMapAccess
import OneMapAnalytics
import OneMapStore
import OneMapTiles

/// Builds the whole HTTP application in one place, so the CLI and the tests run the same server.
public enum OneMapApplication {
    /// Puts the Prometheus backend in place. Call it before opening the store: metrics made before
    /// (the store's read timers) would otherwise report nowhere.
    public static func startMetrics() { ServerMetrics.start() }

    public static func buildRouter(store: any FeatureStore & GovernanceStore & ProblemStore & ProfileStore & IdentityStore, configuration: ServerConfiguration,
                                   audit: AuditTrail) -> Router<OneMapRequestContext> {
        assemble(store: store, configuration: configuration, audit: audit, logger: Logger(label: "onemap")).router
    }

    /// The router, and the cache-hit fast path in front of it (nil without a tile cache).
    static func assemble(store: any FeatureStore & GovernanceStore & ProblemStore & ProfileStore & IdentityStore, configuration: ServerConfiguration,
                         audit: AuditTrail, logger: Logger) -> (router: Router<OneMapRequestContext>, hits: TileHits?, routes: RouteTable, services: [any TickingService]) {
        let table = RouteTable()
        let router = RecordingRouter(Router(context: OneMapRequestContext.self), table: table)
        // Outermost: every answer is counted, refusals and errors included (see /metrics).
        ServerMetrics.start()
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: RequestLogMiddleware())
        // Outside the access check: a browser's preflight carries no key.
        if !configuration.corsOrigins.isEmpty {
            router.add(middleware: CORSPolicy(origins: configuration.corsOrigins))
        }
        router.add(middleware: MethodNotAllowedMiddleware(table: table))
        let authenticator = Authenticator(store: store, identities: configuration.selfService == nil ? nil : store)
        let limiter = configuration.rateLimit > 0 ? RateLimiter(perSecond: configuration.rateLimit) : nil
        router.add(middleware: AccessMiddleware(authenticator: authenticator, limiter: limiter, trail: audit))
        router.add(middleware: ErrorMiddleware())
        let governance = Governance(policy: AccessPolicy(store: store), authenticator: authenticator, trail: audit)
        let base = "http://\(configuration.host):\(configuration.port)"
        // Tile caches and layer snapshots are copies of the store: they exist only while the
        // store's change feed can be followed (else they could serve what has changed).
        // Area statistics from memory. A copy of the store, but one that checks the store's newest
        // change on every question (the feed only starts its rebuilds early); protected figures
        // come only from it, exact ones from SQL while it is stale (or always, without analytics).
        let analytics = StatisticsService(store: store, exactFromSQL: !configuration.analytics, memoryLimit: configuration.memoryBudgetBytes)
        // The memory budget: the engine first (when it fits the whole budget; else it is not built),
        // the snapshots get the rest.
        var snapshotBudget: (@Sendable () -> Int)?
        if let total = configuration.memoryBudgetBytes {
            snapshotBudget = { [analytics] in total - (analytics.current?.memoryBytes ?? 0) }
        }
        var builder = TileBuilder(store: store, snapshotBudget: snapshotBudget)
        var cache: TileCache? = configuration.tileCacheBytes > 0 ? TileCache(capacityBytes: configuration.tileCacheBytes) : nil
        var feed: ChangeFeed?
        var disk: PersistentTileStore?
        do {
            let seq = try store.lastChangeSeq()
            if let dir = configuration.tileCacheDirectory, cache != nil {
                disk = try PersistentTileStore(directory: dir, owner: store.identity, storeSeq: seq) { try store.changeExtents(after: $0) }
            }
            feed = try ChangeFeed(store: store, after: seq, sinks: [{ [cache] in cache?.invalidate($0) }, { [disk] in disk?.invalidate($0) },
                                                                    { [snapshots = builder.snapshots] in snapshots?.invalidate($0) },
                                                                    { [analytics] in analytics.invalidate($0) }])
        } catch {
            Logger(label: "onemap").error("tile cache and snapshots off: cannot follow the store's changes", metadata: ["error": .string("\(error)")])
            builder = TileBuilder(store: store, snapshots: false)
            cache = nil
            disk = nil
        }
        if configuration.analytics { analytics.start() }
        let statistics = analytics
        builder.prepare()
        let tiles = TileService(builder: builder, cache: cache, disk: disk, feed: feed)
        let lane = HeavyLane(concurrency: configuration.heavyConcurrency, queueLimit: configuration.heavyQueue)
        let exportLane = HeavyLane(concurrency: configuration.exportConcurrency, queueLimit: configuration.exportQueue)
        TileRoutes(tiles: tiles, governance: governance, fallbackBaseURL: base).register(on: router)
        TilesAPIRoutes(tiles: tiles, governance: governance, fallbackBaseURL: base).register(on: router)
        ChangeRoutes(store: store, governance: governance, fallbackBaseURL: base).register(on: router)
        StatisticsRoutes(store: store, statistics: statistics, governance: governance, lane: lane).register(on: router)
        AreaRoutes(store: store, statistics: statistics, governance: governance, fallbackBaseURL: base).register(on: router)
        let coverage = CoverageRoutes(store: store, analytics: analytics, governance: governance, results: CoverageCache(), fallbackBaseURL: base)
        coverage.register(on: router)
        MapRoutes(store: store, governance: governance, stylesDirectory: configuration.stylesDirectory, lane: lane, coverage: coverage).register(on: router)
        ReportRoutes(store: store, statistics: statistics, governance: governance, lane: lane, stylesDirectory: configuration.stylesDirectory).register(on: router)
        PointRoutes(store: store, governance: governance, fallbackBaseURL: base).register(on: router)
        GovernanceRoutes(store: store, governance: governance).register(on: router)
        FeatureEditRoutes(store: store, governance: governance, tiles: tiles, fallbackBaseURL: base).register(on: router)
        ProblemRoutes(store: store, governance: governance, fallbackBaseURL: base).register(on: router)
        SupplyRoutes(store: store, governance: governance, lane: exportLane).register(on: router)
        ProfileRoutes(store: store, governance: governance, stylesDirectory: configuration.stylesDirectory).register(on: router)
        RelationRoutes(store: store, governance: governance).register(on: router)
        EntityRoutes(store: store, governance: governance).register(on: router)
        SelfRoutes(store: store, governance: governance, selfService: configuration.selfService).register(on: router)
        QGISRoutes(store: store, governance: governance, stylesDirectory: configuration.stylesDirectory, fallbackBaseURL: base).register(on: router)
        let shelf = ArchiveShelf(directory: configuration.tilesDirectory) { [logger] p in
            logger.warning("tile archive skipped", metadata: ["problem": .string(p)])
        }
        ArchiveRoutes(shelf: shelf, governance: governance, fallbackBaseURL: base).register(on: router)
        // Background work runs as services of the application's service group (started with the
        // server, stopped after it): the audit writer first, so it stops last and writes the
        // records of the last requests.
        var services: [any TickingService] = [AuditWriterService(trail: audit, logger: logger)]
        services.append(ProblemWebhookService(delivery: ProblemWebhookDelivery(store: store, governance: governance), logger: logger))
        if let feed { services.append(ChangeFeedService(feed: feed, logger: logger)) }
        if let snapshots = builder.snapshots { services.append(SnapshotBuilderService(snapshots: snapshots, logger: logger)) }
        let serviceStates = services.map { ($0.name, $0.state) }
        let cacheForHealth = cache, snapshotsForHealth = builder.snapshots, diskForHealth = disk, analyticsForHealth = analytics, feedForHealth = feed
        // `/health` is liveness: it answers 200 while the process can serve, and says in its body
        // whether the store is reachable ("degraded" when not). A replica whose database is away
        // cannot be helped by a restart, and nginx should keep it in the pool for what caches can
        // answer. `/ready` is the probe that depends on the store: 503 while it cannot be reached.
        // Both probe the store with a query (the catalog alone may answer from its cache).
        router.get("/ready") { _, _ in
            _ = try await blocking { try store.lastChangeSeq() }
            return JSONResponse.make(["status": "ready"])
        }
        router.get("/health") { _, _ in
            var doc: [String: Any]
            do {
                let layers = try await blocking { _ = try store.lastChangeSeq(); return try store.layers().count }
                doc = ["status": "ok", "layers": layers, "store": ["state": "ok"]]
            } catch {
                // The cause (address, SQL) goes to the log only, as for every store failure.
                logger.warning("health: the store cannot be reached", metadata: ["error": .string(String(describing: error))])
                doc = ["status": "degraded", "store": ["state": "unreachable"]]
            }
            if let snapshots = snapshotsForHealth {
                let (ready, building) = snapshots.status
                let (failures, failing) = snapshots.failures
                var section: [String: Any] = ["ready": ready, "building": building, "failures": failures, "bytes": snapshots.heldBytes,
                                              "overBudget": snapshots.layersOverBudget]
                if let total = configuration.memoryBudgetBytes {
                    section["memoryBudget"] = ["bytes": total, "statisticsEngine": analyticsForHealth.current?.memoryBytes ?? 0]
                }
                if !failing.isEmpty { section["failing"] = failing.mapValues { ["error": $0.publicMessage, "attempts": $0.attempts] } }
                doc["tileSnapshots"] = section
            }
            doc["analytics"] = analyticsForHealth.health
            doc["assets"] = ViewerRoutes.assetHealth(configuration)
            doc["audit"] = audit.health
            if let feed = feedForHealth { doc["changeFeed"] = feed.health }
            doc["services"] = Dictionary(uniqueKeysWithValues: serviceStates.map { ($0.0, $0.1.health) })
            doc["heavyLane"] = lane.status
            doc["exportLane"] = exportLane.status
            if let cache = cacheForHealth {
                var stats: [String: Any] = cache.statistics
                if let disk = diskForHealth {
                    stats["onDisk"] = disk.count
                    if let problem = disk.lastProblem { stats["onDiskProblem"] = problem }
                }
                doc["tileCache"] = stats
            }
            return JSONResponse.make(doc)
        }
        MetricsRoutes(cache: cache, disk: disk, snapshots: builder.snapshots, lanes: [("heavy", lane), ("export", exportLane)], audit: audit,
                      feed: feed, analytics: analytics, services: serviceStates).register(on: router)
        let viewer = ViewerRoutes(configuration: configuration, fallbackBaseURL: base)
        viewer.register(on: router)
        // `/` is the OGC API landing page, or the viewer for a browser.
        FeatureRoutes(store: store, governance: governance, fallbackBaseURL: base, lane: lane, exportLane: exportLane).register(on: router) {
            try viewer.page("index.html", type: "text/html; charset=utf-8")
        }
        let cacheForHits = cache
        return (router.router, cacheForHits == nil ? nil : TileHits(tiles: tiles, governance: governance, limiter: limiter, corsOrigins: configuration.corsOrigins, logger: logger,
                                                                 metrics: FastPathMetrics()), table, services)
    }

    /// The application; `onServerRunning` receives the bound port (useful with port 0 in tests).
    /// `audit` buffers the audit records; close it after the application has stopped.
    public static func build(store: any FeatureStore & GovernanceStore & ProblemStore & ProfileStore & IdentityStore, configuration: ServerConfiguration, audit: AuditTrail, logger: Logger,
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let (router, hits, _, services) = assemble(store: store, configuration: configuration, audit: audit, logger: logger)
        return Application(
            router: HeadAnsweringRouter(inner: router),
            server: .http1(configuration: .init(additionalChannelHandlers: [UnknownMethodHandler()] + (hits.map { [TileHitHandler(hits: $0)] } ?? []))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "OneMap"),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}
