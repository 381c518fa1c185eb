import ArgumentParser
import Foundation
import OneMapAnalytics
import OneMapQuery
import OneMapStore
import OneMapBackends

/// Builds the in-memory statistics engine, then asks it and the store's SQL the same questions:
/// every county, the city, townships, circles, a polygon with a hole, several days, every groupBy.
/// Prints the timings of both and fails when any answer differs.
struct BenchStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-stats", abstract: "Time area statistics from memory against SQL, and check that both agree.")

    @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"
    @Option(help: "Times each engine question is asked (the median is reported).") var repeats = 5
    @Option(help: "Days to ask about (comma-separated YYYY-MM-DD); default: 2020-06-01 and today.") var days: String?
    @Flag(help: "Skip the SQL answers (timing the engine only; nothing is checked).") var engineOnly = false
    @Flag(help: "Time the public's answers (people protected by disclosure control); nothing is checked.") var protected = false

    func run() throws {
        let store = try openStore(db)
        let rssBefore = Self.rssMB()
        let engine = try StatisticsEngine.build(from: store)
        print(String(format: "engine built in %.2f s: %@; arrays %.0f MB, process anonymous memory %.0f MB -> %.0f MB (the database file's mapped pages apart)",
                     engine.buildSeconds, engine.summary.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                     Double(engine.memoryBytes) / 1e6, rssBefore, Self.rssMB()))
        let dayList = days?.split(separator: ",").map(String.init) ?? ["2020-06-01", ISODate.string(Date())]
        var questions: [(String, StatisticsRequest)] = []
        let today = dayList.last!
        let counties = try store.adminAreas(level: .county, asOf: today)
        let townships = try store.adminAreas(level: .township, asOf: today)
        for day in dayList {
            questions.append(("city \(day)", StatisticsRequest(area: .code("350400"), day: day, groupBy: [])))
            questions.append(("city by county \(day)", StatisticsRequest(area: .code("350400"), day: day, groupBy: [.county])))
            for c in try store.adminAreas(level: .county, asOf: day) {
                questions.append(("county \(c.code) \(day)", StatisticsRequest(area: .code(c.code), day: day, groupBy: [])))
            }
        }
        for d in StatisticsDimension.allCases {
            questions.append(("county \(counties[0].code) by \(d.rawValue)", StatisticsRequest(area: .code(counties[0].code), day: today, groupBy: [d])))
        }
        questions.append(("city by township,sex,ageBand", StatisticsRequest(area: .code("350400"), day: today, groupBy: [.township, .sex, .ageBand])))
        questions.append(("county by use,industry,registration", StatisticsRequest(area: .code(counties[1].code), day: today, groupBy: [.use, .industry, .registration])))
        for t in townships.prefix(5) {
            questions.append(("township \(t.code)", StatisticsRequest(area: .code(t.code), day: today, groupBy: [.sex])))
        }
        // Circles and shapes around the city's centres (三元区, 永安市, 沙县区).
        for (x, y) in [(117.6089, 26.2635), (117.3650, 25.9418), (117.7924, 26.3973)] {
            for r in [3.0, 110, 3000] {
                let body: [String: Any] = ["area": ["circle": ["center": [x, y], "radius": r]], "datetime": today]
                questions.append(("circle \(Int(r)) m at \(x),\(y)", try Self.parse(body)))
            }
            let ring = [[x - 0.02, y - 0.02], [x + 0.02, y - 0.02], [x + 0.02, y + 0.02], [x - 0.02, y + 0.02], [x - 0.02, y - 0.02]]
            let hole = [[x - 0.001, y - 0.001], [x - 0.001, y + 0.001], [x + 0.001, y + 0.001], [x + 0.001, y - 0.001], [x - 0.001, y - 0.001]]
            questions.append(("square with a hole at \(x),\(y) by township,use", try Self.parse([
                "area": ["type": "Polygon", "coordinates": [ring, hole]], "datetime": today, "groupBy": ["township", "use"]])))
            questions.append(("buffer 500 m along a line at \(x),\(y)", try Self.parse([
                "area": ["buffer": ["geometry": ["type": "LineString", "coordinates": [[x - 0.03, y], [x + 0.03, y + 0.01]]], "distance": 500]],
                "datetime": dayList[0]])))
        }
        questions.append(("square in EPSG:4548", try Self.parse([
            "area": ["type": "Polygon", "coordinates": [[[560000, 2900000], [566000, 2900000], [566000, 2906000], [560000, 2906000], [560000, 2900000]]]],
            "crs": "http://www.opengis.net/def/crs/EPSG/0/4548", "datetime": today, "groupBy": ["village", "registration"]])))

        var mismatches = 0
        var engineTimes: [(String, Double)] = []
        for (name, q) in questions {
            var times: [Double] = []
            var answer: AreaStatistics?
            for _ in 0..<max(1, repeats) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                answer = try engine.areaStatistics(q.area, on: q.day, groupBy: q.groupBy,
                                                   protection: protected ? StatisticsProtection(people: true, businesses: false, buildings: false) : .none)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            let ms = times.sorted()[times.count / 2]
            engineTimes.append((name, ms))
            guard !engineOnly && !protected else {
                print(String(format: "%-52@ engine %8.2f ms  people %d", name as NSString, ms, answer?.people ?? -1))
                continue
            }
            let t0 = DispatchTime.now().uptimeNanoseconds
            let oracle = try store.areaStatistics(q.area, on: q.day, groupBy: q.groupBy)
            let sqlMs = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            let same = oracle == answer
            if !same { mismatches += 1 }
            print(String(format: "%-52@ engine %8.2f ms  sql %8.1f ms  people %8d  %@", name as NSString, ms, sqlMs, answer?.people ?? -1,
                         same ? "same" : "DIFFERENT"))
            if !same, let a = answer, let o = oracle { Self.explain(a, o) }
        }
        let countyTimes = engineTimes.filter { $0.0.hasPrefix("county 3") && !$0.0.contains(" by ") }.map(\.1).sorted()
        if !countyTimes.isEmpty {
            print(String(format: "engine: county p50 %.2f ms, max %.2f ms", countyTimes[countyTimes.count / 2], countyTimes.last!))
        }
        if mismatches > 0 { throw ValidationError("\(mismatches) answer(s) differ between the engine and SQL") }
        if !engineOnly && !protected { print("all \(questions.count) answers are the same") }
    }

    static func parse(_ body: [String: Any]) throws -> StatisticsRequest {
        do { return try StatisticsRequest.parse(json: body) } catch { throw ValidationError("\(error)") }
    }

    static func explain(_ a: AreaStatistics, _ o: AreaStatistics) {
        let pairs: [(String, String, String)] = [
            ("people", "\(a.people)", "\(o.people)"), ("households", "\(a.households)", "\(o.households)"),
            ("bySex", "\(a.bySex)", "\(o.bySex)"), ("byAgeBand", "\(a.byAgeBand)", "\(o.byAgeBand)"),
            ("byRegistration", "\(a.byRegistration)", "\(o.byRegistration)"), ("businesses", "\(a.businesses)", "\(o.businesses)"),
            ("employees", "\(a.employees)", "\(o.employees)"), ("byIndustry", "\(a.byIndustry)", "\(o.byIndustry)"),
            ("buildings", "\(a.buildings)", "\(o.buildings)"), ("floorArea", "\(a.floorArea)", "\(o.floorArea)"),
            ("byUse", "\(a.buildingsByUse)", "\(o.buildingsByUse)"), ("peopleGroups", "\(a.peopleGroups.count)", "\(o.peopleGroups.count)"),
            ("businessGroups", "\(a.businessGroups.count)", "\(o.businessGroups.count)"), ("buildingGroups", "\(a.buildingGroups.count)", "\(o.buildingGroups.count)"),
        ]
        for (k, x, y) in pairs where x != y { print("    \(k): engine \(x.prefix(300)) sql \(y.prefix(300))") }
        for (g, h) in zip(a.peopleGroups, o.peopleGroups) where g != h { print("    first people group differing: engine \(g) sql \(h)"); break }
        for (g, h) in zip(a.businessGroups, o.businessGroups) where g != h { print("    first business group differing: engine \(g) sql \(h)"); break }
        for (g, h) in zip(a.buildingGroups, o.buildingGroups) where g != h { print("    first building group differing: engine \(g) sql \(h)"); break }
    }

    /// Anonymous resident memory of this process (the heap; not the mapped database file), from
    /// /proc; 0 where there is none.
    static func rssMB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }
}
