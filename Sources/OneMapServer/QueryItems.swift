import Foundation
import Hummingbird

/// A request's query parameters in order, decoded as HTML forms encode them: `+` is a space
/// (Python's requests, curl --data-urlencode and browsers send CQL2 filters that way), `%2B` a plus.
enum QueryItems {
    /// Parameters the access middleware reads on every route, left out of each route's own.
    static let accessParameters: Set<String> = ["key", "grant"]

    /// The route's parameters: all but `key` and `grant`.
    static func of(_ request: Request) -> [(String, String)] {
        all(request).filter { !accessParameters.contains($0.0) }
    }

    static func all(_ request: Request) -> [(String, String)] {
        guard let query = request.uri.query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}
