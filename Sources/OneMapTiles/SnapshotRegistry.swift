import Foundation
import OneMapStore

/// Keeps one `LayerSnapshot` per tiled layer for today, built in the background the first time a
/// layer is asked for, dropped when the store reports a change to the layer on or before the
/// snapshot's day, replaced at midnight. Until a snapshot is ready, tiles come from the store: a
/// request never waits for a build and never sees data older than the store's change feed.
///
/// With a memory budget (`budget`: the bytes the snapshots may hold together, asked afresh at
/// every build and every `enforceBudget`, since what else the budget covers grows and shrinks),
/// a layer whose snapshot does not fit in what is left is not built, and snapshots are dropped,
/// largest first, when the budget shrinks below what they hold. Such layers are "over budget"
/// for the rest of the day: their tiles come from the store, behind the tile cache.
public final class SnapshotRegistry: @unchecked Sendable {
    private let store: any FeatureStore
    private let budget: (@Sendable () -> Int)?
    /// Layers left to the store today for want of memory, with the budget they did not fit in.
    private var overBudget: [String: (day: String, limit: Int)] = [:]  // guarded by lock
    private let lock = NSLock()
    private var snapshots: [String: LayerSnapshot] = [:]  // guarded by lock
    /// Bumped by every change of a layer: a build that started before a change is thrown away.
    private var generations: [String: Int] = [:]  // guarded by lock
    private var building: Set<String> = []  // guarded by lock
    private let queue = DispatchQueue(label: "onemap-snapshots", qos: .utility)
    /// Builds done (for tests and /health).
    public private(set) var builds = 0
    /// Layers whose last build failed: tiles come from the store meanwhile, and the build is
    /// retried after a back-off (1 s, doubling to 60 s) by `retryDue`, not by every request.
    private var failed: [String: BuildFailure] = [:]  // guarded by lock
    private var totalFailures = 0  // guarded by lock
    private var stopped = false  // guarded by lock

    /// A build that failed: why, how often in a row, and when it may be tried again.
    public struct BuildFailure: Sendable {
        public let layer: LayerInfo
        public let day: String
        /// The full error, for the log.
        public let message: String
        /// What `/health` may show anyone: the kind of failure (`StoreError.publicSummary`).
        public let publicMessage: String
        public let attempts: Int
        public let retryAt: Date
    }

    public init(store: any FeatureStore, budget: (@Sendable () -> Int)? = nil) { self.store = store; self.budget = budget }

    /// The ready snapshot of `layer` for `day`, or nil (then a build is started, unless the layer
    /// is over budget today).
    public func snapshot(for layer: LayerInfo, day: String) -> LayerSnapshot? {
        lock.withLock {
            if let s = snapshots[layer.id], s.day == day, Self.sameFields(s.layer, layer) { return s }
            if overBudget[layer.id]?.day == day { return nil }
            schedule(layer, day: day)
            return nil
        }
    }

    /// Bytes the ready snapshots hold together.
    public var heldBytes: Int { lock.withLock { snapshots.values.reduce(0) { $0 + $1.bytes } } }

    /// Layers whose tiles come from the store today for want of memory (for /health).
    public var layersOverBudget: [String] { lock.withLock { overBudget.keys.sorted() } }

    /// Drops snapshots, largest first, until what is held fits the budget (the snapshot service's
    /// tick: the statistics engine may have grown since the snapshots were built).
    public func enforceBudget() {
        guard let budget else { return }
        let limit = budget()
        lock.withLock {
            var held = snapshots.values.reduce(0) { $0 + $1.bytes }
            for s in snapshots.values.sorted(by: { $0.bytes > $1.bytes }) where held > limit {
                snapshots[s.layer.id] = nil
                overBudget[s.layer.id] = (s.day, limit)
                held -= s.bytes
            }
        }
    }

    /// Starts building today's snapshots of the given layers (a server about to take requests).
    public func prepare(_ layers: [LayerInfo]) {
        let today = ISODate.string(Date())
        for l in layers { _ = snapshot(for: l, day: today) }
    }

    /// The snapshot, built now if needed (seeding and benchmarks, which have no requests to serve meanwhile).
    public func ready(_ layer: LayerInfo, day: String) throws -> LayerSnapshot {
        if let s = lock.withLock({ snapshots[layer.id] }), s.day == day, Self.sameFields(s.layer, layer) { return s }
        let generation = lock.withLock { generations[layer.id, default: 0] }
        let s = try LayerSnapshot.build(layer: layer, day: day, store: store)
        lock.withLock {
            if generations[layer.id, default: 0] == generation { snapshots[layer.id] = s; builds += 1 }
        }
        return s
    }

    /// Drops the snapshot a change can alter.
    public func invalidate(_ change: ChangeExtent) {
        lock.withLock {
            generations[change.layer, default: 0] += 1
            if let s = snapshots[change.layer], change.fromDay.map({ $0 <= s.day }) ?? true { snapshots[change.layer] = nil }
        }
    }

    /// Layers with a snapshot ready (with its feature count) and layers being built (for /health).
    public var status: (ready: [String: Int], building: [String]) {
        lock.withLock { (snapshots.mapValues(\.count), building.sorted()) }
    }

    /// Failed builds so far, and the layers whose newest build failed (for /health and /metrics).
    public var failures: (total: Int, current: [String: BuildFailure]) {
        lock.withLock { (totalFailures, failed) }
    }

    /// Starts again the failed builds whose back-off has passed (the snapshot service's tick).
    public func retryDue(now: Date = Date()) {
        lock.withLock {
            let today = ISODate.string(now)
            for (id, f) in failed where f.day != today { failed[id] = nil }  // a new day: the next request asks afresh
            for (id, o) in overBudget where o.day != today { overBudget[id] = nil }
            for (_, f) in failed where f.retryAt <= now { schedule(f.layer, day: f.day, retrying: true) }
        }
    }

    /// No more builds start (the server is stopping); a build under way finishes.
    public func stop() { lock.withLock { stopped = true } }

    /// Whether a ready snapshot is held for the layer (tests).
    public func holds(_ layer: String) -> Bool { lock.withLock { snapshots[layer] != nil } }

    private static func sameFields(_ a: LayerInfo, _ b: LayerInfo) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.type == $1.type }
    }

    /// Call with the lock held. A layer whose build failed waits for its back-off (`retryDue`).
    private func schedule(_ layer: LayerInfo, day: String, retrying: Bool = false) {
        guard !stopped, !building.contains(layer.id) else { return }
        if let f = failed[layer.id], f.day == day, !retrying { return }
        building.insert(layer.id)
        let generation = generations[layer.id, default: 0]
        queue.async { [self] in
            guard !lock.withLock({ stopped }) else { lock.withLock { _ = building.remove(layer.id) }; return }
            // What the budget leaves besides the other layers' snapshots (builds run one at a time).
            let limit = budget.map { b in b() - lock.withLock { snapshots.values.reduce(0) { $0 + ($1.layer.id == layer.id ? 0 : $1.bytes) } } } ?? .max
            let result = Result { try LayerSnapshot.build(layer: layer, day: day, store: store, byteLimit: max(0, limit)) }
            // A build stopped at the budget freed what it had read: give the pages back, or the
            // resident size keeps them (3.2 GB for a 1.8 GB budget at 20 million buildings).
            if case .failure(let e) = result, e is LayerSnapshot.OverBudget { ProcessMemory.returnFreePages() }
            lock.withLock {
                building.remove(layer.id)
                switch result {
                case .failure(let over as LayerSnapshot.OverBudget):
                    failed[layer.id] = nil
                    snapshots[layer.id] = nil
                    overBudget[layer.id] = (day, over.limit)
                case .success(let built):
                    failed[layer.id] = nil
                    // A change during the build may be missing from it: build again on the next request.
                    if generations[layer.id, default: 0] == generation { snapshots[layer.id] = built; builds += 1 }
                case .failure(let error):
                    let attempts = (failed[layer.id]?.attempts ?? 0) + 1
                    let wait = min(60, pow(2, Double(attempts - 1)))
                    failed[layer.id] = BuildFailure(layer: layer, day: day, message: "\(error)", publicMessage: StoreError.publicSummary(of: error), attempts: attempts, retryAt: Date().addingTimeInterval(wait))
                    totalFailures += 1
                }
            }
        }
    }
}
