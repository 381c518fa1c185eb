/// What a department promised about a layer's freshness (鲜活度): at most this many days between updates.
public struct SupplyPromise: Sendable, Hashable {
    public let layer: String
    public let everyDays: Int
    public let declaredBy: String
    public let declaredAt: String

    package init(layer: String, everyDays: Int, declaredBy: String, declaredAt: String) {
        self.layer = layer; self.everyDays = everyDays; self.declaredBy = declaredBy; self.declaredAt = declaredAt
    }
}

/// A layer's data on a day, as a supply report counts it: records in force, how many of the
/// cells of its required fields are filled, and the linkage shares where the layer has them.
public struct LayerSupplyFigures: Sendable, Hashable {
    public let layer: String
    public let records: Int
    /// Required (non-derived, not "null = still …") fields, and cells filled over records × fields.
    public let requiredFields: [String]
    public let filledCells: Int
    /// Buildings: residential buildings, and those with at least one resident that day.
    public let residentialBuildings: Int?
    public let residentialWithResidents: Int?
    /// Businesses: those whose building stands that day.
    public let businessesWithBuilding: Int?

    package init(layer: String, records: Int, requiredFields: [String], filledCells: Int, residentialBuildings: Int? = nil,
                 residentialWithResidents: Int? = nil, businessesWithBuilding: Int? = nil) {
        self.layer = layer; self.records = records; self.requiredFields = requiredFields; self.filledCells = filledCells
        self.residentialBuildings = residentialBuildings; self.residentialWithResidents = residentialWithResidents
        self.businessesWithBuilding = businessesWithBuilding
    }

    /// Filled share of required cells (1 when there is nothing to fill).
    public var completeness: Double {
        let cells = records * requiredFields.count
        return cells == 0 ? 1 : Double(filledCells) / Double(cells)
    }
}

/// Supply figures in SQL, once for both backends.
package enum SupplyLedger {
    /// Fields whose null means "still" (still resident, still standing, still valid), or that a
    /// top-level area lacks: never counted as missing.
    package static let optionalFields: Set<String> = ["moved_out", "cancelled", "demolished_date", "valid_from", "valid_to", "parent_code"]

    package static let schema: [String] = [
        "CREATE TABLE supply_promises (layer TEXT PRIMARY KEY, every_days INTEGER NOT NULL CHECK (every_days > 0), declared_by TEXT NOT NULL, declared_at TEXT NOT NULL)",
    ]

    package static let copyTable = CopyTable("supply_promises", key: "layer", [("layer", .text), ("every_days", .int), ("declared_by", .text),
                                                                              ("declared_at", .text)])

    package static func promises(_ c: any LedgerConnection) throws -> [SupplyPromise] {
        try c.rows("SELECT layer, every_days, declared_by, declared_at FROM supply_promises ORDER BY layer") { r in
            SupplyPromise(layer: r.text(0) ?? "", everyDays: Int(r.int(1)), declaredBy: r.text(2) ?? "", declaredAt: r.text(3) ?? "")
        }
    }

    package static func promise(_ c: any LedgerConnection, layer: String, everyDays: Int?, by: String, at: String) throws {
        guard let everyDays else {
            try c.run("DELETE FROM supply_promises WHERE layer = ?1", [.text(layer)])
            return
        }
        guard (1...3660).contains(everyDays) else { throw StoreError("a promised update interval is 1 to 3660 days (got \(everyDays))") }
        try c.run("DELETE FROM supply_promises WHERE layer = ?1", [.text(layer)])
        try c.run("INSERT INTO supply_promises(layer, every_days, declared_by, declared_at) VALUES (?1, ?2, ?3, ?4)",
                  [.text(layer), .int(Int64(everyDays)), .text(by), .text(at)])
    }

    private static func valid(_ alias: String) -> String {
        "(\(alias).valid_from IS NULL OR \(alias).valid_from <= ?1) AND (\(alias).valid_to IS NULL OR \(alias).valid_to > ?1)"
    }

    private static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// The figures of `layer` on `day` (its table; nil for a layer without one).
    package static func figures(_ c: any LedgerConnection, layer: LayerInfo, on day: String) throws -> LayerSupplyFigures? {
        let table: String
        var columns: [(field: String, column: String)] = []
        let core = CoreLayers.all.contains { $0.id == layer.id }
        switch layer.id {
        case CoreLayers.adminLabels.id: return nil
        case CoreLayers.adminAreas.id, CoreLayers.buildings.id, CoreLayers.population.id, CoreLayers.businesses.id: table = layer.id
        default:
            guard layer.isSpatial else { return nil }
            table = quoted("layer_" + layer.id)
        }
        for (i, f) in layer.fields.enumerated() where f.derivedFrom == nil && !optionalFields.contains(f.name) {
            columns.append((f.name, core ? f.name : (i == 0 ? "entity_key" : quoted(f.name))))
        }
        let counts = columns.map { "count(t.\($0.column))" }
        let row = try c.rows("SELECT count(*)\(counts.isEmpty ? "" : ", " + counts.joined(separator: ", ")) FROM \(table) t WHERE \(valid("t"))",
                             [.text(day)]) { r in (0...counts.count).map { Int(r.int($0)) } }.first ?? []
        let records = row.first ?? 0
        let filled = row.dropFirst().reduce(0, +)
        var figures = LayerSupplyFigures(layer: layer.id, records: records, requiredFields: columns.map(\.field), filledCells: filled)
        if layer.id == CoreLayers.buildings.id {
            let linked = try c.rows("""
                SELECT count(*), coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM population p WHERE p.building_code = t.entity_code AND \(valid("p")))
                                          THEN 1 ELSE 0 END), 0)
                FROM buildings t WHERE t.use = 'residential' AND \(valid("t"))
                """, [.text(day)]) { r in (Int(r.int(0)), Int(r.int(1))) }.first ?? (0, 0)
            figures = LayerSupplyFigures(layer: layer.id, records: records, requiredFields: figures.requiredFields, filledCells: filled,
                                         residentialBuildings: linked.0, residentialWithResidents: linked.1)
        } else if layer.id == CoreLayers.businesses.id {
            let placed = try c.firstInt("""
                SELECT coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM buildings b WHERE b.entity_code = t.building_code AND \(valid("b")))
                                    THEN 1 ELSE 0 END), 0)
                FROM businesses t WHERE \(valid("t"))
                """, [.text(day)]) ?? 0
            figures = LayerSupplyFigures(layer: layer.id, records: records, requiredFields: figures.requiredFields, filledCells: filled,
                                         businessesWithBuilding: Int(placed))
        }
        return figures
    }
}
