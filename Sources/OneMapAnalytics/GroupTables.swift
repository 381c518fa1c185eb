import OneMapStore

/// The groups of one statistics pass as flat arrays: people per (place group, person key),
/// businesses per (place group, industry), buildings per place group. The exact pass and the
/// protected one fill the same tables and write them out alike.
struct GroupTables {
    /// A person's dimensions (sex, age band, registration) in the request's order, and the size of each.
    let personDims: [StatisticsDimension]
    let personRadix: [Int]
    let personCells: Int
    let byIndustry: Bool
    let firmCells: Int
    private(set) var groups = 0
    var personCount: [Int] = [], personHouseholds: [Int] = []
    var firmCount: [Int] = [], firmEmployees: [Int64] = []
    var buildingCount: [Int] = [], buildingMilli: [Int64] = []

    init(columns c: StatisticsColumns, groupBy: [StatisticsDimension]) {
        personDims = groupBy.filter { $0 == .sex || $0 == .ageBand || $0 == .registration }
        personRadix = personDims.map { $0 == .sex ? c.sexes.count : $0 == .ageBand ? StatisticsDimension.ageBands.count : c.registrations.count }
        personCells = max(1, personRadix.reduce(1, *))
        byIndustry = groupBy.contains(.industry)
        firmCells = byIndustry ? max(1, c.industries.count) : 1
    }

    /// Room for `n` place groups.
    mutating func ensure(groups n: Int) {
        guard n > groups else { return }
        let more = n - groups
        personCount.append(contentsOf: repeatElement(0, count: more * personCells))
        personHouseholds.append(contentsOf: repeatElement(0, count: more * personCells))
        firmCount.append(contentsOf: repeatElement(0, count: more * firmCells))
        firmEmployees.append(contentsOf: repeatElement(0, count: more * firmCells))
        buildingCount.append(contentsOf: repeatElement(0, count: more))
        buildingMilli.append(contentsOf: repeatElement(0, count: more))
        groups = n
    }

    /// A person's cell within a place group.
    @inline(__always)
    func personKey(sex: Int, band: Int, registration: Int) -> Int {
        var pk = 0
        for (k, d) in personDims.enumerated() { pk = pk * personRadix[k] + (d == .sex ? sex : d == .ageBand ? band : registration) }
        return pk
    }

    private func personTexts(_ pk: Int, _ c: StatisticsColumns) -> [StatisticsDimension: String] {
        var out: [StatisticsDimension: String] = [:]
        var rest = pk
        for k in personDims.indices.reversed() {
            let v = rest % personRadix[k]
            rest /= personRadix[k]
            out[personDims[k]] = personDims[k] == .sex ? c.sexes[v] : personDims[k] == .ageBand ? StatisticsDimension.ageBands[v] : c.registrations[v]
        }
        return out
    }

    /// The groups into `stats`, their keys as texts, in the byte order of the keys in the request's
    /// order (as SQL's ORDER BY gives them). `listEvery…`: every cell of a place group, zeros too
    /// (protected answers), else only those with records.
    func write(into stats: inout AreaStatistics, groupBy: [StatisticsDimension], columns c: StatisticsColumns, places: PlaceGrouping,
               listEveryPerson: Bool, listEveryBusiness: Bool) {
        let placeTexts = (0..<places.count).map { places.texts(of: $0) }
        let peopleDims = groupBy.filter(\.appliesToPeople), firmDims = groupBy.filter(\.appliesToBusinesses)
        let buildingDims = groupBy.filter(\.appliesToBuildings)
        if !peopleDims.isEmpty {
            var out: [([String], StatisticsGroup)] = []
            for g in placeTexts.indices {
                for pk in 0..<personCells where personCount[g * personCells + pk] > 0 || listEveryPerson {
                    out.append(statisticsGroup(placeTexts[g].merging(personTexts(pk, c)) { a, _ in a }, dims: peopleDims,
                                               count: personCount[g * personCells + pk], measure: Double(personHouseholds[g * personCells + pk])))
                }
            }
            stats.peopleGroups = sortedGroups(out)
        }
        if !firmDims.isEmpty {
            // Cells of the same keys (groups that differ only in what businesses ignore) add up.
            var merged: [[String]: (count: Int, employees: Int64, texts: [StatisticsDimension: String])] = [:]
            for g in placeTexts.indices {
                for k in 0..<firmCells where firmCount[g * firmCells + k] > 0 || listEveryBusiness {
                    var texts = placeTexts[g]
                    if byIndustry { texts[.industry] = c.industries[k] }
                    let key = firmDims.map { texts[$0] ?? "" }
                    merged[key, default: (0, 0, texts)].count += firmCount[g * firmCells + k]
                    merged[key]!.employees += firmEmployees[g * firmCells + k]
                }
            }
            stats.businessGroups = sortedGroups(merged.values.map { statisticsGroup($0.texts, dims: firmDims, count: $0.count, measure: Double($0.employees)) })
        }
        if !buildingDims.isEmpty {
            stats.buildingGroups = sortedGroups(placeTexts.indices.map {
                statisticsGroup(placeTexts[$0], dims: buildingDims, count: buildingCount[$0], measure: Double(buildingMilli[$0]) / 1000)
            })
        }
    }
}
