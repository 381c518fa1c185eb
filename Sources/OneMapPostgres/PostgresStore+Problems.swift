import Foundation
import OneMapStore

/// Problem reports in PostgreSQL: `ProblemLedger`'s SQL in a write transaction per step (the
/// problem's row locked), and on the readers.
extension PostgresStore: ProblemStore {
    public func problemTarget(layer: LayerInfo, id: Int64) throws -> ProblemTargetRow? {
        try readers.with { try ProblemLedger.target(PGLedger($0), layer: layer, id: id) }
    }

    public func newestRowID(layer: LayerInfo) throws -> Int64 {
        try readers.with { try ProblemLedger.newestRow(PGLedger($0), layer: layer) }
    }

    public func fileProblem(_ problem: NewProblem, owner: String, target: ProblemTargetRow?, newestRow: Int64,
                            by actor: ProblemActorName) throws -> Problem {
        guard let layer = try layer(id: problem.layer) else { throw StoreError("no layer '\(problem.layer)'", kind: .notFound) }
        let checked = try ProblemRules.checked(problem, layer: layer)
        let id = try write { c in
            try ProblemLedger.file(PGLedger(c), checked, owner: owner, target: target, newestRow: newestRow, by: actor,
                                   now: GovernanceRules.timestamp(), today: ISODate.string(.now))
        }
        guard let stored = try self.problem(id: id) else { throw StoreError("problem \(id) vanished", kind: .internal) }
        return stored
    }

    public func problem(id: Int64) throws -> Problem? {
        try readers.with { try ProblemLedger.problem(PGLedger($0), id: id) }
    }

    public func problems(_ query: ProblemQuery) throws -> [Problem] {
        try readers.with { try ProblemLedger.problems(PGLedger($0), query) }
    }

    public func advanceProblem(id: Int64, _ action: ProblemAction, by actor: ProblemActorName, note: String?, version: Int64?) throws -> Problem {
        let layer = try self.problem(id: id).flatMap { try self.layer(id: $0.layer) }
        try write { c in
            try ProblemLedger.advance(PGLedger(c), id: id, action, layer: layer, by: actor, note: note, version: version,
                                      now: GovernanceRules.timestamp(), today: ISODate.string(.now))
        }
        guard let p = try problem(id: id) else { throw StoreError("no problem \(id)", kind: .notFound) }
        return p
    }

    public func problemEvents(after afterID: Int64, limit: Int) throws -> [ProblemEvent] {
        try readers.with { try ProblemLedger.events(PGLedger($0), after: afterID, limit: limit) }
    }

    public func problemEvents(problem id: Int64) throws -> [ProblemEvent] {
        try readers.with { try ProblemLedger.events(PGLedger($0), problem: id) }
    }

    public func consistencyFindings(_ checks: Set<ConsistencyCheck>, layer: String?) throws -> [ConsistencyFinding] {
        let catalog = try layers()
        return try readers.with(timeLimited: false) { try ConsistencyLedger.findings(PGLedger($0), checks: checks, layer: layer, catalog: catalog) }
    }

    public func problemWebhooks() throws -> [ProblemWebhook] {
        try readers.with { try WebhookLedger.all(PGLedger($0)) }
    }

    public func setProblemWebhook(department: String, url: String, secret: String) throws {
        try write { try WebhookLedger.set(PGLedger($0), department: department, url: url, secret: secret, at: GovernanceRules.timestamp()) }
    }

    public func removeProblemWebhook(department: String) throws -> Bool {
        try write { try WebhookLedger.remove(PGLedger($0), department: department) }
    }

    public func recordWebhookDelivery(department: String, through event: Int64?, error: String?) throws {
        try write { try WebhookLedger.record(PGLedger($0), department: department, through: event, error: error, at: GovernanceRules.timestamp()) }
    }

    public func supplyPromises() throws -> [SupplyPromise] {
        try readers.with { try SupplyLedger.promises(PGLedger($0)) }
    }

    public func setSupplyPromise(layer: String, everyDays: Int?, by: String) throws {
        guard try self.layer(id: layer) != nil else { throw StoreError("no layer '\(layer)'", kind: .notFound) }
        try write { try SupplyLedger.promise(PGLedger($0), layer: layer, everyDays: everyDays, by: by, at: GovernanceRules.timestamp()) }
    }

    public func supplyFigures(layer: LayerInfo, on day: String) throws -> LayerSupplyFigures? {
        try readers.with(timeLimited: false) { try SupplyLedger.figures(PGLedger($0), layer: layer, on: day) }
    }

    public func problemAttachment(problem id: Int64) throws -> ProblemAttachment? {
        try readers.with { try ProblemLedger.attachment(PGLedger($0), problem: id) }
    }
}

/// A PostgreSQL connection as the shared ledgers use it: `?N` parameters become `$N`.
struct PGLedger: LedgerConnection {
    let c: PGConnection
    init(_ c: PGConnection) { self.c = c }

    var dialect: LedgerDialect { .postgres }

    func each(_ sql: String, _ args: [SQLValue], _ body: (any LedgerRow) throws -> Void) throws {
        let result = try c.query(Self.numbered(sql), args, prepare: true)
        for r in result.all { try body(r) }
    }

    /// `?12` → `$12` (the ledger's SQL holds no other question marks).
    static func numbered(_ sql: String) -> String {
        var out = "", chars = Array(sql), i = 0
        while i < chars.count {
            if chars[i] == "?", i + 1 < chars.count, chars[i + 1].isNumber { out.append("$") } else { out.append(chars[i]) }
            i += 1
        }
        return out
    }
}

extension PGRow: LedgerRow {}
