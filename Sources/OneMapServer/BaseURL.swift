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
}
