import ArgumentParser
import Foundation
import OneMapIngest
import OneMapStore
import OneMapBackends

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Build the deterministic Sanming demo database from the real boundaries in geodata/.")

    @Option(help: "Database to create: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"
    @Option(help: "Size relative to the full demo (1 = ~300,000 buildings, 2,486,450 people).") var scale = 1.0
    @Option(help: "Random seed: the same seed gives the same data.") var seed: UInt64 = 350400
    @Option(help: "Folder with the Sanming geodata files.") var geodata = "geodata"
    @Flag(help: "Replace an existing database.") var force = false
    @Option(help: "Link a sample of synthetic identities for self-service sign-in under this identity key file (the server's --identity-key).") var identityKey: String?
    @Option(help: "With --identity-key: write the synthetic ID numbers and what they sign in to here (CSV), to try sign-in with the test identity provider.") var identities: String?

    func validate() throws {
        guard scale > 0, scale <= 70 else { throw ValidationError("--scale must be in (0, 70], got \(scale)") }
        if identities != nil, identityKey == nil { throw ValidationError("--identities needs --identity-key (the identities are linked under it)") }
    }

    func run() throws {
        let location: StoreLocation
        do { location = try StoreLocation(parsing: db) } catch { throw ValidationError("\(error)") }
        if try StoreFactory.exists(location), !force { throw ValidationError("\(location) already exists; pass --force to replace it") }
        // Built aside and put in place at the end: a crash never leaves a half-built database.
        var key: IdentityKey?
        if let identityKey {
            do { key = try IdentityKey.load(file: identityKey) } catch let e as StoreError { throw ValidationError("--identity-key: \(e.message)") }
        }
        let progress = ProgressLine()
        let summary: DemoSummary
        do {
            summary = try StoreFactory.build(location, replacing: force) { store in
                try SanmingDemo.build(into: store, options: DemoOptions(scale: scale, seed: seed, geodata: geodata, identityKey: key)) { progress.update($0) }
            }
        } catch let e as StoreError {
            progress.finish()
            throw CLIFailure(e.message)
        }
        progress.finish()
        if let identities {
            // Synthetic numbers only (no real person holds them): what sign-in is tried with.
            let lines = ["synthetic_id_number,kind,key,note"] + summary.identities.map { "\($0.number),\($0.kind.rawValue),\($0.key),\($0.note)" }
            do { try (lines.joined(separator: "\n") + "\n").write(toFile: identities, atomically: true, encoding: .utf8) } catch {
                throw CLIFailure("cannot write \(identities): \(error.localizedDescription)")
            }
        }
        print("""
            demo database \(db): \(summary.adminAreas) administrative areas (\(summary.townships) synthetic townships), \
            \(summary.buildings) buildings, \(summary.people) people, \(summary.businesses) businesses, \
            \(summary.schools) schools, \(summary.clinics) clinics \
            in \(String(format: "%.1f", summary.seconds)) s
            """)
    }
}

/// One progress line on a terminal (rewritten in place), plain lines otherwise.
final class ProgressLine: @unchecked Sendable {
    private let tty = isatty(STDERR_FILENO) != 0
    private let start = Date()

    func update(_ message: String) {
        let t = String(format: "%6.1fs", Date().timeIntervalSince(start))
        if tty {
            FileHandle.standardError.write(Data("\r\u{1B}[K[\(t)] \(message)".utf8))
        } else {
            FileHandle.standardError.write(Data("[\(t)] \(message)\n".utf8))
        }
    }

    func finish() { if tty { FileHandle.standardError.write(Data("\n".utf8)) } }

    private var stageStart: (String, Date)?  // used from one thread at a time

    /// A progress bar for a counted stage: rows/s and the time left.
    func update(stage: String, done: Int, total: Int) {
        if stageStart?.0 != stage { stageStart = (stage, Date()) }
        let elapsed = Date().timeIntervalSince(stageStart!.1)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 24, filled = total > 0 ? width * done / total : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        update(String(format: "%@ [%@] %d/%d  %.0f rows/s  ETA %.0fs", stage, bar, done, total, rate, eta))
    }
}
