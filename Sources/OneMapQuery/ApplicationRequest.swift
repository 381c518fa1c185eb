import Foundation
import OneMapGeo
import OneMapStore

/// The body of `POST /applications`: {"layer", "fields": [...], "purpose", "area": CODE | [CODES]
/// | GeoJSON polygon (in `crs`, default CRS84), "validFrom", "validTo"}, made the application of
/// the calling department; "uses": ["profiles"] asks for the one-person / one-enterprise files too.
public enum ApplicationRequest {
    static let members: Set<String> = ["layer", "fields", "purpose", "area", "crs", "validFrom", "validTo", "uses"]

    public static func parse(json: Any, department: String, today: String = ISODate.string(Date())) throws(QueryError) -> NewApplication {
        guard let body = json as? [String: Any] else { throw QueryError("the body must be a JSON object with layer, fields, purpose and validTo") }
        for key in body.keys where !members.contains(key) {
            throw QueryError("unknown member '\(key)'; an application has \(members.sorted().joined(separator: ", "))")
        }
        guard let layer = body["layer"] as? String, !layer.isEmpty else { throw QueryError("\"layer\" (a layer id) is required") }
        guard let fields = body["fields"] as? [String], !fields.isEmpty else {
            throw QueryError("\"fields\" must list the fields needed (必要性、最少够用: name each one)")
        }
        guard Set(fields).count == fields.count else { throw QueryError("\"fields\" names a field twice") }
        guard let purpose = body["purpose"] as? String else { throw QueryError("\"purpose\" (what the data is for) is required") }
        guard purpose.count <= 2000 else { throw QueryError("\"purpose\" is longer than 2,000 characters") }
        func day(_ name: String, _ fallback: String?) throws(QueryError) -> String {
            guard let v = body[name] else {
                guard let fallback else { throw QueryError("\"\(name)\" (a date, the grant's last day + 1) is required") }
                return fallback
            }
            guard let text = v as? String else { throw QueryError("\"\(name)\" must be a date YYYY-MM-DD") }
            return try OneDay.parse(text, name: name)
        }
        let validFrom = try day("validFrom", today), validTo = try day("validTo", nil)
        guard validFrom < validTo else { throw QueryError("validFrom (\(validFrom)) must be before validTo (\(validTo))") }
        var area: GrantArea?
        switch body["area"] {
        case nil, is NSNull: area = nil
        case let code as String: area = GrantArea(codes: [try StatisticsRequest.checkedCode(code)])
        case let codes as [String]:
            guard !codes.isEmpty, codes.count <= 200 else { throw QueryError("\"area\" lists 1 to 200 administrative codes") }
            var checked: [String] = []
            for c in codes { checked.append(try StatisticsRequest.checkedCode(c)) }
            area = GrantArea(codes: checked)
        case let object as [String: Any]:
            let crs = try StatisticsRequest.crsMember(body["crs"])
            area = GrantArea(geometry: try StatisticsRequest.polygon(object, crs: crs).0)
        default: throw QueryError("\"area\" must be an administrative code, a list of codes or a GeoJSON polygon")
        }
        var uses: Set<ApplicationUse> = []
        if let u = body["uses"], !(u is NSNull) {
            guard let names = u as? [String] else { throw QueryError("\"uses\" must be a list, e.g. [\"profiles\"]") }
            for n in names {
                guard let use = ApplicationUse(rawValue: n) else {
                    throw QueryError("use '\(n)' is not one of \(ApplicationUse.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                uses.insert(use)
            }
        }
        return NewApplication(department: department, layer: layer, fields: fields, purpose: purpose, area: area, validFrom: validFrom,
                              validTo: validTo, uses: uses)
    }
}
