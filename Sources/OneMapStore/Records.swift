import OneMapGeo

/// Administrative level, city down to grid (网格).
public enum AdminLevel: String, Sendable, Codable, CaseIterable {
    case city, county, township, village, grid
}

/// An administrative area version: valid in [validFrom, validTo) (ISO dates; nil = open).
public struct AdminArea: Sendable {
    public var code: String
    public var level: AdminLevel
    public var parentCode: String?
    public var name: String
    public var geometry: Geometry
    public var validFrom: String?
    public var validTo: String?
    /// True for generated boundaries (townships in the demo): never mistake them for official ones.
    public var synthetic: Bool

    public init(code: String, level: AdminLevel, parentCode: String?, name: String, geometry: Geometry,
                validFrom: String? = nil, validTo: String? = nil, synthetic: Bool = false) {
        self.code = code; self.level = level; self.parentCode = parentCode; self.name = name
        self.geometry = geometry; self.validFrom = validFrom; self.validTo = validTo; self.synthetic = synthetic
    }
}

/// A building entity with its footprint.
public struct Building: Sendable {
    /// Stable unique entity code (e.g. `B350404-000123`).
    public var entityCode: String
    public var footprint: Geometry
    public var floors: Int
    public var use: String
    public var builtDate: String
    public var demolishedDate: String?
    /// This version's valid time [validFrom, validTo): by default the building's whole life.
    public var validFrom: String
    public var validTo: String?

    public init(entityCode: String, footprint: Geometry, floors: Int, use: String, builtDate: String, demolishedDate: String? = nil,
                validFrom: String? = nil, validTo: String? = nil) {
        self.entityCode = entityCode; self.footprint = footprint; self.floors = floors; self.use = use
        self.builtDate = builtDate; self.demolishedDate = demolishedDate
        self.validFrom = validFrom ?? builtDate; self.validTo = validTo ?? demolishedDate
    }
}

/// Registration type of a resident.
public enum Registration: String, Sendable, CaseIterable {
    case huji = "户籍"
    case liudong = "流动"
}

/// One person living in a building.
public struct PersonRecord: Sendable {
    public var buildingCode: String
    public var sex: String  // "M" / "F"
    public var birthYear: Int
    public var householdID: String
    public var registration: Registration
    public var movedIn: String
    public var movedOut: String?
    /// Masked identity, never a real ID number (e.g. `350404**********0127`).
    public var maskedIdentity: String
    /// The department's stable key for the person (imports version records by it).
    public var personKey: String?

    public init(buildingCode: String, sex: String, birthYear: Int, householdID: String, registration: Registration,
                movedIn: String, movedOut: String? = nil, maskedIdentity: String, personKey: String? = nil) {
        self.buildingCode = buildingCode; self.sex = sex; self.birthYear = birthYear; self.householdID = householdID
        self.registration = registration; self.movedIn = movedIn; self.movedOut = movedOut; self.maskedIdentity = maskedIdentity
        self.personKey = personKey
    }
}

/// A legal entity (法人) registered at a building.
public struct BusinessRecord: Sendable {
    /// 18-character unified social credit code (GB 32100), check character verified on write.
    public var creditCode: String
    public var name: String
    /// GB/T 4754 industry section, A–T.
    public var industry: String
    public var employees: Int
    public var registered: String
    public var cancelled: String?
    public var buildingCode: String

    public init(creditCode: String, name: String, industry: String, employees: Int, registered: String,
                cancelled: String? = nil, buildingCode: String) {
        self.creditCode = creditCode; self.name = name; self.industry = industry; self.employees = employees
        self.registered = registered; self.cancelled = cancelled; self.buildingCode = buildingCode
    }
}
