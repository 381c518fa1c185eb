import Foundation
import OneMapQuery
import OneMapStore

/// A person's or an enterprise's file as a page: an HTML page with a small map, or an A4 PDF like
/// the area report (title, map, tables, provenance, the audit record on every page).
public struct ProfilePage: @unchecked Sendable {
    public var title: String
    public var subtitle: String
    public var tables: [AreaReport.Table]
    public var provenance: [(String, String)]
    public var scene: MapScene?
    public var auditID: Int64

    public init(title: String, subtitle: String, tables: [AreaReport.Table], provenance: [(String, String)], scene: MapScene?, auditID: Int64) {
        self.title = title; self.subtitle = subtitle; self.tables = tables; self.provenance = provenance; self.scene = scene; self.auditID = auditID
    }

    static func value(_ v: FieldJSON?) -> ReportCell {
        switch v?.value {
        case .string(let s)?: .text(s)
        case .int(let n)?: .int(Int(n))
        case .double(let d)?: .number(d)
        case .bool(let b)?: .text(b ? "是" : "否")
        case .null?, nil: .empty
        }
    }

    static func addresses(_ list: [ProfileAddress]) -> AreaReport.Table {
        AreaReport.Table(title: "地址 Addresses", table: ReportTable(name: "地址", columns: ["建筑 building", "自 from", "至 to", "用途 use", "乡镇 township", "区县 county"],
                                                                   rows: list.map { a in
                                                                       [.text(a.building), .text(a.from ?? ""), .text(a.to ?? "今 now"), .text(a.use ?? ""),
                                                                        .text(a.township ?? ""), .text(a.county ?? "")]
                                                                   }))
    }

    static func spans(_ title: String, _ list: [ProfileSpan]) -> AreaReport.Table {
        AreaReport.Table(title: title, table: ReportTable(name: title, columns: ["值 value", "自 from", "至 to"],
                                                         rows: list.map { [value($0.value), .text($0.from ?? ""), .text($0.to ?? "今 now")] }))
    }

    static func provenance(_ p: ProfileProvenance, day: String, auditID: Int64) -> [(String, String)] {
        [("数据日期 as of", day), ("来源 layer", "\(p.layer) · 所有者 owner \(p.owner)"),
         ("授权 grant", p.grant.map { "#\($0) · 用途 \(p.purpose ?? "")" } ?? "数据所有部门 the owner"),
         ("生成者 generated for", p.generatedFor), ("生成时间 generated at", p.generatedAt), ("审计记录 audit record", "#\(auditID)")]
    }

    public static func person(_ p: PersonProfile, scene: MapScene?, auditID: Int64) -> ProfilePage {
        var tables = [addresses(p.addresses), spans("户 Households", p.households), spans("户籍类型 Registration", p.registrations)]
        tables.append(AreaReport.Table(title: "迁移 Moves", table: ReportTable(name: "迁移", columns: ["日期 on", "迁出 from", "迁入 to"],
                                                                              rows: p.moves.map { [.text($0.on ?? ""), .text($0.from), .text($0.to)] })))
        return ProfilePage(title: "一人一档 · \(p.current?.fields["person_key"].map { value($0).text } ?? p.personKey)",
                           subtitle: "三明市时空一张图 OneMap · 数据日期 as of \(p.datetime)", tables: tables,
                           provenance: provenance(p.provenance, day: p.datetime, auditID: auditID), scene: scene, auditID: auditID)
    }

    public static func enterprise(_ e: EnterpriseProfile, scene: MapScene?, auditID: Int64) -> ProfilePage {
        let name = e.current?.fields["name"].map { value($0).text } ?? e.versions.last?.fields["name"].map { value($0).text } ?? ""
        var tables = [AreaReport.Table(title: "状态 Status", table: ReportTable(name: "状态", columns: ["状态 status", "注销 cancelled"],
                                                                              rows: [[.text(e.status == "active" ? "存续 active" : e.status == "cancelled" ? "注销 cancelled" : e.status),
                                                                                      .text(e.cancelled ?? "")]])),
                      addresses(e.addresses), spans("行业 Industry", e.industries), spans("从业人员 Employees", e.employees)]
        tables.append(AreaReport.Table(title: "同楼法人 Other enterprises in the building", table: ReportTable(
            name: "同楼法人", columns: ["统一社会信用代码", "名称", "行业"],
            rows: e.sameBuilding.map { [.text($0.creditCode), .text($0.name ?? ""), .text($0.industry ?? "")] })))
        return ProfilePage(title: "一企一档 · \(name) \(e.creditCode)", subtitle: "三明市时空一张图 OneMap · 数据日期 as of \(e.datetime)", tables: tables,
                           provenance: provenance(e.provenance, day: e.datetime, auditID: auditID), scene: scene, auditID: auditID)
    }

    public func html(style: MapStyle) throws -> String {
        let e = ReportDocuments.escape
        var h = """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>\(e(title))</title>
            <style>body{font-family:"Noto Sans CJK SC","Noto Sans SC",sans-serif;max-width:900px;margin:24px auto;color:#222}
            table{border-collapse:collapse;margin:6px 0 18px;font-size:13px}th,td{border-bottom:1px solid #ddd;padding:3px 9px}
            th{background:#e6e3ea;text-align:left}img.map{width:100%;max-width:480px;border:1px solid #999}
            dl{display:grid;grid-template-columns:200px 1fr;font-size:13px}dt{font-weight:bold}dd{margin:0 0 4px}</style></head><body>
            <h1>\(e(title))</h1><p>\(e(subtitle)) · 审计记录 audit record #\(auditID)</p>
            """
        if let scene {
            h += "<img class=\"map\" alt=\"map\" src=\"data:image/png;base64,\(try MapRenderer.png(scene, style: style).base64EncodedString())\">"
        }
        for t in tables {
            h += "<h2>\(e(t.title))</h2><table><tr>" + t.table.columns.map { "<th>\(e($0))</th>" }.joined() + "</tr>"
            for row in t.table.rows { h += "<tr>" + row.map { "<td>\(e(ReportNumbers.text($0)))</td>" }.joined() + "</tr>" }
            h += "</table>"
        }
        h += "<h2>来源与说明 Provenance</h2><dl>" + provenance.map { "<dt>\(e($0.0))</dt><dd>\(e($0.1))</dd>" }.joined() + "</dl></body></html>"
        return h
    }

    public func pdf(style: MapStyle) throws -> Data {
        let canvas = try Canvas(pdfWidth: ReportPDF.pageWidth, height: ReportPDF.pageHeight, title: title)
        var page = ReportPDF.Page(canvas: canvas, footer: "OneMap 三明市一张图 · \(title) · 审计记录 #\(auditID)")
        page.text(title, size: 18, bold: true)
        page.text(subtitle, size: 10, color: RGBA(r: 0.3, g: 0.3, b: 0.3))
        page.space(6)
        if let scene {
            page.ensure(Double(scene.request.height) + 10)
            MapRenderer.draw(scene, style: style, on: canvas, x: ReportPDF.margin, y: page.y)
            page.y += Double(scene.request.height) + 12
        }
        for t in tables { page.table(t) }
        page.heading("来源与说明 Provenance")
        for (k, v) in provenance { page.keyValue(k, v) }
        page.finish()
        return try canvas.finishPDF()
    }
}
