/// Numbers distinct byte strings (building codes, household ids) in a compact form for the
/// engine's build: all bytes in one arena, an open-addressing table of numbers. Millions of
/// household ids as separate arrays in a dictionary cost about 130 bytes each; here about 30.
struct ByteInterner {
    private var arena: [UInt8] = []
    private var offsets: [Int32] = [0]
    private var table: [Int32]
    private var mask: Int

    init(capacity: Int = 1 << 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        table = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    var count: Int { offsets.count - 1 }

    /// Bytes held (arena, offsets, table).
    var memoryBytes: Int { arena.capacity + offsets.capacity * 4 + table.capacity * 4 }

    private static func hash(_ b: UnsafeRawBufferPointer) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for x in b { h = (h ^ UInt64(x)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    private func equals(_ n: Int, _ b: UnsafeRawBufferPointer) -> Bool {
        let start = Int(offsets[n]), end = Int(offsets[n + 1])
        guard end - start == b.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            for i in 0..<b.count where a[start + i] != b[i] { return false }
            return true
        }
    }

    /// The number of `b`, and whether it was new.
    mutating func number(_ b: UnsafeRawBufferPointer) -> (number: Int, isNew: Bool) {
        var slot = Self.hash(b) & mask
        while true {
            let n = Int(table[slot])
            if n < 0 { break }
            if equals(n, b) { return (n, false) }
            slot = (slot + 1) & mask
        }
        let n = count
        arena.append(contentsOf: b)
        offsets.append(Int32(arena.count))
        table[slot] = Int32(n)
        if count * 2 > table.count { grow() }
        return (n, true)
    }

    /// The number of `b` when it has one.
    func lookUp(_ b: UnsafeRawBufferPointer) -> Int? {
        var slot = Self.hash(b) & mask
        while true {
            let n = Int(table[slot])
            if n < 0 { return nil }
            if equals(n, b) { return n }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let size = table.count * 2
        var next = [Int32](repeating: -1, count: size)
        let m = size - 1
        arena.withUnsafeBytes { a in
            for n in 0..<count {
                let bytes = UnsafeRawBufferPointer(rebasing: a[Int(offsets[n])..<Int(offsets[n + 1])])
                var slot = Self.hash(bytes) & m
                while next[slot] >= 0 { slot = (slot + 1) & m }
                next[slot] = Int32(n)
            }
        }
        table = next
        mask = m
    }
}
