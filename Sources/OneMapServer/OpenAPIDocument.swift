import OneMapGeo
import OneMapQuery
import OneMapReports
import OneMapStore

/// The OpenAPI 3.0 description of every endpoint (`/api`), built from the catalog so collection
/// ids and properties are listed as they are.
enum OpenAPIDocument {
    static func make(base: String, layers: [LayerInfo]) -> [String: Any] {
        func param(_ name: String, _ description: String, in location: String = "query", schema: [String: Any] = ["type": "string"],
                   required: Bool = false, style: String? = nil, explode: Bool? = nil) -> [String: Any] {
            var p: [String: Any] = ["name": name, "in": location, "description": description, "required": required || location == "path", "schema": schema]
            if let style { p["style"] = style }
            if let explode { p["explode"] = explode }
            return p
        }
        func json(_ description: String, type: String = "application/json", schema: [String: Any] = ["type": "object"]) -> [String: Any] {
            ["description": description, "content": [type: ["schema": schema]]]
        }
        let error = json("An error: code and description", schema: ["$ref": "#/components/schemas/Error"])
        let errors: [String: Any] = ["400": error, "404": error, "500": error]
        func op(_ id: String, _ summary: String, tags: [String], parameters: [[String: Any]] = [], ok: [String: Any]) -> [String: Any] {
            ["get": ["operationId": id, "summary": summary, "tags": tags, "parameters": parameters,
                     "responses": ["200": ok].merging(errors) { a, _ in a }]]
        }
        let collectionID = param("collectionId", "A feature collection (layer) id", in: "path",
                                 schema: ["type": "string", "enum": layers.map(\.id)])
        let f = param("f", "The response format", schema: ["type": "string", "enum": ["json", "html"]])
        let datetime = param("datetime", "A date, an RFC 3339 date-time, or an interval start/end with '..' for an open end; default: today")
        let crs = param("crs", "The CRS of the response geometry", schema: ["type": "string", "format": "uri", "enum": APICRS.supported.map(\.uri)])
        let bbox = param("bbox", "minx,miny,maxx,maxy in bbox-crs (CRS84 by default: longitude, latitude)",
                         schema: ["type": "array", "minItems": 4, "maxItems": 6, "items": ["type": "number"]], style: "form", explode: false)
        let items: [[String: Any]] = [
            collectionID,
            param("limit", "Features per page (1 to 10000; larger values are clamped)", schema: ["type": "integer", "minimum": 1, "default": ItemsRequest.defaultLimit]),
            param("offset", "Features to skip (paging; follow the 'next' link)", schema: ["type": "integer", "minimum": 0, "default": 0]),
            bbox,
            param("bbox-crs", "The CRS of bbox", schema: ["type": "string", "format": "uri", "enum": APICRS.supported.map(\.uri)]),
            datetime, crs, f,
            param("filter", "A CQL2 text filter (Basic CQL2, S_INTERSECTS/S_WITHIN/S_CONTAINS/S_DISJOINT, T_INTERSECTS); see /collections/{collectionId}/queryables"),
            param("filter-lang", "cql2-text", schema: ["type": "string", "enum": ["cql2-text"]]),
            param("sortby", "Sort keys, comma separated, '-' for descending (e.g. -floors,built_date); the id breaks ties"),
            param("properties", "The properties to return, comma separated"),
            param("filter-crs", "The CRS of geometry literals in filter", schema: ["type": "string", "format": "uri", "enum": APICRS.supported.map(\.uri)]),
        ]
        let geo = json("A GeoJSON FeatureCollection", type: "application/geo+json", schema: ["$ref": "#/components/schemas/FeatureCollection"])
        let paths: [String: Any] = [
            "/": op("landing", "Landing page (JSON; the map viewer for browsers)", tags: ["Capabilities"], parameters: [f], ok: json("Links to the API's resources")),
            "/conformance": op("conformance", "Conformance classes", tags: ["Capabilities"], parameters: [f], ok: json("The conformance classes")),
            "/api": op("api", "This document", tags: ["Capabilities"], parameters: [f], ok: json("OpenAPI 3.0", type: "application/vnd.oai.openapi+json;version=3.0")),
            "/collections": op("collections", "The feature collections (spatial layers)", tags: ["Features"], parameters: [f], ok: json("Collections")),
            "/collections/{collectionId}": op("collection", "One collection's metadata", tags: ["Features"], parameters: [collectionID, f], ok: json("Collection")),
            "/collections/{collectionId}/items": op("items", "Features, filtered and paged; other query parameters named after properties filter by equality",
                                                    tags: ["Features"], parameters: items, ok: geo),
            "/collections/{collectionId}/items/{featureId}": op("item", "One feature", tags: ["Features"],
                                                                parameters: [collectionID, param("featureId", "Feature id", in: "path", schema: ["type": "integer"]), crs, f],
                                                                ok: json("A GeoJSON Feature", type: "application/geo+json")),
            "/tiles": op("tilesets", "Vector tilesets", tags: ["Tiles"], ok: json("Tilesets with their TileJSON links")),
            "/tiles/{layers}": op("tilejson", "TileJSON 3.0.0 of one or several layers (comma separated)", tags: ["Tiles"],
                                  parameters: [param("layers", "Layer ids, comma separated", in: "path"), datetime], ok: json("TileJSON")),
            "/tiles/{layers}/{z}/{x}/{y}": op("tile", "A Mapbox Vector Tile (Web Mercator, XYZ)", tags: ["Tiles"],
                                              parameters: [param("layers", "Layer ids, comma separated", in: "path"),
                                                           param("z", "Zoom", in: "path", schema: ["type": "integer", "minimum": 0, "maximum": 22]),
                                                           param("x", "Column", in: "path", schema: ["type": "integer", "minimum": 0]),
                                                           param("y", "Row", in: "path", schema: ["type": "integer", "minimum": 0]), datetime],
                                              ok: json("The tile", type: "application/vnd.mapbox-vector-tile", schema: ["type": "string", "format": "binary"])),
            "/changes": op("changes", "Entities created, modified and removed between two days", tags: ["Time"],
                           parameters: [param("layer", "Layer id", required: true), param("from", "First day (exclusive)", required: true),
                                        param("to", "Last day (inclusive)", required: true), param("bbox", "lon/lat box"),
                                        param("limit", "Changes per page", schema: ["type": "integer", "minimum": 1]),
                                        param("offset", "Changes to skip", schema: ["type": "integer", "minimum": 0])],
                           ok: json("The change list")),
            "/health": op("health", "Liveness", tags: ["Capabilities"], ok: json("ok")),
        ]
        var stats = op("statsByCode", "Population, households, businesses and buildings of an administrative area on a day", tags: ["Statistics"],
                       parameters: [param("area", "Administrative code (6, 9 or 12 digits)", required: true), datetime,
                                    param("groupBy", "Breakdowns, comma separated: " + StatisticsDimension.allCases.map(\.rawValue).joined(separator: ", "))],
                       ok: json("Figures; counts of people from 1 to 4 are shown as \"<5\""))
        stats["post"] = [
            "operationId": "statsOfArea", "summary": "Figures for an area given as a code, a GeoJSON polygon, a circle or a buffer around a line",
            "tags": ["Statistics"],
            "requestBody": ["required": true, "content": ["application/json": ["schema": [
                "type": "object", "required": ["area"],
                "properties": [
                    "area": ["description": "An administrative code, a GeoJSON Polygon/MultiPolygon, {\"circle\": {\"center\": [x, y], \"radius\": m}} or {\"buffer\": {\"geometry\": GeoJSON, \"distance\": m}}"],
                    "crs": ["type": "string", "format": "uri", "enum": APICRS.supported.map(\.uri)],
                    "datetime": ["type": "string"],
                    "groupBy": ["type": "array", "items": ["type": "string", "enum": StatisticsDimension.allCases.map(\.rawValue)]],
                ]]]]],
            "responses": ["200": json("Figures"), "400": error, "404": error, "413": error, "500": error],
        ]
        var allPaths = paths
        allPaths["/stats"] = stats
        let point = [param("lon", "Longitude (x in crs)", schema: ["type": "number"], required: true),
                     param("lat", "Latitude (y in crs)", schema: ["type": "number"], required: true), datetime, crs]
        allPaths["/identify"] = op("identify", "The administrative areas containing a point and the building standing there", tags: ["Features"],
                                   parameters: point, ok: json("Areas (city first) and the building, or null"))
        allPaths["/collections/{collectionId}/nearest"] = op("nearest", "The k features nearest to a point, with distances in metres", tags: ["Features"],
                                                             parameters: [collectionID] + point + [param("k", "How many (1 to 100)", schema: ["type": "integer", "minimum": 1, "maximum": 100, "default": 5])],
                                                             ok: json("A GeoJSON FeatureCollection", type: "application/geo+json"))
        allPaths["/stats/timeseries"] = op("statsTimeseries", "An administrative area's totals on the first day of each year or month", tags: ["Statistics"],
                                           parameters: [param("area", "Administrative code", required: true), param("from", "First day", required: true),
                                                        param("to", "Last day", required: true),
                                                        param("step", "year or month", schema: ["type": "string", "enum": ["year", "month"], "default": "year"])],
                                           ok: json("The series (at most 60 points)"))
        // Coverage of public services: the same members as query parameters (GET) or a body (POST).
        let coverageParameters = [
            param("layer", "A point collection of facilities (e.g. schools, clinics)", required: true),
            param("radius", "Straight-line reach in metres", schema: ["type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": CoverageRequest.maxRadius], required: true),
            datetime, param("area", "Administrative code whose residents are counted (default the city)", schema: ["type": "string", "pattern": "^([0-9]{6}|[0-9]{9}|[0-9]{12})$"]),
            param("ageBands", "Age bands counted, comma separated: " + StatisticsDimension.ageBands.joined(separator: ", ")),
            param("capacity", "A numeric field of the layer: each facility's places, shared out by 2SFCA"),
        ]
        var coverage = op("coverageQuery", "Residents within and beyond reach of a layer of facilities, by age band and township", tags: ["Analysis"],
                          parameters: coverageParameters + [param("f", "json (figures) or geojson (cells beyond reach)", schema: ["type": "string", "enum": ["json", "geojson"]])],
                          ok: json("Figures (protected for callers who may not read the population records)"))
        coverage["post"] = [
            "operationId": "coverage", "summary": "Coverage of public services (the same members as the GET parameters)", "tags": ["Analysis"],
            "requestBody": ["required": true, "content": ["application/json": ["schema": [
                "type": "object", "required": ["layer", "radius"], "additionalProperties": false,
                "properties": [
                    "layer": ["type": "string", "minLength": 1], "radius": ["type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": CoverageRequest.maxRadius],
                    "datetime": ["type": "string"], "area": ["type": "string", "pattern": "^([0-9]{6}|[0-9]{9}|[0-9]{12})$"],
                    "ageBands": ["type": "array", "items": ["type": "string", "enum": StatisticsDimension.ageBands]],
                    "capacity": ["type": "string", "minLength": 1],
                ]]]]],
            "responses": ["200": json("Figures"), "400": error, "401": error, "403": error, "404": error, "503": error],
        ]
        allPaths["/analysis/coverage"] = coverage
        allPaths["/analysis/coverage/tiles.json"] = op("coverageTileJSON", "TileJSON of the cells beyond reach", tags: ["Analysis"],
                                                       parameters: coverageParameters, ok: json("TileJSON 3.0"))
        allPaths["/analysis/coverage/tiles/{z}/{x}/{y}"] = op(
            "coverageTile", "Cells beyond reach as a Mapbox Vector Tile (layer uncovered_population, property people)", tags: ["Analysis"],
            parameters: [param("z", "Zoom", in: "path", schema: ["type": "integer", "minimum": 0, "maximum": 22]),
                         param("x", "Column", in: "path", schema: ["type": "integer", "minimum": 0]),
                         param("y", "Row", in: "path", schema: ["type": "integer", "minimum": 0])] + coverageParameters,
            ok: json("The tile (204 when empty)", type: "application/vnd.mapbox-vector-tile", schema: ["type": "string", "format": "binary"]))
        let tmsID = param("tileMatrixSetId", "A tile matrix set", in: "path", schema: ["type": "string", "enum": TileMatrixSet.all.map(\.id)])
        allPaths["/tileMatrixSets"] = op("tileMatrixSets", "The tile matrix sets", tags: ["Tiles"], parameters: [f], ok: json("Their ids and links"))
        allPaths["/tileMatrixSets/{tileMatrixSetId}"] = op("tileMatrixSet", "A tile matrix set's TMS 2.0 definition", tags: ["Tiles"],
                                                           parameters: [tmsID, f], ok: json("The definition"))
        allPaths["/collections/{collectionId}/tiles"] = op("collectionTilesets", "A collection's vector tilesets, one per tile matrix set",
                                                           tags: ["Tiles"], parameters: [collectionID, f], ok: json("The tilesets"))
        allPaths["/collections/{collectionId}/tiles/{tileMatrixSetId}"] = op("collectionTileset", "Tileset metadata with the tile URL template",
                                                                             tags: ["Tiles"], parameters: [collectionID, tmsID, f], ok: json("The tileset"))
        allPaths["/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"] = op(
            "collectionTile", "A Mapbox Vector Tile of the collection", tags: ["Tiles"],
            parameters: [collectionID, tmsID, param("tileMatrix", "Tile matrix (level)", in: "path"),
                         param("tileRow", "Row from the top", in: "path", schema: ["type": "integer", "minimum": 0]),
                         param("tileCol", "Column from the left", in: "path", schema: ["type": "integer", "minimum": 0]), datetime],
            ok: json("The tile (204 when empty)", type: "application/vnd.mapbox-vector-tile", schema: ["type": "string", "format": "binary"]))
        allPaths["/collections/{collectionId}/queryables"] = op("queryables", "The properties a filter may use (JSON Schema)", tags: ["Features"],
                                                                parameters: [collectionID, f], ok: json("Queryables", type: "application/schema+json"))
        allPaths["/styles/{name}"] = op("style", "A MapLibre style with this server's URLs filled in", tags: ["Tiles"],
                                        parameters: [param("name", "Style file, e.g. onemap.json", in: "path")], ok: json("MapLibre style"))
        allPaths["/fonts/{fontstack}/{range}"] = op("glyphs", "A glyph range (PBF) for map labels", tags: ["Tiles"],
                                                    parameters: [param("fontstack", "Font stack", in: "path"), param("range", "e.g. 0-255.pbf", in: "path")],
                                                    ok: json("Glyphs", type: "application/x-protobuf", schema: ["type": "string", "format": "binary"]))
        allPaths["/viewer/{file}"] = op("viewerAsset", "The viewer's script and stylesheet", tags: ["Capabilities"],
                                        parameters: [param("file", "viewer.js or viewer.css", in: "path")], ok: json("The file", type: "text/plain", schema: ["type": "string"]))
        allPaths["/vendor/{file}"] = op("vendorAsset", "MapLibre GL JS, served locally", tags: ["Capabilities"],
                                        parameters: [param("file", "maplibre-gl.js or maplibre-gl.css", in: "path")], ok: json("The file", type: "text/plain", schema: ["type": "string"]))
        allPaths["/areas/{code}"] = op("area", "An administrative area on a day with its figures and its children's (city, counties, townships, ...)",
                                       tags: ["Statistics"], parameters: [param("code", "Administrative code", in: "path"), datetime],
                                       ok: json("The area, its parent, figures and children"))
        // Exports, maps and reports: files for desks and the city leadership.
        func file(_ description: String, _ types: [String]) -> [String: Any] {
            ["description": description, "content": Dictionary(uniqueKeysWithValues: types.map { ($0, ["schema": ["type": "string", "format": "binary"]] as [String: Any]) })]
        }
        let format = { (formats: [String]) in param("format", "File format", schema: ["type": "string", "enum": formats], required: true) }
        allPaths["/collections/{collectionId}/export"] = op(
            "exportFeatures", "Every feature matching the items' parameters (bbox, datetime, filter, crs, sortby, properties) in one file",
            tags: ["Reports"], parameters: [collectionID, format(ExportFormat.forFeatures.map(\.rawValue)),
                                            param("geometry", "csv and xlsx: wkt, point (x and y columns) or none", schema: ["type": "string", "enum": ["wkt", "point", "none"]]),
                                            param("limit", "At most this many features (default and maximum a million)", schema: ["type": "integer", "minimum": 1]),
                                            param("bbox", "Box in bbox-crs"), datetime, crs, param("filter", "CQL2 text")],
            ok: file("The file (attachment)", ExportFormat.forFeatures.map { $0.mediaType }))
        allPaths["/stats/export"] = op(
            "exportStatistics", "The /stats answer of an area as CSV (one long table), XLSX (a sheet per table) or JSON", tags: ["Reports"],
            parameters: [param("area", "Administrative code", required: true), datetime,
                         param("groupBy", "Breakdowns, comma separated"), format(ExportFormat.forStatistics.map(\.rawValue))],
            ok: file("The file (attachment)", ExportFormat.forStatistics.map { $0.mediaType }))
        allPaths["/stats/timeseries/export"] = op(
            "exportTimeseries", "An area's series (as /stats/timeseries) as CSV or XLSX (a row per step) or JSON", tags: ["Reports"],
            parameters: [param("area", "Administrative code", required: true), param("from", "First day", required: true),
                         param("to", "Last day", required: true), param("step", "year or month"), format(ExportFormat.forStatistics.map(\.rawValue))],
            ok: file("The file (attachment)", ExportFormat.forStatistics.map { $0.mediaType }))
        allPaths["/render"] = op(
            "renderMap", "A PNG map drawn on the server: population density, buildings, boundaries, labels, legend, scale bar, north arrow",
            tags: ["Reports"], parameters: [param("bbox", "minx,miny,maxx,maxy in crs's axis order", required: true),
                                            param("width", "Pixels (64 to 4096, default 1024)", schema: ["type": "integer", "minimum": 64, "maximum": 4096]),
                                            param("height", "Pixels (64 to 4096, default 768)", schema: ["type": "integer", "minimum": 64, "maximum": 4096]),
                                            param("layers", "Comma separated: " + MapLayer.allCases.map(\.rawValue).joined(separator: ", ") + " and collection ids"), datetime, crs],
            ok: file("The map", ["image/png"]))
        var reportOp = op(
            "areaReport", "An area report: map, key figures, tables by township, age band, sex, industry and building use, change against a compare day, provenance",
            tags: ["Reports"], parameters: [param("area", "Administrative code, or a GeoJSON geometry", required: true), datetime,
                                            param("compare", "Day to compare with"), param("format", "pdf (default), html, xlsx or json",
                                                                                          schema: ["type": "string", "enum": ReportFormat.allCases.map(\.rawValue)])],
            ok: file("The report", ReportFormat.allCases.map(\.mediaType)))
        reportOp["post"] = [
            "operationId": "areaReportOfArea", "summary": "A report of a drawn area (as POST /stats takes it, with compare and format)", "tags": ["Reports"],
            "requestBody": ["required": true, "content": ["application/json": ["schema": ["type": "object", "required": ["area"]]]]],
            "responses": ["200": file("The report", ReportFormat.allCases.map(\.mediaType)), "400": error, "404": error, "500": error],
        ]
        allPaths["/reports/area"] = reportOp
        // Part 4: the owner department edits its own layers' features (versions, never overwrites).
        let feature = ["required": true, "content": ["application/geo+json": ["schema": ["type": "object", "required": ["type"],
                                                                                            "properties": ["type": ["type": "string", "enum": ["Feature"]]]]]]] as [String: Any]
        let fid = param("featureId", "Feature id (the entity's version in force today)", in: "path", schema: ["type": "integer"])
        let contentCrs = param("Content-Crs", "The CRS of the body's geometry, e.g. <http://www.opengis.net/def/crs/EPSG/0/4548>", in: "header")
        func edit(_ id: String, _ summary: String, parameters: [[String: Any]], body: Bool, ok: String, status: String) -> [String: Any] {
            var o: [String: Any] = ["operationId": id, "summary": summary, "tags": ["Features"], "parameters": parameters,
                                    "security": [["bearer": []]],
                                    "responses": [status: ["description": ok], "400": error, "401": error, "403": error, "404": error, "409": error]]
            if body { o["requestBody"] = feature }
            return o
        }
        if var items = allPaths["/collections/{collectionId}/items"] as? [String: Any] {
            items["post"] = edit("createFeature", "Create a feature (the owner department; versioned from today)", parameters: [collectionID, contentCrs],
                                 body: true, ok: "Created; Location names the new feature", status: "201")
            allPaths["/collections/{collectionId}/items"] = items
        }
        if var item = allPaths["/collections/{collectionId}/items/{featureId}"] as? [String: Any] {
            item["put"] = edit("replaceFeature", "Replace a feature: a new version from today", parameters: [collectionID, fid, contentCrs], body: true,
                               ok: "Replaced; Location names the new version", status: "200")
            item["patch"] = edit("updateFeature", "Update some properties or the geometry: a new version from today",
                                 parameters: [collectionID, fid, contentCrs], body: true, ok: "Updated; Location names the new version", status: "200")
            item["delete"] = edit("deleteFeature", "End a feature today (its history stays)", parameters: [collectionID, fid], body: false, ok: "Ended", status: "204")
            allPaths["/collections/{collectionId}/items/{featureId}"] = item
        }
        // Governance: the caller, the catalog, applications for conditional data, the audit.
        let appID = param("applicationId", "Application id", in: "path", schema: ["type": "integer"])
        allPaths["/me"] = op("me", "The caller: department, role and grants in force", tags: ["Sharing"], ok: json("The caller"))
        allPaths["/catalog"] = op("catalog", "Every layer the caller may know of: share class, owner, fields and their sensitivity, and the caller's access",
                                  tags: ["Sharing"], ok: json("The catalog"))
        var applications = op("applications", "Applications by the caller's department and for its layers (all, for the administrator)", tags: ["Sharing"],
                              parameters: [param("status", "pending, approved, rejected or revoked", schema: ["type": "string", "enum": ApplicationStatus.allCases.map(\.rawValue)])],
                              ok: json("The applications"))
        applications["post"] = [
            "operationId": "apply", "summary": "Apply for conditional data: layer, fields, purpose, optional area, validity", "tags": ["Sharing"],
            "security": [["bearer": []]],
            "requestBody": ["required": true, "content": ["application/json": ["schema": [
                "type": "object", "required": ["layer", "fields", "purpose", "validTo"],
                "properties": ["layer": ["type": "string"], "fields": ["type": "array", "items": ["type": "string"]], "purpose": ["type": "string"],
                               "area": ["description": "An administrative code, a list of codes, or a GeoJSON Polygon/MultiPolygon"],
                               "crs": ["type": "string", "format": "uri"], "validFrom": ["type": "string", "format": "date"],
                               "validTo": ["type": "string", "format": "date"]]]]]],
            "responses": ["201": json("The application (pending)"), "400": error, "401": error, "403": error, "404": error, "413": error],
        ]
        allPaths["/applications"] = applications
        allPaths["/applications/{applicationId}"] = op("application", "One application", tags: ["Sharing"], parameters: [appID], ok: json("The application"))
        allPaths["/applications/{applicationId}/{decision}"] = [
            "post": ["operationId": "decide", "summary": "The layer's owner or the administrator approves, rejects or revokes", "tags": ["Sharing"],
                     "security": [["bearer": []]],
                     "parameters": [appID, param("decision", "approve, reject or revoke", in: "path", schema: ["type": "string", "enum": ["approve", "reject", "revoke"]])],
                     "requestBody": ["required": false, "content": ["application/json": ["schema": ["type": "object", "properties": ["note": ["type": "string"]]]]]],
                     "responses": ["200": json("The decided application"), "401": error, "403": error, "404": error, "409": error]],
        ]
        allPaths["/audit"] = op("audit", "The audit log (the administrator): every data access and change, hash-chained", tags: ["Sharing"],
                                parameters: [param("principal", "Department code or principal"), param("layer", "Layer id"), param("action", "read, change, grant or key"),
                                             param("from", "First day"), param("to", "Day after the last"),
                                             param("after", "Records after this sequence number", schema: ["type": "integer", "minimum": 0]),
                                             param("limit", "Records (at most 10000)", schema: ["type": "integer", "minimum": 1]),
                                             param("f", "json or csv", schema: ["type": "string", "enum": ["json", "csv"]])],
                                ok: json("Audit records"))
        return [
            "openapi": "3.0.3",
            "info": ["title": "OneMap 三明市时空一张图", "version": "1.0.0",
                     "description": "OGC API – Features (Parts 1 to 4), vector tiles, statistics, change lists and data sharing (applications, grants, audit) of Sanming's spatiotemporal one map."],
            "servers": [["url": base]],
            "tags": [["name": "Capabilities"], ["name": "Features"], ["name": "Tiles"], ["name": "Time"], ["name": "Statistics"], ["name": "Reports"], ["name": "Sharing"]],
            // Anonymous callers read open layers; departments send their key (or ?key= for map clients).
            "security": [[String: [String]](), ["bearer": []], ["key": []]],
            "paths": allPaths,
            "components": [
              "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "description": "A department's API key (om_...)"],
                                  "key": ["type": "apiKey", "in": "query", "name": "key", "description": "The same key, for map clients that cannot send headers"]],
              "schemas": [
                "Error": ["type": "object", "required": ["code", "description"],
                          "properties": ["code": ["type": "string"], "description": ["type": "string"]]],
                "FeatureCollection": ["type": "object", "required": ["type", "features"],
                                      "properties": ["type": ["type": "string", "enum": ["FeatureCollection"]],
                                                     "features": ["type": "array", "items": ["type": "object"]],
                                                     "numberMatched": ["type": "integer", "minimum": 0],
                                                     "numberReturned": ["type": "integer", "minimum": 0],
                                                     "links": ["type": "array", "items": ["type": "object"]]]],
            ]],
        ]
    }
}
