import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OneMapGeo
import OneMapQuery
import OneMapStore

/// OGC API – Features Part 1 (core, GeoJSON) and Part 2 (CRS by reference): landing page,
/// conformance, collections (the spatial layers), items with bbox, datetime, property filters and
/// paging, and single items. `/` answers JSON unless a browser asks for HTML (the viewer).
struct FeatureRoutes: Sendable {
    let store: any FeatureStore
    let governance: Governance
    let fallbackBaseURL: String
    /// Where exports run.
    let lane: HeavyLane
    /// Streamed exports: their own threads (see `ServerConfiguration.exportConcurrency`).
    let exportLane: HeavyLane

    static let geoJSON = "application/geo+json"
    static let openAPIType = "application/vnd.oai.openapi+json;version=3.0"
    static let conformance = [
        "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    ]

    func register(on router: RecordingRouter<OneMapRequestContext>, viewer: @escaping @Sendable () throws -> Response) {
        router.get("/") { request, _ in
            try Self.wantsHTML(request) ? try viewer() : try await self.landing(request)
        }
        router.get("/conformance") { request, _ in
            try Self.checkOnly(request, allowed: ["f"], ignoringDatetime: true)
            let classes = Self.conformance + FeatureEditRoutes.conformance + TilesAPIRoutes.conformance
            if Self.wantsHTML(request) {
                return HTMLPage.response(title: "Conformance", body: "<ul>" + classes.map { "<li>\(HTMLPage.escape($0))</li>" }.joined() + "</ul>")
            }
            return JSONResponse.make(["conformsTo": classes])
        }
        router.get("/api") { request, context in
            try Self.checkOnly(request, allowed: ["f"], ignoringDatetime: true)
            let caller = context.caller
            let layers = try await blocking { try governance.readable(try store.layers().filter(\.isSpatial), for: caller) }
            let document = OpenAPIDocument.make(base: BaseURL.of(request, fallback: fallbackBaseURL), layers: layers)
            if Self.wantsHTML(request) { return HTMLPage.response(title: "OneMap API", body: HTMLPage.operations(document)) }
            return try JSONResponse.encode(document, contentType: Self.openAPIType)
        }
        router.get("/collections") { request, context in try await self.collections(request, context) }
        router.get("/collections/:id") { request, context in try await self.collection(request, context) }
        router.get("/collections/:id/items") { request, context in try await self.items(request, context) }
        router.get("/collections/:id/queryables") { request, context in try await self.queryables(request, context) }
        router.get("/collections/:id/schema") { request, context in try await self.schema(request, context) }
        router.get("/collections/:id/items/:fid") { request, context in try await self.item(request, context) }
        router.get("/collections/:id/export") { request, context in try await self.export(request, context) }
    }

    /// Browsers ask for text/html first; GIS clients, curl and scripts get JSON.
    static func wantsHTML(_ request: Request) -> Bool {
        let f = QueryItems.of(request).first { $0.0 == "f" }?.1
        if let f { return f == "html" }
        // Browsers list text/html first; clients that merely accept it among others get JSON.
        let accept = (request.headers[.accept] ?? "").split(separator: ",").first?.trimmingCharacters(in: .whitespaces) ?? ""
        return accept.hasPrefix("text/html")
    }

    /// Refuses parameters an endpoint does not take (a typo must not be silently ignored).
    static func checkOnly(_ request: Request, allowed: Set<String>, ignoringDatetime: Bool = false) throws {
        for (k, v) in QueryItems.of(request) {
            let key = String(k)
            // A client that carries one query string to every request of a service (QGIS keeps
            // `?datetime=` from its connection URL for the landing page, /api and the collections
            // as for the items) is not refused where the parameter means nothing; it must still be
            // a valid datetime.
            if key == "datetime", ignoringDatetime {
                do { _ = try TimeFilter.parse(String(v)) } catch { throw APIError.badRequest("datetime: \(error)") }
                continue
            }
            guard allowed.contains(key) else {
                throw APIError.badRequest("unknown query parameter '\(key)'; this endpoint accepts \(allowed.sorted().joined(separator: ", "))")
            }
            if key == "f", !["json", "html"].contains(String(v)) { throw APIError.badRequest("f=\(v) is not offered; use f=json") }
        }
    }

    func landing(_ request: Request) async throws -> Response {
        try Self.checkOnly(request, allowed: ["f"], ignoringDatetime: true)
        let base = BaseURL.of(request, fallback: fallbackBaseURL)
        return JSONResponse.make(BaseURL.carryingAccess([
            "title": "OneMap 三明市时空一张图",
            "description": "Sanming's spatiotemporal one map: administrative areas, buildings and departments' layers with population and business counts, over time (OGC API – Features, vector tiles).",
            "links": [
                ["rel": "self", "type": "application/json", "title": "This document", "href": "\(base)/"],
                ["rel": "service-desc", "type": Self.openAPIType, "title": "The API definition (OpenAPI 3.0)", "href": "\(base)/api"],
                ["rel": "conformance", "type": "application/json", "title": "Conformance classes", "href": "\(base)/conformance"],
                ["rel": "data", "type": "application/json", "title": "Feature collections", "href": "\(base)/collections"],
                ["rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", "type": "application/json",
                 "title": "Tile matrix sets", "href": "\(base)/tileMatrixSets"],
                ["rel": "alternate", "type": "text/html", "title": "The map viewer", "href": "\(base)/?f=html"],
                ["rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "type": "application/json",
                 "title": "Vector tilesets (TileJSON)", "href": "\(base)/tiles"],
            ],
        ], request, base: base))
    }

    func collections(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try Self.checkOnly(request, allowed: ["f"], ignoringDatetime: true)
        let base = BaseURL.of(request, fallback: fallbackBaseURL)
        let caller = context.caller
        let layers = try await blocking { () throws -> [(LayerInfo, BBox?)] in
            // A listing shows each layer as the caller reads it without naming a grant.
            let plain = Caller(principal: caller.principal, grantID: nil)
            return try governance.readable(try store.layers().filter(\.isSpatial), for: plain).map { l in
                let v = try governance.view(of: l, for: plain).view
                return (l.with(fields: v.fields), Governance.extent(try store.extent(layer: l.id), in: v))
            }
        }
        let described = layers.map { Self.describe($0.0, extent: $0.1, base: base) }
        if Self.wantsHTML(request) {
            let rows = layers.map { l, _ in
                "<tr><td><a href=\"\(HTMLPage.escape("\(base)/collections/\(l.id)?f=html"))\">\(HTMLPage.escape(l.id))</a></td><td>\(HTMLPage.escape(l.title))</td><td>\(HTMLPage.escape(l.description))</td><td><a href=\"\(HTMLPage.escape("\(base)/collections/\(l.id)/items?f=html"))\">items</a></td></tr>"
            }
            return HTMLPage.response(title: "Collections", body: "<table><tr><th>id</th><th>title</th><th>description</th><th></th></tr>\(rows.joined())</table>")
        }
        return JSONResponse.make(BaseURL.carryingAccess([
            "links": [["rel": "self", "type": "application/json", "href": "\(base)/collections"]],
            "collections": described,
            "crs": APICRS.supported.map(\.uri),
        ], request, base: base))
    }

    func collection(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try Self.checkOnly(request, allowed: ["f"], ignoringDatetime: true)
        let base = BaseURL.of(request, fallback: fallbackBaseURL)
        let id = context.parameters.get("id") ?? ""
        let caller = context.caller
        let found = try await blocking { () throws -> (LayerInfo, BBox?)? in
            guard let layer = try store.layer(id: id), layer.isSpatial else { return nil }
            let view = try governance.view(of: layer, for: caller).view
            return (layer.with(fields: view.fields), Governance.extent(try store.extent(layer: id), in: view))
        }
        guard let found else { throw APIError.notFound("no feature collection '\(id)'; see /collections") }
        let doc = Self.describe(found.0, extent: found.1, base: base)
        if Self.wantsHTML(request) {
            let layer = found.0
            let fields = layer.fields.map { "<tr><td>\(HTMLPage.escape($0.name))</td><td>\(HTMLPage.escape($0.type.rawValue))</td><td>\(HTMLPage.escape($0.description))</td></tr>" }
            var body = "<p>\(HTMLPage.escape(layer.description))</p><p>Owner \(HTMLPage.escape(layer.ownerDepartment)) · \(HTMLPage.escape(layer.shareClass.rawValue))"
            if let e = found.1 { body += " · extent \(e.minX), \(e.minY) – \(e.maxX), \(e.maxY)" }
            body += "</p>" + HTMLPage.links(doc["links"] as? [[String: Any]] ?? [])
            body += "<h2>Properties</h2><table><tr><th>name</th><th>type</th><th>description</th></tr>\(fields.joined())</table>"
            return HTMLPage.response(title: layer.title, body: body)
        }
        return JSONResponse.make(BaseURL.carryingAccess(doc, request, base: base))
    }

    static func describe(_ layer: LayerInfo, extent: BBox?, base: String) -> [String: Any] {
        let href = "\(base)/collections/\(layer.id)"
        var doc: [String: Any] = [
            "id": layer.id, "title": layer.title, "description": layer.description, "itemType": "feature",
            "crs": APICRS.supported.map(\.uri), "storageCrs": APICRS.storage.uri,
            "links": [
                ["rel": "self", "type": "application/json", "href": href],
                ["rel": "items", "type": Self.geoJSON, "title": "Features", "href": "\(href)/items"],
                ["rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "type": "application/json",
                 "title": "Vector tilesets (OGC API - Tiles)", "href": "\(href)/tiles"],
                ["rel": "http://www.opengis.net/def/rel/ogc/1.0/schema", "type": "application/schema+json", "title": "The features' schema (Part 5)",
                 "href": "\(href)/schema"],
                ["rel": "describedby", "type": "application/schema+json", "title": "The features' schema (Part 5)", "href": "\(href)/schema"],
                ["rel": "describedby", "type": "application/json", "title": "TileJSON (WebMercatorQuad)", "href": "\(base)/tiles/\(layer.id)"],
                ["rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": "application/schema+json", "title": "Queryables (Part 3)",
                 "href": "\(href)/queryables"],
            ],
            "x-onemap": ["owner": layer.ownerDepartment, "shareClass": layer.shareClass.rawValue,
                         "properties": layer.fields.map { ["name": $0.name, "type": $0.type.rawValue, "description": $0.description] }],
        ]
        var extentDoc: [String: Any] = ["temporal": ["interval": [[NSNull(), NSNull()]], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"]]
        if let e = extent {
            extentDoc["spatial"] = ["bbox": [[e.minX, e.minY, e.maxX, e.maxY]], "crs": APICRS.crs84.uri]
        }
        doc["extent"] = extentDoc
        return doc
    }

    /// The caller's access to a collection, as one request needs it.
    struct Access {
        let view: LayerView
        let grants: [ShareApplication]
        let parameters: [(String, String)]
        /// Fields a filter may compare: stored columns the caller sees unmasked.
        let filterable: [FieldInfo]
        /// The layer as far as the caller may query it.
        var layer: LayerInfo { view.queryable }
        /// The layer's fields the caller is not shown, or sees masked.
        var hidden: Set<String> { Set(view.layer.fields.map(\.name)).subtracting(view.queryable.fields.map(\.name)) }
    }

    /// Resolves `:id` to a spatial layer the caller may read and reads the request's parameters.
    func access(_ request: Request, _ context: OneMapRequestContext) async throws -> Access {
        let id = context.parameters.get("id") ?? ""
        let params = QueryItems.of(request)
        let datetime = params.first { $0.0 == "datetime" }?.1
        let caller = context.caller
        let found = try await blocking { () throws -> Access? in
            guard let layer = try store.layer(id: id), layer.isSpatial else { return nil }
            let (view, grants) = try governance.views(of: [layer], for: caller)
            let filter: TimeFilter? = datetime.flatMap { try? TimeFilter.parse($0) }
            let day = filter?.countsDay ?? ISODate.string(Date())
            let allowed = Set(view[0].queryable.fields.map(\.name))
            return Access(view: view[0], grants: grants, parameters: params,
                          filterable: try store.filterableFields(layer: id, countsOn: day).filter { allowed.contains($0.name) })
        }
        guard let found else { throw APIError.notFound("no feature collection '\(id)'; see /collections") }
        return found
    }

    /// Part 3 queryables: the properties a filter may use, as a JSON Schema.
    func queryables(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try Self.checkOnly(request, allowed: ["f"], ignoringDatetime: true)
        let base = BaseURL.of(request, fallback: fallbackBaseURL)
        let access = try await access(request, context)
        let (layer, filterable) = (access.layer, access.filterable)
        var properties: [String: Any] = [
            "geometry": ["format": "geometry-any", "description": "The feature geometry (S_INTERSECTS, S_WITHIN, S_CONTAINS, S_DISJOINT)"],
            "valid_time": ["type": "string", "format": "interval", "description": "The feature's valid time [valid_from, valid_to) (T_INTERSECTS)"],
        ]
        // A stored value may be missing (null) in any field: the types say so, as JSON Schema does.
        for f in filterable {
            var p: [String: Any] = ["description": f.description, "title": f.name]
            switch f.type {
            case .integer: p["type"] = ["integer", "null"]
            case .number: p["type"] = ["number", "null"]
            case .boolean: p["type"] = ["boolean", "null"]
            case .date: p["type"] = ["string", "null"]; p["format"] = "date"
            case .string: p["type"] = ["string", "null"]
            }
            properties[f.name] = p
        }
        governance.audit(request, context, route: "/collections/{id}/queryables", layer: layer.id, grants: access.grants, rows: filterable.count)
        let doc: [String: Any] = ["$schema": "https://json-schema.org/draft/2019-09/schema", "$id": "\(base)/collections/\(layer.id)/queryables",
                                  "type": "object", "title": layer.title, "properties": properties, "additionalProperties": false]
        if Self.wantsHTML(request) {
            let rows = properties.keys.sorted().map { name -> String in
                let p = properties[name] as? [String: Any] ?? [:]
                let type = (p["type"] as? [String])?.joined(separator: " or ") ?? p["type"] as? String ?? p["format"] as? String ?? ""
                return "<tr><td>\(HTMLPage.escape(name))</td><td>\(HTMLPage.escape(type))</td><td>\(HTMLPage.escape(p["description"] as? String ?? ""))</td></tr>"
            }
            return HTMLPage.response(title: "\(layer.title): queryables", body: "<table><tr><th>property</th><th>type</th><th>description</th></tr>\(rows.joined())</table>")
        }
        return JSONResponse.make(doc, contentType: "application/schema+json")
    }

    /// Part 5 (Schemas): the features' properties as the caller gets them — every field shown, a
    /// masked one as text, any may be null — with their roles (id, valid time, geometry), so a
    /// client types its columns from the schema, not from the first features (where an all-null
    /// date column reads as text).
    func schema(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try Self.checkOnly(request, allowed: ["f"], ignoringDatetime: true)
        let base = BaseURL.of(request, fallback: fallbackBaseURL)
        let access = try await access(request, context)
        let view = access.view, layer = view.layer
        var properties: [String: Any] = [:]
        for i in view.visible {
            let f = layer.fields[i]
            var p: [String: Any] = ["title": f.name, "description": f.description]
            // One type per property (what clients such as GDAL read); none is required, so any may be null.
            if view.masked.contains(i) {
                p["type"] = "string"; p["description"] = f.description + " (masked for this caller)"
            } else {
                switch f.type {
                case .integer: p["type"] = "integer"
                case .number: p["type"] = "number"
                case .boolean: p["type"] = "boolean"
                case .date: p["type"] = "string"; p["format"] = "date"
                case .string: p["type"] = "string"
                }
            }
            if i == 0 { p["x-ogc-role"] = "id" }
            if f.name == "valid_from" { p["x-ogc-role"] = "primary-interval-start" }
            if f.name == "valid_to" { p["x-ogc-role"] = "primary-interval-end" }
            properties[f.name] = p
        }
        let geometryFormat: String = switch layer.geometryType {
        case .point: "geometry-point"
        case .multiPoint: "geometry-multipoint"
        case .lineString: "geometry-linestring"
        case .multiLineString: "geometry-multilinestring"
        case .polygon: "geometry-polygon"
        case .multiPolygon: "geometry-multipolygon"
        default: "geometry-any"
        }
        properties["geometry"] = ["format": geometryFormat, "x-ogc-role": "primary-geometry"]
        governance.audit(request, context, route: "/collections/{id}/schema", layer: layer.id, grants: access.grants, rows: view.visible.count)
        let doc: [String: Any] = ["$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "\(base)/collections/\(layer.id)/schema",
                                  "type": "object", "title": layer.title, "properties": properties]
        if Self.wantsHTML(request) {
            let rows = properties.keys.sorted().map { name -> String in
                let p = properties[name] as? [String: Any] ?? [:]
                let type = (p["type"] as? String ?? "") + ((p["format"] as? String).map { " (\($0))" } ?? "")
                return "<tr><td>\(HTMLPage.escape(name))</td><td>\(HTMLPage.escape(type))</td><td>\(HTMLPage.escape(p["x-ogc-role"] as? String ?? ""))</td><td>\(HTMLPage.escape(p["description"] as? String ?? ""))</td></tr>"
            }
            return HTMLPage.response(title: "\(layer.title): schema", body: "<table><tr><th>property</th><th>type</th><th>role</th><th>description</th></tr>\(rows.joined())</table>")
        }
        return JSONResponse.make(doc, contentType: "application/schema+json")
    }

    /// A request the query layer refused, as a 400; one that named a field the caller is not shown
    /// is audited (an unmasking attempt, as far as anyone can tell), without its values.
    func refused(_ error: QueryError, _ request: Request, _ context: OneMapRequestContext, route: String, layer: String) -> APIError {
        if error.concernsHiddenField {
            governance.audit(request, context, route: route, layer: layer, outcome: "400 refused: a query on a field not shown to the caller")
        }
        return APIError.badRequest(error.description)
    }

    func items(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let base = BaseURL.of(request, fallback: fallbackBaseURL)
        let access = try await access(request, context)
        let layer = access.layer
        let parsed: ItemsRequest
        do { parsed = try ItemsRequest.parse(access.parameters, layer: layer, filterable: access.filterable, hidden: access.hidden) } catch {
            throw refused(error, request, context, route: "/collections/{id}/items", layer: layer.id)
        }
        var query = parsed.query
        // The caller's area (an area-restricted grant) bounds every query and count.
        if let r = access.view.restriction { query.filter = query.filter.map { .and([$0, r]) } ?? r }
        let restricted = query
        let (body, matched, returned) = try await blocking { () throws -> (String, Int, Int) in
            do {
                let writer = FeatureGeoJSON(view: access.view, crs: parsed.outputCRS, properties: parsed.properties)
                var out = "{\"type\":\"FeatureCollection\",\"features\":["
                var n = 0
                try store.queryFeatures(restricted) { f in
                    if n > 0 { out += "," }
                    try writer.write(f, into: &out)
                    n += 1
                }
                // Exact: the same conditions, counted (a page that is not full needs no count).
                let matched = n < parsed.limit && (n > 0 || parsed.query.offset == 0) ? parsed.query.offset + n : try store.countFeatures(restricted)
                return (out, matched, n)
            } catch let e as StoreError { throw APIError.from(e) }
        }
        governance.audit(request, context, route: "/collections/{id}/items", layer: layer.id, grants: access.grants,
                         area: Governance.box(parsed.query.bbox), datetime: access.parameters.first { $0.0 == "datetime" }?.1, rows: returned)
        let href = "\(base)/collections/\(layer.id)/items"
        let carried = BaseURL.accessQuery(request)
        func page(_ offset: Int) -> String {
            var items = URLComponents()
            items.queryItems = parsed.linkParameters.map { URLQueryItem(name: $0.0, value: $0.1) } + (offset > 0 ? [URLQueryItem(name: "offset", value: String(offset))] : [])
                + carried.map { URLQueryItem(name: $0.0, value: $0.1) }
            let q = items.percentEncodedQuery ?? ""
            return q.isEmpty ? href : "\(href)?\(q)"
        }
        let offset = parsed.query.offset
        var links: [[String: Any]] = [["rel": "self", "type": Self.geoJSON, "href": page(offset)],
                                      ["rel": "collection", "type": "application/json", "href": "\(base)/collections/\(layer.id)"]]
        if offset + returned < matched { links.append(["rel": "next", "type": Self.geoJSON, "href": page(offset + parsed.limit)]) }
        if offset > 0 { links.append(["rel": "prev", "type": Self.geoJSON, "href": page(max(0, offset - parsed.limit))]) }
        let linkJSON = String(decoding: try JSONSerialization.data(withJSONObject: links, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        var out = body
        out += "],\"numberMatched\":\(matched),\"numberReturned\":\(returned),\"timeStamp\":\"\(ISO8601DateFormatter().string(from: Date()))\",\"links\":"
        out += linkJSON
        out += "}"
        if Self.wantsHTML(request) {
            let doc = (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? [:]
            let json = page(offset).replacingOccurrences(of: "f=html", with: "f=json")
            var body = "<p>\(matched) matched, \(returned) shown (from \(offset + 1)).</p>" + HTMLPage.links(links)
            body += HTMLPage.table(doc["features"] as? [[String: Any]] ?? [], itemBase: href)
            return HTMLPage.response(title: "\(layer.title): features", body: body, geoJSONURL: json.contains("f=json") ? json : json + (json.contains("?") ? "&" : "?") + "f=json")
        }
        return Self.geoJSONResponse(out, crs: parsed.outputCRS)
    }

    func item(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let base = BaseURL.of(request, fallback: fallbackBaseURL)
        let access = try await access(request, context)
        let layer = access.layer
        var crs = APICRS.crs84
        for (k, v) in access.parameters {
            switch k {
            case "f": if !["json", "geojson", "html"].contains(v) { throw APIError.badRequest("f=\(v) is not offered; use f=json or f=html") }
            case "crs":
                guard let c = APICRS.parse(v) else { throw APIError.badRequest("crs '\(v)' is not offered; offered: \(APICRS.list)") }
                crs = c
            default: throw APIError.badRequest("unknown query parameter '\(k)'; a single feature accepts crs and f")
            }
        }
        let outputCRS = crs
        let fidText = context.parameters.get("fid") ?? ""
        guard let fid = Int64(fidText) else { throw APIError.notFound("no feature '\(fidText)' in '\(layer.id)' (feature ids are numbers)") }
        let body = try await blocking { () throws -> String? in
            guard let f = try store.feature(layer: layer.id, id: fid, countsOn: ISODate.string(Date())) else { return nil }
            // Outside the caller's area the feature does not exist for the caller.
            if let area = access.view.area, !(try GeometryEngine().prepare(area).intersects(f.geometry)) { return nil }
            var out = ""
            try FeatureGeoJSON(view: access.view, crs: outputCRS).write(f, into: &out)
            return out
        }
        governance.audit(request, context, route: "/collections/{id}/items/{fid}", layer: layer.id, grants: access.grants,
                         area: "feature \(fid)", rows: body == nil ? 0 : 1, outcome: body == nil ? "404" : "200")
        guard var out = body else { throw APIError.notFound("no feature \(fid) in '\(layer.id)'") }
        if Self.wantsHTML(request) {
            let f = (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? [:]
            let url = "\(base)/collections/\(layer.id)/items/\(fid)?f=json"
            return HTMLPage.response(title: "\(layer.title) \(fid)", body: HTMLPage.table([f], itemBase: "\(base)/collections/\(layer.id)/items")
                                     + "<p><a href=\"\(HTMLPage.escape("\(base)/collections/\(layer.id)/items?f=html"))\">all features</a></p>", geoJSONURL: url)
        }
        out.removeLast()  // the feature's closing brace: links follow
        out += ",\"links\":[{\"rel\":\"self\",\"type\":\"\(Self.geoJSON)\",\"href\":\"\(base)/collections/\(layer.id)/items/\(fid)\"},"
        out += "{\"rel\":\"collection\",\"type\":\"application/json\",\"href\":\"\(base)/collections/\(layer.id)\"}]}"
        return Self.geoJSONResponse(out, crs: crs)
    }

    static func geoJSONResponse(_ text: String, crs: APICRS) -> Response {
        Response(status: .ok,
                 headers: [.contentType: geoJSON, HTTPField.Name("Content-Crs")!: "<\(crs.uri)>"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
