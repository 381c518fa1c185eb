import Foundation
import Hummingbird
import NIOCore

/// Request bodies as JSON, bounded: a size limit (413) and a nesting limit checked on the bytes
/// before any parser recurses into them (a body of a million '[' would otherwise exhaust a stack).
enum JSONBody {
    static let maxDepth = 64

    static func read(_ request: Request, upTo limit: Int) async throws -> ByteBuffer {
        do { return try await request.body.collect(upTo: limit) } catch {
            throw APIError(.contentTooLarge, "PayloadTooLarge", "the request body is over \(limit >> 20) MB")
        }
    }

    /// The parsed body; `empty` is returned for a body of no bytes.
    static func parse(_ buffer: ByteBuffer, empty: Any? = nil, hint: String) throws -> Any {
        if buffer.readableBytes == 0, let empty { return empty }
        let depth = buffer.withUnsafeReadableBytes(maxNesting)
        guard depth <= maxDepth else { throw APIError.badRequest("the body nests JSON deeper than \(maxDepth) levels") }
        guard let json = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) else {
            throw APIError.badRequest("the body is not JSON; \(hint)")
        }
        return json
    }

    /// The deepest nesting of arrays and objects, strings skipped.
    static func maxNesting(_ bytes: UnsafeRawBufferPointer) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for b in bytes {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1; deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}
