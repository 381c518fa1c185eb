import Foundation
import OneMapGeo

/// The automatic consistency checks (clause 8: linkage that supports correction). Each looks at
/// the data in force today (current versions; history stays as it was) and names what does not fit.
public enum ConsistencyCheck: String, Sendable, Codable, CaseIterable {
    /// A person registered at a building that did not stand on the day they moved in.
    case residentBuildingAbsent = "resident_building_absent"
    /// A business registered at a building that did not stand on its registration date.
    case businessBuildingAbsent = "business_building_absent"
    /// Two current records with one person key or one credit code.
    case duplicateKey = "duplicate_key"
    /// A building whose centroid lies in no current administrative area.
    case buildingOutsideAreas = "building_outside_areas"
    /// Two current building footprints that overlap (more than `overlapSquareMetres`).
    case overlappingFootprints = "overlapping_footprints"
    /// An area whose current children do not cover it exactly once (gaps, overhangs or overlaps
    /// above `partitionTolerance` of its area).
    case areasNotPartitioning = "areas_not_partitioning"
    /// A current geometry GEOS finds invalid (self-intersections, bad rings).
    case invalidGeometry = "invalid_geometry"
    /// A person whose moved-out date is before their moved-in date, in the latest version of the
    /// record (a moved-out person's version has ended, so "current" would miss exactly these).
    case movedInAfterMovedOut = "moved_in_after_moved_out"
    /// A building with less floor area per resident than `minimumFloorAreaPerResident`.
    case implausibleDensity = "implausible_density"

    /// The layers whose data the check reads (a layer-limited run runs the checks of that layer).
    public var layers: [String] {
        switch self {
        case .residentBuildingAbsent, .movedInAfterMovedOut: [CoreLayers.population.id, CoreLayers.buildings.id]
        case .businessBuildingAbsent: [CoreLayers.businesses.id, CoreLayers.buildings.id]
        case .duplicateKey: [CoreLayers.population.id, CoreLayers.businesses.id]
        case .buildingOutsideAreas: [CoreLayers.buildings.id, CoreLayers.adminAreas.id]
        case .overlappingFootprints: [CoreLayers.buildings.id]
        case .areasNotPartitioning: [CoreLayers.adminAreas.id]
        case .invalidGeometry: []  // every spatial layer (a run limited to one layer checks only it)
        case .implausibleDensity: [CoreLayers.buildings.id, CoreLayers.population.id]
        }
    }

    /// Whether a run limited to `layer` includes this check.
    public func concerns(_ layer: String) -> Bool {
        self == .invalidGeometry ? layer != CoreLayers.population.id && layer != CoreLayers.businesses.id : layers.contains(layer)
    }

    public static let overlapSquareMetres = 1.0
    public static let partitionTolerance = 0.005
    public static let minimumFloorAreaPerResident = 5.0
}

/// One thing a check found: the row it is about (the problem's target) and what identifies the
/// finding from one run to the next.
public struct ConsistencyFinding: Sendable, Hashable {
    public let check: ConsistencyCheck
    public let layer: String
    public let rowID: Int64
    public let field: String?
    /// Stable across runs and versions: the check, the layer and the entity keys involved.
    public let fingerprint: String
    public let description: String

    package init(check: ConsistencyCheck, layer: String, rowID: Int64, field: String? = nil, keys: [String], description: String) {
        self.check = check; self.layer = layer; self.rowID = rowID; self.field = field; self.description = description
        fingerprint = ([check.rawValue, layer] + keys).joined(separator: ":")
    }
}

/// The checks in SQL and GEOS, written once for both backends (the tables are the same).
package enum ConsistencyLedger {
    /// `layer`: a run limited to one layer (geometries are checked in that layer only).
    package static func findings(_ c: any LedgerConnection, checks: Set<ConsistencyCheck>, layer: String?, catalog: [LayerInfo]) throws -> [ConsistencyFinding] {
        var out: [ConsistencyFinding] = []
        for check in ConsistencyCheck.allCases where checks.contains(check) {
            switch check {
            case .residentBuildingAbsent: out += try absentBuilding(c, table: "population", key: "person_key", day: "moved_in", check: check)
            case .businessBuildingAbsent: out += try absentBuilding(c, table: "businesses", key: "credit_code", day: "registered", check: check)
            case .duplicateKey:
                out += try duplicates(c, table: "population", key: "person_key")
                out += try duplicates(c, table: "businesses", key: "credit_code")
            case .buildingOutsideAreas: out += try outsideAreas(c)
            case .overlappingFootprints: out += try overlaps(c)
            case .areasNotPartitioning: out += try partitions(c)
            case .invalidGeometry: out += try invalidGeometries(c, catalog: catalog, only: layer)
            case .movedInAfterMovedOut:
                out += try c.rows("""
                    SELECT p.id, p.person_key, p.moved_in, p.moved_out FROM population p
                    WHERE p.moved_in IS NOT NULL AND p.moved_out IS NOT NULL AND p.moved_out < p.moved_in
                      AND (p.person_key IS NULL OR NOT EXISTS (SELECT 1 FROM population q WHERE q.person_key = p.person_key AND q.id > p.id))
                    ORDER BY p.id
                    """) { r in
                    ConsistencyFinding(check: check, layer: "population", rowID: r.int(0), field: "moved_out", keys: [key(r.text(1), r.int(0))],
                                       description: "迁出日期 \(r.text(3) ?? "") 早于迁入日期 \(r.text(2) ?? "") (moved out before moving in)")
                }
            case .implausibleDensity: out += try density(c)
            }
        }
        return out
    }

    /// The entity key, or the row where a record has none.
    private static func key(_ k: String?, _ id: Int64) -> String { k.map { $0.isEmpty ? "row\(id)" : $0 } ?? "row\(id)" }

    private static func absentBuilding(_ c: any LedgerConnection, table: String, key keyColumn: String, day: String,
                                       check: ConsistencyCheck) throws -> [ConsistencyFinding] {
        try c.rows("""
            SELECT t.id, t.\(keyColumn), t.building_code, coalesce(t.\(day), t.valid_from) FROM \(table) t
            WHERE t.valid_to IS NULL AND coalesce(t.\(day), t.valid_from) IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM buildings b WHERE b.entity_code = t.building_code
                AND (b.valid_from IS NULL OR b.valid_from <= coalesce(t.\(day), t.valid_from))
                AND (b.valid_to IS NULL OR b.valid_to > coalesce(t.\(day), t.valid_from)))
            ORDER BY t.id
            """) { r in
            ConsistencyFinding(check: check, layer: table, rowID: r.int(0), field: "building_code", keys: [key(r.text(1), r.int(0))],
                               description: "登记的建筑 \(r.text(2) ?? "") 在 \(r.text(3) ?? "") 不存在 (building \(r.text(2) ?? "") did not stand on \(r.text(3) ?? ""))")
        }
    }

    private static func duplicates(_ c: any LedgerConnection, table: String, key keyColumn: String) throws -> [ConsistencyFinding] {
        try c.rows("""
            SELECT \(keyColumn), count(*), min(id) FROM \(table) WHERE valid_to IS NULL AND \(keyColumn) IS NOT NULL AND \(keyColumn) <> ''
            GROUP BY \(keyColumn) HAVING count(*) > 1 ORDER BY 3
            """) { r in
            ConsistencyFinding(check: .duplicateKey, layer: table, rowID: r.int(2), field: keyColumn, keys: [r.text(0) ?? ""],
                               description: "\(keyColumn) \(r.text(0) ?? "") 在 \(r.int(1)) 条现行记录中重复 (one key in \(r.int(1)) current records)")
        }
    }

    private static func outsideAreas(_ c: any LedgerConnection) throws -> [ConsistencyFinding] {
        // Only where there are current areas at all: an empty boundary layer is not every building's fault.
        guard try c.firstInt("SELECT count(*) FROM admin_areas WHERE valid_to IS NULL") ?? 0 > 0 else { return [] }
        return try c.rows("""
            SELECT b.id, b.entity_code FROM buildings b WHERE b.valid_to IS NULL AND NOT EXISTS (
              SELECT 1 FROM building_areas ba JOIN admin_areas a ON a.id = ba.area_id WHERE ba.building_id = b.id AND a.valid_to IS NULL)
            ORDER BY b.id
            """) { r in
            ConsistencyFinding(check: .buildingOutsideAreas, layer: "buildings", rowID: r.int(0), keys: [r.text(1) ?? ""],
                               description: "建筑 \(r.text(1) ?? "") 不在任何现行行政区划内 (outside every current area)")
        }
    }

    private static func wkb(_ c: any LedgerConnection, _ column: String) -> String {
        c.dialect == .sqlite ? "AsBinary(\(column))" : "ST_AsBinary(\(column), 'NDR')"
    }

    /// Square metres per square degree near latitude `y` (the store's floor-area rule).
    static func squareMetres(_ degrees: Double, latitude y: Double) -> Double { degrees * 111_320.0 * cos(y * .pi / 180) * 110_574.0 }

    private static func overlaps(_ c: any LedgerConnection) throws -> [ConsistencyFinding] {
        struct Footprint { let id: Int64; let code: String; let box: BBox; let geometry: Geometry }
        let footprints = try c.rows("SELECT id, entity_code, \(wkb(c, "geom")) FROM buildings WHERE valid_to IS NULL AND geom IS NOT NULL ORDER BY id") { r -> Footprint? in
            guard let bytes = r.bytes(2) else { return nil }
            let g = try WKB.decode(bytes)
            return g.bbox.map { Footprint(id: r.int(0), code: r.text(1) ?? "", box: $0, geometry: g) }
        }.compactMap { $0 }
        // A grid of ~200 m cells: each pair is compared once, in the cell holding the lower-left
        // corner of the two boxes' intersection.
        let cell = 0.002
        func index(_ v: Double) -> Int { Int((v / cell).rounded(.down)) }
        var grid: [Int64: [Int]] = [:]
        for (i, f) in footprints.enumerated() {
            for gx in index(f.box.minX)...index(f.box.maxX) {
                for gy in index(f.box.minY)...index(f.box.maxY) { grid[Int64(gx) << 32 | Int64(UInt32(bitPattern: Int32(gy))), default: []].append(i) }
            }
        }
        let engine = GeometryEngine()
        var out: [ConsistencyFinding] = []
        for (cellKey, members) in grid where members.count > 1 {
            let gx = Int(cellKey >> 32), gy = Int(Int32(truncatingIfNeeded: cellKey))
            for a in 0..<members.count {
                for b in (a + 1)..<members.count {
                    let f = footprints[members[a]], g = footprints[members[b]]
                    let minX = max(f.box.minX, g.box.minX), minY = max(f.box.minY, g.box.minY)
                    guard minX <= min(f.box.maxX, g.box.maxX), minY <= min(f.box.maxY, g.box.maxY),
                          index(minX) == gx, index(minY) == gy else { continue }
                    guard let overlap = try engine.intersection(f.geometry, g.geometry) else { continue }
                    let m2 = squareMetres(try engine.area(overlap), latitude: minY)
                    guard m2 > ConsistencyCheck.overlapSquareMetres else { continue }
                    let (first, second) = f.code <= g.code ? (f, g) : (g, f)
                    out.append(ConsistencyFinding(check: .overlappingFootprints, layer: "buildings", rowID: first.id, keys: [first.code, second.code],
                                                  description: "建筑 \(first.code) 与 \(second.code) 的轮廓重叠约 \(Int(m2.rounded())) 平方米 (footprints overlap)"))
                }
            }
        }
        return out.sorted { $0.fingerprint < $1.fingerprint }
    }

    private static func partitions(_ c: any LedgerConnection) throws -> [ConsistencyFinding] {
        struct Area { let id: Int64; let code: String; let parent: String?; let geometry: Geometry }
        let areas = try c.rows("SELECT id, code, parent_code, \(wkb(c, "geom")) FROM admin_areas WHERE valid_to IS NULL AND geom IS NOT NULL ORDER BY code") { r -> Area? in
            guard let bytes = r.bytes(3) else { return nil }
            return Area(id: r.int(0), code: r.text(1) ?? "", parent: r.text(2), geometry: try WKB.decode(bytes))
        }.compactMap { $0 }
        let children = Dictionary(grouping: areas.filter { $0.parent != nil }, by: { $0.parent! })
        let engine = GeometryEngine()
        var out: [ConsistencyFinding] = []
        for parent in areas {
            guard let kids = children[parent.code], !kids.isEmpty else { continue }
            let parentArea = try engine.area(parent.geometry)
            guard parentArea > 0, let union = try engine.union(kids.map(\.geometry)) else { continue }
            let sum = try kids.reduce(0.0) { $0 + (try engine.area($1.geometry)) }
            let overlap = sum - (try engine.area(union))
            let gap = try engine.difference(parent.geometry, union).map { try engine.area($0) } ?? 0
            let overhang = try engine.difference(union, parent.geometry).map { try engine.area($0) } ?? 0
            let worst = max(overlap, gap, overhang) / parentArea
            guard worst > ConsistencyCheck.partitionTolerance else { continue }
            let what = [(overlap, "下级区划相互重叠 overlaps"), (gap, "未覆盖 gaps"), (overhang, "超出上级 overhangs")]
                .filter { $0.0 / parentArea > ConsistencyCheck.partitionTolerance }
                .map { "\($0.1) \(String(format: "%.1f", 100 * $0.0 / parentArea))%" }.joined(separator: ", ")
            out.append(ConsistencyFinding(check: .areasNotPartitioning, layer: "admin_areas", rowID: parent.id, keys: [parent.code],
                                          description: "\(parent.code) 的 \(kids.count) 个下级区划未恰好划分其范围: \(what)"))
        }
        return out
    }

    private static func invalidGeometries(_ c: any LedgerConnection, catalog: [LayerInfo], only: String?) throws -> [ConsistencyFinding] {
        var tables: [(layer: String, table: String, id: String, key: String)] = [("admin_areas", "admin_areas", "id", "code"), ("buildings", "buildings", "id", "entity_code")]
        for l in catalog where l.isSpatial && !CoreLayers.all.contains(where: { $0.id == l.id }) {
            tables.append((l.id, "\"layer_" + l.id.replacingOccurrences(of: "\"", with: "\"\"") + "\"", "fid", "entity_key"))
        }
        let engine = GeometryEngine()
        var out: [ConsistencyFinding] = []
        for t in tables where only == nil || t.layer == only {
            try c.each("SELECT \(t.id), \(t.key), \(wkb(c, "geom")) FROM \(t.table) WHERE valid_to IS NULL AND geom IS NOT NULL ORDER BY \(t.id)", []) { r in
                guard let bytes = r.bytes(2) else { return }
                let v = try engine.validity(try WKB.decode(bytes))
                guard !v.isValid else { return }
                out.append(ConsistencyFinding(check: .invalidGeometry, layer: t.layer, rowID: r.int(0), keys: [key(r.text(1), r.int(0))],
                                              description: "几何无效: \(v.reason ?? "invalid") (invalid geometry)"))
            }
        }
        return out
    }

    private static func density(_ c: any LedgerConnection) throws -> [ConsistencyFinding] {
        try c.rows("""
            SELECT id, entity_code, population, floors, cy, \(wkb(c, "geom")) FROM buildings
            WHERE valid_to IS NULL AND population > 0 AND geom IS NOT NULL ORDER BY id
            """) { r -> ConsistencyFinding? in
            guard let bytes = r.bytes(5) else { return nil }
            let floors = max(1, r.isNull(3) ? 1 : r.int(3))
            let floorArea = squareMetres(try GeometryEngine().area(try WKB.decode(bytes)), latitude: r.double(4)) * Double(floors)
            let residents = r.int(2)
            guard floorArea / Double(residents) < ConsistencyCheck.minimumFloorAreaPerResident else { return nil }
            return ConsistencyFinding(check: .implausibleDensity, layer: "buildings", rowID: r.int(0), field: "population", keys: [r.text(1) ?? ""],
                                      description: "建筑 \(r.text(1) ?? "") 登记 \(residents) 人，建筑面积约 \(Int(floorArea.rounded())) 平方米，人均不足 \(Int(ConsistencyCheck.minimumFloorAreaPerResident)) 平方米 (implausibly many residents)")
        }.compactMap { $0 }
    }
}
