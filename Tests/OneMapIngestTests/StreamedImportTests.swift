import Foundation
import OneMapGeo
@testable import OneMapIngest
import OneMapStore
import OneMapSpatiaLite
import Testing

/// Files are read a window at a time and imported a chunk at a time: whatever the window and chunk
/// sizes, the result is the one a single read of the whole file gives, and a failure in a late
/// chunk leaves nothing behind.
@Suite struct StreamedImportTests {
    /// Each feature as (row, properties, geometry) for comparison.
    static func read(_ path: String, blockSize: Int, chunk: Int = 3) throws -> [String] {
        var out: [String] = []
        try GeoJSONFileReader(path: path, blockSize: blockSize).forEachChunk(size: chunk) { features in
            #expect(features.count <= chunk)
            for f in features {
                let props = f.properties.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                out.append("\(f.row) \(props) \(f.geometry.map { "\($0)" } ?? "-") \(f.featureID.map { "\($0)" } ?? "-")")
            }
        }
        return out
    }

    static func features(_ n: Int) -> [String] {
        (0..<n).map { k in
            #"{"type":"Feature","id":\#(k),"properties":{"name":"楼 \"\#(k)\" }{","floors":\#(k % 7),"note":null},"geometry":{"type":"Polygon","coordinates":[[[117.6,26.2],[117.601,26.2],[117.601,26.201],[117.6,26.2]]]}}"#
        }
    }

    @Test func documentsReadInSmallWindowsGiveTheFeaturesOfOneRead() throws {
        let f = try ImportFixture()
        let items = Self.features(11)
        let documents = [
            // Minified, with a legacy crs member before and a bbox after the features.
            "min.geojson": #"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4326"}},"features":["# + items.joined(separator: ",") + #"],"bbox":[117.6,26.2,117.601,26.201]}"#,
            // Pretty-printed, with a byte order mark.
            "pretty.geojson": "\u{FEFF}{\n  \"features\" : [\n    " + items.joined(separator: " ,\n    ") + "\n  ],\n  \"type\": \"FeatureCollection\"\n}\n",
            // Newline-delimited, with CRLF, blank lines and RFC 8142 record separators.
            "lines.geojsonl": items.map { "\u{1E}" + $0 + "\r\n" }.joined(separator: "\n"),
        ]
        for (name, text) in documents {
            let path = f.dir + "/" + name
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            let whole = try Self.read(path, blockSize: 1 << 20, chunk: 1000)
            #expect(whole.count == 11, "\(name)")
            #expect(whole.first?.hasPrefix("1 ") == true && whole.last?.hasPrefix("11 ") == true, "\(name)")
            for block in [1, 7, 64, 301] {
                #expect(try Self.read(path, blockSize: block) == whole, "\(name) in \(block)-byte windows")
            }
        }
    }

    @Test func aTruncatedOrMistypedCollectionIsAnErrorWhateverTheWindow() throws {
        let f = try ImportFixture()
        let items = Self.features(5)
        let cases = [
            "truncated.geojson": (#"{"type":"FeatureCollection","features":["# + items.joined(separator: ",") + ",",
                                  "malformed JSON"),
            "trailing.geojson": (#"{"type":"FeatureCollection","features":[]} {"#, "unexpected data after the JSON value"),
            "untyped.geojson": (#"{"features":["# + items[0] + "]}", "type missing"),
            "nofeatures.geojson": (#"{"type":"FeatureCollection"}"#, "has no \"features\" array"),
        ]
        for (name, (text, message)) in cases {
            let path = f.dir + "/" + name
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            for block in [5, 1 << 20] {
                let error = #expect(throws: ImportError.self, "\(name)") { _ = try Self.read(path, blockSize: block) }
                #expect(error?.description.contains(message) == true, "\(name): \(error.map { "\($0)" } ?? "-")")
            }
        }
    }

    func importShops(_ f: ImportFixture, _ path: String, chunk: Int, layer: String = "shops", skipBad: Bool = false) throws -> ImportReport {
        var o = ImportOptions(layer: layer)
        o.validFrom = "2024-01-01"; o.chunkSize = chunk; o.skipBad = skipBad
        return try DepartmentImport.run(file: path, into: f.store, options: o)
    }

    func stored(_ f: ImportFixture, layer: String = "shops") throws -> [String] {
        var out: [String] = []
        try f.store.features(layer: layer, intersecting: BBox(minX: 117, minY: 26, maxX: 118, maxY: 27), during: .instant("2024-02-01"), limit: nil) {
            out.append("\($0.values) \($0.geometry)")
        }
        return out.sorted()
    }

    @Test func aLayerImportedInSmallChunksEqualsOneImportedWhole() throws {
        let shops = (0..<250).map { k in
            UserLayerImportTests.shop(k, x: Double(k % 50), employees: k % 9 == 0 ? 3.5 : k, since: k == 249 ? "soon" : "2020-03-08")
        }
        let whole = try ImportFixture(), chunked = try ImportFixture()
        let a = try whole.write("shops.geojson", shops), b = try chunked.write("shops.geojson", shops)
        let r1 = try importShops(whole, a, chunk: 100_000), r2 = try importShops(chunked, b, chunk: 60)
        #expect(r1.versions.inserted == 250 && r2.versions.inserted == 250 && r2.rows == 250)
        // The schema knows the last chunk's text date and the first chunk's decimals.
        let fields = try #require(try chunked.store.layer(id: "shops")).fields
        #expect(fields == (try #require(try whole.store.layer(id: "shops")).fields))
        #expect(fields.first { $0.name == "since" }?.type == .string && fields.first { $0.name == "employees" }?.type == .number)
        #expect(try stored(chunked) == (try stored(whole)))
        #expect(try stored(chunked).count == 250)
    }

    @Test func aKeyRepeatedInALaterChunkIsADuplicate() throws {
        let f = try ImportFixture()
        var shops = (0..<20).map { UserLayerImportTests.shop($0, x: Double($0)) }
        shops.append(UserLayerImportTests.shop(3, x: 30))  // row 21, eight chunks after row 4
        let path = try f.write("shops.geojson", shops)
        let refused = #expect(throws: ImportRefused.self) { _ = try importShops(f, path, chunk: 2) }
        #expect(refused?.rejected == [RejectedRow(row: 21, reason: "duplicate key '3' (already given earlier in the file)")])
        #expect(try f.store.layer(id: "shops") == nil)
        let r = try importShops(f, path, chunk: 2, skipBad: true)
        #expect(r.versions.inserted == 20 && r.rejected.map(\.row) == [21])
    }

    @Test func aBadLateChunkLeavesAStoredLayerAsItWas() throws {
        let f = try ImportFixture()
        let first = try f.write("a.geojson", (0..<10).map { UserLayerImportTests.shop($0, x: Double($0)) })
        _ = try importShops(f, first, chunk: 100)
        let before = try stored(f)
        // Into the stored layer (no survey): the first chunks are written before the end of the
        // file turns out to be malformed; the transaction takes them back.
        let items = (10..<30).map { k in
            String(data: try! JSONSerialization.data(withJSONObject: UserLayerImportTests.shop(k, x: Double(k))), encoding: .utf8)!
        }
        let path = f.dir + "/cut.geojson"
        try Data((#"{"type":"FeatureCollection","features":["# + items.joined(separator: ",") + #",{"type":"Feat"#).utf8)
            .write(to: URL(fileURLWithPath: path))
        #expect(throws: ImportError.self) { _ = try importShops(f, path, chunk: 3) }
        #expect(try stored(f) == before)
        // A geometry family change in a late chunk refuses a new layer before anything is made.
        var mixed = (0..<10).map { UserLayerImportTests.shop($0, x: Double($0)) }
        mixed.append(["type": "Feature", "id": 99, "properties": [String: Any](),
                      "geometry": ["type": "LineString", "coordinates": [[117.6, 26.2], [117.61, 26.21]]]])
        let m = try f.write("mixed.geojson", mixed)
        let error = #expect(throws: ImportError.self) { _ = try importShops(f, m, chunk: 2, layer: "mixed") }
        #expect(error?.description.contains("mixes geometry types") == true)
        #expect(try f.store.layer(id: "mixed") == nil)
    }
}
