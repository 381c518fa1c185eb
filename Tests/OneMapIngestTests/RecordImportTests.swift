import Foundation
import OneMapGeo
import OneMapIngest
import OneMapStore
import Testing

/// People and businesses: placed by building key or by coordinates (inside a footprint, else the
/// nearest within the tolerance, else reported), versioned by their key, counted per building.
@Suite struct RecordImportTests {
    /// B1 and B2: 0.0002° squares (~20 m) 1 km apart, standing from 2024-01-01.
    func fixture() throws -> ImportFixture {
        let f = try ImportFixture()
        let path = try f.write("b.geojson", [ImportFixture.building("B1", coordinates: ImportFixture.square(117.600, 26.25, 0.0002)),
                                             ImportFixture.building("B2", coordinates: ImportFixture.square(117.610, 26.25, 0.0002))])
        _ = try f.run(path, validFrom: "2024-01-01")
        return f
    }

    func csv(_ f: ImportFixture, _ name: String, _ lines: [String]) throws -> String {
        let path = f.dir + "/" + name
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func importRecords(_ f: ImportFixture, _ path: String, layer: String = "population", mode: ImportMode = .upsert,
                       validFrom: String, skipBad: Bool = false) throws -> ImportReport {
        var o = ImportOptions(layer: layer)
        o.mode = mode; o.validFrom = validFrom; o.skipBad = skipBad
        return try DepartmentImport.run(file: path, into: f.store, options: o)
    }

    /// Residents (or businesses) per building on `day`.
    func counts(_ f: ImportFixture, on day: String, field: String = "population") throws -> [String: Int64] {
        let layer = try #require(try f.store.layer(id: "buildings"))
        let i = try #require(layer.fields.firstIndex { $0.name == field })
        var out: [String: Int64] = [:]
        try f.store.features(layer: "buildings", intersecting: BBox(minX: 117, minY: 26, maxX: 118, maxY: 27), during: .instant(day), limit: nil) {
            if case .string(let code) = $0.values[0], case .int(let n) = $0.values[i] { out[code] = n }
        }
        return out
    }

    static let header = "person_key,building_code,lon,lat,sex,birth_year,household_id,registration,moved_in,masked_identity"
    // 117.6002 is B1's east edge: 117.6003 lies ~10 m east of it; 117.7 is nowhere near a building.
    static let people = [header,
                         "P1,B1,,,M,1980,H1,户籍,2024-03-01,350404********0001",
                         "P2,,117.6101,26.2501,女,1990,H2,流动,2024-03-01,350404********0002",
                         "P3,,117.6003,26.2501,F,2001,H3,户籍,2024-03-01,350404********0003",
                         "P4,,117.7,26.2501,M,1970,H4,户籍,2024-03-01,350404********0004"]

    @Test func recordsArePlacedByKeyInsideOrNearestAndTheRestReported() throws {
        let f = try fixture()
        let path = try csv(f, "people.csv", Self.people)
        #expect { _ = try importRecords(f, path, validFrom: "2024-03-01") } throws: { e in
            guard let refused = e as? ImportRefused, refused.rejected.count == 1 else { return false }
            return refused.rejected[0].row == 4 && refused.rejected[0].reason.contains("no building within 30 m of (117.700000, 26.250100)")
        }
        #expect(try counts(f, on: "2024-06-01").values.reduce(0, +) == 0)  // refused: nothing written
        let r = try importRecords(f, path, validFrom: "2024-03-01", skipBad: true)
        #expect(r.versions.inserted == 3)
        let p = try #require(r.placement)
        #expect(p.byBuildingKey == 1 && p.insideBuilding == 1 && p.nearestBuilding == 1)
        #expect(try counts(f, on: "2024-06-01") == ["B1": 2, "B2": 1])
        #expect(try counts(f, on: "2024-02-01") == ["B1": 0, "B2": 0])  // before they moved in
    }

    @Test func movesDeparturesAndFullPushesAreVersions() throws {
        let f = try fixture()
        _ = try importRecords(f, try csv(f, "v1.csv", Array(Self.people.dropLast())), validFrom: "2024-03-01")
        // Unchanged: nothing new.
        let same = try importRecords(f, try csv(f, "v1b.csv", Array(Self.people.dropLast())), validFrom: "2024-09-01")
        #expect(same.versions.unchanged == 3 && same.versions.inserted == 0)
        // P1 moves to B2, P2 moved out on 2025-05-01 (a fact in the file), P3 is missing from the full push.
        let v2 = try csv(f, "v2.csv", [Self.header + ",moved_out",
                                        "P1,B2,,,M,1980,H1,户籍,2024-03-01,350404********0001,",
                                        "P2,B2,,,F,1990,H2,流动,2024-03-01,350404********0002,2025-05-01"])
        let push = try importRecords(f, v2, mode: .replace, validFrom: "2025-06-01")
        #expect(push.versions.updated == 1 && push.versions.closed == 2)
        #expect(try counts(f, on: "2025-04-30") == ["B1": 2, "B2": 1])
        #expect(try counts(f, on: "2025-05-01") == ["B1": 2, "B2": 0])
        #expect(try counts(f, on: "2025-06-01") == ["B1": 0, "B2": 1])
    }

    @Test func businessesNeedAValidCreditCodeAndAreCountedToo() throws {
        let f = try fixture()
        let lines = ["credit_code,building_code,name,industry,employees,registered",
                     "9144030071526726XG,B1,示例公司,I,12,2024-02-01",
                     "9144030071526726XA,B2,坏代码,C,3,2024-02-01",
                     "91350400MA2XN0QX48,B2,三明某公司,Z,3,2024-02-01"]
        let path = try csv(f, "biz.csv", lines)
        #expect { _ = try importRecords(f, path, layer: "businesses", validFrom: "2024-03-01") } throws: { e in
            guard let refused = e as? ImportRefused else { return false }
            return refused.rejected.map(\.row) == [2, 3]
                && refused.rejected[0].reason.contains("GB 32100 check character")
                && refused.rejected[1].reason.contains("section letter A-T")
        }
        _ = try importRecords(f, path, layer: "businesses", validFrom: "2024-03-01", skipBad: true)
        #expect(try counts(f, on: "2024-06-01", field: "businesses") == ["B1": 1, "B2": 0])
    }

    @Test func recordFilesAreCheckedAgainstTheLayer() throws {
        let f = try fixture()
        let path = try csv(f, "p.csv", [Self.header + ",phone", "P1,B1,,,M,1980,H1,户籍,2024-03-01,350404********0001,18000000689"])
        #expect { _ = try importRecords(f, path, validFrom: "2024-03-01") } throws: { "\($0)".contains("'phone'") }
        let unmasked = try csv(f, "u.csv", [Self.header, "P1,B1,,,M,1980,H1,户籍,2024-03-01,350404199001011234"])
        #expect { _ = try importRecords(f, unmasked, validFrom: "2024-03-01") } throws: { e in
            (e as? ImportRefused)?.rejected.first?.reason.contains("not masked") == true
        }
        let unknownBuilding = try csv(f, "x.csv", [Self.header, "P1,B9,,,M,1980,H1,户籍,2024-03-01,350404********0001"])
        #expect { _ = try importRecords(f, unknownBuilding, validFrom: "2024-03-01") } throws: { e in
            (e as? ImportRefused)?.rejected.first?.reason == "building 'B9' does not exist on 2024-03-01"
        }
    }
}
