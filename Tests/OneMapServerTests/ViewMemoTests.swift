import Foundation
import OneMapAccess
@testable import OneMapServer
import OneMapStore
import Testing

/// The tile fast path's memo of access decisions lasts a quarter of a second, but not past a
/// decision this process made (a grant revoked here is refused at once).
@Suite struct ViewMemoTests {
    @Test func aDecisionInThisProcessEndsTheMemoAtOnce() {
        let memo = ViewMemo()
        var asked = 0
        func decide() -> ViewMemo.Decision? { asked += 1; return ([], []) }
        _ = memo.views(principal: .anonymous, layers: "buildings", generation: 0, decide: decide)
        _ = memo.views(principal: .anonymous, layers: "buildings", generation: 0, decide: decide)
        #expect(asked == 1)
        _ = memo.views(principal: .anonymous, layers: "buildings", generation: 1, decide: decide)
        #expect(asked == 2)
        // A refusal is never memoised.
        #expect(memo.views(principal: .anonymous, layers: "acc_n", generation: 1, decide: { nil }) == nil)
    }
}
