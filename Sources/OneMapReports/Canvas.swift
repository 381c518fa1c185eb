import CCairo
import Foundation

/// A cairo drawing surface and its context, owned together and freed together: a raster image
/// (PNG) or PDF pages. Text is set in Noto Sans CJK SC (Debian's fonts-noto-cjk), which holds
/// Chinese, Latin and digits, found through fontconfig.
final class Canvas {
    enum Kind { case image, pdf }
    let kind: Kind
    let surface: OpaquePointer
    let cr: OpaquePointer
    let width: Double, height: Double
    /// PDF bytes as cairo writes them (the stream's target).
    private let sink: ByteSink?

    static let fontFamily = "Noto Sans CJK SC"

    struct CanvasError: Error, CustomStringConvertible {
        let description: String
    }

    /// A raster of `width` x `height` pixels, white.
    init(imageWidth width: Int, height: Int) throws {
        guard let s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height)),
              cairo_surface_status(s) == CAIRO_STATUS_SUCCESS else { throw CanvasError(description: "cairo cannot make a \(width)x\(height) image") }
        surface = s
        cr = cairo_create(s)
        kind = .image; self.width = Double(width); self.height = Double(height); sink = nil
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
    }

    /// PDF pages of `width` x `height` points (A4 portrait: 595.28 x 841.89).
    init(pdfWidth width: Double, height: Double, title: String) throws {
        let sink = ByteSink()
        let box = Unmanaged.passUnretained(sink).toOpaque()
        guard let s = cairo_pdf_surface_create_for_stream({ closure, data, length in
            guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
            Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue().bytes.append(data, count: Int(length))
            return CAIRO_STATUS_SUCCESS
        }, box, width, height), cairo_surface_status(s) == CAIRO_STATUS_SUCCESS else { throw CanvasError(description: "cairo cannot make a PDF") }
        surface = s
        cr = cairo_create(s)
        kind = .pdf; self.width = width; self.height = height; self.sink = sink
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title)
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "OneMap 三明市一张图")
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    /// The raster as PNG.
    func png() throws -> Data {
        let sink = ByteSink()
        cairo_surface_flush(surface)
        let status = cairo_surface_write_to_png_stream(surface, { closure, data, length in
            guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
            Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue().bytes.append(data, count: Int(length))
            return CAIRO_STATUS_SUCCESS
        }, Unmanaged.passUnretained(sink).toOpaque())
        guard status == CAIRO_STATUS_SUCCESS else { throw CanvasError(description: "cairo cannot write PNG: \(String(cString: cairo_status_to_string(status)))") }
        return sink.bytes
    }

    /// Ends the PDF and returns its bytes.
    func finishPDF() throws -> Data {
        cairo_surface_finish(surface)
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS, let sink else {
            throw CanvasError(description: "cairo cannot write the PDF: \(String(cString: cairo_status_to_string(status)))")
        }
        return sink.bytes
    }

    func newPage() { cairo_show_page(cr) }

    /// The raster's pixels as RGB bytes, rows top to bottom (the map is opaque: no alpha to keep).
    func rgb() -> [UInt8] {
        cairo_surface_flush(surface)
        let w = Int(width), h = Int(height)
        guard kind == .image, let data = cairo_image_surface_get_data(surface) else { return [] }
        let stride = Int(cairo_image_surface_get_stride(surface))
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let row = data.advanced(by: y * stride)
            for x in 0..<w {
                // Native-endian ARGB32, premultiplied: straight colour over white where not opaque.
                let v = row.advanced(by: x * 4).withMemoryRebound(to: UInt32.self, capacity: 1) { $0.pointee }
                let a = Int(v >> 24 & 0xff), i = (y * w + x) * 3
                out[i] = UInt8(Int(v >> 16 & 0xff) + 255 - a)
                out[i + 1] = UInt8(Int(v >> 8 & 0xff) + 255 - a)
                out[i + 2] = UInt8(Int(v & 0xff) + 255 - a)
            }
        }
        return out
    }

    /// The colour of one pixel of a raster (premultiplied ARGB as cairo keeps it, returned straight).
    func pixel(_ x: Int, _ y: Int) -> RGBA {
        cairo_surface_flush(surface)
        guard kind == .image, let data = cairo_image_surface_get_data(surface) else { return .black }
        let stride = Int(cairo_image_surface_get_stride(surface))
        let v = data.advanced(by: y * stride + x * 4).withMemoryRebound(to: UInt32.self, capacity: 1) { $0.pointee }
        let a = Double(v >> 24 & 0xff) / 255
        guard a > 0 else { return RGBA(r: 0, g: 0, b: 0, a: 0) }
        return RGBA(r: Double(v >> 16 & 0xff) / 255 / a, g: Double(v >> 8 & 0xff) / 255 / a, b: Double(v & 0xff) / 255 / a, a: a)
    }

    // MARK: drawing

    func save() { cairo_save(cr) }
    func restore() { cairo_restore(cr) }
    func color(_ c: RGBA) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a) }
    func lineWidth(_ w: Double) { cairo_set_line_width(cr, w) }
    func dash(_ pattern: [Double]) { cairo_set_dash(cr, pattern, Int32(pattern.count), 0) }
    func moveTo(_ x: Double, _ y: Double) { cairo_move_to(cr, x, y) }
    func lineTo(_ x: Double, _ y: Double) { cairo_line_to(cr, x, y) }
    func closePath() { cairo_close_path(cr) }
    func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double) { cairo_rectangle(cr, x, y, w, h) }
    func fill(preserve: Bool = false) { preserve ? cairo_fill_preserve(cr) : cairo_fill(cr) }
    func stroke(preserve: Bool = false) { preserve ? cairo_stroke_preserve(cr) : cairo_stroke(cr) }
    func clip() { cairo_clip(cr) }
    func newPath() { cairo_new_path(cr) }
    func evenOdd() { cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD) }
    func translate(_ x: Double, _ y: Double) { cairo_translate(cr, x, y) }
    func rotate(_ radians: Double) { cairo_rotate(cr, radians) }
    func roundJoins() { cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND); cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND) }

    func font(size: Double, bold: Bool = false) {
        cairo_select_font_face(cr, Self.fontFamily, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
    }

    /// Width of `text` in the current font.
    func textWidth(_ text: String) -> Double {
        var e = cairo_text_extents_t()
        cairo_text_extents(cr, text, &e)
        return e.x_advance
    }

    /// Text with its baseline at y, in the current colour.
    func text(_ s: String, x: Double, y: Double) {
        cairo_move_to(cr, x, y)
        cairo_show_text(cr, s)
    }

    /// Text with a halo (drawn as the outline stroked wide, then the glyphs filled).
    func haloText(_ s: String, x: Double, y: Double, color c: RGBA, halo: RGBA, haloWidth: Double) {
        cairo_move_to(cr, x, y)
        cairo_text_path(cr, s)
        color(halo); lineWidth(haloWidth * 2); roundJoins(); cairo_stroke(cr)
        color(c)
        text(s, x: x, y: y)
    }
}

/// Where cairo's stream callbacks put bytes.
final class ByteSink {
    var bytes = Data()
}

/// A colour with alpha, components 0...1.
struct RGBA: Sendable, Hashable {
    var r: Double, g: Double, b: Double, a: Double = 1

    /// `#rgb`, `#rrggbb`, `rgb(r, g, b)` or `rgba(r, g, b, a)`; nil otherwise.
    init?(css: String) {
        let t = css.trimmingCharacters(in: .whitespaces).lowercased()
        if t.hasPrefix("#") {
            var hex = String(t.dropFirst())
            if hex.count == 3 { hex = hex.map { "\($0)\($0)" }.joined() }
            guard hex.count == 6, let v = UInt32(hex, radix: 16) else { return nil }
            r = Double(v >> 16 & 0xff) / 255; g = Double(v >> 8 & 0xff) / 255; b = Double(v & 0xff) / 255
            return
        }
        if t.hasPrefix("rgb") , let open = t.firstIndex(of: "("), let close = t.lastIndex(of: ")") {
            let parts = t[t.index(after: open)..<close].split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count >= 3 else { return nil }
            r = parts[0] / 255; g = parts[1] / 255; b = parts[2] / 255; a = parts.count > 3 ? parts[3] : 1
            return
        }
        return nil
    }

    init(r: Double, g: Double, b: Double, a: Double = 1) { self.r = r; self.g = g; self.b = b; self.a = a }

    func with(alpha: Double) -> RGBA { RGBA(r: r, g: g, b: b, a: alpha) }

    /// Linear mix towards `o` by t (0...1).
    func mix(_ o: RGBA, _ t: Double) -> RGBA {
        RGBA(r: r + (o.r - r) * t, g: g + (o.g - g) * t, b: b + (o.b - b) * t, a: a + (o.a - a) * t)
    }

    static let white = RGBA(r: 1, g: 1, b: 1)
    static let black = RGBA(r: 0, g: 0, b: 0)
}
