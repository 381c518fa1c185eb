import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// Which methods each route answers. Hummingbird's router answers 404 to a known path asked with a
/// method it does not route; RFC 9110 §15.5.6 wants 405 with `Allow`, and clients (schemathesis,
/// OWSLib) test for it. Filled while the routes are registered, read-only afterwards.
final class RouteTable: Sendable {
    private let routes = NIOLockedValueBox<[(path: RouterPath, method: HTTPRequest.Method)]>([])

    func add(_ path: RouterPath, _ method: HTTPRequest.Method) {
        routes.withLockedValue { $0.append((path, method)) }
    }

    /// The methods the path answers, HEAD wherever GET is (see `HeadAnsweringRouter`); empty
    /// when no route has this path.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var found: [HTTPRequest.Method] = []
        for route in routes.withLockedValue({ $0 }) where Self.matches(route.path, segments) {
            if !found.contains(route.method) { found.append(route.method) }
        }
        if found.contains(.get), !found.contains(.head) { found.append(.head) }
        return found
    }

    /// Every route as OpenAPI writes its path (`/collections/{}/items`: captures unnamed), with its method.
    var templates: [(path: String, method: HTTPRequest.Method)] {
        routes.withLockedValue { $0 }.map { route in
            ("/" + route.path.components.map { element -> String in
                element.description.hasPrefix("{") && element.description.hasSuffix("}") ? "{}" : element.description
            }.joined(separator: "/"), route.method)
        }
    }

    private static func matches(_ route: RouterPath, _ segments: [Substring]) -> Bool {
        let elements = route.components
        if elements.last == .recursiveWildcard { return segments.count >= elements.count - 1 && zip(elements.dropLast(), segments).allSatisfy { $0 ~= $1 } }
        return elements.count == segments.count && zip(elements, segments).allSatisfy { $0 ~= $1 }
    }
}

/// A router that remembers its routes in a `RouteTable` as they are added.
final class RecordingRouter<Context: RequestContext>: RouterMethods {
    let router: Router<Context>
    let table: RouteTable

    init(_ router: Router<Context>, table: RouteTable) { self.router = router; self.table = table }

    @discardableResult func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method,
                                                         responder: Responder) -> Self where Responder.Context == Context {
        table.add(path, method)
        router.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        router.add(middleware: middleware)
        return self
    }
}

/// 405 with `Allow` for a known path asked with a method it does not answer, and `OPTIONS` answered
/// with the allowed methods (a CORS preflight is answered before, by `CORSPolicy`). Runs only for
/// requests no route matched: the router records the matched route's path in the context.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let table: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.endpointPath == nil else { return try await next(request, context) }
        let allowed = table.methods(for: request.uri.path)
        guard !allowed.isEmpty else { return try await next(request, context) }
        let allow = (allowed + [.options]).map(\.rawValue).joined(separator: ", ")
        if request.method == .options {
            return Response(status: .noContent, headers: [.allow: allow])
        }
        throw APIError(.methodNotAllowed, "MethodNotAllowed", "\(request.method.rawValue) is not allowed on \(request.uri.path); allowed: \(allow)",
                       headers: [.allow: allow])
    }
}
