/// The audit log's hash chain, the same in every backend (a database copied from one to another
/// still verifies): how a record's hash is made, and how a run of records is checked.
public enum AuditChain {
    /// The hash before the first record.
    public static let genesis = String(repeating: "0", count: 64)

    /// SHA-256 over the previous hash and the record's fields, each length-prefixed (no separator
    /// inside a value can make two different records hash alike), the sequence number included
    /// (a record moved or renumbered no longer fits).
    public static func hash(seq: Int64, _ r: AuditRecord, previous: String) -> String {
        var text = previous
        var parts: [String?] = [String(seq), r.at, r.principal, r.action, r.endpoint, r.layer, r.grantID.map { String($0) }, r.purpose,
                                r.area, r.datetime, r.rows.map { String($0) }, r.client, r.outcome]
        // Only aggregated records carry a count: records written before it existed hash as they did.
        if let n = r.count { parts.append("count=\(n)") }
        for p in parts {
            if let p { text += "|\(p.utf8.count):\(p)" } else { text += "|-" }
        }
        return Digest.sha256Hex(text)
    }

    /// Checks the live log record by record, in sequence order: each must follow the last, hash to
    /// what it says, and agree with every checkpoint that pinned it. Feed it with `check`, then
    /// ask `finish` with the recorded head.
    public struct LiveVerifier {
        private let base: AuditCheckpoint?
        private let pinned: [Int64: AuditCheckpoint]
        private let newestPinned: Int64?
        private var expectedSeq: Int64
        private var previous: String
        private var count = 0

        /// `checkpoints`: all of the database's; the live chain starts after the newest archive one.
        public init(checkpoints: [AuditCheckpoint]) {
            base = checkpoints.filter { $0.kind == .archive }.max { $0.lastSeq < $1.lastSeq }
            pinned = Dictionary(checkpoints.map { ($0.lastSeq, $0) }, uniquingKeysWith: { a, _ in a })
            newestPinned = checkpoints.map(\.lastSeq).max()
            expectedSeq = (base?.lastSeq ?? 0) + 1
            previous = base?.lastHash ?? AuditChain.genesis
        }

        /// Nil while the chain holds; the first break otherwise (stop reading there).
        public mutating func check(_ e: AuditEntry) -> AuditVerification? {
            if e.seq != expectedSeq {
                if count == 0 && e.seq < expectedSeq {
                    return .broken(seq: e.seq, reason: "record \(e.seq) is still in the log although checkpoint \(base?.lastSeq ?? 0) archived it")
                }
                return .broken(seq: e.seq, reason: e.seq > expectedSeq
                    ? "records \(expectedSeq)–\(e.seq - 1) are missing" : "sequence number \(e.seq) is out of order")
            }
            if e.prevHash != previous {
                return .broken(seq: e.seq, reason: count == 0 && base != nil
                    ? "it does not continue the archived chain (checkpoint at record \(base!.lastSeq))"
                    : "it does not follow record \(e.seq - 1) (previous hash differs)")
            }
            if AuditChain.hash(seq: e.seq, e.record, previous: previous) != e.hash {
                return .broken(seq: e.seq, reason: "its content was changed (hash differs)")
            }
            if let p = pinned[e.seq], p.lastHash != e.hash {
                return .broken(seq: e.seq, reason: "the chain was rewritten: a checkpoint signed at \(p.signedAt) pinned a different record \(e.seq)")
            }
            previous = e.hash
            expectedSeq += 1
            count += 1
            return nil
        }

        /// The verdict once every record passed `check`. `recordedHead`: the head the store keeps
        /// apart from the log (`seq:hash`), nil when it has none.
        public func finish(recordedHead head: String?) -> AuditVerification {
            if let head, head != AuditChain.head(seq: expectedSeq - 1, hash: previous) {
                let headSeq = Int64(head.split(separator: ":").first ?? "") ?? 0
                return .broken(seq: min(headSeq, expectedSeq), reason: "the log ends at record \(expectedSeq - 1) but its recorded head is record \(headSeq): records were cut off or rewritten")
            }
            if head == nil && count > 0 { return .broken(seq: 1, reason: "the recorded head of the log is missing") }
            if let newestPinned, newestPinned > expectedSeq - 1 {
                return .broken(seq: expectedSeq, reason: "a checkpoint pinned record \(newestPinned), but the log ends at record \(expectedSeq - 1)")
            }
            return .intact(records: count, head: previous)
        }
    }

    /// The head as stored beside the log: cutting records off the end leaves a chain that still
    /// fits, but no longer this head.
    public static func head(seq: Int64, hash: String) -> String { "\(seq):\(hash)" }

    /// Checks an archived run of records against the checkpoint that closed it.
    public struct ArchiveVerifier {
        private let checkpoint: AuditCheckpoint
        private var expected: Int64
        private var previous: String
        private var count = 0

        public init(checkpoint: AuditCheckpoint) {
            self.checkpoint = checkpoint
            expected = checkpoint.firstSeq
            previous = checkpoint.firstPrevHash
        }

        public mutating func check(_ e: AuditEntry) -> AuditVerification? {
            if e.seq != expected { return .broken(seq: e.seq, reason: "expected record \(expected) here") }
            if e.prevHash != previous { return .broken(seq: e.seq, reason: "it does not follow record \(e.seq - 1) (previous hash differs)") }
            if AuditChain.hash(seq: e.seq, e.record, previous: previous) != e.hash {
                return .broken(seq: e.seq, reason: "its content was changed (hash differs)")
            }
            previous = e.hash
            expected += 1
            count += 1
            return nil
        }

        public func finish() -> AuditVerification {
            guard count == checkpoint.records, expected - 1 == checkpoint.lastSeq, previous == checkpoint.lastHash else {
                return .broken(seq: expected, reason: "the archive holds records \(checkpoint.firstSeq)–\(expected - 1) (\(count)), but its checkpoint states \(checkpoint.firstSeq)–\(checkpoint.lastSeq) (\(checkpoint.records))")
            }
            return .intact(records: count, head: previous)
        }
    }
}
