import Foundation
import OneMapStore

/// The JSON answer of `/stats`. What each group of figures shows follows the caller's
/// `StatisticsDisclosure`: exact; protected (the figures were published by disclosure control —
/// perturbed per statistical grid cell — and counts below k, zero included, are shown as "<k");
/// or withheld (null). `figure` and `measure` are the one rule every statistics answer goes through.
public enum StatisticsDocument {
    public static let defaultK = 5

    /// One count as `access` allows.
    public static func figure(_ n: Int, _ access: FigureAccess, k: Int = defaultK) -> Any {
        PublishedCount(n, access, k: k).json
    }

    /// A sum (employees, floor area) beside the count of records it sums: protected sums are shown
    /// only when their count is shown (at least k records), else one record's size would show.
    public static func measure(_ v: Double, count: Int, _ access: FigureAccess, floorArea: Bool, k: Int = defaultK) -> Any {
        switch access {
        case .withheld: NSNull()
        case .suppressed where count < k: NSNull()
        case .exact, .suppressed: floorArea ? (v * 10).rounded() / 10 : Int(v.rounded())
        }
    }

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
                            disclosure: StatisticsDisclosure = .standard) -> [String: Any] {
        let d = disclosure
        func people(_ n: Int, _ f: PeopleFigure = .total) -> Any { figure(n, d.access(f), k: k) }
        func peopleMap(_ m: [String: Int], _ f: PeopleFigure) -> Any { d.people == .withheld ? NSNull() : m.mapValues { people($0, f) } as Any }
        func business(_ n: Int) -> Any { figure(n, d.businesses, k: k) }
        var area: [String: Any] = [:]
        switch request.area {
        case .code(let code): area = ["code": code, "name": s.name ?? ""]
        case .geometry: area = ["geometry": true]
        }
        if let r = request.repaired { area["repaired"] = r }
        if let cells = s.protectedCells { area["statisticalGridCells"] = cells }
        func group(_ g: StatisticsGroup, count: String, measure name: String, access: FigureAccess) -> [String: Any] {
            var o: [String: Any] = g.keys
            o[count] = figure(g.count, access, k: k)
            o[name] = name == "households" ? figure(Int(g.measure), access, k: k)
                : measure(g.measure, count: g.count, access, floorArea: name == "floorArea", k: k)
            return o
        }
        var doc: [String: Any] = [
            "area": area, "datetime": s.day,
            "rule": "a person, business or building counts in the area when its building's footprint centroid lies in it",
            "suppression": describe(d, groupBy: request.groupBy, k: k),
            "population": ["total": people(s.people), "households": people(s.households, .households), "bySex": peopleMap(s.bySex, .bySex),
                           "byAgeBand": peopleMap(s.byAgeBand, .byAgeBand), "byRegistration": peopleMap(s.byRegistration, .byRegistration)],
            "businesses": ["count": business(s.businesses), "employees": measure(Double(s.employees), count: s.businesses, d.businesses, floorArea: false, k: k),
                           "byIndustry": d.businesses == .withheld ? NSNull() : s.byIndustry.mapValues(business) as Any],
            "buildings": ["count": figure(s.buildings, d.buildings, k: k), "floorArea": measure(s.floorArea, count: s.buildings, d.buildings, floorArea: true, k: k),
                          "byUse": d.buildings == .withheld ? NSNull() : s.buildingsByUse.mapValues { figure($0, d.buildings, k: k) } as Any],
        ]
        if !request.groupBy.isEmpty {
            doc["groupBy"] = request.groupBy.map(\.rawValue)
            doc["groups"] = [
                "population": d.people == .withheld ? [] : s.peopleGroups.map {
                    group($0, count: "people", measure: "households", access: d.groupAccess(request.groupBy))
                },
                "businesses": d.businesses == .withheld ? [] : s.businessGroups.map { group($0, count: "businesses", measure: "employees", access: d.businesses) },
                "buildings": d.buildings == .withheld ? [] : s.buildingGroups.map { group($0, count: "buildings", measure: "floorArea", access: d.buildings) },
            ]
        }
        return doc
    }
}
