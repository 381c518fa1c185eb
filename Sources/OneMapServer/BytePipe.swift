import Foundation
import NIOCore

/// Bytes handed from a blocking producer (an export on a lane thread) to the async writer of a
/// response body, with backpressure both ways: the producer blocks while `capacity` bytes wait
/// unread, and the writer suspends while nothing is ready. When the client goes (the writer
/// fails), `cancel` makes the producer's next `send` throw, so the store read stops; a producer
/// left waiting longer than `stallSeconds` (a client that stopped reading) gives up the same way.
final class BytePipe: @unchecked Sendable {
    /// The consumer is gone or stalled; the producer should stop.
    struct Cancelled: Error, CustomStringConvertible {
        let reason: String
        var description: String { "stream cancelled: \(reason)" }
    }

    private let condition = NSCondition()
    private var pieces: [[UInt8]] = []  // guarded by condition
    private var queued = 0  // guarded by condition
    private var ended = false  // guarded by condition
    private var failure: Error?  // guarded by condition
    private var cancelled: String?  // guarded by condition
    private var waiter: CheckedContinuation<Void, Never>?  // guarded by condition
    let capacity: Int
    let stallSeconds: Double

    init(capacity: Int = 1 << 20, stallSeconds: Double = 60) {
        self.capacity = capacity
        self.stallSeconds = stallSeconds
    }

    // MARK: producer (blocking)

    func send(_ piece: [UInt8]) throws {
        guard !piece.isEmpty else { return }
        condition.lock()
        let deadline = Date(timeIntervalSinceNow: stallSeconds)
        while queued >= capacity && cancelled == nil {
            if !condition.wait(until: deadline) && queued >= capacity {
                cancelled = "the client read nothing for \(Int(stallSeconds)) s"
            }
        }
        if let reason = cancelled {
            condition.unlock()
            throw Cancelled(reason: reason)
        }
        pieces.append(piece)
        queued += piece.count
        let w = waiter
        waiter = nil
        condition.unlock()
        w?.resume()
    }

    /// No more pieces: the stream ends well.
    func finish() { close(nil) }

    /// The stream ends with an error (the writer rethrows it, or answers with it when nothing
    /// was sent yet).
    func fail(_ error: Error) { close(error) }

    private func close(_ error: Error?) {
        condition.lock()
        ended = true
        failure = error
        let w = waiter
        waiter = nil
        condition.unlock()
        w?.resume()
    }

    // MARK: consumer (async)

    /// The next piece, nil at the end; throws the producer's failure.
    func next() async throws -> [UInt8]? {
        while true {
            switch take() {
            case .piece(let p): return p
            case .end: return nil
            case .failed(let e): throw e
            case .empty: await withCheckedContinuation { park($0) }
            }
        }
    }

    private enum Taken { case piece([UInt8]), end, failed(Error), empty }

    private func take() -> Taken {
        condition.lock()
        defer { condition.unlock() }
        if !pieces.isEmpty {
            let piece = pieces.removeFirst()
            queued -= piece.count
            condition.broadcast()
            return .piece(piece)
        }
        guard ended else { return .empty }
        return failure.map { .failed($0) } ?? .end
    }

    /// Waits for the producer, unless something came meanwhile.
    private func park(_ c: CheckedContinuation<Void, Never>) {
        condition.lock()
        if pieces.isEmpty && !ended {
            waiter = c
            condition.unlock()
        } else {
            condition.unlock()
            c.resume()
        }
    }

    /// The consumer is gone: wakes and stops the producer.
    func cancel(_ reason: String) {
        condition.lock()
        if cancelled == nil { cancelled = reason }
        pieces.removeAll()
        queued = 0
        condition.broadcast()
        condition.unlock()
    }
}
