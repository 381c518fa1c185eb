import Foundation
import Hummingbird
import NIOCore
import OneMapAnalytics
import OneMapGeo
import OneMapQuery
import OneMapStore
import OneMapTiles

/// Coverage of public services: `POST /analysis/coverage` (or GET with the same members as query
/// parameters) answers which residents of an area reach a layer of facilities within a radius on a
/// day, by age band and township, optionally sharing out capacity; `?f=geojson` gives the cells
/// beyond reach, `/analysis/coverage/tiles/{z}/{x}/{y}` draws them, `/render?coverage…` maps them.
/// Figures follow the caller's access to the population records, as `/stats` does.
struct CoverageRoutes: Sendable {
    let store: any FeatureStore
    let analytics: StatisticsService
    let governance: Governance
    let results: CoverageCache
    let fallbackBaseURL: String

    static let maxFacilities = 100_000
    static let tileLayer = "uncovered_population"

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/analysis/coverage") { request, context in
            let (format, rest) = try Self.format(QueryItems.of(request).map { (String($0.0), String($0.1)) })
            let parsed: CoverageRequest
            do { parsed = try CoverageRequest.parse(parameters: rest) } catch let e as QueryError { throw APIError.badRequest(e.description) }
            return try await self.answer(parsed, format: format, request, context)
        }
        router.post("/analysis/coverage") { request, context in
            let (format, rest) = try Self.format(QueryItems.of(request).map { (String($0.0), String($0.1)) })
            guard rest.isEmpty else { throw APIError.badRequest("POST /analysis/coverage takes only f in the query; the request is the body") }
            let json = try JSONBody.parse(try await JSONBody.read(request, upTo: 1 << 16),
                                          hint: "send {\"layer\": \"schools\", \"radius\": 1500, \"datetime\": ..., \"ageBands\": [...], \"capacity\": field}")
            let parsed: CoverageRequest
            do { parsed = try CoverageRequest.parse(json: json) } catch let e as QueryError { throw APIError.badRequest(e.description) }
            return try await self.answer(parsed, format: format, request, context)
        }
        router.get("/analysis/coverage/tiles.json") { request, context in
            let parsed: CoverageRequest
            do { parsed = try CoverageRequest.parse(parameters: QueryItems.of(request).map { (String($0.0), String($0.1)) }) } catch let e as QueryError {
                throw APIError.badRequest(e.description)
            }
            _ = try await evaluate(parsed, context)  // the same checks (layer, access) as the tiles
            return try JSONResponse.encode(CoverageTileJSON(parsed, base: BaseURL.of(request, fallback: fallbackBaseURL)))
        }
        router.get("/analysis/coverage/tiles/:z/:x/:y") { request, context in try await self.tile(request, context) }
    }

    static func format(_ parameters: [(String, String)]) throws -> (String, [(String, String)]) {
        var format = "json", rest: [(String, String)] = []
        for (k, v) in parameters {
            guard k == "f" else { rest.append((k, v)); continue }
            guard v == "json" || v == "geojson" else { throw APIError.badRequest("f '\(v)' is not offered; f=json (figures) or f=geojson (cells beyond reach)") }
            format = v
        }
        return (format, rest)
    }

    func answer(_ parsed: CoverageRequest, format: String, _ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let e = try await evaluate(parsed, context)
        governance.audit(request, context, route: "/analysis/coverage", layer: "\(parsed.layer),population", grants: e.grants,
                         area: parsed.area, datetime: parsed.day, rows: e.facilities.count)
        if format == "geojson" {
            return try JSONResponse.encode(UncoveredCellsDocument(e.result.uncoveredCells), contentType: "application/geo+json")
        }
        let base = BaseURL.of(request, fallback: fallbackBaseURL)
        let query = Self.query(parsed.queryItems)
        let links = CoverageDocument.Uncovered(
            cells: e.result.uncoveredCells.count, cellDegrees: DisclosureControl.cellDegrees,
            tiles: "\(base)/analysis/coverage/tiles/{z}/{x}/{y}?\(query)", tilejson: "\(base)/analysis/coverage/tiles.json?\(query)",
            geojson: "\(base)/analysis/coverage?\(query)&f=geojson",
            map: "\(base)/render?bbox=\(Self.bboxText(e.result.uncoveredCells))&layers=admin_areas,\(parsed.layer)&\(Self.query(MapCoverage.parameters(parsed)))")
        return try JSONResponse.encode(CoverageDocument(e.result, request: parsed, facilities: e.facilities, names: e.names,
                                                        access: e.protected ? .suppressed : .exact, links: links))
    }

    /// Uncovered cells beyond reach as vector tiles (layer `uncovered_population`, one square per
    /// statistical grid cell with its residents beyond reach as `people`).
    func tile(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let coord = try TileRoutes.parseCoord(z: context.parameters.get("z"), x: context.parameters.get("x"), y: context.parameters.get("y"))
        let parsed: CoverageRequest
        do { parsed = try CoverageRequest.parse(parameters: QueryItems.of(request).map { (String($0.0), String($0.1)) }) } catch {
            throw APIError.badRequest(error.description)
        }
        let e = try await evaluate(parsed, context)
        let bytes = try await blocking { try Self.encodeTile(e.result.uncoveredCells, coord: coord) }
        governance.audit(request, context, route: "/analysis/coverage/tiles/{z}/{x}/{y}", layer: "\(parsed.layer),population", grants: e.grants,
                         area: "tile \(coord.z)/\(coord.x)/\(coord.y)", datetime: parsed.day, rows: bytes.count)
        guard !bytes.isEmpty else { return Response(status: .noContent) }
        return Response(status: .ok, headers: [.contentType: "application/vnd.mapbox-vector-tile"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func encodeTile(_ cells: [UncoveredCell], coord: TileCoord) throws -> [UInt8] {
        let builder = TileGeometryBuilder(tile: coord)
        let box = builder.queryBounds
        let engine = GeometryEngine()
        var layer = MVTLayerEncoder(name: tileLayer)
        // Cells are sorted by row, then column: skip to the tile's first row.
        var lo = 0, hi = cells.count
        while lo < hi { let mid = (lo + hi) / 2; if cells[mid].minY + DisclosureControl.cellDegrees < box.minY { lo = mid + 1 } else { hi = mid } }
        for c in cells[lo...] {
            guard c.minY <= box.maxY else { break }
            let b = c.bbox
            guard b.maxX >= box.minX && b.minX <= box.maxX else { continue }
            let ring = [Position(b.minX, b.minY), Position(b.maxX, b.minY), Position(b.maxX, b.maxY), Position(b.minX, b.maxY), Position(b.minX, b.minY)]
            guard let g = try builder.build(.polygon([ring]), engine: engine) else { continue }
            layer.add(id: nil, geometry: g, properties: [("people", .int(Int64(c.people)))])
        }
        return layer.featureCount == 0 ? [] : MVTEncoder.tile([layer])
    }

    /// What one coverage question gives a caller.
    struct Evaluation: Sendable {
        let result: CoverageResult
        let facilities: [CoverageFacility]
        let names: [String?]
        let protected: Bool
        let grants: [ShareApplication]
    }

    /// Checks the question against the catalog and the caller's access, then answers it from the
    /// engine (or from the cache of recent answers, keyed by everything the answer depends on).
    func evaluate(_ parsed: CoverageRequest, _ context: OneMapRequestContext) async throws -> Evaluation {
        let caller = context.caller
        let (store, governance, analytics, results) = (self.store, self.governance, self.analytics, self.results)
        let checked = try await blocking { () throws -> (LayerView, [ShareApplication], Bool, String) in
            guard let layer = try store.layer(id: parsed.layer) else {
                throw APIError.notFound("no collection '\(parsed.layer)'; facilities come from a point collection you may read (see /collections)")
            }
            guard layer.geometryType == .point || layer.geometryType == .multiPoint else {
                throw APIError.badRequest("collection '\(parsed.layer)' holds \(layer.geometryType.rawValue) features; coverage needs a point collection of facilities")
            }
            let (view, grant) = try governance.view(of: layer, for: caller)
            if let field = parsed.capacityField {
                guard let i = view.visible.first(where: { layer.fields[$0].name == field }), !view.masked.contains(view.visible.firstIndex(of: i)!) else {
                    throw APIError.badRequest("capacity: collection '\(parsed.layer)' has no field '\(field)' you may read; its fields: \(view.fields.map(\.name).joined(separator: ", "))")
                }
                guard [.integer, .number].contains(layer.fields[i].type) else {
                    throw APIError.badRequest("capacity: field '\(field)' of '\(parsed.layer)' is \(layer.fields[i].type.rawValue), not a number")
                }
            }
            let (disclosure, grants) = try governance.disclosure(for: caller, area: .code(parsed.area))
            guard disclosure.people != .withheld else {
                throw APIError(.forbidden, "Forbidden", "coverage counts residents, and the population records are not shared with you")
            }
            return (view, grants + (grant.map { [$0] } ?? []), disclosure.access(.byAgeBand) != .exact, try String(store.lastChangeSeq()))
        }
        let (view, grants, protected, seq) = checked
        try await analytics.engineReady()
        let key = CoverageCache.Key(request: parsed, protected: protected, view: view.cacheKey, changeSeq: seq)
        if let hit = results.get(key) { return Evaluation(result: hit.result, facilities: hit.facilities, names: hit.names, protected: protected, grants: grants) }
        let answer = try await blocking { () throws -> CoverageCache.Entry in
            let (facilities, names) = try Self.facilities(parsed, view: view, store: store)
            let question = CoverageQuestion(facilities: facilities, radiusMetres: parsed.radiusMetres, day: parsed.day, area: parsed.area,
                                            ageBands: parsed.ageBands, capacity: parsed.capacityField != nil)
            guard let result = try analytics.coverage(question, protected: protected) else {
                throw APIError.notFound("no administrative area '\(parsed.area)' on \(parsed.day)")
            }
            return CoverageCache.Entry(result: result, facilities: facilities, names: names)
        }
        results.put(key, answer)
        return Evaluation(result: answer.result, facilities: answer.facilities, names: answer.names, protected: protected, grants: grants)
    }

    /// The layer's features standing on the day that the caller may see (inside the view's area),
    /// with their capacity and name.
    static func facilities(_ r: CoverageRequest, view: LayerView, store: any FeatureStore) throws -> ([CoverageFacility], [String?]) {
        let layer = view.layer
        let capacity = r.capacityField.flatMap { f in layer.fields.firstIndex { $0.name == f } }
        let nameVisible = view.visible.contains { layer.fields[$0].name == "name" && !view.masked.contains(view.visible.firstIndex(of: $0)!) }
        let name = nameVisible ? layer.fields.firstIndex { $0.name == "name" } : nil
        let inside = try view.area.map { try GeometryEngine().prepare($0) }
        var facilities: [CoverageFacility] = [], names: [String?] = []
        try store.queryFeatures(FeatureQuery(layer: layer.id, time: .instant(r.day))) { f in
            let points: [Position]
            switch f.geometry {
            case .point(let p): points = [p]
            case .multiPoint(let ps): points = ps
            default: points = []
            }
            for p in points where inside?.contains(p) ?? true {
                guard facilities.count < maxFacilities else {
                    throw APIError.badRequest("collection '\(r.layer)' has more than \(maxFacilities) facilities on \(r.day); coverage takes at most that many")
                }
                var cap: Double?
                if let capacity {
                    switch f.values[capacity] {
                    case .int(let n): cap = Double(n)
                    case .double(let d): cap = d
                    default: cap = nil
                    }
                }
                facilities.append(CoverageFacility(id: f.id, position: p, capacity: cap))
                if let name, case .string(let s) = f.values[name] { names.append(s) } else { names.append(nil) }
            }
        }
        return (facilities, names)
    }

    /// Characters a query value keeps as they are (`&`, `=`, `+` and `,`-free text is escaped).
    static let valueCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~,"))

    static func query(_ items: [(String, String)]) -> String {
        items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: Self.valueCharacters) ?? $0.1)" }.joined(separator: "&")
    }

    /// A box around the uncovered cells for the map link (the city's when there are none).
    static func bboxText(_ cells: [UncoveredCell]) -> String {
        guard let first = cells.first else { return "116.37,25.5,118.65,27.12" }
        var lo = Position(first.minX, first.minY), hi = Position(first.bbox.maxX, first.bbox.maxY)
        for c in cells.dropFirst() {
            lo = Position(min(lo.x, c.minX), min(lo.y, c.minY))
            hi = Position(max(hi.x, c.bbox.maxX), max(hi.y, c.bbox.maxY))
        }
        let pad = 0.01
        return [lo.x - pad, lo.y - pad, hi.x + pad, hi.y + pad].map { String(format: "%.4f", $0) }.joined(separator: ",")
    }
}

/// A coverage question as `/render` parameters (`coverage.*` and the day).
enum MapCoverage {
    static func parameters(_ r: CoverageRequest) -> [(String, String)] {
        r.queryItems.map { k, v in k == "datetime" ? (k, v) : ("coverage.\(k)", v) }
    }
}

/// TileJSON 3.0 of the coverage tiles: one vector layer, the uncovered cells.
struct CoverageTileJSON: Encodable {
    struct VectorLayer: Encodable {
        let id: String
        let description: String
        let fields: [String: String]
        let minzoom: Int
        let maxzoom: Int
    }
    let tilejson = "3.0.0"
    let name: String
    let tiles: [String]
    let minzoom = 8
    let maxzoom = 16
    let vector_layers: [VectorLayer]

    init(_ r: CoverageRequest, base: String) {
        name = "residents beyond \(CoverageRequest.number(r.radiusMetres)) m of \(r.layer) on \(r.day)"
        tiles = ["\(base)/analysis/coverage/tiles/{z}/{x}/{y}?\(CoverageRoutes.query(r.queryItems))"]
        vector_layers = [VectorLayer(id: CoverageRoutes.tileLayer, description: "statistical grid cells (0.0025°) with residents beyond reach",
                                     fields: ["people": "Number"], minzoom: 8, maxzoom: 16)]
    }
}

/// Recent coverage answers (a map asks for many tiles of one question). Keys hold everything an
/// answer depends on: the question, the caller's view of the facilities, whether figures are
/// protected, and the store's newest change, so a change or another caller's view never reuses one.
final class CoverageCache: @unchecked Sendable {
    struct Key: Hashable {
        let request: CoverageRequest
        let protected: Bool
        let view: String
        let changeSeq: String
    }
    struct Entry: Sendable {
        let result: CoverageResult
        let facilities: [CoverageFacility]
        let names: [String?]
    }
    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]  // guarded by lock
    private var order: [Key] = []  // guarded by lock; oldest first
    let capacity: Int

    init(capacity: Int = 16) { self.capacity = capacity }

    func get(_ key: Key) -> Entry? {
        lock.withLock {
            guard let e = entries[key] else { return nil }
            order.removeAll { $0 == key }
            order.append(key)
            return e
        }
    }

    func put(_ key: Key, _ entry: Entry) {
        lock.withLock {
            if entries.updateValue(entry, forKey: key) == nil { order.append(key) }
            while order.count > capacity { entries[order.removeFirst()] = nil }
        }
    }
}
