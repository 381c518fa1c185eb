import Foundation
import OneMapAnalytics
import OneMapQuery
import OneMapStore

/// The JSON answer of `/analysis/coverage`. Every count goes through `PublishedCount` (the
/// statistics documents' one rule); shares and loads are shown only beside counts that are shown.
struct CoverageDocument: Encodable {
    struct Area: Encodable {
        let code: String
        let name: String
        /// Statistical grid cells a protected answer summed.
        let statisticalGridCells: Int?
    }

    struct BandReach: Encodable {
        let withinReach: PublishedCount
        let beyondReach: PublishedCount
    }

    /// Residents of a place within and beyond reach.
    struct Reach: Encodable {
        var code: String?
        var name: String?
        let population: PublishedCount
        let withinReach: PublishedCount
        let beyondReach: PublishedCount
        /// Within reach over the residents counted, when both are shown.
        let shareWithinReach: Double?
        let byAgeBand: [String: BandReach]
        /// Capacity asked: residents the places within reach cover (2SFCA), and the rest of those within reach.
        let served: PublishedCount?
        let unservedWithinReach: PublishedCount?
    }

    struct Capacity: Encodable {
        let field: String
        let places: Double
        let method: String
    }

    struct FacilityLoad: Encodable {
        let id: Int64
        let name: String?
        let capacity: Double?
        /// Residents counted within the facility's reach.
        let residentsWithinReach: PublishedCount
        /// Places per resident within reach (capacity asked, residents shown).
        let placesPerResident: Double?
    }

    struct Uncovered: Encodable {
        let cells: Int
        let cellDegrees: Double
        let tiles: String
        let tilejson: String
        let geojson: String
        let map: String
    }

    let layer: String
    let radius: Double
    let datetime: String
    let area: Area
    let ageBands: [String]
    /// Facilities of the layer standing that day that the caller may see.
    let facilities: Int
    let total: Reach
    let townships: [Reach]
    let capacity: Capacity?
    let facilityLoads: [FacilityLoad]
    let uncoveredCells: Uncovered
    let rule: String
    let suppression: String

    static let rule = "a resident is within reach when the straight-line distance from their building's footprint centroid to a facility "
        + "standing that day is at most the radius (ellipsoidal metres at the pair's mean latitude); facilities are those of the layer "
        + "the caller may read; capacity is shared out by the two-step floating catchment method among the area's residents counted"

    init(_ r: CoverageResult, request: CoverageRequest, facilities: [CoverageFacility], names: [String?], access: FigureAccess,
         links: Uncovered) {
        let bands = request.ageBands ?? Array(StatisticsDimension.ageBands.indices)
        func count(_ n: Int) -> PublishedCount { PublishedCount(n, access) }
        func reach(_ f: CoverageFigures, code: String? = nil, name: String? = nil) -> Reach {
            let within = count(f.within), beyond = count(f.beyond), people = count(f.people)
            var byBand: [String: BandReach] = [:]
            for k in bands {
                byBand[StatisticsDimension.ageBands[k]] = BandReach(withinReach: count(f.withinByBand[k]), beyondReach: count(f.beyondByBand[k]))
            }
            let share: Double? = within.value != nil && people.value.map { $0 > 0 } == true
                ? (Double(f.within) / Double(f.people) * 10_000).rounded() / 10_000 : nil
            let served = request.capacityField == nil ? nil : Int(f.served.rounded())
            return Reach(code: code, name: name, population: people, withinReach: within, beyondReach: beyond, shareWithinReach: share,
                         byAgeBand: byBand, served: served.map(count), unservedWithinReach: served.map { count(max(0, f.within - $0)) })
        }
        layer = request.layer
        radius = request.radiusMetres
        datetime = r.day
        area = Area(code: r.areaCode, name: r.areaName, statisticalGridCells: r.protectedCells)
        ageBands = bands.map { StatisticsDimension.ageBands[$0] }
        self.facilities = facilities.count
        total = reach(r.total)
        townships = r.townships.map { reach($0.figures, code: $0.code, name: $0.name) }
        if let field = request.capacityField {
            capacity = Capacity(field: field, places: facilities.reduce(0) { $0 + max(0, $1.capacity ?? 0) },
                                method: "two-step floating catchment (2SFCA): each facility's places over the residents within its reach, summed over the facilities a resident reaches, served up to 1")
        } else {
            capacity = nil
        }
        // Facilities reaching residents of the area (published counts: none shown reaches none).
        facilityLoads = facilities.indices.filter { r.demand[$0] > 0 }.map { j in
            let shown = count(r.demand[j])
            let cap = request.capacityField == nil ? nil : facilities[j].capacity
            let ratio: Double? = cap.flatMap { c in shown.value.flatMap { $0 > 0 ? (c / Double($0) * 10_000).rounded() / 10_000 : nil } }
            return FacilityLoad(id: facilities[j].id, name: names[j], capacity: cap, residentsWithinReach: shown, placesPerResident: ratio)
        }
        uncoveredCells = links
        rule = Self.rule
        suppression = access == .exact ? "exact"
            : "protected: reach is measured from the centre of each 250 m statistical grid cell, and every figure is a sum of cells' published counts "
            + "(cell-key perturbation, at most ±2 per cell and township); counts below \(StatisticsDocument.defaultK) shown as \"<\(StatisticsDocument.defaultK)\", "
            + "uncovered cells publishing fewer than \(StatisticsDocument.defaultK) left out"
    }
}

/// The uncovered cells as GeoJSON (`?f=geojson`): one square per statistical grid cell.
struct UncoveredCellsDocument: Encodable {
    struct Feature: Encodable {
        struct Shape: Encodable {
            let type = "Polygon"
            let coordinates: [[[Double]]]
        }
        struct Properties: Encodable { let people: Int }
        let type = "Feature"
        let geometry: Shape
        let properties: Properties
    }
    let type = "FeatureCollection"
    let features: [Feature]

    init(_ cells: [UncoveredCell]) {
        features = cells.map { c in
            let b = c.bbox
            let ring = [[b.minX, b.minY], [b.maxX, b.minY], [b.maxX, b.maxY], [b.minX, b.maxY], [b.minX, b.minY]]
            return Feature(geometry: .init(coordinates: [ring]), properties: .init(people: c.people))
        }
    }
}
