import Foundation

/// Numbers the distinct texts of a column as rows stream by, from their bytes: a text becomes a
/// Swift String once, when first seen, not once per row (2.5 million residents' households, sexes
/// and area codes were most of a city's statistics time as Strings).
///
/// Rows come in runs (the residents of a building, of a household), so the last text is checked
/// first; a column of a few values (sex, registration) is scanned without hashing.
public struct TextInterner {
    /// FNV-1a hash -> (bytes, number); a collision is settled by comparing the bytes.
    private var numbers: [UInt64: [(bytes: [UInt8], number: Int)]] = [:]
    /// The first few texts, scanned in order before hashing.
    private var few: [(bytes: [UInt8], number: Int)] = []
    private static let fewLimit = 8
    /// The last text seen (its buffer reused) and its number.
    private var last: [UInt8] = []
    private var lastNumber = -1
    /// The texts by number (when kept).
    public private(set) var texts: [String] = []
    private let keepTexts: Bool
    public private(set) var count = 0

    public init(keepTexts: Bool = true) {
        self.keepTexts = keepTexts
        last.reserveCapacity(64)
    }

    public mutating func number(_ b: UnsafeRawBufferPointer) -> Int {
        if lastNumber >= 0, Self.same(last, b) { return lastNumber }
        let n = lookUp(b)
        if b.count <= 64 {
            last.removeAll(keepingCapacity: true)
            last.append(contentsOf: b)
            lastNumber = n
        } else {
            lastNumber = -1
        }
        return n
    }

    private mutating func lookUp(_ b: UnsafeRawBufferPointer) -> Int {
        for f in few where Self.same(f.bytes, b) { return f.number }
        if count < Self.fewLimit { return add(b, hash: nil) }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for x in b { h = (h ^ UInt64(x)) &* 0x100_0000_01b3 }
        if let candidates = numbers[h] {
            for c in candidates where Self.same(c.bytes, b) { return c.number }
        }
        return add(b, hash: h)
    }

    /// Byte equality by memcmp (a generic `elementsEqual` walks an iterator per byte).
    @inline(__always)
    private static func same(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let base = b.baseAddress, !a.isEmpty else { return true }
        return a.withUnsafeBytes { memcmp($0.baseAddress!, base, a.count) == 0 }
    }

    private mutating func add(_ b: UnsafeRawBufferPointer, hash: UInt64?) -> Int {
        let n = count
        count += 1
        if keepTexts { texts.append(String(decoding: b, as: UTF8.self)) }
        if let hash { numbers[hash, default: []].append((Array(b), n)) } else { few.append((Array(b), n)) }
        return n
    }
}
