import Foundation
import OneMapGeo
import OneMapStore
import Testing

/// Departments, keys, applications and the audit chain behave alike on every backend: the same
/// writes are accepted or refused with the same words, and the same records hash the same.
@Suite struct GovernanceContractTests {
    @Test(arguments: Backend.allCases) func departmentsAreAddedOnceAndCheckedAlike(_ backend: Backend) throws {
        let db = try backend.fresh()
        let s = db.store
        try s.addDepartment(Department(code: "SMZJ", name: "住建局"))
        #expect(try s.departments().contains(Department(code: "SMZJ", name: "住建局")))
        #expect(try s.departments().contains { $0.code == "SMDSJ" && $0.role == .administrator })
        let twice = try #require(throws: StoreError.self) { try s.addDepartment(Department(code: "SMZJ", name: "again")) }
        #expect(twice.message == "department 'SMZJ' exists")
        let bad = try #require(throws: StoreError.self) { try s.addDepartment(Department(code: "9x", name: "bad")) }
        #expect(bad.message.contains("must be 2 to 32 letters"))
    }

    @Test(arguments: Backend.allCases) func keysAreFoundByHashAndRevokedByPrefix(_ backend: Backend) throws {
        let db = try backend.fresh()
        let s = db.store
        let key = try s.addKey(department: "SMDSJ", hash: "h1", prefix: "om_abc", label: "test", expiresAt: "2030-01-01")
        let (found, dept) = try #require(try s.keyHolder(hash: "h1"))
        #expect(found == key && dept.role == .administrator)
        #expect(try s.keyHolder(hash: "nope") == nil)
        #expect(throws: StoreError.self) { try s.addKey(department: "NOPE", hash: "h2", prefix: "om_x", label: "", expiresAt: nil) }
        let revoked = try #require(try s.revokeKey(prefix: "om_abc"))
        #expect(revoked.revokedAt != nil && revoked.id == key.id)
        #expect(try s.keys(department: "SMDSJ").map(\.revokedAt) == [revoked.revokedAt])
        #expect(try s.revokeKey(prefix: "om_none") == nil)
    }

    @Test(arguments: Backend.allCases) func applicationsFollowTheirDecisionRules(_ backend: Backend) throws {
        let db = try backend.fresh()
        let s = db.store
        let area = GrantArea(codes: ["350404"], geometry: rect(117.2, 26.2))
        let a = try s.submitApplication(NewApplication(department: "SMDSJ", layer: "population", fields: ["sex", "birth_year"],
                                                       purpose: "人口普查核对", area: area, validFrom: "2026-01-01", validTo: "2027-01-01"))
        #expect(a.status == .pending && a.fields == ["sex", "birth_year"] && a.area == area)
        let unknown = try #require(throws: StoreError.self) {
            try s.submitApplication(NewApplication(department: "SMDSJ", layer: "population", fields: ["salary"],
                                                   purpose: "人口普查核对", area: nil, validFrom: "2026-01-01", validTo: "2027-01-01"))
        }
        #expect(unknown.message.hasPrefix("layer 'population' has no field 'salary'"))
        let approved = try s.decideApplication(id: a.id, status: .approved, by: "SMDSJ", note: "ok")
        #expect(approved.status == .approved && approved.decisionNote == "ok")
        let again = try #require(throws: StoreError.self) { try s.decideApplication(id: a.id, status: .rejected, by: "SMDSJ", note: nil) }
        #expect(again.message == "application \(a.id) is approved; it cannot become rejected")
        #expect(try s.applications(byDepartment: "SMDSJ", forOwner: nil).map(\.id) == [a.id])
        #expect(try s.applications(byDepartment: "OTHER", forOwner: nil).isEmpty)
    }

    /// The chain a backend writes is the one the model defines: the same records give the same
    /// head on every backend (a copied database still verifies), and a cut-off log is caught.
    @Test(arguments: Backend.allCases) func theAuditChainHashesAsTheModelSays(_ backend: Backend) throws {
        let db = try backend.fresh()
        let s = db.store
        let records = (1...5).map { i in
            AuditRecord(at: "2026-12-05T10:00:0\(i)Z", principal: "dept:SMZJ", action: "read", endpoint: "/collections/buildings/items",
                        layer: i % 2 == 0 ? "buildings" : nil, rows: i, outcome: "ok")
        }
        #expect(try s.appendAudit(Array(records[0..<2])) == [1, 2])
        #expect(try s.appendAudit(Array(records[2...])) == [3, 4, 5])
        var expected = AuditChain.genesis
        for (i, r) in records.enumerated() { expected = AuditChain.hash(seq: Int64(i + 1), r, previous: expected) }
        #expect(try s.verifyAudit() == .intact(records: 5, head: expected))
        let entries = try s.auditEntries(AuditQuery())
        #expect(entries.map(\.record) == records && entries.last?.hash == expected)
        var byLayer = AuditQuery()
        byLayer.layer = "buildings"
        #expect(try s.auditEntries(byLayer).map(\.seq) == [2, 4])
    }

    @Test(arguments: Backend.allCases) func archivedRecordsLeaveTheLiveChainVerifiable(_ backend: Backend) throws {
        let db = try backend.fresh()
        let s = db.store
        let records = (1...4).map { AuditRecord(at: "2026-11-0\($0)T00:00:00Z", principal: "cli:test", action: "change", endpoint: "onemap", outcome: "ok") }
        try s.appendAudit(records)
        let entries = try s.auditEntries(AuditQuery())
        let checkpoint = AuditCheckpoint(kind: .archive, firstSeq: 1, lastSeq: 2, firstPrevHash: AuditChain.genesis, lastHash: entries[1].hash,
                                         records: 2, signedAt: "2026-12-01T00:00:00Z", archive: "a.sqlite", keyID: "k", signature: "s")
        #expect(try s.removeArchivedAudit(checkpoint) == 2)
        #expect(try s.auditCheckpoints() == [checkpoint])
        #expect(try s.verifyAudit() == .intact(records: 2, head: entries[3].hash))
        #expect(throws: StoreError.self) { try s.removeArchivedAudit(checkpoint) }
    }
}
