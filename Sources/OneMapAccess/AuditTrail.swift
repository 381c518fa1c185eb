import Foundation
import OneMapStore

/// Appends audit records without making requests wait for a disk write: records are buffered and
/// written in one transaction (one chain extension) every `interval`, or at once when many are
/// waiting. `flush()` writes what is buffered (before reading the log, and at shutdown).
///
/// The trade-off: a crash loses at most `interval` of records of requests that were answered.
public final class AuditTrail: @unchecked Sendable {
    private let store: any GovernanceStore
    private let interval: TimeInterval
    private let lock = NSCondition()
    private var buffer: [AuditRecord] = []  // guarded by lock
    /// Tile reads, folded per caller, layer, grant and minute (`TileReadTally`); guarded by lock.
    private var tileReads = TileReadTally()
    private var stopped = false  // guarded by lock
    /// Serialises flushes (the timer's and explicit ones) so records keep their order in the chain.
    private let flushLock = NSLock()
    private var thread: Thread?
    /// Failed writes (the store refused; the records stay buffered and are retried), and the
    /// newest failure's reason: reported by `health`.
    private(set) var failures = 0  // guarded by flushLock
    private var lastError: String?  // guarded by flushLock

    /// For /health: records waiting to be written, failed writes, the newest failure ("writing"
    /// when the last write worked, "failing" while records pile up unwritten).
    public var health: [String: Any] {
        let buffered = lock.withLock { buffer.count + tileReads.pending }
        return flushLock.withLock {
            var doc: [String: Any] = ["state": lastError == nil ? "writing" : "failing", "buffered": buffered, "failures": failures]
            if let lastError { doc["lastError"] = lastError }
            return doc
        }
    }

    /// Records waiting to be written and failed writes so far (for /metrics).
    public var backlog: (buffered: Int, failures: Int) {
        let buffered = lock.withLock { buffer.count + tileReads.pending }
        return (buffered, flushLock.withLock { failures })
    }

    /// `ownThread`: write every `interval` on a thread of its own. A server passes false and runs
    /// the writer as a service instead (`writeDue()` every `interval`, `flush()` at shutdown).
    public init(store: any GovernanceStore, interval: TimeInterval = 0.2, ownThread: Bool = true) {
        self.store = store; self.interval = interval
        guard ownThread else { return }
        let t = Thread { [weak self] in self?.run() }
        t.name = "onemap-audit"
        thread = t
        t.start()
    }

    /// How often the writer writes.
    public var writeInterval: TimeInterval { interval }

    /// Writes what is due: every buffered record, and the tile reads of minutes that have passed
    /// (the writer's tick). On failure the records stay buffered for the next tick.
    public func writeDue() throws { try write(closingMinutesBefore: Self.now().prefix(16)) }

    public func record(_ r: AuditRecord) {
        lock.lock()
        if !tileReads.add(r) { buffer.append(r) }
        if buffer.count >= 1000 { lock.signal() }
        lock.unlock()
    }

    /// Writes `r` now, after everything recorded before it, and returns its sequence number: for
    /// documents that cite their own audit record (reports).
    public func recordNow(_ r: AuditRecord) throws -> Int64 {
        try flushLock.withLock {
            let batch = take(closingMinutesBefore: nil)
            do {
                let seqs = try store.appendAudit(batch + [r])
                guard let seq = seqs.last else { throw AuditWriteError() }
                lastError = nil
                return seq
            } catch {
                lock.withLock { buffer.insert(contentsOf: batch, at: 0) }
                failures += 1
                lastError = StoreError.publicSummary(of: error)
                throw error
            }
        }
    }

    struct AuditWriteError: Error, CustomStringConvertible {
        var description: String { "the audit record was not written" }
    }

    /// Writes everything recorded so far, tile reads of the current minute included (a later read
    /// in the same minute starts a new record).
    public func flush() throws { try write(closingMinutesBefore: nil) }

    /// The buffered records and the tile-read records of minutes before `minute` (nil: all).
    private func take(closingMinutesBefore minute: Substring?) -> [AuditRecord] {
        lock.withLock {
            let batch = buffer + tileReads.take(before: minute)
            buffer.removeAll(keepingCapacity: true)
            return batch
        }
    }

    private func write(closingMinutesBefore minute: Substring?) throws {
        try flushLock.withLock {
            let batch = take(closingMinutesBefore: minute)
            guard !batch.isEmpty else { return }
            do {
                try store.appendAudit(batch)
                lastError = nil
            } catch {
                // Put them back in front: a later flush retries in order.
                lock.withLock { buffer.insert(contentsOf: batch, at: 0) }
                failures += 1
                lastError = StoreError.publicSummary(of: error)
                throw error
            }
        }
    }

    /// Flushes and stops the background writer.
    public func close() throws {
        lock.withLock { stopped = true; lock.signal() }
        try flush()
    }

    private func run() {
        while true {
            lock.lock()
            if !stopped { _ = lock.wait(until: Date().addingTimeInterval(interval)) }
            let done = stopped
            lock.unlock()
            // A failed write is counted and kept in `health`; its records stay buffered for the next tick.
            // Tile reads are written once their minute has passed (at the end, all of them).
            do { try write(closingMinutesBefore: done ? nil : Self.now().prefix(16)) } catch { if done { return } }
            if done { return }
        }
    }

    /// An ISO timestamp with milliseconds, UTC (`2026-11-29T10:00:00.123Z`), formatted by hand:
    /// every tile request stamps one, and a date formatter per call costs more than the stamp is worth.
    public static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let ms = Int(ts.tv_nsec / 1_000_000)
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(msText)Z"
    }
}
