import Foundation
import OneMapStore

/// Problem reports in a SpatiaLite store: `ProblemLedger`'s SQL on the governance writer (one
/// `BEGIN IMMEDIATE` transaction per step) and on the readers.
extension SpatiaLiteStore: ProblemStore {
    public func problemTarget(layer: LayerInfo, id: Int64) throws -> ProblemTargetRow? {
        try readers.with { try ProblemLedger.target(SQLiteLedger($0), layer: layer, id: id) }
    }

    public func newestRowID(layer: LayerInfo) throws -> Int64 {
        try readers.with { try ProblemLedger.newestRow(SQLiteLedger($0), layer: layer) }
    }

    public func fileProblem(_ problem: NewProblem, owner: String, target: ProblemTargetRow?, newestRow: Int64,
                            by actor: ProblemActorName) throws -> Problem {
        guard let layer = try layer(id: problem.layer) else { throw StoreError("no layer '\(problem.layer)'", kind: .notFound) }
        let checked = try ProblemRules.checked(problem, layer: layer)
        let id = try governanceWrite { c in
            try ProblemLedger.file(SQLiteLedger(c), checked, owner: owner, target: target, newestRow: newestRow, by: actor,
                                   now: GovernanceRules.timestamp(), today: ISODate.string(.now))
        }
        guard let stored = try self.problem(id: id) else { throw StoreError("problem \(id) vanished", kind: .internal) }
        return stored
    }

    public func problem(id: Int64) throws -> Problem? {
        try readers.with { try ProblemLedger.problem(SQLiteLedger($0), id: id) }
    }

    public func problems(_ query: ProblemQuery) throws -> [Problem] {
        try readers.with { try ProblemLedger.problems(SQLiteLedger($0), query) }
    }

    public func advanceProblem(id: Int64, _ action: ProblemAction, by actor: ProblemActorName, note: String?, version: Int64?) throws -> Problem {
        let layer = try self.problem(id: id).flatMap { try self.layer(id: $0.layer) }
        try governanceWrite { c in
            try ProblemLedger.advance(SQLiteLedger(c), id: id, action, layer: layer, by: actor, note: note, version: version,
                                      now: GovernanceRules.timestamp(), today: ISODate.string(.now))
        }
        guard let p = try problem(id: id) else { throw StoreError("no problem \(id)", kind: .notFound) }
        return p
    }

    public func problemEvents(after afterID: Int64, limit: Int) throws -> [ProblemEvent] {
        try readers.with { try ProblemLedger.events(SQLiteLedger($0), after: afterID, limit: limit) }
    }

    public func problemEvents(problem id: Int64) throws -> [ProblemEvent] {
        try readers.with { try ProblemLedger.events(SQLiteLedger($0), problem: id) }
    }

    public func consistencyFindings(_ checks: Set<ConsistencyCheck>, layer: String?) throws -> [ConsistencyFinding] {
        let catalog = try layers()
        return try readers.with(timeLimited: false) { try ConsistencyLedger.findings(SQLiteLedger($0), checks: checks, layer: layer, catalog: catalog) }
    }

    public func problemWebhooks() throws -> [ProblemWebhook] {
        try readers.with { try WebhookLedger.all(SQLiteLedger($0)) }
    }

    public func setProblemWebhook(department: String, url: String, secret: String) throws {
        try governanceWrite { try WebhookLedger.set(SQLiteLedger($0), department: department, url: url, secret: secret, at: GovernanceRules.timestamp()) }
    }

    public func removeProblemWebhook(department: String) throws -> Bool {
        try governanceWrite { try WebhookLedger.remove(SQLiteLedger($0), department: department) }
    }

    public func recordWebhookDelivery(department: String, through event: Int64?, error: String?) throws {
        try governanceWrite { try WebhookLedger.record(SQLiteLedger($0), department: department, through: event, error: error, at: GovernanceRules.timestamp()) }
    }

    public func supplyPromises() throws -> [SupplyPromise] {
        try readers.with { try SupplyLedger.promises(SQLiteLedger($0)) }
    }

    public func setSupplyPromise(layer: String, everyDays: Int?, by: String) throws {
        guard try self.layer(id: layer) != nil else { throw StoreError("no layer '\(layer)'", kind: .notFound) }
        try governanceWrite { try SupplyLedger.promise(SQLiteLedger($0), layer: layer, everyDays: everyDays, by: by, at: GovernanceRules.timestamp()) }
    }

    public func supplyFigures(layer: LayerInfo, on day: String) throws -> LayerSupplyFigures? {
        try readers.with(timeLimited: false) { try SupplyLedger.figures(SQLiteLedger($0), layer: layer, on: day) }
    }

    public func problemAttachment(problem id: Int64) throws -> ProblemAttachment? {
        try readers.with { try ProblemLedger.attachment(SQLiteLedger($0), problem: id) }
    }
}

/// A SQLite connection as the shared ledgers use it (`?N` parameters are SQLite's own).
struct SQLiteLedger: LedgerConnection {
    let c: SQLiteConnection
    init(_ c: SQLiteConnection) { self.c = c }

    var dialect: LedgerDialect { .sqlite }

    func each(_ sql: String, _ args: [SQLValue], _ body: (any LedgerRow) throws -> Void) throws {
        let s = try c.cached(sql)
        defer { s.reset() }
        try s.bind(args)
        while try s.step() { try body(s.row) }
    }
}

extension StatementRow: LedgerRow {
    func bytes(_ col: Int) -> [UInt8]? { isNull(col) ? nil : s.withBlob(Int32(col)) { Array($0) } }
}
