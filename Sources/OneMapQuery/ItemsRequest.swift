import Foundation
import OneMapGeo
import OneMapStore

/// `GET /collections/{id}/items` parameters, checked and turned into a store query: the page,
/// box (in `bbox-crs`), valid time, property equalities and the CRS to answer in.
public struct ItemsRequest: Sendable {
    public var query: FeatureQuery
    public var limit: Int
    public var outputCRS: APICRS
    /// The properties to return (nil: all).
    public var properties: [String]?
    /// The parameters to repeat in paging links (all but `offset`).
    public var linkParameters: [(String, String)]

    public static let defaultLimit = 10, maxLimit = 10_000
    public static let reserved = ["limit", "offset", "bbox", "bbox-crs", "datetime", "crs", "f", "filter", "filter-lang", "filter-crs", "sortby", "properties"]

    /// `filterable`: the layer's fields a query may compare (`FeatureStore.filterableFields`).
    /// `hidden`: the layer's fields the caller is not shown or sees masked (naming one is refused
    /// with `QueryError.concernsHiddenField`).
    public static func parse(_ parameters: [(String, String)], layer: LayerInfo, filterable: [FieldInfo],
                             hidden hiddenFields: Set<String> = []) throws(QueryError) -> ItemsRequest {
        var values: [String: String] = [:]
        var equals: [PropertyEquals] = []
        var link: [(String, String)] = []
        var seen: [String: String] = [:]
        for (name, value) in parameters {
            // The same parameter twice with the same value is one parameter: QGIS appends its
            // connection URL's query (`datetime=…`) to the `next` links it follows, which carry it already.
            if let earlier = seen[name] {
                guard earlier == value else { throw QueryError("parameter '\(name)' is given more than once, with different values") }
                continue
            }
            seen[name] = value
            if name != "offset" { link.append((name, value)) }
            if reserved.contains(name) { values[name] = value; continue }
            guard let field = filterable.first(where: { $0.name == name }) else {
                throw QueryError("unknown query parameter '\(name)'; items accept \(reserved.joined(separator: ", ")) and the properties \(filterable.map(\.name).joined(separator: ", "))",
                                 concernsHiddenField: hiddenFields.contains(name))
            }
            do { equals.append(try PropertyEquals.parse(field: field, text: value)) } catch let e as StoreError {
                throw QueryError(e.message)
            } catch { throw QueryError("\(error)") }
        }
        if let f = values["f"], !["json", "geojson", "html"].contains(f.lowercased()) {
            throw QueryError("f=\(f) is not offered; use f=json (GeoJSON) or f=html")
        }
        var limit = defaultLimit
        if let text = values["limit"] {
            guard let n = Int(text), n >= 1 else { throw QueryError("limit '\(text)' must be a whole number from 1 to \(maxLimit)") }
            limit = min(n, maxLimit)  // larger limits are clamped, as OGC API Features allows
        }
        var offset = 0
        if let text = values["offset"] {
            guard let n = Int(text), n >= 0 else { throw QueryError("offset '\(text)' must be a whole number from 0") }
            offset = n
        }
        var outputCRS = APICRS.crs84
        if let text = values["crs"] {
            guard let c = APICRS.parse(text) else { throw QueryError("crs '\(text)' is not offered; offered: \(APICRS.list)") }
            outputCRS = c
        }
        var bboxCRS = APICRS.crs84
        if let text = values["bbox-crs"] {
            guard values["bbox"] != nil else { throw QueryError("bbox-crs is given without bbox") }
            guard let c = APICRS.parse(text) else { throw QueryError("bbox-crs '\(text)' is not offered; offered: \(APICRS.list)") }
            bboxCRS = c
        }
        let bbox = try values["bbox"].map { text throws(QueryError) in try parseBBox(text, crs: bboxCRS) }
        var time = TimeFilter.today()
        if let text = values["datetime"] {
            do { time = try TimeFilter.parse(text) } catch { throw QueryError(error.description) }
        }
        var filter: FilterExpression?
        if let lang = values["filter-lang"], lang != "cql2-text" { throw QueryError("filter-lang '\(lang)' is not offered; use cql2-text") }
        var filterCRS = APICRS.crs84
        if let text = values["filter-crs"] {
            guard let c = APICRS.parse(text) else { throw QueryError("filter-crs '\(text)' is not offered; offered: \(APICRS.list)") }
            filterCRS = c
        }
        if let text = values["filter"] {
            let parsed = try CQL2Text.parse(text, crs: filterCRS)
            // Only queryables: a filter on a hidden or masked field would reveal it a guess at a time.
            let allowed = Set(filterable.map(\.name))
            if let hidden = parsed.propertyNames.subtracting(allowed).sorted().first {
                throw QueryError("filter: no property '\(hidden)' among the queryables: \(filterable.map(\.name).joined(separator: ", ")) (see /queryables)",
                                 concernsHiddenField: hiddenFields.contains(hidden))
            }
            filter = parsed
        }
        var query = FeatureQuery(layer: layer.id, bbox: bbox, time: time, equals: equals, filter: filter, limit: limit, offset: offset)
        // OGC API Features: the features whose geometry intersects the box, not only their envelope.
        query.exactBox = true
        let names = layer.fields.map(\.name)
        func list(_ text: String) -> [String] { text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        if let text = values["sortby"] {
            for raw in list(text) {
                var name = raw, ascending = true
                if raw.hasPrefix("-") { name = String(raw.dropFirst()); ascending = false } else if raw.hasPrefix("+") { name = String(raw.dropFirst()) }
                guard names.contains(name) else { throw QueryError("sortby '\(raw)': no property '\(name)'; properties: \(names.joined(separator: ", "))") }
                query.sortBy.append((name, ascending))
            }
        }
        var properties: [String]?
        if let text = values["properties"] {
            let wanted = list(text)
            for name in wanted where !names.contains(name) {
                throw QueryError("properties: no property '\(name)'; properties: \(names.joined(separator: ", "))")
            }
            properties = wanted
        }
        return ItemsRequest(query: query, limit: limit, outputCRS: outputCRS, properties: properties, linkParameters: link)
    }

    /// A bbox (4 numbers, or 6 with heights, which are ignored) in `crs`'s axis order, as a lon/lat
    /// box in the storage CRS.
    public static func parseBBox(_ text: String, crs: APICRS) throws(QueryError) -> BBox {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4 || parts.count == 6, parts.allSatisfy({ $0?.isFinite == true }) else {
            throw QueryError("bbox '\(text)' must be 4 numbers (or 6 with heights) separated by commas")
        }
        let n = parts.map { $0! }
        let (a, b) = parts.count == 4 ? (0, 2) : (0, 3)
        var lo = Position(n[a], n[a + 1]), hi = Position(n[b], n[b + 1])
        if crs.northingFirst { lo = Position(lo.y, lo.x); hi = Position(hi.y, hi.x) }
        guard lo.y <= hi.y else { throw QueryError("bbox '\(text)': the lower corner's \(crs.crs.isGeographic ? "latitude" : "northing") is above the upper's") }
        guard lo.x <= hi.x else {
            throw QueryError(crs.crs.isGeographic ? "bbox '\(text)' crosses the antimeridian (min longitude > max longitude), which Sanming never does"
                                                  : "bbox '\(text)': the lower corner's easting is east of the upper's")
        }
        if crs.crs.isGeographic {
            guard lo.x >= -180, hi.x <= 180, lo.y >= -90, hi.y <= 90 else {
                throw QueryError("bbox '\(text)' is outside longitude -180..180 / latitude -90..90\(crs.northingFirst ? " (\(crs.uri) is latitude first)" : "")")
            }
            return BBox(minX: lo.x, minY: lo.y, maxX: hi.x, maxY: hi.y)
        }
        // A projected box: its edges, densified, reprojected; their envelope (edges bend).
        var edge: [Position] = []
        for k in 0...16 {
            let t = Double(k) / 16
            edge += [Position(lo.x + (hi.x - lo.x) * t, lo.y), Position(lo.x + (hi.x - lo.x) * t, hi.y),
                     Position(lo.x, lo.y + (hi.y - lo.y) * t), Position(hi.x, lo.y + (hi.y - lo.y) * t)]
        }
        do {
            try Reprojector().transform(&edge, from: crs.crs, to: .cgcs2000)
        } catch {
            throw QueryError("bbox '\(text)' cannot be brought from \(crs.uri) to longitude/latitude: \(error)")
        }
        guard edge.allSatisfy({ $0.x.isFinite && $0.y.isFinite && abs($0.x) <= 180 && abs($0.y) <= 90 }) else {
            throw QueryError("bbox '\(text)' is outside the area of \(crs.uri)")
        }
        var box = BBox(minX: edge[0].x, minY: edge[0].y, maxX: edge[0].x, maxY: edge[0].y)
        for p in edge { box.extend(p) }
        return box
    }
}
