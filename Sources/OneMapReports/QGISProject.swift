import Foundation
import OneMapGeo
import OneMapStore

/// A QGIS project (.qgs, QGIS 3.22 and later) of this server for one caller: the one map as vector
/// tiles styled as the MapLibre viewer draws it (QGIS's own conversion of the served style,
/// `styles/qgis/onemap-vectortiles.qml`), and the OGC API – Features collections the caller may
/// read, grouped (boundaries, buildings, departments' layers), as of one day, in CGCS2000 /
/// 3-degree Gauss–Kruger CM 117E (EPSG:4548, Sanming's zone).
///
/// The caller's `?key=` (and `?grant=`) ride in every layer's URL: QGIS 3.22's authentication
/// configurations cannot send a bearer header, and QGIS carries a connection URL's query string
/// to every request it makes.
public struct QGISProject: Sendable {
    public enum Group: String, Sendable, CaseIterable {
        case boundaries = "边界 boundaries", buildings = "建筑 buildings", departments = "部门图层 departments' layers"
    }

    public struct Collection: Sendable {
        public let id: String
        public let title: String
        public let geometryType: LayerGeometryType
        public let group: Group

        public init(id: String, title: String, geometryType: LayerGeometryType, group: Group) {
            self.id = id; self.title = title; self.geometryType = geometryType; self.group = group
        }
    }

    public let base: String
    /// Query parameters every request carries (the caller's key and grant).
    public let access: [(String, String)]
    /// The day the features are of (`datetime=`).
    public let day: String
    public let collections: [Collection]
    /// The vector tile layer's `<renderer>` and `<labeling>` (a QGIS style file).
    public let tileStyle: String
    /// Where the project opens (lon/lat).
    public let extent: BBox

    public init(base: String, access: [(String, String)], day: String, collections: [Collection], tileStyle: String, extent: BBox) {
        self.base = base; self.access = access; self.day = day; self.collections = collections; self.tileStyle = tileStyle; self.extent = extent
    }

    /// The style file shipped with the server, or an error naming it.
    public static func tileStyle(stylesDirectory: String) throws -> String {
        let path = (stylesDirectory as NSString).appendingPathComponent("qgis/onemap-vectortiles.qml")
        guard let data = FileManager.default.contents(atPath: path) else { throw StoreError("cannot read the QGIS style \(path)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The collections of readable layers, grouped: areas as boundaries, buildings, and every
    /// department's layer (labels are drawn from the tiles).
    public static func collections(of layers: [LayerInfo]) -> [Collection] {
        layers.filter { $0.isSpatial && $0.id != CoreLayers.adminLabels.id }.map { l in
            let group: Group = l.id == CoreLayers.adminAreas.id ? .boundaries : l.id == CoreLayers.buildings.id ? .buildings : .departments
            return Collection(id: l.id, title: "\(l.title) (\(l.id))", geometryType: l.geometryType, group: group)
        }
    }

    public static let projectCRS = 4548
    public static let tileLayers = "admin_areas,admin_labels,buildings"

    public func xml() throws -> String {
        let (renderer, labeling) = try Self.symbology(tileStyle)
        var layers: [String] = [], tree: [Group: [String]] = [:]
        let tilesID = "onemap_tiles"
        let tileURL = "\(base)/tiles/\(Self.tileLayers)/{z}/{x}/{y}.mvt" + Self.query(access)
        let tileSource = "type=xyz&url=\(Self.qurlEncoded(tileURL))&zmin=0&zmax=16"
        let tileTitle = "一张图 the one map (vector tiles, today)"
        layers.append("""
            <maplayer type="vector-tile" hasScaleBasedVisibilityFlag="0" maxScale="0" minScale="1e+08" styleCategories="AllStyleCategories">
            <id>\(tilesID)</id>
            <datasource>\(Self.escape(tileSource))</datasource>
            <layername>\(Self.escape(tileTitle))</layername>
            <srs>\(Self.srs(3857))</srs>
            <provider>vectortile</provider>
            \(renderer)
            \(labeling)
            </maplayer>
            """)
        let featureURL = base + Self.query(access + [("datetime", day)])
        for c in collections {
            let id = "onemap_\(c.id)"
            let source = "url='\(featureURL)' typename='\(c.id)' restrictToRequestBBOX='1'"
            layers.append("""
                <maplayer type="vector" geometry="\(Self.geometryName(c.geometryType))" hasScaleBasedVisibilityFlag="0" maxScale="0" minScale="1e+08" styleCategories="AllStyleCategories">
                <id>\(Self.escape(id))</id>
                <datasource>\(Self.escape(source))</datasource>
                <layername>\(Self.escape(c.title))</layername>
                <srs>\(Self.srs(4490))</srs>
                <provider encoding="">OAPIF</provider>
                \(Self.singleSymbol(c))
                </maplayer>
                """)
            tree[c.group, default: []].append(
                "<layer-tree-layer id=\"\(Self.escape(id))\" name=\"\(Self.escape(c.title))\" providerKey=\"OAPIF\" checked=\"Qt::Unchecked\" expanded=\"0\" source=\"\(Self.escape(source))\"/>")
        }
        var groups = ["""
            <layer-tree-group name="底图 base map" checked="Qt::Checked" expanded="1">
            <layer-tree-layer id="\(tilesID)" name="\(Self.escape(tileTitle))" providerKey="vectortile" checked="Qt::Checked" expanded="0" source="\(Self.escape(tileSource))"/>
            </layer-tree-group>
            """]
        for g in Group.allCases where tree[g] != nil {
            // Off at first: the tiles draw the same features; a department switches on what it works with.
            groups.append("<layer-tree-group name=\"\(Self.escape(g.rawValue))\" checked=\"Qt::Unchecked\" expanded=\"1\">\n\(tree[g]!.joined(separator: "\n"))\n</layer-tree-group>")
        }
        // Layers listed first are drawn on top: departments' layers, then buildings, boundaries, the tiles.
        let order = collections.sorted { Group.allCases.firstIndex(of: $0.group)! > Group.allCases.firstIndex(of: $1.group)! }.map { "onemap_\($0.id)" } + [tilesID]
        var corners = [Position(extent.minX, extent.minY), Position(extent.maxX, extent.maxY)]
        try Reprojector().transform(&corners, from: .cgcs2000, to: .gk117)
        let projected = BBox(minX: corners[0].x, minY: corners[0].y, maxX: corners[1].x, maxY: corners[1].y)
        return """
            <!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
            <qgis version="3.22.0" projectname="OneMap 三明市一张图">
            <title>OneMap 三明市一张图 (\(Self.escape(day)))</title>
            <projectCrs>\(Self.srs(Self.projectCRS))</projectCrs>
            <layer-tree-group>
            \(groups.joined(separator: "\n"))
            <custom-order enabled="0">\(order.map { "<item>\(Self.escape($0))</item>" }.joined())</custom-order>
            </layer-tree-group>
            <projectlayers>
            \(layers.joined(separator: "\n"))
            </projectlayers>
            <properties><SpatialRefSys><ProjectionsEnabled type="int">1</ProjectionsEnabled></SpatialRefSys></properties>
            <layerorder>\(order.map { "<layer id=\"\(Self.escape($0))\"/>" }.joined())</layerorder>
            <mapcanvas name="theMapCanvas" annotationsVisible="1">
            <units>meters</units>
            <extent><xmin>\(projected.minX)</xmin><ymin>\(projected.minY)</ymin><xmax>\(projected.maxX)</xmax><ymax>\(projected.maxY)</ymax></extent>
            <rotation>0</rotation>
            <destinationsrs>\(Self.srs(Self.projectCRS))</destinationsrs>
            </mapcanvas>
            <ProjectViewSettings UseProjectScales="0" rotation="0">
            <DefaultViewExtent xmin="\(projected.minX)" ymin="\(projected.minY)" xmax="\(projected.maxX)" ymax="\(projected.maxY)">\(Self.srs(Self.projectCRS))</DefaultViewExtent>
            </ProjectViewSettings>
            <projectMetadata>
            <identifier>\(Self.escape(base))</identifier>
            <title>OneMap 三明市一张图</title>
            <abstract>\(Self.escape("The one map of Sanming from \(base) as of \(day): vector tiles styled as the web viewer, and OGC API – Features collections (\(collections.map(\.id).joined(separator: ", "))). Features are of \(day) (datetime); the tiles show today."))</abstract>
            <creation>\(Self.escape(day))</creation>
            </projectMetadata>
            </qgis>

            """
    }

    // MARK: parts

    /// The `<renderer>` and `<labeling>` elements of a QGIS style file.
    static func symbology(_ style: String) throws -> (String, String) {
        func element(_ name: String) throws -> String {
            guard let start = style.range(of: "<\(name) "), let end = style.range(of: "</\(name)>", range: start.upperBound..<style.endIndex) else {
                throw StoreError("the QGIS style has no <\(name)> element")
            }
            return String(style[start.lowerBound..<end.upperBound])
        }
        return (try element("renderer"), try element("labeling"))
    }

    /// A CRS as QGIS reads it: by `authid`, which QGIS 3.22 consults only when the element also
    /// carries a `srsid` (its own CRS database's id; these are QGIS's for the four CRSs used).
    static func srs(_ epsg: Int) -> String {
        let srsid = [4490: 27734, 4548: 27792, 4549: 27793, 3857: 3857, 4326: 3452][epsg] ?? 1
        return "<spatialrefsys><srsid>\(srsid)</srsid><srid>\(epsg)</srid><authid>EPSG:\(epsg)</authid></spatialrefsys>"
    }

    static func query(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        var c = URLComponents()
        c.queryItems = items.map { URLQueryItem(name: $0.0, value: $0.1) }
        return "?" + (c.percentEncodedQuery ?? "")
    }

    /// A URL as a value inside QGIS's own `key=value&…` data source (QUrlQuery's encoding).
    static func qurlEncoded(_ url: String) -> String {
        url.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "{", with: "%7B").replacingOccurrences(of: "}", with: "%7D")
            .replacingOccurrences(of: "=", with: "%3D").replacingOccurrences(of: "&", with: "%26").replacingOccurrences(of: "+", with: "%2B")
    }

    static func geometryName(_ t: LayerGeometryType) -> String {
        switch t {
        case .point, .multiPoint: "Point"
        case .lineString, .multiLineString: "Line"
        default: "Polygon"
        }
    }

    /// One symbol per collection: boundaries as outlines, buildings filled as the viewer's
    /// residential colour, departments' layers in a colour of their own.
    static func singleSymbol(_ c: Collection) -> String {
        let palette = ["228,26,28", "55,126,184", "77,175,74", "152,78,163", "255,127,0", "166,86,40", "247,129,191"]
        let own = palette[Int(Digest.sha256Hex(c.id).prefix(4), radix: 16)! % palette.count]
        let (type, layer): (String, String)
        switch geometryName(c.geometryType) {
        case "Point":
            (type, layer) = ("marker", "SimpleMarker" + options(["name": "circle", "color": own + ",255", "outline_color": "255,255,255,255", "size": "2.6"]))
        case "Line":
            (type, layer) = ("line", "SimpleLine" + options(["line_color": own + ",255", "line_width": "0.6"]))
        default:
            let fill: [String: String] = switch c.group {
            case .boundaries: ["color": "0,0,0,0", "style": "no", "outline_color": "107,91,115,255", "outline_width": "0.5"]
            case .buildings: ["color": "224,214,200,255", "outline_color": "140,109,90,255", "outline_width": "0.1"]
            case .departments: ["color": own + ",90", "outline_color": own + ",255", "outline_width": "0.4"]
            }
            (type, layer) = ("fill", "SimpleFill" + options(fill))
        }
        let cls = String(layer.prefix { $0 != "<" })
        return """
            <renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">
            <symbols><symbol type="\(type)" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
            <layer class="\(cls)" enabled="1" locked="0" pass="0">\(layer.dropFirst(cls.count))</layer>
            </symbol></symbols>
            </renderer-v2>
            """
    }

    static func options(_ values: [String: String]) -> String {
        "<Option type=\"Map\">" + values.sorted { $0.key < $1.key }.map { "<Option name=\"\($0.key)\" type=\"QString\" value=\"\(escape($0.value))\"/>" }.joined()
            + "</Option>"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&apos;")
    }
}
