import Foundation
import OneMapQuality

/// The monthly supply and freshness report (数据供给与鲜活度通报) as tables (XLSX sheets, PDF
/// tables) and as an A4 PDF in Chinese with a bar chart per measure.
public enum SupplyReportDocuments {
    public enum Format: String, Sendable, CaseIterable {
        case pdf, xlsx, json
        public var mediaType: String {
            switch self {
            case .pdf: "application/pdf"
            case .xlsx: XLSXWriter.mediaType
            case .json: "application/json"
            }
        }
    }

    public static func title(_ r: SupplyReport) -> String { "三明市政务数据供给与鲜活度通报（\(r.period)）" }

    static func percent(_ share: Double?) -> ReportCell { share.map { .number(($0 * 1000).rounded() / 10) } ?? .empty }

    /// The ranking, then one table per measure: freshness, completeness, the correction loop.
    public static func tables(_ r: SupplyReport) -> [AreaReport.Table] {
        let ranking = ReportTable(name: "排名 Ranking", columns: ["名次", "部门代码", "部门", "超期未更新图层", "逾期问题", "完整率 %", "现行记录数"],
                                  rows: r.departments.map { d in
                                      [.int(d.rank), .text(d.code), .text(d.name), .int(d.lateLayers), .int(d.problems.overdue),
                                       percent(d.completeness), d.records.map { .int($0) } ?? .text("—")]
                                  })
        let rows = r.departments.flatMap { d in d.layers.map { (d, $0) } }
        let freshness = ReportTable(name: "鲜活度 Freshness", columns: ["部门", "图层", "承诺更新周期(天)", "最近更新", "距今(天)", "超期(天)", "本月更新次数"],
                                    rows: rows.map { d, l in
                                        [.text(d.code), .text(l.layer), l.promisedEveryDays.map { .int($0) } ?? .text("未承诺"),
                                         .text(l.lastUpdate.map { String($0.prefix(10)) } ?? "从未"), l.daysSinceUpdate.map { .int($0) } ?? .empty,
                                         .int(l.lateDays), .int(l.updates)]
                                    })
        let completeness = ReportTable(name: "完整性 Completeness", columns: ["部门", "图层", "现行记录数", "必填字段填充率 %", "住宅有常住人口 %", "法人有所在建筑 %"],
                                       rows: rows.map { d, l in
                                           [.text(d.code), .text(l.layer), l.records.map { .int($0) } ?? .text("—"), percent(l.completeness),
                                            percent(l.residentLinkedShare), percent(l.businessBuildingShare)]
                                       })
        let problems = ReportTable(name: "纠错 Corrections", columns: ["部门", "待整改问题", "逾期问题", "本月整改", "整改中位天数", "重开率 %"],
                                   rows: r.departments.map { d in
                                       [.text(d.code), .int(d.problems.open), .int(d.problems.overdue), .int(d.problems.corrected),
                                        d.problems.medianDaysToCorrect.map { .number(($0 * 10).rounded() / 10) } ?? .empty, percent(d.problems.reopenRate)]
                                   })
        return [
            AreaReport.Table(title: "一、部门排名 Ranking", table: ranking, note: "排名：超期未更新图层少者在前，其次逾期问题少者在前，其次完整率高者在前。"),
            AreaReport.Table(title: "二、数据鲜活度 Freshness against the promise", table: freshness),
            AreaReport.Table(title: "三、数据完整性 Completeness", table: completeness, note: "“—”：阅读者无权精确计数该图层的记录。"),
            AreaReport.Table(title: "四、问题整改 The correction loop", table: problems),
        ]
    }

    public static func data(_ r: SupplyReport, format: Format) throws -> Data {
        switch format {
        case .json:
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return try e.encode(r)
        case .xlsx:
            let notes = ReportTable(name: "说明 Notes", columns: ["说明"], rows: r.notes.map { [.text($0)] })
            return try XLSXWriter.data(tables(r).map(\.table) + [notes], title: title(r))
        case .pdf: return try pdf(r)
        }
    }

    /// One horizontal bar per department.
    struct Chart {
        let title: String
        let bars: [(label: String, value: Double)]
        let unit: String
    }

    static func charts(_ r: SupplyReport) -> [Chart] {
        [Chart(title: "超期未更新图层数", bars: r.departments.map { ($0.code, Double($0.lateLayers)) }, unit: "个"),
         Chart(title: "逾期未整改问题数", bars: r.departments.map { ($0.code, Double($0.problems.overdue)) }, unit: "个"),
         Chart(title: "必填字段填充率", bars: r.departments.compactMap { d in d.completeness.map { (d.code, ($0 * 1000).rounded() / 10) } }, unit: "%"),
         Chart(title: "待整改问题数", bars: r.departments.map { ($0.code, Double($0.problems.open)) }, unit: "个"),
         Chart(title: "整改中位天数", bars: r.departments.map { ($0.code, $0.problems.medianDaysToCorrect.map { ($0 * 10).rounded() / 10 } ?? 0) }, unit: "天"),
         Chart(title: "整改后重开率", bars: r.departments.map { ($0.code, (($0.problems.reopenRate ?? 0) * 1000).rounded() / 10) }, unit: "%")]
    }

    static func pdf(_ r: SupplyReport) throws -> Data {
        let canvas = try Canvas(pdfWidth: ReportPDF.pageWidth, height: ReportPDF.pageHeight, title: title(r))
        var page = ReportPDF.Page(canvas: canvas, footer: "OneMap 三明市一张图 · 数据供给与鲜活度通报 · \(r.period) · 生成 \(r.generatedAt.prefix(19))")
        page.text(title(r), size: 18, bold: true)
        page.text("统计期 \(r.from) 至 \(r.asOf) · 记录计数日 \(r.asOf) · 生成 \(r.generatedAt)", size: 9.5, color: RGBA(r: 0.3, g: 0.3, b: 0.3))
        let late = r.departments.filter { $0.lateLayers > 0 }.map(\.code)
        page.text("共 \(r.departments.count) 个部门参与排名；\(late.isEmpty ? "无部门超期未更新。" : "超期未更新（应汇聚未汇聚）的部门：\(late.joined(separator: "、"))。")",
                  size: 10)
        let all = tables(r)
        page.table(all[0])
        for chart in charts(r) { draw(chart, on: &page) }
        for t in all.dropFirst() { page.table(t) }
        page.heading("说明 Notes")
        for n in r.notes { page.text("· " + n, size: 8.5, color: RGBA(r: 0.25, g: 0.25, b: 0.25)) }
        page.finish()
        return try canvas.finishPDF()
    }

    static func draw(_ chart: Chart, on page: inout ReportPDF.Page) {
        let canvas = page.canvas, margin = ReportPDF.margin, width = ReportPDF.contentWidth
        let barH = 11.0, labelW = 70.0, valueW = 50.0
        // The chart stays with its heading on one page.
        page.ensure(Double(chart.bars.count) * (barH + 4) + 50)
        page.heading("图：" + chart.title)
        let top = chart.bars.map(\.value).max() ?? 0
        for bar in chart.bars {
            canvas.font(size: 8)
            canvas.color(.black)
            canvas.text(bar.label, x: margin, y: page.y + 8.5)
            let w = top > 0 ? (width - labelW - valueW) * bar.value / top : 0
            canvas.color(RGBA(r: 0.36, g: 0.42, b: 0.62))
            canvas.rect(margin + labelW, page.y + 1, max(w, 0.5), barH - 2)
            canvas.fill()
            canvas.color(.black)
            canvas.text("\(ReportCell.format(bar.value)) \(chart.unit)", x: margin + labelW + w + 4, y: page.y + 8.5)
            page.y += barH + 4
        }
        page.y += 4
    }
}
