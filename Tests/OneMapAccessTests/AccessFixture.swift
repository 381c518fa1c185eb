import Foundation
import OneMapGeo
import OneMapStore
import OneMapSpatiaLite

/// A store with one layer of clinics per share class (plus an open one), owned by the health
/// commission, and departments to play every part: the owner, a department that will hold a grant,
/// one that holds none, and the data center.
struct AccessFixture {
    let dir: String
    let store: SpatiaLiteStore

    static let owner = Department(code: "SMWJ", name: "三明市卫生健康委员会")
    static let granted = Department(code: "SMJY", name: "三明市教育局")
    static let ungranted = Department(code: "SMJT", name: "三明市交通运输局")

    static let fields = [FieldInfo("code", .string, "key"), FieldInfo("beds", .integer, "beds"),
                         FieldInfo("note", .string, "internal note", sensitivity: .internal),
                         FieldInfo("phone", .string, "contact phone", sensitivity: .personal)]

    /// 40 clinics on a grid from 117.0 to 117.95 E, 26.0 to 26.3 N.
    static let records: [KeyedRecord] = (0..<40).map { i in
        KeyedRecord(row: i + 1, key: "C\(i)", values: ["beds": .int(Int64(10 + i)), "note": .string("note \(i)"),
                                                       "phone": .string("1801234\(String(format: "%04d", i))")],
                    geometry: .point(position(i)))
    }

    static func position(_ i: Int) -> Position { Position(117.0 + Double(i % 20) * 0.05, 26.0 + Double(i / 20) * 0.3) }

    static func layer(_ id: String, _ share: ShareClass) -> LayerInfo {
        LayerInfo(id: id, title: id, description: "clinics", geometryType: .point, fields: fields, ownerDepartment: owner.code, shareClass: share)
    }

    init() throws {
        dir = NSTemporaryDirectory() + "onemap-access-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try SpatiaLiteStore(path: dir + "/db.sqlite", create: true)
        for d in [Self.owner, Self.granted, Self.ungranted] { try store.addDepartment(d) }
        for (id, share) in [("clinics_u", ShareClass.unconditional), ("clinics_c", .conditional), ("clinics_n", .notShared), ("clinics_o", .unconditional)] {
            _ = try store.applyVersions(layer: Self.layer(id, share), records: Self.records, alreadyRejected: [], mode: .upsert,
                                        validFrom: "2020-01-01", skipBad: false) { _ in }
        }
        _ = try store.classifyLayer(id: "clinics_o", shareClass: nil, owner: nil, open: true, sensitivities: [:])
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }

    func layer(_ id: String) throws -> LayerInfo { try store.layer(id: id)! }

    /// An approved grant (decided by the owner).
    @discardableResult
    func grant(_ layer: String, for d: Department = granted, fields: [String], area: GrantArea? = nil,
               from: String = "2020-01-01", to: String = "2099-01-01") throws -> ShareApplication {
        let a = try store.submitApplication(NewApplication(department: d.code, layer: layer, fields: fields, purpose: "学校周边医疗资源评估",
                                                           area: area, validFrom: from, validTo: to))
        return try store.decideApplication(id: a.id, status: .approved, by: Self.owner.code, note: nil)
    }

    /// The box 117.0–117.3 E, 25.9–26.1 N as a polygon: clinics 0 to 5 lie in it.
    static let westBox = Geometry.polygon([[Position(116.99, 25.9), Position(117.27, 25.9), Position(117.27, 26.1),
                                            Position(116.99, 26.1), Position(116.99, 25.9)]])
}
