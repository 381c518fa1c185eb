/// The response schemas of `/api`: what each answer holds, as clients validate it. Members a
/// document always has are required; others (links, masked fields) may be absent.
extension OpenAPI {
    typealias S = Schema

    static var componentSchemas: [String: Schema] {
        // A published count: a number, "<k" under disclosure control, or null when withheld.
        let count = S.anyOf([.integer(minimum: 0), .string(pattern: "^<[0-9]+$")]).orNull
        let measure = S.anyOf([.number(), .string()]).orNull
        let breakdown = S.map(of: .ref("Count")).orNull
        let areaRef = S.object(["code": .string(), "name": .string(), "geometry": .boolean, "repaired": .boolean,
                                "statisticalGridCells": .integer(minimum: 0)])
        let link = S.object(["href": .string(), "rel": .string(), "type": .string(), "title": .string(), "templated": .boolean,
                             "hreflang": .string()], required: ["href"])
        let links = S.array(of: .ref("Link"))
        let bbox = S.array(of: .number(), minItems: 4, maxItems: 6)
        let geometryTypes = ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"]
        let nested: S = .array(of: .anyOf([.number(), .array(of: .anyOf([.number(), .array(of: .anyOf([.number(), .array(of: .anyOf([.number(), .array(of: .number())]))]))]))]))
        var geometry = S.object(["type": .string(oneOf: geometryTypes), "coordinates": nested,
                                 "geometries": .array(of: .object(["type": .string(oneOf: geometryTypes)], required: ["type"]))],
                                required: ["type"])
        geometry.description = "A GeoJSON geometry"
        let statisticsGroups = S.object(["population": .array(of: .object()), "businesses": .array(of: .object()),
                                         "buildings": .array(of: .object())]).orNull
        let figures: [String: S] = [
            "population": .object(["total": .ref("Count"), "households": .ref("Count"), "bySex": breakdown, "byAgeBand": breakdown,
                                   "byRegistration": breakdown]),
            "businesses": .object(["count": .ref("Count"), "employees": .ref("Measure"), "byIndustry": breakdown]),
            "buildings": .object(["count": .ref("Count"), "floorArea": .ref("Measure"), "byUse": breakdown]),
        ]
        let tileMatrixSetSummary = S.object(["id": .string(), "title": .string(), "crs": .string(), "uri": .string(), "links": links],
                                            required: ["id", "links"])
        let tileset = S.object(["title": .string(), "dataType": .string(oneOf: ["vector"]), "crs": .string(), "tileMatrixSetURI": .string(),
                                "links": links, "tileMatrixSetLimits": .array(of: .object()),
                                "layers": .array(of: .object(["id": .string(), "propertiesSchema": .object()], required: ["id"]))],
                               required: ["dataType", "crs", "links"])
        return [
            "Error": .object(["code": .string(), "description": .string()], required: ["code", "description"],
                             description: "An error: a code and a description naming the problem"),
            "Link": link,
            "Count": count.described("A count: exact, \"<k\" under disclosure control, or null when withheld"),
            "Measure": measure.described("A sum (employees, floor area): exact, protected as text, or null when withheld"),
            "Geometry": geometry,
            "LandingPage": .object(["title": .string(), "description": .string(), "links": links], required: ["links"]),
            "Conformance": .object(["conformsTo": .array(of: .string())], required: ["conformsTo"]),
            "Collection": .object(["id": .string(), "title": .string(), "description": .string(), "links": links,
                                   "extent": .object(["spatial": .object(["bbox": .array(of: bbox), "crs": .string()]),
                                                      "temporal": .object(["interval": .array(of: .array(of: .string(format: "date-time").orNull)),
                                                                           "trs": .string()])]),
                                   "itemType": .string(), "crs": .array(of: .string()), "storageCrs": .string()],
                                  required: ["id", "links"]),
            "Collections": .object(["collections": .array(of: .ref("Collection")), "links": links], required: ["collections"]),
            "Feature": .object(["type": .string(oneOf: ["Feature"]), "id": .anyOf([.integer(), .string()]), "geometry": S.ref("Geometry").orNull,
                                "properties": S.object().orNull, "links": links], required: ["type", "geometry", "properties"]),
            "FeatureCollection": .object(["type": .string(oneOf: ["FeatureCollection"]), "features": .array(of: .ref("Feature")),
                                          "numberMatched": .integer(minimum: 0), "numberReturned": .integer(minimum: 0),
                                          "timeStamp": .string(format: "date-time"), "links": links], required: ["type", "features"]),
            "Queryables": .object(["$schema": .string(), "$id": .string(), "type": .string(oneOf: ["object"]), "title": .string(),
                                   "properties": .map(of: .object())], required: ["type", "properties"]),
            "TileJSON": .object(["tilejson": .string(oneOf: ["3.0.0"]), "tiles": .array(of: .string(), minItems: 1), "name": .string(),
                                 "description": .string(), "attribution": .string(), "version": .string(), "scheme": .string(oneOf: ["xyz"]),
                                 "minzoom": .integer(minimum: 0, maximum: 30), "maxzoom": .integer(minimum: 0, maximum: 30),
                                 "bounds": .array(of: .number(), minItems: 4, maxItems: 4), "center": .array(of: .number(), minItems: 2, maxItems: 3),
                                 "vector_layers": .array(of: .object(["id": .string(), "fields": .map(of: .string()), "description": .string(),
                                                                      "minzoom": .integer(minimum: 0), "maxzoom": .integer(minimum: 0)],
                                                                     required: ["id", "fields"]))],
                                required: ["tilejson", "tiles"]),
            "Tilesets": .object(["tilesets": .array(of: .object(["id": .string(), "title": .string(), "tilejson": .string()], required: ["id", "tilejson"]))],
                                required: ["tilesets"]),
            "TileMatrixSets": .object(["tileMatrixSets": .array(of: tileMatrixSetSummary)], required: ["tileMatrixSets"]),
            "TileMatrixSet": .object(["id": .string(), "title": .string(), "uri": .string(), "crs": .string(),
                                      "tileMatrices": .array(of: .object(["id": .string(), "scaleDenominator": .number(), "cellSize": .number(),
                                                                          "matrixWidth": .integer(minimum: 1), "matrixHeight": .integer(minimum: 1),
                                                                          "tileWidth": .integer(minimum: 1), "tileHeight": .integer(minimum: 1),
                                                                          "pointOfOrigin": .array(of: .number(), minItems: 2, maxItems: 2)],
                                                                         required: ["id", "scaleDenominator", "matrixWidth", "matrixHeight"]))],
                                     required: ["id", "crs", "tileMatrices"]),
            "CollectionTilesets": .object(["tilesets": .array(of: tileset), "links": links], required: ["tilesets"]),
            "Tileset": tileset,
            "Statistics": .object(figures.merging(["area": areaRef, "datetime": .string(format: "date"), "rule": .string(),
                                                    "suppression": .map(of: .string()), "groupBy": .array(of: .string()), "groups": statisticsGroups]) { a, _ in a },
                                  required: ["area", "datetime", "population", "businesses", "buildings", "suppression"]),
            "TimeSeries": .object(["area": areaRef, "step": .string(oneOf: ["year", "month"]), "rule": .string(), "suppression": .map(of: .string()),
                                   "series": .array(of: .object(figures.merging(["datetime": .string(format: "date"), "exists": .boolean]) { a, _ in a },
                                                                required: ["datetime", "exists"]), maxItems: 60)],
                                  required: ["area", "series"]),
            "Area": .object(figures.merging(["code": .string(), "name": .string(), "level": .string(), "datetime": .string(format: "date"),
                                             "parent": S.object(["code": .string(), "name": .string(), "href": .string()]).orNull,
                                             "children": .array(of: .object(["code": .string(), "name": .string(), "level": .string(), "href": .string(),
                                                                             "population": .ref("Count"), "households": .ref("Count"),
                                                                             "businesses": .ref("Count"), "employees": .ref("Measure"),
                                                                             "buildings": .ref("Count"), "floorArea": .ref("Measure")],
                                                                            required: ["code", "name"])),
                                             "links": links, "groupBy": .array(of: .string()), "groups": statisticsGroups]) { a, _ in a },
                            required: ["code", "name", "datetime", "children"]),
            "Identify": .object(["datetime": .string(format: "date"), "point": .array(of: .number(), minItems: 2, maxItems: 2),
                                 "areas": .array(of: .object(["code": .string(), "name": .string(), "level": .string()], required: ["code", "name"])),
                                 "building": S.object().orNull],
                                required: ["datetime", "areas", "building"]),
            "Changes": .object(["layer": .string(), "from": .string(format: "date"), "to": .string(format: "date"),
                                "numberMatched": .integer(minimum: 0), "numberReturned": .integer(minimum: 0), "links": links,
                                "changes": .array(of: .object(["id": .anyOf([.integer(), .string()]), "date": .string(format: "date"),
                                                               "change": .string(oneOf: ["created", "modified", "removed"]),
                                                               "before": S.object().orNull, "after": S.object().orNull],
                                                              required: ["id", "date", "change"]))],
                               required: ["layer", "changes"]),
            "Coverage": .object(["layer": .string(), "radius": .number(minimum: 0), "datetime": .string(format: "date"), "area": areaRef,
                                 "facilities": .integer(minimum: 0), "ageBands": .array(of: .string()), "rule": .string(),
                                 "suppression": .string(), "total": .object(), "townships": .array(of: .object()),
                                 "facilityLoads": .array(of: .object()), "uncoveredCells": .object()],
                                required: ["layer", "radius", "total", "townships"]),
            "Caller": .object(["principal": .string(), "department": S.object(["code": .string(), "name": .string(), "role": .string()]).orNull,
                               "grants": .array(of: .object())], required: ["principal"]),
            "Catalog": .object(["layers": .array(of: .object(["id": .string(), "title": .string(), "shareClass": .string(), "owner": .string(),
                                                              "access": .string(), "fields": .array(of: .object())], required: ["id", "shareClass"])),
                                "rules": .map(of: .string())], required: ["layers"]),
            "Application": .object(["id": .integer(minimum: 1), "layer": .string(), "department": .string(), "status": .string(),
                                    "fields": .array(of: .string()), "purpose": .string()], required: ["id", "layer", "status"]),
            "Applications": .object(["applications": .array(of: .ref("Application"))], required: ["applications"]),
            "AuditRecords": .object(["records": .array(of: .object(["seq": .integer(minimum: 1), "at": .string(), "principal": .string(),
                                                                    "endpoint": .string(), "outcome": .string(), "hash": .string(),
                                                                    "prevHash": .string(), "count": .integer(minimum: 1)],
                                                                   required: ["at", "principal", "hash"])),
                                     "next": S.integer(minimum: 0).orNull], required: ["records"]),
            "Health": .object(["status": .string(oneOf: ["ok", "degraded"]), "layers": .integer(minimum: 0),
                               "store": .object(["state": .string(oneOf: ["ok", "unreachable"])], required: ["state"])],
                              required: ["status", "store"]),
            "Ready": .object(["status": .string(oneOf: ["ready"])], required: ["status"]),
        ]
    }
}
