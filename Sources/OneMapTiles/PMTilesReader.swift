import Foundation
import OneMapStore

/// Reads tiles from a PMTiles v3 archive by address: header, root and leaf directories (gzip or
/// uncompressed), run-length entries. For serving archives and for checking what `PMTilesWriter` wrote.
public final class PMTilesReader {
    public struct Header: Equatable {
        public let rootOffset, rootLength, metadataOffset, metadataLength, leavesOffset, leavesLength, dataOffset, dataLength: UInt64
        public let addressedTiles, tileEntries, tileContents: UInt64
        public let clustered: Bool
        public let internalCompression, tileCompression, tileType: UInt8
        public let minZoom, maxZoom: Int
    }

    struct Entry { let tileID: UInt64, offset: UInt64, length: UInt64, runLength: UInt64 }

    private let handle: FileHandle
    public let header: Header

    public init(path: String) throws {
        guard let h = FileHandle(forReadingAtPath: path) else { throw StoreError("cannot open \(path)") }
        handle = h
        let b = [UInt8](try Self.read(h, 0, 127))
        guard b.count == 127, String(decoding: b[0..<7], as: UTF8.self) == "PMTiles", b[7] == 3 else {
            throw StoreError("\(path) is not a PMTiles v3 archive")
        }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) } }
        header = Header(rootOffset: u64(8), rootLength: u64(16), metadataOffset: u64(24), metadataLength: u64(32),
                        leavesOffset: u64(40), leavesLength: u64(48), dataOffset: u64(56), dataLength: u64(64),
                        addressedTiles: u64(72), tileEntries: u64(80), tileContents: u64(88), clustered: b[96] == 1,
                        internalCompression: b[97], tileCompression: b[98], tileType: b[99], minZoom: Int(b[100]), maxZoom: Int(b[101]))
    }

    deinit { try? handle.close() }

    private static func read(_ h: FileHandle, _ offset: UInt64, _ length: UInt64) throws -> Data {
        try h.seek(toOffset: offset)
        return try h.read(upToCount: Int(length)) ?? Data()
    }

    private func internalBytes(_ offset: UInt64, _ length: UInt64) throws -> [UInt8] {
        let raw = [UInt8](try Self.read(handle, offset, length))
        switch header.internalCompression {
        case 0, 1: return raw
        case 2:
            guard let plain = Gzip.decompress(raw) else { throw StoreError("a PMTiles directory does not decompress") }
            return plain
        default: throw StoreError("PMTiles internal compression \(header.internalCompression) is not supported")
        }
    }

    /// The archive's JSON metadata.
    public func metadata() throws -> [String: Any] {
        let bytes = try internalBytes(header.metadataOffset, header.metadataLength)
        return (try JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }

    static func directory(_ b: [UInt8]) throws -> [Entry] {
        var i = 0
        func varint() throws -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < b.count, shift < 64 else { throw StoreError("a PMTiles directory is cut short") }
                let x = b[i]; i += 1
                v |= UInt64(x & 0x7F) << shift
                if x < 0x80 { return v }
                shift += 7
            }
        }
        let n = Int(try varint())
        guard n <= b.count else { throw StoreError("a PMTiles directory claims \(n) entries") }
        var ids = [UInt64](), runs = [UInt64](), lengths = [UInt64](), offsets = [UInt64]()
        var last: UInt64 = 0
        for _ in 0..<n { last += try varint(); ids.append(last) }
        for _ in 0..<n { runs.append(try varint()) }
        for _ in 0..<n { lengths.append(try varint()) }
        for k in 0..<n {
            let v = try varint()
            offsets.append(v == 0 && k > 0 ? offsets[k - 1] + lengths[k - 1] : v &- 1)
        }
        return (0..<n).map { Entry(tileID: ids[$0], offset: offsets[$0], length: lengths[$0], runLength: runs[$0]) }
    }

    /// The stored bytes of a tile (compressed as the header says), nil when absent.
    public func tile(z: Int, x: Int, y: Int) throws -> [UInt8]? {
        let id = PMTilesWriter.tileID(z: z, x: x, y: y)
        var (offset, length) = (header.rootOffset, header.rootLength)
        for _ in 0..<4 {
            let entries = try Self.directory(try internalBytes(offset, length))
            // The last entry whose id is at most the tile's.
            var lo = 0, hi = entries.count
            while lo < hi { let mid = (lo + hi) / 2; if entries[mid].tileID <= id { lo = mid + 1 } else { hi = mid } }
            guard lo > 0 else { return nil }
            let e = entries[lo - 1]
            if e.runLength == 0 {
                (offset, length) = (header.leavesOffset + e.offset, e.length)
                continue
            }
            guard id < e.tileID + e.runLength else { return nil }
            return [UInt8](try Self.read(handle, header.dataOffset + e.offset, e.length))
        }
        return nil
    }
}
