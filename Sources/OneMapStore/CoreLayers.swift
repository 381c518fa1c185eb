/// The core layers of the one map and the departments that own them.
public enum CoreLayers {
    public static let adminAreas = LayerInfo(
        id: "admin_areas", title: "行政区划 Administrative areas",
        description: "City, counties (with their 2021 changes) and townships (synthetic boundaries in the demo), CGCS2000.",
        geometryType: .multiPolygon,
        fields: [
            FieldInfo("code", .string, "Administrative code (6, 9 or 12 digits)"),
            FieldInfo("name", .string, "Name"),
            FieldInfo("level", .string, "city, county, township, village or grid"),
            FieldInfo("parent_code", .string, "Code of the parent area"),
            // A count of the population records: only for callers who may count them exactly (the
            // public gets an area's figures from /areas and /stats, through disclosure control).
            FieldInfo("population", .integer, "Residents whose building centroid lies in the area", derivedFrom: "population"),
            FieldInfo("valid_from", .date, "First day of validity (inclusive); null = always"),
            FieldInfo("valid_to", .date, "End of validity (exclusive); null = still valid"),
            FieldInfo("synthetic", .boolean, "True when the boundary is generated, not official"),
        ],
        ownerDepartment: "SMMZ", shareClass: .unconditional, minZoom: 0, maxZoom: 16, open: true)

    /// One point per administrative area, inside it: labels drawn once per area, not once per tile.
    public static let adminLabels = LayerInfo(
        id: "admin_labels", title: "行政区划注记 Administrative area labels",
        description: "A label point inside each administrative area (derived from admin_areas).",
        geometryType: .point,
        fields: [
            FieldInfo("code", .string, "Administrative code"),
            FieldInfo("name", .string, "Name"),
            FieldInfo("level", .string, "city, county, township, village or grid"),
            FieldInfo("population", .integer, "Residents whose building centroid lies in the area", derivedFrom: "population"),
        ],
        ownerDepartment: "SMMZ", shareClass: .unconditional, minZoom: 0, maxZoom: 16, open: true)

    public static let buildings = LayerInfo(
        id: "buildings", title: "建筑物 Buildings",
        description: "Building footprints with their resident and business counts (synthetic in the demo), CGCS2000.",
        geometryType: .polygon,
        fields: [
            FieldInfo("entity_code", .string, "Stable unique building code"),
            FieldInfo("floors", .integer, "Number of floors"),
            FieldInfo("use", .string, "residential, commercial, industrial or public"),
            FieldInfo("built_date", .date, "Date built"),
            FieldInfo("demolished_date", .date, "Date demolished; null = standing"),
            // Residents of one building can be one household: only for callers who may count the
            // population records (the owner, the administrator, a department granted them).
            FieldInfo("population", .integer, "Current residents", sensitivity: .internal, derivedFrom: "population"),
            FieldInfo("businesses", .integer, "Current registered businesses", sensitivity: .internal, derivedFrom: "businesses"),
        ],
        ownerDepartment: "SMZRZY", shareClass: .unconditional, minZoom: 13, maxZoom: 16, open: true)

    public static let population = LayerInfo(
        id: "population", title: "人口 Population records",
        description: "One row per resident, located through the building entity code (synthetic in the demo).",
        geometryType: .none,
        fields: [
            FieldInfo("person_key", .string, "The department's stable key for the person", sensitivity: .internal),
            FieldInfo("building_code", .string, "Entity code of the building lived in"),
            FieldInfo("sex", .string, "M or F"),
            FieldInfo("birth_year", .integer, "Year of birth"),
            FieldInfo("household_id", .string, "Household identifier", sensitivity: .internal),
            FieldInfo("registration", .string, "户籍 (registered) or 流动 (floating)"),
            FieldInfo("moved_in", .date, "Date moved in"),
            FieldInfo("moved_out", .date, "Date moved out; null = still resident"),
            FieldInfo("masked_identity", .string, "Masked identity, never a real ID number", sensitivity: .personal),
        ],
        ownerDepartment: "SMGA", shareClass: .conditional)

    public static let businesses = LayerInfo(
        id: "businesses", title: "法人 Businesses (legal entities)",
        description: "Registered legal entities located through the building entity code (synthetic in the demo).",
        geometryType: .none,
        fields: [
            FieldInfo("credit_code", .string, "Unified social credit code (GB 32100)"),
            FieldInfo("name", .string, "Registered name"),
            FieldInfo("industry", .string, "GB/T 4754 industry section A-T"),
            FieldInfo("employees", .integer, "Number of employees"),
            FieldInfo("registered", .date, "Registration date"),
            FieldInfo("cancelled", .date, "Cancellation date; null = active"),
            FieldInfo("building_code", .string, "Entity code of the building registered at"),
        ],
        ownerDepartment: "SMSCJG", shareClass: .unconditional)

    public static let all = [adminAreas, adminLabels, buildings, population, businesses]

    /// Departments owning the core layers, and the data center that administers sharing.
    public static let departments: [Department] = [
        Department(code: "SMMZ", name: "三明市民政局"), Department(code: "SMZRZY", name: "三明市自然资源局"),
        Department(code: "SMGA", name: "三明市公安局"), Department(code: "SMSCJG", name: "三明市市场监督管理局"),
        Department(code: "SMDSJ", name: "三明市大数据管理中心", role: .administrator),
    ]
}

/// The columns the core layers' catalog fields are read from, in catalog order (tables aliased
/// `a` for areas, `b` for buildings), the same in every backend. Buildings' two counts follow:
/// stored or counted on the day asked, as each backend writes them.
package enum CoreLayerColumns {
    package static let adminAreas = ["a.code", "a.name", "a.level", "a.parent_code", "a.population", "a.valid_from", "a.valid_to", "a.synthetic"]
    package static let adminLabels = ["a.code", "a.name", "a.level", "a.population"]
    package static let buildings = ["b.entity_code", "b.floors", "b.use", "b.built_date", "b.demolished_date"]
    package static let storedCounts = ["b.population", "b.businesses"]

    /// The counts of day parameter `day` (`?7`, `$7`): residents and businesses of each building.
    package static func countsOn(_ day: String) -> [String] {
        ["(SELECT count(*) FROM population p WHERE p.building_code = b.entity_code AND p.valid_from <= \(day) AND (p.valid_to IS NULL OR p.valid_to > \(day)))",
         "(SELECT count(*) FROM businesses s WHERE s.building_code = b.entity_code AND s.valid_from <= \(day) AND (s.valid_to IS NULL OR s.valid_to > \(day)))"]
    }
}
