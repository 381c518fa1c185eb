import Foundation
import OneMapStore

/// How a build numbered the texts of its rows (building entities, households, sexes,
/// registrations, industries) and which rows it could not place: an update numbers new rows the
/// same way. Immutable once an engine holds it (an update works on its own copy).
struct RecordIndex: @unchecked Sendable {
    var entities: ByteInterner
    var households: ByteInterner
    var sexes: TextInterner, registrations: TextInterner, industries: TextInterner
    var unplacedPeople: Set<Int64>, unplacedFirms: Set<Int64>

    var memoryBytes: Int { entities.memoryBytes + households.memoryBytes + (unplacedPeople.count + unplacedFirms.count) * 16 }
}

/// The rows of people and businesses that changed since an engine was made, read from the store
/// (`FeatureStore.scanStatisticsChanges`) and numbered with the engine's `RecordIndex`, ready to
/// be merged into its columns.
struct RecordPatch: StatisticsRowSink {
    var index: RecordIndex
    let keys: RecordKeys
    /// Households new to the engine: their keys, in number order from `firstNewHousehold`.
    var newHouseholdKeys: [UInt32] = []
    let firstNewHousehold: Int

    struct Person { var entity: Int32, household: Int32, sex: UInt16, birthYear: Int32, registration: UInt16, from: Int32, to: Int32, key: UInt32, id: Int64 }
    struct Firm { var entity: Int32, industry: UInt16, employees: Int64, from: Int32, to: Int32, key: UInt32, id: Int64 }
    var people: [Person] = []
    var firms: [Firm] = []
    /// Changed rows whose building code names no building.
    var unplacedPeople = Set<Int64>(), unplacedFirms = Set<Int64>()

    init(index: RecordIndex, keys: RecordKeys) {
        self.index = index; self.keys = keys
        firstNewHousehold = index.households.count
    }

    private static var empty: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }
    // Days and small numbers as the build converts them.
    private static func day(_ b: BorrowedText?, _ what: String) throws -> Int32 { try StatisticsColumnsBuilder.day(b, what) }
    private static func small(_ n: Int, _ what: String) throws -> UInt16 { try StatisticsColumnsBuilder.small(n, what) }

    /// When buildings or areas changed: every area, building and membership laid out anew, building
    /// entities keeping their numbers (new ones after them).
    var structure: StatisticsColumnsBuilder?

    private mutating func structureBuilder() -> StatisticsColumnsBuilder {
        structure ?? StatisticsColumnsBuilder(keys: keys, entities: index.entities)
    }

    mutating func area(_ row: StatisticsAreaRow) throws {
        var b = structureBuilder(); structure = nil
        try b.area(row); structure = b
    }

    mutating func building(_ row: StatisticsBuildingRow) throws {
        var b = structureBuilder(); structure = nil
        try b.building(row); structure = b
    }

    mutating func membership(areaID: Int64, buildingID: Int64) throws {
        var b = structureBuilder(); structure = nil
        try b.membership(areaID: areaID, buildingID: buildingID); structure = b
    }

    /// A building code's entity number (the new numbering when buildings were read again).
    private func entity(_ code: UnsafeRawBufferPointer) -> Int? {
        if let structure { return structure.entityNumber(code) }
        return index.entities.lookUp(code)
    }

    mutating func person(_ row: StatisticsPersonRow) throws {
        guard let e = entity(row.buildingCode) else { unplacedPeople.insert(row.id); return }
        var household: Int32 = -1
        if let h = row.household {
            let (n, isNew) = index.households.number(h)
            if isNew { newHouseholdKeys.append(keys.key(h)) }
            household = Int32(n)
        }
        people.append(Person(
            entity: Int32(e), household: household, sex: try Self.small(index.sexes.number(row.sex ?? Self.empty), "sexes"),
            birthYear: row.birthYear.map { Int32(clamping: $0) } ?? StatisticsColumns.noBirthYear,
            registration: try Self.small(index.registrations.number(row.registration ?? Self.empty), "registrations"),
            from: try Self.day(row.validFrom, "person valid_from"), to: try Self.day(row.validTo, "person valid_to"),
            key: keys.key(row.id, kind: 1), id: row.id))
    }

    mutating func business(_ row: StatisticsBusinessRow) throws {
        guard let e = entity(row.buildingCode) else { unplacedFirms.insert(row.id); return }
        firms.append(Firm(
            entity: Int32(e), industry: try Self.small(index.industries.number(row.industry ?? Self.empty), "industries"),
            employees: row.employees, from: try Self.day(row.validFrom, "business valid_from"), to: try Self.day(row.validTo, "business valid_to"),
            key: keys.key(row.id, kind: 2), id: row.id))
    }

    /// `c` with every changed row taken out and the changed rows that still exist put in, in the
    /// columns' order (people by entity, then household; businesses by entity): one linear merge.
    /// With buildings or areas read again, their side of the columns is the new layout's.
    func merged(into c: StatisticsColumns, changedPeople: [Int64], changedFirms: [Int64]) -> (StatisticsColumns, RecordIndex) {
        var index = self.index
        var out = c
        var entityCount = c.entityPeopleStart.count - 1
        let oldEntities = entityCount
        if var structure {
            entityCount = structure.entityCount
            index.entities = structure.entityNumbers
            out = structure.finish()
        }
        let removedPeople = Set(changedPeople), removedFirms = Set(changedFirms)

        // People.
        let newPeople = people.sorted { ($0.entity, $0.household, $0.id) < ($1.entity, $1.household, $1.id) }
        var peopleStart = [Int32](repeating: 0, count: entityCount + 1)
        let capacity = c.peopleCount + newPeople.count
        var sex = [UInt16](), born = [Int32](), registration = [UInt16](), household = [Int32](), from = [Int32](), to = [Int32](), key = [UInt32](), id = [Int64]()
        sex.reserveCapacity(capacity); born.reserveCapacity(capacity); registration.reserveCapacity(capacity); household.reserveCapacity(capacity)
        from.reserveCapacity(capacity); to.reserveCapacity(capacity); key.reserveCapacity(capacity); id.reserveCapacity(capacity)
        var j = 0
        for e in 0..<entityCount {
            // Entities new in this update have no people yet.
            var i = e < oldEntities ? Int(c.entityPeopleStart[e]) : 0
            let end = e < oldEntities ? Int(c.entityPeopleStart[e + 1]) : 0
            while i < end || (j < newPeople.count && Int(newPeople[j].entity) == e) {
                let takeOld = i < end && (j == newPeople.count || Int(newPeople[j].entity) != e || c.personHousehold[i] <= newPeople[j].household)
                if takeOld {
                    if removedPeople.isEmpty || !removedPeople.contains(c.personID[i]) {
                        sex.append(c.personSex[i]); born.append(c.personBirthYear[i]); registration.append(c.personRegistration[i])
                        household.append(c.personHousehold[i]); from.append(c.personFrom[i]); to.append(c.personTo[i])
                        key.append(c.personKey[i]); id.append(c.personID[i])
                    }
                    i += 1
                } else {
                    let p = newPeople[j]
                    sex.append(p.sex); born.append(p.birthYear); registration.append(p.registration); household.append(p.household)
                    from.append(p.from); to.append(p.to); key.append(p.key); id.append(p.id)
                    j += 1
                }
            }
            peopleStart[e + 1] = Int32(sex.count)
        }
        out.personSex = sex; out.personBirthYear = born; out.personRegistration = registration; out.personHousehold = household
        out.personFrom = from; out.personTo = to; out.personKey = key; out.personID = id
        out.entityPeopleStart = peopleStart
        out.householdKey = c.householdKey + newHouseholdKeys
        // Households living in more than one building (any day), found again: a change may make or
        // unmake one.
        var first = [Int32](repeating: -1, count: out.householdKey.count)
        var shared = [Bool](repeating: false, count: out.householdKey.count)
        for e in 0..<entityCount {
            for p in Int(peopleStart[e])..<Int(peopleStart[e + 1]) {
                let h = Int(household[p])
                guard h >= 0 else { continue }
                if first[h] < 0 { first[h] = Int32(e) } else if first[h] != Int32(e) { shared[h] = true }
            }
        }
        out.householdShared = shared

        // Businesses.
        let newFirms = firms.sorted { ($0.entity, $0.id) < ($1.entity, $1.id) }
        var firmStart = [Int32](repeating: 0, count: entityCount + 1)
        var industry = [UInt16](), employees = [Int64](), firmFrom = [Int32](), firmTo = [Int32](), firmKey = [UInt32](), firmID = [Int64]()
        let firmCapacity = c.firmCount + newFirms.count
        industry.reserveCapacity(firmCapacity); employees.reserveCapacity(firmCapacity); firmFrom.reserveCapacity(firmCapacity)
        firmTo.reserveCapacity(firmCapacity); firmKey.reserveCapacity(firmCapacity); firmID.reserveCapacity(firmCapacity)
        var k = 0
        for e in 0..<entityCount {
            let range = e < oldEntities ? Int(c.entityFirmStart[e])..<Int(c.entityFirmStart[e + 1]) : 0..<0
            for f in range where removedFirms.isEmpty || !removedFirms.contains(c.firmID[f]) {
                industry.append(c.firmIndustry[f]); employees.append(c.firmEmployees[f]); firmFrom.append(c.firmFrom[f])
                firmTo.append(c.firmTo[f]); firmKey.append(c.firmKey[f]); firmID.append(c.firmID[f])
            }
            while k < newFirms.count && Int(newFirms[k].entity) == e {
                let f = newFirms[k]
                industry.append(f.industry); employees.append(f.employees); firmFrom.append(f.from); firmTo.append(f.to)
                firmKey.append(f.key); firmID.append(f.id)
                k += 1
            }
            firmStart[e + 1] = Int32(industry.count)
        }
        out.firmIndustry = industry; out.firmEmployees = employees; out.firmFrom = firmFrom; out.firmTo = firmTo
        out.firmKey = firmKey; out.firmID = firmID; out.entityFirmStart = firmStart

        // Texts first seen in the changes, and the rows no building holds.
        out.sexes = index.sexes.texts; out.registrations = index.registrations.texts; out.industries = index.industries.texts
        index.unplacedPeople.subtract(removedPeople); index.unplacedPeople.formUnion(unplacedPeople)
        index.unplacedFirms.subtract(removedFirms); index.unplacedFirms.formUnion(unplacedFirms)
        out.unplacedPeople = index.unplacedPeople.count
        out.unplacedFirms = index.unplacedFirms.count
        return (out, index)
    }
}
