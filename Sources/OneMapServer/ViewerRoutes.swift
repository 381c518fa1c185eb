import Foundation
import Hummingbird
import NIOCore

/// The offline viewer: its page, its MapLibre style (with this server's base URL filled in), the
/// MapLibre files fetched by the set-up, and glyph ranges.
struct ViewerRoutes: Sendable {
    let configuration: ServerConfiguration
    let fallbackBaseURL: String

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/viewer/:file") { _, context in
            let file = context.parameters.get("file") ?? ""
            guard ["viewer.js", "problems.js", "relations.js", "viewer.css"].contains(file) else { throw APIError.notFound("no viewer file '\(file)'") }
            return try self.page(file, type: file.hasSuffix(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8")
        }
        router.get("/styles/:name") { request, context in try self.style(request, context) }
        router.get("/vendor/:file") { _, context in try self.vendor(context) }
        router.get("/fonts/:stack/:range") { _, context in try self.glyphs(context) }
    }

    func page(_ name: String, type: String) throws -> Response {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Viewer"),
              let data = FileManager.default.contents(atPath: url.path) else {
            throw APIError.notFound("viewer file \(name) is missing from this build")
        }
        return Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `/styles/{name}.json`: the file from the styles folder with `{base}` replaced by this server's URL.
    private func style(_ request: Request, _ context: OneMapRequestContext) throws -> Response {
        var name = context.parameters.get("name") ?? ""
        if name.hasSuffix(".json") { name.removeLast(5) }
        // Only plain names: the path can never leave the styles folder.
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw APIError.badRequest("style name '\(name)' may contain only letters, digits, '-' and '_'")
        }
        let path = (configuration.stylesDirectory as NSString).appendingPathComponent("\(name).json")
        guard let data = FileManager.default.contents(atPath: path) else { throw APIError.notFound("no style '\(name)'") }
        let base = BaseURL.of(request, fallback: fallbackBaseURL)
        let text = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "{base}", with: base)
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private func vendor(_ context: OneMapRequestContext) throws -> Response {
        let file = context.parameters.get("file") ?? ""
        let types = ["maplibre-gl.js": "text/javascript; charset=utf-8", "maplibre-gl.css": "text/css; charset=utf-8"]
        guard let type = types[file] else { throw APIError.notFound("no vendor file '\(file)'") }
        let path = (configuration.vendorDirectory as NSString).appendingPathComponent(file)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw APIError.notFound("\(file) is not installed; run scripts/setup.sh (it fetches MapLibre from PyPI)")
        }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=86400"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Glyph ranges for MapLibre's `glyphs` URL. Chinese labels are drawn by the browser's own CJK
    /// font (`localIdeographFontFamily`), so no glyphs are needed for them; for other characters this
    /// answers a valid, empty glyph set for the range until SDF glyphs are generated on the server.
    private func glyphs(_ context: OneMapRequestContext) throws -> Response {
        let raw = context.parameters.get("stack") ?? ""
        let stack = raw.removingPercentEncoding ?? raw
        // Font names only: letters, digits, spaces, commas, '-' and '_' (the name is echoed into the PBF).
        guard (1...200).contains(stack.count), stack.allSatisfy({ $0.isLetter || $0.isNumber || " ,-_".contains($0) }) else {
            throw APIError.notFound("no font stack '\(stack.prefix(80))'")
        }
        var range = context.parameters.get("range") ?? ""
        guard range.hasSuffix(".pbf") else { throw APIError.notFound("glyph ranges are .pbf files") }
        range.removeLast(4)
        let parts = range.split(separator: "-")
        guard parts.count == 2, let lo = Int(parts[0]), let hi = Int(parts[1]), lo >= 0, hi == lo + 255, lo % 256 == 0, hi <= 65535 else {
            throw APIError.badRequest("glyph range '\(range)' must be N-(N+255) with N a multiple of 256")
        }
        // glyphs { stacks { name = 1; range = 2 } }
        var stackMsg = [UInt8]()
        func field(_ n: Int, _ s: String, into out: inout [UInt8]) {
            let b = Array(s.utf8)
            out.append(UInt8(n << 3 | 2)); varint(b.count, &out); out += b
        }
        func varint(_ v: Int, _ out: inout [UInt8]) {
            var v = v
            while v >= 0x80 { out.append(UInt8(v & 0x7F | 0x80)); v >>= 7 }
            out.append(UInt8(v))
        }
        field(1, stack, into: &stackMsg)
        field(2, range, into: &stackMsg)
        var msg: [UInt8] = [UInt8(1 << 3 | 2)]
        varint(stackMsg.count, &msg)
        msg += stackMsg
        return Response(status: .ok, headers: [.contentType: "application/x-protobuf"],
                        body: .init(byteBuffer: ByteBuffer(bytes: msg)))
    }

    /// Whether the files the viewer and the styles need are where the server looks (/health): a
    /// server started from another folder without them serves a viewer without a map.
    static func assetHealth(_ configuration: ServerConfiguration) -> [String: Any] {
        let fm = FileManager.default
        func file(_ dir: String, _ name: String) -> Bool { fm.fileExists(atPath: (dir as NSString).appendingPathComponent(name)) }
        let vendor = ["maplibre-gl.js", "maplibre-gl.css"].filter { !file(configuration.vendorDirectory, $0) }
        let styles = file(configuration.stylesDirectory, "onemap.json")
        var doc: [String: Any] = ["vendorDirectory": configuration.vendorDirectory, "stylesDirectory": configuration.stylesDirectory,
                                  "state": vendor.isEmpty && styles ? "ok" : "missing"]
        if !vendor.isEmpty { doc["missing"] = vendor.map { "\(configuration.vendorDirectory)/\($0)" } + (styles ? [] : ["\(configuration.stylesDirectory)/onemap.json"]) }
        else if !styles { doc["missing"] = ["\(configuration.stylesDirectory)/onemap.json"] }
        return doc
    }
}
