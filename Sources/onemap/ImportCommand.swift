import ArgumentParser
import Foundation
import OneMapGeo
import OneMapIngest
import OneMapAccess
import OneMapQuality
import OneMapStore
import OneMapBackends

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a department's file as entity versions (one transaction: all of it or none).",
        discussion: """
            Formats: GeoJSON (FeatureCollection or newline-delimited), CSV (WKT or lon/lat columns), ESRI Shapefile \
            and GeoPackage. Into the buildings layer, or a layer of its own: a new layer name creates the layer with \
            a schema inferred from the file; later imports into it are checked against that schema.
            """)

    @Argument(help: "The file to import.") var file: String
    @Option(help: "Target layer.") var layer: String
    @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL (created when missing).") var db = "data/onemap.sqlite"
    @Option(help: "CRS of the coordinates, e.g. EPSG:4548 (overrides what the file declares).") var srs: String?
    @Option(help: "Property holding each entity's stable key (default: the layer's key; for a new layer entity_code, else the feature id).") var key: String?
    @Option(help: "append, upsert or replace (a full push: closes entities missing from the file).") var mode = "upsert"
    @Option(help: "First day of the new versions (YYYY-MM-DD), default today.") var validFrom: String?
    @Flag(help: "Import the good rows even if some are bad (they are listed).") var skipBad = false
    @Option(help: "Text encoding of CSV files, e.g. GBK (default UTF-8).") var encoding: String?
    @Option(help: "Feature table of a GeoPackage with several.") var table: String?
    @Option(help: "People and businesses: metres from coordinates to the nearest building when none contains them.") var tolerance = 30.0
    @Option(help: "People and businesses: a file with the secret (≥ 32 bytes) that links id_number / representative_id_number to the records for self-service sign-in (as a keyed hash; the numbers are never stored). The server's --identity-key must be the same.") var identityKey: String?
    @Option(help: "New layer: its title (default the layer name).") var title: String?
    @Option(help: "New layer: owner department code.") var owner = "SMDSJ"
    @Flag(help: "Skip the consistency checks that follow an import of people, businesses or buildings.") var noCheck = false
    @Option(help: "New layer: share class, unconditional, conditional or not_shared.") var shareClass = "conditional"
    @Option(help: "New layer: first zoom of single features in tiles (default 0, or 14 above 20,000 features; below it points and areas are grid cells).") var minZoom: Int?

    func run() throws {
        var options = ImportOptions(layer: layer)
        guard let m = ImportMode(rawValue: mode) else { throw ValidationError("--mode must be append, upsert or replace, got '\(mode)'") }
        options.mode = m
        options.key = key
        options.skipBad = skipBad
        options.encoding = encoding
        options.table = table
        options.title = title
        guard tolerance >= 0 && tolerance <= 1000 else { throw ValidationError("--tolerance must be 0-1000 metres, got \(tolerance)") }
        options.toleranceMetres = tolerance
        options.owner = owner
        guard let share = ShareClass(rawValue: shareClass) else {
            throw ValidationError("--share-class must be unconditional, conditional or not_shared, got '\(shareClass)'")
        }
        options.shareClass = share
        if let minZoom {
            guard (0...16).contains(minZoom) else { throw ValidationError("--min-zoom must be 0-16, got \(minZoom)") }
            options.minZoom = minZoom
        }
        if let validFrom { options.validFrom = validFrom }
        if let identityKey {
            do { options.identityKey = try IdentityKey.load(file: identityKey) } catch let e as StoreError { throw ValidationError("--identity-key: \(e.message)") }
        }
        if let srs {
            guard let crs = CRS.parse(srs) else {
                throw ValidationError("--srs '\(srs)' is not supported; use one of \(CRS.supported.map(\.description).joined(separator: ", "))")
            }
            options.srs = crs.epsg
        }
        let progress = ProgressLine()
        do {
            // Into a new database: it is built aside and appears only when the import succeeded, so
            // a refused or killed import leaves no database behind.
            let location = try StoreLocation(parsing: db)
            let exists = try StoreFactory.exists(location)
            if !exists { FileHandle.standardError.write(Data("onemap import: creating a new database \(location)\n".utf8)) }
            let run = { (store: any OneMapDatabase) throws -> ImportReport in
                try DepartmentImport.run(file: file, into: store, options: options) { stage, done, total in
                    if total > 0 { progress.update(stage: stage, done: done, total: total) } else { progress.update(stage) }
                }
            }
            let r = exists ? try run(try StoreFactory.open(location)) : try StoreFactory.build(location, replacing: false, onePass: true, run)
            progress.finish()
            do {
                let store = try StoreFactory.open(location)
                try store.appendAudit([AuditRecord(at: AuditTrail.now(), principal: cliPrincipal(), action: "change", endpoint: "onemap import",
                                                   layer: layer, rows: r.rows,
                                                   outcome: "inserted \(r.versions.inserted), updated \(r.versions.updated), closed \(r.versions.closed), rejected \(r.rejected.count)")])
            } catch {
                FileHandle.standardError.write(Data("onemap import: the import committed but its audit record was not written: \(error)\n".utf8))
            }
            for bad in r.rejected.prefix(50) { FileHandle.standardError.write(Data("skipped \(bad)\n".utf8)) }
            print("""
                imported \(file) into \(layer): \(r.rows) rows; inserted \(r.versions.inserted), updated \(r.versions.updated), \
                unchanged \(r.versions.unchanged), closed \(r.versions.closed), repaired \(r.repaired), rejected \(r.rejected.count) \
                in \(String(format: "%.1f", r.seconds)) s
                """)
            if let p = r.placement {
                print("placed by building key \(p.byBuildingKey), inside a footprint \(p.insideBuilding), nearest within \(Int(tolerance)) m \(p.nearestBuilding)")
                if options.identityKey != nil { print("identities linked for self-service sign-in: \(r.identityLinks)") }
            }
            // Records and buildings are checked against each other after each import (a department
            // layer's geometry was checked, and repaired, on the way in).
            if !noCheck, [CoreLayers.population.id, CoreLayers.businesses.id, CoreLayers.buildings.id].contains(layer) {
                do {
                    let (outcomes, _) = try CheckRun(layer: layer, principal: "cli:import").run(on: try StoreFactory.open(location))
                    let total = outcomes.values.reduce(into: CheckRun.Outcome()) { t, o in
                        t.found += o.found; t.filed += o.filed; t.reopened += o.reopened; t.closed += o.closed
                    }
                    print("consistency checks: \(total.found) finding(s); filed \(total.filed), reopened \(total.reopened), closed \(total.closed) (GET /problems)")
                } catch {
                    FileHandle.standardError.write(Data("onemap import: the import committed; the consistency checks that follow it failed: \(error)\n".utf8))
                }
            }
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
