import Foundation

/// What governance writes must satisfy, the same in every backend: the store checks with these
/// before it writes, so both refuse the same input with the same words.
public enum GovernanceRules {
    /// A department code: 2 to 32 ASCII letters, digits or '_', starting with a letter; a name.
    public static func check(_ d: Department) throws {
        let s = d.code
        guard (2...32).contains(s.count), s.first!.isASCII, s.first!.isLetter,
              s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw StoreError("department code '\(d.code)' must be 2 to 32 letters, digits or '_' and start with a letter")
        }
        guard !d.name.trimmingCharacters(in: .whitespaces).isEmpty else { throw StoreError("a department needs a name") }
    }

    /// An application as it will be stored: its fields exist in `layer`, its validity is two
    /// dates in order, its purpose says what the data is for. Returns the trimmed purpose and the
    /// fields as JSON.
    public static func checked(_ a: NewApplication, layer: LayerInfo) throws -> (purpose: String, fieldsJSON: String) {
        let names = Set(layer.fields.map(\.name))
        if let unknown = a.fields.first(where: { !names.contains($0) }) {
            throw StoreError("layer '\(a.layer)' has no field '\(unknown)'; it has \(layer.fields.map(\.name).joined(separator: ", "))")
        }
        guard ISODate.date(a.validFrom) != nil, ISODate.date(a.validTo) != nil, a.validFrom < a.validTo else {
            throw StoreError("the validity must be two dates YYYY-MM-DD, the first before the second (got \(a.validFrom) to \(a.validTo))")
        }
        if a.uses.contains(.profiles), a.layer != CoreLayers.population.id, a.layer != CoreLayers.businesses.id {
            throw StoreError("profiles (一人一档、一企一档) are read under a grant on population or businesses, not '\(a.layer)'")
        }
        let purpose = a.purpose.trimmingCharacters(in: .whitespacesAndNewlines)
        guard purpose.count >= 4 else { throw StoreError("the purpose (用途) must say what the data is for (at least 4 characters)") }
        return (purpose, String(decoding: try JSONEncoder().encode(a.fields), as: UTF8.self))
    }

    /// A decision on application `id`, now `current`: pending → approved | rejected, approved →
    /// revoked. Nothing else: decisions are history.
    public static func checkDecision(id: Int64, current: String, to status: ApplicationStatus) throws {
        guard status != .pending else { throw StoreError("a decision approves, rejects or revokes") }
        let allowed: Bool = switch (current, status) {
        case ("pending", .approved), ("pending", .rejected), ("approved", .revoked): true
        default: false
        }
        guard allowed else { throw StoreError("application \(id) is \(current); it cannot become \(status.rawValue)") }
    }

    /// The layer's fields with new sensitivities; an unknown field name is refused.
    public static func reclassified(_ layer: LayerInfo, _ sensitivities: [String: FieldSensitivity]) throws -> [FieldInfo] {
        var fields = layer.fields
        for (name, sensitivity) in sensitivities {
            guard let i = fields.firstIndex(where: { $0.name == name }) else {
                throw StoreError("layer '\(layer.id)' has no field '\(name)'; it has \(fields.map(\.name).joined(separator: ", "))")
            }
            let f = fields[i]
            fields[i] = FieldInfo(f.name, f.type, f.description, sensitivity: sensitivity, derivedFrom: f.derivedFrom)
        }
        return fields
    }

    /// The fields of a core layer as the code defines them, keeping sensitivities an
    /// administrator changed since (`storedJSON`: the catalog's fields).
    public static func coreFields(_ layer: LayerInfo, storedJSON: String?) -> [FieldInfo] {
        guard let storedJSON, let old = try? JSONDecoder().decode([FieldInfo].self, from: Data(storedJSON.utf8)) else { return layer.fields }
        return layer.fields.map { f in
            guard let o = old.first(where: { $0.name == f.name }), o.sensitivity != f.sensitivity else { return f }
            return FieldInfo(f.name, f.type, f.description, sensitivity: o.sensitivity, derivedFrom: f.derivedFrom)
        }
    }

    /// Uses as stored: names separated by commas (unknown names are ignored).
    public static func uses(_ text: String?) -> Set<ApplicationUse> {
        Set((text ?? "").split(separator: ",").compactMap { ApplicationUse(rawValue: String($0)) })
    }

    public static func usesText(_ uses: Set<ApplicationUse>) -> String { uses.map(\.rawValue).sorted().joined(separator: ",") }

    /// An application's fields as stored (JSON); a corrupt entry reads as no fields.
    public static func applicationFields(_ json: String?) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data((json ?? "[]").utf8))) ?? []
    }

    /// Now, as governance records stamp it (ISO 8601 UTC with milliseconds).
    public static func timestamp() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }
}

extension LayerInfo {
    /// A field list as the catalog stores it: JSON with sorted keys, so the same fields are the
    /// same text in every process and backend (a copied catalog compares equal byte for byte).
    package static func catalogJSON(_ fields: [FieldInfo]) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return String(decoding: try e.encode(fields), as: UTF8.self)
    }
}
