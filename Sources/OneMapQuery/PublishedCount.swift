import Foundation
import OneMapStore

/// A count as the caller may see it, the one rule every statistics answer goes through: exact;
/// protected (already published by disclosure control) and shown as "<k" below k, zero included;
/// or withheld (null, a layer not shared with the caller). Encodes as a number, "<k" or null.
public enum PublishedCount: Sendable, Equatable, Encodable {
    case count(Int)
    case below(Int)
    case withheld

    public init(_ n: Int, _ access: FigureAccess, k: Int = StatisticsDocument.defaultK) {
        switch access {
        case .exact: self = .count(n)
        case .suppressed: self = n < k ? .below(k) : .count(n)
        case .withheld: self = .withheld
        }
    }

    /// The number shown, when one is.
    public var value: Int? { if case .count(let n) = self { n } else { nil } }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .count(let n): try c.encode(n)
        case .below(let k): try c.encode("<\(k)")
        case .withheld: try c.encodeNil()
        }
    }
}
