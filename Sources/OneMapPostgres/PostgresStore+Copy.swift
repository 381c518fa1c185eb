import Foundation
import OneMapGeo
import OneMapStore

/// `onemap copy` from and into PostgreSQL: rows by COPY, ids and hashes as they are.
extension PostgresStore: DatabaseCopying {
    private static func selectList(_ t: CopyTable) -> String {
        zip(t.quotedColumns, t.kinds).map { $1 == .geometry ? "ST_AsBinary(\($0), 'NDR')" : $0 }.joined(separator: ", ")
    }

    public func copyRows(of table: CopyTable, _ body: ([SQLValue]) throws -> Void) throws {
        let order = table.key.isEmpty ? "ord" : table.key
        try readers.with(timeLimited: false) { c in
            var row: [SQLValue] = []
            try c.stream("SELECT \(Self.selectList(table)) FROM \"\(table.name)\" ORDER BY \(order)") { r in
                row.removeAll(keepingCapacity: true)
                for (i, kind) in table.kinds.enumerated() {
                    if r.isNull(i) { row.append(.null); continue }
                    switch kind {
                    case .int: row.append(.int(r.int(i)))
                    case .double: row.append(.double(r.double(i)))
                    case .text: row.append(.text(r.text(i) ?? ""))
                    case .blob, .geometry: row.append(.blob(r.bytes(i) ?? []))
                    }
                }
                try body(row)
            }
        }
    }

    public func rowCount(of table: CopyTable) throws -> Int {
        try readers.with(timeLimited: false) { c in Int(try c.query("SELECT count(*) FROM \"\(table.name)\"").row(0).int(0)) }
    }

    public func restore(from source: any OneMapDatabase, progress: (String, Int) -> Void) throws -> [CopyTable] {
        let layers = try source.layers()
        let tables = CopySchema.tables(layers: layers)
        let triggered = StatisticsRowLog.watched.map(\.table)
        try writeData { c in
            for table in triggered {
                for op in ["insert", "update", "delete"] { try c.exec("ALTER TABLE \(table) DISABLE TRIGGER \(table)_row_\(op)") }
            }
            try c.exec("DELETE FROM layers")
            try c.exec("DELETE FROM departments")
            for table in tables {
                let user = layers.first(where: { "layer_\($0.id)" == table.name }).map(PGUserLayerTable.init)
                if let user { try c.exec(user.tableDDL) }  // indexes after the rows
                let sequenced = table.name == "audit_log" || table.name == "change_extents"
                var buffer: [UInt8] = [], line = PGCopyRow(), n = 0, maxSeq: Int64 = 0
                func flush() throws {
                    guard !buffer.isEmpty else { return }
                    if sequenced { try Self.ensureSequencePartitions(c, table: table.name, through: maxSeq) }
                    try c.copyIn("COPY \"\(table.name)\"(\(table.quotedColumns.joined(separator: ", "))) FROM STDIN") { try $0.write(buffer) }
                    buffer.removeAll(keepingCapacity: true)
                }
                try source.copyRows(of: table) { row in
                    for (v, kind) in zip(row, table.kinds) {
                        if kind == .geometry, case .blob(let wkb) = v { line.geometry(wkb: wkb) } else { line.value(v) }
                    }
                    if sequenced, case .int(let seq) = row[0] { maxSeq = max(maxSeq, seq) }
                    buffer.append(contentsOf: line.line())
                    n += 1
                    if buffer.count >= 1 << 22 { try flush(); progress(table.name, n) }
                }
                try flush()
                if let user { for sql in user.indexDDL { try c.exec(sql) } }
                progress(table.name, n)
            }
            // Identity columns continue after the copied ids.
            for table in ["api_keys", "applications", "audit_checkpoints", "problems", "problem_events"] {
                try c.exec("SELECT setval(pg_get_serial_sequence('\(table)', 'id'), coalesce((SELECT max(id) FROM \(table)), 0) + 1, false)")
            }
            for sql in PostgresSchema.postLoadIndexes { try c.exec(sql) }
            for table in triggered {
                for op in ["insert", "update", "delete"] { try c.exec("ALTER TABLE \(table) ENABLE TRIGGER \(table)_row_\(op)") }
            }
            try c.exec("INSERT INTO statistics_row_changes(tbl, row_id) VALUES ('reset', 0)")
        }
        try writers.with(timeLimited: false) { c in try c.exec("ANALYZE") }
        afterChange()
        return tables
    }
}
