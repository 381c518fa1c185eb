import OneMapStore
import Testing

@Suite struct TimeFilterTests {
    @Test func dateIsAnInstant() throws {
        let f = try TimeFilter.parse("2020-06-01")
        #expect(f.isInstant && f.start == "2020-06-01" && f.countsDay == "2020-06-01")
    }

    @Test func dateTimesBecomeSanmingCalendarDays() throws {
        // 20:00 UTC is 04:00 the next day in UTC+8.
        #expect(try TimeFilter.parse("2020-06-01T20:00:00Z").start == "2020-06-02")
        #expect(try TimeFilter.parse("2020-06-01T20:00:00.250Z").start == "2020-06-02")
        #expect(try TimeFilter.parse("2020-06-01T20:00:00+08:00").start == "2020-06-01")
    }

    @Test func intervalsMayBeOpenOnEitherSide() throws {
        #expect(try TimeFilter.parse("2019-01-01/2021-12-31") == TimeFilter(start: "2019-01-01", end: "2021-12-31"))
        #expect(try TimeFilter.parse("../2021-12-31") == TimeFilter(start: nil, end: "2021-12-31"))
        #expect(try TimeFilter.parse("2019-01-01/..") == TimeFilter(start: "2019-01-01", end: nil))
        #expect(try TimeFilter.parse("2019-01-01/") == TimeFilter(start: "2019-01-01", end: nil))
    }

    @Test(arguments: [
        ("", "empty"), ("yesterday", "RFC 3339"), ("2021-02-30", "not a valid"), ("2021-13-01", "not a valid"),
        ("../..", "at least one end"), ("2022-01-01/2021-01-01", "ends before"), ("a/b/c", "exactly one"),
        ("2021-01-01T25:00:00Z", "RFC 3339"),
    ])
    func badValuesAreRefusedWithTheReason(_ text: String, _ reason: String) {
        #expect {
            try TimeFilter.parse(text)
        } throws: { "\($0)".contains(reason) }
    }
}
