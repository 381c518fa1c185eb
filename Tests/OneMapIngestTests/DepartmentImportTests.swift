import Foundation
import OneMapGeo
import OneMapIngest
import OneMapStore
import OneMapSpatiaLite
import Testing

/// Writes GeoJSON fixtures and imports them into a fresh store.
final class ImportFixture {
    let dir = NSTemporaryDirectory() + "onemap-import-\(UUID().uuidString)"
    let store: SpatiaLiteStore

    init() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try SpatiaLiteStore(path: dir + "/db.sqlite", create: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// A square footprint of `d` units at (x, y) in whatever CRS the file declares.
    static func square(_ x: Double, _ y: Double, _ d: Double) -> [[[Double]]] {
        [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]
    }

    static func building(_ code: String, floors: Any = 3, coordinates: Any, use: String = "residential",
                         built: String = "2020-01-01") -> [String: Any] {
        ["type": "Feature", "properties": ["entity_code": code, "floors": floors, "use": use, "built_date": built],
         "geometry": ["type": "Polygon", "coordinates": coordinates]]
    }

    func write(_ name: String, _ features: [[String: Any]], crs: String? = nil) throws -> String {
        var doc: [String: Any] = ["type": "FeatureCollection", "features": features]
        if let crs { doc["crs"] = ["type": "name", "properties": ["name": crs]] }
        let path = dir + "/" + name
        try JSONSerialization.data(withJSONObject: doc).write(to: URL(fileURLWithPath: path))
        return path
    }

    func run(_ path: String, mode: ImportMode = .upsert, validFrom: String, skipBad: Bool = false, srs: Int? = nil) throws -> ImportReport {
        var o = ImportOptions(layer: "buildings")
        o.mode = mode; o.validFrom = validFrom; o.skipBad = skipBad; o.srs = srs
        return try DepartmentImport.run(file: path, into: store, options: o)
    }

    func versions(_ code: String) throws -> [String] {
        var out: [String] = []
        let list = try store.changes(layer: "buildings", from: "1900-01-01", to: "2100-01-01", bbox: nil, limit: 1000, offset: 0)
        for c in list.changes where c.entity == code { out.append("\(c.kind.rawValue) \(c.date)") }
        return out
    }
}

@Suite struct DepartmentImportTests {
    let lonLat = { (i: Double) in ImportFixture.square(117.60 + i * 0.001, 26.25, 0.0002) }

    @Test func onlyRealChangesCreateVersions() throws {
        let f = try ImportFixture()
        let a = try f.write("a.geojson", (0..<3).map { ImportFixture.building("B\($0)", coordinates: lonLat(Double($0))) })
        let first = try f.run(a, validFrom: "2024-01-01")
        #expect(first.versions.inserted == 3)
        let again = try f.run(a, validFrom: "2024-06-01")
        #expect(again.versions.unchanged == 3 && again.versions.inserted == 0 && again.versions.updated == 0)
        let b = try f.write("b.geojson", [ImportFixture.building("B0", coordinates: lonLat(0)),
                                          ImportFixture.building("B1", floors: 7, coordinates: lonLat(1)),
                                          ImportFixture.building("B2", coordinates: lonLat(2))])
        let changed = try f.run(b, validFrom: "2025-01-01")
        #expect(changed.versions.updated == 1 && changed.versions.unchanged == 2)
        #expect(try f.versions("B1") == ["created 2024-01-01", "modified 2025-01-01"])
        #expect(try f.store.count(layer: "buildings") == 4)
    }

    @Test func replaceClosesTheEntitiesMissingFromAFullPush() throws {
        let f = try ImportFixture()
        _ = try f.run(try f.write("a.geojson", (0..<3).map { ImportFixture.building("B\($0)", coordinates: lonLat(Double($0))) }),
                      validFrom: "2024-01-01")
        let push = try f.write("push.geojson", [ImportFixture.building("B0", coordinates: lonLat(0)),
                                                ImportFixture.building("B9", coordinates: lonLat(9))])
        let r = try f.run(push, mode: .replace, validFrom: "2025-01-01")
        #expect(r.versions.closed == 2 && r.versions.inserted == 1 && r.versions.unchanged == 1)
        #expect(try f.versions("B2") == ["created 2024-01-01", "removed 2025-01-01"])
        #expect(try f.versions("B0") == ["created 2024-01-01"])
    }

    @Test func appendRefusesExistingKeys() throws {
        let f = try ImportFixture()
        let a = try f.write("a.geojson", [ImportFixture.building("B0", coordinates: lonLat(0))])
        _ = try f.run(a, validFrom: "2024-01-01")
        #expect {
            _ = try f.run(a, mode: .append, validFrom: "2024-02-01")
        } throws: { ($0 as? ImportRefused)?.rejected.first?.reason.contains("already exists") == true }
    }

    @Test func gaussKrugerFilesAreReprojectedToCGCS2000() throws {
        let f = try ImportFixture()
        // E 563934.446 N 2905797.961 in EPSG:4548 is 117.64E 26.26N.
        let gk = try f.write("gk.geojson", [ImportFixture.building("G1", coordinates: ImportFixture.square(563934.446, 2905797.961, 20))],
                             crs: "urn:ogc:def:crs:EPSG::4548")
        _ = try f.run(gk, validFrom: "2024-01-01")
        var first: Position?
        try f.store.features(layer: "buildings", intersecting: BBox(minX: 117, minY: 26, maxX: 118, maxY: 27), during: .instant("2024-06-01"), limit: nil) {
            if case .polygon(let rings) = $0.geometry { first = rings[0][0] }
        }
        let p = try #require(first)
        #expect(abs(p.x - 117.64) < 1e-8 && abs(p.y - 26.26) < 1e-8)
    }

    @Test func zonePrefixedEastingsImportWithEPSG4527() throws {
        let f = try ImportFixture()
        let gk = try f.write("z39.geojson", [ImportFixture.building("Z1", coordinates: ImportFixture.square(39_563_934.446, 2905797.961, 20))])
        let r = try f.run(gk, validFrom: "2024-01-01", srs: 4527)
        #expect(r.versions.inserted == 1)
    }

    @Test(arguments: [
        // (coordinates, declared EPSG, words the refusal must contain)
        ([[[26.25, 117.6], [26.25, 117.61], [26.26, 117.61], [26.25, 117.6]]], 4490, "swap"),
        ([[[563934.0, 2905797.0], [563954.0, 2905797.0], [563954.0, 2905817.0], [563934.0, 2905797.0]]], 4490, "EPSG:4548"),
        ([[[39563934.0, 2905797.0], [39563954.0, 2905797.0], [39563954.0, 2905817.0], [39563934.0, 2905797.0]]], 4548, "EPSG:4527"),
        ([[[117.6, 26.25], [117.61, 26.25], [117.61, 26.26], [117.6, 26.25]]], 4548, "degrees"),
        ([[[13095624.0, 3031318.0], [13095644.0, 3031318.0], [13095644.0, 3031338.0], [13095624.0, 3031318.0]]], 4326, "EPSG:3857"),
    ] as [([[[Double]]], Int, String)])
    func impossibleCoordinatesAreRefusedNamingTheLikelyCRS(_ coords: [[[Double]]], _ epsg: Int, _ words: String) throws {
        let f = try ImportFixture()
        let path = try f.write("bad.geojson", [ImportFixture.building("X", coordinates: coords)])
        #expect {
            _ = try f.run(path, validFrom: "2024-01-01", srs: epsg)
        } throws: { "\($0)".contains(words) }
        #expect(try f.store.count(layer: "buildings") == 0)
    }

    @Test func badRowsRefuseTheWholeImportUnlessSkipped() throws {
        let f = try ImportFixture()
        var noGeometry = ImportFixture.building("N1", coordinates: lonLat(5))
        noGeometry["geometry"] = NSNull()
        let rows: [[String: Any]] = [
            ImportFixture.building("OK1", coordinates: lonLat(0)),
            noGeometry,
            ImportFixture.building("F1", floors: "three", coordinates: lonLat(1)),
            ImportFixture.building("D1", coordinates: lonLat(2), built: "2020-02-30"),
            ImportFixture.building("OK1", coordinates: lonLat(3)),
            ImportFixture.building("OK2", coordinates: lonLat(4)),
        ]
        let path = try f.write("mixed.geojson", rows)
        #expect {
            _ = try f.run(path, validFrom: "2024-01-01")
        } throws: { e in
            guard let r = e as? ImportRefused else { return false }
            return r.rejected.map(\.row) == [2, 3, 4, 5] && r.rejected[0].reason == "no geometry"
                && r.rejected[1].reason.contains("floors") && r.rejected[2].reason.contains("2020-02-30")
                && r.rejected[3].reason.contains("duplicate key")
        }
        #expect(try f.store.count(layer: "buildings") == 0)
        let skipped = try f.run(path, validFrom: "2024-01-01", skipBad: true)
        #expect(skipped.versions.inserted == 2 && skipped.rejected.count == 4)
    }

    @Test func invalidFootprintsAreRepairedAndCounted() throws {
        let f = try ImportFixture()
        // A ring with a spike (zero-width excursion): invalid, and make-valid gives one polygon back.
        let spike: [[[Double]]] = [[[117.60, 26.25], [117.601, 26.25], [117.601, 26.251], [117.601, 26.252], [117.601, 26.251],
                                    [117.60, 26.251], [117.60, 26.25]]]
        let path = try f.write("spike.geojson", [ImportFixture.building("S1", coordinates: spike)])
        let r = try f.run(path, validFrom: "2024-01-01")
        #expect(r.repaired == 1 && r.versions.inserted == 1)
    }

    @Test func largeImportsRebuildTheSpatialIndexWithEveryRow() throws {
        let f = try ImportFixture()
        _ = try f.run(try f.write("one.geojson", [ImportFixture.building("FIRST", coordinates: lonLat(-5))]), validFrom: "2024-01-01")
        // 5,000 rows: the import drops the R*Tree and rebuilds it from all rows at the end.
        let many = (0..<5000).map { i in
            ImportFixture.building("M\(i)", coordinates: ImportFixture.square(117.0 + Double(i % 100) * 0.001, 26.0 + Double(i / 100) * 0.001, 0.0002))
        }
        #expect(try f.run(try f.write("many.geojson", many), validFrom: "2024-01-01").versions.inserted == 5000)
        var all = 0, corner = 0
        try f.store.features(layer: "buildings", intersecting: BBox(minX: 110, minY: 20, maxX: 125, maxY: 30), during: .instant("2024-06-01"), limit: nil) { _ in all += 1 }
        try f.store.features(layer: "buildings", intersecting: BBox(minX: 116.9995, minY: 25.9995, maxX: 117.0095, maxY: 26.0095), during: .instant("2024-06-01"), limit: nil) { _ in corner += 1 }
        #expect(all == 5001 && corner == 100)
    }

    @Test func newlineDelimitedGeoJSONIsRead() throws {
        let f = try ImportFixture()
        let lines = (0..<3).map { i -> String in
            let data = try! JSONSerialization.data(withJSONObject: ImportFixture.building("L\(i)", coordinates: lonLat(Double(i))))
            return String(decoding: data, as: UTF8.self)
        }
        let path = f.dir + "/rows.ndjson"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try f.run(path, validFrom: "2024-01-01").versions.inserted == 3)
    }

    @Test func unsupportedFilesAndLayersAreClearErrors() throws {
        let f = try ImportFixture()
        #expect { _ = try f.run(f.dir + "/x.dxf", validFrom: "2024-01-01") } throws: { "\($0)".contains("unsupported file type '.dxf'") }
        let path = try f.write("a.geojson", [ImportFixture.building("B0", coordinates: lonLat(0))])
        for (layer, message) in [("Roads!", "layer name 'Roads!' is not allowed"), ("admin_labels", "cannot be imported into"),
                                 ("population", "that layer 'population' does not have")] {
            var o = ImportOptions(layer: layer)
            o.validFrom = "2024-01-01"
            #expect { _ = try DepartmentImport.run(file: path, into: f.store, options: o) } throws: { "\($0)".contains(message) }
        }
    }
}

@Suite struct CSVImportTests {
    func run(_ f: ImportFixture, _ name: String, _ bytes: [UInt8], encoding: String? = nil, srs: Int? = nil, skipBad: Bool = false) throws -> ImportReport {
        let path = f.dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var o = ImportOptions(layer: "buildings")
        o.validFrom = "2024-01-01"; o.encoding = encoding; o.srs = srs; o.skipBad = skipBad
        return try DepartmentImport.run(file: path, into: f.store, options: o)
    }

    func uses(_ f: ImportFixture) throws -> [String: FieldValue] {
        var out: [String: FieldValue] = [:]
        try f.store.features(layer: "buildings", intersecting: BBox(minX: 100, minY: 20, maxX: 130, maxY: 30), during: .instant("2024-06-01"), limit: nil) {
            if case .string(let code) = $0.values[0] { out[code] = $0.values[2] }
        }
        return out
    }

    @Test func gbkEncodedCSVWithAWKTColumnImports() throws {
        let f = try ImportFixture()
        // "住宅" (residential) in GBK is D7 A1 D5 AC; the key has a leading zero and must stay text.
        var bytes = Array("entity_code,floors,use,built_date,wkt\n".utf8)
        bytes += Array("007,4,".utf8) + [0xD7, 0xA1, 0xD5, 0xAC]
        bytes += Array(",2019-05-01,\"POLYGON ((117.60 26.25, 117.6002 26.25, 117.6002 26.2502, 117.60 26.2502, 117.60 26.25))\"\n".utf8)
        let r = try run(f, "gbk.csv", bytes, encoding: "GBK")
        #expect(r.versions.inserted == 1)
        #expect(try uses(f)["007"] == .string("住宅"))
    }

    @Test func gbkBytesReadAsUTF8AreRefusedWithAHint() throws {
        let f = try ImportFixture()
        // "中" in GBK is D6 D0, which is not UTF-8 (D0 cannot follow a lead byte).
        let bytes = Array("entity_code,floors,use,built_date,wkt\n1,2,".utf8) + [0xD6, 0xD0] + Array(",2019-05-01,POINT (1 2)\n".utf8)
        #expect { _ = try run(f, "bad.csv", bytes) } throws: { "\($0)".contains("--encoding GBK") }
    }

    @Test func ewktSRIDDeclaresTheCRS() throws {
        let f = try ImportFixture()
        let csv = "entity_code,floors,use,built_date,wkt\nG1,3,residential,2019-05-01,\"SRID=4548;POLYGON ((563934 2905797, 563954 2905797, 563954 2905817, 563934 2905817, 563934 2905797))\"\n"
        #expect(try run(f, "gk.csv", Array(csv.utf8)).versions.inserted == 1)
    }

    @Test func lonLatColumnsGivePointsWhichBuildingsRefuse() throws {
        let f = try ImportFixture()
        let csv = "entity_code,floors,use,built_date,lon,lat\nP1,3,residential,2019-05-01,117.6,26.25\nP2,x,residential,2019-05-01,,\n"
        #expect {
            _ = try run(f, "points.csv", Array(csv.utf8))
        } throws: { e in
            guard let r = e as? ImportRefused else { return false }
            return r.rejected.map(\.row) == [1, 2] && r.rejected[0].reason.contains("Point") && r.rejected[1].reason == "no geometry"
        }
    }

    @Test func rowsWithTheWrongNumberOfFieldsAreBadRows() throws {
        let f = try ImportFixture()
        let csv = "entity_code,floors,use,built_date,wkt\nR1,3,residential\n"
        #expect { _ = try run(f, "short.csv", Array(csv.utf8)) } throws: { "\(($0 as? ImportRefused)?.rejected ?? [])".contains("header has 5") }
    }
}
