import Foundation
import OneMapGeo
import OneMapIngest
import OneMapStore
import OneMapSpatiaLite
import Testing

/// The repository's geodata folder, found from this file's location.
let geodataPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../geodata").standardized.path

/// Census 2020 by current county, read straight from the shipped CSV (not through the generator).
func censusByCounty() throws -> [String: Int] {
    let text = try String(contentsOfFile: geodataPath + "/sanming_census2020_by_county_current.csv", encoding: .utf8)
    var out: [String: Int] = [:]
    for line in text.split(separator: "\n").dropFirst() {
        let cols = line.split(separator: ",", omittingEmptySubsequences: false)
        out[String(cols[0])] = Int(cols[2])
    }
    return out
}

/// Database files to delete when the test process exits (the shared full demo is ~700 MB and a
/// global is never deinitialised).
nonisolated(unsafe) var filesToRemoveAtExit: [String] = []
let registerCleanup: Void = {
    atexit {
        for p in filesToRemoveAtExit { for s in ["", "-wal", "-shm"] { unlink(p + s) } }
    }
}()

final class DemoDatabase: @unchecked Sendable {
    let path: String
    let store: SpatiaLiteStore
    let summary: DemoSummary

    init(scale: Double, seed: UInt64 = 350400) throws {
        path = NSTemporaryDirectory() + "onemap-demo-\(UUID().uuidString).sqlite"
        registerCleanup
        filesToRemoveAtExit.append(path)
        store = try SpatiaLiteStore(path: path, create: true)
        summary = try SanmingDemo.build(into: store, options: DemoOptions(scale: scale, seed: seed, geodata: geodataPath))
    }

    deinit { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }

    /// A digest of every building (code, geometry, attributes) and every area population.
    func fingerprint() throws -> [String] {
        var out: [String] = []
        try store.features(layer: "buildings", intersecting: BBox(minX: 100, minY: 20, maxX: 130, maxY: 30), during: .instant("2099-01-01"), limit: nil) {
            out.append("\($0.values)\(WKB.encode($0.geometry).hashValue)")
        }
        out += try store.adminAreas(level: nil, asOf: "2024-01-01").map { "\($0.code)=\($0.population)" }
        return out
    }
}

/// The full-size demo, built once for the suite (about two minutes in a debug build).
let fullDemo: Result<DemoDatabase, any Error> = Result { try DemoDatabase(scale: 1) }

@Suite(.serialized) struct SanmingDemoFullSizeTests {
    @Test func sizesMatchTheBrief() throws {
        let demo = try fullDemo.get()
        #expect(demo.summary.people == 2_486_450)
        #expect((290_000...320_000).contains(demo.summary.buildings))
        #expect(demo.summary.businesses == 150_000)
        #expect(demo.summary.townships == 141)
        // One version per resident, and a second for the one in a hundred who moved after the census.
        let movers = try demo.store.count(layer: "population") - 2_486_450
        #expect((20_000...30_000).contains(movers), "\(movers) movers")
    }

    @Test func countyPopulationsEqualThe2020CensusExactly() throws {
        let demo = try fullDemo.get()
        let census = try censusByCounty()
        let counties = try demo.store.adminAreas(level: .county, asOf: "2024-01-01")
        #expect(counties.count == 11)
        for c in counties { #expect(c.population == census[c.code], "\(c.code) \(c.name)") }
        #expect(try demo.store.adminAreas(level: .city, asOf: "2024-01-01").first?.population == 2_486_450)
    }

    @Test func pre2021UnitsHoldTheir2020CensusPopulations() throws {
        let demo = try fullDemo.get()
        let areas = try demo.store.adminAreas(level: .county, asOf: "2020-11-01")
        #expect(areas.count == 12)
        let pop = Dictionary(uniqueKeysWithValues: areas.map { ($0.code, $0.population) })
        #expect(pop["350402"] == 220_115)  // 梅列区
        #expect(pop["350403"] == 187_936)  // 三元区 (old)
        #expect(pop["350427"] == 250_503)  // 沙县
        #expect(pop["350404"] == nil && pop["350405"] == nil)
        #expect(areas.first { $0.code == "350402" }?.validTo == "2021-05-01")
    }

    @Test func bruteForceCentroidCountsAgreeWithTheStoredTotals() throws {
        // Independent path: footprints from the tile query, centroids computed here, point-in-polygon
        // against the county boundaries, summed per county.
        let demo = try fullDemo.get()
        let census = try censusByCounty()
        let engine = GeometryEngine()
        var counties: [(String, PreparedGeometry)] = []
        try demo.store.features(layer: "admin_areas", intersecting: BBox(minX: 110, minY: 20, maxX: 125, maxY: 30), during: .instant("2024-01-01"), limit: nil) {
            if $0.values[2] == .string("county"), case .string(let code) = $0.values[0] { counties.append((code, try engine.prepare($0.geometry))) }
        }
        var totals: [String: Int] = [:]
        try demo.store.features(layer: "buildings", intersecting: BBox(minX: 110, minY: 20, maxX: 125, maxY: 30), during: .instant("2024-01-01"), limit: nil) { b in
            guard case .polygon(let rings) = b.geometry, case .int(let pop) = b.values[5] else { return }
            let c = Planar.centroid(rings[0])
            let inside = counties.filter { $0.1.contains(c) }
            #expect(inside.count == 1, "building \(b.values[0]) lies in \(inside.count) counties")
            if let code = inside.first?.0 { totals[code, default: 0] += Int(pop) }
        }
        #expect(totals == census)
    }

    @Test func townshipsPartitionTheirCounty() throws {
        let demo = try fullDemo.get()
        let engine = GeometryEngine()
        var countyArea: [String: Double] = [:], townshipArea: [String: Double] = [:]
        try demo.store.features(layer: "admin_areas", intersecting: BBox(minX: 110, minY: 20, maxX: 125, maxY: 30), during: .instant("2024-01-01"), limit: nil) { f in
            guard case .string(let level) = f.values[2], case .string(let code) = f.values[0] else { return }
            if level == "county" { countyArea[code] = try engine.area(f.geometry) }
            if level == "township", case .string(let parent) = f.values[3] {
                townshipArea[parent, default: 0] += try engine.area(f.geometry)
                #expect(f.values[7] == .bool(true), "township \(code) must be marked synthetic")
            }
        }
        #expect(Set(countyArea.keys) == Set(townshipArea.keys))
        for (code, a) in countyArea { #expect(abs(townshipArea[code]! - a) / a < 1e-6, "\(code)") }
    }
}

@Suite struct SanmingDemoDeterminismTests {
    @Test func sameSeedGivesIdenticalData() throws {
        let a = try DemoDatabase(scale: 0.01), b = try DemoDatabase(scale: 0.01)
        #expect(try a.fingerprint() == b.fingerprint())
        #expect(a.summary.people == b.summary.people)
    }

    @Test func anotherSeedGivesOtherData() throws {
        let a = try DemoDatabase(scale: 0.01), b = try DemoDatabase(scale: 0.01, seed: 7)
        #expect(try a.fingerprint() != b.fingerprint())
    }

    @Test func scaledDemoKeepsCountyTotalsProportional() throws {
        let demo = try DemoDatabase(scale: 0.01)
        let targets = try SanmingDemo.populationTargets(scale: 0.01, geodata: geodataPath)
        for c in try demo.store.adminAreas(level: .county, asOf: "2024-01-01") {
            #expect(c.population == targets[c.code], "\(c.code)")
        }
    }

    @Test func missingGeodataIsAClearError() {
        #expect {
            _ = try SanmingDemo.build(into: try SpatiaLiteStore(path: NSTemporaryDirectory() + "x-\(UUID().uuidString).sqlite", create: true),
                                      options: DemoOptions(scale: 0.01, geodata: "/nonexistent"))
        } throws: { "\($0)".contains("cannot read /nonexistent") }
    }
}

@Suite struct AsOfCountsTests {
    /// Area populations on past days (aggregated through the building membership table) equal a
    /// brute force over that day's buildings: their residents that day (counted per building), summed
    /// by centroid-in-polygon against that day's county boundaries.
    @Test(arguments: ["2000-01-01", "2010-06-30", "2020-11-01", "2021-06-01"])
    func pastAreaPopulationsMatchABruteForceOverBuildings(_ day: String) throws {
        let demo = try DemoDatabase(scale: 0.01)
        let engine = GeometryEngine()
        let everywhere = BBox(minX: 110, minY: 20, maxX: 125, maxY: 30)
        var counties: [(String, PreparedGeometry)] = []
        try demo.store.features(layer: "admin_areas", intersecting: everywhere, during: .instant(day), limit: nil) {
            if $0.values[2] == .string("county"), case .string(let code) = $0.values[0] { counties.append((code, try engine.prepare($0.geometry))) }
        }
        var brute: [String: Int] = [:]
        try demo.store.features(layer: "buildings", intersecting: everywhere, during: .instant(day), limit: nil) { b in
            guard case .polygon(let rings) = b.geometry, case .int(let residents) = b.values[5] else { return }
            let c = Planar.centroid(rings[0])
            if let code = counties.first(where: { $0.1.contains(c) })?.0 { brute[code, default: 0] += Int(residents) }
        }
        let stored = try demo.store.adminAreas(level: .county, asOf: day)
        #expect(Set(stored.map(\.code)) == Set(counties.map(\.0)))
        for a in stored { #expect(a.population == brute[a.code, default: 0], "\(a.code) on \(day)") }
        if day < "2020-11-01" { #expect(stored.reduce(0) { $0 + $1.population } < demo.summary.people) }
    }
}
