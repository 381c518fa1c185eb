import Foundation
import Logging
import OneMapStore

/// Answers area statistics from the in-memory engine while it holds the store's current data, and
/// from the store (SQL) otherwise: before the first build is done, after a change the engine does
/// not hold yet, or when a build failed. A request never waits for a build and never sees data
/// older than the store's change feed has reported.
public final class StatisticsService: PublishedStatisticsProvider, @unchecked Sendable {
    private let store: any FeatureStore
    private static let logger = Logger(label: "onemap.analytics")
    private let lock = NSCondition()
    private var engine: StatisticsEngine?  // guarded by lock
    /// The newest change the feed reported that alters figures (0: none).
    private var newestChange: Int64 = 0  // guarded by lock
    /// The first day any building stands, read once (and again after a change).
    private var earliestDay: String?  // guarded by lock
    /// Changes up to this number have been looked at (those not altering figures are skipped).
    private var checkedSeq: Int64 = 0  // guarded by lock
    private var building = false  // guarded by lock
    private var lastError: String?  // guarded by lock
    private var builds = 0, updates = 0  // guarded by lock
    private let queue = DispatchQueue(label: "onemap-analytics", qos: .utility)

    /// Layers whose changes alter the figures.
    public static let layers: Set<String> = ["buildings", "admin_areas", "population", "businesses"]

    /// Exact figures from SQL even when the engine could answer (benchmarks' "before").
    private let exactFromSQL: Bool
    /// Seconds a protected question waits for a build in progress before it is refused (503).
    private let protectedWait: Double

    /// Replaces the store's disclosure-control secret (tests that need the same noise on every run).
    private let secret: [UInt8]?

    /// Bytes the engine may hold (the server's `--memory-mb`; nil: no bound). An engine that would
    /// not fit is not built: exact figures come from SQL, protected ones are refused (503).
    private let memoryLimit: Int?
    private var overBudget = false  // guarded by lock

    public init(store: any FeatureStore, exactFromSQL: Bool = false, protectedWait: Double = 30, secret: [UInt8]? = nil,
                memoryLimit: Int? = nil) {
        self.store = store; self.exactFromSQL = exactFromSQL; self.protectedWait = protectedWait; self.secret = secret
        self.memoryLimit = memoryLimit
    }

    /// Starts the first build in the background.
    public func start() { lock.withLock { scheduleLocked() } }

    /// Builds now, on the caller's thread (benchmarks, the CLI, tests).
    @discardableResult
    public func buildNow() throws -> StatisticsEngine {
        let e = try StatisticsEngine.build(from: store, secret: secret)
        lock.withLock { engine = e; builds += 1 }
        return e
    }

    public var answersFromMemory: Bool { !exactFromSQL && current != nil }

    public func ready(for disclosure: StatisticsDisclosure) async throws {
        guard StatisticsProtection(disclosure).any || disclosure.isMixed else { return }
        try await engineReady()
    }

    /// Waits, holding no thread, until an engine holding the newest change is there (analyses and
    /// protected figures only the engine computes).
    public func engineReady() async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(protectedWait * 1000))
        while current == nil {
            let failed = lock.withLock { () -> String? in
                guard !building else { return nil }
                // A failed build is not retried here (each question would start a scan); the next
                // change, or a restart, builds again.
                if let lastError { return lastError }
                scheduleLocked()
                return nil
            }
            if let failed { throw StatisticsUnavailable("protected statistics and analyses (computed in memory) cannot be computed: \(failed)", retryAfterSeconds: 30) }
            guard ContinuousClock.now < deadline else {
                throw StatisticsUnavailable("protected statistics and analyses (computed in memory) are being prepared; retry shortly")
            }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    /// The engine, when it holds every change reported so far.
    public var current: StatisticsEngine? {
        lock.withLock { engine.flatMap { $0.changeSeq >= newestChange ? $0 : nil } }
    }

    public func areaStatistics(_ area: StatisticsArea, on day: String, groupBy: [StatisticsDimension]) throws -> AreaStatistics? {
        if !exactFromSQL, let e = try currentChecked() { return try e.areaStatistics(area, on: day, groupBy: groupBy) }
        return try store.areaStatistics(area, on: day, groupBy: groupBy)
    }

    /// Refuses a day before any data (every figure would be zero for want of records).
    public func checkHasData(on day: String) throws {
        let earliest = try lock.withLock { () throws -> String? in
            if let e = earliestDay { return e }
            earliestDay = try store.earliestRecordDay()
            return earliestDay
        }
        guard let earliest else { throw StoreError("the store holds no buildings yet: there is nothing to count") }
        if day < earliest { throw StoreError("datetime \(day) is before any data: the earliest building record is from \(earliest)") }
    }

    public func publishedStatistics(_ area: StatisticsArea, on day: String, groupBy: [StatisticsDimension],
                                    disclosure: StatisticsDisclosure) throws -> AreaStatistics? {
        try checkHasData(on: day)
        let protection = StatisticsProtection(disclosure)
        var stats = protection.any ? try protectedEngine().areaStatistics(area, on: day, groupBy: groupBy, protection: protection)
            : try areaStatistics(area, on: day, groupBy: groupBy)
        guard disclosure.isMixed, var s = stats else { return stats }
        // People exact by a grant that names only some fields: the figures it does not cover are
        // published as for the public.
        var public_ = protection
        public_.people = true
        guard let p = try protectedEngine().areaStatistics(area, on: day, groupBy: groupBy, protection: public_) else { return stats }
        if disclosure.access(.households) != .exact { s.households = p.households }
        if disclosure.access(.bySex) != .exact { s.bySex = p.bySex }
        if disclosure.access(.byAgeBand) != .exact { s.byAgeBand = p.byAgeBand }
        if disclosure.access(.byRegistration) != .exact { s.byRegistration = p.byRegistration }
        if disclosure.groupAccess(groupBy) != .exact { s.peopleGroups = p.peopleGroups }
        s.protectedCells = p.protectedCells
        stats = s
        return stats
    }

    public func publishedTotals(code: String, on days: [String], disclosure: StatisticsDisclosure) throws -> [AreaTotals?] {
        if let first = days.min() { try checkHasData(on: first) }
        let protection = StatisticsProtection(disclosure)
        let totals = protection.any ? try protectedEngine().areaTotals(code: code, on: days, protection: protection)
            : try areaTotals(code: code, on: days)
        guard disclosure.access(.households) != disclosure.people else { return totals }
        // Households not named by the grant: as for the public.
        var public_ = protection
        public_.people = true
        let households = try protectedEngine().areaTotals(code: code, on: days, protection: public_)
        return zip(totals, households).map { t, h in
            guard var t, let h else { return t }
            t.households = h.households
            return t
        }
    }

    /// Who can reach a layer of facilities (`StatisticsEngine.coverage`): only the engine answers it.
    public func coverage(_ question: CoverageQuestion, protected: Bool) throws -> CoverageResult? {
        try checkHasData(on: question.day)
        return try protectedEngine().coverage(question, protected: protected)
    }

    /// The engine for protected figures, which only it computes: the current one, else the one
    /// being built (waited for, up to `protectedWait`), so that a protected answer is never older
    /// than the store's newest change either.
    private func protectedEngine() throws -> StatisticsEngine {
        if let e = try currentChecked() { return e }
        let deadline = Date().addingTimeInterval(protectedWait)
        lock.lock()
        defer { lock.unlock() }
        // Over the budget: asking again would only count the records again.
        if overBudget, let lastError { throw StatisticsUnavailable("protected statistics and analyses (computed in memory) cannot be computed: \(lastError)", retryAfterSeconds: 30) }
        if engine == nil && !building { scheduleLocked() }
        while true {
            if let e = engine, e.changeSeq >= newestChange { return e }
            if !building, let lastError {
                throw StatisticsUnavailable("protected statistics and analyses (computed in memory) cannot be computed: \(lastError)", retryAfterSeconds: 30)
            }
            guard lock.wait(until: deadline) else {
                throw StatisticsUnavailable("protected statistics and analyses (computed in memory) are being prepared; retry shortly")
            }
        }
    }

    public func areaTotals(code: String, on days: [String]) throws -> [AreaTotals?] {
        if !exactFromSQL, let e = try currentChecked() { return try e.areaTotals(code: code, on: days) }
        return try store.areaTotals(code: code, on: days)
    }

    /// The engine, when it holds every change committed so far: the store's newest change number
    /// is read on every question (one indexed lookup), so a change committed by another process a
    /// moment ago is never missed while the feed has not polled yet.
    private func currentChecked() throws -> StatisticsEngine? {
        guard let e = current else { return nil }
        let newest = try store.lastChangeSeq()
        let known = lock.withLock { max(e.changeSeq, checkedSeq) }
        guard newest > known else { return e }
        var from = known
        while from < newest {
            let batch = try store.changeExtents(after: from)  // in pages
            guard let last = batch.last else { break }
            for change in batch { invalidate(change) }
            from = last.seq
        }
        lock.withLock { checkedSeq = max(checkedSeq, newest) }
        return current
    }

    /// Hears a change from the store's feed: one to a layer that alters figures makes the engine
    /// stale (the store answers) and starts a build that will include it.
    public func invalidate(_ change: ChangeExtent) {
        guard Self.layers.contains(change.layer) else { return }
        lock.withLock {
            earliestDay = nil
            newestChange = max(newestChange, change.seq)
            if let e = engine, e.changeSeq >= change.seq { return }
            scheduleLocked()
        }
    }

    /// Call with the lock held.
    private func scheduleLocked() {
        guard !building else { return }
        building = true
        // The engine held now (stale or not) is the base of an update: only the changed rows are read.
        let base = engine
        queue.async { [self] in
            let result = Self.atLowPriority {
                Result { () throws -> StatisticsEngine in
                    if let base, let next = try base.updated(from: store) {
                        if let memoryLimit { try next.checkBudget(limitBytes: memoryLimit) }
                        return next
                    }
                    if let memoryLimit {
                        try StatisticsEngine.checkBudget(records: try store.estimatedStatisticsRecords(), limitBytes: memoryLimit)
                    }
                    let built = try StatisticsEngine.build(from: store, secret: secret)
                    if let memoryLimit { try built.checkBudget(limitBytes: memoryLimit) }
                    return built
                }
            }
            lock.withLock {
                defer { lock.broadcast() }
                building = false
                switch result {
                case .success(let e):
                    engine = e
                    if e.madeBy == .build { builds += 1 } else { updates += 1 }
                    lastError = nil
                    // A change reported during the build may be missing from it: build again.
                    overBudget = false
                    if e.changeSeq < newestChange { scheduleLocked() }
                case .failure(let error as EngineOverBudget):
                    // Not a fault: this server was given less memory than the engine needs. The
                    // engine held before (if any) goes too, so the budget holds.
                    Self.logger.warning("statistics engine not built: over the memory budget; exact figures come from SQL",
                                        metadata: ["reason": .string(error.description)])
                    engine = nil
                    overBudget = true
                    lastError = error.description
                case .failure(let error):
                    // The cause goes to the log; /health (public) says only its kind.
                    Self.logger.error("statistics engine build failed; the store answers until a later build succeeds",
                                      metadata: ["error": .string("\(error)")])
                    lastError = StoreError.publicSummary(of: error)
                }
            }
        }
    }

    /// Runs `body` at nice 10 on this thread (a rebuild yields the cores to requests), then restores
    /// the thread's priority (the queue's threads serve other work too). On Linux the nice value
    /// belongs to the thread: `setpriority` with who = 0 changes only the calling one.
    private static func atLowPriority<T>(_ body: () -> T) -> T {
        #if os(Linux)
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        let before = getpriority(which, 0)
        guard setpriority(which, 0, max(before, 10)) == 0 else { return body() }  // not permitted: as it is
        defer { _ = setpriority(which, 0, before) }
        #endif
        return body()
    }

    /// The engine's state for /health: "ready" (answering), "building", "stale" (the store answers
    /// until the next build), "failed" (the store answers; the error says why), "overBudget" (not
    /// built: beyond `--memory-mb`; the store answers exact figures).
    public var health: [String: Any] {
        lock.withLock {
            var doc: [String: Any] = ["builds": builds, "updates": updates]
            if let e = engine {
                doc["rowSeq"] = e.rowSeq
                if case .update(let rows, let structure, let seconds) = e.madeBy {
                    doc["lastUpdate"] = ["rows": rows, "buildingsAndAreasRead": structure, "seconds": (seconds * 1000).rounded() / 1000]
                }
                doc["state"] = e.changeSeq >= newestChange ? "ready" : building ? "building" : "stale"
                doc["changeSeq"] = e.changeSeq
                doc["buildSeconds"] = (e.buildSeconds * 1000).rounded() / 1000
                for (k, v) in e.summary { doc[k] = v }
            } else {
                doc["state"] = building ? "building" : overBudget ? "overBudget" : lastError == nil ? "idle" : "failed"
            }
            if let lastError { doc["lastError"] = lastError }
            return doc
        }
    }
}
