import HTTPTypes
import Hummingbird
import NIOCore

/// HEAD wherever GET works (RFC 9110 §9.3.2): the GET answer's status and headers without its
/// body, with the length a client would have received when the body's size is known. It wraps
/// the whole router, since routes are matched by method before any middleware runs.
struct HeadAnsweringRouter<Inner: HTTPResponderBuilder>: HTTPResponderBuilder {
    let inner: Inner

    func buildResponder() -> HeadAnsweringResponder<Inner.Responder> { HeadAnsweringResponder(inner: inner.buildResponder()) }
}

struct HeadAnsweringResponder<Inner: HTTPResponder>: HTTPResponder {
    typealias Context = Inner.Context
    let inner: Inner

    @Sendable func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .head else { return try await inner.respond(to: request, context: context) }
        var head = request.head
        head.method = .get
        var response = try await inner.respond(to: Request(head: head, body: request.body), context: context)
        // The GET body's length, declared, with nothing written (the server sends no body to HEAD).
        let length = response.body.contentLength
        let body = response.body
        response.body = ResponseBody(contentLength: length) { writer in try await writer.finish(nil) }
        // A streamed body (no length: an export being made) is started and refused at its first
        // write, so the work behind it stops now rather than when its stall timer runs out.
        if length == nil {
            do { try await body.write(BodyRefusingWriter()) } catch is BodyRefusingWriter.Refused {}
        }
        return response
    }
}

/// A body writer that takes nothing: the body's producer learns at once that no one reads.
struct BodyRefusingWriter: ResponseBodyWriter {
    struct Refused: Error {}
    mutating func write(_ buffer: ByteBuffer) async throws { throw Refused() }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
