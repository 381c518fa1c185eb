import Foundation
import NIOCore
import OneMapGeo
import OneMapStore
import OneMapTiles

/// An encoded tile as served: its bytes (empty: 204), a strong ETag, and its gzip, made the first
/// time a client accepts gzip (most tile clients on an intranet do not ask: no cost for them).
final class CachedTile: @unchecked Sendable {
    let bytes: [UInt8]
    /// The bytes as NIO sends them: made once, shared by every response (no copy per hit).
    let buffer: ByteBuffer
    let etag: String
    let features: Int
    private let lock = NSLock()
    private var zipped: ByteBuffer??  // guarded by lock; .some(nil): not worth it

    init(bytes: [UInt8], features: Int) {
        self.bytes = bytes
        self.buffer = ByteBuffer(bytes: bytes)
        self.features = features
        etag = TileAnswer.etag(of: bytes)
    }

    private var answers: [Int: TileAnswer] = [:]  // guarded by lock

    /// The fast path's answer (without Date and Server) for gzip or not and keyed or not.
    func fastAnswer(gzip: Bool, keyed: Bool, make: () -> TileAnswer) -> TileAnswer {
        let slot = (gzip ? 1 : 0) | (keyed ? 2 : 0)
        if let a = lock.withLock({ answers[slot] }) { return a }
        let a = make()
        lock.withLock { answers[slot] = a }
        return a
    }

    /// The gzip of the bytes when it is smaller (nil otherwise).
    var gzippedBuffer: ByteBuffer? {
        if let done = lock.withLock({ zipped }) { return done }
        let z = bytes.count > 256 ? Gzip.compress(bytes).flatMap { $0.count < bytes.count ? ByteBuffer(bytes: $0) : nil } : nil
        lock.withLock { zipped = .some(z) }
        return z
    }

    /// Bytes held: the tile, its gzip (counted at most at the tile's size) and bookkeeping.
    var cost: Int { bytes.count * 2 + 256 }
}

/// What a cached tile shows: which layers, where (lon/lat, with the tile's buffer), up to which
/// day. A change drops exactly the entries it can alter.
struct TileScope: Sendable {
    let layers: Set<String>
    let box: BBox
    /// The last day the tile shows (nil: open ended).
    let lastDay: String?
}

/// An LRU of tiles bounded in bytes. Keys carry the caller's view (`LayerView.cacheKey`: fields,
/// masking, area), so a tile made for one caller never reaches a caller with fewer rights. The
/// `ChangeFeed` hands it the store's change extents (this process's edits and other processes'
/// imports) and it drops the entries they touch; everything else stays.
final class TileCache: @unchecked Sendable {
    private final class Node {
        let key: String
        let tile: CachedTile
        let scope: TileScope
        var prev: Node?
        var next: Node?
        init(key: String, tile: CachedTile, scope: TileScope) { self.key = key; self.tile = tile; self.scope = scope }
    }

    let capacity: Int
    private let lock = NSLock()
    private var nodes: [String: Node] = [:]  // guarded by lock
    private var head: Node?  // most recent; guarded by lock
    private var tail: Node?  // guarded by lock
    private var used = 0  // guarded by lock
    private var hits = 0, misses = 0, dropped = 0  // guarded by lock

    init(capacityBytes: Int) { capacity = capacityBytes }

    var bytesUsed: Int { lock.withLock { used } }
    var count: Int { lock.withLock { nodes.count } }
    /// For /health: size and counters.
    var statistics: [String: Int] {
        lock.withLock { ["tiles": nodes.count, "bytes": used, "capacity": capacity, "hits": hits, "misses": misses, "dropped": dropped] }
    }

    /// The entry; `countingMiss: false` for a look that a second one follows on a miss (the fast path's).
    func get(_ key: String, countingMiss: Bool = true) -> CachedTile? {
        lock.withLock {
            guard let n = nodes[key] else {
                if countingMiss { misses += 1 }
                return nil
            }
            hits += 1
            moveToFront(n)
            return n.tile
        }
    }

    /// Counts a miss found by a `get(_:countingMiss: false)` look.
    func noteMiss() { lock.withLock { misses += 1 } }

    func put(_ key: String, _ tile: CachedTile, scope: TileScope) {
        guard tile.cost <= capacity / 8 else { return }
        lock.withLock {
            if let old = nodes[key] { unlink(old) }
            let n = Node(key: key, tile: tile, scope: scope)
            nodes[key] = n
            used += tile.cost
            n.next = head
            head?.prev = n
            head = n
            if tail == nil { tail = n }
            while used > capacity, let last = tail { unlink(last) }
        }
    }

    /// Drops every entry `change` can alter; returns how many.
    @discardableResult
    func invalidate(_ change: ChangeExtent) -> Int {
        lock.withLock {
            let stale = nodes.values.filter { change.touches(layers: $0.scope.layers, area: $0.scope.box, lastDay: $0.scope.lastDay) }
            for n in stale { unlink(n) }
            dropped += stale.count
            return stale.count
        }
    }

    func removeAll() { lock.withLock { for n in Array(nodes.values) { unlink(n) } } }

    private func moveToFront(_ n: Node) {
        guard head !== n else { return }
        n.prev?.next = n.next
        n.next?.prev = n.prev
        if tail === n { tail = n.prev }
        n.prev = nil
        n.next = head
        head?.prev = n
        head = n
    }

    private func unlink(_ n: Node) {
        n.prev?.next = n.next
        n.next?.prev = n.prev
        if head === n { head = n.next }
        if tail === n { tail = n.prev }
        n.prev = nil; n.next = nil
        nodes[n.key] = nil
        used -= n.tile.cost
    }

    /// The cache key of a tile for the callers' views.
    static func key(views: [LayerView], tms: String, level: Int, row: Int, column: Int, time: TimeFilter) -> String {
        views.map(\.cacheKey).joined(separator: ";") + "|\(tms)/\(level)/\(row)/\(column)|\(time.start ?? "")/\(time.end ?? "")"
    }

    /// Lon/lat box of a tile with its buffer (what the tile's features can come from).
    static func scope(views: [LayerView], tms: TileMatrixSet, level: Int, row: Int, column: Int, time: TimeFilter) -> TileScope {
        let b = tms.bounds(level: level, row: row, column: column)
        let pad = (b.maxX - b.minX) * 64 / 4096
        let lo = tms.unproject(Position(b.minX - pad, b.minY - pad)), hi = tms.unproject(Position(b.maxX + pad, b.maxY + pad))
        return TileScope(layers: Set(views.map(\.layer.id)), box: BBox(minX: lo.x, minY: lo.y, maxX: hi.x, maxY: hi.y), lastDay: time.end)
    }
}
