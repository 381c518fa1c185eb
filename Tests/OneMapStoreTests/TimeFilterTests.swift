import Foundation
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

    @Test func lowerCaseTAndZAndLeapSecondsAreRFC3339() throws {
        #expect(try TimeFilter.parse("2020-06-01t20:00:00z").start == "2020-06-02")
        #expect(try TimeFilter.parse("2016-12-31T23:59:60Z").start == "2017-01-01")
        #expect(try TimeFilter.parse("2016-12-31T15:59:60.5Z").start == "2016-12-31")
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

@Suite struct ISODateTests {
    @Test func dayInSanmingEqualsTheCalendarsAnswerAcrossCenturiesAndMidnights() {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        // Leap days, year ends, 1900 and 2100 (not leap), 2000 (leap), UTC+8 midnight either side.
        var instants: [Double] = [-2_208_988_800, 0, 951_782_400, 951_868_799, 1_709_164_800, 4_107_542_400]
        for k in stride(from: -40_000, through: 60_000, by: 37) { instants.append(Double(k) * 86_400 + 57_599) }
        for k in stride(from: -40_000, through: 60_000, by: 41) { instants.append(Double(k) * 86_400 + 57_600) }
        for t in instants {
            let d = Date(timeIntervalSince1970: t)
            let c = cal.dateComponents([.year, .month, .day], from: d)
            let expected = String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
            #expect(ISODate.string(d) == expected, "at \(t)")
        }
    }
}
