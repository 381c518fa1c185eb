import OneMapGeo

/// The storage layer's contract. Tiles, queries and HTTP talk only to this protocol, so a PostGIS
/// backend is one more conforming type. Geometry crosses it in EPSG:4490 (CGCS2000) lon/lat.
public protocol FeatureStore: AreaStatisticsProvider {
    /// Which database this is (for copies kept outside it, such as the disk tile cache).
    var identity: StoreIdentity { get }

    /// The layer catalog, spatial and attribute layers.
    func layers() throws -> [LayerInfo]

    /// One catalog entry, nil when the id is unknown.
    func layer(id: String) throws -> LayerInfo?

    /// Bounding box of a spatial layer's features, all versions (nil when it has none).
    func extent(layer: String) throws -> BBox?

    /// Streams the features of a spatial layer whose bounding box intersects `bbox` and whose valid
    /// time intersects `time`, in id order, stopping after `limit` when given. Counts they carry
    /// (residents, businesses, area populations) are as of `time.countsDay`.
    func features(layer: String, intersecting bbox: BBox, during time: TimeFilter, limit: Int?,
                  _ body: (StoredFeature) throws -> Void) throws

    /// Streams one page of the features matching `query` (box, valid time, property equalities), in
    /// id order: `query.limit` of them after skipping `query.offset`. Unknown properties are refused
    /// with a `StoreError` naming the layer's.
    func queryFeatures(_ query: FeatureQuery, _ body: (StoredFeature) throws -> Void) throws

    /// How many features match `query` in all (its limit and offset ignored).
    func countFeatures(_ query: FeatureQuery) throws -> Int

    /// One feature (one version of an entity) by its id, whatever its valid time; counts as of `day`.
    func feature(layer: String, id: Int64, countsOn day: String) throws -> StoredFeature?

    /// The fields a query may compare on `day`.
    func filterableFields(layer: String, countsOn day: String) throws -> [FieldInfo]

    /// Population, businesses and buildings in an area on a day (exact; nil for an unknown area
    /// code), broken down by `groupBy`. The centroid rule decides what lies in the area. The SQL
    /// answer: the oracle an in-memory engine is checked against.
    func areaStatistics(_ area: StatisticsArea, on day: String, groupBy: [StatisticsDimension]) throws -> AreaStatistics?

    /// Streams every area version, building version, membership, person and business row the
    /// statistics engine keeps, all from one read snapshot, and returns the newest change sequence
    /// (`lastChangeSeq`) that snapshot includes: changes after it are the engine's to apply.
    func scanStatisticsRows<Sink: StatisticsRowSink>(into sink: inout Sink) throws -> StatisticsScan

    /// The person and business rows changed after row change `rowSeq`, and those of `recheckPeople`
    /// and `recheckBusinesses` (one read snapshot): the sink gets those still in the store, after
    /// every area, building and membership when buildings or areas changed; the result lists every
    /// id. Not applicable when more than `limit` rows changed, after a bulk load, or when the log no
    /// longer reaches back to `rowSeq`.
    func scanStatisticsChanges<Sink: StatisticsRowSink>(afterRow rowSeq: Int64, limit: Int, recheckPeople: [Int64], recheckBusinesses: [Int64],
                                                        into sink: inout Sink) throws -> StatisticsChangeScan

    /// The first day any building stands (nil: no buildings): statistics of earlier days would be
    /// empty for want of data, not because an area is empty.
    func earliestRecordDay() throws -> String?

    /// About how many person and business rows the store holds: the planner's estimate where a
    /// count would read them all (PostgreSQL), an exact count where that is cheap (SQLite). What
    /// the in-memory statistics engine would take is judged from it before a build starts.
    func estimatedStatisticsRecords() throws -> Int

    /// The secret that disclosure control derives its record keys from: random bytes made once per
    /// database and kept in it (every replica perturbs alike); never shown to anyone.
    func statisticsSecret() throws -> [UInt8]

    /// When each layer's data last changed (ISO 8601 UTC), by layer id: loads, imports and edits.
    func layerUpdates() throws -> [String: String]

    /// Administrative areas of one level valid on the ISO date `asOf`, with their populations that day
    /// (no geometry).
    func adminAreas(level: AdminLevel?, asOf: String) throws -> [AdminAreaSummary]

    /// Entities created, modified and removed in (from, to], in date order, optionally within a
    /// lon/lat box, paged. Only versioned layers (`buildings`, `admin_areas`) have changes.
    func changes(layer: String, from: String, to: String, bbox: BBox?, limit: Int, offset: Int) throws -> ChangeList

    /// Writes entity versions of `layer` keyed by `record.key`, valid from `validFrom`, in one transaction.
    /// An unknown layer id creates the layer as given (its schema inferred from the file by the
    /// caller; see `LayerSchema`); a known one keeps its catalog entry and the records are checked
    /// against it (a field it lacks refuses the import). Versions:
    /// only real changes create versions (the previous one is closed that day), and in `replace`
    /// mode current entities missing from `records` are closed. Bad rows are reported, with those
    /// the caller already rejected; unless `skipBad`, any bad row refuses the whole import
    /// (`ImportRefused`, listing every bad row) and nothing is written.
    /// `progress` receives the number of records written so far, now and then.
    /// The records come from `stream`, chunk by chunk, inside the transaction; a chunk's rejected
    /// rows count as bad rows.
    func applyVersions(layer: LayerInfo, stream: RecordStream, mode: ImportMode,
                       validFrom: String, skipBad: Bool, progress: (Int) -> Void) throws -> VersionSummary

    /// Writes person (`population`) or business (`businesses`) records as versions keyed by person
    /// key or credit code, in one transaction, like `applyVersions`. Each record is placed in a
    /// building standing on `validFrom`: by its `building_code`, else the building containing its
    /// position, else the nearest within `toleranceMetres`, else it is a bad row. Credit codes are
    /// checked (GB 32100); raw ID numbers are masked before they are stored. Counts are refreshed.
    /// `identities`: links of identity hashes to the records' keys, written in the same transaction
    /// (those of rejected rows left out).
    func applyRecords(layer: String, records: [RecordSource], alreadyRejected: [RejectedRow], mode: ImportMode,
                      validFrom: String, toleranceMetres: Double, skipBad: Bool, identities: IdentityLinks?,
                      progress: (Int) -> Void) throws -> RecordImportSummary

    /// Ends entity `key` of a department's layer on `day`: its current version closes that day (a
    /// version begun that day is removed), history stays. False when it has no current version.
    /// Core layers refuse (they change by import, which keeps their derived counts right).
    func closeEntity(layer: String, key: String, on day: String) throws -> Bool

    /// Records that a change (made outside the store's own writes) applies to `layer` from `fromDay`
    /// within `box` (nil: every day / the whole layer), for caches.
    func recordChange(layer: String, fromDay: String?, box: BBox?) throws

    /// Change extents committed after `seq` (by this process or another), in order.
    func changeExtents(after seq: Int64) throws -> [ChangeExtent]

    /// The newest change extent's number (0: none).
    func lastChangeSeq() throws -> Int64

    /// Number of rows of a layer (all versions).
    func count(layer: String) throws -> Int

    /// Loads records in one transaction: all of them or, if `body` throws, none. Indexes and derived
    /// counts (population and businesses per building and per area) are brought up to date before commit.
    func bulkLoad(_ body: (any BulkWriter) throws -> Void) throws
}

/// Receives records during `FeatureStore.bulkLoad`.
public protocol BulkWriter {
    func add(_ area: AdminArea) throws
    func add(_ building: Building) throws
    func add(_ person: PersonRecord) throws
    func add(_ business: BusinessRecord) throws
}

/// An administrative area without its geometry.
public struct AdminAreaSummary: Sendable, Hashable {
    public let code: String
    public let name: String
    public let level: AdminLevel
    public let parentCode: String?
    public let population: Int
    public let validFrom: String?
    public let validTo: String?
    public let synthetic: Bool

    package init(code: String, name: String, level: AdminLevel, parentCode: String?, population: Int,
                 validFrom: String?, validTo: String?, synthetic: Bool) {
        self.code = code; self.name = name; self.level = level; self.parentCode = parentCode; self.population = population
        self.validFrom = validFrom; self.validTo = validTo; self.synthetic = synthetic
    }
}

extension FeatureStore {
    /// `applyRecords` without identity links.
    public func applyRecords(layer: String, records: [RecordSource], alreadyRejected: [RejectedRow], mode: ImportMode,
                             validFrom: String, toleranceMetres: Double, skipBad: Bool,
                             progress: (Int) -> Void = { _ in }) throws -> RecordImportSummary {
        try applyRecords(layer: layer, records: records, alreadyRejected: alreadyRejected, mode: mode, validFrom: validFrom,
                         toleranceMetres: toleranceMetres, skipBad: skipBad, identities: nil, progress: progress)
    }

    /// `applyVersions` over records already in memory (one chunk).
    public func applyVersions(layer: LayerInfo, records: [KeyedRecord], alreadyRejected: [RejectedRow], mode: ImportMode,
                              validFrom: String, skipBad: Bool, progress: (Int) -> Void = { _ in }) throws -> VersionSummary {
        try applyVersions(layer: layer, stream: .whole(records, rejected: alreadyRejected), mode: mode, validFrom: validFrom,
                          skipBad: skipBad, progress: progress)
    }
}
