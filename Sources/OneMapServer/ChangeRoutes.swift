import Foundation
import Hummingbird
import OneMapGeo
import OneMapStore

/// `GET /changes?layer=&from=&to=[&bbox=][&limit=][&offset=]`: entities created, modified and
/// removed between two days, with their attributes before and after.
struct ChangeRoutes: Sendable {
    let store: any FeatureStore
    let governance: Governance
    let fallbackBaseURL: String

    static let parameters: Set<String> = ["layer", "from", "to", "bbox", "limit", "offset"]
    static let defaultLimit = 1000, maxLimit = 10_000

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/changes") { request, context in try await self.changes(request, context) }
    }

    func changes(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        var q: [String: String] = [:]
        for (k, v) in QueryItems.of(request) {
            let key = String(k)
            guard Self.parameters.contains(key) else {
                throw APIError.badRequest("unknown query parameter '\(key)'; /changes accepts \(Self.parameters.sorted().joined(separator: ", "))")
            }
            q[key] = String(v)
        }
        guard let layer = q["layer"], !layer.isEmpty else { throw APIError.badRequest("parameter 'layer' is required") }
        func day(_ name: String) throws -> String {
            guard let text = q[name] else { throw APIError.badRequest("parameter '\(name)' is required (a date or RFC 3339 date-time)") }
            do {
                let f = try TimeFilter.parse(text)
                guard f.isInstant, let d = f.start else { throw APIError.badRequest("'\(name)' must be one day, not an interval") }
                return d
            } catch let e as TimeFilterError {
                throw APIError.badRequest("\(name): \(e.description)")
            }
        }
        let from = try day("from"), to = try day("to")
        guard from < to else { throw APIError.badRequest("'from' (\(from)) must be before 'to' (\(to))") }
        let bbox = try q["bbox"].map(Self.parseBBox)
        let limit = try q["limit"].map { try Self.int($0, "limit", min: 1) }.map { min($0, Self.maxLimit) } ?? Self.defaultLimit
        let offset = try q["offset"].map { try Self.int($0, "offset", min: 0) } ?? 0
        let caller = context.caller
        let found = try await blocking { () throws -> (ChangeList, LayerView, [ShareApplication])? in
            guard let info = try store.layer(id: layer) else { return nil }
            let (views, grants) = try governance.views(of: [info], for: caller)
            guard views[0].area == nil else {
                throw APIError(.forbidden, "Forbidden", "the grant used limits '\(layer)' to an area; its changes are not offered (read the items of two days instead)")
            }
            do { return (try store.changes(layer: layer, from: from, to: to, bbox: bbox, limit: limit, offset: offset), views[0], grants) }
            catch let e as StoreError { throw APIError.from(e) }
        }
        guard let (list, view, grants) = found else { throw APIError.notFound("unknown layer '\(layer)'") }
        governance.audit(request, context, route: "/changes", layer: layer, grants: grants, area: Governance.box(bbox),
                         datetime: "\(from)/\(to)", rows: list.changes.count)
        // The change list's fields as the caller's view shows them (hidden ones left out, personal masked).
        let shown: [(Int, Int)] = list.fields.enumerated().compactMap { i, name in
            guard let f = view.layer.fields.firstIndex(where: { $0.name == name }), view.visible.contains(f) else { return nil }
            return (i, f)
        }
        func object(_ values: [FieldValue]?) -> Any {
            guard let values else { return NSNull() }
            var o: [String: Any] = [:]
            for (i, f) in shown { o[list.fields[i]] = JSONValues.any(view.shown(f, values[i])) }
            return o
        }
        var doc: [String: Any] = [
            "layer": layer, "from": from, "to": to,
            "numberMatched": list.numberMatched, "numberReturned": list.changes.count,
            "changes": list.changes.map { c -> [String: Any] in
                ["change": c.kind.rawValue, "date": c.date, "id": c.entity, "before": object(c.before), "after": object(c.after)]
            },
        ]
        if offset + list.changes.count < list.numberMatched {
            var next = URLComponents()
            next.path = "/changes"
            next.queryItems = q.filter { $0.key != "offset" }.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
                + [URLQueryItem(name: "offset", value: String(offset + list.changes.count))]
            doc["links"] = [["rel": "next", "href": BaseURL.of(request, fallback: fallbackBaseURL) + (next.string ?? "")]]
        }
        return JSONResponse.make(doc)
    }

    static func int(_ s: String, _ name: String, min: Int) throws -> Int {
        guard let v = Int(s), v >= min else { throw APIError.badRequest("'\(name)' must be an integer >= \(min), got '\(s)'") }
        return v
    }

    /// `minLon,minLat,maxLon,maxLat` in EPSG:4490 degrees.
    static func parseBBox(_ s: String) throws -> BBox {
        let parts = s.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, let a = parts[0], let b = parts[1], let c = parts[2], let d = parts[3],
              [a, b, c, d].allSatisfy(\.isFinite) else {
            throw APIError.badRequest("bbox '\(s)' must be four numbers: minLon,minLat,maxLon,maxLat")
        }
        guard a <= c, b <= d, (-180...180).contains(a), (-180...180).contains(c), (-90...90).contains(b), (-90...90).contains(d) else {
            throw APIError.badRequest("bbox '\(s)' is not a valid lon/lat box (min before max, within ±180/±90)")
        }
        return BBox(minX: a, minY: b, maxX: c, maxY: d)
    }
}

/// FieldValue as a JSONSerialization value.
enum JSONValues {
    static func any(_ v: FieldValue) -> Any {
        switch v {
        case .null: NSNull()
        case .string(let s): s
        case .int(let n): n
        case .double(let d): d
        case .bool(let b): b
        }
    }
}
