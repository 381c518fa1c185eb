import Foundation
import OneMapGeo

/// GEOS engines for tile work: each thread borrows one for a tile and gives it back (a GEOS
/// context must not be used by two threads at once).
final class EnginePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [GeometryEngine] = []  // guarded by lock

    func with<T>(_ body: (GeometryEngine) throws -> T) rethrows -> T {
        let engine = lock.withLock { idle.popLast() } ?? GeometryEngine()
        defer { lock.withLock { idle.append(engine) } }
        return try body(engine)
    }
}
