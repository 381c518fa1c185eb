import OneMapGeo
import OneMapStore

/// The demo's public-service facilities, owned by their departments: 教育局's schools and
/// 卫健委's clinics (synthetic, marked so). Each stands in a public-use building of the demo, so
/// facilities follow the towns and the population as the buildings do; every township gets a
/// health centre (卫生院 or 社区卫生服务中心) near its town, as the real network has.
enum DemoFacilities {
    static let education = Department(code: "SMJY", name: "三明市教育局")
    static let health = Department(code: "SMWJ", name: "三明市卫生健康委员会")

    /// The day the facilities already open are recorded from, and the day a few new schools open.
    static let recordedFrom = "2010-09-01"
    static let newSchoolsFrom = "2023-09-01"

    static let schools = LayerInfo(
        id: "schools", title: "学校 Schools",
        description: "Primary and secondary schools with their places (synthetic positions in public buildings), CGCS2000.",
        geometryType: .point,
        fields: [
            FieldInfo("code", .string, "School code"),
            FieldInfo("name", .string, "Name"),
            FieldInfo("level", .string, "小学 (primary), 初中 (junior secondary) or 完全中学 (secondary)"),
            FieldInfo("capacity", .integer, "Pupil places"),
            FieldInfo("county", .string, "County code"),
            FieldInfo("synthetic", .boolean, "True: a generated position, not an official record"),
        ],
        ownerDepartment: education.code, shareClass: .unconditional, minZoom: 10, maxZoom: 16, open: true)

    static let clinics = LayerInfo(
        id: "clinics", title: "基层医疗卫生机构 Clinics",
        description: "Township health centres, community health centres and village clinics (synthetic positions), CGCS2000.",
        geometryType: .point,
        fields: [
            FieldInfo("code", .string, "Institution code"),
            FieldInfo("name", .string, "Name"),
            FieldInfo("kind", .string, "卫生院, 社区卫生服务中心 or 卫生室"),
            FieldInfo("capacity", .integer, "Residents it is staffed to serve (签约服务人口)", sensitivity: .internal),
            FieldInfo("county", .string, "County code"),
            FieldInfo("synthetic", .boolean, "True: a generated position, not an official record"),
        ],
        ownerDepartment: health.code, shareClass: .unconditional, minZoom: 10, maxZoom: 16, open: false)

    /// A facility before it is written.
    struct Site {
        var record: KeyedRecord
        var opens: String
    }

    /// Schools: one per ~3,500 residents (Sanming has about 700 primary and secondary schools),
    /// in public buildings drawn at random, so they follow the population; a few open in 2023.
    static func schools(plan: DemoPlan) -> [Site] {
        var rng = DemoRandom(seed: plan.options.seed, stream: "schools")
        let candidates = publicBuildings(plan, standingOn: recordedFrom)
        let count = min(candidates.count, max(4, Int((700 * plan.options.scale).rounded())))
        var pool = candidates
        var sites: [Site] = []
        var seq: [String: Int] = [:]
        for i in 0..<count {
            let k = i + Int(rng.next() % UInt64(pool.count - i))
            pool.swapAt(i, k)
            let b = plan.buildings[pool[i]]
            let county = plan.units[b.unit].census.currentCode
            let s = (seq[county] ?? 0) + 1
            seq[county] = s
            let r = rng.unit()
            // Places about 1.2 per school-age child in all: some catchments are short of places.
            let (level, places) = r < 0.62 ? ("小学", 60 * rng.int(2...8)) : r < 0.9 ? ("初中", 150 * rng.int(2...6)) : ("完全中学", 300 * rng.int(3...6))
            let town = plan.units[b.unit].census.name
            let name = "\(town)第\(chineseNumber(s))\(level == "小学" ? "小学" : "中学")"
            let opens = rng.unit() < 0.03 ? newSchoolsFrom : recordedFrom
            sites.append(site(code: "JY\(county)\(pad(s))", name: name, extra: ["level": .string(level)], capacity: places,
                              county: county, at: centroid(b), opens: opens))
        }
        return sites
    }

    /// Clinics: a health centre in the public building nearest each township's town (社区卫生服务中心
    /// for streets, 卫生院 for towns), then village clinics (卫生室), one per ~6,000 residents.
    static func clinics(plan: DemoPlan) -> [Site] {
        var rng = DemoRandom(seed: plan.options.seed, stream: "clinics")
        let candidates = publicBuildings(plan, standingOn: recordedFrom)
        guard !candidates.isEmpty else { return [] }
        var used = Set<Int>()
        var sites: [Site] = []
        var seq: [String: Int] = [:]
        func add(_ index: Int, kind: String, name: String, capacity: Int) {
            let b = plan.buildings[index]
            let county = plan.units[b.unit].census.currentCode
            let s = (seq[county] ?? 0) + 1
            seq[county] = s
            used.insert(index)
            sites.append(site(code: "WJ\(county)\(pad(s))", name: name, extra: ["kind": .string(kind)], capacity: capacity,
                              county: county, at: centroid(b), opens: recordedFrom))
        }
        for (t, seed) in zip(plan.townshipAreas, plan.townSeeds) {
            var best = -1, bestD = Double.infinity
            for i in candidates where !used.contains(i) {
                let d = Geo.distanceMetres(centroid(plan.buildings[i]), seed.position)
                if d < bestD { best = i; bestD = d }
            }
            guard best >= 0, bestD < 8000 else { continue }  // a township without a public building near its town
            let kind = seed.isStreet ? "社区卫生服务中心" : "卫生院"
            add(best, kind: kind, name: "\(t.name)\(kind)", capacity: 1000 * rng.int(5...20))
        }
        let villages = max(2, Int((400 * plan.options.scale).rounded()))
        var pool = candidates.filter { !used.contains($0) }
        for i in 0..<min(villages, pool.count) {
            let k = i + Int(rng.next() % UInt64(pool.count - i))
            pool.swapAt(i, k)
            add(pool[i], kind: "卫生室", name: "\(plan.units[plan.buildings[pool[i]].unit].census.name)卫生室\(i + 1)", capacity: 500 * rng.int(2...8))
        }
        return sites
    }

    /// Indices of public-use buildings standing on `day`, in generation order.
    static func publicBuildings(_ plan: DemoPlan, standingOn day: String) -> [Int] {
        plan.buildings.indices.filter { i in
            let b = plan.buildings[i]
            return b.use == "public" && b.built <= day && (b.demolished.map { $0 > day } ?? true)
        }
    }

    static func centroid(_ b: DemoBuilding) -> Position {
        let ring = b.rings[0].dropLast()
        let n = Double(ring.count)
        return Position(ring.reduce(0) { $0 + $1.x } / n, ring.reduce(0) { $0 + $1.y } / n)
    }

    private static func site(code: String, name: String, extra: [String: FieldValue], capacity: Int, county: String,
                             at p: Position, opens: String) -> Site {
        var values: [String: FieldValue] = ["code": .string(code), "name": .string(name), "capacity": .int(Int64(capacity)),
                                            "county": .string(county), "synthetic": .bool(true)]
        values.merge(extra) { a, _ in a }
        return Site(record: KeyedRecord(row: 0, key: code, values: values, geometry: .point(p)), opens: opens)
    }

    private static func pad(_ n: Int) -> String { n < 10 ? "00\(n)" : n < 100 ? "0\(n)" : "\(n)" }

    /// 1 → 一, 12 → 十二, 35 → 三十五 (school names count this way).
    static func chineseNumber(_ n: Int) -> String {
        let digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
        guard n >= 10 else { return digits[n] }
        guard n < 100 else { return String(n) }
        let tens = n / 10, ones = n % 10
        return (tens == 1 ? "" : digits[tens]) + "十" + (ones == 0 ? "" : digits[ones])
    }

    /// Registers the two departments and writes both layers (each facility valid from its opening).
    static func write(plan: DemoPlan, into store: any FeatureStore & GovernanceStore) throws -> (schools: Int, clinics: Int) {
        let known = Set(try store.departments().map(\.code))
        for d in [education, health] where !known.contains(d.code) { try store.addDepartment(d) }
        var written: [Int] = []
        for (layer, sites) in [(schools, schools(plan: plan)), (clinics, clinics(plan: plan))] {
            for day in [recordedFrom, newSchoolsFrom] {
                let records = sites.filter { $0.opens == day }.enumerated().map { i, s in
                    var r = s.record
                    r.row = i + 1
                    return r
                }
                guard !records.isEmpty else { continue }
                _ = try store.applyVersions(layer: layer, records: records, alreadyRejected: [], mode: .append,
                                            validFrom: day, skipBad: false, progress: { _ in })
            }
            // An imported layer starts closed with public fields: openness and sensitivities are the
            // governance's to set, as `onemap layer classify` does.
            let sensitivities = Dictionary(uniqueKeysWithValues: layer.fields.filter { $0.sensitivity != .public }.map { ($0.name, $0.sensitivity) })
            _ = try store.classifyLayer(id: layer.id, shareClass: nil, owner: nil, open: layer.open, sensitivities: sensitivities)
            written.append(sites.count)
        }
        return (written[0], written[1])
    }
}
