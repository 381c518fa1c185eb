import Foundation
import OneMapGeo
import OneMapStore

/// A problem report as a caller sees it: the target's key and the proposed value only where the
/// caller's view of the layer shows those fields unmasked (the reporter always sees what it wrote).
struct ProblemDocument: Encodable {
    struct Target: Encodable {
        let layer: String
        /// The feature version or record row; null for the whole layer.
        let id: Int64?
        /// The entity key; null when masked for the caller or for a whole layer.
        let key: String?
        let keyMasked: Bool
    }

    struct Attachment: Encodable {
        let name: String
        let mediaType: String
        let size: Int
        let sha256: String
        let href: String
    }

    struct Event: Encodable {
        let id: Int64
        let problem: Int64
        let at: String
        let by: String
        let department: String?
        let action: String
        let from: String?
        let to: String
        let note: String?
        let version: Int64?

        init(_ e: ProblemEvent) {
            id = e.id; problem = e.problemID; at = e.at; by = e.principal; department = e.department; action = e.action.rawValue
            from = e.from?.rawValue; to = e.to.rawValue; note = e.note; version = e.version
        }
    }

    struct Link: Encodable {
        let href: String
        let rel: String
        let type: String
        let title: String?
    }

    let id: Int64
    let state: String
    let priority: String
    let target: Target
    let field: String?
    let description: String
    let proposedValue: String?
    let proposedValueMasked: Bool
    let evidence: String?
    let attachment: Attachment?
    /// GeoJSON (CRS84 lon/lat).
    let location: GeometryJSON?
    let owner: String
    let reporter: String
    let filedAt: String
    let updatedAt: String
    let deadline: String
    let overdue: Bool
    let reopened: Int
    let correctionVersion: Int64?
    let check: String?
    /// What the caller may do next.
    let actions: [String]
    let history: [Event]?
    let links: [Link]

    /// `view`: the caller's view of the problem's layer (nil: the layer is gone; nothing masked is shown).
    init(_ p: Problem, view: LayerView?, callerDepartment: String?, actions: [ProblemAction], history: [ProblemEvent]?, base: String, today: String) {
        func shows(_ name: String?) -> Bool {
            guard let view, let name, let i = view.layer.fields.firstIndex(where: { $0.name == name }) else { return false }
            return view.visible.contains(i) && !view.masked.contains(i)
        }
        let keyShown = p.entityKey != nil && shows(view?.layer.fields.first?.name)
        let wroteIt = callerDepartment == p.reporter
        let valueShown = p.proposedValue != nil && (wroteIt || (p.field.map(shows)
            ?? (view.map { $0.masked.isEmpty && $0.visible.count == $0.layer.fields.count } ?? false)))
        id = p.id; state = p.state.rawValue; priority = p.priority.rawValue
        target = Target(layer: p.layer, id: p.targetID, key: keyShown ? p.entityKey : nil, keyMasked: p.entityKey != nil && !keyShown)
        field = p.field; description = p.description
        proposedValue = valueShown ? p.proposedValue : nil
        proposedValueMasked = p.proposedValue != nil && !valueShown
        evidence = p.evidence
        attachment = p.attachment.map { Attachment(name: $0.name, mediaType: $0.mediaType, size: $0.size, sha256: $0.sha256,
                                                   href: "\(base)/problems/\(p.id)/attachment") }
        location = p.location.map(GeometryJSON.init)
        owner = p.owner; reporter = p.reporter; filedAt = p.filedAt; updatedAt = p.updatedAt; deadline = p.deadline
        overdue = p.isOverdue(on: today); reopened = p.reopened; correctionVersion = p.correctionVersion; check = p.check
        self.actions = actions.map(\.rawValue)
        self.history = history?.map(Event.init)
        var links = [Link(href: "\(base)/problems/\(p.id)", rel: "self", type: "application/json", title: nil)]
        if p.targetID != nil, view?.layer.isSpatial == true {
            links.append(Link(href: "\(base)/collections/\(p.layer)/items/\(p.targetID!)", rel: "related", type: "application/geo+json",
                              title: "the feature version reported"))
        }
        if let v = p.correctionVersion, view?.layer.isSpatial == true {
            links.append(Link(href: "\(base)/collections/\(p.layer)/items/\(v)", rel: "related", type: "application/geo+json",
                              title: "the version that corrected it"))
        }
        self.links = links
    }
}

/// A geometry as GeoJSON inside a typed document (coordinates as stored: CRS84 lon/lat).
struct GeometryJSON: Encodable {
    let geometry: Geometry

    init(_ g: Geometry) { geometry = g }

    private enum Keys: String, CodingKey { case type, coordinates, geometries }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(geometry.typeName, forKey: .type)
        func xy(_ p: Position) -> [Double] { [p.x, p.y] }
        func ring(_ r: [Position]) -> [[Double]] { r.map(xy) }
        switch geometry {
        case .point(let p): try c.encode(xy(p), forKey: .coordinates)
        case .multiPoint(let ps): try c.encode(ring(ps), forKey: .coordinates)
        case .lineString(let l): try c.encode(ring(l), forKey: .coordinates)
        case .multiLineString(let ls): try c.encode(ls.map(ring), forKey: .coordinates)
        case .polygon(let rings): try c.encode(rings.map(ring), forKey: .coordinates)
        case .multiPolygon(let polys): try c.encode(polys.map { $0.map(ring) }, forKey: .coordinates)
        case .geometryCollection(let gs): try c.encode(gs.map(GeometryJSON.init), forKey: .geometries)
        }
    }
}
