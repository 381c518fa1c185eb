import Foundation
import NIOConcurrencyHelpers
import OneMapAccess
@testable import OneMapServer
import OneMapStore
import Testing

/// The tile fast path's memo of access decisions lasts a quarter of a second, but not past a
/// decision this process made (a grant revoked here is refused at once). Decisions are made on the
/// blocking pool, never by the event loop that asks.
@Suite struct ViewMemoTests {
    /// Asks until the memo holds a decision for the key (it is made in the background).
    static func settle(_ memo: ViewMemo, _ layers: Substring, generation: Int, decide: @escaping @Sendable () -> ViewMemo.Decision?) async throws -> ViewMemo.Decision? {
        for _ in 0..<400 {
            if let d = memo.views(principal: .anonymous, layers: layers, generation: generation, decide: decide) { return d }
            try await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    @Test func aMissingDecisionIsMadeInTheBackgroundAndTheCallerGoesToTheRouter() async throws {
        let memo = ViewMemo()
        let thread = NIOLockedValueBox<String?>(nil)
        let first = memo.views(principal: .anonymous, layers: "buildings", generation: 0) {
            thread.withLockedValue { $0 = Thread.current.name ?? "unnamed" }
            return ([], [])
        }
        #expect(first == nil)  // not decided on the asking thread: the router answers this one
        #expect(try await Self.settle(memo, "buildings", generation: 0) { ([], []) } != nil)
        #expect(thread.withLockedValue { $0 } != nil)
    }

    @Test func aDecisionInThisProcessEndsTheMemoAtOnce() async throws {
        let memo = ViewMemo()
        let asked = NIOLockedValueBox(0)
        let decide: @Sendable () -> ViewMemo.Decision? = { asked.withLockedValue { $0 += 1 }; return ([], []) }
        #expect(try await Self.settle(memo, "buildings", generation: 0, decide: decide) != nil)
        let before = asked.withLockedValue { $0 }
        // Held: asking again within its first half-life decides nothing anew.
        if memo.holds(principal: .anonymous, layers: "buildings") {
            _ = memo.views(principal: .anonymous, layers: "buildings", generation: 0, decide: decide)
        }
        // Another generation (a grant decided here) is never answered from the old memo.
        #expect(memo.views(principal: .anonymous, layers: "buildings", generation: 1, decide: decide) == nil)
        #expect(try await Self.settle(memo, "buildings", generation: 1, decide: decide) != nil)
        #expect(asked.withLockedValue { $0 } > before)
        // A refusal is never memoised.
        #expect(memo.views(principal: .anonymous, layers: "acc_n", generation: 1, decide: { nil }) == nil)
        try await Task.sleep(for: .milliseconds(100))
        #expect(memo.views(principal: .anonymous, layers: "acc_n", generation: 1, decide: { nil }) == nil)
        #expect(!memo.holds(principal: .anonymous, layers: "acc_n"))
    }
}
