import Foundation
import Hummingbird
import OneMapAccess
import OneMapAnalytics
import OneMapTiles

/// `GET /metrics`: Prometheus text for the administrator (the data center's key), and nobody
/// else: route names, volumes and cache states say what departments are doing.
struct MetricsRoutes: Sendable {
    let cache: TileCache?
    let disk: PersistentTileStore?
    let snapshots: SnapshotRegistry?
    let lanes: [(name: String, lane: HeavyLane)]
    let audit: AuditTrail
    let feed: ChangeFeed?
    let analytics: StatisticsService
    let services: [(name: String, state: ServiceState)]

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        ServerMetrics.start()
        router.get("/metrics") { request, context in
            guard let d = context.caller.principal.department else {
                throw APIError(.unauthorized, "Unauthorized", "metrics are read with the administrator's API key (Authorization: Bearer om_…)",
                               headers: [.wwwAuthenticate: "Bearer"])
            }
            guard d.role == .administrator else {
                throw APIError(.forbidden, "Forbidden", "metrics are read by the administrator (the data center), not by \(d.code)")
            }
            let text = ServerMetrics.registry.emitToString() + snapshot().text
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// The components' state now.
    func snapshot() -> MetricsSnapshot {
        var m = MetricsSnapshot()
        if let cache {
            let s = cache.statistics
            m.counter("onemap_tile_cache_hits_total", "Tiles answered from the memory cache.", [([], Double(s["hits"] ?? 0))])
            m.counter("onemap_tile_cache_misses_total", "Tiles not in the memory cache (made or read from disk).", [([], Double(s["misses"] ?? 0))])
            m.counter("onemap_tile_cache_dropped_total", "Tiles dropped from the memory cache (evicted or invalidated).", [([], Double(s["dropped"] ?? 0))])
            m.gauge("onemap_tile_cache_bytes", "Bytes held by the memory tile cache.", [([], Double(s["bytes"] ?? 0))])
            m.gauge("onemap_tile_cache_capacity_bytes", "The memory tile cache's budget.", [([], Double(s["capacity"] ?? 0))])
            m.gauge("onemap_tile_cache_tiles", "Tiles held by the memory tile cache.", [([], Double(s["tiles"] ?? 0))])
        }
        if let disk {
            m.gauge("onemap_tile_cache_disk_tiles", "Tiles held by the tile cache on disk.", [([], Double(disk.count))])
            m.gauge("onemap_tile_cache_disk_problem", "1 while the disk cache reports a problem (see /health).", [([], disk.lastProblem == nil ? 0 : 1)])
        }
        if let snapshots {
            let (ready, building) = snapshots.status
            m.gauge("onemap_tile_snapshot_features", "Features in each layer's ready in-memory tile snapshot.",
                    ready.sorted { $0.key < $1.key }.map { ([("layer", $0.key)], Double($0.value)) })
            m.gauge("onemap_tile_snapshots_building", "Tile snapshots being built.", [([], Double(building.count))])
            let (failures, failing) = snapshots.failures
            m.counter("onemap_tile_snapshot_build_failures_total", "Tile snapshot builds that failed (retried after a back-off).", [([], Double(failures))])
            m.gauge("onemap_tile_snapshots_failing", "Layers whose newest snapshot build failed.", [([], Double(failing.count))])
        }
        let states = services.map { ($0.name, $0.state.snapshot) }
        m.gauge("onemap_service_running", "1 while the background service runs (change feed, audit writer, snapshot builder).",
                states.map { ([("service", $0.0)], $0.1.phase == .running ? 1 : 0) })
        m.gauge("onemap_service_failing", "1 while the background service's newest tick failed.", states.map { ([("service", $0.0)], $0.1.failing ? 1 : 0) })
        m.counter("onemap_service_tick_failures_total", "Failed ticks of each background service (each retried at the next tick).",
                  states.map { ([("service", $0.0)], Double($0.1.failures)) })
        let work = BlockingWork.shared.state
        m.gauge("onemap_pool_waiting", "Blocking work (store reads, tile making) waiting for a thread of the shared pool.", [([], Double(work.waiting))])
        m.gauge("onemap_pool_running", "Blocking work running on the shared pool.", [([], Double(work.running))])
        m.gauge("onemap_lane_requests", "Long requests in a lane, running or waiting.",
                lanes.map { ([("lane", $0.name)], Double($0.lane.status["inLane"] ?? 0)) })
        m.gauge("onemap_lane_concurrency", "Long requests a lane runs at once.",
                lanes.map { ([("lane", $0.name)], Double($0.lane.status["concurrency"] ?? 0)) })
        m.counter("onemap_lane_refusals_total", "Long requests refused with 503 Busy.",
                  lanes.map { ([("lane", $0.name)], Double($0.lane.status["refused"] ?? 0)) })
        let backlog = audit.backlog
        m.gauge("onemap_audit_backlog", "Audit records waiting to be written.", [([], Double(backlog.buffered))])
        m.counter("onemap_audit_write_failures_total", "Audit writes the store refused (the records stay buffered and are retried).", [([], Double(backlog.failures))])
        if let feed {
            let p = feed.progress
            m.gauge("onemap_change_feed_seq", "The newest store change the caches have applied.", [([], Double(p.lastSeq))])
            m.counter("onemap_change_feed_failures_total", "Failed looks at the store's changes.", [([], Double(p.failures))])
            m.gauge("onemap_change_feed_failing", "1 while the change feed cannot read the store.", [([], p.failing ? 1 : 0)])
        }
        let a = analytics.health
        m.gauge("onemap_analytics_ready", "1 when the statistics engine is current.", [([], (a["state"] as? String) == "ready" ? 1 : 0)])
        m.counter("onemap_analytics_builds_total", "Full builds of the statistics engine.", [([], Double(a["builds"] as? Int ?? 0))])
        m.counter("onemap_analytics_updates_total", "Incremental updates of the statistics engine.", [([], Double(a["updates"] as? Int ?? 0))])
        return m
    }
}
