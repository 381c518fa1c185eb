import OneMapGeo

/// A versioned table as the version logic sees it: one row per entity version, keyed by text.
package protocol VersionedRows {
    /// A record checked and converted for this table.
    associatedtype Row
    /// The row for a record; a `StoreError` names what is wrong with it (the row is rejected).
    func row(for record: KeyedRecord) throws -> Row
    /// The open version of `key`: its id, first day and whether `row` says the same thing.
    func current(_ key: String, comparedWith row: Row) throws -> (id: Int64, from: String, same: Bool)?
    /// The last day any version of `key` touches (its latest end or start), nil when it has none.
    func newestDay(_ key: String) throws -> String?
    func close(_ id: Int64, on day: String) throws
    func remove(_ id: Int64) throws
    func insert(_ row: Row) throws
    /// Open versions that started on or before `day`.
    func openVersions(onOrBefore day: String) throws -> [(id: Int64, key: String, from: String)]
    /// The day a row says its entity ended (a person moved away, a business was cancelled) when
    /// that is on or before the import day: the current version closes then, nothing new starts.
    func ended(_ row: Row, onOrBefore day: String) -> String?
}

extension VersionedRows {
    package func ended(_ row: Row, onOrBefore day: String) -> String? { nil }
}

/// The version rules, shared by every versioned layer: only real changes create versions (the
/// previous one closes that day; a same-day version is replaced), keys never repeat in one file,
/// a version never starts before an existing one ends, and `replace` closes what the push lacks.
package enum VersionApplier {
    /// All records at once. `tableIsEmpty`: nothing stored yet, so every key is new and no lookups
    /// are needed.
    package static func apply<T: VersionedRows>(_ records: [KeyedRecord], mode: ImportMode, day: String, into table: T,
                                                tableIsEmpty: Bool, progress: (Int) -> Void) throws -> VersionSummary {
        var application = VersionApplication(mode: mode, day: day, into: table, tableIsEmpty: tableIsEmpty,
                                             expectedCount: records.count, box: tableIsEmpty ? ImportChecks.box(of: records) : nil)
        try application.apply(records, progress: progress)
        return try application.finish()
    }
}

/// One import's run of the version rules over records that come in chunks: what it has seen so far
/// (keys as digests) and what it did.
package struct VersionApplication<T: VersionedRows> {
    let mode: ImportMode
    let day: String
    let table: T
    let tableIsEmpty: Bool
    /// Into an empty table rows go in Hilbert order of their centres (within each chunk): the
    /// spatial index then builds from neighbours, and a tile's rows share pages.
    private let curve: HilbertCurve?
    private var seen: KeyDigestSet
    private var summary = VersionSummary()
    /// Records handled in earlier chunks (progress counts over the whole import).
    private var done = 0
    /// Chunks applied so far.
    package private(set) var chunks = 0

    package init(mode: ImportMode, day: String, into table: T, tableIsEmpty: Bool, expectedCount: Int?, box: BBox?) {
        self.mode = mode; self.day = day; self.table = table; self.tableIsEmpty = tableIsEmpty
        curve = tableIsEmpty ? box.map(HilbertCurve.init) : nil
        seen = KeyDigestSet(expectedCount: expectedCount ?? 0)
    }

    package mutating func apply(_ records: [KeyedRecord], progress: (Int) -> Void) throws {
        defer { done += records.count; chunks += 1 }
        if tableIsEmpty {
            try applyToEmpty(records, along: curve ?? ImportChecks.box(of: records).map(HilbertCurve.init), progress: progress)
            return
        }
        // Converting records to rows is pure: done on all cores before the single-threaded writes.
        let converted: [Result<T.Row, StoreError>] = Parallel.map(records.count) { k in Self.convert(records[k], into: table) }
        StageTimer.mark("convert rows")
        for (n, r) in records.enumerated() {
            if n % 5000 == 0 { progress(done + n) }
            guard seen.insert(r.key) else {
                summary.rejected.append(RejectedRow(row: r.row, reason: "duplicate key '\(r.key)' (already given earlier in the file)"))
                continue
            }
            let row: T.Row
            switch converted[n] {
            case .success(let ok): row = ok
            case .failure(let e): summary.rejected.append(RejectedRow(row: r.row, reason: e.message)); continue
            }
            if let cur = try table.current(r.key, comparedWith: row) {
                if mode == .append {
                    summary.rejected.append(RejectedRow(row: r.row, reason: "key '\(r.key)' already exists (use --mode upsert to version it)"))
                    continue
                }
                if cur.same { summary.unchanged += 1; continue }
                if let end = table.ended(row, onOrBefore: day) {
                    guard end > cur.from else {
                        summary.rejected.append(RejectedRow(row: r.row, reason: "key '\(r.key)' ends on \(end), before its current version starts (\(cur.from))"))
                        continue
                    }
                    try table.close(cur.id, on: end)
                    summary.closed += 1
                    continue
                }
                if cur.from > day {
                    summary.rejected.append(RejectedRow(row: r.row, reason: "key '\(r.key)' has a newer version from \(cur.from) than \(day)"))
                    continue
                }
                if cur.from == day { try table.remove(cur.id) } else { try table.close(cur.id, on: day) }
                try table.insert(row)
                summary.updated += 1
            } else {
                if let last = try table.newestDay(r.key), last > day {
                    summary.rejected.append(RejectedRow(row: r.row, reason: "key '\(r.key)' has versions up to \(last), after \(day)"))
                    continue
                }
                try table.insert(row)
                summary.inserted += 1
            }
        }
        Parallel.releaseInBackground(consume converted)
    }

    /// Every key is new: only duplicates within the file and unconvertible rows are bad. Places on
    /// the curve from the records' boxes (all cores); then rows are converted in curve order on the
    /// other core while this one writes them.
    private mutating func applyToEmpty(_ records: [KeyedRecord], along curve: HilbertCurve?, progress: (Int) -> Void) throws {
        let places: [UInt64] = Parallel.map(records.count) { k in
            guard let curve, let b = records[k].geometry.bbox else { return 0 }
            return curve.index(Position((b.minX + b.maxX) / 2, (b.minY + b.maxY) / 2))
        }
        var order: [(curve: UInt64, index: Int32)] = []
        order.reserveCapacity(records.count)
        for n in records.indices {
            guard seen.insert(records[n].key) else {
                summary.rejected.append(RejectedRow(row: records[n].row, reason: "duplicate key '\(records[n].key)' (already given earlier in the file)"))
                continue
            }
            order.append((places[n], Int32(n)))
        }
        order.sort { $0.curve < $1.curve }
        let inCurveOrder = order.map { Int($0.index) }
        StageTimer.mark("keys and Hilbert order")
        let table = self.table
        var summary = self.summary
        defer { self.summary = summary }
        let done = self.done
        try Parallel.produceAhead(inCurveOrder.count, produce: { k in Self.convert(records[inCurveOrder[k]], into: table) }) { k, row in
            if k % 5000 == 0 { progress(done + k) }
            switch row {
            case .success(let row):
                try table.insert(row)
                summary.inserted += 1
            case .failure(let e):
                summary.rejected.append(RejectedRow(row: records[inCurveOrder[k]].row, reason: e.message))
            }
        }
    }

    /// After the last chunk: in `replace` mode, current entities the import did not name close.
    package mutating func finish() throws -> VersionSummary {
        if mode == .replace && !tableIsEmpty {
            var closed = summary.closed
            for v in try table.openVersions(onOrBefore: day) where !seen.contains(v.key) {
                if v.from == day { try table.remove(v.id) } else { try table.close(v.id, on: day) }
                closed += 1
            }
            summary.closed = closed
        }
        // The keys' digests (0.5 GB at 20 million) are not needed for what follows the last row
        // (a spatial index built in memory, on SpatiaLite).
        seen = KeyDigestSet()
        return summary
    }

    private static func convert(_ r: KeyedRecord, into table: T) -> Result<T.Row, StoreError> {
        do { return .success(try table.row(for: r)) } catch let e as StoreError { return .failure(e) } catch {
            return .failure(StoreError("\(error)"))
        }
    }
}
