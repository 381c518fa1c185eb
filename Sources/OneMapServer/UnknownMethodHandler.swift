import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// 501 Not Implemented for a request method the HTTP parser does not know (`curl -X FOO`), as RFC
/// 9110 §9.1 asks, where the server would otherwise close with an empty 400. llhttp refuses such a
/// request line before any route runs, so the answer is written here, in the channel, and the
/// connection is closed (the parser cannot resume mid-stream).
final class UnknownMethodHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// A response has begun and not ended: a second one cannot be written into it.
    private var responseOpen = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.fireChannelRead(data) }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.kind != .informational: responseOpen = true
        case .end: responseOpen = false
        default: break
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, parserError == .invalidMethod, !responseOpen else {
            context.fireErrorCaught(error)
            return
        }
        let body = ByteBuffer(string: #"{"code":"NotImplemented","description":"the request method is not one this server implements; use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS"}"#)
        let head = HTTPResponse(status: .notImplemented, headerFields: [.contentType: "application/json", .contentLength: "\(body.readableBytes)",
                                                                       .connection: "close"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
