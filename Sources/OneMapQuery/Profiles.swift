import Foundation
import OneMapStore

/// A field value inside a typed document.
public struct FieldJSON: Encodable, Sendable, Hashable {
    public let value: FieldValue
    public init(_ value: FieldValue) { self.value = value }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch value {
        case .null: try c.encodeNil()
        case .string(let s): try c.encode(s)
        case .int(let n): try c.encode(n)
        case .double(let d): try c.encode(d)
        case .bool(let b): try c.encode(b)
        }
    }
}

/// A span of time in which something held (an address, a household, a registration type):
/// [from, to), `to` null while it still holds (on the profile's day).
public struct ProfileSpan: Encodable, Sendable, Hashable {
    public let value: FieldJSON
    public let from: String?
    public let to: String?
}

/// A building as a profile shows it: its code and the areas it lies in, city down to township.
public struct ProfileAddress: Encodable, Sendable, Hashable {
    public let building: String
    public let from: String?
    public let to: String?
    public let use: String?
    public let township: String?
    public let county: String?
    public let city: String?
    /// Its centroid, lon/lat (CRS84).
    public let location: [Double]?
}

/// A record version as the caller may see it.
public struct ProfileVersion: Encodable, Sendable, Hashable {
    public let id: Int64
    public let from: String?
    public let to: String?
    public let fields: [String: FieldJSON]

    public init(id: Int64, from: String?, to: String?, fields: [String: FieldJSON]) {
        self.id = id; self.from = from; self.to = to; self.fields = fields
    }
}

/// How profiles are made: from the record's versions known on a day, each field as the caller's
/// view shows it (masked where the grant does not name it).
public enum ProfileBuilder {
    /// Versions that had begun by `day`; an end after `day` is not yet known then.
    static func known(_ versions: [RecordVersion], on day: String) -> [RecordVersion] {
        versions.filter { ($0.validFrom ?? "") <= day }.map { v in
            RecordVersion(id: v.id, validFrom: v.validFrom, validTo: v.validTo.flatMap { $0 <= day ? $0 : nil }, fields: v.fields)
        }
    }

    static func shown(_ v: RecordVersion, view: LayerView) -> ProfileVersion {
        var fields: [String: FieldJSON] = [:]
        for i in view.visible {
            let name = view.layer.fields[i].name
            fields[name] = FieldJSON(view.shown(i, v.fields[name] ?? .null))
        }
        return ProfileVersion(id: v.id, from: v.validFrom, to: v.validTo, fields: fields)
    }

    /// Consecutive versions with one value of `field`, merged into spans (the value as shown).
    static func spans(_ versions: [RecordVersion], field: String, view: LayerView) -> [ProfileSpan] {
        guard let i = view.layer.fields.firstIndex(where: { $0.name == field }), view.visible.contains(i) else { return [] }
        var out: [(raw: FieldValue, span: ProfileSpan)] = []
        for v in versions {
            let raw = v.fields[field] ?? .null
            if let last = out.last, last.raw == raw, last.span.to == v.validFrom {
                out[out.count - 1].span = ProfileSpan(value: last.span.value, from: last.span.from, to: v.validTo)
            } else {
                out.append((raw, ProfileSpan(value: FieldJSON(view.shown(i, raw)), from: v.validFrom, to: v.validTo)))
            }
        }
        return out.map(\.span)
    }

    /// Buildings by code, the version in force on `day` (else the latest before it).
    static func building(_ code: String, in versions: [RecordVersion], on day: String) -> RecordVersion? {
        let mine = versions.filter { $0.text("entity_code") == code }
        return mine.last { $0.holds(on: day) } ?? mine.last { ($0.validFrom ?? "") <= day } ?? mine.first
    }

    static func address(_ code: String, from: String?, to: String?, buildings: [RecordVersion]) -> ProfileAddress {
        let b = building(code, in: buildings, on: from ?? "0000-00-00")
        let township = b?.text("township_code")
        var location: [Double]?
        if case .double(let x) = b?.fields["cx"], case .double(let y) = b?.fields["cy"] { location = [x, y] }
        return ProfileAddress(building: code, from: from, to: to, use: b?.text("use"), township: township,
                              county: township.map { String($0.prefix(6)) }, city: township.map { String($0.prefix(4)) + "00" }, location: location)
    }
}

/// A person's file (一人一档) on a day: addresses with their areas, households, registration types,
/// moves, and the versions behind them.
public struct PersonProfile: Encodable, Sendable {
    public struct Move: Encodable, Sendable, Hashable {
        public let on: String?
        public let from: String
        public let to: String
    }

    public let type = "person"
    public let personKey: String
    public let datetime: String
    public let current: ProfileVersion?
    public let addresses: [ProfileAddress]
    public let households: [ProfileSpan]
    public let registrations: [ProfileSpan]
    public let moves: [Move]
    public let versions: [ProfileVersion]
    public let provenance: ProfileProvenance

    /// Nil when the person has no version that had begun by `day`.
    public static func make(key: String, on day: String, store: any ProfileStore, view: LayerView, provenance: ProfileProvenance) throws -> PersonProfile? {
        let known = ProfileBuilder.known(try store.recordVersions(layer: CoreLayers.population.id, key: key), on: day)
        guard !known.isEmpty else { return nil }
        let codes = Array(Set(known.compactMap { $0.text("building_code") })).sorted()
        let buildings = try store.buildingVersions(codes: codes)
        var addresses: [ProfileAddress] = [], moves: [Move] = []
        var spanStart: RecordVersion?
        for (i, v) in known.enumerated() {
            let code = v.text("building_code") ?? ""
            let next = i + 1 < known.count ? known[i + 1] : nil
            if spanStart == nil { spanStart = v }
            let nextCode = next?.text("building_code")
            if next == nil || nextCode != code || next?.validFrom != v.validTo {
                addresses.append(ProfileBuilder.address(code, from: spanStart?.validFrom, to: v.validTo, buildings: buildings))
                if let next, let nextCode, nextCode != code { moves.append(Move(on: next.validFrom, from: code, to: nextCode)) }
                spanStart = nil
            }
        }
        return PersonProfile(personKey: key, datetime: day, current: known.last { $0.holds(on: day) }.map { ProfileBuilder.shown($0, view: view) },
                             addresses: addresses, households: ProfileBuilder.spans(known, field: "household_id", view: view),
                             registrations: ProfileBuilder.spans(known, field: "registration", view: view), moves: moves,
                             versions: known.map { ProfileBuilder.shown($0, view: view) }, provenance: provenance)
    }
}

/// An enterprise's file (一企一档) on a day: its registered buildings over time, industry,
/// employees, status and cancellation, and the other enterprises in its building that day.
public struct EnterpriseProfile: Encodable, Sendable {
    public struct Neighbour: Encodable, Sendable, Hashable {
        public let creditCode: String
        public let name: String?
        public let industry: String?
    }

    public let type = "enterprise"
    public let creditCode: String
    public let datetime: String
    public let status: String
    public let cancelled: String?
    public let current: ProfileVersion?
    public let addresses: [ProfileAddress]
    public let industries: [ProfileSpan]
    public let employees: [ProfileSpan]
    public let sameBuilding: [Neighbour]
    public let versions: [ProfileVersion]
    public let provenance: ProfileProvenance

    public static func make(creditCode: String, on day: String, store: any ProfileStore, view: LayerView,
                            provenance: ProfileProvenance) throws -> EnterpriseProfile? {
        let all = try store.recordVersions(layer: CoreLayers.businesses.id, key: creditCode)
        let known = ProfileBuilder.known(all, on: day)
        guard !known.isEmpty else { return nil }
        let codes = Array(Set(known.compactMap { $0.text("building_code") })).sorted()
        let buildings = try store.buildingVersions(codes: codes)
        var addresses: [ProfileAddress] = []
        var start: RecordVersion?
        for (i, v) in known.enumerated() {
            let next = i + 1 < known.count ? known[i + 1] : nil
            if start == nil { start = v }
            if next == nil || next?.text("building_code") != v.text("building_code") || next?.validFrom != v.validTo {
                addresses.append(ProfileBuilder.address(v.text("building_code") ?? "", from: start?.validFrom, to: v.validTo, buildings: buildings))
                start = nil
            }
        }
        let current = known.last { $0.holds(on: day) }
        // An enterprise's record ends when it is cancelled (注销): the import closes its version on
        // the cancellation date, whether or not the row kept the date.
        let cancelled = current == nil ? (known.last?.text("cancelled") ?? known.last?.validTo).flatMap { $0 <= day ? $0 : nil } : nil
        var neighbours: [Neighbour] = []
        if let code = current?.text("building_code") {
            neighbours = try store.records(layer: CoreLayers.businesses.id, atBuilding: code, on: day)
                .filter { $0.text("credit_code") != creditCode }
                .map { Neighbour(creditCode: $0.text("credit_code") ?? "", name: $0.text("name"), industry: $0.text("industry")) }
                .sorted { $0.creditCode < $1.creditCode }
        }
        return EnterpriseProfile(creditCode: creditCode, datetime: day, status: current != nil ? "active" : (cancelled != nil ? "cancelled" : "not yet registered"),
                                 cancelled: cancelled, current: current.map { ProfileBuilder.shown($0, view: view) }, addresses: addresses,
                                 industries: ProfileBuilder.spans(known, field: "industry", view: view),
                                 employees: ProfileBuilder.spans(known, field: "employees", view: view), sameBuilding: neighbours,
                                 versions: known.map { ProfileBuilder.shown($0, view: view) }, provenance: provenance)
    }
}

/// Where a profile comes from and under what right it was read.
public struct ProfileProvenance: Encodable, Sendable, Hashable {
    public let layer: String
    public let owner: String
    public let grant: Int64?
    public let purpose: String?
    public let generatedAt: String
    public let generatedFor: String

    public init(layer: String, owner: String, grant: Int64?, purpose: String?, generatedAt: String, generatedFor: String) {
        self.layer = layer; self.owner = owner; self.grant = grant; self.purpose = purpose; self.generatedAt = generatedAt; self.generatedFor = generatedFor
    }
}
