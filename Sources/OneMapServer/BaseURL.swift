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
}
