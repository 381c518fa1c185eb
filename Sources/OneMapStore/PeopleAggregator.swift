/// The people figures of area statistics from one pass over the residents of a selection:
/// totals by sex, age band and registration, households (distinct non-null household ids), and
/// the groups of `dims` with their households, in the byte order of their keys. Shared by every
/// backend's SQL answer (the oracle the in-memory engine is checked against). Texts are numbered
/// from their bytes (`TextInterner`) and counted in arrays.
package struct PeopleAggregator {
    private let dims: [StatisticsDimension]
    private let year: Int
    private var sexes = TextInterner(), registrations = TextInterner(), households = TextInterner(keepTexts: false)
    private var places = TextInterner()  // area codes and uses of the group columns
    private var bySex: [Int] = [], byRegistration: [Int] = [], byBand = [0, 0, 0, 0]
    /// A group's key packs its dimensions' numbers, 15 bits each (up to 4 dimensions apply to
    /// people at once in practice; more fall back to arrays).
    private let packed: Bool
    private var packedCounts: [Int: Int] = [:], arrayCounts: [[Int]: Int] = [:]
    /// Distinct (group, household) pairs: a group's households are its pairs.
    private var pairs = Set<GroupHousehold>(), arrayPairs = Set<[Int]>()
    private var total = 0
    private var key: [Int] = []

    /// `dims`: the dimensions that apply to people; area levels and use come as `places`, in order.
    package init(groupBy dims: [StatisticsDimension], year: Int) {
        self.dims = dims; self.year = year
        packed = dims.count <= 4
        key.reserveCapacity(dims.count + 1)
    }

    /// The columns each person row must give after its four own ones: one per area-level or use
    /// dimension (as the selection's column names).
    package static func placeColumns(_ dims: [StatisticsDimension]) -> [String] {
        dims.compactMap { d -> String? in d.isAreaLevel || d == .use ? d.rawValue : nil }
    }

    /// The census age band (index into `StatisticsDimension.ageBands`) of someone born in
    /// `birthYear` in `year`; no birth year: the last band, as SQL's CASE over a NULL age gave.
    package static func ageBandIndex(_ birthYear: Int64?, year: Int) -> Int {
        guard let b = birthYear else { return 3 }
        let age = Int64(year) - b
        return age < 15 ? 0 : age < 60 ? 1 : age < 65 ? 2 : 3
    }

    private static func bump(_ counts: inout [Int], _ i: Int) {
        if i == counts.count { counts.append(0) }
        counts[i] += 1
    }

    /// One resident: the bytes are read during the call only.
    package mutating func add(sex: BorrowedText?, birthYear: Int64?, registration: BorrowedText?, household: BorrowedText?,
                              places placeTexts: (Int) -> BorrowedText?) {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        let sex = sexes.number(sex ?? empty)
        let band = Self.ageBandIndex(birthYear, year: year)
        let registration = registrations.number(registration ?? empty)
        let household = household.map { households.number($0) }
        total += 1
        Self.bump(&bySex, sex)
        Self.bump(&byRegistration, registration)
        byBand[band] += 1
        guard !dims.isEmpty else { return }
        var column = 0
        key.removeAll(keepingCapacity: true)
        for d in dims {
            switch d {
            case .sex: key.append(sex)
            case .ageBand: key.append(band)
            case .registration: key.append(registration)
            default:
                key.append(places.number(placeTexts(column) ?? empty))
                column += 1
            }
        }
        if packed, key.allSatisfy({ $0 < 1 << 15 }) {
            var k = 0
            for part in key { k = k << 15 | part }
            packedCounts[k, default: 0] += 1
            if let household { pairs.insert(GroupHousehold(group: k, household: household)) }
        } else {
            arrayCounts[key, default: 0] += 1
            if let household { arrayPairs.insert(key + [household]) }
        }
    }

    /// The figures into `stats`.
    package func finish(into stats: inout AreaStatistics) {
        let bands = StatisticsDimension.ageBands
        stats.people += total
        stats.households = households.count
        for (i, n) in bySex.enumerated() { stats.bySex[sexes.texts[i], default: 0] += n }
        for (i, n) in byRegistration.enumerated() { stats.byRegistration[registrations.texts[i], default: 0] += n }
        for (i, n) in byBand.enumerated() where n > 0 { stats.byAgeBand[bands[i], default: 0] += n }
        // Back to key arrays: counts and households (distinct pairs) per group.
        var groups: [[Int]: (count: Int, households: Int)] = [:]
        let dims = self.dims
        func unpack(_ k: Int) -> [Int] { (0..<dims.count).reversed().map { (k >> (15 * $0)) & 0x7fff } }
        for (k, n) in packedCounts { groups[unpack(k), default: (0, 0)].count += n }
        for (k, n) in arrayCounts { groups[k, default: (0, 0)].count += n }
        var householdsOf: [Int: Int] = [:]
        for p in pairs { householdsOf[p.group, default: 0] += 1 }
        for (k, n) in householdsOf { groups[unpack(k)]!.households += n }
        for p in arrayPairs { groups[Array(p.dropLast())]!.households += 1 }
        // Keys back to text, groups in the byte order of their keys (as SQL's ORDER BY gave them).
        let texts: [(Int) -> String] = dims.map { d in
            switch d {
            case .sex: { sexes.texts[$0] }
            case .ageBand: { bands[$0] }
            case .registration: { registrations.texts[$0] }
            default: { places.texts[$0] }
            }
        }
        let named = groups.map { key, value in (zip(texts, key).map { $0($1) }, value) }
        stats.peopleGroups = named.sorted { $0.0.lexicographicallyPrecedes($1.0) { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) } }.map { key, value in
            StatisticsGroup(keys: Dictionary(uniqueKeysWithValues: zip(dims.map(\.rawValue), key)), count: value.count,
                            measure: Double(value.households))
        }
    }
}

/// A household counted in a group of the statistics (groups' households are distinct pairs).
private struct GroupHousehold: Hashable {
    let group: Int
    let household: Int
}
