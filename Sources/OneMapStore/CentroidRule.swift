import OneMapGeo

/// The centroid rule, the same in every backend: a building (and everyone and every business in
/// it) lies in an administrative area version when its footprint centroid does. Given every
/// area version and every building version, it says which buildings each area holds, each
/// area's population today, the township each building is in, and a label point inside each
/// area (a centroid can fall outside a concave county).
package enum CentroidRule {
    package struct BuildingPoint {
        package let id: Int64
        package let x: Double, y: Double
        /// Residents counted today (0 for a version not standing today).
        package let populationToday: Int
        package init(id: Int64, x: Double, y: Double, populationToday: Int) {
            self.id = id; self.x = x; self.y = y; self.populationToday = populationToday
        }
    }

    package struct AreaShape {
        package let id: Int64
        package let level: String
        package let code: String
        package let geometry: Geometry
        package init(id: Int64, level: String, code: String, geometry: Geometry) {
            self.id = id; self.level = level; self.code = code; self.geometry = geometry
        }
    }

    package struct AreaResult {
        package let id: Int64
        package let population: Int
        package let label: Position?
        /// The buildings (ids) whose centroid lies in the area.
        package let members: [Int64]
    }

    /// Hands each area's result to `eachArea`, in the order given; returns the township code of
    /// each of `buildings` (nil: none).
    package static func assign(areas: [AreaShape], buildings: [BuildingPoint],
                               _ eachArea: (AreaResult) throws -> Void) throws -> [String?] {
        let engine = GeometryEngine()
        var townshipOf = [String?](repeating: nil, count: buildings.count)
        for area in areas {
            let prepared = try engine.prepare(area.geometry)
            guard let box = prepared.bbox else { continue }
            var total = 0
            var members: [Int64] = []
            for (i, b) in buildings.enumerated() where b.x >= box.minX && b.x <= box.maxX && b.y >= box.minY && b.y <= box.maxY {
                if prepared.contains(Position(b.x, b.y)) {
                    total += b.populationToday
                    members.append(b.id)
                    if area.level == "township" { townshipOf[i] = area.code }
                }
            }
            try eachArea(AreaResult(id: area.id, population: total, label: try engine.pointOnSurface(area.geometry), members: members))
        }
        return townshipOf
    }
}
