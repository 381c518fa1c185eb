import Foundation
import OneMapGeo
import OneMapQuery
import OneMapStore

/// What a server-drawn map shows.
public enum MapLayer: String, Sendable, CaseIterable {
    /// Boundaries and names of the administrative areas (admin_areas, admin_labels).
    case adminAreas = "admin_areas"
    /// Building footprints, coloured by residents when the caller may see them.
    case buildings
    /// Townships (counties when no township is in view) coloured by residents per km².
    case populationDensity = "population_density"
}

/// `GET /render` parameters, checked: the extent in the map's CRS (fitted to the image's aspect),
/// the image size, the layers and the day.
public struct MapRequest: Sendable {
    /// The map's CRS: Web Mercator for geographic requests, else the requested projected CRS.
    public var crs: CRS
    /// x/y extent in `crs` (easting/northing), already fitted to width:height.
    public var extent: BBox
    public var width: Int, height: Int
    public var layers: [MapLayer]
    /// Departments' collections drawn over the base (their ids, in the order asked).
    public var collections: [String] = []
    public var day: String

    public static let maxSide = 4096, minSide = 64
    /// A coverage question whose residents beyond reach are drawn (`coverage.layer`, `.radius`,
    /// `.ageBands`, `.capacity`, `.area`, without the prefix); empty: none.
    public var coverage: [(String, String)] = []

    public static let coverageParameters = ["coverage.layer", "coverage.radius", "coverage.ageBands", "coverage.capacity", "coverage.area"]
    public static let parameters = ["bbox", "width", "height", "layers", "datetime", "crs", "f"] + coverageParameters

    /// What is answered: the PNG, its world file (`pgw`), or a GeoTIFF of the same picture.
    public enum Format: String, Sendable, CaseIterable { case png, pgw, tiff }
    public var format = Format.png

    public init(crs: CRS, extent: BBox, width: Int, height: Int, layers: [MapLayer], day: String) {
        self.crs = crs; self.width = width; self.height = height; self.layers = layers; self.day = day
        self.extent = Self.fitted(extent, width: width, height: height)
    }

    /// `bbox` in `crs` (default CRS84) and its axis order, `width`/`height` in pixels (default
    /// 1024x768), `layers` (default all), `datetime` (a day; default today).
    public static func parse(_ parameters: [(String, String)]) throws(QueryError) -> MapRequest {
        var v: [String: String] = [:]
        for (k, value) in parameters {
            guard v[k] == nil else { throw QueryError("parameter '\(k)' is given more than once") }
            guard Self.parameters.contains(k) else { throw QueryError("unknown query parameter '\(k)'; /render accepts \(Self.parameters.joined(separator: ", "))") }
            v[k] = value
        }
        guard let bboxText = v["bbox"] else { throw QueryError("parameter 'bbox' is required (minx,miny,maxx,maxy in crs, default CRS84)") }
        var apiCRS = APICRS.crs84
        if let text = v["crs"] {
            guard let c = APICRS.parse(text) else { throw QueryError("crs '\(text)' is not offered; offered: \(APICRS.list)") }
            apiCRS = c
        }
        func side(_ name: String, _ fallback: Int) throws(QueryError) -> Int {
            guard let text = v[name] else { return fallback }
            guard let n = Int(text), (minSide...maxSide).contains(n) else { throw QueryError("\(name) '\(text)' must be a whole number of pixels from \(minSide) to \(maxSide)") }
            return n
        }
        let width = try side("width", 1024), height = try side("height", 768)
        var layers = MapLayer.allCases
        var collections: [String] = []
        if let text = v["layers"] {
            layers = []
            for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                if let l = MapLayer(rawValue: name) {
                    if !layers.contains(l) { layers.append(l) }
                } else {
                    // Any other name is a collection; the server checks that it exists and may be read.
                    guard name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                        throw QueryError("layers: '\(name)' is not a layer name; map layers: \(MapLayer.allCases.map(\.rawValue).joined(separator: ", ")) and the collections")
                    }
                    if !collections.contains(name) { collections.append(name) }
                }
            }
            guard !layers.isEmpty || !collections.isEmpty else { throw QueryError("layers is empty; map layers: \(MapLayer.allCases.map(\.rawValue).joined(separator: ", "))") }
        }
        var day = ISODate.string(Date())
        if let text = v["datetime"] { day = try OneDay.parse(text, name: "datetime") }
        // The extent: a projected CRS is drawn as it is; a geographic box in Web Mercator.
        let extent: BBox, mapCRS: CRS
        if apiCRS.crs.isGeographic {
            let lonlat = try ItemsRequest.parseBBox(bboxText, crs: apiCRS)
            guard lonlat.minY > -85, lonlat.maxY < 85 else { throw QueryError("bbox '\(bboxText)' reaches beyond latitude ±85°, which Web Mercator cannot draw") }
            mapCRS = .webMercator
            do { extent = try Self.envelope(of: lonlat, from: .cgcs2000, to: mapCRS) } catch {
                throw QueryError("bbox '\(bboxText)' cannot be projected: \(error)")
            }
        } else {
            let n = bboxText.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard n.count == 4, n.allSatisfy(\.isFinite) else { throw QueryError("bbox '\(bboxText)' must be 4 numbers separated by commas") }
            var lo = Position(n[0], n[1]), hi = Position(n[2], n[3])
            if apiCRS.northingFirst { lo = Position(lo.y, lo.x); hi = Position(hi.y, hi.x) }
            guard lo.x < hi.x, lo.y < hi.y else { throw QueryError("bbox '\(bboxText)': the lower corner must be below and west of the upper (\(apiCRS.northingFirst ? "northing, easting" : "easting, northing") order)") }
            _ = try ItemsRequest.parseBBox(bboxText, crs: apiCRS)  // inside the CRS's area
            mapCRS = apiCRS.crs
            extent = BBox(minX: lo.x, minY: lo.y, maxX: hi.x, maxY: hi.y)
        }
        guard extent.width > 0, extent.height > 0 else { throw QueryError("bbox '\(bboxText)' has no area") }
        guard extent.width < 2_000_000, extent.height < 2_000_000 else { throw QueryError("bbox '\(bboxText)' is wider than 2,000 km; a map of Sanming needs less") }
        var request = MapRequest(crs: mapCRS, extent: extent, width: width, height: height, layers: layers, day: day)
        request.collections = collections
        if let f = v["f"] {
            guard let format = Format(rawValue: f) else { throw QueryError("f '\(f)' is not offered; use png, pgw (its world file) or tiff (GeoTIFF)") }
            request.format = format
        }
        request.coverage = coverageParameters.compactMap { k in v[k].map { (String(k.dropFirst("coverage.".count)), $0) } }
        if !request.coverage.isEmpty && v["coverage.layer"] == nil {
            throw QueryError("coverage.layer is required with the other coverage parameters (the facilities' collection)")
        }
        return request
    }

    /// `box` grown (never cut) about its centre to the image's aspect.
    static func fitted(_ box: BBox, width: Int, height: Int) -> BBox {
        let aspect = Double(width) / Double(height)
        var w = box.width, h = box.height
        if w / h > aspect { h = w / aspect } else { w = h * aspect }
        let c = box.center
        return BBox(minX: c.x - w / 2, minY: c.y - h / 2, maxX: c.x + w / 2, maxY: c.y + h / 2)
    }

    /// Map units per pixel.
    public var resolution: Double { extent.width / Double(width) }

    /// The envelope of `box`'s edges (densified: edges bend) in another CRS.
    static func envelope(of box: BBox, from: CRS, to: CRS) throws -> BBox {
        var edge: [Position] = []
        for k in 0...16 {
            let t = Double(k) / 16
            edge += [Position(box.minX + box.width * t, box.minY), Position(box.minX + box.width * t, box.maxY),
                     Position(box.minX, box.minY + box.height * t), Position(box.maxX, box.minY + box.height * t)]
        }
        try Reprojector().transform(&edge, from: from, to: to)
        var out = BBox(minX: edge[0].x, minY: edge[0].y, maxX: edge[0].x, maxY: edge[0].y)
        for p in edge { out.extend(p) }
        return out
    }

    /// The lon/lat (EPSG:4490) box the map shows: what to read from the store.
    public func queryBox() throws -> BBox { try Self.envelope(of: extent, from: crs, to: .cgcs2000) }

    /// A map of an area: its lon/lat box with a margin, in Web Mercator.
    public static func around(_ lonlat: BBox, width: Int, height: Int, layers: [MapLayer] = MapLayer.allCases, day: String,
                              margin: Double = 0.04) throws -> MapRequest {
        let mapCRS = CRS.webMercator
        var e = try envelope(of: lonlat, from: .cgcs2000, to: mapCRS)
        e = e.expanded(by: max(e.width, e.height) * margin)
        return MapRequest(crs: mapCRS, extent: e, width: width, height: height, layers: layers, day: day)
    }
}
