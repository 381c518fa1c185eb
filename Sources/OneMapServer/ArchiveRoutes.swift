import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OneMapStore
import OneMapTiles

/// `/archives`: the MBTiles and PMTiles archives found in the tiles folder (`--tiles`, default
/// `tiles/`), each a tile source with TileJSON 3.0.0. A package seeded for a department
/// (`onemap seed --department D`, recorded as `onemap_view`) holds that department's view, so it is
/// served to that department and the administrator only; public packages and archives made by other
/// tools are served to everyone.
struct ArchiveRoutes: Sendable {
    let shelf: ArchiveShelf
    let governance: Governance
    let fallbackBaseURL: String

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/archives") { request, context in
            let base = BaseURL.of(request, fallback: fallbackBaseURL)
            let listed = try await blocking { shelf.all() }.filter { Self.mayRead($0, context.caller) }.sorted { $0.name < $1.name }
            return JSONResponse.make(["archives": listed.map { ["id": $0.name, "format": $0.format.rawValue, "tilejson": "\(base)/archives/\($0.name)"] }])
        }
        router.get("/archives/:name") { request, context in
            let archive = try await self.archive(context)
            let base = BaseURL.of(request, fallback: fallbackBaseURL)
            var doc: [String: Any] = [
                "tilejson": "3.0.0", "name": archive.name, "description": archive.description, "scheme": "xyz",
                "tiles": ["\(base)/archives/\(archive.name)/{z}/{x}/{y}.mvt"],
                "minzoom": archive.minZoom, "maxzoom": archive.maxZoom, "vector_layers": archive.vectorLayers,
            ]
            if let b = archive.bounds { doc["bounds"] = b }
            return JSONResponse.make(doc)
        }
        router.get("/archives/:name/:z/:x/:y") { request, context in
            let archive = try await self.archive(context)
            let coord = try TileRoutes.parseCoord(z: context.parameters.get("z"), x: context.parameters.get("x"), y: context.parameters.get("y"))
            guard QueryItems.of(request).isEmpty else { throw APIError.badRequest("archive tiles take no query parameters") }
            let stored = try await blocking { try archive.tile(z: coord.z, x: coord.x, y: coord.y) }
            governance.audit(request, context, route: "/archives/{name}/{z}/{x}/{y}", layer: "archive:\(archive.name)",
                             area: "tile \(coord.z)/\(coord.x)/\(coord.y)", rows: nil, outcome: stored == nil ? "204" : "200")
            let keyed = archive.department != nil
            var headers: HTTPFields = [.cacheControl: keyed ? "private, no-cache" : "no-cache", .vary: "Accept-Encoding"]
            guard let stored else { return Response(status: .noContent, headers: headers) }
            let etag = TileAnswer.etag(of: stored)
            headers[.eTag] = etag
            if TileAnswer.matches(request.headers[.ifNoneMatch], etag) { return Response(status: .notModified, headers: headers) }
            headers[.contentType] = TileRoutes.mvtType
            let gzipped = stored.count > 2 && stored[0] == 0x1f && stored[1] == 0x8b
            if gzipped, (request.headers[.acceptEncoding] ?? "").contains("gzip") {
                headers[.contentEncoding] = "gzip"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: stored)))
            }
            guard let plain = gzipped ? Gzip.decompress(stored) : stored else {
                throw APIError(.internalServerError, "ArchiveDamaged", "tile \(coord.z)/\(coord.x)/\(coord.y) of archive '\(archive.name)' does not decompress")
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: plain)))
        }
    }

    private func archive(_ context: OneMapRequestContext) async throws -> TileArchiveSource {
        let name = context.parameters.get("name") ?? ""
        let shelf = self.shelf
        guard let a = try await blocking({ shelf.named(name) }) else {
            // Only the archives this caller may read are named (as GET /archives lists them).
            let readable = try await blocking { shelf.all() }.filter { Self.mayRead($0, context.caller) }.map(\.name).sorted()
            throw APIError.notFound("no tile archive '\(name)'; archives: \(readable.joined(separator: ", "))")
        }
        guard Self.mayRead(a, context.caller) else {
            let who = a.department ?? "?"
            if context.caller.principal.department == nil {
                throw APIError(.unauthorized, "Unauthorized", "archive '\(name)' holds the view of department \(who): send its API key",
                               headers: [.wwwAuthenticate: "Bearer"])
            }
            throw APIError(.forbidden, "Forbidden", "archive '\(name)' holds the view of department \(who), not yours")
        }
        return a
    }

    static func mayRead(_ a: TileArchiveSource, _ caller: Caller) -> Bool {
        guard let owner = a.department else { return true }
        return caller.principal.department?.code == owner || caller.principal.isAdministrator
    }
}

/// The archives of the tiles folder, re-read when the folder changes (a new seed is served
/// without a restart; a replaced file is reopened).
final class ArchiveShelf: @unchecked Sendable {
    let directory: String
    private let lock = NSLock()
    private var archives: [String: TileArchiveSource] = [:]  // guarded by lock
    private var seen: [String: Date] = [:]  // file -> modification date; guarded by lock
    private var checkedAt = Date.distantPast  // guarded by lock
    private let onProblem: @Sendable (String) -> Void

    init(directory: String, onProblem: @escaping @Sendable (String) -> Void) {
        self.directory = directory; self.onProblem = onProblem
        refresh(force: true)
    }

    /// Call off the event loop: it may list the folder and open files.
    func all() -> [TileArchiveSource] { refresh(); return lock.withLock { archives.values.sorted { $0.name < $1.name } } }

    func named(_ name: String) -> TileArchiveSource? {
        if let a = lock.withLock({ archives[name] }) { return a }
        refresh()
        return lock.withLock { archives[name] }
    }

    /// Re-reads the folder at most once a second.
    private func refresh(force: Bool = false) {
        let now = Date()
        let due = lock.withLock { () -> Bool in
            guard force || now.timeIntervalSince(checkedAt) >= 1 else { return false }
            checkedAt = now
            return true
        }
        guard due else { return }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".mbtiles") || $0.hasSuffix(".pmtiles") }
        var dates: [String: Date] = [:]
        for f in files {
            let path = (directory as NSString).appendingPathComponent(f)
            dates[f] = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
        }
        guard dates != lock.withLock({ seen }) else { return }
        var fresh: [String: TileArchiveSource] = [:]
        for f in dates.keys.sorted() {
            let name = (f as NSString).deletingPathExtension
            if let old = lock.withLock({ archives[name] }), lock.withLock({ seen[f] }) == dates[f] { fresh[name] = old; continue }
            do { fresh[name] = try TileArchiveSource(path: (directory as NSString).appendingPathComponent(f)) } catch { onProblem("\(error)") }
        }
        lock.withLock { archives = fresh; seen = dates }
    }
}
