import Foundation
import OneMapGeo
import OneMapStore

/// Writes a PMTiles v3 archive of vector tiles: one file, clustered (tile data in tile-id order),
/// identical tiles stored once, gzip-compressed MVT and directories, a root directory within the
/// first 16 KiB (leaf directories when needed), and JSON metadata with `vector_layers`.
///
/// Tiles arrive in any order (seeding is parallel): their bytes go to a scratch file as they come,
/// and `finish` lays them out in tile-id order. The archive is written under `.part` and renamed
/// when complete, so a killed seed leaves no half archive.
public final class PMTilesWriter: TileArchiveWriter {
    private struct Entry {
        let tileID: UInt64
        let scratchOffset: UInt64
        let length: UInt32
        let digest: String
    }

    private let path: String
    private let temporary: String
    private let scratchPath: String
    private let scratch: FileHandle
    private var scratchSize: UInt64 = 0
    private var entries: [Entry] = []
    public private(set) var written = 0

    public init(path: String) throws {
        self.path = path
        temporary = path + ".part"
        scratchPath = path + ".tiles.part"
        for p in [temporary, scratchPath] { unlink(p) }
        guard FileManager.default.createFile(atPath: scratchPath, contents: nil),
              let handle = FileHandle(forUpdatingAtPath: scratchPath) else { throw StoreError("cannot create \(scratchPath)") }
        scratch = handle
    }

    deinit {
        try? scratch.close()
        unlink(scratchPath)
    }

    /// Adds a tile (XYZ address; empty tiles are not stored).
    public func add(z: Int, x: Int, y: Int, mvt: [UInt8]) throws {
        guard !mvt.isEmpty else { return }
        let data = Gzip.compress(mvt) ?? mvt
        try scratch.write(contentsOf: data)
        // Identical tiles (sea, forest, the same grid cell pattern) share their bytes in the archive.
        entries.append(Entry(tileID: Self.tileID(z: z, x: x, y: y), scratchOffset: scratchSize, length: UInt32(data.count),
                             digest: Digest.sha256Hex(mvt)))
        scratchSize += UInt64(data.count)
        written += 1
    }

    /// The PMTiles tile id: tiles of lower zooms first, then the Hilbert curve position at the zoom.
    public static func tileID(z: Int, x: Int, y: Int) -> UInt64 {
        var acc: UInt64 = 0
        for k in 0..<z { acc += UInt64(1) << (2 * k) }
        var tx = UInt64(x), ty = UInt64(y), d: UInt64 = 0
        var s = (UInt64(1) << z) >> 1
        while s > 0 {
            let rx: UInt64 = (tx & s) > 0 ? 1 : 0
            let ry: UInt64 = (ty & s) > 0 ? 1 : 0
            d += s * s * ((3 * rx) ^ ry)
            if ry == 0 {
                if rx == 1 { tx = s &- 1 &- tx; ty = s &- 1 &- ty }
                swap(&tx, &ty)
            }
            s >>= 1
        }
        return acc + d
    }

    /// Lays out the archive and moves it into place.
    public func finish(name: String, description: String, view: String = "public", layers: [LayerInfo], bounds: BBox, minZoom: Int, maxZoom: Int) throws {
        try scratch.synchronize()
        entries.sort { $0.tileID < $1.tileID }
        // Tile data in tile-id order, each distinct content once; runs of one content in
        // consecutive ids become one directory entry.
        var directory: [(tileID: UInt64, offset: UInt64, length: UInt32, runLength: UInt32)] = []
        var placed: [String: (UInt64, UInt32)] = [:]
        var data = Data()
        for e in entries {
            let (offset, length): (UInt64, UInt32)
            if let known = placed[e.digest] {
                (offset, length) = known
            } else {
                try scratch.seek(toOffset: e.scratchOffset)
                guard let bytes = try scratch.read(upToCount: Int(e.length)), bytes.count == Int(e.length) else {
                    throw StoreError("scratch file of \(path) is short")
                }
                (offset, length) = (UInt64(data.count), e.length)
                data.append(bytes)
                placed[e.digest] = (offset, length)
            }
            if let last = directory.last, last.offset == offset, last.tileID + UInt64(last.runLength) == e.tileID {
                directory[directory.count - 1].runLength += 1
            } else {
                directory.append((e.tileID, offset, length, 1))
            }
        }

        let metadata = try Self.metadata(name: name, description: description, view: view, layers: layers, bounds: bounds, minZoom: minZoom, maxZoom: maxZoom)
        // The root directory must fit the first 16 KiB with the header: else leaves of growing size.
        var root = try Self.encode(directory.map { ($0.tileID, $0.offset, $0.length, $0.runLength) })
        var leaves = Data()
        if 127 + root.count > 16_384 {
            var perLeaf = 4096
            while true {
                var rootEntries: [(UInt64, UInt64, UInt32, UInt32)] = []
                leaves = Data()
                for start in stride(from: 0, to: directory.count, by: perLeaf) {
                    let chunk = directory[start..<min(directory.count, start + perLeaf)].map { ($0.tileID, $0.offset, $0.length, $0.runLength) }
                    let leaf = try Self.encode(chunk)
                    rootEntries.append((chunk[0].0, UInt64(leaves.count), UInt32(leaf.count), 0))
                    leaves.append(leaf)
                }
                root = try Self.encode(rootEntries)
                if 127 + root.count <= 16_384 { break }
                perLeaf *= 2
            }
        }

        let rootOffset: UInt64 = 127
        let metadataOffset = rootOffset + UInt64(root.count)
        let leavesOffset = metadataOffset + UInt64(metadata.count)
        let dataOffset = leavesOffset + UInt64(leaves.count)
        var header = Data("PMTiles".utf8)
        header.append(3)
        for v in [rootOffset, UInt64(root.count), metadataOffset, UInt64(metadata.count), leavesOffset, UInt64(leaves.count),
                  dataOffset, UInt64(data.count), UInt64(entries.count), UInt64(directory.count), UInt64(placed.count)] {
            Self.append(&header, v)
        }
        header.append(1)  // clustered
        header.append(2)  // internal compression: gzip
        header.append(2)  // tile compression: gzip
        header.append(1)  // tile type: MVT
        header.append(UInt8(minZoom)); header.append(UInt8(maxZoom))
        func e7(_ d: Double) -> UInt32 { UInt32(bitPattern: Int32((d * 10_000_000).rounded())) }
        for v in [e7(bounds.minX), e7(bounds.minY), e7(bounds.maxX), e7(bounds.maxY)] { Self.append(&header, v) }
        header.append(UInt8(min(maxZoom, max(minZoom, 10))))
        Self.append(&header, e7((bounds.minX + bounds.maxX) / 2)); Self.append(&header, e7((bounds.minY + bounds.maxY) / 2))
        precondition(header.count == 127)

        guard FileManager.default.createFile(atPath: temporary, contents: nil), let out = FileHandle(forWritingAtPath: temporary) else {
            throw StoreError("cannot create \(temporary)")
        }
        defer { try? out.close() }
        for part in [header, root, metadata, leaves, data] { try out.write(contentsOf: part) }
        try out.synchronize()
        guard rename(temporary, path) == 0 else { throw StoreError("cannot move \(temporary) to \(path)") }
        try? scratch.close()
        unlink(scratchPath)
    }

    /// A directory: count, delta-coded ids, run lengths, lengths, offsets (0 = right after the
    /// previous entry's bytes), as varints, gzipped.
    static func encode(_ entries: [(tileID: UInt64, offset: UInt64, length: UInt32, runLength: UInt32)]) throws -> Data {
        var w = ProtobufWriter(capacity: entries.count * 8 + 8)
        w.varint(UInt64(entries.count))
        var last: UInt64 = 0
        for e in entries { w.varint(e.tileID - last); last = e.tileID }
        for e in entries { w.varint(UInt64(e.runLength)) }
        for e in entries { w.varint(UInt64(e.length)) }
        for (i, e) in entries.enumerated() {
            if i > 0, e.offset == entries[i - 1].offset + UInt64(entries[i - 1].length) { w.varint(0) } else { w.varint(e.offset + 1) }
        }
        guard let zipped = Gzip.compress(w.bytes) else { throw StoreError("cannot compress a PMTiles directory") }
        return Data(zipped)
    }

    static func metadata(name: String, description: String, view: String, layers: [LayerInfo], bounds: BBox, minZoom: Int, maxZoom: Int) throws -> Data {
        let doc: [String: Any] = ["name": name, "description": description, "attribution": "OneMap 三明市时空一张图",
                                  "type": "overlay", "version": "1", "onemap_view": view, "minzoom": minZoom, "maxzoom": maxZoom,
                                  "bounds": [bounds.minX, bounds.minY, bounds.maxX, bounds.maxY], "vector_layers": TileArchive.vectorLayers(layers, minZoom: minZoom, maxZoom: maxZoom)]
        let json = try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])
        guard let zipped = Gzip.compress([UInt8](json)) else { throw StoreError("cannot compress PMTiles metadata") }
        return Data(zipped)
    }

    private static func append<T: FixedWidthInteger>(_ d: inout Data, _ v: T) {
        withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) }
    }
}

/// What seeding writes into: an MBTiles or a PMTiles archive.
public protocol TileArchiveWriter: AnyObject {
    var written: Int { get }
    func add(z: Int, x: Int, y: Int, mvt: [UInt8]) throws
    func finish(name: String, description: String, view: String, layers: [LayerInfo], bounds: BBox, minZoom: Int, maxZoom: Int) throws
}

extension MBTilesWriter: TileArchiveWriter {}

/// Archive metadata shared by both formats.
public enum TileArchive {
    /// `vector_layers` as TileJSON has them (cells from zoom 0 for aggregated layers).
    public static func vectorLayers(_ layers: [LayerInfo], minZoom: Int, maxZoom: Int) -> [[String: Any]] {
        layers.map { l in
            var fields = Dictionary(uniqueKeysWithValues: l.fields.map {
                ($0.name, $0.type == .integer || $0.type == .number ? "Number" : $0.type == .boolean ? "Boolean" : "String")
            })
            if l.aggregatedBelowMinZoom { fields["count"] = fields["count"] ?? "Number"; fields["area_km2"] = "Number"; fields["density"] = "Number" }
            return ["id": l.id, "description": l.description, "minzoom": max(minZoom, l.firstTileZoom), "maxzoom": maxZoom, "fields": fields]
        }
    }

    /// The writer for an output path by its extension.
    public static func writer(for path: String) throws -> TileArchiveWriter {
        switch (path as NSString).pathExtension.lowercased() {
        case "mbtiles": return try MBTilesWriter(path: path)
        case "pmtiles": return try PMTilesWriter(path: path)
        default: throw StoreError("unknown archive type of '\(path)': use .mbtiles or .pmtiles")
        }
    }
}
