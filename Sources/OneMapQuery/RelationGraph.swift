import Foundation
import OneMapGeo
import OneMapStore

/// The kinds of node a relation graph joins (行业知识图谱: what is connected to what, and when).
public enum RelationNodeType: String, Sendable, CaseIterable {
    case building, person, household, enterprise, area
}

/// What a caller may see in a relation graph: people and enterprises as its views of their layers
/// show them (nil: not at all), and whether buildings may carry exact counts instead.
public struct RelationRights: @unchecked Sendable {
    public let people: LayerView?
    public let businesses: LayerView?
    public let residentCounts: Bool
    public let businessCounts: Bool
    /// A grant limited to an area shows only the people (enterprises) whose building lies in it.
    let peopleArea: PreparedGeometry?
    let businessArea: PreparedGeometry?

    public init(people: LayerView?, businesses: LayerView?, residentCounts: Bool, businessCounts: Bool) throws {
        self.people = people; self.businesses = businesses; self.residentCounts = residentCounts; self.businessCounts = businessCounts
        let engine = GeometryEngine()
        peopleArea = try people?.area.map { try engine.prepare($0) }
        businessArea = try businesses?.area.map { try engine.prepare($0) }
    }
}

/// Nodes and edges around a start node, up to `depth` hops, as they stood on a day. People and
/// households are shown as the caller's view of population shows them: a key the view masks is
/// never an id (nodes are numbered instead), a caller who may not read people sees none.
public struct RelationGraph: Encodable, Sendable {
    public struct Node: Encodable, Sendable {
        public let id: String
        public let type: String
        public let label: String
        public let properties: [String: FieldJSON]
        public let from: String?
        public let to: String?
    }

    public struct Edge: Encodable, Sendable, Hashable {
        public let source: String
        public let target: String
        public let type: String
        public let from: String?
        public let to: String?
    }

    public let start: String
    public let datetime: String
    public let depth: Int
    public var nodes: [Node] = []
    public var edges: [Edge] = []
    /// More nodes were reachable than `limit`.
    public var truncated = false

    public static let limit = 500

    /// Nil when the start node does not exist on `day` (or cannot be seen by the caller).
    public static func make(type: RelationNodeType, id: String, depth: Int, on day: String, store: any ProfileStore & FeatureStore,
                            rights: RelationRights) throws -> RelationGraph? {
        var builder = Builder(day: day, store: store, rights: rights)
        guard let start = try builder.node(type, id) else { return nil }
        var graph = RelationGraph(start: start, datetime: day, depth: depth)
        var frontier = [(type, id)]
        for _ in 0..<depth where !frontier.isEmpty {
            var next: [(RelationNodeType, String)] = []
            for (t, k) in frontier {
                for (nt, nk, edge) in try builder.neighbours(t, k) {
                    let isNew = builder.nodeID[nt.rawValue + ":" + nk] == nil
                    if isNew, builder.nodes.count >= limit { graph.truncated = true; continue }
                    guard try builder.node(nt, nk) != nil else { continue }
                    builder.edges.insert(edge(builder))
                    if isNew { next.append((nt, nk)) }
                }
            }
            frontier = next
        }
        graph.nodes = builder.nodes
        graph.edges = builder.edges.sorted { ($0.source, $0.target, $0.type) < ($1.source, $1.target, $1.type) }
        return graph
    }

    /// Reads and numbers the nodes of one graph.
    struct Builder {
        let day: String
        let store: any ProfileStore & FeatureStore
        let rights: RelationRights
        var nodes: [Node] = []
        var nodeID: [String: String] = [:]
        var edges: Set<Edge> = []
        private var areas: [String: AdminAreaSummary]?
        private var buildingCache: [String: RecordVersion?] = [:]
        private var personCache: [String: RecordVersion?] = [:]
        private var firmCache: [String: RecordVersion?] = [:]

        init(day: String, store: any ProfileStore & FeatureStore, rights: RelationRights) { self.day = day; self.store = store; self.rights = rights }

        mutating func area(_ code: String) throws -> AdminAreaSummary? {
            if areas == nil { areas = Dictionary(try store.adminAreas(level: nil, asOf: day).map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a }) }
            return areas?[code]
        }

        mutating func building(_ code: String) throws -> RecordVersion? {
            if let hit = buildingCache[code] { return hit }
            let v = try store.buildingVersions(codes: [code]).last { $0.holds(on: day) }
            buildingCache[code] = v
            return v
        }

        mutating func version(_ layer: String, _ key: String) throws -> RecordVersion? {
            if layer == CoreLayers.population.id, let hit = personCache[key] { return hit }
            if layer == CoreLayers.businesses.id, let hit = firmCache[key] { return hit }
            let v = try store.recordVersions(layer: layer, key: key).last { $0.holds(on: day) }
            if layer == CoreLayers.population.id { personCache[key] = v } else { firmCache[key] = v }
            return v
        }

        /// The value of `field` as `view` shows it, and whether it is shown unmasked.
        static func shown(_ view: LayerView, _ field: String, _ value: FieldValue) -> (FieldValue, Bool)? {
            guard let i = view.layer.fields.firstIndex(where: { $0.name == field }), view.visible.contains(i) else { return nil }
            return (view.shown(i, value), !view.masked.contains(i))
        }

        static func properties(_ v: RecordVersion, view: LayerView, skip: Set<String>) -> [String: FieldJSON] {
            var out: [String: FieldJSON] = [:]
            for i in view.visible where !skip.contains(view.layer.fields[i].name) {
                let name = view.layer.fields[i].name
                if let value = v.fields[name] { out[name] = FieldJSON(view.shown(i, value)) }
            }
            return out
        }

        /// Whether a building's centroid lies in a grant's area (no area: anywhere).
        mutating func inArea(_ code: String?, _ area: PreparedGeometry?) throws -> Bool {
            guard let area else { return true }
            guard let code, let b = try building(code), case .double(let x) = b.fields["cx"], case .double(let y) = b.fields["cy"] else { return false }
            return area.contains(Position(x, y))
        }

        /// The node's id in this graph, adding the node when it exists and may be seen.
        mutating func node(_ type: RelationNodeType, _ key: String) throws -> String? {
            let ref = type.rawValue + ":" + key
            if let id = nodeID[ref] { return id }
            var label = key, props: [String: FieldJSON] = [:], from: String?, to: String?, exposed = true
            switch type {
            case .building:
                guard let b = try building(key) else { return nil }
                from = b.validFrom; to = b.validTo
                for f in ["use", "floors", "built_date", "township_code"] { if let v = b.fields[f] { props[f] = FieldJSON(v) } }
                if rights.residentCounts, let v = b.fields["population"] { props["residents"] = FieldJSON(v) }
                if rights.businessCounts, let v = b.fields["businesses"] { props["businesses"] = FieldJSON(v) }
            case .person:
                guard let view = rights.people, let p = try version(CoreLayers.population.id, key),
                      try inArea(p.text("building_code"), rights.peopleArea) else { return nil }
                from = p.validFrom; to = p.validTo
                let (shownKey, clear) = Self.shown(view, "person_key", .string(key)) ?? (.string("****"), false)
                if case .string(let s) = shownKey { label = s }
                exposed = clear
                props = Self.properties(p, view: view, skip: ["person_key", "building_code", "household_id"])
            case .household:
                guard let view = rights.people,
                      try store.householdMembers(key, on: day).contains(where: { try inArea($0.text("building_code"), rights.peopleArea) }) else { return nil }
                let (shownKey, clear) = Self.shown(view, "household_id", .string(key)) ?? (.string("****"), false)
                if case .string(let s) = shownKey { label = s }
                exposed = clear
            case .enterprise:
                guard let view = rights.businesses, let e = try version(CoreLayers.businesses.id, key),
                      try inArea(e.text("building_code"), rights.businessArea) else { return nil }
                from = e.validFrom; to = e.validTo
                let (shownKey, clear) = Self.shown(view, "credit_code", .string(key)) ?? (.string("****"), false)
                if case .string(let s) = shownKey { label = s }
                exposed = clear
                props = Self.properties(e, view: view, skip: ["credit_code", "building_code"])
            case .area:
                guard let a = try area(key) else { return nil }
                label = a.name; from = a.validFrom; to = a.validTo
                props = ["code": FieldJSON(.string(a.code)), "level": FieldJSON(.string(a.level.rawValue))]
            }
            // A key the caller sees masked is never an id: the node is numbered instead.
            let id = exposed ? ref : "\(type.rawValue):#\(nodes.count + 1)"
            nodeID[ref] = id
            nodes.append(Node(id: id, type: type.rawValue, label: label, properties: props, from: from, to: to))
            return id
        }

        typealias Link = (RelationNodeType, String, (Builder) -> Edge)

        static func link(_ a: String, _ b: String, _ type: String, _ from: String?, _ to: String?) -> (Builder) -> Edge {
            { builder in Edge(source: builder.nodeID[a]!, target: builder.nodeID[b]!, type: type, from: from, to: to) }
        }

        /// The nodes one hop from a node, with the edge to each (valid on the day).
        mutating func neighbours(_ type: RelationNodeType, _ key: String) throws -> [Link] {
            let me = type.rawValue + ":" + key
            var out: [Link] = []
            switch type {
            case .building:
                guard let b = try building(key) else { return [] }
                if let t = b.text("township_code") { out.append((.area, t, Self.link(me, "area:" + t, "in_area", b.validFrom, b.validTo))) }
                if rights.people != nil {
                    for p in try store.records(layer: CoreLayers.population.id, atBuilding: key, on: day) {
                        guard let k = p.text("person_key") else { continue }
                        out.append((.person, k, Self.link("person:" + k, me, "lives_in", p.validFrom, p.validTo)))
                    }
                }
                if rights.businesses != nil {
                    for e in try store.records(layer: CoreLayers.businesses.id, atBuilding: key, on: day) {
                        guard let k = e.text("credit_code") else { continue }
                        out.append((.enterprise, k, Self.link("enterprise:" + k, me, "registered_at", e.validFrom, e.validTo)))
                    }
                }
            case .person:
                guard let p = try version(CoreLayers.population.id, key) else { return [] }
                if let b = p.text("building_code") { out.append((.building, b, Self.link(me, "building:" + b, "lives_in", p.validFrom, p.validTo))) }
                if let h = p.text("household_id") { out.append((.household, h, Self.link(me, "household:" + h, "member_of", p.validFrom, p.validTo))) }
            case .household:
                for p in try store.householdMembers(key, on: day) {
                    guard let k = p.text("person_key") else { continue }
                    out.append((.person, k, Self.link("person:" + k, me, "member_of", p.validFrom, p.validTo)))
                }
            case .enterprise:
                guard let e = try version(CoreLayers.businesses.id, key) else { return [] }
                if let b = e.text("building_code") { out.append((.building, b, Self.link(me, "building:" + b, "registered_at", e.validFrom, e.validTo))) }
            case .area:
                guard let a = try area(key) else { return [] }
                if let parent = a.parentCode { out.append((.area, parent, Self.link(me, "area:" + parent, "part_of", a.validFrom, a.validTo))) }
                for child in (areas ?? [:]).values where child.parentCode == key {
                    out.append((.area, child.code, Self.link("area:" + child.code, me, "part_of", child.validFrom, child.validTo)))
                }
            }
            return out.sorted { ($0.0.rawValue, $0.1) < ($1.0.rawValue, $1.1) }
        }
    }
}
