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

/// Part of an import as it arrives: checked records, and the rows refused on the way to them.
public struct RecordChunk: Sendable {
    public var records: [KeyedRecord]
    public var rejected: [RejectedRow]
    public init(records: [KeyedRecord], rejected: [RejectedRow] = []) { self.records = records; self.rejected = rejected }
}

/// An import's records, handed to the store chunk by chunk inside its transaction: a file larger
/// than memory passes through one chunk at a time, and a failure while reading it (a malformed
/// feature half-way) rolls back what the earlier chunks wrote.
public struct RecordStream {
    /// Records the source expects to give (sizes the key set), nil when unknown.
    public var expectedCount: Int?
    /// The box of all records when known before the first chunk: a new table's rows go in Hilbert
    /// order along it (within each chunk); without it each chunk orders along its own box.
    public var box: BBox?
    /// Calls its argument once per chunk, in file order.
    public let forEachChunk: ((RecordChunk) throws -> Void) throws -> Void

    public init(expectedCount: Int?, box: BBox?, forEachChunk: @escaping ((RecordChunk) throws -> Void) throws -> Void) {
        self.expectedCount = expectedCount; self.box = box; self.forEachChunk = forEachChunk
    }

    /// Records already in memory, as one chunk.
    public static func whole(_ records: [KeyedRecord], rejected: [RejectedRow] = []) -> RecordStream {
        RecordStream(expectedCount: records.count, box: ImportChecks.box(of: records)) { body in
            try body(RecordChunk(records: records, rejected: rejected))
        }
    }
}

/// Keys seen in one import, kept as 128-bit digests: 16 bytes a key whatever its length, so the
/// keys of 20 million features take ~0.5 GB where a set of strings would hold every key's text.
/// Two different keys share a digest with probability about n²/2¹²⁹ (10⁻²⁴ for 20 million keys),
/// far below the rate of undetected disk errors.
package struct KeyDigestSet {
    private struct Digest: Hashable {
        let a, b: UInt64
        // `a` is already a uniform hash: feeding only it to the set's hasher is enough.
        func hash(into h: inout Hasher) { h.combine(a) }
    }
    private var digests: Set<Digest>

    package init(expectedCount: Int = 0) { digests = Set(minimumCapacity: expectedCount) }

    /// Two independent SipHash values (the process's random seed, two different prefixes).
    private static func digest(_ key: String) -> Digest {
        var h1 = Hasher(), h2 = Hasher()
        h1.combine(UInt8(1)); h1.combine(key)
        h2.combine(UInt8(2)); h2.combine(key)
        return Digest(a: UInt64(bitPattern: Int64(h1.finalize())), b: UInt64(bitPattern: Int64(h2.finalize())))
    }

    /// True when `key` was not seen before.
    package mutating func insert(_ key: String) -> Bool { digests.insert(Self.digest(key)).inserted }
    package func contains(_ key: String) -> Bool { digests.contains(Self.digest(key)) }
}

/// A stream's chunks as a store writes them: each chunk's fields checked against a stored layer,
/// the rows refused on the way and the records' joint box gathered for after the last chunk.
package final class ImportedChunks {
    package let stream: RecordStream
    let target: LayerInfo
    /// A new layer's fields were inferred from these very records: nothing to check.
    let isNew: Bool
    package private(set) var rejected: [RejectedRow] = []
    package private(set) var box: BBox?

    package init(stream: RecordStream, target: LayerInfo, isNew: Bool) {
        self.stream = stream; self.target = target; self.isNew = isNew
    }

    package func forEach(_ body: ([KeyedRecord]) throws -> Void) throws {
        try stream.forEachChunk { chunk in
            if !isNew { try RecordRules.checkFields(chunk.records, against: target) }
            rejected += chunk.rejected
            if let b = ImportChecks.box(of: chunk.records) {
                if box == nil { box = b } else { box!.extend(b) }
            }
            try body(chunk.records)
        }
    }
}
