/// Days since 1970-01-01 of the `YYYY-MM-DD` texts the store keeps validity in, as Int32, so that a
/// validity test is two integer comparisons instead of two text comparisons.
///
/// The mapping keeps the store's text order exactly: SQL compares `valid_from <= day` as text. A
/// stored text longer than a date (a time after the date) sorts after its day and before the next,
/// so it maps to the next day: `from <= D` and `to > D` then agree with the text comparisons for
/// every date `D`. No text (NULL) is the open end.
enum DayNumber {
    /// An open start: valid since always.
    static let openStart = Int32.min
    /// An open end (or a start that never comes: SQL's `NULL <= day` is false).
    static let openEnd = Int32.max

    /// The day number of a `YYYY-MM-DD…` text; nil when it does not start with a date.
    static func parse(_ b: UnsafeRawBufferPointer) -> Int32? {
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            var v = 0
            for i in range {
                let d = Int(b[i]) - 48
                guard d >= 0 && d <= 9 else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard let y = digits(0..<4), let m = digits(5..<7), let d = digits(8..<10), (1...12).contains(m), (1...31).contains(d) else { return nil }
        return Int32(days(year: y, month: m, day: d) + (b.count > 10 ? 1 : 0))
    }

    static func parse(_ s: String) -> Int32? {
        var s = s
        return s.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// Hinnant's days-from-civil (proleptic Gregorian).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
