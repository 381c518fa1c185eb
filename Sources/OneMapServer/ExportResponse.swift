import Foundation
import HTTPTypes
import Logging
import Hummingbird
import NIOCore
import OneMapReports

/// A file to download: its media type, a file name (RFC 6266, with a UTF-8 `filename*` for
/// Chinese names), and no caching anywhere (an export holds the caller's view, maybe personal data).
enum ExportResponse {
    static func make(_ data: Data, format: ExportFormat, filename: String) -> Response {
        make(data, mediaType: format.mediaType, filename: "\(filename).\(format.fileExtension)")
    }

    static func make(_ data: Data, mediaType: String, filename: String, inline: Bool = false) -> Response {
        let ascii = String(filename.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 ? Character($0) : "_" })
        let encoded = filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ".-_"))) ?? ascii
        return Response(status: .ok, headers: [
            .contentType: mediaType,
            .contentDisposition: "\(inline ? "inline" : "attachment"); filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)",
            .cacheControl: "private, no-store",
        ], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension ExportResponse {
    /// A file made while it is sent: `produce` runs on `lane` and writes into a sink whose pieces
    /// go to the client as they come (first byte long before the last feature is read, memory
    /// bounded by the pipe). Errors before the first piece (a refused request, a busy lane) are
    /// answered as errors; one after it cuts the response short, which the client sees as an
    /// incomplete transfer, and is logged. A client that goes away stops `produce`.
    static func streamed(lane: HeavyLane, what: String, mediaType: String, filename: String, logger: Logger,
                         produce: @escaping @Sendable (ExportSink) throws -> Void) async throws -> Response {
        let pipe = BytePipe()
        Task {
            do {
                try await lane.run(what) {
                    let sink = ExportSink { try pipe.send($0) }
                    try produce(sink)
                }
                pipe.finish()
            } catch let e as BytePipe.Cancelled {
                logger.info("\(what) stopped", metadata: ["file": .string(filename), "reason": .string(e.reason)])
                pipe.fail(e)
            } catch {
                pipe.fail(error)
            }
        }
        let first = try await pipe.next()
        var response = make(Data(), mediaType: mediaType, filename: filename)
        response.body = ResponseBody { writer in
            do {
                if let first { try await writer.write(ByteBuffer(bytes: first)) }
                while let piece = try await pipe.next() { try await writer.write(ByteBuffer(bytes: piece)) }
            } catch {
                // A write that fails is a client that went away (info); a producer's failure is an error.
                if error is BytePipe.Cancelled || error is BodyRefusingWriter.Refused {
                } else if error is IOError || error is ChannelError {
                    logger.info("\(what) stopped: the client went away", metadata: ["file": .string(filename)])
                } else {
                    logger.error("\(what) cut short", metadata: ["file": .string(filename), "error": .string("\(error)")])
                }
                pipe.cancel("the response could not be written")
                throw error
            }
            try await writer.finish(nil)
        }
        return response
    }
}
