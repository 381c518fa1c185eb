import OneMapGeo

/// How an import treats what is already stored (per entity key).
public enum ImportMode: String, Sendable, CaseIterable {
    /// Only new keys; a key that already has a current version is a bad row.
    case append
    /// New keys are created, changed ones get a new version, unchanged ones nothing.
    case upsert
    /// Like upsert, and entities current on the valid-from day but missing from the file are closed
    /// (a department's full push, 全量推送).
    case replace
}

/// One entity version to import: geometry in EPSG:4490, values by field name.
public struct KeyedRecord: Sendable {
    /// Row or feature number in the source, for messages.
    public var row: Int
    public var key: String
    public var values: [String: FieldValue]
    public var geometry: Geometry

    public init(row: Int, key: String, values: [String: FieldValue], geometry: Geometry) {
        self.row = row; self.key = key; self.values = values; self.geometry = geometry
    }
}

/// A row that could not be imported, and why.
public struct RejectedRow: Sendable, CustomStringConvertible, Equatable {
    public let row: Int
    public let reason: String
    public init(row: Int, reason: String) { self.row = row; self.reason = reason }
    public var description: String { "row \(row): \(reason)" }
}

public struct VersionSummary: Sendable {
    public var inserted = 0, updated = 0, unchanged = 0, closed = 0
    public var rejected: [RejectedRow] = []
    public init() {}
}

/// The import was refused as a whole (nothing written): the bad rows, or a reason.
public struct ImportRefused: Error, CustomStringConvertible {
    public let rejected: [RejectedRow]
    public let reason: String
    public init(rejected: [RejectedRow], reason: String) { self.rejected = rejected; self.reason = reason }
    public var description: String { reason }
}
