import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import OneMapGeo
import OneMapStore
import OneMapTiles

/// `/tiles`: TileJSON 3.0.0 documents and Mapbox Vector Tiles, one layer or several (`a,b`).
struct TileRoutes: Sendable {
    let tiles: TileService
    let governance: Governance
    var builder: TileBuilder { tiles.builder }
    let fallbackBaseURL: String

    static let mvtType = "application/vnd.mapbox-vector-tile"

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/tiles") { request, context in try await self.index(request, context) }
        router.get("/tiles/:layers") { request, context in try await self.tileJSON(request, context) }
        router.get("/tiles/:layers/:z/:x/:y") { request, context in try await self.tile(request, context) }
    }

    /// The requested layer ids, checked for form (existence is checked with the catalog).
    private static func layerIDs(_ context: OneMapRequestContext) throws -> [String] {
        let raw = context.parameters.get("layers") ?? ""
        let ids = raw.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
        guard !ids.isEmpty, ids.allSatisfy({ !$0.isEmpty }) else {
            throw APIError.badRequest("layer list '\(raw)' is empty or has an empty entry")
        }
        return ids
    }

    /// Resolves ids against the catalog; call on a blocking thread.
    private func resolve(_ ids: [String]) throws -> [LayerInfo] {
        do { return try builder.resolve(ids) } catch let e as TileRequestError { throw APIError.notFound(e.description) }
    }

    func index(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let base = BaseURL.of(request, fallback: fallbackBaseURL)
        let caller = context.caller
        let layers = try await blocking { try governance.readable(try builder.tileLayers(), for: caller) }
        return JSONResponse.make(["tilesets": layers.map { ["id": $0.id, "title": $0.title, "tilejson": "\(base)/tiles/\($0.id)"] }])
    }

    func tileJSON(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let ids = try Self.layerIDs(context)
        let datetime = try Self.datetime(request)
        let caller = context.caller
        let (layers, bounds) = try await blocking { () -> ([LayerInfo], BBox?) in
            // Only the fields the caller will find in the tiles are advertised.
            let views = try governance.views(of: try resolve(ids), for: caller).views
            var box: BBox?
            for v in views {
                // Bounds as the caller's view shows the layer (an area-limited grant: within its area).
                if let b = Governance.extent(try builder.store.extent(layer: v.layer.id), in: v) {
                    if box == nil { box = b } else { box!.extend(b) }
                }
            }
            return (views.map { $0.layer.with(fields: $0.fields) }, box)
        }
        // An as-of TileJSON hands out as-of tile URLs, so a client keeps asking for the same day.
        let query = datetime.map { "?datetime=\($0.text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "")" } ?? ""
        governance.audit(request, context, route: "/tiles/{layers}", layer: ids.joined(separator: ","), datetime: datetime?.text, rows: layers.count)
        let doc = TileJSON.document(layers: layers, bounds: bounds, baseURL: BaseURL.of(request, fallback: fallbackBaseURL), query: query)
        return JSONResponse.make(doc)
    }

    func tile(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let coord = try Self.parseCoord(z: context.parameters.get("z"), x: context.parameters.get("x"), y: context.parameters.get("y"))
        let ids = try Self.layerIDs(context)
        let datetime = try Self.datetime(request)
        let time = datetime?.filter ?? .today()
        let caller = context.caller
        let tile: CachedTile, hit: Bool, grants: [ShareApplication]
        // The catalog and the caller's grants are held in memory (re-read at most every half
        // second): deciding needs no thread-pool hop, nor does a cache hit, nor a tile made from
        // today's in-memory layer snapshots (CPU only). Tiles read from the store go to the pool.
        let (views, g) = try governance.views(of: try resolve(ids), for: caller)
        if let cached = tiles.cached(views: views, tms: .webMercatorQuad, level: coord.z, row: coord.y, column: coord.x, time: time) {
            (tile, hit, grants) = (cached, true, g)
        } else if builder.buildsInMemory(views: views, tms: .webMercatorQuad, level: coord.z, during: time) {
            (tile, hit) = try tiles.tile(views: views, tms: .webMercatorQuad, level: coord.z, row: coord.y, column: coord.x, time: time,
                                         memoryChecked: true)
            grants = g
        } else {
            (tile, hit) = try await blocking {
                try tiles.tile(views: views, tms: .webMercatorQuad, level: coord.z, row: coord.y, column: coord.x, time: time,
                               memoryChecked: true)
            }
            grants = g
        }
        governance.audit(request, context, route: "/tiles/{layers}/{z}/{x}/{y}", layer: ids.joined(separator: ","), grants: grants,
                         area: "tile \(coord.z)/\(coord.x)/\(coord.y)", datetime: datetime?.text, rows: tile.features,
                         outcome: tile.bytes.isEmpty ? "204" : "200")
        return TileService.response(tile, hit: hit, request: request, keyed: caller.principal != .anonymous)
    }

    /// The `datetime` query parameter (nil when absent); any other parameter is refused, so a typo
    /// never silently yields today's map.
    static func datetime(_ request: Request) throws -> (text: String, filter: TimeFilter)? {
        var result: (String, TimeFilter)?
        for (key, value) in QueryItems.of(request) {
            guard key == "datetime" else {
                throw APIError.badRequest("unknown query parameter '\(key)'; tiles accept only 'datetime'")
            }
            let text = String(value)
            do { result = (text, try TimeFilter.parse(text)) } catch { throw APIError.badRequest(error.description) }
        }
        return result
    }

    /// Parses z/x/y, where y may end in `.mvt` or `.pbf`; each failure names the bad part.
    static func parseCoord(z: String?, x: String?, y: String?) throws -> TileCoord {
        func int(_ s: String?, _ name: String) throws -> Int {
            guard let s, !s.isEmpty, s.count <= 10, s.allSatisfy(\.isASCII), let v = Int(s) else {
                throw APIError.badRequest("tile \(name) '\(s ?? "")' is not an integer")
            }
            return v
        }
        var yText = y ?? ""
        if let dot = yText.firstIndex(of: ".") {
            let ext = yText[yText.index(after: dot)...]
            guard ext == "mvt" || ext == "pbf" else {
                throw APIError.notFound("tile format '.\(ext)' is not served; use .mvt or .pbf (or none)")
            }
            yText = String(yText[..<dot])
        }
        do {
            return try TileCoord(z: try int(z, "z"), x: try int(x, "x"), y: try int(yText, "y"))
        } catch let e as TileCoordError {
            // A tile outside the pyramid does not exist (404, as OGC API - Tiles answers it).
            throw APIError.notFound("no such tile: \(e.description)")
        }
    }
}

/// Runs blocking store/GEOS work on NIO's thread pool, keeping the event loops and the
/// cooperative pool free.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    BlockingWork.shared.submitted()
    return try await NIOThreadPool.singleton.runIfActive {
        BlockingWork.shared.started()
        defer { BlockingWork.shared.finished() }
        return try body()
    }
}

/// Work handed to the shared thread pool: waiting for a thread, and running (for /metrics; a
/// queue that grows means the pool is the bottleneck).
final class BlockingWork: @unchecked Sendable {
    static let shared = BlockingWork()
    private let lock = NSLock()
    private var waiting = 0, running = 0  // guarded by lock

    func submitted() { lock.withLock { waiting += 1 } }
    func started() { lock.withLock { waiting -= 1; running += 1 } }
    func finished() { lock.withLock { running -= 1 } }
    var state: (waiting: Int, running: Int) { lock.withLock { (waiting, running) } }
}
