import OneMapStore
import Foundation
import OneMapGeo

/// The governance tables (schema 3) of a SpatiaLite store. Writes go through one small connection
/// of their own (audit appends are frequent and must not wait for a bulk writer's set-up).
extension SpatiaLiteStore: GovernanceStore {
    // MARK: departments and keys

    public func departments() throws -> [Department] {
        try readers.with { c in
            let s = try c.cached("SELECT code, name, role FROM departments ORDER BY code")
            defer { s.reset() }
            var out: [Department] = []
            while try s.step() {
                out.append(Department(code: s.text(0) ?? "", name: s.text(1) ?? "", role: DepartmentRole(rawValue: s.text(2) ?? "") ?? .department))
            }
            return out
        }
    }

    public func addDepartment(_ d: Department) throws {
        try GovernanceRules.check(d)
        try governanceWrite { c in
            guard try c.scalarInt("SELECT count(*) FROM departments WHERE code = ?", [.text(d.code)]) == 0 else {
                throw StoreError("department '\(d.code)' exists")
            }
            try c.prepare("INSERT INTO departments(code, name, role) VALUES (?, ?, ?)").run([.text(d.code), .text(d.name), .text(d.role.rawValue)])
        }
    }

    public func addKey(department: String, hash: String, prefix: String, label: String, expiresAt: String?) throws -> APIKeyInfo {
        let now = Self.timestamp()
        return try governanceWrite { c in
            guard try c.scalarInt("SELECT count(*) FROM departments WHERE code = ?", [.text(department)]) == 1 else {
                throw StoreError("no department '\(department)'")
            }
            try c.prepare("INSERT INTO api_keys(department, key_hash, prefix, label, created_at, expires_at) VALUES (?,?,?,?,?,?)")
                .run([.text(department), .text(hash), .text(prefix), .text(label), .text(now), expiresAt.map { .text($0) } ?? .null])
            return APIKeyInfo(id: c.lastInsertRowID, department: department, prefix: prefix, label: label, createdAt: now,
                              expiresAt: expiresAt, revokedAt: nil)
        }
    }

    private static let keyColumns = "id, department, prefix, label, created_at, expires_at, revoked_at"

    private static func readKey(_ s: Statement, from i: Int32 = 0) -> APIKeyInfo {
        APIKeyInfo(id: s.int(i), department: s.text(i + 1) ?? "", prefix: s.text(i + 2) ?? "", label: s.text(i + 3) ?? "",
                   createdAt: s.text(i + 4) ?? "", expiresAt: s.text(i + 5), revokedAt: s.text(i + 6))
    }

    public func keys(department: String?) throws -> [APIKeyInfo] {
        try readers.with { c in
            let s = try c.cached("SELECT \(Self.keyColumns) FROM api_keys WHERE ?1 IS NULL OR department = ?1 ORDER BY id")
            defer { s.reset() }
            try s.bind([department.map { .text($0) } ?? .null])
            var out: [APIKeyInfo] = []
            while try s.step() { out.append(Self.readKey(s)) }
            return out
        }
    }

    public func revokeKey(prefix: String) throws -> APIKeyInfo? {
        try governanceWrite { c in
            let find = try c.prepare("SELECT \(Self.keyColumns) FROM api_keys WHERE prefix = ?1 OR key_hash = ?1")
            try find.bind([.text(prefix)])
            guard try find.step() else { return nil }
            let key = Self.readKey(find)
            guard !(try find.step()) else { throw StoreError("prefix '\(prefix)' names several keys; give the whole key") }
            find.reset()
            let at = key.revokedAt ?? Self.timestamp()
            try c.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").run([.text(at), .int(key.id)])
            return APIKeyInfo(id: key.id, department: key.department, prefix: key.prefix, label: key.label,
                              createdAt: key.createdAt, expiresAt: key.expiresAt, revokedAt: at)
        }
    }

    public func keyHolder(hash: String) throws -> (APIKeyInfo, Department)? {
        try readers.with { c in
            let s = try c.cached("""
                SELECT k.id, k.department, k.prefix, k.label, k.created_at, k.expires_at, k.revoked_at, d.name, d.role
                FROM api_keys k JOIN departments d ON d.code = k.department WHERE k.key_hash = ?
                """)
            defer { s.reset() }
            try s.bind([.text(hash)])
            guard try s.step() else { return nil }
            let key = Self.readKey(s)
            return (key, Department(code: key.department, name: s.text(7) ?? "", role: DepartmentRole(rawValue: s.text(8) ?? "") ?? .department))
        }
    }

    // MARK: applications and grants

    private static let applicationColumns = """
        id, department, layer, fields_json, purpose, area_codes, area_wkb, valid_from, valid_to, status,
        submitted_at, decided_by, decided_at, decision_note, uses
        """

    private static func readApplication(_ s: Statement) throws -> ShareApplication {
        let fields = GovernanceRules.applicationFields(s.text(3))
        let codes = (s.text(5) ?? "").split(separator: ",").map(String.init)
        let geometry = s.isNull(6) ? nil : try s.withBlob(6) { try WKB.decode($0) }
        let area = codes.isEmpty && geometry == nil ? nil : GrantArea(codes: codes, geometry: geometry)
        return ShareApplication(id: s.int(0), department: s.text(1) ?? "", layer: s.text(2) ?? "", fields: fields, purpose: s.text(4) ?? "",
                           area: area, validFrom: s.text(7) ?? "", validTo: s.text(8) ?? "",
                           status: ApplicationStatus(rawValue: s.text(9) ?? "") ?? .pending, submittedAt: s.text(10) ?? "",
                           decidedBy: s.text(11), decidedAt: s.text(12), decisionNote: s.text(13), uses: GovernanceRules.uses(s.text(14)))
    }

    public func submitApplication(_ a: NewApplication) throws -> ShareApplication {
        guard let layer = try layer(id: a.layer) else { throw StoreError("no layer '\(a.layer)'") }
        let (purpose, fields) = try GovernanceRules.checked(a, layer: layer)
        let now = Self.timestamp()
        let id = try governanceWrite { c -> Int64 in
            try c.prepare("""
                INSERT INTO applications(department, layer, fields_json, purpose, area_codes, area_wkb, valid_from, valid_to, status, submitted_at, uses)
                VALUES (?,?,?,?,?,?,?,?,'pending',?,?)
                """).run([.text(a.department), .text(a.layer), .text(fields), .text(purpose),
                          a.area.flatMap { $0.codes.isEmpty ? nil : .text($0.codes.joined(separator: ",")) } ?? .null,
                          a.area?.geometry.map { .blob(WKB.encode($0)) } ?? .null,
                          .text(a.validFrom), .text(a.validTo), .text(now), .text(GovernanceRules.usesText(a.uses))])
            return c.lastInsertRowID
        }
        guard let stored = try application(id: id) else { throw StoreError("application \(id) vanished") }
        return stored
    }

    public func application(id: Int64) throws -> ShareApplication? {
        try readers.with { c in
            let s = try c.cached("SELECT \(Self.applicationColumns) FROM applications WHERE id = ?")
            defer { s.reset() }
            try s.bind([.int(id)])
            return try s.step() ? try Self.readApplication(s) : nil
        }
    }

    public func applications(byDepartment: String?, forOwner: String?) throws -> [ShareApplication] {
        try readers.with { c in
            let s = try c.cached("""
                SELECT \(Self.applicationColumns) FROM applications a
                WHERE (?1 IS NULL AND ?2 IS NULL) OR a.department = ?1
                   OR a.layer IN (SELECT id FROM layers WHERE owner_department = ?2)
                ORDER BY a.id
                """)
            defer { s.reset() }
            try s.bind([byDepartment.map { .text($0) } ?? .null, forOwner.map { .text($0) } ?? .null])
            var out: [ShareApplication] = []
            while try s.step() { out.append(try Self.readApplication(s)) }
            return out
        }
    }

    public func decideApplication(id: Int64, status: ApplicationStatus, by: String, note: String?) throws -> ShareApplication {
        try governanceWrite { c in
            guard let current = try c.prepare("SELECT status FROM applications WHERE id = ?").firstText([.int(id)]) else {
                throw StoreError("no application \(id)")
            }
            try GovernanceRules.checkDecision(id: id, current: current, to: status)
            try c.prepare("UPDATE applications SET status = ?, decided_by = ?, decided_at = ?, decision_note = ? WHERE id = ?")
                .run([.text(status.rawValue), .text(by), .text(Self.timestamp()), note.map { .text($0) } ?? .null, .int(id)])
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
        try governanceWrite { c in
            if let owner, try c.scalarInt("SELECT count(*) FROM departments WHERE code = ?", [.text(owner)]) != 1 {
                throw StoreError("no department '\(owner)'")
            }
            try c.prepare("""
                UPDATE layers SET share_class = coalesce(?, share_class), owner_department = coalesce(?, owner_department),
                  open = coalesce(?, open), fields_json = ? WHERE id = ?
                """).run([shareClass.map { .text($0.rawValue) } ?? .null, owner.map { .text($0) } ?? .null,
                          open.map { .int($0 ? 1 : 0) } ?? .null, .text(fieldsJSON), .text(id)])
            // Who sees which fields changed: every cached result of the layer, every day.
            try ChangeLog.record(c, layer: id, fromDay: nil, box: nil)
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
        return try governanceWrite { c in
            // Inside BEGIN IMMEDIATE: no other process appends between reading the head and writing.
            let head = try c.prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            var seq: Int64 = 0, previous = AuditChain.genesis
            if try head.step() { seq = head.int(0); previous = head.text(1) ?? "" }
            head.reset()
            let insert = try c.cached("""
                INSERT INTO audit_log(seq, at, principal, action, endpoint, layer, grant_id, purpose, area, datetime, rows, client, outcome, prev_hash, hash, count)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                """)
            var seqs: [Int64] = []
            for r in records {
                seq += 1
                let hash = AuditChain.hash(seq: seq, r, previous: previous)
                func t(_ s: String?) -> SQLValue { s.map { .text($0) } ?? .null }
                try insert.run([.int(seq), .text(r.at), .text(r.principal), .text(r.action), .text(r.endpoint), t(r.layer),
                                r.grantID.map { .int($0) } ?? .null, t(r.purpose), t(r.area), t(r.datetime),
                                r.rows.map { .int(Int64($0)) } ?? .null, t(r.client), .text(r.outcome), .text(previous), .text(hash),
                                r.count.map { .int(Int64($0)) } ?? .null])
                previous = hash
                seqs.append(seq)
            }
            // The head is kept apart too: cutting records off the end leaves a chain that still fits.
            try c.prepare("INSERT INTO derived_state(key, value) VALUES ('audit_head', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                .run([.text(AuditChain.head(seq: seq, hash: previous))])
            return seqs
        }
    }

    static let auditColumns = "seq, at, principal, action, endpoint, layer, grant_id, purpose, area, datetime, rows, client, outcome, prev_hash, hash, count"

    static func readAudit(_ s: Statement) -> AuditEntry {
        AuditEntry(seq: s.int(0), record: AuditRecord(
            at: s.text(1) ?? "", principal: s.text(2) ?? "", action: s.text(3) ?? "", endpoint: s.text(4) ?? "", layer: s.text(5),
            grantID: s.isNull(6) ? nil : s.int(6), purpose: s.text(7), area: s.text(8), datetime: s.text(9),
            rows: s.isNull(10) ? nil : Int(s.int(10)), client: s.text(11), outcome: s.text(12) ?? "",
            count: s.isNull(15) ? nil : Int(s.int(15))),
            prevHash: s.text(13) ?? "", hash: s.text(14) ?? "")
    }

    public func auditEntries(_ q: AuditQuery) throws -> [AuditEntry] {
        try readers.with { c in
            let s = try c.cached("""
                SELECT \(Self.auditColumns) FROM audit_log
                WHERE seq > ?1 AND (?2 IS NULL OR principal = ?2 OR principal LIKE ?2 || '/%') AND (?3 IS NULL OR layer = ?3)
                  AND (?4 IS NULL OR action = ?4) AND (?5 IS NULL OR at >= ?5) AND (?6 IS NULL OR at < ?6)
                ORDER BY seq LIMIT ?7
                """)
            defer { s.reset() }
            func t(_ v: String?) -> SQLValue { v.map { .text($0) } ?? .null }
            try s.bind([.int(q.afterSeq), t(q.principal), t(q.layer), t(q.action), t(q.from), t(q.to), .int(Int64(q.limit))])
            var out: [AuditEntry] = []
            while try s.step() { out.append(Self.readAudit(s)) }
            return out
        }
    }

    public func verifyAudit() throws -> AuditVerification {
        let checkpoints = try auditCheckpoints()
        return try readers.with(timeLimited: false) { c in
            let s = try c.prepare("SELECT \(Self.auditColumns) FROM audit_log ORDER BY seq")
            defer { s.reset() }
            var verifier = AuditChain.LiveVerifier(checkpoints: checkpoints)
            while try s.step() {
                if let broken = verifier.check(Self.readAudit(s)) { return broken }
            }
            return verifier.finish(recordedHead: try c.prepare("SELECT value FROM derived_state WHERE key = 'audit_head'").firstText([]))
        }
    }

    private static let checkpointColumns = "kind, first_seq, last_seq, first_prev_hash, last_hash, records, signed_at, archive, key_id, signature"

    public func auditCheckpoints() throws -> [AuditCheckpoint] {
        try readers.with { c in
            let s = try c.prepare("SELECT \(Self.checkpointColumns) FROM audit_checkpoints ORDER BY id")
            defer { s.reset() }
            var out: [AuditCheckpoint] = []
            while try s.step() {
                out.append(AuditCheckpoint(kind: AuditCheckpoint.Kind(rawValue: s.text(0) ?? "") ?? .head, firstSeq: s.int(1), lastSeq: s.int(2),
                                           firstPrevHash: s.text(3) ?? "", lastHash: s.text(4) ?? "", records: Int(s.int(5)),
                                           signedAt: s.text(6) ?? "", archive: s.text(7), keyID: s.text(8) ?? "", signature: s.text(9) ?? ""))
            }
            return out
        }
    }

    private static func insertCheckpoint(_ k: AuditCheckpoint, _ c: SQLiteConnection) throws {
        try c.prepare("INSERT INTO audit_checkpoints(\(checkpointColumns)) VALUES (?,?,?,?,?,?,?,?,?,?)").run([
            .text(k.kind.rawValue), .int(k.firstSeq), .int(k.lastSeq), .text(k.firstPrevHash), .text(k.lastHash), .int(Int64(k.records)),
            .text(k.signedAt), k.archive.map { .text($0) } ?? .null, .text(k.keyID), .text(k.signature)])
    }

    public func addAuditCheckpoint(_ checkpoint: AuditCheckpoint) throws {
        try governanceWrite { c in
            let s = try c.prepare("SELECT hash FROM audit_log WHERE seq = ?")
            guard let hash = try s.firstText([.int(checkpoint.lastSeq)]), hash == checkpoint.lastHash else {
                throw StoreError("checkpoint: record \(checkpoint.lastSeq) is not in the log with hash \(checkpoint.lastHash.prefix(16))…")
            }
            try Self.insertCheckpoint(checkpoint, c)
        }
    }

    public func removeArchivedAudit(_ checkpoint: AuditCheckpoint) throws -> Int {
        try governanceWrite { c in
            let first = try c.prepare("SELECT seq, prev_hash FROM audit_log ORDER BY seq LIMIT 1")
            guard try first.step(), first.int(0) == checkpoint.firstSeq, first.text(1) == checkpoint.firstPrevHash else {
                first.reset()
                throw StoreError("archive: the live log no longer starts at record \(checkpoint.firstSeq); archive again")
            }
            first.reset()
            guard try c.prepare("SELECT hash FROM audit_log WHERE seq = ?").firstText([.int(checkpoint.lastSeq)]) == checkpoint.lastHash else {
                throw StoreError("archive: record \(checkpoint.lastSeq) changed since it was archived; archive again")
            }
            let n = Int(try c.prepare("SELECT count(*) FROM audit_log WHERE seq <= ?").firstText([.int(checkpoint.lastSeq)]) ?? "0") ?? 0
            try Self.insertCheckpoint(checkpoint, c)
            try c.prepare("DELETE FROM audit_log WHERE seq <= ?").run([.int(checkpoint.lastSeq)])
            return n
        }
    }

    // MARK: helpers

    static func timestamp() -> String { GovernanceRules.timestamp() }
}

extension Statement {
    /// The first row's first column as text (nil: no row or NULL); resets the statement.
    func firstText(_ args: [SQLValue]) throws -> String? {
        defer { reset() }
        try bind(args)
        guard try step() else { return nil }
        return text(0)
    }
}
