import Foundation

/// An Office Open XML workbook (ECMA-376, SpreadsheetML): one sheet per table, the header row bold
/// and frozen, numbers as numbers, text (Chinese included) as inline strings. Excel, LibreOffice
/// and WPS open it.
public enum XLSXWriter {
    public static let mediaType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    /// Excel's limits: rows per sheet and characters per cell.
    public static let maxRows = 1_048_576, maxCellText = 32_767

    public enum XLSXError: Error, CustomStringConvertible {
        case tooManyRows(String, Int)
        public var description: String {
            switch self {
            case .tooManyRows(let sheet, let n): "table '\(sheet)' has \(n) rows; a spreadsheet holds at most \(maxRows - 1) below its header (use CSV or GeoPackage)"
            }
        }
    }

    public static func data(_ tables: [ReportTable], title: String, creator: String = "OneMap 三明市一张图", date: Date = Date()) throws -> Data {
        let names = sheetNames(tables.map(\.name))
        var zip = ZipWriter(date: date)
        let ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        let head = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
        var types = head + "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
        types += "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
        types += "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
        types += "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
        types += "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
        types += "<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
        for i in tables.indices {
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
            <dc:title>\(escape(title))</dc:title><dc:creator>\(escape(creator))</dc:creator>\
            <dcterms:created xsi:type="dcterms:W3CDTF">\(created)</dcterms:created></cp:coreProperties>
            """).utf8))
        var workbook = head + "<workbook xmlns=\"\(ns)\" xmlns:r=\"\(rel)\"><sheets>"
        var workbookRels = head + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        for (i, name) in names.enumerated() {
            workbook += "<sheet name=\"\(escape(name))\" sheetId=\"\(i + 1)\" r:id=\"rId\(i + 1)\"/>"
            workbookRels += "<Relationship Id=\"rId\(i + 1)\" Type=\"\(rel)/worksheet\" Target=\"worksheets/sheet\(i + 1).xml\"/>"
        }
        workbook += "</sheets></workbook>"
        workbookRels += "<Relationship Id=\"rId\(tables.count + 1)\" Type=\"\(rel)/styles\" Target=\"styles.xml\"/></Relationships>"
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
        for (i, table) in tables.enumerated() {
            guard table.rows.count < maxRows else { throw XLSXError.tooManyRows(table.name, table.rows.count) }
            try zip.add("xl/worksheets/sheet\(i + 1).xml", Array(sheet(table, namespace: ns).utf8))
        }
        return Data(zip.finish())
    }

    static func sheet(_ table: ReportTable, namespace ns: String) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"\(ns)\">"
        out += "<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews>"
        // Column widths from the longest text in the first rows (CJK characters are two wide).
        if !table.columns.isEmpty {
            out += "<cols>"
            for (c, name) in table.columns.enumerated() {
                var width = displayWidth(name)
                for row in table.rows.prefix(200) where c < row.count { width = max(width, displayWidth(row[c].text)) }
                out += "<col min=\"\(c + 1)\" max=\"\(c + 1)\" width=\"\(min(60, max(8, width + 2)))\" customWidth=\"1\"/>"
            }
            out += "</cols>"
        }
        out += "<sheetData>"
        let refs = table.columns.indices.map(columnName)
        func row(_ r: Int, _ cells: [ReportCell], style: Int) {
            out += "<row r=\"\(r)\">"
            for (c, cell) in cells.enumerated() {
                let ref = c < refs.count ? refs[c] : columnName(c)
                let s = style > 0 ? " s=\"\(style)\"" : ""
                switch cell {
                case .empty: continue
                case .int(let n): out += "<c r=\"\(ref)\(r)\"\(s)><v>\(n)</v></c>"
                case .number(let d):
                    guard d.isFinite else { continue }
                    out += "<c r=\"\(ref)\(r)\"\(s)><v>\(ReportCell.format(d))</v></c>"
                case .text(let t):
                    let text = t.count > maxCellText ? String(t.prefix(maxCellText - 1)) + "…" : t
                    out += "<c r=\"\(ref)\(r)\" t=\"inlineStr\"\(s)><is><t xml:space=\"preserve\">\(escape(text))</t></is></c>"
                }
            }
            out += "</row>"
        }
        row(1, table.columns.map { .text($0) }, style: 1)
        for (i, cells) in table.rows.enumerated() { row(i + 2, cells, style: 0) }
        out += "</sheetData></worksheet>"
        return out
    }

    /// `A`, `B`, ..., `Z`, `AA`, ...
    static func columnName(_ index: Int) -> String {
        var n = index + 1, name = ""
        while n > 0 {
            let r = (n - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + r))) + name
            n = (n - 1) / 26
        }
        return name
    }

    /// Sheet names as Excel allows them: at most 31 characters, none of `[]:*?/\`, unique.
    static func sheetNames(_ names: [String]) -> [String] {
        var used = Set<String>(), out: [String] = []
        for (i, raw) in names.enumerated() {
            var n = String(raw.map { "[]:*?/\\".contains($0) ? "_" : $0 }).trimmingCharacters(in: CharacterSet(charactersIn: "' "))
            if n.isEmpty { n = "Sheet\(i + 1)" }
            n = String(n.prefix(31))
            var candidate = n, k = 2
            while used.contains(candidate.lowercased()) {
                let suffix = " (\(k))"
                candidate = String(n.prefix(31 - suffix.count)) + suffix
                k += 1
            }
            used.insert(candidate.lowercased())
            out.append(candidate)
        }
        return out
    }

    static func displayWidth(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x2E80 ? 2 : 1) }
    }

    /// XML text: the five entities escaped; characters XML 1.0 forbids dropped.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            case _ where u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF: continue
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
