/// A request the query layer refuses, with the message shown to the caller (HTTP 400).
public struct QueryError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ d: String) { description = d }
}
