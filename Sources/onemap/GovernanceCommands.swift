import ArgumentParser
import Foundation
import OneMapAccess
import OneMapStore
import OneMapBackends

/// Opens the existing database `--db` names, a file path or a PostgreSQL URL (one line naming
/// what is wrong, exit 1, when it cannot).
func openStore(_ db: String) throws -> any OneMapDatabase {
    do { return try StoreFactory.open(db) } catch { throw CLIFailure("\(error)") }
}

/// A command failed for a reason its message says in full: ArgumentParser prints `Error: ` and
/// the message on one line and exits with status 1 (no usage text: the arguments were fine).
struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// How the CLI appears in audit records: the operating-system user at the console.
func cliPrincipal() -> String { "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "unknown")" }

/// Appends one audit record for a change made on the command line.
func auditCLI(_ store: any OneMapDatabase, action: String, endpoint: String, layer: String? = nil, outcome: String) throws {
    try store.appendAudit([AuditRecord(at: AuditTrail.now(), principal: cliPrincipal(), action: action, endpoint: endpoint,
                                       layer: layer, outcome: outcome)])
}

/// `onemap dept add|key|list|revoke-key`: departments and their API keys.
struct DeptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dept", abstract: "Departments and their API keys (keys are shown once and stored only as hashes).",
        subcommands: [Add.self, Key.self, List.self, RevokeKey.self])

    struct KeyOptions: ParsableArguments {
        @Option(help: "Last day + 1 on which the key works (YYYY-MM-DD); default: no expiry.") var expires: String?
        @Option(help: "What the key is for (shown in lists).") var label = ""

        func checkedExpiry() throws -> String? {
            guard let expires else { return nil }
            guard ISODate.date(expires) != nil, expires.count == 10 else { throw ValidationError("--expires '\(expires)' is not a date YYYY-MM-DD") }
            return expires
        }
    }

    static func issue(_ store: any OneMapDatabase, department: String, options: KeyOptions) throws {
        let (issued, info) = try APIKeys.issue(for: department, label: options.label, expiresAt: try options.checkedExpiry(), in: store)
        try auditCLI(store, action: "key", endpoint: "onemap dept key", outcome: "issued \(info.prefix) to \(department)")
        print("API key for \(department) (shown once; store it now): \(issued.key)")
        if let e = info.expiresAt { print("expires on \(e)") }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a department and issue its first API key.")
        @Argument(help: "Department code, e.g. SMJY.") var code: String
        @Argument(help: "Department name, e.g. 三明市教育局.") var name: String
        @Flag(help: "The department administers sharing (the data center).") var administrator = false
        @OptionGroup var key: KeyOptions
        @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"

        func run() throws {
            let store = try openStore(db)
            do { try store.addDepartment(Department(code: code, name: name, role: administrator ? .administrator : .department)) } catch {
                throw ValidationError("\(error)")
            }
            try auditCLI(store, action: "key", endpoint: "onemap dept add", outcome: "department \(code) added")
            try DeptCommand.issue(store, department: code, options: key)
        }
    }

    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue another API key for a department.")
        @Argument(help: "Department code.") var code: String
        @OptionGroup var key: KeyOptions
        @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"

        func run() throws {
            let store = try openStore(db)
            do { try DeptCommand.issue(store, department: code, options: key) } catch let e as StoreError { throw ValidationError(e.message) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List departments and their keys (prefixes only).")
        @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"

        func run() throws {
            let store = try openStore(db)
            let keys = try store.keys(department: nil)
            let today = ISODate.string(Date())
            for d in try store.departments() {
                print("\(d.code)\t\(d.name)\t\(d.role.rawValue)")
                for k in keys where k.department == d.code {
                    let state = k.revokedAt.map { "revoked \($0)" } ?? (k.isUsable(on: today) ? "active" : "expired")
                    print("  \(k.prefix)…\t\(state)\tcreated \(k.createdAt)\(k.expiresAt.map { "\texpires \($0)" } ?? "")\(k.label.isEmpty ? "" : "\t\(k.label)")")
                }
            }
        }
    }

    struct RevokeKey: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke-key", abstract: "Revoke an API key (a running server stops accepting it within a second).")
        @Argument(help: "The key's prefix as listed (om_xxxxxxxx), or the whole key.") var key: String
        @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"

        func run() throws {
            let store = try openStore(db)
            let given = key.hasSuffix("…") ? String(key.dropLast()) : key
            let lookup = APIKeys.isWellFormed(given) ? Digest.sha256Hex(given) : given
            let revoked: APIKeyInfo?
            do { revoked = try store.revokeKey(prefix: lookup) } catch let e as StoreError { throw ValidationError(e.message) }
            guard let revoked else { throw ValidationError("no API key '\(APIKeys.prefix(of: given))'; see `onemap dept list`") }
            try auditCLI(store, action: "key", endpoint: "onemap dept revoke-key", outcome: "revoked \(revoked.prefix) of \(revoked.department)")
            print("revoked \(revoked.prefix)… of \(revoked.department) at \(revoked.revokedAt ?? "")")
        }
    }
}

/// `onemap layer classify`: share class, owner, openness and field sensitivities.
struct LayerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "layer", abstract: "Layer classification.", subcommands: [Classify.self])

    struct Classify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a layer's share class, owner, openness to anonymous callers, or fields' sensitivity.")
        @Argument(help: "Layer id.") var layer: String
        @Option(help: "unconditional, conditional or not_shared.") var shareClass: String?
        @Option(help: "Owner department code.") var owner: String?
        @Option(help: "true: anonymous callers read its public fields.") var open: Bool?
        @Option(help: "A field's sensitivity, name=public|internal|personal (repeatable).") var field: [String] = []
        @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"

        func run() throws {
            let share = try shareClass.map { s -> ShareClass in
                guard let c = ShareClass(rawValue: s) else { throw ValidationError("--share-class '\(s)' must be unconditional, conditional or not_shared") }
                return c
            }
            var sensitivities: [String: FieldSensitivity] = [:]
            for f in field {
                let parts = f.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let s = FieldSensitivity(rawValue: parts[1]) else {
                    throw ValidationError("--field '\(f)' must be name=public, name=internal or name=personal")
                }
                sensitivities[parts[0]] = s
            }
            let store = try openStore(db)
            let updated: LayerInfo
            do { updated = try store.classifyLayer(id: layer, shareClass: share, owner: owner, open: open, sensitivities: sensitivities) }
            catch let e as StoreError { throw ValidationError(e.message) }
            try auditCLI(store, action: "change", endpoint: "onemap layer classify", layer: layer,
                         outcome: "\(updated.shareClass.rawValue), owner \(updated.ownerDepartment), open \(updated.open)")
            print("\(updated.id): \(updated.shareClass.rawValue), owner \(updated.ownerDepartment), \(updated.open ? "open" : "departments only")")
            for f in updated.fields where f.sensitivity != .public { print("  \(f.name): \(f.sensitivity.rawValue)") }
        }
    }
}
