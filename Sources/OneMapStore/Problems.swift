import OneMapGeo

/// Where a problem report stands (发现、提交、纠治、反馈确认). The owner department accepts or rejects
/// an open problem; an accepted (or still open) one is corrected, by a linked import or edit or,
/// for an automatic finding, by the data no longer showing it; the reporter confirms the
/// correction or reopens it, and may reopen a rejection.
public enum ProblemState: String, Sendable, Codable, CaseIterable {
    case open, accepted, rejected, corrected, confirmed

    /// States in which the owner still owes a correction (a deadline runs).
    public var awaitsCorrection: Bool { self == .open || self == .accepted }
}

/// How soon the owner must correct; the deadline follows from it.
public enum ProblemPriority: String, Sendable, Codable, CaseIterable {
    case urgent, high, normal, low

    /// Calendar days from filing (or reopening) to the deadline.
    public var daysToCorrect: Int {
        switch self {
        case .urgent: 3
        case .high: 7
        case .normal: 15
        case .low: 30
        }
    }
}

/// A step in a problem's life, and who may take it.
public enum ProblemAction: String, Sendable, Codable, CaseIterable {
    case file, accept, reject, correct, confirm, reopen

    /// Who takes the step: the owner department of the data, or the reporter.
    public enum Actor: String, Sendable { case owner, reporter }

    public var actor: Actor {
        switch self {
        case .accept, .reject, .correct: .owner
        case .file, .confirm, .reopen: .reporter
        }
    }
}

/// A problem report against data: one version of a feature or one person or business record
/// (`targetID`, its row id), or a whole layer (`targetID` nil).
public struct Problem: Sendable, Hashable {
    public let id: Int64
    public let layer: String
    public let targetID: Int64?
    /// The target's entity key (building code, area code, person key, credit code, a department
    /// layer's key): stable across versions, so the correction is a later version of the same entity.
    public let entityKey: String?
    public let field: String?
    public let description: String
    public let proposedValue: String?
    public let evidence: String?
    /// EPSG:4490 lon/lat: the reporter's location, else the target's (a feature's box centre, a
    /// record's building centroid); nil for a whole layer without one.
    public let location: Geometry?
    /// The layer's owner when the problem was filed: the department that must correct.
    public let owner: String
    /// The reporting department's code.
    public let reporter: String
    public let priority: ProblemPriority
    public let state: ProblemState
    /// ISO 8601 UTC timestamps.
    public let filedAt: String
    public let updatedAt: String
    /// The last day (UTC+8, YYYY-MM-DD) by which the correction is due.
    public let deadline: String
    /// How many times the reporter reopened it.
    public let reopened: Int
    /// The version (row id in `layer`) that corrected it, when one was linked.
    public let correctionVersion: Int64?
    /// The layer's newest row id when the problem was filed: a correction is a newer row.
    public let newestRowAtFiling: Int64
    /// The automatic check that found it (nil: filed by a person).
    public let check: String?
    /// What identifies an automatic finding across runs (deduplication).
    public let fingerprint: String?
    public let attachment: ProblemAttachmentInfo?

    package init(id: Int64, layer: String, targetID: Int64?, entityKey: String?, field: String?, description: String,
                 proposedValue: String?, evidence: String?, location: Geometry?, owner: String, reporter: String,
                 priority: ProblemPriority, state: ProblemState, filedAt: String, updatedAt: String, deadline: String,
                 reopened: Int, correctionVersion: Int64?, newestRowAtFiling: Int64, check: String?, fingerprint: String?,
                 attachment: ProblemAttachmentInfo?) {
        self.id = id; self.layer = layer; self.targetID = targetID; self.entityKey = entityKey; self.field = field
        self.description = description; self.proposedValue = proposedValue; self.evidence = evidence; self.location = location
        self.owner = owner; self.reporter = reporter; self.priority = priority; self.state = state; self.filedAt = filedAt
        self.updatedAt = updatedAt; self.deadline = deadline; self.reopened = reopened; self.correctionVersion = correctionVersion
        self.newestRowAtFiling = newestRowAtFiling; self.check = check; self.fingerprint = fingerprint; self.attachment = attachment
    }

    /// Past its deadline on `day` (YYYY-MM-DD) and still owed a correction.
    public func isOverdue(on day: String) -> Bool { state.awaitsCorrection && day > deadline }
}

/// An attachment's description (its bytes are read apart).
public struct ProblemAttachmentInfo: Sendable, Hashable {
    public let name: String
    public let mediaType: String
    public let size: Int
    public let sha256: String

    package init(name: String, mediaType: String, size: Int, sha256: String) {
        self.name = name; self.mediaType = mediaType; self.size = size; self.sha256 = sha256
    }
}

/// Evidence as filed: a file of a few megabytes at most.
public struct ProblemAttachment: Sendable {
    public let name: String
    public let mediaType: String
    public let bytes: [UInt8]

    public init(name: String, mediaType: String, bytes: [UInt8]) { self.name = name; self.mediaType = mediaType; self.bytes = bytes }
}

/// What a reporter files.
public struct NewProblem: Sendable {
    public var layer: String
    public var targetID: Int64?
    public var field: String?
    public var description: String
    public var proposedValue: String?
    public var evidence: String?
    public var attachment: ProblemAttachment?
    /// EPSG:4490 lon/lat.
    public var location: Geometry?
    public var priority: ProblemPriority
    /// The reporting department.
    public var reporter: String
    public var check: String?
    public var fingerprint: String?

    public init(layer: String, targetID: Int64? = nil, field: String? = nil, description: String, proposedValue: String? = nil,
                evidence: String? = nil, attachment: ProblemAttachment? = nil, location: Geometry? = nil,
                priority: ProblemPriority = .normal, reporter: String, check: String? = nil, fingerprint: String? = nil) {
        self.layer = layer; self.targetID = targetID; self.field = field; self.description = description
        self.proposedValue = proposedValue; self.evidence = evidence; self.attachment = attachment; self.location = location
        self.priority = priority; self.reporter = reporter; self.check = check; self.fingerprint = fingerprint
    }
}

/// Who took a step: the audit name of the caller (`SMGA/om_ab12cd34`, `cli:check`) and its department.
public struct ProblemActorName: Sendable, Hashable {
    public let principal: String
    public let department: String?
    public init(principal: String, department: String?) { self.principal = principal; self.department = department }
}

/// One step in a problem's history; its id orders the departments' feeds.
public struct ProblemEvent: Sendable, Hashable {
    public let id: Int64
    public let problemID: Int64
    public let at: String
    public let principal: String
    public let department: String?
    public let action: ProblemAction
    public let from: ProblemState?
    public let to: ProblemState
    public let note: String?
    /// The correcting version, for `correct`.
    public let version: Int64?

    package init(id: Int64, problemID: Int64, at: String, principal: String, department: String?, action: ProblemAction,
                 from: ProblemState?, to: ProblemState, note: String?, version: Int64?) {
        self.id = id; self.problemID = problemID; self.at = at; self.principal = principal; self.department = department
        self.action = action; self.from = from; self.to = to; self.note = note; self.version = version
    }
}

/// Which problems to list (every condition holds; nil or empty = any).
public struct ProblemQuery: Sendable {
    public var layers: Set<String>?
    public var owner: String?
    public var reporter: String?
    public var states: Set<ProblemState> = []
    public var priorities: Set<ProblemPriority> = []
    /// Filed on or after this day / before this day (YYYY-MM-DD).
    public var filedFrom: String?
    public var filedBefore: String?
    /// Lon/lat box the problem's location meets.
    public var bbox: BBox?
    /// Overdue on this day.
    public var overdueOn: String?
    public var check: String?
    public init() {}
}

/// A row a problem can point at, as the store finds it.
public struct ProblemTargetRow: Sendable, Hashable {
    public let id: Int64
    /// Nil where the row has no key (a person record loaded without one).
    public let entityKey: String?
    /// Where it is (EPSG:4490): a feature's box centre, a record's building centroid.
    public let point: Position?

    package init(id: Int64, entityKey: String?, point: Position?) { self.id = id; self.entityKey = entityKey; self.point = point }
}

/// Problem reports and their history, kept beside the governance data (both backends alike).
public protocol ProblemStore: Sendable {
    /// Row `id` of `layer` (a feature version or a person or business record), nil when none.
    func problemTarget(layer: LayerInfo, id: Int64) throws -> ProblemTargetRow?
    /// The layer's newest row id (0: empty).
    func newestRowID(layer: LayerInfo) throws -> Int64
    /// Stores a problem (checked by `ProblemRules`) with its `file` event, in one transaction.
    func fileProblem(_ problem: NewProblem, owner: String, target: ProblemTargetRow?, newestRow: Int64, by actor: ProblemActorName) throws -> Problem
    func problem(id: Int64) throws -> Problem?
    /// Problems matching `query`, newest first.
    func problems(_ query: ProblemQuery) throws -> [Problem]
    /// Takes one step of the life cycle, if the problem's state allows it now (checked in the
    /// write transaction: two callers cannot both take it); records the event.
    func advanceProblem(id: Int64, _ action: ProblemAction, by actor: ProblemActorName, note: String?, version: Int64?) throws -> Problem
    /// Events after `afterID`, in order, at most `limit`.
    func problemEvents(after afterID: Int64, limit: Int) throws -> [ProblemEvent]
    /// A problem's history, in order.
    func problemEvents(problem id: Int64) throws -> [ProblemEvent]
    func problemAttachment(problem id: Int64) throws -> ProblemAttachment?
    /// What the consistency checks `checks` find in the data in force now; `layer`: geometries of
    /// that layer only (nil: every layer).
    func consistencyFindings(_ checks: Set<ConsistencyCheck>, layer: String?) throws -> [ConsistencyFinding]

    /// Departments' webhooks for problem events.
    func problemWebhooks() throws -> [ProblemWebhook]
    func setProblemWebhook(department: String, url: String, secret: String) throws
    /// False when the department had none.
    func removeProblemWebhook(department: String) throws -> Bool
    /// A delivery's outcome: delivered through `event`, or failed with `error`.
    func recordWebhookDelivery(department: String, through event: Int64?, error: String?) throws

    /// The owners' promised update intervals, by layer.
    func supplyPromises() throws -> [SupplyPromise]
    /// Declares (or, with nil, withdraws) a layer's promised update interval.
    func setSupplyPromise(layer: String, everyDays: Int?, by: String) throws
    /// The layer's records and completeness on `day` (nil: a layer without rows of its own).
    func supplyFigures(layer: LayerInfo, on day: String) throws -> LayerSupplyFigures?
}
