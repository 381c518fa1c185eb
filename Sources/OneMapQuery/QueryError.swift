/// A request the query layer refuses, with the message shown to the caller (HTTP 400).
public struct QueryError: Error, CustomStringConvertible, Equatable {
    public let description: String
    /// The request named a field the caller is not shown (or shown masked): an unmasking attempt
    /// as far as anyone can tell, so the refusal is audited.
    public let concernsHiddenField: Bool
    public init(_ d: String, concernsHiddenField: Bool = false) { description = d; self.concernsHiddenField = concernsHiddenField }
}
