import OneMapStore
import Foundation

/// An audit archive: the records of closed months moved out of the live log, in an SQLite file of
/// their own (`audit_log`, as the live table, and `checkpoint`, the signed statement that closes
/// them). Anyone can open it with sqlite3; `verify` recomputes its chain and compares it with the
/// checkpoint. The signature is checked by the caller, who holds the key.
public enum AuditArchive {
    public struct ArchiveError: Error, CustomStringConvertible {
        public let description: String
        init(_ d: String) { description = d }
    }

    /// Writes an archive record by record into `path.part`; `finish` adds the checkpoint and
    /// renames the file into place, so a half-written archive never takes the name.
    public final class Writer {
        private let connection: SQLiteConnection
        private let insert: Statement
        private let path: String
        private var finished = false
        public private(set) var first: AuditEntry?
        public private(set) var last: AuditEntry?
        public private(set) var count = 0

        public init(path: String) throws {
            self.path = path
            let part = path + ".part"
            for suffix in ["", "-journal"] where FileManager.default.fileExists(atPath: part + suffix) {
                try FileManager.default.removeItem(atPath: part + suffix)
            }
            connection = try SQLiteConnection(path: part, newFile: true)
            try connection.exec("""
                CREATE TABLE audit_log (
                  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, principal TEXT NOT NULL, action TEXT NOT NULL,
                  endpoint TEXT NOT NULL, layer TEXT, grant_id INTEGER, purpose TEXT, area TEXT, datetime TEXT,
                  rows INTEGER, client TEXT, outcome TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, count INTEGER)
                """)
            try connection.exec("""
                CREATE TABLE checkpoint (
                  kind TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, first_prev_hash TEXT NOT NULL,
                  last_hash TEXT NOT NULL, records INTEGER NOT NULL, signed_at TEXT NOT NULL, archive TEXT, key_id TEXT NOT NULL,
                  signature TEXT NOT NULL)
                """)
            try connection.exec("BEGIN")
            insert = try connection.prepare("INSERT INTO audit_log(\(SpatiaLiteStore.auditColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        }

        public func append(_ e: AuditEntry) throws {
            let r = e.record
            func t(_ s: String?) -> SQLValue { s.map { .text($0) } ?? .null }
            try insert.run([.int(e.seq), .text(r.at), .text(r.principal), .text(r.action), .text(r.endpoint), t(r.layer),
                            r.grantID.map { .int($0) } ?? .null, t(r.purpose), t(r.area), t(r.datetime), r.rows.map { .int(Int64($0)) } ?? .null,
                            t(r.client), .text(r.outcome), .text(e.prevHash), .text(e.hash), r.count.map { .int(Int64($0)) } ?? .null])
            if first == nil { first = e }
            last = e
            count += 1
        }

        /// Adds the (signed) checkpoint, commits, and puts the file in place.
        public func finish(_ k: AuditCheckpoint) throws {
            guard !finished else { return }
            try connection.prepare("INSERT INTO checkpoint VALUES (?,?,?,?,?,?,?,?,?,?)").run([
                .text(k.kind.rawValue), .int(k.firstSeq), .int(k.lastSeq), .text(k.firstPrevHash), .text(k.lastHash), .int(Int64(k.records)),
                .text(k.signedAt), k.archive.map { .text($0) } ?? .null, .text(k.keyID), .text(k.signature)])
            try connection.exec("COMMIT")
            finished = true
            if FileManager.default.fileExists(atPath: path) {
                throw ArchiveError("\(path) exists; an archive is never overwritten")
            }
            try FileManager.default.moveItem(atPath: path + ".part", toPath: path)
        }
    }

    /// The archive's checkpoint and whether its records form the chain it states.
    public static func verify(path: String) throws -> (checkpoint: AuditCheckpoint, verification: AuditVerification) {
        guard FileManager.default.fileExists(atPath: path) else { throw ArchiveError("no archive at \(path)") }
        let c = try SQLiteConnection(path: path, readOnly: true)
        let k = try c.prepare("SELECT kind, first_seq, last_seq, first_prev_hash, last_hash, records, signed_at, archive, key_id, signature FROM checkpoint")
        guard try k.step() else { throw ArchiveError("\(path) has no checkpoint") }
        let checkpoint = AuditCheckpoint(kind: AuditCheckpoint.Kind(rawValue: k.text(0) ?? "") ?? .head, firstSeq: k.int(1), lastSeq: k.int(2),
                                         firstPrevHash: k.text(3) ?? "", lastHash: k.text(4) ?? "", records: Int(k.int(5)), signedAt: k.text(6) ?? "",
                                         archive: k.text(7), keyID: k.text(8) ?? "", signature: k.text(9) ?? "")
        k.reset()
        let s = try c.prepare("SELECT \(SpatiaLiteStore.auditColumns) FROM audit_log ORDER BY seq")
        defer { s.reset() }
        var verifier = AuditChain.ArchiveVerifier(checkpoint: checkpoint)
        while try s.step() {
            if let broken = verifier.check(SpatiaLiteStore.readAudit(s)) { return (checkpoint, broken) }
        }
        return (checkpoint, verifier.finish())
    }
}
