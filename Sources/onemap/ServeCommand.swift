import ArgumentParser
import Foundation
import Hummingbird
import Logging
import OneMapAccess
import OneMapServer
import OneMapStore
import OneMapBackends

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the one map over HTTP: vector tiles, TileJSON, styles and the viewer.")

    @Option(help: "Address to listen on (loopback by default).") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"
    @Option(help: "Folder of MapLibre styles.") var styles = "styles"
    @Option(help: "Folder for the tile cache's second level on disk (kept across restarts, changes applied); default: memory only.") var tileCacheDir: String?
    @Option(help: "Folder whose .mbtiles/.pmtiles archives are served at /archives (read at start).") var tiles = "tiles"
    @Option(help: "Folder with maplibre-gl.js/.css (fetched by scripts/setup.sh).") var vendor = ".vendor"
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"
    @Option(help: "An origin whose web pages may call the API (CORS), repeatable; '*' any (default), 'none' no cross-origin calls.") var corsOrigin: [String] = ["*"]
    @Option(help: "Megabytes of tiles kept in memory (changes drop exactly the tiles they touch); 0 = no cache.") var tileCacheMb = 256
    @Option(help: "Megabytes the tile snapshots and the statistics engine may hold together; layers beyond it are tiled from the store, behind the tile cache; an engine beyond it is not built (exact statistics from SQL, protected ones refused). 0 = no bound.") var memoryMb = 0
    @Option(help: "Seconds one read (a tile, a page of features, a statistics pass) may run before it is stopped (503); 0 = no limit.") var queryTimeout = 30.0
    @Flag(help: "Answer exact statistics from SQL only (protected figures still come from the in-memory engine).") var noAnalytics = false
    @Option(help: "Long requests (exports, reports, maps, city statistics) run at most this many at once, on threads of their own.") var heavyConcurrency = 1
    @Option(help: "Long requests that may wait for the lane; more are refused with 503 and Retry-After.") var heavyQueue = 8
    @Option(help: "Streamed feature exports that run at once, on threads and database connections of their own.") var exportConcurrency = 4
    @Option(help: "Exports that may wait for the export lane; more are refused with 503 and Retry-After.") var exportQueue = 8
    @Option(help: "Requests per second per API key (per address for anonymous callers), twice that in a burst; 0 = unlimited.") var rateLimit = 1000
    @Option(help: "Self-service sign-in: the city identity provider's keys (a JWKS file; RS256/ES256). Needs --identity-key.") var idpJwks: String?
    @Option(help: "Self-service sign-in: the audience identity tokens must be issued for.") var idpAudience = "onemap"
    @Option(help: "Self-service sign-in: the issuer identity tokens must name (default: not checked).") var idpIssuer: String?
    @Option(help: "Self-service sign-in: the identity key file the imports linked identities with (onemap import --identity-key).") var identityKey: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535, got \(port)") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        guard queryTimeout >= 0 else { throw ValidationError("--query-timeout must be 0 (no limit) or more seconds") }
        guard tileCacheMb >= 0 else { throw ValidationError("--tile-cache-mb must be 0 (no cache) or more") }
        guard rateLimit >= 0 else { throw ValidationError("--rate-limit must be 0 (unlimited) or more, got \(rateLimit)") }
        guard (idpJwks == nil) == (identityKey == nil) else {
            throw ValidationError("self-service sign-in needs both --idp-jwks (whose tokens to trust) and --identity-key (how identities were linked)")
        }
    }

    func run() async throws {
        OneMapApplication.startMetrics()
        var logger = Logger(label: "onemap")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let store = try openStore(db)
        store.readTimeLimit = queryTimeout
        var config = ServerConfiguration()
        config.host = host; config.port = port
        config.stylesDirectory = AssetLocator.resolve(styles); config.vendorDirectory = AssetLocator.resolve(vendor); config.tilesDirectory = tiles
        config.rateLimit = rateLimit
        config.tileCacheBytes = tileCacheMb << 20
        guard memoryMb >= 0 else { throw ValidationError("--memory-mb must be 0 (no bound) or more") }
        config.memoryBudgetBytes = memoryMb > 0 ? memoryMb << 20 : nil
        config.tileCacheDirectory = tileCacheDir
        config.analytics = !noAnalytics
        guard heavyConcurrency >= 1, heavyQueue >= 0 else { throw ValidationError("--heavy-concurrency must be at least 1 and --heavy-queue at least 0") }
        config.heavyConcurrency = heavyConcurrency; config.heavyQueue = heavyQueue
        guard exportConcurrency >= 1, exportQueue >= 0 else { throw ValidationError("--export-concurrency must be at least 1 and --export-queue at least 0") }
        config.exportConcurrency = exportConcurrency; config.exportQueue = exportQueue
        config.corsOrigins = corsOrigin == ["none"] ? [] : corsOrigin
        if let idpJwks, let identityKey {
            let key: IdentityKey
            do { key = try IdentityKey.load(file: identityKey) } catch let e as StoreError { throw ValidationError("--identity-key: \(e.message)") }
            // Links made under another key would match nobody: refuse to start rather than sign
            // everyone in to nothing.
            if let stored = try store.identityKeyFingerprint(), stored != key.fingerprint {
                throw ValidationError("--identity-key is not the key the database's identity links were made with (fingerprint \(stored), this key \(key.fingerprint))")
            }
            do {
                let provider = try await IdentityProvider.load(jwksFile: idpJwks, audience: idpAudience, issuer: idpIssuer)
                config.selfService = SelfService(provider: provider, identityKey: key)
                logger.notice("self-service sign-in on", metadata: ["keys": .string(provider.keyIDs.joined(separator: ",")), "audience": .string(idpAudience)])
            } catch let e as IdentityTokenRefused { throw ValidationError("--idp-jwks: \(e.reason)") }
        }
        let log = logger
        let audit = AuditTrail(store: store, ownThread: false)  // written by the application's audit-writer service
        let app = OneMapApplication.build(store: store, configuration: config, audit: audit, logger: logger) { port in
            log.notice("OneMap serving", metadata: ["url": "http://\(host):\(port)/", "db": .string(db)])
        }
        // Stops accepting, finishes in-flight requests, then exits on SIGTERM or SIGINT; the audit
        // records of the last requests are written before the process ends.
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        try audit.close()
    }
}
