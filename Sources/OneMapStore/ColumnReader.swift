/// A result row as the shared rules read it, whatever the driver: field values by catalog type,
/// and whether a stored version says what an incoming row says.
package protocol ColumnReader {
    func isNull(_ col: Int) -> Bool
    func int(_ col: Int) -> Int64
    func double(_ col: Int) -> Double
    func text(_ col: Int) -> String?
}

extension ColumnReader {
    /// Column `col` as a value of a field of type `type` (booleans are stored as 0/1).
    package func fieldValue(_ col: Int, as type: FieldType) -> FieldValue {
        if isNull(col) { return .null }
        switch type {
        case .integer: return .int(int(col))
        case .number: return .double(double(col))
        case .boolean: return .bool(int(col) != 0)
        case .string, .date: return .string(text(col) ?? "")
        }
    }

    /// Whether the stored columns from `first` on hold `values` (a version comparison: only real
    /// changes make new versions). `doublesCompare`: false where no column holds a number.
    package func holds(_ values: [SQLValue], from first: Int, doublesCompare: Bool = true) -> Bool {
        for (i, v) in values.enumerated() {
            let col = first + i
            let same: Bool
            switch v {
            case .null: same = isNull(col)
            case .int(let n): same = !isNull(col) && int(col) == n
            case .double(let d): same = doublesCompare && !isNull(col) && double(col) == d
            case .text(let t): same = text(col) == t
            case .blob: same = false
            }
            if !same { return false }
        }
        return true
    }
}
