import Foundation
import OneMapAccess
import OneMapStore

/// Where the server listens and finds its files.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// MapLibre style documents served at /styles/{name}.json.
    public var stylesDirectory = "styles"
    /// Third-party browser assets fetched by the set-up (maplibre-gl.js/.css), never committed.
    public var vendorDirectory = ".vendor"
    /// Requests per second per API key (per address for anonymous callers), twice that in a
    /// burst; 0: unlimited.
    public var rateLimit = 1000
    /// Origins whose web pages may call the API from a browser (CORS): ["*"] any, [] none.
    public var corsOrigins = ["*"]
    /// Folder whose .mbtiles and .pmtiles archives are served at /archives (read at start).
    public var tilesDirectory = "tiles"
    /// Bytes of encoded tiles kept in memory (0: no cache).
    public var tileCacheBytes = 256 << 20
    /// Folder of the tile cache's second level on disk (nil: memory only).
    public var tileCacheDirectory: String?
    /// Answer statistics from the in-memory engine (built in the background at start; the store
    /// answers until it is ready). Off: every figure comes from SQL.
    public var analytics = true
    /// Bytes the layer snapshots and the statistics engine may hold together (nil: no bound).
    /// The engine is always kept (protected figures come only from it); snapshots get the rest,
    /// and tiles of layers that do not fit come from the store, behind the tile cache.
    public var memoryBudgetBytes: Int?
    /// Long requests (exports, reports, maps, city statistics) run at most this many at once, on
    /// threads of their own, with at most `heavyQueue` waiting; more are refused with 503.
    public var heavyConcurrency = 1
    public var heavyQueue = 8
    /// Streamed feature exports run at most this many at once on threads of their own (each may
    /// wait on a slow client, so they do not hold the heavy lane), `exportQueue` more waiting.
    public var exportConcurrency = 4
    public var exportQueue = 8
    /// Self-service sign-in (people and enterprises' representatives, through the city's identity
    /// provider); nil: off.
    public var selfService: SelfService?

    public init() {}
}

/// Self-service sign-in: the identity provider whose tokens are trusted, and the key that turns
/// their subjects into the hashes imports linked to records.
public struct SelfService: Sendable {
    public let provider: IdentityProvider
    public let identityKey: IdentityKey

    public init(provider: IdentityProvider, identityKey: IdentityKey) { self.provider = provider; self.identityKey = identityKey }
}
