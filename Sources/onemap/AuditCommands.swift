import ArgumentParser
import Foundation
import OneMapAccess
import OneMapStore
import OneMapBackends

/// `onemap audit keygen|checkpoint|archive|verify`: the tamper-evident audit log, its signed
/// checkpoints and the archives of closed months.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The tamper-evident audit log: verify, sign checkpoints, archive closed months.",
        subcommands: [Verify.self, Checkpoint.self, Archive.self, Keygen.self])

    /// The checkpoint key: a file outside the database (and away from whoever can write it),
    /// holding 64 hex digits or at least 32 raw bytes.
    struct KeyOption: ParsableArguments {
        @Option(help: "File holding the checkpoint signing key (made by `onemap audit keygen`); keep it outside the database's reach.")
        var keyFile: String?

        func key(required: Bool) throws -> [UInt8]? {
            guard let keyFile else {
                if required { throw ValidationError("--key-file is required: checkpoints are signed with a key kept outside the database") }
                return nil
            }
            guard let data = FileManager.default.contents(atPath: keyFile) else { throw ValidationError("cannot read the key file \(keyFile)") }
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.count == 64, let bytes = Self.hex(text) { return bytes }
            guard data.count >= 32 else { throw ValidationError("the key file \(keyFile) holds \(data.count) bytes; a key is at least 32 (or 64 hex digits)") }
            return [UInt8](data)
        }

        static func hex(_ s: String) -> [UInt8]? {
            var out: [UInt8] = []
            let chars = Array(s.utf8)
            guard chars.count % 2 == 0 else { return nil }
            for i in stride(from: 0, to: chars.count, by: 2) {
                guard let b = UInt8(String(decoding: chars[i...i + 1], as: UTF8.self), radix: 16) else { return nil }
                out.append(b)
            }
            return out
        }
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a new random checkpoint key (64 hex digits, mode 0600).")
        @Option(help: "Key file to create (never overwritten).") var out: String

        func run() throws {
            guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("\(out) exists; a key is never overwritten") }
            let hex = Digest.randomBytes(32).map { String(format: "%02x", $0) }.joined() + "\n"
            guard FileManager.default.createFile(atPath: out, contents: Data(hex.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(out)")
            }
            print("wrote a checkpoint key to \(out) (key id \(AuditCheckpoint.keyID(KeyOption.hex(String(hex.dropLast()))!)))")
        }
    }

    struct Checkpoint: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign the chain's current head (run it daily: a rewrite before it is then detected).")
        @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"
        @OptionGroup var key: KeyOption

        func run() throws {
            let key = try key.key(required: true)!
            let store = try openStore(db)
            guard case .intact = try store.verifyAudit() else { throw ValidationError("the chain does not verify; run `onemap audit verify` first") }
            let first = try store.auditEntries({ var q = AuditQuery(); q.limit = 1; return q }())
            guard let head = try AuditCommand.lastEntry(store), let start = first.first else { throw ValidationError("the audit log is empty: nothing to sign") }
            let checkpoint = AuditCheckpoint(kind: .head, firstSeq: start.seq, lastSeq: head.seq, firstPrevHash: start.prevHash, lastHash: head.hash,
                                             records: Int(head.seq - start.seq + 1), signedAt: AuditTrail.now(), archive: nil).signed(with: key)
            try store.addAuditCheckpoint(checkpoint)
            print("signed the head: record \(head.seq), hash \(head.hash.prefix(16))…, key \(checkpoint.keyID)")
        }
    }

    struct Archive: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move the records of closed months (before --before, a month's first day) to an archive file closed by a signed checkpoint.")
        @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"
        @Option(help: "First day of the first month kept live (YYYY-MM-01, not after this month's first day).") var before: String
        @Option(help: "Archive file to create (never overwritten), e.g. audit/2026-10.sqlite.") var out: String
        @OptionGroup var key: KeyOption

        func validate() throws {
            guard ISODate.isValid(before), before.hasSuffix("-01") else { throw ValidationError("--before '\(before)' must be a month's first day, YYYY-MM-01") }
            let thisMonth = String(ISODate.string(Date()).prefix(8)) + "01"
            guard before <= thisMonth else { throw ValidationError("--before \(before) is after this month's first day (\(thisMonth)): only closed months are archived") }
        }

        func run() throws {
            let key = try key.key(required: true)!
            let store = try openStore(db)
            guard case .intact = try store.verifyAudit() else { throw ValidationError("the chain does not verify; nothing is archived from a broken chain") }
            let dir = (out as NSString).deletingLastPathComponent
            if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            let writer = try AuditArchive.Writer(path: out)
            // The archived part is a prefix of the chain: every record up to the first one of the kept months.
            var query = AuditQuery()
            query.limit = 10_000
            paging: while true {
                let page = try store.auditEntries(query)
                for e in page {
                    if e.record.at >= before { break paging }
                    try writer.append(e)
                }
                guard let last = page.last, page.count == query.limit else { break }
                query.afterSeq = last.seq
            }
            guard let first = writer.first, let last = writer.last else {
                try? FileManager.default.removeItem(atPath: out + ".part")  // empty scratch file; nothing was archived
                print("no audit record before \(before): nothing to archive")
                return
            }
            let checkpoint = AuditCheckpoint(kind: .archive, firstSeq: first.seq, lastSeq: last.seq, firstPrevHash: first.prevHash, lastHash: last.hash,
                                             records: writer.count, signedAt: AuditTrail.now(), archive: (out as NSString).lastPathComponent).signed(with: key)
            try writer.finish(checkpoint)
            // The file must read back as the chain it states before anything leaves the database.
            guard case .intact = try AuditArchive.verify(path: out).verification else {
                throw ValidationError("the archive \(out) does not verify after writing; the live log is unchanged")
            }
            let removed = try store.removeArchivedAudit(checkpoint)
            try auditCLI(store, action: "change", endpoint: "onemap audit archive",
                         outcome: "archived records \(first.seq)–\(last.seq) (\(removed)) before \(before) to \((out as NSString).lastPathComponent)")
            print("archived \(removed) audit records (\(first.seq)–\(last.seq), before \(before)) to \(out); checkpoint signed with key \(checkpoint.keyID)")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the live chain, the archives and the signed checkpoints; exit 1 naming the first thing that does not fit.")
        @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"
        @Option(name: .customLong("archive"), help: "An archive file to check with the live log (repeatable).") var archives: [String] = []
        @OptionGroup var key: KeyOption

        func run() throws {
            let store = try openStore(db)
            let key = try key.key(required: false)
            var problems: [String] = []
            switch try store.verifyAudit() {
            case .intact(let n, let head): print("live audit log intact: \(n) records, head \(head.prefix(16))…")
            case .broken(let seq, let reason): problems.append("live audit log broken at record \(seq): \(reason)")
            }
            let checkpoints = try store.auditCheckpoints()
            if let key {
                for c in checkpoints where !c.isSigned(by: key) {
                    problems.append(c.keyID == AuditCheckpoint.keyID(key)
                        ? "checkpoint at record \(c.lastSeq) (\(c.signedAt)) does not carry a valid signature: it was altered"
                        : "checkpoint at record \(c.lastSeq) was signed with key \(c.keyID), not with this key (\(AuditCheckpoint.keyID(key)))")
                }
                print("\(checkpoints.count) checkpoints; signatures \(problems.isEmpty ? "valid" : "checked")")
            } else {
                print("\(checkpoints.count) checkpoints; signatures not checked (give --key-file)")
            }
            // Archives: each intact, signed, known to the database, and together a chain from the genesis.
            var archived: [AuditCheckpoint] = []
            for path in archives {
                let (c, v) = try AuditArchive.verify(path: path)
                if case .broken(let seq, let reason) = v { problems.append("archive \(path) broken at record \(seq): \(reason)"); continue }
                if let key, !c.isSigned(by: key) { problems.append("archive \(path): its checkpoint's signature is not valid under this key") }
                if !checkpoints.contains(c) { problems.append("archive \(path): its checkpoint (records \(c.firstSeq)–\(c.lastSeq)) is not among the database's") }
                archived.append(c)
                print("archive \(path) intact: records \(c.firstSeq)–\(c.lastSeq)")
            }
            if !archives.isEmpty {
                var expectSeq: Int64 = 1, expectHash = AuditChain.genesis
                for c in archived.sorted(by: { $0.firstSeq < $1.firstSeq }) {
                    if c.firstSeq != expectSeq || c.firstPrevHash != expectHash {
                        problems.append("archives do not join: expected record \(expectSeq) next, found an archive starting at \(c.firstSeq)")
                    }
                    expectSeq = c.lastSeq + 1; expectHash = c.lastHash
                }
                let missing = checkpoints.filter { $0.kind == .archive && !archived.contains($0) }
                for c in missing { problems.append("archive \(c.archive ?? "?") (records \(c.firstSeq)–\(c.lastSeq)) was not given") }
            }
            for p in problems { FileHandle.standardError.write(Data("\(p)\n".utf8)) }
            if !problems.isEmpty { throw ExitCode(1) }
        }
    }

    /// The newest record of the log.
    static func lastEntry(_ store: any OneMapDatabase) throws -> AuditEntry? {
        var q = AuditQuery()
        q.limit = 10_000
        var last: AuditEntry?
        while true {
            let page = try store.auditEntries(q)
            guard let l = page.last else { return last }
            last = l
            if page.count < q.limit { return last }
            q.afterSeq = l.seq
        }
    }
}

