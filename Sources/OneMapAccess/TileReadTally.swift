import Foundation
import OneMapGeo
import OneMapStore

/// Tile reads folded into one audit record per caller, layer, grant, client, outcome and minute,
/// with their count, the features they held and the union of their boxes. A map view reads dozens
/// of tiles a second; one row each came to about 6 GB a day under load, burying every other record.
/// What a department obtained stays answerable: who, which layer, under which grant, when (to the
/// minute), where (the box and zoom range) and how much.
struct TileReadTally {
    private struct Key: Hashable {
        let minute: Substring  // "2026-12-05T10:03"
        let principal: String, endpoint: String, layer: String?, grantID: Int64?, purpose: String?
        let datetime: String?, client: String?, outcome: String, matrixSet: String
    }

    private struct Sum {
        var firstAt: String
        var count = 0, rows = 0
        var minZoom = Int.max, maxZoom = Int.min
        var box: BBox?
    }

    private var sums: [Key: Sum] = [:]
    /// Insertion order, so records come out in the order their first read happened.
    private var order: [Key] = []

    /// Records waiting for their minute to pass.
    var pending: Int { sums.count }

    /// Takes a successful tile read (area "tile z/x/y" or "tile <matrix set> z/row/col", outcome
    /// 200, 204 or 304); false for anything else, which the caller records as it is.
    mutating func add(_ r: AuditRecord) -> Bool {
        guard r.action == "read", r.count == nil, ["200", "204", "304"].contains(r.outcome), let area = r.area, area.hasPrefix("tile "),
              let (tms, z, row, column) = Self.tile(area.dropFirst(5)), r.at.count >= 16 else { return false }
        let key = Key(minute: r.at.prefix(16), principal: r.principal, endpoint: r.endpoint, layer: r.layer, grantID: r.grantID, purpose: r.purpose,
                      datetime: r.datetime, client: r.client, outcome: r.outcome, matrixSet: tms.id)
        var sum = sums[key] ?? { order.append(key); return Sum(firstAt: r.at) }()
        sum.count += 1
        sum.rows += r.rows ?? 0
        sum.minZoom = min(sum.minZoom, z); sum.maxZoom = max(sum.maxZoom, z)
        let b = tms.unprojectBox(tms.bounds(level: z, row: row, column: column))
        if sum.box == nil { sum.box = b } else { sum.box!.extend(b) }
        sums[key] = sum
        return true
    }

    /// The records of minutes before `minute` (all with nil), removed from the tally.
    mutating func take(before minute: Substring?) -> [AuditRecord] {
        var out: [AuditRecord] = [], kept: [Key] = []
        for key in order {
            guard minute.map({ key.minute < $0 }) ?? true, let s = sums.removeValue(forKey: key) else { kept.append(key); continue }
            let zooms = s.minZoom == s.maxZoom ? "z\(s.minZoom)" : "z\(s.minZoom)-\(s.maxZoom)"
            let box = s.box.map { String(format: "%.6f,%.6f,%.6f,%.6f", $0.minX, $0.minY, $0.maxX, $0.maxY) } ?? "-"
            let set = key.matrixSet == TileMatrixSet.webMercatorQuad.id ? "" : " \(key.matrixSet)"
            out.append(AuditRecord(at: s.firstAt, principal: key.principal, action: "read", endpoint: key.endpoint, layer: key.layer,
                                   grantID: key.grantID, purpose: key.purpose, area: "tiles\(set) \(zooms) bbox \(box)", datetime: key.datetime,
                                   rows: s.rows, client: key.client, outcome: key.outcome, count: s.count))
        }
        order = kept
        return out
    }

    /// "z/x/y" (WebMercatorQuad) or "<matrix set> z/row/col".
    private static func tile(_ text: Substring) -> (TileMatrixSet, Int, Int, Int)? {
        let words = text.split(separator: " ")
        let tms: TileMatrixSet
        let numbers: Substring
        switch words.count {
        case 1: tms = .webMercatorQuad; numbers = words[0]
        case 2:
            guard let named = TileMatrixSet.named(String(words[0])) else { return nil }
            tms = named; numbers = words[1]
        default: return nil
        }
        let parts = numbers.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        // WebMercatorQuad areas are written z/x/y; the tiles API's as level/row/column.
        return words.count == 1 ? (tms, parts[0], parts[2], parts[1]) : (tms, parts[0], parts[1], parts[2])
    }
}
