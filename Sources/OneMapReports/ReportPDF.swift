import Foundation

/// An area report as A4 PDF pages drawn with cairo: title, the map, key figures, the tables,
/// provenance, and a footer citing the audit record on every page. Text is real text (Noto Sans
/// CJK embedded as a subset), so it can be searched, copied and extracted.
public enum ReportPDF {
    static let pageWidth = 595.28, pageHeight = 841.89, margin = 42.0
    static var contentWidth: Double { pageWidth - 2 * margin }
    /// The map's size on the page, in points (one scene pixel per point).
    public static let mapSize = (515, 360)

    public static func data(_ report: AreaReport, style: MapStyle) throws -> Data {
        let canvas = try Canvas(pdfWidth: pageWidth, height: pageHeight, title: report.title)
        var page = Page(canvas: canvas, footer: "OneMap 三明市一张图 · \(report.areaLabel) · 数据日期 \(report.day) · 审计记录 #\(report.auditID)")
        // Title block.
        page.text(report.title, size: 20, bold: true)
        var subtitle = "三明市时空一张图 OneMap · 数据日期 as of \(report.day)"
        if let c = report.compareDay { subtitle += " · 对比 compared with \(c)" }
        page.text(subtitle, size: 10, color: RGBA(r: 0.3, g: 0.3, b: 0.3))
        page.text("生成 \(report.generatedAt) · \(report.generatedBy) · 审计记录 audit record #\(report.auditID)", size: 8.5, color: RGBA(r: 0.4, g: 0.4, b: 0.4))
        page.space(6)
        if let scene = report.scene {
            page.ensure(Double(scene.request.height) + 10)
            MapRenderer.draw(scene, style: style, on: canvas, x: margin, y: page.y)
            page.y += Double(scene.request.height) + 12
        }
        page.table(report.figures)
        for t in report.tables { page.table(t) }
        page.heading("数据来源与说明 Provenance")
        for (k, v) in report.provenance { page.keyValue(k, v) }
        page.finish()
        return try canvas.finishPDF()
    }

    /// A flow of blocks down A4 pages.
    struct Page {
        let canvas: Canvas
        let footer: String
        var y = margin
        var number = 1

        init(canvas: Canvas, footer: String) { self.canvas = canvas; self.footer = footer }

        var bottom: Double { pageHeight - margin - 14 }

        mutating func ensure(_ height: Double) { if y + height > bottom { newPage() } }

        mutating func newPage() {
            drawFooter()
            canvas.newPage()
            number += 1
            y = margin
        }

        func drawFooter() {
            canvas.font(size: 7.5)
            canvas.color(RGBA(r: 0.45, g: 0.45, b: 0.45))
            canvas.text(footer, x: margin, y: pageHeight - margin + 10)
            let n = "第 \(number) 页"
            canvas.text(n, x: pageWidth - margin - canvas.textWidth(n), y: pageHeight - margin + 10)
        }

        mutating func finish() { drawFooter() }

        mutating func space(_ h: Double) { y += h }

        /// Lines of text, wrapped to the content width (at any character: Chinese has no spaces).
        mutating func text(_ s: String, size: Double, bold: Bool = false, color: RGBA = .black, indent: Double = 0) {
            canvas.font(size: size, bold: bold)
            for line in wrap(s, width: contentWidth - indent) {
                ensure(size * 1.45)
                canvas.color(color)
                canvas.text(line, x: margin + indent, y: y + size)
                y += size * 1.45
            }
        }

        func wrap(_ s: String, width: Double) -> [String] {
            var lines: [String] = [], current = ""
            for ch in s {
                let next = current + String(ch)
                if canvas.textWidth(next) > width, !current.isEmpty {
                    lines.append(current)
                    current = ch == " " ? "" : String(ch)
                } else {
                    current = next
                }
            }
            if !current.isEmpty || lines.isEmpty { lines.append(current) }
            return lines
        }

        mutating func heading(_ s: String) {
            ensure(40)
            y += 8
            text(s, size: 12.5, bold: true, color: RGBA(r: 0.17, g: 0.12, b: 0.2))
            y += 2
        }

        mutating func keyValue(_ k: String, _ v: String) {
            canvas.font(size: 8.5, bold: true)
            let kw = 128.0
            let lines = { () -> [String] in canvas.font(size: 8.5); return wrap(v, width: contentWidth - kw) }()
            ensure(Double(lines.count) * 12.5)
            canvas.font(size: 8.5, bold: true)
            canvas.color(.black)
            canvas.text(k, x: margin, y: y + 8.5)
            canvas.font(size: 8.5)
            for line in lines {
                canvas.text(line, x: margin + kw, y: y + 8.5)
                y += 12.5
            }
        }

        /// A table with a header row repeated on each page, numbers right-aligned.
        mutating func table(_ t: AreaReport.Table) {
            heading(t.title)
            let table = t.table
            let rows = table.rows.map { r in r.enumerated().map { ReportNumbers.text($0.element, signed: t.signed.contains($0.offset)) } }
            let numeric = table.columns.indices.map { c in
                !table.rows.isEmpty && table.rows.allSatisfy { c < $0.count && ReportNumbers.isNumeric($0[c]) }
            }
            var size = 8.5
            var widths: [Double] = []
            while true {
                canvas.font(size: size)
                widths = table.columns.indices.map { c in
                    canvas.font(size: size, bold: true)
                    var w = canvas.textWidth(table.columns[c])
                    canvas.font(size: size)
                    for r in rows where c < r.count { w = max(w, canvas.textWidth(r[c])) }
                    return w + 10
                }
                if widths.reduce(0, +) <= contentWidth || size <= 6 { break }
                size -= 0.5
            }
            // Spread what is left over the columns.
            let spare = max(0, contentWidth - widths.reduce(0, +))
            widths = widths.map { $0 + spare / Double(max(widths.count, 1)) }
            let rowH = size * 1.75
            func header() {
                canvas.color(RGBA(r: 0.9, g: 0.89, b: 0.92))
                canvas.rect(margin, y, contentWidth, rowH)
                canvas.fill()
                canvas.font(size: size, bold: true)
                canvas.color(.black)
                var x = margin
                for (c, name) in table.columns.enumerated() {
                    let tx = numeric[c] ? x + widths[c] - 5 - canvas.textWidth(name) : x + 5
                    canvas.text(name, x: tx, y: y + rowH * 0.68)
                    x += widths[c]
                }
                y += rowH
            }
            ensure(rowH * 2)
            header()
            canvas.font(size: size)
            for (i, r) in rows.enumerated() {
                if y + rowH > bottom {
                    newPage()
                    header()
                }
                canvas.font(size: size)
                if i % 2 == 1 {
                    canvas.color(RGBA(r: 0.97, g: 0.97, b: 0.97))
                    canvas.rect(margin, y, contentWidth, rowH)
                    canvas.fill()
                }
                canvas.color(.black)
                var x = margin
                for (c, text) in r.enumerated() where c < widths.count {
                    let tx = numeric[c] ? x + widths[c] - 5 - canvas.textWidth(text) : x + 5
                    canvas.text(text, x: tx, y: y + rowH * 0.68)
                    x += widths[c]
                }
                y += rowH
            }
            canvas.color(RGBA(r: 0.6, g: 0.6, b: 0.6))
            canvas.lineWidth(0.5)
            canvas.moveTo(margin, y); canvas.lineTo(margin + contentWidth, y); canvas.stroke()
            if let note = t.note {
                y += 3
                text(note, size: 8, color: RGBA(r: 0.4, g: 0.4, b: 0.4))
            }
            y += 4
        }
    }
}
