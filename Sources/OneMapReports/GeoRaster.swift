import Foundation
import OneMapGeo
import OneMapStore
import OneMapTiles

/// A georeferenced raster of a drawn map: a GeoTIFF (baseline TIFF, RGB, Deflate, with the
/// GeoTIFF 1.0 tags that place it: pixel scale, one tie point and the EPSG code), or the six lines
/// of an ESRI world file beside a PNG. GDAL, QGIS and ArcGIS read both.
public enum GeoRaster {
    /// The world file of an image of `request`: pixel size, rotation (none), and the centre of
    /// the top-left pixel.
    public static func worldFile(_ request: MapRequest) -> String {
        let sx = request.extent.width / Double(request.width), sy = request.extent.height / Double(request.height)
        let lines = [sx, 0, 0, -sy, request.extent.minX + sx / 2, request.extent.maxY - sy / 2]
        return lines.map { String(format: "%.10f", $0) }.joined(separator: "\n") + "\n"
    }

    /// A GeoTIFF of `rgb` (`width` x `height` pixels, 3 bytes each, rows top to bottom) covering
    /// `extent` in EPSG:`epsg` (projected or geographic).
    public static func geoTIFF(rgb: [UInt8], width: Int, height: Int, extent: BBox, epsg: Int, geographic: Bool) throws -> Data {
        guard rgb.count == width * height * 3 else { throw StoreError("a raster of \(width)x\(height) needs \(width * height * 3) bytes, got \(rgb.count)") }
        // zlib stream (TIFF's "Adobe Deflate", compression 8), with the horizontal predictor off.
        guard let strip = Gzip.deflate(rgb, level: 6, windowBits: 15) else { throw StoreError("the raster could not be compressed") }
        enum Field { case shorts([UInt16]), longs([UInt32]), doubles([Double]) }
        let sx = extent.width / Double(width), sy = extent.height / Double(height)
        let geoKeys: [UInt16] = [1, 1, 0, 3,
                                 1024, 0, 1, geographic ? 2 : 1,   // GTModelType: projected or geographic
                                 1025, 0, 1, 1,                    // GTRasterType: pixel is area
                                 geographic ? 2048 : 3072, 0, 1, UInt16(epsg)]
        let header = 8
        var entries: [(UInt16, Field)] = [
            (256, .longs([UInt32(width)])), (257, .longs([UInt32(height)])), (258, .shorts([8, 8, 8])), (259, .shorts([8])),
            (262, .shorts([2])), (273, .longs([0])), (277, .shorts([3])), (278, .longs([UInt32(height)])),
            (279, .longs([UInt32(strip.count)])), (284, .shorts([1])),
            (33550, .doubles([sx, sy, 0])), (33922, .doubles([0, 0, 0, extent.minX, extent.maxY, 0])), (34735, .shorts(geoKeys)),
        ]
        // Layout: header, the strip, then the IFD and the values that do not fit in an entry.
        let ifdOffset = header + strip.count + (strip.count % 2)
        let ifdSize = 2 + entries.count * 12 + 4
        var extra = Data(), offsets: [Int: UInt32] = [:]
        for (i, (_, field)) in entries.enumerated() {
            var bytes = Data()
            switch field {
            case .shorts(let v): for x in v { bytes.append(contentsOf: withUnsafeBytes(of: x.littleEndian, Array.init)) }
            case .longs(let v): for x in v { bytes.append(contentsOf: withUnsafeBytes(of: x.littleEndian, Array.init)) }
            case .doubles(let v): for x in v { bytes.append(contentsOf: withUnsafeBytes(of: x.bitPattern.littleEndian, Array.init)) }
            }
            if bytes.count > 4 {
                offsets[i] = UInt32(ifdOffset + ifdSize + extra.count)
                extra.append(bytes)
                if extra.count % 2 == 1 { extra.append(0) }
            }
        }
        entries[5] = (273, .longs([UInt32(header)]))
        var out = Data([0x49, 0x49, 42, 0])
        out.append(contentsOf: withUnsafeBytes(of: UInt32(ifdOffset).littleEndian, Array.init))
        out.append(contentsOf: strip)
        if strip.count % 2 == 1 { out.append(0) }
        out.append(contentsOf: withUnsafeBytes(of: UInt16(entries.count).littleEndian, Array.init))
        for (i, (tag, field)) in entries.enumerated() {
            let (type, count, values): (UInt16, Int, Data) = switch field {
            case .shorts(let v): (3, v.count, Data(v.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }))
            case .longs(let v): (4, v.count, Data(v.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }))
            case .doubles(let v): (12, v.count, Data(v.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }))
            }
            out.append(contentsOf: withUnsafeBytes(of: tag.littleEndian, Array.init))
            out.append(contentsOf: withUnsafeBytes(of: type.littleEndian, Array.init))
            out.append(contentsOf: withUnsafeBytes(of: UInt32(count).littleEndian, Array.init))
            if let offset = offsets[i] {
                out.append(contentsOf: withUnsafeBytes(of: offset.littleEndian, Array.init))
            } else {
                var inline = values
                while inline.count < 4 { inline.append(0) }
                out.append(inline)
            }
        }
        out.append(contentsOf: [0, 0, 0, 0])  // no next IFD
        out.append(extra)
        return out
    }
}
