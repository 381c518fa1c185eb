import ArgumentParser
import Foundation
import OneMapGeo
import OneMapStore
import OneMapBackends
import OneMapTiles

/// Times uncached tile generation in-process (store -> encode, no HTTP): the cost a cache saves.
struct BenchTilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-tiles", abstract: "Time uncached tile generation over a list of z/x/y tiles.")

    @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"
    @Option(help: "File with one z/x/y per line.") var tiles: String
    @Option(help: "Comma-separated layers.") var layers = "admin_areas,buildings"
    @Option(help: "Worker threads.") var threads = 1
    @Option(help: "As-of date or interval (RFC 3339), default today.") var datetime: String?
    @Flag(help: "Read every tile from the store (no in-memory layer snapshots).") var fromStore = false

    func run() throws {
        let store = try openStore(db)
        let builder = TileBuilder(store: store, snapshots: !fromStore)
        let resolved = try builder.resolve(layers.split(separator: ",").map(String.init))
        if let snapshots = builder.snapshots {
            let t0 = Date()
            for l in resolved { _ = try snapshots.ready(l, day: ISODate.string(Date())) }
            print(String(format: "snapshots of %@ built in %.2f s", resolved.map(\.id).joined(separator: ","), Date().timeIntervalSince(t0)))
        }
        let text = try String(contentsOfFile: tiles, encoding: .utf8)
        let coords = try text.split(whereSeparator: \.isNewline).map { line -> TileCoord in
            let p = line.split(separator: "/").compactMap { Int($0) }
            guard p.count == 3 else { throw ValidationError("bad tile line '\(line)'") }
            return try TileCoord(z: p[0], x: p[1], y: p[2])
        }
        let time = try datetime.map { try TimeFilter.parse($0) } ?? .today()
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var ms: [(Int, Double)] = []
            var bytes = 0, empty = 0, largest = 0
        }
        let results = Results()
        let next = NSLock()
        nonisolated(unsafe) var index = 0
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: max(1, threads)) { _ in
            while true {
                let i: Int = next.withLock { defer { index += 1 }; return index }
                guard i < coords.count else { return }
                let t0 = DispatchTime.now().uptimeNanoseconds
                let tile = (try? builder.tile(views: resolved.map(LayerView.full), at: coords[i], during: time).bytes) ?? []
                let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                results.lock.withLock {
                    results.ms.append((coords[i].z, ms)); results.bytes += tile.count
                    if tile.isEmpty { results.empty += 1 }
                    results.largest = max(results.largest, tile.count)
                }
            }
        }
        let wall = Date().timeIntervalSince(start)
        func pct(_ xs: [Double], _ p: Double) -> Double {
            let s = xs.sorted()
            return s.isEmpty ? 0 : s[min(s.count - 1, Int(Double(s.count) * p))]
        }
        let all = results.ms.map(\.1)
        print(String(format: "tiles %d, threads %d: %.0f tiles/s, p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, avg %.1f KiB, max %.1f KiB, empty %d",
                     coords.count, threads, Double(coords.count) / wall, pct(all, 0.5), pct(all, 0.95), pct(all, 0.99),
                     Double(results.bytes) / 1024 / Double(max(1, coords.count)), Double(results.largest) / 1024, results.empty))
        for z in Set(results.ms.map(\.0)).sorted() {
            let zs = results.ms.filter { $0.0 == z }.map(\.1)
            print(String(format: "  z%-2d n=%4d p50 %.2f ms p95 %.2f ms", z, zs.count, pct(zs, 0.5), pct(zs, 0.95)))
        }
    }
}
