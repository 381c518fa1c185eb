import Foundation
import OneMapGeo

/// What problem reports must satisfy, the same in every backend and checked before anything is
/// written: the life cycle's steps, the sizes of what is filed, the deadline.
public enum ProblemRules {
    /// Evidence files larger than this are refused (a photo or a scanned page).
    public static let maxAttachmentBytes = 4 << 20
    public static let maxDescription = 2_000
    public static let maxEvidence = 10_000
    public static let maxProposedValue = 1_000

    /// The state `action` leads to from `state`, nil when the life cycle has no such step.
    public static func next(from state: ProblemState, _ action: ProblemAction) -> ProblemState? {
        switch (action, state) {
        case (.accept, .open): .accepted
        case (.reject, .open), (.reject, .accepted): .rejected
        case (.correct, .open), (.correct, .accepted): .corrected
        case (.confirm, .corrected): .confirmed
        case (.reopen, .corrected), (.reopen, .rejected): .open
        default: nil
        }
    }

    /// The states `action` may be taken from (for messages).
    public static func sources(of action: ProblemAction) -> [ProblemState] {
        ProblemState.allCases.filter { next(from: $0, action) != nil }
    }

    /// Refuses a step the life cycle does not have from `state`, naming what it needs.
    public static func checkStep(problem id: Int64, state: ProblemState, _ action: ProblemAction) throws -> ProblemState {
        guard action != .file else { throw StoreError("a problem is filed once, with POST /problems") }
        guard let to = next(from: state, action) else {
            let from = sources(of: action).map(\.rawValue).joined(separator: " or ")
            throw StoreError("problem \(id) is \(state.rawValue); '\(action.rawValue)' applies to a problem that is \(from)", kind: .conflict)
        }
        return to
    }

    /// A reason is owed when a step undoes another's work: a rejection, a reopening.
    public static func checkNote(_ action: ProblemAction, _ note: String?) throws -> String? {
        let trimmed = note?.trimmingCharacters(in: .whitespacesAndNewlines)
        if action == .reject || action == .reopen, (trimmed ?? "").count < 2 {
            throw StoreError("'\(action.rawValue)' needs a reason (note)")
        }
        if let trimmed, trimmed.count > maxDescription { throw StoreError("a note holds at most \(maxDescription) characters") }
        return trimmed?.isEmpty == true ? nil : trimmed
    }

    /// A new problem as it will be stored: its field exists in the layer, its texts and evidence
    /// fit their limits, its location is lon/lat. Returns it with trimmed texts.
    public static func checked(_ p: NewProblem, layer: LayerInfo) throws -> NewProblem {
        var out = p
        if let field = p.field {
            guard layer.fields.contains(where: { $0.name == field }) else {
                throw StoreError("layer '\(layer.id)' has no field '\(field)'; it has \(layer.fields.map(\.name).joined(separator: ", "))")
            }
        }
        out.description = p.description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard out.description.count >= 4 else { throw StoreError("the description must say what is wrong (at least 4 characters)") }
        guard out.description.count <= maxDescription else { throw StoreError("the description holds at most \(maxDescription) characters") }
        if let v = p.proposedValue, v.count > maxProposedValue { throw StoreError("the proposed value holds at most \(maxProposedValue) characters") }
        if let e = p.evidence, e.count > maxEvidence { throw StoreError("the evidence text holds at most \(maxEvidence) characters") }
        if let a = p.attachment {
            guard a.bytes.count <= maxAttachmentBytes else {
                throw StoreError("the attachment is \(a.bytes.count) bytes; at most \(maxAttachmentBytes) (\(maxAttachmentBytes >> 20) MiB) are taken")
            }
            guard !a.bytes.isEmpty else { throw StoreError("the attachment is empty") }
            let name = a.name.trimmingCharacters(in: .whitespaces)
            guard (1...200).contains(name.count), !name.contains("/"), !name.contains("\\") else {
                throw StoreError("the attachment's name must be 1 to 200 characters without '/' or '\\'")
            }
            guard a.mediaType.range(of: #"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$"#, options: .regularExpression) != nil else {
                throw StoreError("the attachment's mediaType '\(a.mediaType)' is not a media type such as image/jpeg")
            }
            out.attachment = ProblemAttachment(name: name, mediaType: a.mediaType.lowercased(), bytes: a.bytes)
        }
        if let g = p.location {
            guard let b = g.bbox, b.minX >= -180, b.maxX <= 180, b.minY >= -90, b.maxY <= 90 else {
                throw StoreError("the location must be a geometry in lon/lat (EPSG:4490 / CRS84)")
            }
        }
        return out
    }

    /// The deadline of a problem filed or reopened on `day`.
    public static func deadline(from day: String, _ priority: ProblemPriority) -> String {
        guard let d = ISODate.date(day) else { return day }
        return ISODate.string(d.addingTimeInterval(Double(priority.daysToCorrect) * 86_400))
    }
}
