import ArgumentParser
import Foundation
import OneMapAccess
import OneMapGeo
import OneMapReports
import OneMapStore

/// `onemap qgis-project`: what `GET /qgis/onemap.qgs` answers, written to a file for a server at
/// `--url`, with the layers the named department may read (default: the public's).
struct QGISProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qgis-project", abstract: "Write a QGIS project (.qgs) of a OneMap server: the one map as styled vector tiles and the collections a department may read.")

    @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"
    @Option(help: "The server's base URL as QGIS will reach it.") var url = "http://127.0.0.1:8080"
    @Option(help: "The collections this department may read (default: the public's).") var department: String?
    @Option(help: "An API key to put in the layers' URLs (?key=; the project file then holds it: keep it as you keep the key).") var key: String?
    @Option(help: "Day the features are of (YYYY-MM-DD), default today.") var datetime: String?
    @Option(help: "Folder of the styles (styles/qgis/onemap-vectortiles.qml).") var styles = "styles"
    @Option(help: "Output file (.qgs).") var out: String

    func validate() throws {
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), URL(string: url)?.host != nil else {
            throw ValidationError("--url must be an http(s) URL such as http://127.0.0.1:8080, got '\(url)'")
        }
        if let key, !APIKeys.isWellFormed(key) { throw ValidationError("--key is not an API key (om_ followed by 40 hex digits)") }
        if let datetime, !ISODate.isValid(datetime) { throw ValidationError("--datetime must be a day, YYYY-MM-DD, got '\(datetime)'") }
    }

    func run() throws {
        let store = try openStore(db)
        let principal = try cliViewer(store, department: department)
        let policy = AccessPolicy(store: store)
        let layers = try store.layers().filter { try policy.canRead($0, principal) }
        let extent = try store.extent(layer: CoreLayers.adminAreas.id) ?? BBox(minX: 116.37, minY: 25.5, maxX: 118.65, maxY: 27.12)
        let style: String
        do { style = try QGISProject.tileStyle(stylesDirectory: AssetLocator.resolve(styles)) } catch let e as StoreError { throw CLIFailure(e.message) }
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let project = QGISProject(base: base, access: key.map { [("key", $0)] } ?? [], day: datetime ?? ISODate.string(Date()),
                                  collections: QGISProject.collections(of: layers), tileStyle: style, extent: extent)
        try writeAtomically(Data(try project.xml().utf8), to: out)
        print("wrote \(out): \(project.collections.count) collections (\(project.collections.map(\.id).joined(separator: ", "))) and the one map's tiles, from \(base)")
    }
}
