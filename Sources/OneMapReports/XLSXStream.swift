import Foundation

/// A workbook written sheet by sheet and row by row into a sink (`XLSXWriter` describes the
/// format): the fixed parts first, then each sheet's XML deflated as its rows come, so a sheet of
/// a whole layer is never held in memory. Column widths come from the first 200 rows, which are
/// the only ones held back.
public final class XLSXStream {
    private let zip: ZipWriter
    private let sheetCount: Int
    private var sheetsBegun = 0
    private var columns: [String]?
    private var refs: [String] = []
    private var held: [[ReportCell]] = []
    private var rowsWritten = 0
    private var sheetName = ""
    private let names: [String]
    private var xml = ""
    /// Sheets deflated as they come (data descriptors follow them), or held whole and stored with
    /// their sizes in the local header (for workbooks made in memory: the most widely read form).
    private let streamed: Bool
    private var wholeSheet: [UInt8] = []
    static let sampleRows = 200

    static let ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

    /// Writes the workbook's fixed parts for sheets named `sheets` (made valid and unique).
    public init(sink: ExportSink, sheets: [String], title: String, creator: String = "OneMap 三明市一张图", date: Date = Date(),
                streamed: Bool = true) throws {
        zip = ZipWriter(sink: sink, date: date)
        self.streamed = streamed
        names = XLSXWriter.sheetNames(sheets)
        sheetCount = sheets.count
        let ns = Self.ns
        let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        let head = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
        var types = head + "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
        types += "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
        types += "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
        types += "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
        types += "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
        types += "<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
        for i in sheets.indices {
            types += "<Override PartName=\"/xl/worksheets/sheet\(i + 1).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        }
        types += "</Types>"
        try zip.add("[Content_Types].xml", Array(types.utf8))
        try zip.add("_rels/.rels", Array((head + """
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="\(rel)/officeDocument" Target="xl/workbook.xml"/>\
            <Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>\
            </Relationships>
            """).utf8))
        let created = ISO8601DateFormatter().string(from: date)
        try zip.add("docProps/core.xml", Array((head + """
            <cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" \
            xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" \
            xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
            <dc:title>\(XLSXWriter.escape(title))</dc:title><dc:creator>\(XLSXWriter.escape(creator))</dc:creator>\
            <dcterms:created xsi:type="dcterms:W3CDTF">\(created)</dcterms:created></cp:coreProperties>
            """).utf8))
        var workbook = head + "<workbook xmlns=\"\(ns)\" xmlns:r=\"\(rel)\"><sheets>"
        var workbookRels = head + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        for (i, name) in names.enumerated() {
            workbook += "<sheet name=\"\(XLSXWriter.escape(name))\" sheetId=\"\(i + 1)\" r:id=\"rId\(i + 1)\"/>"
            workbookRels += "<Relationship Id=\"rId\(i + 1)\" Type=\"\(rel)/worksheet\" Target=\"worksheets/sheet\(i + 1).xml\"/>"
        }
        workbook += "</sheets></workbook>"
        workbookRels += "<Relationship Id=\"rId\(sheets.count + 1)\" Type=\"\(rel)/styles\" Target=\"styles.xml\"/></Relationships>"
        try zip.add("xl/workbook.xml", Array(workbook.utf8))
        try zip.add("xl/_rels/workbook.xml.rels", Array(workbookRels.utf8))
        try zip.add("xl/styles.xml", Array((head + """
            <styleSheet xmlns="\(ns)">\
            <fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
            <fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
            <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
            <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
            <cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
            <xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>\
            <cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
            </styleSheet>
            """).utf8))
    }

    /// Starts the next sheet with its header row.
    public func beginSheet(columns: [String]) throws {
        guard self.columns == nil, sheetsBegun < sheetCount else { throw ZipWriter.ZipError.misuse("sheet begun out of order") }
        sheetName = names[sheetsBegun]
        sheetsBegun += 1
        self.columns = columns
        refs = columns.indices.map(XLSXWriter.columnName)
        held = []
        rowsWritten = 0
        if streamed { try zip.begin("xl/worksheets/sheet\(sheetsBegun).xml") }
    }

    public func addRow(_ cells: [ReportCell]) throws {
        guard let columns else { throw ZipWriter.ZipError.misuse("row with no sheet begun") }
        if held.count < Self.sampleRows && rowsWritten == 0 {
            held.append(cells)
            if held.count == Self.sampleRows { try writeHead(columns) }
            return
        }
        try row(cells)
    }

    public func endSheet() throws {
        guard let columns else { throw ZipWriter.ZipError.misuse("no sheet to end") }
        if rowsWritten == 0 { try writeHead(columns) }
        xml += "</sheetData></worksheet>"
        try drain(force: true)
        if streamed {
            try zip.end()
        } else {
            try zip.add("xl/worksheets/sheet\(sheetsBegun).xml", wholeSheet)
            wholeSheet = []
        }
        self.columns = nil
    }

    public func finish() throws {
        guard columns == nil else { throw ZipWriter.ZipError.misuse("workbook finished inside a sheet") }
        try zip.finish()
    }

    /// The sheet's start, column widths from the held rows (CJK characters are two wide), the
    /// header row, and the held rows.
    private func writeHead(_ columns: [String]) throws {
        xml += "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"\(Self.ns)\">"
        xml += "<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews>"
        if !columns.isEmpty {
            xml += "<cols>"
            for (c, name) in columns.enumerated() {
                var width = XLSXWriter.displayWidth(name)
                for row in held where c < row.count { width = max(width, XLSXWriter.displayWidth(row[c].text)) }
                xml += "<col min=\"\(c + 1)\" max=\"\(c + 1)\" width=\"\(min(60, max(8, width + 2)))\" customWidth=\"1\"/>"
            }
            xml += "</cols>"
        }
        xml += "<sheetData>"
        rowsWritten = 1
        appendRow(1, columns.map { .text($0) }, style: 1)
        let rows = held
        held = []
        for r in rows { try row(r) }
    }

    private func row(_ cells: [ReportCell]) throws {
        guard rowsWritten < XLSXWriter.maxRows else {
            throw XLSXWriter.XLSXError.tooManyRows(sheetName, rowsWritten)
        }
        rowsWritten += 1
        appendRow(rowsWritten, cells, style: 0)
        try drain(force: false)
    }

    private func appendRow(_ r: Int, _ cells: [ReportCell], style: Int) {
        xml += "<row r=\"\(r)\">"
        for (c, cell) in cells.enumerated() {
            let ref = c < refs.count ? refs[c] : XLSXWriter.columnName(c)
            let s = style > 0 ? " s=\"\(style)\"" : ""
            switch cell {
            case .empty: continue
            case .int(let n): xml += "<c r=\"\(ref)\(r)\"\(s)><v>\(n)</v></c>"
            case .number(let d):
                guard d.isFinite else { continue }
                xml += "<c r=\"\(ref)\(r)\"\(s)><v>\(ReportCell.format(d))</v></c>"
            case .text(let t):
                let text = t.count > XLSXWriter.maxCellText ? String(t.prefix(XLSXWriter.maxCellText - 1)) + "…" : t
                xml += "<c r=\"\(ref)\(r)\" t=\"inlineStr\"\(s)><is><t xml:space=\"preserve\">\(XLSXWriter.escape(text))</t></is></c>"
            }
        }
        xml += "</row>"
    }

    /// Hands the gathered XML to the deflater in pieces of about 64 KiB.
    private func drain(force: Bool) throws {
        guard force || xml.utf8.count >= 64 << 10 else { return }
        if streamed { try zip.write(Array(xml.utf8)) } else { wholeSheet += xml.utf8 }
        xml = ""
        xml.reserveCapacity(72 << 10)
    }
}
