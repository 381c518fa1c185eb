/// What happened to one entity on one day between two dates.
public enum ChangeKind: String, Sendable, Codable {
    /// A first version starts (no version of the entity ends that day).
    case created
    /// A version ends and the next one starts the same day.
    case modified
    /// A last version ends (no version starts that day).
    case removed
}

public struct Change: Sendable {
    public let kind: ChangeKind
    /// The day the change takes effect (the new version's first day, or the old one's end).
    public let date: String
    /// The entity's stable key (building entity code, area code).
    public let entity: String
    /// Attributes of the version before and after (names in `ChangeList.fields`).
    public let before: [FieldValue]?
    public let after: [FieldValue]?

    package init(kind: ChangeKind, date: String, entity: String, before: [FieldValue]?, after: [FieldValue]?) {
        self.kind = kind; self.date = date; self.entity = entity; self.before = before; self.after = after
    }
}

/// Changes in (from, to]: the differences between the state on `from` and the state on `to`.
public struct ChangeList: Sendable {
    public let fields: [String]
    public let changes: [Change]
    public let numberMatched: Int

    package init(fields: [String], changes: [Change], numberMatched: Int) {
        self.fields = fields; self.changes = changes; self.numberMatched = numberMatched
    }
}
