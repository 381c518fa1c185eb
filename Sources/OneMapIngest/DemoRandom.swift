import Foundation

/// SplitMix64: a tiny, fast, fully specified generator, so the same seed gives the same demo on any
/// machine and Swift version (the standard library's generators promise neither).
struct DemoRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A generator for a named sub-stream, so adding draws in one stage never shifts another.
    init(seed: UInt64, stream: String) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a of the stream name
        for b in stream.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        state = seed ^ h
        _ = next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * unit() }

    /// Uniform integer in the closed range.
    mutating func int(_ r: ClosedRange<Int>) -> Int {
        r.lowerBound + Int(next() % UInt64(r.upperBound - r.lowerBound + 1))
    }

    /// Standard normal (Box-Muller).
    mutating func gaussian() -> Double {
        let u1 = max(unit(), 1e-300), u2 = unit()
        return sqrt(-2 * log(u1)) * cos(2 * .pi * u2)
    }

    mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// Index drawn with probability proportional to `weights`.
    mutating func weighted(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var r = unit() * total
        for (i, w) in weights.enumerated() {
            r -= w
            if r < 0 { return i }
        }
        return weights.count - 1
    }

    mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            a.swapAt(i, j)
        }
    }
}

/// Draws from a fixed discrete distribution in O(log n) (cumulative weights + binary search).
struct WeightedTable {
    private let cumulative: [Double]

    init(_ weights: [Double]) {
        var c = [Double](), s = 0.0
        c.reserveCapacity(weights.count)
        for w in weights { s += max(0, w); c.append(s) }
        cumulative = c
    }

    var isEmpty: Bool { (cumulative.last ?? 0) <= 0 }

    func draw(_ rng: inout DemoRandom) -> Int {
        let r = rng.unit() * cumulative.last!
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > r { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}

/// Splits `total` into integer parts proportional to `weights` that sum exactly to `total`
/// (largest remainder method, ties to the lower index).
func apportion(_ total: Int, weights: [Double]) -> [Int] {
    let sum = weights.reduce(0, +)
    guard sum > 0, total > 0 else { return [Int](repeating: 0, count: weights.count) }
    var parts = weights.map { Int((Double(total) * $0 / sum).rounded(.down)) }
    let rest = total - parts.reduce(0, +)
    let order = weights.indices.sorted {
        let a = Double(total) * weights[$0] / sum - Double(parts[$0]), b = Double(total) * weights[$1] / sum - Double(parts[$1])
        return a != b ? a > b : $0 < $1
    }
    for i in 0..<rest { parts[order[i % order.count]] += 1 }
    return parts
}
