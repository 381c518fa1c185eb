import OneMapStore
/// The statements every versioned table needs beyond its own insert and comparison: the newest
/// day of a key, closing or removing a version, and the open versions (for `replace`).
struct VersionStatements {
    private let connection: SQLiteConnection
    private let table, id, key: String
    private let newest, close, remove: Statement

    init(table: String, id: String, key: String, connection c: SQLiteConnection) throws {
        self.table = table; self.id = id; self.key = key; connection = c
        newest = try c.prepare("SELECT max(coalesce(valid_to, valid_from)) FROM \(table) WHERE \(key) = ?")
        close = try c.prepare("UPDATE \(table) SET valid_to = ? WHERE \(id) = ?")
        remove = try c.prepare("DELETE FROM \(table) WHERE \(id) = ?")
    }

    func newestDay(_ k: String) throws -> String? {
        newest.reset()
        defer { newest.reset() }
        try newest.bind([.text(k)])
        return try newest.step() ? newest.text(0) : nil
    }

    func close(_ rowID: Int64, on day: String) throws { try close.run([.text(day), .int(rowID)]) }
    func remove(_ rowID: Int64) throws { try remove.run([.int(rowID)]) }

    func openVersions(onOrBefore day: String) throws -> [(id: Int64, key: String, from: String)] {
        let s = try connection.prepare("SELECT \(id), \(key), valid_from FROM \(table) WHERE valid_to IS NULL AND valid_from <= ? AND \(key) IS NOT NULL")
        try s.bind([.text(day)])
        var out: [(Int64, String, String)] = []
        while try s.step() { out.append((s.int(0), s.text(1) ?? "", s.text(2) ?? "")) }
        return out
    }
}
