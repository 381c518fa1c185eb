import OneMapStore
import Foundation
import OneMapGeo

extension SpatiaLiteStore {
    public func applyVersions(layer: LayerInfo, stream: RecordStream, mode: ImportMode,
                              validFrom day: String, skipBad: Bool, progress: (Int) -> Void = { _ in }) throws -> VersionSummary {
        let existing = try self.layer(id: layer.id)
        let target = try ImportChecks.versionTarget(layer, existing: existing, day: day)
        StageTimer.mark("check fields")
        let isCore = CoreLayers.all.contains { $0.id == target.id }
        return try withWriteTransaction(analyze: isCore ? nil : UserLayerTable(target).table) { c in
            var summary: VersionSummary
            let chunks = ImportedChunks(stream: stream, target: target, isNew: existing == nil)
            if target.id == "buildings" {
                // A large import is faster without the R*Tree's per-row triggers: the index is rebuilt
                // in one pass before commit (readers keep the committed index meanwhile).
                // Decided at the first chunk (a file larger than one chunk is large), before any
                // statement on the table is prepared: a statement prepared before the triggers
                // are dropped can meet a schema another process changed meanwhile.
                var suspended: SuspendedSpatialIndex?
                var application: VersionApplication<BuildingVersionRows>?
                func start(_ firstChunk: Int) throws -> VersionApplication<BuildingVersionRows> {
                    if max(firstChunk, stream.expectedCount ?? 0) >= Self.rebuildIndexThreshold {
                        suspended = try SuspendedSpatialIndex.suspend(table: "buildings", idColumn: "id", on: c)
                    }
                    return VersionApplication(mode: mode, day: day, into: try BuildingVersionRows(connection: c, day: day),
                                              tableIsEmpty: false, expectedCount: stream.expectedCount, box: nil)
                }
                try chunks.forEach { records in
                    if application == nil { application = try start(records.count) }
                    try application!.apply(records, progress: progress)
                }
                if application == nil { application = try start(0) }
                summary = try application!.finish()
                try suspended?.resume(on: c)
            } else {
                summary = try applyUserLayer(target, isNew: existing == nil, chunks: chunks, mode: mode, day: day, on: c, progress: progress)
            }
            summary.rejected = (chunks.rejected + summary.rejected).sorted { $0.row < $1.row }
            if !summary.rejected.isEmpty && !skipBad {
                throw ImportRefused(rejected: summary.rejected,
                                    reason: "\(summary.rejected.count) bad row(s); nothing was imported (use --skip-bad to import the rest)")
            }
            // The statements above are finalised by now: SQLite cannot drop temp tables under live ones.
            if target.id == "buildings" {
                try finishLoad(c)
            } else {
                try Self.finishUserLayer(UserLayerTable(target), on: c)
            }
            if summary.inserted + summary.updated + summary.closed > 0 {
                let given = chunks.box
                let table = target.id == "buildings" ? "buildings" : UserLayerTable(target).table
                try ChangeLog.recordVersions(c, layer: target.id, table: table, day: day, extra: given)
                if target.id == "buildings" {
                    // Area populations follow building centroids: the areas' tiles from that day too.
                    for l in [CoreLayers.adminAreas.id, CoreLayers.adminLabels.id] { try ChangeLog.record(c, layer: l, fromDay: day, box: nil) }
                }
            }
            StageTimer.mark("indexes and derived data")
            return summary
        }
    }

    /// Imports at least this large rebuild the spatial index instead of maintaining it row by row.
    static let rebuildIndexThreshold = 5000

    private func applyUserLayer(_ layer: LayerInfo, isNew: Bool, chunks: ImportedChunks, mode: ImportMode, day: String,
                                on c: SQLiteConnection, progress: (Int) -> Void) throws -> VersionSummary {
        let table = UserLayerTable(layer)
        if isNew {
            let owner = try c.prepare("SELECT 1 FROM departments WHERE code = ?")
            try owner.bind([.text(layer.ownerDepartment)])
            guard try owner.step() else {
                let all = try c.prepare("SELECT code FROM departments ORDER BY code")
                var codes: [String] = []
                while try all.step() { codes.append(all.text(0) ?? "") }
                throw StoreError("unknown owner department '\(layer.ownerDepartment)'; departments: \(codes.joined(separator: ", "))")
            }
            // Created inside the import's transaction: a refused import leaves no empty layer behind.
            for sql in table.createDDL { try c.exec(sql) }
            // Registered and indexed while empty (instant), then bulk-loaded without per-row triggers.
            guard try c.scalarInt(table.registerGeometrySQL) == 1,
                  try c.scalarInt("SELECT CreateSpatialIndex('\(table.table)', 'geom')") == 1 else {
                throw StoreError("layer '\(layer.id)': SpatiaLite refused to register the geometry column")
            }
            let fields = try LayerInfo.catalogJSON(layer.fields)
            try c.prepare("""
                INSERT INTO layers(id, title, description, geometry_type, fields_json, owner_department, share_class, min_zoom, max_zoom, updated_at)
                VALUES (?,?,?,?,?,?,?,?,?,?)
                """).run([.text(layer.id), .text(layer.title), .text(layer.description), .text(layer.geometryType.rawValue), .text(fields),
                          .text(layer.ownerDepartment), .text(layer.shareClass.rawValue), .int(Int64(layer.minZoom)),
                          .int(Int64(layer.maxZoom)), .text(ISO8601DateFormatter().string(from: Date()))])
        }
        var suspended = isNew ? try SuspendedSpatialIndex.suspend(table: table.table, idColumn: "fid", alsoConstraints: true, on: c) : nil
        // Into a stored layer the index is suspended at the first chunk (a file larger than one
        // chunk is large), before the table's statements are prepared (see the buildings above).
        var application: VersionApplication<UserLayerVersionRows>?
        var rows: UserLayerVersionRows?
        func start(_ firstChunk: Int) throws -> VersionApplication<UserLayerVersionRows> {
            if !isNew, max(firstChunk, chunks.stream.expectedCount ?? 0) >= Self.rebuildIndexThreshold {
                suspended = try SuspendedSpatialIndex.suspend(table: table.table, idColumn: "fid", on: c)
            }
            let r = try UserLayerVersionRows(table: table, connection: c, day: day)
            rows = r
            return VersionApplication(mode: mode, day: day, into: r, tableIsEmpty: isNew,
                                      expectedCount: chunks.stream.expectedCount, box: chunks.stream.box)
        }
        try chunks.forEach { records in
            if application == nil { application = try start(records.count) }
            if application!.chunks == 1, let rows { rows.inserted.collecting = false; rows.inserted.entries = [] }
            try application!.apply(records, progress: progress)
        }
        if application == nil { application = try start(0) }
        let summary = try application!.finish()
        let collected = rows.map { $0.inserted.collecting } ?? true
        StageTimer.mark("write rows")
        // SpatiaLite's per-row geometry constraint triggers were off for a new layer's first load:
        // `row(for:)` has checked each geometry's type, and `SpatiaLiteBlob` writes SRID 4490.
        // A first load of one chunk knows every row's box, in Hilbert order; otherwise the index is
        // rebuilt from the table.
        try suspended?.resume(entries: isNew && collected ? rows?.inserted.take() ?? [] : nil, presorted: isNew, on: c)
        StageTimer.mark("spatial index")
        return summary
    }

    /// Key index, overlap triggers and spatial index (each only if missing), and the layer's date.
    static func finishUserLayer(_ table: UserLayerTable, on c: SQLiteConnection) throws {
        for sql in table.finishDDL { try c.exec(sql) }
        try bumpGeneration(c)
        StageTimer.mark("key index and triggers")
        try c.prepare("UPDATE layers SET updated_at = ? WHERE id = ?")
            .run([.text(ISO8601DateFormatter().string(from: Date())), .text(table.layer.id)])
    }
}
