import OneMapStore

/// The place dimensions of a breakdown (area levels and use, fixed by the building) and the dense
/// group number of each building: buildings that share their places share a group.
struct PlaceGrouping {
    let c: StatisticsColumns
    let day: Int32
    /// Area levels and use, in the request's order.
    let dims: [StatisticsDimension]
    /// Each group's values: area code number + 1 (0: none) or use number.
    private(set) var keys: [[Int]] = []
    private var groupOfKey: [[Int]: Int] = [:]
    private var key: [Int]
    private var lastKey: [Int] = [], lastGroup = -1  // neighbouring buildings mostly share their places

    init(columns: StatisticsColumns, day: Int32, groupBy: [StatisticsDimension]) {
        c = columns; self.day = day
        dims = groupBy.filter { $0.isAreaLevel || $0 == .use }
        key = [Int](repeating: 0, count: dims.count)
    }

    var count: Int { keys.count }

    /// The group of building version `b` (new groups are numbered as they appear).
    mutating func group(of b: Int) -> Int {
        for (k, d) in dims.enumerated() { key[k] = d == .use ? Int(c.buildingUse[b]) : place(b, Self.level(d)) }
        if lastGroup >= 0 && key == lastKey { return lastGroup }
        let g: Int
        if let known = groupOfKey[key] { g = known } else {
            g = keys.count
            groupOfKey[key] = g
            keys.append(key)
        }
        lastGroup = g
        lastKey = key
        return g
    }

    /// The code of the area of `level` valid on the day that building version `b` lies in (its
    /// number + 1; 0: none).
    private func place(_ b: Int, _ level: AdminLevel) -> Int {
        for i in Int(c.buildingAreaStart[b])..<Int(c.buildingAreaStart[b + 1]) {
            let a = Int(c.buildingAreas[i])
            if c.areaLevel[a] == level && c.areaFrom[a] <= day && c.areaTo[a] > day { return Int(c.areaCode[a]) + 1 }
        }
        return 0
    }

    private static func level(_ d: StatisticsDimension) -> AdminLevel {
        switch d {
        case .county: .county
        case .township: .township
        case .village: .village
        default: .grid
        }
    }

    /// A group's values as texts, by dimension.
    func texts(of g: Int) -> [StatisticsDimension: String] {
        var out: [StatisticsDimension: String] = [:]
        for (k, d) in dims.enumerated() {
            let v = keys[g][k]
            out[d] = d == .use ? c.uses[v] : v == 0 ? "" : c.areaCodes[v - 1]
        }
        return out
    }
}

/// Groups ordered as SQL's ORDER BY orders them: by their key texts in the request's order, byte-wise.
func sortedGroups(_ groups: [([String], StatisticsGroup)]) -> [StatisticsGroup] {
    groups.sorted { $0.0.lexicographicallyPrecedes($1.0) { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) } }.map(\.1)
}

/// A group of `dims` with these texts, its count and measure.
func statisticsGroup(_ texts: [StatisticsDimension: String], dims: [StatisticsDimension], count: Int, measure: Double) -> ([String], StatisticsGroup) {
    let ordered = dims.map { texts[$0] ?? "" }
    return (ordered, StatisticsGroup(keys: Dictionary(uniqueKeysWithValues: zip(dims.map(\.rawValue), ordered)), count: count, measure: measure))
}
