import OneMapStore

/// The JSON answer of `/stats`. Counts of people below `k` (but above 0) are shown as "<k"
/// unless the caller is entitled to exact figures: small cells identify people.
public enum StatisticsDocument {
    public static let defaultK = 5

    public static func make(_ s: AreaStatistics, request: StatisticsRequest, k: Int = defaultK, exact: Bool = false) -> [String: Any] {
        func people(_ n: Int) -> Any { !exact && n > 0 && n < k ? "<\(k)" : n }
        func peopleMap(_ m: [String: Int]) -> [String: Any] { m.mapValues(people) }
        var area: [String: Any] = [:]
        switch request.area {
        case .code(let code): area = ["code": code, "name": s.name ?? ""]
        case .geometry: area = ["geometry": true]
        }
        if let r = request.repaired { area["repaired"] = r }
        func group(_ g: StatisticsGroup, count: String, measure: String, personal: Bool) -> [String: Any] {
            var o: [String: Any] = g.keys
            o[count] = personal ? people(g.count) : g.count
            o[measure] = personal ? people(Int(g.measure)) : (measure == "floorArea" ? (g.measure * 10).rounded() / 10 : g.measure)
            return o
        }
        var doc: [String: Any] = [
            "area": area, "datetime": s.day,
            "rule": "a person, business or building counts in the area when its building's footprint centroid lies in it",
            "suppression": exact ? "none (exact figures)" : "counts of people from 1 to \(k - 1) are shown as \"<\(k)\"",
            "population": ["total": people(s.people), "households": people(s.households), "bySex": peopleMap(s.bySex),
                           "byAgeBand": peopleMap(s.byAgeBand), "byRegistration": peopleMap(s.byRegistration)],
            "businesses": ["count": s.businesses, "employees": s.employees, "byIndustry": s.byIndustry],
            "buildings": ["count": s.buildings, "floorArea": (s.floorArea * 10).rounded() / 10, "byUse": s.buildingsByUse],
        ]
        if !request.groupBy.isEmpty {
            doc["groupBy"] = request.groupBy.map(\.rawValue)
            doc["groups"] = [
                "population": s.peopleGroups.map { group($0, count: "people", measure: "households", personal: true) },
                "businesses": s.businessGroups.map { group($0, count: "businesses", measure: "employees", personal: false) },
                "buildings": s.buildingGroups.map { group($0, count: "buildings", measure: "floorArea", personal: false) },
            ]
        }
        return doc
    }
}
