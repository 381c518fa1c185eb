/// How a feature query is checked and turned into parameters, the same in every backend: both
/// refuse the same properties with the same words.
package enum ReadRules {
    /// Fields a query may compare: all catalog fields, except administrative areas' populations
    /// on days whose figures are computed after the query (not stored in a column).
    package static func filterable(_ info: LayerInfo, countsHold: Bool) -> [FieldInfo] {
        info.id.hasPrefix("admin_") && !countsHold ? info.fields.filter { $0.name != "population" } : info.fields
    }

    /// The catalog indices of the compared fields and their values as parameters.
    package static func equalities(_ equals: [PropertyEquals], info: LayerInfo, filterable: [FieldInfo]) throws -> (fields: [Int], values: [SQLValue]) {
        var fields: [Int] = [], values: [SQLValue] = []
        for e in equals {
            guard filterable.contains(where: { $0.name == e.field }), let i = info.fields.firstIndex(where: { $0.name == e.field }) else {
                throw StoreError("layer \(info.id) has no property '\(e.field)' to filter on; it has \(filterable.map(\.name).joined(separator: ", "))")
            }
            fields.append(i)
            switch e.value {
            case .int(let n): values.append(.int(n))
            case .double(let d): values.append(.double(d))
            case .bool(let b): values.append(.int(b ? 1 : 0))
            case .string(let t): values.append(.text(t))
            case .null: values.append(.null)
            }
        }
        return (fields, values)
    }

    /// Sort keys as (catalog index, ascending); an unknown property is refused.
    package static func sortKeys(_ q: FeatureQuery, info: LayerInfo) throws -> [(Int, Bool)] {
        try q.sortBy.map { key in
            guard let i = info.fields.firstIndex(where: { $0.name == key.field }) else {
                throw StoreError("sortby: layer \(q.layer) has no property '\(key.field)'; it has \(info.fields.map(\.name).joined(separator: ", "))")
            }
            return (i, key.ascending)
        }
    }
}
