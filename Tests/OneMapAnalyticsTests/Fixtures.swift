import Foundation
import OneMapIngest
import OneMapStore
import OneMapSpatiaLite

/// The repository's geodata folder, found from this file's location.
let geodataPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../geodata").standardized.path

/// A small Sanming demo in a temporary file, deleted with the value.
final class DemoFixture: @unchecked Sendable {
    let path: String
    let store: SpatiaLiteStore

    init(scale: Double) throws {
        path = NSTemporaryDirectory() + "onemap-analytics-\(UUID().uuidString).sqlite"
        store = try SpatiaLiteStore(path: path, create: true)
        _ = try SanmingDemo.build(into: store, options: DemoOptions(scale: scale, seed: 350400, geodata: geodataPath))
    }

    deinit {
        for s in ["", "-wal", "-shm"] {
            do { try FileManager.default.removeItem(atPath: path + s) } catch { /* already gone */ }
        }
    }
}

/// One demo shared by the suites (built once: a few seconds).
let sharedDemo: Result<DemoFixture, any Error> = Result { try DemoFixture(scale: 0.05) }
