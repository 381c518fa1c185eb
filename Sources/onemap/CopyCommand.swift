import ArgumentParser
import Foundation
import OneMapBackends
import OneMapStore

/// `onemap copy --from A --to B`: a whole database from one backend (or file) to another.
struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a whole OneMap database between SpatiaLite files and PostgreSQL databases (layers, versions, people, businesses, departments, key hashes, applications, audit log, change extents).",
        discussion: """
            The copy is built aside and appears on the target only when every table was copied and checked: row counts per \
            table, and the target's audit chain verified to the same head as the source's. A failed or interrupted copy \
            leaves the target as it was.
            """)

    @Option(help: "Source database: a SpatiaLite file path or a postgresql:// URL.") var from: String
    @Option(help: "Target database: a SpatiaLite file path or a postgresql:// URL.") var to: String
    @Flag(help: "Replace a database already at the target.") var force = false

    func run() throws {
        let target: StoreLocation
        do { target = try StoreLocation(parsing: to) } catch { throw ValidationError("\(error)") }
        let source = try openStore(from)
        // A database from before secrets were made at birth gets its own now, so the copy
        // carries it and publishes the same protected figures.
        _ = try source.statisticsSecret()
        let sourceAudit = try source.verifyAudit()
        let progress = ProgressLine()
        let started = Date()
        let copied: [(CopyTable, Int)]
        do {
            copied = try StoreFactory.build(target, replacing: force, onePass: true) { copy in
                let tables = try copy.restore(from: source) { table, rows in progress.update("\(table): \(rows) rows") }
                // Checked before the copy is put in place: a mismatch leaves the target as it was.
                var counts: [(CopyTable, Int)] = []
                for t in tables {
                    let want = try source.rowCount(of: t), got = try copy.rowCount(of: t)
                    guard want == got else { throw StoreError("copy check failed: \(t.name) has \(got) rows in the copy, \(want) in the source", kind: .internal) }
                    counts.append((t, got))
                }
                let copyAudit = try copy.verifyAudit()
                guard copyAudit == sourceAudit else {
                    throw StoreError("copy check failed: the copy's audit chain verifies as \(copyAudit), the source's as \(sourceAudit)", kind: .internal)
                }
                return counts
            }
        } catch let e as StoreError {
            progress.finish()
            throw CLIFailure(e.message)
        }
        progress.finish()
        for (t, n) in copied { print("\(t.name): \(n) rows") }
        let chain: String
        switch sourceAudit {
        case .intact(let records, let head): chain = "audit chain intact: \(records) records, head \(head.prefix(16))…"
        case .broken(let seq, let reason): chain = "audit chain broken at record \(seq) in the source and the copy alike: \(reason)"
        }
        print("copied \(source.identity) to \(target) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; row counts match; \(chain)")
    }
}
