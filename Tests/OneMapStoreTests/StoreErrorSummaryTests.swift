import XCTest
@testable import OneMapStore

/// `/health` answers anyone: a failure shown there names its kind, never the database's address,
/// user or SQL that a connection error or a fault carries.
final class StoreErrorSummaryTests: XCTestCase {
    func testALostConnectionIsSummarisedWithoutItsAddress() {
        let e = StoreError("connection to server at \"127.0.0.1\", port 5433 failed: FATAL: database \"onemap\" is not accepting connections",
                           kind: .unavailable)
        let s = StoreError.publicSummary(of: e)
        XCTAssertEqual(s, "the database cannot answer now")
        XCTAssertFalse(s.contains("127.0.0.1"))
    }

    func testAFaultIsSummarisedWithoutItsSQL() {
        let s = StoreError.publicSummary(of: StoreError("SELECT secret FROM people: syntax error", kind: .internal))
        XCTAssertFalse(s.lowercased().contains("select"))
        XCTAssertTrue(s.contains("server log"))
    }

    func testTheCallersOwnMistakeKeepsItsMessage() {
        XCTAssertEqual(StoreError.publicSummary(of: StoreError("no layer named roads", kind: .notFound)), "no layer named roads")
    }

    func testAnErrorOfAnotherTypeShowsOnlyItsTypeName() {
        struct Leaky: Error { let dsn = "postgres://onemap:pw@127.0.0.1/onemap" }
        let s = StoreError.publicSummary(of: Leaky())
        XCTAssertFalse(s.contains("pw") || s.contains("127.0.0.1"), s)
    }
}
