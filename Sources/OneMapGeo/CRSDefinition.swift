import CPROJ
import Foundation

extension CRS {
    /// The CRS as OGC WKT 1 (the GDAL flavour GeoPackage 1.3's `definition` column and shapefile
    /// `.prj` files hold), from PROJ's database; nil when PROJ does not know it.
    public var wkt1: String? { CRSDefinitions.shared.wkt1(epsg) }
}

/// PROJ's database is read once per CRS; the text is kept for the process.
private final class CRSDefinitions: @unchecked Sendable {
    static let shared = CRSDefinitions()
    private let lock = NSLock()
    private var texts: [Int: String] = [:]  // guarded by lock

    func wkt1(_ epsg: Int) -> String? {
        lock.withLock {
            if let t = texts[epsg] { return t }
            guard let ctx = proj_context_create() else { return nil }
            defer { proj_context_destroy(ctx) }
            guard let crs = proj_create(ctx, "EPSG:\(epsg)") else { return nil }
            defer { proj_destroy(crs) }
            guard let raw = proj_as_wkt(ctx, crs, PJ_WKT1_GDAL, nil) else { return nil }
            let text = String(cString: raw)
            texts[epsg] = text
            return text
        }
    }
}
