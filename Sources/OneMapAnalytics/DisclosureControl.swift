import OneMapStore

/// Which figures of an answer are protected: perturbed by the cell-key method and shown as "<5"
/// when small. A kind is protected when the caller may not read its records there
/// (`FigureAccess.suppressed`); exact and withheld kinds are computed exactly.
public struct StatisticsProtection: Sendable, Hashable {
    public var people: Bool
    public var businesses: Bool
    public var buildings: Bool

    public init(people: Bool, businesses: Bool, buildings: Bool) {
        self.people = people; self.businesses = businesses; self.buildings = buildings
    }

    public init(_ d: StatisticsDisclosure) {
        self.init(people: d.people == .suppressed, businesses: d.businesses == .suppressed, buildings: d.buildings == .suppressed)
    }

    public static let none = StatisticsProtection(people: false, businesses: false, buildings: false)
    public var any: Bool { people || businesses || buildings }
}

/// The disclosure-control method for callers who may not read the records (anonymous, ungranted,
/// or area-limited outside their area), in one place.
///
/// - **Statistical grid.** Figures are built from atoms: the records of one cell of a fixed grid of
///   `cellDegrees` (about 250 × 280 m) within one group of the answer. A drawn area counts the grid
///   cells whose centre it contains, so a small hole around one building changes nothing.
/// - **Cell key.** Every record (person, household, business, building) has a fixed 32-bit key from
///   a keyed hash of its identity with the database's secret. An atom's key is the sum of its
///   records' keys; its published count is `max(0, n + e)` with `e` one of -2, -1, +1, +2 chosen by
///   a keyed hash of (n, atom key): the same records always get the same noise (asking again or
///   averaging gains nothing), different records different noise (differences of overlapping
///   areas do not cancel), and a non-empty atom never shows its true count. Sums (employees,
///   floor area) move by `e` times 5% of the atom's sum (at least 1).
/// - **Small cells.** A published count below `threshold` (0 included) is shown as "<5"; every
///   category is listed, so the categories present reveal nothing.
/// A figure is the sum of its atoms' published counts: it differs from the exact figure by at most
/// `maxNoise` per atom (`AreaStatistics.cells`).
public enum DisclosureControl {
    public static let threshold = 5
    public static let cellDegrees = 0.0025
    public static let maxNoise = 2
    /// Magnitudes move by this share of the atom's sum per unit of noise.
    public static let magnitudeShare = 0.05

    /// The statistical grid cell of a position: column and row packed (origin 0°, 0°).
    @inline(__always)
    static func cell(x: Double, y: Double) -> Int64 {
        guard x.isFinite, y.isFinite else { return Int64.min }
        let ix = Int64((x / cellDegrees).rounded(.down)), iy = Int64((y / cellDegrees).rounded(.down))
        return ix << 32 | (iy & 0xffff_ffff)
    }

    /// The centre of a grid cell.
    static func centre(of cell: Int64) -> (x: Double, y: Double) {
        let ix = cell >> 32, iy = Int64(Int32(truncatingIfNeeded: cell))
        return ((Double(ix) + 0.5) * cellDegrees, (Double(iy) + 0.5) * cellDegrees)
    }
}

/// Record keys and noise from the database's secret (a keyed mix, SplitMix64's finaliser over the
/// secret's words: the keys cannot be seen, only their effect on published figures).
struct RecordKeys: Sendable {
    private let k0: UInt64, k1: UInt64, k2: UInt64

    init(secret: [UInt8]) {
        func word(_ i: Int) -> UInt64 {
            var w: UInt64 = 0
            for j in 0..<8 where i * 8 + j < secret.count { w = w << 8 | UInt64(secret[i * 8 + j]) }
            return w
        }
        k0 = word(0); k1 = word(1); k2 = word(2) ^ word(3)
    }

    @inline(__always)
    static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0 &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// The key of record `id` of a kind (1 people, 2 businesses, 3 buildings).
    func key(_ id: Int64, kind: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: Self.mix(Self.mix(k0 ^ UInt64(bitPattern: id)) ^ k1 ^ kind) >> 16)
    }

    /// The key of a household, from its id's bytes.
    func key(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var h = k0 ^ 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return UInt32(truncatingIfNeeded: Self.mix(h ^ k1 ^ 4) >> 16)
    }

    /// The noise of an atom of `n` records with key sum `atomKey`: -2, -1, +1 or +2.
    @inline(__always)
    func noise(_ n: Int, _ atomKey: UInt32) -> Int {
        let h = Self.mix(k2 ^ UInt64(n) << 32 ^ UInt64(atomKey))
        return [-2, -1, 1, 2][Int(h & 3)]
    }

    /// An atom's published count.
    @inline(__always)
    func count(_ n: Int, _ atomKey: UInt32) -> Int {
        n == 0 ? 0 : max(0, n + noise(n, atomKey))
    }

    /// An atom's published sum (employees, floor area in thousandths) of `n` records.
    func magnitude(_ sum: Int64, records n: Int, _ atomKey: UInt32, unit: Int64) -> Int64 {
        guard n > 0 else { return 0 }
        let step = max(unit, Int64((Double(sum) * DisclosureControl.magnitudeShare).rounded()))
        return max(0, sum + Int64(noise(n, atomKey)) * step)
    }
}
