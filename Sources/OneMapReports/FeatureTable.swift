import Foundation
import OneMapGeo
import OneMapStore

/// Features ready to export: the columns as the caller may see them (masked fields become text),
/// and each feature's id, geometry in the export CRS, and values.
public struct FeatureTable {
    public struct Column: Sendable, Equatable {
        public let name: String
        public let type: FieldType
        public let description: String
    }

    public struct Row: Sendable {
        public let id: Int64
        public let geometry: Geometry
        public let values: [ReportCell]
    }

    public let layer: LayerInfo
    public let columns: [Column]
    public let crs: CRS
    public private(set) var rows: [Row] = []
    private let view: LayerView
    private let selected: [Int]
    private let reprojector = Reprojector()

    /// `properties`: the names to export (nil: all the view shows).
    public init(view: LayerView, crs: CRS, properties: [String]? = nil) {
        self.view = view; self.crs = crs; layer = view.layer
        selected = properties.map { p in view.visible.filter { p.contains(view.layer.fields[$0].name) } } ?? view.visible
        columns = selected.map { i in
            let f = view.layer.fields[i]
            return Column(name: f.name, type: view.masked.contains(i) ? .string : f.type, description: f.description)
        }
    }

    /// Adds a stored feature (EPSG:4490), reprojected and masked as the view says.
    public mutating func add(_ f: StoredFeature) throws {
        rows.append(try row(f))
    }

    /// A stored feature as a row (reprojected and masked), not kept: for streamed exports.
    public func row(_ f: StoredFeature) throws -> Row {
        let g = crs.sameCoordinates(as: .cgcs2000) ? f.geometry : try reprojector.transform(f.geometry, from: .cgcs2000, to: crs)
        let values = selected.map { i in Self.cell(view.shown(i, i < f.values.count ? f.values[i] : .null)) }
        return Row(id: f.id, geometry: g, values: values)
    }

    static func cell(_ v: FieldValue) -> ReportCell {
        switch v {
        case .null: .empty
        case .bool(let b): .int(b ? 1 : 0)
        case .int(let n): .int(Int(n))
        case .double(let d): .number(d)
        case .string(let s): .text(s)
        }
    }

    /// How a geometry appears in a table (CSV, XLSX).
    public enum GeometryColumns: String, Sendable, CaseIterable {
        /// One WKT column, x before y (longitude, latitude or easting, northing).
        case wkt
        /// Two columns: a point on the feature (inside polygons), x and y.
        case point
        /// No geometry.
        case none
    }

    /// Decimals worth writing: about 1 cm.
    var precision: Int { crs.isGeographic ? 7 : 2 }

    /// Column names of the point: lon/lat for geographic CRSs, easting/northing for projected.
    var pointNames: (String, String) { crs.isGeographic ? ("lon", "lat") : ("easting", "northing") }

    /// The table for CSV and XLSX: id, the fields, then the geometry as asked.
    public func table(name: String, geometry: GeometryColumns) throws -> ReportTable {
        let cells = TableCells(self, geometry: geometry)
        var out = ReportTable(name: name, columns: cells.header)
        out.rows.reserveCapacity(rows.count)
        for r in rows { out.rows.append(try cells.cells(r)) }
        return out
    }

    /// A row's cells for CSV and XLSX: id, the fields, then the geometry as asked.
    public struct TableCells {
        public let header: [String]
        private let geometry: GeometryColumns
        private let precision: Int
        private let scale: Double
        private let engine: GeometryEngine?

        public init(_ table: FeatureTable, geometry: GeometryColumns) {
            self.geometry = geometry
            precision = table.precision
            scale = pow(10, Double(table.precision))
            var header = ["id"] + table.columns.map(\.name)
            switch geometry {
            case .wkt: header.append("wkt")
            case .point: header += [table.pointNames.0, table.pointNames.1]
            case .none: break
            }
            self.header = header
            engine = geometry == .point ? GeometryEngine() : nil
        }

        public func cells(_ r: Row) throws -> [ReportCell] {
            var cells: [ReportCell] = [.int(Int(r.id))] + r.values
            switch geometry {
            case .wkt: cells.append(.text(WKT.write(r.geometry, precision: precision)))
            case .point:
                let p: Position?
                if case .point(let pt) = r.geometry { p = pt } else { p = try engine?.pointOnSurface(r.geometry) }
                cells += p.map { [.number(($0.x * scale).rounded() / scale), .number(($0.y * scale).rounded() / scale)] } ?? [.empty, .empty]
            case .none: break
            }
            return cells
        }
    }

    /// The joint box of the geometries (nil when there are none).
    public var bbox: BBox? {
        var box: BBox?
        for r in rows {
            guard let b = r.geometry.bbox else { continue }
            if box == nil { box = b } else { box!.extend(b) }
        }
        return box
    }
}
