import Foundation
import OneMapAccess
import OneMapGeo
import OneMapQuery
import OneMapStore
import Testing

/// The policy decides the same way for every endpoint: these are its decisions.
@Suite struct AccessPolicyTests {
    let today = ISODate.string(Date())

    func principal(_ d: Department) -> Principal { .department(d, keyPrefix: "om_test0000") }

    func names(_ v: LayerView) -> [String] { v.fields.map(\.name) }

    func denial(_ body: () throws -> Any) -> AccessDenied.Kind? {
        do { _ = try body(); return nil } catch let e as AccessDenied { return e.kind } catch { return nil }
    }

    @Test func ownerAndAdministratorSeeEveryLayerWholeAndUnmasked() throws {
        let f = try AccessFixture()
        defer { f.remove() }
        let policy = AccessPolicy(store: f.store)
        let admin = principal(try #require(f.store.departments().first { $0.role == .administrator }))
        for id in ["clinics_u", "clinics_c", "clinics_n", "clinics_o"] {
            for p in [principal(AccessFixture.owner), admin] {
                let (view, grant) = try policy.view(of: try f.layer(id), for: p)
                #expect(names(view) == ["code", "beds", "note", "phone"] && view.masked.isEmpty && view.area == nil && grant == nil, "\(id)")
            }
        }
    }

    @Test func anonymousCallersReadOnlyOpenLayersAndOnlyTheirPublicFields() throws {
        let f = try AccessFixture()
        defer { f.remove() }
        let policy = AccessPolicy(store: f.store)
        #expect(names(try policy.view(of: try f.layer("clinics_o"), for: .anonymous).view) == ["code", "beds"])
        for id in ["clinics_u", "clinics_c", "clinics_n"] {
            #expect(denial { try policy.view(of: try f.layer(id), for: .anonymous) } == .unauthenticated, "\(id)")
        }
    }

    @Test func unconditionalLayersMaskPersonalFieldsUnlessAGrantNamesThem() throws {
        let f = try AccessFixture()
        defer { f.remove() }
        let policy = AccessPolicy(store: f.store)
        let layer = try f.layer("clinics_u")
        let (view, _) = try policy.view(of: layer, for: principal(AccessFixture.ungranted))
        #expect(names(view) == ["code", "beds", "note", "phone"])
        #expect(view.masked == [3])
        // Masked in what leaves the server, and not queryable (a filter would reveal it).
        var out = ""
        var first: StoredFeature?
        try f.store.queryFeatures(FeatureQuery(layer: layer.id, time: .today(), limit: 1)) { first = $0 }
        try FeatureGeoJSON(view: view, crs: .crs84).write(try #require(first), into: &out)
        #expect(out.contains("\"phone\":\"180****0000\"") && !out.contains("18012340000"))
        #expect(!view.queryable.fields.contains { $0.name == "phone" })
        // A grant naming the phone, used by name, unmasks it for its holder only.
        let g = try f.grant("clinics_u", fields: ["phone"])
        let holder = try policy.view(of: layer, for: principal(AccessFixture.granted), grantID: g.id)
        #expect(holder.view.masked.isEmpty && holder.grant?.id == g.id)
        #expect(try policy.view(of: layer, for: principal(AccessFixture.ungranted)).view.masked == [3])
        // Someone else's grant cannot be borrowed.
        #expect(denial { try policy.view(of: layer, for: principal(AccessFixture.ungranted), grantID: g.id) } == .forbidden)
    }

    @Test func conditionalLayersNeedAGrantInForceAndShowOnlyItsFieldsInsideItsArea() throws {
        let f = try AccessFixture()
        defer { f.remove() }
        let policy = AccessPolicy(store: f.store, ttl: .zero)
        let layer = try f.layer("clinics_c")
        let asker = principal(AccessFixture.granted)
        #expect(denial { try policy.view(of: layer, for: asker) } == .forbidden)
        // Pending is not approved.
        let pending = try f.store.submitApplication(NewApplication(department: AccessFixture.granted.code, layer: "clinics_c", fields: ["beds"],
                                                                   purpose: "床位统计分析", area: nil, validFrom: "2020-01-01", validTo: "2099-01-01"))
        #expect(denial { try policy.view(of: layer, for: asker) } == .forbidden)
        _ = try f.store.decideApplication(id: pending.id, status: .rejected, by: AccessFixture.owner.code, note: "理由不足")
        #expect(denial { try policy.view(of: layer, for: asker) } == .forbidden)

        let g = try f.grant("clinics_c", fields: ["code", "phone"], area: GrantArea(geometry: AccessFixture.westBox))
        let (view, used) = try policy.view(of: layer, for: asker)
        #expect(used?.id == g.id)
        #expect(names(view) == ["code", "phone"] && view.masked.isEmpty)
        // Inside the area only: the same features a brute force over the records finds.
        var seen: [String] = []
        try f.store.queryFeatures(FeatureQuery(layer: layer.id, time: .today(), filter: view.restriction)) { s in
            if case .string(let k) = s.values[0] { seen.append(k) }
        }
        let expected = AccessFixture.records.enumerated().filter { i, _ in
            let p = AccessFixture.position(i)
            return p.x >= 116.99 && p.x <= 117.27 && p.y >= 25.9 && p.y <= 26.1
        }.map(\.element.key)
        #expect(seen.sorted() == expected.sorted() && !expected.isEmpty && expected.count < AccessFixture.records.count)
        // The grant's cache key differs from the unrestricted view's: no cache can mix them.
        #expect(view.cacheKey != LayerView.full(layer).cacheKey)
        // Others still have nothing.
        #expect(denial { try policy.view(of: layer, for: principal(AccessFixture.ungranted)) } == .forbidden)
        // Revoked: over at once.
        _ = try f.store.decideApplication(id: g.id, status: .revoked, by: AccessFixture.owner.code, note: nil)
        #expect(denial { try policy.view(of: layer, for: asker) } == .forbidden)
    }

    @Test func grantsOutsideTheirPeriodGiveNothing() throws {
        let f = try AccessFixture()
        defer { f.remove() }
        let policy = AccessPolicy(store: f.store, ttl: .zero)
        let layer = try f.layer("clinics_c")
        let expired = try f.grant("clinics_c", fields: ["beds"], from: "2020-01-01", to: "2021-01-01")
        #expect(denial { try policy.view(of: layer, for: principal(AccessFixture.granted)) } == .forbidden)
        #expect(denial { try policy.view(of: layer, for: principal(AccessFixture.granted), grantID: expired.id) } == .forbidden)
        _ = try f.grant("clinics_c", fields: ["beds"], from: "2098-01-01", to: "2099-01-01")
        #expect(denial { try policy.view(of: layer, for: principal(AccessFixture.granted)) } == .forbidden)
        // A grant ending today has ended (validity is [from, to)).
        _ = try f.grant("clinics_c", fields: ["beds"], from: "2020-01-01", to: today)
        #expect(denial { try policy.view(of: layer, for: principal(AccessFixture.granted)) } == .forbidden)
    }

    @Test func notSharedLayersAreTheOwnersAloneEvenWithAGrant() throws {
        let f = try AccessFixture()
        defer { f.remove() }
        let policy = AccessPolicy(store: f.store)
        _ = try f.grant("clinics_n", fields: ["beds"])
        for d in [AccessFixture.granted, AccessFixture.ungranted] {
            #expect(denial { try policy.view(of: try f.layer("clinics_n"), for: principal(d)) } == .forbidden)
        }
        #expect(try !policy.canRead(try f.layer("clinics_n"), principal(AccessFixture.granted)))
        #expect(try policy.canRead(try f.layer("clinics_n"), principal(AccessFixture.owner)))
    }

    @Test func statisticsAreExactOnlyForCallersWhoMayReadTheRecordsOfTheWholeArea() throws {
        let f = try AccessFixture()
        defer { f.remove() }
        let policy = AccessPolicy(store: f.store, ttl: .zero)
        let inside = StatisticsArea.geometry(.polygon([[Position(117.0, 25.95), Position(117.1, 25.95), Position(117.1, 26.05),
                                                        Position(117.0, 26.05), Position(117.0, 25.95)]]))
        let across = StatisticsArea.geometry(.polygon([[Position(117.0, 25.95), Position(117.6, 25.95), Position(117.6, 26.05),
                                                        Position(117.0, 26.05), Position(117.0, 25.95)]]))
        let police = principal(Department(code: "SMGA", name: "三明市公安局"))
        #expect(try policy.disclosure(for: police, area: across).0 == .exact)
        #expect(try policy.disclosure(for: .anonymous, area: across).0 == StatisticsDisclosure(people: .suppressed, businesses: .suppressed, buildings: .exact))
        #expect(try policy.disclosure(for: principal(AccessFixture.granted), area: across).0 == .standard)
        // A population grant limited to the west box: exact inside it, suppressed across it.
        let g = try f.grant("population", fields: ["sex", "birth_year"], area: GrantArea(geometry: AccessFixture.westBox))
        let (d1, used) = try policy.disclosure(for: principal(AccessFixture.granted), area: inside)
        #expect(d1.people == .exact && used.map(\.id) == [g.id])
        #expect(try policy.disclosure(for: principal(AccessFixture.granted), area: across).0.people == .suppressed)
        // Not shared: withheld from everyone but its owner and the administrator.
        _ = try f.store.classifyLayer(id: "population", shareClass: .notShared, owner: nil, open: nil, sensitivities: [:])
        #expect(try policy.disclosure(for: principal(AccessFixture.granted), area: inside).0.people == .withheld)
        #expect(try policy.disclosure(for: .anonymous, area: inside).0.people == .withheld)
        #expect(try policy.disclosure(for: police, area: inside).0.people == .exact)
    }

    @Test func administrativeCodePrefixesFollowGBT2260() {
        // A city grant covers its counties; a county grant covers its townships, not its neighbours.
        let covers = { (grant: String, code: String) in code.hasPrefix(AccessPolicy.codePrefix(grant)) }
        #expect(covers("350400", "350402") && covers("350400", "350402001") && covers("350402", "350402001"))
        #expect(!covers("350402", "350403") && !covers("350402", "350403001") && !covers("350400", "350500"))
    }
}
