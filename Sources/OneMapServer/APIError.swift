import Foundation
import Hummingbird
import Logging
import OneMapStore

/// The one error format of the API: `{"code": "...", "description": "..."}` with an HTTP status.
public struct APIError: HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status; self.code = code; self.message = message; self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "InvalidParameterValue", message) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, "NotFound", message) }

    /// The one mapping of store errors to HTTP: the caller's mistake is a 400 naming it, a missing
    /// thing a 404, a read stopped at its time limit or a database that cannot answer now a 503
    /// with Retry-After, and a fault a 500 carrying only a correlation id; its message, which may
    /// hold SQL, goes to the server log under that id.
    static func from(_ e: StoreError) -> APIError {
        switch e.kind {
        case .invalid: return .badRequest(e.message)
        case .notFound: return .notFound(e.message)
        case .conflict: return APIError(.conflict, "Conflict", e.message)
        case .timedOut: return APIError(.serviceUnavailable, "QueryTimeout", e.message, headers: [.retryAfter: "5"])
        case .unavailable:
            let id = correlationID()
            storeLogger.error("store unavailable", metadata: ["correlation": .string(id), "error": .string(e.message)])
            return APIError(.serviceUnavailable, "StoreUnavailable", "the database cannot answer now; retry shortly (correlation id \(id))",
                            headers: [.retryAfter: "2"])
        case .internal:
            let id = correlationID()
            storeLogger.error("store fault", metadata: ["correlation": .string(id), "error": .string(e.message)])
            return APIError(.internalServerError, "ServerError", "internal error; the server log has details under correlation id \(id)")
        }
    }

    private static let storeLogger = Logger(label: "onemap.store")

    /// A short random id that ties an answer to its log line.
    static func correlationID() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16).leftPadded(to: 16)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(["code": code, "description": message], status: status, extraHeaders: headers)
    }
}

/// Turns every error into the API's JSON format; unexpected ones become a 500 without internals.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            return try e.response(from: request, context: context)
        } catch let e as StoreError {
            return try APIError.from(e).response(from: request, context: context)
        } catch let e as StatisticsUnavailable {
            return try APIError(.serviceUnavailable, "StatisticsUnavailable", e.message, headers: [.retryAfter: "\(e.retryAfterSeconds)"])
                .response(from: request, context: context)
        } catch let e as HTTPResponseError {
            let code = e.status == .notFound ? "NotFound" : e.status.code < 500 ? "BadRequest" : "ServerError"
            let message = e.status == .notFound ? "no such resource: \(request.uri.path)" : e.status.reasonPhrase
            return JSONResponse.make(["code": code, "description": message], status: e.status)
        } catch {
            context.logger.error("request failed", metadata: ["path": .string(request.uri.path), "error": .string("\(error)")])
            return JSONResponse.make(["code": "ServerError", "description": "internal error; the server log has details"],
                                     status: .internalServerError)
        }
    }
}

enum JSONResponse {
    /// A typed document as JSON (keys sorted, slashes unescaped, like `make`).
    static func encode<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, contentType: String = "application/json") throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func make(_ object: Any, status: HTTPResponse.Status = .ok, contentType: String = "application/json",
                     extraHeaders: HTTPFields = [:]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        var headers: HTTPFields = [.contentType: contentType]
        headers.append(contentsOf: extraHeaders)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

private extension String {
    func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
