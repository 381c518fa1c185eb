import CSQLite3
import Foundation
import OneMapAccess
import OneMapStore
import OneMapSpatiaLite
import Testing

/// Raw SQL on a database file, as someone tampering with it would write it.
func tamper(_ path: String, _ sql: String) throws {
    var db: OpaquePointer?
    guard sqlite3_open(path, &db) == SQLITE_OK else { throw StoreError("open \(path)") }
    defer { sqlite3_close(db) }
    var message: UnsafeMutablePointer<CChar>?
    guard sqlite3_exec(db, sql, nil, nil, &message) == SQLITE_OK else {
        defer { sqlite3_free(message) }
        throw StoreError(message.map { String(cString: $0) } ?? "exec")
    }
}

@Suite struct AuditChainTests {
    func record(_ i: Int, principal: String = "SMJY/om_ab12cd34") -> AuditRecord {
        AuditRecord(at: "2026-11-29T10:00:\(String(format: "%02d", i % 60)).000Z", principal: principal, action: "read",
                    endpoint: "GET /collections/{id}/items", layer: "clinics_u", grantID: i % 3 == 0 ? 7 : nil, purpose: i % 3 == 0 ? "学校周边医疗资源评估" : nil,
                    area: "bbox 117,26,117.1,26.1", datetime: "2026-11-29", rows: i, client: "127.0.0.1", outcome: "200")
    }

    /// A fresh copy of a store holding 20 chained records, for one tampering.
    func chained() throws -> (AccessFixture, String) {
        let f = try AccessFixture()
        try f.store.appendAudit((1...12).map { record($0) })
        try f.store.appendAudit((13...20).map { record($0) })
        #expect(try f.store.verifyAudit() == .intact(records: 20, head: try f.store.auditEntries(AuditQuery()).last!.hash))
        return (f, f.dir + "/db.sqlite")
    }

    func verdict(_ path: String) throws -> AuditVerification { try SpatiaLiteStore(path: path).verifyAudit() }

    @Test func aChangedRecordIsNamed() throws {
        let (f, path) = try chained()
        defer { f.remove() }
        try tamper(path, "UPDATE audit_log SET rows = 0 WHERE seq = 8")
        guard case .broken(let seq, let reason) = try verdict(path) else { Issue.record("not detected"); return }
        #expect(seq == 8 && reason.contains("changed"))
    }

    @Test func aChangedPrincipalWithItsHashRecomputedBreaksTheNextLink() throws {
        let (f, path) = try chained()
        defer { f.remove() }
        // The forger recomputes record 5's own hash; record 6 still points at the old one.
        let r = try f.store.auditEntries(AuditQuery()).first { $0.seq == 5 }!
        var forged = r.record
        forged.principal = "SMGA/om_00000000"
        let hash = AuditChain.hash(seq: 5, forged, previous: r.prevHash)
        try tamper(path, "UPDATE audit_log SET principal = 'SMGA/om_00000000', hash = '\(hash)' WHERE seq = 5")
        guard case .broken(let seq, _) = try verdict(path) else { Issue.record("not detected"); return }
        #expect(seq == 6)
    }

    @Test func aDeletedRecordIsNamed() throws {
        let (f, path) = try chained()
        defer { f.remove() }
        try tamper(path, "DELETE FROM audit_log WHERE seq = 11")
        guard case .broken(let seq, let reason) = try verdict(path) else { Issue.record("not detected"); return }
        #expect(seq == 12 && reason.contains("missing"))
    }

    @Test func anInsertedRecordIsNamed() throws {
        let (f, path) = try chained()
        defer { f.remove() }
        // Squeezed in between 14 and 15 by renumbering the rest, with a self-consistent hash.
        let entries = try f.store.auditEntries(AuditQuery())
        try tamper(path, "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 15; UPDATE audit_log SET seq = seq - 99 WHERE seq >= 115")
        let fake = record(99, principal: "SMJT/om_11111111")
        let hash = AuditChain.hash(seq: 15, fake, previous: entries[13].hash)
        try tamper(path, """
            INSERT INTO audit_log(seq, at, principal, action, endpoint, outcome, prev_hash, hash, rows)
            VALUES (15, '\(fake.at)', '\(fake.principal)', 'read', '\(fake.endpoint)', '200', '\(entries[13].hash)', '\(hash)', 99)
            """)
        guard case .broken(let seq, _) = try verdict(path) else { Issue.record("not detected"); return }
        #expect(seq == 15 || seq == 16)
    }

    @Test func recordsCutOffTheEndAreNoticedFromTheRecordedHead() throws {
        let (f, path) = try chained()
        defer { f.remove() }
        try tamper(path, "DELETE FROM audit_log WHERE seq >= 18")
        guard case .broken(_, let reason) = try verdict(path) else { Issue.record("not detected"); return }
        #expect(reason.contains("cut off"))
    }

    @Test func aFailingWriteShowsInHealthAndItsRecordsAreWrittenLater() throws {
        let f = try AccessFixture()
        defer { f.remove() }
        let trail = AuditTrail(store: f.store, interval: 60)  // written only when flushed here
        #expect(trail.health["state"] as? String == "writing")
        try tamper(f.dir + "/db.sqlite", "ALTER TABLE audit_log RENAME TO audit_log_away")
        trail.record(record(1, principal: "T"))
        #expect(throws: (any Error).self) { try trail.flush() }
        #expect(trail.health["state"] as? String == "failing" && trail.health["failures"] as? Int == 1 && trail.health["buffered"] as? Int == 1)
        // /health answers anyone: it names the kind of failure, never the SQL or the table.
        let shown = trail.health["lastError"] as? String
        #expect(shown?.isEmpty == false)
        #expect(shown?.contains("audit_log") == false)
        try tamper(f.dir + "/db.sqlite", "ALTER TABLE audit_log_away RENAME TO audit_log")
        try trail.close()
        #expect(trail.health["state"] as? String == "writing" && trail.health["buffered"] as? Int == 0)
        guard case .intact(let n, _) = try f.store.verifyAudit() else { Issue.record("chain broken"); return }
        #expect(n == 1)
    }

    @Test func theTrailKeepsEveryRecordOfConcurrentRequestsInOneChain() throws {
        let f = try AccessFixture()
        defer { f.remove() }
        let trail = AuditTrail(store: f.store, interval: 0.01)
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for i in 0..<250 { trail.record(record(i, principal: "T\(t)/om_\(String(format: "%08d", i))")) }
        }
        try trail.close()
        guard case .intact(let n, _) = try f.store.verifyAudit() else { Issue.record("chain broken"); return }
        #expect(n == 2000)
        // Each thread's records keep their order.
        let entries = try f.store.auditEntries({ var q = AuditQuery(); q.limit = 5000; return q }())
        for t in 0..<8 {
            let rows = entries.filter { $0.record.principal.hasPrefix("T\(t)/") }.map { $0.record.rows ?? -1 }
            #expect(rows == Array(0..<250))
        }
    }
}

@Suite struct APIKeyTests {
    @Test func keysAreStoredOnlyAsHashesAndBadOnesAreRefusedWithTheReason() throws {
        let f = try AccessFixture()
        defer { f.remove() }
        let (issued, info) = try APIKeys.issue(for: AccessFixture.granted.code, label: "GIS", expiresAt: nil, in: f.store)
        #expect(APIKeys.isWellFormed(issued.key) && info.prefix == String(issued.key.prefix(11)))
        let auth = Authenticator(store: f.store, ttl: .zero)
        #expect(try auth.principal(key: issued.key) == .department(AccessFixture.granted, keyPrefix: info.prefix))
        #expect(try auth.principal(key: nil) == .anonymous)
        // The key's text is nowhere in the database files.
        var bytes = Data()
        for suffix in ["", "-wal"] { bytes += (try? Data(contentsOf: URL(fileURLWithPath: f.dir + "/db.sqlite" + suffix))) ?? Data() }
        #expect(bytes.range(of: Data(issued.hash.utf8)) != nil)  // the search itself works
        #expect(bytes.range(of: Data(issued.key.utf8)) == nil)
        #expect(bytes.range(of: Data(issued.key.dropFirst(11).utf8)) == nil)

        func refusal(_ key: String) -> String? {
            do { _ = try auth.principal(key: key); return nil } catch let e as AccessDenied { return e.kind == .unauthenticated ? e.message : nil } catch { return nil }
        }
        #expect(refusal("om_123")?.contains("malformed") == true)
        #expect(refusal("om_" + String(repeating: "0", count: 40))?.contains("unknown") == true)
        // Revoked (by prefix, as `onemap dept revoke-key` does): refused, naming when.
        _ = try f.store.revokeKey(prefix: info.prefix)
        #expect(refusal(issued.key)?.contains("revoked") == true)
        // Expired: refused from its expiry day on.
        let (old, _) = try APIKeys.issue(for: AccessFixture.granted.code, label: "", expiresAt: "2021-01-01", in: f.store)
        #expect(refusal(old.key)?.contains("expired on 2021-01-01") == true)
        let (later, _) = try APIKeys.issue(for: AccessFixture.granted.code, label: "", expiresAt: "2099-01-01", in: f.store)
        #expect(refusal(later.key) == nil)
    }

    @Test func twoKeysNeverCollideAndTheirPrefixesAreShort() {
        let keys = (0..<1000).map { _ in APIKeys.generate() }
        #expect(Set(keys.map(\.key)).count == 1000 && Set(keys.map(\.hash)).count == 1000)
        #expect(keys.allSatisfy { $0.prefix.count == 11 && $0.hash.count == 64 && !$0.hash.contains($0.key) })
    }
}

@Suite struct AuditTimestampTests {
    @Test func timestampsAreISO8601UTCWithMillisecondsAndParse() throws {
        let text = AuditTrail.now()
        #expect(text.count == 24 && text.hasSuffix("Z"))
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let parsed = try #require(f.date(from: text))
        #expect(abs(parsed.timeIntervalSinceNow) < 5)
    }
}
