import Foundation

/// Helpers for values produced by `JSONSerialization`, where booleans and numbers are both NSNumber.
public enum JSONValue {
    /// True when `v` is a JSON boolean (NSNumber made from a Bool, objCType "c").
    public static func isBoolean(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return String(cString: n.objCType) == "c" && (v is Bool)
    }

    /// The numeric value of a JSON number; nil for booleans and non-numbers.
    public static func number(_ v: Any) -> Double? {
        guard let n = v as? NSNumber, !isBoolean(v) else { return nil }
        return n.doubleValue
    }
}
