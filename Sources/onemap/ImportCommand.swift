import ArgumentParser
import Foundation
import OneMapGeo
import OneMapIngest
import OneMapStore

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a department's file as entity versions (one transaction: all of it or none).",
        discussion: "Supported now: GeoJSON (FeatureCollection or newline-delimited) CSV (WKT or lon/lat columns), ESRI Shapefile and GeoPackage into the buildings layer.")

    @Argument(help: "The file to import.") var file: String
    @Option(help: "Target layer.") var layer: String
    @Option(help: "SpatiaLite database.") var db = "data/onemap.sqlite"
    @Option(help: "CRS of the coordinates, e.g. EPSG:4548 (overrides what the file declares).") var srs: String?
    @Option(help: "Property holding each entity's stable key.") var key = "entity_code"
    @Option(help: "append, upsert or replace (a full push: closes entities missing from the file).") var mode = "upsert"
    @Option(help: "First day of the new versions (YYYY-MM-DD), default today.") var validFrom: String?
    @Flag(help: "Import the good rows even if some are bad (they are listed).") var skipBad = false
    @Option(help: "Text encoding of CSV files, e.g. GBK (default UTF-8).") var encoding: String?
    @Option(help: "Feature table of a GeoPackage with several.") var table: String?

    func run() throws {
        var options = ImportOptions(layer: layer)
        guard let m = ImportMode(rawValue: mode) else { throw ValidationError("--mode must be append, upsert or replace, got '\(mode)'") }
        options.mode = m
        options.key = key
        options.skipBad = skipBad
        options.encoding = encoding
        options.table = table
        if let validFrom { options.validFrom = validFrom }
        if let srs {
            guard let crs = CRS.parse(srs) else {
                throw ValidationError("--srs '\(srs)' is not supported; use one of \(CRS.supported.map(\.description).joined(separator: ", "))")
            }
            options.srs = crs.epsg
        }
        let progress = ProgressLine()
        do {
            let store = try SpatiaLiteStore(path: db)
            let r = try DepartmentImport.run(file: file, into: store, options: options) { stage, done, total in
                if total > 0 { progress.update(stage: stage, done: done, total: total) } else { progress.update(stage) }
            }
            progress.finish()
            for bad in r.rejected.prefix(50) { FileHandle.standardError.write(Data("skipped \(bad)\n".utf8)) }
            print("""
                imported \(file) into \(layer): \(r.rows) rows; inserted \(r.versions.inserted), updated \(r.versions.updated), \
                unchanged \(r.versions.unchanged), closed \(r.versions.closed), repaired \(r.repaired), rejected \(r.rejected.count) \
                in \(String(format: "%.1f", r.seconds)) s
                """)
        } catch let e as ImportRefused {
            progress.finish()
            for bad in e.rejected.prefix(50) { FileHandle.standardError.write(Data("bad \(bad)\n".utf8)) }
            if e.rejected.count > 50 { FileHandle.standardError.write(Data("... and \(e.rejected.count - 50) more\n".utf8)) }
            FileHandle.standardError.write(Data("onemap import: refused: \(e.reason)\n".utf8))
            throw ExitCode(1)
        } catch let e as ImportError {
            progress.finish()
            FileHandle.standardError.write(Data("onemap import: refused: \(e.description)\n".utf8))
            throw ExitCode(1)
        } catch let e as StoreError {
            progress.finish()
            FileHandle.standardError.write(Data("onemap import: \(e.message)\n".utf8))
            throw ExitCode(1)
        }
    }
}
