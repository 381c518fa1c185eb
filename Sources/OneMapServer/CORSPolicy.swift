import HTTPTypes
import Hummingbird

/// Cross-origin calls from web pages (MapLibre apps of other departments): the configured origins
/// (or any), preflights answered without a key, the headers a GIS client needs exposed.
struct CORSPolicy<Context: RequestContext>: RouterMiddleware {
    let origins: [String]

    static var allowHeaders: String { "Accept, Authorization, Content-Type, Content-Crs, If-None-Match, Origin" }
    static var allowMethods: String { "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS" }
    static var exposeHeaders: String { "Location, Content-Crs, Content-Bbox, ETag, Retry-After, WWW-Authenticate" }

    /// The Access-Control-Allow-Origin value for a request's Origin (nil: not allowed).
    func allowed(_ origin: String?) -> String? {
        if origins == ["*"] { return "*" }
        guard let origin, origins.contains(origin) else { return nil }
        return origin
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin]
        if request.method == .options, origin != nil, request.headers[.accessControlRequestMethod] != nil {
            var headers: HTTPFields = [.accessControlAllowMethods: Self.allowMethods, .accessControlAllowHeaders: Self.allowHeaders,
                                       .accessControlMaxAge: "600"]
            if let allow = allowed(origin) { headers[.accessControlAllowOrigin] = allow }
            if origins != ["*"] { headers[.vary] = "Origin" }
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        CORSHeaders.add(to: &response.headers, origin: origin, origins: origins)
        return response
    }
}

/// The CORS headers of an answer (shared with the tile fast path, which answers without the router).
enum CORSHeaders {
    static func add(to headers: inout HTTPFields, origin: String?, origins: [String]) {
        guard !origins.isEmpty else { return }
        let allow = origins == ["*"] ? "*" : origin.flatMap { origins.contains($0) ? $0 : nil }
        if let allow {
            headers[.accessControlAllowOrigin] = allow
            headers[.accessControlExposeHeaders] = CORSPolicy<BasicRequestContext>.exposeHeaders
        }
        if origins != ["*"] {
            headers[.vary] = [headers[.vary], "Origin"].compactMap { $0 }.joined(separator: ", ")
        }
    }
}
