import Foundation
import OneMapStore

/// The JSON answer of `/stats`. What each group of figures shows follows the caller's
/// `StatisticsDisclosure`: exact; protected (the figures were published by disclosure control —
/// perturbed per statistical grid cell — and counts below k, zero included, are shown as "<k");
/// or withheld (null). `PublishedCount` and `PublishedMeasure` are the one rule every statistics
/// answer (/stats, /areas, time series, coverage, exports, reports) goes through.
public enum StatisticsDocument {
    public static let defaultK = 5

    /// How the document describes its disclosure.
    public static func describe(_ d: StatisticsDisclosure, groupBy: [StatisticsDimension] = [], k: Int = defaultK) -> [String: String] {
        func one(_ a: FigureAccess) -> String {
            switch a {
            case .exact: "exact"
            case .suppressed:
                "protected: cell-key perturbation per 250 m statistical grid cell (at most ±2 per cell; a drawn area counts the cells whose centre it contains); counts below \(k) shown as \"<\(k)\", every category listed; sums shown only beside at least \(k) records"
            case .withheld: "withheld: the layer is not shared with the caller"
            }
        }
        var out = ["population": one(d.people), "businesses": one(d.businesses), "buildings": one(d.buildings)]
        if d.isMixed {
            var protected = PeopleFigure.allCases.filter { d.access($0) != .exact }.map(\.rawValue)
            if !groupBy.isEmpty && d.groupAccess(groupBy) != .exact { protected.append("groups") }
            out["population"] = "exact for the fields of the grant used (\((d.peopleFields ?? []).sorted().joined(separator: ", "))); "
                + "\(protected.joined(separator: ", ")) as for the public: \(one(.suppressed))"
        }
        return out
    }

    public static func make(_ s: AreaStatistics, request: StatisticsRequest, k: Int = defaultK,
                            disclosure: StatisticsDisclosure = .standard) -> StatisticsAnswer {
        let d = disclosure
        func people(_ n: Int, _ f: PeopleFigure = .total) -> PublishedCount { PublishedCount(n, d.access(f), k: k) }
        func peopleMap(_ m: [String: Int], _ f: PeopleFigure) -> StatisticsAnswer.Breakdown {
            OrNull(d.people == .withheld ? nil : m.mapValues { people($0, f) })
        }
        func counts(_ m: [String: Int], _ a: FigureAccess) -> StatisticsAnswer.Breakdown {
            OrNull(a == .withheld ? nil : m.mapValues { PublishedCount($0, a, k: k) })
        }
        var area = StatisticsAnswer.Area()
        switch request.area {
        case .code(let code): area.code = code; area.name = s.name ?? ""
        case .geometry: area.geometry = true
        }
        area.repaired = request.repaired
        area.statisticalGridCells = s.protectedCells
        func rows(_ groups: [StatisticsGroup], count: String, measure: String, access: FigureAccess) -> [StatisticsAnswer.GroupRow] {
            guard access != .withheld else { return [] }
            return groups.map { g in
                let n = PublishedCount(g.count, access, k: k)
                let m = measure == "households" ? PublishedMeasure(PublishedCount(Int(g.measure), access, k: k))
                    : PublishedMeasure(sum: g.measure, count: g.count, access, floorArea: measure == "floorArea", k: k)
                return StatisticsAnswer.GroupRow(keys: g.keys, count: n, measure: m, countName: count, measureName: measure)
            }
        }
        let grouped = !request.groupBy.isEmpty
        return StatisticsAnswer(
            area: area, datetime: s.day,
            rule: "a person, business or building counts in the area when its building's footprint centroid lies in it",
            suppression: describe(d, groupBy: request.groupBy, k: k),
            population: .init(total: people(s.people), households: people(s.households, .households), bySex: peopleMap(s.bySex, .bySex),
                              byAgeBand: peopleMap(s.byAgeBand, .byAgeBand), byRegistration: peopleMap(s.byRegistration, .byRegistration)),
            businesses: .init(count: PublishedCount(s.businesses, d.businesses, k: k),
                              employees: PublishedMeasure(sum: Double(s.employees), count: s.businesses, d.businesses, floorArea: false, k: k),
                              byIndustry: counts(s.byIndustry, d.businesses)),
            buildings: .init(count: PublishedCount(s.buildings, d.buildings, k: k),
                             floorArea: PublishedMeasure(sum: s.floorArea, count: s.buildings, d.buildings, floorArea: true, k: k),
                             byUse: counts(s.buildingsByUse, d.buildings)),
            groupBy: grouped ? request.groupBy.map(\.rawValue) : nil,
            groups: grouped ? .init(population: rows(s.peopleGroups, count: "people", measure: "households", access: d.groupAccess(request.groupBy)),
                                    businesses: rows(s.businessGroups, count: "businesses", measure: "employees", access: d.businesses),
                                    buildings: rows(s.buildingGroups, count: "buildings", measure: "floorArea", access: d.buildings)) : nil)
    }
}
