// swift-tools-version:6.1
import PackageDescription

// Layers, dependencies pointing one way:
// onemap -> OneMapServer -> OneMapTiles, OneMapQuery, OneMapReports, OneMapAccess, OneMapAnalytics, OneMapQuality -> OneMapStore -> OneMapGeo -> C shims
// onemap -> OneMapIngest -> OneMapStore
// onemap -> OneMapBackends (opens `--db`) -> OneMapSpatiaLite, OneMapPostgres (backends: implement OneMapStore's protocols) -> OneMapStore
let package = Package(
    name: "OneMap",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "onemap", targets: ["onemap"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Identity-provider tokens (RS256/ES256 JWTs against a JWKS): a maintained verifier, not our own.
        .package(url: "https://github.com/vapor/jwt-kit.git", exact: "5.7.1"),
    ],
    targets: [
        // System libraries from Debian (-dev packages), found through pkg-config.
        .systemLibrary(name: "CSQLite3", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CSpatiaLite", pkgConfig: "spatialite", providers: [.apt(["libspatialite-dev"])]),
        .systemLibrary(name: "CGEOS", pkgConfig: "geos", providers: [.apt(["libgeos-dev"])]),
        .systemLibrary(name: "CPROJ", pkgConfig: "proj", providers: [.apt(["libproj-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        .target(name: "OneMapGeo", dependencies: ["CGEOS", "CPROJ"]),
        // Metrics: the API only (read times); the server chooses the backend (Prometheus).
        // The store's model: protocols, domain types and the rules every backend shares (audit chain,
        // record checks and masking, version rules). No database in it.
        .target(name: "OneMapStore", dependencies: ["OneMapGeo", "COpenSSL"]),
        // The embedded backend: one SpatiaLite file.
        .target(name: "OneMapSpatiaLite", dependencies: ["OneMapStore", "OneMapGeo", "CSQLite3", "CSpatiaLite",
                                                         .product(name: "Metrics", package: "swift-metrics")]),
        // The server backend: PostgreSQL/PostGIS through libpq (synchronous, like SQLite: both run on the blocking pool).
        .target(name: "OneMapPostgres", dependencies: ["OneMapStore", "OneMapGeo", "CLibPQ",
                                                       .product(name: "Metrics", package: "swift-metrics")]),
        // Opens a database from `--db` (a path or a URL) with the backend it names.
        .target(name: "OneMapBackends", dependencies: ["OneMapStore", "OneMapSpatiaLite", "OneMapPostgres"]),
        // Ingest reads GeoPackage files (SQLite) itself: file formats are not storage.
        .target(name: "OneMapIngest", dependencies: ["OneMapStore", "OneMapGeo", "CSQLite3"]),
        // Tiles, and the MBTiles archives they are seeded into (SQLite files of their own: not the store).
        .target(name: "OneMapTiles", dependencies: ["OneMapStore", "OneMapGeo", "CSQLite3", "CZlib"]),
        // OGC API request parsing and feature encoding (CRS, bbox, paging, GeoJSON).
        .target(name: "OneMapQuery", dependencies: ["OneMapStore", "OneMapGeo"]),
        // Exports (CSV, XLSX, GeoPackage), maps drawn with cairo (PNG, PDF) and area reports (DEFLATE from OneMapTiles).
        .target(name: "OneMapReports", dependencies: ["OneMapTiles", "OneMapQuery", "OneMapQuality", "OneMapStore", "OneMapGeo", "CSQLite3", "CZlib", "CCairo"]),
        // Area statistics from memory: columns built from the store's rows, kept current by its change feed.
        .target(name: "OneMapAnalytics", dependencies: ["OneMapStore", "OneMapGeo", .product(name: "Logging", package: "swift-log")]),
        // Data quality: the consistency checks' runs (findings filed as problems, closed when gone) and supply reports.
        .target(name: "OneMapQuality", dependencies: ["OneMapStore", "OneMapGeo"]),
        // Governance: principals, API keys, the access policy every endpoint asks, the audit trail.
        // Self-service sign-in: the city's identity provider's tokens verified with jwt-kit.
        .target(name: "OneMapAccess", dependencies: ["OneMapStore", "OneMapGeo", .product(name: "JWTKit", package: "jwt-kit")]),
        .target(
            name: "OneMapServer",
            dependencies: [
                "OneMapTiles", "OneMapQuery", "OneMapReports", "OneMapAccess", "OneMapAnalytics", "OneMapQuality", "OneMapStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Viewer")]
        ),
        .executableTarget(
            name: "onemap",
            dependencies: [
                "OneMapServer", "OneMapIngest", "OneMapTiles", "OneMapReports", "OneMapQuery", "OneMapAccess", "OneMapAnalytics", "OneMapQuality", "OneMapStore", "OneMapBackends",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Benchmark only: a bare SwiftNIO server returning tile bytes from memory, the cached-tile ceiling.
        .executableTarget(
            name: "tile-ceiling",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        .testTarget(name: "OneMapGeoTests", dependencies: ["OneMapGeo"]),
        .testTarget(name: "OneMapStoreTests", dependencies: ["OneMapStore", "OneMapGeo"]),
        // One contract, every backend (PostgreSQL from ONEMAP_TEST_POSTGRES_URL; scripts/test.sh starts one).
        .testTarget(name: "OneMapStoreContractTests", dependencies: ["OneMapStore", "OneMapQuality", "OneMapSpatiaLite", "OneMapPostgres", "OneMapGeo"]),
        .testTarget(name: "OneMapSpatiaLiteTests", dependencies: ["OneMapSpatiaLite", "OneMapStore", "OneMapGeo"]),
        .testTarget(name: "OneMapIngestTests", dependencies: ["OneMapIngest", "OneMapQuery", "OneMapStore", "OneMapSpatiaLite", "OneMapGeo"]),
        .testTarget(name: "OneMapQueryTests", dependencies: ["OneMapQuery", "OneMapStore", "OneMapSpatiaLite", "OneMapGeo"]),
        .testTarget(name: "OneMapTilesTests", dependencies: ["OneMapTiles", "OneMapStore", "OneMapSpatiaLite", "OneMapGeo", "CSQLite3"]),
        .testTarget(name: "OneMapReportsTests", dependencies: ["OneMapReports", "OneMapAnalytics", "OneMapQuery", "OneMapStore", "OneMapSpatiaLite", "OneMapGeo", "CSQLite3", "CZlib"]),
        .testTarget(name: "OneMapAnalyticsTests", dependencies: ["OneMapAnalytics", "OneMapIngest", "OneMapQuery", "OneMapStore", "OneMapSpatiaLite", "OneMapGeo"]),
        .testTarget(name: "OneMapAccessTests", dependencies: ["OneMapAccess", "OneMapQuery", "OneMapStore", "OneMapSpatiaLite", "OneMapGeo", "CSQLite3",
                                                             .product(name: "JWTKit", package: "jwt-kit")]),
        .testTarget(name: "OneMapServerTests", dependencies: ["OneMapServer", "OneMapIngest", "OneMapTiles", "OneMapAccess", "OneMapStore", "OneMapSpatiaLite", "CSQLite3"]),
    ],
    swiftLanguageModes: [.v6]
)
