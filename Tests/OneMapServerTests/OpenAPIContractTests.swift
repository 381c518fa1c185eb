import Foundation
import Logging
import OneMapAccess
@testable import OneMapServer
import OneMapStore
import OneMapSpatiaLite
import Testing

/// The OpenAPI document and the router agree: every route is declared with its methods, and
/// every declared operation is routed. A route added without its documentation fails here.
///
/// Part of the serialized live-server suite: assembling the application opens the shared small demo
/// database, and a live server starting at the same moment must not find it busy.
extension LiveServerTests {
    static func shape(_ path: String) -> String {
        path.split(separator: "/").map { $0.hasPrefix("{") ? "{}" : String($0) }.reduce("") { $0 + "/" + $1 }.nonEmpty ?? "/"
    }

    @Test func everyRouteIsDeclaredAndEveryDeclaredOperationIsRouted() throws {
        let store = try SpatiaLiteStore(path: try smallDemoPath.get())
        let audit = AuditTrail(store: store)
        defer { try? audit.close() }
        var config = ServerConfiguration()
        config.port = 0
        let routes = OneMapApplication.assemble(store: store, configuration: config, audit: audit, logger: Logger(label: "test")).routes
        let document = OpenAPIDocument.make(base: "http://127.0.0.1", layers: try store.layers())
        let routed = Set(routes.templates.map { "\($0.method.rawValue) \(Self.shape($0.path))" })
        let declared = Set(document.paths.flatMap { path, item in item.operations.map { "\($0.method) \(Self.shape(path))" } })
        // The Prometheus text is for the operator's scraper, not for API clients.
        let undocumented: Set<String> = ["GET /metrics"]
        #expect(routed.subtracting(declared).subtracting(undocumented).sorted() == [], "routed, not declared")
        #expect(declared.subtracting(routed).sorted() == [], "declared, not routed")
    }

    @Test func parametersCarryTheirConstraints() throws {
        let document = OpenAPIDocument.make(base: "http://127.0.0.1", layers: [])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = try #require(try JSONSerialization.jsonObject(with: encoder.encode(document)) as? [String: Any])
        let paths = try #require(json["paths"] as? [String: Any])
        let tile = try #require(((paths["/tiles/{layers}/{z}/{x}/{y}"] as? [String: Any])?["get"] as? [String: Any])?["parameters"] as? [[String: Any]])
        let z = try #require(tile.first { $0["name"] as? String == "z" }?["schema"] as? [String: Any])
        #expect(z["minimum"] as? Int == 0 && z["maximum"] as? Int == 24 && z["type"] as? String == "integer")
        let stats = try #require(((paths["/stats"] as? [String: Any])?["get"] as? [String: Any])?["parameters"] as? [[String: Any]])
        let area = try #require(stats.first { $0["name"] as? String == "area" })
        #expect(area["required"] as? Bool == true)
        #expect((area["schema"] as? [String: Any])?["pattern"] as? String == OpenAPIDocument.areaCodePattern)
        // Errors are declared with their schema, and the tile's empty answer too.
        let responses = try #require(((paths["/tiles/{layers}/{z}/{x}/{y}"] as? [String: Any])?["get"] as? [String: Any])?["responses"] as? [String: Any])
        #expect(Set(responses.keys).isSuperset(of: ["200", "204", "400", "401", "403", "404", "429", "500", "503"]))
    }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
