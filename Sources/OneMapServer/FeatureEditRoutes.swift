import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OneMapAccess
import OneMapGeo
import OneMapQuery
import OneMapStore

/// OGC API – Features Part 4 for the owner department: create (POST items), replace (PUT),
/// update (PATCH, a merge of properties and optionally the geometry) and delete (DELETE) features
/// of its own layers. Nothing is overwritten: each edit closes the entity's current version today
/// and opens the next (a delete only closes), so every earlier day stays readable; each is audited.
struct FeatureEditRoutes: Sendable {
    let store: any FeatureStore & GovernanceStore
    let governance: Governance
    /// Cached tiles an edit touches are dropped before the edit's response leaves.
    let tiles: TileService
    let fallbackBaseURL: String

    static let maxBody = 8 << 20
    static let conformance = [
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    ]

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.post("/collections/:id/items") { request, context in try await self.create(request, context) }
        router.put("/collections/:id/items/:fid") { request, context in try await self.replace(request, context, merge: false) }
        router.patch("/collections/:id/items/:fid") { request, context in try await self.replace(request, context, merge: true) }
        router.delete("/collections/:id/items/:fid") { request, context in try await self.remove(request, context) }
    }

    /// The layer, if the caller owns it and it takes edits.
    private func ownedLayer(_ context: OneMapRequestContext) async throws -> LayerInfo {
        let id = context.parameters.get("id") ?? ""
        guard let d = context.caller.principal.department else {
            throw APIError(.unauthorized, "Unauthorized", "editing features needs the owner department's API key", headers: [.wwwAuthenticate: "Bearer"])
        }
        let layer = try await blocking { try store.layer(id: id) }
        guard let layer, layer.isSpatial else { throw APIError.notFound("no feature collection '\(id)'; see /collections") }
        guard layer.ownerDepartment == d.code else {
            throw APIError(.forbidden, "Forbidden", "only \(layer.ownerDepartment), the owner of '\(layer.id)', edits its features")
        }
        guard !CoreLayers.all.contains(where: { $0.id == layer.id }) else {
            throw APIError(.methodNotAllowed, "MethodNotAllowed", "core layer '\(layer.id)' changes by import (onemap import), not feature by feature")
        }
        return layer
    }

    /// The body's CRS: `Content-Crs: <uri>`, CRS84 by default.
    static func crs(_ request: Request) throws -> APICRS {
        guard let header = request.headers[HTTPField.Name("Content-Crs")!] else { return .crs84 }
        let uri = header.trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
        guard let c = APICRS.parse(uri) else { throw APIError.badRequest("Content-Crs '\(header)' is not offered; offered: \(APICRS.list)") }
        return c
    }

    static func parse(_ json: Any, layer: LayerInfo, crs: APICRS, requireGeometry: Bool) throws -> FeatureEditRequest {
        do { return try FeatureEditRequest.parse(json: json, layer: layer, crs: crs, requireGeometry: requireGeometry) } catch {
            throw APIError.badRequest(error.description)
        }
    }

    static func today() -> String { ISODate.string(Date()) }

    /// Writes one entity version through the version rules; a refusal names the reason.
    private func write(_ layer: LayerInfo, key: String, values: [String: FieldValue], geometry: Geometry, mode: ImportMode) throws -> Int64 {
        let record = KeyedRecord(row: 1, key: key, values: values, geometry: geometry)
        do {
            _ = try store.applyVersions(layer: layer, records: [record], alreadyRejected: [], mode: mode, validFrom: Self.today(), skipBad: false) { _ in }
        } catch let e as ImportRefused {
            let reason = e.rejected.first?.reason ?? e.reason
            throw reason.contains("already exists") ? APIError(.conflict, "Conflict", reason) : APIError.badRequest(reason)
        } catch let e as StoreError { throw APIError.from(e) }
        guard let fid = try current(layer, key: key)?.id else { throw APIError.badRequest("the feature was not stored") }
        try tiles.catchUp()
        return fid
    }

    /// The entity's version in force today.
    private func current(_ layer: LayerInfo, key: String) throws -> StoredFeature? {
        guard let keyField = layer.fields.first else { return nil }
        var found: StoredFeature?
        try store.queryFeatures(FeatureQuery(layer: layer.id, time: .today(), equals: [PropertyEquals(field: keyField.name, value: .string(key))], limit: 1)) {
            found = $0
        }
        return found
    }

    private func created(_ request: Request, layer: LayerInfo, fid: Int64, status: HTTPResponse.Status) -> Response {
        let base = BaseURL.of(request, fallback: fallbackBaseURL)
        return Response(status: status, headers: [.location: "\(base)/collections/\(layer.id)/items/\(fid)"])
    }

    func create(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let layer = try await ownedLayer(context)
        let crs = try Self.crs(request)
        let edit = try Self.parse(try JSONBody.parse(try await JSONBody.read(request, upTo: Self.maxBody), hint: "send a GeoJSON Feature"),
                                  layer: layer, crs: crs, requireGeometry: true)
        guard let key = edit.key, let geometry = edit.geometry else {
            throw APIError.badRequest("the Feature needs its key property '\(layer.fields.first?.name ?? "")'")
        }
        let fid = try await blocking { try write(layer, key: key, values: edit.values, geometry: geometry, mode: .append) }
        governance.audit(request, context, action: "change", route: "/collections/{id}/items", layer: layer.id,
                         area: Governance.box(geometry.bbox), datetime: Self.today(), rows: 1, outcome: "201 created \(fid)")
        return created(request, layer: layer, fid: fid, status: .created)
    }

    /// PUT replaces the entity's properties and geometry; PATCH merges into its current ones.
    func replace(_ request: Request, _ context: OneMapRequestContext, merge: Bool) async throws -> Response {
        let layer = try await ownedLayer(context)
        let fidText = context.parameters.get("fid") ?? ""
        guard let fid = Int64(fidText) else { throw APIError.notFound("no feature '\(fidText)' in '\(layer.id)'") }
        let crs = try Self.crs(request)
        let edit = try Self.parse(try JSONBody.parse(try await JSONBody.read(request, upTo: Self.maxBody), hint: "send a GeoJSON Feature"),
                                  layer: layer, crs: crs, requireGeometry: !merge)
        let newFid = try await blocking { () throws -> Int64 in
            let (key, now) = try currentVersion(layer, fid: fid)
            if let k = edit.key, k != key { throw APIError.badRequest("the key '\(k)' differs from feature \(fid)'s '\(key)'; keys do not change") }
            var values: [String: FieldValue] = [:]
            if merge {
                for (i, f) in layer.fields.enumerated().dropFirst() { values[f.name] = now.values[i] }
            }
            for (k, v) in edit.values { values[k] = v }
            // A version begun today is replaced, not closed: its place is recorded here.
            try store.recordChange(layer: layer.id, fromDay: Self.today(), box: now.geometry.bbox)
            return try write(layer, key: key, values: values, geometry: edit.geometry ?? now.geometry, mode: .upsert)
        }
        governance.audit(request, context, action: "change", route: "/collections/{id}/items/{fid}", layer: layer.id,
                         area: "feature \(fid)", datetime: Self.today(), rows: 1, outcome: "200 \(merge ? "updated" : "replaced") \(fid) -> \(newFid)")
        return created(request, layer: layer, fid: newFid, status: .ok)
    }

    /// The key of feature `fid`, which must be its entity's version in force today.
    private func currentVersion(_ layer: LayerInfo, fid: Int64) throws -> (String, StoredFeature) {
        guard let f = try store.feature(layer: layer.id, id: fid, countsOn: Self.today()) else {
            throw APIError.notFound("no feature \(fid) in '\(layer.id)'")
        }
        let key: String
        switch f.values.first {
        case .string(let s): key = s
        case .int(let n): key = String(n)
        default: throw APIError.notFound("feature \(fid) of '\(layer.id)' has no key")
        }
        guard let now = try current(layer, key: key) else {
            throw APIError(.conflict, "Conflict", "feature \(fid) ('\(key)') has ended; it is history and stays as it was")
        }
        guard now.id == fid else {
            throw APIError(.conflict, "Conflict", "feature \(fid) is a past version of '\(key)'; edit its current version \(now.id)")
        }
        return (key, now)
    }

    func remove(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let layer = try await ownedLayer(context)
        let fidText = context.parameters.get("fid") ?? ""
        guard let fid = Int64(fidText) else { throw APIError.notFound("no feature '\(fidText)' in '\(layer.id)'") }
        try await blocking { () throws -> Void in
            let (key, _) = try currentVersion(layer, fid: fid)
            do { _ = try store.closeEntity(layer: layer.id, key: key, on: Self.today()) } catch let e as StoreError { throw APIError.from(e) }
            try tiles.catchUp()
        }
        governance.audit(request, context, action: "change", route: "/collections/{id}/items/{fid}", layer: layer.id,
                         area: "feature \(fid)", datetime: Self.today(), rows: 1, outcome: "204 ended \(fid)")
        return Response(status: .noContent)
    }
}
