import Foundation
import OneMapGeo
import OneMapIngest
import OneMapStore
import OneMapSpatiaLite
import Testing

/// Layers created by import: schema inferred from the file, later files checked against it,
/// versions and change lists like the core layers.
@Suite struct UserLayerImportTests {
    static func shop(_ id: Int, x: Double, employees: Any = 5, area: Any = 42.5, open: Any = true,
                     since: Any = "2020-03-08", name: Any = "三元区餐饮1号") -> [String: Any] {
        ["type": "Feature", "id": id,
         "properties": ["employees": employees, "area_m2": area, "open": open, "since": since, "name": name],
         "geometry": ["type": "Point", "coordinates": [117.60 + x * 0.001, 26.25]]]
    }

    func run(_ f: ImportFixture, _ path: String, layer: String = "shops", mode: ImportMode = .upsert, validFrom: String,
             skipBad: Bool = false) throws -> ImportReport {
        var o = ImportOptions(layer: layer)
        o.mode = mode; o.validFrom = validFrom; o.skipBad = skipBad
        return try DepartmentImport.run(file: path, into: f.store, options: o)
    }

    func features(_ f: ImportFixture, layer: String = "shops", on day: String) throws -> [String: [FieldValue]] {
        var out: [String: [FieldValue]] = [:]
        try f.store.features(layer: layer, intersecting: BBox(minX: 117, minY: 26, maxX: 118, maxY: 27), during: .instant(day), limit: nil) {
            if case .string(let key) = $0.values[0] { out[key] = $0.values }
        }
        return out
    }

    @Test func newLayerGetsItsSchemaFromTheFile() throws {
        let f = try ImportFixture()
        let path = try f.write("shops.geojson", [Self.shop(1, x: 0), Self.shop(2, x: 1, employees: 7, area: 30)])
        let r = try run(f, path, validFrom: "2024-01-01")
        #expect(r.versions.inserted == 2)
        let layer = try #require(try f.store.layer(id: "shops"))
        #expect(layer.geometryType == .point)
        #expect(layer.ownerDepartment == "SMDSJ" && layer.shareClass == .conditional)
        // The key (the features' id) first, then the file's fields in name order with their types.
        #expect(layer.fields.map(\.name) == ["id", "area_m2", "employees", "name", "open", "since"])
        #expect(layer.fields.map(\.type) == [.string, .number, .integer, .string, .boolean, .date])
        let stored = try features(f, on: "2024-02-01")
        #expect(stored["2"] == [.string("2"), .double(30), .int(7), .string("三元区餐饮1号"), .bool(true), .string("2020-03-08")])
        #expect(try f.store.count(layer: "shops") == 2)
        #expect(try f.store.extent(layer: "shops") != nil)
    }

    @Test func integersMixedWithDecimalsAreNumbersAndMixedKindsAreText() throws {
        let f = try ImportFixture()
        let path = try f.write("mixed.geojson", [Self.shop(1, x: 0, employees: 5, since: "2020-01-01"),
                                                 Self.shop(2, x: 1, employees: 5.5, since: "soon")])
        _ = try run(f, path, validFrom: "2024-01-01")
        let fields = try #require(try f.store.layer(id: "shops")).fields
        #expect(fields.first { $0.name == "employees" }?.type == .number)
        #expect(fields.first { $0.name == "since" }?.type == .string)
    }

    @Test func laterFilesAreCheckedAgainstTheSchema() throws {
        let f = try ImportFixture()
        _ = try run(f, try f.write("a.geojson", [Self.shop(1, x: 0)]), validFrom: "2024-01-01")
        // A field the layer lacks refuses the file and names the field.
        var extra = Self.shop(2, x: 1)
        extra["properties"] = (extra["properties"] as! [String: Any]).merging(["owner_phone": "18000000689"]) { a, _ in a }
        #expect { _ = try run(f, try f.write("b.geojson", [extra]), validFrom: "2024-02-01") } throws: {
            "\($0)".contains("'owner_phone'") && "\($0)".contains("does not have")
        }
        // A value of the wrong type is a bad row with its reason; nothing is written.
        let bad = try f.write("c.geojson", [Self.shop(2, x: 1, employees: "many"), Self.shop(3, x: 2)])
        #expect { _ = try run(f, bad, validFrom: "2024-02-01") } throws: { e in
            guard let refused = e as? ImportRefused else { return false }
            return refused.rejected == [RejectedRow(row: 1, reason: "field 'employees' value 'many' is not an integer")]
        }
        #expect(try f.store.count(layer: "shops") == 1)
        // A line into a point layer does not fit.
        var line = Self.shop(4, x: 3)
        line["geometry"] = ["type": "LineString", "coordinates": [[117.6, 26.25], [117.61, 26.26]]]
        #expect { _ = try run(f, try f.write("d.geojson", [line]), validFrom: "2024-02-01") } throws: { e in
            (e as? ImportRefused)?.rejected.first?.reason.contains("layer 'shops' holds Point") == true
        }
    }

    @Test func versionsAndChangeListsWorkLikeTheCoreLayers() throws {
        let f = try ImportFixture()
        let v1 = try f.write("v1.geojson", (1...3).map { Self.shop($0, x: Double($0)) })
        #expect(try run(f, v1, validFrom: "2024-01-01").versions.inserted == 3)
        let again = try run(f, v1, validFrom: "2024-03-01")
        #expect(again.versions.unchanged == 3 && again.versions.inserted == 0 && again.versions.updated == 0)
        // Shop 2 grows, shop 3 is missing from the full push.
        let v2 = try f.write("v2.geojson", [Self.shop(1, x: 1), Self.shop(2, x: 2, employees: 9)])
        let push = try run(f, v2, mode: .replace, validFrom: "2024-06-01")
        #expect(push.versions.updated == 1 && push.versions.closed == 1 && push.versions.unchanged == 1)
        #expect(try features(f, on: "2024-05-31").count == 3)
        let now = try features(f, on: "2024-06-01")
        #expect(Set(now.keys) == ["1", "2"])
        #expect(now["2"]?[2] == .int(9))
        let changes = try f.store.changes(layer: "shops", from: "2024-01-01", to: "2024-12-31", bbox: nil, limit: 10, offset: 0)
        #expect(changes.fields.first == "id" && changes.fields.contains("employees"))
        let employees = try #require(changes.fields.firstIndex(of: "employees"))
        let modified = try #require(changes.changes.first { $0.kind == .modified })
        #expect(modified.entity == "2" && modified.before?[employees] == .int(5) && modified.after?[employees] == .int(9))
        #expect(changes.changes.contains { $0.kind == .removed && $0.entity == "3" && $0.date == "2024-06-01" })
    }

    @Test func aRefusedFirstImportLeavesNoLayerBehind() throws {
        let f = try ImportFixture()
        var noGeometry = Self.shop(2, x: 1)
        noGeometry["geometry"] = NSNull()
        let path = try f.write("a.geojson", [Self.shop(1, x: 0), noGeometry])
        #expect(throws: ImportRefused.self) { try run(f, path, validFrom: "2024-01-01") }
        #expect(try f.store.layer(id: "shops") == nil)
        // With --skip-bad the good row makes the layer.
        #expect(try run(f, path, validFrom: "2024-01-01", skipBad: true).versions.inserted == 1)
    }

    @Test func polygonsAndMultiPolygonsShareALayerAsMultiPolygons() throws {
        let f = try ImportFixture()
        let square = ImportFixture.square(117.6, 26.25, 0.001)
        let feats: [[String: Any]] = [
            ["type": "Feature", "properties": ["code": "P1"], "geometry": ["type": "Polygon", "coordinates": square]],
            ["type": "Feature", "properties": ["code": "P2"], "geometry": ["type": "MultiPolygon", "coordinates": [ImportFixture.square(117.61, 26.25, 0.001)]]],
        ]
        var o = ImportOptions(layer: "parcels")
        o.key = "code"; o.validFrom = "2024-01-01"
        _ = try DepartmentImport.run(file: try f.write("p.geojson", feats), into: f.store, options: o)
        #expect(try f.store.layer(id: "parcels")?.geometryType == .multiPolygon)
        var types: [String] = []
        try f.store.features(layer: "parcels", intersecting: BBox(minX: 117, minY: 26, maxX: 118, maxY: 27), during: .instant("2024-02-01"), limit: nil) {
            types.append($0.geometry.typeName)
        }
        #expect(types == ["MultiPolygon", "MultiPolygon"])
    }

    @Test func aRunningServerSeesAnotherProcesssImportWithoutARestart() throws {
        let f = try ImportFixture()
        let server = try SpatiaLiteStore(path: f.dir + "/db.sqlite")
        #expect(try server.extent(layer: "buildings") == nil)  // nothing loaded yet: no index, no extent
        _ = try f.run(try f.write("b.geojson", [ImportFixture.building("B1", coordinates: ImportFixture.square(117.6, 26.25, 0.001))]),
                      validFrom: "2024-01-01")
        // Reads that stop mid-result (an extent, a change's attributes) must not pin old snapshots.
        #expect(try server.extent(layer: "buildings") != nil)
        #expect(try server.changes(layer: "buildings", from: "2023-01-01", to: "2025-01-01", bbox: nil, limit: 5, offset: 0).changes.count == 1)
        _ = try server.layers()
        #expect(try server.layer(id: "shops") == nil)
        _ = try run(f, try f.write("a.geojson", [Self.shop(1, x: 0)]), validFrom: "2024-01-01")  // through f.store
        Thread.sleep(forTimeInterval: 0.6)
        #expect(try server.layer(id: "shops") != nil)
        var keys: [FieldValue] = []
        try server.features(layer: "shops", intersecting: BBox(minX: 117, minY: 26, maxX: 118, maxY: 27), during: .instant("2024-02-01"), limit: nil) {
            keys.append($0.values[0])
        }
        #expect(keys == [.string("1")])
    }
}
