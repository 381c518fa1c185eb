import OneMapStore
import OneMapGeo

/// Building codes collected while writing records.
final class TouchedBuildings {
    var codes = Set<String>()
}

/// The person and business tables for the version rules. A record's version holds while it is at
/// one building with the same attributes; validity [valid_from, valid_to) is what counts use, the
/// facts (moved_in/moved_out, registered/cancelled) are kept as given.
struct RecordVersionRows: VersionedRows {
    /// Column values in `columns` order, the version's first day and its end (the fact end, if any).
    struct Row {
        let key: String
        let values: [SQLValue]
        let validFrom: String
        let validTo: String?
    }

    let kind: RecordKind
    let day: String
    private let insert, current, buildingOf: Statement
    private let versions: VersionStatements
    /// Buildings whose records this import changed (for refreshing only their counts).
    let touched = TouchedBuildings()

    init(kind: RecordKind, connection c: SQLiteConnection, day: String) throws {
        self.kind = kind; self.day = day
        let cols = [kind.key] + kind.columns + ["valid_from", "valid_to"]
        insert = try c.prepare("INSERT INTO \(kind.table)(\(cols.joined(separator: ", "))) VALUES (\(cols.map { _ in "?" }.joined(separator: ",")))")
        current = try c.prepare("SELECT id, valid_from, \(kind.columns.joined(separator: ", ")) FROM \(kind.table) WHERE \(kind.key) = ? AND valid_to IS NULL ORDER BY id")
        versions = try VersionStatements(table: kind.table, id: "id", key: kind.key, connection: c)
        buildingOf = try c.prepare("SELECT building_code FROM \(kind.table) WHERE id = ?")
    }

    private func touch(_ id: Int64) throws {
        buildingOf.reset()
        defer { buildingOf.reset() }
        try buildingOf.bind([.int(id)])
        if try buildingOf.step(), let code = buildingOf.text(0) { touched.codes.insert(code) }
    }

    func row(for r: KeyedRecord) throws -> Row {
        let (values, from, to) = try RecordPlacement.versionRow(kind, r)
        return Row(key: r.key, values: values, validFrom: from, validTo: to)
    }

    func ended(_ row: Row, onOrBefore day: String) -> String? {
        row.validTo.flatMap { $0 <= day ? $0 : nil }
    }

    /// The open version of `key`. A key with several (a bulk load can leave duplicates; the
    /// consistency checks report them) keeps the first: the import that names it closes the others.
    func current(_ key: String, comparedWith row: Row) throws -> (id: Int64, from: String, same: Bool)? {
        current.reset()
        try current.bind([.text(key)])
        guard try current.step() else { current.reset(); return nil }
        // Person and business columns hold no numbers: a double never matches.
        let first = (id: current.int(0), from: current.text(1) ?? "", same: current.row.holds(row.values, from: 2, doublesCompare: false))
        var extra: [(id: Int64, from: String)] = []
        while try current.step() { extra.append((current.int(0), current.text(1) ?? "")) }
        current.reset()
        for e in extra { if e.from >= day { try remove(e.id) } else { try close(e.id, on: day) } }
        return first
    }

    func newestDay(_ key: String) throws -> String? { try versions.newestDay(key) }
    func close(_ id: Int64, on day: String) throws { try touch(id); try versions.close(id, on: day) }
    func remove(_ id: Int64) throws { try touch(id); try versions.remove(id) }
    func openVersions(onOrBefore day: String) throws -> [(id: Int64, key: String, from: String)] {
        try versions.openVersions(onOrBefore: day)
    }

    /// Inserts a version. A changed record's new version starts on the import day (the applier has
    /// closed the previous one that day); a new record's starts at its own fact start.
    func insert(_ row: Row) throws {
        insert.reset()
        defer { insert.reset() }
        try insert.bind(1, .text(row.key))
        for (i, v) in row.values.enumerated() { try insert.bind(2 + i, v) }
        let from = try RecordPlacement.versionStart(changed: try versions.newestDay(row.key) != nil, day: day, key: row.key,
                                                    validFrom: row.validFrom, validTo: row.validTo)
        try insert.bind(2 + row.values.count, .text(from))
        try insert.bind(3 + row.values.count, row.validTo.map { .text($0) } ?? .null)
        try insert.step()
        if case .text(let code) = row.values[0] { touched.codes.insert(code) }
    }
}
