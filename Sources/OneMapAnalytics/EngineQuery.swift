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
    private let personCells: Int
    private let firmCells: Int
    private let byIndustry: Bool

    init(columns: StatisticsColumns, day: Int32, year: Int, groupBy: [StatisticsDimension]) {
        c = columns; self.day = day; self.year = Int32(clamping: year); self.groupBy = groupBy
        let tables = GroupTables(columns: columns, groupBy: groupBy)
        personCells = tables.personCells; firmCells = tables.firmCells; byIndustry = tables.byIndustry
    }

    private var grouped: Bool { !groupBy.isEmpty }

    @inline(__always)
    private func band(_ birthYear: Int32) -> Int { StatisticsColumns.ageBand(birthYear: birthYear, year: year) }

    mutating func run(_ selection: [Int32], into stats: inout AreaStatistics) {
        var useCount = [Int](repeating: 0, count: c.uses.count), useMilli = [Int64](repeating: 0, count: c.uses.count)
        var sexCount = [Int](repeating: 0, count: c.sexes.count), regCount = [Int](repeating: 0, count: c.registrations.count)
        var bandCount = [0, 0, 0, 0]
        var industryCount = [Int](repeating: 0, count: c.industries.count)
        var people = 0, households = 0, firms = 0, employees: Int64 = 0
        var sharedHouseholds = Set<Int32>()
        // Groups.
        var places = PlaceGrouping(columns: c, day: day, groupBy: groupBy)
        var tables = GroupTables(columns: c, groupBy: groupBy)
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
                tables.ensure(groups: group + 1)
                tables.buildingCount[group] += 1
                tables.buildingMilli[group] += milli
            }
            let e = Int(c.buildingEntity[b])
            for f in Int(c.entityFirmStart[e])..<Int(c.entityFirmStart[e + 1]) where c.firmFrom[f] <= day && c.firmTo[f] > day {
                let industry = Int(c.firmIndustry[f]), n = c.firmEmployees[f]
                firms += 1
                employees += n
                industryCount[industry] += 1
                if grouped {
                    let cell = group * firmCells + (byIndustry ? industry : 0)
                    tables.firmCount[cell] += 1
                    tables.firmEmployees[cell] += n
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
                    let pk = tables.personKey(sex: sex, band: band, registration: reg)
                    let cell = group * personCells + pk
                    tables.personCount[cell] += 1
                    if seen[pk] != run { seen[pk] = run; runCells.append(cell) }
                }
                if h >= 0 && anyone {
                    if c.householdShared[Int(h)] {
                        sharedHouseholds.insert(h)
                        for cell in runCells { sharedPairs.insert(cell << 32 | Int(h)) }
                    } else {
                        households += 1
                        for cell in runCells { tables.personHouseholds[cell] += 1 }
                    }
                }
                i = j
            }
        }
        for p in sharedPairs { tables.personHouseholds[p >> 32] += 1 }

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

        tables.write(into: &stats, groupBy: groupBy, columns: c, places: places, listEveryPerson: false, listEveryBusiness: false)
    }
}
