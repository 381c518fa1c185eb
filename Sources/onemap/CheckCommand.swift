import ArgumentParser
import Foundation
import OneMapQuality
import OneMapStore

/// `onemap check [--layer L]`: the consistency checks on demand. Findings become problems of the
/// producing departments (reported by the data centre); problems whose findings are gone close.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run the consistency checks: file findings as problems of the producing departments, close those the data no longer shows.",
        discussion: "Checks: \(ConsistencyCheck.allCases.map(\.rawValue).joined(separator: ", ")).")

    @Option(help: "Only the checks that read this layer.") var layer: String?
    @Flag(help: "List the findings; file and close nothing.") var dryRun = false
    @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"

    func run() throws {
        let store = try openStore(db)
        if let layer, try store.layer(id: layer) == nil { throw CLIFailure("no layer '\(layer)'") }
        let run = CheckRun(layer: layer, principal: "cli:check")
        let started = Date()
        if dryRun {
            let findings = try store.consistencyFindings(Set(run.checks), layer: layer)
            for f in findings { print("\(f.check.rawValue)\t\(f.layer)\t\(f.rowID)\t\(f.description)") }
            print("\(findings.count) finding(s) from \(run.checks.count) check(s) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; nothing filed (--dry-run)")
            return
        }
        let (outcomes, _) = try run.run(on: store)
        for check in run.checks {
            let o = outcomes[check] ?? CheckRun.Outcome()
            print("\(check.rawValue): found \(o.found), filed \(o.filed), reopened \(o.reopened), closed \(o.closed), still open \(o.unchanged)")
        }
        print("checks done in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; see GET /problems?check=NAME")
    }
}
