import ArgumentParser
import Foundation
import OneMapAccess
import OneMapGeo
import OneMapStore
import OneMapBackends
import OneMapTiles

/// `onemap seed`: vector tiles of an area and zoom range into an MBTiles archive for departments
/// working offline. The tiles are what the named department (default: the public) may see, the
/// same bytes the server sends it; the seed is audited.
struct SeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed", abstract: "Write the tiles of an area and zoom range into an MBTiles archive (atomic: a temporary file, then renamed).")

    @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"
    @Option(help: "Comma-separated tile layers (default: those the served style draws, labels included).") var layers = "admin_areas,admin_labels,buildings"
    @Option(help: "First zoom.") var minzoom = 0
    @Option(help: "Last zoom.") var maxzoom = 14
    @Option(help: "Administrative code whose box is seeded (default: the layers' extent).") var area: String?
    @Option(help: "Lon/lat box minx,miny,maxx,maxy instead of --area.") var bbox: String?
    @Option(help: "Archive to write: tiles/NAME.mbtiles (MBTiles 1.3) or tiles/NAME.pmtiles (PMTiles v3).") var out: String
    @Option(help: "Seed what this department may see (default: the public view).") var department: String?
    @Option(help: "As-of date (RFC 3339 date or interval), default today.") var datetime: String?
    @Option(help: "Worker threads.") var threads = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard (0...TileCoord.maxZoom).contains(minzoom), (minzoom...TileCoord.maxZoom).contains(maxzoom) else {
            throw ValidationError("zooms must satisfy 0 <= --minzoom <= --maxzoom <= \(TileCoord.maxZoom)")
        }
        guard out.hasSuffix(".mbtiles") || out.hasSuffix(".pmtiles") else {
            throw ValidationError("--out must end in .mbtiles (MBTiles 1.3) or .pmtiles (PMTiles v3)")
        }
        guard area == nil || bbox == nil else { throw ValidationError("give --area or --bbox, not both") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let store = try openStore(db)
        let builder = TileBuilder(store: store)
        let infos: [LayerInfo]
        do { infos = try builder.resolve(layers.split(separator: ",").map(String.init)) } catch { throw ValidationError("\(error)") }
        // The viewer of the package: a department (its grants apply) or the public.
        let principal: Principal
        if let department {
            guard let d = try store.departments().first(where: { $0.code == department }) else {
                throw ValidationError("no department '\(department)'; see `onemap dept list`")
            }
            principal = .department(d, keyPrefix: "cli")
        } else {
            principal = .anonymous
        }
        let policy = AccessPolicy(store: store)
        let views: [LayerView]
        do { views = try infos.map { try policy.view(of: $0, for: principal).view } } catch let e as AccessDenied {
            throw ValidationError("\(department ?? "the public") may not read these layers: \(e.message)")
        }
        let time = try datetime.map { text -> TimeFilter in
            do { return try TimeFilter.parse(text) } catch { throw ValidationError("--datetime: \(error)") }
        } ?? .today()
        let box = try seedBox(store, infos)
        // Every tile meeting the box, zoom by zoom.
        var coords: [TileCoord] = []
        for z in minzoom...maxzoom {
            let a = WebMercatorQuad.tile(lon: box.minX, lat: box.maxY, z: z), b = WebMercatorQuad.tile(lon: box.maxX, lat: box.minY, z: z)
            for x in a.x...b.x { for y in a.y...b.y { coords.append(try TileCoord(z: z, x: x, y: y)) } }
        }
        let all = coords
        guard all.count <= 2_000_000 else { throw ValidationError("\(coords.count) tiles: narrow the area or the zooms") }
        let dir = (out as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let writer = try TileArchive.writer(for: out)
        let lock = NSLock()
        nonisolated(unsafe) var next = 0, done = 0, failure: Error?
        nonisolated(unsafe) var largest = (bytes: 0, coord: "-")
        // Today's tiles come from in-memory snapshots: build them first (same bytes as the store's).
        if time == .today(), let snapshots = builder.snapshots {
            for v in views { _ = try snapshots.ready(v.layer, day: ISODate.string(Date())) }
        }
        let progress = ProgressLine()
        let start = Date()
        nonisolated(unsafe) let archive = writer  // used under `lock` only
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while true {
                let i: Int? = lock.withLock {
                    guard failure == nil, next < all.count else { return nil }
                    defer { next += 1 }
                    return next
                }
                guard let i else { return }
                let c = all[i]
                do {
                    let tile = try builder.tile(views: views, at: c, during: time)
                    try lock.withLock {
                        try archive.add(z: c.z, x: c.x, y: c.y, mvt: tile.bytes)
                        if tile.bytes.count > largest.bytes { largest = (tile.bytes.count, "\(c.z)/\(c.x)/\(c.y)") }
                        done += 1
                        if done % 100 == 0 || done == all.count { progress.update(stage: "seed z\(c.z)", done: done, total: all.count) }
                    }
                } catch {
                    lock.withLock { if failure == nil { failure = error } }
                }
            }
        }
        progress.finish()
        if let failure { throw ValidationError("seeding stopped: \(failure)") }
        try writer.finish(name: (out as NSString).lastPathComponent, description: "OneMap tiles of \(area ?? bbox ?? "the layers' extent"), \(department ?? "public") view", view: department ?? "public",
                          layers: views.map { $0.layer.with(fields: $0.fields) }, bounds: box, minZoom: minzoom, maxZoom: maxzoom)
        try store.appendAudit([AuditRecord(at: AuditTrail.now(), principal: cliPrincipal(), action: "read", endpoint: "onemap seed",
                                           layer: infos.map(\.id).joined(separator: ","), purpose: department.map { "package for \($0)" },
                                           area: area ?? String(format: "bbox %.6f,%.6f,%.6f,%.6f", box.minX, box.minY, box.maxX, box.maxY), datetime: time.end, rows: writer.written,
                                           outcome: "wrote \(out)")])
        print(String(format: "seeded %d tiles (%d non-empty) of %@ z%d-%d into %@ in %.1f s; largest tile %.1f KiB (%@, before gzip)", coords.count, writer.written,
                     infos.map(\.id).joined(separator: ","), minzoom, maxzoom, out, Date().timeIntervalSince(start),
                     Double(largest.bytes) / 1024, largest.coord))
    }

    /// The box to seed: the area's, the given one, or the layers' extent (lon/lat).
    private func seedBox(_ store: any OneMapDatabase, _ infos: [LayerInfo]) throws -> BBox {
        if let bbox {
            let n = bbox.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard n.count == 4, n[0] < n[2], n[1] < n[3], n.allSatisfy(\.isFinite) else {
                throw ValidationError("--bbox '\(bbox)' must be minx,miny,maxx,maxy in longitude/latitude")
            }
            return BBox(minX: n[0], minY: n[1], maxX: n[2], maxY: n[3])
        }
        if let area {
            var box: BBox?
            try store.queryFeatures(FeatureQuery(layer: CoreLayers.adminAreas.id, time: .today(),
                                                 equals: [PropertyEquals(field: "code", value: .string(area))])) { f in
                if let b = f.geometry.bbox { if box == nil { box = b } else { box!.extend(b) } }
            }
            guard let box else { throw ValidationError("no administrative area '\(area)' today") }
            return box
        }
        var box: BBox?
        for l in infos { if let b = try store.extent(layer: l.id) { if box == nil { box = b } else { box!.extend(b) } } }
        guard let box else { throw ValidationError("the layers have no features") }
        return box
    }
}

