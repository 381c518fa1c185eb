import Foundation
import Hummingbird
import Logging
import NIOCore
import OneMapStore
import OneMapTiles

/// Builds the whole HTTP application in one place, so the CLI and the tests run the same server.
public enum OneMapApplication {
    public static func buildRouter(store: any FeatureStore, configuration: ServerConfiguration) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: ErrorMiddleware())
        let base = "http://\(configuration.host):\(configuration.port)"
        let builder = TileBuilder(store: store)
        router.get("/health") { _, _ in
            let layers = try await blocking { try store.layers().count }
            return JSONResponse.make(["status": "ok", "layers": layers])
        }
        TileRoutes(builder: builder, fallbackBaseURL: base).register(on: router)
        TilesAPIRoutes(builder: builder, fallbackBaseURL: base).register(on: router)
        ChangeRoutes(store: store, fallbackBaseURL: base).register(on: router)
        StatisticsRoutes(store: store).register(on: router)
        AreaRoutes(store: store, fallbackBaseURL: base).register(on: router)
        PointRoutes(store: store, fallbackBaseURL: base).register(on: router)
        let viewer = ViewerRoutes(configuration: configuration, fallbackBaseURL: base)
        viewer.register(on: router)
        // `/` is the OGC API landing page, or the viewer for a browser.
        FeatureRoutes(store: store, fallbackBaseURL: base).register(on: router) {
            try viewer.page("index.html", type: "text/html; charset=utf-8")
        }
        return router
    }

    /// The application; `onServerRunning` receives the bound port (useful with port 0 in tests).
    public static func build(store: any FeatureStore, configuration: ServerConfiguration, logger: Logger,
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = buildRouter(store: store, configuration: configuration)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "OneMap"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}
