import Foundation
import HTTPTypes
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
