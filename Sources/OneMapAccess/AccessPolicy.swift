import Foundation
import OneMapGeo
import OneMapStore

/// The one place that decides who sees what (三明市政务数据共享: 无条件共享 / 有条件共享 / 不予共享,
/// 必要性、最少够用). Tiles, features, statistics, exports and reports all ask it.
///
/// - The owner department and the administrator see a layer whole.
/// - Anonymous callers read open layers only, and only their public fields.
/// - Unconditional layers: every department, public and internal fields, personal fields masked
///   unless the department uses a grant naming them (`grant=ID`).
/// - Conditional layers: a department with an approved grant in force, only the granted fields,
///   only inside the granted area, until the grant ends.
/// - Not-shared layers: the owner (and the administrator) only.
public final class AccessPolicy: @unchecked Sendable {
    public typealias Store = FeatureStore & GovernanceStore
    let store: any Store
    private let lock = NSLock()
    private var grantCache: [String: (grants: [ShareApplication], at: ContinuousClock.Instant)] = [:]  // guarded by lock
    /// United boundaries of code-area grants, with when they were made: boundaries change by
    /// import, so an entry lives a minute.
    private var areaCache: [Int64: (area: Geometry, at: ContinuousClock.Instant)] = [:]  // guarded by lock
    private let ttl: Duration

    public init(store: any Store, ttl: Duration = .milliseconds(500)) {
        self.store = store; self.ttl = ttl
    }

    /// Drops cached grants (after a decision in this process; others' decisions show within `ttl`).
    public func invalidate() { lock.withLock { grantCache.removeAll(); areaCache.removeAll(); decisions += 1 } }

    /// Counts `invalidate` calls: whoever memoises decisions made from this policy keeps them only
    /// while it is unchanged, so a decision in this process takes effect at once.
    public var generation: Int { lock.withLock { decisions } }
    private var decisions = 0  // guarded by lock

    /// The grants of a department in force on `day`, newest decision first.
    public func activeGrants(of department: String, on day: String) throws -> [ShareApplication] {
        let now = ContinuousClock.now
        if let hit = lock.withLock({ grantCache[department] }), now - hit.at < ttl {
            return hit.grants.filter { $0.isActive(on: day) }
        }
        let all = try store.applications(byDepartment: department, forOwner: nil).filter { $0.department == department && $0.status == .approved }
            .sorted { ($0.decidedAt ?? "", $0.id) > ($1.decidedAt ?? "", $1.id) }
        lock.withLock { grantCache[department] = (all, now) }
        return all.filter { $0.isActive(on: day) }
    }

    /// Whether `principal` holds `layer` whole (owner or administrator).
    public func isOwnerOrAdministrator(_ principal: Principal, of layer: LayerInfo) -> Bool {
        guard let d = principal.department else { return false }
        return d.role == .administrator || d.code == layer.ownerDepartment
    }

    /// The grant used for `layer`: the one named by `grantID` (refused if it is not the caller's,
    /// not for this layer or not in force), else for a conditional layer the newest in force.
    func grant(for layer: LayerInfo, department: Department, grantID: Int64?, on day: String) throws -> ShareApplication? {
        let grants = try activeGrants(of: department.code, on: day).filter { $0.layer == layer.id }
        if let grantID {
            guard let g = grants.first(where: { $0.id == grantID }) else {
                throw AccessDenied(.forbidden, "grant \(grantID) is not an approved grant of \(department.code) for layer '\(layer.id)' in force on \(day)")
            }
            return g
        }
        return layer.shareClass == .conditional ? grants.first : nil
    }

    /// What `principal` may see of `layer` on `day` (the day a grant must be in force: today).
    public func view(of layer: LayerInfo, for principal: Principal, grantID: Int64? = nil,
                     on day: String = ISODate.string(Date())) throws -> (view: LayerView, grant: ShareApplication?) {
        let (view, grant) = try recordView(of: layer, for: principal, grantID: grantID, on: day)
        // Counts of another layer's records follow that layer's disclosure: shown only to callers
        // who may count its records exactly, everywhere this view reaches (items, tiles, identify,
        // exports, maps).
        let hidden = try Set(view.visible.filter { i in
            guard let source = layer.fields[i].derivedFrom else { return false }
            return try !countsExactly(source, principal, on: day)
        })
        guard !hidden.isEmpty else { return (view, grant) }
        return (LayerView(layer: layer, visible: view.visible.filter { !hidden.contains($0) }, masked: Set(view.masked.filter { !hidden.contains($0) }),
                          area: view.area, areaKey: view.areaKey), grant)
    }

    /// Whether `principal` may count the records of layer `id` exactly everywhere: its owner, the
    /// administrator, every department for an unconditional layer, a department with a grant in
    /// force for it that is not limited to an area.
    public func countsExactly(_ id: String, _ principal: Principal, on day: String = ISODate.string(Date())) throws -> Bool {
        guard let layer = try store.layer(id: id), let department = principal.department else { return false }
        if isOwnerOrAdministrator(principal, of: layer) { return true }
        switch layer.shareClass {
        case .notShared: return false
        case .unconditional: return true
        case .conditional: return try activeGrants(of: department.code, on: day).contains { $0.layer == id && $0.area == nil }
        }
    }

    /// The grant under which `principal` may read profiles from `layer` (population: persons,
    /// businesses: enterprises) on `day`: an approved grant in force whose uses include profiles.
    /// The administrator needs one like any department; the layer's owner holds the records.
    /// Nil: no profiles (anonymous callers never).
    public func profileAccess(_ principal: Principal, layer: LayerInfo, on day: String = ISODate.string(Date())) throws -> ProfileAccess? {
        guard let department = principal.department else { return nil }
        if department.code == layer.ownerDepartment { return ProfileAccess(view: .full(layer), grant: nil, area: nil) }
        guard let g = try activeGrants(of: department.code, on: day).first(where: { $0.layer == layer.id && $0.uses.contains(.profiles) }) else {
            return nil
        }
        let granted = Set(g.fields)
        let indices = Array(layer.fields.indices)
        // Within a profile grant, internal and personal fields stay masked unless the grant names them.
        let view = LayerView(layer: layer, visible: indices,
                             masked: Set(indices.filter { layer.fields[$0].sensitivity != .public && !granted.contains(layer.fields[$0].name) }),
                             area: try area(of: g), areaKey: g.area == nil ? nil : "grant:\(g.id)")
        return ProfileAccess(view: view, grant: g, area: view.area)
    }

    /// A signed-in person's own file: all of its fields (they are the person's own), and nothing
    /// else (nil for any other key, whether or not it exists).
    public func selfProfileAccess(_ holder: SelfHolder, layer: LayerInfo, key: String) -> ProfileAccess? {
        holder.owns(key, layer: layer.id) ? ProfileAccess(view: .full(layer), grant: nil, area: nil) : nil
    }

    /// The purpose audit records give a self-service read.
    public static let selfServicePurpose = "本人查询 (self-service: the holder's own file)"

    /// What `principal` may see of `layer`'s own fields (before counts of other layers are judged).
    private func recordView(of layer: LayerInfo, for principal: Principal, grantID: Int64?,
                            on day: String) throws -> (view: LayerView, grant: ShareApplication?) {
        if isOwnerOrAdministrator(principal, of: layer) { return (.full(layer), nil) }
        let indices = Array(layer.fields.indices)
        guard let department = principal.department else {
            guard layer.open else {
                throw AccessDenied(.unauthenticated, "layer '\(layer.id)' is for departments only: send an API key (Authorization: Bearer om_…)")
            }
            if grantID != nil { throw AccessDenied(.unauthenticated, "a grant is used with its department's API key") }
            return (LayerView(layer: layer, visible: indices.filter { layer.fields[$0].sensitivity == .public }), nil)
        }
        switch layer.shareClass {
        case .notShared:
            throw AccessDenied(.forbidden, "layer '\(layer.id)' is not shared (不予共享): only its owner \(layer.ownerDepartment) reads it")
        case .conditional:
            guard let g = try grant(for: layer, department: department, grantID: grantID, on: day) else {
                throw AccessDenied(.forbidden, "layer '\(layer.id)' is shared on approved application (有条件共享): \(department.code) holds no grant in force for it; apply with POST /applications")
            }
            let granted = Set(g.fields)
            return (LayerView(layer: layer, visible: indices.filter { granted.contains(layer.fields[$0].name) },
                              area: try area(of: g), areaKey: g.area == nil ? nil : "grant:\(g.id)"), g)
        case .unconditional:
            let g = try grant(for: layer, department: department, grantID: grantID, on: day)
            let granted = Set(g?.fields ?? [])
            let masked = Set(indices.filter { layer.fields[$0].sensitivity == .personal && !granted.contains(layer.fields[$0].name) })
            return (LayerView(layer: layer, visible: indices, masked: masked, area: try g.flatMap { try area(of: $0) },
                              areaKey: g?.area == nil ? nil : "grant:\(g!.id)"), g)
        }
    }

    /// Whether the caller can list (and read) the layer at all. A store that cannot answer is an
    /// error, not a refusal.
    public func canRead(_ layer: LayerInfo, _ principal: Principal, on day: String = ISODate.string(Date())) throws -> Bool {
        do {
            _ = try view(of: layer, for: principal, on: day)
            return true
        } catch is AccessDenied {
            return false
        }
    }

    /// How exact the figures of an area's statistics may be for `principal`: exact when the caller
    /// may read the underlying records in the whole area, suppressed small cells otherwise, and
    /// nothing of a layer not shared with the caller.
    public func disclosure(for principal: Principal, area: StatisticsArea, grantID: Int64? = nil,
                           on day: String = ISODate.string(Date())) throws -> (StatisticsDisclosure, [ShareApplication]) {
        let inForce = try principal.department.map { try activeGrants(of: $0.code, on: day) } ?? []
        if let grantID, !inForce.contains(where: { $0.id == grantID }) {
            throw AccessDenied(principal.department == nil ? .unauthenticated : .forbidden,
                               "grant \(grantID) is not an approved grant of the caller in force on \(day)")
        }
        var used: [ShareApplication] = []
        var peopleFields: Set<String>?
        func access(_ layerID: String) throws -> FigureAccess {
            guard let layer = try store.layer(id: layerID) else { return .withheld }
            if isOwnerOrAdministrator(principal, of: layer) { return .exact }
            if layer.shareClass == .notShared { return .withheld }
            let named = grantID.flatMap { id in inForce.contains { $0.id == id && $0.layer == layerID } ? id : nil }
            let grant: ShareApplication?
            do { grant = try view(of: layer, for: principal, grantID: named, on: day).1 } catch is AccessDenied { return .suppressed }
            guard let grant else { return .exact }
            used.append(grant)
            // A grant's fields bound the breakdowns it makes exact.
            if layerID == CoreLayers.population.id { peopleFields = Set(grant.fields) }
            guard let restricted = grant.area else { return .exact }
            return try covers(restricted, grantID: grant.id, area: area, on: day) ? .exact : .suppressed
        }
        var d = StatisticsDisclosure(people: try access(CoreLayers.population.id), businesses: try access(CoreLayers.businesses.id),
                                     buildings: try access(CoreLayers.buildings.id))
        if d.people == .exact { d.peopleFields = peopleFields }
        return (d, used)
    }

    // MARK: areas of grants

    /// A grant's area as one geometry (codes: their current boundaries united).
    func area(of grant: ShareApplication) throws -> Geometry? {
        guard let a = grant.area else { return nil }
        return try area(a, grantID: grant.id)
    }

    private func area(_ a: GrantArea, grantID: Int64) throws -> Geometry {
        if let g = a.geometry, a.codes.isEmpty { return g }
        let now = ContinuousClock.now
        if let hit = lock.withLock({ areaCache[grantID] }), now - hit.at < .seconds(60) { return hit.area }
        var parts: [Geometry] = a.geometry.map { [$0] } ?? []
        for code in a.codes { parts += try boundaries(of: code) }
        guard !parts.isEmpty else { throw AccessDenied(.forbidden, "grant \(grantID)'s area \(a.codes.joined(separator: ",")) matches no administrative area today") }
        let united = parts.count == 1 ? parts[0] : (try GeometryEngine().union(parts) ?? parts[0])
        lock.withLock { areaCache[grantID] = (united, now) }
        return united
    }

    private func boundaries(of code: String, on day: String = ISODate.string(Date())) throws -> [Geometry] {
        var out: [Geometry] = []
        try store.queryFeatures(FeatureQuery(layer: CoreLayers.adminAreas.id, time: .instant(day),
                                             equals: [PropertyEquals(field: "code", value: .string(code))])) { out.append($0.geometry) }
        return out
    }

    /// The significant part of an administrative code (GB/T 2260): 350400 -> 3504, 350402 -> 350402.
    public static func codePrefix(_ code: String) -> String {
        guard code.count == 6 else { return code }
        var c = Substring(code)
        while c.count > 2, c.hasSuffix("00") { c = c.dropLast(2) }
        return String(c)
    }

    /// Whether a statistics area lies inside a grant's area.
    func covers(_ grantArea: GrantArea, grantID: Int64, area: StatisticsArea, on day: String) throws -> Bool {
        if case .code(let code) = area, grantArea.codes.contains(where: { code.hasPrefix(Self.codePrefix($0)) }) { return true }
        let engine = GeometryEngine()
        let mine: [Geometry]
        switch area {
        case .code(let code): mine = try boundaries(of: code, on: day)
        case .geometry(let g): mine = [g]
        }
        guard !mine.isEmpty else { return false }
        let prepared = try engine.prepare(try self.area(grantArea, grantID: grantID))
        return try mine.allSatisfy { try prepared.contains($0) }
    }
}

/// A caller's right to profiles: how it sees the records' fields, the grant it reads under (nil
/// for the layer's owner) and the area the grant is limited to.
public struct ProfileAccess: Sendable {
    public let view: LayerView
    public let grant: ShareApplication?
    public let area: Geometry?
}
