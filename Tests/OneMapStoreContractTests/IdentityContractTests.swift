import Foundation
import OneMapStore
import Testing

/// Self-service identities behave alike on both backends: links by keyed hash only, refused under
/// a second key, written with the import that names them (not for rows it refused); a token is
/// taken once; sessions open, resolve and close.
@Suite struct IdentityContractTests {
    static let key = try! IdentityKey(secret: Array("test identity key, 32 bytes long!".utf8))

    @Test(arguments: Backend.allCases) func linksAreKeptByHashAndRefusedUnderAnotherKey(_ backend: Backend) throws {
        let db = try backend.fresh(), s = db.store
        #expect(try s.identityKeyFingerprint() == nil)
        let h = Self.key.hash("11010519491231002X")
        try s.linkIdentities(IdentityLinks(links: [IdentityLink(identityHash: h, kind: .person, entityKey: "P-1"),
                                                   IdentityLink(identityHash: h, kind: .enterprise, entityKey: "91350400MA2XYW001X")],
                                           keyFingerprint: Self.key.fingerprint))
        // The same link twice is one link.
        try s.linkIdentities(IdentityLinks(links: [IdentityLink(identityHash: h, kind: .person, entityKey: "P-1")], keyFingerprint: Self.key.fingerprint))
        let links = try s.identityLinks(hash: h)
        #expect(links.map(\.kind) == [.enterprise, .person] && links.map(\.entityKey) == ["91350400MA2XYW001X", "P-1"])
        #expect(try s.identityKeyFingerprint() == Self.key.fingerprint)
        #expect(try s.identityLinks(hash: Self.key.hash("110105194912310029")).isEmpty)
        let other = try IdentityKey(secret: Array("another identity key, 32 bytes!!".utf8))
        let refused = #expect(throws: StoreError.self) {
            try s.linkIdentities(IdentityLinks(links: [IdentityLink(identityHash: other.hash("11010519491231002X"), kind: .person, entityKey: "P-2")],
                                               keyFingerprint: other.fingerprint))
        }
        #expect(refused?.kind == .conflict && refused?.message.contains("another identity key") == true)
    }

    @Test(arguments: Backend.allCases) func anImportLinksTheIdentitiesOfTheRowsItWrote(_ backend: Backend) throws {
        let db = try backend.fresh(), s = db.store
        try SmallCity.load(into: s)
        let building = "B1"
        func person(_ row: Int, _ key: String, birth: Int64) -> RecordSource {
            RecordSource(row: row, key: key, values: ["building_code": .string(building), "sex": .string("F"), "birth_year": .int(birth),
                                                      "household_id": .string("H-\(key)"), "registration": .string("户籍"),
                                                      "moved_in": .string("2020-01-01"), "masked_identity": .string("350402********0001")],
                         position: nil)
        }
        let good = Self.key.hash("11010519491231002X"), bad = Self.key.hash("110105194912310029")
        let links = IdentityLinks(links: [IdentityLink(identityHash: good, kind: .person, entityKey: "ID-1"),
                                          IdentityLink(identityHash: bad, kind: .person, entityKey: "ID-2")], keyFingerprint: Self.key.fingerprint)
        // Row 2 is refused (no birth year in range): its link is not written; the rest is.
        _ = try s.applyRecords(layer: CoreLayers.population.id, records: [person(1, "ID-1", birth: 1990), person(2, "ID-2", birth: 3000)],
                               alreadyRejected: [], mode: .upsert, validFrom: "2025-01-01", toleranceMetres: 30, skipBad: true,
                               identities: links, progress: { _ in })
        #expect(try s.identityLinks(hash: good).map(\.entityKey) == ["ID-1"])
        #expect(try s.identityLinks(hash: bad).isEmpty)
        // Refused whole: nothing linked.
        let third = Self.key.hash("11010519491231003X")
        #expect(throws: ImportRefused.self) {
            _ = try s.applyRecords(layer: CoreLayers.population.id, records: [person(1, "ID-3", birth: 1990), person(2, "ID-4", birth: 3000)],
                                   alreadyRejected: [], mode: .upsert, validFrom: "2025-01-02", toleranceMetres: 30, skipBad: false,
                                   identities: IdentityLinks(links: [IdentityLink(identityHash: third, kind: .person, entityKey: "ID-3")],
                                                             keyFingerprint: Self.key.fingerprint), progress: { _ in })
        }
        #expect(try s.identityLinks(hash: third).isEmpty)
    }

    @Test(arguments: Backend.allCases) func aTokenIsTakenOnceAndSessionsOpenAndClose(_ backend: Backend) throws {
        let db = try backend.fresh(), s = db.store
        #expect(try s.useIdentityToken(id: "jti-1", expiresAt: "2099-01-01T00:00:00.000Z", now: "2026-01-01T00:00:00.000Z"))
        #expect(try !s.useIdentityToken(id: "jti-1", expiresAt: "2099-01-01T00:00:00.000Z", now: "2026-01-01T00:00:00.000Z"))
        #expect(try s.useIdentityToken(id: "jti-2", expiresAt: "2026-01-01T00:05:00.000Z", now: "2026-01-01T00:00:00.000Z"))
        let session = SelfSession(hash: "h1", prefix: "os_abcdefgh", identityHash: "ih", openedAt: "2026-01-01T00:00:00.000Z",
                                  expiresAt: "2026-01-01T00:30:00.000Z")
        try s.openSelfSession(session)
        #expect(try s.selfSession(hash: "h1") == session)
        #expect(try s.selfSession(hash: "h2") == nil)
        #expect(try s.closeSelfSession(hash: "h1", at: "2026-01-01T00:10:00.000Z"))
        #expect(try !s.closeSelfSession(hash: "h1", at: "2026-01-01T00:11:00.000Z"))
        #expect(try s.selfSession(hash: "h1")?.closedAt == "2026-01-01T00:10:00.000Z")
    }
}
