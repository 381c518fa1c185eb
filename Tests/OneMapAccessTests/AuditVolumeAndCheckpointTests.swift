import Foundation
import OneMapAccess
import OneMapGeo
import OneMapStore
import OneMapSpatiaLite
import Testing

/// Tile reads folded per caller, layer, grant and minute; signed checkpoints that catch a chain
/// rewritten by someone who can write the database; archives of closed months that verify.
@Suite struct AuditVolumeAndCheckpointTests {
    func tileRead(_ at: String, _ z: Int, _ x: Int, _ y: Int, principal: String = "anonymous", layer: String = "buildings",
                  grant: Int64? = nil, rows: Int = 10, outcome: String = "200") -> AuditRecord {
        AuditRecord(at: at, principal: principal, action: "read", endpoint: "GET /tiles/{layers}/{z}/{x}/{y}", layer: layer, grantID: grant,
                    area: "tile \(z)/\(x)/\(y)", rows: rows, client: "127.0.0.1", outcome: outcome)
    }

    @Test func tileReadsOfOneCallerLayerAndMinuteBecomeOneRecordWithCountRowsAndTheUnionOfBoxes() throws {
        let f = try AccessFixture()
        let trail = AuditTrail(store: f.store, interval: 3600)
        for i in 0..<50 { trail.record(tileRead("2026-12-05T10:03:\(String(format: "%02d", i % 60)).000Z", 14, 13540 + i % 5, 6950 + i % 3)) }
        trail.record(tileRead("2026-12-05T10:03:30.000Z", 15, 27090, 13905, principal: "SMJY/om_ab12cd34", grant: 7))
        trail.record(tileRead("2026-12-05T10:04:01.000Z", 14, 13540, 6950))  // the next minute
        trail.record(tileRead("2026-12-05T10:03:31.000Z", 14, 13540, 6950, outcome: "403"))  // a refusal stays a record of its own
        let items = AuditRecord(at: "2026-12-05T10:03:32.000Z", principal: "anonymous", action: "read", endpoint: "GET /collections/{id}/items",
                                layer: "buildings", rows: 3, outcome: "200")
        trail.record(items)
        try trail.close()
        let records = try f.store.auditEntries(AuditQuery()).map(\.record)
        #expect(records.count == 5)
        let folded = try #require(records.first { $0.count == 50 })
        #expect(folded.principal == "anonymous" && folded.rows == 500 && folded.at == "2026-12-05T10:03:00.000Z" && folded.outcome == "200")
        // The union of the 5 x 3 tiles' boxes, in lon/lat.
        let lo = WebMercatorQuad.unproject(Position(WebMercatorQuad.bounds(try TileCoord(z: 14, x: 13540, y: 6952)).minX,
                                                    WebMercatorQuad.bounds(try TileCoord(z: 14, x: 13540, y: 6952)).minY))
        let hi = WebMercatorQuad.unproject(Position(WebMercatorQuad.bounds(try TileCoord(z: 14, x: 13544, y: 6950)).maxX,
                                                    WebMercatorQuad.bounds(try TileCoord(z: 14, x: 13544, y: 6950)).maxY))
        #expect(folded.area == String(format: "tiles z14 bbox %.6f,%.6f,%.6f,%.6f", lo.x, lo.y, hi.x, hi.y))
        #expect(records.contains { $0.principal == "SMJY/om_ab12cd34" && $0.grantID == 7 && $0.count == 1 && $0.area?.hasPrefix("tiles z15 bbox") == true })
        #expect(records.contains { $0.at.hasPrefix("2026-12-05T10:04") && $0.count == 1 })
        #expect(records.contains { $0.outcome == "403" && $0.count == nil && $0.area == "tile 14/13540/6950" })
        #expect(records.contains(items))
        guard case .intact(let n, _) = try f.store.verifyAudit() else { Issue.record("chain broken"); return }
        #expect(n == 5)
    }

    @Test func aChangedCountBreaksTheChain() throws {
        let f = try AccessFixture()
        let trail = AuditTrail(store: f.store, interval: 3600)
        for i in 0..<5 { trail.record(tileRead("2026-12-05T10:03:0\(i).000Z", 14, 13540, 6950)) }
        try trail.close()
        try tamper((f.dir + "/db.sqlite"), "UPDATE audit_log SET count = 1 WHERE count = 5")
        #expect(try SpatiaLiteStore(path: (f.dir + "/db.sqlite")).verifyAudit() == .broken(seq: 1, reason: "its content was changed (hash differs)"))
    }

    func records(_ range: ClosedRange<Int>, month: String) -> [AuditRecord] {
        range.map { AuditRecord(at: "\(month)-15T08:00:\(String(format: "%02d", $0 % 60)).000Z", principal: "SMGA/om_12345678", action: "read",
                                endpoint: "GET /collections/{id}/items", layer: "population", rows: $0, outcome: "200") }
    }

    @Test func anArchiveMovesAPrefixOfTheChainAndBothPartsVerifyWithTheSignedCheckpoint() throws {
        let f = try AccessFixture()
        try f.store.appendAudit(records(1...30, month: "2026-10"))
        try f.store.appendAudit(records(31...40, month: "2026-11"))
        let all = try f.store.auditEntries(AuditQuery())
        let key = Digest.randomBytes(32)
        let path = NSTemporaryDirectory() + "onemap-audit-\(UUID().uuidString).sqlite"
        defer { unlink(path) }
        let writer = try AuditArchive.Writer(path: path)
        for e in all.prefix(30) { try writer.append(e) }
        let checkpoint = AuditCheckpoint(kind: .archive, firstSeq: 1, lastSeq: 30, firstPrevHash: all[0].prevHash, lastHash: all[29].hash, records: 30,
                                         signedAt: "2026-12-05T00:00:00.000Z", archive: "2026-10.sqlite").signed(with: key)
        try writer.finish(checkpoint)
        #expect(try AuditArchive.verify(path: path).verification == .intact(records: 30, head: all[29].hash))
        #expect(try f.store.removeArchivedAudit(checkpoint) == 30)
        #expect(try f.store.auditEntries(AuditQuery()).first?.seq == 31)
        // The live chain continues the archived one; appends go on from there.
        try f.store.appendAudit(records(41...41, month: "2026-12"))
        #expect(try f.store.verifyAudit() == .intact(records: 11, head: try f.store.auditEntries(AuditQuery()).last!.hash))
        #expect(try f.store.auditCheckpoints() == [checkpoint])
        #expect(checkpoint.isSigned(by: key) && !checkpoint.isSigned(by: Digest.randomBytes(32)))
        var forged = checkpoint
        forged.lastHash = String(repeating: "a", count: 64)
        #expect(!forged.isSigned(by: key))
        // Archiving the same records again is refused: the live log no longer starts there.
        #expect(throws: StoreError.self) { try f.store.removeArchivedAudit(checkpoint) }
    }

    @Test func aWholeChainRewrittenAfterASignedCheckpointIsCaught() throws {
        let f = try AccessFixture()
        try f.store.appendAudit(records(1...10, month: "2026-11"))
        let entries = try f.store.auditEntries(AuditQuery())
        let key = Digest.randomBytes(32)
        try f.store.addAuditCheckpoint(AuditCheckpoint(kind: .head, firstSeq: 1, lastSeq: 10, firstPrevHash: entries[0].prevHash,
                                                       lastHash: entries[9].hash, records: 10, signedAt: "2026-12-01T00:00:00.000Z",
                                                       archive: nil).signed(with: key))
        // Someone with write access changes record 4 and recomputes every hash after it and the head.
        var previous = entries[2].hash
        var statements = ""
        for e in entries[3...] {
            var r = e.record
            if e.seq == 4 { r.rows = 999 }
            let hash = AuditChain.hash(seq: e.seq, r, previous: previous)
            statements += "UPDATE audit_log SET rows = \(r.rows ?? 0), prev_hash = '\(previous)', hash = '\(hash)' WHERE seq = \(e.seq);"
            previous = hash
        }
        statements += "UPDATE derived_state SET value = '10:\(previous)' WHERE key = 'audit_head';"
        try tamper((f.dir + "/db.sqlite"), statements)
        guard case .broken(let seq, let reason) = try SpatiaLiteStore(path: (f.dir + "/db.sqlite")).verifyAudit() else {
            Issue.record("a rewritten chain verified"); return
        }
        #expect(seq == 10 && reason.contains("checkpoint"))
    }
}
