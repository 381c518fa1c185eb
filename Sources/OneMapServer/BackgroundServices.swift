import Foundation
import Logging
import NIOConcurrencyHelpers
import OneMapAccess
import OneMapTiles
import ServiceLifecycle

/// Whether a background service runs, how many ticks it made and how many failed: for /health
/// and /metrics. A service that has stopped (or never started) while the server answers is a
/// problem an operator must see.
final class ServiceState: Sendable {
    enum Phase: String, Sendable { case starting, running, stopped }
    private let box = NIOLockedValueBox<(phase: Phase, ticks: Int, failures: Int, failing: Bool)>((.starting, 0, 0, false))

    func set(_ phase: Phase) { box.withLockedValue { $0.phase = phase } }
    /// Counts a tick; returns whether this one changed the service between failing and working.
    func tick(failed: Bool) -> Bool {
        box.withLockedValue { s in
            s.ticks += 1
            if failed { s.failures += 1 }
            defer { s.failing = failed }
            return s.failing != failed
        }
    }
    var snapshot: (phase: Phase, ticks: Int, failures: Int, failing: Bool) { box.withLockedValue { $0 } }
    var health: [String: Any] {
        let s = snapshot
        return ["state": s.phase.rawValue, "ticks": s.ticks, "failures": s.failures, "failing": s.failing]
    }
}

/// A loop that does one unit of work every `interval` until the service group shuts down. The
/// work runs on the blocking pool (it reads or writes the store); its failures are logged when
/// they start and when they stop, counted, and retried at the next tick.
protocol TickingService: Service {
    var name: String { get }
    var interval: Duration { get }
    var state: ServiceState { get }
    var logger: Logger { get }
    /// One unit of work (on a blocking thread).
    func tick() throws
    /// After the last tick, before the service reports itself stopped.
    func finish() async
}

extension TickingService {
    func run() async throws {
        state.set(.running)
        logger.debug("service started", metadata: ["service": .string(name)])
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let outcome: Result<Void, any Error>
            do { try await blocking { try tick() }; outcome = .success(()) } catch { outcome = .failure(error) }
            if case .failure(let error) = outcome {
                if state.tick(failed: true) {
                    logger.error("background service failing; retrying every tick", metadata: ["service": .string(name), "error": .string("\(error)")])
                }
            } else if state.tick(failed: false) {
                logger.notice("background service recovered", metadata: ["service": .string(name)])
            }
            do { try await Task.sleep(for: interval) } catch { break }
        }
        await finish()
        state.set(.stopped)
        logger.debug("service stopped", metadata: ["service": .string(name)])
    }
}

/// Follows the store's change feed: caches, snapshots and analytics drop what changed.
struct ChangeFeedService: TickingService {
    let feed: ChangeFeed
    let state = ServiceState()
    let logger: Logger
    var name: String { "changeFeed" }
    var interval: Duration { .milliseconds(200) }

    func tick() throws { try feed.lookOnce() }
    func finish() async {}
}

/// Writes the buffered audit records; at shutdown, after the HTTP server has answered its last
/// request, writes the rest (retrying a few times before giving up with an error in the log).
struct AuditWriterService: TickingService {
    let trail: AuditTrail
    let state = ServiceState()
    let logger: Logger
    var name: String { "auditWriter" }
    var interval: Duration { .milliseconds(Int64(trail.writeInterval * 1000)) }

    func tick() throws { try trail.writeDue() }

    func finish() async {
        for attempt in 1...3 {
            do {
                try await blocking { try trail.flush() }
                return
            } catch {
                logger.error("audit records not written at shutdown", metadata: ["attempt": .stringConvertible(attempt), "error": .string("\(error)")])
                do { try await Task.sleep(for: .seconds(1)) } catch { break }
            }
        }
    }
}

/// Retries failed snapshot builds after their back-off, logs each new failure with its layer,
/// and stops new builds when the server stops.
struct SnapshotBuilderService: TickingService {
    let snapshots: SnapshotRegistry
    let state = ServiceState()
    let logger: Logger
    /// Failures already logged (the registry's running total).
    private let logged = NIOLockedValueBox(0)
    var name: String { "snapshotBuilder" }
    var interval: Duration { .seconds(1) }

    init(snapshots: SnapshotRegistry, logger: Logger) { self.snapshots = snapshots; self.logger = logger }

    /// Fails while some layer's newest build failed, so the service reads as failing.
    func tick() throws {
        let (total, current) = snapshots.failures
        let new = logged.withLockedValue { seen in defer { seen = total }; return total > seen }
        if new {
            for (layer, f) in current.sorted(by: { $0.key < $1.key }) {
                logger.error("tile snapshot build failed; tiles come from the store until a retry succeeds",
                             metadata: ["layer": .string(layer), "attempts": .stringConvertible(f.attempts), "error": .string(f.message)])
            }
        }
        snapshots.retryDue()
        snapshots.enforceBudget()
        if !current.isEmpty { throw SnapshotsFailing(layers: current.keys.sorted()) }
    }

    func finish() async { snapshots.stop() }

    struct SnapshotsFailing: Error, CustomStringConvertible {
        let layers: [String]
        var description: String { "snapshot builds failing for \(layers.joined(separator: ", "))" }
    }
}
