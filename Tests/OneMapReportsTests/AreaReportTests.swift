import Foundation
import OneMapAnalytics
import OneMapGeo
import OneMapQuery
import OneMapStore
import Testing
@testable import OneMapReports

/// Area reports take every figure from the `/stats` document of the same request and caller, and
/// show a change only between two exact figures.
@Suite struct AreaReportTests {
    func report(_ fixture: ReportFixture, disclosure: StatisticsDisclosure, compare: String? = "2014-01-01",
                mapSize: (Int, Int)? = nil) throws -> AreaReport {
        let request = try AreaReportRequest.parse(parameters: [("area", "350404"), ("datetime", "2024-01-01")] + (compare.map { [("compare", $0)] } ?? []))
        // A fixed disclosure-control secret: the same published figures on every run.
        let statistics = StatisticsService(store: fixture.store, secret: Array("area report tests".utf8))
        let data = try #require(try AreaReportData.gather(request, store: fixture.store, statistics: statistics,
                                                          departments: ["SMMZ": "民政局"], disclosure: disclosure,
                                                          mapViews: try fixture.views(), mapSize: mapSize))
        return data.compose(generatedBy: "test", generatedAt: "2024-01-02T00:00:00Z", auditID: 42)
    }

    func row(_ t: AreaReport.Table, _ first: String) -> [ReportCell]? { t.table.rows.first { $0[0].text == first || $0[1].text == first } }

    @Test func keyFiguresAndTownshipRowsAreTheStatisticsDocuments() throws {
        let fixture = try ReportFixture()
        defer { fixture.remove() }
        let r = try report(fixture, disclosure: .exact)
        let stats = try #require(try fixture.store.areaStatistics(.code("350404"), on: "2024-01-01", groupBy: []))
        #expect(r.figures.table.rows.map { $0[1] } == [.int(stats.people), .int(stats.households), .int(stats.businesses), .int(stats.employees),
                                                       .int(stats.buildings), .number((stats.floorArea * 10).rounded() / 10)])
        #expect(stats.people == 203)
        let townships = try #require(r.tables.first)
        #expect(townships.table.rows.map { $0[1].text } == ["西镇", "东乡"])
        #expect(row(townships, "西镇")?[2] == .int(200) && row(townships, "东乡")?[2] == .int(3) && row(townships, "东乡")?[4] == .int(1))
        // 2014: nobody in the west yet; the east had its 3.
        #expect(row(townships, "西镇")?[8] == .int(0) && row(townships, "西镇")?[9] == .int(200))
        #expect(row(townships, "东乡")?[9] == .int(0))
        #expect(r.figures.table.rows[0][2] == .int(3) && r.figures.table.rows[0][3] == .int(200))
        let sex = try #require(r.tables.first { $0.title.hasPrefix("性别") })
        #expect(row(sex, "男 male")?[1] == .int(stats.bySex["M"]!) && row(sex, "女 female")?[1] == .int(stats.bySex["F"]!))
        #expect(r.provenance.contains { $0.1 == "#42" } && r.sources.contains { $0.layer == "admin_areas" && $0.ownerName == "民政局" })
    }

    @Test func suppressedFiguresStaySuppressedAndHaveNoChange() throws {
        let fixture = try ReportFixture()
        defer { fixture.remove() }
        let r = try report(fixture, disclosure: .standard)
        let townships = try #require(r.tables.first)
        // 3 people are "<5" for the public; a change against 2014 (3 then) would reveal them.
        #expect(row(townships, "东乡")?[2] == .text("<5") && row(townships, "东乡")?[8] == .text("<5"))
        #expect(row(townships, "东乡")?[9] == .empty)
        // 200 people, published by disclosure control: near 200, not exactly (a change of shown figures).
        guard case .int(let change)? = row(townships, "西镇")?[9] else { Issue.record("西镇 has no change"); return }
        #expect(abs(change - 200) <= 20)
        // Withheld figures (a layer not shared) are empty, not zero.
        let withheld = try report(fixture, disclosure: StatisticsDisclosure(people: .withheld, businesses: .exact, buildings: .exact))
        #expect(withheld.figures.table.rows[0][1] == .empty && row(withheld.tables[0], "西镇")?[2] == .empty)
        #expect(withheld.tables.first { $0.title.hasPrefix("性别") }?.note != nil)
    }

    @Test func aDayBeforeAnyDataIsRefusedAndAnUnknownAreaHasNoReport() throws {
        let fixture = try ReportFixture()
        defer { fixture.remove() }
        // The areas have always existed, but 1990 is before any building: no data, not zeros.
        #expect { _ = try report(fixture, disclosure: .exact, compare: "1990-01-01") } throws: { e in
            "\(e)".contains("datetime 1990-01-01 is before any data")
        }
        let none = try AreaReportRequest.parse(parameters: [("area", "350499")])
        #expect(try AreaReportData.gather(none, store: fixture.store, statistics: StatisticsService(store: fixture.store), departments: [:],
                                          disclosure: .exact, mapViews: [:], mapSize: nil) == nil)
    }

    @Test func thePDFHasPagesAndTheHTMLTheFigures() throws {
        let fixture = try ReportFixture()
        defer { fixture.remove() }
        let r = try report(fixture, disclosure: .exact, mapSize: ReportPDF.mapSize)
        let pdf = try ReportPDF.data(r, style: MapStyle())
        #expect(String(decoding: pdf.prefix(5), as: UTF8.self) == "%PDF-")
        #expect(String(decoding: pdf, as: UTF8.self).contains("/Type /Page"))
        let html = try ReportDocuments.html(r, style: MapStyle())
        #expect(html.contains("三元区 区域报告") && html.contains("<td>西镇</td>") && html.contains("data:image/png;base64,") && html.contains("#42"))
        #expect(html.contains("<td class=\"n\">+200</td>"))
    }

    @Test func requestsAreChecked() {
        func message(_ p: [(String, String)]) -> String {
            do { _ = try AreaReportRequest.parse(parameters: p); return "" } catch { return error.description }
        }
        #expect(message([("area", "350404"), ("format", "docx")]).contains("format 'docx' is not offered"))
        #expect(message([("area", "350404"), ("compare", "yesterday")]).contains("compare"))
        #expect(message([("area", "350404"), ("groupBy", "sex")]).contains("unknown query parameter 'groupBy'"))
        #expect(message([("area", "12")]).contains("not an administrative code"))
        #expect(message([("area", "350404"), ("datetime", "2024-01-01"), ("compare", "2024-01-01")]).contains("the report's own day"))
    }

    @Test func numbersArePrintedGroupedAndChangesSigned() {
        #expect(ReportNumbers.grouped(2_486_450) == "2,486,450" && ReportNumbers.grouped(-1234) == "-1,234" && ReportNumbers.grouped(12) == "12")
        #expect(ReportNumbers.grouped(13_308_956.5) == "13,308,956.5" && ReportNumbers.grouped(10.0) == "10" && ReportNumbers.grouped(-0.04) == "0")
        #expect(ReportNumbers.text(.int(200), signed: true) == "+200" && ReportNumbers.text(.int(-3), signed: true) == "-3")
        #expect(ReportNumbers.text(.empty) == "—" && ReportNumbers.text(.text("<5")) == "<5")
    }
}
