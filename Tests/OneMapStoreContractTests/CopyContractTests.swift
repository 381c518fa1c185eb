import Foundation
import OneMapGeo
import OneMapStore
import Testing

/// A database copied SpatiaLite → PostgreSQL → SpatiaLite holds what it held: every table row
/// for row (ids, geometries, key hashes, applications, the audit chain and its head).
@Suite struct CopyContractTests {
    static func filled() throws -> FreshDatabase {
        let db = try Backend.spatialite.fresh()
        let s = db.store
        try SmallCity.load(into: s)
        try s.addDepartment(Department(code: "SMJY", name: "教育局"))
        let shops = LayerInfo(id: "shops", title: "Shops", description: "", geometryType: .point,
                              fields: [FieldInfo("shop_id", .string, "key"), FieldInfo("name", .string, "name"), FieldInfo("staff", .integer, "staff"),
                                       FieldInfo("open", .boolean, "open")],
                              ownerDepartment: "SMJY", shareClass: .unconditional, minZoom: 10, maxZoom: 16)
        _ = try s.applyVersions(layer: shops, records: [
            KeyedRecord(row: 1, key: "S1", values: ["name": .string("甲"), "staff": .int(3), "open": .bool(true)], geometry: .point(Position(117.21, 26.21))),
            KeyedRecord(row: 2, key: "S2", values: ["name": .string("乙\ttab"), "staff": .null, "open": .bool(false)], geometry: .point(Position(117.31, 26.31))),
        ], alreadyRejected: [], mode: .upsert, validFrom: "2024-01-01", skipBad: false, progress: { _ in })
        _ = try s.addKey(department: "SMJY", hash: "abc", prefix: "om_abc", label: "k", expiresAt: nil)
        _ = try s.submitApplication(NewApplication(department: "SMJY", layer: "shops", fields: ["name"], purpose: "核对门店名单",
                                                   area: GrantArea(codes: ["350404"]), validFrom: "2026-01-01", validTo: "2027-01-01"))
        let problem = try s.fileProblem(NewProblem(layer: "shops", targetID: 1, field: "name", description: "名称有误", proposedValue: "甲店",
                                                   attachment: ProblemAttachment(name: "p.txt", mediaType: "text/plain", bytes: Array("证据".utf8)),
                                                   reporter: "SMJY"),
                                        owner: "SMJY", target: ProblemTargetRow(id: 1, entityKey: "S1", point: Position(117.21, 26.21)), newestRow: 2,
                                        by: ProblemActorName(principal: "SMJY/om_abc", department: "SMJY"))
        _ = try s.advanceProblem(id: problem.id, .reject, by: ProblemActorName(principal: "SMJY/om_abc", department: "SMJY"), note: "无误", version: nil)
        try s.setSupplyPromise(layer: "shops", everyDays: 30, by: "SMJY/om_abc")
        try s.setProblemWebhook(department: "SMJY", url: "http://127.0.0.1:9/hook", secret: "s3cret")
        let identityKey = try IdentityKey(secret: Array("copy test identity key, 32 bytes".utf8))
        try s.linkIdentities(IdentityLinks(links: [IdentityLink(identityHash: identityKey.hash("11010519491231002X"), kind: .person, entityKey: "P-1")],
                                           keyFingerprint: identityKey.fingerprint))
        try s.appendAudit((1...3).map { AuditRecord(at: "2026-12-0\($0)T00:00:00Z", principal: "cli:t", action: "change", endpoint: "onemap", outcome: "ok") })
        return db
    }

    static func rows(_ s: any OneMapDatabase, _ t: CopyTable) throws -> [[SQLValue]] {
        var out: [[SQLValue]] = []
        try s.copyRows(of: t) { out.append($0) }
        return out
    }

    @Test func aRoundTripThroughPostgreSQLKeepsEveryRow() throws {
        let source = try Self.filled()
        let middle = try Backend.postgres.fresh(), back = try Backend.spatialite.fresh()
        let tables = try middle.store.restore(from: source.store) { _, _ in }
        #expect(tables.map(\.name).contains("layer_shops") && tables.last?.name == "identity_links")
        _ = try back.store.restore(from: middle.store) { _, _ in }
        for t in tables {
            let a = try Self.rows(source.store, t), b = try Self.rows(middle.store, t), c = try Self.rows(back.store, t)
            #expect(!a.isEmpty || ["audit_checkpoints"].contains(t.name), "\(t.name) was filled")
            #expect(a == b, "\(t.name) in PostgreSQL")
            #expect(a == c, "\(t.name) back in SpatiaLite")
        }
        #expect(try back.store.verifyAudit() == source.store.verifyAudit())
        #expect(try middle.store.verifyAudit() == source.store.verifyAudit())
        #expect(try middle.store.keyHolder(hash: "abc")?.1.code == "SMJY")
        // The copy keeps working: the next audit record and key follow the copied ones.
        #expect(try middle.store.appendAudit([AuditRecord(at: "2026-12-05T00:00:00Z", principal: "cli:t", action: "change", endpoint: "onemap", outcome: "ok")]) == [4])
        #expect(try middle.store.addKey(department: "SMJY", hash: "def", prefix: "om_def", label: "", expiresAt: nil).id == 2)
        let next = try middle.store.fileProblem(NewProblem(layer: "shops", description: "整层缺少门店", reporter: "SMJY"), owner: "SMJY", target: nil,
                                                newestRow: 2, by: ProblemActorName(principal: "cli:t", department: nil))
        let firstEvent = try middle.store.problemEvents(problem: 2).first?.id
        #expect(next.id == 2 && firstEvent == 3)
    }
}
