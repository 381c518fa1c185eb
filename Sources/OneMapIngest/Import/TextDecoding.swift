import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Decodes departments' text in UTF-8 or a legacy Chinese encoding (GBK, GB18030, GB2312, Big5),
/// through the C library's iconv, which Foundation on Linux lacks for these encodings.
enum TextDecoding {
    static func decode(_ data: Data, encoding: String?, what: String) throws -> String {
        let name = (encoding ?? "UTF-8").uppercased().replacingOccurrences(of: "_", with: "-")
        if name == "UTF-8" || name == "UTF8" {
            let bytes = data.starts(with: [0xEF, 0xBB, 0xBF]) ? data.dropFirst(3) : data[...]
            guard let s = String(data: Data(bytes), encoding: .utf8) else {
                throw ImportError("\(what) is not valid UTF-8; pass --encoding GBK (or the file's encoding)")
            }
            return s
        }
        // GBK files are decoded as GB18030, its superset, so no valid GBK byte sequence fails.
        let from = ["GBK", "CP936", "GB2312", "936"].contains(name) ? "GB18030" : name
        guard let cd = iconv_open("UTF-8", from), cd != iconv_t(bitPattern: -1) else {
            throw ImportError("unknown text encoding '\(encoding ?? "")'")
        }
        defer { iconv_close(cd) }
        var input = [CChar](repeating: 0, count: data.count)
        data.withUnsafeBytes { raw in for (k, b) in raw.enumerated() { input[k] = CChar(bitPattern: b) } }
        var output = [CChar](repeating: 0, count: data.count * 4 + 16)
        var inLeft = input.count, outLeft = output.count
        let ok = input.withUnsafeMutableBufferPointer { inBuf -> Bool in
            output.withUnsafeMutableBufferPointer { outBuf -> Bool in
                var inPtr: UnsafeMutablePointer<CChar>? = inBuf.baseAddress
                var outPtr: UnsafeMutablePointer<CChar>? = outBuf.baseAddress
                return iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft) != -1
            }
        }
        guard ok else { throw ImportError("\(what) is not valid \(encoding ?? "") text (at byte \(input.count - inLeft))") }
        let produced = output.count - outLeft
        return String(decoding: output[0..<produced].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
