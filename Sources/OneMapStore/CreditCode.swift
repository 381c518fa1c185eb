/// The unified social credit code (统一社会信用代码, GB 32100-2015).
public enum CreditCode {
    /// The 31 characters allowed (no I, O, Z, S, V).
    public static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// The check character for the first 17 characters, or nil if any is outside the alphabet.
    public static func checkCharacter(for body: some StringProtocol) -> Character? {
        let chars = Array(body)
        guard chars.count == 17 else { return nil }
        var sum = 0
        for (i, c) in chars.enumerated() {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            sum += v * weights[i]
        }
        let check = (31 - sum % 31) % 31
        return alphabet[check]
    }

    /// True for an 18-character code whose last character is the correct check character.
    public static func isValid(_ code: String) -> Bool {
        guard code.count == 18, let c = checkCharacter(for: code.prefix(17)) else { return false }
        return code.last == c
    }

    /// The organisation code check character (GB 11714) for an 8-character body.
    public static func organizationCheck(for body: some StringProtocol) -> Character? {
        let w = [3, 7, 9, 10, 5, 8, 4, 2]
        var sum = 0
        for (i, c) in body.enumerated() {
            guard i < 8 else { return nil }
            let v: Int
            if let d = c.wholeNumberValue, c.isASCII { v = d } else if let a = c.asciiValue, (65...90).contains(a) { v = Int(a) - 55 } else { return nil }
            sum += v * w[i]
        }
        let r = 11 - sum % 11
        return r == 10 ? "X" : r == 11 ? "0" : Character(String(r))
    }
}
