import OneMapGeo
import OneMapStore

/// What the PostgreSQL backend does not do yet (issue 17 is in progress): each refuses with a
/// 500-class error naming itself, never a wrong answer. This file shrinks to nothing before the
/// backend is called done.
extension PostgresStore: OneMapDatabase {
    private func notYet(_ what: String) -> StoreError {
        StoreError("\(what) is not yet implemented for PostgreSQL databases", kind: .internal)
    }

    public func areaStatistics(_ area: StatisticsArea, on day: String, groupBy: [StatisticsDimension]) throws -> AreaStatistics? {
        throw notYet("area statistics in SQL")
    }

    public func changes(layer: String, from: String, to: String, bbox: BBox?, limit: Int, offset: Int) throws -> ChangeList {
        throw notYet("change lists")
    }

    public func applyRecords(layer: String, records: [RecordSource], alreadyRejected: [RejectedRow], mode: ImportMode,
                             validFrom: String, toleranceMetres: Double, skipBad: Bool, progress: (Int) -> Void) throws -> RecordImportSummary {
        throw notYet("person and business imports")
    }

    public func closeEntity(layer: String, key: String, on day: String) throws -> Bool {
        throw notYet("closing entities")
    }
}
