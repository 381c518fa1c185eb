import Foundation
import OneMapGeo
import OneMapStore

/// The body of `POST /problems`: {"layer", "id" (the feature version or record row; absent: the
/// whole layer), "field", "description", "proposedValue", "evidence", "attachment": {"name",
/// "mediaType", "data" (base64)}, "location" (a GeoJSON geometry in `crs`, default CRS84),
/// "priority"}, filed by the calling department.
public enum ProblemRequest {
    static let members: Set<String> = ["layer", "id", "field", "description", "proposedValue", "evidence", "attachment", "location", "crs", "priority"]

    public static func parse(json: Any, reporter: String) throws(QueryError) -> NewProblem {
        guard let body = json as? [String: Any] else { throw QueryError("the body must be a JSON object with layer and description") }
        for key in body.keys.sorted() where !members.contains(key) {
            throw QueryError("unknown member '\(key)'; a problem has \(members.sorted().joined(separator: ", "))")
        }
        guard let layer = body["layer"] as? String, !layer.isEmpty else { throw QueryError("\"layer\" (the layer the problem is in) is required") }
        var id: Int64?
        if let v = body["id"], !(v is NSNull) {
            guard let n = rowID(v) else { throw QueryError("\"id\" must be the positive integer id of a feature version or record") }
            id = n
        }
        guard let description = body["description"] as? String else { throw QueryError("\"description\" (what is wrong) is required") }
        let field = try text(body, "field"), proposed = try text(body, "proposedValue"), evidence = try text(body, "evidence")
        var priority = ProblemPriority.normal
        if let p = body["priority"], !(p is NSNull) {
            guard let s = p as? String, let parsed = ProblemPriority(rawValue: s) else {
                throw QueryError("\"priority\" must be one of \(ProblemPriority.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            priority = parsed
        }
        var attachment: ProblemAttachment?
        if let a = body["attachment"], !(a is NSNull) {
            guard let o = a as? [String: Any], let name = o["name"] as? String, let data = o["data"] as? String else {
                throw QueryError("\"attachment\" must be {\"name\", \"mediaType\", \"data\": base64}")
            }
            guard let bytes = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                throw QueryError("\"attachment\".data is not base64")
            }
            attachment = ProblemAttachment(name: name, mediaType: (o["mediaType"] as? String) ?? "application/octet-stream", bytes: Array(bytes))
        }
        var location: Geometry?
        if let l = body["location"], !(l is NSNull) {
            guard let object = l as? [String: Any] else { throw QueryError("\"location\" must be a GeoJSON geometry") }
            let crs = try StatisticsRequest.crsMember(body["crs"])
            let g: Geometry
            do {
                g = try GeoJSON.geometry(fromJSON: String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
            } catch { throw QueryError("\"location\" is not a GeoJSON geometry: \(error)") }
            guard g.positionCount <= 10_000 else { throw QueryError("\"location\" has \(g.positionCount) vertices; at most 10,000") }
            location = try StatisticsRequest.toStorage(g, from: crs)
        }
        return NewProblem(layer: layer, targetID: id, field: field, description: description, proposedValue: proposed, evidence: evidence,
                          attachment: attachment, location: location, priority: priority, reporter: reporter)
    }

    /// A positive integer row id, exactly (JSON integers up to 2^63 - 1; not via a Double).
    static func rowID(_ v: Any) -> Int64? {
        // Booleans come as a subclass of NSNumber: they are not ids.
        guard let n = v as? NSNumber, type(of: n) == NSNumber.self else { return nil }
        let kind = String(cString: n.objCType)
        if ["q", "l", "i", "s", "Q", "L", "I", "S"].contains(kind) {
            return kind == "Q" || kind == "L" ? (n.uint64Value <= UInt64(Int64.max) && n.uint64Value >= 1 ? Int64(n.uint64Value) : nil)
                                               : (n.int64Value >= 1 ? n.int64Value : nil)
        }
        let d = n.doubleValue
        return d.isFinite && d == d.rounded() && d >= 1 && d < 9.2e18 ? Int64(d) : nil
    }

    private static func text(_ body: [String: Any], _ name: String) throws(QueryError) -> String? {
        guard let v = body[name], !(v is NSNull) else { return nil }
        guard let s = v as? String else { throw QueryError("\"\(name)\" must be text") }
        return s
    }

    /// The body of a step (`POST /problems/{id}/{action}`): {"note", "version"}.
    public static func step(json: Any) throws(QueryError) -> (note: String?, version: Int64?) {
        guard let body = json as? [String: Any] else { throw QueryError("the body must be a JSON object ({\"note\", \"version\"})") }
        for key in body.keys.sorted() where key != "note" && key != "version" {
            throw QueryError("unknown member '\(key)'; a step takes note and version")
        }
        let note = try text(body, "note")
        var version: Int64?
        if let v = body["version"], !(v is NSNull) {
            guard let n = rowID(v) else { throw QueryError("\"version\" must be the id of the version that corrected the problem") }
            version = n
        }
        return (note, version)
    }
}
