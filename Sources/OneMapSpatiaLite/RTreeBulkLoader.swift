import OneMapStore
import OneMapGeo

/// Builds a SpatiaLite spatial index (an SQLite R*Tree) in one pass, packing Hilbert-sorted boxes
/// into full nodes and writing the R*Tree's shadow tables directly, instead of inserting row by
/// row (SQLite's R* insertion costs ~16 µs a row: 3.3 s for 200,000 footprints).
///
/// The layout is SQLite's documented R*Tree format: `<index>_node(nodeno, data)` with node 1 the
/// root; a node is 2 bytes tree depth (root only), 2 bytes cell count, then cells of a 64-bit id
/// (row id in leaves, child node in inner nodes) and xmin, xmax, ymin, ymax as 32-bit floats, all
/// big-endian, padded to the index's node size; `<index>_rowid` maps rows to leaves and
/// `<index>_parent` nodes to parents. Boxes are rounded outwards to floats as SQLite does.
/// `rtreecheck()` verifies the result in the tests.
enum RTreeBulkLoader {
    struct Entry {
        let id: Int64
        var xmin, xmax, ymin, ymax: Float

        init(id: Int64, xmin: Float, xmax: Float, ymin: Float, ymax: Float) {
            self.id = id; self.xmin = xmin; self.xmax = xmax; self.ymin = ymin; self.ymax = ymax
        }

        /// A row's box, rounded outwards to floats.
        init(id: Int64, box: BBox) {
            self.init(id: id, xmin: RTreeBulkLoader.down(box.minX), xmax: RTreeBulkLoader.up(box.maxX),
                      ymin: RTreeBulkLoader.down(box.minY), ymax: RTreeBulkLoader.up(box.maxY))
        }
    }

    /// Replaces the content of R*Tree `index` with one entry per row of `table` (id column `idColumn`,
    /// SpatiaLite geometry column `geom`).
    static func rebuild(index: String, table: String, idColumn: String, on c: SQLiteConnection) throws {
        var entries: [Entry] = []
        let rows = try c.prepare("SELECT \(idColumn), geom FROM \(table) WHERE geom IS NOT NULL")
        while try rows.step() {
            let id = rows.int(0)
            guard let box = rows.withBlob(1, { mbr(ofSpatiaLiteBlob: $0) }) else {
                throw StoreError("\(table) row \(id): geometry is not a SpatiaLite geometry")
            }
            entries.append(Entry(id: id, box: box))
        }
        try write(entries, index: index, on: c)
    }

    /// Replaces the content of R*Tree `index` with `entries` (every row of its table).
    /// `presorted`: the entries are already in Hilbert order (rows written in that order), kept as
    /// given; `rowsOf`: the indexed table and its id column, which lets consecutive ids be mapped
    /// to their leaves by one statement instead of one insert per row.
    static func write(_ given: consuming [Entry], index: String, presorted: Bool = false, rowsOf source: (table: String, idColumn: String)? = nil,
                      on c: SQLiteConnection) throws {
        var entries = given
        guard let nodeSize = try c.scalarInt("SELECT length(data) FROM \"\(index)_node\" WHERE nodeno = 1"), nodeSize > 28 else {
            throw StoreError("spatial index \(index) has no root node")
        }
        let capacity = (Int(nodeSize) - 4) / 24
        try c.exec("DELETE FROM \"\(index)_node\"; DELETE FROM \"\(index)_parent\"; DELETE FROM \"\(index)_rowid\"")
        let putNode = try c.prepare("INSERT INTO \"\(index)_node\"(nodeno, data) VALUES (?, ?)")
        let putParent = try c.prepare("INSERT INTO \"\(index)_parent\"(nodeno, parentnode) VALUES (?, ?)")
        let putRow = try c.prepare("INSERT INTO \"\(index)_rowid\"(rowid, nodeno) VALUES (?, ?)")
        if entries.isEmpty {
            try putNode.run([.int(1), .blob(encode(depth: 0, cells: [], size: Int(nodeSize)))])
            return
        }
        if !presorted { sortAlongHilbertCurve(&entries) }
        // Leaf k holds entries k*capacity..<(k+1)*capacity; with ids first, first+1, ... that is
        // a formula over the id.
        let first = entries[0].id
        let consecutive = source != nil && entries.indices.allSatisfy { entries[$0].id == first + Int64($0) }

        // Levels bottom-up, each a flat array whose node k holds cells k*capacity..<(k+1)*capacity:
        // entries (the leaves, not copied) or the boxes of the nodes below (inner levels).
        let count = entries.count
        func nodes(_ level: [Entry]) -> Int { (level.count + capacity - 1) / capacity }
        func cells(_ level: [Entry], _ k: Int) -> ArraySlice<Entry> { level[(k * capacity)..<min((k + 1) * capacity, level.count)] }
        var levels: [[Entry]] = [consume entries]
        while nodes(levels.last!) > 1 {
            let below = levels.last!
            levels.append((0..<nodes(below)).map { k in union(cells(below, k), id: Int64(k)) })
        }
        // Node numbers: the root is 1, then level by level from the top.
        var firstNumber: [Int64] = Array(repeating: 0, count: levels.count)
        var next: Int64 = 1
        for l in stride(from: levels.count - 1, through: 0, by: -1) {
            firstNumber[l] = next
            next += Int64(nodes(levels[l]))
        }
        let depth = levels.count - 1
        for l in 0..<levels.count {
            for k in 0..<nodes(levels[l]) {
                let nodeno = firstNumber[l] + Int64(k)
                // Inner cells point at child node numbers (their id holds the child's index below).
                let node = Array(cells(levels[l], k))
                let encoded = l == 0 ? node : node.map { Entry(id: firstNumber[l - 1] + $0.id, xmin: $0.xmin, xmax: $0.xmax, ymin: $0.ymin, ymax: $0.ymax) }
                try putNode.run([.int(nodeno), .blob(encode(depth: nodeno == 1 ? depth : 0, cells: encoded, size: Int(nodeSize)))])
                if l == 0 {
                    if !consecutive { for e in node { try putRow.run([.int(e.id), .int(nodeno)]) } }
                } else {
                    for e in encoded { try putParent.run([.int(e.id), .int(nodeno)]) }
                }
            }
        }
        let firstLeaf: Int64? = firstNumber[0]
        if consecutive, let source, let firstLeaf {
            try c.prepare("""
                INSERT INTO "\(index)_rowid"(rowid, nodeno)
                SELECT \(source.idColumn), ?1 + (\(source.idColumn) - ?2) / ?3 FROM \(source.table)
                WHERE \(source.idColumn) BETWEEN ?2 AND ?4 ORDER BY \(source.idColumn)
                """).run([.int(firstLeaf), .int(first), .int(Int64(capacity)), .int(first + Int64(count) - 1)])
            guard try c.scalarInt("SELECT count(*) FROM \"\(index)_rowid\"") == Int64(count) else {
                throw StoreError("spatial index \(index): rows \(first)...\(first + Int64(count) - 1) are not all in \(source.table)")
            }
        }
    }

    /// The MBR stored in a SpatiaLite geometry BLOB header (nil when it is not one).
    static func mbr(ofSpatiaLiteBlob b: UnsafeRawBufferPointer) -> BBox? {
        guard b.count >= 44, b[0] == 0x00, b[38] == 0x7C, b[1] == 0x01 || b[1] == 0x00 else { return nil }
        func double(_ at: Int) -> Double {
            var bits: UInt64 = 0
            withUnsafeMutableBytes(of: &bits) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: b[at..<at + 8])) }
            return Double(bitPattern: b[1] == 0x01 ? UInt64(littleEndian: bits) : UInt64(bigEndian: bits))
        }
        return BBox(minX: double(6), minY: double(14), maxX: double(22), maxY: double(30))
    }

    /// Rounded towards minus infinity / plus infinity, so the float box contains the true one.
    static func down(_ d: Double) -> Float { let f = Float(d); return Double(f) > d ? f.nextDown : f }
    static func up(_ d: Double) -> Float { let f = Float(d); return Double(f) < d ? f.nextUp : f }

    private static func union(_ cells: ArraySlice<Entry>, id: Int64) -> Entry {
        var u = cells[cells.startIndex]
        for e in cells.dropFirst() {
            u.xmin = min(u.xmin, e.xmin); u.xmax = max(u.xmax, e.xmax)
            u.ymin = min(u.ymin, e.ymin); u.ymax = max(u.ymax, e.ymax)
        }
        return Entry(id: id, xmin: u.xmin, xmax: u.xmax, ymin: u.ymin, ymax: u.ymax)
    }

    private static func sortAlongHilbertCurve(_ entries: inout [Entry]) {
        var box = BBox(minX: Double(entries[0].xmin), minY: Double(entries[0].ymin), maxX: Double(entries[0].xmax), maxY: Double(entries[0].ymax))
        for e in entries { box.extend(BBox(minX: Double(e.xmin), minY: Double(e.ymin), maxX: Double(e.xmax), maxY: Double(e.ymax))) }
        let curve = HilbertCurve(box: box)
        // Keys and an order (12 B an entry), then the order applied in place cycle by cycle: no
        // sorted copy of the entries (0.5 GB at 20 million rows).
        var order = Array(0..<Int32(entries.count))
        do {
            let keys = entries.map { e in curve.index(Position(Double(e.xmin + e.xmax) / 2, Double(e.ymin + e.ymax) / 2)) }
            order.sort { keys[Int($0)] < keys[Int($1)] }
        }
        // The entry at position j is to be the one now at order[j]; a done position is marked -1.
        entries.withUnsafeMutableBufferPointer { e in
            order.withUnsafeMutableBufferPointer { o in
                for start in 0..<e.count where o[start] >= 0 {
                    let held = e[start]
                    var j = start
                    while true {
                        let from = Int(o[j])
                        o[j] = -1
                        if from == start { e[j] = held; break }
                        e[j] = e[from]
                        j = from
                    }
                }
            }
        }
    }

    private static func encode(depth: Int, cells: [Entry], size: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        func put16(_ v: Int, at i: Int) { out[i] = UInt8(v >> 8 & 0xFF); out[i + 1] = UInt8(v & 0xFF) }
        func put32(_ v: UInt32, at i: Int) { for k in 0..<4 { out[i + k] = UInt8(v >> (24 - 8 * k) & 0xFF) } }
        func put64(_ v: UInt64, at i: Int) { for k in 0..<8 { out[i + k] = UInt8(v >> (56 - 8 * k) & 0xFF) } }
        put16(depth, at: 0)
        put16(cells.count, at: 2)
        var at = 4
        for c in cells {
            put64(UInt64(bitPattern: c.id), at: at)
            put32(c.xmin.bitPattern, at: at + 8); put32(c.xmax.bitPattern, at: at + 12)
            put32(c.ymin.bitPattern, at: at + 16); put32(c.ymax.bitPattern, at: at + 20)
            at += 24
        }
        return out
    }
}

/// A spatial index taken out of row-by-row maintenance for a bulk write: its triggers are saved
/// and dropped, and `resume` rebuilds the index in one pass and puts the triggers back (all inside
/// the caller's transaction, so readers never see the index without its rows).
struct SuspendedSpatialIndex {
    let table: String
    let idColumn: String
    private let triggers: [String]

    /// `alsoConstraints`: drop SpatiaLite's per-row geometry checks too (the caller checks after).
    static func suspend(table: String, idColumn: String, alsoConstraints: Bool = false, on c: SQLiteConnection) throws -> SuspendedSpatialIndex {
        var prefixes = ["gii_", "giu_", "gid_"]
        if alsoConstraints { prefixes += ["ggi_", "ggu_", "tmi_", "tmu_", "tmd_"] }
        let s = try c.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?")
        try s.bind([.text(table)])
        var saved: [(String, String)] = []
        while try s.step() {
            let name = s.text(0) ?? "", sql = s.text(1) ?? ""
            if prefixes.contains(where: { name.hasPrefix($0) }) { saved.append((name, sql)) }
        }
        for (name, _) in saved { try c.exec("DROP TRIGGER \"\(name)\"") }
        return SuspendedSpatialIndex(table: table, idColumn: idColumn, triggers: saved.map(\.1))
    }

    /// `entries`: every row's box when the caller knows them all (a first load), else read back.
    /// `presorted`: `entries` are in Hilbert order (the rows were written in that order).
    func resume(entries: consuming [RTreeBulkLoader.Entry]? = nil, presorted: Bool = false, on c: SQLiteConnection) throws {
        if let given = entries.take() {
            try RTreeBulkLoader.write(given, index: "idx_\(table)_geom", presorted: presorted,
                                      rowsOf: (table, idColumn), on: c)
        } else {
            try RTreeBulkLoader.rebuild(index: "idx_\(table)_geom", table: table, idColumn: idColumn, on: c)
        }
        for sql in triggers { try c.exec(sql) }
    }
}
