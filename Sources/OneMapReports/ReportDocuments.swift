import Foundation

/// An area report as HTML (one self-contained page, the map inline), JSON and XLSX.
public enum ReportDocuments {
    public static func data(_ report: AreaReport, format: ReportFormat, style: MapStyle) throws -> Data {
        switch format {
        case .pdf: return try ReportPDF.data(report, style: style)
        case .html: return Data(try html(report, style: style).utf8)
        case .json: return try JSONSerialization.data(withJSONObject: try json(report), options: [.sortedKeys, .withoutEscapingSlashes])
        case .xlsx:
            let about = ReportTable(name: "说明 about", columns: ["项目 item", "内容 value"], rows: report.provenance.map { [.text($0.0), .text($0.1)] })
            return try XLSXWriter.data([about, report.figures.table] + report.tables.map(\.table), title: report.title)
        }
    }

    static func cellJSON(_ c: ReportCell) -> Any {
        switch c {
        case .int(let n): n
        case .number(let d): d
        case .text(let s): s
        case .empty: NSNull()
        }
    }

    static func tableJSON(_ t: AreaReport.Table) -> [String: Any] {
        var o: [String: Any] = ["title": t.title, "columns": t.table.columns, "rows": t.table.rows.map { $0.map(cellJSON) }]
        if let n = t.note { o["note"] = n }
        return o
    }

    public static func json(_ r: AreaReport) throws -> [String: Any] {
        var o: [String: Any] = [
            "title": r.title, "area": ["code": r.areaCode as Any? ?? NSNull(), "name": r.areaLabel] as [String: Any], "datetime": r.day,
            "compare": r.compareDay as Any? ?? NSNull(), "figures": tableJSON(r.figures), "tables": r.tables.map(tableJSON),
            "provenance": r.provenance.map { ["item": $0.0, "value": $0.1] },
            "sources": r.sources.map { ["layer": $0.layer, "title": $0.title, "owner": $0.owner, "ownerName": $0.ownerName, "shareClass": $0.shareClass, "updated": $0.updated] },
            "auditRecord": r.auditID, "generatedBy": r.generatedBy, "generatedAt": r.generatedAt,
            "statistics": try r.document.jsonObject(),
        ]
        if let c = r.compareDocument { o["compareStatistics"] = try c.jsonObject() }
        return o
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    public static func html(_ r: AreaReport, style: MapStyle) throws -> String {
        var h = """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>\(escape(r.title))</title>
            <style>body{font-family:"Noto Sans CJK SC","Noto Sans SC",sans-serif;max-width:1060px;margin:24px auto;color:#222}
            h1{margin-bottom:4px}p.sub{color:#555;margin-top:0}table{border-collapse:collapse;margin:6px 0 18px;font-size:13px}
            th,td{border-bottom:1px solid #ddd;padding:3px 9px}th{background:#e6e3ea;text-align:left}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
            tr:nth-child(even) td{background:#f7f7f7}img.map{width:100%;max-width:1030px;border:1px solid #999}p.note{color:#666;font-size:12px}
            dl{display:grid;grid-template-columns:220px 1fr;font-size:13px}dt{font-weight:bold}dd{margin:0 0 4px}</style></head><body>
            <h1>\(escape(r.title))</h1>
            <p class="sub">三明市时空一张图 OneMap · 数据日期 as of \(escape(r.day))\(r.compareDay.map { " · 对比 compared with \(escape($0))" } ?? "")<br>
            生成 \(escape(r.generatedAt)) · \(escape(r.generatedBy)) · 审计记录 audit record #\(r.auditID)</p>
            """
        if let scene = r.scene {
            h += "<img class=\"map\" alt=\"map of \(escape(r.areaLabel))\" src=\"data:image/png;base64,\(try MapRenderer.png(scene, style: style).base64EncodedString())\">"
        }
        for t in [r.figures] + r.tables {
            h += "<h2>\(escape(t.title))</h2><table><tr>"
            let numeric = t.table.columns.indices.map { c in !t.table.rows.isEmpty && t.table.rows.allSatisfy { c < $0.count && ReportNumbers.isNumeric($0[c]) } }
            for (c, name) in t.table.columns.enumerated() { h += "<th\(numeric[c] ? " class=\"n\"" : "")>\(escape(name))</th>" }
            h += "</tr>"
            for row in t.table.rows {
                h += "<tr>"
                for (c, cell) in row.enumerated() {
                    h += "<td\(c < numeric.count && numeric[c] ? " class=\"n\"" : "")>\(escape(ReportNumbers.text(cell, signed: t.signed.contains(c))))</td>"
                }
                h += "</tr>"
            }
            h += "</table>"
            if let n = t.note { h += "<p class=\"note\">\(escape(n))</p>" }
        }
        h += "<h2>数据来源与说明 Provenance</h2><dl>"
        for (k, v) in r.provenance { h += "<dt>\(escape(k))</dt><dd>\(escape(v))</dd>" }
        h += "</dl></body></html>\n"
        return h
    }
}
