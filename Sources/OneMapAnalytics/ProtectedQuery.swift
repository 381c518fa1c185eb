import OneMapStore

/// A statistics pass whose protected kinds are published by `DisclosureControl`: the selected
/// buildings are cut into atoms (one statistical grid cell within one group of the answer), each
/// atom's counts are perturbed by its records' keys, and figures are sums of atoms. Every category
/// is listed (zeros too). Unprotected kinds are summed exactly over the same buildings.
struct ProtectedQuery {
    let c: StatisticsColumns
    let keys: RecordKeys
    let day: Int32
    let year: Int32
    let groupBy: [StatisticsDimension]
    let protection: StatisticsProtection
    private let personCells: Int
    private let byIndustry: Bool

    /// A count (and sum) within one atom, with the key sum of its records.
    struct Tally {
        var n = 0
        var key: UInt32 = 0
        var sum: Int64 = 0
        @inline(__always) mutating func add(_ k: UInt32, _ s: Int64 = 0) { n += 1; key &+= k; sum += s }
    }

    init(columns: StatisticsColumns, keys: RecordKeys, day: Int32, year: Int, groupBy: [StatisticsDimension], protection: StatisticsProtection) {
        c = columns; self.keys = keys; self.day = day; self.year = Int32(clamping: year); self.groupBy = groupBy; self.protection = protection
        let tables = GroupTables(columns: columns, groupBy: groupBy)
        personCells = tables.personCells; byIndustry = tables.byIndustry
    }

    @inline(__always)
    private func band(_ birthYear: Int32) -> Int { StatisticsColumns.ageBand(birthYear: birthYear, year: year) }

    func run(_ selection: [Int32], into stats: inout AreaStatistics) {
        var places = PlaceGrouping(columns: c, day: day, groupBy: groupBy)
        // Atoms: buildings ordered by grid cell, then group.
        let groupOf = selection.map { places.group(of: Int($0)) }
        let order: [Int]
        if selection.count < 1 << 24, places.count < 1 << 16, c.buildingCount < 1 << 24 {
            // Packed keys (cell rank, group, position) sorted as integers: several times faster
            // than comparing through the columns.
            var packed = [UInt64](repeating: 0, count: selection.count)
            for (i, b) in selection.enumerated() {
                packed[i] = UInt64(c.buildingCellRank[Int(b)]) << 40 | UInt64(groupOf[i]) << 24 | UInt64(i)
            }
            packed.sort()
            order = packed.map { Int($0 & 0xff_ffff) }
        } else {
            order = selection.indices.sorted {
                let a = c.buildingCellRank[Int(selection[$0])], b = c.buildingCellRank[Int(selection[$1])]
                return a != b ? a < b : groupOf[$0] < groupOf[$1]
            }
        }
        let groups = places.count
        var tables = GroupTables(columns: c, groupBy: groupBy)
        tables.ensure(groups: groups)
        var acc = Accumulator(columns: c, keys: keys, protection: protection, tables: tables)
        var seen = [Int](repeating: -1, count: personCells), run = 0
        var runCells: [Int] = []
        var cells = 0, lastCell = Int64.min

        var i = 0
        while i < order.count {
            let first = order[i]
            let cell = c.buildingCell[Int(selection[first])], group = groupOf[first]
            if cell != lastCell {
                if lastCell != Int64.min { acc.publishCell() }
                cells += 1
                lastCell = cell
            }
            // Tally the atom's records.
            var j = i
            while j < order.count && c.buildingCell[Int(selection[order[j]])] == cell && groupOf[order[j]] == group {
                let b = Int(selection[order[j]])
                j += 1
                let use = Int(c.buildingUse[b])
                acc.tBuildings.add(c.buildingKey[b], c.buildingFloorMilli[b])
                acc.tGroupBuildings.add(c.buildingKey[b], c.buildingFloorMilli[b])
                acc.tUse[use].add(c.buildingKey[b], c.buildingFloorMilli[b])
                let e = Int(c.buildingEntity[b])
                for f in Int(c.entityFirmStart[e])..<Int(c.entityFirmStart[e + 1]) where c.firmFrom[f] <= day && c.firmTo[f] > day {
                    let industry = Int(c.firmIndustry[f])
                    acc.tFirms.add(c.firmKey[f], c.firmEmployees[f])
                    acc.tIndustry[industry].add(c.firmKey[f], c.firmEmployees[f])
                    acc.tFirmCell[byIndustry ? industry : 0].add(c.firmKey[f], c.firmEmployees[f])
                }
                var p = Int(c.entityPeopleStart[e])
                let end = Int(c.entityPeopleStart[e + 1])
                while p < end {
                    let h = c.personHousehold[p]
                    run += 1
                    runCells.removeAll(keepingCapacity: true)
                    var q = p
                    while q < end && c.personHousehold[q] == h {
                        defer { q += 1 }
                        guard c.personFrom[q] <= day && c.personTo[q] > day else { continue }
                        let k = c.personKey[q]
                        let sex = Int(c.personSex[q]), reg = Int(c.personRegistration[q]), band = band(c.personBirthYear[q])
                        acc.tPeople.add(k); acc.tSex[sex].add(k); acc.tBand[band].add(k); acc.tReg[reg].add(k)
                        let pk = acc.tables.personKey(sex: sex, band: band, registration: reg)
                        acc.tPersonCell[pk].add(k)
                        if seen[pk] != run { seen[pk] = run; runCells.append(pk) }
                    }
                    if h >= 0 && !runCells.isEmpty {
                        let k = c.householdKey[Int(h)]
                        acc.tHouseholds.add(k)
                        for pk in runCells { acc.tPersonHouseholds[pk].add(k) }
                    }
                    p = q
                }
            }
            acc.publishGroup(group)
            i = j
        }
        if lastCell != Int64.min { acc.publishCell() }

        // Every category is listed for protected kinds (what is present must not show); exact
        // kinds list what occurs, as the exact answer does.
        stats.protectedCells = cells
        stats.people = acc.people; stats.households = acc.households
        for (k, n) in acc.bySex.enumerated() where n > 0 || protection.people { stats.bySex[c.sexes[k]] = n }
        for (k, n) in acc.byBand.enumerated() where n > 0 || protection.people { stats.byAgeBand[StatisticsDimension.ageBands[k]] = n }
        for (k, n) in acc.byReg.enumerated() where n > 0 || protection.people { stats.byRegistration[c.registrations[k]] = n }
        stats.businesses = acc.firms; stats.employees = Int(acc.employees)
        for (k, n) in acc.byIndustryOut.enumerated() where n > 0 || protection.businesses { stats.byIndustry[c.industries[k]] = n }
        stats.buildings = acc.buildings; stats.floorArea = Double(acc.milli) / 1000
        for (k, n) in acc.byUse.enumerated() where n > 0 || protection.buildings { stats.buildingsByUse[c.uses[k]] = n }
        guard !groupBy.isEmpty else { return }

        acc.tables.write(into: &stats, groupBy: groupBy, columns: c, places: places,
                         listEveryPerson: protection.people, listEveryBusiness: protection.businesses)
    }
}

/// The tallies of the atom being read and the published sums so far, as one value owned by the
/// pass (kept out of closures, so that the hot loop's accesses need no runtime exclusivity checks).
struct Accumulator {
    typealias Tally = ProtectedQuery.Tally
    let keys: RecordKeys
    let pp: Bool, pf: Bool, pb: Bool
    /// The groups' published figures.
    var tables: GroupTables
    var personCells: Int { tables.personCells }
    var firmCells: Int { tables.firmCells }
    // Published.
    var people = 0, households = 0, firms = 0, employees: Int64 = 0, buildings = 0, milli: Int64 = 0
    var bySex: [Int], byBand = [0, 0, 0, 0], byReg: [Int], byIndustryOut: [Int], byUse: [Int]
    // One atom's tallies.
    var tPeople = Tally(), tHouseholds = Tally(), tFirms = Tally(), tBuildings = Tally(), tGroupBuildings = Tally()
    var tSex: [Tally], tBand: [Tally], tReg: [Tally], tIndustry: [Tally], tUse: [Tally]
    var tPersonCell: [Tally], tPersonHouseholds: [Tally], tFirmCell: [Tally]

    init(columns c: StatisticsColumns, keys: RecordKeys, protection: StatisticsProtection, tables: GroupTables) {
        self.keys = keys
        pp = protection.people; pf = protection.businesses; pb = protection.buildings
        self.tables = tables
        let personCells = tables.personCells, firmCells = tables.firmCells
        bySex = [Int](repeating: 0, count: c.sexes.count); byReg = [Int](repeating: 0, count: c.registrations.count)
        byIndustryOut = [Int](repeating: 0, count: c.industries.count); byUse = [Int](repeating: 0, count: c.uses.count)
        tSex = [Tally](repeating: Tally(), count: c.sexes.count); tBand = [Tally](repeating: Tally(), count: 4)
        tReg = [Tally](repeating: Tally(), count: c.registrations.count); tIndustry = [Tally](repeating: Tally(), count: c.industries.count)
        tUse = [Tally](repeating: Tally(), count: c.uses.count)
        tPersonCell = [Tally](repeating: Tally(), count: personCells); tPersonHouseholds = tPersonCell
        tFirmCell = [Tally](repeating: Tally(), count: firmCells)
    }

    private func count(_ t: Tally, _ protect: Bool) -> Int { protect ? keys.count(t.n, t.key) : t.n }
    private func sum(_ t: Tally, _ protect: Bool, unit: Int64) -> Int64 { protect ? keys.magnitude(t.sum, records: t.n, t.key, unit: unit) : t.sum }

    /// Totals and their breakdowns are published per grid cell, groups per (cell, group): a total
    /// does not depend on the breakdown asked with it.
    mutating func publishCell() {
        people += count(tPeople, pp); households += count(tHouseholds, pp)
        for k in tSex.indices { bySex[k] += count(tSex[k], pp); tSex[k] = Tally() }
        for k in tBand.indices { byBand[k] += count(tBand[k], pp); tBand[k] = Tally() }
        for k in tReg.indices { byReg[k] += count(tReg[k], pp); tReg[k] = Tally() }
        firms += count(tFirms, pf); employees += sum(tFirms, pf, unit: 1)
        for k in tIndustry.indices where tIndustry[k].n > 0 { byIndustryOut[k] += count(tIndustry[k], pf); tIndustry[k] = Tally() }
        buildings += count(tBuildings, pb); milli += sum(tBuildings, pb, unit: 1000)
        for k in tUse.indices where tUse[k].n > 0 { byUse[k] += count(tUse[k], pb); tUse[k] = Tally() }
        tPeople = Tally(); tHouseholds = Tally(); tFirms = Tally(); tBuildings = Tally()
    }

    mutating func publishGroup(_ group: Int) {
        for pk in 0..<personCells {
            tables.personCount[group * personCells + pk] += count(tPersonCell[pk], pp)
            tables.personHouseholds[group * personCells + pk] += count(tPersonHouseholds[pk], pp)
            tPersonCell[pk] = Tally(); tPersonHouseholds[pk] = Tally()
        }
        for k in 0..<firmCells {
            tables.firmCount[group * firmCells + k] += count(tFirmCell[k], pf)
            tables.firmEmployees[group * firmCells + k] += sum(tFirmCell[k], pf, unit: 1)
            tFirmCell[k] = Tally()
        }
        tables.buildingCount[group] += count(tGroupBuildings, pb); tables.buildingMilli[group] += sum(tGroupBuildings, pb, unit: 1000)
        tGroupBuildings = Tally()
    }
}
