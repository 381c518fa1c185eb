import Foundation
import OneMapGeo
import OneMapStore

/// `onemap copy` from and into a SpatiaLite file.
extension SpatiaLiteStore: DatabaseCopying {
    private static func selectList(_ t: CopyTable) -> String {
        zip(t.quotedColumns, t.kinds).map { $1 == .geometry ? "AsBinary(\($0))" : $0 }.joined(separator: ", ")
    }

    public func copyRows(of table: CopyTable, _ body: ([SQLValue]) throws -> Void) throws {
        // Layers in catalog order (the order they were registered), everything else by key.
        let order = table.key.isEmpty ? "rowid" : table.key
        try readers.with(timeLimited: false) { c in
            let s = try c.prepare("SELECT \(Self.selectList(table)) FROM \"\(table.name)\" ORDER BY \(order)")
            defer { s.reset() }
            var row: [SQLValue] = []
            while try s.step() {
                row.removeAll(keepingCapacity: true)
                for (i, kind) in table.kinds.enumerated() {
                    let col = Int32(i)
                    if s.isNull(col) { row.append(.null); continue }
                    switch kind {
                    case .int: row.append(.int(s.int(col)))
                    case .double: row.append(.double(s.double(col)))
                    case .text: row.append(.text(s.text(col) ?? ""))
                    case .blob, .geometry: row.append(.blob(s.withBlob(col) { Array($0) }))
                    }
                }
                try body(row)
            }
        }
    }

    public func rowCount(of table: CopyTable) throws -> Int {
        try readers.with(timeLimited: false) { c in Int(try c.scalarInt("SELECT count(*) FROM \"\(table.name)\"") ?? 0) }
    }

    public func restore(from source: any OneMapDatabase, progress: (String, Int) -> Void) throws -> [CopyTable] {
        let layers = try source.layers()
        let tables = CopySchema.tables(layers: layers)
        try writeLock.withLock {
            let c = try SQLiteConnection(path: path, newFile: newFile)
            try c.exec("PRAGMA cache_size = -262144")
            try c.transaction {
                // Rows as they are: no change log of their own (one 'reset' makes engines build anew).
                for name in Schema.rowChangeTriggerNames { try c.exec("DROP TRIGGER IF EXISTS \(name)") }
                try c.exec("DELETE FROM layers")
                try c.exec("DELETE FROM departments")
                for table in tables {
                    let user = layers.first { "layer_\($0.id)" == table.name }.map(UserLayerTable.init)
                    if let user {
                        for sql in user.createDDL { try c.exec(sql) }
                        guard try c.scalarInt(user.registerGeometrySQL) == 1 else {
                            throw StoreError("layer '\(user.layer.id)': SpatiaLite refused to register the geometry column", kind: .internal)
                        }
                    }
                    let marks = table.kinds.map { $0 == .geometry ? "GeomFromWKB(?, 4490)" : "?" }.joined(separator: ", ")
                    let insert = try c.prepare("INSERT INTO \"\(table.name)\"(\(table.quotedColumns.joined(separator: ", "))) VALUES (\(marks))")
                    var n = 0
                    try source.copyRows(of: table) { row in
                        try insert.run(row)
                        n += 1
                        if n % 50_000 == 0 { progress(table.name, n) }
                    }
                    progress(table.name, n)
                    if let user {
                        guard try c.scalarInt("SELECT CreateSpatialIndex('\(user.table)', 'geom')") == 1 else {
                            throw StoreError("layer '\(user.layer.id)': SpatiaLite refused to index the geometry column", kind: .internal)
                        }
                        for sql in user.finishDDL { try c.exec(sql) }
                    }
                }
                for sql in Schema.postLoadIndexes { try c.exec(sql) }
                for table in ["admin_areas", "buildings"] { try c.exec("SELECT CreateSpatialIndex('\(table)', 'geom')") }
                for sql in Schema.rowChangeTriggers { try c.exec(sql) }
                try c.exec("INSERT INTO statistics_row_changes(tbl, row_id) VALUES ('reset', 0)")
            }
            try afterLoad(c)
        }
        return tables
    }
}
