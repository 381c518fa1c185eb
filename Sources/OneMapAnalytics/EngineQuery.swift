import OneMapStore

/// One statistics pass over selected building versions: their buildings, the businesses and people
/// of their entities valid on the day, the totals, and the groups of `groupBy`.
///
/// Groups are cells of flat arrays. A building's place dimensions (area levels, use) give it a
/// dense group number; a person's dimensions (sex, age band, registration) and a business's
/// industry are a small number within it. Households are counted by runs (people are ordered by
/// household within a building); a household living in more than one building is counted
/// through a set instead, so that it is never counted twice.
struct EngineQuery {
    let c: StatisticsColumns
    let day: Int32
    let year: Int32
    let groupBy: [StatisticsDimension]
    /// Dimensions fixed by the building: area levels and use, in the request's order.
    let placeDims: [StatisticsDimension]
    /// Dimensions of a person, in the request's order.
    let personDims: [StatisticsDimension]
    let byIndustry: Bool
    private let personRadix: [Int]
    private let personCells: Int
    private let firmCells: Int

    init(columns: StatisticsColumns, day: Int32, year: Int, groupBy: [StatisticsDimension]) {
        c = columns; self.day = day; self.year = Int32(clamping: year); self.groupBy = groupBy
        placeDims = groupBy.filter { $0.isAreaLevel || $0 == .use }
        personDims = groupBy.filter { $0 == .sex || $0 == .ageBand || $0 == .registration }
        byIndustry = groupBy.contains(.industry)
        personRadix = personDims.map { d in
            switch d {
            case .sex: columns.sexes.count
            case .ageBand: StatisticsDimension.ageBands.count
            default: columns.registrations.count
            }
        }
        personCells = max(1, personRadix.reduce(1, *))
        firmCells = byIndustry ? max(1, columns.industries.count) : 1
    }

    private var peopleGrouped: Bool { !placeDims.isEmpty || !personDims.isEmpty }
    private var firmsGrouped: Bool { !placeDims.isEmpty || byIndustry }
    private var buildingsGrouped: Bool { !placeDims.isEmpty }
    private var grouped: Bool { !groupBy.isEmpty }

    /// The census age band (index into `StatisticsDimension.ageBands`); no birth year: the last.
    @inline(__always)
    private func band(_ birthYear: Int32) -> Int {
        guard birthYear != StatisticsColumns.noBirthYear else { return 3 }
        let age = year &- birthYear
        return age < 15 ? 0 : age < 60 ? 1 : age < 65 ? 2 : 3
    }

    mutating func run(_ selection: [Int32], into stats: inout AreaStatistics) {
        var useCount = [Int](repeating: 0, count: c.uses.count), useMilli = [Int64](repeating: 0, count: c.uses.count)
        var sexCount = [Int](repeating: 0, count: c.sexes.count), regCount = [Int](repeating: 0, count: c.registrations.count)
        var bandCount = [0, 0, 0, 0]
        var industryCount = [Int](repeating: 0, count: c.industries.count)
        var people = 0, households = 0, firms = 0, employees: Int64 = 0
        var sharedHouseholds = Set<Int32>()
        // Groups.
        var places = PlaceGrouping(columns: c, day: day, groupBy: groupBy)
        var buildingCount: [Int] = [], buildingMilli: [Int64] = []
        var firmCount: [Int] = [], firmEmployees: [Int64] = []
        var personCount: [Int] = [], personHouseholds: [Int] = []
        var sharedPairs = Set<Int>()  // cell << 32 | household
        var seen = [Int](repeating: -1, count: personCells)  // run stamp per person cell
        var runCells: [Int] = []
        var run = 0

        for b32 in selection {
            let b = Int(b32)
            let use = Int(c.buildingUse[b]), milli = c.buildingFloorMilli[b]
            useCount[use] += 1
            useMilli[use] += milli
            var group = 0
            if grouped {
                group = places.group(of: b)
                if group == buildingCount.count {
                    buildingCount.append(0); buildingMilli.append(0)
                    firmCount.append(contentsOf: repeatElement(0, count: firmCells)); firmEmployees.append(contentsOf: repeatElement(0, count: firmCells))
                    personCount.append(contentsOf: repeatElement(0, count: personCells)); personHouseholds.append(contentsOf: repeatElement(0, count: personCells))
                }
                buildingCount[group] += 1
                buildingMilli[group] += milli
            }
            let e = Int(c.buildingEntity[b])
            for f in Int(c.entityFirmStart[e])..<Int(c.entityFirmStart[e + 1]) where c.firmFrom[f] <= day && c.firmTo[f] > day {
                let industry = Int(c.firmIndustry[f]), n = c.firmEmployees[f]
                firms += 1
                employees += n
                industryCount[industry] += 1
                if grouped {
                    let cell = group * firmCells + (byIndustry ? industry : 0)
                    firmCount[cell] += 1
                    firmEmployees[cell] += n
                }
            }
            var i = Int(c.entityPeopleStart[e])
            let end = Int(c.entityPeopleStart[e + 1])
            while i < end {
                let h = c.personHousehold[i]
                run += 1
                runCells.removeAll(keepingCapacity: true)
                var anyone = false
                var j = i
                while j < end && c.personHousehold[j] == h {
                    defer { j += 1 }
                    guard c.personFrom[j] <= day && c.personTo[j] > day else { continue }
                    anyone = true
                    people += 1
                    let sex = Int(c.personSex[j]), reg = Int(c.personRegistration[j]), band = band(c.personBirthYear[j])
                    sexCount[sex] += 1
                    regCount[reg] += 1
                    bandCount[band] += 1
                    guard grouped else { continue }
                    var pk = 0
                    for (k, d) in personDims.enumerated() {
                        pk = pk * personRadix[k] + (d == .sex ? sex : d == .ageBand ? band : reg)
                    }
                    let cell = group * personCells + pk
                    personCount[cell] += 1
                    if seen[pk] != run { seen[pk] = run; runCells.append(cell) }
                }
                if h >= 0 && anyone {
                    if c.householdShared[Int(h)] {
                        sharedHouseholds.insert(h)
                        for cell in runCells { sharedPairs.insert(cell << 32 | Int(h)) }
                    } else {
                        households += 1
                        for cell in runCells { personHouseholds[cell] += 1 }
                    }
                }
                i = j
            }
        }
        for p in sharedPairs { personHouseholds[p >> 32] += 1 }

        // Totals, keyed by text (only what occurs, as SQL's GROUP BY gives it).
        stats.people = people
        stats.households = households + sharedHouseholds.count
        for (k, n) in sexCount.enumerated() where n > 0 { stats.bySex[c.sexes[k]] = n }
        for (k, n) in regCount.enumerated() where n > 0 { stats.byRegistration[c.registrations[k]] = n }
        for (k, n) in bandCount.enumerated() where n > 0 { stats.byAgeBand[StatisticsDimension.ageBands[k]] = n }
        stats.businesses = firms
        stats.employees = Int(employees)
        for (k, n) in industryCount.enumerated() where n > 0 { stats.byIndustry[c.industries[k]] = n }
        var milli: Int64 = 0
        for (k, n) in useCount.enumerated() where n > 0 {
            stats.buildings += n
            milli += useMilli[k]
            stats.buildingsByUse[c.uses[k]] = n
        }
        stats.floorArea = Double(milli) / 1000
        guard grouped else { return }

        // Groups, their keys as texts, in the byte order of the keys in the request's order.
        func personTexts(_ pk: Int) -> [StatisticsDimension: String] {
            var out: [StatisticsDimension: String] = [:]
            var rest = pk
            for k in personDims.indices.reversed() {
                let v = rest % personRadix[k]
                rest /= personRadix[k]
                out[personDims[k]] = personDims[k] == .sex ? c.sexes[v] : personDims[k] == .ageBand ? StatisticsDimension.ageBands[v] : c.registrations[v]
            }
            return out
        }
        let sorted = sortedGroups
        let placeTexts = (0..<places.count).map { places.texts(of: $0) }
        let groupKeys = 0..<places.count
        let peopleDims = groupBy.filter(\.appliesToPeople)
        if peopleGrouped {
            var out: [([String], StatisticsGroup)] = []
            for g in groupKeys.indices {
                for pk in 0..<personCells where personCount[g * personCells + pk] > 0 {
                    let texts = placeTexts[g].merging(personTexts(pk)) { a, _ in a }
                    out.append(statisticsGroup(texts, dims: peopleDims, count: personCount[g * personCells + pk], measure: Double(personHouseholds[g * personCells + pk])))
                }
            }
            stats.peopleGroups = sorted(out)
        }
        let firmDims = groupBy.filter(\.appliesToBusinesses)
        if firmsGrouped {
            // Cells of the same keys (groups that differ only in what businesses ignore) add up.
            var merged: [[String]: (count: Int, employees: Int64, texts: [StatisticsDimension: String])] = [:]
            for g in groupKeys.indices {
                for k in 0..<firmCells where firmCount[g * firmCells + k] > 0 {
                    var texts = placeTexts[g]
                    if byIndustry { texts[.industry] = c.industries[k] }
                    let key = firmDims.map { texts[$0] ?? "" }
                    merged[key, default: (0, 0, texts)].count += firmCount[g * firmCells + k]
                    merged[key]!.employees += firmEmployees[g * firmCells + k]
                }
            }
            stats.businessGroups = sorted(merged.values.map { statisticsGroup($0.texts, dims: firmDims, count: $0.count, measure: Double($0.employees)) })
        }
        if buildingsGrouped {
            stats.buildingGroups = sorted(groupKeys.indices.map { g in
                statisticsGroup(placeTexts[g], dims: placeDims, count: buildingCount[g], measure: Double(buildingMilli[g]) / 1000)
            })
        }
    }
}
