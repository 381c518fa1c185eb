import Foundation
import OneMapStore

/// A coverage question, checked: which residents of an area can reach a layer of facilities
/// within a straight-line radius on a day, optionally sharing out each facility's capacity.
public struct CoverageRequest: Sendable, Hashable {
    /// The facilities' collection (a point layer).
    public var layer: String
    public var radiusMetres: Double
    public var day: String
    /// The administrative area whose residents are counted (default: the city).
    public var area: String
    /// Age bands counted (`StatisticsDimension.ageBands` indices, ascending); nil: everyone.
    public var ageBands: [Int]?
    /// A numeric field of the layer holding each facility's capacity; nil: reach only.
    public var capacityField: String?

    public static let maxRadius = 50_000.0
    public static let defaultArea = "350400"
    public static let members = ["layer", "radius", "datetime", "area", "ageBands", "capacity"]

    public init(layer: String, radiusMetres: Double, day: String, area: String = defaultArea,
                ageBands: [Int]? = nil, capacityField: String? = nil) {
        self.layer = layer; self.radiusMetres = radiusMetres; self.day = day; self.area = area
        self.ageBands = ageBands; self.capacityField = capacityField
    }

    /// From a JSON body: {"layer": id, "radius": metres, "datetime": day, "area": code,
    /// "ageBands": ["0-14", ...], "capacity": field}.
    public static func parse(json: Any) throws(QueryError) -> CoverageRequest {
        guard let body = json as? [String: Any] else { throw QueryError("the body must be a JSON object with \"layer\" and \"radius\"") }
        for key in body.keys where !members.contains(key) {
            throw QueryError("unknown member '\(key)'; a coverage request has \(members.joined(separator: ", "))")
        }
        guard let layer = body["layer"] as? String else { throw QueryError("\"layer\" (the facilities' collection id, text) is required") }
        let radius: Double
        switch body["radius"] {
        case nil: throw QueryError("\"radius\" (metres, a number) is required")
        case let n as NSNumber where !FeatureEditRequest.isJSONBool(n): radius = n.doubleValue
        default: throw QueryError("\"radius\" must be a number of metres")
        }
        if body["datetime"] != nil && !(body["datetime"] is String) { throw QueryError("datetime must be a date text") }
        if body["area"] != nil && !(body["area"] is String) { throw QueryError("area must be an administrative code (text)") }
        if body["capacity"] != nil && !(body["capacity"] is String) { throw QueryError("capacity must be the name of a numeric field of the layer") }
        var bands: [String]?
        switch body["ageBands"] {
        case nil: bands = nil
        case let list as [String]: bands = list
        case let text as String: bands = text.split(separator: ",").map(String.init)
        default: throw QueryError("ageBands must be a list of \(StatisticsDimension.ageBands.joined(separator: ", "))")
        }
        return try make(layer: layer, radius: radius, datetime: body["datetime"] as? String, area: body["area"] as? String,
                        ageBands: bands, capacity: body["capacity"] as? String)
    }

    /// From query parameters (`GET /analysis/coverage?layer=&radius=…`, and the coverage tiles).
    /// `extra` names further parameters the caller accepts (they are skipped here).
    public static func parse(parameters: [(String, String)], extra: [String] = []) throws(QueryError) -> CoverageRequest {
        var v: [String: String] = [:]
        for (k, value) in parameters {
            guard members.contains(k) || extra.contains(k) else {
                throw QueryError("unknown query parameter '\(k)'; coverage accepts \((members + extra).joined(separator: ", "))")
            }
            guard v[k] == nil else { throw QueryError("parameter '\(k)' is given more than once") }
            v[k] = value
        }
        guard let layer = v["layer"] else { throw QueryError("parameter 'layer' (the facilities' collection id) is required") }
        guard let text = v["radius"] else { throw QueryError("parameter 'radius' (metres) is required") }
        guard let radius = Double(text) else { throw QueryError("radius '\(text)' is not a number of metres") }
        return try make(layer: layer, radius: radius, datetime: v["datetime"], area: v["area"],
                        ageBands: v["ageBands"].map { $0.split(separator: ",").map(String.init) }, capacity: v["capacity"])
    }

    private static func make(layer: String, radius: Double, datetime: String?, area: String?, ageBands: [String]?,
                             capacity: String?) throws(QueryError) -> CoverageRequest {
        guard !layer.isEmpty else { throw QueryError("layer must not be empty") }
        guard radius.isFinite, radius > 0, radius <= maxRadius else {
            throw QueryError("radius \(radius) m is out of range: it must be more than 0 and at most \(Int(maxRadius)) m")
        }
        let day = try StatisticsRequest.dayMember(datetime, present: false)
        let code = try area.map { (a: String) throws(QueryError) -> String in try StatisticsRequest.checkedCode(a) } ?? defaultArea
        var bands: [Int]?
        if let ageBands {
            var picked = Set<Int>()
            for raw in ageBands {
                let name = raw.trimmingCharacters(in: .whitespaces)
                guard let i = StatisticsDimension.ageBands.firstIndex(of: name) else {
                    throw QueryError("age band '\(name)' is unknown; choose from \(StatisticsDimension.ageBands.joined(separator: ", "))")
                }
                picked.insert(i)
            }
            guard !picked.isEmpty else { throw QueryError("ageBands is empty; leave it out to count everyone") }
            bands = picked.sorted()
        }
        if let capacity, capacity.isEmpty { throw QueryError("capacity must name a numeric field of the layer") }
        return CoverageRequest(layer: layer, radiusMetres: radius, day: day, area: code, ageBands: bands, capacityField: capacity)
    }

    /// The request as query parameters (tile and map URLs repeat it).
    public var queryItems: [(String, String)] {
        var items = [("layer", layer), ("radius", Self.number(radiusMetres)), ("datetime", day), ("area", area)]
        if let ageBands { items.append(("ageBands", ageBands.map { StatisticsDimension.ageBands[$0] }.joined(separator: ","))) }
        if let capacityField { items.append(("capacity", capacityField)) }
        return items
    }

    public static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }
}
