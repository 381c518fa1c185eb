import CSQLite3
import Foundation
import OneMapGeo
import OneMapStore
import Testing
import OneMapTiles

/// The tile cache on disk: kept across reopenings, changes (also those made while closed) drop
/// exactly the tiles they touch, another or rebuilt database empties it, and it stays in its size.
@Suite struct PersistentTileStoreTests {
    let dir = NSTemporaryDirectory() + "onemap-tilecache-\(UUID().uuidString)"
    let here = BBox(minX: 117.60, minY: 26.20, maxX: 117.62, maxY: 26.22)
    let there = BBox(minX: 117.30, minY: 25.90, maxX: 117.32, maxY: 25.92)

    func open(_ storePath: String = "/data/a.sqlite", seq: Int64, changes: [ChangeExtent] = [], maxBytes: Int = 1 << 30) throws -> PersistentTileStore {
        try PersistentTileStore(directory: dir, owner: StoreIdentity(storePath), storeSeq: seq, maxBytes: maxBytes) { after in changes.filter { $0.seq > after } }
    }

    func fill(_ s: PersistentTileStore) {
        s.put("here", bytes: [1, 2, 3], features: 3, layers: ["buildings"], box: here, lastDay: nil)
        s.put("here-2020", bytes: [4], features: 1, layers: ["buildings"], box: here, lastDay: "2020-06-01")
        s.put("there", bytes: [5, 6], features: 2, layers: ["buildings", "admin_areas"], box: there, lastDay: nil)
        s.put("here-areas", bytes: [7], features: 1, layers: ["admin_areas"], box: here, lastDay: nil)
    }

    @Test func tilesSurviveReopeningAndChangesDropExactlyWhatTheyTouch() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let s = try open(seq: 10)
            fill(s)
            #expect(s.get("there")?.bytes == [5, 6] && s.get("there")?.features == 2 && s.get("nope") == nil)
            // A change to buildings here from 2024: today's tile here goes; 2020's, there and other layers stay.
            s.invalidate(ChangeExtent(seq: 11, layer: "buildings", fromDay: "2024-01-01", box: here))
            #expect(s.get("here") == nil && s.get("here-2020") != nil && s.get("there") != nil && s.get("here-areas") != nil)
            #expect(s.count == 3)
        }
        // Closed while two more changes were committed: applied on reopening, seq 11 not twice.
        let missed = [ChangeExtent(seq: 12, layer: "admin_areas", fromDay: nil, box: nil)]
        let again = try open(seq: 12, changes: missed)
        #expect(again.get("here-2020")?.bytes == [4] && again.get("there") == nil && again.get("here-areas") == nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: again.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func anotherOrRebuiltDatabaseEmptiesIt() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        fill(try open(seq: 10))
        #expect(try open(seq: 10).count == 4)
        #expect(try open("/data/b.sqlite", seq: 10).count == 0)
        fill(try open(seq: 10))
        // The same path with fewer changes than recorded: rebuilt (e.g. `onemap demo --force`).
        #expect(try open(seq: 3).count == 0)
    }

    @Test func itKeepsToItsSize() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try open(seq: 1, maxBytes: 10_000)
        for k in 0..<100 { s.put("t\(k)", bytes: [UInt8](repeating: UInt8(k), count: 500), features: 1, layers: ["buildings"], box: here, lastDay: nil) }
        #expect(s.count <= 20 && s.count > 0)
        #expect(s.get("t99") != nil && s.get("t0") == nil)
    }

    @Test func aChangeThatCannotBeAppliedIsNotRecordedAndNothingStaleIsServed() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try open(seq: 10)
        fill(s)
        // The cache's file refuses deletions (a full disk, a damaged file): the change cannot drop
        // its tiles, nor can every tile be dropped.
        var db: OpaquePointer?
        #expect(sqlite3_open(s.path, &db) == SQLITE_OK)
        #expect(sqlite3_exec(db, "CREATE TRIGGER refuse BEFORE DELETE ON tiles BEGIN SELECT RAISE(ABORT, 'refused'); END", nil, nil, nil) == SQLITE_OK)
        s.invalidate(ChangeExtent(seq: 11, layer: "buildings", fromDay: nil, box: here))
        // Nothing it holds is served, the problem is told, and the change is not recorded as applied.
        #expect(s.get("there") == nil && s.get("here") == nil)
        #expect(s.lastProblem?.contains("change 11") == true)
        #expect(sqlite3_exec(db, "DROP TRIGGER refuse", nil, nil, nil) == SQLITE_OK)
        sqlite3_close(db)
        // Reopened (a restart): the change is applied then.
        let again = try open(seq: 11, changes: [ChangeExtent(seq: 11, layer: "buildings", fromDay: nil, box: here)])
        #expect(again.get("here") == nil && again.get("there")?.bytes == [5, 6])
    }
}
