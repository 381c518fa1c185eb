import OneMapStore

/// Why the engine could not take the store's rows (the SQL path keeps answering meanwhile).
public struct AnalyticsError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Receives the store's rows (`FeatureStore.scanStatisticsRows`) and lays them out as
/// `StatisticsColumns`: texts numbered, dates as day numbers, people and businesses ordered by
/// their building entity (people then by household), memberships as lists both ways.
struct StatisticsColumnsBuilder: StatisticsRowSink {
    private(set) var columns = StatisticsColumns()
    private let keys: RecordKeys
    private var areaIndex: [Int64: Int32] = [:]
    private var buildingIndex: [Int64: Int32] = [:]
    private var codeNumbers: [String: Int32] = [:]
    private var entities = ByteInterner()
    private var uses = TextInterner(), sexes = TextInterner(), registrations = TextInterner(), industries = TextInterner()
    private var households = ByteInterner(capacity: 1 << 20)
    private var memberArea: [Int32] = [], memberBuilding: [Int32] = []
    private var personEntity: [Int32] = [], firmEntity: [Int32] = []
    /// Each household's first building entity (-1: none yet).
    private var householdEntity: [Int32] = []
    private var unplacedPeople = Set<Int64>(), unplacedFirms = Set<Int64>()
    init(keys: RecordKeys) { self.keys = keys }

    /// A builder that numbers building entities as an earlier build did (new codes after them), so
    /// that people and businesses laid out by that build keep their entity numbers.
    init(keys: RecordKeys, entities: ByteInterner) {
        self.keys = keys
        self.entities = entities
    }

    /// Building entities numbered so far, and their numbering.
    var entityCount: Int { entities.count }
    var entityNumbers: ByteInterner { entities }

    func entityNumber(_ code: UnsafeRawBufferPointer) -> Int? { entities.lookUp(code) }

    /// What an update needs to number new rows as this build numbered its rows.
    var recordIndex: RecordIndex {
        RecordIndex(entities: entities, households: households, sexes: sexes, registrations: registrations, industries: industries,
                    unplacedPeople: unplacedPeople, unplacedFirms: unplacedFirms)
    }

    private static var empty: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }

    /// A record's validity bound as a day number; NULL: the open end (for a start, SQL's
    /// `NULL <= day` is never true, so the record never counts, as there).
    static func day(_ b: BorrowedText?, _ what: String) throws -> Int32 {
        guard let b else { return DayNumber.openEnd }
        guard let d = DayNumber.parse(b) else { throw AnalyticsError("\(what) '\(String(decoding: b, as: UTF8.self))' is not a date") }
        return d
    }

    static func small(_ n: Int, _ what: String) throws -> UInt16 {
        guard n <= Int(UInt16.max) else { throw AnalyticsError("more than \(UInt16.max) distinct \(what)") }
        return UInt16(n)
    }

    mutating func area(_ row: StatisticsAreaRow) throws {
        let i = Int32(columns.areaCode.count)
        areaIndex[row.id] = i
        let code: Int32
        if let n = codeNumbers[row.code] { code = n } else {
            code = Int32(columns.areaCodes.count)
            codeNumbers[row.code] = code
            columns.areaCodes.append(row.code)
        }
        columns.areaCode.append(code)
        columns.areaName.append(row.name)
        columns.areaLevel.append(row.level)
        // Areas: a NULL start is "since always" (SQL tests `valid_from IS NULL OR valid_from <= day`).
        func day(_ s: String?, _ open: Int32) throws -> Int32 {
            guard let s else { return open }
            guard let d = DayNumber.parse(s) else { throw AnalyticsError("area \(row.code) validity '\(s)' is not a date") }
            return d
        }
        columns.areaFrom.append(try day(row.validFrom, DayNumber.openStart))
        columns.areaTo.append(try day(row.validTo, DayNumber.openEnd))
        columns.versionsOfCode[row.code, default: []].append(i)
    }

    mutating func building(_ row: StatisticsBuildingRow) throws {
        buildingIndex[row.id] = Int32(columns.buildingEntity.count)
        columns.buildingEntity.append(Int32(entities.number(row.entityCode).number))
        columns.buildingX.append(row.cx)
        columns.buildingY.append(row.cy)
        columns.buildingUse.append(try Self.small(uses.number(row.use ?? Self.empty), "building uses"))
        columns.buildingFloorMilli.append(row.floorAreaMilli)
        columns.buildingCell.append(DisclosureControl.cell(x: row.cx, y: row.cy))
        columns.buildingKey.append(keys.key(row.id, kind: 3))
        columns.buildingFrom.append(try Self.day(row.validFrom, "building valid_from"))
        columns.buildingTo.append(try Self.day(row.validTo, "building valid_to"))
    }

    mutating func membership(areaID: Int64, buildingID: Int64) throws {
        // A membership of a row that no longer exists is ignored, as SQL's join ignores it.
        guard let a = areaIndex[areaID], let b = buildingIndex[buildingID] else { return }
        memberArea.append(a)
        memberBuilding.append(b)
    }

    mutating func person(_ row: StatisticsPersonRow) throws {
        guard let e = entities.lookUp(row.buildingCode) else { columns.unplacedPeople += 1; unplacedPeople.insert(row.id); return }
        personEntity.append(Int32(e))
        columns.personSex.append(try Self.small(sexes.number(row.sex ?? Self.empty), "sexes"))
        columns.personBirthYear.append(row.birthYear.map { Int32(clamping: $0) } ?? StatisticsColumns.noBirthYear)
        columns.personRegistration.append(try Self.small(registrations.number(row.registration ?? Self.empty), "registrations"))
        if let h = row.household {
            let n = households.number(h).number
            if n == householdEntity.count {
                householdEntity.append(Int32(e)); columns.householdShared.append(false); columns.householdKey.append(keys.key(h))
            }
            else if householdEntity[n] != Int32(e) { columns.householdShared[n] = true }
            columns.personHousehold.append(Int32(n))
        } else {
            columns.personHousehold.append(-1)
        }
        columns.personKey.append(keys.key(row.id, kind: 1))
        columns.personID.append(row.id)
        columns.personFrom.append(try Self.day(row.validFrom, "person valid_from"))
        columns.personTo.append(try Self.day(row.validTo, "person valid_to"))
    }

    mutating func business(_ row: StatisticsBusinessRow) throws {
        guard let e = entities.lookUp(row.buildingCode) else { columns.unplacedFirms += 1; unplacedFirms.insert(row.id); return }
        firmEntity.append(Int32(e))
        columns.firmIndustry.append(try Self.small(industries.number(row.industry ?? Self.empty), "industries"))
        columns.firmEmployees.append(row.employees)
        columns.firmKey.append(keys.key(row.id, kind: 2))
        columns.firmID.append(row.id)
        columns.firmFrom.append(try Self.day(row.validFrom, "business valid_from"))
        columns.firmTo.append(try Self.day(row.validTo, "business valid_to"))
    }

    /// The columns, with the lists laid out.
    mutating func finish() -> StatisticsColumns {
        // Moved out, so that each column's unordered copy is freed as its ordered one replaces it.
        var c = columns
        columns = StatisticsColumns()
        let entityCount = entities.count
        c.uses = uses.texts; c.sexes = sexes.texts; c.registrations = registrations.texts; c.industries = industries.texts
        // Memberships both ways (counting sorts; within an area, buildings ascend).
        (c.buildingAreaStart, c.buildingAreas) = Self.lists(count: c.buildingCount, keys: memberBuilding, values: memberArea)
        let byBuilding = Self.order(count: c.buildingCount, keys: memberBuilding, then: nil).order.map(Int.init)
        (c.areaBuildingStart, c.areaBuildings) = Self.lists(count: c.areaCount, keys: memberArea, values: memberBuilding, visit: byBuilding)
        // People by entity, then household.
        let personOrder = Self.order(count: entityCount, keys: personEntity, then: c.personHousehold)
        c.entityPeopleStart = personOrder.start
        Self.permute(&c.personSex, personOrder.order)
        Self.permute(&c.personBirthYear, personOrder.order)
        Self.permute(&c.personRegistration, personOrder.order)
        Self.permute(&c.personHousehold, personOrder.order)
        Self.permute(&c.personFrom, personOrder.order)
        Self.permute(&c.personTo, personOrder.order)
        Self.permute(&c.personKey, personOrder.order)
        Self.permute(&c.personID, personOrder.order)
        let firmOrder = Self.order(count: entityCount, keys: firmEntity, then: nil)
        c.entityFirmStart = firmOrder.start
        Self.permute(&c.firmIndustry, firmOrder.order)
        Self.permute(&c.firmEmployees, firmOrder.order)
        Self.permute(&c.firmFrom, firmOrder.order)
        Self.permute(&c.firmTo, firmOrder.order)
        Self.permute(&c.firmKey, firmOrder.order)
        Self.permute(&c.firmID, firmOrder.order)
        c.grid = CentroidGrid(x: c.buildingX, y: c.buildingY)
        let byCell = c.buildingCell.indices.sorted { c.buildingCell[$0] < c.buildingCell[$1] }
        c.buildingCellRank = [Int32](repeating: 0, count: c.buildingCount)
        var rank: Int32 = -1, last = Int64.min
        for b in byCell {
            if c.buildingCell[b] != last || rank < 0 { rank += 1; last = c.buildingCell[b] }
            c.buildingCellRank[b] = rank
        }
        return c
    }

    /// Puts a column in `order` (row numbers of the old order); the old array is freed.
    static func permute<T>(_ column: inout [T], _ order: [Int32]) {
        column = order.map { column[Int($0)] }
    }

    /// CSR lists of `values` by `keys` (0..<count), each list in the order pairs are visited.
    static func lists(count: Int, keys: [Int32], values: [Int32], visit: [Int]? = nil) -> ([Int32], [Int32]) {
        var start = [Int32](repeating: 0, count: count + 1)
        for k in keys { start[Int(k) + 1] += 1 }
        for i in 0..<count { start[i + 1] += start[i] }
        var next = start
        var out = [Int32](repeating: 0, count: keys.count)
        for i in visit ?? Array(keys.indices) {
            let k = Int(keys[i])
            out[Int(next[k])] = values[i]
            next[k] += 1
        }
        return (start, out)
    }

    /// A permutation grouping rows by `keys` (0..<count), stable, each group then sorted by `then`;
    /// and each group's start.
    static func order(count: Int, keys: [Int32], then: [Int32]?) -> (start: [Int32], order: [Int32]) {
        var start = [Int32](repeating: 0, count: count + 1)
        for k in keys { start[Int(k) + 1] += 1 }
        for i in 0..<count { start[i + 1] += start[i] }
        var next = start
        var order = [Int32](repeating: 0, count: keys.count)
        for i in keys.indices {
            let k = Int(keys[i])
            order[Int(next[k])] = Int32(i)
            next[k] += 1
        }
        if let then {
            for k in 0..<count where start[k + 1] - start[k] > 1 {
                order[Int(start[k])..<Int(start[k + 1])].sort { then[Int($0)] != then[Int($1)] ? then[Int($0)] < then[Int($1)] : $0 < $1 }
            }
        }
        return (start, order)
    }
}
