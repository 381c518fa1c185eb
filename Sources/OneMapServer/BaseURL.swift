import Foundation
import HTTPTypes
import Hummingbird

/// The server's own base URL as the client reached it (from the Host header), so TileJSON and
/// styles carry absolute URLs that work behind any host name or port.
enum BaseURL {
    static func of(_ request: Request, fallback: String) -> String {
        guard let authority = request.head.authority, !authority.isEmpty, authority.count < 256,
              authority.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]_".contains($0) }) else { return fallback }
        let proto = request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https" ? "https" : "http"
        return "\(proto)://\(authority)"
    }

    /// The API key (and grant) a caller sent as `?key=` (`?grant=`) (map clients that cannot send headers, such as QGIS's
    /// authentication configurations), to be carried in the links it follows: a client following
    /// `next` as given must not drop to anonymous on page 2.
    static func accessQuery(_ request: Request) -> [(String, String)] {
        QueryItems.all(request).filter { QueryItems.accessParameters.contains(String($0.0)) }.map { (String($0.0), String($0.1)) }
    }

    /// `doc` with the caller's `key`/`grant` added to every link into this server (`href`s under
    /// `base`, at any depth), so a client that follows links as given stays who it is.
    static func carryingAccess(_ doc: [String: Any], _ request: Request, base: String) -> [String: Any] {
        let access = accessQuery(request)
        guard !access.isEmpty else { return doc }
        var c = URLComponents()
        c.queryItems = access.map { URLQueryItem(name: $0.0, value: $0.1) }
        let suffix = c.percentEncodedQuery ?? ""
        func walk(_ v: Any) -> Any {
            if var o = v as? [String: Any] {
                for (k, x) in o {
                    if k == "href", let h = x as? String, h.hasPrefix(base) { o[k] = h + (h.contains("?") ? "&" : "?") + suffix } else { o[k] = walk(x) }
                }
                return o
            }
            if let a = v as? [Any] { return a.map(walk) }
            return v
        }
        return walk(doc) as? [String: Any] ?? doc
    }
}
