import Foundation
import OneMapGeo

/// The real Sanming files shipped in `geodata/` (see geodata/README.md for their provenance).
struct SanmingSources {
    struct County { let code: String; let name: String; let geometry: Geometry }
    struct Township { let code9: String; let code12: String?; let name: String; let type: String; let countyCode: String }
    struct CensusUnit {
        let code: String, name: String, currentCode: String
        let population: Int, male: Int, female: Int, urban: Int, households: Int
    }

    let city: Geometry
    let counties: [County]         // 11 current units
    let pre2021: [County]          // 12 units before the 2021 change
    let townships: [Township]      // 乡/镇/街道 (statistical-only units excluded)
    let census: [CensusUnit]       // 12 units as enumerated in 2020

    init(directory: String) throws {
        func load(_ name: String) throws -> Data {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let d = FileManager.default.contents(atPath: path) else {
                throw DemoError("cannot read \(path): run from the repository root or pass --geodata")
            }
            return d
        }
        func features(_ name: String) throws -> [(props: [String: String], geometry: Geometry)] {
            let doc = try load(name).withUnsafeBytes { try FastJSONParser.parse($0) }
            guard let feats = doc["features"]?.array else { throw DemoError("\(name) is not a FeatureCollection") }
            return try feats.map { f in
                guard let g = f["geometry"] else { throw DemoError("\(name): feature without geometry") }
                var props: [String: String] = [:]
                if case .object(let members)? = f["properties"] { for (k, v) in members { props[k] = v.string } }
                return (props, try GeoJSON.geometry(from: g))
            }
        }
        guard let c = try features("sanming_city_cnmaps_wgs84.geojson").first else { throw DemoError("city outline missing") }
        city = c.geometry
        counties = try features("sanming_counties_cnmaps_wgs84.geojson").map {
            County(code: $0.props["adcode"] ?? "", name: $0.props["name"] ?? "", geometry: $0.geometry)
        }
        pre2021 = try features("sanming_counties_pre2021_echarts_wgs84.geojson").map {
            County(code: $0.props["adcode"] ?? "", name: $0.props["name"] ?? "", geometry: $0.geometry)
        }
        let codes = try CSV.rows(String(decoding: try load("sanming_admin_codes.csv"), as: UTF8.self))
        townships = codes.filter { $0["level"] == "township" && !($0["type"] ?? "").hasPrefix("统计用") }.map {
            Township(code9: $0["nbs2023_code9"] ?? "", code12: ($0["mca_code12"] ?? "").isEmpty ? nil : $0["mca_code12"],
                     name: $0["name"] ?? "", type: $0["type"] ?? "", countyCode: $0["county_code6"] ?? "")
        }
        let rows = try CSV.rows(String(decoding: try load("sanming_census2020_by_county_pre2021.csv"), as: UTF8.self))
        census = rows.filter { $0["census_code_2020"] != "350400" }.map {
            CensusUnit(code: $0["census_code_2020"] ?? "", name: $0["name_2020"] ?? "", currentCode: $0["current_code"] ?? "",
                       population: Int($0["pop_2020"] ?? "") ?? 0, male: Int($0["male"] ?? "") ?? 0,
                       female: Int($0["female"] ?? "") ?? 0, urban: Int($0["urban"] ?? "") ?? 0,
                       households: Int($0["households_family"] ?? "") ?? 0)
        }
        guard counties.count == 11, pre2021.count == 12, census.count == 12 else {
            throw DemoError("geodata incomplete: \(counties.count) counties, \(pre2021.count) pre-2021 units, \(census.count) census rows")
        }
    }
}

/// A demo generation failure.
public struct DemoError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

/// Minimal RFC 4180 CSV reader (quoted fields, doubled quotes), header row as keys.
enum CSV {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var inQuotes = false
        var it = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = nil
        func nextScalar() -> Unicode.Scalar? { if let p = pending { pending = nil; return p }; return it.next() }
        while let ch = nextScalar() {
            if inQuotes {
                if ch == "\"" {
                    if let n = nextScalar() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = n }
                    } else { inQuotes = false }
                } else { field.unicodeScalars.append(ch) }
            } else {
                switch ch {
                case "\"": inQuotes = true
                case ",": row.append(field); field = ""
                case "\n": row.append(field); field = ""; rows.append(row); row = []
                case "\r": break
                default: field.unicodeScalars.append(ch)
                }
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    static func rows(_ text: String) throws -> [[String: String]] {
        let all = parse(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
        guard let header = all.first else { return [] }
        return all.dropFirst().filter { !($0.count == 1 && $0[0].isEmpty) }.map { r in
            var d = [String: String]()
            for (i, h) in header.enumerated() where i < r.count { d[h] = r[i] }
            return d
        }
    }
}
