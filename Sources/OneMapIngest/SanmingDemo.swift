import Foundation
import OneMapGeo
import OneMapStore

/// Options for the deterministic Sanming demo.
public struct DemoOptions: Sendable {
    /// 1 = full size (about 300,000 buildings, 2,486,450 people, 150,000 businesses).
    public var scale: Double
    public var seed: UInt64
    /// Folder holding the real Sanming geodata files.
    public var geodata: String
    /// Links a sample of synthetic identities (`DemoSummary.identities`) for self-service sign-in.
    public var identityKey: IdentityKey?

    public init(scale: Double = 1, seed: UInt64 = 350400, geodata: String = "geodata", identityKey: IdentityKey? = nil) {
        self.scale = scale; self.seed = seed; self.geodata = geodata; self.identityKey = identityKey
    }
}

public struct DemoSummary: Sendable {
    public var adminAreas = 0, townships = 0, buildings = 0, people = 0, businesses = 0, schools = 0, clinics = 0
    public var seconds = 0.0
    /// The synthetic identities linked (with an identity key), to sign in with.
    public var identities: [DemoIdentity] = []
}

/// Builds the demo one map of Sanming: real city and county boundaries (current and pre-2021),
/// synthetic townships partitioning each county, synthetic buildings clustered in towns, and
/// population and business records. Same seed and scale, same data.
public enum SanmingDemo {
    /// Census day of the 2020 census (七普): every demo resident lives in place on this day.
    static let censusDay = "2020-11-01"
    /// The day the 2021 county changes take effect in the demo.
    public static let changeoverDate = "2021-05-01"
    static let changedUnits: Set<String> = ["350402", "350403", "350427"]

    /// Population per 2020 census unit at `scale` (exactly the census at scale 1).
    public static func populationTargets(scale: Double, geodata: String) throws -> [String: Int] {
        let src = try SanmingSources(directory: geodata)
        var out: [String: Int] = [:]
        for u in src.census { out[u.currentCode, default: 0] += Int((Double(u.population) * scale).rounded()) }
        return out
    }

    public static func build(into store: any FeatureStore & GovernanceStore & IdentityStore, options: DemoOptions,
                             progress: @escaping (String) -> Void = { _ in }) throws -> DemoSummary {
        let start = Date()
        let src = try SanmingSources(directory: options.geodata)
        let engine = GeometryEngine()
        var summary = DemoSummary()
        var plan = DemoPlan(src: src, engine: engine, options: options, progress: progress)
        try plan.prepareUnits()
        try plan.prepareTownships()
        progress("boundaries: city, 11 counties, 3 pre-2021 units, \(plan.townshipAreas.count) synthetic townships")
        try plan.generateBuildings()
        var identities: [DemoIdentity] = []
        try store.bulkLoad { w in
            let areas = plan.adminAreas()
            for a in areas { try w.add(a) }
            summary.adminAreas = areas.count
            summary.townships = plan.townshipAreas.count
            for b in plan.buildings {
                try w.add(Building(entityCode: b.code, footprint: .polygon(b.rings), floors: b.floors, use: b.use,
                                   builtDate: b.built, demolishedDate: b.demolished))
            }
            summary.buildings = plan.buildings.count
            progress("buildings: \(plan.buildings.count) written")
            summary.people = try plan.generatePeople({ try w.add($0) }, sampled: { identities.append($0) })
            summary.businesses = try plan.generateBusinesses({ try w.add($0) }, sampled: { identities.append($0) })
            progress("indexing and counting residents per building and area")
        }
        if let key = options.identityKey {
            try store.linkIdentities(IdentityLinks(links: identities.map { IdentityLink(identityHash: key.hash($0.number), kind: $0.kind, entityKey: $0.key) },
                                                   keyFingerprint: key.fingerprint))
            summary.identities = identities
            progress("identities: \(identities.count) synthetic ones linked for self-service sign-in")
        }
        progress("facilities: schools (教育局) and clinics (卫健委)")
        (summary.schools, summary.clinics) = try DemoFacilities.write(plan: plan, into: store)
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }
}

/// One synthetic building before it is written.
struct DemoBuilding {
    var code: String
    var unit: Int
    var rings: [[Position]]
    var floors: Int
    var use: String
    var built: String
    var demolished: String?
    var areaM2: Double
    var urban: Bool
}

/// The generator's working state, stage by stage.
struct DemoPlan {
    let src: SanmingSources
    let engine: GeometryEngine
    let options: DemoOptions
    let progress: (String) -> Void

    struct Unit {
        let census: SanmingSources.CensusUnit
        let polygon: Geometry
        let prepared: PreparedGeometry
        let seat: Position
    }
    var units: [Unit] = []
    var countyGeometry: [String: Geometry] = [:]
    var townshipAreas: [AdminArea] = []
    var townSeeds: [(countyCode: String, position: Position, isStreet: Bool)] = []
    var buildings: [DemoBuilding] = []
    var cityPrepared: PreparedGeometry?

    init(src: SanmingSources, engine: GeometryEngine, options: DemoOptions, progress: @escaping (String) -> Void) {
        self.src = src; self.engine = engine; self.options = options; self.progress = progress
    }

    // MARK: boundaries

    /// Each 2020 census unit's area. The pre-2021 file carries a usable boundary only for 梅列区
    /// (the others are empty), so the 2020 units are derived from the current ones: 梅列区 = its
    /// boundary clipped to today's 三元区; the old 三元区 = today's 三元区 minus 梅列区 (whole-area
    /// merger); 沙县 = today's 沙县区 (renamed, same area); the rest unchanged. The units then
    /// partition the city, so census totals hold exactly by the centroid rule for 2020 and today.
    mutating func prepareUnits() throws {
        for c in src.counties { countyGeometry[c.code] = c.geometry }
        cityPrepared = try engine.prepare(src.city)
        guard let sanyuan = countyGeometry["350404"], let meilieRaw = src.pre2021.first(where: { $0.code == "350402" }),
              !meilieRaw.geometry.isEmpty, let meilie = try engine.intersection(meilieRaw.geometry, sanyuan),
              let oldSanyuan = try engine.difference(sanyuan, meilie) else {
            throw DemoError("cannot derive the pre-2021 units 梅列区/三元区 from the geodata")
        }
        for u in src.census {
            let polygon: Geometry?
            switch u.code {
            case "350402": polygon = meilie
            case "350403": polygon = oldSanyuan
            default: polygon = countyGeometry[u.currentCode]
            }
            guard let polygon, !polygon.polygons.isEmpty else { throw DemoError("census unit \(u.code) has no area") }
            let prepared = try engine.prepare(polygon)
            var seat = DemoVocabulary.seats[u.code].map { Position($0.0, $0.1) } ?? Position(0, 0)
            if !prepared.contains(seat) { seat = try engine.pointOnSurface(polygon) ?? seat }
            units.append(Unit(census: u, polygon: .multiPolygon(polygon.polygons), prepared: prepared, seat: seat))
        }
    }

    /// One synthetic polygon per real township: Voronoi cells of seeds (streets near the seats,
    /// towns spread over the county), clipped to the county, so townships partition it exactly.
    mutating func prepareTownships() throws {
        var rng = DemoRandom(seed: options.seed, stream: "townships")
        for county in src.counties {
            let towns = src.townships.filter { $0.countyCode == county.code }
            let prepared = try engine.prepare(county.geometry)
            guard let box = county.geometry.bbox else { continue }
            let seats = units.filter { $0.census.currentCode == county.code }.map(\.seat)
            var seeds: [Position] = []
            let streets = towns.filter { $0.type == "街道" }
            func farEnough(_ p: Position, _ minKm: Double) -> Bool {
                seeds.allSatisfy { Geo.distanceMetres($0, p) >= minKm * 1000 }
            }
            for (i, _) in streets.enumerated() {
                let seat = seats[i * seats.count / max(streets.count, 1)]
                var placed = false
                for attempt in 0..<400 {
                    let r = 1500.0 + Double(attempt) * 10
                    let p = Geo.offset(seat, east: rng.gaussian() * r, north: rng.gaussian() * r)
                    if prepared.contains(p), farEnough(p, 1.2) { seeds.append(p); placed = true; break }
                }
                if !placed { throw DemoError("cannot place street \(streets[i].name)") }
            }
            for t in towns where t.type != "街道" {
                // Mitchell's best candidate: spread towns out, away from the seats' streets.
                var best: Position?, bestD = -1.0
                for _ in 0..<24 {
                    let p = Position(rng.uniform(box.minX, box.maxX), rng.uniform(box.minY, box.maxY))
                    guard prepared.contains(p) else { continue }
                    let d = (seeds + seats).map { Geo.distanceMetres($0, p) }.min() ?? .infinity
                    if d > bestD { best = p; bestD = d }
                }
                guard let p = best else { throw DemoError("cannot place township \(t.name)") }
                seeds.append(p)
            }
            let cells = try engine.voronoiCells(sites: seeds, envelope: box.expanded(by: 0.2))
            let ordered = towns.filter { $0.type == "街道" } + towns.filter { $0.type != "街道" }
            let validFrom = county.code == "350404" || county.code == "350405" ? SanmingDemo.changeoverDate : nil
            for (i, t) in ordered.enumerated() {
                guard let cell = cells.first(where: { c in c.polygons.contains { Planar.ringContains($0[0], seeds[i]) } }),
                      let clipped = try engine.intersection(cell, county.geometry), !clipped.polygons.isEmpty else {
                    throw DemoError("no Voronoi cell for township \(t.name)")
                }
                townshipAreas.append(AdminArea(code: t.code9, level: .township, parentCode: county.code, name: t.name,
                                               geometry: .multiPolygon(clipped.polygons), validFrom: validFrom, synthetic: true))
                townSeeds.append((county.code, seeds[i], t.type == "街道"))
            }
        }
    }

    func adminAreas() -> [AdminArea] {
        var out = [AdminArea(code: "350400", level: .city, parentCode: "350000", name: "三明市", geometry: src.city)]
        for c in src.counties {
            let changed = c.code == "350404" || c.code == "350405"
            out.append(AdminArea(code: c.code, level: .county, parentCode: "350400", name: c.name, geometry: c.geometry,
                                 validFrom: changed ? SanmingDemo.changeoverDate : nil))
        }
        for u in units where SanmingDemo.changedUnits.contains(u.census.code) {
            out.append(AdminArea(code: u.census.code, level: .county, parentCode: "350400", name: u.census.name,
                                 geometry: u.polygon, validTo: SanmingDemo.changeoverDate))
        }
        return out + townshipAreas
    }

    // MARK: buildings

    /// Lots, footprints and the gap between them shrink with the square root of the scale above 4:
    /// the city has no room for 40 m lots beyond ~1.2 million buildings, and a scale-test city
    /// needs 20 million (scale 4 and below: the sizes of the real town plans, unchanged).
    var spacing: Double { min(1, (4 / options.scale).squareRoot()) }

    mutating func generateBuildings() throws {
        var rng = DemoRandom(seed: options.seed, stream: "buildings")
        let total = max(50, Int((300_000 * options.scale).rounded()))
        let perUnit = apportion(total, weights: units.map { Double($0.census.population) })
        var occupied = OccupancyGrid(cell: 36 * spacing)
        var seqByCounty: [String: Int] = [:]
        for (ui, unit) in units.enumerated() {
            let n = perUnit[ui]
            let urbanShare = Double(unit.census.urban) / Double(max(unit.census.population, 1))
            // Clusters: the seat (urban), then the towns whose seeds lie in this unit.
            var centres = [(unit.seat, true)]
            for s in townSeeds where s.countyCode == unit.census.currentCode && !s.isStreet && unit.prepared.contains(s.position) {
                centres.append((s.position, false))
            }
            var weights = [centres.count > 1 ? urbanShare : 1.0]
            for _ in 1..<max(centres.count, 1) where centres.count > 1 {
                weights.append((1 - urbanShare) / Double(centres.count - 1) * rng.uniform(0.5, 1.5))
            }
            let counts = apportion(n, weights: weights)
            for (ci, centre) in centres.enumerated() {
                try placeCluster(count: counts[ci], centre: centre.0, urban: centre.1, unitIndex: ui,
                                 occupied: &occupied, seq: &seqByCounty, rng: &rng)
            }
            progress("buildings: \(buildings.count) of ~\(total + total / 50) (\(unit.census.name))")
        }
    }

    private mutating func placeCluster(count: Int, centre: Position, urban: Bool, unitIndex: Int,
                                       occupied: inout OccupancyGrid, seq: inout [String: Int], rng: inout DemoRandom) throws {
        guard count > 0 else { return }
        let unit = units[unitIndex]
        let county = unit.census.currentCode
        let lot = 40.0 * spacing
        // Area needed at ~50% lot occupancy, as a Gaussian spread elongated along a valley axis.
        var sigma = max(150, sqrt(Double(count) * lot * lot / (2 * Double.pi * 0.5)))
        let angle = rng.uniform(0, .pi)
        let (ca, sa) = (cos(angle), sin(angle))
        let demolishedExtra = count / 50
        var placed = 0, failures = 0, failuresAtWidest = 0
        // A crowded cluster spreads out (sigma grows) up to the width of a county; at that width
        // the unit's free lots are found by sampling, and a unit with none left is an error, not
        // an endless search (or, as before, a spread so wide its coordinates overflowed).
        let widest = 20_000.0
        func crowded() throws {
            failures += 1
            guard failures > 60 else { return }
            failures = 0
            if sigma < widest { sigma = min(widest, sigma * 1.1); return }
            failuresAtWidest += 60
            if failuresAtWidest > 2_000_000 {
                throw ImportError("demo: no room left for \(count + demolishedExtra - placed) more buildings in \(unit.census.name) at this scale")
            }
        }
        while placed < count + demolishedExtra {
            let i = (rng.gaussian() * sigma * 1.5 / lot).rounded(), j = (rng.gaussian() * sigma * 0.65 / lot).rounded()
            let east = (i * ca - j * sa) * lot, north = (i * sa + j * ca) * lot
            let c = Geo.offset(centre, east: east, north: north)
            let local = Geo.metres(c)
            guard !occupied.isOccupied(local, within: 36 * spacing) else {
                try crowded()
                continue
            }
            let courtyard = urban && rng.chance(0.04)
            let w = (courtyard ? 28.0 : rng.uniform(10, 26)) * spacing, h = (courtyard ? 22.0 : rng.uniform(8, 20)) * spacing
            let rot = angle + (rng.chance(0.8) ? 0 : rng.uniform(-0.3, 0.3))
            let outer = Geo.rectangle(centre: c, width: w, height: h, angle: rot, clockwise: false)
            guard outer.dropLast().allSatisfy({ unit.prepared.contains($0) }), cityPrepared?.contains(c) ?? true else {
                try crowded()
                continue
            }
            failures = 0
            occupied.insert(local)
            var rings = [outer]
            if courtyard { rings.append(Geo.rectangle(centre: c, width: 12 * spacing, height: 8 * spacing, angle: rot, clockwise: true)) }
            let demolished = placed >= count
            let s = (seq[county] ?? 0) + 1
            seq[county] = s
            let use = DemoVocabulary.uses[rng.weighted(DemoVocabulary.useWeights)]
            let d = Geo.distanceMetres(c, centre) / max(sigma, 1)
            let floors: Int
            if urban {
                floors = use == "residential" ? max(2, Int(Double(rng.int(4...18)) * max(0.4, 1.6 - d * 0.5)) + rng.int(0...6)) : rng.int(1...8)
            } else {
                floors = rng.int(1...(use == "residential" ? 4 : 3))
            }
            let builtYear = demolished ? rng.int(1965...1995) : (urban ? rng.int(1982...2020) : rng.int(1970...2020))
            let built = Geo.date(year: builtYear, rng: &rng, notAfter: "2020-10-31")
            buildings.append(DemoBuilding(
                code: "B\(county)\(String(format: "%07d", s))", unit: unitIndex, rings: rings, floors: floors, use: use,
                built: built, demolished: demolished ? Geo.date(year: rng.int(max(builtYear + 10, 2005)...2020), rng: &rng, notAfter: "2020-10-31") : nil,
                areaM2: courtyard ? (28 * 22 - 12 * 8) * spacing * spacing : w * h, urban: urban))
            placed += 1
        }
    }

    // MARK: people

    /// Writes one record per resident: per census unit exactly its 2020 population (scaled), with its
    /// male/female split, spread over standing buildings by floor area. About one resident in a
    /// hundred moved after the census (2021–2025) to another building of the same unit, into a
    /// household of its own there: two versions with one person key (its own random stream, so the
    /// rest of the demo is drawn as before and every unit keeps its census total on every day).
    func generatePeople(_ write: (PersonRecord) throws -> Void, sampled: (DemoIdentity) -> Void = { _ in }) throws -> Int {
        var rng = DemoRandom(seed: options.seed, stream: "people")
        var moves = DemoRandom(seed: options.seed, stream: "movers")
        let ages = WeightedTable(DemoVocabulary.ageBandWeights)
        let sizes = WeightedTable(DemoVocabulary.householdSizeWeights)
        var written = 0
        for (ui, unit) in units.enumerated() {
            let pop = Int((Double(unit.census.population) * options.scale).rounded())
            let male = Int((Double(unit.census.male) * options.scale).rounded())
            let homes = buildings.indices.filter { buildings[$0].unit == ui && buildings[$0].demolished == nil }
            let weights = homes.map { i -> Double in
                let b = buildings[i]
                let factor = b.use == "residential" ? 1.0 : b.use == "commercial" ? 0.08 : 0.02
                return b.areaM2 * Double(b.floors) * factor
            }
            let perBuilding = apportion(pop, weights: weights)
            var sexes = [Character](repeating: "M", count: min(male, pop)) + [Character](repeating: "F", count: max(0, pop - male))
            rng.shuffle(&sexes)
            var k = 0
            for (hi, bi) in homes.enumerated() where perBuilding[hi] > 0 {
                let b = buildings[bi]
                var left = perBuilding[hi], household = 0
                while left > 0 {
                    household += 1
                    let size = min(left, sizes.draw(&rng) + 1)
                    let hid = "\(b.code)-H\(household)"
                    let floating = rng.chance(b.urban ? 0.24 : 0.07)
                    for _ in 0..<size {
                        let age = ages.draw(&rng) * 5 + rng.int(0...4)
                        let birthYear = 2020 - age
                        let movedIn = max(b.built, Geo.date(year: max(birthYear, 1990), rng: &rng, notAfter: "2020-10-31"))
                        let masked = "\(unit.census.currentCode)********\(String(format: "%04d", rng.int(0...9999)))"
                        let key = "\(hid)-P\(k)"
                        let registration: Registration = floating ? .liudong : .huji
                        // A mover: out of this building on a day after the census, into another of the unit.
                        var next: PersonRecord?
                        if homes.count > 1, moves.chance(0.01) {
                            let dest = buildings[homes[moves.int(0...homes.count - 1)]]
                            let day = max(dest.built, Geo.date(year: moves.int(2021...2025), rng: &moves, notAfter: "2025-12-31"))
                            if dest.code != b.code, day > movedIn, day > "2020-11-01" {
                                next = PersonRecord(buildingCode: dest.code, sex: sexes[k] == "M" ? "M" : "F", birthYear: birthYear,
                                                    householdID: "\(dest.code)-M\(k)", registration: moves.chance(0.3) ? .liudong : registration,
                                                    movedIn: day, maskedIdentity: masked, personKey: key)
                            }
                        }
                        try write(PersonRecord(
                            buildingCode: b.code, sex: sexes[k] == "M" ? "M" : "F", birthYear: birthYear, householdID: hid,
                            registration: registration, movedIn: movedIn, movedOut: next?.movedIn, maskedIdentity: masked, personKey: key))
                        if let next { try write(next) }
                        if DemoIdentities.samplesPerson(index: k, moved: next != nil),
                           let number = DemoIdentities.number(region: unit.census.currentCode, birthYear: birthYear, key: key, lastFour: String(masked.suffix(4))) {
                            sampled(DemoIdentity(number: number, kind: .person, key: key, note: next != nil ? "moved" : size > 1 ? "household" : "lives alone"))
                        }
                        k += 1
                    }
                    left -= size
                }
            }
            written += k
            progress("people: \(written) (\(unit.census.name) \(k))")
        }
        return written
    }

    // MARK: businesses

    func generateBusinesses(_ write: (BusinessRecord) throws -> Void, sampled: (DemoIdentity) -> Void = { _ in }) throws -> Int {
        var rng = DemoRandom(seed: options.seed, stream: "businesses")
        let total = Int((150_000 * options.scale).rounded())
        let perUnit = apportion(total, weights: units.map {
            Double($0.census.population) * (0.5 + Double($0.census.urban) / Double(max($0.census.population, 1)))
        })
        let industries = WeightedTable(DemoVocabulary.industryWeights)
        var used = Set<String>()
        var written = 0
        for (ui, unit) in units.enumerated() {
            let sites = buildings.indices.filter { buildings[$0].unit == ui && buildings[$0].demolished == nil }
            guard !sites.isEmpty else { continue }
            let table = WeightedTable(sites.map { i -> Double in
                let b = buildings[i]
                let f: Double = switch b.use { case "commercial": 8; case "industrial": 6; case "public": 0.5; default: 0.3 }
                return f * Double(b.floors) * (b.urban ? 2 : 1)
            })
            let countyName = src.counties.first { $0.code == unit.census.currentCode }?.name ?? ""
            for _ in 0..<perUnit[ui] {
                let b = buildings[sites[table.draw(&rng)]]
                let section = industries.draw(&rng)
                let individual = rng.chance(0.3)
                var code = ""
                repeat {
                    code = DemoPlan.creditCode(county: unit.census.currentCode, individual: individual, rng: &rng)
                } while used.contains(code)
                used.insert(code)
                let trade = DemoVocabulary.tradeNames[rng.int(0...DemoVocabulary.tradeNames.count - 1)]
                let word = DemoVocabulary.industryWords[section]
                let name = individual ? "\(countyName)\(trade)\(word)经营部"
                    : "三明市\(trade)\(word)\(DemoVocabulary.forms[rng.weighted([0.7, 0.2, 0.05, 0.05])])"
                let employees = individual ? rng.int(1...5) : max(1, Int(exp(rng.gaussian() * 1.1 + 2.2)))
                let regYear = rng.int(1995...2025)
                let registered = max(b.built, Geo.date(year: regYear, rng: &rng, notAfter: "2025-12-31"))
                // A drawn cancellation date on or before registration means still active.
                let cancelled = (rng.chance(0.12) ? Geo.date(year: min(2025, regYear + rng.int(1...10)), rng: &rng, notAfter: "2025-12-31") : nil)
                    .flatMap { $0 > registered ? $0 : nil }
                try write(BusinessRecord(creditCode: code, name: name, industry: DemoVocabulary.industrySections[section],
                                         employees: min(employees, 5000), registered: registered,
                                         cancelled: cancelled,
                                         buildingCode: b.code))
                if DemoIdentities.samplesBusiness(index: written),
                   let number = DemoIdentities.number(region: unit.census.currentCode, birthYear: 1960 + Int(code.utf8.reduce(0) { $0 &+ Int($1) } % 35), key: code) {
                    sampled(DemoIdentity(number: number, kind: .enterprise, key: code, note: cancelled != nil ? "cancelled" : "active"))
                }
                written += 1
            }
            progress("businesses: \(written) of \(total)")
        }
        return written
    }

    /// A well-formed unified social credit code: 9 (market regulator), 1 enterprise / 2 individual,
    /// the county code, a 9-character organisation code with its GB 11714 check, then the GB 32100 check.
    static func creditCode(county: String, individual: Bool, rng: inout DemoRandom) -> String {
        let alphabet = CreditCode.alphabet
        var org = ""
        for _ in 0..<8 { org.append(alphabet[rng.int(0...(rng.chance(0.7) ? 9 : alphabet.count - 1))]) }
        org.append(CreditCode.organizationCheck(for: org) ?? "0")
        let body = "9\(individual ? "2" : "1")\(county)\(org)"
        return body + String(CreditCode.checkCharacter(for: body) ?? "0")
    }
}

/// Keeps placed buildings apart: a hash grid of centroids in local metres.
struct OccupancyGrid {
    let cell: Double
    private var cells: [Int64: [Position]] = [:]

    init(cell: Double) { self.cell = cell }

    private func key(_ cx: Int, _ cy: Int) -> Int64 { Int64(cx) << 32 | Int64(UInt32(bitPattern: Int32(cy))) }

    func isOccupied(_ p: Position, within d: Double) -> Bool {
        let cx = Int((p.x / cell).rounded(.down)), cy = Int((p.y / cell).rounded(.down))
        for dx in -1...1 {
            for dy in -1...1 {
                for q in cells[key(cx + dx, cy + dy)] ?? [] where (q.x - p.x) * (q.x - p.x) + (q.y - p.y) * (q.y - p.y) < d * d {
                    return true
                }
            }
        }
        return false
    }

    mutating func insert(_ p: Position) {
        cells[key(Int((p.x / cell).rounded(.down)), Int((p.y / cell).rounded(.down))), default: []].append(p)
    }
}

/// Small local-metric helpers for placing things around Sanming (26°N).
enum Geo {
    static let metresPerDegreeLat = 110_574.0
    static func metresPerDegreeLon(_ lat: Double) -> Double { 111_320.0 * cos(lat * .pi / 180) }

    static func offset(_ p: Position, east: Double, north: Double) -> Position {
        Position(p.x + east / metresPerDegreeLon(p.y), p.y + north / metresPerDegreeLat)
    }

    /// Lon/lat to metres on a fixed local grid (reference latitude 26.2°N): for spacing checks only.
    static func metres(_ p: Position) -> Position {
        Position(p.x * metresPerDegreeLon(26.2), p.y * metresPerDegreeLat)
    }

    static func distanceMetres(_ a: Position, _ b: Position) -> Double {
        let dx = (a.x - b.x) * metresPerDegreeLon((a.y + b.y) / 2), dy = (a.y - b.y) * metresPerDegreeLat
        return (dx * dx + dy * dy).squareRoot()
    }

    /// A closed rectangle ring; counter-clockwise (exterior) or clockwise (hole) in lon/lat.
    static func rectangle(centre c: Position, width w: Double, height h: Double, angle: Double, clockwise: Bool) -> [Position] {
        let (ca, sa) = (cos(angle), sin(angle))
        var corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)].map { (x, y) in
            offset(c, east: x * ca - y * sa, north: x * sa + y * ca)
        }
        if clockwise { corners.reverse() }
        return corners + [corners[0]]
    }

    /// A random day of `year` as `YYYY-MM-DD`, capped at `notAfter`.
    static func date(year: Int, rng: inout DemoRandom, notAfter: String) -> String {
        let d = String(format: "%04d-%02d-%02d", year, rng.int(1...12), rng.int(1...28))
        return min(d, notAfter)
    }
}
