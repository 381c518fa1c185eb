import OneMapGeo
import OneMapQuery
import OneMapReports
import OneMapStore

/// The OpenAPI 3.0 description of every endpoint (`/api`), built from the catalog the caller may
/// read, so collection ids, layer lists and properties are those the caller will meet. Every
/// parameter carries its constraints (what the server refuses, the schema refuses too) and every
/// answer its status codes, media types and schema.
enum OpenAPIDocument {
    typealias S = OpenAPI.Schema
    typealias P = OpenAPI.Parameter
    typealias R = OpenAPI.Response

    // MARK: Parameter schemas shared by several operations.

    static let areaCodePattern = "^([0-9]{6}|[0-9]{9}|[0-9]{12})$"
    static let areaCode = S.string("An administrative code: 6 digits (city, county), 9 (township) or 12 (village)", pattern: areaCodePattern)
    /// A day, an RFC 3339 date-time, or an interval with '..' (or nothing) for an open end.
    static let datetime: S = .anyOf([
        .string(format: "date"), .string(format: "date-time"),
        .string("An interval start/end with at least one end given; '..' or nothing for an open end; the end not before the start",
                pattern: "^(\(instant)/(\\.\\.)?|(\\.\\.)?/\(instant)|\(instant)/\(instant))$"),
    ])
    /// A day or an RFC 3339 date-time (months and days a calendar always has; leap seconds aside).
    private static let instant = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])([Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?"
    static let day = S.string(format: "date")
    static let instantSchema = S.anyOf([.string(format: "date"), .string(format: "date-time")])
    static let crsURI = S.string(format: "uri", oneOf: APICRS.supported.map(\.uri))
    static let fieldName = S.string(pattern: "^[A-Za-z_][A-Za-z0-9_]*$")
    /// The largest whole number the server reads (a 64-bit integer).
    static let maxSafeInteger = Int(Int64.max)

    static func query(_ name: String, _ description: String, _ schema: S, required: Bool = false) -> P {
        P(name: name, location: .query, description: description, required: required, schema: schema)
    }
    static func path(_ name: String, _ description: String, _ schema: S) -> P {
        P(name: name, location: .path, description: description, required: true, schema: schema)
    }
    /// A comma-separated list (`a,b,c`), as OpenAPI's form style without explode writes arrays.
    static func list(_ name: String, _ description: String, of items: S, required: Bool = false, minItems: Int = 1, maxItems: Int? = nil) -> P {
        P(name: name, location: .query, description: description, required: required,
          schema: .array(of: items, minItems: minItems, maxItems: maxItems), style: "form", explode: false)
    }

    /// A layer id as a literal inside a pattern.
    static func regexEscaped(_ s: String) -> String {
        var out = ""
        for c in s {
            if "\\^$.|?*+()[]{}".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    // MARK: Responses.

    static func json(_ description: String, _ schema: S, type: String = "application/json", html: Bool = false) -> R {
        var content = [type: OpenAPI.MediaType(schema: schema)]
        if html { content["text/html"] = OpenAPI.MediaType(schema: .string()) }
        return R(description: description, content: content)
    }
    static func binary(_ description: String, _ types: [String]) -> R {
        R(description: description, content: Dictionary(uniqueKeysWithValues: types.map { ($0, OpenAPI.MediaType(schema: .string(format: "binary"))) }))
    }
    static func error(_ description: String) -> R { json(description, .ref("Error")) }
    /// What any operation may answer besides its success.
    static let errors: [String: R] = [
        "400": error("A parameter or body is invalid; the description names it"),
        "401": R(description: "A key is required (or the one sent is unknown, expired or revoked)",
                 headers: ["WWW-Authenticate": .init(description: "Bearer", schema: .string())],
                 content: ["application/json": .init(schema: .ref("Error"))]),
        "403": error("The caller's department may not read or change this"),
        "404": error("No such collection, feature, area, tile or resource"),
        "429": R(description: "Too many requests for this key", headers: ["Retry-After": .init(description: "Seconds", schema: .integer(minimum: 0))],
                 content: ["application/json": .init(schema: .ref("Error"))]),
        "500": error("An internal error (the server log has details)"),
        "503": R(description: "Busy, or a question too large for its time limit: retry later",
                 headers: ["Retry-After": .init(description: "Seconds", schema: .integer(minimum: 0))],
                 content: ["application/json": .init(schema: .ref("Error"))]),
    ]

    static func op(_ id: String, _ summary: String, tag: String, _ parameters: [P] = [], ok: R, status: String = "200",
                   extra: [String: R] = [:], body: OpenAPI.RequestBody? = nil, keyed: Bool = false) -> OpenAPI.Operation {
        var responses = errors.merging(extra) { _, new in new }
        responses[status] = ok
        if body != nil { responses["413"] = error("The body is too large"); responses["415"] = error("The body is not of a declared media type") }
        return OpenAPI.Operation(operationId: id, summary: summary, tags: [tag], parameters: parameters, requestBody: body, responses: responses,
                                 security: keyed ? [["bearer": []], ["key": []]] : nil)
    }

    static func jsonBody(_ schema: S, type: String = "application/json", required: Bool = true) -> OpenAPI.RequestBody {
        OpenAPI.RequestBody(description: nil, required: required, content: [type: .init(schema: schema)])
    }

    // MARK: The document.

    static func make(base: String, layers: [LayerInfo]) -> OpenAPI.Document {
        let spatial = layers.filter(\.isSpatial)
        let ids = spatial.map(\.id)
        let idAlternatives = ids.map(regexEscaped).joined(separator: "|")
        let collectionId = path("collectionId", "A feature collection (layer) id", .string(oneOf: ids))
        let f = query("f", "The response format: json, or html for a browser", .string(oneOf: ["json", "html"]))
        let datetimeParam = query("datetime", "A day, an RFC 3339 date-time, or an interval start/end ('..' for an open end); default: today (UTC+8)", datetime)
        let dayParam = query("datetime", "A day or an RFC 3339 date-time (its day in UTC+8); default: today", instantSchema)
        let crs = query("crs", "The CRS of the response geometry", crsURI)
        let bbox = P(name: "bbox", location: .query,
                     description: "minx,miny,maxx,maxy (or 6 numbers with heights) in bbox-crs, CRS84 (longitude, latitude) by default; lower corner first",
                     required: false, schema: .array(of: .number(), minItems: 4, maxItems: 6), style: "form", explode: false)
        let filterParams = [
            query("filter", "A CQL2 text filter: comparisons, LIKE, IN, BETWEEN, IS NULL, S_INTERSECTS/S_WITHIN/S_CONTAINS/S_DISJOINT, T_INTERSECTS; see /collections/{collectionId}/queryables",
                  .string(minLength: 1)),
            query("filter-lang", "The filter language", .string(oneOf: ["cql2-text"])),
            query("filter-crs", "The CRS of geometry literals in filter", crsURI),
        ]
        let itemsParams = [collectionId,
                           query("limit", "Features per page (larger values are clamped to \(ItemsRequest.maxLimit))", .integer(minimum: 1, maximum: maxSafeInteger, defaultValue: ItemsRequest.defaultLimit)),
                           query("offset", "Features to skip (follow the 'next' link)", .integer(minimum: 0, maximum: maxSafeInteger, defaultValue: 0)),
                           bbox, query("bbox-crs", "The CRS of bbox", crsURI), datetimeParam, crs,
                           query("f", "json (GeoJSON) or html", .string(oneOf: ["json", "geojson", "html"]))]
            + filterParams
            + [list("sortby", "Sort keys, '-' for descending (e.g. -floors,built_date); the id breaks ties", of: .string(pattern: "^[+-]?[A-Za-z_][A-Za-z0-9_]*$")),
               list("properties", "The properties to return", of: fieldName)]
        let geo = json("A GeoJSON FeatureCollection", .ref("FeatureCollection"), type: "application/geo+json", html: true)
        let tile = R(description: "The tile", content: ["application/vnd.mapbox-vector-tile": .init(schema: .string(format: "binary"))])
        let tileExtra: [String: R] = ["204": R(description: "The tile is empty"), "304": R(description: "Not modified (If-None-Match)")]
        let z = path("z", "Zoom", .integer(minimum: 0, maximum: TileCoord.maxZoom))
        let x = path("x", "Column from the west (0 to 2^z - 1)", .integer(minimum: 0, maximum: (1 << TileCoord.maxZoom) - 1))
        let y = path("y", "Row from the north (0 to 2^z - 1); '.mvt' or '.pbf' may follow", .integer(minimum: 0, maximum: (1 << TileCoord.maxZoom) - 1))
        let layersPath = path("layers", "Layer ids, comma separated", .string(pattern: ids.isEmpty ? "^$" : "^(\(idAlternatives))(,(\(idAlternatives)))*$"))
        let tmsId = path("tileMatrixSetId", "A tile matrix set", .string(oneOf: TileMatrixSet.all.map(\.id)))
        let areaQuery = query("area", "An administrative code", areaCode, required: true)
        let groupBy = list("groupBy", "Breakdowns", of: .string(oneOf: StatisticsDimension.allCases.map(\.rawValue)), maxItems: 3)
        let point = [query("lon", "Longitude (x in crs)", .number(), required: true), query("lat", "Latitude (y in crs)", .number(), required: true),
                     dayParam, crs]
        let pointLayers = spatial.filter { $0.geometryType == .point || $0.geometryType == .multiPoint }
        let capacityFields = Array(Set(pointLayers.flatMap { $0.fields.filter { $0.type == .integer || $0.type == .number }.map(\.name) })).sorted()
        let coverageParams: [P] = [
            query("layer", "A point collection of facilities (e.g. schools, clinics)", .string(oneOf: pointLayers.map(\.id)), required: true),
            query("radius", "Straight-line reach in metres", .number(minimum: 0, maximum: CoverageRequest.maxRadius, exclusiveMinimum: true), required: true),
            dayParam, query("area", "Administrative code whose residents are counted (default the city)", areaCode),
            list("ageBands", "Age bands counted", of: .string(oneOf: StatisticsDimension.ageBands)),
            query("capacity", "A numeric field of the layer: each facility's places, shared out by 2SFCA", .string(oneOf: capacityFields)),
        ]
        let exportFormats = ExportFormat.forFeatures.map(\.rawValue), statisticsFormats = ExportFormat.forStatistics.map(\.rawValue)
        // Files: binary, except the JSON ones, whose documents are those of the matching endpoint.
        func files(_ types: [String], json: (String, S)) -> R {
            var r = binary("The file (attachment)", types)
            r.content?[json.0] = .init(schema: json.1)
            return r
        }
        let featureFiles = files(["text/csv", XLSXWriter.mediaType, GeoPackageWriter.mediaType], json: ("application/geo+json", .ref("FeatureCollection")))
        let statisticsFiles = files(["text/csv", XLSXWriter.mediaType], json: ("application/json", .ref("Statistics")))
        let reportFiles = files(["application/pdf", "text/html", XLSXWriter.mediaType],
                                json: ("application/json", .object(["area": .object(), "datetime": .string(format: "date")], required: ["area"])))
        let seriesFiles = files(["text/csv", XLSXWriter.mediaType], json: ("application/json", .ref("TimeSeries")))
        let fromTo = [query("from", "First day", day, required: true), query("to", "Last day (not before from)", day, required: true)]

        var paths: [String: OpenAPI.PathItem] = [:]
        func get(_ p: String, _ o: OpenAPI.Operation) { paths[p, default: .init()].get = o }

        // Capabilities.
        get("/", op("landing", "Landing page (the map viewer for browsers)", tag: "Capabilities", [f], ok: json("Links to the API's resources", .ref("LandingPage"), html: true)))
        get("/conformance", op("conformance", "Conformance classes", tag: "Capabilities", [f], ok: json("The conformance classes", .ref("Conformance"), html: true)))
        get("/api", op("api", "This document", tag: "Capabilities", [f],
                       ok: R(description: "OpenAPI 3.0", content: [FeatureRoutes.openAPIType: .init(schema: .object(["openapi": .string()], required: ["openapi", "paths"])),
                                                                   "text/html": .init(schema: .string())])))
        get("/health", op("health", "Liveness and the state of the store, caches, feeds and lanes (200 while the process serves, \"degraded\" when the store is away)", tag: "Capabilities", ok: json("The state", .ref("Health"))))
        get("/ready", op("ready", "Readiness: 200 when the store answers, 503 with Retry-After while it cannot be reached", tag: "Capabilities", ok: json("Ready", .ref("Ready"))))
        get("/viewer/{file}", op("viewerAsset", "The viewer's script and stylesheet", tag: "Capabilities",
                                 [path("file", "A file of the viewer", .string(oneOf: ["viewer.js", "viewer.css"]))],
                                 ok: binary("The file", ["text/javascript", "text/css"])))
        get("/vendor/{file}", op("vendorAsset", "MapLibre GL JS, served locally", tag: "Capabilities",
                                 [path("file", "A MapLibre file", .string(oneOf: ["maplibre-gl.js", "maplibre-gl.css"]))],
                                 ok: binary("The file", ["text/javascript", "text/css"])))

        // Features.
        get("/collections", op("collections", "The feature collections (spatial layers)", tag: "Features", [f], ok: json("Collections", .ref("Collections"), html: true)))
        get("/collections/{collectionId}", op("collection", "One collection's metadata", tag: "Features", [collectionId, f], ok: json("Collection", .ref("Collection"), html: true)))
        get("/collections/{collectionId}/items", op("items", "Features, filtered and paged; other query parameters named after properties filter by equality",
                                                    tag: "Features", itemsParams, ok: geo))
        let featureId = path("featureId", "Feature id", .integer(minimum: 1, maximum: maxSafeInteger))
        get("/collections/{collectionId}/items/{featureId}", op("item", "One feature", tag: "Features",
                                                                [collectionId, featureId, crs, query("f", "json (GeoJSON) or html", .string(oneOf: ["json", "geojson", "html"]))],
                                                                ok: json("A GeoJSON Feature", .ref("Feature"), type: "application/geo+json", html: true)))
        get("/collections/{collectionId}/queryables", op("queryables", "The properties a filter may use (JSON Schema)", tag: "Features", [collectionId, f],
                                                         ok: json("Queryables", .ref("Queryables"), type: "application/schema+json", html: true)))
        get("/collections/{collectionId}/schema", op("schema", "The features' properties as the caller gets them, with their roles (JSON Schema, Part 5)", tag: "Features", [collectionId, f],
                                                     ok: json("Schema", .ref("Queryables"), type: "application/schema+json", html: true)))
        get("/collections/{collectionId}/nearest", op("nearest", "The k features nearest to a point, with distances in metres", tag: "Features",
                                                      [collectionId] + point + [query("k", "How many", .integer(minimum: 1, maximum: 100, defaultValue: 5))],
                                                      ok: json("A GeoJSON FeatureCollection", .ref("FeatureCollection"), type: "application/geo+json")))
        get("/identify", op("identify", "The administrative areas containing a point and the building standing there", tag: "Features",
                            point, ok: json("Areas (city first) and the building, or null", .ref("Identify"))))

        // Tiles.
        get("/tiles", op("tilesets", "Vector tilesets", tag: "Tiles", ok: json("Tilesets with their TileJSON links", .ref("Tilesets"))))
        get("/tiles/{layers}", op("tilejson", "TileJSON 3.0.0 of one or several layers", tag: "Tiles", [layersPath, datetimeParam], ok: json("TileJSON", .ref("TileJSON"))))
        get("/tiles/{layers}/{z}/{x}/{y}", op("tile", "A Mapbox Vector Tile (Web Mercator, XYZ); 404 outside the pyramid", tag: "Tiles",
                                              [layersPath, z, x, y, datetimeParam], ok: tile, extra: tileExtra))
        get("/tileMatrixSets", op("tileMatrixSets", "The tile matrix sets", tag: "Tiles", [f], ok: json("Their ids and links", .ref("TileMatrixSets"), html: true)))
        get("/tileMatrixSets/{tileMatrixSetId}", op("tileMatrixSet", "A tile matrix set's TMS 2.0 definition", tag: "Tiles", [tmsId, f],
                                                    ok: json("The definition", .ref("TileMatrixSet"), html: true)))
        get("/collections/{collectionId}/tiles", op("collectionTilesets", "A collection's vector tilesets, one per tile matrix set", tag: "Tiles",
                                                    [collectionId, f], ok: json("The tilesets", .ref("CollectionTilesets"), html: true)))
        get("/collections/{collectionId}/tiles/{tileMatrixSetId}", op("collectionTileset", "Tileset metadata with the tile URL template", tag: "Tiles",
                                                                      [collectionId, tmsId, f], ok: json("The tileset", .ref("Tileset"), html: true)))
        get("/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}", op(
            "collectionTile", "A Mapbox Vector Tile of the collection; 404 outside the tile matrix set's limits", tag: "Tiles",
            [collectionId, tmsId, path("tileMatrix", "Tile matrix (level)", .integer(minimum: 0, maximum: TileCoord.maxZoom)),
             path("tileRow", "Row from the top", .integer(minimum: 0, maximum: 1 << (TileCoord.maxZoom + 1))), path("tileCol", "Column from the left", .integer(minimum: 0, maximum: 1 << (TileCoord.maxZoom + 1))), datetimeParam],
            ok: tile, extra: tileExtra))
        // Archives: MBTiles and PMTiles files in the tiles folder, served as XYZ tiles.
        let archiveName = path("name", "An archive (its file name without extension)", .string(pattern: "^[A-Za-z0-9_.-]+$"))
        get("/archives", op("archives", "The tile archives the caller may read", tag: "Tiles",
                            ok: json("Archives with their TileJSON links",
                                     .object(["archives": .array(of: .object(["id": .string(), "format": .string(oneOf: ["mbtiles", "pmtiles"]), "tilejson": .string()],
                                                                             required: ["id", "format", "tilejson"]))], required: ["archives"]))))
        get("/archives/{name}", op("archiveTileJSON", "TileJSON 3.0.0 of an archive", tag: "Tiles", [archiveName], ok: json("TileJSON", .ref("TileJSON"))))
        get("/archives/{name}/{z}/{x}/{y}", op("archiveTile", "A tile of an archive (gzip passed through to clients that accept it)", tag: "Tiles",
                                               [archiveName, z, x, y], ok: tile, extra: tileExtra))
        get("/styles/{name}", op("style", "A MapLibre style with this server's URLs filled in", tag: "Tiles",
                                 [path("name", "A style file", .string(pattern: "^[A-Za-z0-9_-]+\\.json$"))], ok: json("MapLibre style", .object(["version": .integer()], required: ["version", "sources", "layers"]))))
        get("/fonts/{fontstack}/{range}", op("glyphs", "A glyph range (PBF) for map labels", tag: "Tiles",
                                             [path("fontstack", "Font stack", .string(minLength: 1)),
                                              path("range", "A range of 256 code points, e.g. 0-255.pbf", .string(oneOf: (0..<256).map { "\($0 * 256)-\($0 * 256 + 255).pbf" }))],
                                             ok: binary("Glyphs", ["application/x-protobuf"])))

        // Time.
        get("/changes", op("changes", "Entities created, modified and removed between two days", tag: "Time",
                           [query("layer", "Layer id", .string(oneOf: ids), required: true),
                            query("from", "First day (exclusive)", day, required: true), query("to", "Last day (inclusive), not before from", day, required: true),
                            bbox, query("limit", "Changes per page", .integer(minimum: 1, maximum: maxSafeInteger)), query("offset", "Changes to skip", .integer(minimum: 0, maximum: maxSafeInteger))],
                           ok: json("The change list", .ref("Changes"))))

        // Statistics.
        get("/stats", op("statsByCode", "Population, households, businesses and buildings of an administrative area on a day", tag: "Statistics",
                         [areaQuery, query("datetime", "The day (default today)", .anyOf([.string(format: "date"), .string(format: "date-time")])), groupBy],
                         ok: json("Figures; counts under disclosure control are shown as \"<5\"", .ref("Statistics"))))
        let areaMember = S.anyOf([areaCode, .object(["type": .string(oneOf: ["Polygon", "MultiPolygon"]), "coordinates": .array(of: .array(of: .array(of: .number())))],
                                                    required: ["type", "coordinates"]),
                                  .object(["circle": .object(["center": .array(of: .number(), minItems: 2, maxItems: 2), "radius": .number(minimum: 0, maximum: 50_000, exclusiveMinimum: true)],
                                                             required: ["center", "radius"])], required: ["circle"]),
                                  .object(["buffer": .object(["geometry": .ref("Geometry"), "distance": .number(minimum: 0, maximum: 50_000, exclusiveMinimum: true)],
                                                             required: ["geometry", "distance"])], required: ["buffer"])],
                                 description: "An administrative code, a GeoJSON Polygon/MultiPolygon, a circle or a buffer around a geometry")
        var statsBody = S.object(["area": areaMember, "crs": crsURI, "datetime": .anyOf([.string(format: "date"), .string(format: "date-time")]),
                                  "groupBy": .array(of: .string(oneOf: StatisticsDimension.allCases.map(\.rawValue)), maxItems: 3)], required: ["area"])
        statsBody.additionalPropertiesAllowed = false
        paths["/stats", default: .init()].post = op("statsOfArea", "Figures for an area given as a code, a GeoJSON polygon, a circle or a buffer around a line",
                                                    tag: "Statistics", ok: json("Figures", .ref("Statistics")), body: jsonBody(statsBody))
        get("/stats/timeseries", op("statsTimeseries", "An administrative area's totals on the first day of each year or month (at most 60 steps)", tag: "Statistics",
                                    [areaQuery] + fromTo + [query("step", "year or month", .string(oneOf: ["year", "month"]).withDefault("year"))],
                                    ok: json("The series", .ref("TimeSeries"))))
        get("/areas/{code}", op("area", "An administrative area on a day with its figures and its children's", tag: "Statistics",
                                [path("code", "Administrative code", areaCode), query("datetime", "The day (default today)", day)],
                                ok: json("The area, its parent, figures and children", .ref("Area"))))

        // Analysis.
        get("/analysis/coverage", op("coverageQuery", "Residents within and beyond reach of a layer of facilities, by age band and township", tag: "Analysis",
                                     coverageParams + [query("f", "json (figures) or geojson (cells beyond reach)", .string(oneOf: ["json", "geojson"]))],
                                     ok: R(description: "Figures, or the cells beyond reach", content: ["application/json": .init(schema: .ref("Coverage")),
                                                                                                      "application/geo+json": .init(schema: .ref("FeatureCollection"))])))
        var coverageBody = S.object(["layer": .string(oneOf: pointLayers.map(\.id)),
                                     "radius": .number(minimum: 0, maximum: CoverageRequest.maxRadius, exclusiveMinimum: true),
                                     "datetime": instantSchema, "area": areaCode, "ageBands": .array(of: .string(oneOf: StatisticsDimension.ageBands), minItems: 1),
                                     "capacity": .string(oneOf: capacityFields)], required: ["layer", "radius"])
        coverageBody.additionalPropertiesAllowed = false
        paths["/analysis/coverage", default: .init()].post = op("coverage", "Coverage of public services (the GET parameters as a body)", tag: "Analysis",
                                                                ok: json("Figures", .ref("Coverage")), body: jsonBody(coverageBody))
        get("/analysis/coverage/tiles.json", op("coverageTileJSON", "TileJSON of the cells beyond reach", tag: "Analysis", coverageParams, ok: json("TileJSON 3.0", .ref("TileJSON"))))
        get("/analysis/coverage/tiles/{z}/{x}/{y}", op("coverageTile", "Cells beyond reach as a vector tile (layer uncovered_population, property people)", tag: "Analysis",
                                                       [z, x, y] + coverageParams, ok: tile, extra: tileExtra))

        // Reports.
        get("/collections/{collectionId}/export", op(
            "exportFeatures", "Every feature matching the items' parameters in one file, streamed", tag: "Reports",
            [collectionId, query("format", "File format", .string(oneOf: exportFormats), required: true),
             query("geometry", "csv and xlsx: wkt, point (x and y columns) or none", .string(oneOf: ["wkt", "point", "none"])),
             query("limit", "At most this many features (default and maximum a million)", .integer(minimum: 1, maximum: 1_000_000)),
             bbox, query("bbox-crs", "The CRS of bbox", crsURI), datetimeParam, crs]
                + filterParams + [list("sortby", "Sort keys", of: .string(pattern: "^[+-]?[A-Za-z_][A-Za-z0-9_]*$")), list("properties", "The properties to write", of: fieldName)],
            ok: featureFiles))
        get("/stats/export", op("exportStatistics", "The /stats answer of an area as CSV (one long table), XLSX (a sheet per table) or JSON", tag: "Reports",
                                [areaQuery, query("datetime", "The day", day), groupBy, query("format", "File format", .string(oneOf: statisticsFormats), required: true)],
                                ok: statisticsFiles))
        paths["/stats/export", default: .init()].post = op("exportStatisticsOfArea", "The POST /stats answer as a file", tag: "Reports",
                                                           [query("format", "File format", .string(oneOf: statisticsFormats), required: true)],
                                                           ok: statisticsFiles, body: jsonBody(statsBody))
        get("/stats/timeseries/export", op("exportTimeseries", "An area's series as CSV or XLSX (a row per step) or JSON", tag: "Reports",
                                           [areaQuery] + fromTo + [query("step", "year or month", .string(oneOf: ["year", "month"])),
                                                                   query("format", "File format", .string(oneOf: statisticsFormats), required: true)],
                                           ok: seriesFiles))
        get("/render", op("renderMap", "A PNG map drawn on the server: density, buildings, boundaries, labels, legend, scale bar, north arrow", tag: "Reports",
                          [P(name: "bbox", location: .query, description: "minx,miny,maxx,maxy in crs's axis order, lower corner first", required: true,
                             schema: .array(of: .number(), minItems: 4, maxItems: 4), style: "form", explode: false),
                           query("width", "Pixels", .integer(minimum: 64, maximum: 4096, defaultValue: 1024)),
                           query("height", "Pixels", .integer(minimum: 64, maximum: 4096, defaultValue: 768)),
                           list("layers", "Map layers and collection ids", of: .string(oneOf: Array(Set(MapLayer.allCases.map(\.rawValue) + ids)).sorted())), dayParam, crs,
                           query("f", "png (default), pgw (the PNG's world file) or tiff (GeoTIFF); Content-Crs and Content-Bbox name the box drawn",
                                 .string(oneOf: MapRequest.Format.allCases.map(\.rawValue)))],
                          ok: binary("The map", ["image/png", "image/tiff; application=geotiff", "text/plain; charset=utf-8"])))
        let reportFormat = query("format", "pdf (default), html, xlsx or json", .string(oneOf: ReportFormat.allCases.map(\.rawValue)))
        get("/reports/area", op("areaReport", "An area report: map, key figures, tables, change against a compare day, provenance", tag: "Reports",
                                [areaQuery, query("datetime", "The day", day), query("compare", "Day to compare with", day), reportFormat],
                                ok: reportFiles))
        var reportBody = statsBody
        reportBody.properties?["compare"] = day
        reportBody.properties?["format"] = .string(oneOf: ReportFormat.allCases.map(\.rawValue))
        reportBody.properties?["groupBy"] = nil
        paths["/reports/area", default: .init()].post = op("areaReportOfArea", "A report of a drawn area (as POST /stats takes it, with compare and format)",
                                                           tag: "Reports", ok: reportFiles, body: jsonBody(reportBody))

        // Part 4: the owner department edits its own layers (versions, never overwrites).
        let featureBody = jsonBody(.object(["type": .string(oneOf: ["Feature"]), "geometry": S.ref("Geometry").orNull, "properties": S.object().orNull],
                                           required: ["type"]), type: "application/geo+json")
        let contentCrs = P(name: "Content-Crs", location: .header, description: "The CRS of the body's geometry, e.g. <http://www.opengis.net/def/crs/EPSG/0/4548>",
                           required: false, schema: .string())
        let conflict = ["409": error("The feature changed since it was read, or ended")]
        paths["/collections/{collectionId}/items", default: .init()].post = op(
            "createFeature", "Create a feature (the owner department; versioned from today)", tag: "Features", [collectionId, contentCrs],
            ok: R(description: "Created; Location names the new feature", headers: ["Location": .init(description: "The new feature", schema: .string())]),
            status: "201", extra: conflict, body: featureBody, keyed: true)
        let located = R(description: "Location names the new version", headers: ["Location": .init(description: "The new version", schema: .string())])
        paths["/collections/{collectionId}/items/{featureId}", default: .init()].put = op(
            "replaceFeature", "Replace a feature: a new version from today", tag: "Features", [collectionId, featureId, contentCrs],
            ok: located, extra: conflict, body: featureBody, keyed: true)
        paths["/collections/{collectionId}/items/{featureId}", default: .init()].patch = op(
            "updateFeature", "Update some properties or the geometry: a new version from today", tag: "Features", [collectionId, featureId, contentCrs],
            ok: located, extra: conflict, body: featureBody, keyed: true)
        paths["/collections/{collectionId}/items/{featureId}", default: .init()].delete = op(
            "deleteFeature", "End a feature today (its history stays)", tag: "Features", [collectionId, featureId],
            ok: R(description: "Ended"), status: "204", extra: conflict, keyed: true)

        // Sharing: the caller, the catalog, applications for conditional data, the audit.
        get("/me", op("me", "The caller: department, role and grants in force", tag: "Sharing", ok: json("The caller", .ref("Caller"))))
        get("/catalog", op("catalog", "Every layer the caller may know of: share class, owner, fields and their sensitivity, and the caller's access",
                           tag: "Sharing", ok: json("The catalog", .ref("Catalog"))))
        get("/applications", op("applications", "Applications by the caller's department and for its layers (all, for the administrator)", tag: "Sharing",
                                [query("status", "Only applications in this state", .string(oneOf: ApplicationStatus.allCases.map(\.rawValue)))],
                                ok: json("The applications", .ref("Applications"))))
        let gridArea = S.anyOf([areaCode, .array(of: areaCode, minItems: 1), .object(["type": .string(oneOf: ["Polygon", "MultiPolygon"])], required: ["type", "coordinates"])])
        var applyBody = S.object(["layer": .string(minLength: 1), "fields": .array(of: fieldName, minItems: 1), "purpose": .string(minLength: 1),
                                  "area": gridArea, "crs": crsURI, "validFrom": day, "validTo": day,
                                  "uses": .array(of: .string(oneOf: ApplicationUse.allCases.map(\.rawValue)))],
                                 required: ["layer", "fields", "purpose", "validTo"])
        applyBody.additionalPropertiesAllowed = false
        paths["/applications", default: .init()].post = op("apply", "Apply for conditional data: layer, fields, purpose, optional area, validity", tag: "Sharing",
                                                           ok: json("The application (pending)", .ref("Application")), status: "201", body: jsonBody(applyBody), keyed: true)
        let applicationId = path("applicationId", "Application id", .integer(minimum: 1, maximum: maxSafeInteger))
        get("/applications/{applicationId}", op("application", "One application", tag: "Sharing", [applicationId], ok: json("The application", .ref("Application"))))
        paths["/applications/{applicationId}/{decision}", default: .init()].post = op(
            "decide", "The layer's owner or the administrator approves, rejects or revokes", tag: "Sharing",
            [applicationId, path("decision", "The decision", .string(oneOf: ["approve", "reject", "revoke"]))],
            ok: json("The decided application", .ref("Application")), extra: ["409": error("The application is not in a state this decision applies to")],
            body: jsonBody(.object(["note": .string()]), required: false), keyed: true)
        get("/audit", op("audit", "The audit log (the administrator): every data access and change, hash-chained", tag: "Sharing",
                         [query("principal", "Department code or principal (empty: any)", .string()), query("layer", "Layer id (empty: any)", .string()),
                          query("action", "Kind of record", .string(oneOf: GovernanceRoutes.auditActions)),
                          query("from", "First day", day), query("to", "Day after the last", day),
                          query("after", "Records after this sequence number", .integer(minimum: 0, maximum: maxSafeInteger)),
                          query("limit", "Records (larger values are clamped to 10000)", .integer(minimum: 1, maximum: maxSafeInteger)),
                          query("f", "json or csv", .string(oneOf: ["json", "csv"]))],
                         ok: R(description: "Audit records", content: ["application/json": .init(schema: .ref("AuditRecords")), "text/csv": .init(schema: .string())]),
                         keyed: true))

        // The correction loop (纠错): problem reports, their steps, the departments' feed.
        let problemId = path("problemId", "Problem id", .integer(minimum: 1, maximum: maxSafeInteger))
        let problemStates = ProblemState.allCases.map(\.rawValue), priorities = ProblemPriority.allCases.map(\.rawValue)
        get("/problems", op("problems", "Problems on data the caller may read, newest first", tag: "Quality",
                            [query("layer", "Layer ids, comma-separated", .string(minLength: 1)),
                             query("state", "States, comma-separated (\(problemStates.joined(separator: ", ")))",
                                   .string(pattern: "^(\(problemStates.joined(separator: "|")))(,(\(problemStates.joined(separator: "|"))))*$")),
                             query("priority", "Priorities, comma-separated (\(priorities.joined(separator: ", ")))",
                                   .string(pattern: "^(\(priorities.joined(separator: "|")))(,(\(priorities.joined(separator: "|"))))*$")),
                             query("department", "A department: problems it owns or reported (with role: one side)", .string(minLength: 1)),
                             query("role", "owner or reporter (default department: the caller)", .string(oneOf: ["owner", "reporter"])),
                             bbox, query("area", "Problems located in this administrative area (today's boundary)", areaCode),
                             query("from", "Filed on or after this day", day), query("to", "Filed before this day", day),
                             query("overdue", "Only problems past their deadline", .string(oneOf: ["true", "false"])),
                             query("check", "Only findings of this automatic check", .string(minLength: 1)),
                             query("limit", "Problems per page", .integer(minimum: 1, maximum: 1000)),
                             query("offset", "Problems skipped", .integer(minimum: 0, maximum: maxSafeInteger)),
                             query("f", "json, or geojson for a map layer", .string(oneOf: ["json", "geojson"]))],
                            ok: R(description: "The problems", content: ["application/json": .init(schema: .ref("Problems")),
                                                                         "application/geo+json": .init(schema: .ref("FeatureCollection"))]),
                            keyed: true))
        var problemBody = S.object(["layer": .string(minLength: 1), "id": .integer(minimum: 1, maximum: maxSafeInteger), "field": .string(),
                                    "description": .string(minLength: 4, maxLength: ProblemRules.maxDescription), "proposedValue": .string(),
                                    "evidence": .string(), "priority": .string(oneOf: priorities), "crs": crsURI, "location": S.ref("Geometry"),
                                    "attachment": .object(["name": .string(minLength: 1), "mediaType": .string(), "data": .string(format: "byte")],
                                                          required: ["name", "data"])],
                                   required: ["layer", "description"])
        problemBody.additionalPropertiesAllowed = false
        paths["/problems", default: .init()].post = op(
            "fileProblem", "File a problem against a feature version, a record or a whole layer the caller may read", tag: "Quality",
            ok: R(description: "Filed; Location names the problem", headers: ["Location": .init(description: "The problem", schema: .string())],
                  content: ["application/json": .init(schema: .ref("Problem"))]),
            status: "201", body: jsonBody(problemBody), keyed: true)
        get("/problems/feed", op("problemFeed", "Steps taken on problems the caller may see, in order", tag: "Quality",
                                 [query("since", "Events after this one", .integer(minimum: 0, maximum: maxSafeInteger)),
                                  query("limit", "Events", .integer(minimum: 1, maximum: 1000)),
                                  query("concerning", "me: only problems the caller owns or reported", .string(oneOf: ["me", "all"]))],
                                 ok: json("The events and the next cursor", .ref("ProblemFeed")), keyed: true))
        var hookBody = S.object(["url": .string(format: "uri", minLength: 8)], required: ["url"])
        hookBody.additionalPropertiesAllowed = false
        paths["/problems/webhook", default: .init()].put = op(
            "setProblemWebhook", "Push the events of problems the caller's department owns or reported to this URL (signed; the secret is shown once)",
            tag: "Quality", ok: json("The webhook and its secret", .ref("ProblemWebhook")), status: "201", body: jsonBody(hookBody), keyed: true)
        get("/problems/webhook", op("problemWebhook", "The caller's webhook and how far delivery has got", tag: "Quality",
                                    ok: json("The webhook", .ref("ProblemWebhook")), keyed: true))
        paths["/problems/webhook", default: .init()].delete = op("removeProblemWebhook", "Stop the pushes", tag: "Quality",
                                                                 ok: R(description: "Removed"), status: "204", keyed: true)
        get("/problems/{problemId}", op("problem", "One problem with its history", tag: "Quality", [problemId],
                                        ok: json("The problem", .ref("Problem")), keyed: true))
        get("/problems/{problemId}/attachment", op("problemAttachment", "The evidence file", tag: "Quality", [problemId],
                                                   ok: R(description: "The file as filed", content: ["application/octet-stream": .init(schema: .string(format: "binary"))]),
                                                   keyed: true))
        let stepBody = jsonBody(.object(["note": .string(), "version": .integer(minimum: 1, maximum: maxSafeInteger)]), required: false)
        for (action, summary) in [("accept", "The owner accepts the problem"), ("reject", "The owner rejects it, with a reason (note)"),
                                  ("correct", "The owner corrects it, linking the version that did (version: the new row's id)"),
                                  ("confirm", "The reporter confirms the correction"), ("reopen", "The reporter reopens it, with a reason (note)")] {
            paths["/problems/{problemId}/\(action)", default: .init()].post = op(
                "\(action)Problem", summary, tag: "Quality", [problemId], ok: json("The problem after the step", .ref("Problem")),
                extra: ["409": error("The problem's state has no such step")], body: stepBody, keyed: true)
        }

        // Supply and freshness: promises and the monthly report.
        get("/supply", op("supply", "Supply and freshness per department and layer: records, updates against the promise, completeness, corrections; ranked",
                          tag: "Quality", [query("month", "The month, YYYY-MM (default: this month up to now)", .string(pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$")),
                                           query("f", "json, or the 通报 as pdf or xlsx", .string(oneOf: ["json", "pdf", "xlsx"]))],
                          ok: R(description: "The report", content: ["application/json": .init(schema: .ref("SupplyReport")),
                                                                     "application/pdf": .init(schema: .string(format: "binary")),
                                                                     XLSXWriter.mediaType: .init(schema: .string(format: "binary"))]),
                          keyed: true))
        get("/supply/promises", op("supplyPromises", "The owners' promised update intervals", tag: "Quality",
                                   ok: json("The promises", .ref("SupplyPromises")), keyed: true))
        let promiseLayer = path("layer", "A layer id", .string(oneOf: layers.filter { $0.id != "admin_labels" }.map(\.id)))
        var promiseBody = S.object(["everyDays": .integer(minimum: 1, maximum: 3660)], required: ["everyDays"])
        promiseBody.additionalPropertiesAllowed = false
        paths["/supply/promises/{layer}", default: .init()].put = op(
            "promiseSupply", "The layer's owner (or the administrator) declares at most how many days pass between updates", tag: "Quality",
            [promiseLayer], ok: json("The promises", .ref("SupplyPromises")), body: jsonBody(promiseBody), keyed: true)
        paths["/supply/promises/{layer}", default: .init()].delete = op(
            "withdrawSupplyPromise", "The owner withdraws the promise", tag: "Quality", [promiseLayer], ok: R(description: "Withdrawn"),
            status: "204", keyed: true)

        get("/relations/{type}/{id}", op("relations", "What is connected to a building, person, household, enterprise or area on a day: nodes and edges with their valid time (people as the caller may see them)",
                                         tag: "Sharing", [path("type", "The start node's type", .string(oneOf: ["building", "person", "household", "enterprise", "area"])),
                                                          path("id", "The start node's key", .string(pattern: "^[A-Za-z0-9_-]{1,64}$")),
                                                          query("depth", "Hops (1 to 3)", .integer(minimum: 1, maximum: 3)), query("datetime", "The day (default today)", day)],
                                         ok: json("The graph", .object(["nodes": .array(of: .object()), "edges": .array(of: .object())], required: ["nodes", "edges"]))))
        get("/entities/{code}/history", op("entityHistory", "Every version of a building, an administrative area or an enterprise by its stable code",
                                           tag: "Features", [path("code", "A building code, an administrative code or a credit code", .string(pattern: "^[A-Za-z0-9_-]{1,64}$"))],
                                           ok: json("The versions", .object(["code": .string(), "type": .string(), "versions": .array(of: .object())],
                                                                            required: ["code", "type", "versions"]))))
        // One person, one file; one enterprise, one file.
        for (path, id, summary, name) in [("/profiles/persons/{key}", "personProfile", "A person's file (一人一档) on a day: addresses with their areas, households, registration types, moves, versions", "person key"),
                                          ("/profiles/enterprises/{key}", "enterpriseProfile", "An enterprise's file (一企一档) on a day: registered buildings over time, industry, employees, status, the other enterprises in its building", "credit code")] {
            get(path, op(id, summary + " (the owner, a grant covering profiles, or the signed-in person whose file it is)", tag: "Sharing",
                         [self.path("key", "The \(name)", .string(pattern: "^[A-Za-z0-9_-]{1,64}$")), query("datetime", "The day (default today)", day),
                          query("f", "json, html (a page with a small map) or pdf (with provenance)", .string(oneOf: ["json", "html", "pdf"]))],
                         ok: R(description: "The profile", content: ["application/json": .init(schema: .object()), "text/html": .init(schema: .string()),
                                                                     "application/pdf": .init(schema: .string(format: "binary"))]), keyed: true))
        }

        get("/qgis/onemap.qgs", op("qgisProject", "A QGIS project of this server for the caller: the one map as vector tiles styled as the viewer, and the collections it may read, grouped, as of a day (its ?key= carried in the layers' URLs)",
                                   tag: "Capabilities", [query("datetime", "The day the features are of (default today)", day)],
                                   ok: R(description: "The project", content: ["application/x-qgis-project": .init(schema: .string(format: "binary"))])))
        // Self-service: a person or an enterprise's representative signed in through the identity provider.
        var signInBody = S.object(["token": .string(minLength: 1)], required: ["token"])
        signInBody.additionalPropertiesAllowed = false
        let holder = S.object(["session": .string(), "expiresAt": .string(), "persons": .array(of: .string()),
                               "enterprises": .array(of: .string()), "profiles": .array(of: .string())],
                              required: ["expiresAt", "persons", "enterprises", "profiles"])
        paths["/self/session", default: .init()].post = op(
            "signIn", "Exchange an identity-provider token (RS256/ES256 JWT: subject the ID number, single use) for a 30-minute session (os_…) that opens the holder's own files",
            tag: "Sharing", ok: json("The session and the files it opens", holder), status: "201",
            extra: ["401": error("The token is expired, forged, for another audience, replayed or otherwise not accepted (the message says which)")],
            body: jsonBody(signInBody))
        paths["/self/session", default: .init()].delete = op("signOut", "End the session", tag: "Sharing", ok: R(description: "Signed out"),
                                                             status: "204", keyed: true)
        get("/self", op("self", "The signed-in person's files (person keys, credit codes they represent)", tag: "Sharing",
                        ok: json("What the session opens", holder), keyed: true))

        return OpenAPI.Document(
            info: .init(title: "OneMap 三明市时空一张图", version: "1.0.0",
                        description: "OGC API – Features (Parts 1 to 4) and Tiles, vector tiles, statistics, change lists, exports, reports and data sharing (applications, grants, audit) of Sanming's spatiotemporal one map."),
            servers: [.init(url: base)],
            tags: ["Capabilities", "Features", "Tiles", "Time", "Statistics", "Analysis", "Reports", "Sharing", "Quality"].map { OpenAPI.Tag(name: $0) },
            // Anonymous callers read open layers; departments send their key (or ?key= for map clients).
            security: [[:], ["bearer": []], ["key": []]],
            paths: paths,
            components: .init(schemas: OpenAPI.componentSchemas, responses: [:],
                              securitySchemes: ["bearer": .init(type: "http", scheme: "bearer", description: "A department's API key (om_...), or a signed-in person's session (os_..., POST /self/session)"),
                                                "key": .init(type: "apiKey", name: "key", location: "query",
                                                             description: "The same key, for map clients that cannot send headers")]))
    }
}
