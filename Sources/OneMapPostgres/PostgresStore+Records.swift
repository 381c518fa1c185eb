import Foundation
import OneMapGeo
import OneMapStore

/// Person and business imports: placed in buildings (`RecordPlacement`), versioned by the model's
/// rules, counts refreshed, in one transaction under the data-write lock.
extension PostgresStore {
    public func applyRecords(layer: String, records: [RecordSource], alreadyRejected: [RejectedRow], mode: ImportMode,
                             validFrom day: String, toleranceMetres: Double, skipBad: Bool, identities: IdentityLinks?,
                             progress: (Int) -> Void = { _ in }) throws -> RecordImportSummary {
        let kind = try ImportChecks.recordKind(layer, day: day)
        let summary = try writeData { c -> RecordImportSummary in
            for sql in PostgresSchema.postLoadIndexes { try c.exec(sql) }
            var summary = RecordImportSummary()
            var rejected = alreadyRejected
            var keyed: [KeyedRecord] = []
            keyed.reserveCapacity(records.count)
            for r in records {
                var values = r.values
                let placed: RecordPlacement.Placement
                do { placed = try Self.place(buildingCode: values["building_code"], position: r.position, day: day, toleranceMetres: toleranceMetres, c) }
                catch let e as StoreError where e.kind == .invalid { rejected.append(RejectedRow(row: r.row, reason: e.message)); continue }
                switch placed.how {
                case .byKey: summary.byBuildingKey += 1
                case .inside: summary.insideBuilding += 1
                case .nearest: summary.nearestBuilding += 1
                }
                values["building_code"] = .string(placed.code)
                keyed.append(KeyedRecord(row: r.row, key: r.key, values: values, geometry: .point(placed.centroid)))
            }
            let rows = try PGRecordVersionRows(kind: kind, connection: c, day: day)
            summary.versions = try VersionApplier.apply(keyed, mode: mode, day: day, into: rows, tableIsEmpty: false, progress: progress)
            try rows.finish()
            // Residents and businesses are counted on buildings and areas: their tiles from that day.
            for l in [CoreLayers.buildings.id, CoreLayers.adminAreas.id, CoreLayers.adminLabels.id] {
                try Self.recordChange(c, layer: l, fromDay: day, box: nil)
            }
            summary.versions.rejected = (rejected + summary.versions.rejected).sorted { $0.row < $1.row }
            if !summary.versions.rejected.isEmpty && !skipBad {
                throw ImportRefused(rejected: summary.versions.rejected,
                                    reason: "\(summary.versions.rejected.count) bad row(s); nothing was imported (use --skip-bad to import the rest)")
            }
            if let links = IdentityLedger.accepted(identities, records: keyed, rejected: summary.versions.rejected) {
                try IdentityLedger.link(PGLedger(c), links)
            }
            if try Self.storedCountsHold(c, on: ISODate.string(Date())) {
                try PGDerivedCounts.refresh(c, buildings: rows.touched)
                try Self.bumpGeneration(c)
            } else {
                try finishLoad(c)
            }
            return summary
        }
        try writers.with(timeLimited: false) { c in try c.exec("ANALYZE \(kind.table)") }
        afterChange()
        return summary
    }

    /// Whether the stored counts are those of `day` (inside a write transaction).
    static func storedCountsHold(_ c: PGConnection, on day: String) throws -> Bool {
        var from: String?, until: String?, counted: String?
        for r in try c.query("SELECT key, value FROM derived_state WHERE key IN ('counts_from', 'counts_until', 'counts_day')").all {
            switch r.text(0) {
            case "counts_from": from = r.text(1)
            case "counts_until": until = r.text(1)
            default: counted = r.text(1)
            }
        }
        guard counted != nil else { return false }
        return (from.map { $0 <= day } ?? true) && (until.map { day < $0 } ?? true)
    }

    private static func place(buildingCode: FieldValue?, position: Position?, day: String, toleranceMetres: Double,
                              _ c: PGConnection) throws -> RecordPlacement.Placement {
        if let code = try RecordPlacement.buildingCode(buildingCode) {
            let r = try c.query("SELECT cx, cy FROM buildings WHERE entity_code = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)",
                                [.text(code), .text(day)], prepare: true)
            guard r.rows > 0 else { throw StoreError("building '\(code)' does not exist on \(day)") }
            return RecordPlacement.Placement(code: code, centroid: Position(r.row(0).double(0), r.row(0).double(1)), how: .byKey)
        }
        guard let p = position else { throw StoreError("no building_code and no coordinates: the record cannot be placed") }
        let box = RecordPlacement.searchBox(around: p, toleranceMetres: toleranceMetres)
        let found = try c.query("""
            SELECT b.entity_code, b.cx, b.cy, ST_AsBinary(b.geom) FROM buildings b
            WHERE b.geom && ST_MakeEnvelope($1, $2, $3, $4, 4490) AND b.valid_from <= $5 AND (b.valid_to IS NULL OR b.valid_to > $5)
            ORDER BY b.id
            """, [.double(box.minX), .double(box.minY), .double(box.maxX), .double(box.maxY), .text(day)], prepare: true)
        let candidates = try found.all.map { r in
            RecordPlacement.Candidate(code: r.text(0) ?? "", centroid: Position(r.double(1), r.double(2)),
                                      footprint: try WKB.decode(r.bytes(3) ?? []))
        }
        return try RecordPlacement.choose(p, among: candidates, toleranceMetres: toleranceMetres, day: day)
    }
}

/// The person and business tables for the version rules (new versions by COPY at the end, ids
/// the next after the largest, as SQLite's row ids).
final class PGRecordVersionRows: VersionedRows {
    struct Row {
        let key: String
        let values: [SQLValue]
        let validFrom: String
        let validTo: String?
    }

    let kind: RecordKind
    let day: String
    private let c: PGConnection
    private let versions: PGVersionStatements
    private var nextID: Int64
    private var rows: [UInt8] = []
    private var line = PGCopyRow()
    /// Buildings whose records this import changed (for refreshing only their counts).
    private(set) var touched = Set<String>()

    init(kind: RecordKind, connection: PGConnection, day: String) throws {
        self.kind = kind; self.day = day; c = connection
        versions = PGVersionStatements(c: connection, table: kind.table, id: "id", key: kind.key)
        nextID = try connection.query("SELECT coalesce(max(id), 0) + 1 FROM \(kind.table)").row(0).int(0)
    }

    private func touch(_ id: Int64) throws {
        let r = try c.query("SELECT building_code FROM \(kind.table) WHERE id = $1", [.int(id)], prepare: true)
        if r.rows > 0, let code = r.row(0).text(0) { touched.insert(code) }
    }

    func row(for r: KeyedRecord) throws -> Row {
        let (values, from, to) = try RecordPlacement.versionRow(kind, r)
        return Row(key: r.key, values: values, validFrom: from, validTo: to)
    }

    func ended(_ row: Row, onOrBefore day: String) -> String? {
        row.validTo.flatMap { $0 <= day ? $0 : nil }
    }

    func current(_ key: String, comparedWith row: Row) throws -> (id: Int64, from: String, same: Bool)? {
        let r = try c.query("SELECT id, valid_from, \(kind.columns.joined(separator: ", ")) FROM \(kind.table) WHERE \(kind.key) = $1 AND valid_to IS NULL ORDER BY id",
                            [.text(key)], prepare: true)
        guard r.rows > 0 else { return nil }
        // A key with several open versions (a bulk load can leave duplicates; the consistency
        // checks report them) keeps the first: the import that names it closes the others.
        for i in 1..<r.rows {
            let extra = r.row(i)
            if (extra.text(1) ?? "") >= day { try remove(extra.int(0)) } else { try close(extra.int(0), on: day) }
        }
        let s = r.row(0)
        return (s.int(0), s.text(1) ?? "", s.holds(row.values, from: 2, doublesCompare: false))
    }

    func newestDay(_ key: String) throws -> String? { try versions.newestDay(key) }
    func close(_ id: Int64, on day: String) throws { try touch(id); try versions.close(id, on: day) }
    func remove(_ id: Int64) throws { try touch(id); try versions.remove(id) }
    func openVersions(onOrBefore day: String) throws -> [(id: Int64, key: String, from: String)] { try versions.openVersions(onOrBefore: day) }

    func insert(_ row: Row) throws {
        let from = try RecordPlacement.versionStart(changed: try versions.newestDay(row.key) != nil, day: day, key: row.key,
                                                    validFrom: row.validFrom, validTo: row.validTo)
        line.int(nextID); nextID += 1
        line.text(row.key)
        for v in row.values { line.value(v) }
        line.text(from); line.text(row.validTo)
        rows.append(contentsOf: line.line())
        if case .text(let code) = row.values[0] { touched.insert(code) }
    }

    func finish() throws {
        guard !rows.isEmpty else { return }
        let columns = (["id", kind.key] + kind.columns + ["valid_from", "valid_to"]).joined(separator: ", ")
        try c.copyIn("COPY \(kind.table)(\(columns)) FROM STDIN") { try $0.write(rows) }
        rows = []
    }
}
