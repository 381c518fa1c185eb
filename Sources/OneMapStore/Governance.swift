import OneMapGeo

/// A department's role: the data center (大数据管理中心) administers sharing; others own and use data.
public enum DepartmentRole: String, Sendable, Codable {
    case department, administrator
}

public struct Department: Sendable, Hashable, Codable {
    public let code: String
    public let name: String
    public let role: DepartmentRole

    public init(code: String, name: String, role: DepartmentRole = .department) {
        self.code = code; self.name = name; self.role = role
    }
}

/// An API key as stored: never the key itself, only its SHA-256 and a short prefix to name it by.
public struct APIKeyInfo: Sendable, Hashable {
    public let id: Int64
    public let department: String
    /// The first characters of the key (`om_ab12cd34`), enough to tell keys apart in lists.
    public let prefix: String
    public let label: String
    public let createdAt: String
    /// ISO date (UTC+8) from which the key no longer works; nil = no expiry.
    public let expiresAt: String?
    public let revokedAt: String?

    public init(id: Int64, department: String, prefix: String, label: String, createdAt: String, expiresAt: String?, revokedAt: String?) {
        self.id = id; self.department = department; self.prefix = prefix; self.label = label
        self.createdAt = createdAt; self.expiresAt = expiresAt; self.revokedAt = revokedAt
    }

    /// Usable on `day` (YYYY-MM-DD): not revoked and not expired.
    public func isUsable(on day: String) -> Bool {
        revokedAt == nil && (expiresAt.map { day < $0 } ?? true)
    }
}

/// Where a grant applies: administrative areas (by code, with everything inside them) or a polygon.
public struct GrantArea: Sendable, Hashable {
    public let codes: [String]
    /// EPSG:4490 lon/lat polygon or multipolygon.
    public let geometry: Geometry?

    public init(codes: [String] = [], geometry: Geometry? = nil) { self.codes = codes; self.geometry = geometry }
}

public enum ApplicationStatus: String, Sendable, Codable, CaseIterable {
    case pending, approved, rejected, revoked
}

/// What a grant is for beyond reading its layer's records: `profiles`, the one-person /
/// one-enterprise files (一人一档、一企一档) of a population or business grant.
public enum ApplicationUse: String, Sendable, Codable, CaseIterable {
    case profiles
}

/// An application for data (有条件共享 申请); approved, it is a grant.
public struct ShareApplication: Sendable, Hashable {
    public let id: Int64
    public let department: String
    public let layer: String
    public let fields: [String]
    public let purpose: String
    public let area: GrantArea?
    /// Validity [validFrom, validTo) as ISO dates.
    public let validFrom: String
    public let validTo: String
    public let status: ApplicationStatus
    public let submittedAt: String
    public let decidedBy: String?
    public let decidedAt: String?
    public let decisionNote: String?
    /// What the grant covers beyond the records (profiles).
    public let uses: Set<ApplicationUse>

    public init(id: Int64, department: String, layer: String, fields: [String], purpose: String, area: GrantArea?,
                validFrom: String, validTo: String, status: ApplicationStatus, submittedAt: String,
                decidedBy: String?, decidedAt: String?, decisionNote: String?, uses: Set<ApplicationUse> = []) {
        self.id = id; self.department = department; self.layer = layer; self.fields = fields; self.purpose = purpose
        self.area = area; self.validFrom = validFrom; self.validTo = validTo; self.status = status
        self.submittedAt = submittedAt; self.decidedBy = decidedBy; self.decidedAt = decidedAt; self.decisionNote = decisionNote
        self.uses = uses
    }

    /// An approved grant in force on `day`.
    public func isActive(on day: String) -> Bool {
        status == .approved && validFrom <= day && day < validTo
    }
}

/// What a department asks for.
public struct NewApplication: Sendable {
    public var department: String
    public var layer: String
    public var fields: [String]
    public var purpose: String
    public var area: GrantArea?
    public var validFrom: String
    public var validTo: String
    public var uses: Set<ApplicationUse>

    public init(department: String, layer: String, fields: [String], purpose: String, area: GrantArea?, validFrom: String, validTo: String,
                uses: Set<ApplicationUse> = []) {
        self.department = department; self.layer = layer; self.fields = fields; self.purpose = purpose
        self.area = area; self.validFrom = validFrom; self.validTo = validTo; self.uses = uses
    }
}

/// One audited event: a data access or a change (谁经手，谁负责). Free text never holds personal data:
/// areas are codes or boxes, and query strings are not recorded.
public struct AuditRecord: Sendable, Hashable {
    public var at: String
    /// `anonymous`, or a department code with the key prefix (`SMGA/om_ab12cd34`), or `cli:user`.
    public var principal: String
    /// `read`, `change`, `grant` or `key`.
    public var action: String
    /// Method and route, e.g. `GET /collections/{id}/items`.
    public var endpoint: String
    public var layer: String?
    public var grantID: Int64?
    public var purpose: String?
    /// Administrative code, bbox or a polygon's box.
    public var area: String?
    public var datetime: String?
    public var rows: Int?
    public var client: String?
    /// HTTP status or `ok`/`refused`, with a short reason for refusals.
    public var outcome: String
    /// How many reads the record stands for (tile reads of one caller, layer, grant and minute);
    /// nil for a single event.
    public var count: Int?

    public init(at: String, principal: String, action: String, endpoint: String, layer: String? = nil, grantID: Int64? = nil,
                purpose: String? = nil, area: String? = nil, datetime: String? = nil, rows: Int? = nil, client: String? = nil,
                outcome: String, count: Int? = nil) {
        self.at = at; self.principal = principal; self.action = action; self.endpoint = endpoint; self.layer = layer
        self.grantID = grantID; self.purpose = purpose; self.area = area; self.datetime = datetime; self.rows = rows
        self.client = client; self.outcome = outcome; self.count = count
    }
}

/// A signed statement that the audit chain ran from `firstSeq` (following `firstPrevHash`) to
/// `lastSeq` (ending in `lastHash`) over `records` records. The signature is an HMAC-SHA-256 with
/// a key kept outside the database, so whoever can write the database cannot re-sign a rewritten
/// chain. `archive` checkpoints close records moved to an archive file (the live chain then
/// continues from `lastHash`); `head` checkpoints pin the chain's head at a moment.
public struct AuditCheckpoint: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable { case archive, head }
    public var kind: Kind
    public var firstSeq: Int64
    public var lastSeq: Int64
    public var firstPrevHash: String
    public var lastHash: String
    public var records: Int
    public var signedAt: String
    /// The archive file's name (archive checkpoints).
    public var archive: String?
    /// Which key signed (the first 16 hex digits of its SHA-256): verification names a wrong key.
    public var keyID: String
    public var signature: String

    public init(kind: Kind, firstSeq: Int64, lastSeq: Int64, firstPrevHash: String, lastHash: String, records: Int, signedAt: String,
                archive: String?, keyID: String = "", signature: String = "") {
        self.kind = kind; self.firstSeq = firstSeq; self.lastSeq = lastSeq; self.firstPrevHash = firstPrevHash; self.lastHash = lastHash
        self.records = records; self.signedAt = signedAt; self.archive = archive; self.keyID = keyID; self.signature = signature
    }

    /// What is signed: every field but the signature, length-prefixed.
    public var signedText: String {
        let parts = ["onemap-audit-checkpoint-v1", kind.rawValue, String(firstSeq), String(lastSeq), firstPrevHash, lastHash,
                     String(records), signedAt, archive ?? "-", keyID]
        return parts.map { "\($0.utf8.count):\($0)" }.joined(separator: "|")
    }

    /// Signed with `key`.
    public func signed(with key: [UInt8]) -> AuditCheckpoint {
        var c = self
        c.keyID = Self.keyID(key)
        c.signature = Digest.hmacSHA256Hex(key: key, c.signedText)
        return c
    }

    /// Whether the signature is this content's under `key` (compared in constant time).
    public func isSigned(by key: [UInt8]) -> Bool {
        keyID == Self.keyID(key) && Digest.constantTimeEqual(Digest.hmacSHA256Hex(key: key, signedText), signature)
    }

    public static func keyID(_ key: [UInt8]) -> String { String(Digest.sha256Hex(key).prefix(16)) }
}

/// A stored audit record with its place in the chain.
public struct AuditEntry: Sendable, Hashable {
    public let seq: Int64
    public let record: AuditRecord
    public let prevHash: String
    public let hash: String

    package init(seq: Int64, record: AuditRecord, prevHash: String, hash: String) {
        self.seq = seq; self.record = record; self.prevHash = prevHash; self.hash = hash
    }
}

/// Which audit records to list (all conditions hold; nil = any).
public struct AuditQuery: Sendable {
    public var principal: String?
    public var layer: String?
    public var action: String?
    /// ISO timestamps or dates: `at >= from` and `at < to`.
    public var from: String?
    public var to: String?
    public var limit = 1000
    public var afterSeq: Int64 = 0

    public init() {}
}

/// The result of checking the audit chain.
public enum AuditVerification: Sendable, Equatable {
    case intact(records: Int, head: String)
    /// The first record that does not fit the chain (`seq`), and why.
    case broken(seq: Int64, reason: String)
}

/// Governance data: departments, keys, applications and grants, layer classification, the audit
/// log. A PostGIS backend implements it beside `FeatureStore`.
public protocol GovernanceStore: Sendable {
    func departments() throws -> [Department]
    func addDepartment(_ department: Department) throws
    /// Stores a key's hash; the key itself is shown once by the caller and never stored.
    func addKey(department: String, hash: String, prefix: String, label: String, expiresAt: String?) throws -> APIKeyInfo
    func keys(department: String?) throws -> [APIKeyInfo]
    /// Revokes the key whose prefix (or full key's hash) is given; nil when there is none.
    func revokeKey(prefix: String) throws -> APIKeyInfo?
    /// The key with this hash and its department (revoked and expired keys too: the caller decides).
    func keyHolder(hash: String) throws -> (APIKeyInfo, Department)?

    func submitApplication(_ application: NewApplication) throws -> ShareApplication
    func application(id: Int64) throws -> ShareApplication?
    /// Applications by a department, or for layers a department owns, or all (both nil).
    func applications(byDepartment: String?, forOwner: String?) throws -> [ShareApplication]
    func decideApplication(id: Int64, status: ApplicationStatus, by: String, note: String?) throws -> ShareApplication

    /// Changes a layer's share class, owner, openness or field sensitivities (nil: unchanged).
    func classifyLayer(id: String, shareClass: ShareClass?, owner: String?, open: Bool?,
                       sensitivities: [String: FieldSensitivity]) throws -> LayerInfo

    /// Appends records to the hash chain in one transaction; returns their sequence numbers.
    @discardableResult func appendAudit(_ records: [AuditRecord]) throws -> [Int64]
    func auditEntries(_ query: AuditQuery) throws -> [AuditEntry]
    /// Recomputes the live chain from its first record (the genesis, or the archive checkpoint it
    /// continues) and names the first that does not fit; a record a checkpoint pinned must still
    /// end in the pinned hash. Signatures are checked above the store, which has no key.
    func verifyAudit() throws -> AuditVerification
    func auditCheckpoints() throws -> [AuditCheckpoint]
    /// Records a signed head checkpoint.
    func addAuditCheckpoint(_ checkpoint: AuditCheckpoint) throws
    /// In one transaction: checks that the live chain starts at `checkpoint.firstSeq` after
    /// `firstPrevHash` and that record `lastSeq` ends in `lastHash`, records the checkpoint, and
    /// deletes the records it closes (they are in its archive file). Returns how many went.
    func removeArchivedAudit(_ checkpoint: AuditCheckpoint) throws -> Int
}
