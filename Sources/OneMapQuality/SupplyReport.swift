import Foundation
import OneMapStore

/// The period a supply report covers: a calendar month in UTC+8 (the monthly 通报), or the time up
/// to now. Figures of records are counted on `asOf`, its last day.
public struct SupplyPeriod: Sendable, Hashable {
    public let label: String
    /// [start, end) as instants, and their days (UTC+8).
    public let start: Date
    public let end: Date
    public let firstDay: String
    public let asOf: String

    /// `YYYY-MM`.
    public static func month(_ text: String) throws -> SupplyPeriod {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let y = Int(parts[0]), let m = Int(parts[1]), (1...12).contains(m),
              let first = ISODate.date(text + "-01") else {
            throw StoreError("month '\(text)' must be YYYY-MM")
        }
        let (ny, nm) = m == 12 ? (y + 1, 1) : (y, m + 1)
        let next = String(format: "%04d-%02d-01", ny, nm)
        guard let after = ISODate.date(next) else { throw StoreError("month '\(text)' must be YYYY-MM") }
        // Noon to midnight (UTC+8): the day's start is 12 hours before its noon.
        let start = first.addingTimeInterval(-12 * 3600), end = after.addingTimeInterval(-12 * 3600)
        return SupplyPeriod(label: text, start: start, end: end, firstDay: text + "-01", asOf: ISODate.string(end.addingTimeInterval(-1)))
    }

    /// From the first of this month to now.
    public static func current(now: Date = Date()) -> SupplyPeriod {
        let today = ISODate.string(now)
        let first = String(today.prefix(7)) + "-01"
        let start = ISODate.date(first)!.addingTimeInterval(-12 * 3600)
        return SupplyPeriod(label: String(today.prefix(7)), start: start, end: now, firstDay: first, asOf: today)
    }

    public init(label: String, start: Date, end: Date, firstDay: String, asOf: String) {
        self.label = label; self.start = start; self.end = end; self.firstDay = firstDay; self.asOf = asOf
    }
}

/// One layer's supply in a period.
public struct LayerSupply: Sendable, Codable, Hashable {
    public let layer: String
    public let title: String
    public let shareClass: String
    /// Records in force on the period's last day; nil where the reader may not count them exactly.
    public let records: Int?
    public let lastUpdate: String?
    public let updates: Int
    public let promisedEveryDays: Int?
    /// Whole days from the last update to the period's end (nil: never updated).
    public let daysSinceUpdate: Int?
    /// Past its promise at the period's end (nil: no promise).
    public let late: Bool?
    public let lateDays: Int
    /// Share of required cells filled; nil where the reader may not count the layer's records
    /// exactly (a share of them is a figure derived from them).
    public let completeness: Double?
    public let requiredFields: [String]
    public let residentLinkedShare: Double?
    public let businessBuildingShare: Double?
    public let problems: ProblemFigures
}

/// Problems of a layer (or a department) in a period: owed at its end, overdue then, corrected
/// in it, the median days from filing (or reopening) to correction, and reopenings per correction.
public struct ProblemFigures: Sendable, Codable, Hashable {
    public var open = 0
    public var overdue = 0
    public var corrected = 0
    public var reopened = 0
    public var medianDaysToCorrect: Double?
    public var reopenRate: Double? { corrected == 0 ? nil : Double(reopened) / Double(corrected) }

    enum CodingKeys: String, CodingKey { case open, overdue, corrected, reopened, medianDaysToCorrect, reopenRate }

    public init() {}

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(open, forKey: .open); try c.encode(overdue, forKey: .overdue); try c.encode(corrected, forKey: .corrected)
        try c.encode(reopened, forKey: .reopened); try c.encode(medianDaysToCorrect, forKey: .medianDaysToCorrect)
        try c.encode(reopenRate, forKey: .reopenRate)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        open = try c.decode(Int.self, forKey: .open); overdue = try c.decode(Int.self, forKey: .overdue)
        corrected = try c.decode(Int.self, forKey: .corrected); reopened = try c.decode(Int.self, forKey: .reopened)
        medianDaysToCorrect = try c.decodeIfPresent(Double.self, forKey: .medianDaysToCorrect)
    }
}

/// One department's supply: its layers and their totals, and its place in the ranking.
public struct DepartmentSupply: Sendable, Codable, Hashable {
    public let code: String
    public let name: String
    public let layers: [LayerSupply]
    public let records: Int?
    public let lateLayers: Int
    /// Nil where one of its layers' completeness is withheld from the reader.
    public let completeness: Double?
    public let problems: ProblemFigures
    public var rank = 0
    /// The completeness the ranking uses (every layer counted, whoever reads): the ranking is
    /// the same for every reader.
    var rankingCompleteness = 1.0

    enum CodingKeys: String, CodingKey { case code, name, layers, records, lateLayers, completeness, problems, rank }
}

/// The monthly supply and freshness report (数据供给与鲜活度通报): per department and layer,
/// records, updates against the promise, completeness and the correction loop's figures; the
/// departments ranked (fewest late layers and overdue problems first, then completeness).
public struct SupplyReport: Sendable, Codable {
    public let period: String
    public let from: String
    public let asOf: String
    public let generatedAt: String
    public let departments: [DepartmentSupply]
    public let notes: [String]

    /// `mayCount`: whether the reader may see a layer's exact record count.
    public static func make(store: any FeatureStore & GovernanceStore & ProblemStore, period: SupplyPeriod,
                            mayCount: (LayerInfo) throws -> Bool) throws -> SupplyReport {
        let layers = try store.layers().filter { $0.id != CoreLayers.adminLabels.id }
        let promises = Dictionary(try store.supplyPromises().map { ($0.layer, $0.everyDays) }, uniquingKeysWith: { a, _ in a })
        let stamped = try store.layerUpdates()
        let updates = try dataUpdates(store, before: period.end)
        let problems = try problemFigures(store, period: period)
        // Shares derived from people or businesses follow the reader's right to count those records.
        let countsPeople = try layers.first { $0.id == CoreLayers.population.id }.map(mayCount) ?? false
        let countsBusinesses = try layers.first { $0.id == CoreLayers.businesses.id }.map(mayCount) ?? false
        var byOwner: [String: [LayerSupply]] = [:]
        var fullFigures: [String: [LayerSupplyFigures]] = [:]
        for layer in layers {
            let figures = try store.supplyFigures(layer: layer, on: period.asOf)
            if let figures { fullFigures[layer.ownerDepartment, default: []].append(figures) }
            var times = updates[layer.id] ?? []
            if let s = stamped[layer.id], let d = Timestamp.date(s), d < period.end { times.append(d) }
            let last = times.max()
            let inPeriod = (updates[layer.id] ?? []).filter { $0 >= period.start }.count
            let since = last.map { Int(period.end.timeIntervalSince($0) / 86_400) }
            let promise = promises[layer.id]
            let late: Bool? = promise.map { p in since.map { $0 > p } ?? true }
            let lateDays = promise.map { p in since.map { max(0, $0 - p) } ?? 0 } ?? 0
            let exact = try mayCount(layer)
            let supply = LayerSupply(
                layer: layer.id, title: layer.title, shareClass: layer.shareClass.rawValue,
                records: exact ? (figures?.records ?? 0) : nil,
                lastUpdate: last.map(Timestamp.string), updates: inPeriod, promisedEveryDays: promise, daysSinceUpdate: since,
                late: late, lateDays: lateDays, completeness: exact ? (figures?.completeness ?? 1) : nil, requiredFields: figures?.requiredFields ?? [],
                residentLinkedShare: countsPeople ? figures.flatMap { f in
                    f.residentialBuildings.map { $0 == 0 ? 1 : Double(f.residentialWithResidents ?? 0) / Double($0) } } : nil,
                businessBuildingShare: countsBusinesses ? figures.flatMap { f in
                    f.businessesWithBuilding.map { f.records == 0 ? 1 : Double($0) / Double(f.records) } } : nil,
                problems: problems.byLayer[layer.id]?.figures ?? ProblemFigures())
            byOwner[layer.ownerDepartment, default: []].append(supply)
        }
        let names = Dictionary(try store.departments().map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        var departments: [DepartmentSupply] = byOwner.keys.sorted().map { code in
            let ls = byOwner[code]!
            let full = fullFigures[code] ?? []
            let cells = full.map { Double($0.records) * Double($0.requiredFields.count) }
            let totalCells = cells.reduce(0, +)
            let completeness = totalCells == 0 ? 1 : zip(full, cells).map { $0.completeness * $1 }.reduce(0, +) / totalCells
            var p = problems.byOwner[code]?.figures ?? ProblemFigures()
            p.medianDaysToCorrect = problems.byOwner[code]?.median
            return DepartmentSupply(code: code, name: names[code] ?? code, layers: ls,
                                    records: ls.contains { $0.records == nil } ? nil : ls.map { $0.records ?? 0 }.reduce(0, +),
                                    lateLayers: ls.filter { $0.late == true }.count,
                                    completeness: ls.contains { $0.completeness == nil } ? nil : completeness, problems: p,
                                    rankingCompleteness: completeness)
        }
        departments.sort { a, b in
            (a.lateLayers, a.problems.overdue, -a.rankingCompleteness, a.code) < (b.lateLayers, b.problems.overdue, -b.rankingCompleteness, b.code)
        }
        for i in departments.indices { departments[i].rank = i + 1 }
        return SupplyReport(period: period.label, from: period.firstDay, asOf: period.asOf, generatedAt: GovernanceRules.timestamp(),
                            departments: departments, notes: [
                                "Updates are the imports and edits in the audit log (action change) and the layer's last load; an archived audit month counts only its last load.",
                                "Records are counted on the period's last day; completeness is the share of required fields filled (fields meaning 'still …' when empty are not required).",
                                "Problems: owed (open or accepted) and overdue at the period's end, corrected in it; the median counts days from filing or reopening to correction; the reopen rate is reopenings per correction in the period.",
                                "Ranking: fewest late layers, then fewest overdue problems, then highest completeness.",
                            ])
    }

    /// When each layer's data changed, from the audit log: imports and feature edits that succeeded.
    static func dataUpdates(_ store: any GovernanceStore, before end: Date) throws -> [String: [Date]] {
        var out: [String: [Date]] = [:]
        var q = AuditQuery()
        q.action = "change"
        q.to = Timestamp.string(end)
        q.limit = 10_000
        while true {
            let batch = try store.auditEntries(q)
            for e in batch {
                let r = e.record
                guard let layer = r.layer, r.endpoint == "onemap import" || r.endpoint.contains("/collections/{id}/items"),
                      !r.outcome.hasPrefix("4"), !r.outcome.hasPrefix("5"), let at = Timestamp.date(r.at) else { continue }
                out[layer, default: []].append(at)
            }
            guard batch.count == q.limit, let last = batch.last else { break }
            q.afterSeq = last.seq
        }
        return out
    }

    struct Tally {
        var figures = ProblemFigures()
        var days: [Double] = []
        var median: Double? {
            guard !days.isEmpty else { return nil }
            let s = days.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
    }

    /// Replays every problem's events up to the period's end.
    static func problemFigures(_ store: any ProblemStore, period: SupplyPeriod) throws -> (byLayer: [String: Tally], byOwner: [String: Tally]) {
        var events: [Int64: [ProblemEvent]] = [:]
        var after: Int64 = 0
        while true {
            let batch = try store.problemEvents(after: after, limit: 10_000)
            for e in batch { events[e.problemID, default: []].append(e) }
            guard let last = batch.last else { break }
            after = last.id
        }
        var byLayer: [String: Tally] = [:], byOwner: [String: Tally] = [:]
        for p in try store.problems(ProblemQuery()) {
            var state: ProblemState?, started: Date?, deadline: String?
            var tally = Tally()
            for e in events[p.id] ?? [] {
                guard let at = Timestamp.date(e.at), at < period.end else { break }
                let inPeriod = at >= period.start
                switch e.action {
                case .file, .reopen:
                    started = at
                    deadline = ProblemRules.deadline(from: ISODate.string(at), p.priority)
                    if e.action == .reopen, e.from == .corrected, inPeriod { tally.figures.reopened += 1 }
                case .correct:
                    if inPeriod {
                        tally.figures.corrected += 1
                        if let s = started { tally.days.append(at.timeIntervalSince(s) / 86_400) }
                    }
                default: break
                }
                state = e.to
            }
            guard let state else { continue }
            if state.awaitsCorrection {
                tally.figures.open += 1
                if let d = deadline, period.asOf > d { tally.figures.overdue += 1 }
            }
            for (key, isLayer) in [(p.layer, true), (p.owner, false)] {
                var t = (isLayer ? byLayer[key] : byOwner[key]) ?? Tally()
                t.figures.open += tally.figures.open; t.figures.overdue += tally.figures.overdue
                t.figures.corrected += tally.figures.corrected; t.figures.reopened += tally.figures.reopened
                t.days += tally.days
                if isLayer { byLayer[key] = t } else { byOwner[key] = t }
            }
        }
        for k in byLayer.keys { byLayer[k]!.figures.medianDaysToCorrect = byLayer[k]!.median }
        for k in byOwner.keys { byOwner[k]!.figures.medianDaysToCorrect = byOwner[k]!.median }
        return (byLayer, byOwner)
    }
}

/// The store's timestamps (ISO 8601 UTC, with or without milliseconds).
enum Timestamp {
    static func date(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }

    static func string(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }
}
