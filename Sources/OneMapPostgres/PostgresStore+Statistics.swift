import Foundation
import OneMapGeo
import OneMapStore

/// Statistics support in PostgreSQL.
extension PostgresStore {
    public func areaTotals(code: String, on days: [String]) throws -> [AreaTotals?] {
        try totalsDayByDay(code: code, on: days)
    }

    public func earliestRecordDay() throws -> String? {
        try readers.with { c in try c.query("SELECT min(valid_from) FROM buildings").row(0).text(0) }
    }

    /// The partitions' row estimates (kept by ANALYZE and autovacuum): counting 160 million people
    /// would read the whole table. A table never analysed has no estimate (-1): it is counted.
    public func estimatedStatisticsRecords() throws -> Int {
        try readers.with { c in
            var total = 0
            for table in ["population", "businesses"] {
                let r = try c.query("""
                    SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint, count(*) FILTER (WHERE c.reltuples < 0)
                    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass
                    """, [.text(table)]).row(0)
                total += r.int(1) > 0 ? Int(try c.query("SELECT count(*) FROM \(table)").row(0).int(0)) : Int(r.int(0))
            }
            return total
        }
    }

    public func statisticsSecret() throws -> [UInt8] {
        func stored() throws -> [UInt8]? {
            try readers.with { c in
                let r = try c.query("SELECT value FROM derived_state WHERE key = 'disclosure_secret'")
                guard r.rows > 0, let hex = r.row(0).text(0), hex.count == 64 else { return nil }
                return Digest.bytes(hex: hex)
            }
        }
        if let s = try stored() { return s }
        // Made once; a concurrent maker's value wins (DO NOTHING) and both read it back.
        try write { c in
            try c.query("INSERT INTO derived_state(key, value) VALUES ('disclosure_secret', $1) ON CONFLICT (key) DO NOTHING",
                        [.text(Digest.hex(Digest.randomBytes(32)))])
        }
        guard let s = try stored() else { throw StoreError("the disclosure-control secret could not be stored", kind: .internal) }
        return s
    }
}
