import Foundation
import OneMapGeo
import OneMapStore

/// Departments, keys, applications, classification and the audit chain in PostgreSQL. The rules
/// (`GovernanceRules`, `AuditChain`) are the model's, so both backends refuse and hash alike.
extension PostgresStore: GovernanceStore {
    /// Advisory lock keys: one audit appender at a time across processes (the chain's head).
    static let auditLock: Int64 = 0x6F6E_6D61_7061_7564

    // MARK: departments and keys

    public func departments() throws -> [Department] {
        try readers.with { c in
            try c.query("SELECT code, name, role FROM departments ORDER BY code", prepare: true).all.map {
                Department(code: $0.text(0) ?? "", name: $0.text(1) ?? "", role: DepartmentRole(rawValue: $0.text(2) ?? "") ?? .department)
            }
        }
    }

    public func addDepartment(_ d: Department) throws {
        try GovernanceRules.check(d)
        try write { c in
            guard try c.query("SELECT count(*) FROM departments WHERE code = $1", [.text(d.code)]).row(0).int(0) == 0 else {
                throw StoreError("department '\(d.code)' exists")
            }
            try c.query("INSERT INTO departments(code, name, role) VALUES ($1, $2, $3)", [.text(d.code), .text(d.name), .text(d.role.rawValue)])
        }
    }

    public func addKey(department: String, hash: String, prefix: String, label: String, expiresAt: String?) throws -> APIKeyInfo {
        let now = GovernanceRules.timestamp()
        return try write { c in
            guard try c.query("SELECT count(*) FROM departments WHERE code = $1", [.text(department)]).row(0).int(0) == 1 else {
                throw StoreError("no department '\(department)'")
            }
            let id = try c.query("""
                INSERT INTO api_keys(department, key_hash, prefix, label, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id
                """, [.text(department), .text(hash), .text(prefix), .text(label), .text(now), expiresAt.map { .text($0) } ?? .null]).row(0).int(0)
            return APIKeyInfo(id: id, department: department, prefix: prefix, label: label, createdAt: now, expiresAt: expiresAt, revokedAt: nil)
        }
    }

    private static let keyColumns = "id, department, prefix, label, created_at, expires_at, revoked_at"

    private static func readKey(_ r: PGRow, from i: Int = 0) -> APIKeyInfo {
        APIKeyInfo(id: r.int(i), department: r.text(i + 1) ?? "", prefix: r.text(i + 2) ?? "", label: r.text(i + 3) ?? "",
                   createdAt: r.text(i + 4) ?? "", expiresAt: r.text(i + 5), revokedAt: r.text(i + 6))
    }

    public func keys(department: String?) throws -> [APIKeyInfo] {
        try readers.with { c in
            try c.query("SELECT \(Self.keyColumns) FROM api_keys WHERE $1::text IS NULL OR department = $1 ORDER BY id",
                        [department.map { .text($0) } ?? .null], prepare: true).all.map { Self.readKey($0) }
        }
    }

    public func revokeKey(prefix: String) throws -> APIKeyInfo? {
        try write { c in
            let found = try c.query("SELECT \(Self.keyColumns) FROM api_keys WHERE prefix = $1 OR key_hash = $1 FOR UPDATE", [.text(prefix)])
            guard found.rows > 0 else { return nil }
            guard found.rows == 1 else { throw StoreError("prefix '\(prefix)' names several keys; give the whole key") }
            let key = Self.readKey(found.row(0))
            let at = key.revokedAt ?? GovernanceRules.timestamp()
            try c.query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2", [.text(at), .int(key.id)])
            return APIKeyInfo(id: key.id, department: key.department, prefix: key.prefix, label: key.label,
                              createdAt: key.createdAt, expiresAt: key.expiresAt, revokedAt: at)
        }
    }

    public func keyHolder(hash: String) throws -> (APIKeyInfo, Department)? {
        try readers.with { c in
            let r = try c.query("""
                SELECT k.id, k.department, k.prefix, k.label, k.created_at, k.expires_at, k.revoked_at, d.name, d.role
                FROM api_keys k JOIN departments d ON d.code = k.department WHERE k.key_hash = $1
                """, [.text(hash)], prepare: true)
            guard r.rows > 0 else { return nil }
            let row = r.row(0), key = Self.readKey(row)
            return (key, Department(code: key.department, name: row.text(7) ?? "", role: DepartmentRole(rawValue: row.text(8) ?? "") ?? .department))
        }
    }

    // MARK: applications and grants

    private static let applicationColumns = """
        id, department, layer, fields_json, purpose, area_codes, area_wkb, valid_from, valid_to, status,
        submitted_at, decided_by, decided_at, decision_note, uses
        """

    private static func readApplication(_ r: PGRow) throws -> ShareApplication {
        let codes = (r.text(5) ?? "").split(separator: ",").map(String.init)
        let geometry = try r.bytes(6).map { try WKB.decode($0) }
        let area = codes.isEmpty && geometry == nil ? nil : GrantArea(codes: codes, geometry: geometry)
        return ShareApplication(id: r.int(0), department: r.text(1) ?? "", layer: r.text(2) ?? "", fields: GovernanceRules.applicationFields(r.text(3)),
                                purpose: r.text(4) ?? "", area: area, validFrom: r.text(7) ?? "", validTo: r.text(8) ?? "",
                                status: ApplicationStatus(rawValue: r.text(9) ?? "") ?? .pending, submittedAt: r.text(10) ?? "",
                                decidedBy: r.text(11), decidedAt: r.text(12), decisionNote: r.text(13), uses: GovernanceRules.uses(r.text(14)))
    }

    public func submitApplication(_ a: NewApplication) throws -> ShareApplication {
        guard let layer = try layer(id: a.layer) else { throw StoreError("no layer '\(a.layer)'") }
        let (purpose, fields) = try GovernanceRules.checked(a, layer: layer)
        let id = try write { c in
            try c.query("""
                INSERT INTO applications(department, layer, fields_json, purpose, area_codes, area_wkb, valid_from, valid_to, status, submitted_at, uses)
                VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'pending',$9,$10) RETURNING id
                """, [.text(a.department), .text(a.layer), .text(fields), .text(purpose),
                      a.area.flatMap { $0.codes.isEmpty ? nil : .text($0.codes.joined(separator: ",")) } ?? .null,
                      a.area?.geometry.map { .blob(WKB.encode($0)) } ?? .null,
                      .text(a.validFrom), .text(a.validTo), .text(GovernanceRules.timestamp()), .text(GovernanceRules.usesText(a.uses))]).row(0).int(0)
        }
        guard let stored = try application(id: id) else { throw StoreError("application \(id) vanished", kind: .internal) }
        return stored
    }

    public func application(id: Int64) throws -> ShareApplication? {
        try readers.with { c in
            let r = try c.query("SELECT \(Self.applicationColumns) FROM applications WHERE id = $1", [.int(id)], prepare: true)
            return r.rows > 0 ? try Self.readApplication(r.row(0)) : nil
        }
    }

    public func applications(byDepartment: String?, forOwner: String?) throws -> [ShareApplication] {
        try readers.with { c in
            try c.query("""
                SELECT \(Self.applicationColumns) FROM applications a
                WHERE ($1::text IS NULL AND $2::text IS NULL) OR a.department = $1
                   OR a.layer IN (SELECT id FROM layers WHERE owner_department = $2)
                ORDER BY a.id
                """, [byDepartment.map { .text($0) } ?? .null, forOwner.map { .text($0) } ?? .null], prepare: true).all.map(Self.readApplication)
        }
    }

    public func decideApplication(id: Int64, status: ApplicationStatus, by: String, note: String?) throws -> ShareApplication {
        try write { c in
            let found = try c.query("SELECT status FROM applications WHERE id = $1 FOR UPDATE", [.int(id)])
            guard found.rows > 0, let current = found.row(0).text(0) else { throw StoreError("no application \(id)") }
            try GovernanceRules.checkDecision(id: id, current: current, to: status)
            try c.query("UPDATE applications SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 WHERE id = $5",
                        [.text(status.rawValue), .text(by), .text(GovernanceRules.timestamp()), note.map { .text($0) } ?? .null, .int(id)])
        }
        guard let a = try application(id: id) else { throw StoreError("no application \(id)") }
        return a
    }

    // MARK: classification

    public func classifyLayer(id: String, shareClass: ShareClass?, owner: String?, open: Bool?,
                              sensitivities: [String: FieldSensitivity]) throws -> LayerInfo {
        guard let layer = try layer(id: id) else { throw StoreError("no layer '\(id)'") }
        let fields = try GovernanceRules.reclassified(layer, sensitivities)
        let fieldsJSON = try LayerInfo.catalogJSON(fields)
        try write { c in
            if let owner, try c.query("SELECT count(*) FROM departments WHERE code = $1", [.text(owner)]).row(0).int(0) != 1 {
                throw StoreError("no department '\(owner)'")
            }
            try c.query("""
                UPDATE layers SET share_class = coalesce($1, share_class), owner_department = coalesce($2, owner_department),
                  open = coalesce($3::integer, open), fields_json = $4 WHERE id = $5
                """, [shareClass.map { .text($0.rawValue) } ?? .null, owner.map { .text($0) } ?? .null,
                      open.map { .int($0 ? 1 : 0) } ?? .null, .text(fieldsJSON), .text(id)])
            // Who sees which fields changed: every cached result of the layer, every day.
            try c.query("SELECT pg_advisory_xact_lock($1)", [.int(Self.dataWriteLock)])
            try Self.recordChange(c, layer: id, fromDay: nil, box: nil)
            try Self.bumpGeneration(c)
        }
        dropCatalogCache()
        guard let updated = try self.layer(id: id) else { throw StoreError("no layer '\(id)'") }
        return updated
    }

    // MARK: audit

    @discardableResult
    public func appendAudit(_ records: [AuditRecord]) throws -> [Int64] {
        guard !records.isEmpty else { return [] }
        return try write { c in
            // One appender at a time, across processes: nobody appends between reading the head and writing.
            try c.query("SELECT pg_advisory_xact_lock($1)", [.int(Self.auditLock)])
            let head = try c.query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", prepare: true)
            var seq: Int64 = 0, previous = AuditChain.genesis
            if head.rows > 0 { seq = head.row(0).int(0); previous = head.row(0).text(1) ?? "" }
            try Self.ensureSequencePartitions(c, table: "audit_log", through: seq + Int64(records.count))
            var seqs: [Int64] = []
            for r in records {
                seq += 1
                let hash = AuditChain.hash(seq: seq, r, previous: previous)
                func t(_ s: String?) -> SQLValue { s.map { .text($0) } ?? .null }
                try c.query("""
                    INSERT INTO audit_log(seq, at, principal, action, endpoint, layer, grant_id, purpose, area, datetime, rows, client, outcome, prev_hash, hash, count)
                    VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)
                    """, [.int(seq), .text(r.at), .text(r.principal), .text(r.action), .text(r.endpoint), t(r.layer),
                          r.grantID.map { .int($0) } ?? .null, t(r.purpose), t(r.area), t(r.datetime),
                          r.rows.map { .int(Int64($0)) } ?? .null, t(r.client), .text(r.outcome), .text(previous), .text(hash),
                          r.count.map { .int(Int64($0)) } ?? .null], prepare: true)
                previous = hash
                seqs.append(seq)
            }
            try c.query("INSERT INTO derived_state(key, value) VALUES ('audit_head', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        [.text(AuditChain.head(seq: seq, hash: previous))], prepare: true)
            return seqs
        }
    }

    /// Range partitions of `table` (by `seq`) up to `seq`, made as the sequence reaches them.
    static func ensureSequencePartitions(_ c: PGConnection, table: String, through seq: Int64) throws {
        let size = PostgresSchema.sequencePartitionSize
        let last = max(0, (seq - 1) / size)
        for k in 0...last {
            try c.exec("CREATE TABLE IF NOT EXISTS \(table)_\(k) PARTITION OF \(table) FOR VALUES FROM (\(k * size + 1)) TO (\((k + 1) * size + 1))")
        }
    }

    static let auditColumns = "seq, at, principal, action, endpoint, layer, grant_id, purpose, area, datetime, rows, client, outcome, prev_hash, hash, count"

    static func readAudit(_ r: PGRow) -> AuditEntry {
        AuditEntry(seq: r.int(0), record: AuditRecord(
            at: r.text(1) ?? "", principal: r.text(2) ?? "", action: r.text(3) ?? "", endpoint: r.text(4) ?? "", layer: r.text(5),
            grantID: r.isNull(6) ? nil : r.int(6), purpose: r.text(7), area: r.text(8), datetime: r.text(9),
            rows: r.isNull(10) ? nil : Int(r.int(10)), client: r.text(11), outcome: r.text(12) ?? "",
            count: r.isNull(15) ? nil : Int(r.int(15))),
            prevHash: r.text(13) ?? "", hash: r.text(14) ?? "")
    }

    public func auditEntries(_ q: AuditQuery) throws -> [AuditEntry] {
        try readers.with { c in
            func t(_ v: String?) -> SQLValue { v.map { .text($0) } ?? .null }
            return try c.query("""
                SELECT \(Self.auditColumns) FROM audit_log
                WHERE seq > $1 AND ($2::text IS NULL OR principal = $2 OR principal LIKE $2 || '/%') AND ($3::text IS NULL OR layer = $3)
                  AND ($4::text IS NULL OR action = $4) AND ($5::text IS NULL OR at >= $5) AND ($6::text IS NULL OR at < $6)
                ORDER BY seq LIMIT $7
                """, [.int(q.afterSeq), t(q.principal), t(q.layer), t(q.action), t(q.from), t(q.to), .int(Int64(q.limit))], prepare: true)
                .all.map(Self.readAudit)
        }
    }

    public func verifyAudit() throws -> AuditVerification {
        let checkpoints = try auditCheckpoints()
        return try readers.with(timeLimited: false) { c in
            // One snapshot for the log and its recorded head: a replica appending meanwhile must not
            // make a head that is newer than the records read look like a cut-off log.
            try c.snapshot {
                var verifier = AuditChain.LiveVerifier(checkpoints: checkpoints)
                var broken: AuditVerification?
                try c.stream("SELECT \(Self.auditColumns) FROM audit_log ORDER BY seq") { row in
                    guard broken == nil else { return }
                    broken = verifier.check(Self.readAudit(row))
                }
                if let broken { return broken }
                let head = try c.query("SELECT value FROM derived_state WHERE key = 'audit_head'")
                return verifier.finish(recordedHead: head.rows > 0 ? head.row(0).text(0) : nil)
            }
        }
    }

    private static let checkpointColumns = "kind, first_seq, last_seq, first_prev_hash, last_hash, records, signed_at, archive, key_id, signature"

    public func auditCheckpoints() throws -> [AuditCheckpoint] {
        try readers.with { c in
            try c.query("SELECT \(Self.checkpointColumns) FROM audit_checkpoints ORDER BY id").all.map { r in
                AuditCheckpoint(kind: AuditCheckpoint.Kind(rawValue: r.text(0) ?? "") ?? .head, firstSeq: r.int(1), lastSeq: r.int(2),
                                firstPrevHash: r.text(3) ?? "", lastHash: r.text(4) ?? "", records: Int(r.int(5)), signedAt: r.text(6) ?? "",
                                archive: r.text(7), keyID: r.text(8) ?? "", signature: r.text(9) ?? "")
            }
        }
    }

    private static func insertCheckpoint(_ k: AuditCheckpoint, _ c: PGConnection) throws {
        try c.query("INSERT INTO audit_checkpoints(\(checkpointColumns)) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)", [
            .text(k.kind.rawValue), .int(k.firstSeq), .int(k.lastSeq), .text(k.firstPrevHash), .text(k.lastHash), .int(Int64(k.records)),
            .text(k.signedAt), k.archive.map { .text($0) } ?? .null, .text(k.keyID), .text(k.signature)])
    }

    public func addAuditCheckpoint(_ checkpoint: AuditCheckpoint) throws {
        try write { c in try Self.insertCheckpoint(checkpoint, c) }
    }

    public func removeArchivedAudit(_ checkpoint: AuditCheckpoint) throws -> Int {
        try write { c in
            try c.query("SELECT pg_advisory_xact_lock($1)", [.int(Self.auditLock)])
            let first = try c.query("SELECT seq, prev_hash FROM audit_log ORDER BY seq LIMIT 1")
            guard first.rows > 0, first.row(0).int(0) == checkpoint.firstSeq, first.row(0).text(1) == checkpoint.firstPrevHash else {
                throw StoreError("archive: the live log no longer starts at record \(checkpoint.firstSeq); archive again")
            }
            let last = try c.query("SELECT hash FROM audit_log WHERE seq = $1", [.int(checkpoint.lastSeq)])
            guard last.rows > 0, last.row(0).text(0) == checkpoint.lastHash else {
                throw StoreError("archive: record \(checkpoint.lastSeq) changed since it was archived; archive again")
            }
            try Self.insertCheckpoint(checkpoint, c)
            return Int(try c.query("WITH gone AS (DELETE FROM audit_log WHERE seq <= $1 RETURNING 1) SELECT count(*) FROM gone",
                                   [.int(checkpoint.lastSeq)]).row(0).int(0))
        }
    }
}
