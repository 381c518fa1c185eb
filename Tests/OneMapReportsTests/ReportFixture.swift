import Foundation
import OneMapGeo
import OneMapStore
import OneMapSpatiaLite

/// A county of two townships: 西镇 (west) dense with 40 buildings and 200 residents who moved in
/// in 2016, 东乡 (east) with one building, 3 residents and a business. Public callers see the
/// east's 3 residents as "<5".
struct ReportFixture {
    let dir = NSTemporaryDirectory() + "onemap-reports-\(UUID().uuidString)"
    let store: SpatiaLiteStore

    static func square(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> [[Position]] {
        [[Position(x0, y0), Position(x1, y0), Position(x1, y1), Position(x0, y1), Position(x0, y0)]]
    }

    static func building(_ x: Double, _ y: Double) -> Geometry {
        .polygon(square(x, y, x + 0.0004, y + 0.0003))
    }

    init() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try SpatiaLiteStore(path: dir + "/db.sqlite", create: true)
        try store.bulkLoad { w in
            try w.add(AdminArea(code: "350400", level: .city, parentCode: nil, name: "三明市", geometry: .multiPolygon([Self.square(117.0, 26.0, 118.0, 26.5)])))
            try w.add(AdminArea(code: "350404", level: .county, parentCode: "350400", name: "三元区", geometry: .multiPolygon([Self.square(117.0, 26.0, 118.0, 26.5)])))
            try w.add(AdminArea(code: "350404001", level: .township, parentCode: "350404", name: "西镇",
                                geometry: .multiPolygon([Self.square(117.0, 26.0, 117.5, 26.5)]), synthetic: true))
            try w.add(AdminArea(code: "350404002", level: .township, parentCode: "350404", name: "东乡",
                                geometry: .multiPolygon([Self.square(117.5, 26.0, 118.0, 26.5)]), synthetic: true))
            for i in 0..<40 {
                let code = "W\(i)"
                try w.add(Building(entityCode: code, footprint: Self.building(117.2 + Double(i % 8) * 0.001, 26.2 + Double(i / 8) * 0.001),
                                   floors: 6, use: "residential", builtDate: "2015-01-01"))
                for p in 0..<5 {
                    try w.add(PersonRecord(buildingCode: code, sex: p % 2 == 0 ? "M" : "F", birthYear: 1950 + p * 12, householdID: "\(code)-H",
                                           registration: .huji, movedIn: "2016-01-01", maskedIdentity: "350404********\(i)\(p)"))
                }
            }
            try w.add(Building(entityCode: "E1", footprint: Self.building(117.8, 26.3), floors: 2, use: "commercial", builtDate: "2001-01-01"))
            for p in 0..<3 {
                try w.add(PersonRecord(buildingCode: "E1", sex: "F", birthYear: 1990, householdID: "E1-H", registration: .liudong,
                                       movedIn: "2002-01-01", maskedIdentity: "350404********9\(p)"))
            }
            try w.add(BusinessRecord(creditCode: "9144030071526726XG", name: "示例公司", industry: "I", employees: 30,
                                     registered: "2011-01-01", buildingCode: "E1"))
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }

    func views() throws -> [String: LayerView] {
        var v: [String: LayerView] = [:]
        for id in ["admin_areas", "admin_labels", "buildings"] { if let l = try store.layer(id: id) { v[id] = LayerView.full(l) } }
        return v
    }
}
