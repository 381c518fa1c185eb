import Foundation
import OneMapStore
import OneMapSpatiaLite
import Testing

/// A store's identity names its database, however the path to it was written.
@Suite struct StoreIdentityTests {
    @Test func oneFileIsOneStoreHoweverItsPathIsWritten() {
        let cwd = FileManager.default.currentDirectoryPath
        #expect(StoreIdentity.spatialite(path: "data/x.sqlite") == .spatialite(path: "./data/x.sqlite"))
        #expect(StoreIdentity.spatialite(path: "data/x.sqlite") == .spatialite(path: cwd + "/data/../data/x.sqlite"))
        #expect(StoreIdentity.spatialite(path: "data/x.sqlite") != .spatialite(path: "data/y.sqlite"))
        #expect(StoreIdentity.spatialite(path: "/srv/onemap.sqlite").value == "spatialite:/srv/onemap.sqlite")
    }

    @Test func anOpenStoreReportsItsIdentity() throws {
        let path = NSTemporaryDirectory() + "onemap-identity-\(UUID().uuidString).sqlite"
        defer { for s in ["", "-wal", "-shm"] { unlink(path + s) } }
        let store = try SpatiaLiteStore(path: path, create: true)
        #expect(store.identity == .spatialite(path: path))
    }
}
