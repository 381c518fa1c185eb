import Foundation
import OneMapGeo

/// How a person or business record is placed in a building, the same in every backend: by its
/// building key, else the building whose footprint contains its coordinates, else the nearest
/// within the tolerance. Backends only find the candidates.
package enum RecordPlacement {
    package enum How { case byKey, inside, nearest }

    package struct Placement {
        package let code: String
        package let centroid: Position
        package let how: How
        package init(code: String, centroid: Position, how: How) { self.code = code; self.centroid = centroid; self.how = how }
    }

    /// A building standing on the import day near the record.
    package struct Candidate {
        package let code: String
        package let centroid: Position
        package let footprint: Geometry
        package init(code: String, centroid: Position, footprint: Geometry) { self.code = code; self.centroid = centroid; self.footprint = footprint }
    }

    /// The record's building key, trimmed; nil when it gives none.
    package static func buildingCode(_ v: FieldValue?) throws -> String? {
        switch v {
        case nil, .null?: return nil
        case .string(let s)?: return s.trimmingCharacters(in: .whitespaces)
        case .int(let n)?: return String(n)
        default: throw StoreError("field 'building_code' must be text")
        }
    }

    /// The box to look for candidates in around `p`.
    package static func searchBox(around p: Position, toleranceMetres: Double) -> BBox {
        let m = PointInPolygon.metresPerDegree(atLatitude: p.y)
        let dx = toleranceMetres / m.x, dy = toleranceMetres / m.y
        return BBox(minX: p.x - dx, minY: p.y - dy, maxX: p.x + dx, maxY: p.y + dy)
    }

    /// The first candidate (in id order) containing `p`, else the nearest within the tolerance.
    package static func choose(_ p: Position, among candidates: [Candidate], toleranceMetres: Double, day: String) throws -> Placement {
        var best: (Placement, Double)?
        for c in candidates {
            guard case .polygon(let footprint) = c.footprint else { continue }
            let d = PointInPolygon.distanceMetres(p, footprint)
            let candidate = Placement(code: c.code, centroid: c.centroid, how: d == 0 ? .inside : .nearest)
            if d == 0 { return candidate }
            if d <= toleranceMetres, best.map({ d < $0.1 }) ?? true { best = (candidate, d) }
        }
        guard let best else {
            throw StoreError(String(format: "no building within %.0f m of (%.6f, %.6f)", toleranceMetres, p.x, p.y) + " on \(day)")
        }
        return best.0
    }

    /// A record's version row for the person or business table: its checked values, its first
    /// day (its own fact start) and its end (the fact end, if any).
    package static func versionRow(_ kind: RecordKind, _ r: KeyedRecord) throws -> (values: [SQLValue], validFrom: String, validTo: String?) {
        let values = try RecordRules.values(kind, r)
        let start = values[kind.columns.firstIndex(of: kind.factStart)!]
        let end = values[kind.columns.firstIndex(of: kind.factEnd)!]
        guard case .text(let from) = start else { throw StoreError("field '\(kind.factStart)' is missing") }
        var to: String?
        if case .text(let e) = end {
            guard e > from else { throw StoreError("field '\(kind.factEnd)' \(e) is not after '\(kind.factStart)' \(from)") }
            to = e
        }
        // A new record counts from its own start (a person who moved in in 2015 is there in 2020).
        return (values, from, to)
    }

    /// The first day of a version being inserted: a changed record's new version starts on the
    /// import day (the applier closed the previous one that day); a new record's at its own start.
    package static func versionStart(changed: Bool, day: String, key: String, validFrom: String, validTo: String?) throws -> String {
        let from = changed ? max(day, validFrom) : validFrom
        if let to = validTo, to <= from { throw StoreError("record '\(key)': its end \(to) is not after its start \(from)") }
        return from
    }
}
