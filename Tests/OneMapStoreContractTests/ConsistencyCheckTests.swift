import Foundation
import OneMapGeo
import OneMapQuality
import OneMapStore
import Testing

/// The automatic checks on a fixture with one planted error of each kind, on both backends: each
/// is found and filed once, nothing else is; after the data is fixed by imports, each closes as
/// corrected and waits for the data centre's confirmation.
@Suite struct ConsistencyCheckTests {
    static func square(_ x: Double, _ y: Double, _ w: Double, _ h: Double) -> Geometry {
        .polygon([[Position(x, y), Position(x + w, y), Position(x + w, y + h), Position(x, y + h), Position(x, y)]])
    }

    static func multi(_ x: Double, _ y: Double, _ w: Double, _ h: Double) -> Geometry {
        .multiPolygon([[[Position(x, y), Position(x + w, y), Position(x + w, y + h), Position(x, y + h), Position(x, y)]]])
    }

    static let business = "9144030071526726XG"
    /// A second valid credit code (GB 32100 check character computed).
    static var lateBusiness: String {
        let body = "91350400MA2Y0000A"
        return body + String(CreditCode.checkCharacter(for: body)!)
    }

    /// Two counties, each with townships; buildings, people and businesses that fit, and one
    /// error of each kind the checks know.
    static func plant(into s: any OneMapDatabase) throws {
        // A new database has the data centre (SMDSJ, administrator) and the core layers' owners.
        #expect(try s.departments().contains { $0.code == "SMDSJ" && $0.role == .administrator })
        try s.bulkLoad { w in
            try w.add(AdminArea(code: "350404", level: .county, parentCode: "350400", name: "三元区", geometry: multi(117, 26, 1, 1)))
            try w.add(AdminArea(code: "350404001", level: .township, parentCode: "350404", name: "西镇", geometry: multi(117, 26, 0.5, 1)))
            try w.add(AdminArea(code: "350404002", level: .township, parentCode: "350404", name: "东镇", geometry: multi(117.5, 26, 0.5, 1)))
            // areas_not_partitioning: 梅列区's only township covers half of it.
            try w.add(AdminArea(code: "350402", level: .county, parentCode: "350400", name: "梅列区", geometry: multi(116, 26, 1, 1)))
            try w.add(AdminArea(code: "350402001", level: .township, parentCode: "350402", name: "半镇", geometry: multi(116, 26, 0.5, 1)))
            try w.add(Building(entityCode: "B1", footprint: square(117.2, 26.2, 0.0002, 0.0002), floors: 6, use: "residential", builtDate: "2001-03-04"))
            try w.add(Building(entityCode: "B2", footprint: square(117.7, 26.7, 0.0002, 0.0002), floors: 2, use: "commercial", builtDate: "2010-01-01"))
            // building_outside_areas: east of every area.
            try w.add(Building(entityCode: "B4", footprint: square(119.0, 26.5, 0.0002, 0.0002), floors: 1, use: "industrial", builtDate: "2000-01-01"))
            // overlapping_footprints: B5 covers a quarter of B1.
            try w.add(Building(entityCode: "B5", footprint: square(117.2001, 26.2001, 0.0002, 0.0002), floors: 1, use: "commercial", builtDate: "2000-01-01"))
            // invalid_geometry: a bow tie.
            try w.add(Building(entityCode: "B6", footprint: .polygon([[Position(117.3, 26.3), Position(117.3002, 26.3002), Position(117.3002, 26.3),
                                                                      Position(117.3, 26.3002), Position(117.3, 26.3)]]),
                               floors: 1, use: "public", builtDate: "2000-01-01"))
            // implausible_density: about 30 m² for ten residents.
            try w.add(Building(entityCode: "B7", footprint: square(117.6, 26.6, 0.00005, 0.00005), floors: 1, use: "residential", builtDate: "2000-01-01"))
            for i in 0..<5 {
                try w.add(PersonRecord(buildingCode: "B1", sex: "F", birthYear: 1980 + i, householdID: "B1-H1", registration: .huji,
                                       movedIn: "2002-01-01", maskedIdentity: "350404********000\(i)", personKey: "P\(i)"))
            }
            for i in 0..<10 {
                try w.add(PersonRecord(buildingCode: "B7", sex: "M", birthYear: 1990, householdID: "B7-H\(i)", registration: .liudong,
                                       movedIn: "2010-01-01", maskedIdentity: "350404********01\(i)", personKey: "D\(i)"))
            }
            // resident_building_absent: moved into B2 five years before it was built.
            try w.add(PersonRecord(buildingCode: "B2", sex: "M", birthYear: 1970, householdID: "B2-H1", registration: .huji,
                                   movedIn: "2005-01-01", maskedIdentity: "350404********0006", personKey: "P6"))
            // duplicate_key: P7 twice.
            for i in 0..<2 {
                try w.add(PersonRecord(buildingCode: "B1", sex: "F", birthYear: 1975, householdID: "B1-H2", registration: .huji,
                                       movedIn: "2003-01-01", maskedIdentity: "350404********007\(i)", personKey: "P7"))
            }
            // moved_in_after_moved_out.
            try w.add(PersonRecord(buildingCode: "B1", sex: "M", birthYear: 1960, householdID: "B1-H3", registration: .huji,
                                   movedIn: "2010-01-01", movedOut: "2008-01-01", maskedIdentity: "350404********0008", personKey: "P8"))
            try w.add(BusinessRecord(creditCode: business, name: "示例公司", industry: "I", employees: 30, registered: "2011-01-01", buildingCode: "B2"))
            // business_building_absent: registered at B2 two years before it was built.
            try w.add(BusinessRecord(creditCode: lateBusiness, name: "早登记公司", industry: "F", employees: 3, registered: "2008-01-01", buildingCode: "B2"))
        }
    }

    static func checkProblems(_ s: any OneMapDatabase) throws -> [Problem] {
        try s.problems(ProblemQuery()).filter { $0.check != nil }
    }

    @Test(arguments: Backend.allCases) func eachPlantedErrorIsFoundOnceAndClosesWhenTheDataIsFixed(_ backend: Backend) throws {
        let db = try backend.fresh(), s = db.store
        try Self.plant(into: s)
        let findings = try s.consistencyFindings(Set(ConsistencyCheck.allCases), layer: nil)
        #expect(findings.map(\.check).sorted { $0.rawValue < $1.rawValue } == ConsistencyCheck.allCases.sorted { $0.rawValue < $1.rawValue },
                "\(findings.map { "\($0.fingerprint): \($0.description)" })")
        let expected: [ConsistencyCheck: String] = [
            .residentBuildingAbsent: "resident_building_absent:population:P6", .businessBuildingAbsent: "business_building_absent:businesses:\(Self.lateBusiness)",
            .duplicateKey: "duplicate_key:population:P7", .buildingOutsideAreas: "building_outside_areas:buildings:B4",
            .overlappingFootprints: "overlapping_footprints:buildings:B1:B5", .areasNotPartitioning: "areas_not_partitioning:admin_areas:350402",
            .invalidGeometry: "invalid_geometry:buildings:B6", .movedInAfterMovedOut: "moved_in_after_moved_out:population:P8",
            .implausibleDensity: "implausible_density:buildings:B7",
        ]
        for f in findings { #expect(expected[f.check] == f.fingerprint) }

        // Filed as problems of the producing departments, reported by the data centre, audited.
        let first = try CheckRun().run(on: s)
        #expect(first.outcomes.values.map(\.filed).reduce(0, +) == 9 && first.problems.count == 9)
        let filed = try Self.checkProblems(s)
        #expect(filed.count == 9 && filed.allSatisfy { $0.reporter == "SMDSJ" && $0.state == .open })
        for p in filed {
            let owner = try s.layer(id: p.layer)?.ownerDepartment
            #expect(p.owner == owner && p.targetID != nil, "\(p.fingerprint ?? "")")
        }
        let audited = try s.auditEntries(AuditQuery()).filter { $0.record.action == "problem" }
        #expect(audited.count == 9 && audited.allSatisfy { $0.record.principal == "cli:check" })
        // A second run finds the same and files nothing new.
        let again = try CheckRun().run(on: s)
        #expect(again.outcomes.values.map(\.filed).reduce(0, +) == 0 && again.outcomes.values.map(\.unchanged).reduce(0, +) == 9)
        #expect(try Self.checkProblems(s).count == 9)

        // The producers fix their data by import (versions from today).
        try Self.fix(s)
        #expect(try s.consistencyFindings(Set(ConsistencyCheck.allCases), layer: nil).isEmpty)
        let after = try CheckRun().run(on: s)
        #expect(after.outcomes.values.map(\.closed).reduce(0, +) == 9)
        let closed = try Self.checkProblems(s)
        #expect(closed.count == 9 && closed.allSatisfy { $0.state == .corrected })
        // The data centre confirms; a finding seen again later is a new problem.
        for p in closed {
            _ = try s.advanceProblem(id: p.id, .confirm, by: ProblemActorName(principal: "SMDSJ/om_x", department: "SMDSJ"), note: nil, version: nil)
        }
        #expect(try Self.checkProblems(s).allSatisfy { $0.state == .confirmed })
    }

    /// The corrections: people and businesses re-imported as they should be, buildings and
    /// the missing township loaded (all from today).
    static func fix(_ s: any OneMapDatabase) throws {
        let today = ISODate.string(Date())
        func person(_ key: String, _ building: String, movedIn: String, movedOut: String? = nil, row: Int) -> RecordSource {
            RecordSource(row: row, key: key, values: ["building_code": .string(building), "sex": .string("F"), "birth_year": .int(1980),
                                                      "household_id": .string("\(building)-H"), "registration": .string("户籍"),
                                                      "moved_in": .string(movedIn), "moved_out": movedOut.map { .string($0) } ?? .null,
                                                      "masked_identity": .string("350404********9999")], position: nil)
        }
        var people = (0..<5).map { person("P\($0)", "B1", movedIn: "2002-01-01", row: $0) }
        people += (0..<2).map { person("D\($0)", "B7", movedIn: "2010-01-01", row: 10 + $0) }
        people += [person("P6", "B2", movedIn: "2011-01-01", row: 20), person("P7", "B1", movedIn: "2003-01-01", row: 21),
                   person("P8", "B1", movedIn: "2006-01-01", row: 22)]
        _ = try s.applyRecords(layer: "population", records: people, alreadyRejected: [], mode: .replace, validFrom: today,
                               toleranceMetres: 0, skipBad: false) { _ in }
        let businesses = [(business, "2011-01-01"), (lateBusiness, "2010-06-01")].enumerated().map { i, b in
            RecordSource(row: i, key: b.0, values: ["name": .string("公司\(i)"), "industry": .string("I"), "employees": .int(5),
                                                   "registered": .string(b.1), "cancelled": .null, "building_code": .string("B2")], position: nil)
        }
        _ = try s.applyRecords(layer: "businesses", records: businesses, alreadyRejected: [], mode: .replace, validFrom: today,
                               toleranceMetres: 0, skipBad: false) { _ in }
        let buildings = try #require(try s.layer(id: "buildings"))
        func building(_ code: String, _ g: Geometry, floors: Int, row: Int) -> KeyedRecord {
            KeyedRecord(row: row, key: code, values: ["floors": .int(Int64(floors)), "use": .string("residential"), "built_date": .string("2000-01-01"),
                                                      "demolished_date": .null], geometry: g)
        }
        // B4 moved inside, B5 beside B1, B6 a square, B7 taller; B1 and B2 as they were.
        _ = try s.applyVersions(layer: buildings, records: [
            building("B1", square(117.2, 26.2, 0.0002, 0.0002), floors: 6, row: 1), building("B2", square(117.7, 26.7, 0.0002, 0.0002), floors: 2, row: 2),
            building("B4", square(117.4, 26.5, 0.0002, 0.0002), floors: 1, row: 4), building("B5", square(117.21, 26.21, 0.0002, 0.0002), floors: 1, row: 5),
            building("B6", square(117.3, 26.3, 0.0002, 0.0002), floors: 1, row: 6), building("B7", square(117.6, 26.6, 0.00005, 0.00005), floors: 3, row: 7),
        ], alreadyRejected: [], mode: .replace, validFrom: today, skipBad: false)
        // Boundaries are the data centre's (not imported): the missing township is loaded.
        try s.bulkLoad { w in
            try w.add(AdminArea(code: "350402002", level: .township, parentCode: "350402", name: "另半镇", geometry: multi(116.5, 26, 0.5, 1)))
        }
    }
}
