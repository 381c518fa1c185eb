/// How a dataset may be shared, per the Sanming data plan (三明市政务数据汇聚共享应用实施方案).
public enum ShareClass: String, Sendable, Codable, CaseIterable {
    /// 无条件共享: any authenticated department.
    case unconditional
    /// 有条件共享: readable under an approved application (grant).
    case conditional
    /// 不予共享: the owner department only.
    case notShared = "not_shared"
}

/// The type of a layer field, as stored and as written into tiles.
public enum FieldType: String, Sendable, Codable {
    case string, integer, number, boolean, date
}

/// How sensitive a field is; the access policy decides from it who sees the field and how.
public enum FieldSensitivity: String, Sendable, Codable, CaseIterable {
    /// Anyone who may read the layer, anonymous callers of an open layer included.
    case `public`
    /// Authenticated departments that may read the layer; never anonymous callers.
    case `internal`
    /// Names, ID numbers, phone numbers: masked (`180****0689`) unless the owner, the administrator
    /// or a grant naming the field reads it.
    case personal
}

public struct FieldInfo: Sendable, Codable, Hashable {
    public let name: String
    public let type: FieldType
    public let description: String
    public let sensitivity: FieldSensitivity
    /// A count of another layer's records (a building's residents): shown only to callers who
    /// may count that layer's records exactly (its disclosure, wherever the count appears).
    public let derivedFrom: String?

    public init(_ name: String, _ type: FieldType, _ description: String, sensitivity: FieldSensitivity = .public, derivedFrom: String? = nil) {
        self.name = name; self.type = type; self.description = description; self.sensitivity = sensitivity; self.derivedFrom = derivedFrom
    }
}

/// Geometry type of a layer; `none` for attribute tables (population, businesses) located through buildings.
public enum LayerGeometryType: String, Sendable, Codable {
    case point = "Point", lineString = "LineString", polygon = "Polygon"
    case multiPoint = "MultiPoint", multiLineString = "MultiLineString", multiPolygon = "MultiPolygon"
    /// Any geometry type (a layer whose features mix types of one family).
    case geometry = "Geometry"
    case none = "None"
}

/// One entry of the layer catalog.
public struct LayerInfo: Sendable, Codable, Hashable {
    public let id: String
    public let title: String
    public let description: String
    public let geometryType: LayerGeometryType
    /// Fields carried by features of this layer, in tile/property order.
    public let fields: [FieldInfo]
    public let ownerDepartment: String
    public let shareClass: ShareClass
    /// Zoom range in which the layer is drawn in vector tiles.
    public let minZoom: Int
    public let maxZoom: Int
    /// Readable by anonymous callers too (public fields only); otherwise only by departments.
    public let open: Bool

    public init(id: String, title: String, description: String, geometryType: LayerGeometryType, fields: [FieldInfo],
                ownerDepartment: String, shareClass: ShareClass, minZoom: Int = 0, maxZoom: Int = 16, open: Bool = false) {
        self.id = id; self.title = title; self.description = description; self.geometryType = geometryType
        self.fields = fields; self.ownerDepartment = ownerDepartment; self.shareClass = shareClass
        self.minZoom = minZoom; self.maxZoom = maxZoom; self.open = open
    }

    /// The same layer with other fields (a caller's view of it).
    public func with(fields: [FieldInfo]) -> LayerInfo {
        LayerInfo(id: id, title: title, description: description, geometryType: geometryType, fields: fields,
                  ownerDepartment: ownerDepartment, shareClass: shareClass, minZoom: minZoom, maxZoom: maxZoom, open: open)
    }

    public var isSpatial: Bool { geometryType != .none }
}

/// A typed attribute value.
public enum FieldValue: Sendable, Hashable {
    case null
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
}

/// A feature read from the store: geometry in EPSG:4490 lon/lat and values aligned with the layer's fields.
public struct StoredFeature: Sendable {
    public let id: Int64
    public let geometry: Geometry
    public let values: [FieldValue]

    public init(id: Int64, geometry: Geometry, values: [FieldValue]) {
        self.id = id; self.geometry = geometry; self.values = values
    }
}

import OneMapGeo
