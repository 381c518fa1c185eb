import Foundation
import OneMapStore

/// One run of the consistency checks (after an import, or `onemap check`): every finding becomes
/// a problem owned by the department that produced the data and reported by the data centre,
/// once (a finding already filed is not filed again; one seen again after its correction is
/// reopened); a problem whose finding the data no longer shows is closed as corrected and waits
/// for the data centre's confirmation.
public struct CheckRun: Sendable {
    public struct Outcome: Sendable, Equatable {
        public var found = 0, filed = 0, reopened = 0, closed = 0, unchanged = 0
        public init() {}
    }

    public let checks: [ConsistencyCheck]
    /// The layer a limited run looks at (nil: all).
    public let layer: String?
    /// Who the audit and the problems' history name (`cli:check`, `cli:import`).
    public let principal: String

    /// The checks of `layer` (nil: every check).
    public init(layer: String? = nil, principal: String = "cli:check") {
        checks = ConsistencyCheck.allCases.filter { layer == nil || $0.concerns(layer!) }
        self.layer = layer
        self.principal = principal
    }

    public init(checks: [ConsistencyCheck], principal: String) { self.checks = checks; self.layer = nil; self.principal = principal }

    /// Runs the checks against `store`; returns what happened per check, and the problems touched.
    public func run(on store: any FeatureStore & GovernanceStore & ProblemStore) throws -> (outcomes: [ConsistencyCheck: Outcome], problems: [Int64]) {
        guard let centre = try store.departments().first(where: { $0.role == .administrator }) else {
            throw StoreError("no department has the administrator role (the data centre), which reports the checks' findings; add one with onemap dept add CODE NAME --administrator")
        }
        let actor = ProblemActorName(principal: principal, department: centre.code)
        let findings = try store.consistencyFindings(Set(checks), layer: layer)
        var live: [String: Problem] = [:]
        for check in checks {
            var q = ProblemQuery()
            q.check = check.rawValue
            q.states = [.open, .accepted, .rejected, .corrected]
            // Geometries were checked in the run's layer only: other layers' findings stand.
            if check == .invalidGeometry, let layer { q.layers = [layer] }
            for p in try store.problems(q) { if let f = p.fingerprint { live[f] = p } }
        }
        var outcomes = Dictionary(uniqueKeysWithValues: checks.map { ($0, Outcome()) })
        var touched: [Int64] = []
        var seen: Set<String> = []
        // Every step goes into the audit chain, as the HTTP steps do.
        var audit: [AuditRecord] = []
        func audited(_ p: Problem, _ outcome: String) {
            touched.append(p.id)
            audit.append(AuditRecord(at: GovernanceRules.timestamp(), principal: principal, action: "problem", endpoint: "onemap check",
                                     layer: p.layer, rows: 1, outcome: "problem \(p.id) \(outcome)"))
        }
        do {
            try apply(findings, live: live, store: store, actor: actor, centre: centre.code, outcomes: &outcomes, seen: &seen, audited: audited)
        } catch {
            // The steps taken before the failure stand: they are audited all the same.
            if !audit.isEmpty { try store.appendAudit(audit) }
            throw error
        }
        if !audit.isEmpty { try store.appendAudit(audit) }
        return (outcomes, touched)
    }

    private func apply(_ findings: [ConsistencyFinding], live: [String: Problem], store: any FeatureStore & GovernanceStore & ProblemStore,
                       actor: ProblemActorName, centre: String, outcomes: inout [ConsistencyCheck: Outcome], seen: inout Set<String>,
                       audited: (Problem, String) -> Void) throws {
        for f in findings where seen.insert(f.fingerprint).inserted {
            outcomes[f.check, default: Outcome()].found += 1
            if let p = live[f.fingerprint] {
                if p.state == .corrected {
                    audited(try store.advanceProblem(id: p.id, .reopen, by: actor, note: "检查再次发现 (\(f.check.rawValue) finds it again)", version: nil),
                            "corrected -> open")
                    outcomes[f.check]!.reopened += 1
                } else {
                    outcomes[f.check]!.unchanged += 1
                }
                continue
            }
            guard let layer = try store.layer(id: f.layer) else { continue }
            let target = try store.problemTarget(layer: layer, id: f.rowID)
            let filed = try store.fileProblem(
                NewProblem(layer: f.layer, targetID: target?.id, field: f.field, description: f.description, priority: .normal,
                           reporter: centre, check: f.check.rawValue, fingerprint: f.fingerprint),
                owner: layer.ownerDepartment, target: target, newestRow: try store.newestRowID(layer: layer), by: actor)
            outcomes[f.check]!.filed += 1
            audited(filed, "filed")
        }
        // What the data no longer shows is corrected (a rejected finding stays as the owner decided).
        for (fingerprint, p) in live.sorted(by: { $0.value.id < $1.value.id }) where !seen.contains(fingerprint) && p.state.awaitsCorrection {
            guard let check = p.check.flatMap(ConsistencyCheck.init(rawValue:)) else { continue }
            audited(try store.advanceProblem(id: p.id, .correct, by: actor, note: "检查不再发现 (\(check.rawValue) no longer finds it)", version: nil),
                    "\(p.state.rawValue) -> corrected")
            outcomes[check, default: Outcome()].closed += 1
        }
    }
}
