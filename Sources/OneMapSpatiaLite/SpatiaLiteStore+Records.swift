import OneMapStore
import Foundation
import OneMapGeo

extension SpatiaLiteStore {
    public func applyRecords(layer: String, records: [RecordSource], alreadyRejected: [RejectedRow], mode: ImportMode,
                             validFrom day: String, toleranceMetres: Double, skipBad: Bool, identities: IdentityLinks?,
                             progress: (Int) -> Void = { _ in }) throws -> RecordImportSummary {
        let kind = try ImportChecks.recordKind(layer, day: day)
        return try withWriteTransaction(analyze: kind.table) { c in
            // Lookups by key need the key indexes (a database migrated from schema 1 may lack them).
            for sql in Schema.postLoadIndexes { try c.exec(sql) }
            var summary = RecordImportSummary()
            var rejected = alreadyRejected
            let locator = try BuildingLocator(connection: c, day: day, toleranceMetres: toleranceMetres)
            var keyed: [KeyedRecord] = []
            keyed.reserveCapacity(records.count)
            for r in records {
                var values = r.values
                let placed: BuildingLocator.Placement
                do { placed = try locator.place(buildingCode: values["building_code"], position: r.position) } catch let e as StoreError {
                    rejected.append(RejectedRow(row: r.row, reason: e.message)); continue
                }
                switch placed.how {
                case .byKey: summary.byBuildingKey += 1
                case .inside: summary.insideBuilding += 1
                case .nearest: summary.nearestBuilding += 1
                }
                values["building_code"] = .string(placed.code)
                // The record stands where its building's centroid is (the centroid rule of the counts).
                keyed.append(KeyedRecord(row: r.row, key: r.key, values: values, geometry: .point(placed.centroid)))
            }
            StageTimer.mark("place records")
            let rows = try RecordVersionRows(kind: kind, connection: c, day: day)
            summary.versions = try VersionApplier.apply(keyed, mode: mode, day: day, into: rows, tableIsEmpty: false, progress: progress)
            // Residents and businesses are counted on buildings and areas: their tiles from that day.
            for l in [CoreLayers.buildings.id, CoreLayers.adminAreas.id, CoreLayers.adminLabels.id] {
                try ChangeLog.record(c, layer: l, fromDay: day, box: nil)
            }
            summary.versions.rejected = (rejected + summary.versions.rejected).sorted { $0.row < $1.row }
            if !summary.versions.rejected.isEmpty && !skipBad {
                throw ImportRefused(rejected: summary.versions.rejected,
                                    reason: "\(summary.versions.rejected.count) bad row(s); nothing was imported (use --skip-bad to import the rest)")
            }
            if let links = IdentityLedger.accepted(identities, records: keyed, rejected: summary.versions.rejected) {
                try IdentityLedger.link(SQLiteLedger(c), links)
            }
            StageTimer.mark("write records")
            // Buildings and areas do not change here: unless the stored counts have gone stale since
            // the last refresh, only the touched buildings' counts and the area totals are redone.
            if try DerivedCounts.storedCountsHold(c, on: DerivedCounts.today()) {
                try DerivedCounts.refresh(c, buildings: rows.touched.codes)
                try Self.bumpGeneration(c)
            } else {
                try finishLoad(c)
            }
            StageTimer.mark("counts")
            return summary
        }
    }
}

/// Places a record in a building valid on the import day: by building key, else the building whose
/// footprint contains its coordinates, else the nearest within the tolerance.
struct BuildingLocator {
    typealias Placement = RecordPlacement.Placement

    let day: String
    let toleranceMetres: Double
    private let byCode, near: Statement

    init(connection c: SQLiteConnection, day: String, toleranceMetres: Double) throws {
        self.day = day; self.toleranceMetres = toleranceMetres
        byCode = try c.prepare("SELECT cx, cy FROM buildings WHERE entity_code = ?1 AND valid_from <= ?2 AND (valid_to IS NULL OR valid_to > ?2)")
        near = try c.prepare("""
            SELECT b.entity_code, b.cx, b.cy, AsBinary(b.geom) FROM buildings b
            WHERE b.id IN (SELECT pkid FROM idx_buildings_geom WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2)
              AND b.valid_from <= ?5 AND (b.valid_to IS NULL OR b.valid_to > ?5)
            ORDER BY b.id
            """)
    }

    func place(buildingCode: FieldValue?, position: Position?) throws -> Placement {
        if let code = try RecordPlacement.buildingCode(buildingCode) {
            byCode.reset()
            defer { byCode.reset() }
            try byCode.bind([.text(code), .text(day)])
            guard try byCode.step() else { throw StoreError("building '\(code)' does not exist on \(day)") }
            return Placement(code: code, centroid: Position(byCode.double(0), byCode.double(1)), how: .byKey)
        }
        guard let p = position else { throw StoreError("no building_code and no coordinates: the record cannot be placed") }
        let box = RecordPlacement.searchBox(around: p, toleranceMetres: toleranceMetres)
        near.reset()
        defer { near.reset() }
        try near.bind([.double(box.minX), .double(box.minY), .double(box.maxX), .double(box.maxY), .text(day)])
        var candidates: [RecordPlacement.Candidate] = []
        while try near.step() {
            candidates.append(RecordPlacement.Candidate(code: near.text(0) ?? "", centroid: Position(near.double(1), near.double(2)),
                                                        footprint: try near.withBlob(3, { try WKB.decode($0) })))
        }
        return try RecordPlacement.choose(p, among: candidates, toleranceMetres: toleranceMetres, day: day)
    }
}
