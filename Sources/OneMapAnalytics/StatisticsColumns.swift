import OneMapStore

/// The in-memory statistics engine's data: one array per attribute (small integers, day numbers),
/// lists as CSR offsets (`start[i]..<start[i+1]`), texts numbered once. Built by
/// `StatisticsColumnsBuilder`, read-only afterwards, so any number of queries read it at once.
struct StatisticsColumns: Sendable {
    // Texts by number.
    var areaCodes: [String] = []
    var uses: [String] = []
    var sexes: [String] = []
    var registrations: [String] = []
    var industries: [String] = []

    // Area versions.
    var areaCode: [Int32] = []
    var areaName: [String] = []
    var areaLevel: [AdminLevel] = []
    var areaFrom: [Int32] = [], areaTo: [Int32] = []
    /// Each area version's building versions (the centroid rule's memberships), ascending.
    var areaBuildingStart: [Int32] = [], areaBuildings: [Int32] = []
    /// The versions of each area code.
    var versionsOfCode: [String: [Int32]] = [:]

    // Building versions.
    var buildingEntity: [Int32] = []
    var buildingX: [Double] = [], buildingY: [Double] = []
    var buildingUse: [UInt16] = []
    var buildingFloorMilli: [Int64] = []
    var buildingFrom: [Int32] = [], buildingTo: [Int32] = []
    /// Disclosure control: each building version's statistical grid cell and record key.
    var buildingCell: [Int64] = []
    var buildingKey: [UInt32] = []
    /// Each building version's grid cell as a dense rank (cells in ascending order): atoms are
    /// found by sorting small integers.
    var buildingCellRank: [Int32] = []
    /// Each building version's area versions.
    var buildingAreaStart: [Int32] = [], buildingAreas: [Int32] = []

    // Building entities: their people and businesses.
    var entityPeopleStart: [Int32] = []
    var entityFirmStart: [Int32] = []

    // People, ordered by building entity, then household.
    var personSex: [UInt16] = []
    var personBirthYear: [Int32] = []
    var personRegistration: [UInt16] = []
    /// Household number; -1: none.
    var personHousehold: [Int32] = []
    var personFrom: [Int32] = [], personTo: [Int32] = []
    var personKey: [UInt32] = []
    /// The store's row id of each person (an update finds changed rows by it).
    var personID: [Int64] = []
    /// Households whose members (any day) live in more than one building entity: counted through a
    /// set, the others by runs within a building.
    var householdShared: [Bool] = []
    var householdKey: [UInt32] = []

    // Businesses, ordered by building entity.
    var firmIndustry: [UInt16] = []
    var firmEmployees: [Int64] = []
    var firmFrom: [Int32] = [], firmTo: [Int32] = []
    var firmKey: [UInt32] = []
    var firmID: [Int64] = []

    var grid = CentroidGrid()

    /// People and businesses whose building code names no building (SQL's join drops them too).
    var unplacedPeople = 0, unplacedFirms = 0

    /// A birth year kept as missing.
    static let noBirthYear = Int32.min

    /// The census age band (index into `StatisticsDimension.ageBands`) in `year` of someone born in
    /// `birthYear`; no birth year: the last, as the SQL path counts it.
    @inline(__always)
    static func ageBand(birthYear: Int32, year: Int32) -> Int {
        guard birthYear != noBirthYear else { return 3 }
        let age = year &- birthYear
        return age < 15 ? 0 : age < 60 ? 1 : age < 65 ? 2 : 3
    }

    var buildingCount: Int { buildingEntity.count }
    var peopleCount: Int { personSex.count }
    var firmCount: Int { firmIndustry.count }
    var areaCount: Int { areaCode.count }

    /// Bytes held by the arrays (texts and dictionaries estimated).
    var memoryBytes: Int {
        func b<T>(_ a: [T]) -> Int { a.capacity * MemoryLayout<T>.stride }
        var n = b(areaCode) + b(areaLevel) + b(areaFrom) + b(areaTo) + b(areaBuildingStart) + b(areaBuildings)
        n += b(buildingEntity) + b(buildingX) + b(buildingY) + b(buildingUse) + b(buildingFloorMilli) + b(buildingFrom) + b(buildingTo)
        n += b(buildingAreaStart) + b(buildingAreas) + b(entityPeopleStart) + b(entityFirmStart) + b(buildingCell) + b(buildingKey) + b(buildingCellRank)
        n += b(personSex) + b(personBirthYear) + b(personRegistration) + b(personHousehold) + b(personFrom) + b(personTo) + b(householdShared)
        n += b(personKey) + b(householdKey) + b(firmKey) + b(personID) + b(firmID)
        n += b(firmIndustry) + b(firmEmployees) + b(firmFrom) + b(firmTo)
        n += grid.memoryBytes
        n += (areaCodes.count + areaName.count) * 48 + versionsOfCode.count * 64
        return n
    }
}
