import Foundation
import OneMapGeo
import OneMapStore

/// A GeoJSON Feature sent to OGC API – Features Part 4 (create, replace, update): its entity key,
/// typed property values and geometry (brought to EPSG:4490 lon/lat from the body's CRS).
public struct FeatureEditRequest: Sendable {
    /// The entity key (the layer's first property), when the body gives one.
    public var key: String?
    /// Values by field name; a JSON null is `.null` (an update clears the field).
    public var values: [String: FieldValue]
    public var geometry: Geometry?

    /// `requireGeometry`: create and replace need one; an update may leave it out.
    public static func parse(json: Any, layer: LayerInfo, crs: APICRS, requireGeometry: Bool) throws(QueryError) -> FeatureEditRequest {
        guard let body = json as? [String: Any], body["type"] as? String == "Feature" else {
            throw QueryError("the body must be a GeoJSON Feature ({\"type\": \"Feature\", \"geometry\": ..., \"properties\": {...}})")
        }
        for key in body.keys where !["type", "geometry", "properties", "id"].contains(key) {
            throw QueryError("unknown member '\(key)' in the Feature")
        }
        var geometry: Geometry?
        if let g = body["geometry"], !(g is NSNull) {
            guard let object = g as? [String: Any] else { throw QueryError("geometry must be a GeoJSON geometry object") }
            let parsed: Geometry
            do {
                let data = try JSONSerialization.data(withJSONObject: object)
                parsed = try GeoJSON.geometry(fromJSON: String(decoding: data, as: UTF8.self))
            } catch { throw QueryError("geometry is not GeoJSON: \(error)") }
            guard parsed.positionCount <= StatisticsRequest.maxVertices else {
                throw QueryError("geometry has \(parsed.positionCount) vertices; at most \(StatisticsRequest.maxVertices)")
            }
            // In the CRS's own axis order, as this API writes features in it (Part 2): what a client
            // read with crs=X it can send back with Content-Crs: X.
            geometry = try StatisticsRequest.toStorage(crs.northingFirst ? parsed.mapPositions { Position($0.y, $0.x) } : parsed, from: crs)
        } else if requireGeometry {
            throw QueryError("the Feature has no geometry")
        }
        let properties: [String: Any]
        switch body["properties"] {
        case nil, is NSNull: properties = [:]
        case let p as [String: Any]: properties = p
        default: throw QueryError("properties must be an object")
        }
        var values: [String: FieldValue] = [:]
        for (name, raw) in properties {
            guard let field = layer.fields.first(where: { $0.name == name }) else {
                throw QueryError("layer '\(layer.id)' has no property '\(name)'; it has \(layer.fields.map(\.name).joined(separator: ", "))")
            }
            values[name] = try value(raw, for: field)
        }
        var key: String?
        if let first = layer.fields.first, let v = values[first.name] {
            switch v {
            case .string(let s) where !s.isEmpty: key = s
            case .int(let n): key = String(n)
            default: throw QueryError("the key property '\(first.name)' must not be empty")
            }
        }
        return FeatureEditRequest(key: key, values: values, geometry: geometry)
    }

    /// JSON true/false as Foundation parses them (a boxed Bool, objCType "c"): on Linux `1 is Bool`
    /// holds for a number too, so the box's type decides.
    static func isJSONBool(_ raw: Any) -> Bool {
        if type(of: raw) == Bool.self { return true }
        guard let n = raw as? NSNumber else { return false }
        return String(cString: n.objCType) == "c"
    }

    static func value(_ raw: Any, for field: FieldInfo) throws(QueryError) -> FieldValue {
        if raw is NSNull { return .null }
        func bad() -> QueryError { QueryError("property '\(field.name)' must be \(field.type.article)") }
        switch field.type {
        case .string:
            guard let s = raw as? String else { throw bad() }
            guard s.utf8.count <= 65_536 else { throw QueryError("property '\(field.name)' is longer than 64 KB") }
            return .string(s)
        case .date:
            guard let s = raw as? String, s.count == 10, ISODate.date(s) != nil else { throw QueryError("property '\(field.name)' must be a date YYYY-MM-DD") }
            return .string(s)
        case .integer:
            guard !isJSONBool(raw), let n = raw as? NSNumber, let i = Int64(exactly: n.doubleValue) else { throw bad() }
            return .int(i)
        case .number:
            guard !isJSONBool(raw), let n = raw as? NSNumber, n.doubleValue.isFinite else { throw bad() }
            return .double(n.doubleValue)
        case .boolean:
            guard isJSONBool(raw), let b = raw as? Bool else { throw bad() }
            return .bool(b)
        }
    }
}
