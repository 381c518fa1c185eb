import Testing
@testable import OneMapStore

/// The interner behind one-pass statistics: the same text always gets the same number, different
/// texts different ones, whether it is the last one seen, one of the first few or hashed.
@Suite struct TextInternerTests {
    @Test func equalTextsShareANumberAndDifferentTextsNever() {
        var interner = TextInterner()
        var numbers: [String: Int] = [:]
        // Runs (as residents of a building come), alternation (sex), many distinct values (households),
        // the empty text, and texts longer than the last-text buffer.
        var texts: [String] = []
        for i in 0..<3000 { texts += Array(repeating: "H\(i % 1200)", count: i % 3 + 1) + [i % 2 == 0 ? "M" : "F", "", String(repeating: "长", count: 40 + i % 5)] }
        for t in texts {
            let n = Array(t.utf8).withUnsafeBytes { interner.number($0) }
            if let known = numbers[t] { #expect(known == n, "\(t)") } else {
                #expect(!numbers.values.contains(n), "\(t) got another text's number")
                numbers[t] = n
            }
        }
        #expect(interner.count == numbers.count && numbers.count == 1200 + 2 + 1 + 5)
        for (t, n) in numbers { #expect(interner.texts[n] == t) }
        var households = TextInterner(keepTexts: false)
        _ = Array("x".utf8).withUnsafeBytes { households.number($0) }
        #expect(households.texts.isEmpty && households.count == 1)
    }
}
