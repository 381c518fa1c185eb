import CSQLite3
import CZlib
import Foundation
import OneMapGeo
import OneMapStore
import Testing
@testable import OneMapReports

/// The file writers: CSV as Excel reads Chinese, a ZIP/OOXML workbook whose parts and numbers can
/// be read back, and a GeoPackage with its CRS and binary geometries.
@Suite struct ExportWriterTests {
    /// Entries of a ZIP archive, inflated, with their CRCs checked (a reader written from the spec).
    /// An entry with general purpose bit 3 takes its sizes from the central directory, and its
    /// data descriptor must repeat them.
    static func unzip(_ data: Data) throws -> [String: String] {
        let b = [UInt8](data)
        func u16(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
        func u32(_ i: Int) -> Int { u16(i) | u16(i + 2) << 16 }
        // The central directory, from the end record.
        var central: [String: (crc: Int, packed: Int, size: Int)] = [:]
        let end = b.count - 22
        #expect(u32(end) == 0x0605_4b50, "the archive ends with its end record")
        var c = u32(end + 16)
        for _ in 0..<u16(end + 10) {
            #expect(u32(c) == 0x0201_4b50)
            let nameLength = u16(c + 28), extra = u16(c + 30), comment = u16(c + 32)
            central[String(decoding: b[(c + 46)..<(c + 46 + nameLength)], as: UTF8.self)] = (u32(c + 16), u32(c + 20), u32(c + 24))
            c += 46 + nameLength + extra + comment
        }
        var out: [String: String] = [:]
        var i = 0
        while i + 30 <= b.count, u32(i) == 0x0403_4b50 {
            let flags = u16(i + 6), method = u16(i + 8), nameLength = u16(i + 26), extra = u16(i + 28)
            let name = String(decoding: b[(i + 30)..<(i + 30 + nameLength)], as: UTF8.self)
            let listed = try #require(central[name], "\(name) is in the central directory")
            let described = flags & 8 != 0
            let (crc, packed, size) = described ? listed : (u32(i + 14), u32(i + 18), u32(i + 22))
            #expect(listed.crc == crc && listed.packed == packed && listed.size == size, "\(name): local header and central directory agree")
            let start = i + 30 + nameLength + extra
            #expect(method == 8)
            var stream = z_stream()
            #expect(inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
            var content = [UInt8](repeating: 0, count: size + 1)
            let input = Array(b[start..<(start + packed)])
            let status: Int32 = input.withUnsafeBufferPointer { inBuf in
                content.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress); stream.avail_in = UInt32(inBuf.count)
                    stream.next_out = outBuf.baseAddress; stream.avail_out = UInt32(outBuf.count)
                    return inflate(&stream, Z_FINISH)
                }
            }
            inflateEnd(&stream)
            #expect(status == Z_STREAM_END && Int(stream.total_out) == size, "\(name) inflates to its size")
            content.removeLast()
            #expect(content.withUnsafeBufferPointer { Int(crc32(0, $0.baseAddress, UInt32($0.count))) } == crc, "\(name) CRC")
            out[name] = String(decoding: content, as: UTF8.self)
            i = start + packed
            if described {
                #expect(u32(i) == 0x0807_4b50 && u32(i + 4) == crc && u32(i + 8) == packed && u32(i + 12) == size, "\(name) data descriptor")
                i += 16
            }
        }
        #expect(u32(i) == 0x0201_4b50, "the central directory follows the entries")
        return out
    }

    @Test func aStreamedWorkbookIsDeliveredInPiecesAndReadsBackWithDataDescriptors() throws {
        var pieces: [[UInt8]] = []
        let sink = ExportSink(pieceSize: 16 << 10) { pieces.append($0) }
        let book = try XLSXStream(sink: sink, sheets: ["楼栋 buildings"], title: "流 stream")
        try book.beginSheet(columns: ["id", "名称"])
        for n in 1...5000 { try book.addRow([.int(n), .text("第\(n)栋")]) }
        try book.endSheet()
        try book.finish()
        #expect(pieces.count > 3, "delivered while being made, not at the end")
        #expect(pieces.dropLast().allSatisfy { $0.count >= 16 << 10 })
        let files = try Self.unzip(Data(pieces.joined()))
        let sheet = try #require(files["xl/worksheets/sheet1.xml"])
        #expect(sheet.contains("<c r=\"A5001\"><v>5000</v></c>") && sheet.contains("第5000栋") && sheet.hasSuffix("</sheetData></worksheet>"))
        #expect(files["xl/workbook.xml"]?.contains("name=\"楼栋 buildings\"") == true)
    }

    @Test func workbooksHoldOneSheetPerTableWithTypedNumbersAndChineseText() throws {
        let people = ReportTable(name: "人口 people", columns: ["名称 name", "人口 people", "面积 area"],
                                 rows: [[.text("列东街道"), .int(9617), .number(12.5)], [.text("A & <B>"), .text("<5"), .empty]])
        let sheets = [people, ReportTable(name: "a/b:c*?[x]", columns: ["k"], rows: [[.int(1)]]), ReportTable(name: "人口 people", columns: ["k"])]
        let files = try Self.unzip(try XLSXWriter.data(sheets, title: "测试 test"))
        #expect(Set(files.keys).isSuperset(of: ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                                                "xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"]))
        let workbook = try #require(files["xl/workbook.xml"])
        #expect(workbook.contains("name=\"人口 people\"") && workbook.contains("name=\"a_b_c___x_\"") && workbook.contains("name=\"人口 people (2)\""))
        let sheet = try #require(files["xl/worksheets/sheet1.xml"])
        #expect(sheet.contains("<c r=\"A1\" t=\"inlineStr\" s=\"1\"><is><t xml:space=\"preserve\">名称 name</t></is></c>"))
        #expect(sheet.contains("<c r=\"B2\"><v>9617</v></c>") && sheet.contains("<c r=\"C2\"><v>12.5</v></c>"))
        #expect(sheet.contains("A &amp; &lt;B&gt;") && sheet.contains("<t xml:space=\"preserve\">&lt;5</t>") && !sheet.contains("r=\"C3\""))
        #expect(files["[Content_Types].xml"]!.contains("/xl/worksheets/sheet3.xml"))
        #expect(XLSXWriter.columnName(0) == "A" && XLSXWriter.columnName(25) == "Z" && XLSXWriter.columnName(26) == "AA" && XLSXWriter.columnName(701) == "ZZ")
    }

    @Test func csvStartsWithABOMAndQuotesWhatItMust() {
        let t = ReportTable(name: "t", columns: ["名称", "note"], rows: [[.text("列东街道"), .text("a,\"b\"\nc")], [.text("=cmd()"), .text("-5")]])
        let data = CSVWriter.data(t)
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: data.dropFirst(3), as: UTF8.self)
        #expect(text == "名称,note\r\n列东街道,\"a,\"\"b\"\"\nc\"\r\n'=cmd(),-5\r\n")
    }

    @Test func geoPackagesCarryTheirCRSAndGeometriesThatDecodeBack() throws {
        let layer = LayerInfo(id: "shops", title: "商铺 Shops", description: "test", geometryType: .polygon,
                              fields: [FieldInfo("name", .string, "n"), FieldInfo("floors", .integer, "f"), FieldInfo("phone", .string, "p", sensitivity: .personal)],
                              ownerDepartment: "SMSCJG", shareClass: .unconditional, minZoom: 0)
        let view = LayerView(layer: layer, visible: [0, 1, 2], masked: [2])
        var table = FeatureTable(view: view, crs: .gk117)
        let square: Geometry = .polygon([[Position(117.6, 26.2), Position(117.61, 26.2), Position(117.61, 26.21), Position(117.6, 26.2)]])
        let multi: Geometry = .multiPolygon([[[Position(117.7, 26.3), Position(117.71, 26.3), Position(117.71, 26.31), Position(117.7, 26.3)]]])
        try table.add(StoredFeature(id: 7, geometry: square, values: [.string("甲店"), .int(3), .string("13800001234")]))
        try table.add(StoredFeature(id: 9, geometry: multi, values: [.string("乙店"), .null, .string("13900005678")]))
        let path = NSTemporaryDirectory() + "onemap-\(UUID().uuidString).gpkg"
        defer { unlink(path) }
        try GeoPackageWriter.write(table, name: "shops", title: "商铺", to: path)
        #expect(!FileManager.default.fileExists(atPath: path + ".part"))
        var db: OpaquePointer?
        #expect(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK)
        defer { sqlite3_close_v2(db) }
        func rows(_ sql: String) -> [[String]] {
            var s: OpaquePointer?
            guard sqlite3_prepare_v2(db, sql, -1, &s, nil) == SQLITE_OK else { return [] }
            defer { sqlite3_finalize(s) }
            var out: [[String]] = []
            while sqlite3_step(s) == SQLITE_ROW {
                out.append((0..<sqlite3_column_count(s)).map { i in sqlite3_column_text(s, i).map { String(cString: $0) } ?? "NULL" })
            }
            return out
        }
        #expect(rows("PRAGMA application_id") == [["1196444487"]] && rows("PRAGMA user_version") == [["10300"]])
        #expect(rows("SELECT table_name, data_type, srs_id FROM gpkg_contents") == [["shops", "features", "4548"]])
        #expect(rows("SELECT geometry_type_name, srs_id FROM gpkg_geometry_columns") == [["MULTIPOLYGON", "4548"]])
        #expect(rows("SELECT definition FROM gpkg_spatial_ref_sys WHERE srs_id = 4548").first?.first?.contains("Gauss-Kruger") == true)
        // The R-tree extension: registered, one box per feature.
        #expect(rows("SELECT extension_name FROM gpkg_extensions WHERE table_name = 'shops'") == [["gpkg_rtree_index"]])
        #expect(rows("SELECT id FROM rtree_shops_geom WHERE minx > 500000 AND maxy < 3000000 ORDER BY id").count == 2)
        #expect(rows("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rtree_shops_geom_%'") == [["6"]])
        // Masked personal fields are text, masked; values kept.
        #expect(rows("SELECT fid, name, floors, phone FROM shops ORDER BY fid") == [["7", "甲店", "3", "138****1234"], ["9", "乙店", "NULL", "139****5678"]])
        // The geometry: "GP", version 0, flags (little endian + xy envelope), srs id, envelope, WKB.
        var s: OpaquePointer?
        #expect(sqlite3_prepare_v2(db, "SELECT geom FROM shops WHERE fid = 7", -1, &s, nil) == SQLITE_OK)
        defer { sqlite3_finalize(s) }
        #expect(sqlite3_step(s) == SQLITE_ROW)
        let blob = [UInt8](UnsafeRawBufferPointer(start: sqlite3_column_blob(s, 0), count: Int(sqlite3_column_bytes(s, 0))))
        #expect(Array(blob.prefix(4)) == [0x47, 0x50, 0, 0b11])
        #expect(blob[4..<8].reversed().reduce(0) { $0 << 8 | Int($1) } == 4548)
        let decoded = try WKB.decode(Array(blob[40...]))
        let expected = try Reprojector().transform(square, from: .cgcs2000, to: .gk117)
        guard case .multiPolygon(let parts) = decoded, case .polygon(let ring) = expected else { Issue.record("not promoted: \(decoded)"); return }
        #expect(parts == [ring])
    }
}
