@testable import OneMapServer
import OneMapStore
import Testing

/// Store errors are mapped to HTTP in one place: a fault never shows its SQL to the caller.
@Suite struct StoreErrorMappingTests {
    @Test(arguments: [
        (StoreError.Kind.invalid, 400), (.notFound, 404), (.timedOut, 503), (.unavailable, 503), (.internal, 500),
    ])
    func eachKindHasItsStatus(_ kind: StoreError.Kind, _ status: Int) {
        #expect(APIError.from(StoreError("x", kind: kind)).status.code == status)
    }

    @Test func aFaultAnswersACorrelationIdAndNoSQL() {
        let e = APIError.from(StoreError("no such column: secret in: SELECT secret FROM people", kind: .internal))
        #expect(!e.message.contains("SELECT") && !e.message.contains("secret"))
        #expect(e.message.contains("correlation id"))
        let other = APIError.from(StoreError("y", kind: .internal))
        #expect(other.message != e.message)  // each fault its own id
    }

    @Test func anUnavailableStoreAsksForARetry() {
        let e = APIError.from(StoreError("database is locked", kind: .unavailable))
        #expect(e.headers[.retryAfter] != nil && !e.message.contains("locked"))
    }
}
